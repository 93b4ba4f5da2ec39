//! `team`: the colleagues who work the same tips, and `archive`: a tip taken off the relay by
//! the team's decision.

use super::Settings;
use crate::error::{Error, Result};
use crate::msg;
use crate::recipients::RecipientSet;
use crate::relay::{Connection, RelayClient};
use crate::team::{self, Change, Member, Team};
use crate::triage::TriageBook;
use crate::{render, store};

/// Prints this inbox's card (what a colleague needs to add it) and the pinned members. Asks
/// for the passphrase: the signing key is derived from the key.
pub fn show(settings: &Settings) -> Result<()> {
    let keys = settings.unlock()?;
    let identity = keys
        .identities
        .first()
        .ok_or_else(|| Error::Key(msg!("team.no_identity")))?;
    let own_key = team::signing_key(identity).verifying_key();
    println!("{}", msg!("team.card_heading"));
    println!(
        "    fluister-inbox team add \"{}\" {} {}",
        msg!("team.card_your_name"),
        keys.own_recipient,
        team::signing_key_text(&own_key)
    );
    println!();
    let team = Team::load(&settings.home)?;
    if team.members().is_empty() {
        println!("{}", msg!("team.none_pinned"));
        return Ok(());
    }
    println!(
        "{}",
        msg!(
            "team.members_heading",
            file = settings.home.team_path().display()
        )
    );
    for member in team.members() {
        let mut line = format!(
            "  {}  {}",
            render::sanitise(&member.name, false),
            team::signing_key_text(&member.key)
        );
        if member.key == own_key {
            line.push_str(&msg!("keys.this_inbox"));
        }
        println!("{line}");
    }
    Ok(())
}

/// Pins a colleague: their age key joins the own set (the notes and the team log are sealed to
/// them from now on) and their signing key and name go into `team.txt`.
pub fn add(settings: &Settings, name: &str, recipient: &str, signing_key: &str) -> Result<()> {
    let name = name.trim();
    if !team::is_member_name(name) {
        return Err(Error::Usage(msg!("team.bad_name")));
    }
    let key =
        team::parse_signing_key(signing_key).ok_or_else(|| Error::Usage(msg!("team.bad_key")))?;
    let keys = settings.unlock()?;
    let (recipient, _, _) = super::keys::add_to_set(
        &settings.home,
        settings.language,
        &keys,
        recipient,
        &msg!("team.key_name", name = name),
    )?;
    let _lock = settings.home.lock()?;
    let mut team = Team::load(&settings.home)?;
    let added = team.add(Member {
        key,
        recipient,
        name: name.to_owned(),
    });
    team.save(&settings.home)?;
    // What the colleague wrote before, kept but not yet trusted, counts now.
    let recipients = RecipientSet::load(&settings.home, settings.language)?
        .sealing_recipients(&keys.own_recipient);
    team::reapply_kept(&settings.home, &keys, &recipients)?;
    println!(
        "{}",
        if added {
            msg!("team.added", name = name, recipient = recipient)
        } else {
            msg!("team.already_there", name = name)
        }
    );
    println!("{}", msg!("team.add_next"));
    Ok(())
}

/// Unpins the colleague called `name` and takes their age key out of the own set (by the key
/// itself, first): what is sealed from now on no longer opens for them, and entries they sign
/// are refused. A kill between the two steps leaves them pinned; run it again to finish.
pub fn remove(settings: &Settings, name: &str) -> Result<()> {
    let name = name.trim();
    let keys = settings.unlock()?;
    let member = Team::load(&settings.home)?
        .members()
        .iter()
        .find(|member| member.name == name)
        .cloned()
        .ok_or_else(|| Error::Usage(msg!("triage.assign_unknown", name = name)))?;
    let set = RecipientSet::load(&settings.home, settings.language)?;
    if set.contains(&member.recipient) {
        super::keys::remove_from_set(
            &settings.home,
            settings.language,
            &keys,
            &member.recipient.to_string(),
        )?;
    }
    let _lock = settings.home.lock()?;
    let mut team = Team::load(&settings.home)?;
    team.remove(name);
    team.save(&settings.home)?;
    println!("{}", msg!("team.removed", name = member.name));
    Ok(())
}

/// Whether `archive` may go on without asking on the terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArchiveConfirmation {
    /// Ask on the terminal.
    Ask,
    /// `--yes` was given.
    Given,
}

/// Archives tip `number`: records the decision in the team log (it must reach the relay
/// first), then deletes the tip on the relay. The local copy stays.
pub fn archive(settings: &Settings, number: u64, confirmation: ArchiveConfirmation) -> Result<()> {
    let stored = store::find_tip(&settings.home, number)?;
    if confirmation == ArchiveConfirmation::Ask {
        confirm(&msg!("archive.confirm", number = number))?;
    }
    let keys = settings.unlock()?;
    let connection = Connection::load(&settings.home)?;
    let client = RelayClient::new(&connection);
    let _lock = settings.home.lock()?;
    let recipients = RecipientSet::load(&settings.home, settings.language)?
        .sealing_recipients(&keys.own_recipient);
    // Archived once: running it again (the relay was out of reach) only deletes.
    let already = TriageBook::load(&settings.home, &keys.identities)?
        .record(&stored.relay_id)
        .archived;
    let changes = if already {
        Vec::new()
    } else {
        vec![Change::Archived]
    };
    let (_, sent) = team::change_tip(
        &settings.home,
        &keys,
        &recipients,
        &stored.relay_id,
        changes,
    )?;
    if !sent {
        // Sending again reports why the relay could not take the entry.
        team::send_outbox(&settings.home, &client)?;
    }
    let tip_id = fluister_protocol::ids::TipId::parse(&stored.relay_id)
        .ok_or_else(|| Error::Usage(msg!("archive.bad_id")))?;
    client.delete_tip(&tip_id)?;
    println!("{}", msg!("archive.done", number = number));
    Ok(())
}

/// Asks `question` on the terminal; anything but yes stops the command.
fn confirm(question: &str) -> Result<()> {
    use std::io::{BufRead as _, IsTerminal as _, Write as _};
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Error::Usage(msg!("archive.needs_yes")));
    }
    print!("{question} ");
    std::io::stdout().flush().map_err(Error::UnexplainedIo)?;
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .map_err(Error::UnexplainedIo)?;
    let answer = answer.trim().to_lowercase();
    if ["j", "ja", "y", "yes"].contains(&answer.as_str()) {
        Ok(())
    } else {
        Err(Error::Usage(msg!("archive.not_confirmed")))
    }
}
