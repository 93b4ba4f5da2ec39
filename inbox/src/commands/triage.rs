//! `triage`: where a tip stands, to whom it was handed over, and notes.

use super::Settings;
use crate::error::{Error, Result};
use crate::msg;
use crate::recipients::RecipientSet;
use crate::render;
use crate::store;
use crate::time::{LocalHour, now_unix_seconds};
use crate::triage::{Note, TriageBook, TriageStatus};

/// What `triage` changes; nothing when every field is `None`.
#[derive(Clone, Debug, Default)]
pub struct TriageChange {
    /// The new status.
    pub status: Option<TriageStatus>,
    /// To whom the tip was handed over (sets the status to handed over).
    pub handed_over_to: Option<String>,
    /// A note to add, dated now.
    pub note: Option<String>,
}

/// Applies `change` to tip `number`'s record (sealed again to the coordinator's own set of keys) and
/// prints its status and notes.
pub fn run(settings: &Settings, number: u64, change: TriageChange) -> Result<()> {
    let TriageChange {
        status,
        handed_over_to: to,
        note,
    } = change;
    let stored = store::find_tip(&settings.home, number)?;
    let keys = settings.unlock()?;
    let _lock = settings.home.lock()?;
    let mut book = TriageBook::load(&settings.home, &keys.identities)?;
    let changing = status.is_some() || to.is_some() || note.is_some();
    if changing {
        let record = book.record_mut(&stored.relay_id);
        if let Some(status) = status {
            record.status = status;
            if status != TriageStatus::HandedOver && to.is_none() {
                record.handed_over_to = None;
            }
        }
        if let Some(whom) = to {
            if whom.trim().is_empty() {
                return Err(Error::Usage(msg!("triage.to_needs_name")));
            }
            if status.is_some_and(|status| status != TriageStatus::HandedOver) {
                return Err(Error::Usage(msg!("triage.to_conflicts_with_status")));
            }
            record.status = TriageStatus::HandedOver;
            record.handed_over_to = Some(whom.trim().to_owned());
        }
        if let Some(text) = note {
            if text.trim().is_empty() {
                return Err(Error::Usage(msg!("triage.empty_note")));
            }
            record.notes.push(Note {
                written_at: now_unix_seconds(),
                text: text.trim().to_owned(),
            });
        }
        // Sealed to the coordinator's own set (their key, the backup key, a successor's).
        let recipients = RecipientSet::load(&settings.home, settings.language)?
            .sealing_recipients(&keys.own_recipient);
        book.save(&settings.home, &recipients)?;
    }
    let record = book.record(&stored.relay_id);
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
    Ok(())
}
