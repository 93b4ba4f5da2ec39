//! The coordinator's whole story against the real binaries: keygen → a real relay configured
//! with the printed recipient and a token from `relay-server mint-token` → tips sealed by our
//! envelope and by the reference `age -e -r` → pull → list → show → triage → export → stats,
//! and the identity file opened by the reference `age -d -i`.

mod support;

use std::process::{Command, Stdio};

use fluister_envelope::tip::vocabulary::{Kind, Municipality, Role, signals};
use fluister_envelope::tip::{TipDocument, When};
use fluister_testkit::fixtures::sealed_document;
use support::{Inbox, start_relay};

/// Runs the reference `age` with `arguments`; panics with its error output if it fails.
fn reference_age(arguments: &[&str]) {
    let output = Command::new("age")
        .args(arguments)
        .output()
        .expect("the reference `age` CLI is installed (Debian package `age`)");
    assert!(
        output.status.success(),
        "age {arguments:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs the reference `age -d -i identity` on `sealed`, writing `output`. age asks for the
/// identity file's passphrase only on a terminal, so it runs under `script`, which gives it a
/// pseudo-terminal and passes our standard input (the passphrase) to it.
fn reference_age_decrypt_with_passphrase_identity(
    identity: &std::path::Path,
    sealed: &std::path::Path,
    output: &std::path::Path,
    passphrase: &str,
) {
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
    use std::io::Write as _;
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
}

fn labour_tip() -> TipDocument {
    let mut document = TipDocument::new(
        "Op de boerderij aan de Rolderweg werken mannen van 6 tot 22 uur.\nZe slapen in de schuur.",
    );
    document.kinds = vec![Kind::Labour];
    document.role = Some(Role::Witness);
    document.municipality = Some(Municipality::from_id("assen"));
    document.signals = vec![
        signals::GENERAL_NO_ID_DOCUMENTS.to_owned(),
        signals::LABOUR_VERY_LONG_DAYS.to_owned(),
        "labour.works_on_sundays".to_owned(),
    ];
    document.place = Some("Rolderweg".to_owned());
    document.when = Some(When {
        date: Some("2025-03-01".to_owned()),
        ongoing: true,
        text: None,
        unknown_fields: Default::default(),
    });
    document.contact = Some("bel 0612345678 na 18 uur".to_owned());
    document
}

#[test]
fn coordinator_story_from_keygen_to_stats() {
    let inbox = Inbox::new("story");
    let recipient = inbox.keygen();
    let identity_path = inbox.home.join("identity.age");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&identity_path)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "identity.age must be owner-only");
    }
    let relay = start_relay(std::slice::from_ref(&recipient));
    inbox.connect(&relay);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(inbox.home.join("connection.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "connection.json must be owner-only");
    }
    let status = inbox.run_ok(&["status", "--lang", "en"]);
    assert!(
        status.contains("the relay seals tips to your key"),
        "{status}"
    );
    assert!(status.contains("0 tips are waiting"), "{status}");

    // One tip sealed by our envelope, one by the reference age from a JSON file.
    let parsed_recipient = recipient.parse().unwrap();
    let envelope_tip_id = relay.store_tip(&sealed_document(&[parsed_recipient], &labour_tip()));
    let work = inbox.home.with_file_name("work");
    std::fs::create_dir_all(&work).unwrap();
    let json_path = work.join("criminal.json");
    std::fs::write(
        &json_path,
        r#"{"v":1,"kind":"criminal","role":"professional","municipality":"emmen","signals":["criminal.several_phones"],"text":"Een leerling van 15 heeft drie telefoons en spijbelt.","future_field":"kept"}"#,
    )
    .unwrap();
    let age_sealed_path = work.join("criminal.age");
    reference_age(&[
        "-e",
        "-r",
        &recipient,
        "-o",
        age_sealed_path.to_str().unwrap(),
        json_path.to_str().unwrap(),
    ]);
    let reference_tip_id = relay.store_tip(&std::fs::read(&age_sealed_path).unwrap());
    assert!(
        inbox
            .run_ok(&["status", "--lang", "en"])
            .contains("2 tips are waiting")
    );

    let pulled = inbox.run_ok(&["pull", "--lang", "en"]);
    assert!(pulled.contains("2 new tips: numbers 1 to 2"), "{pulled}");
    assert!(
        relay.tip_ids().is_empty(),
        "pulled tips are deleted on the relay"
    );
    let mut stored_ids = inbox.stored_relay_ids();
    stored_ids.sort();
    let mut submitted_ids = vec![envelope_tip_id, reference_tip_id];
    submitted_ids.sort();
    assert_eq!(stored_ids, submitted_ids);
    // The store holds the sealed files, not plaintext.
    for name in inbox.stored_file_names() {
        let bytes = std::fs::read(inbox.home.join("tips").join(&name)).unwrap();
        assert!(bytes.starts_with(b"age-encryption.org/v1\n"));
        assert!(!String::from_utf8_lossy(&bytes).contains("Rolderweg"));
    }
    assert!(
        inbox
            .run_ok(&["pull", "--lang", "en"])
            .contains("No new tips.")
    );

    let list = inbox.run_ok(&["list"]);
    assert!(
        list.contains("Assen") && list.contains("Arbeidsuitbuiting") && list.contains("nieuw"),
        "{list}"
    );
    assert!(
        list.contains("Emmen") && list.contains("Criminele uitbuiting"),
        "{list}"
    );
    let english = inbox.run_ok(&["list", "--lang", "en", "--municipality", "emmen"]);
    assert!(
        english.contains("Criminal exploitation") && !english.contains("Assen"),
        "{english}"
    );
    let labour_only = inbox.run_ok(&["list", "--kind", "labour"]);
    assert!(
        labour_only.contains("Assen") && !labour_only.contains("Emmen"),
        "{labour_only}"
    );
    let bad_filter = inbox.run_failing(&["list", "--municipality", "groningen", "--lang", "en"]);
    assert!(
        bad_filter.contains("Use one of: aa-en-hunze"),
        "{bad_filter}"
    );

    let labour_number = if inbox.stored_file_names()[0].ends_with(&format!("{envelope_tip_id}.age"))
    {
        "1"
    } else {
        "2"
    };
    let criminal_number = if labour_number == "1" { "2" } else { "1" };
    let shown = inbox.run_ok(&["show", labour_number, "--lang", "en"]);
    for expected in [
        "Labour exploitation",
        "I saw something",
        "Does not have their own passport or ID",
        "Very long working days",
        "labour.works_on_sundays",
        "2025-03-01, still going on",
        "Ze slapen in de schuur.",
        "bel 0612345678",
    ] {
        assert!(
            shown.contains(expected),
            "missing {expected:?} in:\n{shown}"
        );
    }
    let shown_dutch = inbox.run_ok(&["show", criminal_number]);
    assert!(
        shown_dutch.contains("Heeft meerdere telefoons") && shown_dutch.contains("future_field"),
        "{shown_dutch}"
    );

    // Any age file by path, armored or binary.
    let armored_path = work.join("armored.age");
    reference_age(&[
        "-e",
        "-a",
        "-r",
        &recipient,
        "-o",
        armored_path.to_str().unwrap(),
        json_path.to_str().unwrap(),
    ]);
    let shown_file = inbox.run_ok(&["show", armored_path.to_str().unwrap(), "--lang", "en"]);
    assert!(shown_file.contains("Has several phones"), "{shown_file}");
    assert!(
        inbox
            .run_ok(&["show", age_sealed_path.to_str().unwrap()])
            .contains("Emmen")
    );

    // Triage, sealed at rest.
    inbox.run_ok(&[
        "triage",
        labour_number,
        "--status",
        "in-progress",
        "--note",
        "Gebeld met de Arbeidsinspectie",
    ]);
    let triaged = inbox.run_ok(&[
        "triage",
        labour_number,
        "--to",
        "Nederlandse Arbeidsinspectie",
    ]);
    assert!(
        triaged.contains("overgedragen (Nederlandse Arbeidsinspectie)")
            && triaged.contains("Gebeld met"),
        "{triaged}"
    );
    let triage_bytes = std::fs::read(inbox.home.join("triage.age")).unwrap();
    assert!(triage_bytes.starts_with(b"age-encryption.org/v1\n"));
    assert!(!String::from_utf8_lossy(&triage_bytes).contains("Arbeidsinspectie"));
    let handed_over = inbox.run_ok(&["list", "--status", "handed-over"]);
    assert!(
        handed_over.contains("Assen") && !handed_over.contains("Emmen"),
        "{handed_over}"
    );
    assert!(inbox.run_ok(&["list", "--status", "new"]).contains("Emmen"));

    // Case files, with and without redaction.
    let markdown = inbox.run_ok(&["export", labour_number, "--lang", "en"]);
    assert!(
        markdown.contains("# Case file")
            && markdown.contains("0612345678")
            && markdown.contains("Ze slapen"),
        "{markdown}"
    );
    let redacted = inbox.run_ok(&["export", labour_number, "--redact", "contact,text,notes"]);
    assert!(
        !redacted.contains("0612345678")
            && !redacted.contains("Ze slapen")
            && !redacted.contains("Gebeld"),
        "{redacted}"
    );
    assert!(redacted.contains("Heel lange werkdagen"), "{redacted}");
    let json_path_out = work.join("case.json");
    inbox.run_ok(&[
        "export",
        labour_number,
        "--format",
        "json",
        "--redact",
        "contact",
        "-o",
        json_path_out.to_str().unwrap(),
    ]);
    let case: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json_path_out).unwrap()).unwrap();
    assert!(case["document"].get("contact").is_none(), "{case}");
    assert_eq!(case["document"]["municipality"], "assen");
    assert_eq!(case["triage"]["status"], "handed_over");
    assert_eq!(
        case["labels"]["kinds"],
        serde_json::json!(["Arbeidsuitbuiting"])
    );
    let refused = inbox.run_failing(&[
        "export",
        labour_number,
        "-o",
        json_path_out.to_str().unwrap(),
        "--lang",
        "en",
    ]);
    assert!(refused.contains("already exists"), "{refused}");

    // Statistics without content.
    let csv_path = work.join("stats.csv");
    let svg_path = work.join("stats.svg");
    inbox.run_ok(&[
        "stats",
        "--lang",
        "en",
        "--csv",
        csv_path.to_str().unwrap(),
        "--svg",
        svg_path.to_str().unwrap(),
    ]);
    // By default for Dutch Excel: a byte order mark, `;` between fields, CRLF.
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    assert!(
        csv.starts_with("\u{FEFF}quarter;municipality_id;municipality;kind_id;kind;tips\r\n"),
        "{csv}"
    );
    assert!(
        csv.contains(";assen;Assen;labour;Labour exploitation;1\r\n"),
        "{csv}"
    );
    assert!(
        csv.contains(";emmen;Emmen;criminal;Criminal exploitation;1\r\n"),
        "{csv}"
    );
    assert!(!csv.contains("Rolderweg") && !csv.contains("telefoons"));
    // For scripts: plain commas.
    let comma_csv = inbox.run_ok(&["stats", "--lang", "en", "--csv-style", "comma"]);
    assert!(
        comma_csv.starts_with("quarter,municipality_id,municipality,kind_id,kind,tips\n"),
        "{comma_csv}"
    );
    assert!(
        comma_csv.contains(",assen,Assen,labour,Labour exploitation,1\n"),
        "{comma_csv}"
    );
    assert!(
        comma_csv.contains(",emmen,Emmen,criminal,Criminal exploitation,1\n"),
        "{comma_csv}"
    );
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    assert!(
        svg.starts_with("<svg")
            && svg.contains("Labour exploitation")
            && !svg.contains("Rolderweg")
    );

    // The reference age opens the passphrase-protected identity file and, with it, a stored tip.
    let stored_tip = inbox.home.join("tips").join(&inbox.stored_file_names()[0]);
    let decrypted_path = work.join("decrypted.json");
    reference_age_decrypt_with_passphrase_identity(
        &identity_path,
        &stored_tip,
        &decrypted_path,
        &inbox.passphrase,
    );
    let decrypted = std::fs::read(&decrypted_path).unwrap();
    assert!(
        TipDocument::from_bytes(&decrypted).is_ok(),
        "age -d gives the tip document"
    );
}

