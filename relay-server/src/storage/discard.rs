//! A backend that stores nothing. It exists only so the benchmark can measure the relay's HTTP
//! ceiling (everything but the database); `storage.backend = "discard"` must never run in
//! production, and the relay logs a warning when it does.

use std::sync::atomic::{AtomicU64, Ordering};

use super::{
    LogOutcome, MailboxId, MessageOutcome, NewLogEntry, NewMailbox, NewMessage, NewTip,
    PreviousMessage, PreviousSubmission, RegistrationOutcome, Storage, StorageCounts,
    StorageResult, StoreOutcome, StoredLogEntry, StoredMessage, TipId, TipSummary,
};

/// Accepts every tip and forgets it.
#[derive(Debug, Default)]
pub struct DiscardStorage {
    tips_discarded: AtomicU64,
}

impl DiscardStorage {
    /// A discarding backend.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Storage for DiscardStorage {
    async fn store_tip(&self, _tip: NewTip) -> StorageResult<StoreOutcome> {
        self.tips_discarded.fetch_add(1, Ordering::Relaxed);
        Ok(StoreOutcome::Stored(super::random_tip_id()))
    }

    async fn find_submission(
        &self,
        _submission_key_sha256: [u8; 32],
    ) -> StorageResult<Option<PreviousSubmission>> {
        Ok(None)
    }

    async fn list_tips(&self) -> StorageResult<Vec<TipSummary>> {
        Ok(Vec::new())
    }

    async fn tip(&self, _id: TipId) -> StorageResult<Option<Vec<u8>>> {
        Ok(None)
    }

    async fn delete_tip(&self, _id: TipId) -> StorageResult<bool> {
        Ok(false)
    }

    async fn sweep(&self, _cutoff_hour: i64, _now_unix: i64) -> StorageResult<u64> {
        Ok(0)
    }

    async fn register_mailbox(&self, _mailbox: NewMailbox) -> StorageResult<RegistrationOutcome> {
        Ok(RegistrationOutcome::Created)
    }

    async fn mailbox_token_sha256(
        &self,
        _id: MailboxId,
        _today: i64,
    ) -> StorageResult<Option<[u8; 32]>> {
        Ok(None)
    }

    async fn store_message(&self, _message: NewMessage) -> StorageResult<MessageOutcome> {
        Ok(MessageOutcome::MailboxNotFound)
    }

    async fn find_message_submission(
        &self,
        _submission_key_sha256: [u8; 32],
    ) -> StorageResult<Option<PreviousMessage>> {
        Ok(None)
    }

    async fn messages(&self, _id: MailboxId) -> StorageResult<Vec<StoredMessage>> {
        Ok(Vec::new())
    }

    async fn delete_mailbox(&self, _id: MailboxId) -> StorageResult<bool> {
        Ok(false)
    }

    async fn mark_expiring(
        &self,
        _tip_cutoff_hour: i64,
        _mailbox_cutoff_day: i64,
    ) -> StorageResult<bool> {
        Ok(false)
    }

    async fn append_log(&self, _entry: NewLogEntry) -> StorageResult<LogOutcome> {
        Ok(LogOutcome::Appended(1))
    }

    async fn log_entries(&self, _after: u64, _limit: usize) -> StorageResult<Vec<StoredLogEntry>> {
        Ok(Vec::new())
    }

    async fn ready(&self) -> StorageResult<()> {
        Ok(())
    }

    fn counts(&self) -> StorageCounts {
        StorageCounts::default()
    }
}
