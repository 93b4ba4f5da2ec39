//! Every JSON body the relay sends or takes, in one place: the relay serialises them, the inbox
//! and the crypto worker deserialise them. Readers ignore fields they do not know, so an older
//! client keeps working against a newer relay; the one body the relay reads
//! ([`MailboxRegistration`]) refuses unknown fields.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::codec::{base64url_bytes, hex_bytes};
use crate::ids::{MailboxId, MessageId, TipId};

/// The API version this crate describes, as `GET /api/v1/config` states it. Version 2 added
/// `POST /api/v1/tips/delete` ([`TipDeletion`]); a client uses it only with a relay that says 2
/// or more.
pub const API_VERSION: u32 = 2;

/// The first [`API_VERSION`] with `POST /api/v1/tips/delete`.
pub const API_VERSION_WITH_TIP_DELETION: u32 = 2;

/// `GET /api/v1/config`: what the widget needs to seal and send a tip.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicConfig {
    /// [`API_VERSION`].
    pub api_version: u32,
    /// The age recipients (`age1…`) every tip is sealed to, all of them.
    pub recipients: Vec<String>,
    /// Limits the widget must keep.
    pub limits: PublicLimits,
    /// The proof of work without a flood (each challenge carries its own difficulty).
    pub proof_of_work: ProofOfWorkParameters,
    /// The region the relay serves (`Drenthe`), as the form and the coordinator's tools name it.
    /// Empty from a relay older than the field.
    #[serde(default)]
    pub region: String,
    /// The region's municipalities, which a reporter can choose from, in the form's order; the
    /// form adds "somewhere else" (`other`) itself.
    pub municipalities: Vec<Municipality>,
    /// Phone numbers shown as alternatives.
    pub phone_numbers: Vec<PhoneNumber>,
}

/// The limits in [`PublicConfig`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicLimits {
    /// The largest sealed tip accepted, in bytes.
    pub max_tip_bytes: u64,
}

/// The proof of work in [`PublicConfig`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofOfWorkParameters {
    /// Expected tries per challenge without a flood.
    pub difficulty: u32,
    /// Argon2id memory per try, in KiB.
    pub memory_kib: u32,
    /// Seconds a challenge stays valid.
    pub challenge_lifetime_seconds: u64,
}

/// One municipality in the reporter's list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Municipality {
    /// A short stable identifier (`assen`), as in `data-municipality` and in the tip.
    pub id: String,
    /// The name shown.
    pub name: String,
}

/// The languages the widget speaks: a phone number's `labels` are for these only.
pub const WIDGET_LANGUAGES: [&str; 8] = ["nl", "en", "pl", "ro", "bg", "uk", "es", "ar"];

/// The longest label of a phone number, in characters.
pub const MAX_PHONE_LABEL_CHARS: usize = 120;

/// The most phone numbers a relay lists and the widget shows.
pub const MAX_PHONE_NUMBERS: usize = 12;

/// Whether `text` can be shown: 1 to `max_chars` characters, no control or
/// bidirectional-override characters, not only spaces.
pub fn is_showable(text: &str, max_chars: usize) -> bool {
    let bidi_control = |c: char| matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    !text.trim().is_empty()
        && text.chars().count() <= max_chars
        && !text.chars().any(|c| c.is_control() || bidi_control(c))
}

/// Whether `number` can be dialled as written: digits, spaces, `-`, `(` and `)`, an optional
/// leading `+`, at least three digits, at most 24 characters.
pub fn is_dialable(number: &str) -> bool {
    let digits = number.strip_prefix('+').unwrap_or(number);
    number.len() <= 24
        && digits.bytes().filter(u8::is_ascii_digit).count() >= 3
        && digits
            .bytes()
            .all(|byte| byte.is_ascii_digit() || matches!(byte, b' ' | b'-' | b'(' | b')'))
}

