//! A backend that stores nothing. It exists only so the benchmark can measure the relay's HTTP
//! ceiling (everything but the database); `storage.backend = "discard"` must never run in
//! production, and the relay logs a warning when it does.

use std::sync::atomic::{AtomicU64, Ordering};

use super::challenges::ChallengeBook;
use super::{
    MailboxId, MessageOutcome, NewMailbox, NewMessage, NewTip, PreviousSubmission,
    RegistrationOutcome, Storage, StorageCounts, StorageResult, StoreOutcome, StoredMessage, TipId,
    TipSummary, now_unix,
};
use crate::sealed::Challenge;

/// Validates and consumes challenges like the real backends, then forgets the tip.
#[derive(Debug)]
pub struct DiscardStorage {
    challenges: ChallengeBook,
    tips_discarded: AtomicU64,
}

impl DiscardStorage {
    /// A discarding backend holding at most `max_outstanding_challenges` challenges.
    pub fn new(max_outstanding_challenges: usize) -> Self {
        Self {
            challenges: ChallengeBook::new(max_outstanding_challenges),
            tips_discarded: AtomicU64::new(0),
        }
    }
}

impl Storage for DiscardStorage {
    async fn issue_challenge(
        &self,
        challenge: Challenge,
        expires_at_unix: i64,
    ) -> StorageResult<bool> {
        Ok(self
            .challenges
            .insert(challenge, expires_at_unix, now_unix()))
    }

    async fn find_challenge(
        &self,
        seed: [u8; 32],
        now_unix: i64,
    ) -> StorageResult<Option<Challenge>> {
        Ok(self.challenges.find(&seed, now_unix))
    }

    async fn forget_challenge(&self, seed: [u8; 32]) -> StorageResult<()> {
        self.challenges.take(&seed, i64::MIN);
        Ok(())
    }

    async fn store_tip(&self, tip: NewTip) -> StorageResult<StoreOutcome> {
        if self
            .challenges
            .take(&tip.challenge_seed, now_unix())
            .is_none()
        {
            return Ok(StoreOutcome::ChallengeInvalid);
        }
        self.tips_discarded.fetch_add(1, Ordering::Relaxed);
        Ok(StoreOutcome::Stored(TipId::random()))
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

    async fn sweep(&self, _cutoff_hour: i64, now_unix: i64) -> StorageResult<u64> {
        self.challenges.forget_expired(now_unix);
        Ok(0)
    }

    async fn register_mailbox(&self, mailbox: NewMailbox) -> StorageResult<RegistrationOutcome> {
        if self
            .challenges
            .take(&mailbox.challenge_seed, now_unix())
            .is_none()
        {
            return Ok(RegistrationOutcome::ChallengeInvalid);
        }
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

    async fn messages(&self, _id: MailboxId) -> StorageResult<Vec<StoredMessage>> {
        Ok(Vec::new())
    }

    async fn delete_mailbox(&self, _id: MailboxId) -> StorageResult<bool> {
        Ok(false)
    }

    fn counts(&self) -> StorageCounts {
        StorageCounts {
            outstanding_challenges: self.challenges.len() as u64,
            ..StorageCounts::default()
        }
    }
}
