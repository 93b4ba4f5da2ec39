//! `pull`: fetch new tips (and the reporters' answers) from the relay.

use super::Settings;
use crate::conversation::{self, TipWithMailbox};
use crate::error::Result;
use crate::keys::UnlockedKeys;
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
        println!(
            "Municipalities of {} as the relay lists them: {}.",
            if region.name.is_empty() {
                "the region"
            } else {
                &region.name
            },
            region.municipalities.len()
        );
    }
    let report = store::pull(&settings.home, &client, &keys, options.connections)?;
    let stored = &report.stored_numbers;
    match (stored.first(), stored.last()) {
        (Some(first), Some(last)) if first == last => println!("1 new tip: number {first}."),
        (Some(first), Some(last)) => {
            println!("{} new tips: numbers {first} to {last}.", stored.len())
        }
        _ => println!("No new tips."),
    }
    if report.completed_earlier > 0 {
        println!(
            "{} tip(s) stored by an interrupted earlier pull were now also removed from the relay.",
            report.completed_earlier
        );
    }
    if report.quarantined_earlier > 0 {
        println!(
            "{} tip(s) put in quarantine by an interrupted earlier pull were now also removed from \
             the relay.",
            report.quarantined_earlier
        );
    }
    if !stored.is_empty() {
        println!("See them with: fluister-inbox list --status new");
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
        (other_key, 0) => format!("sealed to another key: {other_key}"),
        (0, damaged) => format!("damaged: {damaged}"),
        (other_key, damaged) => format!("sealed to another key: {other_key}; damaged: {damaged}"),
    };
    println!();
    println!(
        "{} tip(s) did not open with your key and were put in quarantine ({reasons}).",
        report.quarantined()
    );
    println!(
        "Tips sealed to another key are possibly junk sent to fill the relay. They were \
         removed from the relay, so they no longer take its space, and are kept here, still \
         sealed and unread, in {}. They get no number and do not appear in `list`.",
        settings.home.quarantine_directory().display()
    );
    if report.stored_numbers.is_empty() && report.completed_earlier == 0 {
        println!(
            "None of the tips opened with this key. If you expected real tips, check that you \
             used the right key and that the relay seals tips to it: `fluister-inbox status`."
        );
    }
    println!(
        "Nothing is lost: if you pulled with the wrong key, `fluister-inbox quarantine --recheck` \
         (add --identity FILE for another key) turns every one that opens into a normal tip. \
         See: fluister-inbox quarantine"
    );
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
        0 => println!("No new answers from reporters."),
        count => {
            let per_tip: Vec<String> = report
                .new_answers
                .iter()
                .map(|(number, answers)| format!("tip {number} ({answers})"))
                .collect();
            println!(
                "{count} new answer{} from reporters: {}. Read them with: fluister-inbox show N",
                if count == 1 { "" } else { "s" },
                per_tip.join(", ")
            );
        }
    }
    if report.new_from_coordinator > 0 {
        println!(
            "{} message(s) from a coordinator that this inbox had not stored were stored too.",
            report.new_from_coordinator
        );
    }
    if !report.gone_mailboxes.is_empty() {
        let numbers: Vec<String> = report.gone_mailboxes.iter().map(u64::to_string).collect();
        println!(
            "The relay no longer has the mailbox of tip(s) {}: it expired, was closed, or the \
             reporter never opened it. What was stored here stays readable.",
            numbers.join(", ")
        );
    }
    Ok(())
}
