//! The local store: every pulled tip as the sealed age file the relay held, one file each, in
//! `tips/NNNNNN-HOUR-ID.age` (local number, the hour it arrived, the relay's id). The name is
//! the only index, so a file appears complete, with its number, in one atomic rename.
//!
//! # Pull, and why a crash loses and duplicates nothing
//!
//! For each tip the relay lists: if a stored file already carries its relay id, the previous
//! pull stopped after storing it, so only the delete on the relay is repeated. Otherwise the tip
//! is downloaded, checked to open with the coordinator's key, written to `tips/.ID.part` and
//! flushed to disk, renamed to its final name with the next free number, and, once the folder is
//! flushed (one flush covers a batch of renames), deleted on the relay. Where it can (Linux 5.8
//! or later, a local file system: see [`BatchFlush`]) the `.part` files of a batch are flushed
//! together, with one `syncfs`, before any of them is renamed; elsewhere each is flushed as it
//! is written. After a failed flush nothing more is renamed or deleted. A kill before the rename
//! leaves a stray `.part` file (removed by the next pull) and the tip still on the relay; a kill
//! after it leaves the stored file, whose relay id the next pull recognises. A lock keeps two
//! pulls from running at once.
//!
//! A tip that does not open with the coordinator's keys (sealed to another key, perhaps junk
//! sent to fill the relay, or damaged) takes the same path into the quarantine folder instead
//! (see [`crate::quarantine`]): `quarantine/.ID.part`, flushed, renamed to `HOUR-ID.age`, the
//! folder flushed, and only then deleted on the relay, so it stops taking the relay's space. A
//! kill leaves it on the relay, or in the quarantine under its relay id, which the next pull
//! recognises just like a stored tip's and only deletes on the relay. It gets no number.
//!
//! Downloads and deletes run in two stages side by side (see [`pull`]), so the relay's durable
//! deletes do not hold up the downloads.
//!
//! # In a team, a pull takes nothing from the others
//!
//! When the inbox has colleagues pinned ([`crate::team`]), [`pull`] runs with
//! [`RelayCopies::Keep`]: the same path, but nothing is deleted on the relay (every member syncs
//! the same tips; a tip leaves the relay when a member archives it, recorded in the team log,
//! or when its retention ends), and tips this inbox holds already are skipped. What does not
//! open is quarantined here and stays on the relay too, since a colleague's key may open it,
//! until someone deletes it with `quarantine --delete`.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use fluister_envelope::age::{self, Identity, armor};
use fluister_envelope::tip::TipDocument;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::home::{
    BatchFlush, InboxHome, directory_entries, remove_leftover_parts, sync_directory, write_new_file,
};
use crate::keys::UnlockedKeys;
use crate::kill_switch::{self, Step};
use crate::msg;
use crate::progress::{Progress, Watch};
use crate::quarantine;
use crate::relay::{RelayClient, WaitingTip, is_tip_id};
use fluister_protocol::ids::TipId;

/// One tip in the local store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredTip {
    /// The local number the coordinator uses (`show 12`), given in pull order.
    pub number: u64,
    /// The hour it arrived at the relay, as Unix seconds.
    pub received_hour: u64,
    /// The relay's id for it.
    pub relay_id: String,
    /// The sealed file.
    pub path: PathBuf,
}

/// The file name of a stored tip.
fn stored_file_name(number: u64, received_hour: u64, relay_id: &str) -> String {
    format!("{number:06}-{received_hour}-{relay_id}.age")
}

/// Reads a stored tip's file name back; `None` for anything else in the folder.
fn parse_stored_file_name(file_name: &str) -> Option<(u64, u64, String)> {
    let stem = file_name.strip_suffix(".age")?;
    let mut parts = stem.splitn(3, '-');
    let number = parts.next()?.parse().ok()?;
    let received_hour = parts.next()?.parse().ok()?;
    let relay_id = parts.next()?;
    is_tip_id(relay_id).then(|| (number, received_hour, relay_id.to_owned()))
}

/// Every stored tip, by local number.
pub fn stored_tips(home: &InboxHome) -> Result<Vec<StoredTip>> {
    let mut tips: Vec<StoredTip> = directory_entries(&home.tips_directory())?
        .into_iter()
        .filter_map(|(name, path)| {
            let (number, received_hour, relay_id) = parse_stored_file_name(&name)?;
            Some(StoredTip {
                number,
                received_hour,
                relay_id,
                path,
            })
        })
        .collect();
    tips.sort_by_key(|tip| tip.number);
    Ok(tips)
}

