//! The quarantine: tips that `pull` could not open with the coordinator's keys (sealed to
//! another key, or damaged), kept sealed exactly as the relay held them, one file each, in
//! `quarantine/HOUR-ID.age` (the hour it arrived, the relay's id). They get no number and appear
//! in no `list`, `show` or `stats`.
//!
//! # Why they stay on the relay until someone decides
//!
//! Anybody can send a tip, so an attacker can fill the relay's storage quota with files sealed
//! to a random key. But a file this inbox cannot open may still be a real tip for a colleague
//! (sealed before this member's key was added), so `pull` only copies what does not open into
//! this folder, the same crash-safe way it stores a tip (`.ID.part`, flush, rename; see
//! [`crate::store`]), and leaves it on the relay. `status` shows the quarantine; [`delete`]
//! (`quarantine --delete`, confirmed) removes the files on the relay, freeing its space, and
//! here.
//!
//! # The way back
//!
//! A coordinator who pulls with the wrong key by mistake finds the real tips here, still sealed.
//! [`recheck`] opens every file with the keys given now and moves each one that opens into the
//! store as a numbered tip: written, renamed and flushed in the store first, removed here only
//! after. A kill in between leaves the tip in both folders; the copy here is then ignored and
//! removed by the next recheck or pull. [`delete`] rechecks first, so nothing that opens with
//! the current keys is ever deleted, and deletes only the files the coordinator confirmed.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, Result};
use crate::home::{
    InboxHome, create_private_directory, directory_entries, remove_leftover_parts, sync_directory,
    write_and_flush,
};
use crate::keys::UnlockedKeys;
use crate::kill_switch::{self, Step};
use crate::msg;
use crate::relay::{RelayClient, is_tip_id};
use crate::store::{self, open_sealed};
use fluister_protocol::ids::TipId;

/// One quarantined tip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuarantinedTip {
    /// The hour it arrived at the relay, as Unix seconds.
    pub received_hour: u64,
    /// The relay's id for it.
    pub relay_id: String,
    /// The sealed file's size in bytes.
    pub size: u64,
    /// The sealed file.
    pub path: PathBuf,
}

/// The file name of a quarantined tip.
fn quarantined_file_name(received_hour: u64, relay_id: &str) -> String {
    format!("{received_hour}-{relay_id}.age")
}

/// Reads a quarantined tip's file name back; `None` for anything else in the folder.
fn parse_quarantined_file_name(file_name: &str) -> Option<(u64, String)> {
    let stem = file_name.strip_suffix(".age")?;
    let (received_hour, relay_id) = stem.split_once('-')?;
    let received_hour = received_hour.parse().ok()?;
    is_tip_id(relay_id).then(|| (received_hour, relay_id.to_owned()))
}

/// Every quarantine file, copies of stored tips included.
fn quarantine_files(home: &InboxHome) -> Result<Vec<QuarantinedTip>> {
    let directory = home.quarantine_directory();
    let mut tips = Vec::new();
    for (name, path) in directory_entries(&directory)? {
        let Some((received_hour, relay_id)) = parse_quarantined_file_name(&name) else {
            continue;
        };
        let size = std::fs::metadata(&path)
            .map_err(|error| Error::io(msg!("io.cannot_read", file = path.display()), error))?
            .len();
        tips.push(QuarantinedTip {
            received_hour,
            relay_id,
            size,
            path,
        });
    }
    tips.sort_by(|left, right| {
        (left.received_hour, &left.relay_id).cmp(&(right.received_hour, &right.relay_id))
    });
    Ok(tips)
}

/// The relay ids of every stored tip.
fn stored_relay_ids(home: &InboxHome) -> Result<HashSet<String>> {
    Ok(store::stored_tips(home)?
        .into_iter()
        .map(|tip| tip.relay_id)
        .collect())
}

