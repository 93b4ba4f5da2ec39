//! Where sealed tips live: one trait, one module per backend.
//!
//! - [`sqlite`]: the default, an embedded database with a single writer thread and group commit.
//! - [`postgres`]: a PostgreSQL server the operator runs, through a connection pool; writes
//!   serialise on one locked row that holds the quota's totals.
//! - [`discard`]: stores nothing; it exists only so the benchmark can measure the HTTP ceiling.
//!
//! Proof-of-work challenges are not stored: they are stateless (see [`crate::challenges`]), and a
//! request reaches the storage only once its proof checked out. Only a backend several relays
//! share ([`Storage::is_shared`], PostgreSQL) records which challenges were spent, and only for
//! proofs that checked out.

pub mod discard;
pub mod postgres;
pub mod sqlite;

use std::fmt;
use std::future::Future;
use std::time::{SystemTime, UNIX_EPOCH};

/// Who wrote a mailbox message (the same words in the database and the API).
pub use fluister_protocol::MessageAuthor;

/// Seconds in an hour: every stored timestamp is rounded down to a multiple of it.
pub const SECONDS_PER_HOUR: i64 = 3600;

/// The identifiers the relay hands out and stores, as the protocol writes them.
pub use fluister_protocol::ids::{MailboxId, MessageId, TipId};

/// A fresh random tip identifier.
pub fn random_tip_id() -> TipId {
    TipId(crate::encoding::random_bytes())
}

/// A fresh random message identifier.
pub fn random_message_id() -> MessageId {
    MessageId(crate::encoding::random_bytes())
}

/// A validated tip, ready to be stored.
#[derive(Debug, Clone)]
pub struct NewTip {
    /// SHA-256 of the client's submission key (the key itself is not kept).
    pub submission_key_sha256: [u8; 32],
    /// SHA-256 of the ciphertext, to recognise a retried submission.
    pub body_sha256: [u8; 32],
    /// The sealed age file.
    pub ciphertext: Bytes,
    /// Unix seconds, rounded down to the hour.
    pub received_hour: i64,
}

/// The byte buffer bodies arrive in, handed to the storage without a copy.
pub use bytes::Bytes;

/// What happened to a tip handed to [`Storage::store_tip`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreOutcome {
    /// Stored and committed durably under this id.
    Stored(TipId),
    /// The same submission key and body were stored before, under this id; nothing new stored.
    AlreadyStored(TipId),
    /// The submission key was stored before with a different body; nothing stored.
    SubmissionKeyConflict,
    /// Storing the tip would exceed the quota; nothing stored.
    StorageFull,
    /// Storing the tip would exceed this hour's share of the quota; nothing stored.
    HourlyLimitReached,
}

/// What an earlier submission with the same key left behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PreviousSubmission {
    /// The tip it stored.
    pub tip_id: TipId,
    /// The SHA-256 of its body.
    pub body_sha256: [u8; 32],
}

/// One line of the coordinator's tip list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TipSummary {
    /// The tip's identifier.
    pub id: TipId,
    /// Unix seconds, rounded down to the hour.
    pub received_hour: i64,
    /// Size of the sealed file in bytes.
    pub size: u64,
}

/// A mailbox the reporter's widget asks the relay to open.
#[derive(Debug, Clone)]
pub struct NewMailbox {
    /// The mailbox's identifier.
    pub id: MailboxId,
    /// SHA-256 of the reporter's mailbox access token (the token itself is never sent here).
    pub token_sha256: [u8; 32],
    /// The day (Unix seconds, rounded down to a day) after which the mailbox is deleted.
    pub expires_day: i64,
}

/// What happened to a mailbox handed to [`Storage::register_mailbox`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationOutcome {
    /// Opened now.
    Created,
    /// It exists already with the same token hash (a retried registration); nothing changed.
    AlreadyRegistered,
    /// It exists with a different token hash; nothing changed.
    Conflict,
}

/// A validated message, ready to be stored in a mailbox.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// The mailbox it goes into.
    pub mailbox_id: MailboxId,
    /// Who wrote it.
    pub author: MessageAuthor,
    /// SHA-256 of the client's submission key, to recognise a retried post.
    pub submission_key_sha256: [u8; 32],
    /// SHA-256 of the ciphertext: the same message posted twice (a replay) is stored once.
    pub body_sha256: [u8; 32],
    /// The sealed age file.
    pub ciphertext: Bytes,
    /// Unix seconds, rounded down to the hour.
    pub received_hour: i64,
    /// The mailbox's new expiry day if the coordinator wrote the message: the coordinator's
    /// activity keeps a conversation alive, a reporter's alone does not.
    pub expires_day: i64,
    /// The most messages one mailbox may hold.
    pub max_messages_per_mailbox: u32,
}

