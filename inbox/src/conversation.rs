//! The conversations: every message of a tip's anonymous mailbox, kept as the sealed age file
//! the relay holds, one file each, in `conversations/TIP-ID/POSITION-HOUR-AUTHOR-MESSAGE-ID.age`.
//!
//! Reporters' answers are sealed to the coordinators' recipients (and the reporter's own reply
//! key); the coordinator's replies to the reporter's reply key and the coordinator's own key.
//! Nothing is decrypted to store them. The file name is the only index: the position in the
//! relay's list (the relay lists a conversation oldest first and only ever appends to it), the
//! hour it arrived, who wrote it and the relay's id. Each file appears complete in one atomic
//! rename after its contents are flushed, so a crash loses nothing and the next pull, which
//! skips every message id already stored, doubles nothing. Messages are never deleted on the
//! relay: the reporter reads the conversation there, and the mailbox expires by itself.
//!
//! The link between a tip and its mailbox lives only here, in the sealed tip; the folder is
//! named after the tip's relay id, never the mailbox id.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use fluister_envelope::age::Identity;
use fluister_envelope::message::MailboxMessage;
use fluister_envelope::receipt::MailboxId;
use fluister_envelope::tip::ReplyInfo;

use crate::error::{Error, Result};
use crate::home::{
    InboxHome, create_private_directory, directory_entries, remove_leftover_parts, sync_directory,
    write_and_flush, write_durably,
};
use crate::kill_switch::{self, Step};
use crate::msg;
use crate::progress::{Progress, Watch};
use crate::relay::{MailboxMessageOnRelay, MessageAuthor, RelayClient, is_message_id, is_tip_id};
use crate::render::ConversationEntry;
use crate::store::StoredTip;

/// One message stored locally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredMessage {
    /// Its place in the conversation, counted from 0 in the relay's order.
    pub position: u64,
    /// The hour it arrived at the relay, as Unix seconds.
    pub received_hour: u64,
    /// Who wrote it.
    pub author: MessageAuthor,
    /// The relay's id for it.
    pub message_id: String,
    /// The sealed file.
    pub path: PathBuf,
}

/// The file name of a stored message.
fn stored_message_file_name(
    position: u64,
    received_hour: u64,
    author: MessageAuthor,
    message_id: &str,
) -> String {
    format!(
        "{position:06}-{received_hour}-{}-{message_id}.age",
        author.as_str()
    )
}

/// Reads a stored message's file name back; `None` for anything else in the folder.
fn parse_stored_message_file_name(file_name: &str) -> Option<(u64, u64, MessageAuthor, String)> {
    let stem = file_name.strip_suffix(".age")?;
    let mut parts = stem.splitn(4, '-');
    let position = parts.next()?.parse().ok()?;
    let received_hour = parts.next()?.parse().ok()?;
    let author = MessageAuthor::parse(parts.next()?)?;
    let message_id = parts.next()?;
    is_message_id(message_id).then(|| (position, received_hour, author, message_id.to_owned()))
}

/// The folder of one tip's conversation.
pub fn conversation_directory(home: &InboxHome, tip_relay_id: &str) -> PathBuf {
    debug_assert!(is_tip_id(tip_relay_id));
    home.root().join("conversations").join(tip_relay_id)
}

/// The stored messages of one tip, in conversation order (empty if there are none).
pub fn stored_messages(home: &InboxHome, tip_relay_id: &str) -> Result<Vec<StoredMessage>> {
    let directory = conversation_directory(home, tip_relay_id);
    let mut messages: Vec<StoredMessage> = directory_entries(&directory)?
        .into_iter()
        .filter_map(|(name, path)| {
            let (position, received_hour, author, message_id) =
                parse_stored_message_file_name(&name)?;
            Some(StoredMessage {
                position,
                received_hour,
                author,
                message_id,
                path,
            })
        })
        .collect();
    messages.sort_by(|left, right| {
        (left.position, left.received_hour, &left.message_id).cmp(&(
            right.position,
            right.received_hour,
            &right.message_id,
        ))
    });
    Ok(messages)
}

/// Creates the conversation folder of a tip (private), durably.
fn create_conversation_directory(home: &InboxHome, tip_relay_id: &str) -> Result<PathBuf> {
    let directory = conversation_directory(home, tip_relay_id);
    if !directory.exists() {
        let parent = directory.parent().expect("inside conversations/");
        create_private_directory(parent)?;
        create_private_directory(&directory)?;
        sync_directory(parent)
            .and_then(|()| sync_directory(home.root()))
            .map_err(|error| {
                Error::io(msg!("io.cannot_flush", folder = parent.display()), error)
            })?;
    }
    Ok(directory)
}

