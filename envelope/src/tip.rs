//! The tip document the widget fills in and the coordinator reads, and its padding.
//!
//! # The document
//!
//! A tip is a JSON object, schema version 1. Every form step can be skipped except the
//! description, so every field but `v` and `text` is optional:
//!
//! ```json
//! {"v":1,"kinds":["sexual","criminal"],"role":"witness","how_known":"saw_it_myself",
//!  "signals":["general.no_id_documents","criminal.forced_begging"],"municipality":"assen",
//!  "when":{"date":"2025-03-01","ongoing":true},"where":"the farm on the Rolderweg","text":"…",
//!  "contact":"by e-mail, after 18:00","reply":{"mailbox":"ed76…848c","recipient":"age1…"}}
//! ```
//!
//! # One kind, or several
//!
//! `kinds` lists every kind of exploitation the reporter chose (sexual and criminal
//! exploitation often go together), each at most once, at most [`MAX_KINDS`]. Tips written
//! before the form allowed several carry a single string under `kind`
//! (`"kind":"labour"`); such a tip reads as `kinds: [labour]`, and is written back as `kinds`.
//! A document with both fields is invalid. This needed no new schema version: `kind` keeps its
//! meaning and `kinds` is a new field, so an inbox from before `kinds` still opens a newer tip
//! and keeps `kinds` (and `how_known`) as unknown fields, shown and exported as they came.
//!
//! Made to last: fields this version does not know, at the top level and inside `when` and
//! `reply`, are kept and written back unchanged in meaning; kinds, roles, municipalities and
//! signals this version does not know are kept as they were written (see [`vocabulary`]). So an
//! older inbox reads, shows and exports a tip from a newer widget without losing anything. A
//! different schema version (`v` other than 1) is rejected: it would mean the meaning of a known
//! field changed.
//!
//! # Padding, and what an observer learns
//!
//! [`pad`] appends ASCII spaces to the JSON until it fills a size bucket, so `age -d` still gives
//! valid JSON and trailing whitespace is all a reader has to ignore. The buckets are
//! 1, 2, 4, 8, 16, 32 and 64 KiB, then every multiple of 64 KiB (128, 192 and 256 KiB, where
//! [`MAX_DOCUMENT_BYTES`] stops a document). A document of exactly a bucket's size is not padded.
//!
//! The sealed file's size is the padded size plus age's fixed overhead: the header (fixed for a
//! given set of recipients, so the same for every tip to the same coordinator keys) and 16 bytes
//! per started 64 KiB chunk. So whoever holds the ciphertext (the relay, a network observer
//! without TLS, a thief of the coordinator's store) learns exactly the bucket and nothing
//! finer: for a typical tip, that the JSON was under 1 KiB (a few sentences), 1–2 KiB, 2–4 KiB
//! and so on. They learn nothing about which fields are filled in, which kind or municipality
//! was chosen, or whether the reporter asked to be contacted, beyond what that coarse length
//! implies. The number of recipients shows in the header, but that is the relay's configuration,
//! not the reporter's.

pub mod vocabulary;

use core::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use self::vocabulary::{HowKnown, Kind, Municipality, Role, signals};
use crate::age::Recipient;
use crate::error::{Error, Result};
use crate::receipt::{MailboxId, MailboxKeys};

/// The schema version this crate reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// The largest document, padded or not, in bytes (256 KiB). [`TipDocument::from_bytes`] rejects
/// larger input before parsing it, and [`TipDocument::to_padded_bytes`] never produces more.
/// A document with every field at its limit fits with room to spare for unknown fields.
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// The longest description, in characters (Unicode scalar values). A browser's `maxlength`
/// counts UTF-16 units, of which every character has at least one, so `maxlength="20000"` on the
/// text area never exceeds it.
pub const MAX_TEXT_CHARS: usize = 20_000;

/// The most signals one document may list.
pub const MAX_SIGNALS: usize = 64;

/// The most kinds one document may list: room for every kind a newer widget may add.
pub const MAX_KINDS: usize = 16;

/// The longest `where` text, in characters.
pub const MAX_PLACE_CHARS: usize = 500;

/// The longest free-text part of `when`, in characters.
pub const MAX_WHEN_TEXT_CHARS: usize = 500;

/// The longest contact wish, in characters.
pub const MAX_CONTACT_CHARS: usize = 1_000;

/// The longest mailbox id in `reply`, in characters (ours are 64).
pub const MAX_MAILBOX_CHARS: usize = 128;

/// The longest reply recipient in `reply`, in characters: room for a post-quantum recipient
/// (about 2 000 characters), not only X25519's 62.
pub const MAX_RECIPIENT_CHARS: usize = 4_096;

/// The smallest padding bucket, in bytes; buckets double from here up to [`LARGE_BUCKET_BYTES`].
pub const SMALLEST_BUCKET_BYTES: usize = 1024;

/// The bucket size from which buckets grow by whole multiples of itself rather than doubling.
pub const LARGE_BUCKET_BYTES: usize = 64 * 1024;

