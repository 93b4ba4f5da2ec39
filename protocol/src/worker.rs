//! What the widget's page and its crypto worker say to each other (`widget/src/crypto_worker.rs`
//! on the page's side, `widget/worker` in the Web Worker): one [`Operation`] per request, each
//! with its own answer type ([`Request::Answer`]), and one [`Failure`] for every way a request
//! can fail.
//!
//! On the wire a request is the operation as a plain object tagged with `op`, as `JSON.parse`
//! makes it from the operation's JSON (`{"op": "solve", "challenge": "…", "hash": [..]}`: bytes
//! are arrays of numbers, not typed arrays); `widget/web/worker.js` adds and removes the
//! request's `id`, hands the object to the worker's one entry point, and posts back
//! `{id, result}` (the answer as JSON), `{id, error}` (a [`Failure::code`]) or, while a proof of
//! work is solved, `{id, percent}`.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::MessageAuthor;
use crate::codec::{base64url_bytes, hex_bytes};
use crate::ids::MailboxId;

/// Every request the page makes of the crypto worker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Operation {
    /// See [`PrepareReceipt`].
    PrepareReceipt(PrepareReceipt),
    /// See [`Unlock`].
    Unlock(Unlock),
    /// See [`SealTip`].
    SealTip(SealTip),
    /// See [`SealAnswer`].
    SealAnswer(SealAnswer),
    /// See [`OpenConversation`].
    OpenConversation(OpenConversation),
    /// See [`Solve`].
    Solve(Solve),
}

/// One operation's arguments, tied to the type of its answer, so that the page and the worker
/// cannot disagree on what an operation returns.
pub trait Request: Into<Operation> {
    /// What the worker answers.
    type Answer: Serialize + DeserializeOwned;
}

macro_rules! requests {
    ($($request:ident => $answer:ty,)*) => {
        $(
            impl From<$request> for Operation {
                fn from(request: $request) -> Operation {
                    Operation::$request(request)
                }
            }

            impl Request for $request {
                type Answer = $answer;
            }
        )*
    };
}

requests! {
    PrepareReceipt => PreparedReceipt,
    Unlock => MailboxAccess,
    SealTip => SealedTip,
    SealAnswer => SealedFile,
    OpenConversation => Conversation,
    Solve => Solved,
}

/// Makes a fresh receipt code for the next tip and derives its keys; the worker keeps them and
/// answers with the mailbox registration, to open the mailbox before the tip is sent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrepareReceipt {}

/// Reads a receipt code as the reporter typed it and derives its keys (a typo fails at once
/// with [`Failure::Typo`]); answers with the mailbox's id and token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unlock {
    /// The code as typed.
    pub code: String,
}

/// Seals the tip document the form built (JSON, unpadded) to the coordinator recipients, with
/// the reply information of the prepared code added.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealTip {
    /// The tip document as JSON.
    pub document: String,
    /// The relay's coordinator recipients (`age1…`).
    pub recipients: Vec<String>,
    /// The fingerprint of the recipients the coordinator pinned (the embed tag's
    /// `data-recipients`, see `fluister_envelope::pin`): when given, the worker seals only if
    /// `recipients` has exactly this fingerprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned: Option<String>,
}

/// Seals the reporter's answer to the coordinator recipients and to the code's own reply key.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealAnswer {
    /// The answer as typed.
    pub text: String,
    /// The relay's coordinator recipients (`age1…`).
    pub recipients: Vec<String>,
    /// The fingerprint of the recipients the coordinator pinned (the embed tag's
    /// `data-recipients`, see `fluister_envelope::pin`): when given, the worker seals only if
    /// `recipients` has exactly this fingerprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned: Option<String>,
}

/// Opens the conversation of the unlocked code's mailbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenConversation {
    /// `GET /api/v1/mailboxes/{id}/messages` as the relay sent it.
    pub json: String,
}

/// Solves a proof of work, reporting progress (`{id, percent}`) as it goes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Solve {
    /// `POST /api/v1/challenges` as the relay sent it.
    pub challenge: String,
    /// The SHA-256 of the body the proof pays for.
    pub hash: [u8; 32],
}

/// The answer to [`PrepareReceipt`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreparedReceipt {
    /// The body of `POST /api/v1/mailboxes` (a [`crate::bodies::MailboxRegistration`]).
    pub registration: String,
    /// Its SHA-256, which the registration's proof of work is bound to.
    #[serde(with = "hex_bytes")]
    pub registration_sha256: [u8; 32],
}

