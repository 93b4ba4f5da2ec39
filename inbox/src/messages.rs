//! The inbox's own words: every message, error and help text the commands print, in Dutch and
//! English, from the catalogues `messages/nl.json` and `messages/en.json` compiled into the
//! binary. Each text has a stable id and may name placeholders in braces (`{count}`), which the
//! [`msg!`](crate::msg) macro fills in.
//!
//! The language is chosen once, before the command line is parsed (see [`choose_language`]),
//! and kept for the whole process, so an error built deep in the library speaks the same
//! language as the command that prints it. Dutch is the default: the coordinator is a Dutch
//! civil servant. The words are the form's (`widget/i18n/nl.json`): meldcode, postvak.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

pub use crate::vocabulary::Language;

const DUTCH_CATALOGUE: &str = include_str!("../messages/nl.json");
const ENGLISH_CATALOGUE: &str = include_str!("../messages/en.json");

/// The environment variable that chooses the language when `--lang` is not given.
pub const LANGUAGE_ENVIRONMENT_VARIABLE: &str = "FLUISTER_LANG";

/// Whether the process speaks English; Dutch until [`set_language`] says otherwise.
static ENGLISH: AtomicBool = AtomicBool::new(false);

/// Makes `language` the language of every message from now on.
pub fn set_language(language: Language) {
    ENGLISH.store(language == Language::En, Ordering::Relaxed);
}

/// The language messages are in.
pub fn language() -> Language {
    if ENGLISH.load(Ordering::Relaxed) {
        Language::En
    } else {
        Language::Nl
    }
}

/// The catalogue of `language`: id → text. The catalogues are checked by this module's tests,
/// so parsing cannot fail in a tested build.
pub fn catalogue(language: Language) -> &'static BTreeMap<String, String> {
    static DUTCH: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    static ENGLISH: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    let (cell, text) = match language {
        Language::Nl => (&DUTCH, DUTCH_CATALOGUE),
        Language::En => (&ENGLISH, ENGLISH_CATALOGUE),
    };
    cell.get_or_init(|| serde_json::from_str(text).expect("the message catalogues are valid JSON"))
}

/// The text `id` in `language` with its placeholders filled in from `arguments`. An id the
/// catalogue lacks (the tests rule that out) is shown as it is rather than failing.
pub fn format(language: Language, id: &str, arguments: &[(&str, &dyn Display)]) -> String {
    let Some(text) = catalogue(language).get(id) else {
        debug_assert!(false, "message id `{id}` is not in the catalogue");
        return id.to_owned();
    };
    let mut formatted = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(start) = rest.find('{') {
        formatted.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let name_length = after
            .find(|character: char| !(character.is_ascii_lowercase() || character == '_'))
            .unwrap_or(after.len());
        let name = &after[..name_length];
        let argument = arguments.iter().find(|(argument, _)| *argument == name);
        match argument {
            Some((_, value)) if after[name_length..].starts_with('}') => {
                formatted.push_str(&value.to_string());
                rest = &after[name_length + 1..];
            }
            _ => {
                debug_assert!(false, "message `{id}` has no value for `{{{name}}}`");
                formatted.push('{');
                rest = after;
            }
        }
    }
    formatted.push_str(rest);
    formatted
}

/// The placeholders a text names, in order of first appearance.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        if !names.contains(&name) {
            names.push(name);
        }
        rest = &after[end + 1..];
    }
    names
}

/// The message `id` in the process's language, with named placeholders filled in:
/// `msg!("pull.no_new_tips")`, `msg!("pull.new_tips", count = 2, first = 1, last = 2)`.
#[macro_export]
macro_rules! msg {
    ($id:literal) => {
        $crate::messages::format($crate::messages::language(), $id, &[])
    };
    ($id:literal, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::messages::format(
            $crate::messages::language(),
            $id,
            &[$((stringify!($name), &$value as &dyn ::std::fmt::Display)),+],
        )
    };
}

/// The message `id` in `language`, for a caller that serves a language of its own (the local
/// app's pages): `msg_in!(language, "keys.added", key = recipient)`.
#[macro_export]
macro_rules! msg_in {
    ($language:expr, $id:literal) => {
        $crate::messages::format($language, $id, &[])
    };
    ($language:expr, $id:literal, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::messages::format(
            $language,
            $id,
            &[$((stringify!($name), &$value as &dyn ::std::fmt::Display)),+],
        )
    };
}

