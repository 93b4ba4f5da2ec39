//! The coordinator's workspace: a local web app on the coordinator's own computer, served by
//! `fluister-inbox app` to the default browser, over the same modules as the command line
//! (store, triage, conversation, vocabulary, keys).
//!
//! # The fortress
//!
//! Tips are decrypted in this process only, and the pages that show them must reach no one but
//! the coordinator's browser. So:
//!
//! - It listens on 127.0.0.1 only, on a port the OS picks (or `--port`).
//! - Each start makes a random launch secret. The address printed and opened in the browser
//!   carries it once (`/open?secret=…`); the app exchanges it for a random session cookie
//!   (`HttpOnly`, `SameSite=Strict`, named after the port) and redirects to a clean address.
//!   A secret works once: a second use, or a wrong one, is refused. Every other page needs the
//!   cookie.
//! - It is reached by a name of its own, random for each start: `http://NAME.localhost:PORT`
//!   (browsers resolve every `*.localhost` name to this computer without asking DNS). The
//!   `Host` header must be exactly `NAME.localhost:PORT`, so a web page whose own name resolves
//!   to 127.0.0.1 (DNS rebinding) gets nothing, and the cookie belongs to that name alone:
//!   another server on this computer, which the same browser may visit at `127.0.0.1` or
//!   `localhost` on another port, never receives it (browsers do not separate cookies by port).
//!   A refusal says nothing about the app.
//! - A request another site started is refused (`Sec-Fetch-Site` other than `same-origin` or
//!   `none`, or an `Origin` that is not the app's); every state change (POST) must come with
//!   the app's own `Origin` (or `Sec-Fetch-Site: same-origin`), against cross-site forgery.
//! - Every response has a strict Content Security Policy (`default-src 'none'`, the style
//!   sheet from the app itself, no scripts at all, `form-action 'self'`,
//!   `frame-ancestors 'none'`), `Cache-Control: no-store`, `Referrer-Policy: same-origin`; the
//!   pages load nothing from elsewhere.
//! - The passphrase unlocks the keys in this process's memory only (`session`); locking (a
//!   button, or the idle time) drops them, and every page then asks for the passphrase again.
//!   A wrong passphrase gets the same short answer whatever was wrong.
//! - Nothing decrypted is written to disk: the notes are sealed by [`crate::triage`] as on the
//!   command line; forms ask the browser not to remember their fields (`autocomplete="off"`).
//! - Every input has a limit: the request head and body size, each form field's length, the
//!   number of connections, the time to send a request head.
//!
//! Residual risks, documented rather than solved: the opening address is on the command line of
//! the program that opens the browser for a moment, where another user of the same computer can
//! read it and might use it first (then the coordinator's browser gets "no access", and they
//! should stop the app); the browser's password manager may offer to save the passphrase.
//!
//! The pages are server-rendered HTML (`html` escapes every string that is not markup in our
//! source), Dutch first, with the texts in `words`.

mod actions;
mod guard;
mod handover;
mod html;
mod index;
mod pages;
mod register;
mod routes;
mod session;
mod setup;
mod words;

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr, TcpListener as StdTcpListener};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::commands::Settings;
use crate::error::{Error, Result};
use crate::home::InboxHome;
use crate::vocabulary::Language;
use session::{Secret, Session};

/// The most simultaneous connections; a browser opens about six.
const MAX_CONNECTIONS: usize = 32;
/// How long a client may take to send a request head.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest request head.
const MAX_HEADER_BYTES: usize = 16 * 1024;

/// How the app runs.
#[derive(Clone, Debug)]
pub struct AppConfig {
    /// The port on 127.0.0.1; 0 lets the operating system choose a free one.
    pub port: u16,
    /// Lock after this long without a request.
    pub lock_after: Duration,
    /// The pages' first language (the coordinator can switch).
    pub language: Language,
}

/// The app's shared state: where the inbox is, and the one session.
#[derive(Clone, Debug)]
pub(crate) struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    home: InboxHome,
    identity_path: PathBuf,
    /// `NAME.localhost:PORT`, the only `Host` accepted.
    host: String,
    /// `http://NAME.localhost:PORT`, the only `Origin` accepted.
    origin: String,
    /// The cookie's name, `fluister-PORT`.
    cookie_name: String,
    session: Mutex<Session>,
    /// One unlock at a time: each try costs a second of scrypt.
    unlocking: tokio::sync::Mutex<()>,
    /// The pull started from the workspace, if any.
    pull: Mutex<actions::PullState>,
    /// What the last settings form did, until the settings page shows it.
    settings_result: Mutex<Option<actions::SettingsResult>>,
    /// The page the last POST answered with, until `GET /shown` shows it.
    shown_page: Mutex<Option<routes::ShownPage>>,
    /// How long the workspace stays unlocked without a request.
    lock_after: Duration,
}

impl AppState {
    pub(crate) fn home(&self) -> &InboxHome {
        &self.inner.home
    }

    pub(crate) fn identity_path(&self) -> &PathBuf {
        &self.inner.identity_path
    }

    pub(crate) fn host(&self) -> &str {
        &self.inner.host
    }

    pub(crate) fn origin(&self) -> &str {
        &self.inner.origin
    }

