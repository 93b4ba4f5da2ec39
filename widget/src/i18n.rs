//! The translation tables: one JSON file per language, holding the widget's own strings (`ui`,
//! from `widget/i18n/<lang>.json`) and the labels of the tip vocabulary (`vocabulary`, from the
//! workspace's `vocabulary/<lang>.json`). `cargo xtask widget` joins the two into one hashed
//! asset per language; the widget fetches only the language in use.

use js_sys::{Array, JSON};
use wasm_bindgen::{JsCast, JsValue};

use crate::plural::plural_category;
use fluister_widget_js::{field, string_field};

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

    /// The language's code, such as `pl`.
    pub fn language(&self) -> &str {
        &self.language
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

/// One language the widget offers: its code, its name in itself, its writing direction, and its
/// asset file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LanguageAsset {
    /// The code, such as `pl`.
    pub code: String,
    /// The language's name in that language, such as `Polski`.
    pub name: String,
    /// `rtl` for a language written right to left (Arabic), else `ltr`: the `dir` of the frame's
    /// root, so the whole form mirrors.
    pub direction: &'static str,
    /// The hashed file name of its joined table, relative to the widget's directory.
    pub file: String,
}

/// Reads the language list that `cargo xtask widget` writes into the iframe document (each
/// language's `dir` from CLDR's data, through the packaging script's `Intl.Locale`). Anything but
/// `rtl` is left to right.
pub fn parse_language_assets(text: &str) -> Vec<LanguageAsset> {
    let Ok(list) = JSON::parse(text).and_then(|list| list.dyn_into::<Array>()) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|language| {
            Some(LanguageAsset {
                code: string_field(&language, "code")?,
                name: string_field(&language, "name")?,
                direction: text_direction(string_field(&language, "dir").as_deref()),
                file: string_field(&language, "file")?,
            })
        })
        .collect()
}

