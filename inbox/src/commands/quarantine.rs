//! `quarantine`: show, recheck or delete the tips `pull` could not open.

use std::collections::BTreeMap;
use std::io::Write as _;

use super::Settings;
use crate::error::{Error, Result};
use crate::msg;
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
        println!("{}", msg!("quarantine.empty"));
        return Ok(());
    }
    println!(
        "{}",
        msg!(
            "quarantine.summary",
            count = tips.len(),
            size = human_size(quarantine::total_size(&tips)),
            folder = settings.home.quarantine_directory().display()
        )
    );
    println!("{}", msg!("quarantine.explained"));
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
    println!("{}", msg!("quarantine.what_to_do"));
    Ok(())
}

/// `quarantine --recheck`: moves what opens with the keys given now into the store.
pub fn recheck(settings: &Settings) -> Result<()> {
    let before = quarantine::quarantined_tips(&settings.home)?;
    if before.is_empty() {
        println!("{}", msg!("quarantine.nothing_to_check"));
        return Ok(());
    }
    let keys = settings.unlock()?;
    let report = quarantine::recheck(&settings.home, &keys)?;
    print_moved_from_quarantine(&report.moved_numbers);
    let remaining = &report.still_quarantined;
    if remaining.is_empty() {
        println!("{}", msg!("quarantine.empty_now"));
    } else if report.moved_numbers.is_empty() {
        println!(
            "{}",
            msg!("quarantine.none_opened", count = remaining.len())
        );
    } else {
        println!(
            "{}",
            msg!(
                "quarantine.still_quarantined",
                count = remaining.len(),
                size = human_size(quarantine::total_size(remaining))
            )
        );
    }
    Ok(())
}

/// Says which new tip numbers came out of the quarantine.
fn print_moved_from_quarantine(moved_numbers: &[u64]) {
    match (moved_numbers.first(), moved_numbers.last()) {
        (Some(first), Some(last)) if first == last => {
            println!("{}", msg!("quarantine.moved_one", number = first))
        }
        (Some(first), Some(last)) => println!(
            "{}",
            msg!(
                "quarantine.moved",
                count = moved_numbers.len(),
                first = first,
                last = last
            )
        ),
        _ => {}
    }
}

/// `quarantine --delete`: after confirming, rechecks and deletes what still does not open.
pub fn delete(settings: &Settings, confirmation: DeleteConfirmation) -> Result<()> {
    let tips = quarantine::quarantined_tips(&settings.home)?;
    if tips.is_empty() {
        println!("{}", msg!("quarantine.nothing_to_delete"));
        return Ok(());
    }
    if confirmation == DeleteConfirmation::Ask {
        confirm_deletion(&tips)?;
    }
    let keys = settings.unlock()?;
    // Without a connection (an inbox that never pulled) only the local copies go.
    let connection = crate::relay::Connection::load(&settings.home).ok();
    let relay = connection.as_ref().map(crate::relay::RelayClient::new);
    let report = quarantine::delete(&settings.home, &keys, relay.as_ref(), &tips)?;
    print_moved_from_quarantine(&report.moved_numbers);
    println!(
        "{}",
        msg!(
            "quarantine.deleted",
            count = report.deleted,
            size = human_size(report.deleted_bytes)
        )
    );
    if report.kept_unconfirmed > 0 {
        println!(
            "{}",
            msg!(
                "quarantine.kept_unconfirmed",
                count = report.kept_unconfirmed
            )
        );
    }
    Ok(())
}

/// Asks on the terminal before `quarantine --delete` deletes `tips`; fails if not confirmed.
fn confirm_deletion(tips: &[QuarantinedTip]) -> Result<()> {
    use std::io::IsTerminal as _;
    let summary = msg!(
        "quarantine.files",
        count = tips.len(),
        size = human_size(quarantine::total_size(tips))
    );
    if !std::io::stdin().is_terminal() {
        return Err(Error::Usage(msg!(
            "quarantine.confirm_needs_terminal",
            files = summary
        )));
    }
    print!(
        "{}",
        msg!(
            "quarantine.confirm",
            files = summary,
            yes = msg!("quarantine.yes")
        )
    );
    std::io::stdout().flush().map_err(Error::UnexplainedIo)?;
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|error| Error::io(msg!("quarantine.answer_unreadable"), error))?;
    if answer.trim() != msg!("quarantine.yes") {
        return Err(Error::Usage(msg!("quarantine.not_confirmed")));
    }
    Ok(())
}