/// The error for a message that could not be written into the store.
fn storage_failed(directory: &Path, error: std::io::Error) -> Error {
    Error::io(
        msg!("conversation.cannot_store", folder = directory.display()),
        error,
    )
}

/// What storing one conversation did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StoredCounts {
    /// New answers from the reporter.
    pub new_from_reporter: usize,
    /// New messages from a coordinator (sent from another inbox, or not stored when sent).
    pub new_from_coordinator: usize,
}

/// Stores every message of `messages` (the relay's list, in its order) that is not stored yet,
/// and moves a stored message to its place in the relay's order if it was stored with a guessed
/// position (a reply stored when it was sent). The caller holds the inbox lock.
pub fn store_conversation(
    home: &InboxHome,
    tip_relay_id: &str,
    messages: &[MailboxMessageOnRelay],
) -> Result<StoredCounts> {
    let mut counts = StoredCounts::default();
    if messages.is_empty() {
        return Ok(counts);
    }
    let directory = create_conversation_directory(home, tip_relay_id)?;
    remove_leftover_parts(&directory)?;
    let already_stored: HashMap<String, StoredMessage> = stored_messages(home, tip_relay_id)?
        .into_iter()
        .map(|message| (message.message_id.clone(), message))
        .collect();
    let mut changed = false;
    for (position, message) in (0u64..).zip(messages) {
        let message_id = message.id.to_string();
        let final_path = directory.join(stored_message_file_name(
            position,
            message.received_hour,
            message.author,
            &message_id,
        ));
        if let Some(stored) = already_stored.get(&message_id) {
            if stored.path != final_path {
                std::fs::rename(&stored.path, &final_path)
                    .map_err(|error| storage_failed(&directory, error))?;
                changed = true;
            }
            continue;
        }
        let temporary_path = directory.join(format!(".{}.part", message.id));
        write_and_flush(&temporary_path, &message.ciphertext)
            .map_err(|error| storage_failed(&directory, error))?;
        std::fs::rename(&temporary_path, &final_path)
            .map_err(|error| storage_failed(&directory, error))?;
        kill_switch::reached(Step::MessageStored);
        changed = true;
        match message.author {
            MessageAuthor::Reporter => counts.new_from_reporter += 1,
            MessageAuthor::Coordinator => counts.new_from_coordinator += 1,
        }
    }
    if changed {
        sync_directory(&directory).map_err(|error| storage_failed(&directory, error))?;
    }
    Ok(counts)
}

/// Stores a reply this inbox just sent, after the messages already stored; the next pull moves
/// it to its exact place in the relay's order. Does nothing if it is stored already. The caller
/// holds the inbox lock.
pub fn store_sent_reply(
    home: &InboxHome,
    tip_relay_id: &str,
    message_id: &str,
    received_hour: u64,
    sealed: &[u8],
) -> Result<()> {
    let directory = create_conversation_directory(home, tip_relay_id)?;
    let stored = stored_messages(home, tip_relay_id)?;
    if stored
        .iter()
        .any(|message| message.message_id == message_id)
    {
        return Ok(());
    }
    let position = stored.last().map_or(0, |message| message.position + 1);
    let final_path = directory.join(stored_message_file_name(
        position,
        received_hour,
        MessageAuthor::Coordinator,
        message_id,
    ));
    let temporary_path = directory.join(format!(".{message_id}.part"));
    let _ = std::fs::remove_file(&temporary_path);
    write_durably(&temporary_path, &final_path, sealed)
        .map_err(|error| storage_failed(&directory, error))
}

/// A stored tip whose reporter has a mailbox.
#[derive(Debug)]
pub struct TipWithMailbox {
    /// The tip in the local store.
    pub tip: StoredTip,
    /// Its mailbox on the relay, from the sealed tip.
    pub mailbox_id: MailboxId,
}