/// The stored tip with local number `number`, or advice if there is none.
pub fn find_tip(home: &InboxHome, number: u64) -> Result<StoredTip> {
    let tips = stored_tips(home)?;
    tips.into_iter()
        .find(|tip| tip.number == number)
        .ok_or_else(|| {
            Error::Usage(msg!(
                "store.no_such_tip",
                number = number,
                folder = home.root().display()
            ))
        })
}

/// Why a sealed file did not give a tip document.
#[derive(Debug)]
pub enum OpenFailure {
    /// None of the coordinator's identities matches: the tip was sealed to another key.
    NotForThisKey,
    /// The file is damaged or not an age file.
    Damaged,
    /// It opened, but the content is not a valid tip document; the plaintext is kept so it can
    /// still be shown.
    NotATipDocument(Zeroizing<Vec<u8>>),
}

impl OpenFailure {
    /// A sentence for the coordinator about a tip (named by `what`) that did not open, with
    /// what to do next.
    pub fn explain(&self, what: &str) -> String {
        match self {
            OpenFailure::NotForThisKey => msg!("store.sealed_to_another_key", what = what),
            OpenFailure::Damaged => msg!("store.damaged", what = what),
            OpenFailure::NotATipDocument(_) => msg!("store.not_a_tip", what = what),
        }
    }
}

/// Opens a sealed tip (binary or ASCII-armored) with `identities`.
pub fn open_tip(identities: &[Identity], sealed: &[u8]) -> Result<TipDocument, OpenFailure> {
    let plaintext = open_sealed(identities, sealed)?;
    TipDocument::from_bytes(&plaintext).map_err(|_| OpenFailure::NotATipDocument(plaintext))
}

/// Opens a sealed file (binary or ASCII-armored) to its plaintext.
pub fn open_sealed(
    identities: &[Identity],
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, OpenFailure> {
    let decoded;
    let binary = if armor::is_armored(sealed) {
        decoded = armor::decode(sealed).map_err(|_| OpenFailure::Damaged)?;
        &decoded[..]
    } else {
        sealed
    };
    match age::open(identities, binary) {
        Ok(plaintext) => Ok(Zeroizing::new(plaintext)),
        Err(fluister_envelope::Error::NoMatchingIdentity) => Err(OpenFailure::NotForThisKey),
        Err(_) => Err(OpenFailure::Damaged),
    }
}

/// Opens every stored tip in `tips` with `keys`, in parallel (up to eight threads), in order.
/// A file that cannot be read counts as damaged.
pub fn open_all(tips: &[StoredTip], keys: &UnlockedKeys) -> Vec<Result<TipDocument, OpenFailure>> {
    let thread_count = std::thread::available_parallelism()
        .map_or(2, |count| count.get())
        .min(8);
    let chunk_size = tips.len().div_ceil(thread_count).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = tips
            .chunks(chunk_size)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|tip| match std::fs::read(&tip.path) {
                            Ok(sealed) => open_tip(&keys.identities, &sealed),
                            Err(_) => Err(OpenFailure::Damaged),
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().expect("opening thread"))
            .collect()
    })
}

/// How many keys a sealed file is sealed to (its header's stanzas), or `None` if the header does
/// not parse.
pub fn reader_count(sealed: &[u8]) -> Option<usize> {
    let decoded;
    let binary = if armor::is_armored(sealed) {
        decoded = armor::decode(sealed).ok()?;
        decoded.as_slice()
    } else {
        sealed
    };
    let (header, _) = age::Header::parse(binary).ok()?;
    Some(header.stanza_types().count())
}

/// Reads a file, with advice if it cannot be read.
pub fn read_sealed_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|error| Error::io(msg!("store.unreadable", file = path.display()), error))
}

/// What a pull did.
#[derive(Debug, Default)]
pub struct PullReport {
    /// Tips downloaded and stored now, with their new local numbers.
    pub stored_numbers: Vec<u64>,
    /// Tips a previous, interrupted pull had stored but not yet deleted on the relay.
    pub completed_earlier: usize,
    /// Tips the relay listed but no longer had when asked (another pull took them).
    pub vanished: usize,
    /// Tips that do not open with the keys used, because they were sealed to another key, now
    /// moved into the quarantine folder and deleted on the relay.
    pub quarantined_for_another_key: usize,
    /// Tips that are damaged (they fail age's integrity checks), now moved into the quarantine
    /// folder and deleted on the relay.
    pub quarantined_damaged: usize,
    /// Tips an interrupted earlier pull had put in quarantine but not yet deleted on the relay.
    pub quarantined_earlier: usize,
    /// Stored tips sealed to more keys than the coordinator's own set holds, with how many:
    /// someone else may read them (a relay that gives widgets another list than the inbox).
    pub more_readers_than_pinned: Vec<(u64, usize)>,
}

