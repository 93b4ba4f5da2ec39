//! The age v1 file format (C2SP `age.md`): X25519, hybrid post-quantum (`mlkem768x25519`) and
//! passphrase recipients, the header with its MAC, the STREAM payload in 64 KiB chunks, and the
//! ASCII armor.
//!
//! Everything sealed here is a standard age file: `age -d` opens it with the right key (age 1.3
//! or later for hybrid keys), and files from any age tool open here. Rejections follow the specification and the official
//! test vectors; error values name the failing stage only ([`Error`]).
//!
//! ```
//! use fluister_envelope::age::{self, Identity};
//!
//! let coordinator = Identity::generate_hybrid()?;
//! let sealed = age::seal(&[coordinator.to_recipient()], b"a tip")?;
//! assert_eq!(age::open(&[coordinator], &sealed)?, b"a tip");
//! # Ok::<(), fluister_envelope::Error>(())
//! ```

pub mod armor;
mod header;
mod keys;
mod pq;
mod scrypt;
mod stream;
mod x25519;

use std::io::{Read, Write};

use chacha20poly1305::aead::Aead as _;
use chacha20poly1305::{ChaCha20Poly1305, KeyInit};
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::{Error, Result, fill_random};
pub use header::{Header, MAX_HEADER_BYTES, Stanza};
pub use keys::{Identity, Recipient, parse_identity_file};
pub use scrypt::{DEFAULT_WORK_FACTOR, MAX_WORK_FACTOR};
pub use stream::{PayloadReader, SealWriter};

/// Bytes of the random nonce between the header and the first payload chunk.
const PAYLOAD_NONCE_BYTES: usize = 16;
/// A wrapped file key: 16 bytes of key and a 16-byte Poly1305 tag.
const WRAPPED_FILE_KEY_BYTES: usize = 32;

/// The 128-bit key that seals one file's payload; it is wrapped once per recipient.
#[derive(Zeroize, ZeroizeOnDrop)]
pub(crate) struct FileKey([u8; 16]);

impl FileKey {
    fn generate() -> Result<Self> {
        let mut key = [0u8; 16];
        fill_random(&mut key)?;
        Ok(Self(key))
    }

    #[cfg(test)]
    pub(crate) fn from_bytes(key: [u8; 16]) -> Self {
        Self(key)
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

/// HKDF-SHA256 with a 32-byte output, the only shape age uses.
pub(crate) fn hkdf_sha256(salt: &[u8], input_key: &[u8], info: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut output = Zeroizing::new([0u8; 32]);
    Hkdf::<Sha256>::new(Some(salt), input_key)
        .expand(info, output.as_mut())
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    output
}

/// Seals a file key under a wrapping key (ChaCha20-Poly1305 with the all-zero nonce, which is
/// safe because every wrapping key is used exactly once).
pub(crate) fn seal_file_key(wrap_key: &[u8; 32], file_key: &FileKey) -> Vec<u8> {
    seal_file_key_with_nonce(wrap_key, &[0u8; 12], file_key)
}

/// Seals a file key under a wrapping key and nonce (the hybrid recipient's HPKE gives both).
pub(crate) fn seal_file_key_with_nonce(
    wrap_key: &[u8; 32],
    nonce: &[u8; 12],
    file_key: &FileKey,
) -> Vec<u8> {
    ChaCha20Poly1305::new(wrap_key.into())
        .encrypt(&(*nonce).into(), file_key.as_bytes().as_slice())
        .expect("sealing 16 bytes cannot fail")
}

/// Opens a wrapped file key; `None` when it does not authenticate under this wrapping key.
pub(crate) fn open_file_key(wrap_key: &[u8; 32], body: &[u8]) -> Option<FileKey> {
    open_file_key_with_nonce(wrap_key, &[0u8; 12], body)
}

/// Opens a file key wrapped under a wrapping key and nonce; `None` when it does not authenticate.
pub(crate) fn open_file_key_with_nonce(
    wrap_key: &[u8; 32],
    nonce: &[u8; 12],
    body: &[u8],
) -> Option<FileKey> {
    let mut key = Zeroizing::new(
        ChaCha20Poly1305::new(wrap_key.into())
            .decrypt(&(*nonce).into(), body)
            .ok()?,
    );
    let bytes: [u8; 16] = key.as_slice().try_into().ok()?;
    key.zeroize();
    Some(FileKey(bytes))
}

/// What opens a file: one or more identities (X25519 or hybrid), or a passphrase.
#[derive(Clone, Copy)]
pub enum Unlock<'a> {
    /// Try each identity against each stanza.
    Identities(&'a [Identity]),
    /// The passphrase of a file sealed with [`seal_with_passphrase`].
    Passphrase(&'a str),
}

impl core::fmt::Debug for Unlock<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Unlock::Identities(identities) => {
                f.debug_tuple("Identities").field(identities).finish()
            }
            Unlock::Passphrase(_) => f.write_str("Passphrase(<redacted>)"),
        }
    }
}

