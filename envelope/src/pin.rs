//! Fingerprints of recipients, so that who may read is decided by the coordinator and not by
//! the relay that lists the keys.
//!
//! - [`set_fingerprint`] names a whole set of recipients with one short string. The coordinator's
//!   inbox prints it into the municipality's embed tag (`data-recipients`), and the crypto worker
//!   refuses to seal to a list from the relay whose fingerprint differs. It does not depend on the
//!   order of the keys or on their letter case (Bech32 is case-insensitive), and a key listed
//!   twice counts once.
//! - [`key_fingerprint`] names one key in a form a person can compare aloud or on paper: the
//!   first 80 bits of its SHA-256, as five groups of four hex digits.

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// What every set fingerprint starts with: the hash, and that this is version 1 of the scheme.
pub const SET_FINGERPRINT_PREFIX: &str = "fp1-";

/// The fingerprint of a set of recipients (their `age1…` strings): `fp1-` and the unpadded
/// base64url SHA-256 of the domain line `fluister recipient set v1` and then the keys, trimmed,
/// in lower case, sorted, without duplicates, each after its length (4 bytes, big-endian), so no
/// two different sets hash the same bytes.
pub fn set_fingerprint<'a>(recipients: impl IntoIterator<Item = &'a str>) -> String {
    let mut keys: Vec<String> = recipients
        .into_iter()
        .map(|key| key.trim().to_ascii_lowercase())
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let mut hash = Sha256::new();
    hash.update(b"fluister recipient set v1\n");
    for key in &keys {
        let length = u32::try_from(key.len()).unwrap_or(u32::MAX);
        hash.update(length.to_be_bytes());
        hash.update(key.as_bytes());
    }
    let digest = hash.finalize();
    format!(
        "{SET_FINGERPRINT_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
    )
}

/// Whether `text` has the form of a set fingerprint (so a typing error in an embed tag is
/// refused as such, not taken for a changed set).
pub fn is_set_fingerprint(text: &str) -> bool {
    text.strip_prefix(SET_FINGERPRINT_PREFIX)
        .is_some_and(|rest| {
            rest.len() == 43
                && rest
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
        })
}

/// A short fingerprint of one key for people to compare: `3f2a 91c0 7d1e 55b2 0c4e`.
pub fn key_fingerprint(recipient: &str) -> String {
    let digest = Sha256::digest(recipient.trim().to_ascii_lowercase().as_bytes());
    digest[..10]
        .chunks(2)
        .map(|pair| format!("{:02x}{:02x}", pair[0], pair[1]))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = "age1lggyhqrw2nlhcxprm67z43rta597azn8gknawjehu9d9dl0jq3yqqvfafg";
    const TWO: &str = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj";

    #[test]
    fn a_set_has_one_fingerprint_whatever_the_order_case_or_repeats() {
        let fingerprint = set_fingerprint([ONE, TWO]);
        assert_eq!(set_fingerprint([TWO, ONE]), fingerprint);
        assert_eq!(set_fingerprint([TWO, ONE, TWO]), fingerprint);
        assert_eq!(
            set_fingerprint([ONE.to_ascii_uppercase().as_str(), TWO]),
            fingerprint
        );
        assert!(is_set_fingerprint(&fingerprint), "{fingerprint}");
    }

    #[test]
    fn a_key_more_or_less_changes_the_fingerprint() {
        let both = set_fingerprint([ONE, TWO]);
        assert_ne!(set_fingerprint([ONE]), both);
        assert_ne!(set_fingerprint([TWO]), both);
        assert_ne!(set_fingerprint([ONE]), set_fingerprint([TWO]));
        // Joining two keys into one line is not the same set either.
        let joined = format!("{ONE}\n{TWO}");
        assert_ne!(set_fingerprint([joined.as_str()]), both);
    }

    #[test]
    fn only_well_formed_fingerprints_are_taken_as_such() {
        assert!(!is_set_fingerprint(""));
        assert!(!is_set_fingerprint("fp1-"));
        assert!(!is_set_fingerprint(&set_fingerprint([ONE])[1..]));
        assert!(!is_set_fingerprint(&format!("{}=", set_fingerprint([ONE]))));
        assert!(!is_set_fingerprint(&format!("fp1-{}", "a".repeat(42))));
        assert!(is_set_fingerprint(&format!("fp1-{}", "a".repeat(43))));
    }

    #[test]
    fn a_key_fingerprint_is_five_groups_of_four_hex_digits() {
        let fingerprint = key_fingerprint(ONE);
        assert_eq!(fingerprint.len(), 24);
        assert_eq!(fingerprint.split(' ').count(), 5);
        assert_eq!(key_fingerprint(&ONE.to_ascii_uppercase()), fingerprint);
        assert_ne!(key_fingerprint(TWO), fingerprint);
    }
}