/// What happened to a message handed to [`Storage::store_message`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageOutcome {
    /// Stored and committed under this id.
    Stored(MessageId),
    /// The same message (same submission key, or the same body in this mailbox) was stored
    /// before under this id; nothing new stored.
    AlreadyStored(MessageId),
    /// The submission key was used before with a different body; nothing stored.
    SubmissionKeyConflict,
    /// There is no such mailbox (or it expired); nothing stored.
    MailboxNotFound,
    /// The mailbox holds the most messages allowed; nothing stored.
    MailboxFull,
    /// The quota is full; nothing stored.
    StorageFull,
    /// A reporter's message would exceed this hour's share of the quota; nothing stored.
    HourlyLimitReached,
}

/// What an earlier post of a mailbox message with the same submission key left behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PreviousMessage {
    /// The message it stored.
    pub message_id: MessageId,
    /// The SHA-256 of its body.
    pub body_sha256: [u8; 32],
}

/// One message as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// The message's identifier.
    pub id: MessageId,
    /// Who wrote it.
    pub author: MessageAuthor,
    /// Unix seconds, rounded down to the hour.
    pub received_hour: i64,
    /// The sealed age file.
    pub ciphertext: Vec<u8>,
}

/// The most entries the team log holds; further appends are refused until the retention sweep
/// removes old ones. Entries are written by people (a status, a note), so this is years of work.
pub const MAX_LOG_ENTRIES: u64 = 100_000;

/// The most bytes the team log holds, apart from the tips' quota: a stolen member token can
/// fill at most this much of the disk.
pub const MAX_LOG_BYTES: u64 = 256 << 20;

/// A team log entry, ready to be appended.
#[derive(Debug, Clone)]
pub struct NewLogEntry {
    /// SHA-256 of the ciphertext: the same entry sent twice (a retry) is stored once.
    pub body_sha256: [u8; 32],
    /// The sealed age file.
    pub ciphertext: Bytes,
    /// Unix seconds, rounded down to the hour (for the retention sweep only; never listed).
    pub received_hour: i64,
}

/// What happened to an entry handed to [`Storage::append_log`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogOutcome {
    /// Appended and committed at this place.
    Appended(u64),
    /// The same entry was appended before, at this place; nothing new stored.
    AlreadyAppended(u64),
    /// The log holds [`MAX_LOG_ENTRIES`] or [`MAX_LOG_BYTES`]; nothing stored.
    LogFull,
}

/// One team log entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLogEntry {
    /// Its place in the log, counting from 1.
    pub sequence: u64,
    /// The sealed age file.
    pub ciphertext: Vec<u8>,
}

/// Totals for `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StorageCounts {
    /// Tips stored now.
    pub tips_stored: u64,
    /// Ciphertext bytes stored now.
    pub stored_bytes: u64,
    /// Mailboxes open now.
    pub mailboxes: u64,
    /// Messages stored in mailboxes now.
    pub messages: u64,
}

/// A storage failure. Its text goes to the log, never to a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageError(pub String);

impl fmt::Display for StorageError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "storage error: {}", self.0)
    }
}

impl std::error::Error for StorageError {}

/// Result of a storage operation.
pub type StorageResult<T> = Result<T, StorageError>;

