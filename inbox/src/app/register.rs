//! Signals from other channels and linked cases in the workspace: the page "Signaal
//! registreren" (the fields of a tip and the channel it came in through, stored as
//! `fluister-inbox register` stores it), and on the case page the linked cases, the cases that
//! may be about the same situation (the same municipality and kind within 90 days: a
//! suggestion, never a link by itself) and the buttons that link them, through the same
//! functions as `fluister-inbox link` ([`crate::commands::link`]).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use fluister_envelope::tip::vocabulary::{Kind, Municipality, Role, signals};
use fluister_envelope::tip::{
    MAX_CONTACT_CHARS, MAX_PLACE_CHARS, MAX_TEXT_CHARS, MAX_WHEN_TEXT_CHARS, Source, TipDocument,
};
use zeroize::Zeroizing;

use super::AppState;
use super::html::Html;
use super::pages::{self, Frame};
use super::routes::{
    FormFields, Reason, Refusal, Unlocked, blocking, html_response, labels, redirect, tip_number,
    unlocked_page,
};
use super::session::{self, SummaryCache};
use super::words::{RegisterWords, register_words};
use crate::commands::link::{self, CaseFacts};
use crate::commands::register::{self, SignalFields};
use crate::error::Error;
use crate::keys::UnlockedKeys;
use crate::store::{self, StoredTip};
use crate::triage::TriageRecord;
use crate::vocabulary::{Labels, Language};

/// The largest registration form: a description of 20 000 characters, percent-encoded.
pub(super) const MAX_REGISTER_BODY_BYTES: usize = 256 * 1024;

/// The address of the registration page.
pub(super) const REGISTER_PATH: &str = "/register";

/// What the case page shows of the cases linked to this one and of those that may be about the
/// same situation: each case's number and a short description.
#[derive(Debug, Default)]
pub(crate) struct CaseLinks {
    pub(crate) linked: Vec<(u64, String)>,
    pub(crate) suggestions: Vec<(u64, String)>,
}

/// The linked cases and the suggestions for `stored`, from what the list knows of every tip
/// (the opened documents' municipality and kind, kept while unlocked).
pub(super) fn case_links(
    stored: &StoredTip,
    document: Option<&TipDocument>,
    record: &TriageRecord,
    tips: &[StoredTip],
    keys: &UnlockedKeys,
    summaries: &SummaryCache,
    labels: &Labels,
) -> CaseLinks {
    let others: Vec<CaseFacts> = session::summaries(tips, keys, summaries)
        .into_iter()
        .zip(tips)
        .map(|(summary, tip)| CaseFacts {
            number: tip.number,
            relay_id: tip.relay_id.clone(),
            received_hour: tip.received_hour,
            municipality: summary
                .facts
                .as_ref()
                .and_then(|facts| facts.municipality.clone()),
            kinds: summary
                .facts
                .as_ref()
                .map_or_else(Vec::new, |facts| facts.kinds.clone()),
        })
        .collect();
    let this_case = CaseFacts::of(stored, document);
    CaseLinks {
        linked: others
            .iter()
            .filter(|other| record.linked.contains(&other.relay_id))
            .map(|other| (other.number, link::describe(other, labels)))
            .collect(),
        suggestions: link::suggestions(&this_case, &others, &record.linked)
            .into_iter()
            .map(|other| (other.number, link::describe(other, labels)))
            .collect(),
    }
}

