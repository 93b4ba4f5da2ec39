//! The `X25519` recipient stanza: `-> X25519 <ephemeral share>` with the wrapped file key as
//! its body.

use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use super::header::{Stanza, decode_canonical_base64, encode_base64};
use super::{FileKey, hkdf_sha256, open_file_key, seal_file_key};
use crate::error::{Error, Result, fill_random};

const TAG: &str = "X25519";
const LABEL: &[u8] = b"age-encryption.org/v1/X25519";

fn wrap_key(
    shared_secret: &[u8; 32],
    ephemeral_share: &[u8; 32],
    recipient: &[u8; 32],
) -> Zeroizing<[u8; 32]> {
    let mut salt = [0u8; 64];
    salt[..32].copy_from_slice(ephemeral_share);
    salt[32..].copy_from_slice(recipient);
    hkdf_sha256(&salt, shared_secret, LABEL)
}

/// Wraps `file_key` to the X25519 public key `recipient` with a fresh ephemeral key.
pub(crate) fn wrap(recipient: &[u8; 32], file_key: &FileKey) -> Result<Stanza> {
    let mut ephemeral_bytes = Zeroizing::new([0u8; 32]);
    fill_random(ephemeral_bytes.as_mut())?;
    let ephemeral_secret = StaticSecret::from(*ephemeral_bytes);
    let ephemeral_share = PublicKey::from(&ephemeral_secret).to_bytes();
    let shared_secret = ephemeral_secret.diffie_hellman(&PublicKey::from(*recipient));
    // A low-order recipient key would make the shared secret all zeros: refuse to seal to it.
    if !shared_secret.was_contributory() {
        return Err(Error::InvalidKey);
    }
    let key = wrap_key(shared_secret.as_bytes(), &ephemeral_share, recipient);
    Ok(Stanza {
        tag: TAG.to_string(),
        arguments: vec![encode_base64(&ephemeral_share)],
        body: seal_file_key(&key, file_key),
    })
}

/// Tries to unwrap the file key from `stanza` with the X25519 secret key `identity`, whose
/// public key is `identity_public`.
///
/// `Ok(None)` means "not for this identity, try the next"; an error means the stanza is
/// malformed, which makes the whole header invalid.
pub(crate) fn unwrap(
    identity: &StaticSecret,
    identity_public: &[u8; 32],
    stanza: &Stanza,
) -> Result<Option<FileKey>> {
    if stanza.tag != TAG {
        return Ok(None);
    }
    let [share_encoded] = stanza.arguments.as_slice() else {
        return Err(Error::InvalidHeader);
    };
    let ephemeral_share: [u8; 32] = decode_canonical_base64(share_encoded.as_bytes())?
        .try_into()
        .map_err(|_| Error::InvalidHeader)?;
    if stanza.body.len() != super::WRAPPED_FILE_KEY_BYTES {
        return Err(Error::InvalidHeader);
    }
    let shared_secret = identity.diffie_hellman(&PublicKey::from(ephemeral_share));
    if !shared_secret.was_contributory() {
        return Err(Error::InvalidHeader);
    }
    let key = wrap_key(shared_secret.as_bytes(), &ephemeral_share, identity_public);
    Ok(open_file_key(&key, &stanza.body))
}
