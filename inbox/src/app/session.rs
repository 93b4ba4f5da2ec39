//! The app's one session: the launch secret printed at start, the cookie it is exchanged for
//! (once), the page language, and, while unlocked, the coordinator's keys and what the list
//! needs to know of each tip. Locking, by hand or after the idle time, drops the keys (their
//! secrets are wiped on drop) and everything opened with them.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use fluister_envelope::tip::vocabulary::{Kind, Municipality, Role};
use subtle::ConstantTimeEq as _;
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, Result};
use crate::keys::UnlockedKeys;
use crate::store::{self, StoredTip};
use crate::vocabulary::Language;

/// 256 random bits: the launch secret or the session cookie. Wiped on drop; no `Debug`.
pub(crate) struct Secret([u8; 32]);

impl Secret {
    /// A fresh secret from the operating system.
    pub(crate) fn generate() -> Result<Self> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(Error::Randomness)?;
        Ok(Self(bytes))
    }

    /// Lower-case hex, as it appears in the opening address and the cookie.
    pub(crate) fn to_hex(&self) -> String {
        fluister_protocol::codec::encode_hex(&self.0)
    }

    /// Whether `candidate` is this secret in hex, compared in constant time.
    pub(crate) fn matches(&self, candidate: &str) -> bool {
        match fluister_protocol::codec::decode_hex::<32>(candidate) {
            Some(mut bytes) => {
                let equal = bool::from(bytes.ct_eq(&self.0));
                bytes.zeroize();
                equal
            }
            None => false,
        }
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// What the list shows of one stored tip: no free text, only its number, hour and
/// identifiers. Kept while unlocked, so a list or filter opens each file once.
#[derive(Clone, Debug)]
pub(crate) struct TipSummary {
    pub(crate) number: u64,
    pub(crate) received_hour: u64,
    /// `None` when the file did not open.
    pub(crate) facts: Option<TipFacts>,
}

/// The identifiers of an opened tip.
#[derive(Clone, Debug)]
pub(crate) struct TipFacts {
    pub(crate) municipality: Option<Municipality>,
    pub(crate) kinds: Vec<Kind>,
    pub(crate) role: Option<Role>,
}

/// What the list knows of each stored tip, by file, while unlocked.
#[derive(Debug, Default)]
pub(crate) struct SummaryCache {
    known: Mutex<HashMap<PathBuf, TipSummary>>,
    /// Held while files are opened, so two requests (or a request and the background pass
    /// after unlocking) never open the same files side by side; the second waits and finds
    /// them known.
    opening: Mutex<()>,
}

impl SummaryCache {
    /// Holds the opening lock: while the guard lives, [`summaries`] waits, so what is filled in
    /// meanwhile (from the sealed index, see [`super::index`]) is seen by the next request
    /// instead of being opened again.
    pub(super) fn hold_opening(&self) -> MutexGuard<'_, ()> {
        self.opening.lock().expect("summary cache")
    }

    /// Adds `summaries` for files not yet known; a file a request opened meanwhile keeps what
    /// its opening found.
    pub(super) fn insert_unknown(
        &self,
        summaries: impl IntoIterator<Item = (PathBuf, TipSummary)>,
    ) {
        let mut known = self.known.lock().expect("summary cache");
        for (path, summary) in summaries {
            known.entry(path).or_insert(summary);
        }
    }

    /// What is known of each of `tips` (the facts, `None` if it did not open), skipping those
    /// not known yet.
    pub(super) fn known_facts<'t>(
        &self,
        tips: &'t [StoredTip],
    ) -> Vec<(&'t StoredTip, Option<TipFacts>)> {
        let known = self.known.lock().expect("summary cache");
        tips.iter()
            .filter_map(|tip| Some((tip, known.get(&tip.path)?.facts.clone())))
            .collect()
    }
}

/// How many files are opened at once: their documents are dropped after each batch, which
/// keeps the memory (and the time plaintext lives in it) small, and a request waits for at
/// most one batch of another's.
const OPENING_BATCH: usize = 256;

/// The keys and the tips' summaries, while unlocked.
pub(crate) struct Unlocked {
    pub(crate) keys: Arc<UnlockedKeys>,
    pub(crate) summaries: Arc<SummaryCache>,
    last_used: Instant,
    /// The words searched for, by the random id the list's address carries instead of them (so
    /// they stay out of the browser's history); the newest last, forgotten at the lock.
    searches: Vec<(String, Zeroizing<String>)>,
}

/// How many searches are remembered while unlocked.
const REMEMBERED_SEARCHES: usize = 32;

impl std::fmt::Debug for Unlocked {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Unlocked(..)")
    }
}

/// The summaries of `tips`, in their order, opening (in parallel) only those not yet known.
pub(crate) fn summaries(
    tips: &[StoredTip],
    keys: &UnlockedKeys,
    cache: &SummaryCache,
) -> Vec<TipSummary> {
    // One batch at a time under the opening lock: a request for one page waits for at most
    // one batch of the background pass, and nothing is opened twice.
    loop {
        let opening = cache.opening.lock().expect("summary cache");
        let batch: Vec<StoredTip> = {
            let known = cache.known.lock().expect("summary cache");
            tips.iter()
                .filter(|tip| !known.contains_key(&tip.path))
                .take(OPENING_BATCH)
                .cloned()
                .collect()
        };
        if batch.is_empty() {
            break;
        }
        let documents = store::open_all(&batch, keys);
        let mut known = cache.known.lock().expect("summary cache");
        for (tip, document) in batch.into_iter().zip(documents) {
            let facts = document.ok().map(|document| TipFacts {
                municipality: document.municipality,
                kinds: document.kinds,
                role: document.role,
            });
            known.insert(
                tip.path,
                TipSummary {
                    number: tip.number,
                    received_hour: tip.received_hour,
                    facts,
                },
            );
        }
        drop(known);
        drop(opening);
        // A request waiting for the lock gets it before the next batch.
        std::thread::sleep(Duration::from_millis(1));
    }
    let known = cache.known.lock().expect("summary cache");
    tips.iter()
        .filter_map(|tip| known.get(&tip.path).cloned())
        .collect()
}

