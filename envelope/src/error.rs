//! The one error type of the envelope crate.

use core::fmt;

/// Everything that can go wrong in the envelope crate.
///
/// Decryption failures are deliberately coarse: they name the stage that failed (no matching
/// identity, header MAC, payload) as the age specification distinguishes them, never the byte or
/// the reason, so an attacker learns nothing from an error message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A recipient (`age1…`, `age1pq1…`) or identity (`AGE-SECRET-KEY-1…`,
    /// `AGE-SECRET-KEY-PQ-1…`) string is malformed, or a recipient key cannot be sealed to.
    InvalidKey,
    /// A file must be sealed to at least one recipient.
    NoRecipients,
    /// A file was to be sealed to hybrid post-quantum and X25519 recipients together. The age
    /// specification says not to: the X25519 stanza would leave the file open to a future
    /// quantum computer. Seal to hybrid recipients only (or to X25519 recipients only).
    MixedRecipients,
    /// The age header is malformed: wrong version line, a bad stanza, a non-canonical encoding,
    /// a disallowed share, or a truncated file.
    InvalidHeader,
    /// None of the given identities can open any stanza of this file.
    NoMatchingIdentity,
    /// The header's MAC does not match: the header was changed after sealing.
    HeaderMac,
    /// The payload could not be authenticated: it was tampered with, truncated, or extended.
    Payload,
    /// The ASCII armor around an age file is malformed.
    Armor,
    /// An input exceeds a fixed limit (header size, document size, ...).
    TooLarge,
    /// A passphrase-protected file asks for more work than we allow.
    WorkFactorTooHigh,
    /// A tip document is not valid JSON of a supported version, or is missing a required field.
    InvalidDocument,
    /// A receipt code has the wrong length, a character that is not allowed, or a wrong check
    /// character (most likely a typo).
    InvalidReceiptCode,
    /// A proof of work does not solve its challenge, or belongs to another ciphertext.
    InvalidProofOfWork,
    /// The operating system or browser could not supply random bytes.
    Randomness,
    /// Reading from or writing to the stream given to a streaming sealer or opener failed.
    Io(std::io::ErrorKind),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = match self {
            Error::InvalidKey => "malformed age recipient or identity",
            Error::NoRecipients => "no recipients to seal to",
            Error::MixedRecipients => {
                "post-quantum and X25519 recipients cannot be mixed in one file"
            }
            Error::InvalidHeader => "malformed age header",
            Error::NoMatchingIdentity => "no identity matches this file",
            Error::HeaderMac => "age header failed authentication",
            Error::Payload => "age payload failed authentication",
            Error::Armor => "malformed ASCII armor",
            Error::TooLarge => "input exceeds a size limit",
            Error::WorkFactorTooHigh => "passphrase work factor is too high",
            Error::InvalidDocument => "invalid tip document",
            Error::InvalidReceiptCode => "invalid receipt code",
            Error::InvalidProofOfWork => "invalid proof of work",
            Error::Randomness => "no randomness available",
            Error::Io(kind) => return write!(f, "stream error: {kind}"),
        };
        f.write_str(message)
    }
}

impl std::error::Error for Error {}

impl From<Error> for std::io::Error {
    fn from(error: Error) -> Self {
        match error {
            Error::Io(kind) => std::io::Error::from(kind),
            other => std::io::Error::new(std::io::ErrorKind::InvalidData, other),
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Fills `buffer` from the operating system's (or the browser's) secure random source.
pub(crate) fn fill_random(buffer: &mut [u8]) -> Result<()> {
    getrandom::fill(buffer).map_err(|_| Error::Randomness)
}
