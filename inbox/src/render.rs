//! Turns a tip into something a person reads: the terminal view (`show`), the case files
//! (`export`, Markdown and JSON) and the tables of `list` and `quarantine`, with labels in
//! Dutch or English and optional redaction.
//!
//! Everything a reporter typed is untrusted: control characters and bidirectional overrides are
//! replaced before printing (they could rewrite the coordinator's terminal or disguise text),
//! and in Markdown the free text sits in a fenced block so it cannot become links or markup.

use fluister_envelope::tip::TipDocument;
use fluister_envelope::tip::vocabulary::signals;
use serde_json::{Value, json};

use crate::time::LocalHour;
use crate::triage::{TriageRecord, TriageStatus};
use crate::vocabulary::{Labels, Language};

/// A part of a tip that `export --redact` can leave out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RedactPart {
    /// How the reporter wants to be contacted (may identify them).
    Contact,
    /// The free-text description.
    Text,
    /// The place, in the reporter's words.
    Place,
    /// When it happened.
    When,
    /// The anonymous reply address (mailbox and key).
    Reply,
    /// The coordinator's own triage notes.
    Notes,
}

impl RedactPart {
    /// The part's name, as `--redact` and `--leave-out` take it.
    pub fn id(self) -> &'static str {
        match self {
            RedactPart::Contact => "contact",
            RedactPart::Text => "text",
            RedactPart::Place => "place",
            RedactPart::When => "when",
            RedactPart::Reply => "reply",
            RedactPart::Notes => "notes",
        }
    }
}

/// What is known about a tip besides its document.
#[derive(Clone, Debug)]
pub struct TipContext<'a> {
    /// The local number, or `None` for a file opened by path.
    pub number: Option<u64>,
    /// The hour it arrived, Unix seconds, if known.
    pub received_hour: Option<u64>,
    /// Its triage record, if it is in the store.
    pub triage: Option<&'a TriageRecord>,
}

/// Replaces characters that could mislead a terminal or a reader: control characters (except
/// newline and tab when `multi_line`) and bidirectional-text overrides.
pub fn sanitise(text: &str, multi_line: bool) -> String {
    text.chars()
        .map(|character| {
            let is_allowed_whitespace = multi_line && matches!(character, '\n' | '\t');
            let is_bidirectional_control = matches!(
                character,
                '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
            );
            if (character.is_control() && !is_allowed_whitespace) || is_bidirectional_control {
                '\u{FFFD}'
            } else {
                character
            }
        })
        .collect()
}

/// The words around the data, per language.
struct Words {
    tip: &'static str,
    received: &'static str,
    dutch_time: &'static str,
    status: &'static str,
    handed_over_to: &'static str,
    kind: &'static str,
    role: &'static str,
    how_known: &'static str,
    municipality: &'static str,
    place: &'static str,
    when: &'static str,
    ongoing: &'static str,
    signals: &'static str,
    unknown_signals: &'static str,
    description: &'static str,
    contact: &'static str,
    contact_warning: &'static str,
    reply: &'static str,
    reply_possible: &'static str,
    unknown_fields: &'static str,
    notes: &'static str,
    not_given: &'static str,
    redacted: &'static str,
    case_file: &'static str,
}

const DUTCH_WORDS: Words = Words {
    tip: "Melding",
    received: "Ontvangen",
    dutch_time: "Nederlandse tijd",
    status: "Status",
    handed_over_to: "overgedragen aan",
    kind: "Soort uitbuiting",
    role: "Wie meldt",
    how_known: "Hoe weet de melder dit",
    municipality: "Gemeente",
    place: "Waar",
    when: "Wanneer",
    ongoing: "gaat nog door",
    signals: "Signalen",
    unknown_signals: "Signalen die deze versie niet kent",
    description: "Wat er gebeurde",
    contact: "Contact",
    contact_warning: "de melder wil contact; dit kan de anonimiteit opheffen",
    reply: "Antwoorden",
    reply_possible: "de melder kan een anoniem antwoord ontvangen via de server",
    unknown_fields: "Velden van een nieuwere widget",
    notes: "Notities",
    not_given: "niet ingevuld",
    redacted: "weggelaten",
    case_file: "Dossier",
};

