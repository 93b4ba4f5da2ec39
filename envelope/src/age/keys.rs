//! Recipients and identities as the age specification encodes them: Bech32 (not Bech32m), one
//! case, no length limit. X25519 keys are `age1…` and `AGE-SECRET-KEY-1…`; hybrid post-quantum
//! keys (`mlkem768x25519`) are `age1pq1…` and `AGE-SECRET-KEY-PQ-1…`.

use core::fmt;
use core::str::FromStr;

use bech32::primitives::decode::CheckedHrpstring;
use bech32::{Bech32, Checksum, Hrp};
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::{Zeroize, Zeroizing};

use super::header::Stanza;
use super::{FileKey, pq, x25519};
use crate::error::{Error, Result, fill_random};

const RECIPIENT_HRP: &str = "age";
const IDENTITY_HRP: &str = "age-secret-key-";
const HYBRID_RECIPIENT_HRP: &str = "age1pq";
const HYBRID_IDENTITY_HRP: &str = "age-secret-key-pq-";

/// Bech32 with BIP 173's checksum but without its length limit, which the age specification
/// lifts: a hybrid recipient is 1,959 characters long.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum UnlimitedBech32 {}

impl Checksum for UnlimitedBech32 {
    type MidstateRepr = <Bech32 as Checksum>::MidstateRepr;
    type CorrectionField = <Bech32 as Checksum>::CorrectionField;
    const ROOT_GENERATOR: Self::CorrectionField = <Bech32 as Checksum>::ROOT_GENERATOR;
    const ROOT_EXPONENTS: core::ops::RangeInclusive<usize> = <Bech32 as Checksum>::ROOT_EXPONENTS;
    const CODE_LENGTH: usize = usize::MAX;
    const CHECKSUM_LENGTH: usize = <Bech32 as Checksum>::CHECKSUM_LENGTH;
    const GENERATOR_SH: [Self::MidstateRepr; 5] = <Bech32 as Checksum>::GENERATOR_SH;
    const TARGET_RESIDUE: Self::MidstateRepr = <Bech32 as Checksum>::TARGET_RESIDUE;
}

/// Decodes a strict Bech32 string into its (lower-case) human-readable part and its bytes.
///
/// Mixed case, the other case, Bech32m checksums and non-zero padding bits are rejected.
fn decode_bech32(text: &str, upper_case: bool) -> Result<(String, Zeroizing<Vec<u8>>)> {
    // The checksum is case-insensitive, but the encoding is canonical in one case only.
    let canonical_case = if upper_case {
        text.bytes().all(|byte| !byte.is_ascii_lowercase())
    } else {
        text.bytes().all(|byte| !byte.is_ascii_uppercase())
    };
    if !canonical_case {
        return Err(Error::InvalidKey);
    }
    let parsed = CheckedHrpstring::new::<UnlimitedBech32>(text).map_err(|_| Error::InvalidKey)?;
    parsed
        .validate_segwit_padding()
        .map_err(|_| Error::InvalidKey)?;
    Ok((
        parsed.hrp().to_lowercase(),
        Zeroizing::new(parsed.byte_iter().collect()),
    ))
}

/// Copies decoded key bytes into a key of exactly `N` bytes.
fn exact_key<const N: usize>(bytes: &[u8]) -> Result<[u8; N]> {
    bytes.try_into().map_err(|_| Error::InvalidKey)
}

fn encode_bech32(hrp: &str, key: &[u8]) -> String {
    let hrp = Hrp::parse(hrp).expect("constant human-readable part is valid");
    bech32::encode::<UnlimitedBech32>(hrp, key).expect("Bech32 without a length limit fits any key")
}

/// The public half of a key pair: whom a file is sealed to. An X25519 recipient (`age1…`) or a
/// hybrid post-quantum one (`age1pq1…`, ML-KEM-768 with X25519).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Recipient {
    key: RecipientKey,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[allow(
    clippy::large_enum_variant,
    reason = "a recipient is `Copy`, as its users need; 1.2 KiB is cheap to copy"
)]
enum RecipientKey {
    X25519([u8; 32]),
    /// Checked by [`pq::is_valid_public_key`] when it was parsed.
    Hybrid([u8; pq::PUBLIC_KEY_BYTES]),
}

impl Recipient {
    /// Makes an X25519 recipient from the raw 32-byte public key.
    pub fn from_bytes(public_key: [u8; 32]) -> Self {
        Self {
            key: RecipientKey::X25519(public_key),
        }
    }