impl PullReport {
    /// How many tips this pull moved into the quarantine folder.
    pub fn quarantined(&self) -> usize {
        self.quarantined_for_another_key + self.quarantined_damaged
    }
}

/// The error for a tip that could not be written into the store.
fn storage_failed(home: &InboxHome, error: std::io::Error) -> Error {
    Error::io(
        msg!(
            "store.cannot_store",
            folder = home.tips_directory().display()
        ),
        error,
    )
}

/// Writes a sealed tip into the store under the next free number: `tips/.ID.part`, flushed to
/// disk, then renamed to its numbered name. Numbers are handed out and used under one lock, in
/// order, so a kill never leaves a gap: a number exists only once its file does. The caller
/// flushes the folder ([`sync_directory`]) before anything relies on the rename, such as
/// deleting the tip on the relay or its copy in the quarantine.
pub(crate) fn store_sealed_tip(
    home: &InboxHome,
    next_number: &Mutex<u64>,
    relay_id: &str,
    received_hour: u64,
    sealed: &[u8],
) -> std::io::Result<u64> {
    write_part(home, relay_id, sealed, true)?;
    number_part(home, next_number, relay_id, received_hour)
}

/// `tips/.ID.part`, where a tip is written before it gets its number. In the store's own
/// folder, so the rename to the numbered name stays within one directory.
fn part_path(home: &InboxHome, relay_id: &str) -> PathBuf {
    debug_assert!(is_tip_id(relay_id));
    home.tips_directory().join(format!(".{relay_id}.part"))
}

/// The first half of [`store_sealed_tip`]: writes `tips/.ID.part`, flushed when `flush` (or
/// else to be flushed with a [`BatchFlush`] before [`number_part`]).
fn write_part(home: &InboxHome, relay_id: &str, sealed: &[u8], flush: bool) -> std::io::Result<()> {
    write_new_file(&part_path(home, relay_id), sealed, flush)
}

/// The second half of [`store_sealed_tip`]: renames a flushed `tips/.ID.part` to its numbered
/// name, with the next free number.
fn number_part(
    home: &InboxHome,
    next_number: &Mutex<u64>,
    relay_id: &str,
    received_hour: u64,
) -> std::io::Result<u64> {
    let temporary_path = part_path(home, relay_id);
    let tips_directory = home.tips_directory();
    let mut next_number = next_number.lock().expect("number lock");
    let number = *next_number;
    let final_path = tips_directory.join(stored_file_name(number, received_hour, relay_id));
    std::fs::rename(&temporary_path, &final_path)?;
    *next_number += 1;
    Ok(number)
}

/// The next free local number, after every stored tip.
pub(crate) fn next_free_number(stored: &[StoredTip]) -> u64 {
    stored.iter().map(|tip| tip.number).max().unwrap_or(0) + 1
}

/// Where a pulled tip is when the fetchers hand it on, before it is deleted on the relay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kept {
    /// Written to `tips/.ID.part` but not flushed yet ([`BatchFlush`]): the deleters flush a
    /// batch of them at once, then number them.
    Written {
        /// The hour it arrived at the relay, for its file name.
        received_hour: u64,
        /// How many keys it is sealed to, if its header says.
        readers: Option<usize>,
    },
    /// In the store, flushed and numbered (now, where batch flushes are not available, or by
    /// an earlier pull): the folder is flushed before the relay's copy is deleted.
    Stored,
    /// In the quarantine folder: the same, for that folder.
    Quarantined,
}

/// How many tips are fetched and written at once by default: enough to overlap network round
/// trips, the relay's group commits and the disk.
pub const DEFAULT_PULL_CONNECTIONS: usize = 16;

/// How many threads flush, number and delete the fetched tips, a batch each: two, so one batch
/// is flushed while the relay deletes the other. More would only cut the batches smaller: each
/// costs a flush of the file system and a durable delete on the relay, whatever its size
/// (`cargo xtask bench inbox`: 10,000 tips pulled in about the same time with one or two, and
/// a sixth slower with sixteen).
const DELETERS: usize = 2;

/// What a pull does with the relay's copy of a tip it has stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelayCopies {
    /// Delete it: the coordinator works alone, and the relay should hold as little as it can.
    Delete,
    /// Leave it: colleagues fetch the same tips (see [`crate::team`]).
    Keep,
}

