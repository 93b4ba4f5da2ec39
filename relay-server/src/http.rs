//! The HTTP API: the router, its handlers, and the middleware that enforces limits, refuses
//! cross-origin requests and sets security headers on every response.
//!
//! Nothing here reads the client's address (there is no `ConnectInfo`), user agent, referrer or
//! cookies, and nothing logs request headers.

mod extract;
mod log;
mod mailbox;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use fluister_protocol::ErrorCode;
use fluister_protocol::bodies::{
    ChallengeResponse, Created, DifficultyStatus, Health, ProofOfWorkParameters, PublicConfig,
    PublicLimits, RefusedLastDay, RelayStatus, TipDeletion, TipList, TipListEntry, TipsDeleted,
    VerifiedSubmissions,
};
use sha2::Sha256;
use tokio::sync::Semaphore;

use self::extract::{
    AgeBody, BodyLimit, Coordinator, JsonDocument, MetricsReader, OctetStream, Payment, SentAs,
    SubmissionKey, TipLimit,
};
use crate::assets::Assets;
use crate::budgets::{AdaptiveDifficulty, MailboxReadBudgets, SlidingCount, TokenBucket};
use crate::challenges::{ChallengeKeys, Claim, IssuedChallenge, Presenter, UsedChallenges};
use crate::error::ApiError;
use crate::sealed;
use crate::settings::Settings;
use crate::storage::{
    NewTip, SECONDS_PER_HOUR, Storage, StoreOutcome, TipId, now_unix, round_down_to_hour,
    round_up_to_hour,
};

/// Everything the handlers share.
#[derive(Debug)]
pub struct AppState<S> {
    inner: Arc<StateInner<S>>,
}

impl<S> Clone for AppState<S> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

#[derive(Debug)]
struct StateInner<S> {
    storage: S,
    settings: Settings,
    token_hashes: Vec<[u8; 32]>,
    /// The hashes of the tokens that open `/metrics` (and nothing else).
    metrics_token_hashes: Vec<[u8; 32]>,
    config_document: Bytes,
    widget_content_security_policy: HeaderValue,
    assets: Assets,
    request_permits: Arc<Semaphore>,
    /// Verified submissions (tips, registrations, reporters' messages) draw from this one
    /// global bucket, and only once their proof of work checked out.
    submission_bucket: TokenBucket,
    /// Each mailbox's own read budget, charged after its token checked out.
    mailbox_reads: MailboxReadBudgets,
    /// The key stateless challenges are MACed with.
    challenge_keys: ChallengeKeys,
    /// Challenges a proof was presented for, until they expire.
    used_challenges: UsedChallenges,
    /// Proofs of work verified at once; the others wait their turn, first come first served.
    verifications: Semaphore,
    /// The difficulty of newly issued challenges, following verified submissions.
    difficulty: AdaptiveDifficulty,
    /// What a wrong mailbox token is compared against when the mailbox does not exist.
    missing_mailbox_stand_in: [u8; 32],
    /// When this process started: challenges issued before it are refused, because the record
    /// of which of them were used did not survive the restart.
    started_at: i64,
    /// The key of [`presenter`], made at start and never stored.
    presenter_key: [u8; 32],
    metrics: Metrics,
    /// What `/metrics` shows: the values as they stood at the last full hour.
    hourly_metrics: crate::hourly::HourlySnapshot,
    /// Whether a tip or a reporter's message arrived, for the notifications.
    arrivals: Arc<crate::notify::Arrivals>,
}

