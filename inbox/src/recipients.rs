//! The coordinator's own set of keys: the public keys (`age1…`) the inbox seals its own files to
//! (the triage book now), kept in `recipients.txt` in the inbox folder. The coordinator chooses
//! them with `fluister-inbox keys add` and `keys remove`: their own key, the offline backup key,
//! a successor's key. The relay's list of recipients never changes this set by itself (the relay
//! is not trusted to decide who can read the notes); `status` only compares the two and warns.
//!
//! The file is an age recipients file (`age -e -R recipients.txt` reads it): one key a line,
//! `#` lines are comments. The comment line right above a key is its name.

use std::fmt::Write as _;

use fluister_envelope::age::Recipient;

use crate::error::{Error, Result};
use crate::home::{InboxHome, replace_file};
use crate::vocabulary::Language;

/// One key of the set, with the name the coordinator gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecipientEntry {
    /// The public key.
    pub recipient: Recipient,
    /// What it is, in the coordinator's words ("reservesleutel"); may be empty.
    pub name: String,
}

/// The coordinator's own set of keys, in the order they were added.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecipientSet {
    entries: Vec<RecipientEntry>,
}

impl RecipientSet {
    /// The set in `recipients.txt`. Without that file (an inbox from before it existed), the set
    /// is the inbox's own key from `recipient.txt`, if there is one.
    pub fn load(home: &InboxHome, language: Language) -> Result<Self> {
        let path = home.recipients_path();
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&text).map_err(|line_number| {
                Error::NotSetUp(crate::msg_in!(
                    language,
                    "recipients.bad_line",
                    file = path.display(),
                    line_number = line_number
                ))
            }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let mut set = Self::default();
                if let Some(own) = own_recipient(home) {
                    set.add(own, &own_key_name(language));
                }
                Ok(set)
            }
            Err(error) => Err(Error::io(format!("cannot read {}", path.display()), error)),
        }
    }

    /// Reads the file's text; on a line that is neither a comment, empty, nor a key, its
    /// (1-based) number.
    fn parse(text: &str) -> std::result::Result<Self, usize> {
        let mut set = Self::default();
        let mut comment_above: Option<&str> = None;
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if let Some(comment) = line.strip_prefix('#') {
                comment_above = Some(comment.trim());
                continue;
            }
            if line.is_empty() {
                comment_above = None;
                continue;
            }
            let recipient: Recipient = line.parse().map_err(|_| index + 1)?;
            set.add(recipient, comment_above.take().unwrap_or_default());
        }
        Ok(set)
    }

    /// The file's text: a short explanation, then each key with its name above it.
    pub fn to_file_text(&self) -> String {
        let mut text = String::from(
            "# Fluister: uw eigen sleutelset. Notities en statussen (triage.age) worden versleuteld\n\
             # voor elke sleutel hieronder. Wijzigen: fluister-inbox keys add / keys remove.\n\
             # Fluister: your own set of keys. Notes and statuses (triage.age) are sealed to every\n\
             # key below. To change it: fluister-inbox keys add / keys remove.\n",
        );
        for entry in &self.entries {
            text.push('\n');
            if !entry.name.is_empty() {
                let _ = writeln!(text, "# {}", entry.name);
            }
            let _ = writeln!(text, "{}", entry.recipient);
        }
        text
    }

    /// Replaces `recipients.txt` atomically with this set.
    pub fn save(&self, home: &InboxHome) -> Result<()> {
        home.create_directories()?;
        replace_file(&home.recipients_path(), self.to_file_text().as_bytes())
    }

    /// The keys, in the order they were added.
    pub fn entries(&self) -> &[RecipientEntry] {
        &self.entries
    }

    /// Whether `recipient` is in the set.
    pub fn contains(&self, recipient: &Recipient) -> bool {
        self.entries
            .iter()
            .any(|entry| &entry.recipient == recipient)
    }

    /// Adds `recipient` with `name` (control characters and line breaks removed); returns
    /// `false` if it was there already (its name is then kept).
    pub fn add(&mut self, recipient: Recipient, name: &str) -> bool {
        if self.contains(&recipient) {
            return false;
        }
        let name: String = name
            .chars()
            .map(|character| {
                if character.is_control() {
                    ' '
                } else {
                    character
                }
            })
            .collect();
        self.entries.push(RecipientEntry {
            recipient,
            name: name.trim().to_owned(),
        });
        true
    }

    /// Removes `recipient`; returns `false` if it was not in the set.
    pub fn remove(&mut self, recipient: &Recipient) -> bool {
        let before = self.entries.len();
        self.entries.retain(|entry| &entry.recipient != recipient);
        self.entries.len() != before
    }

    /// Everything the inbox seals its own files to: the set, and `unlocking` (the key this
    /// command runs with), so whoever writes a file can always read it back.
    pub fn sealing_recipients(&self, unlocking: &Recipient) -> Vec<Recipient> {
        let mut recipients: Vec<Recipient> =
            self.entries.iter().map(|entry| entry.recipient).collect();
        if !recipients.contains(unlocking) {
            recipients.push(*unlocking);
        }
        recipients
    }

    /// How many of the relay's recipients are not in this set (or not keys at all): readers the
    /// coordinator did not pin. Any is a problem, not a warning: it may read every new tip.
    pub fn readers_only_the_relay_lists(&self, relay_recipients: &[String]) -> usize {
        relay_recipients
            .iter()
            .filter(|text| {
                text.parse::<Recipient>()
                    .map_or(true, |recipient| !self.contains(&recipient))
            })
            .count()
    }

    /// What `status` says about the relay's recipients (`relay_recipients`, as the relay lists
    /// them) compared with this set: first one line per key the relay seals tips to that is not
    /// in the set (as many as [`RecipientSet::readers_only_the_relay_lists`] counts: each is a
    /// reader nobody here chose), then one per key of the set the relay does not seal tips to.
    pub fn compare_with_relay(
        &self,
        relay_recipients: &[String],
        language: Language,
    ) -> Vec<String> {
        let mut warnings = Vec::new();
        let mut listed_by_relay = Vec::new();
        for text in relay_recipients {
            match text.parse::<Recipient>() {
                Ok(recipient) => {
                    listed_by_relay.push(recipient);
                    if !self.contains(&recipient) {
                        warnings.push(crate::msg_in!(
                            language,
                            "recipients.relay_extra",
                            recipient = recipient
                        ));
                    }
                }
                Err(_) => warnings.push(crate::msg_in!(
                    language,
                    "recipients.relay_not_a_key",
                    key = crate::render::sanitise(text, false)
                )),
            }
        }
        for entry in &self.entries {
            if !listed_by_relay.contains(&entry.recipient) {
                let recipient = entry.recipient;
                let name = if entry.name.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", entry.name)
                };
                warnings.push(crate::msg_in!(
                    language,
                    "recipients.relay_missing",
                    name = name,
                    recipient = recipient
                ));
            }
        }
        warnings
    }
}

