//! The coordinator's age identity: made by `keygen`, stored sealed with age's own passphrase
//! (scrypt) recipient so that the reference `age -d -i identity.age` can use it too, and
//! unlocked once per command.

use std::path::Path;

use fluister_envelope::age::{
    self, DEFAULT_WORK_FACTOR, Identity, Recipient, Unlock, armor, parse_identity_file,
};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::home::{InboxHome, create_private_file, replace_file, sync_directory};
use crate::msg;
use crate::passphrase::PassphraseSource;

/// The unlocked identity (or identities, for a plain identity file with several keys) that
/// opens tips, and the recipient the inbox seals its own notes to.
pub struct UnlockedKeys {
    /// Every identity in the identity file.
    pub identities: Vec<Identity>,
    /// The first identity's recipient: where the triage book is sealed to.
    pub own_recipient: Recipient,
}

impl std::fmt::Debug for UnlockedKeys {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("UnlockedKeys")
            .field("identity_count", &self.identities.len())
            .field("own_recipient", &self.own_recipient)
            .finish()
    }
}

/// Which kind of key `keygen` makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// Hybrid post-quantum (`age1pq1…`, ML-KEM-768 with X25519): the default. Tips sealed to it
    /// stay secret even against a future quantum computer; only age tools that know hybrid keys
    /// (age 1.3, rage 0.12 and later) can use it outside Fluister.
    Hybrid,
    /// X25519 (`age1…`), which every age tool knows, for a setup that needs older tools.
    X25519,
}

/// What `keygen` made.
#[derive(Debug)]
pub struct GeneratedKey {
    /// The public recipient for the relay's `coordinator.recipients`.
    pub recipient: Recipient,
}

/// The text of an identity file in the format `age-keygen` writes.
fn identity_file_text(identity: &Identity) -> Zeroizing<String> {
    Zeroizing::new(format!(
        "# Fluister coordinator key, made by fluister-inbox keygen.\n# public key: {}\n{}\n",
        identity.to_recipient(),
        identity.to_secret_string().as_str()
    ))
}

/// Fails with advice if a key already exists at `identity_path`: replacing it would make every
/// tip sealed to it unreadable. `keygen` checks this before asking for a passphrase.
pub fn refuse_existing_key(identity_path: &Path) -> Result<()> {
    if identity_path.exists() {
        return Err(Error::NotSetUp(msg!(
            "keys.already_exists",
            file = identity_path.display()
        )));
    }
    Ok(())
}

/// Makes a new identity of `kind`, seals it with `passphrase` and writes it (owner-only) to
/// `identity_path`, plus the recipient beside it. Refuses to overwrite an existing identity.
pub fn generate(
    home: &InboxHome,
    identity_path: &Path,
    passphrase: &str,
    kind: KeyKind,
) -> Result<GeneratedKey> {
    refuse_existing_key(identity_path)?;
    home.create_directories()?;
    let identity = match kind {
        KeyKind::Hybrid => Identity::generate_hybrid(),
        KeyKind::X25519 => Identity::generate(),
    }
    .map_err(|source| Error::Crypto {
        message: msg!("error.randomness"),
        source,
    })?;
    let sealed = age::seal_with_passphrase(
        passphrase,
        DEFAULT_WORK_FACTOR,
        identity_file_text(&identity).as_bytes(),
    )
    .map_err(|source| Error::Crypto {
        message: msg!("keys.sealing_failed"),
        source,
    })?;
    let armored = armor::encode(&sealed);
    let mut file = create_private_file(identity_path).map_err(|error| {
        Error::io(
            msg!("keys.cannot_create", file = identity_path.display()),
            error,
        )
    })?;
    use std::io::Write as _;
    file.write_all(armored.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|error| {
            Error::io(
                msg!("keys.cannot_write", file = identity_path.display()),
                error,
            )
        })?;
    sync_directory(identity_path.parent().unwrap_or(Path::new(".")))
        .map_err(Error::UnexplainedIo)?;
    let recipient = identity.to_recipient();
    replace_file(&home.recipient_path(), format!("{recipient}\n").as_bytes())?;
    Ok(GeneratedKey { recipient })
}

/// Whether the key file at `identity_path` is sealed with a passphrase (as `keygen` writes it)
/// rather than a plain `age-keygen` file (as a backup key often is). A file that cannot be read
/// counts as sealed: unlocking then says what is wrong with it.
pub fn needs_passphrase(identity_path: &Path) -> bool {
    std::fs::read(identity_path).map_or(true, |contents| {
        contents.starts_with(b"age-encryption.org/v1") || armor::is_armored(&contents)
    })
}

/// Reads and unlocks an identity file: one sealed with a passphrase (what `keygen` writes; the
/// passphrase is asked for), or a plain `age-keygen` file (for an offline backup key).
pub fn unlock(identity_path: &Path, passphrase_source: &PassphraseSource) -> Result<UnlockedKeys> {
    let contents = std::fs::read(identity_path).map_err(|error| {
        if error.kind() == std::io::ErrorKind::NotFound {
            Error::Key(msg!("keys.missing", file = identity_path.display()))
        } else {
            Error::Key(msg!(
                "keys.unreadable",
                file = identity_path.display(),
                error = error
            ))
        }
    })?;
    let identity_text: Zeroizing<String> = if contents.starts_with(b"age-encryption.org/v1")
        || armor::is_armored(&contents)
    {
        let binary = if armor::is_armored(&contents) {
            armor::decode(&contents).map_err(|_| damaged_key_file(identity_path))?
        } else {
            contents
        };
        let (header, _) =
            age::Header::parse(&binary).map_err(|_| damaged_key_file(identity_path))?;
        if !header
            .stanza_types()
            .any(|stanza_type| stanza_type == "scrypt")
        {
            return Err(Error::Key(msg!(
                "keys.not_a_key_file",
                file = identity_path.display()
            )));
        }
        let passphrase = passphrase_source.read_existing(&identity_path.display().to_string())?;
        let plaintext = match age::open_with(Unlock::Passphrase(&passphrase), &binary) {
            Ok(plaintext) => Zeroizing::new(plaintext),
            Err(
                fluister_envelope::Error::NoMatchingIdentity | fluister_envelope::Error::HeaderMac,
            ) => {
                return Err(Error::Key(msg!(
                    "keys.wrong_passphrase",
                    file = identity_path.display()
                )));
            }
            Err(_) => return Err(damaged_key_file(identity_path)),
        };
        Zeroizing::new(
            String::from_utf8(plaintext.to_vec()).map_err(|_| damaged_key_file(identity_path))?,
        )
    } else {
        Zeroizing::new(String::from_utf8(contents).map_err(|_| damaged_key_file(identity_path))?)
    };
    let identities =
        parse_identity_file(&identity_text).map_err(|_| damaged_key_file(identity_path))?;
    let Some(first) = identities.first() else {
        return Err(damaged_key_file(identity_path));
    };
    let own_recipient = first.to_recipient();
    Ok(UnlockedKeys {
        identities,
        own_recipient,
    })
}

fn damaged_key_file(identity_path: &Path) -> Error {
    Error::Key(msg!("keys.damaged", file = identity_path.display()))
}
