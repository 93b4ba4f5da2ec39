//! The proof of work that makes each submitted tip cost its sender a little.
//!
//! The relay hands out a short-lived, single-use [`Challenge`]: a random seed, a difficulty and a
//! memory cost. The widget finds a nonce such that
//!
//! ```text
//! hash = Argon2id(password = nonce as 4 big-endian bytes ‖ SHA-256(ciphertext),
//!                 salt = seed, m = memory_kib, t = 1, p = 1, output = 32 bytes)
//! ```
//!
//! has its first 8 bytes, read as a big-endian `u64`, at most `u64::MAX / difficulty`. Each try
//! succeeds with probability about `1 / difficulty`, so `difficulty` is the expected number of
//! tries. The seed binds the work to one challenge, the memory cost is part of Argon2's own input,
//! and the ciphertext's hash binds it to the one tip it pays for: a solution cannot be reused for
//! another tip. Argon2id with a few MiB per try keeps a GPU or ASIC farm from being much cheaper
//! per tip than a phone. Verification is a single hash.
//!
//! # Defaults, measured
//!
//! [`DEFAULT_MEMORY_KIB`] = 4096 (4 MiB) and [`DEFAULT_DIFFICULTY`] = 160 expected tries. On the
//! development machine (x86-64, one thread, release build), one try at 4 MiB takes 1.25–1.7 ms
//! (`cargo bench -p fluister-envelope --bench envelope`: verify median 1.25 ms; solve median
//! 136 ms, mean 259 ms, 90th percentile 662 ms over 39 challenges, measured while other builds
//! ran). So the expected solve time is about 0.2–0.3 s natively and about 1 s in a phone's
//! browser (wasm is roughly 3–4× slower). Because the number of tries is geometrically
//! distributed, one reporter in twenty pays three times the mean or more; the widget shows
//! progress from [`Solver::tries_so_far`] against [`Challenge::difficulty`].
//!
//! # Limits
//!
//! [`solve`], [`Solver::new`] and [`verify`] refuse a challenge above [`MAX_MEMORY_KIB`] (16 MiB,
//! a few milliseconds for one verification) or [`MAX_DIFFICULTY`] (16 384 expected tries: about
//! 25 s natively at the default memory), so a malicious or misconfigured relay cannot make a
//! phone burn unbounded memory or time, and a forged challenge cannot make the relay burn memory.

use argon2::{Algorithm, Argon2, Block, Params, Version};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result, fill_random};

/// The expected number of tries the relay asks for by default (about 0.25 s natively, about 1 s
/// on a phone; see the module documentation for the measurement).
pub const DEFAULT_DIFFICULTY: u32 = 160;

/// The default Argon2id memory cost of one try, in KiB (4 MiB).
pub const DEFAULT_MEMORY_KIB: u32 = 4 * 1024;

/// The largest memory cost, in KiB, that [`solve`] and [`verify`] accept (16 MiB).
pub const MAX_MEMORY_KIB: u32 = 16 * 1024;

/// The smallest memory cost, in KiB, of a challenge that needs hashing (Argon2's own minimum for
/// one lane). Challenges with difficulty 0 or 1 need no hash and may carry any memory cost up to
/// [`MAX_MEMORY_KIB`].
pub const MIN_MEMORY_KIB: u32 = Params::MIN_M_COST;

/// The largest difficulty (expected number of tries) that [`solve`] and [`verify`] accept.
pub const MAX_DIFFICULTY: u32 = 16 * 1024;

/// The Argon2id time cost of one try: one pass, since the work comes from many tries.
const TIME_COST: u32 = 1;

/// The length of the Argon2id output; only its first 8 bytes are compared.
const HASH_LENGTH: usize = 32;

/// A puzzle the relay hands out: find a [`Solution`] for this seed, binding it to one ciphertext.
///
/// In JSON the seed is an unpadded base64url string:
/// `{"seed":"…43 characters…","difficulty":160,"memory_kib":4096}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    /// Random bytes chosen by the relay; the Argon2id salt. Single use.
    #[serde(with = "seed_as_base64url")]
    pub seed: [u8; 32],
    /// The expected number of tries; 0 (or 1) means any solution is valid.
    pub difficulty: u32,
    /// The Argon2id memory cost of one try, in KiB.
    pub memory_kib: u32,
}

