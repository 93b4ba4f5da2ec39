//! A hand-over to an agency with the real binary and the reference `age`: sealed to the
//! receiver's key alone, without the fields and the passage left out, recorded on the case with
//! what was left out, and the receiver's feedback recorded after.

mod support;

use std::process::Command;

use fluister_envelope::tip::TipDocument;
use fluister_envelope::tip::vocabulary::{Kind, Municipality};
use fluister_testkit::fixtures::sealed_document;
use support::{Inbox, start_relay};

/// Makes an age identity with the reference `age-keygen`: the agency's key, made on their side.
fn agency_key(directory: &std::path::Path) -> (std::path::PathBuf, String) {
    let path = directory.join("agency-key.txt");
    let public = support::age_keygen(&path);
    (path, public)
}

#[test]
fn a_hand_over_reaches_the_agency_without_what_was_left_out_and_is_recorded() {
    let inbox = Inbox::new("handover");
    let recipient = inbox.keygen();
    let relay = start_relay(std::slice::from_ref(&recipient));
    inbox.connect(&relay);
    let mut document = TipDocument::new(
        "Ik ben Anna Jansen en ik werk zeven dagen per week in de kas aan de Zuiderweg.",
    );
    document.kinds = vec![Kind::Labour];
    document.municipality = Some(Municipality::from_id("emmen"));
    document.place = Some("Zuiderweg, Emmen".to_owned());
    document.contact = Some("bel 06-98765432 na 20 uur".to_owned());
    relay.store_tip(&sealed_document(&[recipient.parse().unwrap()], &document));
    inbox.run_ok(&["pull"]);

    let work = inbox.home.with_file_name("work");
    std::fs::create_dir_all(&work).unwrap();
    let (agency_identity, agency_public) = agency_key(&work);

    // The book knows the usual agencies; the police's key comes from the police.
    let listed = inbox.run_ok(&["receivers", "--lang", "en"]);
    assert!(listed.contains("Politie (AVIM)  (no key yet)"), "{listed}");
    let output = work.join("overdracht.age");
    let output_text = output.to_str().unwrap();
    let refused = inbox.run_failing(&[
        "handover",
        "1",
        "--to",
        "Politie (AVIM)",
        "-o",
        output_text,
        "--lang",
        "en",
    ]);
    assert!(refused.contains("has no key yet"), "{refused}");
    inbox.run_ok(&[
        "receivers",
        "set",
        "Politie (AVIM)",
        "--key",
        &agency_public,
        "--note",
        "AVIM Noord-Nederland",
    ]);

    // Refusals: an unknown receiver, a passage that is not in the text, no output file.
    let unknown = inbox.run_failing(&["handover", "1", "--to", "FBI", "-o", output_text]);
    assert!(unknown.contains("FBI"), "{unknown}");
    let not_found = inbox.run_failing(&[
        "handover",
        "1",
        "--to",
        "politie (avim)",
        "--leave-out-passage",
        "Piet Jansen",
        "-o",
        output_text,
        "--lang",
        "en",
    ]);
    assert!(
        not_found.contains("not in the reporter's text"),
        "{not_found}"
    );
    let no_output = inbox.run_failing(&["handover", "1", "--to", "politie (avim)", "--lang", "en"]);
    assert!(no_output.contains("-o FILE"), "{no_output}");
    assert!(!output.exists());

    // The preview shows exactly what goes, and writes nothing.
    let arguments = [
        "handover",
        "1",
        "--to",
        "politie (avim)",
        "--leave-out",
        "contact",
        "--leave-out-passage",
        "Anna Jansen",
    ];
    let preview = inbox.run_ok(&[&arguments[..], &["--preview"]].concat());
    assert!(preview.contains("zeven dagen per week"), "{preview}");
    assert!(preview.contains("Zuiderweg, Emmen"), "{preview}");
    for left_out in ["Anna Jansen", "06-98765432"] {
        assert!(
            !preview.contains(left_out),
            "{left_out} in the preview: {preview}"
        );
    }
    assert!(!output.exists(), "a preview writes nothing");
    assert!(
        !inbox.run_ok(&["show", "1"]).contains("overgedragen aan"),
        "a preview records nothing"
    );

    // The hand-over itself: the agency opens it with the reference age and its own key.
    let done = inbox.run_ok(&[&arguments[..], &["-o", output_text, "--lang", "en"]].concat());
    assert!(
        done.contains("Tip 1 is handed over to Politie (AVIM)"),
        "{done}"
    );
    let opened = Command::new("age")
        .args(["-d", "-i", agency_identity.to_str().unwrap(), output_text])
        .output()
        .unwrap();
    assert!(
        opened.status.success(),
        "{}",
        String::from_utf8_lossy(&opened.stderr)
    );
    let received = String::from_utf8(opened.stdout).unwrap();
    assert!(
        received.contains("zeven dagen per week in de kas"),
        "{received}"
    );
    assert!(received.contains("[…]"), "{received}");
    for left_out in ["Anna Jansen", "06-98765432", "20 uur"] {
        assert!(
            !received.contains(left_out),
            "{left_out} reached the agency"
        );
    }
    // Only the agency's key opens it: not the coordinator's own.
    let coordinator_try = inbox.run(&["show", output_text]);
    assert!(!coordinator_try.status.success());

    // The case shows the hand-over; the receiver's feedback is recorded later.
    let shown = inbox.run_ok(&["show", "1"]);
    assert!(shown.contains("overgedragen (Politie (AVIM))"), "{shown}");
    assert!(
        shown.contains(
            "overgedragen aan Politie (AVIM) (weggelaten: contact; passages weggelaten: 1)"
        ),
        "{shown}"
    );
    let feedback = inbox.run_ok(&["feedback", "1", "--outcome", "investigation"]);
    assert!(
        feedback.contains("Politie (AVIM) meldt \"onderzoek\""),
        "{feedback}"
    );
    assert!(
        inbox
            .run_ok(&["show", "1"])
            .contains("terugkoppeling van de ontvanger: onderzoek")
    );
    let exists = inbox.run_failing(&[&arguments[..], &["-o", output_text]].concat());
    assert!(exists.contains(output_text), "{exists}");
    relay.store_tip(&sealed_document(
        &[recipient.parse().unwrap()],
        &TipDocument::new("Een tweede melding, niet overgedragen."),
    ));
    inbox.run_ok(&["pull"]);
    let no_handover = inbox.run_failing(&["feedback", "2", "--outcome", "unknown", "--lang", "en"]);
    assert!(
        no_handover.contains("Tip 2 was not handed over"),
        "{no_handover}"
    );
}
