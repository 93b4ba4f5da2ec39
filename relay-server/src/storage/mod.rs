//! Where sealed tips live: one trait, one module per backend.
//!
//! - [`sqlite`]: the default, an embedded database with a single writer thread and group commit.
//! - [`discard`]: stores nothing; it exists only so the benchmark can measure the HTTP ceiling.
//!
//! A PostgreSQL backend (several relays on one database) is one more module implementing
//! [`Storage`]. Outstanding proof-of-work challenges are part of the trait because a tip's
//! challenge is consumed atomically with storing the tip.

pub mod challenges;
pub mod discard;
pub mod sqlite;

use std::fmt;
use std::future::Future;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::encoding::encode_hex;
use crate::sealed::Challenge;

/// Seconds in an hour: every stored timestamp is rounded down to a multiple of it.
pub const SECONDS_PER_HOUR: i64 = 3600;

/// The random identifier of a stored tip, shown as 32 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TipId(pub [u8; 16]);

impl TipId {
    /// A fresh random identifier.
    pub fn random() -> Self {
        Self(crate::encoding::random_bytes())
    }

    /// Parses 32 hex digits.
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != 32 {
            return None;
        }
        let mut padded = String::with_capacity(64);
        padded.push_str(text);
        padded.push_str(&"0".repeat(32));
        let bytes = crate::encoding::decode_hex_32(&padded)?;
        let mut id = [0u8; 16];
        id.copy_from_slice(&bytes[..16]);
        Some(Self(id))
    }
}

impl fmt::Display for TipId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&encode_hex(&self.0))
    }
}

impl fmt::Debug for TipId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "TipId({self})")
    }
}

/// A validated tip, ready to be stored.
#[derive(Debug, Clone)]
pub struct NewTip {
    /// SHA-256 of the client's submission key (the key itself is not kept).
    pub submission_key_sha256: [u8; 32],
    /// SHA-256 of the ciphertext, to recognise a retried submission.
    pub body_sha256: [u8; 32],
    /// The challenge this tip's proof of work solved; consumed with the tip.
    pub challenge_seed: [u8; 32],
    /// The sealed age file.
    pub ciphertext: bytes_alias::Bytes,
    /// Unix seconds, rounded down to the hour.
    pub received_hour: i64,
}

/// Re-export of the byte buffer type used for bodies, so backends need no extra dependency.
pub mod bytes_alias {
    pub use axum::body::Bytes;
}

/// What happened to a tip handed to [`Storage::store_tip`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreOutcome {
    /// Stored and committed durably under this id.
    Stored(TipId),
    /// The same submission key and body were stored before, under this id; nothing new stored.
    AlreadyStored(TipId),
    /// The submission key was stored before with a different body; nothing stored.
    SubmissionKeyConflict,
    /// The challenge is unknown, used or expired; nothing stored.
    ChallengeInvalid,
    /// Storing the tip would exceed the quota; nothing stored.
    StorageFull,
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

/// Totals for `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StorageCounts {
    /// Tips stored now.
    pub tips_stored: u64,
    /// Ciphertext bytes stored now.
    pub stored_bytes: u64,
    /// Challenges issued and not yet used or expired.
    pub outstanding_challenges: u64,
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

impl From<rusqlite::Error> for StorageError {
    fn from(error: rusqlite::Error) -> Self {
        Self(error.to_string())
    }
}

/// Result of a storage operation.
pub type StorageResult<T> = Result<T, StorageError>;

/// A place to keep challenges and sealed tips. Every method that changes something returns only
/// after the change is durable.
pub trait Storage: Send + Sync + 'static {
    /// Records a freshly issued challenge that expires at `expires_at_unix`. Returns `false`
    /// (and records nothing) when too many challenges are outstanding.
    fn issue_challenge(
        &self,
        challenge: Challenge,
        expires_at_unix: i64,
    ) -> impl Future<Output = StorageResult<bool>> + Send;

    /// Returns a challenge that is still unused and unexpired at `now_unix`.
    fn find_challenge(
        &self,
        seed: [u8; 32],
        now_unix: i64,
    ) -> impl Future<Output = StorageResult<Option<Challenge>>> + Send;

    /// Forgets a challenge without storing anything, after a wrong proof of work.
    fn forget_challenge(&self, seed: [u8; 32]) -> impl Future<Output = StorageResult<()>> + Send;

    /// Stores a tip and consumes its challenge in one transaction, or explains why not.
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

    /// Deletes tips and submission records received before `cutoff_hour`, and forgets expired
    /// challenges. Returns how many tips were deleted.
    fn sweep(
        &self,
        cutoff_hour: i64,
        now_unix: i64,
    ) -> impl Future<Output = StorageResult<u64>> + Send;

    /// Current totals.
    fn counts(&self) -> StorageCounts;
}

/// The current time in Unix seconds.
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|duration| i64::try_from(duration.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Rounds Unix seconds down to the hour, the only precision the relay stores.
pub fn round_down_to_hour(unix_seconds: i64) -> i64 {
    unix_seconds - unix_seconds.rem_euclid(SECONDS_PER_HOUR)
}