/// A place to keep sealed tips and mailboxes. Every method that changes something returns only
/// after the change is durable. Callers have checked the proof of work already.
pub trait Storage: Send + Sync + 'static {
    /// Stores a tip, or explains why not.
    fn store_tip(&self, tip: NewTip) -> impl Future<Output = StorageResult<StoreOutcome>> + Send;

    /// Looks up an earlier submission by the SHA-256 of its submission key.
    fn find_submission(
        &self,
        submission_key_sha256: [u8; 32],
    ) -> impl Future<Output = StorageResult<Option<PreviousSubmission>>> + Send;

    /// Lists stored tips, oldest hour first.
    fn list_tips(&self) -> impl Future<Output = StorageResult<Vec<TipSummary>>> + Send;

    /// Returns one tip's sealed file.
    fn tip(&self, id: TipId) -> impl Future<Output = StorageResult<Option<Vec<u8>>>> + Send;

    /// Deletes one tip for good; `false` when there was none.
    fn delete_tip(&self, id: TipId) -> impl Future<Output = StorageResult<bool>> + Send;

    /// Deletes the tips `ids` for good; returns how many there were. A backend may do it in one
    /// transaction; this default deletes them one after the other.
    fn delete_tips(&self, ids: Vec<TipId>) -> impl Future<Output = StorageResult<u64>> + Send {
        async move {
            let mut deleted = 0;
            for id in ids {
                if self.delete_tip(id).await? {
                    deleted += 1;
                }
            }
            Ok(deleted)
        }
    }

    /// Deletes tips, submission records and team log entries received before `cutoff_hour`
    /// and mailboxes that expired before today. Returns how many tips were deleted.
    fn sweep(
        &self,
        cutoff_hour: i64,
        now_unix: i64,
    ) -> impl Future<Output = StorageResult<u64>> + Send;

    /// Opens a mailbox (or recognises a retried registration).
    fn register_mailbox(
        &self,
        mailbox: NewMailbox,
    ) -> impl Future<Output = StorageResult<RegistrationOutcome>> + Send;

    /// The SHA-256 of a mailbox's access token, if the mailbox exists and has not expired on
    /// `today` (Unix seconds rounded down to a day).
    fn mailbox_token_sha256(
        &self,
        id: MailboxId,
        today: i64,
    ) -> impl Future<Output = StorageResult<Option<[u8; 32]>>> + Send;

    /// Stores a message in an existing mailbox and, for the coordinator's, extends the mailbox's
    /// life, in one transaction.
    fn store_message(
        &self,
        message: NewMessage,
    ) -> impl Future<Output = StorageResult<MessageOutcome>> + Send;

    /// Looks up an earlier mailbox message by the SHA-256 of its submission key.
    fn find_message_submission(
        &self,
        submission_key_sha256: [u8; 32],
    ) -> impl Future<Output = StorageResult<Option<PreviousMessage>>> + Send;

    /// The messages of a mailbox, in the order they arrived.
    fn messages(
        &self,
        id: MailboxId,
    ) -> impl Future<Output = StorageResult<Vec<StoredMessage>>> + Send;

    /// Deletes a mailbox and its messages for good; `false` when there was none.
    fn delete_mailbox(&self, id: MailboxId) -> impl Future<Output = StorageResult<bool>> + Send;

    /// Marks as warned about the tips received before `tip_cutoff_hour` and the mailboxes that
    /// expire before `mailbox_cutoff_day`, those not marked yet; returns whether any was newly
    /// marked, so that each one brings one expiry warning, not one per sweep.
    fn mark_expiring(
        &self,
        tip_cutoff_hour: i64,
        mailbox_cutoff_day: i64,
    ) -> impl Future<Output = StorageResult<bool>> + Send;

    /// Appends an entry to the team log (or recognises one sent again).
    fn append_log(
        &self,
        entry: NewLogEntry,
    ) -> impl Future<Output = StorageResult<LogOutcome>> + Send;

    /// At most `limit` team log entries after place `after`, oldest first.
    fn log_entries(
        &self,
        after: u64,
        limit: usize,
    ) -> impl Future<Output = StorageResult<Vec<StoredLogEntry>>> + Send;

    /// Checks that the backend can take a write now (for `/readyz`): the database answers and
    /// its write lock can be taken, in a transaction that changes nothing.
    fn ready(&self) -> impl Future<Output = StorageResult<()>> + Send;

    /// Current totals.
    fn counts(&self) -> StorageCounts;

    /// Whether several relay processes may run on this storage at once. Only then does the
    /// storage hold what they must share (see ARCHITECTURE.md, "Several relays"): the challenge
    /// key, the record of spent challenges, and the notice waiting to be sent. A backend for one
    /// process leaves all three in the relay's memory and files, and the methods below cost it
    /// nothing.
    fn is_shared(&self) -> bool {
        false
    }

    /// The challenge key every relay on this database uses: the stored one, or `candidate`,
    /// stored now if there was none (insert-if-absent, so relays starting at once agree).
    /// `None` when the backend keeps no key (the key file is used).
    fn shared_challenge_key(
        &self,
        candidate: [u8; 32],
    ) -> impl Future<Output = StorageResult<Option<[u8; 32]>>> + Send {
        let _ = candidate;
        std::future::ready(Ok(None))
    }

    /// Records that a verified proof spent the challenge whose MAC is `tag`, until
    /// `expires_hour` (Unix seconds, rounded up to the hour): `true` when this call recorded it,
    /// `false` when some relay had spent it before, atomically, so of many relays presenting
    /// one proof exactly one gets `true`. Called only after the proof checked out: a request
    /// that did no work never writes here. A backend for one process answers `true` and writes
    /// nothing (the relay's memory holds the record).
    fn spend_challenge(
        &self,
        tag: [u8; 16],
        expires_hour: i64,
    ) -> impl Future<Output = StorageResult<bool>> + Send {
        let _ = (tag, expires_hour);
        std::future::ready(Ok(true))
    }

    /// Takes back [`Storage::spend_challenge`] when storing what the proof paid for failed, so
    /// that the client may present the same proof again.
    fn unspend_challenge(&self, tag: [u8; 16]) -> impl Future<Output = StorageResult<()>> + Send {
        let _ = tag;
        std::future::ready(Ok(()))
    }

    /// Folds what this relay has to notify about into the notice all relays share (shared
    /// backends only).
    fn hand_over_notice(
        &self,
        pending: PendingNotice,
    ) -> impl Future<Output = StorageResult<()>> + Send {
        let _ = pending;
        std::future::ready(Ok(()))
    }

    /// Takes the shared notice and clears it, atomically: of several relays taking at once, one
    /// gets what was waiting and the others nothing (shared backends only).
    fn take_notice(&self) -> impl Future<Output = StorageResult<PendingNotice>> + Send {
        std::future::ready(Ok(PendingNotice::default()))
    }
}