    /// The raw public key: 32 bytes for X25519, 1216 for a hybrid recipient (the ML-KEM-768
    /// encapsulation key, then the X25519 key).
    pub fn as_bytes(&self) -> &[u8] {
        match &self.key {
            RecipientKey::X25519(public_key) => public_key,
            RecipientKey::Hybrid(public_key) => public_key,
        }
    }

    /// Whether this is a hybrid post-quantum recipient (`age1pq1…`). A file is sealed either to
    /// post-quantum recipients only or to none ([`Error::MixedRecipients`]).
    pub fn is_post_quantum(&self) -> bool {
        matches!(self.key, RecipientKey::Hybrid(_))
    }

    /// Wraps `file_key` in a new stanza for this recipient.
    pub(crate) fn wrap(&self, file_key: &FileKey) -> Result<Stanza> {
        match &self.key {
            RecipientKey::X25519(public_key) => x25519::wrap(public_key, file_key),
            RecipientKey::Hybrid(public_key) => pq::wrap(public_key, file_key),
        }
    }
}

impl FromStr for Recipient {
    type Err = Error;

    /// Parses an `age1…` or `age1pq1…` recipient; surrounding whitespace is not accepted.
    fn from_str(text: &str) -> Result<Self> {
        let (hrp, bytes) = decode_bech32(text, false)?;
        let key = match hrp.as_str() {
            RECIPIENT_HRP => RecipientKey::X25519(exact_key(&bytes)?),
            HYBRID_RECIPIENT_HRP => {
                let public_key = exact_key(&bytes)?;
                if !pq::is_valid_public_key(&public_key) {
                    return Err(Error::InvalidKey);
                }
                RecipientKey::Hybrid(public_key)
            }
            _ => return Err(Error::InvalidKey),
        };
        Ok(Self { key })
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hrp = match self.key {
            RecipientKey::X25519(_) => RECIPIENT_HRP,
            RecipientKey::Hybrid(_) => HYBRID_RECIPIENT_HRP,
        };
        f.write_str(&encode_bech32(hrp, self.as_bytes()))
    }
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Recipient({self})")
    }
}

/// The secret half of a key pair: who can open a file. An X25519 identity
/// (`AGE-SECRET-KEY-1…`) or a hybrid post-quantum one (`AGE-SECRET-KEY-PQ-1…`). Wiped from
/// memory on drop.
#[derive(Clone)]
pub struct Identity {
    key: IdentityKey,
}

#[derive(Clone)]
enum IdentityKey {
    /// The secret key and its public key, which every unwrap needs (as HKDF salt): computed
    /// once here rather than by a scalar multiplication per file.
    X25519(StaticSecret, [u8; 32]),
    Hybrid(Box<pq::HybridSecret>),
}

impl Identity {
    /// Makes a fresh X25519 identity from the operating system's (or browser's) random source.
    pub fn generate() -> Result<Self> {
        let mut secret = Zeroizing::new([0u8; 32]);
        fill_random(secret.as_mut())?;
        Ok(Self::from_secret_bytes(*secret))
    }

    /// Makes a fresh hybrid post-quantum identity (`mlkem768x25519`): files sealed to its
    /// recipient stay secret even against a future quantum computer. Only age tools that know
    /// hybrid keys (age 1.3, rage 0.12 and later) can seal to it or open with it.
    pub fn generate_hybrid() -> Result<Self> {
        let mut seed = Zeroizing::new([0u8; 32]);
        fill_random(seed.as_mut())?;
        Ok(Self::from_hybrid_seed(*seed))
    }

    /// Makes an X25519 identity from 32 secret bytes (clamping happens inside X25519).
    pub fn from_secret_bytes(secret: [u8; 32]) -> Self {
        let secret = StaticSecret::from(secret);
        let public = PublicKey::from(&secret).to_bytes();
        Self {
            key: IdentityKey::X25519(secret, public),
        }
    }

    /// Makes a hybrid post-quantum identity from its 32-byte seed, which is what
    /// `AGE-SECRET-KEY-PQ-1…` encodes; both secret keys are expanded from it.
    pub fn from_hybrid_seed(seed: [u8; 32]) -> Self {
        Self {
            key: IdentityKey::Hybrid(Box::new(pq::HybridSecret::from_seed(seed))),
        }
    }

    /// Whether this is a hybrid post-quantum identity.
    pub fn is_post_quantum(&self) -> bool {
        matches!(self.key, IdentityKey::Hybrid(_))
    }

