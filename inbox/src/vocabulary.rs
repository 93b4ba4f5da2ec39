//! Human labels for the tip vocabulary, from the shared translation tables in `vocabulary/` at
//! the workspace root (the widget reads the same files), compiled into the binary.

use std::collections::BTreeMap;

use fluister_envelope::tip::vocabulary::{HowKnown, Kind, Municipality, Role};
use serde::Deserialize;

use crate::region::Region;

/// A language the inbox can show tips in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Language {
    /// Dutch (the default).
    #[default]
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

/// One language's translation table, and the region's municipality names.
#[derive(Clone, Debug, Deserialize)]
pub struct Labels {
    /// The language code, e.g. `nl`.
    #[serde(rename = "language")]
    pub language_code: String,
    #[serde(skip)]
    language: Language,
    #[serde(skip)]
    region: Region,
    kinds: BTreeMap<String, String>,
    roles: BTreeMap<String, String>,
    how_known: BTreeMap<String, String>,
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
        let labels: Self =
            serde_json::from_str(table).expect("the vocabulary tables are valid JSON");
        Self { language, ..labels }
    }

    /// These labels, naming municipalities as `region` does.
    pub fn with_region(self, region: Region) -> Self {
        Self { region, ..self }
    }

    /// The language of these labels.
    pub fn language(&self) -> Language {
        self.language
    }

    /// The region whose municipalities these labels name.
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// The label of a kind; an identifier this version does not know is shown as it is.
    pub fn kind(&self, kind: &Kind) -> String {
        self.kinds
            .get(kind.as_str())
            .cloned()
            .unwrap_or_else(|| format!("({})", kind.as_str()))
    }

    /// The labels of several kinds, in the tip's order, joined by commas; `None` for none.
    pub fn kinds(&self, kinds: &[Kind]) -> Option<String> {
        (!kinds.is_empty()).then(|| {
            kinds
                .iter()
                .map(|kind| self.kind(kind))
                .collect::<Vec<_>>()
                .join(", ")
        })
    }

    /// The label of an answer to "how do you know this?".
    pub fn how_known(&self, how_known: &HowKnown) -> String {
        self.how_known
            .get(how_known.as_str())
            .cloned()
            .unwrap_or_else(|| format!("({})", how_known.as_str()))
    }

    /// The label of a reporter role.
    pub fn role(&self, role: &Role) -> String {
        self.roles
            .get(role.as_str())
            .cloned()
            .unwrap_or_else(|| format!("({})", role.as_str()))
    }

    /// The name of a municipality: as the region names it, the label for "other", or the
    /// identifier in brackets.
    pub fn municipality(&self, municipality: &Municipality) -> String {
        if let Some(name) = self.region.name_of(municipality.as_str()) {
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
            for how in HowKnown::ALL {
                assert!(!labels.how_known(how).starts_with('('), "{how}");
            }
            let other = labels.municipality(&Municipality::from_id("other"));
            assert!(!other.starts_with('('), "{other}");
            for signal_id in signals::all_signal_ids() {
                assert!(labels.signal(signal_id).is_some(), "{signal_id}");
            }
        }
        let dutch = Labels::for_language(Language::Nl);
        assert_eq!(
            dutch.kind(&Kind::from_id("forced_begging")),
            "(forced_begging)"
        );
        assert_eq!(
            dutch.kinds(&[Kind::Sexual, Kind::Criminal]).as_deref(),
            Some("Seksuele uitbuiting, Criminele uitbuiting")
        );
        assert_eq!(dutch.kinds(&[]), None);
        assert_eq!(
            dutch.how_known(&HowKnown::PersonToldMe),
            "De persoon heeft het mij verteld"
        );
        // Municipalities are named as the relay's region names them, else shown by id.
        assert_eq!(
            dutch.municipality(&Municipality::from_id("assen")),
            "(assen)"
        );
        let region = Region {
            name: "Drenthe".to_owned(),
            municipalities: vec![crate::region::RegionMunicipality {
                id: "assen".to_owned(),
                name: "Assen".to_owned(),
            }],
        };
        let dutch = dutch.with_region(region);
        assert_eq!(dutch.municipality(&Municipality::from_id("assen")), "Assen");
        assert_eq!(
            dutch.municipality(&Municipality::from_id("emmen")),
            "(emmen)"
        );
        assert_eq!(
            dutch.municipality(&Municipality::from_id("other")),
            "Andere gemeente of onbekend"
        );
        assert_eq!(dutch.language(), Language::Nl);
    }
}
