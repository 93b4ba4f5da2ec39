//! The registration export for CoMensha with the real binary, the real relay and the reference
//! `age`: refused without CoMensha's key and for a bad period, sealed to CoMensha's key alone,
//! one row per case in the expected columns and values, none of the reporter's words, recorded
//! on every case so a second run skips them.

mod support;

use std::path::Path;
use std::process::Command;

use fluister_envelope::tip::vocabulary::{Kind, Municipality, Role};
use fluister_envelope::tip::{TipDocument, When};
use fluister_testkit::fixtures::sealed_document;
use support::{Inbox, start_relay};

/// The columns, as CoMensha's import reads them.
const COLUMNS: [&str; 16] = [
    "meldingnummer",
    "ontvangen_maand",
    "kanaal",
    "rol_melder",
    "vorm_uitbuiting",
    "vormen_volgens_signalen",
    "signalen",
    "onbekende_signalen",
    "gemeente",
    "regio",
    "periode_maand",
    "nog_gaande",
    "leeftijdscategorie",
    "geslacht",
    "nationaliteit",
    "land_van_herkomst",
];

/// Words the reporters typed (text, place, contact, when in words, the day): none may reach
/// CoMensha.
const REPORTERS_WORDS: [&str; 9] = [
    "Anna",
    "Jansen",
    "06-98765432",
    "Zuiderweg",
    "kas",
    "zaterdag",
    "Karel",
    "Europaweg",
    "2026-03-14",
];

/// An age identity made with the reference `age-keygen`: CoMensha's key, made on their side.
fn agency_key(directory: &Path) -> (std::path::PathBuf, String) {
    let path = directory.join("comensha-key.txt");
    let output = Command::new("age-keygen")
        .arg("-o")
        .arg(&path)
        .output()
        .expect("age-keygen (Debian package `age`) runs");
    assert!(output.status.success());
    let public = String::from_utf8_lossy(&output.stderr)
        .lines()
        .find_map(|line| line.strip_prefix("Public key: ").map(str::to_owned))
        .expect("a public key line");
    (path, public)
}

/// Opens `file` with the reference `age -d` and the identity at `identity`.
fn age_decrypt(identity: &Path, file: &Path) -> String {
    let opened = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(identity)
        .arg(file)
        .output()
        .unwrap();
    assert!(
        opened.status.success(),
        "{}",
        String::from_utf8_lossy(&opened.stderr)
    );
    String::from_utf8(opened.stdout).unwrap()
}

/// The rows of an Excel-style CSV (byte order mark, `;`, CRLF; the export quotes no field
/// here, which the assertion on the field count checks).
fn rows(csv: &str) -> Vec<Vec<String>> {
    let csv = csv
        .strip_prefix('\u{FEFF}')
        .expect("a byte order mark for Excel");
    assert!(csv.ends_with("\r\n"), "CRLF line ends");
    csv.split("\r\n")
        .filter(|line| !line.is_empty())
        .map(|line| {
            let fields: Vec<String> = line.split(';').map(str::to_owned).collect();
            assert_eq!(fields.len(), COLUMNS.len(), "{line}");
            fields
        })
        .collect()
}

fn field<'a>(row: &'a [String], column: &str) -> &'a str {
    let index = COLUMNS.iter().position(|known| *known == column).unwrap();
    &row[index]
}

