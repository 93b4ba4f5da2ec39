//! The routes, the two extractors every page goes through (a session, and unlocked keys), and
//! the one place a refusal becomes a response.
//!
//! | route | needs | does |
//! |---|---|---|
//! | `GET /style.css` | nothing | the style sheet |
//! | `GET /shown` | the cookie | once, the page a POST answered with (every POST redirects) |
//! | `GET /open?secret=…` | the launch secret, once | sets the cookie, redirects to `/` |
//! | `GET /setup`, `POST /setup` | the cookie, no key yet | makes the key (first start) |
//! | `GET /unlock`, `POST /unlock` | the cookie | asks for the passphrase, unlocks |
//! | `POST /lock`, `POST /language` | the cookie | locks; switches the language |
//! | `GET /` | unlocked | the tip list, with filters in the query (a search by its id) |
//! | `POST /filter` | unlocked | remembers the search's words, goes to the filtered list |
//! | `GET /tips/N`, `POST /tips/N/triage` | unlocked | the case page; saves status and notes |
//! | `POST /tips/N/reply` | unlocked | sends a message to the reporter's mailbox |
//! | `GET /tips/N/export.pdf` | unlocked | the case file as a PDF download, for a hand-over |
//! | `POST /pull`, `GET /pull` | unlocked | starts fetching tips and answers; its progress |
//! | `GET /stats`, `/stats.svg`, `/stats.csv` | unlocked | the counts: page, chart, download |
//! | `GET /settings`, `POST /settings/…` | unlocked | the connection, the keys, the backup check |

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use fluister_envelope::tip::vocabulary::{Kind, Municipality, Role, is_well_formed_identifier};
use zeroize::Zeroizing;

use super::pages::{self, Frame, ListFilter};
use super::session::{self, Exchange, SummaryCache};
use super::words::{self, words};
use super::{AppState, actions, guard, index, setup};
use crate::conversation;
use crate::error::Error;
use crate::keys::{self, UnlockedKeys};
use crate::passphrase::{GivenPassphrase, PassphraseSource};
use crate::recipients::RecipientSet;
use crate::region::Region;
use crate::stats::{self, CountedTip, Counts, CsvStyle};
use crate::store::{self, StoredTip};
use crate::team;
use crate::triage::{TriageBook, TriageStatus};
use crate::vocabulary::{Labels, Language};

/// The largest request body: the forms are short.
const MAX_BODY_BYTES: usize = 32 * 1024;
/// The longest passphrase accepted, in bytes.
const MAX_PASSPHRASE_BYTES: usize = 1024;
/// The longest search, in characters.
const MAX_SEARCH_CHARACTERS: usize = 200;
/// The highest page number of the list accepted in an address.
const MAX_PAGE: usize = 100_000;

const STYLE_SHEET: &str = include_str!("style.css");

/// The app's router, behind the guard.
pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route("/style.css", get(style_sheet))
        .route("/open", get(open))
        .route("/setup", get(setup::setup_form).post(setup::make_key))
        .route("/unlock", get(unlock_page).post(unlock))
        .route("/lock", post(lock))
        .route("/language", post(switch_language))
        .route("/", get(tip_list))
        .route("/filter", post(apply_filter))
        .route("/tips/{number}", get(case_page))
        .route("/tips/{number}/triage", post(save_triage))
        .route("/tips/{number}/reply", post(actions::reply))
        .route("/tips/{number}/export.pdf", get(actions::export_pdf))
        .route("/tips/{number}/link", post(super::register::link))
        .route(
            super::register::REGISTER_PATH,
            get(super::register::register_page)
                .post(super::register::register)
                .layer(DefaultBodyLimit::max(
                    super::register::MAX_REGISTER_BODY_BYTES,
                )),
        )
        .route("/tips/{number}/handover", post(super::handover::handover))
        .route("/pull", get(actions::pull_page).post(actions::start_pull))
        .route("/settings", get(actions::settings_page))
        .route(
            "/settings/connection-check",
            post(actions::check_connection),
        )
        .route("/settings/connection", post(actions::save_connection))
        .route("/settings/backup-check", post(actions::check_backup))
        .route("/settings/keys/add", post(actions::add_key))
        .route("/settings/keys/remove", post(actions::remove_key))
        .route("/settings/receivers", post(actions::set_receiver))
        .route("/settings/receivers/remove", post(actions::remove_receiver))
        .route("/stats", get(statistics_page))
        .route("/stats.svg", get(statistics_chart))
        .route("/stats.csv", get(statistics_csv))
        .route("/shown", get(shown))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            redirect_after_post,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), guard::guard))
        .with_state(state)
}

