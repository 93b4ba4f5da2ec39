//! Proof-of-work challenges that cost the relay nothing to issue.
//!
//! A challenge is stateless: its 32-byte seed carries its own parameters and a MAC,
//!
//! ```text
//! seed = version (1) ‖ issued at, Unix seconds (u32 BE) ‖ difficulty (u16 BE)
//!        ‖ memory KiB (u16 BE) ‖ random (7) ‖ MAC (16)                      one puzzle
//! seed = version (2) ‖ issued at ‖ difficulty ‖ memory KiB ‖ puzzles (u8) ‖ random (6)
//!        ‖ MAC (16)                                                          2 to 32 puzzles
//! MAC  = HMAC-SHA256(epoch key, the first 16 bytes)[..16]
//! epoch key = HMAC-SHA256(master key, "fluister challenge key v2" ‖ epoch (u64 BE))
//! epoch = issued at / KEY_EPOCH_SECONDS
//! ```
//!
//! so issuing one writes nothing and draws from no budget, and any relay holding the same master
//! key (a file in the data directory, a file every relay is given, or on PostgreSQL a row every
//! relay on the database reads) can verify it. The MAC key changes every
//! [`KEY_EPOCH_SECONDS`]; a challenge made under the previous epoch's key is accepted until it
//! expires. It expires `proof_of_work.challenge_lifetime_seconds` (at most one epoch) after it
//! was issued, by the verifying relay's config. The widget treats the seed as opaque bytes and
//! uses it as the Argon2id salt.
//!
//! Single use is kept by [`UsedChallenges`]: a record is written only when a proof is presented
//! for a challenge whose MAC checks out, before the proof is verified, so one challenge buys at
//! most one verification however many requests race for it. Records live in memory until their
//! challenge expires. Relays on one PostgreSQL database also share a record of the challenges a
//! verified proof spent (`Storage::spend_challenge`), so a proof pays at one of them only; with
//! SQLite, nothing about a challenge reaches the disk.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::Path;
use std::sync::Mutex;

use hmac::{KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::sealed::Challenge;

/// How long one MAC key is used for new challenges, in seconds (a day).
pub const KEY_EPOCH_SECONDS: i64 = 86_400;

/// The version byte of a one-puzzle challenge's seed.
const SEED_VERSION: u8 = 1;

/// The version byte of a split challenge's seed, which also carries the number of puzzles.
const SPLIT_SEED_VERSION: u8 = 2;

/// The length of the master key file's contents.
const MASTER_KEY_BYTES: usize = 32;

type HmacSha256 = hmac::Hmac<Sha256>;

/// The relay's challenge key: the master secret epoch keys are derived from. Its `Debug` form
/// does not show it.
pub struct ChallengeKeys {
    master: zeroize::Zeroizing<[u8; MASTER_KEY_BYTES]>,
}

impl std::fmt::Debug for ChallengeKeys {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("ChallengeKeys(..)")
    }
}

/// Why a challenge key file could not be used.
#[derive(Debug)]
pub struct KeyFileError(pub String);

impl std::fmt::Display for KeyFileError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl std::error::Error for KeyFileError {}

impl ChallengeKeys {
    /// Keys from a master secret (tests, and relays that share one).
    pub fn from_master(master: [u8; MASTER_KEY_BYTES]) -> Self {
        Self {
            master: zeroize::Zeroizing::new(master),
        }
    }

    /// Reads the master key from `path`, or creates the file (mode 0600, 32 random bytes) if
    /// there is none. Relays that verify each other's challenges share this file.
    pub fn load_or_create(path: &Path) -> Result<Self, KeyFileError> {
        match std::fs::read(path) {
            Ok(bytes) => {
                let master: [u8; MASTER_KEY_BYTES] = bytes.try_into().map_err(|_| {
                    KeyFileError(format!(
                        "the challenge key file {} is not {MASTER_KEY_BYTES} bytes long; delete it \
                         and the relay makes a new one (open challenges then stop working, and \
                         widgets fetch new ones)",
                        path.display()
                    ))
                })?;
                warn_if_others_can_read(path);
                Ok(Self::from_master(master))
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let master: [u8; MASTER_KEY_BYTES] = crate::encoding::random_bytes();
                write_new_key_file(path, &master).map_err(|error| {
                    KeyFileError(format!(
                        "cannot create the challenge key file {}: {error}; check that the data \
                         directory is writable",
                        path.display()
                    ))
                })?;
                Ok(Self::from_master(master))
            }
            Err(error) => Err(KeyFileError(format!(
                "cannot read the challenge key file {}: {error}",
                path.display()
            ))),
        }
    }

