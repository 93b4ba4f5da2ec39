//! `status`: check everything without changing anything.

use super::Settings;
use crate::error::{Error, Result};
use crate::msg;
use crate::quarantine;
use crate::recipients::RecipientSet;
use crate::relay::{Connection, RelayClient, RelayStatus};
use crate::render::human_size;
use crate::store;

/// Checks the key, the connection file, the relay, the token and the recipients, and shows
/// the tips stored, waiting and in quarantine and the relay's load. Fails with
/// [`Error::Problems`] if any check found a problem (each is printed).
pub fn run(settings: &Settings) -> Result<()> {
    let mut problems = 0;
    let mut report = |ok: bool, text: String| {
        if !ok {
            problems += 1;
        }
        let mark = if ok {
            msg!("status.mark.ok")
        } else {
            msg!("status.mark.problem")
        };
        println!("{mark} {text}");
    };
    println!(
        "{}",
        msg!(
            "status.inbox_folder",
            folder = settings.home.root().display()
        )
    );
    let recipient = std::fs::read_to_string(settings.home.recipient_path())
        .ok()
        .map(|text| text.trim().to_owned());
    if settings.identity_path.exists() {
        report(
            true,
            msg!("status.key_file", file = settings.identity_path.display()),
        );
    } else {
        report(
            false,
            msg!("status.no_key", file = settings.identity_path.display()),
        );
    }
    let stored = store::stored_tips(&settings.home)?;
    println!("        {}", msg!("status.stored", count = stored.len()));
    let quarantined = quarantine::quarantined_tips(&settings.home)?;
    match quarantined.len() {
        0 => println!("        {}", msg!("status.quarantine_empty")),
        count => println!(
            "        {}",
            msg!(
                "status.quarantined",
                count = count,
                size = human_size(quarantine::total_size(&quarantined))
            )
        ),
    }
    let connection = match Connection::load(&settings.home) {
        Ok(connection) => connection,
        Err(error) => {
            report(false, error.to_string());
            return Err(Error::Problems(problems));
        }
    };
    if let Some(problem) = Connection::file_permission_problem(&settings.home.connection_path()) {
        report(false, problem);
    }
    let client = RelayClient::new(&connection);
    match client.check_health() {
        Ok(()) => report(
            true,
            msg!("status.relay_answers", address = client.relay_url()),
        ),
        Err(error) => {
            report(false, error.to_string());
            return Err(Error::Problems(problems));
        }
    }
    match client.list_waiting_tips() {
        Ok(on_relay) => {
            // The relay keeps tips for the whole team: new are the ones this inbox lacks.
            let mut held: std::collections::HashSet<String> = store::stored_tips(&settings.home)
                .unwrap_or_default()
                .into_iter()
                .map(|tip| tip.relay_id)
                .collect();
            held.extend(
                crate::quarantine::quarantined_tips(&settings.home)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|tip| tip.relay_id),
            );
            let new = on_relay
                .iter()
                .filter(|tip| !held.contains(&tip.id.to_string()))
                .count();
            report(true, msg!("status.token_accepted", count = new));
            if on_relay.len() > new {
                println!(
                    "        {}",
                    msg!("status.kept_for_team", count = on_relay.len() - new)
                );
            }
        }
        Err(error) => report(false, error.to_string()),
    }
    match client.relay_status() {
        Ok(Some(relay_status)) => print_relay_status(&relay_status),
        Ok(None) => println!("        {}", msg!("status.no_load_report")),
        Err(error) => report(false, error.to_string()),
    }
    match (client.sealing_recipients(), recipient) {
        (Ok(recipients), Some(recipient)) => {
            if recipients.contains(&recipient) {
                report(
                    true,
                    msg!(
                        "status.sealed_to_you",
                        key = recipient,
                        others = recipients.len() - 1
                    ),
                );
            } else {
                report(
                    false,
                    msg!(
                        "status.not_sealed_to_you",
                        key = recipient,
                        count = recipients.len()
                    ),
                );
            }
        }
        (Ok(recipients), None) => println!(
            "        {}",
            msg!(
                "status.sealed_to",
                count = recipients.len(),
                keys = recipients.join(", ")
            )
        ),
        (Err(error), _) => report(false, error.to_string()),
    }
    // The relay's recipients against the coordinator's own set: the relay does not decide who
    // can read the notes, but a key on one side only is worth knowing about.
    match RecipientSet::load(&settings.home, settings.language) {
        Ok(set) => {
            if let Ok(relay_recipients) = client.sealing_recipients() {
                // A reader only the relay lists is a problem; a key of the own set the relay
                // leaves out, a warning (its holder cannot open new tips, nobody else can).
                let added = set.readers_only_the_relay_lists(&relay_recipients);
                let differences = set.compare_with_relay(&relay_recipients, settings.language);
                for (index, difference) in differences.into_iter().enumerate() {
                    if index < added {
                        report(false, difference);
                    } else {
                        let mark = crate::msg_in!(settings.language, "status.mark.warning");
                        println!("{mark} {difference}");
                    }
                }
            }
        }
        Err(error) => report(false, error.to_string()),
    }
    if problems > 0 {
        return Err(Error::Problems(problems));
    }
    println!("{}", msg!("status.all_fine"));
    Ok(())
}

