//! Signals from other channels and linked cases, against the real binaries: a web tip pulled
//! from a real relay, a phone call registered by hand with `register`, both in `list`, `show`
//! and `stats`; the registered file opened by the reference `age -d -i`; the suggestion `show`
//! makes and `link`; and every refusal.

mod support;

use std::io::Write as _;
use std::process::{Command, Stdio};

use fluister_envelope::tip::vocabulary::{Kind, Municipality, Role};
use fluister_envelope::tip::{Source, TipDocument};
use fluister_testkit::fixtures::sealed_document;
use support::{Inbox, start_relay};

/// Runs the reference `age -d -i identity` on `sealed` under `script` (age asks for the
/// identity's passphrase only on a terminal) and returns what it decrypted.
fn reference_age_decrypt(
    identity: &std::path::Path,
    sealed: &std::path::Path,
    passphrase: &str,
) -> Vec<u8> {
    let output = sealed.with_extension("decrypted");
    let age_command = format!(
        "age -d -i '{}' -o '{}' '{}'",
        identity.display(),
        output.display(),
        sealed.display()
    );
    let mut child = Command::new("script")
        .args(["-q", "-e", "-c", &age_command, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("`script` (util-linux) is installed");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{passphrase}\n").as_bytes())
        .unwrap();
    let result = child.wait_with_output().unwrap();
    assert!(
        result.status.success(),
        "age -d -i under script failed: {}{}",
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
    let plaintext = std::fs::read(&output).unwrap();
    std::fs::remove_file(&output).unwrap();
    plaintext
}

/// A web tip about labour exploitation in Assen.
fn web_tip() -> TipDocument {
    let mut document =
        TipDocument::new("Bij de kassen aan de Europaweg wonen twaalf mannen in één schuur.");
    document.kinds = vec![Kind::Labour];
    document.role = Some(Role::Witness);
    document.municipality = Some(Municipality::from_id("assen"));
    document
}

/// The number of tips `stats` counts for `municipality` and `kind`, summed over every row
/// (quarters, and sources if the statistics split by them); and whether the CSV has a source
/// column.
fn counted(csv: &str, municipality: &str, kind: &str) -> (u64, bool) {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let column = |name: &str| header.iter().position(|heading| *heading == name);
    let municipality_column = column("municipality_id").expect("a municipality_id column");
    let kind_column = column("kind_id").expect("a kind_id column");
    let count_column = column("tips").unwrap_or(header.len() - 1);
    let total = lines
        .map(|line| line.split(',').collect::<Vec<_>>())
        .filter(|fields| {
            fields.get(municipality_column) == Some(&municipality)
                && fields.get(kind_column) == Some(&kind)
        })
        .filter_map(|fields| fields.get(count_column)?.parse::<u64>().ok())
        .sum();
    let has_source = header.iter().any(|heading| heading.starts_with("source"));
    (total, has_source)
}

#[test]
fn a_phone_call_registered_by_hand_is_a_case_like_any_other_and_can_be_linked() {
    let inbox = Inbox::new("register");
    let recipient = inbox.keygen();
    let relay = start_relay(std::slice::from_ref(&recipient));
    inbox.connect(&relay);
    relay.store_tip(&sealed_document(&[recipient.parse().unwrap()], &web_tip()));
    inbox.run_ok(&["pull"]);
    assert_eq!(inbox.stored_file_names().len(), 1);

    // The phone call, from the command line's flags.
    let registered = inbox.run_ok(&[
        "register",
        "--source",
        "telefoon",
        "--kind",
        "labour",
        "--role",
        "professional",
        "--municipality",
        "Assen",
        "--signal",
        "labour.very_long_days,general.no_id_documents",
        "--date",
        "2026-11-30",
        "--ongoing",
        "--place",
        "Kassen aan de Europaweg",
        "--text",
        "Wijkagent belde: mannen werken er van 5 tot 23 uur.",
        "--contact",
        "wijkagent, via het bureau",
    ]);
    assert!(
        registered.contains("Geregistreerd als melding 2 (bron: telefoon)"),
        "{registered}"
    );
    assert!(registered.contains("fluister-inbox show 2"), "{registered}");
    // Stored like a pulled tip: numbered, the current hour, a 32-hex id, no `.part` left.
    let names = inbox.stored_file_names();
    assert_eq!(names.len(), 2, "{names:?}");
    let registered_name = &names[1];
    let parts: Vec<&str> = registered_name
        .strip_suffix(".age")
        .unwrap()
        .split('-')
        .collect();
    assert_eq!(parts[0], "000002");
    let hour: u64 = parts[1].parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert_eq!(hour % 3600, 0);
    assert!(now - hour < 2 * 3600, "{hour} is this hour");
    assert!(
        parts[2].len() == 32
            && parts[2]
                .bytes()
                .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
    );
    assert!(inbox.leftover_part_files().is_empty());

    // `list`, like any tip.
    let list = inbox.run_ok(&["list"]);
    let row = list
        .lines()
        .find(|line| line.trim_start().starts_with('2'))
        .unwrap_or_else(|| panic!("tip 2 in the list:\n{list}"));
    assert!(
        row.contains("Assen") && row.contains("Arbeidsuitbuiting"),
        "{list}"
    );
    let list = inbox.run_ok(&["list", "--kind", "labour", "--municipality", "assen"]);
    assert_eq!(
        list.lines().filter(|line| line.contains("Assen")).count(),
        2,
        "{list}"
    );

    // `show`, with its source and the suggestion: same municipality and kind, same days.
    let shown = inbox.run_ok(&["show", "2"]);
    assert!(
        shown.contains("Binnengekomen via: telefoon (met de hand geregistreerd)"),
        "{shown}"
    );
    assert!(shown.contains("Wijkagent belde"), "{shown}");
    assert!(shown.contains("Kassen aan de Europaweg"), "{shown}");
    assert!(
        shown.contains("Mogelijk dezelfde situatie: melding 1 (Assen, arbeidsuitbuiting, "),
        "{shown}"
    );
    assert!(shown.contains("fluister-inbox link 2 1"), "{shown}");
    let shown_web = inbox.run_ok(&["show", "1"]);
    assert!(!shown_web.contains("Binnengekomen via"), "{shown_web}");
    assert!(
        shown_web.contains("Mogelijk dezelfde situatie: melding 2 ("),
        "{shown_web}"
    );
    let english = inbox.run_ok(&["show", "2", "--lang", "en"]);
    assert!(
        english.contains("Came in through: phone (registered by hand)"),
        "{english}"
    );

    // `stats` counts it; with a source column, as "telefoon".
    let csv = inbox.run_ok(&["stats", "--csv-style", "comma"]);
    let (total, has_source) = counted(&csv, "assen", "labour");
    assert_eq!(total, 2, "{csv}");
    if has_source {
        assert!(csv.contains("telefoon"), "{csv}");
    }
    assert!(!csv.contains("Wijkagent") && !csv.contains("Europaweg"));

    // The reference age opens it with the identity: the tip document, with its source.
    let decrypted = reference_age_decrypt(
        &inbox.home.join("identity.age"),
        &inbox.home.join("tips").join(registered_name),
        &inbox.passphrase,
    );
    let document = TipDocument::from_bytes(&decrypted).expect("age -d gives the tip document");
    assert_eq!(document.source, Some(Source::Phone));
    assert_eq!(document.kinds, [Kind::Labour]);
    assert_eq!(document.role, Some(Role::Professional));
    assert_eq!(document.municipality, Some(Municipality::from_id("assen")));
    assert_eq!(
        document.signals,
        ["labour.very_long_days", "general.no_id_documents"]
    );
    let when = document.when.unwrap();
    assert_eq!(when.date.as_deref(), Some("2026-11-30"));
    assert!(when.ongoing);
    assert!(document.reply.is_none());

    // Linking: on both, in the history, and no longer suggested.
    let linked = inbox.run_ok(&["link", "2", "1"]);
    assert!(
        linked.contains("Melding 2 en melding 1 zijn gekoppeld"),
        "{linked}"
    );
    for (number, other) in [("1", "2"), ("2", "1")] {
        let shown = inbox.run_ok(&["show", number]);
        assert!(
            shown.contains(&format!(
                "Gekoppeld aan: melding {other} (Assen, arbeidsuitbuiting"
            )),
            "{shown}"
        );
        assert!(!shown.contains("Mogelijk dezelfde situatie"), "{shown}");
        assert!(
            shown.contains("gekoppeld aan een andere melding over dezelfde situatie"),
            "{shown}"
        );
    }
    let again = inbox.run_ok(&["link", "1", "2"]);
    assert!(again.contains("al gekoppeld"), "{again}");

    // A police case from a file, the text from standard input; another municipality is not
    // suggested.
    let work = inbox.home.with_file_name("work");
    std::fs::create_dir_all(&work).unwrap();
    let case_path = work.join("case.json");
    std::fs::write(
        &case_path,
        r#"{"source":"police","kind":"sexual","municipality":"emmen","when":{"date":"2026-10-01","text":"elke vrijdag"},"signals":["sexual.hands_over_earnings"],"text":"-"}"#,
    )
    .unwrap();
    let mut child = inbox
        .command()
        .args(["register", "--file", case_path.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all("Melding van de zedenpolitie over een woning.\n".as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("melding 3 (bron: politie)"), "{stdout}");
    let shown = inbox.run_ok(&["show", "3", "--lang", "en"]);
    assert!(shown.contains("Came in through: police"), "{shown}");
    assert!(shown.contains("zedenpolitie"), "{shown}");
    assert!(shown.contains("elke vrijdag"), "{shown}");
    assert!(!shown.contains("Possibly the same situation"), "{shown}");
    // A file's source gives way to --source.
    std::fs::write(
        &case_path,
        r#"{"source":"police","text":"Doorgegeven door de GGD."}"#,
    )
    .unwrap();
    let from_ggd = inbox.run_ok(&[
        "register",
        "--file",
        case_path.to_str().unwrap(),
        "--source",
        "ggd",
    ]);
    assert!(from_ggd.contains("(bron: GGD)"), "{from_ggd}");
    assert_eq!(inbox.stored_file_names().len(), 4);

    // With five signals in the quarter, the tables for publication break them down by channel
    // (where `stats --publish` exists): the phone calls are counted as "telefoon".
    inbox.run_ok(&[
        "register",
        "--source",
        "phone",
        "--kind",
        "labour",
        "--municipality",
        "assen",
        "--text",
        "Tweede telefoontje over de kassen.",
    ]);
    let csv = inbox.run_ok(&["stats", "--csv-style", "comma"]);
    assert_eq!(counted(&csv, "assen", "labour").0, 3, "{csv}");
    let published = inbox.run(&["stats", "--publish", "--csv-style", "comma"]);
    if published.status.success() {
        let published = String::from_utf8(published.stdout).unwrap();
        assert!(published.contains(",source,phone,telefoon,"), "{published}");
        assert!(!published.contains("kassen"), "{published}");
    }
}

#[test]
fn every_bad_registration_and_link_is_refused_and_nothing_is_stored() {
    let inbox = Inbox::new("register-refusals");
    let recipient = inbox.keygen();
    let relay = start_relay(std::slice::from_ref(&recipient));
    inbox.connect(&relay);
    inbox.run_ok(&["pull"]);
    let work = inbox.home.with_file_name("work");
    std::fs::create_dir_all(&work).unwrap();
    let file = |name: &str, contents: &str| {
        let path = work.join(name);
        std::fs::write(&path, contents).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let unknown_field = file("unknown.json", r#"{"source":"phone","txt":"typo"}"#);
    let not_json = file("broken.json", r#"{"source":"phone","text":"#);
    let with_reply = file(
        "reply.json",
        r#"{"source":"phone","text":"x","reply":{"mailbox":"ab","recipient":"age1"}}"#,
    );
    let wrong_type = file(
        "type.json",
        r#"{"source":"phone","text":"x","signals":"labour.very_long_days"}"#,
    );
    let base = ["register", "--source", "phone", "--text", "Iemand belde."];
    let with = |extra: &[&'static str]| -> Vec<String> {
        base.iter()
            .chain(extra)
            .map(|argument| argument.to_string())
            .collect()
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["register".into(), "--text".into(), "x".into()],
            "zeg via welk kanaal",
        ),
        (
            vec![
                "register".into(),
                "--source".into(),
                "fax".into(),
                "--text".into(),
                "x".into(),
            ],
            "`fax` is geen kanaal",
        ),
        (
            vec!["register".into(), "--source".into(), "phone".into()],
            "beschrijf wat er gebeurde",
        ),
        (
            vec![
                "register".into(),
                "--source".into(),
                "phone".into(),
                "--text".into(),
                "   ".into(),
            ],
            "beschrijf wat er gebeurde",
        ),
        (
            with(&["--kind", "begging"]),
            "`begging` is geen vorm van uitbuiting",
        ),
        (with(&["--role", "boss"]), "`boss` is geen rol"),
        (
            with(&["--municipality", "Zwolle"]),
            "`Zwolle` is geen gemeente van de regio",
        ),
        (
            with(&["--signal", "labour.very_long_days,labour.bogus"]),
            "`labour.bogus` is geen signaal. Geldige codes: labour.",
        ),
        (
            with(&["--date", "2026-02-30"]),
            "`2026-02-30` is geen datum",
        ),
        (
            with(&["--date", "30-11-2026"]),
            "`30-11-2026` is geen datum",
        ),
        (
            vec!["register".into(), "--file".into(), unknown_field.clone()],
            "het veld `txt`",
        ),
        (
            vec!["register".into(), "--file".into(), not_json],
            "is geen geldige JSON",
        ),
        (
            vec!["register".into(), "--file".into(), with_reply],
            "het veld `reply`",
        ),
        (
            vec!["register".into(), "--file".into(), wrong_type],
            "het veld `signals`",
        ),
        (
            vec![
                "register".into(),
                "--file".into(),
                work.join("missing.json").to_str().unwrap().into(),
            ],
            "kan het bestand niet lezen",
        ),
        (
            vec![
                "register".into(),
                "--file".into(),
                unknown_field,
                "--kind".into(),
                "labour".into(),
            ],
            "--kind",
        ),
    ];
    for (arguments, expected) in &cases {
        let arguments: Vec<&str> = arguments.iter().map(String::as_str).collect();
        let refused = inbox.run_failing(&arguments);
        assert!(
            refused.contains(expected),
            "{arguments:?} should say {expected:?}; it said:\n{refused}"
        );
    }
    let place = "x".repeat(501);
    let refused = inbox.run_failing(&[
        "register", "--source", "phone", "--text", "x", "--place", &place,
    ]);
    assert!(refused.contains("ten hoogste 500 tekens"), "{refused}");
    // In English too.
    let refused =
        inbox.run_failing(&["register", "--source", "fax", "--text", "x", "--lang", "en"]);
    assert!(
        refused.contains(
            "`fax` is not a channel. Choose from: phone, zvhd, police, ggd, municipality, other"
        ),
        "{refused}"
    );
    assert!(inbox.stored_file_names().is_empty());

    // Linking needs two different cases that exist.
    inbox.run_ok(&["register", "--source", "phone", "--text", "Eerste."]);
    let refused = inbox.run_failing(&["link", "1", "1"]);
    assert!(
        refused.contains("kan niet aan zichzelf worden gekoppeld"),
        "{refused}"
    );
    let refused = inbox.run_failing(&["link", "1", "9"]);
    assert!(refused.contains("geen melding met nummer 9"), "{refused}");
    let refused = inbox.run_failing(&["link", "1", "twee"]);
    assert!(refused.contains("twee"), "{refused}");
    assert_eq!(inbox.stored_file_names().len(), 1);
}
