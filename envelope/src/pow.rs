//! The proof of work that makes each submitted tip cost its sender a little.
//!
//! The relay hands out a short-lived, single-use [`Challenge`]: a random seed, a difficulty, a
//! memory cost and a number of puzzles `k` (1 unless the client asked for a split challenge).
//! The widget finds, for each puzzle `i` in `0..k`, a nonce such that
//!
//! ```text
//! hash = Argon2id(password = nonce as 4 big-endian bytes ‖ SHA-256(ciphertext) [‖ i as 1 byte],
//!                 salt = seed, m = memory_kib, t = 1, p = 1, output = 32 bytes)
//! ```
//!
//! has its first 8 bytes, read as a big-endian `u64`, at most `⌊u64::MAX / difficulty⌋ × k`. The
//! puzzle's index is part of the password only when `k > 1`, so a one-puzzle challenge is
//! exactly the original format. Each try succeeds with probability about `k / difficulty`, so a
//! puzzle takes `difficulty / k` tries on average and `difficulty` stays the expected number of
//! tries in all, whatever `k`.
//!
//! Why split: the number of tries for one puzzle is geometric, so its tail is long (the 90th
//! percentile is 3.3 times the median; one reporter in twenty pays three times the mean). The
//! sum of `k` independent smaller puzzles has the same mean and a short tail: with `k = 24`
//! and difficulty 160 the 90th percentile is about 1.27 times the median, and progress can be
//! shown honestly as puzzles done. Verifying costs the relay up to `k` hashes, stopping at the
//! first wrong nonce, so a client who did no work still costs it one hash.
//!
//! The seed binds the work to one challenge, the memory cost is part of Argon2's own input,
//! and the ciphertext's hash binds it to the one tip it pays for: a solution cannot be reused for
//! another tip. Argon2id with a few MiB per try keeps a GPU or ASIC farm from being much cheaper
//! per tip than a phone.
//!
//! # Defaults, measured
//!
//! [`DEFAULT_MEMORY_KIB`] = 4096 (4 MiB) and [`DEFAULT_DIFFICULTY`] = 160 expected tries. On the
//! development machine (x86-64, one thread, release build), one try at 4 MiB takes 1.25–1.7 ms
//! (`cargo bench -p fluister-envelope --bench envelope`: verify median 1.25 ms; solve median
//! 136 ms, mean 259 ms, 90th percentile 662 ms over 39 challenges of one puzzle, measured while
//! other builds ran). So the expected solve time is about 0.2–0.3 s natively and about 1 s in a
//! phone's browser (wasm is roughly 3–4× slower).
//!
//! # Limits
//!
//! [`solve`], [`Solver::new`] and [`verify`] refuse a challenge above [`MAX_MEMORY_KIB`] (16 MiB,
//! a few milliseconds for one hash), [`MAX_DIFFICULTY`] (16 384 expected tries: about 25 s
//! natively at the default memory) or [`MAX_PUZZLES`], so a malicious or misconfigured relay
//! cannot make a phone burn unbounded memory or time, and a forged challenge cannot make the
//! relay burn memory.

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

/// The most puzzles one challenge may be split into (and so the most hashes one verification
/// costs).
pub const MAX_PUZZLES: u32 = 32;

/// The number of puzzles a relay splits a challenge into by default: at difficulty 160, about
/// 6.7 expected tries each, which puts the 90th percentile of the work near 1.27 times its
/// median (twenty puzzles: 1.29 in theory, 1.34 measured in the browser).
pub const DEFAULT_PUZZLES: u32 = 24;

/// The Argon2id time cost of one try: one pass, since the work comes from many tries.
const TIME_COST: u32 = 1;

/// The length of the Argon2id output; only its first 8 bytes are compared.
const HASH_LENGTH: usize = 32;

