//! `pull`: fetch new tips (and the reporters' answers) from the relay.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::Settings;
use crate::conversation::{self, ConversationPullReport, TipWithMailbox};
use crate::error::Result;
use crate::home::InboxHome;
use crate::keys::UnlockedKeys;
use crate::msg;
use crate::progress::Watch;
use crate::recipients::RecipientSet;
use crate::region::Region;
use crate::relay::{Connection, RelayClient};
use crate::store::{self, PullReport};
use crate::team::{self, SyncReport};
use crate::vocabulary::Language;

/// How `pull` runs.
#[derive(Clone, Copy, Debug)]
pub struct PullOptions {
    /// How many tips to fetch at once (clamped to 1..=64).
    pub connections: usize,
    /// Whether to fetch the conversations of tips with a mailbox too.
    pub with_messages: bool,
}

/// What a pull brought in: the tips, and the answers when they were fetched too.
#[derive(Debug)]
pub struct Fetched {
    /// The region's name and its number of municipalities, when the relay's list changed what
    /// the inbox knew.
    pub region_update: Option<(String, usize)>,
    /// What became of the waiting tips.
    pub tips: PullReport,
    /// `None` when answers were not fetched, or no tip has a mailbox.
    pub answers: Option<ConversationPullReport>,
    /// How the keys the relay seals tips to differ from the own set, in words (empty when they
    /// are the same): a key only the relay lists can read every new tip.
    pub recipient_warnings: Vec<String>,
    /// How many of `recipient_warnings` (the first ones) are readers only the relay lists.
    pub readers_only_the_relay_lists: usize,
    /// How many keys the own set has, with the key in use: what a tip should be sealed to.
    pub pinned_readers: usize,
    /// What the team log brought in and took out.
    pub team: SyncReport,
    /// Whether this pull left the tips on the relay for colleagues.
    pub relay_copies: store::RelayCopies,
}

/// Where a pull is, for the app's progress page.
#[derive(Debug, Default)]
pub struct PullWatch {
    /// Counts the tips while they are fetched, then the mailboxes.
    pub progress: Arc<Watch>,
    /// Set once the tips are in and the mailboxes are being fetched.
    pub fetching_answers: AtomicBool,
}

/// Stores every waiting tip (quarantining those that do not open) and then, when
/// `with_messages`, the new messages of every tip's mailbox. The command line and the app both
/// pull through here.
pub fn fetch(
    home: &InboxHome,
    language: Language,
    keys: &UnlockedKeys,
    options: PullOptions,
    watch: Option<&PullWatch>,
) -> Result<Fetched> {
    let connection = Connection::load(home)?;
    let client = RelayClient::new(&connection);
    let config = client.config()?;
    // Whom the relay has widgets seal to, against the keys the coordinator chose.
    let own_set = RecipientSet::load(home, language)?;
    let recipient_warnings = own_set.compare_with_relay(&config.recipients, language);
    let readers_only_the_relay_lists = own_set.readers_only_the_relay_lists(&config.recipients);
    let pinned_readers = own_set.sealing_recipients(&keys.own_recipient).len();
    // The region's municipality names first, so this pull's tips are listed with them.
    let region = Region::from_config(&config);
    let region_update = region
        .save_merged(home)?
        .then(|| (region.name.clone(), region.municipalities.len()));
    let progress = watch.map(|watch| &watch.progress);
    // Alone, a pull takes the tips off the relay; in a team, it leaves them for the others.
    // A relay that has tokens for several members counts as a team too, so that a new
    // deputy's first pull (before `team add`) takes nothing from the coordinator.
    let relay_team = client
        .relay_status()
        .ok()
        .flatten()
        .is_some_and(|status| status.team_members >= 2);
    let relay_copies = if relay_team || team::Team::load(home)?.has_colleagues(keys) {
        store::RelayCopies::Keep
    } else {
        store::RelayCopies::Delete
    };
    let tips = store::pull(
        home,
        &client,
        keys,
        options.connections,
        pinned_readers,
        relay_copies,
        progress,
    )?;
    // The team's decisions next, so this pull's list shows colleagues' statuses.
    // A team log that cannot be synced now does not keep the answers from coming in.
    let team = {
        let _lock = home.lock()?;
        let recipients = own_set.sealing_recipients(&keys.own_recipient);
        team::sync(home, &client, keys, &recipients).unwrap_or_else(|error| SyncReport {
            failed: Some(error.to_string()),
            ..SyncReport::default()
        })
    };
    let answers = if options.with_messages {
        if let Some(watch) = watch {
            watch.fetching_answers.store(true, Ordering::Relaxed);
        }
        pull_answers(home, &client, keys, progress)?
    } else {
        None
    };
    Ok(Fetched {
        region_update,
        tips,
        answers,
        recipient_warnings,
        readers_only_the_relay_lists,
        pinned_readers,
        team,
        relay_copies,
    })
}