/// A tip, schema version 1. Fields with `None` or empty values are left out of the JSON.
///
/// Its `Debug` form leaves out every free-text field: a tip's words must not end up in a log.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct TipDocument {
    /// The schema version; always [`SCHEMA_VERSION`] in a valid document.
    pub v: u32,
    /// The kinds of exploitation the reporter thinks it is, in form order, each at most once
    /// (JSON field `kinds`; a document from before several kinds were possible has one under
    /// `kind`, read here as a list of one).
    #[serde(
        default,
        alias = "kind",
        deserialize_with = "one_or_more_kinds",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub kinds: Vec<Kind>,
    /// Who is reporting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// How the reporter knows: saw it, was told, heard it from others, or it is about them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub how_known: Option<HowKnown>,
    /// The signals the reporter ticked, as identifiers from [`signals`] (unknown ones are kept).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signals: Vec<String>,
    /// The municipality where it happens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub municipality: Option<Municipality>,
    /// When it happened or happens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<When>,
    /// Where it happens, in the reporter's words (JSON field `where`).
    #[serde(default, rename = "where", skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    /// What happened: the description, the one field the reporter must fill in.
    pub text: String,
    /// Whether and how the reporter wants to be contacted, in their own words. Filling it in
    /// lifts their anonymity, and the widget says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// Where the coordinator can send an anonymous reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<ReplyInfo>,
    /// Through which channel a signal the coordinator registered by hand came in; absent for a
    /// tip sent through the form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// Fields this version does not know, kept as they were read.
    #[serde(flatten)]
    pub unknown_fields: Map<String, Value>,
}

/// The channel a signal came in through, when the coordinator registers it by hand (a tip sent
/// through the form has none): so that the picture of the region holds every signal, side by
/// side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A phone call.
    Phone,
    /// The Zorgcoördinatie Mensenhandel (ZVHD) or another care coordination.
    Zvhd,
    /// The police.
    Police,
    /// The GGD (public health service).
    Ggd,
    /// The municipality.
    Municipality,
    /// Any other channel.
    Other,
}

impl Source {
    /// Every channel, in a fixed order.
    pub const ALL: [Source; 6] = [
        Source::Phone,
        Source::Zvhd,
        Source::Police,
        Source::Ggd,
        Source::Municipality,
        Source::Other,
    ];

    /// The identifier, as the JSON writes it.
    pub fn id(self) -> &'static str {
        match self {
            Source::Phone => "phone",
            Source::Zvhd => "zvhd",
            Source::Police => "police",
            Source::Ggd => "ggd",
            Source::Municipality => "municipality",
            Source::Other => "other",
        }
    }
}

/// When it happened: a date, whether it is still going on, and the reporter's own words. All
/// optional, in any combination ("since 1 March, still going on").
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct When {
    /// A calendar date as `YYYY-MM-DD` (what an HTML date input gives).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Whether it is still going on.
    #[serde(default, skip_serializing_if = "is_false")]
    pub ongoing: bool,
    /// The reporter's own words, e.g. "last summer", "every weekend".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Fields this version does not know, kept as they were read.
    #[serde(flatten)]
    pub unknown_fields: Map<String, Value>,
}

/// Where the coordinator can reply without learning who the reporter is: the mailbox on the
/// relay and the recipient to seal replies to, both derived from the receipt code.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplyInfo {
    /// The mailbox id (see [`MailboxId`]).
    pub mailbox: String,
    /// The reporter's reply recipient: `age1…` (X25519) in a tip sealed to X25519 recipients,
    /// `age1pq1…` (hybrid post-quantum) in one sealed to hybrid recipients (see
    /// [`MailboxKeys::reply_identity_for`]).
    pub recipient: String,
    /// The key the reporter's answers are authenticated with (32 bytes, unpadded base64url);
    /// absent in tips from widgets before answers were authenticated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_key: Option<String>,
    /// Fields this version does not know, kept as they were read.
    #[serde(flatten)]
    pub unknown_fields: Map<String, Value>,
}

impl ReplyInfo {
    /// The reply information for the keys derived from a receipt code, in a tip sealed to
    /// coordinators whose keys are hybrid (`post_quantum`) or X25519: the reply recipient is of
    /// the same kind, so that every message of the conversation can be sealed to the reporter
    /// and the coordinators at once.
    pub fn from_mailbox_keys(keys: &MailboxKeys, post_quantum: bool) -> Self {
        Self {
            mailbox: keys.mailbox_id.as_str().to_owned(),
            recipient: keys
                .reply_identity_for(post_quantum)
                .to_recipient()
                .to_string(),
            answer_key: Some(base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                keys.answer_key.as_slice(),
            )),
            unknown_fields: Map::new(),
        }
    }

    /// The key the reporter's answers are authenticated with, if the tip carries a well-formed
    /// one.
    pub fn answer_key(&self) -> Option<zeroize::Zeroizing<[u8; 32]>> {
        let bytes = base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            self.answer_key.as_deref()?,
        )
        .ok()?;
        let key: [u8; 32] = bytes.try_into().ok()?;
        Some(zeroize::Zeroizing::new(key))
    }

    /// The mailbox id, or `None` if it is not one of ours.
    pub fn mailbox_id(&self) -> Option<MailboxId> {
        MailboxId::parse(&self.mailbox)
    }

    /// The recipient to seal replies to; fails with [`Error::InvalidKey`] if it is not an
    /// `age1…` or `age1pq1…` recipient this version can seal to.
    pub fn recipient(&self) -> Result<Recipient> {
        self.recipient.parse()
    }
}

