//! Turning the answers into what leaves the browser: the padded tip document sealed to every
//! coordinator recipient, with the submission key that makes retries safe and the receipt code
//! shown to the reporter. Nothing here does I/O, so it is unit-tested natively.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fluister_envelope::age::{self, Recipient};
use fluister_envelope::pow::ciphertext_sha256;
use fluister_envelope::receipt::ReceiptCode;
use zeroize::Zeroizing;

use crate::form::FormAnswers;

/// A sealed tip waiting to be accepted by the relay. It is kept in memory (only) until the relay
/// answers 2xx, so a retry after a failure sends exactly the same bytes under the same key.
#[derive(Clone)]
pub struct SealedTip {
    /// The age v1 file: the only thing about the tip that leaves the browser.
    pub ciphertext: Vec<u8>,
    /// Its SHA-256, which the proof of work is bound to.
    pub ciphertext_sha256: [u8; 32],
    /// `Fluister-Submission-Key`: 32 random bytes, unpadded base64url, the same on every retry.
    pub submission_key: String,
    /// The receipt code shown after sending, grouped for copying by hand.
    pub receipt_code: Zeroizing<String>,
}

impl core::fmt::Debug for SealedTip {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SealedTip")
            .field("ciphertext_bytes", &self.ciphertext.len())
            .finish_non_exhaustive()
    }
}

/// Why a tip could not be sealed. Nothing is sent in either case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SealingFailure {
    /// The description is blank or a field is over its limit.
    InvalidAnswers,
    /// The relay's configuration names no usable recipient.
    NoRecipients,
    /// The browser's random source or the sealing itself failed.
    Crypto,
}

/// Parses the relay's recipients; every one must be valid, or sealing would silently drop one.
pub fn parse_recipients(recipients: &[String]) -> Result<Vec<Recipient>, SealingFailure> {
    if recipients.is_empty() {
        return Err(SealingFailure::NoRecipients);
    }
    recipients
        .iter()
        .map(|text| text.parse().map_err(|_| SealingFailure::NoRecipients))
        .collect()
}

/// Builds, pads and seals the tip, and makes its submission key and receipt code.
pub fn seal_answers(
    answers: &FormAnswers,
    recipients: &[Recipient],
) -> Result<SealedTip, SealingFailure> {
    if recipients.is_empty() {
        return Err(SealingFailure::NoRecipients);
    }
    let document = answers.to_tip_document();
    let padded = Zeroizing::new(
        document
            .to_padded_bytes()
            .map_err(|_| SealingFailure::InvalidAnswers)?,
    );
    let ciphertext = age::seal(recipients, &padded).map_err(|_| SealingFailure::Crypto)?;
    let mut key_bytes = [0u8; 32];
    getrandom::fill(&mut key_bytes).map_err(|_| SealingFailure::Crypto)?;
    let receipt_code = ReceiptCode::generate()
        .map_err(|_| SealingFailure::Crypto)?
        .to_grouped_string();
    Ok(SealedTip {
        ciphertext_sha256: ciphertext_sha256(&ciphertext),
        ciphertext,
        submission_key: URL_SAFE_NO_PAD.encode(key_bytes),
        receipt_code,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use fluister_envelope::age::Identity;
    use fluister_envelope::tip::TipDocument;

    #[test]
    fn the_sealed_tip_opens_to_the_answers_and_holds_no_plaintext() {
        let identity = Identity::generate().unwrap();
        let recipients = parse_recipients(&[identity.to_recipient().to_string()]).unwrap();
        let answers = FormAnswers {
            description: "A secret sentence about the farm".into(),
            place: "Rolderweg".into(),
            ..FormAnswers::default()
        };
        let sealed = seal_answers(&answers, &recipients).unwrap();
        assert!(sealed.ciphertext.starts_with(b"age-encryption.org/v1\n"));
        let as_text = String::from_utf8_lossy(&sealed.ciphertext);
        assert!(!as_text.contains("secret sentence"));
        assert!(!as_text.contains("Rolderweg"));
        assert_eq!(sealed.submission_key.len(), 43);
        let opened = age::open(&[identity], &sealed.ciphertext).unwrap();
        let document = TipDocument::from_bytes(&opened).unwrap();
        assert_eq!(document, answers.to_tip_document());
    }

    #[test]
    fn nothing_is_sealed_without_a_description_or_without_recipients() {
        let identity = Identity::generate().unwrap();
        let recipients = vec![identity.to_recipient()];
        assert_eq!(
            seal_answers(&FormAnswers::default(), &recipients).unwrap_err(),
            SealingFailure::InvalidAnswers
        );
        let answers = FormAnswers {
            description: "text".into(),
            ..FormAnswers::default()
        };
        assert_eq!(
            seal_answers(&answers, &[]).unwrap_err(),
            SealingFailure::NoRecipients
        );
        assert_eq!(
            parse_recipients(&["age1notarecipient".into()]).unwrap_err(),
            SealingFailure::NoRecipients
        );
    }
}