impl<S: Storage> AppState<S> {
    /// Builds the shared state from validated settings, an opened storage backend and the
    /// challenge key.
    pub fn new(
        settings: Settings,
        storage: S,
        challenge_keys: ChallengeKeys,
    ) -> Result<Self, crate::settings::SettingsError> {
        settings.validate()?;
        crate::notify::check(&settings.notifications).map_err(crate::settings::SettingsError)?;
        let token_hashes = settings.token_hashes()?;
        let metrics_token_hashes = settings.metrics_token_hashes()?;
        let recipients: Vec<String> = settings
            .recipients()?
            .iter()
            .map(ToString::to_string)
            .collect();
        let config_document = serde_json::to_vec(&PublicConfig {
            api_version: fluister_protocol::bodies::API_VERSION,
            recipients,
            limits: PublicLimits {
                max_tip_bytes: settings.limits.max_tip_bytes as u64,
            },
            proof_of_work: ProofOfWorkParameters {
                difficulty: settings.proof_of_work.difficulty,
                memory_kib: settings.proof_of_work.memory_kib,
                challenge_lifetime_seconds: settings.proof_of_work.challenge_lifetime_seconds,
            },
            region: settings.widget.region.clone(),
            municipalities: settings.widget.public_municipalities(),
            phone_numbers: settings.widget.public_phone_numbers(),
        })
        .expect("the public config serialises")
        .into();
        let frame_ancestors = if settings.widget.embedding_origins.is_empty() {
            "'none'".to_owned()
        } else {
            settings.widget.embedding_origins.join(" ")
        };
        let assets = Assets::new(settings.widget.assets_dir.clone());
        // The iframe documents carry their style sheet and start script inline (a round trip
        // less each on a slow connection); the policy allows those texts by their hashes, and
        // no other inline style or script.
        let allow = |hash: Option<String>| {
            hash.map(|hash| format!(" 'sha256-{hash}'"))
                .unwrap_or_default()
        };
        let inline_style = allow(assets.inline_style_sha256());
        let inline_script = allow(assets.inline_script_sha256());
        let widget_content_security_policy = HeaderValue::from_str(&format!(
            "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'{inline_script}; style-src 'self'{inline_style}; \
             img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; \
             form-action 'none'; frame-ancestors {frame_ancestors}"
        ))
        .expect("validated origins are valid header text");
        let request_permits = Arc::new(Semaphore::new(settings.limits.max_concurrent_requests));
        let submission_bucket = TokenBucket::new(
            settings.limits.submissions_per_second,
            settings.limits.submission_burst,
        );
        let mailbox_reads = MailboxReadBudgets::new(
            settings.limits.mailbox_requests_per_minute,
            settings.limits.mailbox_request_burst,
        );
        let proof = &settings.proof_of_work;
        let difficulty = AdaptiveDifficulty::new(
            proof.difficulty,
            proof.max_difficulty,
            proof.flood_baseline,
            Duration::from_secs(proof.flood_window_seconds),
        );
        let used_challenges = UsedChallenges::new(proof.max_used_challenges);
        let verifications = Semaphore::new(settings.limits.max_concurrent_verifications);
        Ok(Self {
            inner: Arc::new(StateInner {
                storage,
                settings,
                token_hashes,
                metrics_token_hashes,
                config_document,
                widget_content_security_policy,
                assets,
                request_permits,
                submission_bucket,
                mailbox_reads,
                challenge_keys,
                used_challenges,
                verifications,
                difficulty,
                missing_mailbox_stand_in: crate::encoding::random_bytes(),
                started_at: now_unix(),
                presenter_key: crate::encoding::random_bytes(),
                metrics: Metrics::default(),
                hourly_metrics: crate::hourly::HourlySnapshot::default(),
                arrivals: Arc::default(),
            }),
        })
    }

    /// The storage backend.
    pub fn storage(&self) -> &S {
        &self.inner.storage
    }

    /// Where arrivals are recorded for the notifications.
    pub fn arrivals(&self) -> &Arc<crate::notify::Arrivals> {
        &self.inner.arrivals
    }

    /// The settings the state was built from.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// The text of `/metrics`: the snapshot of the current hour, taken now if the hour has
    /// none yet (at start, and when the hour turns; `server` looks every second).
    pub fn hourly_metrics(&self) -> String {
        self.inner
            .hourly_metrics
            .for_hour_of(crate::hourly::metrics_now(), |hour| {
                self.inner
                    .metrics
                    .render(hour, self.inner.storage.counts(), pressure(self))
            })
    }

    /// Forgets the records of challenges that have expired (the hourly sweep calls this).
    pub fn forget_expired_challenges(&self, now_unix: i64) {
        self.inner.used_challenges.forget_expired(now_unix);
    }
}

