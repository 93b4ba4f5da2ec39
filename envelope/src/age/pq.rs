//! The hybrid post-quantum recipient type `mlkem768x25519` (C2SP age): the file key is sealed
//! with HPKE (RFC 9180, base mode) over the MLKEM768-X25519 KEM of draft-ietf-hpke-pq (X-Wing),
//! with HKDF-SHA256 and ChaCha20-Poly1305. The file stays secret as long as either ML-KEM-768 or
//! X25519 holds, so a file captured today stays closed to a future quantum computer.
//!
//! ```text
//! -> mlkem768x25519 <base64 enc: the ML-KEM-768 ciphertext (1088 bytes), then an X25519 share>
//! <base64 body: the sealed file key and its tag, 32 bytes>
//! ```
//!
//! A recipient is the ML-KEM-768 encapsulation key followed by the X25519 public key (1216
//! bytes); an identity is the 32-byte seed that both secret keys are expanded from.

use hkdf::{Hkdf, HkdfExtract};
use ml_kem::kem::{Decapsulate as _, DecapsulationKey, EncapsulationKey};
use ml_kem::{B32, EncapsulateDeterministic as _, EncodedSizeUser as _, KemCore as _};
use ml_kem::{MlKem768, MlKem768Params};
use sha2::Sha256;
use sha3::digest::generic_array::GenericArray;
use sha3::digest::{Digest as _, ExtendableOutput as _};
use sha3::{Sha3_256, Shake256};
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::{Zeroize as _, Zeroizing};

use super::header::{Stanza, decode_canonical_base64, encode_base64};
use super::{FileKey, WRAPPED_FILE_KEY_BYTES, open_file_key_with_nonce, seal_file_key_with_nonce};
use crate::error::{Error, Result, fill_random};

pub(crate) const TAG: &str = "mlkem768x25519";
/// HPKE's `info` for age's stanza.
const HPKE_INFO: &[u8] = b"age-encryption.org/mlkem768x25519";
/// HPKE's suite: KEM MLKEM768-X25519 (0x647a), KDF HKDF-SHA256 (0x0001), AEAD
/// ChaCha20Poly1305 (0x0003).
const HPKE_SUITE_ID: &[u8] = b"HPKE\x64\x7a\x00\x01\x00\x03";
/// The KEM combiner's label, `\.//^\`.
const COMBINER_LABEL: &[u8] = br"\.//^\";

const MLKEM_PUBLIC_KEY_BYTES: usize = 1184;
const MLKEM_CIPHERTEXT_BYTES: usize = 1088;
const X25519_BYTES: usize = 32;
/// A hybrid recipient: the ML-KEM-768 encapsulation key, then the X25519 public key.
pub(crate) const PUBLIC_KEY_BYTES: usize = MLKEM_PUBLIC_KEY_BYTES + X25519_BYTES;
/// The KEM's encapsulation (HPKE's `enc`): the ML-KEM-768 ciphertext, then the X25519 share.
const ENCAPSULATION_BYTES: usize = MLKEM_CIPHERTEXT_BYTES + X25519_BYTES;
/// ML-KEM's modulus: every coefficient of an encapsulation key is below it.
const MLKEM_MODULUS: u16 = 3329;

/// A hybrid identity: its seed, the two secret keys expanded from it, and its public key.
#[derive(Clone)]
pub(crate) struct HybridSecret {
    seed: Zeroizing<[u8; 32]>,
    mlkem: DecapsulationKey<MlKem768Params>,
    x25519: StaticSecret,
    public_key: [u8; PUBLIC_KEY_BYTES],
}

impl HybridSecret {
    /// Expands a seed as the KEM does: SHAKE256 gives 96 bytes, the ML-KEM-768 key generation
    /// seed (d, then z) and the X25519 secret key.
    pub(crate) fn from_seed(seed: [u8; 32]) -> Self {
        let mut expanded = Zeroizing::new([0u8; 96]);
        Shake256::digest_xof(seed, expanded.as_mut());
        let (mlkem, _) = MlKem768::generate_deterministic(
            <&B32>::try_from(&expanded[..32]).expect("32 bytes"),
            <&B32>::try_from(&expanded[32..64]).expect("32 bytes"),
        );
        let mut x25519_secret = Zeroizing::new([0u8; X25519_BYTES]);
        x25519_secret.copy_from_slice(&expanded[64..]);
        let x25519 = StaticSecret::from(*x25519_secret);
        let mut public_key = [0u8; PUBLIC_KEY_BYTES];
        public_key[..MLKEM_PUBLIC_KEY_BYTES].copy_from_slice(&mlkem.encapsulation_key().as_bytes());
        public_key[MLKEM_PUBLIC_KEY_BYTES..].copy_from_slice(PublicKey::from(&x25519).as_bytes());
        Self {
            seed: Zeroizing::new(seed),
            mlkem,
            x25519,
            public_key,
        }
    }

