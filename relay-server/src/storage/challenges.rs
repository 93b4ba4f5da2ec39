//! Outstanding proof-of-work challenges, held in the relay's memory.
//!
//! A single relay (the SQLite and discard backends) keeps challenges in memory rather than in the
//! database: a challenge is worth nothing after a restart (the widget just fetches a new one), and
//! this way no issuing time finer than an hour ever reaches the disk.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::sealed::Challenge;

/// The set of issued, not yet used, not yet expired challenges.
#[derive(Debug)]
pub struct ChallengeBook {
    outstanding: Mutex<HashMap<[u8; 32], (Challenge, i64)>>,
    capacity: usize,
}

impl ChallengeBook {
    /// An empty book that holds at most `capacity` challenges.
    pub fn new(capacity: usize) -> Self {
        Self {
            outstanding: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], (Challenge, i64)>> {
        // A panic while holding the lock leaves the map consistent (every operation is one call).
        self.outstanding
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds a challenge; `false` when the book is full even after dropping expired ones.
    pub fn insert(&self, challenge: Challenge, expires_at_unix: i64, now_unix: i64) -> bool {
        let mut outstanding = self.lock();
        if outstanding.len() >= self.capacity {
            outstanding.retain(|_, (_, expires_at)| *expires_at > now_unix);
            if outstanding.len() >= self.capacity {
                return false;
            }
        }
        outstanding.insert(challenge.seed, (challenge, expires_at_unix));
        true
    }

    /// The challenge with this seed, if it is outstanding and unexpired.
    pub fn find(&self, seed: &[u8; 32], now_unix: i64) -> Option<Challenge> {
        let outstanding = self.lock();
        outstanding
            .get(seed)
            .filter(|(_, expires_at)| *expires_at > now_unix)
            .map(|(challenge, _)| challenge.clone())
    }

    /// Removes and returns the challenge if it is outstanding and unexpired. The caller puts it
    /// back with [`ChallengeBook::restore`] if the transaction that used it fails.
    pub fn take(&self, seed: &[u8; 32], now_unix: i64) -> Option<(Challenge, i64)> {
        let mut outstanding = self.lock();
        let (challenge, expires_at) = outstanding.remove(seed)?;
        (expires_at > now_unix).then_some((challenge, expires_at))
    }

    /// Puts back challenges taken for a transaction that did not commit.
    pub fn restore(&self, challenges: Vec<(Challenge, i64)>) {
        let mut outstanding = self.lock();
        for (challenge, expires_at) in challenges {
            outstanding.insert(challenge.seed, (challenge, expires_at));
        }
    }

    /// Drops expired challenges.
    pub fn forget_expired(&self, now_unix: i64) {
        self.lock()
            .retain(|_, (_, expires_at)| *expires_at > now_unix);
    }

    /// How many challenges are outstanding.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no challenge is outstanding.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