/// The largest page kept for [`shown`].
const MAX_SHOWN_PAGE_BYTES: usize = 1024 * 1024;

/// A page a form's POST answered with, kept until `GET /shown` shows it once.
#[derive(Debug)]
pub(crate) struct ShownPage {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

/// Turns every answer to a POST that is not already a redirect (a refusal, a wrong
/// passphrase, a form to fill in again) into one, to `/shown`, which shows it. So the browser
/// never keeps a form's body in its session history, which Chromium writes to disk: a secret key
/// pasted into the wrong field stays off the disk even when the form is refused.
async fn redirect_after_post(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: middleware::Next,
) -> Response {
    let is_post = request.method() == axum::http::Method::POST;
    let response = next.run(request).await;
    if !is_post || response.status().is_redirection() {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_SHOWN_PAGE_BYTES).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    *state.shown_page() = Some(ShownPage {
        status: parts.status,
        headers: parts.headers,
        body,
    });
    redirect("/shown")
}

/// `GET /shown`: the page the last POST answered with, once (its status too).
async fn shown(State(state): State<AppState>, _access: InSession) -> Response {
    match state.shown_page().take() {
        Some(page) => {
            let mut response = (page.status, page.body).into_response();
            *response.headers_mut() = page.headers;
            response
        }
        None => redirect("/"),
    }
}

/// Why a page is not shown, and in which language to say so.
#[derive(Debug)]
pub(crate) struct Refusal {
    language: Language,
    reason: Reason,
}

#[derive(Debug)]
pub(super) enum Reason {
    /// No session cookie, or a wrong one.
    NoAccess,
    /// A session, but locked: go to the unlock page.
    Locked,
    NotFound,
    /// A form or address that is not acceptable, and why.
    BadRequest(String),
    /// The inbox failed (a file, the lock, a key).
    Failed(Error),
}

impl Refusal {
    pub(super) fn new(language: Language, reason: Reason) -> Self {
        Self { language, reason }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let words = words(self.language);
        let frame = |in_session| Frame {
            language: self.language,
            unlocked: false,
            in_session,
            here: "/",
            refresh_seconds: None,
        };
        let (status, frame, title, text) = match self.reason {
            Reason::Locked => return redirect("/unlock"),
            Reason::NoAccess => (
                StatusCode::FORBIDDEN,
                frame(false),
                words.no_access_title,
                words.no_access_text.to_owned(),
            ),
            Reason::NotFound => (
                StatusCode::NOT_FOUND,
                frame(true),
                words.not_found_title,
                words.not_found_text.to_owned(),
            ),
            Reason::BadRequest(why) => (
                StatusCode::BAD_REQUEST,
                frame(true),
                words.bad_request_title,
                why,
            ),
            Reason::Failed(error) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                frame(true),
                words.failure_title,
                error.to_string(),
            ),
        };
        html_response(
            status,
            pages::page(&frame, title, pages::message(title, &text)),
        )
    }
}

pub(super) fn html_response(status: StatusCode, page: String) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        page,
    )
        .into_response()
}

/// An unlocked page: the menu and the lock button around `content`; reloads itself after
/// `refresh_seconds` when given.
pub(super) fn unlocked_page(
    language: Language,
    here: &str,
    refresh_seconds: Option<u32>,
    title: &str,
    content: super::html::Html,
) -> Response {
    let frame = Frame {
        language,
        unlocked: true,
        in_session: true,
        here,
        refresh_seconds,
    };
    html_response(StatusCode::OK, pages::page(&frame, title, content))
}

/// `303 See Other` to `location` (a path of this app).
pub(super) fn redirect(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// The value of the session cookie in `headers`, if any.
fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(pair_name, _)| *pair_name == name)
        .map(|(_, value)| value)
}

