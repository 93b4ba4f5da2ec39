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

/// A hand-over ready to seal: the receiver and exactly the text they will read.
pub struct PreparedHandover {
    /// The receiver, from the book.
    pub receiver: crate::receivers::Receiver,
    /// The case file as the receiver will read it (Markdown).
    pub case_file: Zeroizing<String>,
    /// The tip's relay id.
    relay_id: String,
    /// The whole fields left out (the reply address aside, which never goes).
    left_out: Vec<String>,
    /// How many passages were left out.
    passages: u32,
}

impl std::fmt::Debug for PreparedHandover {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("PreparedHandover")
            .field("receiver", &self.receiver.name)
            .field("case_file_chars", &self.case_file.chars().count())
            .field("left_out", &self.left_out)
            .field("passages", &self.passages)
            .finish_non_exhaustive()
    }
}

/// Prepares the hand-over of tip `number` to the receiver called `to`: the case file without
/// the fields in `leave_out` (and never the reply address) and with every passage in
/// `passages` replaced by `[…]`. Refuses an unknown receiver and a passage that is too short or
/// not in the reporter's text. The command line and the workspace both hand over through here.
pub fn prepare(
    home: &crate::home::InboxHome,
    keys: &crate::keys::UnlockedKeys,
    labels: &crate::vocabulary::Labels,
    number: u64,
    to: &str,
    leave_out: &[RedactPart],
    passages: &[String],
) -> Result<PreparedHandover> {
    let book = Receivers::load(home)?;
    let receiver = book
        .find(to)
        .ok_or_else(|| Error::Usage(msg!("receivers.unknown", name = to.trim())))?
        .clone();
    let stored = store::find_tip(home, number)?;
    let sealed = store::read_sealed_file(&stored.path)?;
    let mut document = store::open_tip(&keys.identities, &sealed).map_err(|failure| {
        Error::NotOpened(failure.explain(&msg!(
            "tip.numbered",
            number = number,
            file = stored.path.display()
        )))
    })?;
    // Passages the reporter wrote that would identify them (their own name, an address).
    let passages: Vec<&str> = passages
        .iter()
        .map(|passage| passage.trim())
        .filter(|passage| !passage.is_empty())
        .collect();
    for passage in &passages {
        if passage.chars().count() < MIN_PASSAGE_CHARS {
            return Err(Error::Usage(msg!(
                "handover.passage_too_short",
                minimum = MIN_PASSAGE_CHARS
            )));
        }
        if !document.text.contains(passage) {
            return Err(Error::Usage(msg!("handover.passage_not_found")));
        }
        document.text = document.text.replace(passage, LEFT_OUT_MARK);
    }
    let mut leave_out = leave_out.to_vec();
    if !leave_out.contains(&RedactPart::Reply) {
        leave_out.push(RedactPart::Reply);
    }
    let record = TriageBook::load(home, &keys.identities)?.record(&stored.relay_id);
    let context = TipContext {
        number: Some(number),
        received_hour: Some(stored.received_hour),
        triage: Some(&record),
    };
    let case_file = Zeroizing::new(render::export_markdown(
        &document, &context, labels, &leave_out,
    ));
    Ok(PreparedHandover {
        receiver,
        case_file,
        relay_id: stored.relay_id,
        left_out: leave_out
            .iter()
            .filter(|part| **part != RedactPart::Reply)
            .map(|part| part.id().to_owned())
            .collect(),
        passages: u32::try_from(passages.len()).unwrap_or(u32::MAX),
    })
}

/// Seals a prepared hand-over to the receiver's key alone (binary, or armored) and records it
/// on the case (to whom, when, what was left out; the status becomes handed over) in the team
/// log. Returns the sealed file. Refuses a receiver without a key.
pub fn seal_and_record(
    home: &crate::home::InboxHome,
    keys: &crate::keys::UnlockedKeys,
    language: crate::vocabulary::Language,
    prepared: &PreparedHandover,
    armored: bool,
) -> Result<Vec<u8>> {
    let recipient = prepared.receiver.recipient().ok_or_else(|| {
        Error::Usage(msg!(
            "handover.no_key",
            name = render::sanitise(&prepared.receiver.name, false)
        ))
    })?;
    let sealed =
        age::seal(&[recipient], prepared.case_file.as_bytes()).map_err(|source| Error::Crypto {
            message: msg!("handover.sealing_failed"),
            source,
        })?;
    let mut id = [0u8; 16];
    getrandom::fill(&mut id).map_err(Error::Randomness)?;
    let changes = vec![
        Change::HandedOver {
            id: id.iter().map(|byte| format!("{byte:02x}")).collect(),
            receiver: prepared.receiver.name.clone(),
            left_out: prepared.left_out.clone(),
            passages_left_out: prepared.passages,
        },
        Change::Status {
            status: TriageStatus::HandedOver,
            handed_over_to: Some(prepared.receiver.name.clone()),
        },
    ];
    let _lock = home.lock()?;
    let recipients = RecipientSet::load(home, language)?.sealing_recipients(&keys.own_recipient);
    team::change_tip(home, keys, &recipients, &prepared.relay_id, changes)?;
    Ok(if armored {
        armor::encode(&sealed).into_bytes()
    } else {
        sealed
    })
}

/// Hands tip `number` over: the case file without what is left out, sealed to the receiver's
/// key alone (it opens with any age tool and the receiver's identity), written to the output
/// file, and recorded on the case (to whom, when, what was left out) in the team log.
pub fn handover(settings: &Settings, number: u64, options: &HandoverOptions) -> Result<()> {
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
    // A receiver without a key is refused before the passphrase is asked.
    if !options.preview
        && let Some(receiver) = Receivers::load(&settings.home)?.find(&options.to)
        && receiver.recipient().is_none()
    {
        return Err(Error::Usage(msg!(
            "handover.no_key",
            name = render::sanitise(&receiver.name, false)
        )));
    }
    let keys = settings.unlock()?;
    let prepared = prepare(
        &settings.home,
        &keys,
        &settings.labels()?,
        number,
        &options.to,
        &options.leave_out,
        &options.passages,
    )?;
    let Some(output) = output else {
        println!(
            "{}",
            msg!(
                "handover.preview_heading",
                name = render::sanitise(&prepared.receiver.name, false)
            )
        );
        println!("{}", prepared.case_file.as_str());
        return Ok(());
    };
    let sealed = seal_and_record(
        &settings.home,
        &keys,
        settings.language,
        &prepared,
        options.armor,
    )?;
    replace_file(&output, &sealed)?;
    println!(
        "{}",
        msg!(
            "handover.done",
            number = number,
            name = render::sanitise(&prepared.receiver.name, false),
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