/// The language for this run, decided before the command line is parsed so that even the help
/// and clap's own errors can speak it: the last `--lang nl|en` among `arguments`, else
/// `FLUISTER_LANG`, else the locale (`LC_ALL`, `LC_MESSAGES`, `LANG`, the first one set): English
/// if it starts with `en`, otherwise Dutch.
pub fn choose_language(
    arguments: &[String],
    environment_variable: impl Fn(&str) -> Option<String>,
) -> Language {
    let mut from_arguments = None;
    let mut arguments = arguments.iter();
    while let Some(argument) = arguments.next() {
        if argument == "--" {
            break;
        }
        let value = match argument.strip_prefix("--lang") {
            Some("") => arguments.next().map(String::as_str),
            Some(rest) => rest.strip_prefix('='),
            None => None,
        };
        if let Some(value) = value {
            from_arguments = parse_language(value);
        }
    }
    from_arguments
        .or_else(|| {
            environment_variable(LANGUAGE_ENVIRONMENT_VARIABLE)
                .as_deref()
                .and_then(parse_language)
        })
        .unwrap_or_else(|| {
            let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
                .into_iter()
                .filter_map(&environment_variable)
                .find(|value| !value.is_empty())
                .unwrap_or_default();
            if locale.starts_with("en") {
                Language::En
            } else {
                Language::Nl
            }
        })
}

