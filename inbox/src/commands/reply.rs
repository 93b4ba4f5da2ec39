//! `reply`: a message to the reporter of a tip, through their anonymous mailbox.

use std::io::Write as _;
use std::path::PathBuf;

use fluister_envelope::age;
use fluister_envelope::message::{
    CaseStatus, MAX_MESSAGE_TEXT_CHARS, MailboxMessage, seal_message, seal_status_message,
};
use fluister_envelope::receipt::MailboxId;

use super::Settings;
use crate::conversation;
use crate::editor::{self, EditorEnvironment};
use crate::error::{Error, Result};
use crate::home::{InboxHome, create_private_file};
use crate::keys::UnlockedKeys;
use crate::msg;
use crate::recipients::RecipientSet;
use crate::relay::{Connection, RelayClient, ReplyFailure};
use crate::store;
use crate::time::now_unix_seconds;
use crate::vocabulary::Language;

/// Where `reply` takes the message from.
#[derive(Debug)]
pub enum MessageSource {
    /// The command line argument (empty with `--status` alone).
    Argument(String),
    /// Standard input (`-`).
    StandardInput,
    /// A text file.
    File(PathBuf),
    /// A temporary file the coordinator edits in $VISUAL or $EDITOR (else the system's plain
    /// editor).
    Editor,
}

impl MessageSource {
    /// The source the command line names: `--file`, else `--editor`, else the text argument
    /// (`-` for standard input).
    pub fn from_arguments(
        text: Option<String>,
        file: Option<PathBuf>,
        editor: bool,
        status_given: bool,
    ) -> Result<Self> {
        match (text, file, editor) {
            (_, Some(path), _) => Ok(MessageSource::File(path)),
            (_, None, true) => Ok(MessageSource::Editor),
            (Some(text), None, false) if text == "-" => Ok(MessageSource::StandardInput),
            (Some(text), None, false) => Ok(MessageSource::Argument(text)),
            (None, None, false) if status_given => Ok(MessageSource::Argument(String::new())),
            (None, None, false) => Err(Error::Usage(msg!("reply.no_message"))),
        }
    }
}

/// Seals the message (and the status for the reporter, if given) to the reporter of tip
/// `number`, to the coordinator's own key and to every key of the own set, posts it to the
/// tip's mailbox, and keeps a copy in the tip's conversation. Refuses, sending nothing, if the
/// tip has no mailbox or the message is empty (without a status) or too long.
pub fn run(
    settings: &Settings,
    number: u64,
    source: MessageSource,
    status: Option<CaseStatus>,
) -> Result<()> {
    let keys = settings.unlock()?;
    // The mailbox is checked before the editor opens, so nobody writes a message in vain.
    let target = ReplyTarget::find(&settings.home, &keys, number)?;
    let text = read_message_text(settings, number, source)?;
    let sent = send(
        &settings.home,
        settings.language,
        &keys,
        &target,
        &text,
        status,
    )?;
    match status {
        Some(status) => println!(
            "{}",
            msg!(
                "reply.status_sent",
                number = number,
                status = status_label(status, settings.language)
            )
        ),
        None => println!("{}", msg!("reply.sent", number = number)),
    }
    if sent.answers_meanwhile > 0 {
        println!(
            "{}",
            msg!(
                "reply.answers_meanwhile",
                count = sent.answers_meanwhile,
                number = number
            )
        );
    }
    println!("{}", msg!("reply.next", number = number));
    Ok(())
}

/// A stored tip whose reporter can be written to: its mailbox and the reporter's key.
#[derive(Debug)]
pub struct ReplyTarget {
    number: u64,
    relay_id: String,
    mailbox_id: MailboxId,
    reporter: age::Recipient,
}

impl ReplyTarget {
    /// Tip `number`, opened to find its mailbox; refused if it has none (or an unusable one).
    pub fn find(home: &InboxHome, keys: &UnlockedKeys, number: u64) -> Result<Self> {
        let stored = store::find_tip(home, number)?;
        let sealed_tip = store::read_sealed_file(&stored.path)?;
        let document = store::open_tip(&keys.identities, &sealed_tip).map_err(|failure| {
            Error::NotOpened(failure.explain(&msg!(
                "tip.numbered",
                number = number,
                file = stored.path.display()
            )))
        })?;
        let Some(reply_info) = &document.reply else {
            return Err(Error::Usage(msg!("reply.no_mailbox", number = number)));
        };
        let (Some(mailbox_id), Ok(reporter)) = (reply_info.mailbox_id(), reply_info.recipient())
        else {
            return Err(Error::Usage(msg!(
                "reply.unusable_mailbox",
                number = number
            )));
        };
        Ok(Self {
            number,
            relay_id: stored.relay_id,
            mailbox_id,
            reporter,
        })
    }
}