/// Every quarantined tip, oldest hour first. A file whose relay id is also in the store is left
/// out: it is the copy an interrupted recheck had not removed yet.
pub fn quarantined_tips(home: &InboxHome) -> Result<Vec<QuarantinedTip>> {
    let stored = stored_relay_ids(home)?;
    let mut tips = quarantine_files(home)?;
    tips.retain(|tip| !stored.contains(&tip.relay_id));
    Ok(tips)
}

/// The size of `tips` together, in bytes.
pub fn total_size(tips: &[QuarantinedTip]) -> u64 {
    tips.iter().map(|tip| tip.size).sum()
}

/// The error for a tip that could not be written into the quarantine.
pub(crate) fn storage_failed(home: &InboxHome, error: std::io::Error) -> Error {
    Error::io(
        msg!(
            "quarantine.cannot_write",
            folder = home.quarantine_directory().display()
        ),
        error,
    )
}

/// Creates the quarantine folder (private, durably) and tidies what a killed process left: its
/// `.part` files (their tips are still on the relay) and copies of tips that are already in the
/// store. The caller holds the inbox lock. Returns the folder.
pub(crate) fn prepare(home: &InboxHome) -> Result<PathBuf> {
    let directory = home.quarantine_directory();
    if !directory.exists() {
        create_private_directory(&directory)?;
        sync_directory(home.root()).map_err(|error| storage_failed(home, error))?;
    }
    remove_leftover_parts(&directory)?;
    let stored = stored_relay_ids(home)?;
    let mut removed_any = false;
    for tip in quarantine_files(home)? {
        if stored.contains(&tip.relay_id) {
            remove_quarantined_file(&tip.path)?;
            removed_any = true;
        }
    }
    if removed_any {
        sync_directory(&directory).map_err(|error| storage_failed(home, error))?;
    }
    Ok(directory)
}

/// Writes a tip that did not open into the quarantine folder: `.ID.part`, flushed to disk, then
/// renamed to its final name. The caller flushes the folder before deleting the tip on the relay.
pub(crate) fn write_quarantined(
    directory: &Path,
    relay_id: &str,
    received_hour: u64,
    sealed: &[u8],
) -> std::io::Result<()> {
    debug_assert!(is_tip_id(relay_id));
    let temporary_path = directory.join(format!(".{relay_id}.part"));
    write_and_flush(&temporary_path, sealed)?;
    std::fs::rename(
        &temporary_path,
        directory.join(quarantined_file_name(received_hour, relay_id)),
    )
}

fn remove_quarantined_file(path: &Path) -> Result<()> {
    std::fs::remove_file(path).map_err(|error| {
        Error::io(
            msg!("quarantine.cannot_remove", file = path.display()),
            error,
        )
    })
}

/// What a recheck did.
#[derive(Debug, Default)]
pub struct RecheckReport {
    /// Quarantined tips that opened and are now stored, with their new local numbers.
    pub moved_numbers: Vec<u64>,
    /// The tips that still do not open and stay in quarantine.
    pub still_quarantined: Vec<QuarantinedTip>,
}

/// Opens every quarantined tip with `keys` and moves each one that opens into the store as a
/// numbered tip (see the module documentation for why a kill loses and doubles nothing).
pub fn recheck(home: &InboxHome, keys: &UnlockedKeys) -> Result<RecheckReport> {
    let _lock = home.lock()?;
    recheck_locked(home, keys)
}