impl TipDocument {
    /// A version-1 document with only the description filled in.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            v: SCHEMA_VERSION,
            kinds: Vec::new(),
            role: None,
            how_known: None,
            signals: Vec::new(),
            municipality: None,
            when: None,
            place: None,
            text: text.into(),
            contact: None,
            reply: None,
            source: None,
            unknown_fields: Map::new(),
        }
    }

    /// Checks what a reader relies on: version 1, a description that is not blank, every size
    /// limit, well-formed identifiers, and a real calendar date.
    ///
    /// Fails with [`Error::InvalidDocument`] for a wrong version, a blank description, a
    /// malformed identifier or date, and with [`Error::TooLarge`] for a field over its limit.
    /// Unknown identifiers and unknown fields are fine: they come from newer widgets.
    pub fn validate(&self) -> Result<()> {
        if self.v != SCHEMA_VERSION {
            return Err(Error::InvalidDocument);
        }
        if self.text.trim().is_empty() {
            return Err(Error::InvalidDocument);
        }
        check_char_limit(&self.text, MAX_TEXT_CHARS)?;
        if self.signals.len() > MAX_SIGNALS || self.kinds.len() > MAX_KINDS {
            return Err(Error::TooLarge);
        }
        for (index, kind) in self.kinds.iter().enumerate() {
            if self.kinds[..index].contains(kind) {
                return Err(Error::InvalidDocument);
            }
        }
        let identifiers = self
            .signals
            .iter()
            .map(String::as_str)
            .chain(self.kinds.iter().map(Kind::as_str))
            .chain(self.role.as_ref().map(Role::as_str))
            .chain(self.how_known.as_ref().map(HowKnown::as_str))
            .chain(self.municipality.as_ref().map(Municipality::as_str));
        for identifier in identifiers {
            if identifier.len() > vocabulary::MAX_IDENTIFIER_BYTES {
                return Err(Error::TooLarge);
            }
            if !vocabulary::is_well_formed_identifier(identifier) {
                return Err(Error::InvalidDocument);
            }
        }
        if let Some(place) = &self.place {
            check_char_limit(place, MAX_PLACE_CHARS)?;
        }
        if let Some(contact) = &self.contact {
            check_char_limit(contact, MAX_CONTACT_CHARS)?;
        }
        if let Some(when) = &self.when {
            if let Some(text) = &when.text {
                check_char_limit(text, MAX_WHEN_TEXT_CHARS)?;
            }
            if let Some(date) = &when.date
                && !is_calendar_date(date)
            {
                return Err(Error::InvalidDocument);
            }
        }
        if let Some(reply) = &self.reply {
            check_char_limit(&reply.mailbox, MAX_MAILBOX_CHARS)?;
            check_char_limit(&reply.recipient, MAX_RECIPIENT_CHARS)?;
        }
        Ok(())
    }

    /// Validates, serializes to JSON and pads to a size bucket: the bytes to seal.
    ///
    /// Fails like [`TipDocument::validate`], or with [`Error::TooLarge`] if the JSON (with its
    /// unknown fields) exceeds [`MAX_DOCUMENT_BYTES`].
    pub fn to_padded_bytes(&self) -> Result<Vec<u8>> {
        self.validate()?;
        let json = serde_json::to_vec(self).map_err(|_| Error::InvalidDocument)?;
        if json.len() > MAX_DOCUMENT_BYTES {
            return Err(Error::TooLarge);
        }
        Ok(pad(&json))
    }

    /// Reads a (padded or unpadded) document, as it comes out of `age -d`, and validates it.
    ///
    /// Fails with [`Error::TooLarge`] for input over [`MAX_DOCUMENT_BYTES`] (before parsing), with
    /// [`Error::InvalidDocument`] for anything that is not a JSON tip document, and otherwise
    /// like [`TipDocument::validate`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::from_bytes_with(bytes, |json| serde_json::from_str(json).ok())
    }

    /// Reads a document like [`TipDocument::from_bytes`], with `parse` reading the JSON text in
    /// place of `serde_json` (the widget's crypto worker uses the browser's parser).
    pub fn from_bytes_with(bytes: &[u8], parse: impl FnOnce(&str) -> Option<Self>) -> Result<Self> {
        let document = read_padded(bytes, MAX_DOCUMENT_BYTES, parse)?;
        document.validate()?;
        Ok(document)
    }
}