/// Finds the file key in `header` with `unlock`, then checks the header MAC with it.
fn unwrap_file_key(header: &Header, unlock: Unlock<'_>) -> Result<FileKey> {
    let stanzas = header.stanzas();
    if stanzas.len() > 1 && stanzas.iter().any(|stanza| stanza.tag() == "scrypt") {
        return Err(Error::InvalidHeader);
    }
    let mut found = None;
    match unlock {
        Unlock::Identities(identities) => {
            'search: for identity in identities {
                for stanza in stanzas {
                    if let Some(file_key) = identity.unwrap(stanza)? {
                        found = Some(file_key);
                        break 'search;
                    }
                }
            }
        }
        Unlock::Passphrase(passphrase) => {
            for stanza in stanzas {
                if let Some(file_key) = scrypt::unwrap(passphrase, stanza)? {
                    found = Some(file_key);
                    break;
                }
            }
        }
    }
    let file_key = found.ok_or(Error::NoMatchingIdentity)?;
    header.verify_mac(&file_key)?;
    Ok(file_key)
}

fn payload_key(file_key: &FileKey, nonce: &[u8; PAYLOAD_NONCE_BYTES]) -> Zeroizing<[u8; 32]> {
    hkdf_sha256(nonce, file_key.as_bytes(), b"payload")
}

/// Starts a sealed file on `output`: writes the header and payload nonce, and returns the
/// writer that seals the plaintext written to it. Call [`SealWriter::finish`] at the end.
fn start_sealing<W: Write>(
    stanzas: Vec<Stanza>,
    file_key: FileKey,
    mut output: W,
) -> Result<SealWriter<W>> {
    let header = Header::seal(stanzas, &file_key);
    let mut nonce = [0u8; PAYLOAD_NONCE_BYTES];
    fill_random(&mut nonce)?;
    output
        .write_all(&header.to_bytes())
        .and_then(|()| output.write_all(&nonce))
        .map_err(|error| Error::Io(error.kind()))?;
    Ok(SealWriter::new(output, &payload_key(&file_key, &nonce)))
}

/// Starts sealing to `recipients` (at least one) on `output`; see [`SealWriter`].
///
/// Hybrid post-quantum recipients are not mixed with X25519 ones ([`Error::MixedRecipients`]):
/// as the age specification says, a file sealed to both would be only as safe as X25519.
pub fn seal_writer<W: Write>(recipients: &[Recipient], output: W) -> Result<SealWriter<W>> {
    let Some(first) = recipients.first() else {
        return Err(Error::NoRecipients);
    };
    if recipients
        .iter()
        .any(|recipient| recipient.is_post_quantum() != first.is_post_quantum())
    {
        return Err(Error::MixedRecipients);
    }
    let file_key = FileKey::generate()?;
    let stanzas = recipients
        .iter()
        .map(|recipient| recipient.wrap(&file_key))
        .collect::<Result<Vec<_>>>()?;
    start_sealing(stanzas, file_key, output)
}

/// Seals `plaintext` to every one of `recipients`; any one of their identities opens it. The
/// recipients are all X25519 or all hybrid post-quantum ([`seal_writer`]).
pub fn seal(recipients: &[Recipient], plaintext: &[u8]) -> Result<Vec<u8>> {
    let capacity = plaintext.len() + plaintext.len() / 4096 + 256 + 128 * recipients.len();
    let mut writer = seal_writer(recipients, Vec::with_capacity(capacity))?;
    writer
        .write_all(plaintext)
        .map_err(|error| Error::Io(error.kind()))?;
    writer.finish()
}

