//! `receivers`, `handover` and `feedback`: a case reaches the right agency sealed to that agency
//! alone, with only what it should read, and what the agency did with it is recorded.

use std::path::PathBuf;

use fluister_envelope::age::{self, armor};
use zeroize::Zeroizing;

use super::Settings;
use crate::error::{Error, Result};
use crate::home::replace_file;
use crate::msg;
use crate::receivers::Receivers;
use crate::recipients::RecipientSet;
use crate::render::{self, RedactPart, TipContext};
use crate::store;
use crate::team::{self, Change};
use crate::triage::{Outcome, TriageBook, TriageStatus};

/// What replaces a passage left out of the reporter's text.
const LEFT_OUT_MARK: &str = "[…]";

/// The shortest passage that may be marked: a shorter one would cut letters out of words.
const MIN_PASSAGE_CHARS: usize = 3;

/// Prints the receivers' book: name, whether a key is set, the note.
pub fn list_receivers(settings: &Settings) -> Result<()> {
    let book = Receivers::load(&settings.home)?;
    println!(
        "{}",
        msg!(
            "receivers.heading",
            file = settings.home.receivers_path().display()
        )
    );
    for receiver in &book.receivers {
        let key = if receiver.recipient().is_some() {
            msg!("receivers.has_key")
        } else {
            msg!("receivers.no_key")
        };
        let mut line = format!("  {}  ({key})", render::sanitise(&receiver.name, false));
        if !receiver.note.is_empty() {
            line.push_str(&format!(" – {}", render::sanitise(&receiver.note, false)));
        }
        println!("{line}");
    }
    println!("{}", msg!("receivers.next"));
    Ok(())
}

/// Adds or changes a receiver.
pub fn set_receiver(
    settings: &Settings,
    name: &str,
    key: Option<&str>,
    note: Option<&str>,
) -> Result<()> {
    let _lock = settings.home.lock()?;
    let mut book = Receivers::load(&settings.home)?;
    book.set(name, key, note)?;
    book.save(&settings.home)?;
    println!("{}", msg!("receivers.saved", name = name.trim()));
    Ok(())
}

/// Removes a receiver.
pub fn remove_receiver(settings: &Settings, name: &str) -> Result<()> {
    let _lock = settings.home.lock()?;
    let mut book = Receivers::load(&settings.home)?;
    if !book.remove(name) {
        return Err(Error::Usage(msg!("receivers.unknown", name = name.trim())));
    }
    book.save(&settings.home)?;
    println!("{}", msg!("receivers.removed", name = name.trim()));
    Ok(())
}

/// What `handover` hands over, and where it goes.
#[derive(Clone, Debug)]
pub struct HandoverOptions {
    /// The receiver's name in the book.
    pub to: String,
    /// Whole fields left out (the reply address always is).
    pub leave_out: Vec<RedactPart>,
    /// Passages of the reporter's text left out, exactly as they appear in it.
    pub passages: Vec<String>,
    /// Show what the receiver would read, and do nothing else.
    pub preview: bool,
    /// The sealed file to write (it must not exist).
    pub output: Option<PathBuf>,
    /// Write it armored (text), for e-mail.
    pub armor: bool,
}

