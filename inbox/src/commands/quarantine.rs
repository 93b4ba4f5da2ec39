//! `quarantine`: show, recheck or delete the tips `pull` could not open.

use std::collections::BTreeMap;
use std::io::Write as _;

use super::Settings;
use crate::error::{Error, Result};
use crate::quarantine::{self, QuarantinedTip};
use crate::render::{self, human_size};

/// Whether `quarantine --delete` may go on without asking on the terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeleteConfirmation {
    /// Ask on the terminal (and refuse if there is none).
    Ask,
    /// Confirmed on the command line (`--yes`).
    Given,
}

/// `quarantine`: what is in it, per hour received, and what to do. Changes nothing.
pub fn show(settings: &Settings) -> Result<()> {
    let tips = quarantine::quarantined_tips(&settings.home)?;
    if tips.is_empty() {
        println!("The quarantine is empty: every pulled tip opened with your key.");
        return Ok(());
    }
    println!(
        "{} tip(s) in quarantine ({}), in {}.",
        tips.len(),
        human_size(quarantine::total_size(&tips)),
        settings.home.quarantine_directory().display()
    );
    println!(
        "They did not open with the key used when they were pulled: sealed to another key \
         (possibly junk sent to fill the relay) or damaged. They are kept sealed and unread; \
         they have no number and do not appear in `list`, `show` or `stats`."
    );
    println!();
    println!("{}", render::quarantine_table_heading(settings.language));
    let mut per_hour: BTreeMap<u64, (usize, u64)> = BTreeMap::new();
    for tip in &tips {
        let entry = per_hour.entry(tip.received_hour).or_default();
        entry.0 += 1;
        entry.1 += tip.size;
    }
    for (received_hour, (count, size)) in per_hour {
        println!(
            "{}",
            render::quarantine_table_row(received_hour, count, &human_size(size))
        );
    }
    println!();
    println!("What to do:");
    println!(
        "  - Pulled with the wrong key by mistake (for example before the relay had your new \
         key)? Check them against the right key; every one that opens becomes a normal tip:"
    );
    println!("        fluister-inbox quarantine --recheck");
    println!("        fluister-inbox quarantine --recheck --identity FILE   (e.g. the backup key)");
    println!(
        "  - What opens with none of your keys nobody here can read. When you are sure, delete \
         it for good (you are asked to confirm):"
    );
    println!("        fluister-inbox quarantine --delete");
    Ok(())
}

/// `quarantine --recheck`: moves what opens with the keys given now into the store.
pub fn recheck(settings: &Settings) -> Result<()> {
    let before = quarantine::quarantined_tips(&settings.home)?;
    if before.is_empty() {
        println!("The quarantine is empty; there is nothing to check.");
        return Ok(());
    }
    let keys = settings.unlock()?;
    let report = quarantine::recheck(&settings.home, &keys)?;
    print_moved_from_quarantine(&report.moved_numbers);
    let remaining = &report.still_quarantined;
    if remaining.is_empty() {
        println!("The quarantine is empty now.");
    } else if report.moved_numbers.is_empty() {
        println!(
            "None of the {} quarantined tip(s) opens with this key; they stay in quarantine. \
             If you have another key (the offline backup key, a predecessor's key), try it: \
             fluister-inbox quarantine --recheck --identity FILE. What opens with none of your \
             keys is most likely junk: fluister-inbox quarantine --delete",
            remaining.len()
        );
    } else {
        println!(
            "{} tip(s) ({}) still do not open with this key and stay in quarantine.",
            remaining.len(),
            human_size(quarantine::total_size(remaining))
        );
    }
    Ok(())
}

/// Says which new tip numbers came out of the quarantine.
fn print_moved_from_quarantine(moved_numbers: &[u64]) {
    match (moved_numbers.first(), moved_numbers.last()) {
        (Some(first), Some(last)) if first == last => println!(
            "1 quarantined tip opened with this key and is now tip {first}. See it with: \
             fluister-inbox show {first}"
        ),
        (Some(first), Some(last)) => println!(
            "{} quarantined tips opened with this key and are now tips {first} to {last}. See \
             them with: fluister-inbox list --status new",
            moved_numbers.len()
        ),
        _ => {}
    }
}

/// `quarantine --delete`: after confirming, rechecks and deletes what still does not open.
pub fn delete(settings: &Settings, confirmation: DeleteConfirmation) -> Result<()> {
    let tips = quarantine::quarantined_tips(&settings.home)?;
    if tips.is_empty() {
        println!("The quarantine is empty; there is nothing to delete.");
        return Ok(());
    }
    if confirmation == DeleteConfirmation::Ask {
        confirm_deletion(&tips)?;
    }
    let keys = settings.unlock()?;
    let report = quarantine::delete(&settings.home, &keys, &tips)?;
    print_moved_from_quarantine(&report.moved_numbers);
    println!(
        "Deleted {} quarantined file(s) ({}) for good.",
        report.deleted,
        human_size(report.deleted_bytes)
    );
    if report.kept_unconfirmed > 0 {
        println!(
            "{} file(s) came into the quarantine while you confirmed and were kept: see \
             fluister-inbox quarantine",
            report.kept_unconfirmed
        );
    }
    Ok(())
}

/// Asks on the terminal before `quarantine --delete` deletes `tips`; fails if not confirmed.
fn confirm_deletion(tips: &[QuarantinedTip]) -> Result<()> {
    use std::io::IsTerminal as _;
    let summary = format!(
        "{} quarantined file(s) ({})",
        tips.len(),
        human_size(quarantine::total_size(tips))
    );
    if !std::io::stdin().is_terminal() {
        return Err(Error::Usage(format!(
            "deleting {summary} needs your confirmation, and there is no terminal to ask on. \
             Add --yes to confirm. Nothing was deleted."
        )));
    }
    print!(
        "This deletes {summary} for good. Each one is first checked once more against your key; \
         any that opens is stored as a tip instead. Type yes to go on: "
    );
    std::io::stdout().flush().map_err(Error::UnexplainedIo)?;
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|error| Error::io("cannot read your answer", error))?;
    if answer.trim() != "yes" {
        return Err(Error::Usage(
            "not confirmed; nothing was deleted".to_owned(),
        ));
    }
    Ok(())
}
