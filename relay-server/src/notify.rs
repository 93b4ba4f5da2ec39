//! Content-free notifications: "something new is waiting" by e-mail (SMTP) and by webhook (a
//! plain POST, as ntfy-style services take it), so that a tip or a reporter's answer does not
//! wait unseen until someone happens to look.
//!
//! # What a notification can give away
//!
//! Whoever reads a notification (the mail provider, the webhook service, someone at the
//! coordinator's screen) learns only that something arrived in a window of time:
//!
//! - It carries no content, no count, no tip or mailbox id, and the same text every time.
//! - Arrivals are batched per window (`notifications.window_seconds`, aligned to the clock): at
//!   the end of a window in which anything arrived, one notification is sent at a random moment
//!   within the next window. Its time says which window, not when in it.
//! - Mail has no `Reply-To`, and says not to answer: a coordinator who replies must not end up
//!   writing case details to the operator's mailbox.
//!
//! # Never in the way of a tip
//!
//! Recording an arrival is setting a flag. Delivery runs in its own task, off the request path;
//! a channel that fails (the SMTP server down, the webhook refusing) is tried again, with a
//! growing pause up to one window, until it succeeds. Arrivals meanwhile fold into the
//! notification still to be sent, and the next window's.
//!
//! # Several relays
//!
//! On a database several relays share ([`Storage::is_shared`]), each relay at the end of a window
//! in which something arrived at it folds that into the one notice the database holds (one write
//! per relay and window, never one per request), and after its random delay takes the notice,
//! clearing it, in one locked transaction: whichever relay takes it first sends it, the others
//! find nothing. Tips that arrive at two relays in one window bring one notification, not two.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport as _};

use crate::http::AppState;
use crate::settings::{EmailSecurity, NotificationSettings};
use crate::storage::{PendingNotice, Storage};

/// What a notification says: one of three fixed texts, none with a count, an id or a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Notice {
    /// A tip or a reporter's answer arrived.
    News,
    /// A tip or a mailbox on the relay nears the end of its retention.
    Expiring,
    /// Both.
    NewsAndExpiring,
}

impl Notice {
    /// What a notice says, as the database holds it.
    fn pending(self) -> PendingNotice {
        PendingNotice {
            news: matches!(self, Notice::News | Notice::NewsAndExpiring),
            expiring: matches!(self, Notice::Expiring | Notice::NewsAndExpiring),
        }
    }

    /// The notice for what the database held, if anything.
    fn from_pending(pending: PendingNotice) -> Option<Notice> {
        match (pending.news, pending.expiring) {
            (true, false) => Some(Notice::News),
            (false, true) => Some(Notice::Expiring),
            (true, true) => Some(Notice::NewsAndExpiring),
            (false, false) => None,
        }
    }

    fn subject(self) -> &'static str {
        match self {
            Notice::News => "Fluister: er is iets nieuws",
            Notice::Expiring => "Fluister: meldingen verlopen binnenkort",
            Notice::NewsAndExpiring => {
                "Fluister: er is iets nieuws, en meldingen verlopen binnenkort"
            }
        }
    }

    fn text(self) -> String {
        let news = "Er is iets nieuws binnengekomen in Fluister: een melding of een antwoord van \
                    een melder. Open uw werkplek en haal het op.";
        let expiring = "Op de Fluister-server verlopen binnenkort meldingen of postvakken: na de \
                        bewaartermijn worden ze gewist. Open uw werkplek en haal alles op; een \
                        antwoord aan de melder houdt diens postvak open.";
        let english = match self {
            Notice::News => {
                "something new is waiting in Fluister. Open your workspace to fetch it."
            }
            Notice::Expiring => {
                "tips or mailboxes on the Fluister relay reach the end of their retention soon. \
                 Open your workspace to fetch them; a reply keeps a mailbox open."
            }
            Notice::NewsAndExpiring => {
                "something new is waiting in Fluister, and tips or mailboxes reach the end of \
                 their retention soon. Open your workspace to fetch them."
            }
        };
        let body = match self {
            Notice::News => news.to_owned(),
            Notice::Expiring => expiring.to_owned(),
            Notice::NewsAndExpiring => format!("{news}\n\n{expiring}"),
        };
        format!(
            "{body}\n\nBeantwoord dit bericht niet en schrijf hier nooit iets over een melding: dit \
             bericht is niet versleuteld en een antwoord komt niet bij de ketenregisseur terecht.\n\n\
             (English: {english} Do not reply to this message.)\n"
        )
    }
}