    fn epoch_key(&self, epoch: i64) -> HmacSha256 {
        let mut derive = <HmacSha256 as KeyInit>::new_from_slice(&self.master[..])
            .expect("HMAC takes any key length");
        derive.update(b"fluister challenge key v2");
        derive.update(&epoch.to_be_bytes());
        let epoch_key = derive.finalize().into_bytes();
        <HmacSha256 as KeyInit>::new_from_slice(&epoch_key).expect("HMAC takes any key length")
    }

    fn tag(&self, epoch: i64, signed: &[u8]) -> [u8; 16] {
        let mut mac = self.epoch_key(epoch);
        mac.update(signed);
        let full = mac.finalize().into_bytes();
        let mut tag = [0u8; 16];
        tag.copy_from_slice(&full[..16]);
        tag
    }

    /// Makes a challenge issued at `now_unix`, split into at most `puzzles` puzzles (fewer
    /// when the difficulty is low, so each puzzle takes at least two expected tries; at most
    /// the envelope's `MAX_PUZZLES`). Difficulty and memory must fit in 16 bits (the envelope's
    /// limits do).
    pub fn issue(
        &self,
        difficulty: u32,
        memory_kib: u32,
        puzzles: u32,
        now_unix: i64,
    ) -> Challenge {
        let issued_at = u32::try_from(now_unix).unwrap_or(u32::MAX);
        let epoch = i64::from(issued_at).div_euclid(KEY_EPOCH_SECONDS);
        let difficulty = u16::try_from(difficulty).unwrap_or(u16::MAX);
        let memory_kib = u16::try_from(memory_kib).unwrap_or(u16::MAX);
        let puzzles = puzzles
            .min(u32::from(difficulty) / 2)
            .clamp(1, crate::sealed::MAX_PUZZLES);
        let mut seed = [0u8; 32];
        seed[1..5].copy_from_slice(&issued_at.to_be_bytes());
        seed[5..7].copy_from_slice(&difficulty.to_be_bytes());
        seed[7..9].copy_from_slice(&memory_kib.to_be_bytes());
        if puzzles == 1 {
            seed[0] = SEED_VERSION;
            seed[9..16].copy_from_slice(&crate::encoding::random_bytes::<7>());
        } else {
            seed[0] = SPLIT_SEED_VERSION;
            // At most MAX_PUZZLES (32): fits one byte.
            seed[9] = puzzles as u8;
            seed[10..16].copy_from_slice(&crate::encoding::random_bytes::<6>());
        }
        let tag = self.tag(epoch, &seed[..16]);
        seed[16..].copy_from_slice(&tag);
        Challenge {
            seed,
            difficulty: u32::from(difficulty),
            memory_kib: u32::from(memory_kib),
            puzzles,
        }
    }

    /// Reads a seed a client sent back: the challenge it stands for, if this relay made it (the
    /// MAC checks out under the key of its epoch, this one or the last), it was not issued in
    /// the future, and it has not expired at `now_unix` after `lifetime_seconds`. One HMAC at
    /// most; no storage.
    pub fn open(
        &self,
        seed: &[u8; 32],
        now_unix: i64,
        lifetime_seconds: u64,
    ) -> Option<IssuedChallenge> {
        let puzzles = match seed[0] {
            SEED_VERSION => 1,
            SPLIT_SEED_VERSION => u32::from(seed[9]),
            _ => return None,
        };
        let issued_at = i64::from(u32::from_be_bytes(seed[1..5].try_into().ok()?));
        let epoch = issued_at.div_euclid(KEY_EPOCH_SECONDS);
        let current_epoch = now_unix.div_euclid(KEY_EPOCH_SECONDS);
        if issued_at > now_unix || epoch < current_epoch - 1 {
            return None;
        }
        let expected = self.tag(epoch, &seed[..16]);
        if !bool::from(expected.ct_eq(&seed[16..])) {
            return None;
        }
        let expires_at = issued_at.saturating_add(i64::try_from(lifetime_seconds).ok()?);
        if expires_at <= now_unix {
            return None;
        }
        let difficulty = u32::from(u16::from_be_bytes(seed[5..7].try_into().ok()?));
        let memory_kib = u32::from(u16::from_be_bytes(seed[7..9].try_into().ok()?));
        Some(IssuedChallenge {
            challenge: Challenge {
                seed: *seed,
                difficulty,
                memory_kib,
                puzzles,
            },
            issued_at,
            expires_at,
        })
    }
}

/// Logs a warning when users other than the owner may read the key file: whoever holds the key
/// can make challenges without asking the relay.
fn warn_if_others_can_read(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(metadata) = std::fs::metadata(path)
            && metadata.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                "the challenge key file {} can be read by other users; run `chmod 600` on it",
                path.display()
            );
        }
    }
}