/// The relay's load, for `status`: the lines, and a calm note with the next step when the relay
/// sees a flood or ran out of storage.
fn print_relay_status(relay_status: &RelayStatus) {
    let difficulty = &relay_status.difficulty;
    let verified = &relay_status.verified_submissions;
    let refused = &relay_status.refused_last_day;
    println!(
        "        {}",
        msg!(
            "status.difficulty",
            current = difficulty.current,
            base = difficulty.base,
            maximum = difficulty.maximum
        )
    );
    println!(
        "        {}",
        msg!(
            "status.verified",
            window = describe_window(verified.window_seconds),
            count = verified.in_window,
            normal = verified.baseline
        )
    );
    let refusals: Vec<String> = refused
        .by_code()
        .iter()
        .filter(|(_, count)| *count > 0)
        .map(|(code, count)| format!("{count} {code}"))
        .collect();
    if refusals.is_empty() {
        println!("        {}", msg!("status.refused_none"));
    } else {
        println!(
            "        {}",
            msg!(
                "status.refused",
                count = refused.total(),
                codes = refusals.join(", ")
            )
        );
    }
    if difficulty.is_raised() {
        println!(
            "{} {}",
            msg!("status.mark.note"),
            msg!(
                "status.flood_note",
                current = difficulty.current,
                base = difficulty.base
            )
        );
    }
    if refused.storage_full > 0 {
        println!(
            "{} {}",
            msg!("status.mark.note"),
            msg!("status.storage_full_note", count = refused.storage_full)
        );
    }
}

/// A sliding window's length in words: "hour", "2 hours", "10 minutes" (in Dutch with its
/// preposition: "in het afgelopen uur").
fn describe_window(seconds: u64) -> String {
    match seconds {
        3600 => msg!("status.window.hour"),
        seconds if seconds % 3600 == 0 => msg!("status.window.hours", count = seconds / 3600),
        60 => msg!("status.window.minute"),
        seconds if seconds % 60 == 0 => msg!("status.window.minutes", count = seconds / 60),
        seconds => msg!("status.window.seconds", count = seconds),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_described_in_the_largest_whole_unit() {
        // The unit tests run in Dutch, the default language.
        assert_eq!(describe_window(3600), "in het afgelopen uur");
        assert_eq!(describe_window(7200), "in de afgelopen 2 uur");
        assert_eq!(describe_window(60), "in de afgelopen minuut");
        assert_eq!(describe_window(600), "in de afgelopen 10 minuten");
        assert_eq!(describe_window(90), "in de afgelopen 90 seconden");
    }
}
