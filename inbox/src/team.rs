//! The team: the colleagues who work the same tips (a coordinator, a deputy, a successor), and
//! the case log they share.
//!
//! # Members
//!
//! Each member's inbox has its own age key; from it, the inbox derives a signing key (Ed25519,
//! HKDF-SHA256 over the key's secret, so there is nothing more to keep safe). A member's card is
//! their name, their `age1…` key and their signing key (`ed25519-…`); `team add` pins a
//! colleague's card: the age key goes into the own set (everything the inbox seals, the team
//! log included, is then sealed to them too), and the signing key, age key and name into
//! `team.txt`, one `SIGNING-KEY AGE-KEY NAME` a line (`team remove` takes the age key out of the
//! set by the key itself). Nothing the relay says changes the team.
//!
//! # The case log
//!
//! Every change a member makes to a tip (status, a note, who handles it, archiving) is an
//! entry: a small JSON document naming the tip by its relay id, the hour, the signer's key and
//! the change, signed with the member's signing key, sealed to the own set, and appended on the
//! relay (`POST /api/v1/log`), which can neither read an entry nor make one a member accepts.
//! An entry is written to `team-outbox/` before it is sent, so a change made while the relay
//! is out of reach goes with the next `pull`; the relay stores the same bytes once, so a retry
//! never doubles it. `pull` first sends the outbox, then fetches the entries after the last one
//! it has into `team-log/PLACE.age`, and applies each one (in the relay's order) that opens,
//! parses, is signed by a pinned member and verifies, to the triage book: the later status
//! wins, every note stays, and each entry becomes a line of the tip's history, with the
//! member's name. Anything else (unsigned, signed by a key that is not pinned, a bad signature)
//! is counted, reported and never applied.
//!
//! The relay still decides the order and could withhold entries; it cannot forge or alter one.

use std::collections::BTreeMap;
use std::path::PathBuf;

use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use fluister_envelope::age::{self, Identity, Recipient};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::home::{
    InboxHome, create_private_directory, replace_file, sync_directory, write_durably,
};
use crate::keys::UnlockedKeys;
use crate::msg;
use crate::relay::{RelayClient, is_tip_id};
use crate::triage::{Note, TriageBook, TriageRecord, TriageStatus};
use crate::vocabulary::Language;

/// What a signature is made over: this, then the entry's JSON. No other message of the project
/// starts so, so a signature cannot be taken for anything else.
const SIGNING_CONTEXT: &[u8] = b"fluister team log entry v1\n";

/// The HKDF info that derives a member's signing key from their age key.
const SIGNING_KEY_INFO: &[u8] = b"fluister team signing key v1";

/// How a signing key is written: this prefix and 64 hexadecimal digits.
const SIGNING_KEY_PREFIX: &str = "ed25519-";

/// The longest name of a member, in characters.
const MAX_NAME_CHARS: usize = 40;

/// The longest note or hand-over name an entry may carry when read, in characters (what this
/// inbox writes is held to the smaller limits below).
const MAX_TEXT_CHARS: usize = 20_000;

/// The longest note this inbox writes, in characters (the workspace's note box holds as much).
pub const MAX_NOTE_CHARS: usize = 5_000;

/// The longest "handed over to" this inbox writes, in characters.
pub const MAX_WHOM_CHARS: usize = 200;

/// The largest sealed entry this inbox sends: under the relay's 64 KiB, whatever the text.
const MAX_SEALED_ENTRY_BYTES: usize = 60 * 1024;

/// Entries are padded to a multiple of this many bytes before sealing, so that their size on
/// the relay says little about what changed or how long a note is.
const PADDING_BLOCK: usize = 1024;

/// The earliest hour an entry may carry (2024-01-01): anything before is not one of ours.
const EARLIEST_HOUR: u64 = 1_704_067_200;

/// The signing key derived from `identity`: the same key every time, on every computer.
pub fn signing_key(identity: &Identity) -> SigningKey {
    let secret = identity.to_secret_string();
    let hkdf = hkdf::Hkdf::<sha2::Sha256>::new(None, secret.as_bytes());
    let mut seed = Zeroizing::new([0u8; 32]);
    hkdf.expand(SIGNING_KEY_INFO, seed.as_mut_slice())
        .expect("32 bytes is a valid HKDF-SHA256 length");
    SigningKey::from_bytes(&seed)
}

/// A signing key's public half as a member's card shows it: `ed25519-` and 64 hex digits.
pub fn signing_key_text(key: &VerifyingKey) -> String {
    let mut text = String::from(SIGNING_KEY_PREFIX);
    for byte in key.as_bytes() {
        text.push_str(&format!("{byte:02x}"));
    }
    text
}

/// Reads a signing key written by [`signing_key_text`].
pub fn parse_signing_key(text: &str) -> Option<VerifyingKey> {
    let hex = text.trim().strip_prefix(SIGNING_KEY_PREFIX)?;
    if hex.len() != 64 {
        return None;
    }
    let mut bytes = [0u8; 32];
    for (index, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(index * 2..index * 2 + 2)?, 16).ok()?;
    }
    VerifyingKey::from_bytes(&bytes).ok()
}

/// Whether `name` can name a member: 1 to 40 characters, no control or bidi characters, not
/// only spaces.
pub fn is_member_name(name: &str) -> bool {
    let count = name.chars().count();
    (1..=MAX_NAME_CHARS).contains(&count)
        && !name.trim().is_empty()
        && name == name.trim()
        && crate::render::sanitise(name, false) == name
}

/// One pinned member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// Their signing key.
    pub key: VerifyingKey,
    /// Their age key, which the own set holds while they are in the team.
    pub recipient: Recipient,
    /// What the team calls them.
    pub name: String,
}