/// The longest a delivery attempt may take before it counts as failed.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(20);

/// The first pause after a failed delivery; it doubles up to one window.
const FIRST_RETRY_PAUSE: Duration = Duration::from_secs(1);

/// Whether anything arrived, or neared its end, since the last window's end.
#[derive(Debug, Default)]
pub struct Arrivals {
    news: AtomicBool,
    expiring: AtomicBool,
}

impl Arrivals {
    /// Records that a tip or a reporter's message was stored.
    pub fn something_new(&self) {
        self.news.store(true, Ordering::Relaxed);
    }

    /// Records that a tip or a mailbox was found near the end of its retention.
    pub fn something_expiring(&self) {
        self.expiring.store(true, Ordering::Relaxed);
    }

    /// What to say, if anything happened, forgetting it.
    fn take(&self) -> Option<Notice> {
        Notice::from_pending(PendingNotice {
            news: self.news.swap(false, Ordering::Relaxed),
            expiring: self.expiring.swap(false, Ordering::Relaxed),
        })
    }

    /// Gives back what [`Arrivals::take`] took, when it could not be handed over.
    fn put_back(&self, notice: Notice) {
        let pending = notice.pending();
        if pending.news {
            self.something_new();
        }
        if pending.expiring {
            self.something_expiring();
        }
    }
}

/// How a notification goes out.
#[derive(Clone, Debug)]
enum Channel {
    Email(Box<EmailChannel>),
    Webhook(String),
}

#[derive(Clone, Debug)]
struct EmailChannel {
    server: String,
    port: u16,
    security: EmailSecurity,
    credentials: Option<(String, String)>,
    from: Mailbox,
    to: Vec<Mailbox>,
}

impl Channel {
    fn name(&self) -> &'static str {
        match self {
            Channel::Email(_) => "e-mail",
            Channel::Webhook(_) => "webhook",
        }
    }

    /// Sends one notification; blocking (the caller runs it off the async workers).
    fn deliver(&self, notice: Notice) -> Result<(), String> {
        match self {
            Channel::Email(email) => email.deliver(notice),
            Channel::Webhook(url) => deliver_webhook(url, notice),
        }
    }
}

impl EmailChannel {
    fn deliver(&self, notice: Notice) -> Result<(), String> {
        let mut message = Message::builder()
            .from(self.from.clone())
            .subject(notice.subject())
            .header(ContentType::TEXT_PLAIN);
        for to in &self.to {
            message = message.to(to.clone());
        }
        let message = message
            .body(notice.text())
            .map_err(|error| format!("the notification mail could not be built: {error}"))?;
        let builder = match self.security {
            EmailSecurity::StartTls => SmtpTransport::starttls_relay(&self.server),
            EmailSecurity::Tls => SmtpTransport::relay(&self.server),
            // Only to this computer: validation refuses it for any other server.
            EmailSecurity::None => Ok(SmtpTransport::builder_dangerous(&self.server)),
        }
        .map_err(|error| error.to_string())?;
        let mut builder = builder.port(self.port).timeout(Some(DELIVERY_TIMEOUT));
        if let Some((username, password)) = &self.credentials {
            builder = builder.credentials(Credentials::new(username.clone(), password.clone()));
        }
        builder
            .build()
            .send(&message)
            .map(|_| ())
            .map_err(|error| error.to_string())
    }
}