/// The `dir` attribute for a language list's `dir` field: `rtl` only when it says so.
pub fn text_direction(dir: Option<&str>) -> &'static str {
    match dir {
        Some("rtl") => "rtl",
        _ => "ltr",
    }
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
                direction: "ltr",
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
    fn only_rtl_mirrors_the_form() {
        assert_eq!(text_direction(Some("rtl")), "rtl");
        assert_eq!(text_direction(Some("ltr")), "ltr");
        assert_eq!(text_direction(Some("RTL; color: red")), "ltr");
        assert_eq!(text_direction(None), "ltr");
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

/// The translation tables themselves (`widget/i18n/*.json` and the workspace's
/// `vocabulary/*.json`), read from disk: every language has every key, and every counted string
/// takes the form its language's plural rule asks for.
#[cfg(test)]
mod table_tests {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    use serde_json::{Map, Value};

    use super::fill_plural;
    use crate::plural::plural_category;

    /// The languages the widget ships, in the order of its language menu.
    const LANGUAGES: [&str; 8] = ["nl", "en", "pl", "ro", "bg", "uk", "es", "ar"];

    fn read_table(directory: &Path, language: &str) -> Map<String, Value> {
        let path = directory.join(format!("{language}.json"));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        serde_json::from_str(&text)
            .unwrap_or_else(|error| panic!("{}: not a JSON object: {error}", path.display()))
    }

    fn ui_table(language: &str) -> Map<String, Value> {
        read_table(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("i18n"),
            language,
        )
    }

    fn vocabulary_table(language: &str) -> Map<String, Value> {
        let directory: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("vocabulary");
        read_table(&directory, language)
    }

    /// The `{name}` placeholders in `text`.
    fn placeholders(text: &str) -> BTreeSet<String> {
        text.split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
            .collect()
    }

    /// Every path to a string in a nested table (`signals.general.seems_afraid.label`), and its
    /// text.
    fn strings(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
        match value {
            Value::String(text) => out.push((prefix.to_owned(), text.clone())),
            Value::Object(object) => {
                for (key, value) in object {
                    strings(&format!("{prefix}.{key}"), value, out);
                }
            }
            other => out.push((prefix.to_owned(), format!("not a string: {other}"))),
        }
    }

    /// The plural categories whole numbers reach in `language` (CLDR's rules in `plural.rs`).
    fn categories_used(language: &str) -> BTreeSet<&'static str> {
        (0..1200)
            .chain([1_000_000])
            .map(|count| plural_category(language, count).as_str())
            .collect()
    }

    #[test]
    fn the_list_of_languages_is_the_list_of_tables() {
        let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("i18n");
        let mut on_disk: Vec<String> = std::fs::read_dir(directory)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter_map(|name| name.strip_suffix(".json").map(str::to_owned))
            .collect();
        on_disk.sort();
        let mut expected: Vec<String> = LANGUAGES.iter().map(|code| (*code).to_owned()).collect();
        expected.sort();
        assert_eq!(on_disk, expected);
    }

    #[test]
    fn every_language_has_every_key_of_dutch_and_nothing_untranslated_is_empty() {
        let dutch = ui_table("nl");
        for language in LANGUAGES {
            let table = ui_table(language);
            let keys: BTreeSet<&String> = table.keys().collect();
            let dutch_keys: BTreeSet<&String> = dutch.keys().collect();
            assert_eq!(keys, dutch_keys, "{language}: the keys differ from Dutch's");
            for (key, dutch_value) in &dutch {
                let value = &table[key];
                match (dutch_value, value) {
                    (Value::String(dutch_text), Value::String(text)) => {
                        assert!(!text.trim().is_empty(), "{language}: {key} is empty");
                        assert_eq!(
                            placeholders(text),
                            placeholders(dutch_text),
                            "{language}: {key} has other placeholders than Dutch"
                        );
                        assert!(
                            !text.contains("{count}"),
                            "{language}: {key} has a count in a plain string"
                        );
                    }
                    (Value::Object(_), Value::Object(forms)) => {
                        let given: BTreeSet<&str> = forms.keys().map(String::as_str).collect();
                        let needed = categories_used(language);
                        let missing: Vec<_> = needed.difference(&given).collect();
                        assert!(missing.is_empty(), "{language}: {key} lacks {missing:?}");
                        let extra: Vec<_> = given
                            .iter()
                            .filter(|category| !needed.contains(*category) && **category != "other")
                            .collect();
                        assert!(extra.is_empty(), "{language}: {key} has {extra:?}, unused");
                        for (category, text) in forms {
                            let text = text.as_str().unwrap_or_default();
                            assert!(!text.trim().is_empty(), "{language}: {key}.{category}");
                        }
                    }
                    _ => panic!("{language}: {key} is not of the same kind as Dutch's"),
                }
            }
        }
    }

    #[test]
    fn every_language_labels_every_vocabulary_entry_of_dutch() {
        let mut dutch = Vec::new();
        strings("", &Value::Object(vocabulary_table("nl")), &mut dutch);
        let dutch_paths: BTreeSet<&String> = dutch.iter().map(|(path, _)| path).collect();
        for language in LANGUAGES {
            let mut labels = Vec::new();
            strings("", &Value::Object(vocabulary_table(language)), &mut labels);
            let paths: BTreeSet<&String> = labels.iter().map(|(path, _)| path).collect();
            assert_eq!(
                paths, dutch_paths,
                "{language}: the vocabulary's keys differ"
            );
            for (path, text) in &labels {
                assert!(
                    !text.trim().is_empty() && !text.starts_with("not a string"),
                    "{language}: {path}"
                );
            }
        }
    }

    /// The word that follows the count in a counted text, or a phrase the text must hold when
    /// the language spells the number out ("o dată", "مرتين").
    enum Form {
        After(&'static str),
        Phrase(&'static str),
    }

    /// The text of `key` for `count` in `language`, as the form shows it.
    fn counted(language: &str, table: &Map<String, Value>, key: &str, count: u64) -> String {
        let forms = table[key].as_object().unwrap();
        fill_plural(
            language,
            count,
            |category| forms.get(category)?.as_str().map(str::to_owned),
            &[],
        )
        .unwrap()
    }

    fn check_form(language: &str, key: &str, count: u64, text: &str, form: &Form) {
        match form {
            Form::After(word) => {
                let words: Vec<&str> = text
                    .split_whitespace()
                    .map(|word| word.trim_matches(|c: char| c.is_ascii_punctuation()))
                    .collect();
                let number = count.to_string();
                let position = words
                    .iter()
                    .position(|candidate| *candidate == number)
                    .unwrap_or_else(|| panic!("{language} {key} {count}: no number in {text}"));
                assert_eq!(
                    words.get(position + 1).copied(),
                    Some(*word),
                    "{language} {key} {count}: {text}"
                );
            }
            Form::Phrase(phrase) => {
                assert!(text.contains(phrase), "{language} {key} {count}: {text}");
                assert!(
                    !text.contains(&count.to_string()),
                    "{language} {key} {count}: the number is spelled out, not repeated: {text}"
                );
            }
        }
    }

    #[test]
    fn counted_strings_take_the_right_form_for_1_2_and_5() {
        use Form::{After, Phrase};
        let expected: [(&str, &[(u64, Form)]); 6] = [
            (
                "pl",
                &[
                    (1, After("raz")),
                    (2, After("razy")),
                    (5, After("razy")),
                    (22, After("razy")),
                ],
            ),
            (
                "ro",
                &[
                    (1, Phrase("o dată")),
                    (2, After("ori")),
                    (5, After("ori")),
                    (20, After("de")),
                ],
            ),
            (
                "bg",
                &[(1, After("път")), (2, After("пъти")), (5, After("пъти"))],
            ),
            (
                "uk",
                &[
                    (1, After("раз")),
                    (2, After("рази")),
                    (5, After("разів")),
                    (21, After("раз")),
                ],
            ),
            (
                "ar",
                &[
                    (1, Phrase("مرة واحدة")),
                    (2, Phrase("مرتين")),
                    (5, After("مرات")),
                    (11, After("مرة")),
                ],
            ),
            (
                "es",
                &[(1, After("vez")), (2, After("veces")), (5, After("veces"))],
            ),
        ];
        // The counted strings about presses of Shift ("times"); any other counted string is
        // held to its language's categories by the test above.
        let counted_keys = ["exit_hint", "exit_shift_status"];
        for (language, forms) in expected {
            let table = ui_table(language);
            for key in counted_keys {
                for (count, form) in forms {
                    let text = counted(language, &table, key, *count);
                    check_form(language, key, *count, &text, form);
                }
            }
        }
    }
}