/// Writes a new key file that only its owner can read, without replacing an existing one.
fn write_new_key_file(path: &Path, master: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(master)?;
    file.sync_all()
}

/// A challenge as this relay made it, with when it was issued and when it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedChallenge {
    /// The puzzle, as the envelope's proof of work reads it.
    pub challenge: Challenge,
    /// Unix seconds at which it was issued.
    pub issued_at: i64,
    /// Unix seconds after which it is no longer accepted.
    pub expires_at: i64,
}

impl IssuedChallenge {
    /// The part of the seed that names this challenge in [`UsedChallenges`]: its MAC.
    pub fn tag(&self) -> [u8; 16] {
        let mut tag = [0u8; 16];
        tag.copy_from_slice(&self.challenge.seed[16..]);
        tag
    }
}

/// Who presented a proof for a challenge: the first 8 bytes of the SHA-256 of the submission
/// key (tips, messages) or of the body (mailbox registrations). It lets a retry whose reply was
/// lost be recognised without a second verification.
pub type Presenter = [u8; 8];

/// What [`UsedChallenges::claim`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Nobody presented a proof for this challenge before: verify it now.
    Fresh,
    /// The same presenter used this challenge successfully before: a retry, to be answered
    /// from what was stored then (never by storing anything new).
    UsedBySamePresenter,
    /// The challenge is in use, was used by someone else, or was burnt by a wrong proof.
    Unavailable,
    /// Another relay (or this one before a restart) stored what a proof for this challenge paid
    /// for, and who presented it is not known here: answered, like a retry, from what was
    /// stored (a retry finds its own; anyone else finds nothing).
    SpentElsewhere,
    /// Too many challenges are in use; nothing was recorded.
    Full,
}

#[derive(Debug, Clone, Copy)]
struct UsedEntry {
    /// When the challenge expires, rounded up to the minute: the record says no more than that.
    expires_at: i64,
    state: UsedState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UsedState {
    /// Its proof is being verified.
    Verifying,
    /// A wrong proof used it up. Such a record only stops a second verification of the same
    /// challenge, which is worth no more to a client than a fresh (free) challenge, so a full
    /// set drops these first.
    Burnt,
    /// It paid for something stored by this presenter.
    UsedBy(Presenter),
    /// The shared record says it paid for something stored by another relay.
    SpentElsewhere,
}

/// The challenges for which a proof was presented, until they expire.
#[derive(Debug)]
pub struct UsedChallenges {
    entries: Mutex<Entries>,
    capacity: usize,
}

#[derive(Debug, Default)]
struct Entries {
    by_tag: HashMap<[u8; 16], UsedEntry>,
    /// When a full set last dropped its expired records: at most once a second, so that a full
    /// set cannot be made to scan itself on every request.
    last_pruned: i64,
}

impl UsedChallenges {
    /// An empty set that holds at most `capacity` records.
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(Entries::default()),
            capacity,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // Every operation is one call on the map, so a panic cannot leave it half-changed.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Takes the challenge for one verification, atomically: of many requests presenting
    /// proofs for one challenge at once, exactly one gets [`Claim::Fresh`].
    pub fn claim(&self, challenge: &IssuedChallenge, presenter: Presenter, now_unix: i64) -> Claim {
        let tag = challenge.tag();
        let mut entries = self.lock();
        if let Some(entry) = entries.by_tag.get(&tag) {
            return match entry.state {
                UsedState::UsedBy(user) if user == presenter => Claim::UsedBySamePresenter,
                UsedState::SpentElsewhere => Claim::SpentElsewhere,
                _ => Claim::Unavailable,
            };
        }
        if entries.by_tag.len() >= self.capacity {
            if entries.last_pruned < now_unix {
                entries.last_pruned = now_unix;
                entries.by_tag.retain(|_, entry| {
                    entry.expires_at > now_unix && entry.state != UsedState::Burnt
                });
            }
            if entries.by_tag.len() >= self.capacity {
                return Claim::Full;
            }
        }
        let expires_at = challenge.expires_at.saturating_add(59) / 60 * 60;
        entries.by_tag.insert(
            tag,
            UsedEntry {
                expires_at,
                state: UsedState::Verifying,
            },
        );
        Claim::Fresh
    }

    /// Records that the claimed challenge paid for something now stored by `presenter`.
    pub fn mark_used(&self, challenge: &IssuedChallenge, presenter: Presenter) {
        if let Some(entry) = self.lock().by_tag.get_mut(&challenge.tag()) {
            entry.state = UsedState::UsedBy(presenter);
        }
    }