/// POSTs the text to `url`; any 2xx answer counts as delivered.
fn deliver_webhook(url: &str, notice: Notice) -> Result<(), String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(DELIVERY_TIMEOUT))
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let response = agent
        .post(url)
        .header("Content-Type", "text/plain; charset=utf-8")
        .header("Title", notice.subject())
        .send(notice.text())
        .map_err(|error| error.to_string())?;
    let status = response.status().as_u16();
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(format!("the webhook answered {status}"))
    }
}

/// The channels `settings` configures (none when notifications are off). The SMTP password is
/// read from its file now, so a missing file stops the relay at start.
fn channels(settings: &NotificationSettings) -> Result<Vec<Channel>, String> {
    let mut channels = Vec::new();
    if !settings.email_server.is_empty() {
        let credentials = match &settings.email_password_file {
            Some(path) => {
                let password = std::fs::read_to_string(path).map_err(|error| {
                    format!(
                        "notifications.email_password_file: cannot read {}: {error}",
                        path.display()
                    )
                })?;
                Some((
                    settings.email_username.clone(),
                    password.trim_end_matches(['\r', '\n']).to_owned(),
                ))
            }
            None => None,
        };
        let mailbox = |field: &str, text: &str| {
            text.parse::<Mailbox>().map_err(|error| {
                format!("notifications.{field}: `{text}` is not an address: {error}")
            })
        };
        channels.push(Channel::Email(Box::new(EmailChannel {
            server: settings.email_server.clone(),
            port: settings.email_port,
            security: settings.email_security,
            credentials,
            from: mailbox("email_from", &settings.email_from)?,
            to: settings
                .email_to
                .iter()
                .map(|to| mailbox("email_to", to))
                .collect::<Result<_, _>>()?,
        })));
    }
    if !settings.webhook_url.is_empty() {
        channels.push(Channel::Webhook(settings.webhook_url.clone()));
    }
    Ok(channels)
}

/// Checks that the configured channels can be used (addresses parse, the password file reads),
/// so a mistake stops the relay at start rather than at the first notification.
pub fn check(settings: &NotificationSettings) -> Result<(), String> {
    channels(settings).map(|_| ())
}

/// The notification task for the relay `state` serves, or `None` when no channel is
/// configured. Fails (at start) when the configuration cannot be used.
pub fn notifier<S: Storage>(
    settings: &NotificationSettings,
    state: AppState<S>,
) -> Result<Option<impl std::future::Future<Output = ()> + Send + 'static>, String> {
    let channels = channels(settings)?;
    if channels.is_empty() {
        return Ok(None);
    }
    let window = Duration::from_secs(settings.window_seconds);
    Ok(Some(notify_forever(channels, state, window)))
}

/// At the end of every window in which something arrived, waits a random part of the next
/// window and then notifies every channel, each until it succeeds. On a shared database, hands
/// what arrived here over to the database first and sends only what it then takes from there.
async fn notify_forever<S: Storage>(channels: Vec<Channel>, state: AppState<S>, window: Duration) {
    let arrivals = std::sync::Arc::clone(state.arrivals());
    let storage = state.storage();
    loop {
        tokio::time::sleep(until_next_boundary(now_millis(), window)).await;
        let Some(notice) = arrivals.take() else {
            continue;
        };
        if !storage.is_shared() {
            tokio::time::sleep(random_delay(window)).await;
            deliver_everywhere(&channels, notice, window).await;
            continue;
        }
        if let Err(error) = storage.hand_over_notice(notice.pending()).await {
            tracing::warn!(%error, "the notification could not be handed over; trying again");
            arrivals.put_back(notice);
            continue;
        }
        tokio::time::sleep(random_delay(window)).await;
        match storage.take_notice().await {
            Ok(pending) => {
                // Nothing: another relay took it and sends it.
                if let Some(notice) = Notice::from_pending(pending) {
                    deliver_everywhere(&channels, notice, window).await;
                }
            }
            Err(error) => {
                tracing::warn!(%error, "the notification could not be taken; trying again");
                arrivals.put_back(notice);
            }
        }
    }
}

