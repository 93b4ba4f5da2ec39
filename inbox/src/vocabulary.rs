//! Human labels for the tip vocabulary, from the shared translation tables in `vocabulary/` at
//! the workspace root (the widget reads the same files), compiled into the binary.

use std::collections::BTreeMap;

use fluister_envelope::tip::vocabulary::{Kind, Municipality, Role};
use serde::Deserialize;

/// A language the inbox can show tips in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Language {
    /// Dutch (the default).
    Nl,
    /// English.
    En,
}

/// One signal's label and its one-line explanation.
#[derive(Clone, Debug, Deserialize)]
pub struct SignalText {
    /// The short label the form shows next to the checkbox.
    pub label: String,
    /// One plain sentence explaining it.
    pub explanation: String,
}

/// One language's translation table.
#[derive(Clone, Debug, Deserialize)]
pub struct Labels {
    /// The language code, e.g. `nl`.
    pub language: String,
    kinds: BTreeMap<String, String>,
    roles: BTreeMap<String, String>,
    signal_groups: BTreeMap<String, String>,
    signals: BTreeMap<String, SignalText>,
    municipalities: BTreeMap<String, String>,
}

const DUTCH_TABLE: &str = include_str!("../../vocabulary/nl.json");
const ENGLISH_TABLE: &str = include_str!("../../vocabulary/en.json");

impl Labels {
    /// The table for `language`. The tables are checked by `envelope/tests/vocabulary.rs`, so
    /// parsing cannot fail in a tested build.
    pub fn for_language(language: Language) -> Self {
        let table = match language {
            Language::Nl => DUTCH_TABLE,
            Language::En => ENGLISH_TABLE,
        };
        serde_json::from_str(table).expect("the vocabulary tables are valid JSON")
    }

    /// The label of a kind; an identifier this version does not know is shown as it is.
    pub fn kind(&self, kind: &Kind) -> String {
        self.kinds
            .get(kind.as_str())
            .cloned()
            .unwrap_or_else(|| format!("({})", kind.as_str()))
    }

    /// The label of a reporter role.
    pub fn role(&self, role: &Role) -> String {
        self.roles
            .get(role.as_str())
            .cloned()
            .unwrap_or_else(|| format!("({})", role.as_str()))
    }

    /// The name of a municipality: its proper name, the label for "other", or the identifier.
    pub fn municipality(&self, municipality: &Municipality) -> String {
        if let Some(name) = municipality.display_name() {
            return name.to_owned();
        }
        self.municipalities
            .get(municipality.as_str())
            .cloned()
            .unwrap_or_else(|| format!("({})", municipality.as_str()))
    }

    /// The label of a signal group (`general`, `labour`, …).
    pub fn signal_group(&self, group_id: &str) -> String {
        self.signal_groups
            .get(group_id)
            .cloned()
            .unwrap_or_else(|| format!("({group_id})"))
    }

    /// A signal's label and explanation, or `None` for an identifier this version does not know.
    pub fn signal(&self, signal_id: &str) -> Option<&SignalText> {
        self.signals.get(signal_id)
    }
}

#[cfg(test)]
mod tests {
    use fluister_envelope::tip::vocabulary::signals;

    use super::*;

    #[test]
    fn both_tables_label_every_known_identifier() {
        for language in [Language::Nl, Language::En] {
            let labels = Labels::for_language(language);
            for kind in Kind::ALL {
                assert!(!labels.kind(kind).starts_with('('), "{kind}");
            }
            for role in Role::ALL {
                assert!(!labels.role(role).starts_with('('), "{role}");
            }
            for municipality in Municipality::ALL {
                assert!(!labels.municipality(municipality).starts_with('('));
            }
            for signal_id in signals::all_signal_ids() {
                assert!(labels.signal(signal_id).is_some(), "{signal_id}");
            }
        }
        let dutch = Labels::for_language(Language::Nl);
        assert_eq!(
            dutch.kind(&Kind::from_id("forced_begging")),
            "(forced_begging)"
        );
        assert_eq!(dutch.municipality(&Municipality::Assen), "Assen");
    }
}
