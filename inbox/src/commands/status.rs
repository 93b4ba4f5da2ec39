//! `status`: check everything without changing anything.

use super::Settings;
use crate::error::{Error, Result};
use crate::quarantine;
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
        println!("{} {text}", if ok { "ok     " } else { "PROBLEM" });
    };
    println!("Inbox folder: {}", settings.home.root().display());
    let recipient = std::fs::read_to_string(settings.home.recipient_path())
        .ok()
        .map(|text| text.trim().to_owned());
    if settings.identity_path.exists() {
        report(
            true,
            format!("key file {}", settings.identity_path.display()),
        );
    } else {
        report(
            false,
            format!(
                "no key at {}: run `fluister-inbox keygen` (or give your key with --identity FILE)",
                settings.identity_path.display()
            ),
        );
    }
    let stored = store::stored_tips(&settings.home)?;
    println!("        {} tips stored in this inbox", stored.len());
    let quarantined = quarantine::quarantined_tips(&settings.home)?;
    match quarantined.len() {
        0 => println!("        no tips in quarantine"),
        count => println!(
            "        {count} tip(s) in quarantine ({}): they did not open with your key when \
             pulled; see `fluister-inbox quarantine`",
            human_size(quarantine::total_size(&quarantined))
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
        Ok(()) => report(true, format!("the relay at {} answers", client.relay_url())),
        Err(error) => {
            report(false, error.to_string());
            return Err(Error::Problems(problems));
        }
    }
    match client.list_waiting_tips() {
        Ok(waiting) => report(
            true,
            format!(
                "the relay accepts your token; {} tips are waiting (`fluister-inbox pull`)",
                waiting.len()
            ),
        ),
        Err(error) => report(false, error.to_string()),
    }
    match client.relay_status() {
        Ok(Some(relay_status)) => print_relay_status(&relay_status),
        Ok(None) => println!(
            "        the relay does not report its load (it is an older version without \
             /api/v1/status); the other checks still apply"
        ),
        Err(error) => report(false, error.to_string()),
    }
    match (client.sealing_recipients(), recipient) {
        (Ok(recipients), Some(recipient)) => {
            if recipients.contains(&recipient) {
                report(
                    true,
                    format!(
                        "the relay seals tips to your key {recipient} (and {} other key(s))",
                        recipients.len() - 1
                    ),
                );
            } else {
                report(
                    false,
                    format!(
                        "the relay does NOT seal tips to your key {recipient}: ask its operator to add it to \
                     coordinator.recipients (it now lists {} key(s))",
                        recipients.len()
                    ),
                );
            }
        }
        (Ok(recipients), None) => println!(
            "        the relay seals tips to {} key(s): {}",
            recipients.len(),
            recipients.join(", ")
        ),
        (Err(error), _) => report(false, error.to_string()),
    }
    if problems > 0 {
        return Err(Error::Problems(problems));
    }
    println!("Everything looks fine.");
    Ok(())
}

/// The relay's load, for `status`: the lines, and a calm note with the next step when the relay
/// sees a flood or ran out of storage.
fn print_relay_status(relay_status: &RelayStatus) {
    let difficulty = &relay_status.difficulty;
    let verified = &relay_status.verified_submissions;
    let refused = &relay_status.refused_last_day;
    println!(
        "        proof of work asked of a new tip: difficulty {} (normally {}, at most {})",
        difficulty.current, difficulty.base, difficulty.maximum
    );
    println!(
        "        submissions verified in the last {}: {} (normal: up to {})",
        describe_window(verified.window_seconds),
        verified.in_window,
        verified.baseline
    );
    let refusals: Vec<String> = refused
        .by_code()
        .iter()
        .filter(|(_, count)| *count > 0)
        .map(|(code, count)| format!("{count} {code}"))
        .collect();
    if refusals.is_empty() {
        println!("        refused for budget in the last 24 hours: none");
    } else {
        println!(
            "        refused for budget in the last 24 hours: {} ({})",
            refused.total(),
            refusals.join(", ")
        );
    }
    if difficulty.is_raised() {
        println!(
            "note    The relay is raising the cost of sending a tip (difficulty {} instead of {}) \
             because it received unusually many submissions: possibly a flood of junk. Nothing \
             urgent for you: real tips still arrive, sending one just takes longer. Pull as \
             usual (junk goes into quarantine). If it lasts more than a day, tell the relay's \
             operator.",
            difficulty.current, difficulty.base
        );
    }
    if refused.storage_full > 0 {
        println!(
            "note    The relay refused {} submission(s) in the last 24 hours because its storage \
             was full. Pull now to make room: `fluister-inbox pull` (junk goes into \
             quarantine). If it keeps happening, tell the relay's operator.",
            refused.storage_full
        );
    }
}

/// A sliding window's length in words: "hour", "2 hours", "10 minutes".
fn describe_window(seconds: u64) -> String {
    match seconds {
        3600 => "hour".to_owned(),
        seconds if seconds % 3600 == 0 => format!("{} hours", seconds / 3600),
        60 => "minute".to_owned(),
        seconds if seconds % 60 == 0 => format!("{} minutes", seconds / 60),
        seconds => format!("{seconds} seconds"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_described_in_the_largest_whole_unit() {
        assert_eq!(describe_window(3600), "hour");
        assert_eq!(describe_window(7200), "2 hours");
        assert_eq!(describe_window(60), "minute");
        assert_eq!(describe_window(600), "10 minutes");
        assert_eq!(describe_window(90), "90 seconds");
    }
}