/// A puzzle the relay hands out: find a [`Solution`] for this seed, binding it to one ciphertext.
///
/// In JSON the seed is an unpadded base64url string, and `puzzles` is left out when it is 1:
/// `{"seed":"…43 characters…","difficulty":160,"memory_kib":4096,"puzzles":20}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    /// Random bytes chosen by the relay; the Argon2id salt. Single use.
    #[serde(with = "seed_as_base64url")]
    pub seed: [u8; 32],
    /// The expected number of tries in all; 0 (or 1) means any solution is valid.
    pub difficulty: u32,
    /// The Argon2id memory cost of one try, in KiB.
    pub memory_kib: u32,
    /// How many independent puzzles share the difficulty (1 to [`MAX_PUZZLES`]).
    #[serde(default = "one_puzzle", skip_serializing_if = "is_one_puzzle")]
    pub puzzles: u32,
}

fn one_puzzle() -> u32 {
    1
}

fn is_one_puzzle(puzzles: &u32) -> bool {
    *puzzles == 1
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
            puzzles: 1,
        })
    }

    /// The expected tries for each puzzle: the difficulty divided among the puzzles.
    pub fn expected_tries_per_puzzle(&self) -> f64 {
        (f64::from(self.difficulty) / f64::from(self.puzzles.max(1))).max(1.0)
    }

    /// The largest value of a hash's first 8 bytes (big-endian) that solves a puzzle:
    /// `⌊u64::MAX / difficulty⌋ × puzzles`, so each try wins with chance `puzzles / difficulty`
    /// (every value for difficulty 0 or 1).
    fn target(&self) -> u64 {
        if self.difficulty <= 1 {
            return u64::MAX;
        }
        (u64::MAX / u64::from(self.difficulty)).saturating_mul(u64::from(self.puzzles))
    }

    /// Whether solving this challenge needs no hashing at all (difficulty 0 or 1).
    pub fn is_trivial(&self) -> bool {
        self.difficulty <= 1
    }

    /// Checks the challenge against [`MAX_DIFFICULTY`], [`MAX_MEMORY_KIB`], 1 to
    /// [`MAX_PUZZLES`] puzzles and, when hashing is needed, [`MIN_MEMORY_KIB`]; fails with
    /// [`Error::InvalidProofOfWork`].
    pub fn check_limits(&self) -> Result<()> {
        if self.difficulty > MAX_DIFFICULTY
            || self.memory_kib > MAX_MEMORY_KIB
            || !(1..=MAX_PUZZLES).contains(&self.puzzles)
        {
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

    /// The Argon2id password for `nonce` in puzzle `puzzle`: the nonce as 4 big-endian bytes,
    /// the ciphertext's SHA-256, and the puzzle's index as one byte when there is more than one
    /// puzzle. Returns the buffer and the length used.
    fn password(&self, puzzle: u32, nonce: u32, ciphertext_sha256: &[u8; 32]) -> ([u8; 37], usize) {
        let mut password = [0u8; 37];
        password[..4].copy_from_slice(&nonce.to_be_bytes());
        password[4..36].copy_from_slice(ciphertext_sha256);
        if self.puzzles == 1 {
            return (password, 36);
        }
        // At most MAX_PUZZLES (32) puzzles, so the index fits one byte.
        password[36] = puzzle as u8;
        (password, 37)
    }
}

/// The answer to a [`Challenge`]: for each puzzle, in order, the nonce that makes its hash
/// small enough.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Solution {
    /// One nonce per puzzle, each hashed as 4 big-endian bytes.
    pub nonces: Vec<u32>,
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

/// Checks that `solution` solves `challenge` for the ciphertext with hash `ciphertext_sha256`:
/// one nonce per puzzle, checked in order with one Argon2id hash each, stopping at the first
/// that fails (no hash for difficulty 0 or 1).
///
/// Fails with [`Error::InvalidProofOfWork`] for a wrong solution or one with the wrong number of
/// nonces, a solution computed for another ciphertext or seed, or a challenge that exceeds the
/// limits.
pub fn verify(
    challenge: &Challenge,
    ciphertext_sha256: &[u8; 32],
    solution: &Solution,
) -> Result<()> {
    verify_from(challenge, ciphertext_sha256, solution, 0)
}

/// [`verify`], checking the puzzles from puzzle `first` (modulo their number) round to the one
/// before it. A verifier that picks `first` at random makes a sender who spoilt one puzzle of
/// `k` (to cost it hashes without paying) cost it `(k + 1) / 2` hashes on average, not `k`.
pub fn verify_from(
    challenge: &Challenge,
    ciphertext_sha256: &[u8; 32],
    solution: &Solution,
    first: usize,
) -> Result<()> {
    challenge.check_limits()?;
    if solution.nonces.len() != challenge.puzzles as usize {
        return Err(Error::InvalidProofOfWork);
    }
    if challenge.is_trivial() {
        return Ok(());
    }
    let argon2 = challenge.argon2()?;
    let mut memory_blocks = vec![Block::new(); argon2.params().block_count()];
    let target = challenge.target();
    let mut hash = [0u8; HASH_LENGTH];
    let count = solution.nonces.len();
    for index in (0..count).map(|step| (first % count + step) % count) {
        // At most MAX_PUZZLES (32) puzzles: the index fits.
        let puzzle = index as u32;
        let nonce = solution.nonces[index];
        let (password, length) = challenge.password(puzzle, nonce, ciphertext_sha256);
        argon2
            .hash_password_into_with_memory(
                &password[..length],
                &challenge.seed,
                &mut hash,
                memory_blocks.as_mut_slice(),
            )
            .map_err(|_| Error::InvalidProofOfWork)?;
        if !meets_target(&hash, target) {
            return Err(Error::InvalidProofOfWork);
        }
    }
    Ok(())
}

/// A resumable solver, for a Web Worker that reports progress between steps.
///
/// It allocates the Argon2id memory once and reuses it for every try, and solves the puzzles
/// one after another.
///
/// ```
/// use fluister_envelope::pow::{Challenge, Solver, ciphertext_sha256};
/// let challenge = Challenge { seed: [7; 32], difficulty: 8, memory_kib: 64, puzzles: 2 };
/// let mut solver = Solver::new(&challenge, &ciphertext_sha256(b"sealed tip"))?;
/// let solution = loop {
///     if let Some(solution) = solver.step(2)? {
///         break solution;
///     }
///     // Report `solver.puzzles_solved()` of `challenge.puzzles` here.
/// };
/// assert_eq!(solution.nonces.len(), 2);
/// # Ok::<(), fluister_envelope::Error>(())
/// ```
pub struct Solver {
    challenge: Challenge,
    ciphertext_sha256: [u8; 32],
    argon2: Argon2<'static>,
    memory_blocks: Vec<Block>,
    solved: Vec<u32>,
    next_nonce: u64,
    tries: u64,
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
            solved: Vec::with_capacity(challenge.puzzles as usize),
            next_nonce: 0,
            tries: 0,
        })
    }

    /// Tries at most `max_tries` further nonces; returns the solution once every puzzle is
    /// solved, or `None` when this step did not get that far (call again to continue).
    ///
    /// Fails with [`Error::InvalidProofOfWork`] once every 32-bit nonce has been tried without
    /// success for one puzzle, which at the allowed difficulties practically never happens.
    pub fn step(&mut self, max_tries: u32) -> Result<Option<Solution>> {
        if self.challenge.is_trivial() {
            return Ok(Some(Solution {
                nonces: vec![0; self.challenge.puzzles as usize],
            }));
        }
        let target = self.challenge.target();
        let mut hash = [0u8; HASH_LENGTH];
        for _ in 0..max_tries {
            let puzzle = u32::try_from(self.solved.len()).map_err(|_| Error::InvalidProofOfWork)?;
            let nonce = u32::try_from(self.next_nonce).map_err(|_| Error::InvalidProofOfWork)?;
            self.next_nonce += 1;
            self.tries += 1;
            let (password, length) =
                self.challenge
                    .password(puzzle, nonce, &self.ciphertext_sha256);
            self.argon2
                .hash_password_into_with_memory(
                    &password[..length],
                    &self.challenge.seed,
                    &mut hash,
                    self.memory_blocks.as_mut_slice(),
                )
                .map_err(|_| Error::InvalidProofOfWork)?;
            if meets_target(&hash, target) {
                self.solved.push(nonce);
                self.next_nonce = 0;
                if self.solved.len() == self.challenge.puzzles as usize {
                    return Ok(Some(Solution {
                        nonces: self.solved.clone(),
                    }));
                }
            }
        }
        Ok(None)
    }

    /// How many nonces this solver has hashed so far, over all puzzles (the expected total is
    /// the difficulty).
    pub fn tries_so_far(&self) -> u64 {
        self.tries
    }

    /// How many puzzles are solved.
    pub fn puzzles_solved(&self) -> u32 {
        u32::try_from(self.solved.len()).unwrap_or(u32::MAX)
    }

    /// How many nonces the puzzle being solved has cost so far.
    pub fn tries_on_this_puzzle(&self) -> u64 {
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
            .field("puzzles_solved", &self.solved.len())
            .field("tries_so_far", &self.tries)
            .finish_non_exhaustive()
    }
}