/// The pinned members, from `team.txt`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Team {
    members: Vec<Member>,
}

impl Team {
    /// The team in `team.txt`; an inbox without one has no colleagues pinned.
    pub fn load(home: &InboxHome) -> Result<Self> {
        let path = home.team_path();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self::default());
            }
            Err(error) => {
                return Err(Error::io(
                    msg!("io.cannot_read", file = path.display()),
                    error,
                ));
            }
        };
        let mut members = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut words = line.splitn(3, ' ');
            let parsed = (|| {
                let key = parse_signing_key(words.next()?)?;
                let recipient = words.next()?.parse().ok()?;
                let name = words.next()?.trim();
                Some(Member {
                    key,
                    recipient,
                    name: is_member_name(name).then(|| name.to_owned())?,
                })
            })();
            let Some(member) = parsed else {
                return Err(Error::NotSetUp(msg!(
                    "team.bad_line",
                    file = path.display(),
                    line_number = index + 1
                )));
            };
            members.push(member);
        }
        Ok(Self { members })
    }

    /// Writes `team.txt` (owner-only, replaced atomically).
    pub fn save(&self, home: &InboxHome) -> Result<()> {
        let mut text = String::from(
            "# Fluister: the team, one member a line: SIGNING-KEY AGE-KEY NAME.\n\
             # Change it with `fluister-inbox team add` and `team remove`.\n",
        );
        for member in &self.members {
            text.push_str(&signing_key_text(&member.key));
            text.push(' ');
            text.push_str(&member.recipient.to_string());
            text.push(' ');
            text.push_str(&member.name);
            text.push('\n');
        }
        home.create_directories()?;
        replace_file(&home.team_path(), text.as_bytes())
    }

    /// The pinned members, in the order they were added.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// Pins `member`, replacing a member with the same name or key; `false` if it was pinned
    /// already exactly so.
    pub fn add(&mut self, member: Member) -> bool {
        if self.members.contains(&member) {
            return false;
        }
        self.members.retain(|known| {
            known.name != member.name
                && known.key != member.key
                && known.recipient != member.recipient
        });
        self.members.push(member);
        true
    }

    /// Unpins the member called `name`, returning them.
    pub fn remove(&mut self, name: &str) -> Option<Member> {
        let index = self.members.iter().position(|member| member.name == name)?;
        Some(self.members.remove(index))
    }

    /// Whether anyone but the holder of `keys` is pinned: then pulls leave tips on the relay.
    pub fn has_colleagues(&self, keys: &UnlockedKeys) -> bool {
        let own: Vec<VerifyingKey> = keys
            .identities
            .iter()
            .map(|identity| signing_key(identity).verifying_key())
            .collect();
        self.members.iter().any(|member| !own.contains(&member.key))
    }

    /// The name of the member with signing key `key`, if pinned.
    pub fn name_of(&self, key: &VerifyingKey) -> Option<&str> {
        self.members
            .iter()
            .find(|member| &member.key == key)
            .map(|member| member.name.as_str())
    }
}

/// A change to a tip, as the team log carries it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// Where the tip stands now (and to whom it was handed over, if it was).
    Status {
        /// The new status.
        status: TriageStatus,
        /// To whom, for a hand-over.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        handed_over_to: Option<String>,
    },
    /// A note.
    Note {
        /// The member's words.
        text: String,
    },
    /// Who handles the tip from now on (a member's name).
    Assigned {
        /// The member's name.
        to: String,
    },
    /// Taken off the relay: the team's decision that nobody needs to fetch it any more.
    Archived,
    /// Opened by the writer (to the hour): the access record the AVG asks for.
    Opened,
    /// Handed over to a receiver: to whom, what was left out.
    HandedOver {
        /// The hand-over's id (32 hex digits), named by its feedback later.
        id: String,
        /// The receiver's name.
        receiver: String,
        /// Whole fields left out.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        left_out: Vec<String>,
        /// How many passages of the reporter's text were left out.
        #[serde(default)]
        passages_left_out: u32,
    },
    /// What the receiver of a hand-over said they did with it.
    Feedback {
        /// The hand-over's id.
        handover: String,
        /// What they did.
        outcome: crate::triage::Outcome,
    },
    /// Linked to another case (by its relay id) about the same situation.
    Linked {
        /// The other case's relay id.
        other: String,
    },
    /// Registered with a receiver (CoMensha) as a registration record: the case's structured
    /// fields, never the reporter's words. Keeps a case from being registered twice.
    Registered {
        /// The registration's id (32 hex digits), shared by the cases of one export.
        id: String,
        /// The receiver's name, as the receivers' book has it.
        receiver: String,
    },
}

/// The signed part of an entry. (Unknown fields are ignored: the change is flattened into it,
/// which serde cannot combine with refusing them; the signature covers every byte anyway.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct EntryBody {
    /// Format version.
    v: u32,
    /// A random id (32 hex digits), so a note is applied once however often it is read.
    id: String,
    /// The writer's signing key.
    signer: String,
    /// The hour it was written, Unix seconds rounded down to a multiple of 3600.
    hour: u64,
    /// The tip's relay id.
    tip: String,
    /// What changed.
    #[serde(flatten)]
    change: Change,
}

/// What is sealed: the body's JSON as a string (signed as these exact bytes) and the signature.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignedEntry {
    v: u32,
    body: String,
    signature: String,
}

/// A verified entry: who wrote what about which tip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Its random id.
    pub id: String,
    /// The writer's signing key.
    pub signer: VerifyingKey,
    /// The hour it was written.
    pub hour: u64,
    /// The tip's relay id.
    pub tip: String,
    /// What changed.
    pub change: Change,
}

