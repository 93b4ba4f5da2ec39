//! `show`: one tip in full, and the conversation with its reporter.

use std::path::Path;

use zeroize::Zeroizing;

use super::Settings;
use crate::conversation;
use crate::error::{Error, Result};
use crate::msg;
use crate::render::{self, TipContext};
use crate::store::{self, OpenFailure};
use crate::triage::TriageBook;

/// Shows the tip `tip` names: a number in the store (with its status, notes and conversation)
/// or the path of any age file sealed to the coordinator's key. A file that opens but holds no
/// tip is shown as plain text.
pub fn run(settings: &Settings, tip: &str) -> Result<()> {
    let (sealed, context_number, received_hour, relay_id, what) = match tip.parse::<u64>() {
        Ok(number) => {
            let stored = store::find_tip(&settings.home, number)?;
            let sealed = store::read_sealed_file(&stored.path)?;
            (
                sealed,
                Some(number),
                Some(stored.received_hour),
                Some(stored.relay_id),
                msg!(
                    "tip.numbered",
                    number = number,
                    file = stored.path.display()
                ),
            )
        }
        Err(_) => {
            let path = Path::new(tip);
            if !path.exists() {
                return Err(Error::Usage(msg!("show.not_a_tip", tip = tip)));
            }
            (
                store::read_sealed_file(path)?,
                None,
                None,
                None,
                msg!("tip.file", file = tip),
            )
        }
    };
    let keys = settings.unlock()?;
    if let Some(relay_id) = &relay_id {
        // In a team, who opened which tip (to the hour) goes to the team log.
        crate::team::record_opened(&settings.home, &keys, settings.language, relay_id);
    }
    let book = match &relay_id {
        Some(_) => Some(TriageBook::load(&settings.home, &keys.identities)?),
        None => None,
    };
    let record = relay_id
        .as_ref()
        .zip(book.as_ref())
        .map(|(relay_id, book)| book.record(relay_id));
    let context = TipContext {
        number: context_number,
        received_hour,
        triage: record.as_ref(),
    };
    match store::open_tip(&keys.identities, &sealed) {
        Ok(document) => {
            print!(
                "{}",
                render::show_text(&document, &context, &settings.labels()?)
            );
            if let Some(record) = &record {
                if let Some(name) = &record.assigned_to {
                    println!(
                        "{}",
                        msg!("triage.assigned_line", name = render::sanitise(name, false))
                    );
                }
                crate::team::print_history(&settings.home, &keys, record, settings.language)?;
            }
            if let Some(source) = document.source {
                println!(
                    "{}",
                    msg!(
                        "show.source",
                        source = super::register::source_label(source, settings.language)
                    )
                );
            }
            if let (Some(record), Some(relay_id), Some(received_hour)) =
                (&record, &relay_id, received_hour)
            {
                print_linked_and_suggestions(
                    settings,
                    &keys,
                    &document,
                    record,
                    relay_id,
                    context_number.unwrap_or_default(),
                    received_hour,
                )?;
            }
            if let (Some(number), Some(relay_id)) = (context_number, &relay_id) {
                let entries = conversation::opened_entries(
                    &settings.home,
                    relay_id,
                    &keys.identities,
                    document.reply.as_ref(),
                )?;
                if document.reply.is_some() || !entries.is_empty() {
                    print!(
                        "{}",
                        render::conversation_text(
                            &entries,
                            &format!("fluister-inbox reply {number} \"…\""),
                            settings.language
                        )
                    );
                }
            }
            Ok(())
        }
        Err(OpenFailure::NotATipDocument(plaintext)) => {
            eprintln!(
                "{}",
                OpenFailure::NotATipDocument(Zeroizing::new(Vec::new())).explain(&what)
            );
            println!("{}", render::show_plain_text(&plaintext));
            Ok(())
        }
        Err(failure) => Err(Error::NotOpened(failure.explain(&what))),
    }
}

/// The cases linked to this one, and those that may be about the same situation (the same
/// municipality and kind, within 90 days), computed from the opened documents: a suggestion
/// only, with the command that links them.
fn print_linked_and_suggestions(
    settings: &Settings,
    keys: &crate::keys::UnlockedKeys,
    document: &fluister_envelope::tip::TipDocument,
    record: &crate::triage::TriageRecord,
    relay_id: &str,
    number: u64,
    received_hour: u64,
) -> Result<()> {
    use super::link::{self, CaseFacts};
    let tips = store::stored_tips(&settings.home)?;
    let labels = settings.labels()?;
    let others: Vec<CaseFacts> = tips
        .iter()
        .zip(store::open_all(&tips, keys))
        .map(|(tip, opened)| CaseFacts::of(tip, opened.ok().as_ref()))
        .collect();
    let this_case = CaseFacts {
        number,
        relay_id: relay_id.to_owned(),
        received_hour,
        municipality: document.municipality.clone(),
        kinds: document.kinds.clone(),
    };
    for other in others
        .iter()
        .filter(|other| record.linked.contains(&other.relay_id))
    {
        println!(
            "{}",
            msg!("show.linked", case = link::describe(other, &labels))
        );
    }
    for other in link::suggestions(&this_case, &others, &record.linked) {
        println!(
            "{}",
            msg!(
                "show.suggestion",
                case = link::describe(other, &labels),
                number = number,
                other = other.number
            )
        );
    }
    Ok(())
}