/// Builds the relay's router.
pub fn app<S: Storage>(state: AppState<S>) -> Router {
    let api = Router::new()
        .route("/api/v1/config", get(public_config::<S>))
        .route(
            "/api/v1/challenges",
            axum::routing::post(issue_challenge::<S>),
        )
        .route("/api/v1/tips", get(list_tips::<S>).post(submit_tip::<S>))
        .route("/api/v1/status", get(relay_status::<S>))
        .route(
            "/api/v1/log",
            get(log::list_entries::<S>).post(log::append_entry::<S>),
        )
        .route(
            "/api/v1/tips/{id}",
            get(fetch_tip::<S>).delete(delete_tip::<S>),
        )
        .route("/api/v1/tips/delete", axum::routing::post(delete_tips::<S>))
        .route(
            "/api/v1/mailboxes",
            axum::routing::post(mailbox::register_mailbox::<S>),
        )
        .route(
            "/api/v1/mailboxes/{id}",
            axum::routing::delete(mailbox::delete_mailbox::<S>),
        )
        .route(
            "/api/v1/mailboxes/{id}/messages",
            get(mailbox::list_messages::<S>)
                .post(mailbox::post_message::<S>)
                .layer(
                    // Messages have their own size limit; this inner layer overrides the tips' one.
                    DefaultBodyLimit::max(state.inner.settings.limits.max_message_bytes),
                ),
        );
    Router::new()
        .merge(api)
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz::<S>))
        .route("/metrics", get(metrics::<S>))
        .route("/embed.js", get(embed_script::<S>))
        .route("/w", get(widget_index::<S>))
        .route("/w/", get(widget_index::<S>))
        .route("/w/{*path}", get(widget_file::<S>))
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(
            state.inner.settings.limits.max_tip_bytes,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            limit_and_secure::<S>,
        ))
        .with_state(state)
}

/// Outermost middleware: the concurrency limit, the whole-request timeout, and the security
/// headers every response carries (errors from the limits included).
async fn limit_and_secure<S: Storage>(
    State(state): State<AppState<S>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    // The widget runs on the relay's own origin, so the API needs no CORS: a browser request
    // from elsewhere (a CORS preflight included) gets 403 and no `Access-Control-*` header.
    let cross_origin_api_request = path.starts_with("/api/")
        && !is_same_origin(
            request.headers(),
            &state.inner.settings.server.public_origin,
        );
    let mut response = match Arc::clone(&state.inner.request_permits).try_acquire_owned() {
        _ if cross_origin_api_request => ApiError::CrossOrigin.into_response(),
        Err(_) => ApiError::Overloaded.into_response(),
        Ok(permit) => {
            let mut request = request;
            let slot = RequestSlot(Arc::new(std::sync::Mutex::new(Some(permit))));
            request.extensions_mut().insert(slot.clone());
            let timeout = Duration::from_secs(state.inner.settings.limits.request_timeout_seconds);
            let response = match tokio::time::timeout(timeout, next.run(request)).await {
                Ok(response) => response,
                Err(_) => ApiError::RequestTimeout.into_response(),
            };
            slot.give_back();
            response
        }
    };
    // Every refusal, wherever it was made, is counted here once.
    if let Some(code) = response.extensions().get::<ErrorCode>() {
        state.inner.metrics.count_refusal(*code);
    }
    add_security_headers(&state, &path, &mut response);
    response
}

fn add_security_headers<S: Storage>(state: &AppState<S>, path: &str, response: &mut Response) {
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    let is_javascript = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/javascript"));
    let is_widget = path == "/w" || path.starts_with("/w/");
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static(
            "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
        ),
    );
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    // The loader and the widget's frame are loaded by municipal pages; everything else is not.
    let resource_policy = if path == "/embed.js" || is_widget {
        "cross-origin"
    } else {
        "same-origin"
    };
    headers.insert(
        HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static(resource_policy),
    );
    // The widget's scripts get its policy too: a Web Worker runs under the policy of its own
    // script's response, and the proof-of-work worker imports the module and compiles wasm.
    if is_widget && (is_html || is_javascript) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            state.inner.widget_content_security_policy.clone(),
        );
    } else {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            ),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    if state
        .inner
        .settings
        .server
        .public_origin
        .starts_with("https://")
    {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000"),
        );
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// Decides whether a request may come from a page on the relay's own origin (or from a
/// non-browser client, which sends neither `Origin` nor `Sec-Fetch-Site`).
pub fn is_same_origin(headers: &HeaderMap, public_origin: &str) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        let site = site.as_bytes();
        if site != b"same-origin" && site != b"none" {
            return false;
        }
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if !public_origin.is_empty() {
        return origin == public_origin;
    }
    let authority = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    let host = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok());
    matches!((authority, host), (Some(authority), Some(host)) if authority.eq_ignore_ascii_case(host))
}

/// `GET /healthz`: the process answers. It touches nothing else, so a supervisor restarts the
/// relay only when the process itself is stuck.
async fn healthz() -> impl IntoResponse {
    Json(Health {
        status: "ok".to_owned(),
    })
}

/// How long `/readyz` waits for the storage before it answers that the relay is not ready.
const READY_DEADLINE: Duration = Duration::from_secs(3);