impl Challenge {
    /// Makes a challenge with a fresh random seed from the operating system (for the relay).
    pub fn generate(difficulty: u32, memory_kib: u32) -> Result<Self> {
        let mut seed = [0u8; 32];
        fill_random(&mut seed)?;
        Ok(Self {
            seed,
            difficulty,
            memory_kib,
        })
    }

    /// Whether solving this challenge needs no hashing at all (difficulty 0 or 1).
    pub fn is_trivial(&self) -> bool {
        self.difficulty <= 1
    }

    /// Checks the challenge against [`MAX_DIFFICULTY`], [`MAX_MEMORY_KIB`] and, when hashing is
    /// needed, [`MIN_MEMORY_KIB`]; fails with [`Error::InvalidProofOfWork`].
    pub fn check_limits(&self) -> Result<()> {
        if self.difficulty > MAX_DIFFICULTY || self.memory_kib > MAX_MEMORY_KIB {
            return Err(Error::InvalidProofOfWork);
        }
        if !self.is_trivial() && self.memory_kib < MIN_MEMORY_KIB {
            return Err(Error::InvalidProofOfWork);
        }
        Ok(())
    }

    /// The Argon2id context for this challenge (call only after [`Challenge::check_limits`]).
    fn argon2(&self) -> Result<Argon2<'static>> {
        let params = Params::new(self.memory_kib, TIME_COST, 1, Some(HASH_LENGTH))
            .map_err(|_| Error::InvalidProofOfWork)?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

/// The answer to a [`Challenge`]: the nonce that makes the hash small enough.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Solution {
    /// The nonce, hashed as 4 big-endian bytes.
    pub nonce: u32,
}

/// The SHA-256 of a sealed tip, which every proof of work is bound to.
pub fn ciphertext_sha256(ciphertext: &[u8]) -> [u8; 32] {
    Sha256::digest(ciphertext).into()
}

/// Finds a solution to `challenge` for the ciphertext with hash `ciphertext_sha256`, on the
/// calling thread, without progress reports (see [`Solver`] for a resumable, reporting one).
///
/// Fails with [`Error::InvalidProofOfWork`] if the challenge exceeds the limits, or (with
/// negligible probability) if no 32-bit nonce solves it.
pub fn solve(challenge: &Challenge, ciphertext_sha256: &[u8; 32]) -> Result<Solution> {
    let mut solver = Solver::new(challenge, ciphertext_sha256)?;
    loop {
        if let Some(solution) = solver.step(u32::MAX)? {
            return Ok(solution);
        }
    }
}

/// Checks that `solution` solves `challenge` for the ciphertext with hash `ciphertext_sha256`,
/// with one Argon2id hash (none for difficulty 0 or 1).
///
/// Fails with [`Error::InvalidProofOfWork`] for a wrong solution, a solution computed for another
/// ciphertext or seed, or a challenge that exceeds the limits.
pub fn verify(
    challenge: &Challenge,
    ciphertext_sha256: &[u8; 32],
    solution: &Solution,
) -> Result<()> {
    challenge.check_limits()?;
    if challenge.is_trivial() {
        return Ok(());
    }
    let argon2 = challenge.argon2()?;
    let mut hash = [0u8; HASH_LENGTH];
    argon2
        .hash_password_into(
            &password_bytes(solution.nonce, ciphertext_sha256),
            &challenge.seed,
            &mut hash,
        )
        .map_err(|_| Error::InvalidProofOfWork)?;
    if meets_difficulty(&hash, challenge.difficulty) {
        Ok(())
    } else {
        Err(Error::InvalidProofOfWork)
    }
}

/// A resumable solver, for a Web Worker that reports progress between steps.
///
/// It allocates the Argon2id memory once and reuses it for every try.
///
/// ```
/// use fluister_envelope::pow::{Challenge, Solver, ciphertext_sha256};
/// let challenge = Challenge { seed: [7; 32], difficulty: 4, memory_kib: 64 };
/// let mut solver = Solver::new(&challenge, &ciphertext_sha256(b"sealed tip"))?;
/// let solution = loop {
///     if let Some(solution) = solver.step(2)? {
///         break solution;
///     }
///     // Report `solver.tries_so_far()` of about `challenge.difficulty` here.
/// };
/// # Ok::<(), fluister_envelope::Error>(())
/// ```
pub struct Solver {
    challenge: Challenge,
    ciphertext_sha256: [u8; 32],
    argon2: Argon2<'static>,
    memory_blocks: Vec<Block>,
    next_nonce: u64,
}

