//! The wire's encodings come from the protocol crate (one hex and one base64url codec for the
//! whole project); this module adds the operating system's random source.

pub use fluister_protocol::codec::{
    decode_base64url, decode_base64url_vec, decode_hex, encode_base64url, encode_hex,
};

/// Fills an array with bytes from the operating system's secure random source.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system supplies random bytes");
    bytes
}