/// Why an entry from the relay was not applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// It does not open with this inbox's keys (sealed before this member joined, or junk).
    NotForUs,
    /// It opens but is not a signed entry, is signed by a key that is not pinned, or its
    /// signature does not verify.
    NotSignedByTheTeam,
}

/// Makes a new entry about tip `tip`, signed with `identity`'s signing key and sealed to
/// `recipients`; returns the entry and the sealed bytes.
pub fn seal_entry(
    identity: &Identity,
    recipients: &[Recipient],
    tip: &str,
    change: Change,
) -> Result<(Entry, Vec<u8>)> {
    let key = signing_key(identity);
    let mut id = [0u8; 16];
    getrandom::fill(&mut id).map_err(Error::Randomness)?;
    let now = crate::time::now_unix_seconds();
    let body = EntryBody {
        v: 1,
        id: id.iter().map(|byte| format!("{byte:02x}")).collect(),
        signer: signing_key_text(&key.verifying_key()),
        hour: now - now % 3600,
        tip: tip.to_owned(),
        change,
    };
    let body_json = serde_json::to_string(&body).expect("an entry serializes");
    let mut message = SIGNING_CONTEXT.to_vec();
    message.extend_from_slice(body_json.as_bytes());
    let signature = key.sign(&message);
    let signed = SignedEntry {
        v: 1,
        body: body_json,
        signature: signature
            .to_bytes()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect(),
    };
    let mut plaintext = Zeroizing::new(serde_json::to_vec(&signed).expect("an entry serializes"));
    // JSON allows white space after the document: pad to the next block.
    let padded = plaintext.len().div_ceil(PADDING_BLOCK) * PADDING_BLOCK;
    plaintext.resize(padded, b' ');
    let sealed = age::seal(recipients, &plaintext).map_err(|source| Error::Crypto {
        message: msg!("team.sealing_failed"),
        source,
    })?;
    let entry = Entry {
        id: body.id,
        signer: key.verifying_key(),
        hour: body.hour,
        tip: body.tip,
        change: body.change,
    };
    Ok((entry, sealed))
}

/// Opens and checks an entry: it must open with `identities`, be signed by a key `team` pins
/// (or by one of `identities`' own signing keys), and verify.
pub fn open_entry(
    identities: &[Identity],
    team: &Team,
    sealed: &[u8],
) -> std::result::Result<Entry, Rejection> {
    let plaintext = Zeroizing::new(age::open(identities, sealed).map_err(|_| Rejection::NotForUs)?);
    let signed: SignedEntry =
        serde_json::from_slice(&plaintext).map_err(|_| Rejection::NotSignedByTheTeam)?;
    let body: EntryBody =
        serde_json::from_str(&signed.body).map_err(|_| Rejection::NotSignedByTheTeam)?;
    let signer = parse_signing_key(&body.signer).ok_or(Rejection::NotSignedByTheTeam)?;
    let own = identities
        .iter()
        .any(|identity| signing_key(identity).verifying_key() == signer);
    if !own && team.name_of(&signer).is_none() {
        return Err(Rejection::NotSignedByTheTeam);
    }
    let signature = decode_signature(&signed.signature).ok_or(Rejection::NotSignedByTheTeam)?;
    let mut message = SIGNING_CONTEXT.to_vec();
    message.extend_from_slice(signed.body.as_bytes());
    signer
        .verify(&message, &signature)
        .map_err(|_| Rejection::NotSignedByTheTeam)?;
    let latest_hour = crate::time::now_unix_seconds() + 86_400;
    let well_formed = signed.v == 1
        && body.v == 1
        && (EARLIEST_HOUR..=latest_hour).contains(&body.hour)
        && body.id.len() == 32
        && body.id.bytes().all(|byte| byte.is_ascii_hexdigit())
        && is_tip_id(&body.tip)
        && body.hour.is_multiple_of(3600)
        && match &body.change {
            Change::Status { handed_over_to, .. } => handed_over_to
                .as_ref()
                .is_none_or(|whom| whom.chars().count() <= MAX_TEXT_CHARS),
            Change::Note { text } => text.chars().count() <= MAX_TEXT_CHARS,
            Change::Assigned { to } => to.chars().count() <= MAX_NAME_CHARS,
            Change::Archived | Change::Opened => true,
            Change::HandedOver {
                id,
                receiver,
                left_out,
                ..
            } => {
                id.len() == 32
                    && id.bytes().all(|byte| byte.is_ascii_hexdigit())
                    && receiver.chars().count() <= MAX_WHOM_CHARS
                    && left_out.len() <= 16
                    && left_out.iter().all(|part| part.len() <= 32)
            }
            Change::Feedback { handover, .. } => handover.len() == 32,
            Change::Linked { other } => is_tip_id(other),
            Change::Registered { id, receiver } => {
                id.len() == 32
                    && id.bytes().all(|byte| byte.is_ascii_hexdigit())
                    && receiver.chars().count() <= MAX_WHOM_CHARS
            }
        };
    if !well_formed {
        return Err(Rejection::NotSignedByTheTeam);
    }
    Ok(Entry {
        id: body.id,
        signer,
        hour: body.hour,
        tip: body.tip,
        change: body.change,
    })
}

fn decode_signature(hex: &str) -> Option<Signature> {
    if hex.len() != 128 {
        return None;
    }
    let mut bytes = [0u8; 64];
    for (index, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(index * 2..index * 2 + 2)?, 16).ok()?;
    }
    Some(Signature::from_bytes(&bytes))
}

