//! The picture of the region and the quarterly report, against the real binaries: tips sealed
//! to the coordinator go through the real relay and `pull`; hand-overs with the receivers'
//! feedback are in the sealed triage book. A municipality with 2 tips in the quarter shows
//! "<5" in the report and in the CSV for publication, and an attacker that recomputes hidden
//! numbers from every row, column and grand total (and differences of them) gets nothing back.
//! The PDF is read back with poppler's `pdftotext` and drawn with `pdftoppm`.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use fluister_envelope::age::Recipient;
use fluister_envelope::tip::vocabulary::{Kind, Municipality, Role};
use fluister_envelope::tip::{Source, TipDocument};
use fluister_inbox::home::InboxHome;
use fluister_inbox::triage::{HandOver, Outcome, TriageBook, TriageStatus};
use fluister_testkit::fixtures::sealed_document;
use support::{Inbox, start_relay};

/// Words of the tips and hand-overs that must never reach a report.
const CASE_WORDS: [&str; 4] = [
    "Rolderweg",
    "kassen achter de boerderij",
    "0612345678",
    "Politie Drenthe AVIM",
];

fn tip(municipality: &str, kind: Kind, role: Role, source: Option<Source>) -> TipDocument {
    let mut document =
        TipDocument::new("Mensen werken in de kassen achter de boerderij, dag en nacht.");
    document.municipality = Some(Municipality::from_id(municipality));
    document.kinds = vec![kind];
    document.role = Some(role);
    document.place = Some("Rolderweg 12".to_owned());
    document.contact = Some("bel 0612345678".to_owned());
    document.source = source;
    document
}

