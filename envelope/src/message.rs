//! A message in the anonymous mailbox: the coordinator's question or the reporter's answer.
//!
//! Like a tip, a message is JSON padded with trailing spaces to the tip buckets
//! ([`crate::tip::padded_length`]), so `age -d` yields valid JSON and the relay learns only the
//! bucket. Fields this version does not know are kept, so an older inbox reads a newer widget's
//! messages without losing anything.
//!
//! ```json
//! {"v":1,"text":"Is she still at that address?"}
//! {"v":1,"text":"","status":"in_progress"}
//! ```
//!
//! A coordinator's message may carry a [`CaseStatus`]: what the reporter sees when they check
//! with their code ("read", "in progress", "handed over", "closed"), in their own language.
//! Its text may then be empty.

use core::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::age::{self, Recipient};
use crate::error::{Error, Result};
use crate::tip::{SCHEMA_VERSION, pad, read_padded};

/// The longest message text, in characters.
pub const MAX_MESSAGE_TEXT_CHARS: usize = 10_000;

/// The largest message document, padded or not, in bytes (32 KiB): the text at its limit in
/// three-byte characters, with room for unknown fields. Its padded size stays within the
/// relay's default message limit once sealed.
pub const MAX_MESSAGE_BYTES: usize = 32 * 1024;

/// Who wrote a mailbox message, as the relay records it and lists it (`"coordinator"`,
/// `"reporter"`), and as the inbox names stored messages: the protocol's one definition.
pub use fluister_protocol::MessageAuthor;

/// Where the report stands, as the coordinator tells the reporter (`read`, `in_progress`,
/// `handed_over`, `closed`): the protocol's one definition, which the widget shows in the
/// reporter's language.
pub use fluister_protocol::CaseStatus;

/// One mailbox message, schema version 1.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct MailboxMessage {
    /// The schema version; always [`SCHEMA_VERSION`] in a valid message.
    pub v: u32,
    /// What the writer says, in their own words (may be empty when `status` is set).
    pub text: String,
    /// The report's status as the coordinator tells the reporter, if this message sets it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<CaseStatus>,
    /// A reporter's answer's authentication: HMAC-SHA256 under the answer key derived from the
    /// receipt code, over the mailbox id and the text (unpadded base64url). See
    /// [`answer_mac`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    /// Fields from a newer version, kept as they were.
    #[serde(flatten)]
    pub unknown_fields: Map<String, Value>,
}

impl MailboxMessage {
    /// A message with this text.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            v: SCHEMA_VERSION,
            text: text.into(),
            status: None,
            mac: None,
            unknown_fields: Map::new(),
        }
    }

    /// Checks the version, that the text is not blank (unless the message sets a status), and
    /// the length limit.
    pub fn validate(&self) -> Result<()> {
        if self.v != SCHEMA_VERSION || (self.text.trim().is_empty() && self.status.is_none()) {
            return Err(Error::InvalidDocument);
        }
        if self.text.len() > MAX_MESSAGE_TEXT_CHARS
            && self.text.chars().count() > MAX_MESSAGE_TEXT_CHARS
        {
            return Err(Error::TooLarge);
        }
        Ok(())
    }

    /// The padded JSON to seal.
    pub fn to_padded_bytes(&self) -> Result<Vec<u8>> {
        self.validate()?;
        let json = serde_json::to_vec(self).map_err(|_| Error::InvalidDocument)?;
        if json.len() > MAX_MESSAGE_BYTES {
            return Err(Error::TooLarge);
        }
        Ok(pad(&json))
    }

    /// Reads an opened message (padded or not) and validates it.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::from_bytes_with(bytes, |json| serde_json::from_str(json).ok())
    }

    /// Reads a message like [`MailboxMessage::from_bytes`], with `parse` reading the JSON text
    /// in place of `serde_json` (the widget's crypto worker uses the browser's parser).
    pub fn from_bytes_with(bytes: &[u8], parse: impl FnOnce(&str) -> Option<Self>) -> Result<Self> {
        let message = read_padded(bytes, MAX_MESSAGE_BYTES, parse)?;
        message.validate()?;
        Ok(message)
    }
}

/// Seals a mailbox message with `text` (surrounding white space trimmed) to every recipient in
/// `recipients`, each once: the one way both the coordinator's inbox (`reply`) and the
/// reporter's crypto worker (an answer) seal a message, so both write the same padded document.
///
/// Fails with [`Error::InvalidDocument`] for a blank text, [`Error::TooLarge`] for one longer
/// than [`MAX_MESSAGE_TEXT_CHARS`] characters, and as [`age::seal`] does (no recipients, no
/// randomness).
pub fn seal_message(text: &str, recipients: &[Recipient]) -> Result<Vec<u8>> {
    seal_document(&MailboxMessage::new(text.trim()), recipients)
}

