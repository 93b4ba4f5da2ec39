//! What keeps one client from silencing the relay: budgets charged only for work that was
//! verified, the per-mailbox read budget, and the counts behind adaptive difficulty and the
//! coordinator's view of an attack. Everything here is in memory and counts requests, never
//! who sent them (the relay does not know, and must not learn).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A global token bucket: `rate` tokens a second, at most `burst` saved up.
#[derive(Debug)]
pub struct TokenBucket {
    rate_per_second: f64,
    burst: f64,
    state: Mutex<(f64, Instant)>,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(rate_per_second: f64, burst: u32) -> Self {
        let burst = f64::from(burst);
        Self {
            rate_per_second,
            burst,
            state: Mutex::new((burst, Instant::now())),
        }
    }

    fn refilled(&self) -> std::sync::MutexGuard<'_, (f64, Instant)> {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (tokens, last_refill) = &mut *state;
        let now = Instant::now();
        let elapsed = now.duration_since(*last_refill).as_secs_f64();
        *tokens = (*tokens + elapsed * self.rate_per_second).min(self.burst);
        *last_refill = now;
        state
    }

    /// Whether a token is there, without taking it: a request that would be refused anyway is
    /// refused before the relay does any work for it.
    pub fn has_token(&self) -> bool {
        self.refilled().0 >= 1.0
    }

    /// Takes a token if there is one.
    pub fn try_take(&self) -> bool {
        let mut state = self.refilled();
        if state.0 >= 1.0 {
            state.0 -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The most mailboxes whose read budget is tracked at once; beyond it, mailboxes with a full
/// budget are forgotten (they are the same as new ones).
const MAX_TRACKED_MAILBOXES: usize = 100_000;

/// How often the read budgets forget the mailboxes whose budget has refilled.
const FORGET_REFILLED_EVERY: Duration = Duration::from_secs(60);

/// A read budget per mailbox, charged only after the mailbox token checked out. A client can
/// spend only the budget of a mailbox it holds the code of; a wrong guess costs the guesser a
/// request and the relay one indexed read, and draws from no budget anyone else needs.
///
/// The budgets are keyed by a keyed hash of the mailbox id (the key is made at start and never
/// stored), and a budget that has refilled is forgotten within a minute or two, so memory holds
/// no list of mailboxes with the moments they were read.
pub struct MailboxReadBudgets {
    rate_per_second: f64,
    burst: f64,
    key: [u8; 32],
    buckets: Mutex<ReadBuckets>,
}

impl std::fmt::Debug for MailboxReadBudgets {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("MailboxReadBudgets")
            .field("rate_per_second", &self.rate_per_second)
            .field("burst", &self.burst)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
struct ReadBuckets {
    by_mailbox: HashMap<[u8; 16], (f64, Instant)>,
    /// When the refilled buckets were last forgotten.
    last_pruned: Option<Instant>,
}

impl MailboxReadBudgets {
    /// Budgets refilling `per_minute` reads a minute, at most `burst` saved up, per mailbox.
    pub fn new(per_minute: f64, burst: u32) -> Self {
        Self {
            rate_per_second: per_minute / 60.0,
            burst: f64::from(burst),
            key: crate::encoding::random_bytes(),
            buckets: Mutex::new(ReadBuckets::default()),
        }
    }

    fn bucket_name(&self, mailbox_id: &[u8; 32]) -> [u8; 16] {
        use hmac::{KeyInit as _, Mac as _};
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.key)
            .expect("HMAC takes any key length");
        mac.update(mailbox_id);
        let mut name = [0u8; 16];
        name.copy_from_slice(&mac.finalize().into_bytes()[..16]);
        name
    }

    /// Takes one read from this mailbox's budget, if it has one left.
    pub fn try_take(&self, mailbox_id: &[u8; 32]) -> bool {
        let name = self.bucket_name(mailbox_id);
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let due = buckets
            .last_pruned
            .is_none_or(|last| now.duration_since(last) >= FORGET_REFILLED_EVERY);
        let full = buckets.by_mailbox.len() >= MAX_TRACKED_MAILBOXES;
        let pruned_lately = buckets
            .last_pruned
            .is_some_and(|last| now.duration_since(last) < Duration::from_secs(1));
        if due || (full && !pruned_lately) {
            let (rate, burst) = (self.rate_per_second, self.burst);
            buckets.last_pruned = Some(now);
            buckets.by_mailbox.retain(|_, (tokens, last)| {
                *tokens + now.duration_since(*last).as_secs_f64() * rate < burst
            });
        }
        // A mailbox that does not fit is served untracked: only holders of real codes get here,
        // each of which cost a proof of work to open, and the load limits still apply.
        if buckets.by_mailbox.len() >= MAX_TRACKED_MAILBOXES
            && !buckets.by_mailbox.contains_key(&name)
        {
            return true;
        }
        let (tokens, last) = buckets.by_mailbox.entry(name).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.rate_per_second)
            .min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// A count of events over a sliding window, kept in a ring of slots.
#[derive(Debug)]
pub struct SlidingCount {
    started: Instant,
    slot_length: Duration,
    /// (slot number since `started`, events in it).
    slots: Mutex<Vec<(u64, u64)>>,
}

impl SlidingCount {
    /// Counts over `window`, in `slot_count` steps.
    pub fn new(window: Duration, slot_count: u32) -> Self {
        let slot_count = slot_count.max(1);
        Self {
            started: Instant::now(),
            slot_length: (window / slot_count).max(Duration::from_millis(1)),
            slots: Mutex::new(vec![(u64::MAX, 0); slot_count as usize]),
        }
    }

    fn current_slot(&self) -> u64 {
        let elapsed = self.started.elapsed().as_nanos();
        u64::try_from(elapsed / self.slot_length.as_nanos()).unwrap_or(u64::MAX)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(u64, u64)>> {
        self.slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts one event now.
    pub fn record(&self) {
        let current = self.current_slot();
        let mut slots = self.lock();
        let length = slots.len() as u64;
        let slot = &mut slots[(current % length) as usize];
        if slot.0 != current {
            *slot = (current, 0);
        }
        slot.1 += 1;
    }

    /// The events in the window that ends now.
    pub fn total(&self) -> u64 {
        let current = self.current_slot();
        let slots = self.lock();
        let length = slots.len() as u64;
        slots
            .iter()
            .filter(|(slot, _)| *slot != u64::MAX && *slot + length > current)
            .map(|(_, count)| count)
            .sum()
    }
}

/// How the proof of work's difficulty follows the verified submissions of the last window.
#[derive(Debug)]
pub struct AdaptiveDifficulty {
    base: u32,
    maximum: u32,
    baseline: u64,
    window: Duration,
    verified: SlidingCount,
}

impl AdaptiveDifficulty {
    /// Difficulty `base` while at most `baseline` submissions were verified in the last
    /// `window`; above that it doubles for every doubling of the traffic, up to `maximum`.
    pub fn new(base: u32, maximum: u32, baseline: u64, window: Duration) -> Self {
        Self {
            base,
            maximum: maximum.max(base),
            baseline: baseline.max(1),
            window,
            verified: SlidingCount::new(window, 12),
        }
    }

    /// Counts a submission whose proof of work was verified.
    pub fn record_verified(&self) {
        self.verified.record();
    }

    /// Verified submissions in the current window.
    pub fn verified_in_window(&self) -> u64 {
        self.verified.total()
    }

    /// The difficulty for a challenge issued now.
    pub fn current(&self) -> u32 {
        self.for_verified(self.verified_in_window())
    }

    /// The difficulty for `verified` submissions in the window (so a caller that reads the count
    /// once gets a difficulty that matches it).
    pub fn for_verified(&self, verified: u64) -> u32 {
        difficulty_for(self.base, self.maximum, self.baseline, verified)
    }

    /// The difficulty without a flood.
    pub fn base(&self) -> u32 {
        self.base
    }

    /// The most the difficulty rises to.
    pub fn maximum(&self) -> u32 {
        self.maximum
    }

    /// The verified submissions per window that raise no difficulty.
    pub fn baseline(&self) -> u64 {
        self.baseline
    }

    /// The window verified submissions are counted over.
    pub fn window(&self) -> Duration {
        self.window
    }
}

/// The curve: `base` up to `baseline` verified submissions a window, then `base × 2^k` for the
/// smallest `k` with `baseline × 2^k ≥ verified`, capped at `maximum`. So 2 × baseline doubles
/// the work, 4 × baseline quadruples it, and so on; it eases again as the window moves on.
pub fn difficulty_for(base: u32, maximum: u32, baseline: u64, verified: u64) -> u32 {
    let mut level = 0u32;
    while level < 32 && baseline.saturating_mul(1 << level) < verified {
        level += 1;
    }
    let raised = u64::from(base).saturating_mul(1u64 << level.min(40));
    u32::try_from(raised.min(u64::from(maximum))).unwrap_or(maximum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_curve_doubles_per_doubling_and_is_capped() {
        let at = |verified| difficulty_for(160, 16_384, 30, verified);
        assert_eq!(at(0), 160);
        assert_eq!(at(30), 160);
        assert_eq!(at(31), 320);
        assert_eq!(at(60), 320);
        assert_eq!(at(61), 640);
        assert_eq!(at(240), 1280);
        assert_eq!(at(100_000), 16_384);
        // Difficulty 0 (tests, demos) stays 0.
        assert_eq!(difficulty_for(0, 16_384, 30, 1_000), 0);
    }

    #[test]
    fn a_sliding_count_forgets_what_left_the_window() {
        let count = SlidingCount::new(Duration::from_millis(200), 4);
        for _ in 0..5 {
            count.record();
        }
        assert_eq!(count.total(), 5);
        std::thread::sleep(Duration::from_millis(260));
        assert_eq!(count.total(), 0);
        count.record();
        assert_eq!(count.total(), 1);
    }

    #[test]
    fn a_bucket_can_be_looked_at_without_taking() {
        let bucket = TokenBucket::new(0.001, 1);
        assert!(bucket.has_token());
        assert!(bucket.has_token());
        assert!(bucket.try_take());
        assert!(!bucket.has_token());
        assert!(!bucket.try_take());
    }

    #[test]
    fn each_mailbox_has_its_own_read_budget() {
        let budgets = MailboxReadBudgets::new(0.001, 2);
        assert!(budgets.try_take(&[1; 32]));
        assert!(budgets.try_take(&[1; 32]));
        assert!(!budgets.try_take(&[1; 32]));
        // Another mailbox is untouched by the first one's reads.
        assert!(budgets.try_take(&[2; 32]));
    }
}
