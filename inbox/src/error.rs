//! The one error type of the inbox library.

use std::fmt;
use std::path::PathBuf;

use crate::msg;

/// Everything that can stop an inbox command.
///
/// Each variant's text is a sentence for the coordinator that says what to do next; the
/// variants with a `source` keep what failed underneath, which the command line prints after
/// the sentence as "because: …" (see [`std::error::Error::source`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The command was asked for something it cannot do: a tip number or file that does not
    /// exist, a filter or quarter that is not one, an empty note or message, a tip without a
    /// mailbox, a deletion that was not confirmed.
    Usage(String),
    /// The inbox is not ready for the command: no key or no relay connection yet, a key already
    /// there for `keygen`, no home folder to put the inbox in, a token that is not one.
    NotSetUp(String),
    /// The key file cannot be used: missing, unreadable, damaged, or the wrong passphrase.
    Key(String),
    /// The passphrase cannot be read, or `keygen` does not accept it.
    Passphrase(String),
    /// Another `fluister-inbox` holds the lock of the inbox folder at this path.
    Busy(PathBuf),
    /// The relay cannot be reached, refused the token, or answered with an error or something
    /// this inbox does not expect.
    Relay(String),
    /// A tip, or the triage notes, did not open with the coordinator's key.
    NotOpened(String),
    /// `status` found this many problems, each already printed.
    Problems(usize),
    /// A file, a folder, the terminal or standard input could not be read or written.
    Io {
        /// What could not be done, and what to do about it.
        message: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// An input or output error with nothing to add to the operating system's words (for
    /// example, standard output was closed).
    UnexplainedIo(std::io::Error),
    /// A file of the inbox, or an answer of the relay, is not the JSON this inbox expects.
    Unreadable {
        /// Which file or answer, and what to do about it.
        message: String,
        /// What the JSON parser found.
        source: serde_json::Error,
    },
    /// Making a key or sealing failed.
    Crypto {
        /// What was being made or sealed.
        message: String,
        /// The envelope's (deliberately coarse) error.
        source: fluister_envelope::Error,
    },
    /// The operating system gave no random numbers.
    Randomness(getrandom::Error),
    /// An earlier error, and what it means for the command that was running (the pull stopped
    /// early, the reply was sent but not stored here).
    Interrupted {
        /// What the command had done, and how to go on.
        message: String,
        /// The error that stopped it.
        source: Box<Error>,
    },
}

impl Error {
    /// `source` with `message` in front: what it meant for the command that was running.
    pub fn interrupted(message: impl Into<String>, source: Error) -> Self {
        Error::Interrupted {
            message: message.into(),
            source: Box::new(source),
        }
    }

    /// An I/O `source` with `message` in front, naming what could not be read or written.
    pub fn io(message: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            message: message.into(),
            source,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(message)
            | Error::NotSetUp(message)
            | Error::Key(message)
            | Error::Passphrase(message)
            | Error::Relay(message)
            | Error::NotOpened(message)
            | Error::Io { message, .. }
            | Error::Unreadable { message, .. }
            | Error::Crypto { message, .. }
            | Error::Interrupted { message, .. } => formatter.write_str(message),
            Error::Busy(root) => formatter.write_str(&msg!("error.busy", folder = root.display())),
            Error::Problems(count) => formatter.write_str(&msg!("error.problems", count = count)),
            Error::UnexplainedIo(error) => error.fmt(formatter),
            Error::Randomness(_) => formatter.write_str(&msg!("error.randomness")),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            // The error itself is the message; what caused it comes next.
            Error::UnexplainedIo(error) => error.source(),
            Error::Unreadable { source, .. } => Some(source),
            Error::Crypto { source, .. } => Some(source),
            Error::Randomness(source) => Some(source),
            Error::Interrupted { source, .. } => Some(source.as_ref()),
            Error::Usage(_)
            | Error::NotSetUp(_)
            | Error::Key(_)
            | Error::Passphrase(_)
            | Error::Busy(_)
            | Error::Relay(_)
            | Error::NotOpened(_)
            | Error::Problems(_) => None,
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    /// What the command line prints: the error, then each cause on its own line.
    fn printed(error: &Error) -> String {
        let mut text = error.to_string();
        let mut cause = std::error::Error::source(error);
        while let Some(error) = cause {
            text.push_str(&format!("\n  because: {error}"));
            cause = error.source();
        }
        text
    }

    #[test]
    fn causes_follow_the_sentence_they_explain() {
        let error = Error::interrupted(
            "the pull stopped early",
            Error::io(
                "cannot store a tip",
                std::io::Error::other("No space left on device"),
            ),
        );
        assert_eq!(
            printed(&error),
            "the pull stopped early\n  because: cannot store a tip\n  because: No space left on device"
        );
        assert_eq!(
            printed(&Error::UnexplainedIo(std::io::Error::other("Broken pipe"))),
            "Broken pipe"
        );
        // The unit tests run in Dutch, the default language.
        assert_eq!(
            printed(&Error::Problems(2)),
            "2 problemen gevonden; zie hierboven"
        );
    }
}
