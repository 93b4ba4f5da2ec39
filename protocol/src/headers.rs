//! The relay's own request headers (lower case, as HTTP/2 and the `http` crate write them).

/// The challenge's seed, exactly as the relay sent it (unpadded base64url).
pub const CHALLENGE: &str = "fluister-challenge";

/// The nonces that solve the challenge for this body, one per puzzle in order: decimal `u32`s
/// separated by commas (one number for a challenge of one puzzle). See [`nonce_header`].
pub const NONCE: &str = "fluister-nonce";

/// The most nonces [`NONCE`] carries: one per puzzle, and a challenge has at most 32.
pub const MAX_NONCES: usize = 32;

/// The client's random submission key (32 bytes, unpadded base64url), the same on every retry
/// of one submission, so a retried post is stored once.
pub const SUBMISSION_KEY: &str = "fluister-submission-key";

/// The reporter's mailbox access token (32 bytes, unpadded base64url).
pub const MAILBOX_TOKEN: &str = "fluister-mailbox-token";

/// The value of [`NONCE`] for these nonces: `17` or `17,4,230`.
pub fn nonce_header(nonces: &[u32]) -> String {
    let mut text = String::with_capacity(nonces.len() * 11);
    for (index, nonce) in nonces.iter().enumerate() {
        if index > 0 {
            text.push(',');
        }
        text.push_str(&nonce.to_string());
    }
    text
}

/// Reads a [`NONCE`] value: 1 to [`MAX_NONCES`] decimal numbers from 0 to 4294967295, separated
/// by single commas, and nothing else (no spaces, signs or empty parts).
pub fn parse_nonce_header(text: &str) -> Option<Vec<u32>> {
    if text.is_empty() || text.len() > MAX_NONCES * 11 {
        return None;
    }
    let mut nonces = Vec::new();
    for part in text.split(',') {
        if part.is_empty() || part.len() > 10 || !part.bytes().all(|byte| byte.is_ascii_digit()) {
            return None;
        }
        nonces.push(part.parse().ok()?);
    }
    (nonces.len() <= MAX_NONCES).then_some(nonces)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_go_out_and_come_back_the_same() {
        for nonces in [
            vec![0],
            vec![u32::MAX],
            vec![17, 4, 230],
            vec![7; MAX_NONCES],
        ] {
            assert_eq!(parse_nonce_header(&nonce_header(&nonces)), Some(nonces));
        }
        assert_eq!(nonce_header(&[17, 4, 230]), "17,4,230");
    }

    #[test]
    fn anything_else_is_refused() {
        let too_many = nonce_header(&[1; MAX_NONCES + 1]);
        for text in [
            "",
            ",",
            "1,",
            ",1",
            "1,,2",
            "1, 2",
            " 1",
            "+1",
            "-1",
            "4294967296",
            "00000000001",
            "1;2",
            "0x10",
            "١",
            too_many.as_str(),
        ] {
            assert_eq!(parse_nonce_header(text), None, "{text:?}");
        }
    }
}