/// Whether the first 8 bytes of `hash`, as a big-endian `u64`, are at most `target`.
fn meets_target(hash: &[u8; HASH_LENGTH], target: u64) -> bool {
    let mut leading = [0u8; 8];
    leading.copy_from_slice(&hash[..8]);
    u64::from_be_bytes(leading) <= target
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
            puzzles: 1,
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
        let first = solution.nonces[0];
        for nonce in 0..first.min(20) {
            assert_eq!(
                verify(
                    &challenge,
                    &hash,
                    &Solution {
                        nonces: vec![nonce]
                    }
                ),
                Err(Error::InvalidProofOfWork)
            );
        }
        assert!(first > 0, "the fixed inputs need more than one try");
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
        for nonce in 0..=solution.nonces[0] {
            // The original format: the nonce, then the ciphertext's hash, nothing else.
            let mut password = nonce.to_be_bytes().to_vec();
            password.extend_from_slice(&hash);
            let mut output = [0u8; HASH_LENGTH];
            argon2
                .hash_password_into(&password, &challenge.seed, &mut output)
                .unwrap();
            assert_eq!(
                meets_target(&output, u64::MAX / 50),
                nonce == solution.nonces[0]
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
            puzzles: 1,
        };
        let hash = ciphertext_sha256(b"demo");
        assert_eq!(solve(&challenge, &hash), Ok(Solution { nonces: vec![0] }));
        assert_eq!(
            verify(
                &challenge,
                &hash,
                &Solution {
                    nonces: vec![12345]
                }
            ),
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
        assert_eq!(
            verify(&challenge, &hash, &Solution { nonces: vec![999] }),
            Ok(())
        );
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
        let no_puzzle = Challenge {
            puzzles: 0,
            ..small_challenge()
        };
        let too_many_puzzles = Challenge {
            puzzles: MAX_PUZZLES + 1,
            ..small_challenge()
        };
        for challenge in [
            too_much_memory,
            too_difficult,
            too_little_memory,
            too_much_memory_even_if_trivial,
            no_puzzle,
            too_many_puzzles,
        ] {
            assert_eq!(solve(&challenge, &hash), Err(Error::InvalidProofOfWork));
            assert_eq!(
                verify(&challenge, &hash, &Solution { nonces: vec![0] }),
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
            puzzles: MAX_PUZZLES,
        };
        assert_eq!(at_limits.check_limits(), Ok(()));
        let defaults = Challenge {
            seed: [9; 32],
            difficulty: DEFAULT_DIFFICULTY,
            memory_kib: DEFAULT_MEMORY_KIB,
            puzzles: DEFAULT_PUZZLES,
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
        assert_eq!(solver.tries_so_far(), u64::from(solution.nonces[0]) + 1);
    }

    /// A challenge split into four puzzles of 10 expected tries each.
    fn split_challenge() -> Challenge {
        Challenge {
            difficulty: 40,
            puzzles: 4,
            ..small_challenge()
        }
    }

    #[test]
    fn a_split_challenge_needs_one_nonce_per_puzzle_in_order() {
        let challenge = split_challenge();
        let hash = ciphertext_sha256(b"four puzzles");
        let solution = solve(&challenge, &hash).unwrap();
        assert_eq!(solution.nonces.len(), 4);
        assert_eq!(verify(&challenge, &hash, &solution), Ok(()));

        let mut missing_one = solution.clone();
        missing_one.nonces.pop();
        let mut one_too_many = solution.clone();
        one_too_many.nonces.push(0);
        let mut reversed = solution.clone();
        reversed.nonces.reverse();
        assert_ne!(reversed, solution, "the fixed inputs give different nonces");
        let first_everywhere = Solution {
            nonces: vec![solution.nonces[0]; 4],
        };
        for wrong in [missing_one, one_too_many, reversed, first_everywhere] {
            assert_eq!(
                verify(&challenge, &hash, &wrong),
                Err(Error::InvalidProofOfWork),
                "{wrong:?}"
            );
        }
        // Nor does it pay for another ciphertext.
        assert_eq!(
            verify(&challenge, &ciphertext_sha256(b"another tip"), &solution),
            Err(Error::InvalidProofOfWork)
        );
        // The puzzle's index is part of the password: a nonce found for one puzzle, hashed as
        // another's, does not (for these fixed inputs) meet the target.
        let argon2 = challenge.argon2().unwrap();
        let mut misplaced = 0;
        for (puzzle, &nonce) in (0u8..).zip(&solution.nonces) {
            let mut password = nonce.to_be_bytes().to_vec();
            password.extend_from_slice(&hash);
            password.push((puzzle + 1) % 4);
            let mut output = [0u8; HASH_LENGTH];
            argon2
                .hash_password_into(&password, &challenge.seed, &mut output)
                .unwrap();
            if !meets_target(&output, challenge.target()) {
                misplaced += 1;
            }
        }
        assert!(
            misplaced >= 2,
            "{misplaced} of 4 nonces fail as another puzzle's"
        );
    }

    #[test]
    fn verification_from_any_puzzle_accepts_the_honest_solution_and_refuses_a_spoilt_one() {
        let challenge = split_challenge();
        let hash = ciphertext_sha256(b"any start");
        let solution = solve(&challenge, &hash).unwrap();
        for spoilt_puzzle in 0..4 {
            let mut spoilt = solution.clone();
            let right = spoilt.nonces[spoilt_puzzle];
            // The next nonce that does not win this puzzle.
            spoilt.nonces[spoilt_puzzle] = (right + 1..)
                .find(|&nonce| {
                    let mut candidate = solution.clone();
                    candidate.nonces[spoilt_puzzle] = nonce;
                    verify(&challenge, &hash, &candidate).is_err()
                })
                .unwrap();
            for first in 0..9 {
                assert_eq!(verify_from(&challenge, &hash, &solution, first), Ok(()));
                assert_eq!(
                    verify_from(&challenge, &hash, &spoilt, first),
                    Err(Error::InvalidProofOfWork),
                    "puzzle {spoilt_puzzle} spoilt, checked from {first}"
                );
            }
        }
    }

    #[test]
    fn each_puzzles_nonce_is_the_first_that_meets_its_share_of_the_difficulty() {
        let challenge = split_challenge();
        let hash = ciphertext_sha256(b"share");
        let solution = solve(&challenge, &hash).unwrap();
        assert_eq!(challenge.expected_tries_per_puzzle(), 10.0);
        assert_eq!(challenge.target(), (u64::MAX / 40) * 4);
        let argon2 = challenge.argon2().unwrap();
        for (puzzle, &found) in (0u8..).zip(&solution.nonces) {
            for nonce in 0..=found {
                let mut password = nonce.to_be_bytes().to_vec();
                password.extend_from_slice(&hash);
                password.push(puzzle);
                let mut output = [0u8; HASH_LENGTH];
                argon2
                    .hash_password_into(&password, &challenge.seed, &mut output)
                    .unwrap();
                assert_eq!(meets_target(&output, challenge.target()), nonce == found);
            }
        }
    }

    #[test]
    fn the_stepping_solver_counts_puzzles_and_tries_across_them() {
        let challenge = split_challenge();
        let hash = ciphertext_sha256(b"stepwise split");
        let mut solver = Solver::new(&challenge, &hash).unwrap();
        let mut solved_before = 0;
        let solution = loop {
            if let Some(solution) = solver.step(1).unwrap() {
                break solution;
            }
            assert!(solver.puzzles_solved() >= solved_before);
            assert!(solver.puzzles_solved() < 4);
            solved_before = solver.puzzles_solved();
        };
        assert_eq!(solution, solve(&challenge, &hash).unwrap());
        let tries: u64 = solution
            .nonces
            .iter()
            .map(|&nonce| u64::from(nonce) + 1)
            .sum();
        assert_eq!(solver.tries_so_far(), tries);
    }

    #[test]
    fn a_trivial_split_challenge_takes_any_nonces_but_the_right_number() {
        let challenge = Challenge {
            difficulty: 1,
            ..split_challenge()
        };
        let hash = ciphertext_sha256(b"demo");
        assert_eq!(
            solve(&challenge, &hash),
            Ok(Solution { nonces: vec![0; 4] })
        );
        assert_eq!(
            verify(&challenge, &hash, &Solution { nonces: vec![9; 4] }),
            Ok(())
        );
        assert_eq!(
            verify(&challenge, &hash, &Solution { nonces: vec![9; 3] }),
            Err(Error::InvalidProofOfWork)
        );
    }

    #[test]
    fn challenge_json_uses_unpadded_base64url_seed() {
        let challenge = Challenge {
            seed: [0xfb; 32],
            difficulty: 160,
            memory_kib: 4096,
            puzzles: 1,
        };
        let json = serde_json::to_string(&challenge).unwrap();
        assert_eq!(
            json,
            r#"{"seed":"-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_s","difficulty":160,"memory_kib":4096}"#
        );
        assert_eq!(serde_json::from_str::<Challenge>(&json).unwrap(), challenge);
        let split = Challenge {
            puzzles: 20,
            ..challenge
        };
        let json = serde_json::to_string(&split).unwrap();
        assert!(
            json.ends_with(r#","memory_kib":4096,"puzzles":20}"#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<Challenge>(&json).unwrap(), split);
        assert_eq!(
            serde_json::to_string(&Solution { nonces: vec![7, 2] }).unwrap(),
            r#"{"nonces":[7,2]}"#
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
    fn the_target_compares_the_leading_eight_bytes() {
        let mut hash = [0xff; HASH_LENGTH];
        assert!(!meets_target(&hash, u64::MAX / 2));
        hash[..8].copy_from_slice(&(u64::MAX / 2).to_be_bytes());
        assert!(meets_target(&hash, u64::MAX / 2));
        hash[..8].copy_from_slice(&(u64::MAX / 2 + 1).to_be_bytes());
        assert!(!meets_target(&hash, u64::MAX / 2));
        assert!(meets_target(&[0xff; HASH_LENGTH], u64::MAX));
    }

    #[test]
    fn the_target_gives_each_try_a_chance_of_puzzles_over_difficulty() {
        let one = Challenge {
            difficulty: 160,
            ..small_challenge()
        };
        assert_eq!(
            one.target(),
            u64::MAX / 160,
            "one puzzle: the original target"
        );
        let split = Challenge {
            puzzles: 24,
            ..one.clone()
        };
        assert_eq!(split.target(), (u64::MAX / 160) * 24);
        assert!((split.expected_tries_per_puzzle() - 160.0 / 24.0).abs() < 1e-9);
        for difficulty in [0, 1] {
            let trivial = Challenge {
                difficulty,
                ..split.clone()
            };
            assert_eq!(trivial.target(), u64::MAX);
        }
        // More puzzles than tries (the relay never issues it): every hash wins, nothing wraps.
        let crowded = Challenge {
            difficulty: 2,
            puzzles: 32,
            ..one
        };
        assert_eq!(crowded.target(), u64::MAX);
    }
}