/// One line of a tip's history, as the triage book keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryLine {
    /// The entry's place in the team log (0 while it waits in the outbox).
    pub place: u64,
    /// The entry's id.
    pub id: String,
    /// The hour it was written.
    pub hour: u64,
    /// The writer's signing key, as text.
    pub signer: String,
    /// What changed.
    pub change: Change,
}

/// Applies `entry` (at `place` in the log; 0 for one not sent yet) to `book`: notes are added
/// once, the history gets a line, and the status and the assignment become those of the latest
/// entry in the log's order (own entries not yet sent count as the latest, in the order they
/// were written). Applying the same entry twice changes nothing more; an entry already placed
/// keeps its first place, so a relay that serves it again elsewhere cannot move it.
pub fn apply(book: &mut TriageBook, entry: &Entry, place: u64) {
    let record = book.record_mut(&entry.tip);
    if let Some(line) = record.history.iter_mut().find(|line| line.id == entry.id) {
        if line.place == 0 {
            // Ours, sent since: it has its place now.
            line.place = place;
        }
    } else {
        match &entry.change {
            Change::Note { text } => record.notes.push(Note {
                written_at: entry.hour,
                text: text.clone(),
            }),
            Change::Archived => record.archived = true,
            Change::HandedOver {
                id,
                receiver,
                left_out,
                passages_left_out,
            } => {
                if !record.handovers.iter().any(|handover| &handover.id == id) {
                    record.handovers.push(crate::triage::HandOver {
                        id: id.clone(),
                        receiver: receiver.clone(),
                        hour: entry.hour,
                        left_out: left_out.clone(),
                        passages_left_out: *passages_left_out,
                        outcome: None,
                    });
                }
            }
            Change::Feedback { handover, outcome } => {
                if let Some(handed) = record
                    .handovers
                    .iter_mut()
                    .find(|handed| &handed.id == handover)
                {
                    handed.outcome = Some(*outcome);
                }
            }
            Change::Linked { other } => {
                if !record.linked.contains(other) {
                    record.linked.push(other.clone());
                }
            }
            Change::Registered { id, receiver } => {
                if !record
                    .registrations
                    .iter()
                    .any(|registration| &registration.id == id)
                {
                    record.registrations.push(crate::triage::Registration {
                        id: id.clone(),
                        receiver: receiver.clone(),
                        hour: entry.hour,
                    });
                }
            }
            Change::Status { .. } | Change::Assigned { .. } | Change::Opened => {}
        }
        record.history.push(HistoryLine {
            place,
            id: entry.id.clone(),
            hour: entry.hour,
            signer: signing_key_text(&entry.signer),
            change: entry.change.clone(),
        });
    }
    settle(record);
}

/// Orders the history by place (lines not yet in the log last, as written) and takes the
/// status and the assignment from its latest lines. A record without such lines (a book from
/// before the team log) keeps what it has.
fn settle(record: &mut TriageRecord) {
    let order = |line: &HistoryLine| {
        if line.place == 0 {
            u64::MAX
        } else {
            line.place
        }
    };
    record.history.sort_by_key(order);
    let latest_status = record
        .history
        .iter()
        .rev()
        .find_map(|line| match &line.change {
            Change::Status {
                status,
                handed_over_to,
            } => Some((*status, handed_over_to.clone(), line.place)),
            _ => None,
        });
    if let Some((status, handed_over_to, place)) = latest_status {
        record.status = status;
        record.handed_over_to = handed_over_to;
        record.status_place = place;
    }
    let latest_assignment = record
        .history
        .iter()
        .rev()
        .find_map(|line| match &line.change {
            Change::Assigned { to } => Some((to.clone(), line.place)),
            _ => None,
        });
    if let Some((to, place)) = latest_assignment {
        record.assigned_to = Some(to);
        record.assigned_place = place;
    }
}

/// Changes tip `tip` (its relay id): each change becomes an entry, written to the outbox and
/// applied to the triage book, which is saved sealed to `recipients`; then the outbox is sent.
/// Returns the tip's record and whether the relay has every entry now (`false`: no connection,
/// or the relay out of reach; the next `pull` sends them). Run under the inbox lock.
pub fn change_tip(
    home: &InboxHome,
    keys: &UnlockedKeys,
    recipients: &[Recipient],
    tip: &str,
    changes: Vec<Change>,
) -> Result<(TriageRecord, bool)> {
    if changes.is_empty() {
        let book = TriageBook::load(home, &keys.identities)?;
        return Ok((book.record(tip), true));
    }
    let (book, sent) = change_tips(home, keys, recipients, vec![(tip.to_owned(), changes)])?;
    Ok((book.record(tip), sent))
}