    pub(crate) fn cookie_name(&self) -> &str {
        &self.inner.cookie_name
    }

    pub(crate) fn session(&self) -> std::sync::MutexGuard<'_, Session> {
        // A panic while holding the lock leaves a session that is still consistent: every
        // change to it is a single assignment.
        self.inner
            .session
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn pull(&self) -> std::sync::MutexGuard<'_, actions::PullState> {
        // As the session: every change is a single assignment.
        self.inner
            .pull
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn settings_result(
        &self,
    ) -> std::sync::MutexGuard<'_, Option<actions::SettingsResult>> {
        self.inner
            .settings_result
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn shown_page(&self) -> std::sync::MutexGuard<'_, Option<routes::ShownPage>> {
        self.inner
            .shown_page
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How long the workspace stays unlocked without a request, in seconds.
    pub(crate) fn lock_after_seconds(&self) -> u64 {
        self.inner.lock_after.as_secs()
    }

    pub(crate) fn unlocking(&self) -> &tokio::sync::Mutex<()> {
        &self.inner.unlocking
    }
}

/// The app, bound to its port and not yet serving.
#[derive(Debug)]
pub struct App {
    listener: StdTcpListener,
    state: AppState,
    opening_url: String,
    lock_after: Duration,
}

impl App {
    /// Binds 127.0.0.1 on `config.port` for the inbox of `settings`, and makes the launch
    /// secret.
    pub fn bind(settings: &Settings, config: &AppConfig) -> Result<Self> {
        let listener =
            StdTcpListener::bind((Ipv4Addr::LOCALHOST, config.port)).map_err(|error| {
                Error::io(
                    format!(
                        "cannot listen on 127.0.0.1 port {}. Another program may use it; leave out \
                     --port to let the computer choose a free one.",
                        config.port
                    ),
                    error,
                )
            })?;
        listener
            .set_nonblocking(true)
            .map_err(Error::UnexplainedIo)?;
        let address = listener.local_addr().map_err(Error::UnexplainedIo)?;
        let launch_secret = Secret::generate()?;
        // A name of its own, so the cookie is this app's alone (see the module documentation).
        let name = &Secret::generate()?.to_hex()[..16];
        let host = format!("{name}.localhost:{}", address.port());
        let opening_url = format!("http://{host}/open?secret={}", launch_secret.to_hex());
        let state = AppState {
            inner: Arc::new(Inner {
                home: InboxHome::new(settings.home.root().to_path_buf()),
                identity_path: settings.identity_path.clone(),
                origin: format!("http://{host}"),
                cookie_name: format!("fluister-{}", address.port()),
                host,
                session: Mutex::new(Session::new(
                    launch_secret,
                    config.language,
                    config.lock_after,
                )),
                unlocking: tokio::sync::Mutex::new(()),
                pull: Mutex::new(actions::PullState::Idle),
                settings_result: Mutex::new(None),
                shown_page: Mutex::new(None),
                lock_after: config.lock_after,
            }),
        };
        Ok(Self {
            listener,
            state,
            opening_url,
            lock_after: config.lock_after,
        })
    }

    /// The address the browser reaches it at: `http://NAME.localhost:PORT/`.
    pub fn url(&self) -> String {
        format!("{}/", self.state.origin())
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// The address to open once, with the launch secret.
    pub fn opening_url(&self) -> &str {
        &self.opening_url
    }

    /// Serves until `shutdown` completes (Ctrl+C in the command), then locks.
    pub fn serve(self, shutdown: impl Future<Output = ()> + Send) -> Result<()> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(Error::UnexplainedIo)?;
        let state = self.state.clone();
        runtime
            .block_on(async move {
                let listener = TcpListener::from_std(self.listener)?;
                serve(listener, self.state, self.lock_after, shutdown).await
            })
            .map_err(Error::UnexplainedIo)?;
        state.session().lock();
        Ok(())
    }
}

/// The accept loop, through hyper's connection builder for its header-read timeout and size
/// limit (as the relay does), and the idle lock's clock.
async fn serve(
    listener: TcpListener,
    state: AppState,
    lock_after: Duration,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let router = routes::router(state.clone());
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(MAX_HEADER_BYTES + 8192)
        .max_header_size(MAX_HEADER_BYTES)
        .keep_alive(true);
    let idle_lock = tokio::spawn(lock_when_idle(state.clone(), lock_after));
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => permit,
            () = &mut shutdown => break,
        };
        let Ok(permit) = permit else { break };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, peer)) if peer.ip().is_loopback() => stream,
            Ok(_) => continue,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let service = TowerToHyperService::new(router.clone());
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        tokio::spawn(async move {
            let _ = connection.await;
            drop(permit);
        });
    }
    idle_lock.abort();
    Ok(())
}

/// Locks the session once it has been idle for `lock_after`, checking every second or so, so
/// the keys do not wait in memory for the next request.
async fn lock_when_idle(state: AppState, lock_after: Duration) {
    let period = (lock_after / 4).clamp(Duration::from_millis(200), Duration::from_secs(5));
    let mut interval = tokio::time::interval(period);
    loop {
        interval.tick().await;
        state.session().lock_if_idle(std::time::Instant::now());
    }
}
