//! The inbox speaks Dutch by default and English when asked: with `--lang en`, with
//! `FLUISTER_LANG=en`, or on a computer whose locale is English. Its output, its errors, clap's
//! own mistakes and the help all follow, run through the real binary.

mod support;

use std::process::Output;

use support::Inbox;

fn standard_output(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("utf-8 output")
}

fn standard_error(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("utf-8 output")
}

/// `arguments` run with `LANG` set to `locale`.
fn run_with_locale(inbox: &Inbox, locale: &str, arguments: &[&str]) -> Output {
    inbox
        .command()
        .env("LANG", locale)
        .args(arguments)
        .output()
        .expect("run fluister-inbox")
}

#[test]
fn output_and_errors_are_dutch_by_default_and_english_when_asked() {
    let inbox = Inbox::new("language");

    // Dutch by default.
    let listed = inbox.run_ok(&["list"]);
    assert!(listed.contains("Nog geen meldingen in"), "{listed}");
    let missing = inbox.run_failing(&["show", "7"]);
    assert!(
        missing.contains("er is geen melding met nummer 7"),
        "{missing}"
    );
    assert!(!missing.contains("there is no tip"), "{missing}");

    // English with --lang en, before or after the command.
    let listed = inbox.run_ok(&["--lang", "en", "list"]);
    assert!(listed.contains("No tips in"), "{listed}");
    let missing = inbox.run_failing(&["show", "7", "--lang", "en"]);
    assert!(missing.contains("there is no tip number 7"), "{missing}");

    // English on an English computer, and Dutch again when asked there.
    let output = run_with_locale(&inbox, "en_GB.UTF-8", &["list"]);
    assert!(output.status.success());
    assert!(standard_output(&output).contains("No tips in"));
    let output = run_with_locale(&inbox, "en_GB.UTF-8", &["show", "7"]);
    assert!(!output.status.success());
    assert!(standard_error(&output).contains("there is no tip number 7"));
    let output = run_with_locale(&inbox, "en_GB.UTF-8", &["--lang", "nl", "show", "7"]);
    assert!(standard_error(&output).contains("er is geen melding met nummer 7"));
    let output = run_with_locale(&inbox, "nl_NL.UTF-8", &["list"]);
    assert!(standard_output(&output).contains("Nog geen meldingen in"));

    // FLUISTER_LANG chooses too.
    let output = inbox
        .command()
        .env("FLUISTER_LANG", "en")
        .arg("list")
        .output()
        .unwrap();
    assert!(standard_output(&output).contains("No tips in"));
}

#[test]
fn command_line_mistakes_are_explained_in_the_chosen_language() {
    let inbox = Inbox::new("language-mistakes");
    let dutch = inbox.run_failing(&["list", "--status", "nonsense"]);
    assert!(
        dutch.contains("`nonsense` is geen geldige waarde voor --status"),
        "{dutch}"
    );
    assert!(dutch.contains("fluister-inbox --help"), "{dutch}");
    let dutch = inbox.run_failing(&["opruimen"]);
    assert!(
        dutch.contains("de opdracht `opruimen` bestaat niet"),
        "{dutch}"
    );
    let english = inbox.run_failing(&["--lang", "en", "list", "--status", "nonsense"]);
    assert!(english.contains("invalid value 'nonsense'"), "{english}");
}

#[test]
fn the_help_is_dutch_by_default_and_english_when_asked() {
    let inbox = Inbox::new("language-help");
    let dutch = inbox.run_ok(&["--help"]);
    for expected in [
        "Gebruik:",
        "Opdrachten:",
        "Opties:",
        "Haal nieuwe meldingen op van de server.",
        "Toon deze uitleg",
    ] {
        assert!(
            dutch.contains(expected),
            "{expected:?} missing from:\n{dutch}"
        );
    }
    assert!(!dutch.contains("Fetch new tips"), "{dutch}");
    let dutch_pull = inbox.run_ok(&["pull", "--help"]);
    assert!(
        dutch_pull.contains("Haal alleen nieuwe meldingen op, niet de antwoorden van melders."),
        "{dutch_pull}"
    );
    assert!(dutch_pull.contains("postvak"), "{dutch_pull}");

    let english = inbox.run_ok(&["--help", "--lang", "en"]);
    for expected in [
        "Usage:",
        "Commands:",
        "Options:",
        "Fetch new tips from the relay.",
        "Print help",
    ] {
        assert!(
            english.contains(expected),
            "{expected:?} missing from:\n{english}"
        );
    }
    let output = run_with_locale(&inbox, "en_US.UTF-8", &["reply", "--help"]);
    assert!(standard_output(&output).contains("Ask the reporter of a tip a question"));
}