    pub(crate) fn seed(&self) -> &[u8; 32] {
        &self.seed
    }

    pub(crate) fn public_key(&self) -> &[u8; PUBLIC_KEY_BYTES] {
        &self.public_key
    }
}

/// Whether a hybrid recipient's ML-KEM-768 encapsulation key passes the check FIPS 203 (section
/// 7.2) requires before encapsulating: every 12-bit coefficient is below the modulus.
pub(crate) fn is_valid_public_key(public_key: &[u8; PUBLIC_KEY_BYTES]) -> bool {
    // Three polynomials of 256 coefficients, two in every three bytes; the 32-byte seed of the
    // matrix follows them.
    public_key[..MLKEM_PUBLIC_KEY_BYTES - 32]
        .chunks_exact(3)
        .all(|bytes| {
            let first = u16::from(bytes[0]) | (u16::from(bytes[1] & 0x0f) << 8);
            let second = u16::from(bytes[1] >> 4) | (u16::from(bytes[2]) << 4);
            first < MLKEM_MODULUS && second < MLKEM_MODULUS
        })
}

/// The KEM's shared secret: SHA3-256 over both shared secrets, the X25519 share and the
/// recipient's X25519 key, and the label.
fn combine(
    mlkem_shared: &[u8],
    x25519_shared: &[u8; 32],
    x25519_share: &[u8; 32],
    x25519_public: &[u8],
) -> Zeroizing<[u8; 32]> {
    let mut shared = Zeroizing::new([0u8; 32]);
    Sha3_256::new()
        .chain_update(mlkem_shared)
        .chain_update(x25519_shared)
        .chain_update(x25519_share)
        .chain_update(x25519_public)
        .chain_update(COMBINER_LABEL)
        .finalize_into(GenericArray::from_mut_slice(shared.as_mut()));
    shared
}

/// Encapsulates a fresh shared secret to `public_key`; returns it with the encapsulation.
fn encapsulate(
    public_key: &[u8; PUBLIC_KEY_BYTES],
) -> Result<(Zeroizing<[u8; 32]>, [u8; ENCAPSULATION_BYTES])> {
    let (mlkem_public, x25519_public) = public_key.split_at(MLKEM_PUBLIC_KEY_BYTES);
    let x25519_public: [u8; X25519_BYTES] = x25519_public.try_into().expect("32 bytes");
    // 32 bytes of ML-KEM's message, then the ephemeral X25519 secret key.
    let mut randomness = Zeroizing::new([0u8; 64]);
    fill_random(randomness.as_mut())?;
    let mut ephemeral_secret = Zeroizing::new([0u8; X25519_BYTES]);
    ephemeral_secret.copy_from_slice(&randomness[32..]);
    let ephemeral_secret = StaticSecret::from(*ephemeral_secret);
    let x25519_share = PublicKey::from(&ephemeral_secret).to_bytes();
    let x25519_shared = ephemeral_secret.diffie_hellman(&PublicKey::from(x25519_public));
    // A low-order X25519 key would make its shared secret all zeros: refuse to seal to it.
    if !x25519_shared.was_contributory() {
        return Err(Error::InvalidKey);
    }
    let (mlkem_ciphertext, mut mlkem_shared) = EncapsulationKey::<MlKem768Params>::from_bytes(
        mlkem_public.try_into().expect("1184 bytes"),
    )
    .encapsulate_deterministic(<&B32>::try_from(&randomness[..32]).expect("32 bytes"))
    .expect("ML-KEM encapsulation cannot fail");
    let shared = combine(
        &mlkem_shared,
        x25519_shared.as_bytes(),
        &x25519_share,
        &x25519_public,
    );
    mlkem_shared.as_mut_slice().zeroize();
    let mut encapsulation = [0u8; ENCAPSULATION_BYTES];
    encapsulation[..MLKEM_CIPHERTEXT_BYTES].copy_from_slice(&mlkem_ciphertext);
    encapsulation[MLKEM_CIPHERTEXT_BYTES..].copy_from_slice(&x25519_share);
    Ok((shared, encapsulation))
}