/// The answer to [`Unlock`]: what reads and writes the code's mailbox.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxAccess {
    /// The mailbox id: public, it names the mailbox on the relay.
    pub mailbox: MailboxId,
    /// The mailbox token for `Fluister-Mailbox-Token`.
    pub token: String,
}

/// A sealed age file ready to post (the answer to [`SealAnswer`]): the only form in which
/// anything typed leaves the browser. Kept until the relay accepts it, so that a retry sends the
/// same bytes under the same key.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedFile {
    /// The age v1 file.
    #[serde(with = "base64url_bytes")]
    pub ciphertext: Vec<u8>,
    /// Its SHA-256, which the proof of work is bound to.
    #[serde(with = "hex_bytes")]
    pub sha256: [u8; 32],
    /// `Fluister-Submission-Key`: 32 random bytes, unpadded base64url, kept for every retry.
    pub submission_key: String,
}

/// The answer to [`SealTip`]: the sealed tip and the receipt code that opens its mailbox.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedTip {
    /// The sealed tip.
    pub file: SealedFile,
    /// The receipt code, grouped for writing down; shown once the tip is accepted and its
    /// mailbox exists.
    pub receipt_code: String,
}

/// The answer to [`OpenConversation`], oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    /// The messages.
    pub messages: Vec<OpenedMessage>,
}

/// One message of a conversation, opened.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenedMessage {
    /// Who posted it, as the relay recorded it.
    pub author: MessageAuthor,
    /// When the relay received it, rounded down to the hour (Unix seconds).
    pub received_hour: u64,
    /// The text, or `None` if the message cannot be opened with this code's key. Empty for a
    /// coordinator's message that only sets a status.
    pub text: Option<String>,
    /// Where the report stands, if this is a coordinator's message that says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<CaseStatus>,
}

/// Where the report stands, as the coordinator tells the reporter in a mailbox message (the
/// envelope's message documents use this type, as `message::CaseStatus`). A stable identifier;
/// the page shows it in the reporter's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// The report has been read.
    Read,
    /// Someone is working on it.
    InProgress,
    /// It was passed on to an organisation that can help (police, inspectorate, care).
    HandedOver,
    /// Nothing more will be done with it.
    Closed,
}

impl CaseStatus {
    /// Every status, in the order a report goes through them.
    pub const ALL: [CaseStatus; 4] = [
        CaseStatus::Read,
        CaseStatus::InProgress,
        CaseStatus::HandedOver,
        CaseStatus::Closed,
    ];

    /// The stable identifier (`read`, `in_progress`, `handed_over`, `closed`), as the message
    /// JSON and this protocol write it.
    pub fn id(self) -> &'static str {
        match self {
            CaseStatus::Read => "read",
            CaseStatus::InProgress => "in_progress",
            CaseStatus::HandedOver => "handed_over",
            CaseStatus::Closed => "closed",
        }
    }

    /// Reads an identifier back; `None` for any other word.
    pub fn from_id(id: &str) -> Option<CaseStatus> {
        CaseStatus::ALL.into_iter().find(|status| status.id() == id)
    }
}

/// The answer to [`Solve`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Solved {
    /// The nonces that solve the challenge's puzzles for the hash, in order.
    pub nonces: Vec<u32>,
}

/// Why a request to the crypto worker failed. Deliberately coarse: nothing here says more than
/// the page needs to choose its message, and nothing secret is ever part of one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Failure {
    /// The typed receipt code is not a code: wrong length, a character that is not allowed, or a
    /// wrong check character.
    Typo,
    /// No receipt code was prepared or unlocked yet.
    NoKeys,
    /// The document, the text or the relay's answer is not what it should be.
    InvalidInput,
    /// The relay's configuration names no usable recipient.
    NoRecipients,
    /// The relay lists other recipients than the ones the coordinator pinned in the embed tag:
    /// someone may have added a reader. Nothing is sealed.
    RecipientsChanged,
    /// The browser's random source or the cryptography failed.
    Crypto,
    /// The worker could not run at all (its script did not load, or it could not be started).
    /// Only the page says this; the worker never does.
    Unavailable,
}