/// `GET /readyz`: the storage is reachable and writable now (a write transaction that changes
/// nothing, through the same writer tips go through), so a load balancer sends traffic only to
/// a relay that can store it.
async fn readyz<S: Storage>(State(state): State<AppState<S>>) -> Result<Response, ApiError> {
    match tokio::time::timeout(READY_DEADLINE, state.inner.storage.ready()).await {
        Ok(Ok(())) => Ok(Json(Health {
            status: "ready".to_owned(),
        })
        .into_response()),
        Ok(Err(error)) => {
            tracing::warn!(%error, "not ready: the storage cannot take a write");
            Err(ApiError::NotReady)
        }
        Err(_) => {
            tracing::warn!("not ready: the storage took too long to take a write");
            Err(ApiError::NotReady)
        }
    }
}

async fn public_config<S: Storage>(State(state): State<AppState<S>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        state.inner.config_document.clone(),
    )
        .into_response()
}

/// `POST /api/v1/challenges`: a stateless challenge at the current difficulty. It costs the
/// relay one HMAC, stores nothing and draws from no budget. A client that can solve a split
/// challenge asks for one with `?version=2`; the work is the same either way, so which one a
/// client takes is its own affair.
async fn issue_challenge<S: Storage>(
    State(state): State<AppState<S>>,
    RawQuery(query): RawQuery,
) -> Response {
    let proof_settings = &state.inner.settings.proof_of_work;
    // Version 1 (or none): one puzzle, as every client before split challenges solves it.
    let puzzles = match query.as_deref() {
        None | Some("" | "version=1") => 1,
        Some("version=2") => proof_settings.puzzles,
        Some(_) => return ApiError::BadChallengeVersion.into_response(),
    };
    let lifetime = proof_settings.challenge_lifetime_seconds;
    let challenge = state.inner.challenge_keys.issue(
        state.inner.difficulty.current(),
        proof_settings.memory_kib,
        puzzles,
        now_unix(),
    );
    state
        .inner
        .metrics
        .challenges_issued
        .fetch_add(1, Ordering::Relaxed);
    let body = ChallengeResponse {
        seed: challenge.seed,
        difficulty: challenge.difficulty,
        memory_kib: challenge.memory_kib,
        puzzles: challenge.puzzles,
        expires_in_seconds: lifetime,
    };
    (StatusCode::CREATED, Json(body)).into_response()
}

/// A request's place among `limits.max_concurrent_requests`, which a paid request gives back
/// while it waits for its proof to be verified: a flood of wrong proofs waiting in that queue
/// must not hold every place, or the relay would stop answering anything else (challenges,
/// mailbox reads, the widget itself). The queue itself is first come, first served, so a
/// reporter's proof waits behind at most one proof per open connection.
#[derive(Clone, Debug)]
struct RequestSlot(Arc<std::sync::Mutex<Option<tokio::sync::OwnedSemaphorePermit>>>);

impl RequestSlot {
    /// Gives the place back (the request goes on without one).
    fn give_back(&self) {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
    }
}

/// A proof of work that was presented with a request and accepted.
enum Paid {
    /// Verified now, and charged to the submission budget: store what it paid for, then
    /// [`settle`] the challenge.
    Fresh(IssuedChallenge),
    /// The same presenter used this challenge successfully before: a retry whose reply was
    /// lost. Answer from what was stored then; store nothing new.
    Retry,
}