/// Changes several tips at once, as [`change_tip`] does one: every entry written to the outbox
/// and applied, the triage book saved once, the outbox sent once. Returns the book and whether
/// the relay has every entry now. Run under the inbox lock.
pub fn change_tips(
    home: &InboxHome,
    keys: &UnlockedKeys,
    recipients: &[Recipient],
    changes: Vec<(String, Vec<Change>)>,
) -> Result<(TriageBook, bool)> {
    let mut book = TriageBook::load(home, &keys.identities)?;
    let identity = keys
        .identities
        .first()
        .ok_or_else(|| Error::Key(msg!("team.no_identity")))?;
    for change in changes.iter().flat_map(|(_, changes)| changes) {
        let too_long = match change {
            Change::Note { text } => text.chars().count() > MAX_NOTE_CHARS,
            Change::Status {
                handed_over_to: Some(whom),
                ..
            } => whom.chars().count() > MAX_WHOM_CHARS,
            Change::Assigned { to } => !is_member_name(to),
            Change::HandedOver { receiver, .. } | Change::Registered { receiver, .. } => {
                receiver.chars().count() > MAX_WHOM_CHARS
            }
            Change::Status { .. }
            | Change::Archived
            | Change::Opened
            | Change::Feedback { .. }
            | Change::Linked { .. } => false,
        };
        if too_long {
            return Err(Error::Usage(msg!(
                "team.too_long",
                note = MAX_NOTE_CHARS,
                whom = MAX_WHOM_CHARS
            )));
        }
    }
    let outbox = home.team_outbox_directory();
    create_private_directory(&outbox)?;
    // Numbered, so they reach the relay in the order they were made.
    let mut number = outbox_files(home)?
        .iter()
        .filter_map(|(number, _)| *number)
        .max()
        .unwrap_or(0);
    for (tip, change) in changes
        .into_iter()
        .flat_map(|(tip, changes)| changes.into_iter().map(move |change| (tip.clone(), change)))
    {
        let (entry, sealed) = seal_entry(identity, recipients, &tip, change)?;
        if sealed.len() > MAX_SEALED_ENTRY_BYTES {
            return Err(Error::Usage(msg!(
                "team.too_long",
                note = MAX_NOTE_CHARS,
                whom = MAX_WHOM_CHARS
            )));
        }
        number += 1;
        let path = outbox.join(format!("{number:020}-{}.age", entry.id));
        write_durably(&outbox.join(format!(".{}.part", entry.id)), &path, &sealed)
            .map_err(|error| Error::io(msg!("home.cannot_write", file = path.display()), error))?;
        apply(&mut book, &entry, 0);
    }
    book.save(home, recipients)?;
    let sent = match crate::relay::Connection::load(home) {
        Ok(connection) => send_outbox(home, &RelayClient::new(&connection)).is_ok(),
        Err(_) => false,
    };
    Ok((book, sent))
}

/// Records in the team log that the holder of `keys` opened tip `tip`, once per hour: in a team
/// only (alone, nobody reads the log). Best effort: the tip is shown whatever happens here, and
/// an entry the relay cannot take now goes with the next `pull`.
pub fn record_opened(home: &InboxHome, keys: &UnlockedKeys, language: Language, tip: &str) {
    let outcome = (|| -> Result<()> {
        if !Team::load(home)?.has_colleagues(keys) {
            return Ok(());
        }
        let _lock = home.lock()?;
        let book = TriageBook::load(home, &keys.identities)?;
        let own = keys
            .identities
            .first()
            .map(|identity| signing_key_text(&signing_key(identity).verifying_key()));
        let now = crate::time::now_unix_seconds();
        let this_hour = now - now % 3600;
        let opened_this_hour = book.record(tip).history.iter().any(|line| {
            line.change == Change::Opened
                && line.hour == this_hour
                && Some(&line.signer) == own.as_ref()
        });
        if opened_this_hour {
            return Ok(());
        }
        let recipients = crate::recipients::RecipientSet::load(home, language)?
            .sealing_recipients(&keys.own_recipient);
        change_tip(home, keys, &recipients, tip, vec![Change::Opened]).map(|_| ())
    })();
    if let Err(error) = outcome {
        // Never in the way of reading the tip; said on the terminal's error stream only.
        eprintln!("{}", msg!("team.opened_not_recorded", error = error));
    }
}

/// The changes that take `record` to `status` (handed over to `handed_over_to`), with `note`
/// and `assign_to`: nothing for what is already so.
pub fn changes_for(
    record: &TriageRecord,
    status: Option<TriageStatus>,
    handed_over_to: Option<String>,
    note: Option<String>,
    assign_to: Option<String>,
) -> Vec<Change> {
    let mut changes = Vec::new();
    if let Some(status) = status {
        let handed_over_to = if status == TriageStatus::HandedOver {
            handed_over_to.or_else(|| record.handed_over_to.clone())
        } else {
            None
        };
        if status != record.status || handed_over_to != record.handed_over_to {
            changes.push(Change::Status {
                status,
                handed_over_to,
            });
        }
    }
    if let Some(to) = assign_to
        && record.assigned_to.as_deref() != Some(to.as_str())
    {
        changes.push(Change::Assigned { to });
    }
    if let Some(text) = note {
        changes.push(Change::Note { text });
    }
    changes
}

/// What sending the outbox did.
#[derive(Debug, Default)]
pub struct OutboxReport {
    /// Entries the relay has now.
    pub sent: usize,
    /// Entries still waiting (none unless an error stopped the sending).
    pub waiting: usize,
}

/// Sends every entry waiting in the outbox; each is removed from it once the relay answered
/// with its place (a kill before that sends it again, and the relay keeps it once).
pub fn send_outbox(home: &InboxHome, client: &RelayClient) -> Result<OutboxReport> {
    let outbox = home.team_outbox_directory();
    let mut report = OutboxReport::default();
    if !outbox.exists() {
        return Ok(report);
    }
    let waiting: Vec<PathBuf> = outbox_files(home)?
        .into_iter()
        .map(|(_, path)| path)
        .collect();
    report.waiting = waiting.len();
    for path in waiting {
        let sealed = std::fs::read(&path)
            .map_err(|error| Error::io(msg!("io.cannot_read", file = path.display()), error))?;
        client.append_log_entry(&sealed)?;
        std::fs::remove_file(&path)
            .map_err(|error| Error::io(msg!("home.cannot_write", file = path.display()), error))?;
        report.sent += 1;
        report.waiting -= 1;
    }
    sync_directory(&outbox)
        .map_err(|error| Error::io(msg!("io.cannot_flush", folder = outbox.display()), error))?;
    Ok(report)
}