/// Downloads every waiting tip into the store and, with [`RelayCopies::Delete`], deletes it on
/// the relay (see the module documentation for the crash-safety argument). Tips that do not
/// open with `keys` go into the quarantine folder the same way, are deleted on the relay too
/// (with `Delete`), and are counted in the report.
pub fn pull(
    home: &InboxHome,
    client: &RelayClient,
    keys: &UnlockedKeys,
    connections: usize,
    pinned_readers: usize,
    relay_copies: RelayCopies,
    watch: Option<&Arc<Watch>>,
) -> Result<PullReport> {
    let _lock = home.lock()?;
    let tips_directory = home.tips_directory();
    // `lock` created the store's folder; make its entry in the inbox folder durable too.
    sync_directory(home.root()).map_err(|error| storage_failed(home, error))?;
    remove_leftover_parts(&tips_directory)?;
    let stored = stored_tips(home)?;
    let next_number = Mutex::new(next_free_number(&stored));
    let already_stored: HashMap<String, u64> = stored
        .into_iter()
        .map(|tip| (tip.relay_id, tip.number))
        .collect();
    let quarantine_directory = quarantine::prepare(home)?;
    // Opened before the first tip is written (see `BatchFlush`).
    let batch_flush =
        BatchFlush::open(&tips_directory).map_err(|error| storage_failed(home, error))?;
    let already_quarantined: HashSet<String> = quarantine::quarantined_tips(home)?
        .into_iter()
        .map(|tip| tip.relay_id)
        .collect();
    let mut waiting = client.list_waiting_tips()?;
    if relay_copies == RelayCopies::Keep {
        // The relay keeps every tip for the team: only the ones this inbox lacks are news.
        waiting.retain(|tip| {
            let relay_id = tip.id.to_string();
            !already_stored.contains_key(&relay_id) && !already_quarantined.contains(&relay_id)
        });
    }
    let progress = Progress::watched(&msg!("store.progress"), waiting.len(), watch);
    let report = Mutex::new(PullReport::default());
    let next_index = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let first_error: Mutex<Option<Error>> = Mutex::new(None);

    // Stage one (fetchers) downloads, checks and writes (or quarantines); stage two (deleters)
    // flushes a batch's new files at once where it can, numbers them, flushes the folders once
    // for the batch and then deletes the batch on the relay. Running the two side by side keeps
    // the flushes and the relay's durable deletes from holding up the downloads.
    let (kept_sender, kept_receiver) = std::sync::mpsc::channel::<(TipId, Kept)>();
    let kept_receiver = Mutex::new(kept_receiver);
    let fail = |error: Error| {
        stop.store(true, Ordering::Relaxed);
        first_error.lock().expect("error lock").get_or_insert(error);
    };

    let note_stored = |report: &mut PullReport, number: u64, readers: Option<usize>| {
        report.stored_numbers.push(number);
        if let Some(readers) = readers
            && readers > pinned_readers
        {
            report.more_readers_than_pinned.push((number, readers));
        }
    };
    let keep_one = |tip: &WaitingTip| -> Result<Option<Kept>> {
        let relay_id = tip.id.to_string();
        if already_stored.contains_key(&relay_id) {
            report.lock().expect("report lock").completed_earlier += 1;
            return Ok(Some(Kept::Stored));
        }
        if already_quarantined.contains(&relay_id) {
            report.lock().expect("report lock").quarantined_earlier += 1;
            return Ok(Some(Kept::Quarantined));
        }
        let Some(sealed) = client.fetch_tip(&tip.id)? else {
            report.lock().expect("report lock").vanished += 1;
            return Ok(None);
        };
        kill_switch::reached(Step::Downloaded);
        if let Err(failure) = open_sealed(&keys.identities, &sealed) {
            quarantine::write_quarantined(
                &quarantine_directory,
                &relay_id,
                tip.received_hour,
                &sealed,
            )
            .map_err(|error| quarantine::storage_failed(home, error))?;
            kill_switch::reached(Step::Quarantined);
            let mut report = report.lock().expect("report lock");
            match failure {
                OpenFailure::NotForThisKey => report.quarantined_for_another_key += 1,
                OpenFailure::Damaged | OpenFailure::NotATipDocument(_) => {
                    report.quarantined_damaged += 1;
                }
            }
            return Ok(Some(Kept::Quarantined));
        }
        let readers = reader_count(&sealed);
        if batch_flush.is_some() {
            write_part(home, &relay_id, &sealed, false)
                .map_err(|error| storage_failed(home, error))?;
            return Ok(Some(Kept::Written {
                received_hour: tip.received_hour,
                readers,
            }));
        }
        let number = store_sealed_tip(home, &next_number, &relay_id, tip.received_hour, &sealed)
            .map_err(|error| storage_failed(home, error))?;
        note_stored(&mut report.lock().expect("report lock"), number, readers);
        Ok(Some(Kept::Stored))
    };

    let delete_batch = |batch: &[(TipId, Kept)]| -> Result<()> {
        // After a failure elsewhere (a failed flush above all), nothing more is numbered or
        // deleted: the next pull takes up what is left.
        if stop.load(Ordering::Relaxed) {
            return Ok(());
        }
        // The written tips' contents must be on disk before they get their numbered names.
        let mut written = batch
            .iter()
            .filter_map(|(tip_id, kept)| match kept {
                Kept::Written {
                    received_hour,
                    readers,
                } => Some((tip_id, *received_hour, *readers)),
                _ => None,
            })
            .peekable();
        if written.peek().is_some()
            && let Some(batch_flush) = &batch_flush
        {
            batch_flush
                .flush()
                .map_err(|error| storage_failed(home, error))?;
        }
        for (tip_id, received_hour, readers) in written {
            let number = number_part(home, &next_number, &tip_id.to_string(), received_hour)
                .map_err(|error| storage_failed(home, error))?;
            note_stored(&mut report.lock().expect("report lock"), number, readers);
        }
        // The renames must be durable before the relay forgets the tips.
        let holds = |wanted: fn(&Kept) -> bool| batch.iter().any(|(_, kept)| wanted(kept));
        if holds(|kept| matches!(kept, Kept::Written { .. } | Kept::Stored)) {
            sync_directory(&tips_directory).map_err(|error| storage_failed(home, error))?;
        }
        if holds(|kept| *kept == Kept::Quarantined) {
            sync_directory(&quarantine_directory)
                .map_err(|error| quarantine::storage_failed(home, error))?;
        }
        for _ in batch {
            kill_switch::reached(Step::Stored);
        }
        if relay_copies == RelayCopies::Delete && !stop.load(Ordering::Relaxed) {
            let ids: Vec<TipId> = batch.iter().map(|(tip_id, _)| *tip_id).collect();
            client.delete_tips(&ids)?;
            for _ in batch {
                kill_switch::reached(Step::Deleted);
            }
        }
        for _ in batch {
            progress.advance();
        }
        Ok(())
    };

    let stage_width = connections.clamp(1, 64).min(waiting.len());
    let (stop, next_index, waiting, progress) = (&stop, &next_index, &waiting, &progress);
    let (keep_one, fail) = (&keep_one, &fail);
    std::thread::scope(|scope| {
        for _ in 0..stage_width {
            let kept_sender = kept_sender.clone();
            scope.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let index = next_index.fetch_add(1, Ordering::Relaxed);
                    let Some(tip) = waiting.get(index) else { break };
                    match keep_one(tip) {
                        Ok(Some(kept)) => {
                            let _ = kept_sender.send((tip.id, kept));
                        }
                        Ok(None) => progress.advance(),
                        Err(error) => {
                            fail(error);
                            break;
                        }
                    }
                }
            });
        }
        drop(kept_sender);
        for _ in 0..DELETERS.min(stage_width) {
            scope.spawn(|| {
                loop {
                    let batch = {
                        let receiver = kept_receiver.lock().expect("receiver lock");
                        let Ok(first) = receiver.recv() else { break };
                        let mut batch = vec![first];
                        while batch.len() < 256 {
                            match receiver.try_recv() {
                                Ok(kept) => batch.push(kept),
                                Err(_) => break,
                            }
                        }
                        batch
                    };
                    if let Err(error) = delete_batch(&batch) {
                        fail(error);
                        break;
                    }
                }
            });
        }
    });
    progress.finish();
    let mut report = report.into_inner().expect("report lock");
    report.stored_numbers.sort_unstable();
    if let Some(error) = first_error.into_inner().expect("error lock") {
        let stored = report.stored_numbers.len();
        return Err(Error::interrupted(
            msg!("store.pull_stopped", count = stored),
            error,
        ));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_file_names_round_trip_and_others_are_ignored() {
        let id = "0123456789abcdef0123456789abcdef";
        let name = stored_file_name(42, 1_764_313_200, id);
        assert_eq!(name, format!("000042-1764313200-{id}.age"));
        assert_eq!(
            parse_stored_file_name(&name),
            Some((42, 1_764_313_200, id.to_owned()))
        );
        assert_eq!(
            parse_stored_file_name("000042-1764313200-../../etc.age"),
            None
        );
        assert_eq!(parse_stored_file_name("notes.txt"), None);
        assert_eq!(parse_stored_file_name(&format!("{name}.part")), None);
    }
}
