//! The translation tables: one JSON file per language, holding the widget's own strings (`ui`,
//! from `widget/i18n/<lang>.json`) and the labels of the tip vocabulary (`vocabulary`, from the
//! workspace's `vocabulary/<lang>.json`). `cargo xtask widget` joins the two into one hashed
//! asset per language; the widget fetches only the language in use.

use std::collections::BTreeMap;

use js_sys::{Array, JSON, Object};
use wasm_bindgen::{JsCast, JsValue};

use crate::crypto_worker::{field, string_field};

/// The language used when the script tag names none, or one the widget does not have.
pub const DEFAULT_LANGUAGE: &str = "nl";

/// One language's strings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Translations {
    /// The widget's own strings, by key.
    pub ui: BTreeMap<String, String>,
    /// The labels of kinds, roles, signals and municipalities.
    pub vocabulary: VocabularyLabels,
}

/// The labels of the tip vocabulary in one language (the format of `vocabulary/<lang>.json`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VocabularyLabels {
    /// The language code, such as `nl`.
    pub language: String,
    /// Kind identifier → label.
    pub kinds: BTreeMap<String, String>,
    /// Role identifier → label.
    pub roles: BTreeMap<String, String>,
    /// Signal group identifier → heading.
    pub signal_groups: BTreeMap<String, String>,
    /// Signal identifier → label and one-line explanation.
    pub signals: BTreeMap<String, SignalText>,
    /// Labels for municipalities without an official name (`other`).
    pub municipalities: BTreeMap<String, String>,
}

/// A signal's label and its one-line plain explanation.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SignalText {
    /// The checkbox label.
    pub label: String,
    /// One plain sentence under it.
    pub explanation: String,
}

impl Translations {
    /// Parses a joined translation asset (with the browser's JSON parser). Entries that are not
    /// strings are left out, and show as their keys.
    pub fn from_json(text: &str) -> Option<Self> {
        let table = JSON::parse(text).ok()?;
        let vocabulary = field(&table, "vocabulary");
        let signals = entries(&field(&vocabulary, "signals"))
            .map(|(id, signal)| {
                let text = SignalText {
                    label: string_field(&signal, "label").unwrap_or_else(|| id.clone()),
                    explanation: string_field(&signal, "explanation").unwrap_or_default(),
                };
                (id, text)
            })
            .collect();
        Some(Self {
            ui: string_map(&field(&table, "ui")),
            vocabulary: VocabularyLabels {
                language: string_field(&vocabulary, "language").unwrap_or_default(),
                kinds: string_map(&field(&vocabulary, "kinds")),
                roles: string_map(&field(&vocabulary, "roles")),
                signal_groups: string_map(&field(&vocabulary, "signal_groups")),
                signals,
                municipalities: string_map(&field(&vocabulary, "municipalities")),
            },
        })
    }

    /// The UI string under `key`. A missing key shows as the key itself, which the tests catch
    /// (every table must have every key), rather than as a blank.
    pub fn text(&self, key: &str) -> String {
        self.ui.get(key).cloned().unwrap_or_else(|| key.to_owned())
    }

    /// The UI string under `key` with each `{name}` replaced by its value.
    pub fn format(&self, key: &str, values: &[(&str, &str)]) -> String {
        let mut text = self.text(key);
        for (name, value) in values {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// The label of a kind of exploitation.
    pub fn kind_label(&self, kind_id: &str) -> String {
        label_or_id(&self.vocabulary.kinds, kind_id)
    }

    /// The label of a reporter role.
    pub fn role_label(&self, role_id: &str) -> String {
        label_or_id(&self.vocabulary.roles, role_id)
    }

    /// The heading of a signal group.
    pub fn signal_group_label(&self, group_id: &str) -> String {
        label_or_id(&self.vocabulary.signal_groups, group_id)
    }

    /// A signal's label and explanation.
    pub fn signal(&self, signal_id: &str) -> SignalText {
        self.vocabulary
            .signals
            .get(signal_id)
            .cloned()
            .unwrap_or_else(|| SignalText {
                label: signal_id.to_owned(),
                explanation: String::new(),
            })
    }

    /// The label of a municipality: its official name, or the translated label of `other`.
    pub fn municipality_label(
        &self,
        municipality: &fluister_envelope::tip::vocabulary::Municipality,
    ) -> String {
        match municipality.display_name() {
            Some(name) => name.to_owned(),
            None => label_or_id(&self.vocabulary.municipalities, municipality.as_str()),
        }
    }
}

/// The `[key, value]` pairs of a JSON object (none for anything else).
fn entries(object: &JsValue) -> impl Iterator<Item = (String, JsValue)> {
    object
        .dyn_ref::<Object>()
        .map(|object| Object::entries(object).to_vec())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|entry| {
            let entry: Array = entry.dyn_into().ok()?;
            Some((entry.get(0).as_string()?, entry.get(1)))
        })
}

/// The string values of a JSON object, by key.
fn string_map(object: &JsValue) -> BTreeMap<String, String> {
    entries(object)
        .filter_map(|(key, value)| Some((key, value.as_string()?)))
        .collect()
}

fn label_or_id(labels: &BTreeMap<String, String>, id: &str) -> String {
    labels.get(id).cloned().unwrap_or_else(|| id.to_owned())
}

/// One language the widget offers: its code, its name in itself, and its asset file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LanguageAsset {
    /// The code, such as `pl`.
    pub code: String,
    /// The language's name in that language, such as `Polski`.
    pub name: String,
    /// The hashed file name of its joined table, relative to the widget's directory.
    pub file: String,
}

/// Reads the language list that `cargo xtask widget` writes into the iframe document.
pub fn parse_language_assets(text: &str) -> Vec<LanguageAsset> {
    let Ok(list) = JSON::parse(text).and_then(|list| list.dyn_into::<Array>()) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|language| {
            Some(LanguageAsset {
                code: string_field(&language, "code")?,
                name: string_field(&language, "name")?,
                file: string_field(&language, "file")?,
            })
        })
        .collect()
}

/// The language to start in: the requested one when the widget has it, else Dutch.
pub fn choose_language<'a>(
    requested: Option<&str>,
    available: &'a [LanguageAsset],
) -> Option<&'a LanguageAsset> {
    let requested = requested.map(|code| code.trim().to_ascii_lowercase());
    requested
        .and_then(|code| available.iter().find(|language| language.code == code))
        .or_else(|| {
            available
                .iter()
                .find(|language| language.code == DEFAULT_LANGUAGE)
        })
        .or_else(|| available.first())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn languages() -> Vec<LanguageAsset> {
        [("nl", "Nederlands"), ("pl", "Polski")]
            .into_iter()
            .map(|(code, name)| LanguageAsset {
                code: code.into(),
                name: name.into(),
                file: format!("{code}-0123abcd.json"),
            })
            .collect()
    }

    #[test]
    fn the_requested_language_is_chosen_when_available_and_dutch_otherwise() {
        let available = languages();
        assert_eq!(choose_language(Some("PL"), &available).unwrap().code, "pl");
        assert_eq!(choose_language(Some("fr"), &available).unwrap().code, "nl");
        assert_eq!(choose_language(None, &available).unwrap().code, "nl");
        assert!(choose_language(None, &[]).is_none());
    }

    #[test]
    fn placeholders_are_filled_in() {
        let mut translations = Translations::default();
        translations
            .ui
            .insert("step_of".into(), "Stap {current} van {total}".into());
        assert_eq!(
            translations.format("step_of", &[("current", "2"), ("total", "8")]),
            "Stap 2 van 8"
        );
        assert_eq!(translations.text("missing_key"), "missing_key");
    }
}
