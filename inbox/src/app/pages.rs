//! The pages, as HTML: the frame every page shares, the unlock page, the tip list with its
//! filters, the case page, and the short pages for refusals and failures. Everything dynamic
//! goes through [`Html::text`], so it is escaped and cleaned of control characters.

use fluister_envelope::message::CaseStatus;
use fluister_envelope::tip::TipDocument;
use fluister_envelope::tip::vocabulary::{Kind, Municipality, Role, signals};

use super::html::{Html, query_value};
use super::session::TipSummary;
use super::words::{self, Words, language_code, words};
use crate::render::ConversationEntry;
use crate::store::StoredTip;
use crate::time::LocalHour;
use crate::triage::{TriageBook, TriageRecord, TriageStatus};
use crate::vocabulary::{Labels, Language};

/// How many tips one page of the list shows.
pub(crate) const TIPS_PER_PAGE: usize = 100;
/// The longest note, in characters.
pub(crate) const MAX_NOTE_CHARACTERS: usize = 5000;
/// The longest reply, in characters: what a mailbox message may hold.
pub(crate) const MAX_REPLY_CHARACTERS: usize = fluister_envelope::message::MAX_MESSAGE_TEXT_CHARS;
/// The longest "handed over to", in characters.
pub(crate) const MAX_HANDED_OVER_TO_CHARACTERS: usize = 200;

/// What surrounds a page's content.
#[derive(Debug)]
pub(crate) struct Frame<'a> {
    pub(crate) language: Language,
    /// Whether the keys are unlocked (then the menu and the lock button are shown).
    pub(crate) unlocked: bool,
    /// Whether there is a session (then the language switch is shown).
    pub(crate) in_session: bool,
    /// The page's own address, where the language switch comes back to.
    pub(crate) here: &'a str,
    /// Load the page again after this many seconds (a page that shows progress).
    pub(crate) refresh_seconds: Option<u32>,
}

/// Every status, in the order a case moves through them, with its id in forms and addresses.
pub(crate) const STATUSES: [(TriageStatus, &str); 4] = [
    (TriageStatus::New, "new"),
    (TriageStatus::InProgress, "in-progress"),
    (TriageStatus::HandedOver, "handed-over"),
    (TriageStatus::Closed, "closed"),
];

/// The status a form or address names.
pub(crate) fn status_from_id(id: &str) -> Option<TriageStatus> {
    STATUSES
        .iter()
        .find(|(_, status_id)| *status_id == id)
        .map(|(status, _)| *status)
}