/// Seals a coordinator's message that tells the reporter where the report stands, with an
/// optional text (trimmed; blank is none), to every recipient once: what the widget shows as
/// the report's status.
pub fn seal_status_message(
    status: CaseStatus,
    text: &str,
    recipients: &[Recipient],
) -> Result<Vec<u8>> {
    let mut message = MailboxMessage::new(text.trim());
    message.status = Some(status);
    seal_document(&message, recipients)
}

/// The authentication of a reporter's answer with `text` in mailbox `mailbox_id`: HMAC-SHA256
/// under the answer key (which only the reporter and the coordinators know), over a fixed
/// label, the mailbox id and the text. The relay knows the coordinators' public keys and can
/// seal any message to them, but not this: an answer without a valid one is not the reporter's.
pub fn answer_mac(answer_key: &[u8; 32], mailbox_id: &str, text: &str) -> [u8; 32] {
    use hmac::{KeyInit as _, Mac as _};
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(answer_key).expect("HMAC takes any key length");
    mac.update(b"fluister answer v1\n");
    mac.update(mailbox_id.as_bytes());
    mac.update(b"\n");
    mac.update(text.as_bytes());
    mac.finalize().into_bytes().into()
}

/// Seals a reporter's answer with `text` (trimmed) to `recipients`, authenticated for the
/// mailbox of `keys` (see [`answer_mac`]): what the widget's crypto worker sends.
pub fn seal_answer_message(
    text: &str,
    keys: &crate::receipt::MailboxKeys,
    recipients: &[Recipient],
) -> Result<Vec<u8>> {
    let text = text.trim();
    let mut message = MailboxMessage::new(text);
    let mac = answer_mac(&keys.answer_key, keys.mailbox_id.as_str(), text);
    message.mac = Some(base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        mac,
    ));
    seal_document(&message, recipients)
}

impl MailboxMessage {
    /// Whether this answer carries a valid authentication for mailbox `mailbox_id` under
    /// `answer_key` (compared in constant time).
    pub fn is_authentic_answer(&self, answer_key: &[u8; 32], mailbox_id: &str) -> bool {
        use subtle::ConstantTimeEq as _;
        let Some(given) = self.mac.as_deref().and_then(|mac| {
            base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, mac).ok()
        }) else {
            return false;
        };
        let expected = answer_mac(answer_key, mailbox_id, &self.text);
        given.len() == expected.len() && bool::from(given.ct_eq(&expected))
    }
}

fn seal_document(message: &MailboxMessage, recipients: &[Recipient]) -> Result<Vec<u8>> {
    let padded = Zeroizing::new(message.to_padded_bytes()?);
    let mut distinct_recipients: Vec<Recipient> = Vec::with_capacity(recipients.len());
    for recipient in recipients {
        if !distinct_recipients.contains(recipient) {
            distinct_recipients.push(*recipient);
        }
    }
    age::seal(&distinct_recipients, &padded)
}