impl fmt::Debug for TipDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TipDocument")
            .field("v", &self.v)
            .field("kinds", &self.kinds)
            .field("role", &self.role)
            .field("how_known", &self.how_known)
            .field("signals", &self.signals)
            .field("municipality", &self.municipality)
            .field("text_chars", &self.text.chars().count())
            .field("has_when", &self.when.is_some())
            .field("has_place", &self.place.is_some())
            .field("has_contact", &self.contact.is_some())
            .field("has_reply", &self.reply.is_some())
            .field("unknown_field_names", &self.unknown_fields.keys())
            .finish()
    }
}

/// The bucket a document of `length` bytes is padded to: the smallest of 1, 2, 4, …, 64 KiB
/// that holds it, or above 64 KiB the next multiple of 64 KiB.
pub fn padded_length(length: usize) -> usize {
    if length <= LARGE_BUCKET_BYTES {
        length.max(SMALLEST_BUCKET_BYTES).next_power_of_two()
    } else {
        length.div_ceil(LARGE_BUCKET_BYTES) * LARGE_BUCKET_BYTES
    }
}

/// Appends ASCII spaces to `json` up to its bucket (see [`padded_length`]). JSON allows trailing
/// whitespace, so the result is still the same JSON document.
pub fn pad(json: &[u8]) -> Vec<u8> {
    let mut padded = Vec::with_capacity(padded_length(json.len()));
    padded.extend_from_slice(json);
    padded.resize(padded_length(json.len()), b' ');
    padded
}

/// The document without its padding: `padded` with trailing JSON whitespace (spaces, tabs, line
/// breaks) removed.
pub fn unpad(padded: &[u8]) -> &[u8] {
    let end = padded
        .iter()
        .rposition(|byte| !matches!(byte, b' ' | b'\t' | b'\n' | b'\r'))
        .map_or(0, |position| position + 1);
    &padded[..end]
}

/// Reads a padded (or unpadded) JSON document of at most `max_bytes` with `parse`: refused with
/// [`Error::TooLarge`] above that before parsing, with [`Error::InvalidDocument`] if it is not
/// UTF-8 or `parse` finds no document in it.
pub(crate) fn read_padded<T>(
    bytes: &[u8],
    max_bytes: usize,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T> {
    if bytes.len() > max_bytes {
        return Err(Error::TooLarge);
    }
    let json = std::str::from_utf8(unpad(bytes)).map_err(|_| Error::InvalidDocument)?;
    parse(json).ok_or(Error::InvalidDocument)
}

/// [`Error::TooLarge`] if `text` has more than `limit` characters.
fn check_char_limit(text: &str, limit: usize) -> Result<()> {
    // Any text of at most `limit` bytes has at most `limit` characters; skip the count.
    if text.len() > limit && text.chars().count() > limit {
        return Err(Error::TooLarge);
    }
    Ok(())
}

/// Whether `text` is a real calendar date `YYYY-MM-DD` (years 0001 to 9999, leap years counted).
fn is_calendar_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    let number = |range: core::ops::Range<usize>| -> Option<u32> {
        let digits = &text[range];
        digits
            .bytes()
            .all(|byte| byte.is_ascii_digit())
            .then(|| digits.parse().ok())
            .flatten()
    };
    let (Some(year), Some(month), Some(day)) = (number(0..4), number(5..7), number(8..10)) else {
        return false;
    };
    let is_leap_year = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year => 29,
        2 => 28,
        _ => return false,
    };
    year >= 1 && (1..=days_in_month).contains(&day)
}

/// Reads `kinds` as a list of identifiers, or the single identifier older documents carry under
/// `kind`.
fn one_or_more_kinds<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> core::result::Result<Vec<Kind>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMore {
        One(Kind),
        More(Vec<Kind>),
    }
    Ok(match OneOrMore::deserialize(deserializer)? {
        OneOrMore::One(kind) => vec![kind],
        OneOrMore::More(kinds) => kinds,
    })
}