/// The case page's section of linked cases, suggestions and the link form.
pub(super) fn links_section(html: &mut Html, number: u64, links: &CaseLinks, language: Language) {
    let words = register_words(language);
    html.markup("<h2 id=\"linked-heading\">")
        .markup(words.linked_heading)
        .markup("</h2>");
    if links.linked.is_empty() {
        html.markup("<p>").markup(words.linked_none).markup("</p>");
    } else {
        html.markup("<ul class=\"notes\">");
        for (other, description) in &links.linked {
            html.markup("<li><a href=\"/tips/")
                .number(*other)
                .markup("\">")
                .text(description)
                .markup("</a></li>");
        }
        html.markup("</ul>");
    }
    if !links.suggestions.is_empty() {
        html.markup("<h3 id=\"suggestions-heading\">")
            .markup(words.suggestions_heading)
            .markup("</h3><p id=\"suggestions-hint\" class=\"hint\">")
            .markup(words.suggestions_hint)
            .markup("</p><ul class=\"notes\">");
        for (other, description) in &links.suggestions {
            html.markup("<li><a href=\"/tips/")
                .number(*other)
                .markup("\">")
                .text(description)
                .markup("</a> <form method=\"post\" action=\"/tips/")
                .number(number)
                .markup(
                    "/link\" class=\"inline-form\"><input type=\"hidden\" name=\"other\" value=\"",
                )
                .number(*other)
                .markup("\"><button type=\"submit\" class=\"button-secondary\">")
                .markup(words.link_button)
                .markup(" ")
                .number(*other)
                .markup("</button></form></li>");
        }
        html.markup("</ul>");
    }
    html.markup("<form method=\"post\" action=\"/tips/")
        .number(number)
        .markup(
            "/link\" autocomplete=\"off\" class=\"link-form\" aria-labelledby=\"linked-heading\">\
             <div class=\"field\"><label for=\"link-other\">",
        )
        .markup(words.link_number_label)
        .markup(
            "</label><input type=\"text\" inputmode=\"numeric\" pattern=\"[0-9]+\" \
             id=\"link-other\" name=\"other\" required maxlength=\"12\" autocomplete=\"off\">\
             </div><button type=\"submit\" class=\"button-secondary\">",
        )
        .markup(words.link_number_button)
        .markup("</button></form>");
}

/// `GET /register`: the registration form.
pub(super) async fn register_page(
    State(state): State<AppState>,
    access: Unlocked,
    uri: Uri,
) -> Response {
    let language = access.language;
    let here = uri
        .path_and_query()
        .map_or(REGISTER_PATH, |path| path.as_str())
        .to_owned();
    match labels(&state, language) {
        Ok(labels) => unlocked_page(
            language,
            &here,
            None,
            register_words(language).title,
            form(&labels, &SignalFields::default(), None),
        ),
        Err(refusal) => refusal.into_response(),
    }
}

/// `POST /register`: checks the fields as `fluister-inbox register` does and stores the signal
/// as the next numbered case, then goes to its case page. A refused form comes back filled in,
/// with the reason.
pub(super) async fn register(
    State(state): State<AppState>,
    access: Unlocked,
    body: Bytes,
) -> Response {
    let Unlocked { language, keys, .. } = access;
    let body = Zeroizing::new(Vec::from(body));
    let fields = signal_fields(&FormFields::parse(&body));
    let result = blocking(language, move || {
        let labels = labels(&state, language)?;
        let document = match register::document_from_fields(&fields, labels.region(), language) {
            Ok(document) => document,
            Err(Error::Usage(why)) => return Ok(Err((labels, fields, why))),
            Err(error) => return Err(Refusal::new(language, Reason::Failed(error))),
        };
        register::store_registered(state.home(), &keys, language, &document)
            .map(Ok)
            .map_err(|error| Refusal::new(language, Reason::Failed(error)))
    })
    .await;
    match result {
        Ok(Ok(number)) => redirect(&format!("/tips/{number}?saved")),
        Ok(Err((labels, fields, why))) => {
            let frame = Frame {
                language,
                unlocked: true,
                in_session: true,
                here: REGISTER_PATH,
                refresh_seconds: None,
            };
            html_response(
                StatusCode::BAD_REQUEST,
                pages::page(
                    &frame,
                    register_words(language).title,
                    form(&labels, &fields, Some(&why)),
                ),
            )
        }
        Err(refusal) => refusal.into_response(),
    }
}

/// `POST /tips/N/link`: links case N to the case the form names.
pub(super) async fn link(
    State(state): State<AppState>,
    access: Unlocked,
    Path(number): Path<String>,
    body: Bytes,
) -> Response {
    let Unlocked { language, keys, .. } = access;
    let result = async {
        let number = tip_number(&number, language)?;
        let fields = FormFields::parse(&body);
        let bad_request = |why: String| Refusal::new(language, Reason::BadRequest(why));
        let other = fields
            .get("other")
            .map(str::trim)
            .and_then(|other| other.parse::<u64>().ok())
            .ok_or_else(|| bad_request(register_words(language).link_not_a_number.to_owned()))?;
        if other == number {
            return Err(bad_request(crate::msg_in!(
                language,
                "link.same_case",
                number = number
            )));
        }
        blocking(language, move || {
            let this_tip = store::find_tip(state.home(), number)
                .map_err(|_| Refusal::new(language, Reason::NotFound))?;
            let other_tip = store::find_tip(state.home(), other).map_err(|error| match error {
                Error::Usage(why) => Refusal::new(language, Reason::BadRequest(why)),
                error => Refusal::new(language, Reason::Failed(error)),
            })?;
            link::link_cases(state.home(), &keys, language, &this_tip, &other_tip)
                .map_err(|error| Refusal::new(language, Reason::Failed(error)))?;
            Ok(number)
        })
        .await
    }
    .await;
    match result {
        Ok(number) => redirect(&format!("/tips/{number}?saved")),
        Err(refusal) => refusal.into_response(),
    }
}