    /// Records that the claimed challenge was found spent in the shared record: it paid for
    /// something another relay stored.
    pub fn mark_spent_elsewhere(&self, challenge: &IssuedChallenge) {
        if let Some(entry) = self.lock().by_tag.get_mut(&challenge.tag()) {
            entry.state = UsedState::SpentElsewhere;
        }
    }

    /// Records that a wrong proof used the claimed challenge up.
    pub fn mark_burnt(&self, challenge: &IssuedChallenge) {
        if let Some(entry) = self.lock().by_tag.get_mut(&challenge.tag()) {
            entry.state = UsedState::Burnt;
        }
    }

    /// Gives a claimed challenge back, when the relay (not the proof) is why nothing was stored.
    pub fn release(&self, challenge: &IssuedChallenge) {
        self.lock().by_tag.remove(&challenge.tag());
    }

    /// Drops the records of expired challenges.
    pub fn forget_expired(&self, now_unix: i64) {
        self.lock()
            .by_tag
            .retain(|_, entry| entry.expires_at > now_unix);
    }

    /// How many records are held.
    pub fn len(&self) -> usize {
        self.lock().by_tag.len()
    }

    /// Whether no record is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_780_000_000;

    fn keys() -> ChallengeKeys {
        ChallengeKeys::from_master([9; 32])
    }

    /// Issues and opens at once, as a relay with a 600-second lifetime does.
    fn issued(difficulty: u32, at: i64) -> IssuedChallenge {
        let challenge = keys().issue(difficulty, 4096, 1, at);
        keys().open(&challenge.seed, at, 600).unwrap()
    }

    #[test]
    fn an_issued_challenge_opens_with_its_parameters() {
        let challenge = keys().issue(320, 4096, 1, NOW);
        assert_eq!(challenge.difficulty, 320);
        assert_eq!(challenge.memory_kib, 4096);
        assert_eq!(challenge.puzzles, 1);
        assert_eq!(
            challenge.seed[0], 1,
            "one puzzle keeps the first seed layout"
        );
        let opened = keys().open(&challenge.seed, NOW + 1, 600).unwrap();
        assert_eq!(opened.challenge, challenge);
        assert_eq!((opened.issued_at, opened.expires_at), (NOW, NOW + 600));
    }

    #[test]
    fn a_split_challenge_carries_its_puzzles_under_the_mac() {
        let challenge = keys().issue(160, 4096, 20, NOW);
        assert_eq!((challenge.difficulty, challenge.puzzles), (160, 20));
        assert_eq!(challenge.seed[0], 2);
        let opened = keys().open(&challenge.seed, NOW + 1, 600).unwrap();
        assert_eq!(opened.challenge, challenge);
        // Fewer puzzles (a longer tail, the same work) or more (each easier) is not the
        // client's to choose after the fact.
        for puzzles in [1u8, 19, 21, 32] {
            let mut changed = challenge.seed;
            changed[9] = puzzles;
            assert_eq!(keys().open(&changed, NOW, 600), None, "{puzzles}");
        }
    }

    #[test]
    fn a_low_difficulty_gets_fewer_puzzles_and_never_more_than_the_envelope_takes() {
        assert_eq!(keys().issue(10, 4096, 20, NOW).puzzles, 5);
        assert_eq!(keys().issue(3, 4096, 20, NOW).puzzles, 1);
        assert_eq!(keys().issue(0, 4096, 20, NOW).puzzles, 1);
        assert_eq!(keys().issue(16_384, 4096, 200, NOW).puzzles, 32);
        let low = keys().issue(10, 4096, 20, NOW);
        assert_eq!(keys().open(&low.seed, NOW, 600).unwrap().challenge, low);
    }

    #[test]
    fn seeds_are_fresh() {
        assert_ne!(
            keys().issue(160, 4096, 1, NOW).seed,
            keys().issue(160, 4096, 1, NOW).seed
        );
    }

    #[test]
    fn a_challenge_expires_by_the_verifying_relays_lifetime_and_never_comes_from_the_future() {
        let seed = keys().issue(160, 4096, 1, NOW).seed;
        assert_eq!(keys().open(&seed, NOW + 600, 600), None);
        assert!(keys().open(&seed, NOW + 599, 600).is_some());
        // A relay restarted with a shorter lifetime applies it to challenges issued before.
        assert_eq!(keys().open(&seed, NOW + 60, 60), None);
        assert_eq!(keys().open(&seed, NOW - 1, 600), None);
    }

