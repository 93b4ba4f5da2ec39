//! The relay's own request headers (lower case, as HTTP/2 and the `http` crate write them).

/// The challenge's seed, exactly as the relay sent it (unpadded base64url).
pub const CHALLENGE: &str = "fluister-challenge";

/// The nonce that solves the challenge for this body: a decimal `u32`.
pub const NONCE: &str = "fluister-nonce";

/// The client's random submission key (32 bytes, unpadded base64url), the same on every retry
/// of one submission, so a retried post is stored once.
pub const SUBMISSION_KEY: &str = "fluister-submission-key";

/// The reporter's mailbox access token (32 bytes, unpadded base64url).
pub const MAILBOX_TOKEN: &str = "fluister-mailbox-token";
