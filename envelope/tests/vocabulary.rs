//! Every translation table in `vocabulary/*.json` (at the workspace root) labels exactly the
//! identifiers of the envelope's vocabulary: no missing id, no extra id, no empty text. The
//! widget and the inbox both read these files, so a gap here is a blank on someone's screen.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use fluister_envelope::tip::vocabulary::{HowKnown, Kind, Municipality, Role, signals};
use serde_json::{Map, Value};

/// The workspace's `vocabulary/` directory.
fn vocabulary_directory() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the envelope crate lives inside the workspace")
        .join("vocabulary")
}

/// Every `*.json` translation table, sorted by file name.
fn vocabulary_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(vocabulary_directory())
        .expect("the workspace has a vocabulary/ directory")
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "json")
        })
        .collect();
    files.sort();
    files
}

/// The keys of `table[section]`, failing with the file's name if the section is missing.
fn section<'a>(file: &Path, table: &'a Map<String, Value>, name: &str) -> &'a Map<String, Value> {
    table
        .get(name)
        .and_then(Value::as_object)
        .unwrap_or_else(|| {
            panic!(
                "{}: section {name:?} is missing or not an object",
                file.display()
            )
        })
}

/// Checks that a section's keys are exactly `expected` and that each value is a non-empty string.
fn assert_string_section(
    file: &Path,
    table: &Map<String, Value>,
    name: &str,
    expected: &BTreeSet<String>,
) {
    let entries = section(file, table, name);
    let actual: BTreeSet<String> = entries.keys().cloned().collect();
    assert_eq!(
        &actual,
        expected,
        "{}: the ids in {name:?} differ from the envelope's",
        file.display()
    );
    for (id, label) in entries {
        let label = label
            .as_str()
            .unwrap_or_else(|| panic!("{}: {name}.{id} is not a string", file.display()));
        assert!(
            !label.trim().is_empty(),
            "{}: {name}.{id} is empty",
            file.display()
        );
    }
}

#[test]
fn english_and_dutch_tables_exist() {
    let names: Vec<String> = vocabulary_files()
        .iter()
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(names.contains(&"nl.json".to_owned()), "{names:?}");
    assert!(names.contains(&"en.json".to_owned()), "{names:?}");
}

#[test]
fn every_vocabulary_file_labels_exactly_the_envelope_identifiers() {
    let kinds: BTreeSet<String> = Kind::ALL
        .iter()
        .map(|kind| kind.as_str().to_owned())
        .collect();
    let roles: BTreeSet<String> = Role::ALL
        .iter()
        .map(|role| role.as_str().to_owned())
        .collect();
    let how_known: BTreeSet<String> = HowKnown::ALL
        .iter()
        .map(|how| how.as_str().to_owned())
        .collect();
    let groups: BTreeSet<String> = signals::GROUPS
        .iter()
        .map(|group| group.group_id.to_owned())
        .collect();
    let signal_ids: BTreeSet<String> = signals::all_signal_ids().map(str::to_owned).collect();
    // The region's municipalities are named by the relay's config; the tables label only
    // "somewhere else".
    let unnamed_municipalities: BTreeSet<String> = [Municipality::OTHER.to_owned()].into();
    assert_eq!(signal_ids.len(), 38);

    for file in vocabulary_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        let table: Map<String, Value> = serde_json::from_str(&text)
            .unwrap_or_else(|error| panic!("{}: not a JSON object: {error}", file.display()));

        let expected_top_level: BTreeSet<String> = [
            "language",
            "kinds",
            "kind_examples",
            "roles",
            "how_known",
            "signal_groups",
            "signals",
            "municipalities",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect();
        let actual_top_level: BTreeSet<String> = table.keys().cloned().collect();
        assert_eq!(actual_top_level, expected_top_level, "{}", file.display());

        let language = table["language"].as_str().unwrap_or_default();
        let file_stem = file.file_stem().unwrap().to_string_lossy();
        assert_eq!(
            language,
            file_stem,
            "{}: \"language\" must match the file name",
            file.display()
        );

        assert_string_section(&file, &table, "kinds", &kinds);
        assert_string_section(&file, &table, "kind_examples", &kinds);
        assert_string_section(&file, &table, "roles", &roles);
        assert_string_section(&file, &table, "how_known", &how_known);
        assert_string_section(&file, &table, "signal_groups", &groups);
        assert_string_section(&file, &table, "municipalities", &unnamed_municipalities);

        let signal_entries = section(&file, &table, "signals");
        let actual_signals: BTreeSet<String> = signal_entries.keys().cloned().collect();
        assert_eq!(
            actual_signals,
            signal_ids,
            "{}: the signal ids differ",
            file.display()
        );
        for (signal_id, entry) in signal_entries {
            let entry = entry.as_object().unwrap_or_else(|| {
                panic!("{}: signal {signal_id} is not an object", file.display())
            });
            let keys: BTreeSet<&str> = entry.keys().map(String::as_str).collect();
            assert_eq!(
                keys,
                BTreeSet::from(["label", "explanation", "label_me"]),
                "{}: {signal_id} needs a label, an explanation, and a label in the first person \
                 (shown when the reporter chose \"it is about me\")",
                file.display()
            );
            for field in ["label", "explanation", "label_me"] {
                let text = entry[field].as_str().unwrap_or_default();
                assert!(
                    !text.trim().is_empty(),
                    "{}: {signal_id}.{field} is empty",
                    file.display()
                );
                assert!(
                    !text.contains('\n'),
                    "{}: {signal_id}.{field} must be one line",
                    file.display()
                );
            }
        }
    }
}