/// One phone number shown as an alternative.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneNumber {
    /// Who answers, for every language without a label of its own.
    pub label: String,
    /// The label per language code, such as `pl`. Absent from a relay older than the field.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// The number as dialled.
    pub number: String,
    /// The number for a foreign SIM card or from abroad. Absent when there is none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub abroad: String,
}

/// `POST /api/v1/challenges`: a stateless, single-use proof-of-work challenge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeResponse {
    /// Opaque to clients: the Argon2id salt, sent back in [`crate::headers::CHALLENGE`].
    #[serde(with = "seed_base64url")]
    pub seed: [u8; 32],
    /// Expected tries in all; progress is shown against this number.
    pub difficulty: u32,
    /// Argon2id memory per try, in KiB.
    pub memory_kib: u32,
    /// How many puzzles share the difficulty: 1 (left out of the JSON) unless the client asked
    /// for a split challenge with `?version=2`.
    #[serde(default = "one_puzzle", skip_serializing_if = "is_one_puzzle")]
    pub puzzles: u32,
    /// Seconds until the relay stops accepting it.
    pub expires_in_seconds: u64,
}

fn one_puzzle() -> u32 {
    1
}

fn is_one_puzzle(puzzles: &u32) -> bool {
    *puzzles == 1
}

/// What a successful post created: `201 {"id": …}` (or `200` for a recognised retry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Created<Id> {
    /// The stored thing's identifier.
    pub id: Id,
}

/// `GET /api/v1/tips`: the tips waiting on the relay, oldest hour first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TipList {
    /// The tips.
    pub tips: Vec<TipListEntry>,
}

/// One tip in [`TipList`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TipListEntry {
    /// The relay's id for it.
    pub id: TipId,
    /// The hour it arrived, Unix seconds rounded down to a multiple of 3600.
    pub received_hour: u64,
    /// The sealed file's size in bytes.
    pub size: u64,
}

/// The most tips one [`TipDeletion`] may name.
pub const MAX_TIPS_PER_DELETION: usize = 1000;

/// `POST /api/v1/tips/delete` (coordinator token): deletes up to [`MAX_TIPS_PER_DELETION`] tips
/// in one request, as a pull of many tips does, instead of one `DELETE` each.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TipDeletion {
    /// The tips to delete; one that is already gone is no error.
    pub ids: Vec<TipId>,
}

/// The answer to a [`TipDeletion`]: how many of the named tips were there and are gone now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TipsDeleted {
    /// How many tips were deleted.
    pub deleted: u64,
}

/// `POST /api/v1/log`: where the team log entry went (`201`, or `200` for the same entry sent
/// again).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogAppended {
    /// The entry's place in the log, counting from 1; later entries have larger numbers.
    pub sequence: u64,
}

/// `GET /api/v1/log?after=N`: the team log entries after `N`, oldest first, a page at a time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogPage {
    /// The entries.
    pub entries: Vec<LogEntryOnRelay>,
    /// Whether more entries follow the last one here (ask again with its sequence).
    pub more: bool,
}

/// One entry in [`LogPage`]: sealed to the team and signed inside by its writer, so the relay
/// can neither read nor forge it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntryOnRelay {
    /// Its place in the log.
    pub sequence: u64,
    /// The sealed age file (unpadded base64url in JSON).
    #[serde(with = "base64url_bytes")]
    pub ciphertext: Vec<u8>,
}

/// Who wrote a mailbox message, as the relay records and lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageAuthor {
    /// A coordinator; sealed to the reporter's reply key.
    Coordinator,
    /// The reporter, through the widget; sealed to the coordinators' recipients.
    Reporter,
}

impl MessageAuthor {
    /// The word for it: `coordinator` or `reporter`.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageAuthor::Coordinator => "coordinator",
            MessageAuthor::Reporter => "reporter",
        }
    }

    /// Reads the word back; `None` for anything else.
    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "coordinator" => Some(MessageAuthor::Coordinator),
            "reporter" => Some(MessageAuthor::Reporter),
            _ => None,
        }
    }
}

