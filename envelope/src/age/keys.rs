//! X25519 recipients (`age1…`) and identities (`AGE-SECRET-KEY-1…`), as the age specification
//! encodes them: Bech32 (not Bech32m), one case, no length games.

use core::fmt;
use core::str::FromStr;

use bech32::primitives::decode::CheckedHrpstring;
use bech32::{Bech32, Hrp};
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, Result, fill_random};

const RECIPIENT_HRP: &str = "age";
const IDENTITY_HRP: &str = "age-secret-key-";

/// Decodes a strict Bech32 string with the expected human-readable part into exactly 32 bytes.
///
/// Mixed case, Bech32m checksums, non-zero padding bits and any other length are rejected.
fn decode_bech32_key(text: &str, expected_hrp: &str, upper_case: bool) -> Result<[u8; 32]> {
    // The checksum is case-insensitive, but the encoding is canonical in one case only.
    let canonical_case = if upper_case {
        text.bytes().all(|byte| !byte.is_ascii_lowercase())
    } else {
        text.bytes().all(|byte| !byte.is_ascii_uppercase())
    };
    if !canonical_case {
        return Err(Error::InvalidKey);
    }
    let parsed = CheckedHrpstring::new::<Bech32>(text).map_err(|_| Error::InvalidKey)?;
    if parsed.hrp().to_lowercase() != expected_hrp {
        return Err(Error::InvalidKey);
    }
    parsed
        .validate_segwit_padding()
        .map_err(|_| Error::InvalidKey)?;
    let mut bytes = Zeroizing::new(parsed.byte_iter().collect::<Vec<u8>>());
    let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| Error::InvalidKey)?;
    bytes.zeroize();
    Ok(key)
}

fn encode_bech32_key(hrp: &str, key: &[u8; 32]) -> String {
    let hrp = Hrp::parse(hrp).expect("constant human-readable part is valid");
    bech32::encode::<Bech32>(hrp, key).expect("a 32-byte key always fits in Bech32")
}

/// The public half of an X25519 key pair: whom a file is sealed to.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Recipient {
    public_key: [u8; 32],
}

impl Recipient {
    /// Makes a recipient from the raw 32-byte X25519 public key.
    pub fn from_bytes(public_key: [u8; 32]) -> Self {
        Self { public_key }
    }

    /// The raw 32-byte X25519 public key.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.public_key
    }

    pub(crate) fn public_key(&self) -> PublicKey {
        PublicKey::from(self.public_key)
    }
}

impl FromStr for Recipient {
    type Err = Error;

    /// Parses an `age1…` recipient; surrounding whitespace is not accepted.
    fn from_str(text: &str) -> Result<Self> {
        decode_bech32_key(text, RECIPIENT_HRP, false).map(Self::from_bytes)
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&encode_bech32_key(RECIPIENT_HRP, &self.public_key))
    }
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Recipient({self})")
    }
}

/// The secret half of an X25519 key pair: who can open a file. Wiped from memory on drop.
#[derive(Clone)]
pub struct Identity {
    secret: StaticSecret,
}

impl Identity {
    /// Makes a fresh identity from the operating system's (or browser's) random source.
    pub fn generate() -> Result<Self> {
        let mut secret = Zeroizing::new([0u8; 32]);
        fill_random(secret.as_mut())?;
        Ok(Self::from_secret_bytes(*secret))
    }

    /// Makes an identity from 32 secret bytes (clamping happens inside X25519).
    pub fn from_secret_bytes(secret: [u8; 32]) -> Self {
        Self {
            secret: StaticSecret::from(secret),
        }
    }

    /// The recipient that files for this identity are sealed to.
    pub fn to_recipient(&self) -> Recipient {
        Recipient::from_bytes(PublicKey::from(&self.secret).to_bytes())
    }

    /// The `AGE-SECRET-KEY-1…` form, upper case, as age tools write it. Handle with care.
    pub fn to_secret_string(&self) -> Zeroizing<String> {
        let mut lower = encode_bech32_key(IDENTITY_HRP, self.secret.as_bytes());
        let upper = Zeroizing::new(lower.to_ascii_uppercase());
        lower.zeroize();
        upper
    }

    pub(crate) fn secret(&self) -> &StaticSecret {
        &self.secret
    }
}

impl FromStr for Identity {
    type Err = Error;

    /// Parses an `AGE-SECRET-KEY-1…` identity (upper case, as age tools write it).
    fn from_str(text: &str) -> Result<Self> {
        let mut secret = decode_bech32_key(text, IDENTITY_HRP, true)?;
        let identity = Self::from_secret_bytes(secret);
        secret.zeroize();
        Ok(identity)
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Identity(recipient: {})", self.to_recipient())
    }
}

/// Reads an identity file as `age-keygen` writes it: one `AGE-SECRET-KEY-1…` per line, with
/// `#` comments and blank lines ignored.
pub fn parse_identity_file(text: &str) -> Result<Vec<Identity>> {
    let identities = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(Identity::from_str)
        .collect::<Result<Vec<_>>>()?;
    if identities.is_empty() {
        return Err(Error::InvalidKey);
    }
    Ok(identities)
}

#[cfg(test)]
mod tests {
    use super::*;

    // From the age specification's X25519 example (identity and recipient of the same key).
    const IDENTITY: &str =
        "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";
    const RECIPIENT: &str = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj";

    #[test]
    fn identity_and_recipient_round_trip() {
        let identity: Identity = IDENTITY.parse().unwrap();
        assert_eq!(identity.to_secret_string().as_str(), IDENTITY);
        assert_eq!(identity.to_recipient().to_string(), RECIPIENT);
        let recipient: Recipient = RECIPIENT.parse().unwrap();
        assert_eq!(recipient, identity.to_recipient());
    }

    #[test]
    fn mixed_case_and_wrong_prefix_are_rejected() {
        assert_eq!(
            RECIPIENT.to_uppercase().parse::<Recipient>(),
            Err(Error::InvalidKey)
        );
        assert!(IDENTITY.to_lowercase().parse::<Identity>().is_err());
        let mut mixed = RECIPIENT.to_string();
        mixed.replace_range(5..6, &mixed[5..6].to_uppercase());
        assert!(mixed.parse::<Recipient>().is_err());
        assert!(IDENTITY.parse::<Recipient>().is_err());
        assert!(RECIPIENT.parse::<Identity>().is_err());
    }

    #[test]
    fn bech32m_checksum_is_rejected() {
        let hrp = Hrp::parse(RECIPIENT_HRP).unwrap();
        let bech32m = bech32::encode::<bech32::Bech32m>(hrp, &[7u8; 32]).unwrap();
        assert!(bech32m.parse::<Recipient>().is_err());
        let bech32 = bech32::encode::<Bech32>(hrp, &[7u8; 32]).unwrap();
        assert_eq!(bech32.parse::<Recipient>().unwrap().to_bytes(), [7u8; 32]);
    }

    #[test]
    fn typo_is_rejected() {
        let mut typo = RECIPIENT.to_string();
        typo.replace_range(10..11, if &typo[10..11] == "q" { "p" } else { "q" });
        assert!(typo.parse::<Recipient>().is_err());
    }

    #[test]
    fn generated_identities_differ() {
        let first = Identity::generate().unwrap();
        let second = Identity::generate().unwrap();
        assert_ne!(first.to_recipient(), second.to_recipient());
    }
}
