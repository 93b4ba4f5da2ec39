//! The ASCII armor: an age file as strict, padded base64 between PEM-style lines, for channels
//! that only carry text.
//!
//! Reading is strict as the specification demands: exactly 64 columns on every line but the
//! last, canonical padding only at the very end, no headers, no spaces inside. Whitespace is
//! allowed before the first line and after the last, and lines may end in CRLF.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::error::{Error, Result};

const BEGIN_LINE: &[u8] = b"-----BEGIN AGE ENCRYPTED FILE-----";
const END_LINE: &[u8] = b"-----END AGE ENCRYPTED FILE-----";
const COLUMNS: usize = 64;

/// Whether `input` looks like an armored file (it starts, after whitespace, with the begin line).
pub fn is_armored(input: &[u8]) -> bool {
    input.trim_ascii_start().starts_with(BEGIN_LINE)
}

/// Wraps a binary age file in ASCII armor.
pub fn encode(file: &[u8]) -> String {
    let encoded = STANDARD.encode(file);
    let mut armored = String::with_capacity(encoded.len() + encoded.len() / COLUMNS + 80);
    armored.push_str(core::str::from_utf8(BEGIN_LINE).expect("ASCII"));
    armored.push('\n');
    for line in encoded.as_bytes().chunks(COLUMNS) {
        armored.push_str(core::str::from_utf8(line).expect("base64 is ASCII"));
        armored.push('\n');
    }
    armored.push_str(core::str::from_utf8(END_LINE).expect("ASCII"));
    armored.push('\n');
    armored
}

/// Unwraps an armored age file into its binary form.
pub fn decode(input: &[u8]) -> Result<Vec<u8>> {
    let trimmed = input.trim_ascii();
    let mut lines = trimmed
        .split(|&byte| byte == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line));
    if lines.next() != Some(BEGIN_LINE) {
        return Err(Error::Armor);
    }
    let lines: Vec<&[u8]> = lines.collect();
    let Some((&end_line, body_lines)) = lines.split_last() else {
        return Err(Error::Armor);
    };
    if end_line != END_LINE {
        return Err(Error::Armor);
    }
    let mut encoded = Vec::with_capacity(body_lines.len() * COLUMNS);
    for (index, line) in body_lines.iter().enumerate() {
        let is_last = index + 1 == body_lines.len();
        let length_ok = if is_last {
            (1..=COLUMNS).contains(&line.len())
        } else {
            line.len() == COLUMNS && !line.contains(&b'=')
        };
        if !length_ok {
            return Err(Error::Armor);
        }
        encoded.extend_from_slice(line);
    }
    STANDARD.decode(&encoded).map_err(|_| Error::Armor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_at_line_boundaries() {
        for length in [1, 47, 48, 49, 96, 1000] {
            let file: Vec<u8> = (0..length).map(|index| index as u8).collect();
            let armored = encode(&file);
            assert!(is_armored(armored.as_bytes()));
            assert_eq!(decode(armored.as_bytes()).unwrap(), file);
            let crlf = armored.replace('\n', "\r\n");
            assert_eq!(decode(crlf.as_bytes()).unwrap(), file);
        }
    }

    #[test]
    fn a_missing_end_line_is_rejected() {
        let armored = encode(b"some bytes");
        let cut = armored.trim_end().rsplit_once('\n').unwrap().0;
        assert_eq!(decode(cut.as_bytes()), Err(Error::Armor));
    }
}
