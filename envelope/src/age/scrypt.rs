//! The `scrypt` recipient stanza: a file sealed to a passphrase. It must be the header's only
//! stanza, so that a passphrase-protected file cannot also be opened by someone else's key.

use zeroize::Zeroizing;

use super::header::{Stanza, decode_canonical_base64, encode_base64};
use super::{FileKey, open_file_key, seal_file_key};
use crate::error::{Error, Result, fill_random};

const TAG: &str = "scrypt";
const SALT_LABEL: &[u8] = b"age-encryption.org/v1/scrypt";
const SALT_BYTES: usize = 16;

/// The highest scrypt work factor (log2 N) we will compute when opening: 2^22 takes seconds
/// and 4 GiB; a file asking for more is refused rather than allowed to exhaust the machine.
pub const MAX_WORK_FACTOR: u8 = 22;

/// The work factor we seal with: about a second on a laptop, as the age tools choose.
pub const DEFAULT_WORK_FACTOR: u8 = 18;

fn passphrase_key(
    passphrase: &str,
    salt: &[u8; SALT_BYTES],
    work_factor: u8,
) -> Result<Zeroizing<[u8; 32]>> {
    let mut full_salt = SALT_LABEL.to_vec();
    full_salt.extend_from_slice(salt);
    let params = scrypt::Params::new(work_factor, 8, 1).map_err(|_| Error::WorkFactorTooHigh)?;
    let mut key = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(passphrase.as_bytes(), &full_salt, &params, key.as_mut())
        .expect("a 32-byte output is valid for scrypt");
    Ok(key)
}

/// Wraps `file_key` to `passphrase` at the given work factor.
pub(crate) fn wrap(passphrase: &str, work_factor: u8, file_key: &FileKey) -> Result<Stanza> {
    if work_factor == 0 || work_factor > MAX_WORK_FACTOR {
        return Err(Error::WorkFactorTooHigh);
    }
    let mut salt = [0u8; SALT_BYTES];
    fill_random(&mut salt)?;
    let key = passphrase_key(passphrase, &salt, work_factor)?;
    Ok(Stanza {
        tag: TAG.to_string(),
        arguments: vec![encode_base64(&salt), work_factor.to_string()],
        body: seal_file_key(&key, file_key),
    })
}

/// Parses the decimal work factor strictly: no sign, no leading zero, no other characters.
fn parse_work_factor(text: &str) -> Result<u8> {
    let canonical = !text.is_empty()
        && text.bytes().all(|byte| byte.is_ascii_digit())
        && !text.starts_with('0');
    if !canonical {
        return Err(Error::InvalidHeader);
    }
    let work_factor: u32 = text.parse().map_err(|_| Error::WorkFactorTooHigh)?;
    if work_factor > u32::from(MAX_WORK_FACTOR) {
        return Err(Error::WorkFactorTooHigh);
    }
    Ok(work_factor as u8)
}

/// Tries to unwrap the file key from `stanza` with `passphrase`; see [`super::x25519::unwrap`]
/// for what `Ok(None)` and errors mean.
pub(crate) fn unwrap(passphrase: &str, stanza: &Stanza) -> Result<Option<FileKey>> {
    if stanza.tag != TAG {
        return Ok(None);
    }
    let [salt_encoded, work_factor_text] = stanza.arguments.as_slice() else {
        return Err(Error::InvalidHeader);
    };
    let salt: [u8; SALT_BYTES] = decode_canonical_base64(salt_encoded.as_bytes())?
        .try_into()
        .map_err(|_| Error::InvalidHeader)?;
    let work_factor = parse_work_factor(work_factor_text)?;
    if stanza.body.len() != super::WRAPPED_FILE_KEY_BYTES {
        return Err(Error::InvalidHeader);
    }
    let key = passphrase_key(passphrase, &salt, work_factor)?;
    Ok(open_file_key(&key, &stanza.body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_factor_must_be_canonical_decimal() {
        assert_eq!(parse_work_factor("18"), Ok(18));
        for bad in ["", "0", "018", "+18", "-1", "0x12", "18 ", "1e1"] {
            assert!(parse_work_factor(bad).is_err(), "{bad:?} was accepted");
        }
        assert_eq!(parse_work_factor("23"), Err(Error::WorkFactorTooHigh));
        assert_eq!(
            parse_work_factor("99999999999999999999"),
            Err(Error::WorkFactorTooHigh)
        );
    }
}