impl Failure {
    /// Every failure, in a stable order.
    pub const ALL: &[Failure] = &[
        Failure::Typo,
        Failure::NoKeys,
        Failure::InvalidInput,
        Failure::NoRecipients,
        Failure::RecipientsChanged,
        Failure::Crypto,
        Failure::Unavailable,
    ];

    /// The stable code the worker posts as `{id, error}`.
    pub fn code(self) -> &'static str {
        match self {
            Failure::Typo => "typo",
            Failure::NoKeys => "no_keys",
            Failure::InvalidInput => "invalid_input",
            Failure::NoRecipients => "no_recipients",
            Failure::RecipientsChanged => "recipients_changed",
            Failure::Crypto => "crypto",
            Failure::Unavailable => "unavailable",
        }
    }

    /// Reads a code back; `None` for any other word.
    pub fn from_code(code: &str) -> Option<Failure> {
        Failure::ALL
            .iter()
            .copied()
            .find(|failure| failure.code() == code)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.code())
    }
}

impl std::error::Error for Failure {}

/// Writes `name`'s type with every field left out: for the types that hold a secret (a receipt
/// code, a mailbox token, typed text).
macro_rules! redacted_debug {
    ($($name:ident),*) => {
        $(
            impl fmt::Debug for $name {
                fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                    formatter.debug_struct(stringify!($name)).finish_non_exhaustive()
                }
            }
        )*
    };
}

redacted_debug!(
    Unlock,
    SealTip,
    SealAnswer,
    MailboxAccess,
    SealedFile,
    SealedTip,
    OpenedMessage
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_a_json_object_tagged_with_its_operation() {
        let solve = Operation::from(Solve {
            challenge: "{}".into(),
            hash: [7; 32],
        });
        let json = serde_json::to_string(&solve).unwrap();
        assert!(
            json.starts_with(r#"{"op":"solve","challenge":"{}","hash":[7,7,"#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<Operation>(&json).unwrap(), solve);

        let prepare = serde_json::to_string(&Operation::from(PrepareReceipt {})).unwrap();
        assert_eq!(prepare, r#"{"op":"prepare_receipt"}"#);
        assert!(serde_json::from_str::<Operation>(r#"{"op":"forget"}"#).is_err());
    }

    #[test]
    fn answers_carry_bytes_as_text_and_read_back_unchanged() {
        let sealed = SealedTip {
            file: SealedFile {
                ciphertext: b"age-encryption.org/v1\n".to_vec(),
                sha256: [0xab; 32],
                submission_key: "key".into(),
            },
            receipt_code: "7K3M 9QXT".into(),
        };
        let json = serde_json::to_string(&sealed).unwrap();
        assert!(
            json.contains(r#""ciphertext":"YWdlLWVuY3J5cHRpb24ub3JnL3YxCg""#),
            "{json}"
        );
        assert!(
            json.contains(&format!(r#""sha256":"{}""#, "ab".repeat(32))),
            "{json}"
        );
        assert!(serde_json::from_str::<SealedTip>(&json).unwrap() == sealed);
        assert_eq!(format!("{sealed:?}"), "SealedTip { .. }");
    }

    #[test]
    fn an_opened_message_carries_its_status_by_its_stable_identifier() {
        for status in CaseStatus::ALL {
            assert_eq!(CaseStatus::from_id(status.id()), Some(status));
            let message = OpenedMessage {
                author: MessageAuthor::Coordinator,
                received_hour: 3600,
                text: Some(String::new()),
                status: Some(status),
            };
            let json = serde_json::to_string(&message).unwrap();
            assert!(
                json.ends_with(&format!(r#","status":"{}"}}"#, status.id())),
                "{json}"
            );
            assert!(serde_json::from_str::<OpenedMessage>(&json).unwrap() == message);
        }
        assert_eq!(CaseStatus::from_id("in-progress"), None);
        // A message without a status says nothing about it, and reads back as none.
        let plain = r#"{"author":"reporter","received_hour":0,"text":"Yes"}"#;
        let message = serde_json::from_str::<OpenedMessage>(plain).unwrap();
        assert_eq!(message.status, None);
        assert_eq!(serde_json::to_string(&message).unwrap(), plain);
        assert_eq!(format!("{message:?}"), "OpenedMessage { .. }");
    }

    #[test]
    fn every_failure_code_reads_back_as_itself() {
        for failure in Failure::ALL {
            assert_eq!(Failure::from_code(failure.code()), Some(*failure));
        }
        assert_eq!(Failure::from_code("anything else"), None);
    }
}
