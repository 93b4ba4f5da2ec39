//! The translation tables: one JSON file per language, holding the widget's own strings (`ui`,
//! from `widget/i18n/<lang>.json`) and the labels of the tip vocabulary (`vocabulary`, from the
//! workspace's `vocabulary/<lang>.json`). `cargo xtask widget` joins the two into one hashed
//! asset per language; the widget fetches only the language in use.

use js_sys::{Array, JSON};
use wasm_bindgen::{JsCast, JsValue};

use crate::js::{field, string_field};
use crate::plural::plural_category;

/// The language used when the script tag names none, or one the widget does not have.
pub const DEFAULT_LANGUAGE: &str = "nl";

/// One language's strings: the parsed table itself, read with the browser's own lookups (no maps
/// or sorting in this module). Cloning is cheap: it is a handle to the same JavaScript object.
#[derive(Clone, Debug)]
pub struct Translations {
    /// The language's code, such as `pl`: it chooses the plural rule.
    language: String,
    table: JsValue,
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
    /// Parses the joined translation asset of `language`, `{"ui": {...}, "vocabulary": {...}}`,
    /// with the browser's JSON parser.
    pub fn from_json(language: &str, text: &str) -> Option<Self> {
        let table = JSON::parse(text).ok()?;
        field(&table, "ui").is_object().then(|| Self {
            language: language.to_owned(),
            table,
        })
    }

    /// The string at `key` of the object at the path `section` (such as `vocabulary.kinds`).
    fn lookup(&self, section: &[&str], key: &str) -> Option<String> {
        let object = section
            .iter()
            .fold(self.table.clone(), |object, name| field(&object, name));
        string_field(&object, key)
    }

    /// The UI string under `key`. A missing key shows as the key itself, which the tests catch
    /// (every table must have every key), rather than as a blank.
    pub fn text(&self, key: &str) -> String {
        self.label(&["ui"], key)
    }

    /// The UI string under `key` with each `{name}` replaced by its value.
    pub fn format(&self, key: &str, values: &[(&str, &str)]) -> String {
        fill_placeholders(self.text(key), values)
    }

    /// The UI string under `key` that holds a count: the table has one text per plural category
    /// (`{"one": "...", "other": "..."}`), and the language's rule picks the one for `count`
    /// (falling back to `other`), whose `{count}` is then filled in, as are `values`.
    pub fn plural(&self, key: &str, count: u64, values: &[(&str, &str)]) -> String {
        fill_plural(
            &self.language,
            count,
            |category| self.lookup(&["ui", key], category),
            values,
        )
        .unwrap_or_else(|| key.to_owned())
    }

    /// The label of a kind of exploitation.
    pub fn kind_label(&self, kind_id: &str) -> String {
        self.label(&["vocabulary", "kinds"], kind_id)
    }

    /// The example line under a kind's label ("For example forced prostitution ...").
    pub fn kind_example(&self, kind_id: &str) -> String {
        self.lookup(&["vocabulary", "kind_examples"], kind_id)
            .unwrap_or_default()
    }

    /// The label of an answer to "How do you know this?".
    pub fn how_known_label(&self, how_known_id: &str) -> String {
        self.label(&["vocabulary", "how_known"], how_known_id)
    }

    /// The label of a reporter role.
    pub fn role_label(&self, role_id: &str) -> String {
        self.label(&["vocabulary", "roles"], role_id)
    }

    /// The heading of a signal group.
    pub fn signal_group_label(&self, group_id: &str) -> String {
        self.label(&["vocabulary", "signal_groups"], group_id)
    }

    /// A signal's label and explanation (its identifier when the table has no label).
    pub fn signal(&self, signal_id: &str) -> SignalText {
        let section = ["vocabulary", "signals", signal_id];
        SignalText {
            label: self
                .lookup(&section, "label")
                .unwrap_or_else(|| signal_id.to_owned()),
            explanation: self.lookup(&section, "explanation").unwrap_or_default(),
        }
    }

    /// A signal as the reporter says it about themselves ("I am afraid"), for a report about
    /// the reporter: the first-person label and no explanation (the explanations speak of "the
    /// person"). Falls back to [`Translations::signal`] when the table has no such label.
    pub fn signal_about_me(&self, signal_id: &str) -> SignalText {
        match self.lookup(&["vocabulary", "signals", signal_id], "label_me") {
            Some(label) => SignalText {
                label,
                explanation: String::new(),
            },
            None => self.signal(signal_id),
        }
    }

    /// The label of a municipality: `name` as the relay's config gives it, else the
    /// translated label of `other` (or the identifier itself).
    pub fn municipality_label(
        &self,
        municipality: &fluister_envelope::tip::vocabulary::Municipality,
        name: Option<&str>,
    ) -> String {
        match name {
            Some(name) => name.to_owned(),
            None => self.label(&["vocabulary", "municipalities"], municipality.as_str()),
        }
    }

    /// The string at `section.id`, or `id` itself when the table has none.
    fn label(&self, section: &[&str], id: &str) -> String {
        self.lookup(section, id).unwrap_or_else(|| id.to_owned())
    }
}

/// `text` with each `{name}` replaced by its value.
pub fn fill_placeholders(mut text: String, values: &[(&str, &str)]) -> String {
    for (name, value) in values {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

/// The text for `count` in `language` among one text per plural category (`text_of` looks a
/// category up; `other` is the fallback), with `{count}` and `values` filled in.
pub fn fill_plural(
    language: &str,
    count: u64,
    text_of: impl Fn(&str) -> Option<String>,
    values: &[(&str, &str)],
) -> Option<String> {
    let text = text_of(plural_category(language, count).as_str()).or_else(|| text_of("other"))?;
    let count = count.to_string();
    let values: Vec<(&str, &str)> = [("count", count.as_str())]
        .into_iter()
        .chain(values.iter().copied())
        .collect();
    Some(fill_placeholders(text, &values))
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

    /// Polish "times" after a count, as the tables hold it.
    fn polish_times(category: &str) -> Option<String> {
        match category {
            "one" => Some("{count} raz".into()),
            "few" => Some("{count} razy ({who})".into()),
            "many" => Some("{count} razy".into()),
            _ => None,
        }
    }

    #[test]
    fn a_count_picks_the_text_of_its_plural_category_and_fills_it_in() {
        let times = |count| fill_plural("pl", count, polish_times, &[("who", "ty")]).unwrap();
        assert_eq!(times(1), "1 raz");
        assert_eq!(times(2), "2 razy (ty)");
        assert_eq!(times(5), "5 razy");
        // A category the table lacks falls back to `other`, and no text at all is `None`.
        let english = |category: &str| (category == "other").then(|| "{count} times".to_owned());
        assert_eq!(fill_plural("en", 1, english, &[]).unwrap(), "1 times");
        assert_eq!(fill_plural("en", 1, |_| None, &[]), None);
    }

    #[test]
    fn placeholders_are_filled_in() {
        assert_eq!(
            fill_placeholders(
                "Stap {current} van {total}".into(),
                &[("current", "2"), ("total", "8")]
            ),
            "Stap 2 van 8"
        );
    }
}
