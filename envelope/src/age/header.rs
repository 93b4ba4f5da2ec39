//! The age v1 header: the version line, the recipient stanzas, and the MAC that binds them to
//! the file key.
//!
//! ```text
//! age-encryption.org/v1
//! -> X25519 <base64 ephemeral share>
//! <base64 body, 64 columns, ending with a shorter (possibly empty) line>
//! --- <base64 HMAC-SHA256>
//! <binary payload>
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use hmac::{KeyInit as _, Mac as _};

use super::{FileKey, hkdf_sha256};
use crate::error::{Error, Result};

const VERSION_LINE: &[u8] = b"age-encryption.org/v1\n";
const STANZA_PREFIX: &[u8] = b"-> ";
const MAC_PREFIX: &[u8] = b"--- ";
const BODY_COLUMNS: usize = 64;
const MAC_ENCODED_LENGTH: usize = 43;

/// The largest header we accept, in bytes. A header to a dozen X25519 recipients is under 2 KiB,
/// to a dozen hybrid post-quantum ones under 20 KiB; the limit only exists so that a hostile
/// file cannot make a reader buffer without end.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Decodes unpadded base64 as age requires it: canonical, no padding, no line breaks.
pub(crate) fn decode_canonical_base64(text: &[u8]) -> Result<Vec<u8>> {
    STANDARD_NO_PAD
        .decode(text)
        .map_err(|_| Error::InvalidHeader)
}

pub(crate) fn encode_base64(bytes: &[u8]) -> String {
    STANDARD_NO_PAD.encode(bytes)
}

/// One recipient stanza: a type tag, its arguments, and a binary body.
#[derive(Clone, PartialEq, Eq)]
pub struct Stanza {
    pub(crate) tag: String,
    pub(crate) arguments: Vec<String>,
    pub(crate) body: Vec<u8>,
}

impl Stanza {
    /// The stanza's type, such as `X25519` or `scrypt`.
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// The arguments after the type.
    pub fn arguments(&self) -> &[String] {
        &self.arguments
    }

    fn write_to(&self, output: &mut Vec<u8>) {
        output.extend_from_slice(STANZA_PREFIX);
        output.extend_from_slice(self.tag.as_bytes());
        for argument in &self.arguments {
            output.push(b' ');
            output.extend_from_slice(argument.as_bytes());
        }
        output.push(b'\n');
        let encoded = encode_base64(&self.body);
        let mut lines = encoded.as_bytes().chunks(BODY_COLUMNS).peekable();
        // Every body ends with a line shorter than 64 columns, so a body whose encoding fills
        // its last line exactly gets an extra empty line.
        let mut last_line_length = 0;
        while let Some(line) = lines.next() {
            output.extend_from_slice(line);
            output.push(b'\n');
            last_line_length = line.len();
            if lines.peek().is_none() && last_line_length < BODY_COLUMNS {
                return;
            }
        }
        debug_assert!(last_line_length == BODY_COLUMNS || encoded.is_empty());
        output.push(b'\n');
    }
}

impl core::fmt::Debug for Stanza {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Stanza")
            .field("tag", &self.tag)
            .field("arguments", &self.arguments)
            .field("body_length", &self.body.len())
            .finish()
    }
}

/// A parsed age v1 header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    stanzas: Vec<Stanza>,
    /// The header bytes from the version line up to and including `---`: what the MAC covers.
    mac_input: Vec<u8>,
    mac: [u8; 32],
}

/// The outcome of trying to parse a header from the start of a possibly incomplete buffer.
pub(crate) enum Parsed {
    /// A whole header, and how many bytes it took.
    Complete(Header, usize),
    /// The buffer ends before the header does; read more and try again.
    Incomplete,
}

/// Reads one `\n`-terminated line starting at `start`; `None` when the buffer ends first.
fn line_at(input: &[u8], start: usize) -> Option<(&[u8], usize)> {
    let remaining = input.get(start..)?;
    let length = remaining.iter().position(|&byte| byte == b'\n')?;
    Some((&remaining[..length], start + length + 1))
}

/// Reads one header line like [`line_at`], refusing a line that ends past [`MAX_HEADER_BYTES`]:
/// the limit holds for a complete header as much as for one still arriving.
fn header_line_at(input: &[u8], start: usize) -> Result<Option<(&[u8], usize)>> {
    match line_at(input, start) {
        Some((_, next)) if next > MAX_HEADER_BYTES => Err(Error::TooLarge),
        line => Ok(line),
    }
}