/// Checks a request's proof of work and charges the shared budget, in the order that keeps a
/// client who does no work from costing anyone anything: the challenge's MAC (one HMAC), then
/// the challenge taken atomically (so one challenge buys at most one verification), then a look
/// at the budget (a spent budget refuses before any hashing), then the verification itself
/// (at most `limits.max_concurrent_verifications` at once), and only then the budget charged.
async fn take_payment<S: Storage>(
    state: &AppState<S>,
    slot: Option<&RequestSlot>,
    (seed, nonces): ([u8; 32], Vec<u32>),
    body_sha256: [u8; 32],
    presenter: Presenter,
) -> Result<Paid, ApiError> {
    let inner = &state.inner;
    let now = now_unix();
    let challenge = inner
        .challenge_keys
        .open(
            &seed,
            now,
            inner.settings.proof_of_work.challenge_lifetime_seconds,
        )
        .ok_or(ApiError::ChallengeInvalid)?;
    // A proof with another number of nonces than the challenge has puzzles is refused before
    // anything is claimed or queued: it cannot be right, and costs no hash.
    if nonces.len() != challenge.challenge.puzzles as usize {
        return Err(ApiError::ProofOfWorkInvalid);
    }
    // Which challenges were used before a restart is not known, so none issued before counts;
    // unless the storage keeps the record of spent challenges, for every relay and across
    // restarts.
    if challenge.issued_at < inner.started_at && !inner.storage.is_shared() {
        return Err(ApiError::ChallengeInvalid);
    }
    // A challenge fetched before a flood raised the difficulty pays for nothing once the
    // difficulty is more than twice its own: challenges are free, so fetching a pile of cheap
    // ones ahead must not outlast the rise. Nor is any challenge easier than the base.
    let asked = challenge.challenge.difficulty;
    if asked < inner.difficulty.base() || asked.saturating_mul(2) < inner.difficulty.current() {
        return Err(ApiError::ChallengeInvalid);
    }
    match inner.used_challenges.claim(&challenge, presenter, now) {
        Claim::Fresh => {}
        Claim::UsedBySamePresenter | Claim::SpentElsewhere => return Ok(Paid::Retry),
        Claim::Unavailable => return Err(ApiError::ChallengeInvalid),
        Claim::Full => return Err(ApiError::Overloaded),
    }
    if !inner.submission_bucket.has_token() {
        inner.used_challenges.release(&challenge);
        return Err(ApiError::RateLimited);
    }
    let verified = if challenge.challenge.is_trivial() {
        // Difficulty 0 or 1 (tests, demos): nothing to hash.
        true
    } else {
        if let Some(slot) = slot {
            slot.give_back();
        }
        let Ok(_permit) = inner.verifications.acquire().await else {
            inner.used_challenges.release(&challenge);
            return Err(ApiError::Overloaded);
        };
        inner
            .metrics
            .proof_verifications
            .fetch_add(1, Ordering::Relaxed);
        let puzzle = challenge.challenge.clone();
        tokio::task::spawn_blocking(move || {
            sealed::verify_proof_of_work(&puzzle, &body_sha256, nonces)
        })
        .await
        .map_err(|_| ApiError::Internal)?
    };
    if !verified {
        // The challenge stays used: a client cannot make the relay search for its nonce.
        inner.used_challenges.mark_burnt(&challenge);
        return Err(ApiError::ProofOfWorkInvalid);
    }
    if !inner.submission_bucket.try_take() {
        inner.used_challenges.release(&challenge);
        return Err(ApiError::RateLimited);
    }
    inner.difficulty.record_verified();
    // Relays on one database share the record of spent challenges: the first to write it is
    // the one the proof pays at. Only a verified proof gets this far, so only work writes.
    let expires_hour = round_up_to_hour(challenge.expires_at);
    match inner
        .storage
        .spend_challenge(challenge.tag(), expires_hour)
        .await
    {
        Ok(true) => Ok(Paid::Fresh(challenge)),
        Ok(false) => {
            // Spent before, at another relay or before a restart: a retry by its presenter is
            // answered from what was stored then; anyone else finds nothing and is refused. Who
            // presented it there is not known here, so every later presenter is answered so,
            // with one indexed read and no second verification.
            inner.used_challenges.mark_spent_elsewhere(&challenge);
            Ok(Paid::Retry)
        }
        Err(error) => {
            inner.used_challenges.release(&challenge);
            Err(internal(&error))
        }
    }
}

/// After storage answered for a freshly paid request: the challenge is used for good, by this
/// presenter (so a retry is recognised), unless the storage itself failed, in which case the
/// client may present the same proof again (to this relay or another).
async fn settle<S: Storage, T>(
    state: &AppState<S>,
    challenge: &IssuedChallenge,
    presenter: Presenter,
    stored: &Result<T, crate::storage::StorageError>,
) {
    match stored {
        Ok(_) => state.inner.used_challenges.mark_used(challenge, presenter),
        Err(_) => {
            if let Err(error) = state.inner.storage.unspend_challenge(challenge.tag()).await {
                tracing::error!(%error, "giving back a spent challenge failed");
            }
            state.inner.used_challenges.release(challenge);
        }
    }
}

/// The presenter of a proof: the first 8 bytes of a SHA-256 it was made for.
fn presenter<S: Storage>(state: &AppState<S>, sha256: &[u8; 32]) -> Presenter {
    use hmac::{KeyInit as _, Mac as _};
    // Keyed by a secret made at start, so the record in memory cannot be matched to the hashes
    // the database keeps (`submissions.key_sha256`).
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(&state.inner.presenter_key)
        .expect("HMAC takes any key length");
    mac.update(sha256);
    let mut presenter = [0u8; 8];
    presenter.copy_from_slice(&mac.finalize().into_bytes()[..8]);
    presenter
}

/// Logs a storage failure (never to the client) and answers `internal`.
fn internal(error: &crate::storage::StorageError) -> ApiError {
    tracing::error!(%error, "storage failed");
    ApiError::Internal
}

