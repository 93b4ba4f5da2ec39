//! The hand-over in the workspace: on the case page, pick a receiver from the book, leave out
//! whole fields and passages of the reporter's text, look at exactly what the receiver will read,
//! and download the file sealed to the receiver alone; the hand-over is recorded on the case.
//! Through the same functions as `fluister-inbox handover` ([`crate::commands::handover`]).
//!
//! Both steps are POSTs (the passages are the reporter's words and never go in an address); the
//! workspace's answer-once page (`/shown`) shows the preview, and hands over the download.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use zeroize::Zeroizing;

use super::AppState;
use super::actions::refused;
use super::html::Html;
use super::routes::{
    FormFields, Reason, Refusal, Unlocked, blocking, labels, tip_number, unlocked_page,
};
use super::words::{self, Words, words};
use crate::commands::handover::{self, PreparedHandover};
use crate::receivers::Receiver;
use crate::render::RedactPart;

/// The most characters of passages to leave out, all lines together.
const MAX_PASSAGES_CHARS: usize = 2_000;

/// The whole fields a hand-over may leave out, as the form names them.
const FIELDS: [(RedactPart, &str); 5] = [
    (RedactPart::Contact, "contact"),
    (RedactPart::Place, "place"),
    (RedactPart::When, "when"),
    (RedactPart::Notes, "notes"),
    (RedactPart::Text, "text"),
];

/// The hand-over section of the case page: the receivers with a key, the fields, the passages,
/// and the two buttons.
pub(crate) fn section(html: &mut Html, number: u64, words: &Words, receivers: &[Receiver]) {
    html.markup("<h2 id=\"handover-heading\">")
        .markup(words.handover_heading)
        .markup("</h2><p id=\"handover-hint\">")
        .markup(words.handover_hint)
        .markup("</p>");
    let with_key: Vec<&Receiver> = receivers
        .iter()
        .filter(|receiver| receiver.recipient().is_some())
        .collect();
    if with_key.is_empty() {
        html.markup("<p>")
            .markup(words.handover_no_receivers)
            .markup("</p>");
        return;
    }
    html.markup("<form method=\"post\" action=\"/tips/")
        .number(number)
        .markup(
            "/handover\" autocomplete=\"off\" aria-labelledby=\"handover-heading\" \
             aria-describedby=\"handover-hint\"><div class=\"field\"><label for=\"handover-to\">",
        )
        .markup(words.handover_to)
        .markup("</label><select id=\"handover-to\" name=\"receiver\" required>");
    for receiver in with_key {
        html.markup("<option value=\"")
            .text(&receiver.name)
            .markup("\">")
            .text(&receiver.name)
            .markup("</option>");
    }
    html.markup("</select></div>");
    fields(html, words, &[]);
    html.markup("<div class=\"field\"><label for=\"handover-passages\">")
        .markup(words.handover_passages)
        .markup("</label><p id=\"handover-passages-hint\" class=\"hint\">")
        .markup(words.handover_passages_hint)
        .markup(
            "</p><textarea id=\"handover-passages\" name=\"passages\" rows=\"3\" \
             maxlength=\"2000\" autocomplete=\"off\" spellcheck=\"false\" \
             aria-describedby=\"handover-passages-hint\"></textarea></div>\
             <button type=\"submit\" name=\"action\" value=\"preview\" class=\"button-secondary\">",
        )
        .markup(words.handover_preview_button)
        .markup(
            "</button> <button type=\"submit\" name=\"action\" value=\"seal\" \
             class=\"button-primary\">",
        )
        .markup(words.handover_seal_button)
        .markup("</button></form>");
}