/// What happened after a reply was sent.
#[derive(Debug)]
pub struct SentReply {
    /// Answers from the reporter that came in since the last pull, now stored.
    pub answers_meanwhile: usize,
}

/// Seals `text` to the reporter of `target`, to this coordinator and to the coordinator's own
/// set (never to keys only the relay lists), posts it to the mailbox, and stores the sealed copy
/// in the tip's conversation (then the whole conversation, in the relay's order).
/// The command line and the app both send through here.
pub fn send(
    home: &InboxHome,
    language: Language,
    keys: &UnlockedKeys,
    target: &ReplyTarget,
    text: &str,
    status: Option<CaseStatus>,
) -> Result<SentReply> {
    let number = target.number;
    let text = text.trim();
    if text.is_empty() && status.is_none() {
        return Err(Error::Usage(msg!("reply.empty", number = number)));
    }
    // Checked before anything goes to the relay; `seal_message` checks the padded size too.
    let mut message = MailboxMessage::new(text);
    message.status = status;
    if message.validate().is_err() {
        return Err(message_too_long());
    }
    let connection = Connection::load(home)?;
    let client = RelayClient::new(&connection);
    // Sealed to the reporter and to the keys the coordinator chose: this key and every key of
    // the own set (the backup key, a colleague's, a successor's), so the conversation opens
    // wherever the notes do. Never to what the relay lists: an operator who adds a key to the
    // relay's configuration must not read the replies (`status` and `pull` point out such a
    // key). Only keys of the reporter's kind go in: age does not mix hybrid and X25519
    // recipients in one file, and the reporter's key is of the kind the tip was sealed to.
    let own_set = RecipientSet::load(home, language)?;
    let recipients = reply_recipients(target.reporter, keys, &own_set);
    let seal_to = |recipients: &[age::Recipient]| {
        match status {
            Some(status) => seal_status_message(status, text, recipients),
            None => seal_message(text, recipients),
        }
        .map_err(|error| match error {
            fluister_envelope::Error::TooLarge | fluister_envelope::Error::InvalidDocument => {
                message_too_long()
            }
            source => Error::Crypto {
                message: msg!("reply.sealing_failed"),
                source,
            },
        })
    };
    let sealed = seal_to(&recipients)?;
    // No key of the coordinator's is of the reporter's kind (an X25519 tip from before the
    // switch to a hybrid key, with the old key no longer at hand): the relay's copy is for the
    // reporter alone, and the copy kept here is sealed to the own set instead.
    let kept = if recipients.len() == 1 {
        seal_to(&own_set.sealing_recipients(&keys.own_recipient))?
    } else {
        sealed.clone()
    };
    let submission_key = random_submission_key()?;
    let _lock = home.lock()?;
    let mailbox_id = target.mailbox_id.as_str();
    let message_id = match client.post_mailbox_message(mailbox_id, &sealed, &submission_key) {
        Ok(message_id) => message_id,
        Err(ReplyFailure::MailboxNotFound) => {
            return Err(Error::Relay(msg!("reply.mailbox_gone", number = number)));
        }
        Err(ReplyFailure::Other(error)) => return Err(error),
    };
    let now = now_unix_seconds();
    conversation::store_sent_reply(
        home,
        &target.relay_id,
        &message_id.to_string(),
        now - now % 3600,
        &kept,
    )
    .map_err(|error| Error::interrupted(msg!("reply.sent_not_stored"), error))?;
    // Put it in its exact place in the conversation, and pick up answers that came meanwhile.
    let mut answers_meanwhile = 0;
    if let Ok(Some(messages)) = client.mailbox_messages(mailbox_id) {
        let counts = conversation::store_conversation(home, &target.relay_id, &messages)?;
        answers_meanwhile = counts.new_from_reporter;
    }
    Ok(SentReply { answers_meanwhile })
}

/// The status as the coordinator reads it (the reporter reads the widget's own words).
pub fn status_label(status: CaseStatus, language: Language) -> String {
    match status {
        CaseStatus::Read => crate::msg_in!(language, "reporter_status.read"),
        CaseStatus::InProgress => crate::msg_in!(language, "reporter_status.in_progress"),
        CaseStatus::HandedOver => crate::msg_in!(language, "reporter_status.handed_over"),
        CaseStatus::Closed => crate::msg_in!(language, "reporter_status.closed"),
    }
}