/// A request with the session's cookie; the page language.
#[derive(Debug)]
pub(crate) struct InSession {
    pub(super) language: Language,
}

impl FromRequestParts<AppState> for InSession {
    type Rejection = Refusal;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = state.session();
        let language = session.language;
        match cookie_value(&parts.headers, state.cookie_name()) {
            Some(value) if session.is_cookie(value) => Ok(Self { language }),
            _ => Err(Refusal::new(language, Reason::NoAccess)),
        }
    }
}

/// A request with the session's cookie while unlocked: the keys, what is known of the tips,
/// and the page language. Counts as use for the idle lock.
pub(crate) struct Unlocked {
    pub(super) language: Language,
    pub(super) keys: Arc<UnlockedKeys>,
    pub(super) summaries: Arc<SummaryCache>,
}

impl std::fmt::Debug for Unlocked {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Unlocked(..)")
    }
}

impl FromRequestParts<AppState> for Unlocked {
    type Rejection = Refusal;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let InSession { language } = InSession::from_request_parts(parts, state).await?;
        let mut session = state.session();
        match session.use_unlocked(Instant::now()) {
            Some((keys, summaries)) => Ok(Self {
                language,
                keys,
                summaries,
            }),
            None => Err(Refusal::new(language, Reason::Locked)),
        }
    }
}

/// The request's form fields (`application/x-www-form-urlencoded`), first value of each name.
pub(super) struct FormFields(Vec<(String, String)>);

impl FormFields {
    pub(super) fn parse(body: &[u8]) -> Self {
        Self(
            form_urlencoded::parse(body)
                .map(|(name, value)| (name.into_owned(), value.into_owned()))
                .collect(),
        )
    }

    /// Every field, in order, names repeated.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }

    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
    }
}

impl Drop for FormFields {
    fn drop(&mut self) {
        use zeroize::Zeroize as _;
        for (name, value) in &mut self.0 {
            name.zeroize();
            value.zeroize();
        }
    }
}

/// Runs blocking inbox work (files, decryption) off the async workers.
pub(super) async fn blocking<T: Send + 'static>(
    language: Language,
    work: impl FnOnce() -> Result<T, Refusal> + Send + 'static,
) -> Result<T, Refusal> {
    tokio::task::spawn_blocking(work).await.unwrap_or_else(|_| {
        Err(Refusal::new(
            language,
            Reason::BadRequest("internal error".to_owned()),
        ))
    })
}

/// `GET /style.css`: the style sheet, with the idle lock's veil: on an unlocked page
/// (`body.idle-locks`) everything but the lock notice turns invisible once the idle time has
/// passed since the page loaded, so a page left open does not keep showing a tip after the
/// workspace has locked. (A reload would do it too, but a page that reloads itself on a timer
/// is a barrier for some readers, WCAG 2.2.1.)
async fn style_sheet(State(state): State<AppState>) -> Response {
    let seconds = state.lock_after_seconds();
    let sheet = format!(
        "{STYLE_SHEET}\n\
         body.idle-locks > :not(.idle-notice) {{ animation: idle-veil 1ms step-end {seconds}s forwards; }}\n\
         body.idle-locks > .idle-notice {{ animation: idle-notice 1ms step-end {seconds}s forwards; }}\n"
    );
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/css; charset=utf-8"),
        )],
        sheet,
    )
        .into_response()
}

async fn not_found(State(state): State<AppState>) -> Refusal {
    let language = state.session().language;
    Refusal::new(language, Reason::NotFound)
}