/// The receivers' book on the settings page: each receiver with whether it has a key and its
/// note, a button to remove it, and a form to add one or set its key.
pub(crate) fn receivers_section(
    html: &mut Html,
    words: &Words,
    receivers: &[Receiver],
    change: Option<&str>,
) {
    html.markup("<h2 id=\"receivers-heading\">")
        .markup(words.receivers_heading)
        .markup("</h2>");
    if let Some(change) = change {
        html.markup("<p id=\"receivers-result\" class=\"notice\" role=\"status\">")
            .text(change)
            .markup("</p>");
    }
    html.markup("<p>")
        .markup(words.receivers_introduction)
        .markup("</p><ul class=\"receivers\">");
    for receiver in receivers {
        html.markup("<li>").text(&receiver.name).markup(" (");
        html.markup(if receiver.recipient().is_some() {
            words.receivers_has_key
        } else {
            words.receivers_no_key
        });
        html.markup(")");
        if !receiver.note.is_empty() {
            html.markup(": ").text(&receiver.note);
        }
        html.markup(
            "<form method=\"post\" action=\"/settings/receivers/remove\" class=\"inline-form\">\
             <input type=\"hidden\" name=\"name\" value=\"",
        )
        .text(&receiver.name)
        .markup("\"><button type=\"submit\" class=\"button-secondary\" aria-label=\"")
        .markup(words.receivers_remove_button)
        .markup(": ")
        .text(&receiver.name)
        .markup("\">")
        .markup(words.receivers_remove_button)
        .markup("</button></form></li>");
    }
    html.markup("</ul><h3 id=\"receiver-set-heading\">")
        .markup(words.receivers_set_heading)
        .markup(
            "</h3><form method=\"post\" action=\"/settings/receivers\" autocomplete=\"off\" \
             aria-labelledby=\"receiver-set-heading\"><p id=\"receiver-set-hint\" class=\"hint\">",
        )
        .markup(words.receivers_set_hint)
        .markup("</p><div class=\"field\"><label for=\"receiver-name\">")
        .markup(words.receivers_name_label)
        .markup(
            "</label><input type=\"text\" id=\"receiver-name\" name=\"name\" required \
             maxlength=\"60\" autocomplete=\"off\" aria-describedby=\"receiver-set-hint\">\
             </div><div class=\"field\"><label for=\"receiver-key\">",
        )
        .markup(words.receivers_key_label)
        .markup(
            "</label><input type=\"text\" id=\"receiver-key\" name=\"key\" maxlength=\"2100\" \
             autocomplete=\"off\" spellcheck=\"false\"></div><div class=\"field\">\
             <label for=\"receiver-note\">",
        )
        .markup(words.receivers_note_label)
        .markup(
            "</label><input type=\"text\" id=\"receiver-note\" name=\"note\" maxlength=\"300\" \
             autocomplete=\"off\"></div><button type=\"submit\" class=\"button-secondary\">",
        )
        .markup(words.receivers_set_button)
        .markup("</button></form>");
}

/// The checkboxes of the fields to leave out, those in `checked` ticked.
fn fields(html: &mut Html, words: &Words, checked: &[RedactPart]) {
    html.markup("<fieldset><legend>")
        .markup(words.handover_leave_out)
        .markup("</legend>");
    for (part, value) in FIELDS {
        let label = match part {
            RedactPart::Contact => words.export_leave_out_contact,
            RedactPart::Place => words.export_leave_out_place,
            RedactPart::When => words.handover_leave_out_when,
            RedactPart::Notes => words.export_leave_out_notes,
            RedactPart::Text => words.handover_leave_out_text,
            RedactPart::Reply => continue,
        };
        html.markup(
            "<div class=\"checkbox\"><input type=\"checkbox\" name=\"leave_out\" id=\"handover-out-",
        )
        .markup(value)
        .markup("\" value=\"")
        .markup(value)
        .markup("\"");
        if checked.contains(&part) {
            html.markup(" checked");
        }
        html.markup("><label for=\"handover-out-")
            .markup(value)
            .markup("\">")
            .markup(label)
            .markup("</label></div>");
    }
    html.markup("</fieldset>");
}

/// What the form asks for.
struct Choice {
    receiver: String,
    leave_out: Vec<RedactPart>,
    passages: Zeroizing<String>,
    seal: bool,
}

fn choice(body: &[u8], language: crate::vocabulary::Language) -> Result<Choice, String> {
    let words = words(language);
    let fields = FormFields::parse(body);
    let receiver = fields.get("receiver").unwrap_or_default().trim().to_owned();
    if receiver.is_empty() {
        return Err(words.handover_choose_receiver.to_owned());
    }
    let mut leave_out = Vec::new();
    for (name, value) in fields.iter() {
        if name != "leave_out" {
            continue;
        }
        let part = FIELDS
            .iter()
            .find(|(_, id)| *id == value)
            .map(|(part, _)| *part)
            .ok_or_else(|| words.handover_unknown_field.to_owned())?;
        if !leave_out.contains(&part) {
            leave_out.push(part);
        }
    }
    // The textarea's lines, or one hidden field per line from the preview page.
    let passages = Zeroizing::new(
        fields
            .iter()
            .filter(|(name, _)| *name == "passages")
            .map(|(_, value)| value)
            .collect::<Vec<&str>>()
            .join("\n"),
    );
    if passages.chars().count() > MAX_PASSAGES_CHARS {
        return Err(words::too_long(
            language,
            words.handover_passages,
            MAX_PASSAGES_CHARS,
        ));
    }
    let seal = match fields.get("action") {
        Some("seal") => true,
        Some("preview") => false,
        _ => return Err(words.handover_unknown_field.to_owned()),
    };
    Ok(Choice {
        receiver,
        leave_out,
        passages,
        seal,
    })
}

