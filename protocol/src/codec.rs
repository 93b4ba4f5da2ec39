//! The two text encodings of the API: lower-case hexadecimal (identifiers, hashes) and
//! unpadded base64url (secrets and sealed files in headers and JSON). Each value has exactly one
//! spelling: decoders refuse upper-case hex, padding and stray low bits.

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

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        _ => None,
    }
}

/// Decodes exactly `2 × N` lower-case hexadecimal digits into `N` bytes.
pub fn decode_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let digits = text.as_bytes();
    if digits.len() != 2 * N {
        return None;
    }
    let mut bytes = [0u8; N];
    for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = hex_value(pair[0])? << 4 | hex_value(pair[1])?;
    }
    Some(bytes)
}

const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Encodes bytes as unpadded base64url.
pub fn encode_base64url(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let mut group = [0u8; 3];
        group[..chunk.len()].copy_from_slice(chunk);
        let bits = u32::from(group[0]) << 16 | u32::from(group[1]) << 8 | u32::from(group[2]);
        for index in 0..=chunk.len() {
            let sextet = (bits >> (18 - 6 * index)) & 0x3f;
            text.push(char::from(BASE64URL[sextet as usize]));
        }
    }
    text
}

fn base64url_value(character: u8) -> Option<u32> {
    let value = match character {
        b'A'..=b'Z' => character - b'A',
        b'a'..=b'z' => character - b'a' + 26,
        b'0'..=b'9' => character - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        _ => return None,
    };
    Some(u32::from(value))
}

/// Decodes canonical unpadded base64url of any length.
pub fn decode_base64url_vec(text: &str) -> Option<Vec<u8>> {
    let characters = text.as_bytes();
    if characters.len() % 4 == 1 {
        return None;
    }
    let mut bytes = Vec::with_capacity(characters.len() / 4 * 3 + 2);
    for chunk in characters.chunks(4) {
        let mut bits = 0u32;
        for (index, character) in chunk.iter().enumerate() {
            bits |= base64url_value(*character)? << (18 - 6 * index);
        }
        let byte_count = chunk.len() - 1;
        let group = bits.to_be_bytes();
        // The bits below the last whole byte must be zero, so one value has one spelling.
        if bits & (0x00ff_ffff >> (8 * byte_count)) != 0 {
            return None;
        }
        bytes.extend_from_slice(&group[1..=byte_count]);
    }
    Some(bytes)
}

/// Decodes canonical unpadded base64url into exactly `N` bytes.
pub fn decode_base64url<const N: usize>(text: &str) -> Option<[u8; N]> {
    decode_base64url_vec(text)?.try_into().ok()
}

/// Serde glue for a fixed number of bytes as lower-case hex: `#[serde(with = "hex_bytes")]`.
pub mod hex_bytes {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the bytes as lower-case hex.
    pub fn serialize<S: Serializer, const N: usize>(
        bytes: &[u8; N],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&super::encode_hex(bytes))
    }

    /// Reads exactly `2 × N` lower-case hex digits.
    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
        deserializer: D,
    ) -> Result<[u8; N], D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        super::decode_hex(&text)
            .ok_or_else(|| D::Error::custom(format!("expected {} lower-case hex digits", 2 * N)))
    }
}

/// Serde glue for bytes as unpadded base64url: `#[serde(with = "base64url_bytes")]`.
pub mod base64url_bytes {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the bytes as unpadded base64url.
    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&super::encode_base64url(bytes))
    }

    /// Reads canonical unpadded base64url.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        super::decode_base64url_vec(&text)
            .ok_or_else(|| D::Error::custom("expected canonical unpadded base64url"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_has_one_spelling() {
        let bytes: [u8; 32] = core::array::from_fn(|index| (index * 37) as u8);
        let text = encode_hex(&bytes);
        assert_eq!(decode_hex::<32>(&text), Some(bytes));
        assert_eq!(decode_hex::<32>(&text.to_uppercase()), None);
        assert_eq!(decode_hex::<32>("00"), None);
        assert_eq!(decode_hex::<32>(&"g".repeat(64)), None);
        assert_eq!(decode_hex::<1>("0f"), Some([15]));
    }

    #[test]
    fn base64url_matches_the_rfc_examples() {
        // RFC 4648 section 10, in the URL-safe alphabet without padding.
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(encode_base64url(plain.as_bytes()), encoded);
            assert_eq!(
                decode_base64url_vec(encoded).as_deref(),
                Some(plain.as_bytes())
            );
        }
        assert_eq!(encode_base64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn base64url_refuses_other_spellings() {
        let text = encode_base64url(&[0xffu8; 16]);
        assert_eq!(decode_base64url::<16>(&text), Some([0xff; 16]));
        assert_eq!(decode_base64url::<32>(&text), None);
        let mut stray_bits = text.clone();
        stray_bits.pop();
        stray_bits.push('_');
        assert_eq!(decode_base64url::<16>(&stray_bits), None);
        for bad in ["Zg==", "Zm9v+", "Zm9v/", "Z", "Zm9 v", "Zh"] {
            assert_eq!(decode_base64url_vec(bad), None, "{bad}");
        }
    }

    #[test]
    fn base64url_round_trips_every_length() {
        for length in 0..70 {
            let bytes: Vec<u8> = (0..length).map(|index| (index * 91 + 7) as u8).collect();
            let text = encode_base64url(&bytes);
            assert_eq!(decode_base64url_vec(&text), Some(bytes));
        }
    }
}