/// The form's fields as typed (checked later, as on the command line).
fn signal_fields(fields: &FormFields) -> SignalFields {
    let text = |name: &str| fields.get(name).map(str::to_owned);
    SignalFields {
        source: text("source"),
        kind: text("kind"),
        role: text("role"),
        municipality: text("municipality"),
        signals: fields
            .iter()
            .filter(|(name, _)| *name == "signal")
            .map(|(_, value)| value.to_owned())
            .collect(),
        date: text("date"),
        ongoing: fields.get("ongoing").is_some(),
        when_text: text("when_text"),
        place: text("place"),
        text: text("text"),
        contact: text("contact"),
    }
}

/// One `<option>`, selected when `selected`.
fn option(html: &mut Html, value: &str, label: &str, selected: bool) {
    html.markup("<option value=\"").text(value).markup("\"");
    if selected {
        html.markup(" selected");
    }
    html.markup(">").text(label).markup("</option>");
}

/// A `<select>` with a label, an empty first choice and `choices` (value, label).
fn select(
    html: &mut Html,
    id: &'static str,
    label: &str,
    empty: &str,
    choices: &[(String, String)],
    chosen: Option<&str>,
    required: bool,
) {
    html.markup("<div class=\"field\"><label for=\"register-")
        .markup(id)
        .markup("\">")
        .text(label)
        .markup("</label><select id=\"register-")
        .markup(id)
        .markup("\" name=\"")
        .markup(id)
        .markup("\"")
        .markup(if required { " required>" } else { ">" });
    option(html, "", empty, chosen.is_none_or(str::is_empty));
    for (value, text) in choices {
        option(html, value, text, chosen == Some(value.as_str()));
    }
    html.markup("</select></div>");
}

/// A one-line text field with a label and an optional hint.
fn text_field(
    html: &mut Html,
    id: &'static str,
    input_type: &'static str,
    label: &str,
    hint: Option<&str>,
    maximum_characters: Option<usize>,
    value: Option<&str>,
) {
    html.markup("<div class=\"field\"><label for=\"register-")
        .markup(id)
        .markup("\">")
        .text(label)
        .markup("</label>");
    if let Some(hint) = hint {
        html.markup("<p id=\"register-")
            .markup(id)
            .markup("-hint\" class=\"hint\">")
            .text(hint)
            .markup("</p>");
    }
    html.markup("<input type=\"")
        .markup(input_type)
        .markup("\" id=\"register-")
        .markup(id)
        .markup("\" name=\"")
        .markup(id)
        .markup("\" autocomplete=\"off\"");
    if let Some(maximum) = maximum_characters {
        html.markup(" maxlength=\"")
            .number(maximum as u64)
            .markup("\"");
    }
    if hint.is_some() {
        html.markup(" aria-describedby=\"register-")
            .markup(id)
            .markup("-hint\"");
    }
    html.markup(" value=\"")
        .text(value.unwrap_or_default())
        .markup("\"></div>");
}