#[test]
fn cases_are_registered_with_comensha_once_in_its_fields_without_the_reporters_words() {
    let inbox = Inbox::new("comensha");
    let recipient = inbox.keygen();
    let relay = start_relay(std::slice::from_ref(&recipient));
    inbox.connect(&relay);
    let sealing = [recipient.parse().unwrap()];
    let mut labour = TipDocument::new(
        "Ik ben Anna Jansen en ik werk zeven dagen per week in de kas aan de Zuiderweg.",
    );
    labour.kinds = vec![Kind::Labour];
    labour.role = Some(Role::Witness);
    labour.municipality = Some(Municipality::from_id("emmen"));
    labour.signals = vec![
        "labour.very_long_days".to_owned(),
        "general.no_id_documents".to_owned(),
        "sexual.hands_over_earnings".to_owned(),
    ];
    labour.when = Some(When {
        date: Some("2026-03-14".to_owned()),
        ongoing: true,
        text: Some("elke zaterdag".to_owned()),
        ..When::default()
    });
    labour.place = Some("Zuiderweg 12, Emmen".to_owned());
    labour.contact = Some("bel 06-98765432 na 20 uur".to_owned());
    relay.store_tip(&sealed_document(&sealing, &labour));
    let mut about_me = TipDocument::new("Anna hier. Ik moet al mijn geld afgeven.");
    about_me.kinds = vec![Kind::Sexual];
    about_me.role = Some(Role::AboutMe);
    relay.store_tip(&sealed_document(&sealing, &about_me));
    inbox.run_ok(&["pull"]);
    inbox.run_ok(&[
        "register",
        "--source",
        "phone",
        "--kind",
        "criminal",
        "--municipality",
        "assen",
        "--place",
        "Europaweg",
        "--text",
        "Buurvrouw belde over Karel, die drugs moet rondbrengen.",
    ]);

    let work = inbox.home.with_file_name("work");
    std::fs::create_dir_all(&work).unwrap();
    let export = work.join("registratie.age");
    let export_text = export.to_str().unwrap();
    let everything = ["comensha", "--from", "2000-01-01", "--until", "2099-12-31"];

    // Without CoMensha's key nothing is written, and the passphrase is not even asked.
    let refused = inbox.run_failing(&[&everything[..], &["-o", export_text]].concat());
    assert!(
        refused.contains("\"CoMensha\" heeft nog geen sleutel"),
        "{refused}"
    );
    assert!(!export.exists());

    // A bad period, or none, is refused in words.
    for (arguments, expected) in [
        (
            vec!["--from", "2026-07-01", "--until", "2026-06-30"],
            "begint (2026-07-01) na het einde (2026-06-30)",
        ),
        (vec!["--quarter", "2026-Q5"], "`2026-Q5` is geen kwartaal"),
        (
            vec!["--from", "2026-02-30", "--until", "2026-03-31"],
            "`2026-02-30` is geen datum",
        ),
        (vec!["--from", "2026-02-01"], "met --from én --until"),
        (vec![], "Kies welke meldingen"),
        (vec!["--case", "9"], "9"),
    ] {
        let refused = inbox.run_failing(
            &[
                &["comensha"][..],
                &arguments[..],
                &["--preview", "--receiver", "CoMensha"],
            ]
            .concat(),
        );
        assert!(refused.contains(expected), "{arguments:?}: {refused}");
    }

    let (identity, public) = agency_key(&work);
    inbox.run_ok(&["receivers", "set", "CoMensha", "--key", &public]);

    // The preview shows exactly the rows, and writes and records nothing.
    // (The relay hands its tips out in random order, so tips 1 and 2 are either; the signal
    // registered after the pull is 3.)
    let preview = inbox.run_ok(&["comensha", "--case", "3", "--preview"]);
    assert!(preview.contains("gedwongen criminaliteit"), "{preview}");
    assert!(!export.exists());
    assert!(
        !inbox.run_ok(&["show", "1"]).contains("geregistreerd bij"),
        "a preview records nothing"
    );

    let done = inbox.run_ok(&[&everything[..], &["-o", export_text]].concat());
    assert!(done.contains("3 melding(en) (1, 2, 3)"), "{done}");
    let received = age_decrypt(&identity, &export);
    for words in REPORTERS_WORDS {
        assert!(!received.contains(words), "{words} reached CoMensha");
    }
    let rows = rows(&received);
    assert_eq!(rows[0], COLUMNS);
    assert_eq!(rows.len(), 4, "{received}");
    let case = |column: &str, value: &str| {
        rows.iter()
            .find(|row| field(row, column) == value)
            .unwrap_or_else(|| panic!("{column} {value} in {received}"))
    };
    let first = case("rol_melder", "getuige of omstander");
    for (column, value) in [
        ("kanaal", "Fluister-meldformulier (anoniem)"),
        ("rol_melder", "getuige of omstander"),
        ("vorm_uitbuiting", "overige arbeidsuitbuiting"),
        (
            "vormen_volgens_signalen",
            "seksuele uitbuiting | overige arbeidsuitbuiting",
        ),
        ("gemeente", "Emmen"),
        ("periode_maand", "2026-03"),
        ("nog_gaande", "ja"),
        ("onbekende_signalen", "0"),
        ("leeftijdscategorie", "onbekend"),
        ("geslacht", "onbekend"),
        ("nationaliteit", "onbekend"),
        ("land_van_herkomst", "onbekend"),
    ] {
        assert_eq!(field(first, column), value, "{column}");
    }
    assert_eq!(field(first, "signalen").split(" | ").count(), 3);
    assert_eq!(field(first, "ontvangen_maand").len(), "2026-07".len());
    let second = case("rol_melder", "mogelijk slachtoffer zelf");
    assert_eq!(field(second, "vorm_uitbuiting"), "seksuele uitbuiting");
    assert_eq!(field(second, "gemeente"), "onbekend");
    assert_eq!(field(second, "periode_maand"), "onbekend");
    let third = case("meldingnummer", "3");
    assert_eq!(field(third, "kanaal"), "telefoon");
    assert_eq!(field(third, "vorm_uitbuiting"), "gedwongen criminaliteit");
    assert_eq!(field(third, "gemeente"), "Assen");
    // Only CoMensha's key opens it: not the coordinator's own.
    assert!(!inbox.run(&["show", export_text]).status.success());

    // Every case records it, and a second run skips them all.
    assert!(
        inbox
            .run_ok(&["show", "1"])
            .contains("geregistreerd bij CoMensha"),
    );
    let again = work.join("nogmaals.age");
    let second_run = inbox.run(&[&everything[..], &["-o", again.to_str().unwrap()]].concat());
    assert!(second_run.status.success());
    let said = String::from_utf8_lossy(&second_run.stdout);
    let skipped = String::from_utf8_lossy(&second_run.stderr);
    assert!(said.contains("niets te registreren"), "{said}");
    assert!(skipped.contains("3 melding(en) (1, 2, 3)"), "{skipped}");
    assert!(!again.exists(), "nothing to register writes nothing");

    // A new case alone goes the next time, here as JSON.
    relay.store_tip(&sealed_document(
        &sealing,
        &TipDocument::new("Een nieuwe melding van Anna."),
    ));
    inbox.run_ok(&["pull"]);
    let json_export = work.join("registratie-2.age");
    inbox.run_ok(
        &[
            &everything[..],
            &["--format", "json", "-o", json_export.to_str().unwrap()],
        ]
        .concat(),
    );
    let json: serde_json::Value =
        serde_json::from_str(&age_decrypt(&identity, &json_export)).unwrap();
    let registered = json["registraties"].as_array().unwrap();
    assert_eq!(registered.len(), 1, "{json}");
    assert_eq!(registered[0]["meldingnummer"], 4);
    assert!(!json.to_string().contains("Anna"));

    // Asked by name, a case goes again, and NOT encrypted, for copying into the form.
    let plain = work.join("registratie.csv");
    let plain_done = inbox.run_ok(&[
        "comensha",
        "--case",
        "1",
        "--again",
        "--unencrypted-plaintext",
        "--csv-style",
        "comma",
        "-o",
        plain.to_str().unwrap(),
    ]);
    assert!(plain_done.contains("NIET versleuteld"), "{plain_done}");
    let plain_text = std::fs::read_to_string(&plain).unwrap();
    assert!(plain_text.starts_with("meldingnummer,ontvangen_maand,"));
    assert_eq!(plain_text.lines().count(), 2, "{plain_text}");
    for words in REPORTERS_WORDS {
        assert!(!plain_text.contains(words), "{words} in the plain file");
    }
}