/// Recovers the shared secret of `encapsulation` with `secret`. A wrong ML-KEM ciphertext gives
/// a wrong secret (implicit rejection), not an error; an X25519 share that makes an all-zero
/// shared secret is refused, as the specification asks.
fn decapsulate(
    secret: &HybridSecret,
    encapsulation: &[u8; ENCAPSULATION_BYTES],
) -> Result<Zeroizing<[u8; 32]>> {
    let (mlkem_ciphertext, x25519_share) = encapsulation.split_at(MLKEM_CIPHERTEXT_BYTES);
    let x25519_share: [u8; X25519_BYTES] = x25519_share.try_into().expect("32 bytes");
    let x25519_shared = secret.x25519.diffie_hellman(&PublicKey::from(x25519_share));
    if !x25519_shared.was_contributory() {
        return Err(Error::InvalidHeader);
    }
    let mut mlkem_shared = secret
        .mlkem
        .decapsulate(mlkem_ciphertext.try_into().expect("1088 bytes"))
        .expect("ML-KEM decapsulation cannot fail");
    let shared = combine(
        &mlkem_shared,
        x25519_shared.as_bytes(),
        &x25519_share,
        &secret.public_key[MLKEM_PUBLIC_KEY_BYTES..],
    );
    mlkem_shared.as_mut_slice().zeroize();
    Ok(shared)
}

/// HPKE's `LabeledExtract` (RFC 9180, section 4) for our suite.
fn labeled_extract(salt: &[u8], label: &[u8], input_key: &[u8]) -> ([u8; 32], Hkdf<Sha256>) {
    let mut extract = HkdfExtract::<Sha256>::new(Some(salt));
    for part in [b"HPKE-v1", HPKE_SUITE_ID, label, input_key] {
        extract.input_ikm(part);
    }
    let (pseudorandom_key, hkdf) = extract.finalize();
    (pseudorandom_key.into(), hkdf)
}

/// HPKE's `LabeledExpand` (RFC 9180, section 4) for our suite, filling `output`.
fn labeled_expand(hkdf: &Hkdf<Sha256>, label: &[u8], context: &[u8], output: &mut [u8]) {
    let length = u16::try_from(output.len())
        .expect("short output")
        .to_be_bytes();
    hkdf.expand_multi_info(
        &[&length, b"HPKE-v1", HPKE_SUITE_ID, label, context],
        output,
    )
    .expect("HPKE's key and nonce are valid HKDF-SHA256 output lengths");
}

/// The ChaCha20-Poly1305 key and nonce of HPKE's base mode (RFC 9180, section 5.1) for the
/// KEM's shared secret and age's `info`; the one message sealed in this context uses the base
/// nonce as it is.
fn hpke_key_and_nonce(shared_secret: &[u8; 32]) -> (Zeroizing<[u8; 32]>, [u8; 12]) {
    let (psk_id_hash, _) = labeled_extract(&[], b"psk_id_hash", &[]);
    let (info_hash, _) = labeled_extract(&[], b"info_hash", HPKE_INFO);
    // The mode (0, base), then both hashes.
    let mut context = [0u8; 65];
    context[1..33].copy_from_slice(&psk_id_hash);
    context[33..].copy_from_slice(&info_hash);
    let (mut secret, hkdf) = labeled_extract(shared_secret, b"secret", &[]);
    secret.zeroize();
    let mut key = Zeroizing::new([0u8; 32]);
    labeled_expand(&hkdf, b"key", &context, key.as_mut());
    let mut nonce = [0u8; 12];
    labeled_expand(&hkdf, b"base_nonce", &context, &mut nonce);
    (key, nonce)
}

/// Wraps `file_key` to the hybrid recipient `public_key` with a fresh encapsulation.
pub(crate) fn wrap(public_key: &[u8; PUBLIC_KEY_BYTES], file_key: &FileKey) -> Result<Stanza> {
    let (shared, encapsulation) = encapsulate(public_key)?;
    let (key, nonce) = hpke_key_and_nonce(&shared);
    Ok(Stanza {
        tag: TAG.to_string(),
        arguments: vec![encode_base64(&encapsulation)],
        body: seal_file_key_with_nonce(&key, &nonce, file_key),
    })
}

/// Tries to unwrap the file key from `stanza` with `secret`.
///
/// `Ok(None)` means "not for this identity, try the next"; an error means the stanza is
/// malformed, which makes the whole header invalid.
pub(crate) fn unwrap(secret: &HybridSecret, stanza: &Stanza) -> Result<Option<FileKey>> {
    if stanza.tag != TAG {
        return Ok(None);
    }
    let [encapsulation_encoded] = stanza.arguments.as_slice() else {
        return Err(Error::InvalidHeader);
    };
    let encapsulation: [u8; ENCAPSULATION_BYTES] =
        decode_canonical_base64(encapsulation_encoded.as_bytes())?
            .try_into()
            .map_err(|_| Error::InvalidHeader)?;
    // Checked before decrypting, so that no key is ever tried against a body of another length.
    if stanza.body.len() != WRAPPED_FILE_KEY_BYTES {
        return Err(Error::InvalidHeader);
    }
    let shared = decapsulate(secret, &encapsulation)?;
    let (key, nonce) = hpke_key_and_nonce(&shared);
    Ok(open_file_key_with_nonce(&key, &nonce, &stanza.body))
}