/// The entries waiting in the outbox, in the order they were made: each with its number (none
/// for a file from before the numbering, which goes first).
fn outbox_files(home: &InboxHome) -> Result<Vec<(Option<u64>, PathBuf)>> {
    let outbox = home.team_outbox_directory();
    if !outbox.exists() {
        return Ok(Vec::new());
    }
    let mut files: Vec<(Option<u64>, PathBuf)> = crate::home::directory_entries(&outbox)?
        .into_iter()
        .filter(|(name, _)| name.ends_with(".age") && !name.starts_with('.'))
        .map(|(name, path)| {
            let number = name
                .split_once('-')
                .and_then(|(number, _)| number.parse::<u64>().ok());
            (number, path)
        })
        .collect();
    files.sort();
    Ok(files)
}

/// What syncing the team log did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Entries of colleagues applied now.
    pub from_colleagues: usize,
    /// Own entries sent from the outbox now.
    pub sent: usize,
    /// Entries that do not open with this inbox's keys.
    pub not_for_us: usize,
    /// Entries not signed by a pinned member (or not verifying): never applied.
    pub rejected: usize,
    /// Why the sync stopped, if it did (the tips and answers came in all the same).
    pub failed: Option<String>,
}

/// The file of the entry at `place` in `team-log/`.
fn log_file_name(place: u64) -> String {
    format!("{place:020}.age")
}

/// The highest place of an entry in `team-log/` (0 for none).
fn last_place(home: &InboxHome) -> Result<u64> {
    let directory = home.team_log_directory();
    if !directory.exists() {
        return Ok(0);
    }
    Ok(crate::home::directory_entries(&directory)?
        .iter()
        .filter_map(|(name, _)| name.strip_suffix(".age")?.parse::<u64>().ok())
        .max()
        .unwrap_or(0))
}

/// Sends the outbox, then fetches every entry after the last one kept, keeps each in
/// `team-log/`, and applies the ones that verify to the triage book, which it saves sealed to
/// `recipients`. Run under the inbox lock.
pub fn sync(
    home: &InboxHome,
    client: &RelayClient,
    keys: &UnlockedKeys,
    recipients: &[Recipient],
) -> Result<SyncReport> {
    let sent = send_outbox(home, client)?.sent;
    let directory = home.team_log_directory();
    create_private_directory(&directory)?;
    let team = Team::load(home)?;
    let own_key = keys.identities.first().map(signing_key);
    let mut book = TriageBook::load(home, &keys.identities)?;
    let mut report = SyncReport {
        sent,
        ..SyncReport::default()
    };
    let mut after = last_place(home)?;
    let mut changed = false;
    loop {
        let page = client.log_page(after)?;
        let mut fetched: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
        for entry in page.entries {
            if entry.sequence > i64::MAX as u64 {
                return Err(Error::Relay(msg!("relay.log_unreadable")));
            }
            if entry.sequence > after {
                fetched.insert(entry.sequence, entry.ciphertext);
            }
        }
        let Some(&last) = fetched.keys().next_back() else {
            break;
        };
        for (place, sealed) in &fetched {
            match open_entry(&keys.identities, &team, sealed) {
                Ok(entry) => {
                    let own = own_key
                        .as_ref()
                        .is_some_and(|key| key.verifying_key() == entry.signer);
                    if !own {
                        report.from_colleagues += 1;
                    }
                    apply(&mut book, &entry, *place);
                    changed = true;
                }
                Err(Rejection::NotForUs) => report.not_for_us += 1,
                Err(Rejection::NotSignedByTheTeam) => report.rejected += 1,
            }
        }
        // The book first, then the entries: a kill between fetches them again, and applying
        // an entry twice changes nothing.
        if changed {
            book.save(home, recipients)?;
            changed = false;
        }
        for (place, sealed) in &fetched {
            let path = directory.join(log_file_name(*place));
            let temporary = directory.join(format!(".{place}.part"));
            let _ = std::fs::remove_file(&temporary);
            write_durably(&temporary, &path, sealed).map_err(|error| {
                Error::io(msg!("home.cannot_write", file = path.display()), error)
            })?;
        }
        after = last;
        if !page.more {
            break;
        }
    }
    Ok(report)
}

/// Opens every entry kept in `team-log/` again and applies those that verify now (after a
/// colleague was pinned, their earlier entries count), saving the book sealed to `recipients`.
/// Returns how many applied. Run under the inbox lock.
pub fn reapply_kept(
    home: &InboxHome,
    keys: &UnlockedKeys,
    recipients: &[Recipient],
) -> Result<usize> {
    let directory = home.team_log_directory();
    if !directory.exists() {
        return Ok(0);
    }
    let team = Team::load(home)?;
    let mut kept: Vec<(u64, PathBuf)> = crate::home::directory_entries(&directory)?
        .into_iter()
        .filter_map(|(name, path)| Some((name.strip_suffix(".age")?.parse().ok()?, path)))
        .collect();
    kept.sort();
    let mut book = TriageBook::load(home, &keys.identities)?;
    let mut applied = 0;
    for (place, path) in kept {
        let sealed = std::fs::read(&path)
            .map_err(|error| Error::io(msg!("io.cannot_read", file = path.display()), error))?;
        if let Ok(entry) = open_entry(&keys.identities, &team, &sealed) {
            apply(&mut book, &entry, place);
            applied += 1;
        }
    }
    if applied > 0 {
        book.save(home, recipients)?;
    }
    Ok(applied)
}