/// `POST /api/v1/tips`: a sealed tip, paid for with a proof of work over its bytes.
async fn submit_tip<S: Storage>(
    State(state): State<AppState<S>>,
    _: SentAs<OctetStream>,
    submission_key: SubmissionKey,
    payment: Payment,
    AgeBody(body): AgeBody<TipLimit>,
) -> Result<Response, ApiError> {
    let metrics = &state.inner.metrics;
    let result = store_paid_tip(&state, submission_key, payment, body).await;
    match &result {
        Ok((StatusCode::CREATED, _)) => {
            metrics.tips_stored.fetch_add(1, Ordering::Relaxed);
            state.inner.arrivals.something_new();
        }
        Ok(_) => {
            metrics.tips_resubmitted.fetch_add(1, Ordering::Relaxed);
        }
        Err(_) => {}
    }
    let (status, id) = result?;
    Ok((status, Json(Created { id })).into_response())
}

async fn store_paid_tip<S: Storage>(
    state: &AppState<S>,
    submission_key: SubmissionKey,
    payment: Payment,
    body: extract::Body<TipLimit>,
) -> Result<(StatusCode, TipId), ApiError> {
    let storage = &state.inner.storage;
    let presenter = presenter(state, &submission_key.sha256);
    let challenge = match payment.pay(state, body.sha256, presenter).await? {
        Paid::Fresh(challenge) => challenge,
        // A retry after a lost reply, with the challenge its first try used.
        Paid::Retry => {
            return match storage
                .find_submission(submission_key.sha256)
                .await
                .map_err(|error| internal(&error))?
            {
                Some(previous) if previous.body_sha256 == body.sha256 => {
                    Ok((StatusCode::OK, previous.tip_id))
                }
                Some(_) => Err(ApiError::SubmissionKeyConflict),
                None => Err(ApiError::ChallengeInvalid),
            };
        }
    };
    let stored = storage
        .store_tip(NewTip {
            submission_key_sha256: submission_key.sha256,
            body_sha256: body.sha256,
            ciphertext: body.bytes,
            received_hour: round_down_to_hour(now_unix()),
        })
        .await;
    settle(state, &challenge, presenter, &stored).await;
    match stored.map_err(|error| internal(&error))? {
        StoreOutcome::Stored(id) => Ok((StatusCode::CREATED, id)),
        StoreOutcome::AlreadyStored(id) => Ok((StatusCode::OK, id)),
        StoreOutcome::SubmissionKeyConflict => Err(ApiError::SubmissionKeyConflict),
        StoreOutcome::StorageFull => Err(ApiError::StorageFull),
        StoreOutcome::HourlyLimitReached => Err(ApiError::StorageBusy),
    }
}

async fn list_tips<S: Storage>(
    State(state): State<AppState<S>>,
    _: Coordinator,
) -> Result<Response, ApiError> {
    let tips = state
        .inner
        .storage
        .list_tips()
        .await
        .map_err(|error| internal(&error))?;
    let tips = tips
        .into_iter()
        .map(|tip| TipListEntry {
            id: tip.id,
            received_hour: u64::try_from(tip.received_hour).unwrap_or(0),
            size: tip.size,
        })
        .collect();
    Ok(Json(TipList { tips }).into_response())
}

async fn fetch_tip<S: Storage>(
    State(state): State<AppState<S>>,
    _: Coordinator,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = TipId::parse(&id).ok_or(ApiError::TipNotFound)?;
    let ciphertext = state
        .inner
        .storage
        .tip(id)
        .await
        .map_err(|error| internal(&error))?
        .ok_or(ApiError::TipNotFound)?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        )],
        ciphertext,
    )
        .into_response())
}

async fn delete_tip<S: Storage>(
    State(state): State<AppState<S>>,
    _: Coordinator,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = TipId::parse(&id).ok_or(ApiError::TipNotFound)?;
    let deleted = state
        .inner
        .storage
        .delete_tip(id)
        .await
        .map_err(|error| internal(&error))?;
    if deleted {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::TipNotFound)
    }
}

/// The largest body of a `POST /api/v1/tips/delete`: its most ids with room for the JSON.
struct TipDeletionLimit;

impl BodyLimit for TipDeletionLimit {
    fn limit(_: &Settings) -> usize {
        fluister_protocol::bodies::MAX_TIPS_PER_DELETION * 48 + 64
    }
}

