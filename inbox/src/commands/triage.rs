//! `triage`: where a tip stands, to whom it was handed over, and notes.

use super::Settings;
use crate::error::{Error, Result};
use crate::msg;
use crate::recipients::RecipientSet;
use crate::render;
use crate::store;
use crate::team::{self, Team};
use crate::time::LocalHour;
use crate::triage::{TriageBook, TriageStatus};

/// What `triage` changes; nothing when every field is `None`.
#[derive(Clone, Debug, Default)]
pub struct TriageChange {
    /// The new status.
    pub status: Option<TriageStatus>,
    /// To whom the tip was handed over (sets the status to handed over).
    pub handed_over_to: Option<String>,
    /// A note to add, dated now.
    pub note: Option<String>,
    /// The team member who handles the tip from now on.
    pub assign_to: Option<String>,
}

/// Applies `change` to tip `number`'s record (sealed again to the coordinator's own set of
/// keys, and written to the team log) and prints its status, notes and history.
pub fn run(settings: &Settings, number: u64, change: TriageChange) -> Result<()> {
    let TriageChange {
        status,
        handed_over_to: to,
        note,
        assign_to,
    } = change;
    let stored = store::find_tip(&settings.home, number)?;
    let keys = settings.unlock()?;
    let _lock = settings.home.lock()?;
    let mut status = status;
    if let Some(whom) = &to {
        if whom.trim().is_empty() {
            return Err(Error::Usage(msg!("triage.to_needs_name")));
        }
        if status.is_some_and(|status| status != TriageStatus::HandedOver) {
            return Err(Error::Usage(msg!("triage.to_conflicts_with_status")));
        }
        status = Some(TriageStatus::HandedOver);
    }
    if note.as_ref().is_some_and(|text| text.trim().is_empty()) {
        return Err(Error::Usage(msg!("triage.empty_note")));
    }
    let team = Team::load(&settings.home)?;
    if let Some(name) = &assign_to
        && !team.members().iter().any(|member| &member.name == name)
    {
        return Err(Error::Usage(msg!("triage.assign_unknown", name = name)));
    }
    let book = TriageBook::load(&settings.home, &keys.identities)?;
    let changes = team::changes_for(
        &book.record(&stored.relay_id),
        status,
        to.map(|whom| whom.trim().to_owned()),
        note.map(|text| text.trim().to_owned()),
        assign_to,
    );
    let changing = !changes.is_empty();
    // Sealed to the coordinator's own set (their key, the backup key, a successor's, the team).
    let recipients = RecipientSet::load(&settings.home, settings.language)?
        .sealing_recipients(&keys.own_recipient);
    let (record, sent) = team::change_tip(
        &settings.home,
        &keys,
        &recipients,
        &stored.relay_id,
        changes,
    )?;
    let status_line = match (&record.status, &record.handed_over_to) {
        (TriageStatus::HandedOver, Some(whom)) => format!(
            "{} ({})",
            record.status.label(settings.language),
            render::sanitise(whom, false)
        ),
        (status, _) => status.label(settings.language).to_owned(),
    };
    println!(
        "{}",
        msg!("triage.status_line", number = number, status = status_line)
    );
    for note in &record.notes {
        println!(
            "  {}: {}",
            LocalHour::from_unix_seconds(note.written_at - note.written_at % 3600).date(),
            render::sanitise(&note.text, false)
        );
    }
    if let Some(name) = &record.assigned_to {
        println!(
            "{}",
            msg!("triage.assigned_line", name = render::sanitise(name, false))
        );
    }
    team::print_history(&settings.home, &keys, &record, settings.language)?;
    if changing && !sent {
        println!("{}", msg!("team.waiting_in_outbox"));
    }
    Ok(())
}