/// A whole page: `title`, then `content` inside the frame.
pub(crate) fn page(frame: &Frame<'_>, title: &str, content: Html) -> String {
    let words = words(frame.language);
    let mut html = Html::with_capacity(4096);
    html.markup("<!DOCTYPE html>\n<html lang=\"")
        .markup(language_code(frame.language))
        .markup(
            "\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        );
    if let Some(seconds) = frame.refresh_seconds {
        html.markup("<meta http-equiv=\"refresh\" content=\"")
            .number(seconds)
            .markup("\">");
    }
    html.markup("<title>")
        .text(title)
        .markup(" – ")
        .markup(words.app_name)
        .markup(
            "</title><link rel=\"stylesheet\" href=\"/style.css\"></head>\n<body",
        )
        .markup(if frame.unlocked {
            " class=\"idle-locks\">"
        } else {
            ">"
        })
        .markup(
            "\
             <a class=\"skip-link\" href=\"#main\">",
        )
        .markup(words.skip_link)
        .markup("</a><header class=\"app-header\"><div class=\"app-header-inner\"><p class=\"app-name\">")
        .markup(words.app_name)
        .markup("</p>");
    if frame.unlocked {
        html.markup("<nav aria-label=\"")
            .markup(words.navigation_label)
            .markup("\"><ul class=\"menu\"><li><a href=\"/\">")
            .markup(words.tips_link)
            .markup("</a></li><li><a href=\"/register\">")
            .markup(super::words::register_words(frame.language).menu_link)
            .markup("</a></li><li><a href=\"/stats\">")
            .markup(words.statistics_link)
            .markup("</a></li><li><a href=\"/settings\">")
            .markup(words.settings_link)
            .markup("</a></li></ul></nav>");
    }
    if frame.in_session {
        html.markup("<div class=\"header-actions\">")
            .markup(
                "<form method=\"post\" action=\"/language\" class=\"inline-form\">\
                 <input type=\"hidden\" name=\"back\" value=\"",
            )
            .text(frame.here)
            .markup("\"><button type=\"submit\" class=\"button-secondary\" name=\"lang\" value=\"")
            .markup(words.other_language_code)
            .markup("\" lang=\"")
            .markup(language_code(words.other_language))
            .markup("\">")
            .markup(words.other_language_button)
            .markup("</button></form>");
        if frame.unlocked {
            html.markup(
                "<form method=\"post\" action=\"/lock\" class=\"inline-form\">\
                 <button type=\"submit\" class=\"button-secondary\">",
            )
            .markup(words.lock_button)
            .markup("</button></form>");
        }
        html.markup("</div>");
    }
    html.markup("</div></header>\n<main id=\"main\" tabindex=\"-1\" class=\"app-main\">")
        .fragment(content)
        .markup("</main>");
    if frame.unlocked {
        html.markup("<p class=\"idle-notice\">")
            .markup(words.idle_notice)
            .markup("</p>");
    }
    html.markup("</body></html>\n");
    html.into_string()
}

/// A page with a heading and one paragraph (refusals, failures, not found).
pub(crate) fn message(title: &str, text: &str) -> Html {
    let mut html = Html::default();
    html.markup("<h1>")
        .text(title)
        .markup("</h1><p>")
        .text(text)
        .markup("</p>");
    html
}

/// The unlock page: the passphrase field, with a notice (locked) or an error (wrong).
/// A key file without a passphrase (`plain`) gets a button only.
pub(crate) fn unlock(
    language: Language,
    notice: Option<&str>,
    error: Option<&str>,
    plain: bool,
) -> Html {
    let words = words(language);
    let mut html = Html::default();
    html.markup("<h1>")
        .markup(words.unlock_title)
        .markup("</h1>");
    if let Some(notice) = notice {
        html.markup("<p class=\"notice\" role=\"status\">")
            .text(notice)
            .markup("</p>");
    }
    if plain {
        html.markup("<p>")
            .markup(words.unlock_plain_key)
            .markup(
                "</p><form method=\"post\" action=\"/unlock\" autocomplete=\"off\" \
                 class=\"unlock-form\"><button type=\"submit\" class=\"button-primary\">",
            )
            .markup(words.unlock_button)
            .markup("</button></form>");
        return html;
    }
    html.markup("<p>")
        .markup(words.unlock_introduction)
        .markup("</p>");
    html.markup(
        "<form method=\"post\" action=\"/unlock\" autocomplete=\"off\" class=\"unlock-form\">\
         <div class=\"field",
    );
    if error.is_some() {
        html.markup(" field-error");
    }
    html.markup("\"><label for=\"passphrase\">")
        .markup(words.passphrase_label)
        .markup("</label>");
    if let Some(error) = error {
        html.markup("<p id=\"passphrase-error\" class=\"error-message\" role=\"alert\">")
            .text(error)
            .markup("</p>");
    }
    html.markup(
        "<input type=\"password\" id=\"passphrase\" name=\"passphrase\" required \
         autocomplete=\"off\" maxlength=\"1024\" autofocus",
    );
    if error.is_some() {
        html.markup(" aria-invalid=\"true\" aria-describedby=\"passphrase-error\"");
    }
    html.markup("></div><button type=\"submit\" class=\"button-primary\">")
        .markup(words.unlock_button)
        .markup("</button></form>");
    html
}

/// The list's filters, as given in the address.
#[derive(Clone, Debug, Default)]
pub(crate) struct ListFilter {
    pub(crate) status: Option<TriageStatus>,
    pub(crate) municipality: Option<String>,
    pub(crate) kind: Option<String>,
    pub(crate) role: Option<String>,
    /// The first and last day received (`YYYY-MM-DD`, Dutch time), both included.
    pub(crate) from: Option<String>,
    pub(crate) to: Option<String>,
    /// Words to find in the tip's text, place or contact (as typed; matched without case).
    pub(crate) search: Option<String>,
    /// The id the address names the search by (never the words themselves).
    pub(crate) search_id: Option<String>,
    /// 1-based.
    pub(crate) page: usize,
}

impl ListFilter {
    /// The query string of these filters on `page` (empty, or starting with `?`). A search is
    /// named by its id: its words never go into an address, and so never into the browser's
    /// history.
    pub(crate) fn query(&self, page: usize) -> String {
        let mut parts = Vec::new();
        if let Some(status) = self.status {
            let id = STATUSES
                .iter()
                .find(|(candidate, _)| *candidate == status)
                .map_or("new", |(_, id)| id);
            parts.push(format!("status={id}"));
        }
        if let Some(municipality) = &self.municipality {
            parts.push(format!("municipality={}", query_value(municipality)));
        }
        if let Some(kind) = &self.kind {
            parts.push(format!("kind={}", query_value(kind)));
        }
        for (name, value) in [
            ("role", &self.role),
            ("from", &self.from),
            ("to", &self.to),
            ("search", &self.search_id),
        ] {
            if let Some(value) = value {
                parts.push(format!("{name}={}", query_value(value)));
            }
        }
        if page > 1 {
            parts.push(format!("page={page}"));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }

    /// Whether the filters need each tip's municipality, kind or role (so every file opened).
    fn needs_facts(&self) -> bool {
        self.municipality.is_some() || self.kind.is_some() || self.role.is_some()
    }

    fn passes_status(&self, record: &TriageRecord) -> bool {
        self.status.is_none_or(|status| status == record.status)
    }

    /// Whether `tip` arrived within the period (by its Dutch date; the dates compare as text).
    fn passes_period(&self, tip: &StoredTip) -> bool {
        if self.from.is_none() && self.to.is_none() {
            return true;
        }
        let date = LocalHour::from_unix_seconds(tip.received_hour).date();
        self.from
            .as_deref()
            .is_none_or(|from| date.as_str() >= from)
            && self.to.as_deref().is_none_or(|to| date.as_str() <= to)
    }

    fn passes_facts(&self, summary: &TipSummary) -> bool {
        if !self.needs_facts() {
            return true;
        }
        let Some(facts) = &summary.facts else {
            return false;
        };
        let municipality_matches = self.municipality.as_deref().is_none_or(|wanted| {
            facts.municipality.as_ref().map(Municipality::as_str) == Some(wanted)
        });
        let kind_matches = self
            .kind
            .as_deref()
            .is_none_or(|wanted| facts.kinds.iter().any(|kind| kind.as_str() == wanted));
        let role_matches = self
            .role
            .as_deref()
            .is_none_or(|wanted| facts.role.as_ref().map(Role::as_str) == Some(wanted));
        municipality_matches && kind_matches && role_matches
    }
}

/// One page of the list: its rows, and how many tips pass the filters in all.
#[derive(Debug)]
pub(crate) struct ListPage {
    rows: Vec<(TipSummary, TriageRecord)>,
    matching: usize,
    page: usize,
    page_count: usize,
    any_tips: bool,
}

/// Chooses the page `filter` asks for among `tips`, newest first. `summaries` gives what the
/// list shows of some tips (opening the files it does not know yet): of the page's tips only,
/// unless a municipality, kind or role filter needs every tip's. `finds` tells, for a search,
/// which of some tips hold the words searched for (opening them).
pub(crate) fn select_page(
    tips: &[StoredTip],
    book: &TriageBook,
    filter: &ListFilter,
    summaries: impl Fn(&[StoredTip]) -> Vec<TipSummary>,
    finds: impl Fn(&[StoredTip], &str) -> Vec<bool>,
) -> ListPage {
    let mut candidates: Vec<(StoredTip, TriageRecord)> = tips
        .iter()
        .filter(|tip| filter.passes_period(tip))
        .map(|tip| (tip.clone(), book.record(&tip.relay_id)))
        .filter(|(_, record)| filter.passes_status(record))
        .collect();
    if filter.needs_facts() {
        let stored: Vec<StoredTip> = candidates.iter().map(|(tip, _)| tip.clone()).collect();
        let known = summaries(&stored);
        candidates = candidates
            .into_iter()
            .zip(known)
            .filter(|(_, summary)| filter.passes_facts(summary))
            .map(|(candidate, _)| candidate)
            .collect();
    }
    if let Some(search) = &filter.search {
        let stored: Vec<StoredTip> = candidates.iter().map(|(tip, _)| tip.clone()).collect();
        let found = finds(&stored, search);
        candidates = candidates
            .into_iter()
            .zip(found)
            .filter(|(_, found)| *found)
            .map(|(candidate, _)| candidate)
            .collect();
    }
    candidates.sort_by_key(|(tip, _)| std::cmp::Reverse(tip.number));
    let matching = candidates.len();
    let page_count = matching.div_ceil(TIPS_PER_PAGE).max(1);
    let page = filter.page.clamp(1, page_count);
    let on_page: Vec<(StoredTip, TriageRecord)> = candidates
        .into_iter()
        .skip((page - 1) * TIPS_PER_PAGE)
        .take(TIPS_PER_PAGE)
        .collect();
    let stored: Vec<StoredTip> = on_page.iter().map(|(tip, _)| tip.clone()).collect();
    let rows = summaries(&stored)
        .into_iter()
        .zip(on_page)
        .map(|(summary, (_, record))| (summary, record))
        .collect();
    ListPage {
        rows,
        matching,
        page,
        page_count,
        any_tips: !tips.is_empty(),
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

/// The tip list: filters, one page of rows (newest first), and the links to other pages.
pub(crate) fn tip_list(labels: &Labels, list: &ListPage, filter: &ListFilter) -> Html {
    let language = labels.language();
    let words = words(language);
    let mut html = Html::with_capacity(64 * 1024);
    html.markup("<h1>").markup(words.tips_title).markup("</h1>");
    pull_form(&mut html, words);
    filters(&mut html, labels, filter);
    if !list.any_tips {
        html.markup("<p>").markup(words.no_tips).markup("</p>");
        return html;
    }
    if list.matching == 0 {
        html.markup("<p>")
            .markup(words.no_matching_tips)
            .markup("</p>");
        return html;
    }
    let (page, page_count) = (list.page, list.page_count);
    html.markup(
        "<div class=\"table-scroll\" role=\"region\" aria-labelledby=\"tips-caption\" tabindex=\"0\">\
         <table class=\"tip-table\"><caption id=\"tips-caption\">",
    )
    .text(&words::tip_count(language, list.matching))
    .markup("</caption><thead><tr><th scope=\"col\">")
    .markup(words.number_column)
    .markup("</th><th scope=\"col\">")
    .markup(words.received_column)
    .markup("</th><th scope=\"col\">")
    .markup(words.municipality_column)
    .markup("</th><th scope=\"col\">")
    .markup(words.kind_column)
    .markup("</th><th scope=\"col\">")
    .markup(words.reporter_column)
    .markup("</th><th scope=\"col\">")
    .markup(words.status_column)
    .markup("</th></tr></thead><tbody>");
    for (summary, record) in &list.rows {
        tip_row(&mut html, labels, words, summary, record);
    }
    html.markup("</tbody></table></div>");
    if page_count > 1 {
        html.markup("<nav class=\"pages\" aria-label=\"")
            .markup(words.pages_label)
            .markup("\"><p>")
            .text(&words::page_of(language, page, page_count))
            .markup("</p><ul>");
        if page > 1 {
            html.markup("<li><a rel=\"prev\" href=\"/")
                .text(&filter.query(page - 1))
                .markup("\">")
                .markup(words.previous_page)
                .markup("</a></li>");
        }
        if page < page_count {
            html.markup("<li><a rel=\"next\" href=\"/")
                .text(&filter.query(page + 1))
                .markup("\">")
                .markup(words.next_page)
                .markup("</a></li>");
        }
        html.markup("</ul></nav>");
    }
    html
}

fn filters(html: &mut Html, labels: &Labels, filter: &ListFilter) {
    let words = words(labels.language());
    html.markup(
        "<section aria-labelledby=\"filter-heading\" class=\"filters\">\
         <h2 id=\"filter-heading\">",
    )
    .markup(words.filter_heading)
    .markup(
        "</h2><form method=\"post\" action=\"/filter\" class=\"filter-form\">\
         <div class=\"field\"><label for=\"filter-status\">",
    )
    .markup(words.status_column)
    .markup("</label><select id=\"filter-status\" name=\"status\">");
    option(html, "", words.all, filter.status.is_none());
    for (status, id) in STATUSES {
        option(
            html,
            id,
            status.label(labels.language()),
            filter.status == Some(status),
        );
    }
    html.markup("</select></div><div class=\"field\"><label for=\"filter-municipality\">")
        .markup(words.municipality_column)
        .markup("</label><select id=\"filter-municipality\" name=\"municipality\">");
    option(html, "", words.all, filter.municipality.is_none());
    let municipality_ids = labels
        .region()
        .municipalities
        .iter()
        .map(|municipality| municipality.id.clone())
        .chain([Municipality::OTHER.to_owned()]);
    for id in municipality_ids {
        option(
            html,
            &id,
            &labels.municipality(&Municipality::from_id(&id)),
            filter.municipality.as_deref() == Some(id.as_str()),
        );
    }
    html.markup("</select></div><div class=\"field\"><label for=\"filter-kind\">")
        .markup(words.kind_column)
        .markup("</label><select id=\"filter-kind\" name=\"kind\">");
    option(html, "", words.all, filter.kind.is_none());
    for kind in Kind::ALL {
        option(
            html,
            kind.as_str(),
            &labels.kind(kind),
            filter.kind.as_deref() == Some(kind.as_str()),
        );
    }
    html.markup("</select></div><div class=\"field\"><label for=\"filter-role\">")
        .markup(words.role_filter)
        .markup("</label><select id=\"filter-role\" name=\"role\">");
    option(html, "", words.all, filter.role.is_none());
    for role in Role::ALL {
        option(
            html,
            role.as_str(),
            &labels.role(role),
            filter.role.as_deref() == Some(role.as_str()),
        );
    }
    html.markup("</select></div>");
    for (id, name, label, value) in [
        ("filter-from", "from", words.from_label, &filter.from),
        ("filter-to", "to", words.to_label, &filter.to),
    ] {
        html.markup("<div class=\"field\"><label for=\"")
            .markup(id)
            .markup("\">")
            .markup(label)
            .markup("</label><input type=\"date\" id=\"")
            .markup(id)
            .markup("\" name=\"")
            .markup(name)
            .markup("\" aria-describedby=\"period-hint\" value=\"")
            .text(value.as_deref().unwrap_or(""))
            .markup("\"></div>");
    }
    html.markup("<p id=\"period-hint\" class=\"hint\">")
        .markup(words.period_hint)
        .markup("</p><div class=\"field\"><label for=\"filter-search\">")
        .markup(words.search_label)
        .markup("</label><p id=\"search-hint\" class=\"hint\">")
        .markup(words.search_hint)
        .markup(
            "</p><input type=\"search\" id=\"filter-search\" name=\"q\" maxlength=\"200\" \
             autocomplete=\"off\" spellcheck=\"false\" aria-describedby=\"search-hint\" value=\"",
        )
        .text(filter.search.as_deref().unwrap_or(""))
        .markup("\"></div><button type=\"submit\" class=\"button-primary\">")
        .markup(words.filter_button)
        .markup("</button></form></section>");
}

fn tip_row(
    html: &mut Html,
    labels: &Labels,
    words: &Words,
    summary: &TipSummary,
    record: &TriageRecord,
) {
    html.markup("<tr><td><a href=\"/tips/")
        .number(summary.number)
        .markup("\"><span class=\"visually-hidden\">")
        .markup(words.tip)
        .markup(" </span>")
        .number(summary.number)
        .markup("</a></td><td>")
        .text(&LocalHour::from_unix_seconds(summary.received_hour).to_string())
        .markup("</td>");
    match &summary.facts {
        Some(facts) => {
            let dash = "–".to_owned();
            html.markup("<td>")
                .text(
                    &facts
                        .municipality
                        .as_ref()
                        .map_or_else(|| dash.clone(), |value| labels.municipality(value)),
                )
                .markup("</td><td>")
                .text(&labels.kinds(&facts.kinds).unwrap_or_else(|| dash.clone()))
                .markup("</td><td>")
                .text(
                    &facts
                        .role
                        .as_ref()
                        .map_or_else(|| dash.clone(), |value| labels.role(value)),
                )
                .markup("</td>");
        }
        None => {
            html.markup("<td colspan=\"3\">(")
                .markup(words.not_opened)
                .markup(")</td>");
        }
    }
    html.markup("<td>")
        .text(&status_text(record, labels.language()))
        .markup("</td></tr>");
}

/// The status in words, with to whom it was handed over.
fn status_text(record: &TriageRecord, language: Language) -> String {
    match (&record.status, &record.handed_over_to) {
        (TriageStatus::HandedOver, Some(whom)) => {
            format!("{}: {whom}", record.status.label(language))
        }
        (status, _) => status.label(language).to_owned(),
    }
}

/// What the case page shows besides the tip itself.
#[derive(Debug)]
pub(crate) struct CaseContext<'a> {
    pub(crate) number: u64,
    pub(crate) received_hour: u64,
    pub(crate) record: &'a TriageRecord,
    pub(crate) conversation: &'a [ConversationEntry],
    /// What the team did with the tip: per line, when and who, and what.
    pub(crate) history: &'a [(String, String)],
    /// The cases linked to this one, and those that may be about the same situation.
    pub(crate) links: &'a super::register::CaseLinks,
    /// The receivers' book, for the hand-over.
    pub(crate) receivers: &'a [crate::receivers::Receiver],
    /// Whether the page follows a save (then it says so).
    pub(crate) saved: bool,
    /// Whether the page follows a reply sent (then it says so).
    pub(crate) sent: bool,
}

/// The case page: every field, the signals with their explanations, the conversation, and the
/// status and notes form.
pub(crate) fn case(
    labels: &Labels,
    document: Option<&TipDocument>,
    context: &CaseContext<'_>,
) -> Html {
    let language = labels.language();
    let words = words(language);
    let mut html = Html::with_capacity(16 * 1024);
    html.markup("<p class=\"back-link\"><a href=\"/\">")
        .markup(words.back_to_tips)
        .markup("</a></p><h1>")
        .markup(words.tip)
        .markup(" ")
        .number(context.number)
        .markup("</h1>");
    if context.saved || context.sent {
        html.markup("<p class=\"notice\" role=\"status\">")
            .markup(if context.sent {
                words.reply_sent
            } else {
                words.saved
            })
            .markup("</p>");
    }
    let not_given = || format!("({})", words.not_given);
    html.markup("<dl class=\"facts\">");
    fact(
        &mut html,
        words.received,
        &format!(
            "{} ({})",
            LocalHour::from_unix_seconds(context.received_hour),
            words.dutch_time
        ),
    );
    fact(
        &mut html,
        words.status,
        &status_text(context.record, language),
    );
    let Some(document) = document else {
        html.markup("</dl><p class=\"warning\">")
            .markup(words.tip_not_opened)
            .markup("</p>");
        triage_form(&mut html, labels, context);
        return html;
    };
    fact(
        &mut html,
        words.kind,
        &labels.kinds(&document.kinds).unwrap_or_else(not_given),
    );
    fact(
        &mut html,
        words.role,
        &document
            .role
            .as_ref()
            .map_or_else(not_given, |role| labels.role(role)),
    );
    fact(
        &mut html,
        words.how_known,
        &document
            .how_known
            .as_ref()
            .map_or_else(not_given, |how| labels.how_known(how)),
    );
    fact(
        &mut html,
        words.municipality,
        &document
            .municipality
            .as_ref()
            .map_or_else(not_given, |municipality| labels.municipality(municipality)),
    );
    fact(
        &mut html,
        words.place,
        document.place.as_deref().unwrap_or(&not_given()),
    );
    fact(
        &mut html,
        words.when,
        &describe_when(document, words).unwrap_or_else(not_given),
    );
    if let Some(source) = document.source {
        fact(
            &mut html,
            super::words::register_words(language).source_fact,
            crate::commands::register::source_label(source, language),
        );
    }
    html.markup("</dl>");

    html.markup("<h2>").markup(words.signals).markup("</h2>");
    signals_list(&mut html, document, labels, words);

    html.markup("<h2>")
        .markup(words.description)
        .markup("</h2><div class=\"reporter-text\">")
        .multi_line_text(&document.text)
        .markup("</div>");

    if let Some(contact) = &document.contact {
        html.markup("<h2>")
            .markup(words.contact)
            .markup("</h2><div class=\"warning\"><p class=\"reporter-text\">")
            .multi_line_text(contact)
            .markup("</p><p>")
            .markup(words.contact_warning)
            .markup("</p></div>");
    }
    if !document.unknown_fields.is_empty() {
        let rendered = serde_json::to_string(&document.unknown_fields).unwrap_or_default();
        html.markup("<h2>")
            .markup(words.unknown_fields)
            .markup("</h2><p class=\"reporter-text\">")
            .text(&rendered)
            .markup("</p>");
    }

    html.markup("<h2>")
        .markup(words.conversation_heading)
        .markup("</h2><p>")
        .markup(if document.reply.is_some() {
            words.reply_possible
        } else {
            words.reply_not_possible
        })
        .markup("</p>");
    conversation(&mut html, context.conversation, words);
    if document.reply.is_some() {
        reply_form(&mut html, context.number, words, language);
    }
    triage_form(&mut html, labels, context);
    super::register::links_section(&mut html, context.number, context.links, language);
    super::handover::section(&mut html, context.number, words, context.receivers);
    export_section(&mut html, context.number, words);
    html
}

/// The form that sends a message to the reporter's mailbox.
fn reply_form(html: &mut Html, number: u64, words: &Words, language: Language) {
    html.markup("<h3 id=\"reply-heading\">")
        .markup(words.reply_heading)
        .markup("</h3><form method=\"post\" action=\"/tips/")
        .number(number)
        .markup(
            "/reply\" autocomplete=\"off\" class=\"reply-form\" aria-labelledby=\"reply-heading\">\
             <div class=\"field\"><label for=\"reply-message\">",
        )
        .markup(words.reply_label)
        .markup("</label><p id=\"reply-hint\" class=\"hint\">")
        .markup(words.reply_hint)
        .markup("</p><textarea id=\"reply-message\" name=\"message\" rows=\"5\" maxlength=\"")
        .number(MAX_REPLY_CHARACTERS as u64)
        .markup(
            "\" autocomplete=\"off\" spellcheck=\"false\" aria-describedby=\"reply-hint\">\
             </textarea></div><div class=\"field\"><label for=\"reporter-status\">",
        )
        .markup(words.reply_status_label)
        .markup("</label><p id=\"reporter-status-hint\" class=\"hint\">")
        .markup(words.reply_status_hint)
        .markup(
            "</p><select id=\"reporter-status\" name=\"reporter_status\" \
             aria-describedby=\"reporter-status-hint\"><option value=\"\">",
        )
        .markup(words.reply_status_none)
        .markup("</option>");
    for status in CaseStatus::ALL {
        html.markup("<option value=\"")
            .markup(status.id())
            .markup("\">")
            .text(&crate::commands::reply::status_label(status, language))
            .markup("</option>");
    }
    html.markup("</select></div><button type=\"submit\" class=\"button-primary\">")
        .markup(words.reply_button)
        .markup("</button></form>");
}

/// The download of the case for a hand-over, with what to mind and what to leave out. The
/// anonymous reply address is never in it.
fn export_section(html: &mut Html, number: u64, words: &Words) {
    html.markup("<h2 id=\"export-heading\">")
        .markup(words.export_heading)
        .markup("</h2><p id=\"export-hint\">")
        .markup(words.export_hint)
        .markup("</p><form method=\"get\" action=\"/tips/")
        .number(number)
        .markup(
            "/export.pdf\" class=\"export-form\" aria-labelledby=\"export-heading\" \
             aria-describedby=\"export-hint\"><fieldset><legend>",
        )
        .markup(words.export_leave_out)
        .markup("</legend>");
    for (value, label) in [
        ("contact", words.export_leave_out_contact),
        ("place", words.export_leave_out_place),
        ("notes", words.export_leave_out_notes),
    ] {
        html.markup(
            "<div class=\"checkbox\"><input type=\"checkbox\" name=\"leave_out\" id=\"leave-out-",
        )
        .markup(value)
        .markup("\" value=\"")
        .markup(value)
        .markup("\"><label for=\"leave-out-")
        .markup(value)
        .markup("\">")
        .markup(label)
        .markup("</label></div>");
    }
    html.markup("</fieldset><button type=\"submit\" class=\"button-secondary\">")
        .markup(words.export_pdf)
        .markup("</button></form>");
}

fn fact(html: &mut Html, name: &'static str, value: &str) {
    html.markup("<div class=\"fact\"><dt>")
        .markup(name)
        .markup("</dt><dd>")
        .text(value)
        .markup("</dd></div>");
}

/// `2025-03-01, still going on, "every weekend"`.
fn describe_when(document: &TipDocument, words: &Words) -> Option<String> {
    let when = document.when.as_ref()?;
    let mut parts = Vec::new();
    if let Some(date) = &when.date {
        parts.push(date.clone());
    }
    if when.ongoing {
        parts.push(words.ongoing.to_owned());
    }
    if let Some(text) = &when.text {
        parts.push(format!("\"{text}\""));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// The ticked signals under their groups' headings, each with its explanation.
fn signals_list(html: &mut Html, document: &TipDocument, labels: &Labels, words: &Words) {
    let mut any = false;
    for group in signals::GROUPS {
        let ticked: Vec<&str> = group
            .signal_ids
            .iter()
            .copied()
            .filter(|signal_id| document.signals.iter().any(|ticked| ticked == signal_id))
            .collect();
        if ticked.is_empty() {
            continue;
        }
        any = true;
        html.markup("<h3>")
            .text(&labels.signal_group(group.group_id))
            .markup("</h3><ul class=\"signals\">");
        for signal_id in ticked {
            html.markup("<li>");
            match labels.signal(signal_id) {
                Some(text) => {
                    html.markup("<span class=\"signal-label\">")
                        .text(&text.label)
                        .markup("</span><span class=\"explanation\">")
                        .text(&text.explanation)
                        .markup("</span>");
                }
                None => {
                    html.text(signal_id);
                }
            }
            html.markup("</li>");
        }
        html.markup("</ul>");
    }
    let unknown: Vec<&str> = document
        .signals
        .iter()
        .map(String::as_str)
        .filter(|signal_id| !signals::is_known(signal_id))
        .collect();
    if !unknown.is_empty() {
        any = true;
        html.markup("<p>")
            .markup(words.unknown_signals)
            .markup(": ")
            .text(&unknown.join(", "))
            .markup("</p>");
    }
    if !any {
        html.markup("<p>(").markup(words.not_given).markup(")</p>");
    }
}

fn conversation(html: &mut Html, entries: &[ConversationEntry], words: &Words) {
    if entries.is_empty() {
        html.markup("<p>")
            .markup(words.conversation_empty)
            .markup("</p>");
        return;
    }
    html.markup("<ol class=\"conversation\">");
    for entry in entries {
        html.markup(if entry.written_by_coordinator {
            "<li class=\"message message-own\"><p class=\"message-author\">"
        } else {
            "<li class=\"message\"><p class=\"message-author\">"
        })
        .markup(if entry.written_by_coordinator {
            words.conversation_you
        } else {
            words.conversation_reporter
        })
        .markup(", ")
        .text(&LocalHour::from_unix_seconds(entry.received_hour).to_string())
        .markup("</p>");
        match &entry.text {
            Some(text) => {
                html.markup("<p class=\"message-text\">")
                    .multi_line_text(text)
                    .markup("</p>");
            }
            None => {
                html.markup("<p class=\"message-text\"><em>")
                    .markup(words.conversation_unreadable)
                    .markup("</em></p>");
            }
        }
        html.markup("</li>");
    }
    html.markup("</ol>");
}

fn triage_form(html: &mut Html, labels: &Labels, context: &CaseContext<'_>) {
    let language = labels.language();
    let words = words(language);
    html.markup("<h2 id=\"triage-heading\">")
        .markup(words.triage_heading)
        .markup("</h2><form method=\"post\" action=\"/tips/")
        .number(context.number)
        .markup(
            "/triage\" autocomplete=\"off\" class=\"triage-form\" aria-labelledby=\"triage-heading\">\
             <div class=\"field\"><label for=\"status\">",
        )
        .markup(words.status)
        .markup("</label><select id=\"status\" name=\"status\">");
    for (status, id) in STATUSES {
        option(
            html,
            id,
            status.label(language),
            context.record.status == status,
        );
    }
    html.markup("</select></div><div class=\"field\"><label for=\"handed-over-to\">")
        .markup(words.handed_over_to_label)
        .markup("</label><p id=\"handed-over-to-hint\" class=\"hint\">")
        .markup(words.handed_over_to_hint)
        .markup(
            "</p><input type=\"text\" id=\"handed-over-to\" name=\"handed_over_to\" \
             autocomplete=\"off\" maxlength=\"200\" aria-describedby=\"handed-over-to-hint\" value=\"",
        )
        .text(context.record.handed_over_to.as_deref().unwrap_or(""))
        .markup("\"></div><div class=\"field\"><label for=\"note\">")
        .markup(words.note_label)
        .markup(
            "</label><textarea id=\"note\" name=\"note\" rows=\"4\" maxlength=\"5000\" \
             autocomplete=\"off\"></textarea></div><button type=\"submit\" class=\"button-primary\">",
        )
        .markup(words.save_button)
        .markup("</button></form><h3>")
        .markup(words.notes_heading)
        .markup("</h3>");
    if context.record.notes.is_empty() {
        html.markup("<p>").markup(words.no_notes).markup("</p>");
    } else {
        html.markup("<ul class=\"notes\">");
        for note in &context.record.notes {
            html.markup("<li><span class=\"note-date\">")
                .text(
                    &LocalHour::from_unix_seconds(note.written_at - note.written_at % 3600).date(),
                )
                .markup("</span> <span class=\"reporter-text\">")
                .multi_line_text(&note.text)
                .markup("</span></li>");
        }
        html.markup("</ul>");
    }
    if let Some(name) = &context.record.assigned_to {
        html.markup("<p>")
            .markup(words.assigned_to)
            .markup(" ")
            .text(name)
            .markup("</p>");
    }
    if context.history.is_empty() {
        return;
    }
    html.markup("<h3>")
        .markup(words.history_heading)
        .markup("</h3><ul class=\"notes\">");
    for (when_and_who, what) in context.history {
        html.markup("<li><span class=\"note-date\">")
            .text(when_and_who)
            .markup("</span> <span class=\"reporter-text\">")
            .text(what)
            .markup("</span></li>");
    }
    html.markup("</ul>");
}

/// The statistics page: what is counted, the chart (served as an image by `/stats.svg`, so its
/// text never becomes this page's markup) and the CSV download.
pub(crate) fn statistics(language: Language, tip_count: usize) -> Html {
    let words = words(language);
    let mut html = Html::default();
    html.markup("<h1>")
        .markup(words.statistics_title)
        .markup("</h1><p>")
        .markup(words.statistics_introduction)
        .markup("</p><p>")
        .text(&words::tip_count(language, tip_count))
        .markup(".</p><p><a href=\"/stats.csv\" download>")
        .markup(words.statistics_download)
        .markup("</a></p><img class=\"chart\" src=\"/stats.svg\" alt=\"")
        .markup(words.statistics_chart)
        .markup("\">");
    html
}

/// The button that fetches new tips and answers.
fn pull_form(html: &mut Html, words: &Words) {
    html.markup(
        "<form method=\"post\" action=\"/pull\" class=\"pull-form\">\
         <button type=\"submit\" class=\"button-primary\">",
    )
    .markup(words.pull_button)
    .markup("</button></form>");
}

/// Where a pull started from the app is.
#[derive(Clone, Debug)]
pub(crate) enum PullView {
    /// None has run since the app started.
    Idle,
    /// Fetching tips (or, once `answers`, the mailboxes): `done` of `total`.
    Running {
        answers: bool,
        done: usize,
        total: usize,
    },
    /// Done: how the relay's keys differ from the own set, the tips stored, how many went into
    /// quarantine, and the new answers per tip.
    Finished {
        warnings: Vec<String>,
        stored: Vec<u64>,
        quarantined: usize,
        answers: Vec<(u64, usize)>,
    },
    /// Stopped, and why.
    Failed(String),
}

/// The pull page: progress while running (the page reloads itself), else the result.
pub(crate) fn pull(language: Language, view: &PullView) -> Html {
    let words = words(language);
    let mut html = Html::default();
    html.markup("<h1>").markup(words.pull_title).markup("</h1>");
    match view {
        PullView::Idle => {
            html.markup("<p>").markup(words.pull_idle).markup("</p>");
            pull_form(&mut html, words);
        }
        PullView::Running {
            answers,
            done,
            total,
        } => {
            html.markup("<p role=\"status\">")
                .markup(if *answers {
                    words.pull_answers_running
                } else {
                    words.pull_started
                })
                .markup("</p>");
            if *total > 0 {
                html.markup("<p><progress max=\"")
                    .number(*total as u64)
                    .markup("\" value=\"")
                    .number(*done as u64)
                    .markup("\">")
                    .text(&words::pull_progress(language, *done, *total))
                    .markup("</progress> ")
                    .text(&words::pull_progress(language, *done, *total))
                    .markup("</p>");
            }
        }
        PullView::Finished {
            warnings,
            stored,
            quarantined,
            answers,
        } => {
            let count = answers.iter().map(|(_, count)| count).sum();
            let numbers: Vec<u64> = answers.iter().map(|(number, _)| *number).collect();
            html.markup("<div id=\"pull-result\" role=\"status\"><p>")
                .text(&words::pulled_tips(language, stored))
                .markup("</p><p>")
                .text(&words::pulled_answers(language, count, &numbers))
                .markup("</p>");
            if *quarantined > 0 {
                html.markup("<p class=\"warning\">")
                    .markup(words.pull_quarantined)
                    .markup("</p>");
            }
            html.markup("</div>");
            for warning in warnings {
                html.markup("<p class=\"warning\" role=\"alert\">")
                    .text(warning)
                    .markup("</p>");
            }
        }
        PullView::Failed(why) => {
            html.markup("<div id=\"pull-result\" class=\"warning\" role=\"alert\"><p>")
                .markup(words.pull_failed)
                .markup("</p><p>")
                .text(why)
                .markup("</p></div>");
        }
    }
    html.markup("<p class=\"back-link\"><a href=\"/\">")
        .markup(words.back_to_tips)
        .markup("</a></p>");
    html
}

/// What the settings page shows.
#[derive(Debug, Default)]
pub(crate) struct SettingsView {
    /// The relay's address, when a connection is set up.
    pub(crate) relay_url: Option<String>,
    /// The result of "check the connection": what is not right (empty: it works), or why it
    /// failed.
    pub(crate) connection_check: Option<Result<Vec<String>, String>>,
    pub(crate) connection_saved: bool,
    /// The coordinator's own set: name, public key, and whether it is this workspace's key.
    pub(crate) keys: Vec<(String, String, bool)>,
    pub(crate) backup: Option<BackupOutcome>,
    /// The public key just made, to show with what comes next (the first start).
    pub(crate) new_key: Option<String>,
    /// What adding or removing a key did.
    pub(crate) key_change: Option<String>,
    /// The receivers' book.
    pub(crate) receivers: Vec<crate::receivers::Receiver>,
    /// What changing the book did.
    pub(crate) receiver_change: Option<String>,
}

/// What the backup check found.
#[derive(Debug)]
pub(crate) enum BackupOutcome {
    NotAKey,
    Checked {
        tips: usize,
        messages: usize,
        /// What it did not open, in words.
        missing: Vec<String>,
    },
}

/// The settings page: the connection (check it, set it up), the key set, the backup check.
pub(crate) fn settings(language: Language, view: &SettingsView) -> Html {
    let words = words(language);
    let mut html = Html::with_capacity(8 * 1024);
    html.markup("<h1>")
        .markup(words.settings_title)
        .markup("</h1>");
    if let Some(recipient) = &view.new_key {
        super::setup::new_key_notice(&mut html, language, recipient);
    }
    html.markup("<h2>")
        .markup(words.connection_heading)
        .markup("</h2>");
    if view.connection_saved {
        html.markup("<p class=\"notice\" role=\"status\">")
            .markup(words.connection_saved)
            .markup("</p>");
    }
    match &view.relay_url {
        Some(url) => {
            html.markup("<dl class=\"facts\">");
            fact(&mut html, words.connection_address, url);
            html.markup(
                "</dl><form method=\"post\" action=\"/settings/connection-check\">\
                 <button type=\"submit\" class=\"button-secondary\">",
            )
            .markup(words.connection_check_button)
            .markup("</button></form>");
        }
        None => {
            html.markup("<p>")
                .markup(words.connection_none)
                .markup("</p>");
        }
    }
    match &view.connection_check {
        Some(Ok(problems)) if problems.is_empty() => {
            html.markup("<p id=\"connection-result\" class=\"notice\" role=\"status\">")
                .markup(words.connection_works)
                .markup("</p>");
        }
        Some(Ok(problems)) => {
            html.markup("<div id=\"connection-result\" class=\"warning\" role=\"alert\"><p>")
                .markup(words.connection_works)
                .markup("</p><ul>");
            for problem in problems {
                html.markup("<li>").text(problem).markup("</li>");
            }
            html.markup("</ul></div>");
        }
        Some(Err(why)) => {
            html.markup("<p id=\"connection-result\" class=\"warning\" role=\"alert\">")
                .text(why)
                .markup("</p>");
        }
        None => {}
    }
    html.markup("<h3 id=\"connection-set-heading\">")
        .markup(words.connection_set_heading)
        .markup("</h3><form method=\"post\" action=\"/settings/connection\" autocomplete=\"off\" \
             aria-labelledby=\"connection-set-heading\"><p id=\"connection-hint\" class=\"hint\">")
        .markup(words.connection_set_hint)
        .markup("</p><div class=\"field\"><label for=\"relay-url\">")
        .markup(words.connection_address)
        .markup(
            "</label><input type=\"url\" id=\"relay-url\" name=\"relay_url\" maxlength=\"300\" \
             required aria-describedby=\"connection-hint\" autocomplete=\"off\" value=\"",
        )
        .text(view.relay_url.as_deref().unwrap_or(""))
        .markup("\"></div><div class=\"field\"><label for=\"relay-token\">")
        .markup(words.connection_token)
        .markup(
            "</label><input type=\"password\" id=\"relay-token\" name=\"token\" maxlength=\"512\" \
             required autocomplete=\"off\"></div><button type=\"submit\" class=\"button-secondary\">",
        )
        .markup(words.connection_save_button)
        .markup("</button></form>");

    html.markup("<h2 id=\"keys-heading\">")
        .markup(words.keys_heading)
        .markup("</h2>");
    if let Some(change) = &view.key_change {
        html.markup("<p id=\"key-result\" class=\"notice\" role=\"status\">")
            .text(change)
            .markup("</p>");
    }
    html.markup("<p>")
        .markup(words.keys_introduction)
        .markup("</p><ul class=\"keys\">");
    for (name, recipient, own) in &view.keys {
        html.markup("<li>");
        if !name.is_empty() {
            html.text(name).markup(": ");
        }
        html.markup("<code class=\"key\">")
            .text(recipient)
            .markup("</code>");
        if *own {
            html.markup(" (")
                .markup(words.key_this_computer)
                .markup(")");
        } else {
            html.markup(
                "<form method=\"post\" action=\"/settings/keys/remove\" class=\"inline-form\">\
                 <input type=\"hidden\" name=\"recipient\" value=\"",
            )
            .text(recipient)
            .markup("\"><button type=\"submit\" class=\"button-secondary\" aria-label=\"")
            .markup(words.key_remove_button)
            .markup(": ")
            .text(if name.is_empty() { recipient } else { name })
            .markup("\">")
            .markup(words.key_remove_button)
            .markup("</button></form>");
        }
        html.markup("</li>");
    }
    html.markup("</ul><h3 id=\"key-add-heading\">")
        .markup(words.key_add_heading)
        .markup(
            "</h3><form method=\"post\" action=\"/settings/keys/add\" autocomplete=\"off\" \
             aria-labelledby=\"key-add-heading\"><p id=\"key-add-hint\" class=\"hint\">",
        )
        .markup(words.key_add_hint)
        .markup("</p><div class=\"field\"><label for=\"key-recipient\">")
        .markup(words.key_public_label)
        .markup(
            "</label><input type=\"text\" id=\"key-recipient\" name=\"recipient\" required \
             maxlength=\"2100\" autocomplete=\"off\" spellcheck=\"false\" \
             aria-describedby=\"key-add-hint\"></div><div class=\"field\"><label for=\"key-name\">",
        )
        .markup(words.key_name_label)
        .markup(
            "</label><input type=\"text\" id=\"key-name\" name=\"name\" maxlength=\"100\" \
             autocomplete=\"off\"></div><button type=\"submit\" class=\"button-secondary\">",
        )
        .markup(words.key_add_button)
        .markup("</button></form>");

    super::handover::receivers_section(
        &mut html,
        words,
        &view.receivers,
        view.receiver_change.as_deref(),
    );
    html.markup("<h2 id=\"backup-heading\">")
        .markup(words.backup_heading)
        .markup("</h2>");
    match &view.backup {
        Some(BackupOutcome::NotAKey) => {
            html.markup("<p id=\"backup-result\" class=\"warning\" role=\"alert\">")
                .markup(words.backup_not_a_key)
                .markup("</p>");
        }
        Some(BackupOutcome::Checked {
            tips,
            messages,
            missing,
        }) => {
            if missing.is_empty() {
                html.markup("<div id=\"backup-result\" class=\"notice\" role=\"status\"><p>")
                    .markup(words.backup_opens_everything)
                    .markup("</p>");
            } else {
                html.markup("<div id=\"backup-result\" class=\"warning\" role=\"alert\"><p>")
                    .markup(words.backup_does_not_open)
                    .markup("</p><ul>");
                for item in missing {
                    html.markup("<li>").text(item).markup("</li>");
                }
                html.markup("</ul>");
            }
            html.markup("<p>")
                .text(&words::backup_checked(language, *tips, *messages))
                .markup("</p></div>");
        }
        None => {}
    }
    html.markup(
        "<form method=\"post\" action=\"/settings/backup-check\" autocomplete=\"off\" \
         aria-labelledby=\"backup-heading\"><p id=\"backup-hint\" class=\"hint\">",
    )
    .markup(words.backup_introduction)
    .markup("</p><div class=\"field\"><label for=\"backup-key\">")
    .markup(words.backup_label)
    .markup(
        "</label><textarea id=\"backup-key\" name=\"backup_key\" rows=\"2\" maxlength=\"4096\" \
         autocomplete=\"off\" spellcheck=\"false\" aria-describedby=\"backup-hint\" required>\
         </textarea></div><button type=\"submit\" class=\"button-primary\">",
    )
    .markup(words.backup_button)
    .markup("</button></form>");
    html
}