    #[test]
    fn a_changed_byte_or_another_key_does_not_open() {
        let seed = keys().issue(160, 4096, 1, NOW).seed;
        for index in 0..32 {
            let mut changed = seed;
            changed[index] ^= 1;
            assert_eq!(keys().open(&changed, NOW, 600), None, "byte {index}");
        }
        // Lowering the difficulty in the seed is exactly what the MAC stops.
        let mut easier = seed;
        easier[5..7].copy_from_slice(&0u16.to_be_bytes());
        assert_eq!(keys().open(&easier, NOW, 600), None);
        let other = ChallengeKeys::from_master([8; 32]);
        assert_eq!(other.open(&seed, NOW, 600), None);
    }

    #[test]
    fn the_previous_epochs_key_is_accepted_until_its_challenges_expire() {
        let epoch_end = (NOW.div_euclid(KEY_EPOCH_SECONDS) + 1) * KEY_EPOCH_SECONDS;
        let seed = keys().issue(160, 4096, 1, epoch_end - 10).seed;
        assert!(keys().open(&seed, epoch_end + 5, 600).is_some());
        assert_eq!(keys().open(&seed, epoch_end + 590, 600), None);
        // Two epochs on, the key is no longer tried at all.
        let old = keys().issue(160, 4096, 1, NOW).seed;
        assert_eq!(
            keys().open(&old, NOW + 2 * KEY_EPOCH_SECONDS, 86_400 * 3),
            None
        );
    }

    #[test]
    fn a_key_file_is_created_once_and_read_back() {
        let directory = std::env::temp_dir().join(format!(
            "fluister-challenge-key-{}",
            crate::encoding::encode_hex(&crate::encoding::random_bytes::<8>())
        ));
        let path = directory.join("challenge-key");
        let first = ChallengeKeys::load_or_create(&path).unwrap();
        let seed = first.issue(160, 4096, 1, NOW).seed;
        let again = ChallengeKeys::load_or_create(&path).unwrap();
        assert!(again.open(&seed, NOW, 600).is_some());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, b"short").unwrap();
        let error = ChallengeKeys::load_or_create(&path).unwrap_err();
        assert!(error.0.contains("not 32 bytes"), "{error}");
        std::fs::remove_dir_all(directory).unwrap();
    }

    #[test]
    fn one_claim_per_challenge() {
        let used = UsedChallenges::new(10);
        let issued = issued(160, NOW);
        assert_eq!(used.claim(&issued, [1; 8], NOW), Claim::Fresh);
        // While it is being verified, and after a wrong proof, nobody gets it.
        assert_eq!(used.claim(&issued, [1; 8], NOW), Claim::Unavailable);
        used.mark_burnt(&issued);
        assert_eq!(used.claim(&issued, [2; 8], NOW), Claim::Unavailable);
        used.mark_used(&issued, [1; 8]);
        assert_eq!(used.claim(&issued, [1; 8], NOW), Claim::UsedBySamePresenter);
        assert_eq!(used.claim(&issued, [2; 8], NOW), Claim::Unavailable);
        used.release(&issued);
        assert_eq!(used.claim(&issued, [2; 8], NOW), Claim::Fresh);
        // Found spent by another relay: whoever presents it is answered from what was stored.
        used.mark_spent_elsewhere(&issued);
        assert_eq!(used.claim(&issued, [2; 8], NOW), Claim::SpentElsewhere);
        assert_eq!(used.claim(&issued, [3; 8], NOW), Claim::SpentElsewhere);
    }

    #[test]
    fn a_full_set_drops_expired_and_burnt_records_before_refusing() {
        let used = UsedChallenges::new(2);
        let first = issued(160, NOW);
        let second = issued(160, NOW);
        let third = issued(160, NOW);
        assert_eq!(used.claim(&first, [0; 8], NOW), Claim::Fresh);
        used.mark_used(&first, [0; 8]);
        assert_eq!(used.claim(&second, [0; 8], NOW), Claim::Fresh);
        // The second is still being verified: nothing can go.
        assert_eq!(used.claim(&third, [0; 8], NOW), Claim::Full);
        // A wrong proof burnt it: its record is worth no more than a fresh challenge, and goes.
        used.mark_burnt(&second);
        assert_eq!(used.claim(&third, [0; 8], NOW + 1), Claim::Fresh);
        assert_eq!(used.len(), 2);
        assert_eq!(
            used.claim(&first, [0; 8], NOW + 1),
            Claim::UsedBySamePresenter,
            "a record that paid for something stays"
        );
        // Once expired (rounded up to the minute), every record may go.
        let later = NOW + 600 + 60;
        assert_eq!(used.claim(&issued(160, later), [0; 8], later), Claim::Fresh);
    }
}