/// `GET /open?secret=…`: the launch secret, exchanged once for the cookie.
async fn open(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    let mut session = state.session();
    let language = session.language;
    if cookie_value(&headers, state.cookie_name()).is_some_and(|value| session.is_cookie(value)) {
        return redirect("/");
    }
    let offered = uri
        .query()
        .map(|query| FormFields::parse(query.as_bytes()))
        .and_then(|fields| fields.get("secret").map(str::to_owned))
        .map(Zeroizing::new)
        .unwrap_or_default();
    match session.exchange(&offered) {
        Ok(Exchange::Accepted(cookie)) => {
            let mut response = redirect("/");
            let value = format!(
                "{}={cookie}; Path=/; HttpOnly; SameSite=Strict",
                state.cookie_name()
            );
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Ok(Exchange::Refused) => Refusal::new(language, Reason::NoAccess).into_response(),
        Err(error) => Refusal::new(language, Reason::Failed(error)).into_response(),
    }
}

fn here(uri: &Uri) -> &str {
    uri.path_and_query().map_or("/", |path| path.as_str())
}

/// `GET /unlock`: the passphrase form (or the list, when already unlocked).
async fn unlock_page(State(state): State<AppState>, access: InSession, uri: Uri) -> Response {
    if setup::needs_key(&state) {
        return redirect("/setup");
    }
    if state.session().lock_if_idle(Instant::now()) {
        return redirect("/");
    }
    let notice = uri
        .query()
        .is_some_and(|query| query == "locked")
        .then_some(words(access.language).locked_notice);
    let plain = !keys::needs_passphrase(state.identity_path());
    unlock_response(
        access.language,
        StatusCode::OK,
        notice,
        None,
        plain,
        here(&uri),
    )
}

fn unlock_response(
    language: Language,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
    plain: bool,
    here: &str,
) -> Response {
    let frame = Frame {
        language,
        unlocked: false,
        in_session: true,
        here,
        refresh_seconds: None,
    };
    let title = words(language).unlock_title;
    html_response(
        status,
        pages::page(&frame, title, pages::unlock(language, notice, error, plain)),
    )
}

/// `POST /unlock`: opens the key file with the passphrase. Every failure gets the same answer.
async fn unlock(State(state): State<AppState>, access: InSession, body: Bytes) -> Response {
    let language = access.language;
    let body = Zeroizing::new(Vec::from(body));
    let fields = FormFields::parse(&body);
    let passphrase = Zeroizing::new(fields.get("passphrase").unwrap_or_default().to_owned());
    drop(fields);
    let _one_at_a_time = state.unlocking().lock().await;
    // A plain key file (a backup key made with age-keygen) has no passphrase to type.
    let plain = !keys::needs_passphrase(state.identity_path());
    let unlocked = if (passphrase.is_empty() && !plain) || passphrase.len() > MAX_PASSPHRASE_BYTES {
        None
    } else {
        let identity_path = state.identity_path().clone();
        let source = PassphraseSource::Given(GivenPassphrase::new(passphrase));
        tokio::task::spawn_blocking(move || keys::unlock(&identity_path, &source).ok())
            .await
            .ok()
            .flatten()
    };
    match unlocked {
        Some(keys) => {
            let (keys, summaries) = {
                let mut session = state.session();
                session.unlock(keys, Instant::now());
                session.use_unlocked(Instant::now()).expect("just unlocked")
            };
            // Learn every tip's identifiers in the background, from the sealed index and by
            // opening the tips it does not have, so the first filter by municipality, kind or
            // role finds them known; the first list itself opens only its page.
            let home = state.home().clone();
            tokio::task::spawn_blocking(move || {
                index::fill_after_unlock(&home, language, &keys, &summaries);
            });
            redirect("/")
        }
        None => unlock_response(
            language,
            StatusCode::UNAUTHORIZED,
            None,
            Some(words(language).unlock_failed),
            plain,
            "/unlock",
        ),
    }
}

/// `POST /lock`: drops the keys now.
async fn lock(State(state): State<AppState>, _access: InSession) -> Response {
    state.session().lock();
    *state.settings_result() = None;
    *state.shown_page() = None;
    let mut response = redirect("/unlock?locked");
    response
        .headers_mut()
        .insert("clear-site-data", HeaderValue::from_static("\"cache\""));
    response
}

/// `POST /language`: switches the pages' language and goes back where the switch was pressed.
async fn switch_language(
    State(state): State<AppState>,
    _access: InSession,
    body: Bytes,
) -> Response {
    let fields = FormFields::parse(&body);
    let language = match fields.get("lang") {
        Some("nl") => Language::Nl,
        Some("en") => Language::En,
        _ => {
            let language = state.session().language;
            return Refusal::new(
                language,
                Reason::BadRequest(words::not_a_choice(language, "lang")),
            )
            .into_response();
        }
    };
    state.session().language = language;
    let back = fields.get("back").unwrap_or("/");
    let is_own_path = back.starts_with('/')
        && !back.starts_with("//")
        && !back.contains('\\')
        && !back
            .chars()
            .any(|character| character.is_control() || character.is_whitespace())
        && back.len() <= 2048
        && !back.starts_with("/open");
    redirect(if is_own_path { back } else { "/" })
}

/// The labels in `language`, naming municipalities as the stored region does.
pub(super) fn labels(state: &AppState, language: Language) -> Result<Labels, Refusal> {
    let region = Region::load(state.home())
        .map_err(|error| Refusal::new(language, Reason::Failed(error)))?;
    Ok(Labels::for_language(language).with_region(region))
}

/// The list's filters from the address; a value that is not one is refused.
fn list_filter(uri: &Uri, language: Language) -> Result<ListFilter, Refusal> {
    filter_fields(uri.query().unwrap_or_default().as_bytes(), language, false)
}

/// The filters in `fields` (a query or a form body). The words of a search come only from the
/// filter form's body (`q`, when `from_form`); an address names a search by its id (`search`).
fn filter_fields(
    fields: &[u8],
    language: Language,
    from_form: bool,
) -> Result<ListFilter, Refusal> {
    let mut filter = ListFilter {
        page: 1,
        ..ListFilter::default()
    };
    let refuse = |field: &str| {
        Refusal::new(
            language,
            Reason::BadRequest(words::not_a_choice(language, field)),
        )
    };
    for (name, value) in form_urlencoded::parse(fields) {
        if value.is_empty() {
            continue;
        }
        match name.as_ref() {
            "status" => {
                filter.status =
                    Some(pages::status_from_id(&value).ok_or_else(|| refuse("status"))?);
            }
            "municipality" => {
                if value != Municipality::OTHER && !is_well_formed_identifier(&value) {
                    return Err(refuse("municipality"));
                }
                filter.municipality = Some(value.into_owned());
            }
            "kind" => {
                if !Kind::ALL.iter().any(|kind| kind.as_str() == value) {
                    return Err(refuse("kind"));
                }
                filter.kind = Some(value.into_owned());
            }
            "role" => {
                if !Role::ALL.iter().any(|role| role.as_str() == value) {
                    return Err(refuse("role"));
                }
                filter.role = Some(value.into_owned());
            }
            "from" | "to" => {
                if !is_date(&value) {
                    return Err(Refusal::new(
                        language,
                        Reason::BadRequest(words(language).not_a_date.to_owned()),
                    ));
                }
                let date = Some(value.into_owned());
                if name == "from" {
                    filter.from = date;
                } else {
                    filter.to = date;
                }
            }
            "search" if !from_form => {
                if value.len() != 32 || !value.bytes().all(|byte| byte.is_ascii_hexdigit()) {
                    return Err(refuse("search"));
                }
                filter.search_id = Some(value.into_owned());
            }
            "q" if from_form => {
                let search = value.trim();
                if search.chars().count() > MAX_SEARCH_CHARACTERS {
                    return Err(Refusal::new(
                        language,
                        Reason::BadRequest(words::too_long(
                            language,
                            words(language).search_label,
                            MAX_SEARCH_CHARACTERS,
                        )),
                    ));
                }
                if !search.is_empty() {
                    filter.search = Some(search.to_owned());
                }
            }
            "page" => {
                filter.page = value
                    .parse::<usize>()
                    .ok()
                    .filter(|page| (1..=MAX_PAGE).contains(page))
                    .ok_or_else(|| refuse("page"))?;
            }
            _ => {}
        }
    }
    Ok(filter)
}

/// Whether `text` is a date as a date field sends it: `YYYY-MM-DD`, with a month and day that
/// can exist.
fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes[range.clone()]
            .iter()
            .all(u8::is_ascii_digit)
            .then(|| {
                text[range]
                    .parse::<u32>()
                    .expect("ASCII digits parse as a number")
            })
    };
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    matches!(
        (digits(0..4), digits(5..7), digits(8..10)),
        (Some(1970..=9999), Some(1..=12), Some(1..=31))
    )
}