impl Solver {
    /// Prepares to solve `challenge` for the ciphertext with hash `ciphertext_sha256`.
    ///
    /// Fails with [`Error::InvalidProofOfWork`] if the challenge exceeds the limits.
    pub fn new(challenge: &Challenge, ciphertext_sha256: &[u8; 32]) -> Result<Self> {
        challenge.check_limits()?;
        let (argon2, memory_blocks) = if challenge.is_trivial() {
            // No hash will be computed; keep a minimal, valid context and no memory.
            let params = Params::new(MIN_MEMORY_KIB, TIME_COST, 1, Some(HASH_LENGTH))
                .map_err(|_| Error::InvalidProofOfWork)?;
            (
                Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
                Vec::new(),
            )
        } else {
            let argon2 = challenge.argon2()?;
            let block_count = argon2.params().block_count();
            (argon2, vec![Block::new(); block_count])
        };
        Ok(Self {
            challenge: challenge.clone(),
            ciphertext_sha256: *ciphertext_sha256,
            argon2,
            memory_blocks,
            next_nonce: 0,
        })
    }

    /// Tries at most `max_tries` further nonces; returns the solution once one is found, or
    /// `None` when this step found none (call again to continue).
    ///
    /// Fails with [`Error::InvalidProofOfWork`] once every 32-bit nonce has been tried without
    /// success, which at the allowed difficulties practically never happens.
    pub fn step(&mut self, max_tries: u32) -> Result<Option<Solution>> {
        if self.challenge.is_trivial() {
            return Ok(Some(Solution { nonce: 0 }));
        }
        let mut hash = [0u8; HASH_LENGTH];
        for _ in 0..max_tries {
            let nonce = u32::try_from(self.next_nonce).map_err(|_| Error::InvalidProofOfWork)?;
            self.next_nonce += 1;
            self.argon2
                .hash_password_into_with_memory(
                    &password_bytes(nonce, &self.ciphertext_sha256),
                    &self.challenge.seed,
                    &mut hash,
                    self.memory_blocks.as_mut_slice(),
                )
                .map_err(|_| Error::InvalidProofOfWork)?;
            if meets_difficulty(&hash, self.challenge.difficulty) {
                return Ok(Some(Solution { nonce }));
            }
        }
        Ok(None)
    }

    /// How many nonces this solver has hashed so far (the expected total is the difficulty).
    pub fn tries_so_far(&self) -> u64 {
        self.next_nonce
    }

    /// The challenge being solved.
    pub fn challenge(&self) -> &Challenge {
        &self.challenge
    }
}

impl core::fmt::Debug for Solver {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Solver")
            .field("challenge", &self.challenge)
            .field("tries_so_far", &self.next_nonce)
            .finish_non_exhaustive()
    }
}

/// The Argon2id password: the nonce as 4 big-endian bytes, then the ciphertext's SHA-256.
fn password_bytes(nonce: u32, ciphertext_sha256: &[u8; 32]) -> [u8; 36] {
    let mut password = [0u8; 36];
    password[..4].copy_from_slice(&nonce.to_be_bytes());
    password[4..].copy_from_slice(ciphertext_sha256);
    password
}

/// Whether the first 8 bytes of `hash`, as a big-endian `u64`, are at most
/// `u64::MAX / difficulty` (always true for difficulty 0 or 1).
fn meets_difficulty(hash: &[u8; HASH_LENGTH], difficulty: u32) -> bool {
    if difficulty <= 1 {
        return true;
    }
    let mut leading = [0u8; 8];
    leading.copy_from_slice(&hash[..8]);
    u64::from_be_bytes(leading) <= u64::MAX / u64::from(difficulty)
}

/// Serde glue: the seed as an unpadded base64url string of exactly 32 bytes.
mod seed_as_base64url {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde::de::Error as _;