/// Whom a reply is sealed to: the reporter first, then the key in use and every key of the own
/// set, once each, as far as they are of the reporter's kind (hybrid or X25519). If none is, the
/// keys of that kind in the identity file (an old key kept to open old tips); if there are none
/// either, the reporter alone.
fn reply_recipients(
    reporter: age::Recipient,
    keys: &UnlockedKeys,
    set: &RecipientSet,
) -> Vec<age::Recipient> {
    let same_kind =
        |recipient: &age::Recipient| recipient.is_post_quantum() == reporter.is_post_quantum();
    let mut recipients = vec![reporter];
    let chosen = std::iter::once(keys.own_recipient)
        .chain(set.entries().iter().map(|entry| entry.recipient));
    for recipient in chosen.filter(same_kind) {
        if !recipients.contains(&recipient) {
            recipients.push(recipient);
        }
    }
    if recipients.len() == 1 {
        let held = keys.identities.iter().map(age::Identity::to_recipient);
        for recipient in held.filter(same_kind) {
            if !recipients.contains(&recipient) {
                recipients.push(recipient);
            }
        }
    }
    recipients
}

/// The refusal of a message longer than a mailbox message may be.
fn message_too_long() -> Error {
    Error::Usage(msg!("reply.too_long", maximum = MAX_MESSAGE_TEXT_CHARS))
}

/// A fresh random `Fluister-Submission-Key`: 32 bytes, unpadded base64url.
fn random_submission_key() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(Error::Randomness)?;
    Ok(fluister_protocol::codec::encode_base64url(&bytes))
}

/// Reads the message for `reply` from where the coordinator put it.
fn read_message_text(settings: &Settings, number: u64, source: MessageSource) -> Result<String> {
    match source {
        MessageSource::Argument(text) => Ok(text),
        MessageSource::StandardInput => {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                .map_err(|error| Error::io(msg!("reply.standard_input_unreadable"), error))?;
            Ok(text)
        }
        MessageSource::File(path) => std::fs::read_to_string(&path).map_err(|error| {
            Error::io(msg!("reply.file_unreadable", file = path.display()), error)
        }),
        MessageSource::Editor => edit_message(settings, number),
    }
}

/// Opens $VISUAL or $EDITOR (else Notepad on Windows, nano or vi; see [`editor`]) on a private
/// temporary file in the inbox folder and returns what was written, without the `#` lines. The
/// file is removed afterwards.
fn edit_message(settings: &Settings, number: u64) -> Result<String> {
    let editor = EditorEnvironment::current().chosen();
    settings.home.create_directories()?;
    let path = settings
        .home
        .root()
        .join(format!(".reply-{number}-{}.txt", std::process::id()));
    let _ = std::fs::remove_file(&path);
    create_private_file(&path)
        .and_then(|mut file| {
            file.write_all(msg!("reply.editor_template", number = number).as_bytes())
        })
        .map_err(|error| Error::io(msg!("io.cannot_create", file = path.display()), error))?;
    let status = editor::run(&editor, &path);
    let text = std::fs::read_to_string(&path);
    let _ = std::fs::remove_file(&path);
    match status {
        Ok(status) if status.success() => {}
        Ok(status) => {
            return Err(Error::Usage(msg!(
                "reply.editor_failed",
                editor = editor,
                status = status
            )));
        }
        Err(error) => {
            return Err(Error::Usage(msg!(
                "reply.editor_not_started",
                editor = editor,
                error = error
            )));
        }
    }
    let text = text.map_err(|error| Error::io(msg!("reply.editor_unreadable"), error))?;
    Ok(text
        .lines()
        .filter(|line| !line.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fluister_envelope::age::Identity;

    fn keys(identities: Vec<Identity>) -> UnlockedKeys {
        UnlockedKeys {
            own_recipient: identities[0].to_recipient(),
            identities,
        }
    }

    #[test]
    fn a_reply_is_sealed_to_the_coordinators_keys_of_the_reporters_kind_only() {
        let hybrid_reporter = Identity::generate_hybrid().unwrap().to_recipient();
        let x25519_reporter = Identity::generate().unwrap().to_recipient();
        let own = Identity::generate_hybrid().unwrap();
        let old = Identity::generate().unwrap();
        let backup = Identity::generate_hybrid().unwrap().to_recipient();
        let mut set = RecipientSet::default();
        set.add(own.to_recipient(), "eigen sleutel");
        set.add(backup, "reservesleutel");

        // A hybrid set and a hybrid reporter: all of them.
        let unlocked = keys(vec![own.clone(), old.clone()]);
        assert_eq!(
            reply_recipients(hybrid_reporter, &unlocked, &set),
            [hybrid_reporter, own.to_recipient(), backup]
        );
        // An X25519 reporter (a tip from before the switch): the old key still in the identity
        // file takes the own set's place, so the file is never mixed.
        assert_eq!(
            reply_recipients(x25519_reporter, &unlocked, &set),
            [x25519_reporter, old.to_recipient()]
        );
        // Without any X25519 key at hand: the reporter alone.
        let unlocked = keys(vec![own.clone()]);
        assert_eq!(
            reply_recipients(x25519_reporter, &unlocked, &set),
            [x25519_reporter]
        );
        let sealed = seal_message(
            "Dank u",
            &reply_recipients(x25519_reporter, &unlocked, &set),
        );
        assert!(sealed.is_ok());
    }
}
