//! The commands of `fluister-inbox`, one module each. The binary parses the command line and
//! calls one of these; each prints what it did (and the next step) on standard output and
//! returns an [`Error`](crate::Error) that says what to do when it cannot.

use std::path::PathBuf;

use crate::error::Result;
use crate::home::InboxHome;
use crate::keys::UnlockedKeys;
use crate::passphrase::PassphraseSource;
use crate::region::Region;
use crate::vocabulary::{Labels, Language};

pub mod app;
pub mod comensha;
pub mod connect;
pub mod embed_snippet;
pub mod export;
pub mod handover;
pub mod keygen;
pub mod keys;
pub mod link;
pub mod list;
pub mod pull;
pub mod quarantine;
pub mod register;
pub mod reply;
pub mod report;
pub mod show;
pub mod stats;
pub mod status;
pub mod team;
pub mod triage;
pub mod verify_widget;

/// What every command needs from the global options.
#[derive(Debug)]
pub struct Settings {
    /// The inbox folder.
    pub home: InboxHome,
    /// The key file: the inbox's own `identity.age`, or the one given with `--identity`.
    pub identity_path: PathBuf,
    /// Where the passphrase comes from.
    pub passphrase_source: PassphraseSource,
    /// The language of labels and headings.
    pub language: Language,
}

impl Settings {
    /// The settings for the inbox folder `home` (else the default folder), the key file
    /// `identity` (else the folder's own) and the passphrase file `passphrase_file` (else the
    /// environment or the terminal).
    pub fn new(
        home: Option<PathBuf>,
        identity: Option<PathBuf>,
        passphrase_file: Option<PathBuf>,
        language: Language,
    ) -> Result<Self> {
        let root = match home {
            Some(root) => root,
            None => InboxHome::default_root()?,
        };
        let home = InboxHome::new(root);
        Ok(Self {
            identity_path: identity.unwrap_or_else(|| home.identity_path()),
            home,
            passphrase_source: PassphraseSource::choose(passphrase_file),
            language,
        })
    }

    /// The labels in the chosen language, naming municipalities as the region `pull` last
    /// fetched from the relay does.
    pub fn labels(&self) -> Result<Labels> {
        Ok(Labels::for_language(self.language).with_region(Region::load(&self.home)?))
    }

    /// Unlocks the key file (asking for the passphrase if it is sealed with one).
    pub fn unlock(&self) -> Result<UnlockedKeys> {
        crate::keys::unlock(&self.identity_path, &self.passphrase_source)
    }
}