/// Which of `tips` hold every word of `search` in their text, place or contact, without regard
/// to case. Opens each tip; the opened documents are dropped batch by batch.
fn tips_holding(tips: &[StoredTip], search: &str, keys: &UnlockedKeys) -> Vec<bool> {
    let words: Vec<String> = search.split_whitespace().map(str::to_lowercase).collect();
    let mut found = Vec::with_capacity(tips.len());
    for batch in tips.chunks(256) {
        for document in store::open_all(batch, keys) {
            found.push(document.is_ok_and(|document| {
                let mut haystack = Zeroizing::new(document.text.to_lowercase());
                for field in [&document.place, &document.contact].into_iter().flatten() {
                    haystack.push('\n');
                    haystack.push_str(&field.to_lowercase());
                }
                words.iter().all(|word| haystack.contains(word.as_str()))
            }));
        }
    }
    found
}

/// `POST /filter`: the filter form. Its search words are remembered while unlocked, under a
/// random id that the list's address carries instead of them.
async fn apply_filter(State(state): State<AppState>, access: Unlocked, body: Bytes) -> Response {
    let language = access.language;
    let body = Zeroizing::new(Vec::from(body));
    let mut filter = match filter_fields(&body, language, true) {
        Ok(filter) => filter,
        Err(refusal) => return refusal.into_response(),
    };
    if let Some(search) = filter.search.take() {
        match state.session().remember_search(&search) {
            Ok(Some(id)) => filter.search_id = Some(id),
            Ok(None) => return redirect("/unlock"),
            Err(error) => return Refusal::new(language, Reason::Failed(error)).into_response(),
        }
    }
    redirect(&format!("/{}", filter.query(1)))
}