/// A change in words, for a tip's history.
pub fn describe(change: &Change, language: Language) -> String {
    match change {
        Change::Status {
            status,
            handed_over_to: Some(whom),
        } => crate::msg_in!(
            language,
            "team.change.status_to",
            status = status.label(language),
            whom = crate::render::sanitise(whom, false)
        ),
        Change::Status { status, .. } => crate::msg_in!(
            language,
            "team.change.status",
            status = status.label(language)
        ),
        Change::Note { text } => crate::msg_in!(
            language,
            "team.change.note",
            text = crate::render::sanitise(text, false)
        ),
        Change::Assigned { to } => crate::msg_in!(
            language,
            "team.change.assigned",
            name = crate::render::sanitise(to, false)
        ),
        Change::Archived => crate::msg_in!(language, "team.change.archived"),
        Change::Opened => crate::msg_in!(language, "team.change.opened"),
        Change::HandedOver {
            receiver,
            left_out,
            passages_left_out,
            ..
        } => crate::msg_in!(
            language,
            "team.change.handed_over",
            receiver = crate::render::sanitise(receiver, false),
            left_out = if left_out.is_empty() {
                "-".to_owned()
            } else {
                crate::render::sanitise(&left_out.join(", "), false)
            },
            passages = passages_left_out
        ),
        Change::Feedback { outcome, .. } => crate::msg_in!(
            language,
            "team.change.feedback",
            outcome = outcome.label(language)
        ),
        Change::Linked { .. } => crate::msg_in!(language, "team.change.linked"),
        Change::Registered { receiver, .. } => crate::msg_in!(
            language,
            "team.change.registered",
            receiver = crate::render::sanitise(receiver, false)
        ),
    }
}

/// Who wrote a history line, in words: the pinned name, "you", or "unknown key".
pub fn author(
    line: &HistoryLine,
    team: &Team,
    own: Option<&VerifyingKey>,
    language: Language,
) -> String {
    let key = parse_signing_key(&line.signer);
    match key.as_ref() {
        Some(key) if Some(key) == own => match team.name_of(key) {
            Some(name) => crate::msg_in!(language, "team.you_named", name = name),
            None => crate::msg_in!(language, "team.you"),
        },
        Some(key) => team.name_of(key).map_or_else(
            || crate::msg_in!(language, "team.unknown_member"),
            str::to_owned,
        ),
        None => crate::msg_in!(language, "team.unknown_member"),
    }
}

/// A tip's history in words, for the workspace: per line, "hour, who" and "what".
pub fn history_in_words(
    home: &InboxHome,
    keys: &UnlockedKeys,
    record: &TriageRecord,
    language: Language,
) -> Result<Vec<(String, String)>> {
    if record.history.is_empty() {
        return Ok(Vec::new());
    }
    let team = Team::load(home)?;
    let own = keys
        .identities
        .first()
        .map(|identity| signing_key(identity).verifying_key());
    Ok(record
        .history
        .iter()
        .map(|line| {
            let hour = crate::time::LocalHour::from_unix_seconds(line.hour);
            (
                format!("{hour}, {}", author(line, &team, own.as_ref(), language)),
                describe(&line.change, language),
            )
        })
        .collect())
}

