//! A tip that names two kinds, the newer signals and how the reporter knows, sent through the
//! real relay: the reference `age -d` opens the stored file to exactly that document, and the
//! inbox shows, exports and counts all of it in Dutch. An older tip with one `kind` still reads.

mod support;

use std::process::Command;

use fluister_envelope::age::Recipient;
use fluister_envelope::tip::TipDocument;
use fluister_envelope::tip::vocabulary::{HowKnown, Kind, Municipality, Role, signals};
use fluister_testkit::fixtures::sealed_document;
use support::{Inbox, start_relay};

/// A plain key made by the reference `age-keygen`: its file and its recipient.
fn reference_key(directory: &std::path::Path) -> (std::path::PathBuf, String) {
    let path = directory.join("reference-key.txt");
    let output = Command::new("age-keygen")
        .args(["-o", path.to_str().unwrap()])
        .output()
        .expect("the reference `age-keygen` is installed (Debian package `age`)");
    assert!(output.status.success(), "{output:?}");
    let text = std::fs::read_to_string(&path).unwrap();
    let recipient = text
        .lines()
        .find_map(|line| line.strip_prefix("# public key: "))
        .expect("age-keygen writes the public key as a comment")
        .to_owned();
    (path, recipient)
}

fn two_kinds_tip() -> TipDocument {
    let mut document = TipDocument::new(
        "Een meisje van 16 bedelt overdag bij het station en wordt 's avonds opgehaald.",
    );
    document.kinds = vec![Kind::Sexual, Kind::Criminal];
    document.role = Some(Role::SomeoneIKnow);
    document.how_known = Some(HowKnown::PersonToldMe);
    document.municipality = Some(Municipality::from_id("emmen"));
    document.signals = vec![
        signals::GENERAL_UNDER_18.to_owned(),
        signals::GENERAL_ISOLATED_FROM_FAMILY_AND_FRIENDS.to_owned(),
        signals::CRIMINAL_FORCED_BEGGING.to_owned(),
        signals::CRIMINAL_BENEFIT_OR_IDENTITY_FRAUD.to_owned(),
    ];
    document
}

#[test]
fn a_tip_with_two_kinds_new_signals_and_how_known_is_shown_in_dutch() {
    let inbox = Inbox::new("kinds");
    let recipient = inbox.keygen();
    let relay = start_relay(std::slice::from_ref(&recipient));
    inbox.connect(&relay);
    let work = inbox.home.with_file_name("kinds-work");
    std::fs::create_dir_all(&work).unwrap();
    let (reference_key_path, reference_recipient) = reference_key(&work);

    let recipients: Vec<Recipient> = [&recipient, &reference_recipient]
        .iter()
        .map(|recipient| recipient.parse().unwrap())
        .collect();
    relay.store_tip(&sealed_document(&recipients, &two_kinds_tip()));
    // A tip from an older widget, with a single `kind`, to the same keys.
    let older = br#"{"v":1,"kind":"labour","role":"witness","municipality":"emmen","text":"Een oudere melding over werk."}"#;
    relay.store_tip(&fluister_envelope::age::seal(&recipients, older).unwrap());
    let pulled = inbox.run_ok(&["pull", "--lang", "en"]);
    assert!(pulled.contains("2 new tips"), "{pulled}");

    // The reference age opens the stored file to the document as sent.
    let mut opened = Vec::new();
    for name in inbox.stored_file_names() {
        let output = Command::new("age")
            .args(["-d", "-i", reference_key_path.to_str().unwrap()])
            .arg(inbox.home.join("tips").join(&name))
            .output()
            .expect("the reference `age` CLI is installed");
        assert!(output.status.success(), "{output:?}");
        opened.push(serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap());
    }
    let new_tip = opened
        .iter()
        .find(|document| document.get("kinds").is_some())
        .expect("the tip with two kinds");
    assert_eq!(new_tip["kinds"], serde_json::json!(["sexual", "criminal"]));
    assert_eq!(new_tip["how_known"], "person_told_me");
    assert_eq!(
        new_tip["signals"],
        serde_json::json!([
            "general.under_18",
            "general.isolated_from_family_and_friends",
            "criminal.forced_begging",
            "criminal.benefit_or_identity_fraud"
        ])
    );
    let new_number = if inbox.run_ok(&["show", "1"]).contains("bedelt") {
        "1"
    } else {
        "2"
    };
    let old_number = if new_number == "1" { "2" } else { "1" };

    let shown = inbox.run_ok(&["show", new_number]);
    for expected in [
        "Soort uitbuiting:",
        "Seksuele uitbuiting, Criminele uitbuiting",
        "Hoe weet de melder dit:",
        "De persoon heeft het mij verteld",
        "Is jonger dan 18 jaar",
        "Heeft geen contact met familie of vrienden",
        "Moet bedelen",
        "Fraude met uitkering of identiteit",
    ] {
        assert!(
            shown.contains(expected),
            "missing {expected:?} in:\n{shown}"
        );
    }
    assert!(!shown.contains("criminal.forced_begging"), "{shown}");
    let older_shown = inbox.run_ok(&["show", old_number]);
    assert!(older_shown.contains("Arbeidsuitbuiting"), "{older_shown}");
    assert!(
        older_shown.contains("Hoe weet de melder dit:"),
        "{older_shown}"
    );

    // The list starts the kind column with the first of both (cut to the column's width); a
    // filter on either kind finds the tip.
    let list = inbox.run_ok(&["list", "--kind", "criminal"]);
    assert!(
        list.contains("Emmen") && list.contains("Seksuele uitbuiting, "),
        "{list}"
    );
    assert!(!list.contains("Arbeidsuitbuiting"), "{list}");
    let list = inbox.run_ok(&["list", "--kind", "sexual"]);
    assert!(list.contains("Emmen"), "{list}");

    // The case file says the same.
    let exported = inbox.run_ok(&["export", new_number]);
    assert!(
        exported.contains("Seksuele uitbuiting, Criminele uitbuiting")
            && exported.contains("De persoon heeft het mij verteld")
            && exported.contains("Moet bedelen"),
        "{exported}"
    );

    // The statistics count the tip under each of its kinds, and every tip once in the total.
    let csv = inbox.run_ok(&["stats", "--csv-style", "comma"]);
    for kind in ["sexual", "criminal", "labour"] {
        assert!(
            csv.lines()
                .any(|line| line.contains(&format!(",emmen,Emmen,{kind},")) && line.ends_with(",1")),
            "{kind} in:\n{csv}"
        );
    }
    let chart = work.join("chart.svg");
    inbox.run_ok(&["stats", "--svg", chart.to_str().unwrap()]);
    let svg = std::fs::read_to_string(&chart).unwrap();
    assert!(svg.contains("2 meldingen"), "{svg}");
    assert!(svg.contains("telt in de balk bij elke soort mee"), "{svg}");
}
