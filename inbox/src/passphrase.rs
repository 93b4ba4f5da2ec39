//! Where the passphrase that protects the coordinator's identity comes from: the terminal (the
//! normal case, never echoed), or for scripts and tests a file or an environment variable.

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::msg;
use zeroize::Zeroizing;

/// The environment variable scripts can set to the passphrase.
pub const PASSPHRASE_ENVIRONMENT_VARIABLE: &str = "FLUISTER_PASSPHRASE";

/// The shortest passphrase `keygen` accepts, in characters.
pub const MINIMUM_PASSPHRASE_CHARACTERS: usize = 10;

/// Where to read the passphrase from. The passphrase itself is read only when needed.
#[derive(Clone, Debug)]
pub enum PassphraseSource {
    /// Ask on the terminal (`/dev/tty`), without echo.
    Terminal,
    /// The first line of this file.
    File(PathBuf),
    /// The `FLUISTER_PASSPHRASE` environment variable.
    Environment,
    /// A passphrase already in memory: what the coordinator typed into the local app's unlock
    /// page (see [`crate::app`]).
    Given(GivenPassphrase),
}

/// A passphrase the caller already holds. Wiped from memory on drop; its `Debug` never shows it.
#[derive(Clone)]
pub struct GivenPassphrase(Zeroizing<String>);

impl GivenPassphrase {
    /// Wraps `passphrase`.
    pub fn new(passphrase: Zeroizing<String>) -> Self {
        Self(passphrase)
    }
}

impl std::fmt::Debug for GivenPassphrase {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("GivenPassphrase(..)")
    }
}

impl PassphraseSource {
    /// The source chosen by `--passphrase-file`, else the environment variable when it is set,
    /// else the terminal.
    pub fn choose(passphrase_file: Option<PathBuf>) -> Self {
        match passphrase_file {
            Some(path) => PassphraseSource::File(path),
            None if std::env::var_os(PASSPHRASE_ENVIRONMENT_VARIABLE).is_some() => {
                PassphraseSource::Environment
            }
            None => PassphraseSource::Terminal,
        }
    }

    /// Reads the passphrase that opens an existing identity.
    pub fn read_existing(&self, what: &str) -> Result<Zeroizing<String>> {
        let passphrase = match self {
            PassphraseSource::Terminal => ask_on_terminal(&msg!("passphrase.prompt", what = what))?,
            other => other.read_without_terminal()?,
        };
        if passphrase.is_empty() {
            return Err(Error::Passphrase(msg!("passphrase.empty")));
        }
        Ok(passphrase)
    }

    /// Reads a new passphrase for `keygen`: twice on the terminal, so a typo does not lock the
    /// coordinator out. Refuses short ones.
    pub fn read_new(&self) -> Result<Zeroizing<String>> {
        let passphrase = match self {
            PassphraseSource::Terminal => {
                eprintln!(
                    "{}",
                    msg!("passphrase.choose", minimum = MINIMUM_PASSPHRASE_CHARACTERS)
                );
                let first = ask_on_terminal(&msg!("passphrase.new_prompt"))?;
                let second = ask_on_terminal(&msg!("passphrase.again_prompt"))?;
                if first != second {
                    return Err(Error::Passphrase(msg!("passphrase.differ")));
                }
                first
            }
            other => other.read_without_terminal()?,
        };
        if passphrase.chars().count() < MINIMUM_PASSPHRASE_CHARACTERS {
            return Err(Error::Passphrase(msg!(
                "passphrase.too_short",
                minimum = MINIMUM_PASSPHRASE_CHARACTERS
            )));
        }
        Ok(passphrase)
    }

    fn read_without_terminal(&self) -> Result<Zeroizing<String>> {
        match self {
            PassphraseSource::File(path) => {
                let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|error| {
                    Error::io(
                        msg!("passphrase.file_unreadable", file = path.display()),
                        error,
                    )
                })?);
                let first_line = text.lines().next().unwrap_or_default();
                Ok(Zeroizing::new(first_line.to_owned()))
            }
            PassphraseSource::Environment => {
                // The variable's own error would print the passphrase; it is left out.
                let value = std::env::var(PASSPHRASE_ENVIRONMENT_VARIABLE)
                    .map_err(|_| Error::Passphrase(msg!("passphrase.environment_invalid")))?;
                Ok(Zeroizing::new(value))
            }
            PassphraseSource::Given(GivenPassphrase(passphrase)) => Ok(passphrase.clone()),
            PassphraseSource::Terminal => unreachable!("handled by the callers"),
        }
    }
}

fn ask_on_terminal(prompt: &str) -> Result<Zeroizing<String>> {
    rpassword::prompt_password(prompt)
        .map(Zeroizing::new)
        .map_err(|error| Error::io(msg!("passphrase.no_terminal"), error))
}