/// `GET /`: the tip list.
async fn tip_list(State(state): State<AppState>, access: Unlocked, uri: Uri) -> Response {
    let Unlocked {
        language,
        keys,
        summaries,
    } = access;
    let here = here(&uri).to_owned();
    let result = async {
        let mut filter = list_filter(&uri, language)?;
        if let Some(id) = &filter.search_id {
            filter.search = Some(state.session().search(id).ok_or_else(|| {
                Refusal::new(
                    language,
                    Reason::BadRequest(words(language).search_forgotten.to_owned()),
                )
            })?);
        }
        let state = state.clone();
        blocking(language, move || {
            let failed = |error| Refusal::new(language, Reason::Failed(error));
            let labels = labels(&state, language)?;
            let tips = store::stored_tips(state.home()).map_err(failed)?;
            let book = TriageBook::load(state.home(), &keys.identities).map_err(failed)?;
            let list = pages::select_page(
                &tips,
                &book,
                &filter,
                |some| session::summaries(some, &keys, &summaries),
                |some, search| tips_holding(some, search, &keys),
            );
            Ok(pages::tip_list(&labels, &list, &filter))
        })
        .await
    }
    .await;
    match result {
        Ok(content) => unlocked_page(language, &here, None, words(language).tips_title, content),
        Err(refusal) => refusal.into_response(),
    }
}

/// A tip number from the address; anything else is not found.
pub(super) fn tip_number(text: &str, language: Language) -> Result<u64, Refusal> {
    text.parse::<u64>()
        .map_err(|_| Refusal::new(language, Reason::NotFound))
}

