//! The relay's only contact with the envelope crate: checking that a body is an age v1 file, and
//! verifying proofs of work. The relay never opens a tip; it only parses the header.

use fluister_envelope::Error as EnvelopeError;
use fluister_envelope::age::Header;
use fluister_envelope::pow::{self, Solution};

pub use fluister_envelope::pow::{
    Challenge, DEFAULT_DIFFICULTY, DEFAULT_MEMORY_KIB, DEFAULT_PUZZLES, MAX_DIFFICULTY,
    MAX_MEMORY_KIB, MAX_PUZZLES, MIN_MEMORY_KIB,
};

/// Why a body is not accepted as a sealed tip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyProblem {
    /// The body does not start with the age v1 version line.
    NotAge,
    /// The body starts like an age file but its header (or the payload's length) is malformed.
    BrokenHeader,
}

/// The first line of every age v1 file.
const AGE_VERSION_LINE: &[u8] = b"age-encryption.org/v1\n";

/// Checks that `body` is an age v1 file whose header the envelope crate accepts (syntax,
/// canonical base64, stanza rules, the MAC line, a payload of a possible length).
pub fn check_age_file(body: &[u8]) -> Result<(), BodyProblem> {
    if !body.starts_with(AGE_VERSION_LINE) {
        return Err(BodyProblem::NotAge);
    }
    match Header::parse(body) {
        Ok(_) => Ok(()),
        Err(EnvelopeError::InvalidHeader | EnvelopeError::Payload | EnvelopeError::TooLarge) => {
            Err(BodyProblem::BrokenHeader)
        }
        Err(_) => Err(BodyProblem::BrokenHeader),
    }
}

/// The SHA-256 of a ciphertext, to which its proof of work is bound.
pub fn ciphertext_sha256(body: &[u8]) -> [u8; 32] {
    pow::ciphertext_sha256(body)
}

/// Verifies a proof of work for a ciphertext. This is the CPU-heavy step (one Argon2id hash
/// per puzzle, stopping at the first wrong nonce); call it off the async threads. The puzzles
/// are checked from one the sender cannot predict, so spoiling one of `k` on purpose costs the
/// relay `(k + 1) / 2` hashes on average, not `k`.
pub fn verify_proof_of_work(
    challenge: &Challenge,
    body_sha256: &[u8; 32],
    nonces: Vec<u32>,
) -> bool {
    let first = usize::from(crate::encoding::random_bytes::<1>()[0]);
    pow::verify_from(challenge, body_sha256, &Solution { nonces }, first).is_ok()
}