/// Runs a poppler tool; asserts it succeeds, returns what it printed.
fn poppler(tool: &str, arguments: &[&str]) -> String {
    let output = Command::new(tool)
        .args(arguments)
        .output()
        .unwrap_or_else(|_| panic!("`{tool}` is installed (Debian package `poppler-utils`)"));
    assert!(
        output.status.success() && output.stderr.is_empty(),
        "{tool} {arguments:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("poppler prints UTF-8")
}

fn flattened(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The lines of a CSV written with `--csv-style comma` after its header, split into fields
/// (a field in quotes may hold commas and doubled quotes).
fn rows_of(csv: &str) -> Vec<Vec<String>> {
    csv.lines()
        .skip_while(|line| !line.starts_with("quarter,"))
        .skip(1)
        .map(|line| {
            let mut fields = vec![String::new()];
            let mut quoted = false;
            let mut characters = line.chars().peekable();
            while let Some(character) = characters.next() {
                match (character, quoted) {
                    ('"', true) if characters.peek() == Some(&'"') => {
                        characters.next();
                        fields.last_mut().unwrap().push('"');
                    }
                    ('"', _) => quoted = !quoted,
                    (',', false) => fields.push(String::new()),
                    (character, _) => fields.last_mut().unwrap().push(character),
                }
            }
            fields
        })
        .collect()
}

/// The municipality × kind table of `quarter` from the publishable CSV: (row, column) → shown,
/// with `total` as the id of the totals row and column.
fn published_table(csv: &str, quarter: &str) -> BTreeMap<(String, String), String> {
    rows_of(csv)
        .into_iter()
        .filter(|row| row[0] == quarter && row[1] == "municipality_kind")
        .map(|row| ((row[2].clone(), row[4].clone()), row[6].clone()))
        .collect()
}

/// Everything an attacker can compute from the published table: the table's entries as
/// unknowns (exact ones known), every row and every column (with the totals row and column)
/// adding up, solved by Gaussian elimination over the rationals. Returns the entries whose
/// value follows from the published numbers, with that value.
fn recomputable(table: &BTreeMap<(String, String), String>) -> BTreeMap<(String, String), f64> {
    let rows: Vec<String> = {
        let mut rows: Vec<String> = table.keys().map(|(row, _)| row.clone()).collect();
        rows.dedup();
        rows
    };
    let mut columns: Vec<String> = table.keys().map(|(_, column)| column.clone()).collect();
    columns.sort();
    columns.dedup();
    let unknowns: Vec<(String, String)> = table
        .iter()
        .filter(|(_, shown)| shown.parse::<u64>().is_err())
        .map(|(key, _)| key.clone())
        .collect();
    let value = |key: &(String, String)| table[key].parse::<f64>().ok();
    // One equation per line: the cells minus the total is zero; known numbers go to the right.
    let mut equations: Vec<(Vec<f64>, f64)> = Vec::new();
    let mut add_line = |members: Vec<((String, String), f64)>| {
        let mut coefficients = vec![0.0; unknowns.len()];
        let mut constant = 0.0;
        for (key, coefficient) in members {
            match value(&key) {
                Some(known) => constant -= coefficient * known,
                None => {
                    let index = unknowns.iter().position(|unknown| *unknown == key).unwrap();
                    coefficients[index] += coefficient;
                }
            }
        }
        equations.push((coefficients, constant));
    };
    for row in &rows {
        add_line(
            columns
                .iter()
                .map(|column| {
                    let coefficient = if column == "total" { -1.0 } else { 1.0 };
                    ((row.clone(), column.clone()), coefficient)
                })
                .collect(),
        );
    }
    for column in &columns {
        add_line(
            rows.iter()
                .map(|row| {
                    let coefficient = if row == "total" { -1.0 } else { 1.0 };
                    ((row.clone(), column.clone()), coefficient)
                })
                .collect(),
        );
    }
    // Reduced row echelon form: an unknown is determined when a row holds it alone.
    let mut matrix = equations;
    let mut pivot_row = 0;
    for column in 0..unknowns.len() {
        let Some(found) = (pivot_row..matrix.len()).find(|&row| matrix[row].0[column].abs() > 1e-9)
        else {
            continue;
        };
        matrix.swap(pivot_row, found);
        let pivot = matrix[pivot_row].0[column];
        for entry in matrix[pivot_row].0.iter_mut() {
            *entry /= pivot;
        }
        matrix[pivot_row].1 /= pivot;
        for row in 0..matrix.len() {
            if row != pivot_row {
                let factor = matrix[row].0[column];
                if factor.abs() > 1e-12 {
                    let (source, constant) = matrix[pivot_row].clone();
                    for (entry, pivot_entry) in matrix[row].0.iter_mut().zip(&source) {
                        *entry -= factor * pivot_entry;
                    }
                    matrix[row].1 -= factor * constant;
                }
            }
        }
        pivot_row += 1;
    }
    let mut found = BTreeMap::new();
    for (coefficients, constant) in &matrix {
        let present: Vec<usize> = (0..unknowns.len())
            .filter(|&index| coefficients[index].abs() > 1e-9)
            .collect();
        if let [index] = present[..] {
            found.insert(unknowns[index].clone(), constant / coefficients[index]);
        }
    }
    found
}

#[test]
fn the_quarterly_report_and_the_publishable_csv_hide_small_numbers_so_totals_do_not_give_them_back()
{
    let inbox = Inbox::new("report");
    let recipient = inbox.keygen();
    let relay = start_relay(std::slice::from_ref(&recipient));
    inbox.connect(&relay);
    let recipients: Vec<Recipient> = vec![recipient.parse().unwrap()];
    let mut tips = vec![
        // Assen: 2 tips this quarter.
        tip("assen", Kind::Labour, Role::Witness, None),
        tip(
            "assen",
            Kind::Sexual,
            Role::Professional,
            Some(Source::Phone),
        ),
    ];
    for index in 0..7 {
        let source = (index < 2).then_some(Source::Police);
        tips.push(tip("emmen", Kind::Labour, Role::Witness, source));
    }
    for _ in 0..6 {
        tips.push(tip("meppel", Kind::Sexual, Role::SomeoneIKnow, None));
    }
    for _ in 0..3 {
        tips.push(tip("hoogeveen", Kind::Criminal, Role::Professional, None));
    }
    for document in &tips {
        relay.store_tip(&sealed_document(&recipients, document));
    }
    inbox.run_ok(&["pull"]);

    // Two hand-overs, one with the receiver's feedback, in the sealed triage book.
    let now_hour = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 3600
        * 3600;
    let relay_ids: Vec<String> = inbox
        .stored_file_names()
        .iter()
        .map(|name| {
            let stem = name.strip_suffix(".age").unwrap();
            stem.rsplit('-').next().unwrap().to_owned()
        })
        .collect();
    let mut book = TriageBook {
        v: 1,
        records: BTreeMap::new(),
    };
    for (index, (relay_id, outcome)) in relay_ids
        .iter()
        .zip([Some(Outcome::Investigation), None])
        .enumerate()
    {
        let record = book.record_mut(relay_id);
        record.status = TriageStatus::HandedOver;
        record.handovers.push(HandOver {
            id: format!("{index:032x}"),
            receiver: "Politie Drenthe AVIM".to_owned(),
            hour: now_hour,
            left_out: vec!["contact".to_owned()],
            passages_left_out: 0,
            outcome,
        });
    }
    book.save(&InboxHome::new(inbox.home.clone()), &recipients)
        .unwrap();

    // The coordinator's own counts stay exact.
    let own = inbox.run_ok(&["stats", "--csv-style", "comma"]);
    let quarter = own
        .lines()
        .nth(1)
        .and_then(|line| line.split(',').next())
        .expect("a counted quarter")
        .to_owned();
    assert!(
        own.contains(&format!(
            "{quarter},assen,Assen,labour,Arbeidsuitbuiting,1\n"
        )),
        "{own}"
    );

    // The publishable CSV: Assen's 2 as "<5", said so in its first line.
    let published = inbox.run_ok(&["stats", "--publish", "--csv-style", "comma"]);
    assert!(
        published.starts_with("\"Aantallen onder de 5 staan als <5"),
        "{published}"
    );
    assert!(
        published.contains(&format!(
            "{quarter},municipality_kind,assen,Assen,total,Totaal,<5\n"
        )),
        "{published}"
    );
    assert!(
        published.contains(&format!("{quarter},tips,total,Totaal,total,Totaal,18\n")),
        "{published}"
    );
    assert!(
        published.contains(&format!("{quarter},source,phone,telefoon,count,,<5\n")),
        "{published}"
    );
    assert!(
        published.contains(&format!(
            "{quarter},handover_outcome,investigation,onderzoek,count,,<5\n"
        )),
        "{published}"
    );
    for word in CASE_WORDS {
        assert!(!published.contains(word), "{word} in {published}");
    }
    let table = published_table(&published, &quarter);
    // No number in the published table is a small one shown exactly.
    for (key, shown) in &table {
        if let Ok(count) = shown.parse::<u64>() {
            assert!(count == 0 || count >= 5, "{key:?} = {count}");
        }
    }
    // Every count from 1 to 4 is "<5", and the attacker recomputes none of them: not from a
    // row total, a column total, the grand total or any combination of them.
    let attack = recomputable(&table);
    let real = [
        (("assen", "labour"), 1),
        (("assen", "sexual"), 1),
        (("assen", "total"), 2),
        (("hoogeveen", "criminal"), 3),
        (("hoogeveen", "total"), 3),
        (("total", "criminal"), 3),
    ];
    for ((row, column), count) in real {
        let key = (row.to_owned(), column.to_owned());
        assert_eq!(table[&key], "<5", "{key:?} in {table:?}");
        assert!(
            !attack.contains_key(&key),
            "{key:?} = {count} recomputed as {:?} from {table:?}",
            attack.get(&key)
        );
    }
    // The attacker's method works: on the table without suppression but for Assen's labour
    // count, it recomputes that count from its row.
    let mut naive: BTreeMap<(String, String), String> = table
        .keys()
        .map(|key| (key.clone(), "0".to_owned()))
        .collect();
    let mut add = |row: &str, column: &str, count: u64| {
        let entry = naive.get_mut(&(row.to_owned(), column.to_owned())).unwrap();
        *entry = (entry.parse::<u64>().unwrap() + count).to_string();
    };
    for fields in rows_of(&own) {
        let count: u64 = fields[5].parse().unwrap();
        for (row, column) in [
            (fields[1].as_str(), fields[3].as_str()),
            (&fields[1], "total"),
            ("total", &fields[3]),
            ("total", "total"),
        ] {
            add(row, column, count);
        }
    }
    naive.insert(("assen".to_owned(), "labour".to_owned()), "<5".to_owned());
    assert_eq!(
        recomputable(&naive).get(&("assen".to_owned(), "labour".to_owned())),
        Some(&1.0)
    );

    // The report, as PDF: headings and numbers, and nothing of the cases.
    let work = inbox.home.with_file_name("work");
    std::fs::create_dir_all(&work).unwrap();
    let pdf_path = work.join("rapport.pdf");
    let written = inbox.run_ok(&[
        "report",
        "--quarter",
        &quarter,
        "-o",
        pdf_path.to_str().unwrap(),
    ]);
    assert!(written.contains("kwartaalrapport"), "{written}");
    let text = flattened(&poppler(
        "pdftotext",
        &["-enc", "UTF-8", pdf_path.to_str().unwrap(), "-"],
    ));
    for expected in [
        format!("Signalen van mensenhandel: kwartaalrapport {quarter}"),
        "Regio: Drenthe".to_owned(),
        "Aantallen onder de 5 staan als <5".to_owned(),
        format!("Signalen in {quarter}: 18"),
        "Signalen per gemeente en soort uitbuiting".to_owned(),
        "Signalen per kanaal".to_owned(),
        "Wie meldde".to_owned(),
        "Overdrachten in dit kwartaal en wat ermee gebeurde".to_owned(),
        "De laatste vier kwartalen".to_owned(),
        "Gemeente Assen".to_owned(),
        format!("Signalen in {quarter}: <5 (hele regio: 18)"),
        "Totaal".to_owned(),
        "telefoon".to_owned(),
        "Emmen".to_owned(),
    ] {
        assert!(text.contains(&expected), "missing {expected:?} in:\n{text}");
    }
    for word in CASE_WORDS {
        assert!(!text.contains(word), "{word} in the report");
    }
    // Every page is drawn; the first one becomes an image to look at.
    let png_prefix = work.join("rapport");
    poppler(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "60",
            pdf_path.to_str().unwrap(),
            png_prefix.to_str().unwrap(),
        ],
    );
    let pages: Vec<_> = std::fs::read_dir(&work)
        .unwrap()
        .filter_map(|entry| {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            name.ends_with(".png").then_some(name)
        })
        .collect();
    assert!(!pages.is_empty(), "pdftoppm drew the pages");
    if let Ok(folder) = std::env::var("FLUISTER_REPORT_KEEP") {
        std::fs::copy(&pdf_path, Path::new(&folder).join("rapport.pdf")).unwrap();
    }

    // As HTML: self-contained, no scripts, nothing fetched; in English with --lang en.
    let html_path = work.join("report.html");
    inbox.run_ok(&[
        "--lang",
        "en",
        "report",
        "--quarter",
        &quarter,
        "-o",
        html_path.to_str().unwrap(),
    ]);
    let html = std::fs::read_to_string(&html_path).unwrap();
    if let Ok(folder) = std::env::var("FLUISTER_REPORT_KEEP") {
        std::fs::copy(&html_path, Path::new(&folder).join("report.html")).unwrap();
    }
    assert!(html.contains("Signals per municipality"), "{html}");
    assert!(html.contains("Counts below 5 show as &lt;5"), "{html}");
    assert!(html.contains("&lt;5"), "{html}");
    for forbidden in [
        "<script", "src=", "href=", "http:", "https:", "@import", "url(",
    ] {
        assert!(!html.contains(forbidden), "{forbidden} in {html}");
    }
    for word in CASE_WORDS {
        assert!(!html.contains(word), "{word} in the report");
    }

    // One municipality's report.
    let assen_path = work.join("assen.pdf");
    inbox.run_ok(&[
        "report",
        "--quarter",
        &quarter,
        "--municipality",
        "assen",
        "-o",
        assen_path.to_str().unwrap(),
    ]);
    let assen = flattened(&poppler(
        "pdftotext",
        &["-enc", "UTF-8", assen_path.to_str().unwrap(), "-"],
    ));
    assert!(
        assen.contains("Signalen van mensenhandel in Assen")
            && assen.contains("Gemeente Assen")
            && assen.contains("<5"),
        "{assen}"
    );
    assert!(!assen.contains("Gemeente Emmen"), "{assen}");

    // Mistakes are explained.
    let error = inbox.run_failing(&["report", "--quarter", "2026-Q7", "-o", "x.pdf"]);
    assert!(error.contains("geen kwartaal"), "{error}");
    let error = inbox.run_failing(&["report", "--quarter", &quarter, "-o", "rapport.docx"]);
    assert!(error.contains(".pdf of .html"), "{error}");
    let error = inbox.run_failing(&[
        "report",
        "--quarter",
        &quarter,
        "--municipality",
        "atlantis",
        "-o",
        "x.pdf",
    ]);
    assert!(
        error.contains("atlantis") && error.contains("assen"),
        "{error}"
    );
}
