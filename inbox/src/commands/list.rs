//! `list`: the stored tips, one line each.

use std::io::Write as _;

use fluister_envelope::tip::vocabulary::{Kind, Municipality};

use super::Settings;
use crate::error::{Error, Result};
use crate::msg;
use crate::render;
use crate::store;
use crate::triage::{TriageBook, TriageStatus};

/// Which tips `list` shows; the filters combine.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    /// Only tips with this status.
    pub status: Option<TriageStatus>,
    /// Only tips about this municipality (an id such as `assen`).
    pub municipality: Option<String>,
    /// Only tips of this kind (an id such as `labour`).
    pub kind: Option<String>,
}

/// Prints every stored tip that passes `filter`. Tips that do not open are listed as such
/// (unless a municipality or kind is asked for), explained on standard error, and make the
/// command fail after the list.
pub fn run(settings: &Settings, filter: &ListFilter) -> Result<()> {
    let municipality = filter.municipality.as_deref();
    let kind = filter.kind.as_deref();
    let labels = settings.labels()?;
    // The region's municipalities as `pull` last fetched them, and "somewhere else".
    let municipality_ids: Vec<&str> = labels
        .region()
        .municipalities
        .iter()
        .map(|municipality| municipality.id.as_str())
        .chain([Municipality::OTHER])
        .collect();
    let kind_ids: Vec<&str> = Kind::ALL.iter().map(Kind::as_str).collect();
    check_identifier_filter(
        municipality,
        &municipality_ids,
        &msg!("list.what.municipality"),
    )?;
    check_identifier_filter(kind, &kind_ids, &msg!("list.what.kind"))?;
    let tips = store::stored_tips(&settings.home)?;
    if tips.is_empty() {
        println!(
            "{}",
            msg!("list.no_tips", folder = settings.home.root().display())
        );
        return Ok(());
    }
    let keys = settings.unlock()?;
    let book = TriageBook::load(&settings.home, &keys.identities)?;
    let documents = store::open_all(&tips, &keys);
    let mut output = std::io::stdout().lock();
    writeln!(output, "{}", render::tip_list_heading(settings.language))
        .map_err(Error::UnexplainedIo)?;
    let mut unreadable = Vec::new();
    let mut shown = 0;
    for (tip, document) in tips.iter().zip(&documents) {
        let record = book.record(&tip.relay_id);
        if filter.status.is_some_and(|wanted| wanted != record.status) {
            continue;
        }
        let row = match document {
            Ok(document) => {
                if municipality.is_some_and(|wanted| {
                    document.municipality.as_ref().map(Municipality::as_str) != Some(wanted)
                }) || kind.is_some_and(|wanted| {
                    !document.kinds.iter().any(|known| known.as_str() == wanted)
                }) {
                    continue;
                }
                render::tip_list_row(tip.number, tip.received_hour, document, &record, &labels)
            }
            Err(failure) => {
                if municipality.is_some() || kind.is_some() {
                    continue;
                }
                unreadable.push(failure.explain(&msg!(
                    "tip.numbered",
                    number = tip.number,
                    file = tip.path.display()
                )));
                render::unopened_tip_list_row(tip.number, tip.received_hour, settings.language)
            }
        };
        writeln!(output, "{row}").map_err(Error::UnexplainedIo)?;
        shown += 1;
    }
    drop(output);
    if shown == 0 {
        println!("{}", msg!("list.none_match"));
    }
    if !unreadable.is_empty() {
        for reason in &unreadable {
            eprintln!("{reason}");
        }
        return Err(Error::NotOpened(msg!(
            "list.not_opened",
            count = unreadable.len()
        )));
    }
    Ok(())
}

/// Fails with the known ids if `value` is given and is not one of them.
fn check_identifier_filter(value: Option<&str>, known: &[&str], what: &str) -> Result<()> {
    if let Some(value) = value
        && !known.contains(&value)
    {
        return Err(Error::Usage(msg!(
            "list.unknown_id",
            value = value,
            what = what,
            known = known.join(", ")
        )));
    }
    Ok(())
}