/// The registration form, filled in with `fields`, with `error` above it when it was refused.
pub(super) fn form(labels: &Labels, fields: &SignalFields, error: Option<&str>) -> Html {
    let language = labels.language();
    let words: &RegisterWords = register_words(language);
    let mut html = Html::with_capacity(32 * 1024);
    html.markup("<h1>").markup(words.title).markup("</h1>");
    if let Some(error) = error {
        html.markup("<div class=\"warning\" role=\"alert\"><h2>")
            .markup(words.error_heading)
            .markup("</h2><p>")
            .text(error)
            .markup("</p></div>");
    }
    html.markup("<p>")
        .markup(words.introduction)
        .markup("</p><p class=\"hint\">")
        .markup(words.team_note)
        .markup(
            "</p><form method=\"post\" action=\"/register\" autocomplete=\"off\" \
             class=\"register-form\">",
        );
    let sources: Vec<(String, String)> = Source::ALL
        .iter()
        .map(|source| {
            (
                source.id().to_owned(),
                register::source_label(*source, language).to_owned(),
            )
        })
        .collect();
    let chosen_source = fields
        .source
        .as_deref()
        .and_then(register::parse_source)
        .map(Source::id);
    select(
        &mut html,
        "source",
        words.source_label,
        words.source_choose,
        &sources,
        chosen_source,
        true,
    );
    let kinds: Vec<(String, String)> = Kind::ALL
        .iter()
        .map(|kind| (kind.as_str().to_owned(), labels.kind(kind)))
        .collect();
    let page_words = super::words::words(language);
    select(
        &mut html,
        "kind",
        page_words.kind,
        words.not_known,
        &kinds,
        fields.kind.as_deref(),
        false,
    );
    let roles: Vec<(String, String)> = Role::ALL
        .iter()
        .map(|role| (role.as_str().to_owned(), labels.role(role)))
        .collect();
    select(
        &mut html,
        "role",
        page_words.role,
        words.not_known,
        &roles,
        fields.role.as_deref(),
        false,
    );
    let municipalities: Vec<(String, String)> = labels
        .region()
        .municipalities
        .iter()
        .map(|municipality| municipality.id.clone())
        .chain([Municipality::OTHER.to_owned()])
        .map(|id| {
            let name = labels.municipality(&Municipality::from_id(&id));
            (id, name)
        })
        .collect();
    select(
        &mut html,
        "municipality",
        page_words.municipality,
        words.not_known,
        &municipalities,
        fields.municipality.as_deref(),
        false,
    );
    text_field(
        &mut html,
        "date",
        "date",
        words.date_label,
        Some(words.date_hint),
        None,
        fields.date.as_deref(),
    );
    html.markup(
        "<div class=\"checkbox\"><input type=\"checkbox\" id=\"register-ongoing\" \
         name=\"ongoing\" value=\"yes\"",
    );
    if fields.ongoing {
        html.markup(" checked");
    }
    html.markup("><label for=\"register-ongoing\">")
        .markup(words.ongoing_label)
        .markup("</label></div>");
    text_field(
        &mut html,
        "when_text",
        "text",
        words.when_text_label,
        Some(words.when_text_hint),
        Some(MAX_WHEN_TEXT_CHARS),
        fields.when_text.as_deref(),
    );
    text_field(
        &mut html,
        "place",
        "text",
        words.place_label,
        None,
        Some(MAX_PLACE_CHARS),
        fields.place.as_deref(),
    );
    html.markup("<div class=\"field\"><label for=\"register-text\">")
        .markup(words.text_label)
        .markup("</label><p id=\"register-text-hint\" class=\"hint\">")
        .markup(words.text_hint)
        .markup(
            "</p><textarea id=\"register-text\" name=\"text\" rows=\"8\" required \
             autocomplete=\"off\" aria-describedby=\"register-text-hint\" maxlength=\"",
        )
        .number(MAX_TEXT_CHARS as u64)
        .markup("\">")
        .multi_line_text(fields.text.as_deref().unwrap_or_default())
        .markup("</textarea></div>");
    text_field(
        &mut html,
        "contact",
        "text",
        words.contact_label,
        Some(words.contact_hint),
        Some(MAX_CONTACT_CHARS),
        fields.contact.as_deref(),
    );
    html.markup("<fieldset><legend>")
        .markup(words.signals_legend)
        .markup("</legend>");
    for group in signals::GROUPS {
        html.markup("<fieldset><legend>")
            .text(&labels.signal_group(group.group_id))
            .markup("</legend>");
        for signal_id in group.signal_ids {
            let label = labels
                .signal(signal_id)
                .map_or(*signal_id, |text| text.label.as_str());
            html.markup(
                "<div class=\"checkbox\"><input type=\"checkbox\" name=\"signal\" id=\"signal-",
            )
            .text(signal_id)
            .markup("\" value=\"")
            .text(signal_id)
            .markup("\"");
            if fields.signals.iter().any(|ticked| ticked == signal_id) {
                html.markup(" checked");
            }
            html.markup("><label for=\"signal-")
                .text(signal_id)
                .markup("\">")
                .text(label)
                .markup("</label></div>");
        }
        html.markup("</fieldset>");
    }
    html.markup("</fieldset><button type=\"submit\" class=\"button-primary\">")
        .markup(words.button)
        .markup("</button></form>");
    html
}