fn is_argument_byte(byte: u8) -> bool {
    (0x21..=0x7e).contains(&byte)
}

impl Header {
    /// Parses and validates the header at the start of an age v1 file, and checks that the rest
    /// of the file is long enough and of a length the STREAM payload can have.
    ///
    /// Returns the header and its length in bytes. This checks syntax only: whether the MAC is
    /// right can only be known with the file key. The relay uses it to refuse anything that is
    /// not an age file before storing it.
    pub fn parse(file: &[u8]) -> Result<(Header, usize)> {
        let (header, header_length) = match Self::parse_prefix(file)? {
            Parsed::Complete(header, length) => (header, length),
            Parsed::Incomplete => return Err(Error::InvalidHeader),
        };
        let payload_length = file.len() - header_length;
        if payload_length < super::PAYLOAD_NONCE_BYTES {
            return Err(Error::InvalidHeader);
        }
        if !super::stream::is_possible_payload_length(payload_length - super::PAYLOAD_NONCE_BYTES) {
            return Err(Error::Payload);
        }
        Ok((header, header_length))
    }

    /// Parses a header from the start of `input`, which may end before the header does.
    pub(crate) fn parse_prefix(input: &[u8]) -> Result<Parsed> {
        let Some((version_line, mut position)) = line_at(input, 0) else {
            let could_still_match = VERSION_LINE.starts_with(input);
            return if could_still_match {
                Ok(Parsed::Incomplete)
            } else {
                Err(Error::InvalidHeader)
            };
        };
        if version_line != &VERSION_LINE[..VERSION_LINE.len() - 1] {
            return Err(Error::InvalidHeader);
        }

        let mut stanzas = Vec::new();
        loop {
            let Some((line, next)) = header_line_at(input, position)? else {
                return Self::incomplete_unless_too_long(input);
            };
            if let Some(mac_encoded) = line.strip_prefix(MAC_PREFIX) {
                if mac_encoded.len() != MAC_ENCODED_LENGTH {
                    return Err(Error::InvalidHeader);
                }
                let mac: [u8; 32] = decode_canonical_base64(mac_encoded)?
                    .try_into()
                    .map_err(|_| Error::InvalidHeader)?;
                if stanzas.is_empty() {
                    return Err(Error::InvalidHeader);
                }
                let mac_input = input[..position + MAC_PREFIX.len() - 1].to_vec();
                return Ok(Parsed::Complete(
                    Header {
                        stanzas,
                        mac_input,
                        mac,
                    },
                    next,
                ));
            }
            let Some(arguments_text) = line.strip_prefix(STANZA_PREFIX) else {
                return Err(Error::InvalidHeader);
            };
            let mut arguments = Vec::new();
            for argument in arguments_text.split(|&byte| byte == b' ') {
                if argument.is_empty() || !argument.iter().copied().all(is_argument_byte) {
                    return Err(Error::InvalidHeader);
                }
                arguments.push(String::from_utf8(argument.to_vec()).expect("checked ASCII"));
            }
            position = next;

            let mut body_encoded = Vec::new();
            loop {
                let Some((body_line, next)) = header_line_at(input, position)? else {
                    return Self::incomplete_unless_too_long(input);
                };
                if body_line.len() > BODY_COLUMNS {
                    return Err(Error::InvalidHeader);
                }
                body_encoded.extend_from_slice(body_line);
                position = next;
                if body_line.len() < BODY_COLUMNS {
                    break;
                }
            }
            let body = decode_canonical_base64(&body_encoded)?;
            let tag = arguments.remove(0);
            stanzas.push(Stanza {
                tag,
                arguments,
                body,
            });
        }
    }

    fn incomplete_unless_too_long(input: &[u8]) -> Result<Parsed> {
        if input.len() > MAX_HEADER_BYTES {
            Err(Error::TooLarge)
        } else {
            Ok(Parsed::Incomplete)
        }
    }

    /// Builds and MACs a header for `stanzas` under `file_key`.
    pub(crate) fn seal(stanzas: Vec<Stanza>, file_key: &FileKey) -> Header {
        let mut mac_input = VERSION_LINE.to_vec();
        for stanza in &stanzas {
            stanza.write_to(&mut mac_input);
        }
        mac_input.extend_from_slice(b"---");
        let mac = header_mac(file_key, &mac_input)
            .finalize()
            .into_bytes()
            .into();
        Header {
            stanzas,
            mac_input,
            mac,
        }
    }