/// [`recheck`], for a caller that holds the inbox lock.
fn recheck_locked(home: &InboxHome, keys: &UnlockedKeys) -> Result<RecheckReport> {
    let directory = prepare(home)?;
    remove_leftover_parts(&home.tips_directory())?;
    let next_number = Mutex::new(store::next_free_number(&store::stored_tips(home)?));
    let mut report = RecheckReport::default();
    let mut moved = Vec::new();
    for tip in quarantined_tips(home)? {
        let sealed = store::read_sealed_file(&tip.path)?;
        if open_sealed(&keys.identities, &sealed).is_err() {
            report.still_quarantined.push(tip);
            continue;
        }
        let number = store::store_sealed_tip(
            home,
            &next_number,
            &tip.relay_id,
            tip.received_hour,
            &sealed,
        )
        .map_err(|error| {
            Error::io(
                msg!(
                    "quarantine.cannot_store",
                    folder = home.tips_directory().display()
                ),
                error,
            )
        })?;
        report.moved_numbers.push(number);
        moved.push(tip);
    }
    if moved.is_empty() {
        return Ok(report);
    }
    // The store's renames must be durable before the quarantined copies go.
    sync_directory(&home.tips_directory()).map_err(|error| {
        Error::io(
            msg!("io.cannot_flush", folder = home.tips_directory().display()),
            error,
        )
    })?;
    for tip in &moved {
        kill_switch::reached(Step::MovedFromQuarantine);
        remove_quarantined_file(&tip.path)?;
    }
    sync_directory(&directory)
        .map_err(|error| Error::io(msg!("io.cannot_flush", folder = directory.display()), error))?;
    Ok(report)
}

/// What deleting the quarantine did.
#[derive(Debug, Default)]
pub struct DeleteReport {
    /// Quarantined tips that opened with the keys given and were stored instead of deleted.
    pub moved_numbers: Vec<u64>,
    /// How many files were deleted.
    pub deleted: usize,
    /// Their size together, in bytes.
    pub deleted_bytes: u64,
    /// Files that arrived in the quarantine after the coordinator confirmed (kept).
    pub kept_unconfirmed: usize,
}

/// Deletes the quarantined tips in `confirmed` (the list the coordinator agreed to) for good,
/// after a [`recheck`] with `keys`, so that nothing that opens with them is deleted: on the
/// relay first (when `relay` is given), where they take the space real tips need, then here. A
/// kill between the two leaves the local copy, which the command run again deletes.
pub fn delete(
    home: &InboxHome,
    keys: &UnlockedKeys,
    relay: Option<&RelayClient>,
    confirmed: &[QuarantinedTip],
) -> Result<DeleteReport> {
    let _lock = home.lock()?;
    let recheck = recheck_locked(home, keys)?;
    let confirmed: HashSet<&str> = confirmed.iter().map(|tip| tip.relay_id.as_str()).collect();
    let mut report = DeleteReport {
        moved_numbers: recheck.moved_numbers,
        ..DeleteReport::default()
    };
    for tip in &recheck.still_quarantined {
        if confirmed.contains(tip.relay_id.as_str()) {
            if let (Some(relay), Some(tip_id)) = (relay, TipId::parse(&tip.relay_id)) {
                relay.delete_tip(&tip_id)?;
            }
            remove_quarantined_file(&tip.path)?;
            report.deleted += 1;
            report.deleted_bytes += tip.size;
        } else {
            report.kept_unconfirmed += 1;
        }
    }
    let directory = home.quarantine_directory();
    sync_directory(&directory)
        .map_err(|error| Error::io(msg!("io.cannot_flush", folder = directory.display()), error))?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarantined_file_names_round_trip_and_others_are_ignored() {
        let id = "0123456789abcdef0123456789abcdef";
        let name = quarantined_file_name(1_764_313_200, id);
        assert_eq!(name, format!("1764313200-{id}.age"));
        assert_eq!(
            parse_quarantined_file_name(&name),
            Some((1_764_313_200, id.to_owned()))
        );
        assert_eq!(
            parse_quarantined_file_name("1764313200-../../etc.age"),
            None
        );
        assert_eq!(parse_quarantined_file_name(&format!(".{id}.part")), None);
        // A stored tip's name (with a number in front) is not a quarantined one.
        assert_eq!(
            parse_quarantined_file_name(&format!("000042-1764313200-{id}.age")),
            None
        );
    }
}