/// `GET /api/v1/mailboxes/{id}/messages`: the conversation, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageList {
    /// The messages.
    pub messages: Vec<MessageEntry>,
}

/// One message in [`MessageList`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageEntry {
    /// The relay's id for it.
    pub id: MessageId,
    /// Who posted it.
    pub author: MessageAuthor,
    /// The hour it arrived, Unix seconds rounded down to a multiple of 3600.
    pub received_hour: u64,
    /// The sealed age file (unpadded base64url in JSON).
    #[serde(with = "base64url_bytes")]
    pub ciphertext: Vec<u8>,
}

/// `POST /api/v1/mailboxes`: the mailbox's id and the SHA-256 of its token, nothing else.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailboxRegistration {
    /// The mailbox.
    pub id: MailboxId,
    /// SHA-256 of the 32 token bytes (the token itself never reaches the relay here).
    #[serde(with = "hex_bytes")]
    pub token_sha256: [u8; 32],
}

/// `GET /api/v1/status`: what the coordinator needs to see an attack, without content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayStatus {
    /// The proof of work's difficulty now and its bounds.
    pub difficulty: DifficultyStatus,
    /// The submissions behind the difficulty.
    pub verified_submissions: VerifiedSubmissions,
    /// Requests refused for budget or load in the last 24 hours.
    pub refused_last_day: RefusedLastDay,
    /// How many team members have a token of their own (`[[coordinator.members]]`): with two
    /// or more, an inbox leaves the tips it pulls on the relay for the others.
    #[serde(default)]
    pub team_members: u32,
}

/// The difficulty in [`RelayStatus`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DifficultyStatus {
    /// Asked of challenges issued now.
    pub current: u32,
    /// Without a flood.
    pub base: u32,
    /// The most it rises to.
    pub maximum: u32,
}

/// The verified submissions in [`RelayStatus`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedSubmissions {
    /// Submissions whose proof of work checked out in the window.
    pub in_window: u64,
    /// How many raise nothing.
    pub baseline: u64,
    /// The window's length.
    pub window_seconds: u64,
}

/// Refusals by code in [`RelayStatus`]; a code a relay does not report reads as 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RefusedLastDay {
    /// `429 rate_limited`.
    pub rate_limited: u64,
    /// `503 overloaded`.
    pub overloaded: u64,
    /// `507 storage_full`.
    pub storage_full: u64,
    /// `503 storage_busy`.
    pub storage_busy: u64,
    /// `408 request_timeout`.
    pub request_timeout: u64,
}

impl RefusedLastDay {
    /// Every count with its code.
    pub fn by_code(&self) -> [(&'static str, u64); 5] {
        [
            ("rate_limited", self.rate_limited),
            ("overloaded", self.overloaded),
            ("storage_full", self.storage_full),
            ("storage_busy", self.storage_busy),
            ("request_timeout", self.request_timeout),
        ]
    }

    /// All refusals together.
    pub fn total(&self) -> u64 {
        self.by_code().iter().map(|(_, count)| count).sum()
    }
}

impl DifficultyStatus {
    /// Whether the relay asks more work than usual: it saw unusually many submissions.
    pub fn is_raised(&self) -> bool {
        self.current > self.base
    }
}

/// `GET /healthz` and `GET /readyz`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// `ok` (`/healthz`: the process answers) or `ready` (`/readyz`: the storage takes writes).
    pub status: String,
}

/// Serde glue: the challenge seed as exactly 32 bytes of unpadded base64url.
mod seed_base64url {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        seed: &[u8; 32],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&crate::codec::encode_base64url(seed))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<[u8; 32], D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        crate::codec::decode_base64url(&text)
            .ok_or_else(|| D::Error::custom("seed must be 32 bytes of unpadded base64url"))
    }
}