    /// The header's bytes, ending in a newline; the payload follows them.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = self.mac_input.clone();
        bytes.push(b' ');
        bytes.extend_from_slice(encode_base64(&self.mac).as_bytes());
        bytes.push(b'\n');
        bytes
    }

    /// The recipient stanzas, in file order.
    pub fn stanzas(&self) -> &[Stanza] {
        &self.stanzas
    }

    /// The type of each stanza, in file order (`X25519`, `scrypt`, or anything else).
    pub fn stanza_types(&self) -> impl Iterator<Item = &str> {
        self.stanzas.iter().map(Stanza::tag)
    }

    /// Checks the header MAC under `file_key`, in constant time.
    pub(crate) fn verify_mac(&self, file_key: &FileKey) -> Result<()> {
        header_mac(file_key, &self.mac_input)
            .verify_slice(&self.mac)
            .map_err(|_| Error::HeaderMac)
    }
}

/// HMAC-SHA256 over the header under the key derived from the file key with label `header`.
fn header_mac(file_key: &FileKey, mac_input: &[u8]) -> hmac::Hmac<sha2::Sha256> {
    let mac_key = hkdf_sha256(&[], file_key.as_bytes(), b"header");
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(mac_key.as_slice())
        .expect("HMAC accepts any key length");
    mac.update(mac_input);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stanza_with_body(length: usize) -> Stanza {
        Stanza {
            tag: "test".into(),
            arguments: vec!["a".into()],
            body: vec![0x5a; length],
        }
    }

    #[test]
    fn bodies_of_every_length_round_trip() {
        let file_key = FileKey::from_bytes([3; 16]);
        // 48 bytes fill one 64-column line exactly and so need a trailing empty line.
        for length in [0, 1, 47, 48, 49, 96, 100] {
            let header = Header::seal(vec![stanza_with_body(length)], &file_key);
            let bytes = header.to_bytes();
            let Parsed::Complete(parsed, consumed) = Header::parse_prefix(&bytes).unwrap() else {
                panic!("complete header reported incomplete");
            };
            assert_eq!(consumed, bytes.len());
            assert_eq!(parsed, header);
            parsed.verify_mac(&file_key).unwrap();
        }
    }

    #[test]
    fn every_proper_prefix_is_incomplete_not_an_error() {
        let header = Header::seal(vec![stanza_with_body(60)], &FileKey::from_bytes([1; 16]));
        let bytes = header.to_bytes();
        for end in 0..bytes.len() {
            assert!(matches!(
                Header::parse_prefix(&bytes[..end]),
                Ok(Parsed::Incomplete)
            ));
        }
    }

    /// A complete header of exactly `length` bytes: one stanza whose body fills the rest.
    fn header_of_length(length: usize) -> Vec<u8> {
        // Grow the body until the header reaches the length; each 48 body bytes add 65 bytes.
        let file_key = FileKey::from_bytes([4; 16]);
        let mut body_length = (length / 65) * 48;
        loop {
            let bytes = Header::seal(vec![stanza_with_body(body_length)], &file_key).to_bytes();
            if bytes.len() >= length {
                return bytes;
            }
            body_length += 1;
        }
    }

    #[test]
    fn complete_header_over_the_limit_is_too_large() {
        let fits = header_of_length(MAX_HEADER_BYTES - 200);
        assert!(fits.len() <= MAX_HEADER_BYTES, "{}", fits.len());
        assert!(matches!(
            Header::parse_prefix(&fits),
            Ok(Parsed::Complete(_, _))
        ));
        let too_large = header_of_length(MAX_HEADER_BYTES + 1);
        assert!(too_large.len() > MAX_HEADER_BYTES);
        assert!(matches!(
            Header::parse_prefix(&too_large),
            Err(Error::TooLarge)
        ));
        // With a payload after it, as the relay sees a body.
        let mut file = too_large;
        file.extend_from_slice(&[0; 16 + 16]);
        assert!(matches!(Header::parse(&file), Err(Error::TooLarge)));
    }

    #[test]
    fn wrong_file_key_fails_the_mac() {
        let header = Header::seal(vec![stanza_with_body(32)], &FileKey::from_bytes([1; 16]));
        assert_eq!(
            header.verify_mac(&FileKey::from_bytes([2; 16])),
            Err(Error::HeaderMac)
        );
    }

    #[test]
    fn header_without_stanzas_is_rejected() {
        let header = Header::seal(Vec::new(), &FileKey::from_bytes([1; 16]));
        assert_eq!(
            Header::parse_prefix(&header.to_bytes()).err(),
            Some(Error::InvalidHeader)
        );
    }
}