impl fmt::Debug for MailboxMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailboxMessage")
            .field("v", &self.v)
            .field("text_chars", &self.text.chars().count())
            .field("status", &self.status)
            .field("unknown_field_names", &self.unknown_fields.keys())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tip::unpad;

    #[test]
    fn round_trip_keeps_unknown_fields_and_pads_to_a_bucket() {
        let json = br#"{"v":1,"text":"Is she still there?","attachments":[1,2]}"#;
        let message = MailboxMessage::from_bytes(json).unwrap();
        assert_eq!(message.text, "Is she still there?");
        let padded = message.to_padded_bytes().unwrap();
        assert_eq!(padded.len(), 1024);
        let again = MailboxMessage::from_bytes(&padded).unwrap();
        assert_eq!(again, message);
        assert_eq!(
            again.unknown_fields["attachments"],
            serde_json::json!([1, 2])
        );
    }

    #[test]
    fn an_answer_is_authentic_only_with_its_mailboxs_key_and_its_own_text() {
        let code = crate::receipt::ReceiptCode::generate().unwrap();
        let keys = code.derive_keys().unwrap();
        let coordinator = age::Identity::generate().unwrap();
        let sealed = seal_answer_message(
            "  Achter de boerderij. ",
            &keys,
            &[coordinator.to_recipient()],
        )
        .unwrap();
        let opened = MailboxMessage::from_bytes(
            &age::open(std::slice::from_ref(&coordinator), &sealed).unwrap(),
        )
        .unwrap();
        assert_eq!(opened.text, "Achter de boerderij.");
        let mailbox = keys.mailbox_id.as_str();
        assert!(opened.is_authentic_answer(&keys.answer_key, mailbox));
        // Another mailbox's key, another mailbox, another text, or no authentication at all.
        let other = crate::receipt::ReceiptCode::generate()
            .unwrap()
            .derive_keys()
            .unwrap();
        assert!(!opened.is_authentic_answer(&other.answer_key, mailbox));
        assert!(!opened.is_authentic_answer(&keys.answer_key, other.mailbox_id.as_str()));
        let mut altered = opened.clone();
        altered.text = "Achter de kerk.".to_owned();
        assert!(!altered.is_authentic_answer(&keys.answer_key, mailbox));
        let forged = MailboxMessage::new("Achter de boerderij.");
        assert!(!forged.is_authentic_answer(&keys.answer_key, mailbox));
        let mut garbled = opened;
        garbled.mac = Some("not base64!".to_owned());
        assert!(!garbled.is_authentic_answer(&keys.answer_key, mailbox));
        // The tip carries the key for the coordinators.
        let reply = crate::tip::ReplyInfo::from_mailbox_keys(&keys, false);
        assert_eq!(*reply.answer_key().unwrap(), *keys.answer_key);
    }

    #[test]
    fn a_status_message_may_have_no_text_and_reads_back() {
        let reporter = age::Identity::generate().unwrap();
        for status in CaseStatus::ALL {
            let sealed = seal_status_message(status, "  ", &[reporter.to_recipient()]).unwrap();
            let opened = age::open(std::slice::from_ref(&reporter), &sealed).unwrap();
            let message = MailboxMessage::from_bytes(&opened).unwrap();
            assert_eq!(message.status, Some(status));
            assert_eq!(message.text, "");
            let json = String::from_utf8_lossy(unpad(&opened)).into_owned();
            assert!(
                json.contains(&format!("\"status\":\"{}\"", status.id())),
                "{json}"
            );
        }
        assert_eq!(
            MailboxMessage::from_bytes(br#"{"v":1,"text":"","status":"on_fire"}"#),
            Err(Error::InvalidDocument)
        );
        assert_eq!(
            MailboxMessage::from_bytes(br#"{"v":1,"text":""}"#),
            Err(Error::InvalidDocument)
        );
    }

    #[test]
    fn blank_wrong_version_oversized_and_malformed_are_rejected() {
        assert_eq!(
            MailboxMessage::new("  \n").to_padded_bytes(),
            Err(Error::InvalidDocument)
        );
        assert_eq!(
            MailboxMessage::from_bytes(br#"{"v":2,"text":"x"}"#),
            Err(Error::InvalidDocument)
        );
        assert_eq!(
            MailboxMessage::from_bytes(b"not json"),
            Err(Error::InvalidDocument)
        );
        let long = MailboxMessage::new("é".repeat(MAX_MESSAGE_TEXT_CHARS + 1));
        assert_eq!(long.to_padded_bytes(), Err(Error::TooLarge));
        let at_limit = MailboxMessage::new("é".repeat(MAX_MESSAGE_TEXT_CHARS));
        assert!(at_limit.to_padded_bytes().unwrap().len() <= 32 * 1024);
        assert_eq!(
            MailboxMessage::from_bytes(&vec![b' '; MAX_MESSAGE_BYTES + 1]),
            Err(Error::TooLarge)
        );
    }

    #[test]
    fn a_sealed_message_opens_for_every_recipient_trimmed_and_padded() {
        let coordinator = age::Identity::generate().unwrap();
        let reporter = age::Identity::generate().unwrap();
        let recipients = [
            reporter.to_recipient(),
            coordinator.to_recipient(),
            reporter.to_recipient(),
        ];
        let sealed = seal_message("  Which address is it?\n", &recipients).unwrap();
        assert!(sealed.starts_with(b"age-encryption.org/v1\n"));
        assert!(!String::from_utf8_lossy(&sealed).contains("Which address"));
        // The reporter's recipient, given twice, is one stanza.
        let (header, _) = age::Header::parse(&sealed).unwrap();
        assert_eq!(header.stanza_types().count(), 2);
        for identity in [&coordinator, &reporter] {
            let plaintext = age::open(std::slice::from_ref(identity), &sealed).unwrap();
            assert_eq!(plaintext.len(), 1024, "padded to the first bucket");
            let message = MailboxMessage::from_bytes(&plaintext).unwrap();
            assert_eq!(message.text, "Which address is it?");
            assert_eq!(message.v, SCHEMA_VERSION);
        }
    }

    #[test]
    fn blank_oversized_and_unaddressed_messages_are_not_sealed() {
        let recipient = age::Identity::generate().unwrap().to_recipient();
        assert_eq!(
            seal_message(" \n\t", &[recipient]),
            Err(Error::InvalidDocument)
        );
        assert_eq!(
            seal_message(&"é".repeat(MAX_MESSAGE_TEXT_CHARS + 1), &[recipient]),
            Err(Error::TooLarge)
        );
        assert_eq!(seal_message("Hello", &[]), Err(Error::NoRecipients));
    }

    #[test]
    fn debug_leaves_out_the_text() {
        let debug = format!("{:?}", MailboxMessage::new("secret words"));
        assert!(!debug.contains("secret"), "{debug}");
    }
}