/// The session's state; one per app process.
pub(crate) struct Session {
    launch_secret: Option<Secret>,
    cookie: Option<Secret>,
    pub(crate) language: Language,
    unlocked: Option<Unlocked>,
    lock_after: Duration,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Session")
            .field("launch_secret_used", &self.launch_secret.is_none())
            .field("language", &self.language)
            .field("unlocked", &self.unlocked.is_some())
            .finish()
    }
}

/// What became of an offered launch secret.
pub(crate) enum Exchange {
    /// It was the secret: here is the cookie's value (the secret is now used up).
    Accepted(String),
    /// Wrong, or already used.
    Refused,
}

impl Session {
    /// A new session with `launch_secret`, not yet opened.
    pub(crate) fn new(launch_secret: Secret, language: Language, lock_after: Duration) -> Self {
        Self {
            launch_secret: Some(launch_secret),
            cookie: None,
            language,
            unlocked: None,
            lock_after,
        }
    }

    /// Exchanges the launch secret for a fresh cookie, once.
    pub(crate) fn exchange(&mut self, offered: &str) -> Result<Exchange> {
        let Some(secret) = &self.launch_secret else {
            return Ok(Exchange::Refused);
        };
        if !secret.matches(offered) {
            return Ok(Exchange::Refused);
        }
        self.launch_secret = None;
        let cookie = Secret::generate()?;
        let value = cookie.to_hex();
        self.cookie = Some(cookie);
        Ok(Exchange::Accepted(value))
    }

    /// Whether `value` is the session's cookie.
    pub(crate) fn is_cookie(&self, value: &str) -> bool {
        self.cookie
            .as_ref()
            .is_some_and(|cookie| cookie.matches(value))
    }

    /// Locks if the idle time has passed since the last use; returns whether it is unlocked.
    pub(crate) fn lock_if_idle(&mut self, now: Instant) -> bool {
        if let Some(unlocked) = &self.unlocked
            && now.saturating_duration_since(unlocked.last_used) >= self.lock_after
        {
            self.lock();
        }
        self.unlocked.is_some()
    }

    /// The keys and summaries if unlocked (and not idle too long), counting this as a use.
    pub(crate) fn use_unlocked(
        &mut self,
        now: Instant,
    ) -> Option<(Arc<UnlockedKeys>, Arc<SummaryCache>)> {
        if !self.lock_if_idle(now) {
            return None;
        }
        let unlocked = self.unlocked.as_mut()?;
        unlocked.last_used = now;
        Some((Arc::clone(&unlocked.keys), Arc::clone(&unlocked.summaries)))
    }

    /// Keeps `keys` until the next lock.
    pub(crate) fn unlock(&mut self, keys: UnlockedKeys, now: Instant) {
        self.unlocked = Some(Unlocked {
            keys: Arc::new(keys),
            summaries: Arc::default(),
            last_used: now,
            searches: Vec::new(),
        });
    }

    /// Remembers the words of a search while unlocked; returns the id the list's address
    /// names it by, or `None` when locked.
    pub(crate) fn remember_search(&mut self, words: &str) -> Result<Option<String>> {
        let Some(unlocked) = self.unlocked.as_mut() else {
            return Ok(None);
        };
        if let Some((id, _)) = unlocked
            .searches
            .iter()
            .find(|(_, remembered)| remembered.as_str() == words)
        {
            return Ok(Some(id.clone()));
        }
        let id = Secret::generate()?.to_hex()[..32].to_owned();
        if unlocked.searches.len() == REMEMBERED_SEARCHES {
            unlocked.searches.remove(0);
        }
        unlocked
            .searches
            .push((id.clone(), Zeroizing::new(words.to_owned())));
        Ok(Some(id))
    }

    /// The words of the search `id`, if it is remembered.
    pub(crate) fn search(&self, id: &str) -> Option<String> {
        self.unlocked.as_ref().and_then(|unlocked| {
            unlocked
                .searches
                .iter()
                .find(|(remembered, _)| remembered == id)
                .map(|(_, words)| words.as_str().to_owned())
        })
    }

    /// Drops the keys and the summaries. A request still running keeps its own reference until
    /// it ends; the keys' secrets are wiped when the last one goes.
    pub(crate) fn lock(&mut self) {
        self.unlocked = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_launch_secret_is_exchanged_once() {
        let secret = Secret::generate().unwrap();
        let hex = secret.to_hex();
        let mut session = Session::new(secret, Language::Nl, Duration::from_secs(60));
        assert!(matches!(
            session.exchange(&"0".repeat(64)).unwrap(),
            Exchange::Refused
        ));
        assert!(matches!(
            session.exchange("not hex").unwrap(),
            Exchange::Refused
        ));
        let Exchange::Accepted(cookie) = session.exchange(&hex).unwrap() else {
            panic!("the right secret is accepted");
        };
        assert!(session.is_cookie(&cookie));
        assert!(!session.is_cookie(&hex));
        assert!(matches!(session.exchange(&hex).unwrap(), Exchange::Refused));
    }
}
