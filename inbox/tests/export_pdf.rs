//! The case file as a PDF, against the real binaries and read back by poppler's `pdftotext`
//! and `pdfinfo` (Debian package `poppler-utils`): the tip's fields with their Dutch accents,
//! reporter text that tries to break out of its PDF string shown as plain text, lines kept
//! inside the page, page breaks, and nothing of the redacted parts.

mod support;

use std::path::Path;
use std::process::Command;

use fluister_envelope::tip::TipDocument;
use fluister_envelope::tip::vocabulary::{Kind, Municipality, Role, signals};
use fluister_testkit::fixtures::sealed_document;
use support::{Inbox, start_relay};

/// Runs a poppler tool on `pdf`; asserts it succeeds without complaining about the file, and
/// returns what it printed.
fn poppler(tool: &str, arguments: &[&str], pdf: &Path) -> String {
    let output = Command::new(tool)
        .args(arguments)
        .arg(pdf)
        .args(if tool == "pdfinfo" {
            &[][..]
        } else {
            &["-"][..]
        })
        .output()
        .unwrap_or_else(|_| panic!("`{tool}` is installed (Debian package `poppler-utils`)"));
    assert!(
        output.status.success() && output.stderr.is_empty(),
        "{tool} on {}: {}",
        pdf.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("poppler prints UTF-8")
}

/// `text` with every run of white space made one space: `pdftotext` breaks lines where the PDF
/// does.
fn flattened(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn tip_with_accents() -> TipDocument {
    let paragraph = "In het café naast de Brink werken drie vrouwen zeven dagen per week; ze \
                     krijgen geen loon en één van hen zegt dat haar paspoort is afgepakt. ";
    let mut document = TipDocument::new(format!(
        "Gezien bij Café ’t Hoekje: één cliënte, geëmigreerd uit Roemenië.\n\
         Ze zei (zacht) dat de baas haar \\ geld houdt) Tj ET BT /F1 60 Tf (INGEVOEGD.\n\
         Привіт означає hallo.\n\n{}",
        paragraph.repeat(40)
    ));
    document.kinds = vec![Kind::Sexual];
    document.role = Some(Role::Witness);
    document.municipality = Some(Municipality::from_id("hoogeveen"));
    document.signals = vec![signals::GENERAL_NO_ID_DOCUMENTS.to_owned()];
    document.place = Some("Hoogeveen, bij het café aan de Hoofdstraat".to_owned());
    document.contact = Some("bel 0612345678 na 18 uur".to_owned());
    document
}

#[test]
fn the_pdf_case_file_holds_the_fields_with_accents_and_nothing_redacted() {
    let inbox = Inbox::new("export-pdf");
    let recipient = inbox.keygen();
    let relay = start_relay(std::slice::from_ref(&recipient));
    inbox.connect(&relay);
    relay.store_tip(&sealed_document(
        &[recipient.parse().unwrap()],
        &tip_with_accents(),
    ));
    inbox.run_ok(&["pull"]);
    inbox.run_ok(&[
        "triage",
        "1",
        "--note",
        "Overleg met de zedenpolitie; cliënte wil geen aangifte doen",
    ]);
    let work = inbox.home.with_file_name("work");
    std::fs::create_dir_all(&work).unwrap();

    let full_path = work.join("melding-1.pdf");
    inbox.run_ok(&[
        "export",
        "1",
        "--format",
        "pdf",
        "-o",
        full_path.to_str().unwrap(),
    ]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&full_path).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the case file is readable only by its owner"
        );
    }
    let text = flattened(&poppler("pdftotext", &["-enc", "UTF-8"], &full_path));
    for expected in [
        "Dossier: Melding 1",
        "Seksuele uitbuiting",
        "Hoogeveen, bij het café aan de Hoofdstraat",
        "Heeft geen eigen paspoort of ID",
        "Café ’t Hoekje: één cliënte, geëmigreerd uit Roemenië.",
        // Reporter text that tries to end its PDF string and draw its own: shown as typed.
        "Ze zei (zacht) dat de baas haar \\ geld houdt) Tj ET BT /F1 60 Tf (INGEVOEGD.",
        "bel 0612345678 na 18 uur",
        "Overleg met de zedenpolitie; cliënte wil geen aangifte doen",
        // Cyrillic is not in the PDF's font: replaced visibly, and the file says so.
        "?????? ??????? hallo.",
        "vervangen door ?",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    let paragraph_count = text.matches("haar paspoort is afgepakt").count();
    assert_eq!(
        paragraph_count, 40,
        "the whole text, wrapped over the pages"
    );
    let info = poppler("pdfinfo", &[], &full_path);
    let pages: usize = info
        .lines()
        .find_map(|line| line.strip_prefix("Pages:"))
        .expect("pdfinfo names the page count")
        .trim()
        .parse()
        .unwrap();
    assert!(pages >= 2, "{info}");
    assert!(info.contains("595.28 x 841.89 pts (A4)"), "{info}");
    assert!(
        text.contains(&format!("pagina {pages} van {pages}")),
        "{text}"
    );
    // Every word stays inside the page's margins.
    let boxes = poppler("pdftotext", &["-bbox"], &full_path);
    let mut words = 0;
    for line in boxes.lines().filter(|line| line.contains("<word ")) {
        let attribute = |name: &str| -> f64 {
            let start = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
            line[start..].split('"').next().unwrap().parse().unwrap()
        };
        assert!(attribute("xMin") >= 56.0, "{line}");
        assert!(attribute("xMax") <= 595.28 - 56.0, "{line}");
        assert!(
            attribute("yMin") >= 0.0 && attribute("yMax") <= 841.89,
            "{line}"
        );
        words += 1;
    }
    assert!(words > 1000, "{words} words");

    // Redacted: the contact, the text and the notes are not in the file at all.
    let redacted_path = work.join("melding-1-geredigeerd.pdf");
    inbox.run_ok(&[
        "export",
        "1",
        "--format",
        "pdf",
        "--redact",
        "contact,text,notes",
        "-o",
        redacted_path.to_str().unwrap(),
    ]);
    let redacted = flattened(&poppler("pdftotext", &["-enc", "UTF-8"], &redacted_path));
    for absent in [
        "0612345678",
        "Hoekje",
        "paspoort is afgepakt",
        "zedenpolitie",
    ] {
        assert!(!redacted.contains(absent), "{absent:?} in:\n{redacted}");
    }
    assert!(
        redacted.contains("(weggelaten)") && redacted.contains("bij het café aan de Hoofdstraat"),
        "{redacted}"
    );
    let raw = std::fs::read(&redacted_path).unwrap();
    assert!(
        !String::from_utf8_lossy(&raw).contains("0612345678"),
        "nor in the raw bytes"
    );

    // To standard output only when it is not a terminal (here: a pipe).
    let piped = inbox
        .command()
        .args(["export", "1", "--format", "pdf"])
        .output()
        .unwrap();
    assert!(piped.status.success() && piped.stdout.starts_with(b"%PDF-1.4\n"));
}
