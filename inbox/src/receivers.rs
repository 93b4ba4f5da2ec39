//! The receivers' book: the agencies the coordinator hands cases to (the police's AVIM, the
//! labour inspectorate, Veilig Thuis, care, CoMensha, the municipality), each with the age key a
//! hand-over is sealed to and a note on how to reach them. Kept in `receivers.json` in the inbox
//! folder (public keys and contact notes, no secrets; owner-only all the same). The book starts
//! with the usual agencies, without keys: a key comes from the agency itself (`receivers set`).

use fluister_envelope::age::Recipient;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::home::{InboxHome, replace_file};
use crate::msg;

/// The longest name of a receiver, in characters.
pub const MAX_NAME_CHARS: usize = 60;

/// The longest contact note, in characters.
pub const MAX_NOTE_CHARS: usize = 300;

/// The agencies a new book starts with (names as the coordinator says them), without keys.
const DEFAULT_RECEIVERS: [&str; 6] = [
    "Politie (AVIM)",
    "Nederlandse Arbeidsinspectie",
    "Veilig Thuis",
    "Zorg en welzijn",
    "CoMensha",
    "Gemeente",
];

/// One receiver.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receiver {
    /// What the coordinator calls them.
    pub name: String,
    /// The age key (`age1…`) a hand-over is sealed to; empty until the agency gave one.
    #[serde(default)]
    pub key: String,
    /// How to reach them (a department, a phone number), in the coordinator's words.
    #[serde(default)]
    pub note: String,
}

impl Receiver {
    /// The key to seal to, if the receiver has a usable one.
    pub fn recipient(&self) -> Option<Recipient> {
        self.key.parse().ok()
    }
}

/// The book.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receivers {
    /// Format version.
    pub v: u32,
    /// The receivers, in the order they were added.
    pub receivers: Vec<Receiver>,
}

impl Default for Receivers {
    fn default() -> Self {
        Self {
            v: 1,
            receivers: DEFAULT_RECEIVERS
                .iter()
                .map(|name| Receiver {
                    name: (*name).to_owned(),
                    key: String::new(),
                    note: String::new(),
                })
                .collect(),
        }
    }
}

impl Receivers {
    /// The book in `receivers.json`, or the default one.
    pub fn load(home: &InboxHome) -> Result<Self> {
        let path = home.receivers_path();
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| Error::Unreadable {
                message: msg!("receivers.unreadable", file = path.display()),
                source,
            }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(error) => Err(Error::io(
                msg!("io.cannot_read", file = path.display()),
                error,
            )),
        }
    }

    /// Writes `receivers.json` (owner-only, replaced atomically).
    pub fn save(&self, home: &InboxHome) -> Result<()> {
        let mut json = serde_json::to_vec_pretty(self).expect("the receivers' book serializes");
        json.push(b'\n');
        home.create_directories()?;
        replace_file(&home.receivers_path(), &json)
    }

    /// The receiver called `name` (without regard to case).
    pub fn find(&self, name: &str) -> Option<&Receiver> {
        let name = name.trim();
        self.receivers
            .iter()
            .find(|receiver| receiver.name.eq_ignore_ascii_case(name))
    }

    /// Adds a receiver or changes one (by name, without regard to case): its key and, when
    /// given, its note. Refuses a name or note that is too long or has control characters, and
    /// a key that is not an age key.
    pub fn set(&mut self, name: &str, key: Option<&str>, note: Option<&str>) -> Result<()> {
        let name = name.trim();
        let plain = |text: &str| crate::render::sanitise(text, false) == text;
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || !plain(name) {
            return Err(Error::Usage(msg!(
                "receivers.bad_name",
                maximum = MAX_NAME_CHARS
            )));
        }
        if let Some(note) = note
            && (note.chars().count() > MAX_NOTE_CHARS || !plain(note.trim()))
        {
            return Err(Error::Usage(msg!(
                "receivers.bad_note",
                maximum = MAX_NOTE_CHARS
            )));
        }
        let key = match key {
            Some(key) => {
                let key = key.trim();
                key.parse::<Recipient>()
                    .map_err(|_| Error::Usage(msg!("receivers.bad_key")))?;
                Some(key.to_owned())
            }
            None => None,
        };
        let index = match self
            .receivers
            .iter()
            .position(|receiver| receiver.name.eq_ignore_ascii_case(name))
        {
            Some(index) => index,
            None => {
                self.receivers.push(Receiver {
                    name: name.to_owned(),
                    key: String::new(),
                    note: String::new(),
                });
                self.receivers.len() - 1
            }
        };
        let receiver = &mut self.receivers[index];
        if let Some(key) = key {
            receiver.key = key;
        }
        if let Some(note) = note {
            receiver.note = note.trim().to_owned();
        }
        Ok(())
    }

    /// Removes the receiver called `name`; `false` if there was none.
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.receivers.len();
        self.receivers
            .retain(|receiver| !receiver.name.eq_ignore_ascii_case(name.trim()));
        self.receivers.len() != before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_book_starts_with_the_usual_agencies_and_takes_keys_and_notes() {
        let mut book = Receivers::default();
        assert!(book.find("veilig thuis").is_some());
        assert!(book.find("Politie (AVIM)").unwrap().recipient().is_none());
        let key = fluister_envelope::age::Identity::generate()
            .unwrap()
            .to_recipient()
            .to_string();
        book.set(
            "politie (avim)",
            Some(&key),
            Some("team AVIM Noord-Nederland"),
        )
        .unwrap();
        let police = book.find("Politie (AVIM)").unwrap();
        assert_eq!(police.key, key);
        assert_eq!(police.note, "team AVIM Noord-Nederland");
        assert_eq!(book.receivers.len(), 6, "changed, not added");
        assert!(
            book.set("Politie", Some("AGE-SECRET-KEY-1XYZ"), None)
                .is_err()
        );
        assert!(book.set("", None, None).is_err());
        assert!(book.set("a\u{202e}b", None, None).is_err());
        assert!(book.set(&"x".repeat(61), None, None).is_err());
        assert!(book.remove("CoMensha"));
        assert!(!book.remove("CoMensha"));
    }
}