    /// The recipient that files for this identity are sealed to.
    pub fn to_recipient(&self) -> Recipient {
        let key = match &self.key {
            IdentityKey::X25519(_, public) => RecipientKey::X25519(*public),
            IdentityKey::Hybrid(secret) => RecipientKey::Hybrid(*secret.public_key()),
        };
        Recipient { key }
    }

    /// The `AGE-SECRET-KEY-1…` (or `AGE-SECRET-KEY-PQ-1…`) form, upper case, as age tools write
    /// it. Handle with care.
    pub fn to_secret_string(&self) -> Zeroizing<String> {
        let mut lower = match &self.key {
            IdentityKey::X25519(secret, _) => encode_bech32(IDENTITY_HRP, secret.as_bytes()),
            IdentityKey::Hybrid(secret) => encode_bech32(HYBRID_IDENTITY_HRP, secret.seed()),
        };
        let upper = Zeroizing::new(lower.to_ascii_uppercase());
        lower.zeroize();
        upper
    }

    /// Tries to unwrap the file key from `stanza`: `Ok(None)` when the stanza is not for this
    /// identity, an error when it is of this identity's type but malformed.
    pub(crate) fn unwrap(&self, stanza: &Stanza) -> Result<Option<FileKey>> {
        match &self.key {
            IdentityKey::X25519(secret, public) => x25519::unwrap(secret, public, stanza),
            IdentityKey::Hybrid(secret) => pq::unwrap(secret, stanza),
        }
    }
}

impl FromStr for Identity {
    type Err = Error;

    /// Parses an `AGE-SECRET-KEY-1…` or `AGE-SECRET-KEY-PQ-1…` identity (upper case, as age
    /// tools write it).
    fn from_str(text: &str) -> Result<Self> {
        let (hrp, bytes) = decode_bech32(text, true)?;
        let mut secret: [u8; 32] = exact_key(&bytes)?;
        let identity = match hrp.as_str() {
            IDENTITY_HRP => Ok(Self::from_secret_bytes(secret)),
            HYBRID_IDENTITY_HRP => Ok(Self::from_hybrid_seed(secret)),
            _ => Err(Error::InvalidKey),
        };
        secret.zeroize();
        identity
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Identity(recipient: {})", self.to_recipient())
    }
}