    use super::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        seed: &[u8; 32],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&URL_SAFE_NO_PAD.encode(seed))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<[u8; 32], D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        // 32 bytes are exactly 43 unpadded characters; refuse anything longer before decoding.
        if text.len() != 43 {
            return Err(D::Error::custom(
                "seed must be 32 bytes of unpadded base64url",
            ));
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(text.as_bytes())
            .map_err(|_| D::Error::custom("seed must be 32 bytes of unpadded base64url"))?;
        bytes
            .try_into()
            .map_err(|_| D::Error::custom("seed must be 32 bytes of unpadded base64url"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cheap challenge for tests: 64 KiB per try, 8 expected tries.
    fn small_challenge() -> Challenge {
        Challenge {
            seed: [0x42; 32],
            difficulty: 8,
            memory_kib: 64,
        }
    }

    #[test]
    fn solution_verifies_for_its_own_ciphertext() {
        let challenge = small_challenge();
        let hash = ciphertext_sha256(b"a sealed tip");
        let solution = solve(&challenge, &hash).unwrap();
        assert_eq!(verify(&challenge, &hash, &solution), Ok(()));
    }

    #[test]
    fn solution_for_another_ciphertext_is_rejected() {
        let challenge = Challenge {
            difficulty: 1000,
            ..small_challenge()
        };
        let hash = ciphertext_sha256(b"the tip that was paid for");
        let other_hash = ciphertext_sha256(b"another tip");
        let solution = solve(&challenge, &hash).unwrap();
        // With difficulty 1000 the same nonce solves the other ciphertext with probability 1/1000;
        // the seed and inputs are fixed, so this test is deterministic.
        assert_eq!(
            verify(&challenge, &other_hash, &solution),
            Err(Error::InvalidProofOfWork)
        );
    }

    #[test]
    fn solution_for_another_seed_is_rejected() {
        let challenge = Challenge {
            difficulty: 1000,
            ..small_challenge()
        };
        let hash = ciphertext_sha256(b"a sealed tip");
        let solution = solve(&challenge, &hash).unwrap();
        let other_challenge = Challenge {
            seed: [0x43; 32],
            ..challenge
        };
        assert_eq!(
            verify(&other_challenge, &hash, &solution),
            Err(Error::InvalidProofOfWork)
        );
    }

    #[test]
    fn bad_nonces_are_rejected() {
        let challenge = Challenge {
            difficulty: 1000,
            ..small_challenge()
        };
        let hash = ciphertext_sha256(b"a sealed tip");
        let solution = solve(&challenge, &hash).unwrap();
        // Every nonce below the first solution failed the solver, so it must fail verify too.
        for nonce in 0..solution.nonce.min(20) {
            assert_eq!(
                verify(&challenge, &hash, &Solution { nonce }),
                Err(Error::InvalidProofOfWork)
            );
        }
        assert!(
            solution.nonce > 0,
            "the fixed inputs need more than one try"
        );
    }

    #[test]
    fn the_solution_is_the_first_nonce_that_meets_the_difficulty() {
        let challenge = Challenge {
            difficulty: 50,
            ..small_challenge()
        };
        let hash = ciphertext_sha256(b"first nonce");
        let solution = solve(&challenge, &hash).unwrap();
        let argon2 = challenge.argon2().unwrap();
        for nonce in 0..=solution.nonce {
            let mut output = [0u8; HASH_LENGTH];
            argon2
                .hash_password_into(&password_bytes(nonce, &hash), &challenge.seed, &mut output)
                .unwrap();
            assert_eq!(
                meets_difficulty(&output, challenge.difficulty),
                nonce == solution.nonce
            );
        }
    }

    #[test]
    fn difficulty_zero_accepts_anything_without_hashing() {
        // A memory cost below Argon2's minimum would make any hash fail, so success proves no
        // hash was computed.
        let challenge = Challenge {
            seed: [1; 32],
            difficulty: 0,
            memory_kib: 0,
        };
        let hash = ciphertext_sha256(b"demo");
        assert_eq!(solve(&challenge, &hash), Ok(Solution { nonce: 0 }));
        assert_eq!(
            verify(&challenge, &hash, &Solution { nonce: 12345 }),
            Ok(())
        );
    }

    #[test]
    fn difficulty_one_accepts_anything() {
        let challenge = Challenge {
            difficulty: 1,
            ..small_challenge()
        };
        let hash = ciphertext_sha256(b"demo");
        assert_eq!(verify(&challenge, &hash, &Solution { nonce: 999 }), Ok(()));
    }

    #[test]
    fn over_limit_challenges_are_refused_by_solve_and_verify() {
        let hash = ciphertext_sha256(b"tip");
        let too_much_memory = Challenge {
            memory_kib: MAX_MEMORY_KIB + 1,
            ..small_challenge()
        };
        let too_difficult = Challenge {
            difficulty: MAX_DIFFICULTY + 1,
            ..small_challenge()
        };
        let too_little_memory = Challenge {
            memory_kib: MIN_MEMORY_KIB - 1,
            ..small_challenge()
        };
        let too_much_memory_even_if_trivial = Challenge {
            difficulty: 0,
            memory_kib: u32::MAX,
            ..small_challenge()
        };
        for challenge in [
            too_much_memory,
            too_difficult,
            too_little_memory,
            too_much_memory_even_if_trivial,
        ] {
            assert_eq!(solve(&challenge, &hash), Err(Error::InvalidProofOfWork));
            assert_eq!(
                verify(&challenge, &hash, &Solution { nonce: 0 }),
                Err(Error::InvalidProofOfWork)
            );
            assert!(Solver::new(&challenge, &hash).is_err());
        }
    }

    #[test]
    fn the_limits_themselves_are_allowed() {
        let at_limits = Challenge {
            seed: [9; 32],
            difficulty: MAX_DIFFICULTY,
            memory_kib: MAX_MEMORY_KIB,
        };
        assert_eq!(at_limits.check_limits(), Ok(()));
        let defaults = Challenge {
            seed: [9; 32],
            difficulty: DEFAULT_DIFFICULTY,
            memory_kib: DEFAULT_MEMORY_KIB,
        };
        assert_eq!(defaults.check_limits(), Ok(()));
    }

    #[test]
    fn stepping_solver_finds_the_same_solution_as_solve() {
        let challenge = Challenge {
            difficulty: 40,
            ..small_challenge()
        };
        let hash = ciphertext_sha256(b"stepwise");
        let mut solver = Solver::new(&challenge, &hash).unwrap();
        let mut steps = 0;
        let solution = loop {
            steps += 1;
            if let Some(solution) = solver.step(3).unwrap() {
                break solution;
            }
            assert_eq!(solver.tries_so_far(), 3 * steps);
        };
        assert_eq!(solution, solve(&challenge, &hash).unwrap());
        assert_eq!(solver.tries_so_far(), u64::from(solution.nonce) + 1);
    }

    #[test]
    fn challenge_json_uses_unpadded_base64url_seed() {
        let challenge = Challenge {
            seed: [0xfb; 32],
            difficulty: 160,
            memory_kib: 4096,
        };
        let json = serde_json::to_string(&challenge).unwrap();
        assert_eq!(
            json,
            r#"{"seed":"-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_s","difficulty":160,"memory_kib":4096}"#
        );
        assert_eq!(serde_json::from_str::<Challenge>(&json).unwrap(), challenge);
        assert_eq!(
            serde_json::to_string(&Solution { nonce: 7 }).unwrap(),
            r#"{"nonce":7}"#
        );
    }

    #[test]
    fn challenge_json_with_a_bad_seed_is_rejected() {
        for seed in [
            "",
            "-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_s=",
            "+/v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_s",
            "AAAA",
            "-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7",
        ] {
            let json = format!(r#"{{"seed":"{seed}","difficulty":1,"memory_kib":8}}"#);
            assert!(serde_json::from_str::<Challenge>(&json).is_err(), "{seed}");
        }
    }

    #[test]
    fn generated_challenges_have_fresh_seeds() {
        let first = Challenge::generate(DEFAULT_DIFFICULTY, DEFAULT_MEMORY_KIB).unwrap();
        let second = Challenge::generate(DEFAULT_DIFFICULTY, DEFAULT_MEMORY_KIB).unwrap();
        assert_ne!(first.seed, second.seed);
        assert_eq!(first.difficulty, DEFAULT_DIFFICULTY);
    }

    #[test]
    fn meets_difficulty_compares_the_leading_eight_bytes() {
        let mut hash = [0xff; HASH_LENGTH];
        assert!(!meets_difficulty(&hash, 2));
        hash[..8].copy_from_slice(&(u64::MAX / 2).to_be_bytes());
        assert!(meets_difficulty(&hash, 2));
        hash[..8].copy_from_slice(&(u64::MAX / 2 + 1).to_be_bytes());
        assert!(!meets_difficulty(&hash, 2));
    }
}
