//! `link`: two cases about the same situation (a web tip and a phone call about the same farm,
//! say), linked by hand through the team log, and the suggestions `show` makes: other cases
//! with the same municipality and kind that arrived within 90 days of each other. A suggestion
//! is only ever shown; linking is the coordinator's decision.

use fluister_envelope::tip::TipDocument;
use fluister_envelope::tip::vocabulary::{Kind, Municipality};

use super::Settings;
use crate::error::{Error, Result};
use crate::home::InboxHome;
use crate::keys::UnlockedKeys;
use crate::msg;
use crate::recipients::RecipientSet;
use crate::store::{self, StoredTip};
use crate::team::{self, Change};
use crate::time::LocalHour;
use crate::triage::TriageBook;
use crate::vocabulary::{Labels, Language};

/// How far apart two cases may have arrived to be suggested as the same situation.
pub const SUGGESTION_WINDOW_SECONDS: u64 = 90 * 24 * 3600;

/// What a suggestion compares of a case: where, what kind, and when it arrived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseFacts {
    /// The local number.
    pub number: u64,
    /// The relay id (the triage book's key).
    pub relay_id: String,
    /// The hour it arrived (or was registered), Unix seconds.
    pub received_hour: u64,
    /// Its municipality, if the document names one.
    pub municipality: Option<Municipality>,
    /// Its kinds, as the document names them (none, one or several).
    pub kinds: Vec<Kind>,
}

impl CaseFacts {
    /// The facts of `tip` with its opened `document` (`None`: it did not open).
    pub fn of(tip: &StoredTip, document: Option<&TipDocument>) -> Self {
        Self {
            number: tip.number,
            relay_id: tip.relay_id.clone(),
            received_hour: tip.received_hour,
            municipality: document.and_then(|document| document.municipality.clone()),
            kinds: document.map_or_else(Vec::new, |document| document.kinds.clone()),
        }
    }
}

/// The cases among `others` that may be about the same situation as `case`: the same
/// municipality (not "somewhere else") and a kind in common, arrived within
/// [`SUGGESTION_WINDOW_SECONDS`] of it, not `case` itself and not linked to it already
/// (`linked`, relay ids). In number order.
pub fn suggestions<'a>(
    case: &CaseFacts,
    others: &'a [CaseFacts],
    linked: &[String],
) -> Vec<&'a CaseFacts> {
    let Some(municipality) = &case.municipality else {
        return Vec::new();
    };
    if municipality.is_other() || case.kinds.is_empty() {
        return Vec::new();
    }
    others
        .iter()
        .filter(|other| {
            other.relay_id != case.relay_id
                && !linked.contains(&other.relay_id)
                && other.municipality.as_ref() == Some(municipality)
                && other.kinds.iter().any(|kind| case.kinds.contains(kind))
                && other.received_hour.abs_diff(case.received_hour) <= SUGGESTION_WINDOW_SECONDS
        })
        .collect()
}

/// A case in a line: `melding 7 (Assen, arbeidsuitbuiting, 2026-12-04)`.
pub fn describe(facts: &CaseFacts, labels: &Labels) -> String {
    let mut parts = Vec::new();
    if let Some(municipality) = &facts.municipality {
        parts.push(labels.municipality(municipality));
    }
    for kind in &facts.kinds {
        parts.push(labels.kind(kind).to_lowercase());
    }
    parts.push(LocalHour::from_unix_seconds(facts.received_hour).date());
    crate::msg_in!(
        labels.language(),
        "link.case",
        number = facts.number,
        facts = parts.join(", ")
    )
}

/// What linking two cases did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Linked {
    /// They were linked already; nothing changed.
    Already,
    /// Linked now; `true` when the relay has the team log entries (else they wait in the
    /// outbox for the next `pull`).
    Now(bool),
}