/// Hands tip `number` over: the case file without what is left out, sealed to the receiver's
/// key alone (it opens with any age tool and the receiver's identity), written to the output
/// file, and recorded on the case (to whom, when, what was left out) in the team log.
pub fn handover(settings: &Settings, number: u64, options: &HandoverOptions) -> Result<()> {
    let book = Receivers::load(&settings.home)?;
    let receiver = book
        .find(&options.to)
        .ok_or_else(|| Error::Usage(msg!("receivers.unknown", name = options.to.trim())))?
        .clone();
    let output = match (&options.output, options.preview) {
        (_, true) => None,
        (Some(path), false) => {
            if path.exists() {
                return Err(Error::Usage(msg!("export.exists", file = path.display())));
            }
            Some(path.clone())
        }
        (None, false) => return Err(Error::Usage(msg!("handover.needs_output"))),
    };
    let recipient = receiver.recipient();
    if recipient.is_none() && !options.preview {
        return Err(Error::Usage(msg!(
            "handover.no_key",
            name = render::sanitise(&receiver.name, false)
        )));
    }
    let stored = store::find_tip(&settings.home, number)?;
    let sealed = store::read_sealed_file(&stored.path)?;
    let keys = settings.unlock()?;
    let mut document = store::open_tip(&keys.identities, &sealed).map_err(|failure| {
        Error::NotOpened(failure.explain(&msg!(
            "tip.numbered",
            number = number,
            file = stored.path.display()
        )))
    })?;
    // Passages the reporter wrote that would identify them (their own name, an address).
    for passage in &options.passages {
        if passage.trim().chars().count() < MIN_PASSAGE_CHARS {
            return Err(Error::Usage(msg!(
                "handover.passage_too_short",
                minimum = MIN_PASSAGE_CHARS
            )));
        }
        if !document.text.contains(passage.as_str()) {
            return Err(Error::Usage(msg!("handover.passage_not_found")));
        }
        document.text = document.text.replace(passage.as_str(), LEFT_OUT_MARK);
    }
    let mut leave_out = options.leave_out.clone();
    if !leave_out.contains(&RedactPart::Reply) {
        leave_out.push(RedactPart::Reply);
    }
    let book_now = TriageBook::load(&settings.home, &keys.identities)?;
    let record = book_now.record(&stored.relay_id);
    let context = TipContext {
        number: Some(number),
        received_hour: Some(stored.received_hour),
        triage: Some(&record),
    };
    let case_file = Zeroizing::new(render::export_markdown(
        &document,
        &context,
        &settings.labels()?,
        &leave_out,
    ));
    if options.preview {
        println!(
            "{}",
            msg!(
                "handover.preview_heading",
                name = render::sanitise(&receiver.name, false)
            )
        );
        println!("{}", case_file.as_str());
        return Ok(());
    }
    let (Some(recipient), Some(output)) = (recipient, output) else {
        unreachable!("checked above for a hand-over that is not a preview");
    };
    let sealed_file =
        age::seal(&[recipient], case_file.as_bytes()).map_err(|source| Error::Crypto {
            message: msg!("handover.sealing_failed"),
            source,
        })?;
    let written = if options.armor {
        armor::encode(&sealed_file).into_bytes()
    } else {
        sealed_file
    };
    replace_file(&output, &written)?;
    let mut id = [0u8; 16];
    getrandom::fill(&mut id).map_err(Error::Randomness)?;
    let left_out_words: Vec<String> = leave_out
        .iter()
        .filter(|part| **part != RedactPart::Reply)
        .map(|part| part.id().to_owned())
        .collect();
    let changes = vec![
        Change::HandedOver {
            id: id.iter().map(|byte| format!("{byte:02x}")).collect(),
            receiver: receiver.name.clone(),
            left_out: left_out_words,
            passages_left_out: u32::try_from(options.passages.len()).unwrap_or(u32::MAX),
        },
        Change::Status {
            status: TriageStatus::HandedOver,
            handed_over_to: Some(receiver.name.clone()),
        },
    ];
    let _lock = settings.home.lock()?;
    let recipients = RecipientSet::load(&settings.home, settings.language)?
        .sealing_recipients(&keys.own_recipient);
    team::change_tip(
        &settings.home,
        &keys,
        &recipients,
        &stored.relay_id,
        changes,
    )?;
    println!(
        "{}",
        msg!(
            "handover.done",
            number = number,
            name = render::sanitise(&receiver.name, false),
            file = output.display()
        )
    );
    Ok(())
}

/// Records what the receiver of tip `number`'s latest hand-over (or the one whose id starts
/// with `handover`) said they did with it.
pub fn feedback(
    settings: &Settings,
    number: u64,
    outcome: Outcome,
    handover: Option<&str>,
) -> Result<()> {
    let stored = store::find_tip(&settings.home, number)?;
    let keys = settings.unlock()?;
    let _lock = settings.home.lock()?;
    let book = TriageBook::load(&settings.home, &keys.identities)?;
    let record = book.record(&stored.relay_id);
    let chosen = match handover {
        Some(prefix) => record
            .handovers
            .iter()
            .find(|handed| !prefix.is_empty() && handed.id.starts_with(prefix)),
        None => record.handovers.last(),
    }
    .ok_or_else(|| Error::Usage(msg!("feedback.no_handover", number = number)))?
    .clone();
    let recipients = RecipientSet::load(&settings.home, settings.language)?
        .sealing_recipients(&keys.own_recipient);
    team::change_tip(
        &settings.home,
        &keys,
        &recipients,
        &stored.relay_id,
        vec![Change::Feedback {
            handover: chosen.id.clone(),
            outcome,
        }],
    )?;
    println!(
        "{}",
        msg!(
            "feedback.recorded",
            number = number,
            name = render::sanitise(&chosen.receiver, false),
            outcome = outcome.label(settings.language)
        )
    );
    Ok(())
}