const ENGLISH_WORDS: Words = Words {
    tip: "Tip",
    received: "Received",
    dutch_time: "Dutch time",
    status: "Status",
    handed_over_to: "handed over to",
    kind: "Kind of exploitation",
    role: "Who reports",
    how_known: "How the reporter knows",
    municipality: "Municipality",
    place: "Where",
    when: "When",
    ongoing: "still going on",
    signals: "Signals",
    unknown_signals: "Signals this version does not know",
    description: "What happened",
    contact: "Contact",
    contact_warning: "the reporter wants contact; this may lift their anonymity",
    reply: "Replies",
    reply_possible: "the reporter can receive an anonymous reply through the relay",
    unknown_fields: "Fields from a newer widget",
    notes: "Notes",
    not_given: "not given",
    redacted: "left out",
    case_file: "Case file",
};

fn words(language: Language) -> &'static Words {
    match language {
        Language::Nl => &DUTCH_WORDS,
        Language::En => &ENGLISH_WORDS,
    }
}

/// `2025-03-01, still going on, "every weekend"`.
fn describe_when(document: &TipDocument, words: &Words) -> Option<String> {
    let when = document.when.as_ref()?;
    let mut parts = Vec::new();
    if let Some(date) = &when.date {
        parts.push(sanitise(date, false));
    }
    if when.ongoing {
        parts.push(words.ongoing.to_owned());
    }
    if let Some(text) = &when.text {
        parts.push(format!("\"{}\"", sanitise(text, false)));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// The signals grouped under their group labels, then those this version does not know.
fn grouped_signals(
    document: &TipDocument,
    labels: &Labels,
) -> (Vec<(String, Vec<String>)>, Vec<String>) {
    let mut groups = Vec::new();
    for group in signals::GROUPS {
        let ticked: Vec<String> = group
            .signal_ids
            .iter()
            .filter(|signal_id| document.signals.iter().any(|ticked| ticked == *signal_id))
            .map(|signal_id| {
                labels
                    .signal(signal_id)
                    .map(|text| text.label.clone())
                    .unwrap_or_else(|| (*signal_id).to_owned())
            })
            .collect();
        if !ticked.is_empty() {
            groups.push((labels.signal_group(group.group_id), ticked));
        }
    }
    let unknown = document
        .signals
        .iter()
        .filter(|signal_id| !signals::is_known(signal_id))
        .map(|signal_id| sanitise(signal_id, false))
        .collect();
    (groups, unknown)
}

fn heading_line(context: &TipContext<'_>, words: &Words, language: Language) -> String {
    let mut parts = Vec::new();
    match context.number {
        Some(number) => parts.push(format!("{} {number}", words.tip)),
        None => parts.push(words.tip.to_owned()),
    }
    if let Some(hour) = context.received_hour {
        parts.push(format!(
            "{} {} ({})",
            words.received.to_lowercase(),
            LocalHour::from_unix_seconds(hour),
            words.dutch_time
        ));
    }
    if let Some(triage) = context.triage {
        parts.push(format!(
            "{}: {}",
            words.status.to_lowercase(),
            status_text(triage, words, language)
        ));
    }
    parts.join(" · ")
}

fn status_text(triage: &TriageRecord, words: &Words, language: Language) -> String {
    match (&triage.status, &triage.handed_over_to) {
        (TriageStatus::HandedOver, Some(whom)) => {
            format!("{} {}", words.handed_over_to, sanitise(whom, false))
        }
        (status, _) => status.label(language).to_owned(),
    }
}

fn indent(text: &str, prefix: &str) -> String {
    text.lines()
        .map(|line| format!("{prefix}{line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The terminal view of a tip (`show`).
pub fn show_text(document: &TipDocument, context: &TipContext<'_>, labels: &Labels) -> String {
    let language = labels.language();
    let words = words(language);
    let not_given = || format!("({})", words.not_given);
    let mut out = String::new();
    let heading = heading_line(context, words, language);
    out.push_str(&format!(
        "{heading}\n{}\n",
        "=".repeat(heading.chars().count().min(78))
    ));
    let field = |out: &mut String, name: &str, value: String| {
        out.push_str(&format!("{:<22} {value}\n", format!("{name}:")));
    };
    field(
        &mut out,
        words.kind,
        labels.kinds(&document.kinds).unwrap_or_else(not_given),
    );
    field(
        &mut out,
        words.role,
        document
            .role
            .as_ref()
            .map(|role| labels.role(role))
            .unwrap_or_else(not_given),
    );
    field(
        &mut out,
        words.how_known,
        document
            .how_known
            .as_ref()
            .map(|how| labels.how_known(how))
            .unwrap_or_else(not_given),
    );
    field(
        &mut out,
        words.municipality,
        document
            .municipality
            .as_ref()
            .map(|municipality| labels.municipality(municipality))
            .unwrap_or_else(not_given),
    );
    field(
        &mut out,
        words.place,
        document
            .place
            .as_deref()
            .map(|place| sanitise(place, false))
            .unwrap_or_else(not_given),
    );
    field(
        &mut out,
        words.when,
        describe_when(document, words).unwrap_or_else(not_given),
    );
    let (groups, unknown) = grouped_signals(document, labels);
    if groups.is_empty() && unknown.is_empty() {
        field(&mut out, words.signals, not_given());
    } else {
        out.push_str(&format!("{}:\n", words.signals));
        for (group_label, signal_labels) in groups {
            out.push_str(&format!("  {group_label}\n"));
            for label in signal_labels {
                out.push_str(&format!("    - {label}\n"));
            }
        }
        if !unknown.is_empty() {
            out.push_str(&format!(
                "  {}: {}\n",
                words.unknown_signals,
                unknown.join(", ")
            ));
        }
    }
    out.push_str(&format!(
        "\n{}:\n{}\n\n",
        words.description,
        indent(&sanitise(&document.text, true), "  ")
    ));
    if let Some(contact) = &document.contact {
        field(&mut out, words.contact, sanitise(contact, false));
        out.push_str(&format!("{:<22} ({})\n", "", words.contact_warning));
    }
    if document.reply.is_some() {
        field(&mut out, words.reply, words.reply_possible.to_owned());
    }
    if !document.unknown_fields.is_empty() {
        let rendered = serde_json::to_string(&document.unknown_fields).unwrap_or_default();
        field(&mut out, words.unknown_fields, sanitise(&rendered, false));
    }
    if let Some(triage) = context.triage
        && !triage.notes.is_empty()
    {
        out.push_str(&format!("\n{}:\n", words.notes));
        for note in &triage.notes {
            out.push_str(&format!(
                "  {}: {}\n",
                LocalHour::from_unix_seconds(note.written_at - note.written_at % 3600).date(),
                sanitise(&note.text, false)
            ));
        }
    }
    out
}

/// Plain text of a file that opened but is not a tip document (shown sanitised).
pub fn show_plain_text(plaintext: &[u8]) -> String {
    sanitise(String::from_utf8_lossy(plaintext).trim_end(), true)
}

/// A Markdown fence longer than any run of backticks in `text`.
fn fence_for(text: &str) -> String {
    let mut longest = 0;
    let mut current = 0;
    for character in text.chars() {
        if character == '`' {
            current += 1;
            longest = longest.max(current);
        } else {
            current = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

/// Escapes Markdown's special characters in a one-line value.
fn markdown_inline(text: &str) -> String {
    let mut escaped = String::new();
    for character in sanitise(text, false).chars() {
        if "\\`*_{}[]()<>#+-.!|~".contains(character) {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    escaped
}

/// One piece of a case file, in reading order: what the Markdown and the PDF case files are
/// both made of (see [`case_file`]), so they always hold the same content. Texts are cleaned of
/// control and bidirectional characters but not escaped; each format escapes them its own way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaseFileBlock {
    /// The title: "Dossier: Melding 3 · ontvangen …".
    Title(String),
    /// One fact: its name, its value, and a remark after the value (the contact warning).
    Field {
        /// What the fact is ("Gemeente").
        name: String,
        /// The fact, or what stands in for it.
        value: CaseFileValue,
        /// Said after the value, in brackets.
        remark: Option<String>,
    },
    /// A section heading.
    Heading(String),
    /// A group of list items under a label (the signals of one group).
    Group {
        /// The group's label.
        label: String,
        /// Its items.
        items: Vec<String>,
    },
    /// A line of text.
    Line(String),
    /// What stands in for a part that was left out or not given: "(weggelaten)".
    Placeholder(String),
    /// The reporter's own words, several lines, kept as they were typed.
    ReporterText(String),
    /// A dated note of the coordinator's.
    Note {
        /// The day it was written.
        date: String,
        /// The note.
        text: String,
    },
}

/// The value of a [`CaseFileBlock::Field`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaseFileValue {
    /// The fact itself.
    Text(String),
    /// What stands in for it: "(niet ingevuld)", "(weggelaten)".
    Placeholder(String),
}

/// The content of a case file (`export`), without the `redact`ed parts.
pub fn case_file(
    document: &TipDocument,
    context: &TipContext<'_>,
    labels: &Labels,
    redact: &[RedactPart],
) -> Vec<CaseFileBlock> {
    let language = labels.language();
    let words = words(language);
    let is_redacted = |part: RedactPart| redact.contains(&part);
    let left_out = || CaseFileValue::Placeholder(format!("({})", words.redacted));
    let not_given = || CaseFileValue::Placeholder(format!("({})", words.not_given));
    let text = |value: String| CaseFileValue::Text(sanitise(&value, false));
    let mut blocks = vec![CaseFileBlock::Title(sanitise(
        &format!(
            "{}: {}",
            words.case_file,
            heading_line(context, words, language)
        ),
        false,
    ))];
    let mut field = |name: &str, value: CaseFileValue, remark: Option<&str>| {
        blocks.push(CaseFileBlock::Field {
            name: name.to_owned(),
            value,
            remark: remark.map(str::to_owned),
        })
    };
    field(
        words.kind,
        labels
            .kinds(&document.kinds)
            .map(text)
            .unwrap_or_else(not_given),
        None,
    );
    field(
        words.role,
        document
            .role
            .as_ref()
            .map(|role| text(labels.role(role)))
            .unwrap_or_else(not_given),
        None,
    );
    field(
        words.how_known,
        document
            .how_known
            .as_ref()
            .map(|how| text(labels.how_known(how)))
            .unwrap_or_else(not_given),
        None,
    );
    field(
        words.municipality,
        document
            .municipality
            .as_ref()
            .map(|municipality| text(labels.municipality(municipality)))
            .unwrap_or_else(not_given),
        None,
    );
    field(
        words.place,
        if is_redacted(RedactPart::Place) {
            left_out()
        } else {
            document.place.clone().map(text).unwrap_or_else(not_given)
        },
        None,
    );
    field(
        words.when,
        if is_redacted(RedactPart::When) {
            left_out()
        } else {
            describe_when(document, words)
                .map(text)
                .unwrap_or_else(not_given)
        },
        None,
    );
    if is_redacted(RedactPart::Contact) {
        field(words.contact, left_out(), None);
    } else if let Some(contact) = &document.contact {
        field(
            words.contact,
            text(contact.clone()),
            Some(words.contact_warning),
        );
    }
    if document.reply.is_some() && !is_redacted(RedactPart::Reply) {
        field(words.reply, text(words.reply_possible.to_owned()), None);
    }
    let (groups, unknown) = grouped_signals(document, labels);
    blocks.push(CaseFileBlock::Heading(words.signals.to_owned()));
    if groups.is_empty() && unknown.is_empty() {
        blocks.push(CaseFileBlock::Placeholder(format!("({})", words.not_given)));
    }
    for (group_label, signal_labels) in groups {
        blocks.push(CaseFileBlock::Group {
            label: sanitise(&group_label, false),
            items: signal_labels
                .iter()
                .map(|label| sanitise(label, false))
                .collect(),
        });
    }
    if !unknown.is_empty() {
        blocks.push(CaseFileBlock::Line(format!(
            "{}: {}",
            words.unknown_signals,
            unknown.join(", ")
        )));
    }
    blocks.push(CaseFileBlock::Heading(words.description.to_owned()));
    if is_redacted(RedactPart::Text) {
        blocks.push(CaseFileBlock::Placeholder(format!("({})", words.redacted)));
    } else {
        blocks.push(CaseFileBlock::ReporterText(sanitise(&document.text, true)));
    }
    if let Some(triage) = context.triage
        && !triage.notes.is_empty()
    {
        blocks.push(CaseFileBlock::Heading(words.notes.to_owned()));
        if is_redacted(RedactPart::Notes) {
            blocks.push(CaseFileBlock::Placeholder(format!("({})", words.redacted)));
        } else {
            for note in &triage.notes {
                blocks.push(CaseFileBlock::Note {
                    date: LocalHour::from_unix_seconds(note.written_at - note.written_at % 3600)
                        .date(),
                    text: sanitise(&note.text, false),
                });
            }
        }
    }
    blocks
}

/// The Markdown case file (`export --format markdown`): [`case_file`] with the reporter's text
/// in a fence and every other text escaped, so nothing a reporter typed becomes markup.
pub fn export_markdown(
    document: &TipDocument,
    context: &TipContext<'_>,
    labels: &Labels,
    redact: &[RedactPart],
) -> String {
    let mut out = String::new();
    for block in case_file(document, context, labels, redact) {
        match block {
            CaseFileBlock::Title(title) => {
                out.push_str(&format!("# {}\n\n", markdown_inline(&title)))
            }
            CaseFileBlock::Field {
                name,
                value,
                remark,
            } => {
                let value = match value {
                    CaseFileValue::Text(text) => markdown_inline(&text),
                    CaseFileValue::Placeholder(text) => format!("*{text}*"),
                };
                match remark {
                    Some(remark) => out.push_str(&format!("- **{name}:** {value} ({remark})\n")),
                    None => out.push_str(&format!("- **{name}:** {value}\n")),
                }
            }
            CaseFileBlock::Heading(heading) => out.push_str(&format!("\n## {heading}\n\n")),
            CaseFileBlock::Group { label, items } => {
                out.push_str(&format!("**{}**\n\n", markdown_inline(&label)));
                for item in items {
                    out.push_str(&format!("- {}\n", markdown_inline(&item)));
                }
                out.push('\n');
            }
            CaseFileBlock::Line(line) => out.push_str(&format!("{}\n", markdown_inline(&line))),
            CaseFileBlock::Placeholder(text) => out.push_str(&format!("*{text}*\n")),
            CaseFileBlock::ReporterText(text) => {
                let fence = fence_for(&text);
                out.push_str(&format!("{fence}text\n{text}\n{fence}\n"));
            }
            CaseFileBlock::Note { date, text } => {
                out.push_str(&format!("- {date}: {}\n", markdown_inline(&text)));
            }
        }
    }
    out
}

/// The JSON case file (`export --format json`): the document (minus redacted parts), the labels
/// in the chosen language, and the triage state.
pub fn export_json(
    document: &TipDocument,
    context: &TipContext<'_>,
    labels: &Labels,
    redact: &[RedactPart],
) -> Value {
    let mut document_json = serde_json::to_value(document).expect("a tip document serializes");
    if let Value::Object(fields) = &mut document_json {
        for part in redact {
            let field = match part {
                RedactPart::Contact => "contact",
                RedactPart::Text => "text",
                RedactPart::Place => "where",
                RedactPart::When => "when",
                RedactPart::Reply => "reply",
                RedactPart::Notes => continue,
            };
            fields.remove(field);
        }
    }
    let signal_labels: Vec<Value> = document
        .signals
        .iter()
        .map(|signal_id| {
            json!({
                "id": signal_id,
                "label": labels.signal(signal_id).map(|text| text.label.clone()),
            })
        })
        .collect();
    let triage = context.triage.map(|triage| {
        let mut value = json!({
            "status": triage.status,
            "handed_over_to": triage.handed_over_to,
        });
        if !redact.contains(&RedactPart::Notes) {
            value["notes"] = serde_json::to_value(&triage.notes).expect("notes serialize");
        }
        value
    });
    let redacted: Vec<String> = redact
        .iter()
        .map(|part| format!("{part:?}").to_lowercase())
        .collect();
    json!({
        "fluister_case_file": 1,
        "language": labels.language_code,
        "tip_number": context.number,
        "received_hour_unix": context.received_hour,
        "received_dutch_time": context.received_hour.map(|hour| LocalHour::from_unix_seconds(hour).to_string()),
        "labels": {
            "kinds": document.kinds.iter().map(|kind| labels.kind(kind)).collect::<Vec<_>>(),
            "role": document.role.as_ref().map(|role| labels.role(role)),
            "how_known": document.how_known.as_ref().map(|how| labels.how_known(how)),
            "municipality": document.municipality.as_ref().map(|municipality| labels.municipality(municipality)),
            "signals": signal_labels,
        },
        "triage": triage,
        "redacted": redacted,
        "document": document_json,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_and_bidirectional_overrides_are_neutralised() {
        let hostile = "ok\u{1b}[2J\u{7}\r\nline two\u{202E}txt.exe";
        let shown = sanitise(hostile, true);
        assert!(!shown.contains('\u{1b}'));
        assert!(!shown.contains('\u{202E}'));
        assert!(!shown.contains('\r'));
        assert!(shown.contains("\nline two"));
        assert!(!sanitise("a\nb", false).contains('\n'));
    }

    #[test]
    fn markdown_fence_outgrows_backticks_in_the_text() {
        assert_eq!(fence_for("plain"), "```");
        assert_eq!(fence_for("```` inside"), "`````");
        assert_eq!(markdown_inline("[link](x)"), "\\[link\\]\\(x\\)");
    }

    #[test]
    fn redacted_parts_are_absent_from_both_exports() {
        let mut document = TipDocument::new("SECRET TEXT");
        document.contact = Some("SECRET PHONE 0612345678".to_owned());
        document.place = Some("SECRET PLACE".to_owned());
        let context = TipContext {
            number: Some(3),
            received_hour: Some(1_764_313_200),
            triage: None,
        };
        let redact = [RedactPart::Text, RedactPart::Contact, RedactPart::Place];
        let labels = Labels::for_language(Language::En);
        let markdown = export_markdown(&document, &context, &labels, &redact);
        let json = export_json(&document, &context, &labels, &redact).to_string();
        for output in [&markdown, &json] {
            assert!(!output.contains("SECRET"), "{output}");
        }
        let full = export_markdown(&document, &context, &labels, &[]);
        assert!(full.contains("SECRET TEXT") && full.contains("SECRET PHONE"));
    }
}

/// One message of a conversation, as `show` prints it.
#[derive(Clone, Debug)]
pub struct ConversationEntry {
    /// The hour it arrived at the relay, Unix seconds.
    pub received_hour: u64,
    /// Whether the coordinator wrote it (otherwise the reporter did).
    pub written_by_coordinator: bool,
    /// The opened text, or `None` if it did not open with the coordinator's key.
    pub text: Option<String>,
}

/// The conversation under a tip in `show`: each message with its hour and who wrote it, in the
/// relay's order. `reply_command` is the hint printed when there are no messages yet.
pub fn conversation_text(
    entries: &[ConversationEntry],
    reply_command: &str,
    language: Language,
) -> String {
    let (heading, you, reporter, unreadable, empty) = match language {
        Language::Nl => (
            "Gesprek met de melder",
            "U",
            "Melder",
            "(dit bericht kan niet worden geopend met uw sleutel)",
            "Nog geen berichten. Stel een vraag met",
        ),
        Language::En => (
            "Conversation with the reporter",
            "You",
            "Reporter",
            "(this message cannot be opened with your key)",
            "No messages yet. Ask a question with",
        ),
    };
    let mut out = format!("\n{heading}\n{}\n", "-".repeat(heading.chars().count()));
    if entries.is_empty() {
        out.push_str(&format!("{empty}: {reply_command}\n"));
        return out;
    }
    for entry in entries {
        let who = if entry.written_by_coordinator {
            you
        } else {
            reporter
        };
        out.push_str(&format!(
            "[{}] {who}:\n",
            LocalHour::from_unix_seconds(entry.received_hour)
        ));
        match &entry.text {
            Some(text) => out.push_str(&indent(&sanitise(text, true), "  ")),
            None => out.push_str(&format!("  {unreadable}")),
        }
        out.push_str("\n\n");
    }
    out
}

/// The column headings of `list`.
pub fn tip_list_heading(language: Language) -> String {
    let headings = match language {
        Language::Nl => ["nr", "ontvangen", "gemeente", "soort", "melder", "status"],
        Language::En => [
            "no",
            "received",
            "municipality",
            "kind",
            "reporter",
            "status",
        ],
    };
    format!(
        "{:>6}  {:<16}  {:<15}  {:<22}  {:<20}  {}",
        headings[0], headings[1], headings[2], headings[3], headings[4], headings[5]
    )
}

/// A tip's status in `list`: the status in words, and to whom it was handed over.
pub fn tip_list_status(triage: &TriageRecord, language: Language) -> String {
    match (&triage.status, &triage.handed_over_to) {
        (TriageStatus::HandedOver, Some(whom)) => format!(
            "{}: {}",
            triage.status.label(language),
            sanitise(whom, false)
        ),
        (status, _) => status.label(language).to_owned(),
    }
}

/// One tip's row in `list`: number, hour received, municipality, kind, who reported, status.
pub fn tip_list_row(
    number: u64,
    received_hour: u64,
    document: &TipDocument,
    triage: &TriageRecord,
    labels: &Labels,
) -> String {
    let language = labels.language();
    let dash = || "–".to_owned();
    format!(
        "{:>6}  {:<16}  {}  {}  {}  {}",
        number,
        LocalHour::from_unix_seconds(received_hour).to_string(),
        truncate(
            &document
                .municipality
                .as_ref()
                .map(|value| labels.municipality(value))
                .unwrap_or_else(dash),
            15
        ),
        truncate(&labels.kinds(&document.kinds).unwrap_or_else(dash), 22),
        truncate(
            &document
                .role
                .as_ref()
                .map(|value| labels.role(value))
                .unwrap_or_else(dash),
            20
        ),
        tip_list_status(triage, language)
    )
}

/// The row in `list` of a tip that does not open: its number and hour only.
pub fn unopened_tip_list_row(number: u64, received_hour: u64, language: Language) -> String {
    let unopened = match language {
        Language::Nl => "kan niet worden geopend",
        Language::En => "cannot be opened",
    };
    format!(
        "{:>6}  {:<16}  ({unopened})",
        number,
        LocalHour::from_unix_seconds(received_hour).to_string()
    )
}

/// `text` cut or padded to `width` characters, with `…` where it was cut.
fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        format!("{text:<width$}")
    } else {
        let cut: String = text.chars().take(width - 1).collect();
        format!("{cut}…")
    }
}

/// The column headings of the table `quarantine` prints.
pub fn quarantine_table_heading(language: Language) -> String {
    let headings = match language {
        Language::Nl => ["ontvangen", "bestanden", "grootte"],
        Language::En => ["received", "files", "size"],
    };
    format!(
        "{:<16}  {:>9}  {:>10}",
        headings[0], headings[1], headings[2]
    )
}

/// One hour's row in the quarantine table: how many files arrived then, and their size.
pub fn quarantine_table_row(received_hour: u64, file_count: usize, size: &str) -> String {
    format!(
        "{:<16}  {file_count:>9}  {size:>10}",
        LocalHour::from_unix_seconds(received_hour).to_string()
    )
}

/// A size in bytes for people: "512 bytes", "18.3 kB", "1.1 GB" (powers of 1000).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod table_tests {
    use super::*;

    #[test]
    fn long_labels_are_cut_and_short_ones_padded() {
        assert_eq!(truncate("Assen", 8), "Assen   ");
        assert_eq!(truncate("Aa en Hunze", 8), "Aa en H…");
    }

    #[test]
    fn sizes_are_in_powers_of_a_thousand() {
        assert_eq!(human_size(512), "512 bytes");
        assert_eq!(human_size(18_300), "18.3 kB");
        assert_eq!(human_size(1_100_000_000), "1.1 GB");
    }
}