/// Seals `plaintext` to a passphrase with scrypt at `work_factor` (log2 N; age uses
/// [`DEFAULT_WORK_FACTOR`]).
pub fn seal_with_passphrase(
    passphrase: &str,
    work_factor: u8,
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    let file_key = FileKey::generate()?;
    let stanza = scrypt::wrap(passphrase, work_factor, &file_key)?;
    let mut writer = start_sealing(
        vec![stanza],
        file_key,
        Vec::with_capacity(plaintext.len() + 256),
    )?;
    writer
        .write_all(plaintext)
        .map_err(|error| Error::Io(error.kind()))?;
    writer.finish()
}

/// Opens an age file read from a stream, releasing plaintext one authenticated chunk at a time.
#[derive(Debug)]
pub struct OpenReader;

impl OpenReader {
    /// Reads and checks the header from `input`, finds the file key with `unlock`, and returns
    /// a reader of the plaintext. Header errors come from here; payload errors from `read`.
    #[allow(clippy::new_ret_no_self)]
    pub fn new<R: Read>(unlock: Unlock<'_>, mut input: R) -> Result<PayloadReader<R>> {
        let mut buffered = Vec::with_capacity(4096);
        let mut block = [0u8; 4096];
        let (header, header_length) = loop {
            match Header::parse_prefix(&buffered)? {
                header::Parsed::Complete(header, length) => break (header, length),
                header::Parsed::Incomplete => {}
            }
            let count = read_some(&mut input, &mut block)?;
            if count == 0 {
                return Err(Error::InvalidHeader);
            }
            buffered.extend_from_slice(&block[..count]);
        };
        let file_key = unwrap_file_key(&header, unlock)?;
        while buffered.len() < header_length + PAYLOAD_NONCE_BYTES {
            let count = read_some(&mut input, &mut block)?;
            if count == 0 {
                // The reference implementation counts a missing nonce as a header failure.
                return Err(Error::InvalidHeader);
            }
            buffered.extend_from_slice(&block[..count]);
        }
        let nonce: [u8; PAYLOAD_NONCE_BYTES] = buffered
            [header_length..header_length + PAYLOAD_NONCE_BYTES]
            .try_into()
            .expect("length checked");
        let pending = buffered.split_off(header_length + PAYLOAD_NONCE_BYTES);
        Ok(PayloadReader::new(
            input,
            pending,
            &payload_key(&file_key, &nonce),
        ))
    }
}

fn read_some<R: Read>(input: &mut R, block: &mut [u8]) -> Result<usize> {
    loop {
        match input.read(block) {
            Ok(count) => return Ok(count),
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(Error::Io(error.kind())),
        }
    }
}

/// Opens a binary age file with `unlock`; nothing is returned unless every chunk authenticates.
pub fn open_with(unlock: Unlock<'_>, file: &[u8]) -> Result<Vec<u8>> {
    let mut reader = OpenReader::new(unlock, file)?;
    let mut plaintext = Vec::with_capacity(file.len());
    match reader.read_to_end(&mut plaintext) {
        Ok(_) => Ok(plaintext),
        Err(_) => {
            plaintext.zeroize();
            Err(Error::Payload)
        }
    }
}

