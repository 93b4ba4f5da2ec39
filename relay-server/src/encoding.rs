//! Small encodings used on the wire and in the config: lower-case hex and unpadded base64url.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Encodes bytes as lower-case hexadecimal.
pub fn encode_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

/// Decodes exactly 64 hexadecimal digits (either case) into 32 bytes.
pub fn decode_hex_32(text: &str) -> Option<[u8; 32]> {
    let digits = text.as_bytes();
    if digits.len() != 64 {
        return None;
    }
    let mut bytes = [0u8; 32];
    for (index, pair) in digits.chunks_exact(2).enumerate() {
        let high = char::from(pair[0]).to_digit(16)?;
        let low = char::from(pair[1]).to_digit(16)?;
        bytes[index] = u8::try_from(high * 16 + low).ok()?;
    }
    Some(bytes)
}

/// Encodes bytes as unpadded base64url.
pub fn encode_base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes canonical unpadded base64url into exactly `N` bytes.
pub fn decode_base64url<const N: usize>(text: &str) -> Option<[u8; N]> {
    // Non-canonical encodings (stray low bits) are refused, so one value has one spelling.
    decode_base64url_vec(text)?.try_into().ok()
}

/// Decodes canonical unpadded base64url of any length (mailbox messages in JSON).
pub fn decode_base64url_vec(text: &str) -> Option<Vec<u8>> {
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    (URL_SAFE_NO_PAD.encode(&bytes) == text).then_some(bytes)
}

/// Fills an array with bytes from the operating system's secure random source.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system supplies random bytes");
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        let bytes: [u8; 32] = core::array::from_fn(|index| (index * 37) as u8);
        assert_eq!(decode_hex_32(&encode_hex(&bytes)), Some(bytes));
        assert_eq!(
            decode_hex_32(&encode_hex(&bytes).to_uppercase()),
            Some(bytes)
        );
        assert_eq!(decode_hex_32("00"), None);
        assert_eq!(decode_hex_32(&"g".repeat(64)), None);
    }

    #[test]
    fn base64url_rejects_non_canonical() {
        let bytes = [0xffu8; 16];
        let text = encode_base64url(&bytes);
        assert_eq!(decode_base64url::<16>(&text), Some(bytes));
        assert_eq!(decode_base64url::<32>(&text), None);
        let mut tweaked = text.clone();
        tweaked.pop();
        tweaked.push('_');
        assert_eq!(decode_base64url::<16>(&tweaked), None);
    }
}