/// The stored conversation of a tip, each message opened with `identities` (or marked as not
/// opening), in the relay's order. `show`, `export` and the app all read it through here.
///
/// With the tip's `reply` information, an answer the relay lists as the reporter's must carry
/// the authentication of the reporter's code ([`MailboxMessage::is_authentic_answer`]); one
/// that does not is shown with a warning first, since the relay (which knows the coordinators'
/// public keys) could have written it. A status counts only in the coordinator's messages.
pub fn opened_entries(
    home: &InboxHome,
    tip_relay_id: &str,
    identities: &[Identity],
    reply: Option<&ReplyInfo>,
) -> Result<Vec<ConversationEntry>> {
    let messages = stored_messages(home, tip_relay_id)?;
    let answer_key = reply.and_then(ReplyInfo::answer_key);
    Ok(messages
        .iter()
        .map(|message| {
            let by_coordinator = message.author == MessageAuthor::Coordinator;
            let text = std::fs::read(&message.path)
                .ok()
                .and_then(|sealed| crate::store::open_sealed(identities, &sealed).ok())
                .map(|plaintext| match MailboxMessage::from_bytes(&plaintext) {
                    Ok(opened) if by_coordinator && opened.status.is_some() => {
                        let status = opened.status.expect("checked above");
                        let line = crate::msg!(
                            "conversation.status_for_reporter",
                            status = crate::commands::reply::status_label(
                                status,
                                crate::messages::language()
                            )
                        );
                        if opened.text.is_empty() {
                            line
                        } else {
                            format!("{line}\n{}", opened.text)
                        }
                    }
                    Ok(opened) => match (&answer_key, reply.map(|reply| reply.mailbox.as_str())) {
                        (Some(key), Some(mailbox))
                            if !by_coordinator && !opened.is_authentic_answer(key, mailbox) =>
                        {
                            format!(
                                "{}\n{}",
                                crate::msg!("conversation.unauthenticated"),
                                opened.text
                            )
                        }
                        _ => opened.text,
                    },
                    Err(_) => crate::render::show_plain_text(&plaintext),
                });
            ConversationEntry {
                received_hour: message.received_hour,
                written_by_coordinator: by_coordinator,
                text,
            }
        })
        .collect())
}

/// What fetching the conversations did.
#[derive(Debug, Default)]
pub struct ConversationPullReport {
    /// Per tip number, how many new answers from the reporter were stored.
    pub new_answers: Vec<(u64, usize)>,
    /// How many coordinator messages were stored that this inbox had not stored when sending.
    pub new_from_coordinator: usize,
    /// Tips whose mailbox the relay no longer has (expired or closed): a 404, or an empty
    /// conversation where messages were stored.
    pub gone_mailboxes: Vec<u64>,
}

impl ConversationPullReport {
    /// All new answers from reporters.
    pub fn new_answer_count(&self) -> usize {
        self.new_answers.iter().map(|(_, count)| count).sum()
    }
}

/// Fetches the conversation of every tip in `tips` and stores what is new. A mailbox that is
/// gone is reported, not an error; any other failure stops, with everything stored so far kept.
pub fn pull_conversations(
    home: &InboxHome,
    client: &RelayClient,
    tips: &[TipWithMailbox],
    watch: Option<&Arc<Watch>>,
) -> Result<ConversationPullReport> {
    let _lock = home.lock()?;
    let mut report = ConversationPullReport::default();
    let progress = Progress::watched(&msg!("conversation.progress"), tips.len(), watch);
    for tip_with_mailbox in tips {
        progress.advance();
        let number = tip_with_mailbox.tip.number;
        let Some(messages) = client
            .mailbox_messages(tip_with_mailbox.mailbox_id.as_str())
            .map_err(|error| {
                Error::interrupted(msg!("conversation.fetch_stopped", number = number), error)
            })?
        else {
            report.gone_mailboxes.push(number);
            continue;
        };
        // The relay answers the coordinator with an empty list, not 404, for a mailbox it does
        // not have. Messages expire only with their mailbox, so an empty list where messages
        // were stored means the mailbox is gone.
        if messages.is_empty() && !stored_messages(home, &tip_with_mailbox.tip.relay_id)?.is_empty()
        {
            report.gone_mailboxes.push(number);
            continue;
        }
        let counts = store_conversation(home, &tip_with_mailbox.tip.relay_id, &messages)?;
        if counts.new_from_reporter > 0 {
            report.new_answers.push((number, counts.new_from_reporter));
        }
        report.new_from_coordinator += counts.new_from_coordinator;
    }
    progress.finish();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_message_file_names_round_trip_and_others_are_ignored() {
        let id = "0123456789abcdef0123456789abcdef";
        let name = stored_message_file_name(3, 1_764_313_200, MessageAuthor::Reporter, id);
        assert_eq!(name, format!("000003-1764313200-reporter-{id}.age"));
        assert_eq!(
            parse_stored_message_file_name(&name),
            Some((3, 1_764_313_200, MessageAuthor::Reporter, id.to_owned()))
        );
        assert_eq!(
            parse_stored_message_file_name(
                "000003-1764313200-relay-0123456789abcdef0123456789abcdef.age"
            ),
            None
        );
        assert_eq!(
            parse_stored_message_file_name("000003-1764313200-reporter-../x.age"),
            None
        );
        assert_eq!(parse_stored_message_file_name(&format!(".{id}.part")), None);
    }
}