/// Opens a binary age file with the first of `identities` that matches.
pub fn open(identities: &[Identity], file: &[u8]) -> Result<Vec<u8>> {
    open_with(Unlock::Identities(identities), file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_then_open_at_chunk_boundaries() {
        let identity = Identity::generate().unwrap();
        let recipients = [identity.to_recipient()];
        for length in [0, 1, 65_535, 65_536, 65_537, 131_072, 200_000] {
            let plaintext: Vec<u8> = (0..length).map(|index| (index % 251) as u8).collect();
            let sealed = seal(&recipients, &plaintext).unwrap();
            Header::parse(&sealed).unwrap();
            assert_eq!(
                open(std::slice::from_ref(&identity), &sealed).unwrap(),
                plaintext,
                "length {length}"
            );
        }
    }

    #[test]
    fn any_of_several_recipients_opens() {
        let identities: Vec<Identity> = (0..3).map(|_| Identity::generate().unwrap()).collect();
        let recipients: Vec<Recipient> = identities.iter().map(Identity::to_recipient).collect();
        let sealed = seal(&recipients, b"tip").unwrap();
        for identity in identities {
            assert_eq!(open(&[identity], &sealed).unwrap(), b"tip");
        }
        let stranger = Identity::generate().unwrap();
        assert_eq!(open(&[stranger], &sealed), Err(Error::NoMatchingIdentity));
    }

    #[test]
    fn no_recipients_is_an_error() {
        assert_eq!(seal(&[], b"tip"), Err(Error::NoRecipients));
    }

    #[test]
    fn every_flipped_bit_is_rejected() {
        let identity = Identity::generate().unwrap();
        let sealed = seal(&[identity.to_recipient()], b"short tip").unwrap();
        for index in 0..sealed.len() {
            for bit in [0x01u8, 0x80] {
                let mut tampered = sealed.clone();
                tampered[index] ^= bit;
                assert!(
                    open(std::slice::from_ref(&identity), &tampered).is_err(),
                    "flip at byte {index} went unnoticed"
                );
            }
        }
    }

    #[test]
    fn every_truncation_is_rejected() {
        let identity = Identity::generate().unwrap();
        let sealed = seal(&[identity.to_recipient()], &[7u8; 70_000]).unwrap();
        for length in (0..sealed.len()).step_by(997).chain([sealed.len() - 1]) {
            assert!(open(std::slice::from_ref(&identity), &sealed[..length]).is_err());
        }
    }

    #[test]
    fn hybrid_seal_then_open_to_several_recipients() {
        let identities: Vec<Identity> = (0..3)
            .map(|_| Identity::generate_hybrid().unwrap())
            .collect();
        let recipients: Vec<Recipient> = identities.iter().map(Identity::to_recipient).collect();
        for length in [0, 1, 65_536, 65_537] {
            let plaintext: Vec<u8> = (0..length).map(|index| (index % 251) as u8).collect();
            let sealed = seal(&recipients, &plaintext).unwrap();
            let (header, _) = Header::parse(&sealed).unwrap();
            assert!(header.stanza_types().all(|tag| tag == "mlkem768x25519"));
            for identity in &identities {
                let opened = open(std::slice::from_ref(identity), &sealed).unwrap();
                assert!(opened == plaintext, "length {length}");
            }
        }
        let sealed = seal(&recipients, b"tip").unwrap();
        let strangers = [
            Identity::generate_hybrid().unwrap(),
            Identity::generate().unwrap(),
        ];
        assert_eq!(open(&strangers, &sealed), Err(Error::NoMatchingIdentity));
    }

    #[test]
    fn hybrid_and_x25519_recipients_are_not_mixed() {
        let hybrid = Identity::generate_hybrid().unwrap().to_recipient();
        let x25519 = Identity::generate().unwrap().to_recipient();
        assert_eq!(seal(&[hybrid, x25519], b"tip"), Err(Error::MixedRecipients));
        assert_eq!(seal(&[x25519, hybrid], b"tip"), Err(Error::MixedRecipients));
        assert!(seal_writer(&[x25519, hybrid], Vec::new()).is_err());
    }

    #[test]
    fn every_flipped_bit_of_a_hybrid_file_is_rejected() {
        let identity = Identity::generate_hybrid().unwrap();
        let sealed = seal(&[identity.to_recipient()], b"short tip").unwrap();
        for index in 0..sealed.len() {
            let mut tampered = sealed.clone();
            tampered[index] ^= 0x01 << (index % 8);
            assert!(
                open(std::slice::from_ref(&identity), &tampered).is_err(),
                "flip at byte {index} went unnoticed"
            );
        }
    }

    #[test]
    fn passphrase_round_trip_and_wrong_passphrase() {
        let sealed = seal_with_passphrase("correct horse", 10, b"identity file").unwrap();
        assert_eq!(
            open_with(Unlock::Passphrase("correct horse"), &sealed).unwrap(),
            b"identity file"
        );
        assert_eq!(
            open_with(Unlock::Passphrase("wrong"), &sealed),
            Err(Error::NoMatchingIdentity)
        );
    }
}