/// `GET /tips/N`: the case page.
async fn case_page(
    State(state): State<AppState>,
    access: Unlocked,
    Path(number): Path<String>,
    uri: Uri,
) -> Response {
    let Unlocked {
        language,
        keys,
        summaries,
    } = access;
    let here = here(&uri).to_owned();
    let saved = uri.query() == Some("saved");
    let sent = uri.query() == Some("sent");
    let result = async {
        let number = tip_number(&number, language)?;
        let state = state.clone();
        blocking(language, move || {
            let failed = |error| Refusal::new(language, Reason::Failed(error));
            let stored = store::find_tip(state.home(), number)
                .map_err(|_| Refusal::new(language, Reason::NotFound))?;
            let labels = labels(&state, language)?;
            let sealed = store::read_sealed_file(&stored.path).map_err(failed)?;
            // A tip that does not open is shown as such, with its status and notes.
            let document = store::open_tip(&keys.identities, &sealed).ok();
            // In a team, who opened which tip (to the hour) goes to the team log.
            team::record_opened(state.home(), &keys, language, &stored.relay_id);
            let book = TriageBook::load(state.home(), &keys.identities).map_err(failed)?;
            let record = book.record(&stored.relay_id);
            let reply = document
                .as_ref()
                .and_then(|document| document.reply.as_ref());
            let entries = conversation::opened_entries(
                state.home(),
                &stored.relay_id,
                &keys.identities,
                reply,
            )
            .map_err(failed)?;
            let history =
                team::history_in_words(state.home(), &keys, &record, language).map_err(failed)?;
            let receivers = crate::receivers::Receivers::load(state.home())
                .map_err(failed)?
                .receivers;
            let tips = store::stored_tips(state.home()).map_err(failed)?;
            let links = super::register::case_links(
                &stored,
                document.as_ref(),
                &record,
                &tips,
                &keys,
                &summaries,
                &labels,
            );
            let context = pages::CaseContext {
                number,
                received_hour: stored.received_hour,
                record: &record,
                conversation: &entries,
                history: &history,
                links: &links,
                receivers: &receivers,
                saved,
                sent,
            };
            Ok((number, pages::case(&labels, document.as_ref(), &context)))
        })
        .await
    }
    .await;
    match result {
        Ok((number, content)) => {
            let title = format!("{} {number}", words(language).tip);
            unlocked_page(language, &here, None, &title, content)
        }
        Err(refusal) => refusal.into_response(),
    }
}

/// What the status and notes form asks to change.
struct TriageForm {
    status: TriageStatus,
    handed_over_to: Option<String>,
    note: Option<String>,
}

fn triage_form(body: &[u8], language: Language) -> Result<TriageForm, Refusal> {
    let words = words(language);
    let fields = FormFields::parse(body);
    let refuse = |why| Refusal::new(language, Reason::BadRequest(why));
    let status = fields
        .get("status")
        .and_then(pages::status_from_id)
        .ok_or_else(|| refuse(words::not_a_choice(language, words.status)))?;
    let handed_over_to = fields
        .get("handed_over_to")
        .map(str::trim)
        .filter(|text| !text.is_empty());
    if handed_over_to
        .is_some_and(|text| text.chars().count() > pages::MAX_HANDED_OVER_TO_CHARACTERS)
    {
        return Err(refuse(words::too_long(
            language,
            words.handed_over_to_label,
            pages::MAX_HANDED_OVER_TO_CHARACTERS,
        )));
    }
    let note = fields
        .get("note")
        .map(str::trim)
        .filter(|text| !text.is_empty());
    if note.is_some_and(|text| text.chars().count() > pages::MAX_NOTE_CHARACTERS) {
        return Err(refuse(words::too_long(
            language,
            words.note_label,
            pages::MAX_NOTE_CHARACTERS,
        )));
    }
    Ok(TriageForm {
        status,
        handed_over_to: handed_over_to.map(str::to_owned),
        note: note.map(str::to_owned),
    })
}