/// Stores every waiting tip (quarantining those that do not open) and then, unless told not
/// to, the new messages of every tip's mailbox; prints what came in and what to do next.
pub fn run(settings: &Settings, options: PullOptions) -> Result<()> {
    let keys = settings.unlock()?;
    let fetched = fetch(&settings.home, settings.language, &keys, options, None)?;
    for (index, warning) in fetched.recipient_warnings.iter().enumerate() {
        let mark = if index < fetched.readers_only_the_relay_lists {
            crate::msg_in!(settings.language, "status.mark.problem")
        } else {
            crate::msg_in!(settings.language, "status.mark.warning")
        };
        println!("{mark} {warning}");
    }
    if let Some((region_name, count)) = &fetched.region_update {
        let region_name = if region_name.is_empty() {
            msg!("pull.the_region")
        } else {
            region_name.clone()
        };
        println!(
            "{}",
            msg!("pull.municipalities", region = region_name, count = count)
        );
    }
    let report = &fetched.tips;
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
    print_team_log(settings, &fetched.team);
    for (number, readers) in &report.more_readers_than_pinned {
        let mark = crate::msg_in!(settings.language, "status.mark.warning");
        println!(
            "{mark} {}",
            msg!(
                "pull.more_readers",
                number = number,
                readers = readers,
                pinned = fetched.pinned_readers
            )
        );
    }
    if report.quarantined() > 0 {
        print_quarantine_notice(settings, report, fetched.relay_copies);
    }
    if let Some(answers) = &fetched.answers {
        print_answers(answers);
    }
    Ok(())
}

/// What `pull` says about the team log: colleagues' changes, own changes sent late, and
/// entries refused.
fn print_team_log(settings: &Settings, report: &SyncReport) {
    if let Some(error) = &report.failed {
        let mark = crate::msg_in!(settings.language, "status.mark.warning");
        println!("{mark} {}", msg!("pull.team_failed", error = error));
    }
    if report.from_colleagues > 0 {
        println!("{}", msg!("pull.team_log", count = report.from_colleagues));
    }
    if report.sent > 0 {
        println!("{}", msg!("pull.team_sent", count = report.sent));
    }
    if report.not_for_us > 0 {
        println!(
            "{}",
            msg!("pull.team_not_for_us", count = report.not_for_us)
        );
    }
    if report.rejected > 0 {
        let mark = crate::msg_in!(settings.language, "status.mark.warning");
        println!(
            "{mark} {}",
            msg!("pull.team_rejected", count = report.rejected)
        );
    }
}

/// What `pull` says about the tips it put in quarantine: what happened, that nothing is lost,
/// and the next step.
fn print_quarantine_notice(
    settings: &Settings,
    report: &PullReport,
    relay_copies: store::RelayCopies,
) {
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
    let folder = settings.home.quarantine_directory();
    println!(
        "{}",
        match relay_copies {
            store::RelayCopies::Delete => {
                msg!("pull.quarantine_explained", folder = folder.display())
            }
            store::RelayCopies::Keep => {
                msg!("pull.quarantine_explained_team", folder = folder.display())
            }
        }
    );
    if report.stored_numbers.is_empty() && report.completed_earlier == 0 {
        println!("{}", msg!("pull.none_opened"));
    }
    println!("{}", msg!("pull.nothing_lost"));
}

/// The second half of `pull`: fetches the conversation of every stored tip that has a mailbox.
fn pull_answers(
    home: &InboxHome,
    client: &RelayClient,
    keys: &UnlockedKeys,
    watch: Option<&Arc<Watch>>,
) -> Result<Option<ConversationPullReport>> {
    let tips = store::stored_tips(home)?;
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
        return Ok(None);
    }
    conversation::pull_conversations(home, client, &tips_with_mailbox, watch).map(Some)
}

/// What `pull` says about the answers it fetched.
fn print_answers(report: &ConversationPullReport) {
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
}
