//! The triage book: per tip a status (new, in progress, handed over to whom, closed) and dated
//! notes. Kept in one file, `triage.age`, sealed to every key of the coordinator's own set
//! (`recipients.txt`: their own key, the backup key, a successor's; see [`crate::recipients`]),
//! replaced atomically on every change: notes about a tip are as sensitive as the tip, and must
//! open with every key that opens the tips.

use std::collections::BTreeMap;

use fluister_envelope::age::{self, Identity, Recipient};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::home::{InboxHome, replace_file};
use crate::msg;
use crate::vocabulary::Language;

/// Where a tip stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum TriageStatus {
    /// Not looked at yet.
    #[default]
    New,
    /// Being looked into.
    InProgress,
    /// Handed over to police, labour inspectorate, care or another partner (say to whom).
    HandedOver,
    /// Nothing more to do.
    Closed,
}

impl TriageStatus {
    /// The status in words.
    pub fn label(self, language: Language) -> &'static str {
        match (self, language) {
            (TriageStatus::New, Language::Nl) => "nieuw",
            (TriageStatus::InProgress, Language::Nl) => "in behandeling",
            (TriageStatus::HandedOver, Language::Nl) => "overgedragen",
            (TriageStatus::Closed, Language::Nl) => "afgesloten",
            (TriageStatus::New, Language::En) => "new",
            (TriageStatus::InProgress, Language::En) => "in progress",
            (TriageStatus::HandedOver, Language::En) => "handed over",
            (TriageStatus::Closed, Language::En) => "closed",
        }
    }
}

/// What a receiver did with a case handed over to them, as they told the coordinator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// They did nothing with it.
    NoAction,
    /// An investigation started.
    Investigation,
    /// It led to prosecution.
    Prosecution,
    /// Care or help started for the person.
    CareStarted,
    /// The receiver did not say, or does not know.
    Unknown,
}

impl Outcome {
    /// Every outcome, in a fixed order.
    pub const ALL: [Outcome; 5] = [
        Outcome::NoAction,
        Outcome::Investigation,
        Outcome::Prosecution,
        Outcome::CareStarted,
        Outcome::Unknown,
    ];

    /// The outcome in words.
    pub fn label(self, language: Language) -> &'static str {
        match (self, language) {
            (Outcome::NoAction, Language::Nl) => "geen actie",
            (Outcome::Investigation, Language::Nl) => "onderzoek",
            (Outcome::Prosecution, Language::Nl) => "vervolging",
            (Outcome::CareStarted, Language::Nl) => "zorg gestart",
            (Outcome::Unknown, Language::Nl) => "onbekend",
            (Outcome::NoAction, Language::En) => "no action",
            (Outcome::Investigation, Language::En) => "investigation",
            (Outcome::Prosecution, Language::En) => "prosecution",
            (Outcome::CareStarted, Language::En) => "care started",
            (Outcome::Unknown, Language::En) => "unknown",
        }
    }
}

/// A case handed over to a receiver (police, labour inspectorate, care): to whom, when, what
/// was left out, and what the receiver later said they did with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandOver {
    /// A random id (32 hex digits), so feedback names the hand-over it is about.
    pub id: String,
    /// The receiver's name, as the receivers' book has it.
    pub receiver: String,
    /// The hour it was handed over, Unix seconds rounded down to a multiple of 3600.
    pub hour: u64,
    /// The whole fields left out (`contact`, `place`, `notes`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left_out: Vec<String>,
    /// How many passages of the reporter's own text were left out.
    #[serde(default, skip_serializing_if = "is_zero_count")]
    pub passages_left_out: u32,
    /// What the receiver did with it, once they said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
}

/// A case registered with a receiver (CoMensha) through the registration export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// The registration's id (32 hex digits), shared by the cases of one export.
    pub id: String,
    /// The receiver's name, as the receivers' book has it.
    pub receiver: String,
    /// The hour it was registered, Unix seconds rounded down to a multiple of 3600.
    pub hour: u64,
}

fn is_zero_count(value: &u32) -> bool {
    *value == 0
}

/// One dated note.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// When it was written, Unix seconds.
    pub written_at: u64,
    /// The coordinator's words.
    pub text: String,
}

/// The triage state of one tip.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriageRecord {
    /// Where it stands.
    pub status: TriageStatus,
    /// To whom it was handed over, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handed_over_to: Option<String>,
    /// Notes, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
    /// The team log place of the entry that set the status (0: set here, not from the log).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub status_place: u64,
    /// The member who handles the tip, by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_to: Option<String>,
    /// The team log place of the entry that assigned it.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub assigned_place: u64,
    /// Taken off the relay by a member's decision (the local copy stays).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub archived: bool,
    /// What the team did with the tip, from the team log, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<crate::team::HistoryLine>,
    /// Hand-overs to receivers, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub handovers: Vec<HandOver>,
    /// Other cases (their relay ids) about the same situation, linked by hand.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub linked: Vec<String>,
    /// Registrations with a receiver (CoMensha), oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub registrations: Vec<Registration>,
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

/// Every tip's triage record, keyed by the relay's tip id (stable even if files are renamed).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TriageBook {
    /// Format version of this file.
    pub v: u32,
    /// Records by relay tip id; a tip without one is new.
    pub records: BTreeMap<String, TriageRecord>,
}

impl TriageBook {
    /// Reads and opens the book; an inbox without one has an empty book.
    pub fn load(home: &InboxHome, identities: &[Identity]) -> Result<Self> {
        let path = home.triage_path();
        let sealed = match std::fs::read(&path) {
            Ok(sealed) => sealed,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self {
                    v: 1,
                    records: BTreeMap::new(),
                });
            }
            Err(error) => {
                return Err(Error::io(
                    msg!("io.cannot_read", file = path.display()),
                    error,
                ));
            }
        };
        let plaintext = Zeroizing::new(age::open(identities, &sealed).map_err(|error| {
            let advice = if error == fluister_envelope::Error::NoMatchingIdentity {
                msg!("triage.other_key")
            } else {
                msg!("triage.damaged")
            };
            Error::NotOpened(msg!(
                "triage.not_opened",
                file = path.display(),
                advice = advice
            ))
        })?);
        serde_json::from_slice(&plaintext).map_err(|source| Error::Unreadable {
            message: msg!("triage.unreadable", file = path.display()),
            source,
        })
    }

    /// Seals the book to `recipients` (see [`RecipientSet::sealing_recipients`]) and replaces
    /// the file atomically: a crash leaves the old book or the new one, never a mix.
    ///
    /// [`RecipientSet::sealing_recipients`]: crate::recipients::RecipientSet::sealing_recipients
    pub fn save(&self, home: &InboxHome, recipients: &[Recipient]) -> Result<()> {
        let json = Zeroizing::new(serde_json::to_vec(self).expect("the triage book serializes"));
        let sealed = age::seal(recipients, &json).map_err(|source| Error::Crypto {
            message: msg!("triage.sealing_failed"),
            source,
        })?;
        home.create_directories()?;
        replace_file(&home.triage_path(), &sealed)
    }

    /// The record of a tip (a new one if it has none yet).
    pub fn record(&self, relay_id: &str) -> TriageRecord {
        self.records.get(relay_id).cloned().unwrap_or_default()
    }

    /// The record of a tip, created if missing, for changing.
    pub fn record_mut(&mut self, relay_id: &str) -> &mut TriageRecord {
        self.records.entry(relay_id.to_owned()).or_default()
    }
}