/// `POST /tips/N/triage`: saves the status, to whom it was handed over, and a new note, sealed
/// as `fluister-inbox triage` does, under the inbox folder's lock.
async fn save_triage(
    State(state): State<AppState>,
    access: Unlocked,
    Path(number): Path<String>,
    body: Bytes,
) -> Response {
    let Unlocked { language, keys, .. } = access;
    let result = async {
        let number = tip_number(&number, language)?;
        let form = triage_form(&body, language)?;
        let state = state.clone();
        blocking(language, move || {
            let failed = |error| Refusal::new(language, Reason::Failed(error));
            let stored = store::find_tip(state.home(), number)
                .map_err(|_| Refusal::new(language, Reason::NotFound))?;
            let _lock = state.home().lock().map_err(failed)?;
            let book = TriageBook::load(state.home(), &keys.identities).map_err(failed)?;
            let changes = team::changes_for(
                &book.record(&stored.relay_id),
                Some(form.status),
                form.handed_over_to,
                form.note,
                None,
            );
            // Sealed to the coordinator's own set (their key, the backup key, a successor's,
            // the team), and written to the team log, as `fluister-inbox triage` does.
            let recipients = RecipientSet::load(state.home(), language)
                .map_err(failed)?
                .sealing_recipients(&keys.own_recipient);
            team::change_tip(state.home(), &keys, &recipients, &stored.relay_id, changes)
                .map_err(failed)?;
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

/// The counts of every stored tip that opens (municipality, kind and quarter only), the labels,
/// and how many tips were counted.
fn counted(
    state: &AppState,
    language: Language,
    keys: &UnlockedKeys,
    summaries: &SummaryCache,
) -> Result<(Counts, Labels, usize), Refusal> {
    let failed = |error| Refusal::new(language, Reason::Failed(error));
    let tips = store::stored_tips(state.home()).map_err(failed)?;
    let tips: Vec<CountedTip> = session::summaries(&tips, keys, summaries)
        .into_iter()
        .filter_map(|summary| {
            let facts = summary.facts?;
            Some(CountedTip {
                received_hour: summary.received_hour,
                municipality: facts.municipality,
                kinds: facts.kinds,
            })
        })
        .collect();
    Ok((
        Counts::count(&tips, &[]),
        labels(state, language)?,
        tips.len(),
    ))
}

/// `GET /stats`: the statistics page.
async fn statistics_page(State(state): State<AppState>, access: Unlocked, uri: Uri) -> Response {
    let Unlocked {
        language,
        keys,
        summaries,
    } = access;
    let here = here(&uri).to_owned();
    let result = blocking(language, move || {
        counted(&state, language, &keys, &summaries).map(|(_, _, count)| count)
    })
    .await;
    match result {
        Ok(count) => unlocked_page(
            language,
            &here,
            None,
            words(language).statistics_title,
            pages::statistics(language, count),
        ),
        Err(refusal) => refusal.into_response(),
    }
}

/// `GET /stats.svg`: the chart of `fluister-inbox stats --svg`, as an image.
async fn statistics_chart(State(state): State<AppState>, access: Unlocked) -> Response {
    let Unlocked {
        language,
        keys,
        summaries,
    } = access;
    let result = blocking(language, move || {
        counted(&state, language, &keys, &summaries)
            .map(|(counts, labels, _)| stats::to_svg(&counts, &labels))
    })
    .await;
    match result {
        Ok(svg) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml; charset=utf-8"),
            )],
            svg,
        )
            .into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

/// `GET /stats.csv`: the counts as `fluister-inbox stats` writes them, for Dutch Excel.
async fn statistics_csv(State(state): State<AppState>, access: Unlocked) -> Response {
    let Unlocked {
        language,
        keys,
        summaries,
    } = access;
    let result = blocking(language, move || {
        counted(&state, language, &keys, &summaries)
            .map(|(counts, labels, _)| stats::to_csv(&counts, &labels, CsvStyle::Excel))
    })
    .await;
    match result {
        Ok(csv) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/csv; charset=utf-8"),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    HeaderValue::from_static("attachment; filename=\"fluister-statistieken.csv\""),
                ),
            ],
            csv,
        )
            .into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("other=1; fluister-8080=abc; fluister-9090=def"),
        );
        assert_eq!(cookie_value(&headers, "fluister-8080"), Some("abc"));
        assert_eq!(cookie_value(&headers, "fluister-9090"), Some("def"));
        assert_eq!(cookie_value(&headers, "fluister-1"), None);
    }

    #[test]
    fn filters_outside_the_choices_are_refused() {
        let parse = |address: &str| list_filter(&address.parse::<Uri>().unwrap(), Language::En);
        let filter =
            parse("/?status=in-progress&municipality=aa-en-hunze&kind=labour&page=2").unwrap();
        assert_eq!(filter.status, Some(TriageStatus::InProgress));
        assert_eq!(filter.municipality.as_deref(), Some("aa-en-hunze"));
        assert_eq!(filter.kind.as_deref(), Some("labour"));
        assert_eq!(filter.page, 2);
        assert!(parse("/?status=").unwrap().status.is_none());
        for refused in [
            "/?status=open",
            "/?kind=forced_begging",
            "/?municipality=%3Cscript%3E",
            "/?page=0",
            "/?page=x",
        ] {
            assert!(parse(refused).is_err(), "{refused}");
        }
    }
}