/// Reads an identity file as `age-keygen` writes it: one `AGE-SECRET-KEY-1…` (or
/// `AGE-SECRET-KEY-PQ-1…`) per line, with `#` comments and blank lines ignored.
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
        assert_eq!(bech32.parse::<Recipient>().unwrap().as_bytes(), [7u8; 32]);
    }

    #[test]
    fn typo_is_rejected() {
        let mut typo = RECIPIENT.to_string();
        typo.replace_range(10..11, if &typo[10..11] == "q" { "p" } else { "q" });
        assert!(typo.parse::<Recipient>().is_err());
    }

    // The age specification's hybrid example: an identity and its recipient.
    const HYBRID_IDENTITY: &str =
        "AGE-SECRET-KEY-PQ-1XX76JRALNLXDMEW0CRK45QMCCH4X06SE84UN3VPM33W6HWDX0H3SK3ZQFR";
    const HYBRID_RECIPIENT: &str = concat!(
        "age1pq1x34nzsvr0rxjsgdn8zgyhfe8j7ceq5r9rdelkjuh3y235jzxshfg87pzf5zrqtzdxz95paef6caq5aapd",
        "mwjjqpjfdyxnzr2zampc3uxy0dg4z2n2gm9su72p0pc3u0jvev55l694v78snxg3yzvcl7yda0eyytqj6a0ec477",
        "lnhcy5hzpz4zq3pxanve4cn62gqj3pjy5lqj9c6kyj4v2z8alktn8zh99970x79gjkv7522hv9kfz35zsnxhsx8w",
        "wtmu9cy3ftzjgwcp4sshn3llnylnpdsyz5jm72vefv4x5vfwytrefxg4wq3mv42wcrvkj742479zrxzpvp2p3e9f",
        "ed9f0739vcu80r7ma28qfhnvlv4gfzel9q654dj3zmuvvz893azhxdvs9fxd0r7jzchzcfcs5mkyyjxhw0n2z6dv",
        "p9yn9qfdp29h0azxqyjw6v7fhyuzj7zel0uq6j9rd7wgrpz7mf5dnj43jwsgvrc8qcnhy7tu6dkdujuxzkp9xj43",
        "xe8h92ktre2a3u3s8mm5mrp9nr9pwkgtz4mdlq9hgn4fps4k57ff6wddn2fy23t47sm20r8km8sd2pcyyafnet8f",
        "0dajsrlyjeah4n3mssr6aseevuuskdvq5lzguyvpgwpta742c6698vgutzqgny8usfg0w2he7kq5vyxjd0f9hqg8",
        "xk26y9e4th0gezq92q4cpp5p2y9hf5f2cje5l0c3sa3a2qxmm38pxxvhxh99yzmfz0zk7r2s64nnwjhkfgfr3gf8",
        "xnmppcgmaykvh5sh6g7vk9790rf8ws0axmr2t7z8aae5fq2029uvcn2ghgt4fu4wgwdc0k0cz52qkvwmuzj8p8k5",
        "jgf3xzk5zmrkavjekjrpeq408xz3zxazwkc6tyfmhayrkfpjhwtz5mp8j8guqe43k2q6m2kte03vrw27y3wmqyu5",
        "etmt9dnkwcnnpmu9gz9dekfhdevf42ucshphnrk38ra6hx8w5f8q5ru0xdhrjxmwqf6cused7zc5xvq43r0zscjg",
        "lpwlptpwydhqw64xz7ptjdyeyzpq2zkxtmzg29gzjpvzva4d3l0cenn9xs297wf4y4ukwrunf57xj6pm7nvrkwvt",
        "rt8hwcmgv8x7ajw7258ugf9wvkmk4052ekg87tw5vnx8nq2swyzv77v8yqlwsenvamr0zssknwts8rrhfuwj7yky",
        "snq9jxy0uv3kuyt22djszjdtvpz6d0s0kwh8ryynddzud92emeyvvyqktd0jtj7rvvg5gch25v8smlvny3kvn5ga",
        "gyz475ze2y6q466xqmz2n3hs77lddeqyta2nch5k2u5yacuk9ywnwfdzvyejnucz724hj77hrrmakm7pr3kxsrxq",
        "22ejexlud9fy2kdqmkg5yncz7jm5wv2qjk5w5kvcpqsry2yqffh2la52dxfjkjq5rzhjzeyn6dupn0qwtyv7s4lw",
        "g3xdarsdlwe2y3tujy480y7z39q259fzx6jhd2j0f5hagqpcpees7hzc2yrk5cy788uk3s7qvp5cpepx24gvws3m",
        "2g433exgwppnkjscec8qu4y9z9r7vccexjcjaen42245lmgmxmuavg9alej92322gvvyy2t6267v09ch64y0m53j",
        "ff0vjj96s0ypk60hr3jw4myd6m5hpn3xjstx7tl2szhpr5qe8jj08ydjc4wy2rch2fhuy3pdfjax5awe9j99ly5h",
        "kntzz9fe5zatgjvzdd0kgtxs25njnajyf6ssekp7gelxquusn4pt25czh3scj68kq79wdn5tgm6yvm9nzavrg043",
        "x3msnygf8dweknw5jmqd0uvny6ttsn09508k0c55zfnegrm9efhxpfqdkmhh6gjtqmwze9pyyzk3tlhl53k2ykx3",
        "qheyty7saeq0d3fzv49zc0k",
    );

    #[test]
    fn hybrid_identity_and_recipient_round_trip() {
        let identity: Identity = HYBRID_IDENTITY.parse().unwrap();
        assert!(identity.is_post_quantum());
        assert_eq!(identity.to_secret_string().as_str(), HYBRID_IDENTITY);
        let recipient = identity.to_recipient();
        assert!(recipient.is_post_quantum());
        assert_eq!(recipient.as_bytes().len(), pq::PUBLIC_KEY_BYTES);
        assert_eq!(recipient.to_string(), HYBRID_RECIPIENT);
        assert_eq!(HYBRID_RECIPIENT.parse::<Recipient>().unwrap(), recipient);
        let x25519: Recipient = RECIPIENT.parse().unwrap();
        assert!(!x25519.is_post_quantum());
        assert_ne!(x25519, recipient);
    }

    #[test]
    fn hybrid_keys_in_the_wrong_case_or_with_a_typo_are_rejected() {
        assert!(
            HYBRID_RECIPIENT
                .to_uppercase()
                .parse::<Recipient>()
                .is_err()
        );
        assert!(HYBRID_IDENTITY.to_lowercase().parse::<Identity>().is_err());
        assert!(HYBRID_IDENTITY.parse::<Recipient>().is_err());
        assert!(HYBRID_RECIPIENT.parse::<Identity>().is_err());
        let mut typo = HYBRID_RECIPIENT.to_string();
        typo.replace_range(100..101, if &typo[100..101] == "q" { "p" } else { "q" });
        assert!(typo.parse::<Recipient>().is_err());
    }

    #[test]
    fn hybrid_keys_of_the_wrong_length_are_rejected() {
        let recipient_hrp = Hrp::parse(HYBRID_RECIPIENT_HRP).unwrap();
        let identity_hrp = Hrp::parse(HYBRID_IDENTITY_HRP).unwrap();
        let valid = HYBRID_RECIPIENT.parse::<Recipient>().unwrap();
        let encode = |hrp, bytes: &[u8]| bech32::encode::<UnlimitedBech32>(hrp, bytes).unwrap();
        assert_eq!(
            encode(recipient_hrp, valid.as_bytes()).parse::<Recipient>(),
            Ok(valid)
        );
        let short = &valid.as_bytes()[..pq::PUBLIC_KEY_BYTES - 1];
        assert!(encode(recipient_hrp, short).parse::<Recipient>().is_err());
        let mut long = valid.as_bytes().to_vec();
        long.push(0);
        assert!(encode(recipient_hrp, &long).parse::<Recipient>().is_err());
        // An X25519 key under the hybrid prefix, and the other way round.
        assert!(
            encode(recipient_hrp, &[7; 32])
                .parse::<Recipient>()
                .is_err()
        );
        let x25519_hrp = Hrp::parse(RECIPIENT_HRP).unwrap();
        assert!(
            encode(x25519_hrp, valid.as_bytes())
                .parse::<Recipient>()
                .is_err()
        );
        let identity = encode(identity_hrp, &[7; 33]).to_uppercase();
        assert!(identity.parse::<Identity>().is_err());
    }

    #[test]
    fn hybrid_recipient_with_an_ml_kem_coefficient_out_of_range_is_rejected() {
        let valid = HYBRID_RECIPIENT.parse::<Recipient>().unwrap();
        let hrp = Hrp::parse(HYBRID_RECIPIENT_HRP).unwrap();
        // The first coefficient is the low 12 bits of the first two bytes; 3329 is the modulus.
        for (coefficient, accepted) in [(3328u16, true), (3329, false), (4095, false)] {
            let mut bytes = valid.as_bytes().to_vec();
            bytes[0] = coefficient.to_le_bytes()[0];
            bytes[1] = (bytes[1] & 0xf0) | coefficient.to_le_bytes()[1];
            let text = bech32::encode::<UnlimitedBech32>(hrp, &bytes).unwrap();
            assert_eq!(text.parse::<Recipient>().is_ok(), accepted, "{coefficient}");
        }
    }

    #[test]
    fn hybrid_recipient_with_a_low_order_x25519_key_is_not_sealed_to() {
        let valid = Identity::generate_hybrid().unwrap().to_recipient();
        let mut bytes = valid.as_bytes().to_vec();
        // The all-zero X25519 key is of low order: every shared secret with it is zero.
        bytes[pq::PUBLIC_KEY_BYTES - 32..].fill(0);
        let hrp = Hrp::parse(HYBRID_RECIPIENT_HRP).unwrap();
        let recipient: Recipient = bech32::encode::<UnlimitedBech32>(hrp, &bytes)
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(
            crate::age::seal(&[recipient], b"tip"),
            Err(Error::InvalidKey)
        );
    }

    #[test]
    fn generated_hybrid_identities_differ_and_round_trip() {
        let first = Identity::generate_hybrid().unwrap();
        let second = Identity::generate_hybrid().unwrap();
        assert_ne!(first.to_recipient(), second.to_recipient());
        let reread: Identity = first.to_secret_string().parse().unwrap();
        assert_eq!(reread.to_recipient(), first.to_recipient());
        let file = format!(
            "# a backup key\n{}\n\n{}\n",
            first.to_secret_string().as_str(),
            Identity::generate().unwrap().to_secret_string().as_str()
        );
        let identities = parse_identity_file(&file).unwrap();
        assert_eq!(identities[0].to_recipient(), first.to_recipient());
        assert!(!identities[1].is_post_quantum());
    }

    #[test]
    fn generated_identities_differ() {
        let first = Identity::generate().unwrap();
        let second = Identity::generate().unwrap();
        assert_ne!(first.to_recipient(), second.to_recipient());
    }
}