/// Links `first` and `second` (stored cases, not the same one): a `Linked` entry on each, in
/// the team log and the triage book, sealed to the own set. Takes the inbox lock.
pub fn link_cases(
    home: &InboxHome,
    keys: &UnlockedKeys,
    language: Language,
    first: &StoredTip,
    second: &StoredTip,
) -> Result<Linked> {
    let _lock = home.lock()?;
    let book = TriageBook::load(home, &keys.identities)?;
    let first_linked = book
        .record(&first.relay_id)
        .linked
        .contains(&second.relay_id);
    let second_linked = book
        .record(&second.relay_id)
        .linked
        .contains(&first.relay_id);
    if first_linked && second_linked {
        return Ok(Linked::Already);
    }
    let recipients = RecipientSet::load(home, language)?.sealing_recipients(&keys.own_recipient);
    let mut all_sent = true;
    for (tip, other, done) in [
        (first, second, first_linked),
        (second, first, second_linked),
    ] {
        if done {
            continue;
        }
        let (_, sent) = team::change_tip(
            home,
            keys,
            &recipients,
            &tip.relay_id,
            vec![Change::Linked {
                other: other.relay_id.clone(),
            }],
        )?;
        all_sent &= sent;
    }
    Ok(Linked::Now(all_sent))
}

/// Links cases `first` and `second` (see [`link_cases`]) and says so.
pub fn run(settings: &Settings, first: u64, second: u64) -> Result<()> {
    if first == second {
        return Err(Error::Usage(msg!("link.same_case", number = first)));
    }
    let first_tip = store::find_tip(&settings.home, first)?;
    let second_tip = store::find_tip(&settings.home, second)?;
    let keys = settings.unlock()?;
    match link_cases(
        &settings.home,
        &keys,
        settings.language,
        &first_tip,
        &second_tip,
    )? {
        Linked::Already => println!("{}", msg!("link.already", first = first, second = second)),
        Linked::Now(sent) => {
            println!("{}", msg!("link.done", first = first, second = second));
            if !sent && team::Team::load(&settings.home)?.has_colleagues(&keys) {
                println!("{}", msg!("team.waiting_in_outbox"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(number: u64, municipality: &str, kind: Kind, day: u64) -> CaseFacts {
        CaseFacts {
            number,
            relay_id: format!("{number:032x}"),
            received_hour: 1_780_000_000 - 1_780_000_000 % 3600 + day * 24 * 3600,
            municipality: Some(Municipality::from_id(municipality)),
            kinds: vec![kind],
        }
    }

    #[test]
    fn same_municipality_and_kind_within_ninety_days_is_suggested() {
        let case = facts(1, "assen", Kind::Labour, 100);
        let others = vec![
            case.clone(),
            facts(2, "assen", Kind::Labour, 10),
            facts(3, "assen", Kind::Labour, 9),
            facts(4, "emmen", Kind::Labour, 100),
            facts(5, "assen", Kind::Sexual, 100),
            facts(6, "assen", Kind::Labour, 190),
            facts(7, "assen", Kind::Labour, 191),
            facts(8, "assen", Kind::Labour, 101),
            CaseFacts {
                kinds: vec![Kind::Sexual, Kind::Labour],
                ..facts(9, "assen", Kind::Labour, 99)
            },
            CaseFacts {
                kinds: vec![Kind::Sexual, Kind::Criminal],
                ..facts(10, "assen", Kind::Labour, 99)
            },
        ];
        let numbers = |linked: &[String]| -> Vec<u64> {
            suggestions(&case, &others, linked)
                .iter()
                .map(|other| other.number)
                .collect()
        };
        // Tip 9 names labour among other kinds; tip 10 shares no kind.
        assert_eq!(numbers(&[]), vec![2, 6, 8, 9]);
        assert_eq!(numbers(&[format!("{:032x}", 8)]), vec![2, 6, 9]);
    }

    #[test]
    fn somewhere_else_or_unknown_is_never_a_match() {
        let case = facts(1, "other", Kind::Labour, 0);
        let others = vec![facts(2, "other", Kind::Labour, 0)];
        assert!(suggestions(&case, &others, &[]).is_empty());
        let mut unknown = facts(3, "assen", Kind::Labour, 0);
        unknown.kinds.clear();
        assert!(suggestions(&unknown, &[unknown.clone()], &[]).is_empty());
    }
}