/// Prints a tip's history (what the team did, with names), if it has one.
pub fn print_history(
    home: &InboxHome,
    keys: &UnlockedKeys,
    record: &TriageRecord,
    language: Language,
) -> Result<()> {
    if record.history.is_empty() {
        return Ok(());
    }
    let team = Team::load(home)?;
    let own = keys
        .identities
        .first()
        .map(|identity| signing_key(identity).verifying_key());
    println!("{}", crate::msg_in!(language, "team.history"));
    for line in &record.history {
        let hour = crate::time::LocalHour::from_unix_seconds(line.hour);
        println!(
            "  {hour} {}: {}",
            author(line, &team, own.as_ref(), language),
            describe(&line.change, language)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> Identity {
        Identity::generate().unwrap()
    }

    #[test]
    fn the_signing_key_follows_from_the_age_key_and_reads_back() {
        let first = identity();
        assert_eq!(
            signing_key(&first).verifying_key(),
            signing_key(&first.to_secret_string().parse().unwrap()).verifying_key()
        );
        assert_ne!(
            signing_key(&first).verifying_key(),
            signing_key(&identity()).verifying_key()
        );
        let text = signing_key_text(&signing_key(&first).verifying_key());
        assert!(text.starts_with("ed25519-") && text.len() == 8 + 64);
        assert_eq!(
            parse_signing_key(&text),
            Some(signing_key(&first).verifying_key())
        );
        assert_eq!(parse_signing_key("ed25519-00"), None);
        assert_eq!(parse_signing_key(&text.replace("ed25519-", "x")), None);
    }

    #[test]
    fn an_entry_opens_only_signed_by_a_pinned_member_and_unaltered() {
        let (anna, bram, outsider) = (identity(), identity(), identity());
        let recipients = [anna.to_recipient(), bram.to_recipient()];
        let tip = "0123456789abcdef0123456789abcdef";
        let mut team = Team::default();
        team.add(Member {
            key: signing_key(&anna).verifying_key(),
            recipient: anna.to_recipient(),
            name: "Anna".to_owned(),
        });
        let note = Change::Note {
            text: "gebeld".to_owned(),
        };
        let (entry, sealed) = seal_entry(&anna, &recipients, tip, note.clone()).unwrap();
        let opened = open_entry(std::slice::from_ref(&bram), &team, &sealed).unwrap();
        assert_eq!(opened, entry);
        assert_eq!(opened.change, note);
        // Not pinned by Bram: refused, although it opens and verifies.
        let (_, by_outsider) = seal_entry(&outsider, &recipients, tip, note.clone()).unwrap();
        assert_eq!(
            open_entry(std::slice::from_ref(&bram), &team, &by_outsider),
            Err(Rejection::NotSignedByTheTeam)
        );
        // Sealed to others only.
        let (_, elsewhere) = seal_entry(&anna, &[outsider.to_recipient()], tip, note).unwrap();
        assert_eq!(
            open_entry(std::slice::from_ref(&bram), &team, &elsewhere),
            Err(Rejection::NotForUs)
        );
        // Unsigned, or signed over other words: refused.
        let unsigned = serde_json::json!({
            "v": 1,
            "body": format!(
                r#"{{"v":1,"id":"{}","signer":"{}","hour":0,"tip":"{tip}","change":"archived"}}"#,
                "ab".repeat(16),
                signing_key_text(&signing_key(&anna).verifying_key())
            ),
            "signature": "00".repeat(64),
        });
        let forged = age::seal(&recipients, unsigned.to_string().as_bytes()).unwrap();
        assert_eq!(
            open_entry(std::slice::from_ref(&bram), &team, &forged),
            Err(Rejection::NotSignedByTheTeam)
        );
        let plain = age::seal(&recipients, br#"{"change":"archived"}"#).unwrap();
        assert_eq!(
            open_entry(std::slice::from_ref(&bram), &team, &plain),
            Err(Rejection::NotSignedByTheTeam)
        );
    }

    #[test]
    fn the_later_status_wins_and_entries_apply_once() {
        let anna = identity();
        let recipients = [anna.to_recipient()];
        let tip = "0123456789abcdef0123456789abcdef";
        let status = |status| Change::Status {
            status,
            handed_over_to: None,
        };
        let (first, _) =
            seal_entry(&anna, &recipients, tip, status(TriageStatus::InProgress)).unwrap();
        let (second, _) =
            seal_entry(&anna, &recipients, tip, status(TriageStatus::Closed)).unwrap();
        let (note, _) = seal_entry(
            &anna,
            &recipients,
            tip,
            Change::Note {
                text: "één".to_owned(),
            },
        )
        .unwrap();
        let mut book = TriageBook::default();
        apply(&mut book, &second, 8);
        apply(&mut book, &first, 7);
        apply(&mut book, &note, 9);
        apply(&mut book, &note, 9);
        let record = book.record(tip);
        assert_eq!(record.status, TriageStatus::Closed, "place 8 beats place 7");
        assert_eq!(record.notes.len(), 1);
        assert_eq!(record.history.len(), 3);
        // An own change not yet sent counts as newest until the log says otherwise.
        let (local, _) = seal_entry(&anna, &recipients, tip, status(TriageStatus::New)).unwrap();
        apply(&mut book, &local, 0);
        assert_eq!(book.record(tip).status, TriageStatus::New);
        apply(&mut book, &local, 12);
        assert_eq!(book.record(tip).status_place, 12);
        assert_eq!(book.record(tip).history.len(), 4);
    }

    #[test]
    fn two_members_who_change_the_status_at_once_end_with_the_same_one() {
        let (anna, bram) = (identity(), identity());
        let recipients = [anna.to_recipient(), bram.to_recipient()];
        let tip = "0123456789abcdef0123456789abcdef";
        let status = |status| Change::Status {
            status,
            handed_over_to: None,
        };
        let assign = |to: &str| Change::Assigned { to: to.to_owned() };
        let (anna_closes, _) =
            seal_entry(&anna, &recipients, tip, status(TriageStatus::Closed)).unwrap();
        let (anna_assigns, _) = seal_entry(&anna, &recipients, tip, assign("Anna")).unwrap();
        let (bram_works, _) =
            seal_entry(&bram, &recipients, tip, status(TriageStatus::InProgress)).unwrap();
        let (bram_assigns, _) = seal_entry(&bram, &recipients, tip, assign("Bram")).unwrap();
        // Bram's reached the relay first (places 20, 21), Anna's after (22, 23).
        let mut annas_book = TriageBook::default();
        apply(&mut annas_book, &anna_closes, 0);
        apply(&mut annas_book, &anna_assigns, 0);
        apply(&mut annas_book, &bram_works, 20);
        apply(&mut annas_book, &bram_assigns, 21);
        apply(&mut annas_book, &anna_closes, 22);
        apply(&mut annas_book, &anna_assigns, 23);
        let mut brams_book = TriageBook::default();
        apply(&mut brams_book, &bram_works, 0);
        apply(&mut brams_book, &bram_assigns, 0);
        for (entry, place) in [
            (&bram_works, 20),
            (&bram_assigns, 21),
            (&anna_closes, 22),
            (&anna_assigns, 23),
        ] {
            apply(&mut brams_book, entry, place);
        }
        for book in [&annas_book, &brams_book] {
            let record = book.record(tip);
            assert_eq!(record.status, TriageStatus::Closed);
            assert_eq!(record.assigned_to.as_deref(), Some("Anna"));
            assert_eq!(record.history.len(), 4);
        }
        assert_eq!(
            annas_book.record(tip).history,
            brams_book.record(tip).history
        );
        // Served again at a later place, an old entry does not move or win.
        apply(&mut brams_book, &bram_works, 30);
        assert_eq!(brams_book.record(tip).status, TriageStatus::Closed);
    }

    #[test]
    fn names_are_short_and_plain() {
        assert!(is_member_name("Anna de Vries"));
        assert!(!is_member_name(""));
        assert!(!is_member_name(" Anna"));
        assert!(!is_member_name("Anna\u{202e}"));
        assert!(!is_member_name(&"a".repeat(41)));
    }
}