/// Delivers to every channel, retrying each failed one with a doubling pause (at most one
/// window) until all succeeded.
async fn deliver_everywhere(channels: &[Channel], notice: Notice, window: Duration) {
    let mut waiting: Vec<Channel> = channels.to_vec();
    let mut pause = FIRST_RETRY_PAUSE;
    loop {
        let attempt = waiting.clone();
        let failed = tokio::task::spawn_blocking(move || {
            attempt
                .into_iter()
                .filter(|channel| match channel.deliver(notice) {
                    Ok(()) => {
                        tracing::info!(channel = channel.name(), "notification sent");
                        false
                    }
                    Err(error) => {
                        tracing::warn!(
                            channel = channel.name(),
                            %error,
                            "notification not delivered; trying again"
                        );
                        true
                    }
                })
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or(waiting);
        if failed.is_empty() {
            return;
        }
        waiting = failed;
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(window.max(FIRST_RETRY_PAUSE));
    }
}

fn now_millis() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_millis())
}

/// How long from `now_millis` (Unix time) to the next multiple of `window`.
fn until_next_boundary(now_millis: u128, window: Duration) -> Duration {
    let window_millis = window.as_millis().max(1);
    let left = window_millis - now_millis % window_millis;
    Duration::from_millis(u64::try_from(left).unwrap_or(u64::MAX))
}

/// A uniformly random time within `window` (to the millisecond).
fn random_delay(window: Duration) -> Duration {
    let mut bytes = [0u8; 8];
    // Without randomness, the start of the window: still no finer than the window.
    if getrandom::fill(&mut bytes).is_err() {
        return Duration::ZERO;
    }
    let window_millis = u64::try_from(window.as_millis()).unwrap_or(u64::MAX).max(1);
    Duration::from_millis(u64::from_le_bytes(bytes) % window_millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_are_the_clocks_multiples_of_the_window() {
        let hour = Duration::from_secs(3600);
        assert_eq!(
            until_next_boundary(7_200_000, hour),
            hour,
            "on a boundary, the next one is a whole window away"
        );
        assert_eq!(
            until_next_boundary(7_200_001, hour),
            Duration::from_millis(3_599_999)
        );
        assert_eq!(
            until_next_boundary(10_799_999, hour),
            Duration::from_millis(1)
        );
    }

    #[test]
    fn the_random_delay_stays_within_the_window_and_varies() {
        let window = Duration::from_secs(60);
        let delays: Vec<Duration> = (0..200).map(|_| random_delay(window)).collect();
        assert!(delays.iter().all(|delay| *delay < window));
        let first = delays[0];
        assert!(delays.iter().any(|delay| *delay != first));
    }

    #[test]
    fn arrivals_are_taken_once() {
        let arrivals = Arrivals::default();
        assert_eq!(arrivals.take(), None);
        arrivals.something_new();
        arrivals.something_new();
        assert_eq!(arrivals.take(), Some(Notice::News));
        assert_eq!(arrivals.take(), None);
        arrivals.something_expiring();
        assert_eq!(arrivals.take(), Some(Notice::Expiring));
        arrivals.something_expiring();
        arrivals.something_new();
        assert_eq!(arrivals.take(), Some(Notice::NewsAndExpiring));
        assert_eq!(arrivals.take(), None);
    }

    #[test]
    fn the_text_says_nothing_about_what_arrived() {
        for notice in [Notice::News, Notice::Expiring, Notice::NewsAndExpiring] {
            for text in [notice.subject().to_owned(), notice.text()] {
                assert!(!text.chars().any(|character| character.is_ascii_digit()));
            }
            assert!(notice.text().contains("Beantwoord dit bericht niet"));
        }
        assert!(
            Notice::NewsAndExpiring
                .text()
                .contains("verlopen binnenkort")
        );
    }
}