/// `POST /api/v1/tips/delete`: deletes up to `MAX_TIPS_PER_DELETION` tips in one request (a
/// pull of thousands of tips would otherwise send one `DELETE` each) and says how many were
/// there.
async fn delete_tips<S: Storage>(
    State(state): State<AppState<S>>,
    _: Coordinator,
    _: SentAs<JsonDocument>,
    body: extract::Body<TipDeletionLimit>,
) -> Result<Response, ApiError> {
    let TipDeletion { ids } =
        serde_json::from_slice(&body.bytes).map_err(|_| ApiError::BodyUnreadable)?;
    if ids.len() > fluister_protocol::bodies::MAX_TIPS_PER_DELETION {
        return Err(ApiError::BodyTooLarge);
    }
    let deleted = state
        .inner
        .storage
        .delete_tips(ids)
        .await
        .map_err(|error| internal(&error))?;
    Ok(Json(TipsDeleted { deleted }).into_response())
}

/// `GET /metrics`, for the monitoring system's own token: the counts as they stood at the last
/// full hour (see [`crate::hourly`]).
async fn metrics<S: Storage>(
    State(state): State<AppState<S>>,
    _: MetricsReader,
) -> Result<Response, ApiError> {
    let text = state.hourly_metrics();
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        text,
    )
        .into_response())
}

/// The load the relay is under, for `/metrics` and `/api/v1/status`.
#[derive(Debug, Clone, Copy)]
struct Pressure {
    difficulty: u32,
    verified_in_window: u64,
    used_challenges: u64,
}

fn pressure<S: Storage>(state: &AppState<S>) -> Pressure {
    let difficulty = &state.inner.difficulty;
    let verified_in_window = difficulty.verified_in_window();
    Pressure {
        difficulty: difficulty.for_verified(verified_in_window),
        verified_in_window,
        used_challenges: state.inner.used_challenges.len() as u64,
    }
}

/// `GET /api/v1/status`: what the coordinator needs to see an attack, without content: the
/// difficulty now, the verified submissions behind it, and the refusals for budget in the last
/// 24 hours.
async fn relay_status<S: Storage>(
    State(state): State<AppState<S>>,
    _: Coordinator,
) -> Result<Response, ApiError> {
    let now = pressure(&state);
    let difficulty = &state.inner.difficulty;
    let refused = |code| state.inner.metrics.refused_last_day(code);
    let refused_last_day = RefusedLastDay {
        rate_limited: refused(ErrorCode::RateLimited),
        overloaded: refused(ErrorCode::Overloaded),
        storage_full: refused(ErrorCode::StorageFull),
        storage_busy: refused(ErrorCode::StorageBusy),
        request_timeout: refused(ErrorCode::RequestTimeout),
    };
    Ok(Json(RelayStatus {
        difficulty: DifficultyStatus {
            current: now.difficulty,
            base: difficulty.base(),
            maximum: difficulty.maximum(),
        },
        verified_submissions: VerifiedSubmissions {
            in_window: now.verified_in_window,
            baseline: difficulty.baseline(),
            window_seconds: difficulty.window().as_secs(),
        },
        refused_last_day,
        team_members: u32::try_from(state.inner.settings.coordinator.members.len())
            .unwrap_or(u32::MAX),
    })
    .into_response())
}

async fn embed_script<S: Storage>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
) -> Response {
    state.inner.assets.embed_script(&headers).await
}

async fn widget_index<S: Storage>(
    State(state): State<AppState<S>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    state
        .inner
        .assets
        .widget_document(query.as_deref(), &headers)
        .await
}

async fn widget_file<S: Storage>(
    State(state): State<AppState<S>>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Response {
    state.inner.assets.widget_file(&path, &headers).await
}

/// Counters for `/metrics` and `/api/v1/status`: counts only, never anything about a client.
#[derive(Debug)]
struct Metrics {
    challenges_issued: AtomicU64,
    proof_verifications: AtomicU64,
    tips_stored: AtomicU64,
    tips_resubmitted: AtomicU64,
    /// Refusals since start, one count per code of [`ErrorCode::ALL`], in its order.
    refusals: Vec<AtomicU64>,
    /// Refusals for budget over the last 24 hours, one count per code in [`BUDGET_CODES`].
    recent_budget_refusals: [SlidingCount; BUDGET_CODES.len()],
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            challenges_issued: AtomicU64::new(0),
            proof_verifications: AtomicU64::new(0),
            tips_stored: AtomicU64::new(0),
            tips_resubmitted: AtomicU64::new(0),
            refusals: ErrorCode::ALL.iter().map(|_| AtomicU64::new(0)).collect(),
            recent_budget_refusals: std::array::from_fn(|_| {
                SlidingCount::new(Duration::from_secs(24 * 3600), 24)
            }),
        }
    }
}

