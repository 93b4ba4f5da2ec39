//! `pull`: fetch new tips (and the reporters' answers) from the relay.

use super::Settings;
use crate::conversation::{self, TipWithMailbox};
use crate::error::Result;
use crate::keys::UnlockedKeys;
use crate::msg;
use crate::region::Region;
use crate::relay::{Connection, RelayClient};
use crate::store::{self, PullReport};

/// How `pull` runs.
#[derive(Clone, Copy, Debug)]
pub struct PullOptions {
    /// How many tips to fetch at once (clamped to 1..=64).
    pub connections: usize,
    /// Whether to fetch the conversations of tips with a mailbox too.
    pub with_messages: bool,
}

/// Stores every waiting tip (quarantining those that do not open) and then, unless told not
/// to, the new messages of every tip's mailbox; prints what came in and what to do next.
pub fn run(settings: &Settings, options: PullOptions) -> Result<()> {
    let connection = Connection::load(&settings.home)?;
    let keys = settings.unlock()?;
    let client = RelayClient::new(&connection);
    // The region's municipality names first, so this pull's tips are listed with them.
    let region = Region::from_config(&client.config()?);
    if region.save_merged(&settings.home)? {
        let region_name = if region.name.is_empty() {
            msg!("pull.the_region")
        } else {
            region.name.clone()
        };
        println!(
            "{}",
            msg!(
                "pull.municipalities",
                region = region_name,
                count = region.municipalities.len()
            )
        );
    }
    let report = store::pull(&settings.home, &client, &keys, options.connections)?;
    let stored = &report.stored_numbers;
    match (stored.first(), stored.last()) {
        (Some(first), Some(last)) if first == last => {
            println!("{}", msg!("pull.new_tip", number = first))
        }
        (Some(first), Some(last)) => println!(
            "{}",
            msg!(
                "pull.new_tips",
                count = stored.len(),
                first = first,
                last = last
            )
        ),
        _ => println!("{}", msg!("pull.no_new_tips")),
    }
    if report.completed_earlier > 0 {
        println!(
            "{}",
            msg!("pull.completed_earlier", count = report.completed_earlier)
        );
    }
    if report.quarantined_earlier > 0 {
        println!(
            "{}",
            msg!(
                "pull.quarantined_earlier",
                count = report.quarantined_earlier
            )
        );
    }
    if !stored.is_empty() {
        println!("{}", msg!("pull.see_new_tips"));
    }
    if report.quarantined() > 0 {
        print_quarantine_notice(settings, &report);
    }
    if options.with_messages {
        pull_answers(settings, &client, &keys)?;
    }
    Ok(())
}

/// What `pull` says about the tips it put in quarantine: what happened, that nothing is lost,
/// and the next step.
fn print_quarantine_notice(settings: &Settings, report: &PullReport) {
    let reasons = match (
        report.quarantined_for_another_key,
        report.quarantined_damaged,
    ) {
        (other_key, 0) => msg!("pull.reason.other_key", count = other_key),
        (0, damaged) => msg!("pull.reason.damaged", count = damaged),
        (other_key, damaged) => format!(
            "{}; {}",
            msg!("pull.reason.other_key", count = other_key),
            msg!("pull.reason.damaged", count = damaged)
        ),
    };
    println!();
    println!(
        "{}",
        msg!(
            "pull.quarantined",
            count = report.quarantined(),
            reasons = reasons
        )
    );
    println!(
        "{}",
        msg!(
            "pull.quarantine_explained",
            folder = settings.home.quarantine_directory().display()
        )
    );
    if report.stored_numbers.is_empty() && report.completed_earlier == 0 {
        println!("{}", msg!("pull.none_opened"));
    }
    println!("{}", msg!("pull.nothing_lost"));
}

/// The second half of `pull`: fetches the conversation of every stored tip that has a mailbox.
fn pull_answers(settings: &Settings, client: &RelayClient, keys: &UnlockedKeys) -> Result<()> {
    let tips = store::stored_tips(&settings.home)?;
    let documents = store::open_all(&tips, keys);
    let tips_with_mailbox: Vec<TipWithMailbox> = tips
        .into_iter()
        .zip(documents)
        .filter_map(|(tip, document)| {
            let mailbox_id = document.ok()?.reply?.mailbox_id()?;
            Some(TipWithMailbox { tip, mailbox_id })
        })
        .collect();
    if tips_with_mailbox.is_empty() {
        return Ok(());
    }
    let report = conversation::pull_conversations(&settings.home, client, &tips_with_mailbox)?;
    match report.new_answer_count() {
        0 => println!("{}", msg!("pull.no_new_answers")),
        count => {
            let per_tip: Vec<String> = report
                .new_answers
                .iter()
                .map(|(number, answers)| {
                    msg!("pull.answers_of_tip", number = number, count = answers)
                })
                .collect();
            let per_tip = per_tip.join(", ");
            if count == 1 {
                println!("{}", msg!("pull.new_answer", tips = per_tip));
            } else {
                println!(
                    "{}",
                    msg!("pull.new_answers", count = count, tips = per_tip)
                );
            }
        }
    }
    if report.new_from_coordinator > 0 {
        println!(
            "{}",
            msg!(
                "pull.coordinator_messages",
                count = report.new_from_coordinator
            )
        );
    }
    if !report.gone_mailboxes.is_empty() {
        let numbers: Vec<String> = report.gone_mailboxes.iter().map(u64::to_string).collect();
        println!(
            "{}",
            msg!("pull.mailboxes_gone", numbers = numbers.join(", "))
        );
    }
    Ok(())
}