/// What a notification has to say: whether something arrived, whether something nears its end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PendingNotice {
    /// A tip or a reporter's message was stored.
    pub news: bool,
    /// A tip or a mailbox nears the end of its retention.
    pub expiring: bool,
}

impl PendingNotice {
    /// Whether there is nothing to say.
    pub fn is_empty(self) -> bool {
        !self.news && !self.expiring
    }
}

/// Rounds Unix seconds up to the hour: when a spent-challenge record may go, no finer than the
/// hours the database keeps.
pub fn round_up_to_hour(unix_seconds: i64) -> i64 {
    round_down_to_hour(unix_seconds.saturating_add(SECONDS_PER_HOUR - 1))
}

/// The current time in Unix seconds.
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|duration| i64::try_from(duration.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Seconds in a day: mailbox expiry is stored rounded to a whole day.
pub const SECONDS_PER_DAY: i64 = 24 * SECONDS_PER_HOUR;

/// Rounds Unix seconds down to the day.
pub fn round_down_to_day(unix_seconds: i64) -> i64 {
    unix_seconds - unix_seconds.rem_euclid(SECONDS_PER_DAY)
}

/// Rounds Unix seconds down to the hour, the only precision the relay stores.
pub fn round_down_to_hour(unix_seconds: i64) -> i64 {
    unix_seconds - unix_seconds.rem_euclid(SECONDS_PER_HOUR)
}

/// The story every backend must tell the same way, run by each backend's own tests (the
/// benchmark-only `discard` backend stores nothing and has no story to tell).
#[cfg(test)]
pub(crate) mod story {
    use super::*;

    /// A tip of `body` sent with submission key `[key; 32]` in `hour`.
    pub(crate) fn new_tip(key: u8, body: &[u8], hour: i64) -> NewTip {
        NewTip {
            submission_key_sha256: [key; 32],
            body_sha256: crate::sealed::ciphertext_sha256(body),
            ciphertext: body.to_vec().into(),
            received_hour: hour,
        }
    }

    /// A message of ten `key` bytes to `mailbox_id`, sent with submission key `[key; 32]` in
    /// `hour`, which keeps the mailbox until `expires_day` if the coordinator wrote it.
    pub(crate) fn new_message(
        mailbox_id: MailboxId,
        author: MessageAuthor,
        key: u8,
        hour: i64,
        expires_day: i64,
    ) -> NewMessage {
        NewMessage {
            mailbox_id,
            author,
            submission_key_sha256: [key; 32],
            body_sha256: [key; 32],
            ciphertext: vec![key; 10].into(),
            received_hour: hour,
            expires_day,
            max_messages_per_mailbox: 3,
        }
    }

    /// A tip and a mailbox near their end are each warned about once; a mailbox the coordinator
    /// keeps alive can be warned about again when it nears its new end.
    pub(crate) async fn expiry_warnings<S: Storage>(storage: &S) {
        let now = now_unix();
        let hour = round_down_to_hour(now);
        let today = round_down_to_day(now);
        let old = new_tip(40, b"old tip", hour - 100 * SECONDS_PER_HOUR);
        storage.store_tip(old).await.unwrap();
        storage
            .store_tip(new_tip(41, b"new tip", hour))
            .await
            .unwrap();
        let cutoff = hour - 50 * SECONDS_PER_HOUR;
        let far = today + 300 * SECONDS_PER_DAY;
        assert!(storage.mark_expiring(cutoff, today).await.unwrap());
        assert!(
            !storage.mark_expiring(cutoff, today).await.unwrap(),
            "the old tip brings one warning, not one per sweep"
        );
        let mailbox = MailboxId([42; 32]);
        storage
            .register_mailbox(NewMailbox {
                id: mailbox,
                token_sha256: [42; 32],
                expires_day: today + SECONDS_PER_DAY,
            })
            .await
            .unwrap();
        let soon = today + 2 * SECONDS_PER_DAY;
        assert!(storage.mark_expiring(cutoff, soon).await.unwrap());
        assert!(!storage.mark_expiring(cutoff, soon).await.unwrap());
        // The coordinator writes: the mailbox lives on, and may be warned about again later.
        storage
            .store_message(new_message(
                mailbox,
                MessageAuthor::Coordinator,
                43,
                hour,
                today + 30 * SECONDS_PER_DAY,
            ))
            .await
            .unwrap();
        assert!(!storage.mark_expiring(cutoff, soon).await.unwrap());
        assert!(storage.mark_expiring(cutoff, far).await.unwrap());
    }

    /// Team log entries appended once however often they are sent, listed after a place in
    /// pages, in the order they were appended, and swept with the tips.
    pub(crate) async fn team_log<S: Storage>(storage: &S) {
        let hour = round_down_to_hour(now_unix());
        let entry = |byte: u8, hour: i64| NewLogEntry {
            body_sha256: [byte; 32],
            ciphertext: vec![byte; 5].into(),
            received_hour: hour,
        };
        let old = storage
            .append_log(entry(1, hour - 100 * SECONDS_PER_HOUR))
            .await
            .unwrap();
        assert_eq!(old, LogOutcome::Appended(1));
        for byte in 2..=4 {
            assert_eq!(
                storage.append_log(entry(byte, hour)).await.unwrap(),
                LogOutcome::Appended(u64::from(byte))
            );
        }
        assert_eq!(
            storage.append_log(entry(3, hour)).await.unwrap(),
            LogOutcome::AlreadyAppended(3),
            "an entry sent again is not appended twice"
        );
        let first_page = storage.log_entries(0, 2).await.unwrap();
        let places: Vec<u64> = first_page.iter().map(|entry| entry.sequence).collect();
        assert_eq!(places, [1, 2]);
        assert_eq!(first_page[1].ciphertext, vec![2; 5]);
        let rest = storage.log_entries(2, 100).await.unwrap();
        let places: Vec<u64> = rest.iter().map(|entry| entry.sequence).collect();
        assert_eq!(places, [3, 4]);
        storage
            .sweep(hour - 50 * SECONDS_PER_HOUR, now_unix())
            .await
            .unwrap();
        let kept: Vec<u64> = storage
            .log_entries(0, 100)
            .await
            .unwrap()
            .iter()
            .map(|entry| entry.sequence)
            .collect();
        assert_eq!(kept, [2, 3, 4], "the sweep removes old entries only");
        assert_eq!(
            storage.append_log(entry(5, hour)).await.unwrap(),
            LogOutcome::Appended(5),
            "places are never handed out twice"
        );
    }

    /// Tips stored once however often they are retried, listed oldest first, read, deleted and
    /// swept; a mailbox opened once, written by both sides, kept alive by the coordinator only,
    /// and closed with its messages.
    pub(crate) async fn tips_and_mailboxes<S: Storage>(storage: &S) {
        let now = now_unix();
        let hour = round_down_to_hour(now);
        let today = round_down_to_day(now);
        storage.ready().await.expect("a fresh backend is ready");

        let first = new_tip(1, b"first body", hour);
        let StoreOutcome::Stored(first_id) = storage.store_tip(first.clone()).await.unwrap() else {
            panic!("first tip not stored");
        };
        // The same key and body: recognised, not stored twice.
        assert_eq!(
            storage.store_tip(first).await.unwrap(),
            StoreOutcome::AlreadyStored(first_id)
        );
        let previous = storage.find_submission([1; 32]).await.unwrap().unwrap();
        assert_eq!(previous.tip_id, first_id);
        // The same key, another body: refused.
        assert_eq!(
            storage
                .store_tip(new_tip(1, b"other body", hour))
                .await
                .unwrap(),
            StoreOutcome::SubmissionKeyConflict
        );
        let StoreOutcome::Stored(_) = storage
            .store_tip(new_tip(2, b"second body", hour))
            .await
            .unwrap()
        else {
            panic!("second tip not stored");
        };
        let old = new_tip(4, b"old body", hour - 100 * SECONDS_PER_HOUR);
        let StoreOutcome::Stored(old_id) = storage.store_tip(old).await.unwrap() else {
            panic!("old tip not stored");
        };

        let listed = storage.list_tips().await.unwrap();
        assert_eq!(listed.len(), 3);
        assert_eq!(listed[0].id, old_id);
        assert_eq!(storage.counts().tips_stored, 3);
        assert_eq!(
            storage.tip(first_id).await.unwrap().as_deref(),
            Some(&b"first body"[..])
        );
        assert!(storage.delete_tip(first_id).await.unwrap());
        assert!(!storage.delete_tip(first_id).await.unwrap());
        assert_eq!(storage.tip(first_id).await.unwrap(), None);
        let swept = storage
            .sweep(hour - 50 * SECONDS_PER_HOUR, now)
            .await
            .unwrap();
        assert_eq!(swept, 1);
        assert_eq!(storage.list_tips().await.unwrap().len(), 1);
        assert_eq!(storage.counts().tips_stored, 1);

        let mailbox = MailboxId([9; 32]);
        let opened = NewMailbox {
            id: mailbox,
            token_sha256: [9; 32],
            expires_day: today,
        };
        assert_eq!(
            storage.register_mailbox(opened.clone()).await.unwrap(),
            RegistrationOutcome::Created
        );
        assert_eq!(
            storage.register_mailbox(opened).await.unwrap(),
            RegistrationOutcome::AlreadyRegistered
        );
        let other_token = NewMailbox {
            id: mailbox,
            token_sha256: [8; 32],
            expires_day: today,
        };
        assert_eq!(
            storage.register_mailbox(other_token).await.unwrap(),
            RegistrationOutcome::Conflict
        );
        let later = today + 90 * SECONDS_PER_DAY;
        let message = |author, key: u8| new_message(mailbox, author, key, hour, later);
        let MessageOutcome::Stored(answer) = storage
            .store_message(message(MessageAuthor::Reporter, 1))
            .await
            .unwrap()
        else {
            panic!("the reporter's message was not stored");
        };
        assert_eq!(
            storage
                .store_message(message(MessageAuthor::Reporter, 1))
                .await
                .unwrap(),
            MessageOutcome::AlreadyStored(answer)
        );
        let tomorrow = today + SECONDS_PER_DAY;
        assert_eq!(
            storage
                .mailbox_token_sha256(mailbox, tomorrow)
                .await
                .unwrap(),
            None,
            "a reporter's message extended the mailbox"
        );
        assert!(matches!(
            storage
                .store_message(message(MessageAuthor::Coordinator, 2))
                .await
                .unwrap(),
            MessageOutcome::Stored(_)
        ));
        assert_eq!(
            storage.mailbox_token_sha256(mailbox, later).await.unwrap(),
            Some([9; 32])
        );
        assert!(matches!(
            storage
                .store_message(message(MessageAuthor::Coordinator, 3))
                .await
                .unwrap(),
            MessageOutcome::Stored(_)
        ));
        assert_eq!(
            storage
                .store_message(message(MessageAuthor::Coordinator, 4))
                .await
                .unwrap(),
            MessageOutcome::MailboxFull
        );
        let conversation = storage.messages(mailbox).await.unwrap();
        let authors: Vec<_> = conversation.iter().map(|message| message.author).collect();
        assert_eq!(
            authors,
            [
                MessageAuthor::Reporter,
                MessageAuthor::Coordinator,
                MessageAuthor::Coordinator
            ]
        );
        assert_eq!(
            storage
                .find_message_submission([1; 32])
                .await
                .unwrap()
                .map(|previous| previous.message_id),
            Some(answer)
        );
        assert!(storage.delete_mailbox(mailbox).await.unwrap());
        assert!(!storage.delete_mailbox(mailbox).await.unwrap());
        assert!(storage.messages(mailbox).await.unwrap().is_empty());
        assert_eq!(storage.counts().messages, 0);
    }
}