/// `POST /tips/N/handover`: the preview page, or the sealed file as a download (recorded).
pub(crate) async fn handover(
    State(state): State<AppState>,
    access: Unlocked,
    Path(number): Path<String>,
    body: Bytes,
) -> Response {
    let Unlocked { language, keys, .. } = access;
    let body = Zeroizing::new(Vec::from(body));
    let result = async {
        let number = tip_number(&number, language)?;
        let choice = choice(&body, language)
            .map_err(|why| Refusal::new(language, Reason::BadRequest(why)))?;
        let state = state.clone();
        blocking(language, move || {
            let refused = |error| refused(language, error);
            let passages: Vec<String> = choice.passages.lines().map(str::to_owned).collect();
            let prepared = handover::prepare(
                state.home(),
                &keys,
                &labels(&state, language)?,
                number,
                &choice.receiver,
                &choice.leave_out,
                &passages,
            )
            .map_err(refused)?;
            if !choice.seal {
                return Ok(Answer::Preview(preview(
                    number, language, &prepared, &choice,
                )));
            }
            let sealed = handover::seal_and_record(state.home(), &keys, language, &prepared, false)
                .map_err(refused)?;
            Ok(Answer::Sealed(number, sealed))
        })
        .await
    }
    .await;
    match result {
        Ok(Answer::Preview(content)) => unlocked_page(
            language,
            "/",
            None,
            words(language).handover_preview_title,
            content,
        ),
        Ok(Answer::Sealed(number, sealed)) => {
            let mut response = (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/octet-stream"),
                )],
                sealed,
            )
                .into_response();
            let disposition = format!("attachment; filename=\"fluister-overdracht-{number}.age\"");
            if let Ok(value) = HeaderValue::from_str(&disposition) {
                response
                    .headers_mut()
                    .insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
        Err(refusal) => refusal.into_response(),
    }
}

enum Answer {
    Preview(Html),
    Sealed(u64, Vec<u8>),
}

/// Exactly what the receiver will read, and a form that hands it over with the same choices.
fn preview(
    number: u64,
    language: crate::vocabulary::Language,
    prepared: &PreparedHandover,
    choice: &Choice,
) -> Html {
    let words = words(language);
    let mut html = Html::default();
    html.markup("<h1>")
        .markup(words.handover_preview_title)
        .markup("</h1><p>")
        .markup(words.handover_preview_intro)
        .markup(" <strong>")
        .text(&prepared.receiver.name)
        .markup("</strong>.</p><pre class=\"reporter-text handover-preview\">")
        .multi_line_text(&prepared.case_file)
        .markup("</pre><form method=\"post\" action=\"/tips/")
        .number(number)
        .markup(
            "/handover\" autocomplete=\"off\"><input type=\"hidden\" name=\"receiver\" value=\"",
        )
        .text(&prepared.receiver.name)
        .markup("\">");
    for passage in choice
        .passages
        .lines()
        .filter(|line| !line.trim().is_empty())
    {
        html.markup("<input type=\"hidden\" name=\"passages\" value=\"")
            .text(passage)
            .markup("\">");
    }
    for part in &choice.leave_out {
        html.markup("<input type=\"hidden\" name=\"leave_out\" value=\"")
            .markup(part.id())
            .markup("\">");
    }
    html.markup("<button type=\"submit\" name=\"action\" value=\"seal\" class=\"button-primary\">")
        .markup(words.handover_seal_button)
        .markup("</button></form><p class=\"back-link\"><a href=\"/tips/")
        .number(number)
        .markup("\">")
        .markup(words.handover_back)
        .markup("</a></p>");
    html
}