/// For `skip_serializing_if`: leave `false` out of the JSON.
fn is_false(value: &bool) -> bool {
    !*value
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::receipt::ReceiptCode;

    fn full_document() -> TipDocument {
        TipDocument {
            v: 1,
            kinds: vec![Kind::Labour, Kind::Criminal],
            role: Some(Role::Witness),
            how_known: Some(HowKnown::SawItMyself),
            signals: vec![
                signals::GENERAL_NO_ID_DOCUMENTS.to_owned(),
                signals::LABOUR_VERY_LONG_DAYS.to_owned(),
            ],
            municipality: Some(Municipality::from_id("assen")),
            when: Some(When {
                date: Some("2025-03-01".to_owned()),
                ongoing: true,
                text: Some("every night".to_owned()),
                unknown_fields: Map::new(),
            }),
            place: Some("the farm on the Rolderweg".to_owned()),
            text: "Eight people sleep in one shed and work from 5 in the morning.".to_owned(),
            contact: Some("e-mail after 18:00".to_owned()),
            reply: Some(ReplyInfo {
                mailbox: "ab".repeat(32),
                recipient: "age13k4yj7l6kwc9prgj4y6z9l0v8gl8lrn7m6dvz4j4r4jxkputyf9srcmadm"
                    .to_owned(),
                answer_key: None,
                unknown_fields: Map::new(),
            }),
            source: Some(Source::Phone),
            unknown_fields: Map::new(),
        }
    }

    #[test]
    fn a_reader_of_its_own_gets_the_unpadded_text_and_nothing_over_the_limit() {
        let padded = full_document().to_padded_bytes().unwrap();
        let mut given = String::new();
        let document = TipDocument::from_bytes_with(&padded, |json| {
            given = json.to_owned();
            serde_json::from_str(json).ok()
        })
        .unwrap();
        assert!(document == full_document());
        assert!(given.starts_with('{') && given.ends_with('}'), "{given}");
        let refused = |bytes: &[u8]| {
            TipDocument::from_bytes_with(bytes, |_| panic!("parsed bytes it should refuse"))
                .unwrap_err()
        };
        assert_eq!(
            refused(&vec![b' '; MAX_DOCUMENT_BYTES + 1]),
            Error::TooLarge
        );
        assert_eq!(
            refused(b"{\"v\":1,\"text\":\"\xff\"}"),
            Error::InvalidDocument
        );
        assert_eq!(
            TipDocument::from_bytes_with(&padded, |_| None).unwrap_err(),
            Error::InvalidDocument
        );
    }

    #[test]
    fn full_document_round_trips_through_padded_bytes() {
        let document = full_document();
        let padded = document.to_padded_bytes().unwrap();
        assert_eq!(padded.len(), 1024);
        assert_eq!(TipDocument::from_bytes(&padded).unwrap(), document);
    }

    #[test]
    fn json_uses_the_documented_field_names() {
        let value = serde_json::to_value(full_document()).unwrap();
        assert_eq!(
            value,
            json!({
                "v": 1,
                "kinds": ["labour", "criminal"],
                "role": "witness",
                "how_known": "saw_it_myself",
                "signals": ["general.no_id_documents", "labour.very_long_days"],
                "municipality": "assen",
                "when": {"date": "2025-03-01", "ongoing": true, "text": "every night"},
                "where": "the farm on the Rolderweg",
                "text": "Eight people sleep in one shed and work from 5 in the morning.",
                "contact": "e-mail after 18:00",
                "reply": {
                    "mailbox": "ab".repeat(32),
                    "recipient": "age13k4yj7l6kwc9prgj4y6z9l0v8gl8lrn7m6dvz4j4r4jxkputyf9srcmadm"
                },
                "source": "phone"
            })
        );
    }

    #[test]
    fn minimal_document_has_only_version_and_text() {
        let document = TipDocument::new("I saw something.");
        assert_eq!(
            serde_json::to_string(&document).unwrap(),
            r#"{"v":1,"text":"I saw something."}"#
        );
        let read = TipDocument::from_bytes(br#"{"v":1,"text":"I saw something."}"#).unwrap();
        assert_eq!(read, document);
    }

    #[test]
    fn padded_output_is_valid_json_with_only_trailing_spaces() {
        let padded = full_document().to_padded_bytes().unwrap();
        let json = serde_json::to_vec(&full_document()).unwrap();
        assert_eq!(&padded[..json.len()], json.as_slice());
        assert!(padded[json.len()..].iter().all(|&byte| byte == b' '));
        let value: Value = serde_json::from_slice(&padded).unwrap();
        assert_eq!(value["kinds"], json!(["labour", "criminal"]));
        assert_eq!(unpad(&padded), json.as_slice());
    }

    #[test]
    fn unknown_fields_survive_a_round_trip_at_every_level() {
        let newer = json!({
            "v": 1,
            "text": "from a newer widget",
            "language": "pl",
            "attachments": [{"name": "photo.jpg", "size": 12345}],
            "when": {"date": "2024-02-29", "approximate": true},
            "reply": {
                "mailbox": "cd".repeat(32),
                "recipient": "age1pq1examplexyz",
                "expires": "2025-06-01"
            }
        });
        let bytes = serde_json::to_vec(&newer).unwrap();
        let document = TipDocument::from_bytes(&bytes).unwrap();
        assert_eq!(document.unknown_fields["language"], "pl");
        assert_eq!(
            document.when.as_ref().unwrap().unknown_fields["approximate"],
            true
        );
        assert_eq!(
            document.reply.as_ref().unwrap().unknown_fields["expires"],
            "2025-06-01"
        );
        let written: Value = serde_json::from_slice(&document.to_padded_bytes().unwrap()).unwrap();
        assert_eq!(written, newer);
    }

    #[test]
    fn unknown_identifiers_from_a_newer_widget_are_kept() {
        let newer = json!({
            "v": 1,
            "kinds": ["forced_begging", "sexual"],
            "role": "teacher",
            "how_known": "read_it_online",
            "municipality": "groningen",
            "signals": ["begging.on_the_street", "general.no_id_documents"],
            "text": "new vocabulary"
        });
        let document = TipDocument::from_bytes(&serde_json::to_vec(&newer).unwrap()).unwrap();
        assert_eq!(
            document.kinds,
            [Kind::Unknown("forced_begging".to_owned()), Kind::Sexual]
        );
        assert_eq!(document.role, Some(Role::Unknown("teacher".to_owned())));
        assert_eq!(
            document.how_known,
            Some(HowKnown::Unknown("read_it_online".to_owned()))
        );
        assert_eq!(
            document.municipality,
            Some(Municipality::from_id("groningen"))
        );
        assert!(!signals::is_known(&document.signals[0]));
        assert_eq!(serde_json::to_value(&document).unwrap(), newer);
    }

    #[test]
    fn an_older_tip_with_one_kind_reads_as_a_list_of_one() {
        let older = br#"{"v":1,"kind":"labour","role":"witness","text":"from an older widget"}"#;
        let document = TipDocument::from_bytes(older).unwrap();
        assert_eq!(document.kinds, [Kind::Labour]);
        assert_eq!(document.role, Some(Role::Witness));
        assert_eq!(document.how_known, None);
        assert!(document.unknown_fields.is_empty());
        let written: Value = serde_json::from_slice(&document.to_padded_bytes().unwrap()).unwrap();
        assert_eq!(
            written,
            json!({"v": 1, "kinds": ["labour"], "role": "witness", "text": "from an older widget"})
        );
        let unknown_kind = TipDocument::from_bytes(br#"{"v":1,"kind":"future","text":"t"}"#);
        assert_eq!(
            unknown_kind.unwrap().kinds,
            [Kind::Unknown("future".to_owned())]
        );
        let no_kind = TipDocument::from_bytes(br#"{"v":1,"kinds":[],"text":"t"}"#).unwrap();
        assert!(no_kind.kinds.is_empty());
    }

    #[test]
    fn a_tip_with_two_kinds_and_how_known_round_trips() {
        let mut document = TipDocument::new("They beg in the morning and sell at night.");
        document.kinds = vec![Kind::Sexual, Kind::Criminal];
        document.how_known = Some(HowKnown::PersonToldMe);
        document.signals = vec![
            signals::GENERAL_UNDER_18.to_owned(),
            signals::CRIMINAL_FORCED_BEGGING.to_owned(),
        ];
        let padded = document.to_padded_bytes().unwrap();
        let value: Value = serde_json::from_slice(&padded).unwrap();
        assert_eq!(value["kinds"], json!(["sexual", "criminal"]));
        assert_eq!(value["how_known"], "person_told_me");
        assert_eq!(value.get("kind"), None);
        assert_eq!(TipDocument::from_bytes(&padded).unwrap(), document);
    }

    #[test]
    fn other_schema_versions_are_rejected() {
        for version in [0, 2, 100] {
            let bytes = format!(r#"{{"v":{version},"text":"hello"}}"#);
            assert_eq!(
                TipDocument::from_bytes(bytes.as_bytes()),
                Err(Error::InvalidDocument)
            );
        }
        assert_eq!(
            TipDocument::from_bytes(br#"{"text":"no version"}"#),
            Err(Error::InvalidDocument)
        );
        assert_eq!(
            TipDocument::from_bytes(br#"{"v":"1","text":"string version"}"#),
            Err(Error::InvalidDocument)
        );
    }

    #[test]
    fn missing_or_blank_text_is_rejected() {
        for bytes in [
            &br#"{"v":1}"#[..],
            br#"{"v":1,"text":""}"#,
            br#"{"v":1,"text":"  \n\t "}"#,
            br#"{"v":1,"text":null}"#,
        ] {
            assert_eq!(TipDocument::from_bytes(bytes), Err(Error::InvalidDocument));
        }
        assert_eq!(
            TipDocument::new(" ").to_padded_bytes(),
            Err(Error::InvalidDocument)
        );
    }

    #[test]
    fn malformed_input_is_rejected() {
        for bytes in [
            &b""[..],
            b"   ",
            b"[]",
            b"null",
            b"{\"v\":1,\"text\":\"unterminated",
            b"{\"v\":1,\"text\":\"ok\"} trailing",
            b"\xff\xfe",
        ] {
            assert_eq!(TipDocument::from_bytes(bytes), Err(Error::InvalidDocument));
        }
    }

    #[test]
    fn oversized_input_is_rejected_before_parsing() {
        let mut huge = br#"{"v":1,"text":"hello"}"#.to_vec();
        huge.resize(MAX_DOCUMENT_BYTES + 1, b' ');
        assert_eq!(TipDocument::from_bytes(&huge), Err(Error::TooLarge));
        huge.truncate(MAX_DOCUMENT_BYTES);
        assert!(TipDocument::from_bytes(&huge).is_ok());
    }

    #[test]
    fn text_limit_counts_characters_not_bytes() {
        let mut document = TipDocument::new("é".repeat(MAX_TEXT_CHARS));
        assert_eq!(document.validate(), Ok(()));
        let padded = document.to_padded_bytes().unwrap();
        assert_eq!(TipDocument::from_bytes(&padded).unwrap(), document);
        document.text.push('x');
        assert_eq!(document.validate(), Err(Error::TooLarge));
    }

    #[test]
    fn each_field_limit_is_enforced() {
        let mut too_many_signals = TipDocument::new("text");
        too_many_signals.signals = (0..=MAX_SIGNALS)
            .map(|index| format!("general.signal_{index}"))
            .collect();
        assert_eq!(too_many_signals.validate(), Err(Error::TooLarge));
        too_many_signals.signals.pop();
        assert_eq!(too_many_signals.validate(), Ok(()));

        let over = |limit: usize| "x".repeat(limit + 1);
        let at = |limit: usize| "x".repeat(limit);
        type FieldSetter = fn(&mut TipDocument, String);
        let setters: [(usize, FieldSetter); 5] = [
            (MAX_PLACE_CHARS, |document, text| {
                document.place = Some(text)
            }),
            (MAX_CONTACT_CHARS, |document, text| {
                document.contact = Some(text)
            }),
            (MAX_WHEN_TEXT_CHARS, |document, text| {
                document.when = Some(When {
                    text: Some(text),
                    ..When::default()
                })
            }),
            (MAX_MAILBOX_CHARS, |document, text| {
                document.reply = Some(ReplyInfo {
                    mailbox: text,
                    recipient: "age1x".to_owned(),
                    answer_key: None,
                    unknown_fields: Map::new(),
                })
            }),
            (MAX_RECIPIENT_CHARS, |document, text| {
                document.reply = Some(ReplyInfo {
                    mailbox: "ab".repeat(32),
                    recipient: text,
                    answer_key: None,
                    unknown_fields: Map::new(),
                })
            }),
        ];
        for (limit, set) in setters {
            let mut document = TipDocument::new("text");
            set(&mut document, at(limit));
            assert_eq!(document.validate(), Ok(()), "limit {limit}");
            set(&mut document, over(limit));
            assert_eq!(document.validate(), Err(Error::TooLarge), "limit {limit}");
        }

        let mut long_identifier = TipDocument::new("text");
        long_identifier.kinds = vec![Kind::Unknown("k".repeat(65))];
        assert_eq!(long_identifier.validate(), Err(Error::TooLarge));

        let mut too_many_kinds = TipDocument::new("text");
        too_many_kinds.kinds = (0..=MAX_KINDS)
            .map(|index| Kind::Unknown(format!("kind_{index}")))
            .collect();
        assert_eq!(too_many_kinds.validate(), Err(Error::TooLarge));
        too_many_kinds.kinds.pop();
        assert_eq!(too_many_kinds.validate(), Ok(()));
    }

    #[test]
    fn malformed_identifiers_are_rejected() {
        let cases = [
            json!({"v": 1, "text": "t", "kind": "Sexual Work"}),
            json!({"v": 1, "text": "t", "kinds": ["labour", "Sexual Work"]}),
            json!({"v": 1, "text": "t", "how_known": "I saw it"}),
            json!({"v": 1, "text": "t", "kinds": ["labour", "labour"]}),
            json!({"v": 1, "text": "t", "kind": "labour", "kinds": ["sexual"]}),
            json!({"v": 1, "text": "t", "kinds": [["labour"]]}),
            json!({"v": 1, "text": "t", "role": "\u{1b}[31m"}),
            json!({"v": 1, "text": "t", "municipality": ""}),
            json!({"v": 1, "text": "t", "signals": ["<script>"]}),
        ];
        for case in cases {
            let bytes = serde_json::to_vec(&case).unwrap();
            assert_eq!(
                TipDocument::from_bytes(&bytes),
                Err(Error::InvalidDocument),
                "{case}"
            );
        }
        assert_eq!(
            TipDocument::from_bytes(br#"{"v":1,"text":"t","kind":5}"#),
            Err(Error::InvalidDocument)
        );
    }

    #[test]
    fn dates_must_be_real_calendar_dates() {
        for good in [
            "2025-03-01",
            "2024-02-29",
            "2000-02-29",
            "0001-01-01",
            "9999-12-31",
        ] {
            assert!(is_calendar_date(good), "{good}");
        }
        for bad in [
            "2025-02-29",
            "1900-02-29",
            "2025-13-01",
            "2025-00-10",
            "2025-04-31",
            "2025-01-00",
            "0000-01-01",
            "2025-3-1",
            "25-03-01",
            "2025/03/01",
            "2025-03-01T10:00",
            "+025-03-01",
            "2025-0a-01",
            "",
        ] {
            assert!(!is_calendar_date(bad), "{bad}");
        }
        let mut document = TipDocument::new("text");
        document.when = Some(When {
            date: Some("2025-02-30".to_owned()),
            ..When::default()
        });
        assert_eq!(document.validate(), Err(Error::InvalidDocument));
    }

    #[test]
    fn buckets_are_powers_of_two_then_multiples_of_64_kib() {
        let kib = 1024;
        let expectations = [
            (0, kib),
            (1, kib),
            (kib, kib),
            (kib + 1, 2 * kib),
            (3 * kib, 4 * kib),
            (32 * kib + 1, 64 * kib),
            (64 * kib, 64 * kib),
            (64 * kib + 1, 128 * kib),
            (128 * kib + 1, 192 * kib),
            (200 * kib, 256 * kib),
            (256 * kib, 256 * kib),
        ];
        for (length, bucket) in expectations {
            assert_eq!(padded_length(length), bucket, "length {length}");
            let padded = pad(&vec![b'{'; length]);
            assert_eq!(padded.len(), bucket);
        }
    }

    #[test]
    fn unpad_removes_only_trailing_whitespace() {
        assert_eq!(unpad(b"{\"a\": 1} \n\t\r  "), b"{\"a\": 1}");
        assert_eq!(unpad(b"  {}"), b"  {}");
        assert_eq!(unpad(b"    "), b"");
        assert_eq!(unpad(b""), b"");
    }

    #[test]
    fn documents_too_large_to_seal_are_refused() {
        let mut document = TipDocument::new("text");
        document.unknown_fields.insert(
            "blob".to_owned(),
            Value::String("x".repeat(MAX_DOCUMENT_BYTES)),
        );
        assert_eq!(document.to_padded_bytes(), Err(Error::TooLarge));
    }

    #[test]
    fn every_limit_at_once_still_fits_the_largest_bucket() {
        // Control characters are escaped as six bytes each: the worst case for every text field.
        let worst = |count: usize| "\u{1}".repeat(count);
        let mut document = TipDocument::new(format!("a{}", worst(MAX_TEXT_CHARS - 1)));
        document.place = Some(worst(MAX_PLACE_CHARS));
        document.contact = Some(worst(MAX_CONTACT_CHARS));
        document.when = Some(When {
            date: Some("2025-01-01".to_owned()),
            ongoing: true,
            text: Some(worst(MAX_WHEN_TEXT_CHARS)),
            unknown_fields: Map::new(),
        });
        document.reply = Some(ReplyInfo {
            mailbox: worst(MAX_MAILBOX_CHARS),
            recipient: worst(MAX_RECIPIENT_CHARS),
            answer_key: None,
            unknown_fields: Map::new(),
        });
        document.signals = (0..MAX_SIGNALS)
            .map(|index| format!("general.{index:0>56}"))
            .collect();
        let padded = document.to_padded_bytes().unwrap();
        assert!(padded.len() <= MAX_DOCUMENT_BYTES);
        assert_eq!(TipDocument::from_bytes(&padded).unwrap(), document);
    }

    #[test]
    fn reply_info_from_receipt_keys_points_back_to_them() {
        let code = ReceiptCode::generate().unwrap();
        let keys = code.derive_keys().unwrap();
        let reply = ReplyInfo::from_mailbox_keys(&keys, false);
        assert_eq!(reply.mailbox_id(), Some(keys.mailbox_id.clone()));
        assert_eq!(
            reply.recipient().unwrap(),
            keys.reply_identity.to_recipient()
        );
        let mut document = TipDocument::new("please answer me");
        document.reply = Some(reply);
        let read = TipDocument::from_bytes(&document.to_padded_bytes().unwrap()).unwrap();
        assert_eq!(read, document);

        // In a tip to hybrid coordinators, the hybrid reply key; it fits the limit and a bucket.
        let hybrid = ReplyInfo::from_mailbox_keys(&keys, true);
        let recipient = hybrid.recipient().unwrap();
        assert!(recipient.is_post_quantum());
        assert_eq!(recipient, keys.reply_hybrid_identity.to_recipient());
        assert!(hybrid.recipient.chars().count() <= MAX_RECIPIENT_CHARS);
        document.reply = Some(hybrid);
        document.validate().unwrap();
        let padded = document.to_padded_bytes().unwrap();
        assert_eq!(padded.len(), 4096);
        assert_eq!(TipDocument::from_bytes(&padded).unwrap(), document);
    }

    #[test]
    fn debug_leaves_out_the_free_text() {
        let debug = format!("{:?}", full_document());
        assert!(!debug.contains("shed"));
        assert!(!debug.contains("Rolderweg"));
        assert!(!debug.contains("18:00"));
        assert!(debug.contains("Labour"));
        assert!(debug.contains("Criminal"));
        assert!(debug.contains("SawItMyself"));
    }
}