/// The inbox's own public key, as `keygen` wrote it to `recipient.txt`.
pub fn own_recipient(home: &InboxHome) -> Option<Recipient> {
    std::fs::read_to_string(home.recipient_path())
        .ok()
        .and_then(|text| text.trim().parse().ok())
}

/// The name the own key gets in the set.
pub fn own_key_name(language: Language) -> String {
    crate::msg_in!(language, "recipients.own_key_name")
}

#[cfg(test)]
mod tests {
    use super::*;
    use fluister_envelope::age::Identity;

    fn recipient() -> Recipient {
        Identity::generate().unwrap().to_recipient()
    }

    #[test]
    fn the_file_keeps_keys_and_their_names_and_is_an_age_recipients_file() {
        let (own, backup) = (recipient(), recipient());
        let mut set = RecipientSet::default();
        assert!(set.add(own, "eigen sleutel"));
        assert!(set.add(backup, "reserve\nsleutel"));
        assert!(!set.add(backup, "twice"));
        let text = set.to_file_text();
        // Every line is a comment, empty, or a key: what `age -R` accepts.
        for line in text.lines() {
            assert!(
                line.is_empty() || line.starts_with('#') || line.parse::<Recipient>().is_ok(),
                "{line}"
            );
        }
        let read = RecipientSet::parse(&text).unwrap();
        assert_eq!(read, set);
        assert_eq!(read.entries()[1].name, "reserve sleutel");
        assert_eq!(RecipientSet::parse("# a\nage1nope\n"), Err(2));
    }

    #[test]
    fn sealing_always_includes_the_unlocking_key_once() {
        let (own, backup, other) = (recipient(), recipient(), recipient());
        let mut set = RecipientSet::default();
        set.add(own, "");
        set.add(backup, "");
        assert_eq!(set.sealing_recipients(&backup), vec![own, backup]);
        assert_eq!(set.sealing_recipients(&other), vec![own, backup, other]);
        assert!(set.remove(&backup));
        assert!(!set.remove(&backup));
        assert_eq!(set.sealing_recipients(&own), vec![own]);
    }

    #[test]
    fn status_warns_about_keys_on_one_side_only() {
        let (own, backup, stranger) = (recipient(), recipient(), recipient());
        let mut set = RecipientSet::default();
        set.add(own, "");
        set.add(backup, "reservesleutel");
        let same = [own.to_string(), backup.to_string()];
        assert!(set.compare_with_relay(&same, Language::En).is_empty());
        let warnings =
            set.compare_with_relay(&[own.to_string(), stranger.to_string()], Language::En);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains(&stranger.to_string()) && warnings[0].contains("keys add"));
        assert!(warnings[1].contains("(reservesleutel)") && warnings[1].contains("does NOT"));
    }
}