fn parse_language(value: &str) -> Option<Language> {
    match value {
        "nl" => Some(Language::Nl),
        "en" => Some(Language::En),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    #[test]
    fn both_catalogues_have_the_same_ids_and_placeholders_and_no_empty_text() {
        let dutch = catalogue(Language::Nl);
        let english = catalogue(Language::En);
        let dutch_ids: BTreeSet<&String> = dutch.keys().collect();
        let english_ids: BTreeSet<&String> = english.keys().collect();
        assert_eq!(
            dutch_ids.difference(&english_ids).collect::<Vec<_>>(),
            Vec::<&&String>::new(),
            "only in nl.json"
        );
        assert_eq!(
            english_ids.difference(&dutch_ids).collect::<Vec<_>>(),
            Vec::<&&String>::new(),
            "only in en.json"
        );
        for (id, dutch_text) in dutch {
            let english_text = &english[id];
            assert!(!dutch_text.trim().is_empty(), "{id} is empty in nl.json");
            assert!(!english_text.trim().is_empty(), "{id} is empty in en.json");
            let mut dutch_names = placeholders(dutch_text);
            let mut english_names = placeholders(english_text);
            dutch_names.sort_unstable();
            english_names.sort_unstable();
            assert_eq!(dutch_names, english_names, "placeholders of {id}");
            for name in dutch_names {
                assert!(
                    !name.is_empty()
                        && name
                            .chars()
                            .all(|character| character.is_ascii_lowercase() || character == '_'),
                    "{id} has a placeholder that is not a lower-case name: {{{name}}}"
                );
            }
        }
    }

    /// Every `msg!("id", name = …)` and `msg_in!(language, "id", name = …)` in the sources, as
    /// (file, id, argument names).
    fn uses_in_sources() -> Vec<(String, String, Vec<String>)> {
        let mut files = Vec::new();
        collect_rust_files(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let mut uses = Vec::new();
        // This module names the macro without using it.
        files.retain(|file| !file.ends_with("messages.rs"));
        for file in files {
            let source = std::fs::read_to_string(&file).unwrap();
            let code: String = source
                .lines()
                .filter(|line| !line.trim_start().starts_with("//"))
                .map(|line| format!("{line}\n"))
                .collect();
            let mut rest = code.as_str();
            while let Some(start) = rest.find("msg!(") {
                rest = &rest[start + "msg!(".len()..];
                let (id, arguments) = parse_use(rest);
                uses.push((file.display().to_string(), id, arguments));
            }
            let mut rest = code.as_str();
            while let Some(start) = rest.find("msg_in!(") {
                rest = &rest[start + "msg_in!(".len()..];
                // The language comes first; the id follows the first comma.
                let after_language = &rest[rest.find(',').expect("msg_in! names a language") + 1..];
                let (id, arguments) = parse_use(after_language);
                uses.push((file.display().to_string(), id, arguments));
            }
        }
        uses
    }

    /// The id and the argument names of the macro call whose text follows `msg!(`.
    fn parse_use(call: &str) -> (String, Vec<String>) {
        let call = call.trim_start();
        let after_quote = call.strip_prefix('"').expect("msg! takes a literal id");
        let end = after_quote.find('"').unwrap();
        let id = after_quote[..end].to_owned();
        let mut arguments = Vec::new();
        let mut depth = 0_i32;
        let mut segment = String::new();
        let mut characters = after_quote[end + 1..].chars();
        let mut in_string = false;
        while let Some(character) = characters.next() {
            if in_string {
                match character {
                    '\\' => {
                        characters.next();
                    }
                    '"' => in_string = false,
                    _ => {}
                }
                continue;
            }
            match character {
                '"' => in_string = true,
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' if depth > 0 => depth -= 1,
                ')' => break,
                ',' if depth == 0 => {
                    arguments.extend(argument_name(&segment));
                    segment.clear();
                    continue;
                }
                _ => {}
            }
            segment.push(character);
        }
        arguments.extend(argument_name(&segment));
        (id, arguments)
    }

    fn argument_name(segment: &str) -> Option<String> {
        let (name, _) = segment.split_once('=')?;
        Some(name.trim().to_owned())
    }

    fn collect_rust_files(folder: &Path, files: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                collect_rust_files(&path, files);
            } else if path.extension().is_some_and(|extension| extension == "rs") {
                files.push(path);
            }
        }
    }

    #[test]
    fn every_id_in_the_sources_is_in_the_catalogue_with_its_placeholders_and_every_id_is_used() {
        let dutch = catalogue(Language::Nl);
        let uses = uses_in_sources();
        assert!(uses.len() > 100, "only {} uses found", uses.len());
        for (file, id, mut arguments) in uses.clone() {
            let text = dutch
                .get(&id)
                .unwrap_or_else(|| panic!("{file} uses `{id}`, which is not in the catalogue"));
            let mut names = placeholders(text);
            names.sort_unstable();
            arguments.sort_unstable();
            assert_eq!(names, arguments, "{file}: the placeholders of `{id}`");
        }
        let used: BTreeSet<&str> = uses.iter().map(|(_, id, _)| id.as_str()).collect();
        let unused: Vec<&String> = dutch
            .keys()
            .filter(|id| !used.contains(id.as_str()))
            .collect();
        assert!(
            unused.is_empty(),
            "ids in the catalogue nobody uses: {unused:?}"
        );
    }

    #[test]
    fn placeholders_are_filled_by_name() {
        let id = "error.problems";
        assert_eq!(
            format(Language::En, id, &[("count", &2)]),
            "2 problem(s) found; see above"
        );
        assert_eq!(
            format(Language::Nl, id, &[("count", &2)]),
            "2 problemen gevonden; zie hierboven"
        );
    }

    #[test]
    fn the_language_comes_from_the_arguments_then_fluister_lang_then_the_locale() {
        let arguments =
            |list: &[&str]| list.iter().map(|&item| item.to_owned()).collect::<Vec<_>>();
        let environment = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| (*value).to_owned())
            }
        };
        let none = environment(&[]);
        assert_eq!(choose_language(&arguments(&["list"]), none), Language::Nl);
        assert_eq!(
            choose_language(&arguments(&["--lang", "en", "list"]), none),
            Language::En
        );
        assert_eq!(
            choose_language(&arguments(&["list", "--lang=en"]), none),
            Language::En
        );
        assert_eq!(
            choose_language(
                &arguments(&["--lang", "nl"]),
                environment(&[("LANG", "en_GB.UTF-8")])
            ),
            Language::Nl
        );
        assert_eq!(
            choose_language(&arguments(&[]), environment(&[("FLUISTER_LANG", "en")])),
            Language::En
        );
        assert_eq!(
            choose_language(
                &arguments(&[]),
                environment(&[("FLUISTER_LANG", "nl"), ("LANG", "en_US.UTF-8")])
            ),
            Language::Nl
        );
        assert_eq!(
            choose_language(&arguments(&[]), environment(&[("LANG", "en_GB.UTF-8")])),
            Language::En
        );
        assert_eq!(
            choose_language(
                &arguments(&[]),
                environment(&[("LC_ALL", "nl_NL.UTF-8"), ("LANG", "en_GB.UTF-8")])
            ),
            Language::Nl
        );
        assert_eq!(
            choose_language(&arguments(&[]), environment(&[("LANG", "C.UTF-8")])),
            Language::Nl
        );
        assert_eq!(
            choose_language(&arguments(&["reply", "1", "--", "--lang", "en"]), none),
            Language::Nl
        );
    }
}
