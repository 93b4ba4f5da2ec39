//! What the tests send: sealed tips, submission keys, mailbox keys and their registration,
//! receipt codes. All made by the envelope and the protocol crates, never by hand.

use fluister_envelope::age::{Identity, Recipient, seal};
use fluister_envelope::pow;
use fluister_envelope::receipt::{CODE_LENGTH, DATA_LENGTH, MailboxKeys, ReceiptCode};
use fluister_envelope::tip::TipDocument;
use fluister_protocol::MailboxId;
use fluister_protocol::bodies::MailboxRegistration;

/// A fresh coordinator identity and its recipient.
pub fn coordinator_keys() -> (Identity, Recipient) {
    let identity = Identity::generate().expect("generate an identity");
    let recipient = identity.to_recipient();
    (identity, recipient)
}

/// Seals at least `plaintext_length` bytes of a small tip document naming `marker` to
/// `recipient`: `{"v":1,"text":"test tip MARKER"}` padded with spaces.
pub fn sealed_tip(recipient: &Recipient, plaintext_length: usize, marker: u64) -> Vec<u8> {
    let mut plaintext = format!("{{\"v\":1,\"text\":\"test tip {marker}\"}}").into_bytes();
    plaintext.resize(plaintext_length.max(plaintext.len()), b' ');
    seal(&[*recipient], &plaintext).expect("seal")
}

/// Seals `document`, padded as the widget pads it, to `recipients`.
pub fn sealed_document(recipients: &[Recipient], document: &TipDocument) -> Vec<u8> {
    let padded = document.to_padded_bytes().expect("a valid tip document");
    seal(recipients, &padded).expect("seal")
}

/// The nonces, in order, that do not solve the one-puzzle `challenge` for the body with hash
/// `body_sha256` (each checked with the envelope's own verification).
pub fn wrong_nonces(
    challenge: &pow::Challenge,
    body_sha256: &[u8; 32],
) -> impl Iterator<Item = u32> {
    let (challenge, body_sha256) = (challenge.clone(), *body_sha256);
    (0..=u32::MAX).filter(move |&nonce| {
        let solution = pow::Solution {
            nonces: vec![nonce],
        };
        pow::verify(&challenge, &body_sha256, &solution).is_err()
    })
}

/// A random submission key.
pub fn submission_key() -> [u8; 32] {
    crate::random_bytes()
}

/// The keys of a fresh receipt code, derived as the widget derives them.
pub fn mailbox_keys() -> MailboxKeys {
    ReceiptCode::generate()
        .expect("a receipt code")
        .derive_keys()
        .expect("the code's keys")
}

/// The mailbox's id in the protocol's type.
pub fn mailbox_id(keys: &MailboxKeys) -> MailboxId {
    MailboxId::parse(keys.mailbox_id.as_str()).expect("the envelope's mailbox id is hex")
}

/// `POST /api/v1/mailboxes`'s body for these keys: the id and the token's hash.
pub fn registration(keys: &MailboxKeys) -> MailboxRegistration {
    MailboxRegistration {
        id: mailbox_id(keys),
        token_sha256: keys.mailbox_token.storage_hash(),
    }
}

/// [`registration`] as the JSON bytes sent.
pub fn registration_body(keys: &MailboxKeys) -> Vec<u8> {
    serde_json::to_vec(&registration(keys)).expect("a registration serialises")
}

/// A well-formed receipt code, made by the envelope as a reporter's is, shown as the widget
/// shows it (`XXXX-XXXX-…`). Nobody has used it.
pub fn unused_receipt_code() -> String {
    ReceiptCode::generate()
        .expect("a receipt code")
        .to_grouped_string()
        .to_string()
}

/// `code` with one data character changed, so that its check character no longer matches: a
/// typo the envelope's parser refuses. Panics if `code` is not a well-formed code.
pub fn mistyped_receipt_code(code: &str) -> String {
    ReceiptCode::parse(code).expect("a well-formed receipt code to mistype");
    let canonical: Vec<u8> = code
        .bytes()
        .filter(|byte| byte.is_ascii_alphanumeric())
        .map(|byte| byte.to_ascii_uppercase())
        .collect();
    assert_eq!(canonical.len(), CODE_LENGTH);
    let alphabet = fluister_envelope::receipt::ALPHABET;
    let [position, shift] = crate::random_bytes::<2>();
    let position = usize::from(position) % DATA_LENGTH;
    let value = alphabet
        .iter()
        .position(|letter| *letter == canonical[position])
        .expect("a canonical character");
    let mut mistyped = canonical.clone();
    // Any other character: 1 to 31 places on.
    mistyped[position] = alphabet[(value + 1 + usize::from(shift) % 31) % 32];
    let shown = grouped(&mistyped);
    assert!(
        ReceiptCode::parse(&shown).is_err(),
        "the check character catches every single changed character"
    );
    shown
}

/// Whether `code` is a receipt code exactly as the widget shows one: the envelope's parser
/// takes it (its check character is right) and writes it back unchanged.
pub fn is_shown_receipt_code(code: &str) -> bool {
    ReceiptCode::parse(code)
        .map(|parsed| parsed.to_grouped_string().as_str() == code)
        .unwrap_or(false)
}

fn grouped(canonical: &[u8]) -> String {
    canonical
        .chunks(fluister_envelope::receipt::GROUP_LENGTH)
        .map(|group| String::from_utf8(group.to_vec()).expect("ASCII"))
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_codes_follow_the_envelope() {
        // receipt.rs's known code: data symbols 0 to 22, check character `8`.
        assert!(is_shown_receipt_code("0123-4567-89AB-CDEF-GHJK-MNP8"));
        assert!(!is_shown_receipt_code("0123-4567-89AB-CDEF-GHJK-MNP9"));
        assert!(!is_shown_receipt_code("0123 4567 89ab cdef ghjk mnp8"));
        for _ in 0..50 {
            let code = unused_receipt_code();
            assert!(is_shown_receipt_code(&code), "{code}");
            let typo = mistyped_receipt_code(&code);
            assert_ne!(typo, code);
            assert_eq!(typo.len(), code.len());
            assert!(!is_shown_receipt_code(&typo), "{typo}");
        }
    }
}