/// The refusals that mean a budget or limit was spent, shown to the coordinator for the last day.
const BUDGET_CODES: [ErrorCode; 5] = [
    ErrorCode::RateLimited,
    ErrorCode::Overloaded,
    ErrorCode::StorageFull,
    ErrorCode::StorageBusy,
    ErrorCode::RequestTimeout,
];

impl Metrics {
    /// Counts one refusal under its code (the middleware calls this for every response that
    /// carries one).
    fn count_refusal(&self, code: ErrorCode) {
        if let Some(index) = ErrorCode::ALL.iter().position(|known| *known == code) {
            self.refusals[index].fetch_add(1, Ordering::Relaxed);
        }
        if let Some(index) = BUDGET_CODES.iter().position(|known| *known == code) {
            self.recent_budget_refusals[index].record();
        }
    }

    /// Refusals with `code` in the last 24 hours (0 for a code that is not a budget's).
    fn refused_last_day(&self, code: ErrorCode) -> u64 {
        BUDGET_CODES
            .iter()
            .position(|known| *known == code)
            .map_or(0, |index| self.recent_budget_refusals[index].total())
    }

    /// The text of `/metrics` for the snapshot of `hour`, from the values as they are now.
    fn render(
        &self,
        hour: i64,
        counts: crate::storage::StorageCounts,
        pressure: Pressure,
    ) -> String {
        use std::fmt::Write as _;
        let mut text = String::new();
        let mut counter = |name: &str, help: &str, kind: &str, value: u64| {
            let _ = writeln!(
                text,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        counter(
            "fluister_metrics_hour_seconds",
            "The hour (Unix seconds) whose start every value below stood at (or the relay's start \
             within it); the values change only when the hour turns.",
            "gauge",
            u64::try_from(hour).unwrap_or(0),
        );
        counter(
            "fluister_challenges_issued_total",
            "Proof-of-work challenges issued since start.",
            "counter",
            self.challenges_issued.load(Ordering::Relaxed),
        );
        counter(
            "fluister_proof_verifications_total",
            "Proofs of work verified (one Argon2id hash each) since start.",
            "counter",
            self.proof_verifications.load(Ordering::Relaxed),
        );
        counter(
            "fluister_proof_of_work_difficulty",
            "The difficulty of challenges issued now.",
            "gauge",
            u64::from(pressure.difficulty),
        );
        counter(
            "fluister_verified_submissions_in_window",
            "Submissions whose proof of work checked out in the adaptive-difficulty window.",
            "gauge",
            pressure.verified_in_window,
        );
        counter(
            "fluister_tips_received_total",
            "Tips stored since start.",
            "counter",
            self.tips_stored.load(Ordering::Relaxed),
        );
        counter(
            "fluister_tips_resubmitted_total",
            "Retried submissions answered with an already stored tip since start.",
            "counter",
            self.tips_resubmitted.load(Ordering::Relaxed),
        );
        counter(
            "fluister_tips_stored",
            "Tips stored now.",
            "gauge",
            counts.tips_stored,
        );
        counter(
            "fluister_stored_bytes",
            "Ciphertext bytes stored now.",
            "gauge",
            counts.stored_bytes,
        );
        counter(
            "fluister_mailboxes",
            "Mailboxes open now.",
            "gauge",
            counts.mailboxes,
        );
        counter(
            "fluister_mailbox_messages",
            "Messages stored in mailboxes now.",
            "gauge",
            counts.messages,
        );
        counter(
            "fluister_used_challenges",
            "Challenges remembered as used until they expire.",
            "gauge",
            pressure.used_challenges,
        );
        let _ = writeln!(
            text,
            "# HELP fluister_requests_rejected_total Requests refused since start, by error code.\n\
             # TYPE fluister_requests_rejected_total counter"
        );
        for (code, count) in ErrorCode::ALL.iter().zip(&self.refusals) {
            let _ = writeln!(
                text,
                "fluister_requests_rejected_total{{code=\"{code}\"}} {}",
                count.load(Ordering::Relaxed)
            );
        }
        text
    }
}

/// The cutoff before which tips are deleted, for a retention of `retention_days`.
pub fn retention_cutoff_hour(now_unix: i64, retention_days: u32) -> i64 {
    round_down_to_hour(now_unix) - i64::from(retention_days) * 24 * SECONDS_PER_HOUR
}

/// Builds a response body from bytes; used by the assets module.
pub fn bytes_body(bytes: impl Into<Bytes>) -> Body {
    Body::from(bytes.into())
}