#[test]
fn keygen_refuses_to_overwrite_a_key_and_short_passphrases() {
    let inbox = Inbox::new("keygen-refusals");
    inbox.keygen();
    let before = std::fs::read(inbox.home.join("identity.age")).unwrap();
    let refused = inbox.run_failing(&["keygen", "--lang", "en"]);
    assert!(refused.contains("already a key"), "{refused}");
    assert_eq!(
        std::fs::read(inbox.home.join("identity.age")).unwrap(),
        before
    );

    let mut short = Inbox::new("keygen-short");
    short.passphrase = "short".to_owned();
    let refused = short.run_failing(&["keygen", "--lang", "en"]);
    assert!(refused.contains("too short"), "{refused}");
    assert!(!short.home.join("identity.age").exists());

    let no_terminal = Inbox::new("keygen-no-terminal");
    // `setsid` detaches it from any controlling terminal, as in CI, even when a developer runs
    // the tests in one.
    let mut command = no_terminal.command();
    command.env_remove("FLUISTER_PASSPHRASE").arg("keygen");
    let output = Command::new("setsid")
        .arg("-w")
        .arg(command.get_program())
        .args(command.get_args())
        .envs(
            command
                .get_envs()
                .filter_map(|(key, value)| value.map(|value| (key, value))),
        )
        .env_remove("FLUISTER_PASSPHRASE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--passphrase-file"));
}

#[test]
fn every_command_explains_itself() {
    let inbox = Inbox::new("help");
    for command in [
        "keygen",
        "connect",
        "status",
        "pull",
        "quarantine",
        "list",
        "show",
        "reply",
        "triage",
        "export",
        "stats",
    ] {
        let help = inbox.run_ok(&[command, "--help"]);
        assert!(
            help.lines().count() > 3,
            "{command} --help is too short:\n{help}"
        );
    }
    let help = inbox.run_ok(&["--help"]);
    assert!(
        help.contains("keygen") && help.contains("FLUISTER_PASSPHRASE"),
        "{help}"
    );
}
