//! The relay's typed configuration: defaults in code, a TOML file on top, `FLUISTER_*`
//! environment variables on top of that, then command-line flags.
//!
//! The config holds no secrets (coordinator tokens appear only as SHA-256 hashes), so `Debug`
//! may print it whole.
//!
//! Every field is checked once at start-up by [`Settings::validate`], and an error names the
//! field and says how to fix it, so a bad config stops the relay before it takes any traffic.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use fluister_envelope::age::Recipient;
use fluister_protocol::bodies::{
    MAX_PHONE_LABEL_CHARS, MAX_PHONE_NUMBERS, WIDGET_LANGUAGES, is_dialable, is_showable,
};
use serde::Deserialize;

/// All settings of one relay process.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Where to listen and which origin the relay is reached at.
    pub server: ServerSettings,
    /// Where and how tips are stored.
    pub storage: StorageSettings,
    /// Limits on requests, connections and traffic.
    pub limits: LimitSettings,
    /// Proof-of-work parameters handed to the widget.
    pub proof_of_work: ProofOfWorkSettings,
    /// The coordinator's public keys and access tokens.
    pub coordinator: CoordinatorSettings,
    /// How the widget is served and what it shows.
    pub widget: WidgetSettings,
    /// Content-free "something new" notifications to the coordinators (off unless configured).
    pub notifications: NotificationSettings,
    /// Who may read `/metrics` (nobody unless configured).
    pub metrics: MetricsSettings,
}

/// The monitoring system's access to `/metrics`: a token of its own, which opens nothing else,
/// so a monitoring system cannot list, fetch or delete tips.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// SHA-256 hashes (64 hex digits) of the tokens that open `/metrics`, made by
    /// `relay-server mint-token --metrics`. Empty: `/metrics` answers 404.
    pub token_sha256: Vec<String>,
}

/// Listening address, public origin and logging.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// The address and port to listen on, e.g. `127.0.0.1:8080`. Port 0 picks a free port.
    pub listen: String,
    /// The origin the relay is reached at by browsers, e.g. `https://tips.example.nl`. When set,
    /// API requests carrying any other `Origin` are refused; when empty, the `Origin` must match
    /// the request's `Host`.
    pub public_origin: String,
    /// The log filter, e.g. `info` or `fluister_relay=debug`. Logs never contain request headers.
    pub log_level: String,
    /// `text` (the default: one readable line per event) or `json` (one JSON object per line,
    /// for a log collector). Both carry no time and no client detail.
    pub log_format: LogFormat,
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One readable line per event.
    #[default]
    Text,
    /// One JSON object per line: `{"level":"INFO","message":"relay started"}` and the event's
    /// fields beside the message.
    Json,
}

/// Storage backend, location and retention.
#[derive(Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct StorageSettings {
    /// `sqlite` (durable, the default), `postgres` (a PostgreSQL server, `postgres_url`), or
    /// `discard` (stores nothing; for measuring the HTTP ceiling in the benchmark only, never
    /// in production).
    pub backend: String,
    /// The directory that holds the SQLite database (and the challenge key, with any backend).
    pub data_dir: PathBuf,
    /// With `backend = "postgres"`: the database to use, as a connection URL
    /// (`postgresql://fluister@localhost/fluister`) or a `key=value` string. It can hold a
    /// password, so it is never logged or printed; `FLUISTER_POSTGRES_URL_FILE` reads it from a
    /// file instead of the config.
    pub postgres_url: String,
    /// Days after which a tip is deleted for good, whether or not it was pulled.
    pub retention_days: u32,
    /// Seconds between retention sweeps (which also look for tips and mailboxes near their
    /// end). The default is 3600 (one hour).
    pub sweep_interval_seconds: u64,
    /// The most ciphertext bytes stored at once; further tips are refused until some are pulled.
    pub max_stored_bytes: u64,
    /// The most bytes of tips and reporters' messages stored in one clock hour, so that a flood
    /// fills at most this much of the quota per hour and real tips still fit.
    pub max_stored_bytes_per_hour: u64,
}

/// Request, connection and traffic limits.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LimitSettings {
    /// The largest sealed tip accepted, in bytes.
    pub max_tip_bytes: usize,
    /// The largest request head (request line plus headers) accepted, in bytes.
    pub max_header_bytes: usize,
    /// Seconds a client may take to send a complete request head before the connection is
    /// closed (stops slowloris attacks).
    pub header_read_timeout_seconds: u64,
    /// Seconds a whole request may take, body included, before it is answered 408.
    pub request_timeout_seconds: u64,
    /// Requests handled at the same time; more are answered 503 at once.
    pub max_concurrent_requests: usize,
    /// Open connections at the same time; more wait in the kernel's accept queue.
    pub max_connections: usize,
    /// Submissions (tips, mailbox registrations, reporters' messages) accepted per second across
    /// all clients together, charged only once a submission's proof of work checked out. Never
    /// keyed on client addresses, which the relay does not read.
    pub submissions_per_second: f64,
    /// How many submissions may arrive in a burst above the steady rate.
    pub submission_burst: u32,
    /// The largest sealed mailbox message accepted, in bytes.
    pub max_message_bytes: usize,
    /// The most messages one mailbox holds; further posts get 409 `mailbox_full`.
    pub max_messages_per_mailbox: u32,
    /// Reads of one mailbox (with its right token) refilled per minute, per mailbox. Only reads
    /// whose token checked out draw from it, so nobody can spend another reporter's budget;
    /// guessing is hopeless anyway against a code's 115 random bits.
    pub mailbox_requests_per_minute: f64,
    /// How many reads of one mailbox may come in a burst above the steady rate.
    pub mailbox_request_burst: u32,
    /// Proofs of work verified at the same time (each is one Argon2id hash); more wait their turn.
    pub max_concurrent_verifications: usize,
}

/// Proof-of-work parameters.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ProofOfWorkSettings {
    /// How hard a challenge is without a flood. 0 makes every nonce valid (tests and demos
    /// only) and turns the adaptive rise off.
    pub difficulty: u32,
    /// The most the difficulty rises to under a flood.
    pub max_difficulty: u32,
    /// Verified submissions per window that raise no difficulty; above it the difficulty doubles
    /// for every doubling of the traffic.
    pub flood_baseline: u64,
    /// Seconds over which verified submissions are counted for the adaptive difficulty.
    pub flood_window_seconds: u64,
    /// Memory per Argon2id try, in KiB.
    pub memory_kib: u32,
    /// How many independent puzzles a challenge is split into for a client that asks for a
    /// split one (`?version=2`): the same work in all, with a shorter tail. 1 to 32.
    pub puzzles: u32,
    /// Seconds a challenge stays valid after it was issued.
    pub challenge_lifetime_seconds: u64,
    /// The most challenges remembered as used (until they expire); further proofs get 503.
    pub max_used_challenges: usize,
    /// The file with the key challenges are MACed with; created if missing. Relays that accept
    /// each other's challenges share it. Empty: on PostgreSQL the key in the database (which
    /// every relay on it shares), else `challenge-key` in the data directory.
    pub key_file: Option<PathBuf>,
}

/// The coordinator's keys and tokens.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CoordinatorSettings {
    /// The age recipients (`age1…`) every tip is sealed to: the coordinator, a deputy, a backup.
    pub recipients: Vec<String>,
    /// SHA-256 hashes (64 hex digits) of coordinator bearer tokens without a name. Made by
    /// `relay-server mint-token`; the tokens themselves are never stored.
    pub token_sha256: Vec<String>,
    /// The team's members, one token each: `relay-server mint-token --label NAME` prints the
    /// line. Removing a member's line (and restarting) revokes their token alone.
    pub members: Vec<MemberSettings>,
}

/// One member of the coordinators' team on the relay: a label and their token's hash.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct MemberSettings {
    /// A name for the operator to tell the tokens apart; it should mean nothing to an outsider
    /// (`member-2`, not a person's name). Letters, digits, `-` and `_`, at most 32.
    pub label: String,
    /// SHA-256 (64 hex digits) of the member's token.
    pub token_sha256: String,
}

/// Content-free notifications ([`crate::notify`]): by e-mail, by webhook, or both.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct NotificationSettings {
    /// Arrivals are batched per window of this many seconds, and each notification goes out at a
    /// random moment in the window after the one in which something arrived: its time says no
    /// more than the window. The default is 3600 (one hour).
    pub window_seconds: u64,
    /// A tip or a mailbox this many days before the end of its retention brings one
    /// notification ("tips near their end"), so that nobody loses one unseen. 0 turns it off.
    /// The default is 7.
    pub expiry_warning_days: u32,
    /// The SMTP server, e.g. `smtp.example.nl`. Empty: no e-mail.
    pub email_server: String,
    /// The SMTP port; 587 (submission with STARTTLS) unless told otherwise.
    pub email_port: u16,
    /// `starttls` (the default), `tls` (TLS from the first byte, usually port 465), or `none`
    /// (plain SMTP, only to a server on this computer).
    pub email_security: EmailSecurity,
    /// The SMTP user name, when the server wants one (with `email_password_file`).
    pub email_username: String,
    /// A file holding the SMTP password on its first line, readable by the relay only. The
    /// password is never in this config.
    pub email_password_file: Option<PathBuf>,
    /// The sender, e.g. `Fluister <fluister@example.nl>`.
    pub email_from: String,
    /// The coordinators' addresses.
    pub email_to: Vec<String>,
    /// A URL to POST the notification to (ntfy and the like), `https://`, or `http://` on this
    /// computer only. Empty: no webhook. It may hold a secret path: keep the config private.
    pub webhook_url: String,
}

/// How the relay talks to the SMTP server.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum EmailSecurity {
    /// Plain connection upgraded with STARTTLS, which must succeed.
    StartTls,
    /// TLS from the first byte.
    Tls,
    /// No encryption: only to a server on this computer (a local mail relay, tests).
    None,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            window_seconds: 3600,
            expiry_warning_days: 7,
            email_server: String::new(),
            email_port: 587,
            email_security: EmailSecurity::StartTls,
            email_username: String::new(),
            email_password_file: None,
            email_from: String::new(),
            email_to: Vec::new(),
            webhook_url: String::new(),
        }
    }
}

/// Whether `host` names this computer.
fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|address| address.is_loopback())
}

impl NotificationSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        if !(1..=7 * 86_400).contains(&self.window_seconds) {
            return Err(field_error(
                "notifications.window_seconds",
                &format!("is {}", self.window_seconds),
                "use a number of seconds from 1 to 604800 (the default is 3600)",
            ));
        }
        if !self.email_server.is_empty() {
            if self.email_from.is_empty() || self.email_to.is_empty() {
                return Err(field_error(
                    "notifications.email_from",
                    "or `notifications.email_to` is empty while `email_server` is set",
                    "give the sender and at least one coordinator's address",
                ));
            }
            if self.email_security == EmailSecurity::None && !is_loopback_host(&self.email_server) {
                return Err(field_error(
                    "notifications.email_security",
                    &format!("is `none` for {}", self.email_server),
                    "use `starttls` or `tls`: plain SMTP is allowed only to this computer",
                ));
            }
            if self.email_password_file.is_some() && self.email_username.is_empty() {
                return Err(field_error(
                    "notifications.email_username",
                    "is empty while `email_password_file` is set",
                    "give the SMTP user name too",
                ));
            }
        }
        if !self.webhook_url.is_empty() {
            let plain_to_this_computer = self
                .webhook_url
                .strip_prefix("http://")
                .and_then(|rest| rest.split(['/', '?']).next())
                .map(|authority| {
                    authority
                        .rsplit_once(':')
                        .filter(|(_, port)| port.bytes().all(|byte| byte.is_ascii_digit()))
                        .map_or(authority, |(host, _)| host)
                })
                .is_some_and(is_loopback_host);
            if !self.webhook_url.starts_with("https://") && !plain_to_this_computer {
                return Err(field_error(
                    "notifications.webhook_url",
                    "is not an https:// address",
                    "use https:// (plain http:// only to this computer)",
                ));
            }
        }
        Ok(())
    }
}

/// Widget assets and what the widget shows.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct WidgetSettings {
    /// The directory with the built widget (`embed.js` and `w/…`). Empty: a placeholder is served.
    pub assets_dir: Option<PathBuf>,
    /// The origins of the municipal pages allowed to embed the widget, e.g.
    /// `https://www.assen.nl`. They become the widget's CSP `frame-ancestors`.
    pub embedding_origins: Vec<String>,
    /// The region the relay serves, as the form and the coordinator's tools name it.
    pub region: String,
    /// The region's municipalities, which the reporter can choose from, in the form's order.
    pub municipalities: Vec<Municipality>,
    /// Phone numbers the widget shows as alternatives.
    pub phone_numbers: Vec<PhoneNumber>,
}

/// The region a relay serves unless its config names another (`region-drenthe.toml`).
const DEFAULT_REGION: &str = include_str!("region-drenthe.toml");

/// The shape of [`DEFAULT_REGION`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Region {
    region: String,
    municipalities: Vec<Municipality>,
}

impl Default for WidgetSettings {
    fn default() -> Self {
        let Region {
            region,
            municipalities,
        } = toml::from_str(DEFAULT_REGION).expect("the default region parses");
        Self {
            assets_dir: None,
            embedding_origins: Vec::new(),
            region,
            municipalities,
            phone_numbers: Vec::new(),
        }
    }
}

/// The most municipalities a region may list (the Netherlands has 342 in all).
const MAX_MUNICIPALITIES: usize = 400;

/// The longest region or municipality name, in characters.
const MAX_NAME_CHARS: usize = 80;

/// Whether `name` can be shown as a name: 1 to [`MAX_NAME_CHARS`] characters, no control or
/// bidirectional-override characters, not only spaces.
fn is_showable_name(name: &str) -> bool {
    is_showable(name, MAX_NAME_CHARS)
}

impl WidgetSettings {
    /// The municipalities as `GET /api/v1/config` lists them.
    pub fn public_municipalities(&self) -> Vec<fluister_protocol::bodies::Municipality> {
        self.municipalities
            .iter()
            .map(|municipality| fluister_protocol::bodies::Municipality {
                id: municipality.id.clone(),
                name: municipality.name.clone(),
            })
            .collect()
    }

    /// The phone numbers as `GET /api/v1/config` lists them.
    pub fn public_phone_numbers(&self) -> Vec<fluister_protocol::bodies::PhoneNumber> {
        self.phone_numbers
            .iter()
            .map(|phone| fluister_protocol::bodies::PhoneNumber {
                label: phone.label.clone(),
                labels: phone.labels.clone(),
                number: phone.number.clone(),
                abroad: phone.abroad.clone(),
            })
            .collect()
    }
}

/// One municipality in the widget's list.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Municipality {
    /// A short stable identifier, e.g. `assen`, used in `data-municipality`.
    pub id: String,
    /// The name shown to the reporter.
    pub name: String,
}

/// One phone number the widget shows.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PhoneNumber {
    /// Who answers, e.g. `Meld Misdaad Anoniem`: shown in every language without its own label.
    pub label: String,
    /// The label per language code of the widget (`en`, `pl`, …).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// The number as dialled, e.g. `0800-7000`.
    pub number: String,
    /// The number for a foreign SIM card or from abroad, e.g. `+31 70 333 56 78`; empty if none.
    #[serde(default)]
    pub abroad: String,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".to_owned(),
            public_origin: String::new(),
            log_level: "info".to_owned(),
            log_format: LogFormat::Text,
        }
    }
}

impl std::fmt::Debug for StorageSettings {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The PostgreSQL URL can hold a password: only whether it is set is shown.
        let postgres_url = if self.postgres_url.is_empty() {
            ""
        } else {
            "(set, not shown)"
        };
        formatter
            .debug_struct("StorageSettings")
            .field("backend", &self.backend)
            .field("data_dir", &self.data_dir)
            .field("postgres_url", &postgres_url)
            .field("retention_days", &self.retention_days)
            .field("sweep_interval_seconds", &self.sweep_interval_seconds)
            .field("max_stored_bytes", &self.max_stored_bytes)
            .field("max_stored_bytes_per_hour", &self.max_stored_bytes_per_hour)
            .finish()
    }
}

impl Default for StorageSettings {
    fn default() -> Self {
        Self {
            backend: "sqlite".to_owned(),
            data_dir: PathBuf::from("fluister-data"),
            postgres_url: String::new(),
            retention_days: 90,
            sweep_interval_seconds: 3600,
            max_stored_bytes: 1 << 30,
            max_stored_bytes_per_hour: 16 << 20,
        }
    }
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            max_tip_bytes: 256 * 1024,
            max_header_bytes: 16 * 1024,
            header_read_timeout_seconds: 10,
            request_timeout_seconds: 30,
            max_concurrent_requests: 256,
            max_connections: 1024,
            submissions_per_second: 20.0,
            submission_burst: 200,
            max_message_bytes: 64 * 1024,
            max_messages_per_mailbox: 200,
            mailbox_requests_per_minute: 10.0,
            mailbox_request_burst: 20,
            max_concurrent_verifications: 4,
        }
    }
}

impl Default for ProofOfWorkSettings {
    fn default() -> Self {
        Self {
            difficulty: crate::sealed::DEFAULT_DIFFICULTY,
            memory_kib: crate::sealed::DEFAULT_MEMORY_KIB,
            puzzles: crate::sealed::DEFAULT_PUZZLES,
            max_difficulty: crate::sealed::MAX_DIFFICULTY,
            flood_baseline: 30,
            flood_window_seconds: 3600,
            challenge_lifetime_seconds: 600,
            max_used_challenges: 1_000_000,
            key_file: None,
        }
    }
}

/// A configuration problem, phrased for the operator: which field, what is wrong, what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError(pub String);

impl fmt::Display for SettingsError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl std::error::Error for SettingsError {}

fn field_error(field: &str, problem: &str, fix: &str) -> SettingsError {
    SettingsError(format!("config field `{field}` {problem}; {fix}"))
}

/// Whether `label` can name a team member: 1 to 32 letters, digits, `-` or `_`.
pub fn is_member_label(label: &str) -> bool {
    (1..=32).contains(&label.len())
        && label
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

/// The environment variables the relay reads, each overriding one config field.
pub const ENVIRONMENT_OVERRIDES: &[(&str, &str)] = &[
    ("FLUISTER_LISTEN", "server.listen"),
    ("FLUISTER_PUBLIC_ORIGIN", "server.public_origin"),
    ("FLUISTER_LOG", "server.log_level"),
    ("FLUISTER_LOG_FORMAT", "server.log_format"),
    ("FLUISTER_STORAGE_BACKEND", "storage.backend"),
    ("FLUISTER_DATA_DIR", "storage.data_dir"),
    ("FLUISTER_POSTGRES_URL", "storage.postgres_url"),
    (
        "FLUISTER_POSTGRES_URL_FILE",
        "storage.postgres_url (a file, its first line)",
    ),
    ("FLUISTER_POW_DIFFICULTY", "proof_of_work.difficulty"),
    ("FLUISTER_CHALLENGE_KEY_FILE", "proof_of_work.key_file"),
    ("FLUISTER_ASSETS_DIR", "widget.assets_dir"),
    (
        "FLUISTER_COORDINATOR_RECIPIENTS",
        "coordinator.recipients (comma-separated)",
    ),
    (
        "FLUISTER_COORDINATOR_RECIPIENTS_FILE",
        "coordinator.recipients (a file, one a line)",
    ),
    (
        "FLUISTER_COORDINATOR_TOKEN_SHA256",
        "coordinator.token_sha256 (comma-separated)",
    ),
    (
        "FLUISTER_COORDINATOR_TOKEN_SHA256_FILE",
        "coordinator.token_sha256 (a file, one a line)",
    ),
    (
        "FLUISTER_METRICS_TOKEN_SHA256",
        "metrics.token_sha256 (comma-separated)",
    ),
    (
        "FLUISTER_METRICS_TOKEN_SHA256_FILE",
        "metrics.token_sha256 (a file, one a line)",
    ),
    (
        "FLUISTER_NOTIFICATIONS_WEBHOOK_URL",
        "notifications.webhook_url",
    ),
    (
        "FLUISTER_NOTIFICATIONS_WEBHOOK_URL_FILE",
        "notifications.webhook_url (a file, its first line)",
    ),
    (
        "FLUISTER_NOTIFICATIONS_EMAIL_PASSWORD_FILE",
        "notifications.email_password_file",
    ),
];

/// One value of a list read from the environment, with where it came from, for errors.
struct EnvironmentItem {
    value: String,
    /// `environment variable NAME` or `line N of FILE (NAME_FILE)`.
    source: String,
}

/// Reads `name`'s file variant `name_FILE`: the file's text, or an error naming the variable.
fn read_environment_file(file_variable: &str, path: &str) -> Result<String, SettingsError> {
    std::fs::read_to_string(path).map_err(|error| {
        SettingsError(format!(
            "environment variable {file_variable} names {path}, which cannot be read ({error}); \
             give the path of a file the relay's user can read"
        ))
    })
}

/// Reads a secret from the environment: `name`, or the first line of the file `name_FILE`
/// names. `None` when neither is set; an error when both are, or when the file cannot be read.
fn environment_secret(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
) -> Result<Option<String>, SettingsError> {
    let file_variable = format!("{name}_FILE");
    match (lookup(name), lookup(&file_variable)) {
        (None, None) => Ok(None),
        (Some(_), Some(_)) => Err(SettingsError(format!(
            "environment variables {name} and {file_variable} are both set; set only one"
        ))),
        (Some(value), None) => Ok(Some(value.trim().to_owned())),
        (None, Some(path)) => {
            let text = read_environment_file(&file_variable, &path)?;
            Ok(Some(
                text.lines().next().unwrap_or_default().trim().to_owned(),
            ))
        }
    }
}

/// Reads a list from the environment: `name` (items separated by commas) or `name_FILE` (the
/// path of a file with one item a line; blank lines and `#` comments are skipped, as in an age
/// recipients file). `None` when neither is set; an error when both are, or when the file
/// cannot be read or lists nothing.
fn environment_list(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
) -> Result<Option<Vec<EnvironmentItem>>, SettingsError> {
    let file_variable = format!("{name}_FILE");
    match (lookup(name), lookup(&file_variable)) {
        (None, None) => Ok(None),
        (Some(_), Some(_)) => Err(SettingsError(format!(
            "environment variables {name} and {file_variable} are both set; set only one"
        ))),
        (Some(value), None) => Ok(Some(
            value
                .split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| EnvironmentItem {
                    value: item.to_owned(),
                    source: format!("environment variable {name}"),
                })
                .collect(),
        )),
        (None, Some(path)) => {
            let text = read_environment_file(&file_variable, &path)?;
            let items: Vec<EnvironmentItem> = text
                .lines()
                .enumerate()
                .map(|(index, line)| (index + 1, line.trim()))
                .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
                .map(|(number, line)| EnvironmentItem {
                    value: line.to_owned(),
                    source: format!("line {number} of {path} ({file_variable})"),
                })
                .collect();
            if items.is_empty() {
                return Err(SettingsError(format!(
                    "environment variable {file_variable} names {path}, which lists nothing; \
                     write one entry a line, or unset {file_variable}"
                )));
            }
            Ok(Some(items))
        }
    }
}

/// Checks that every item is a SHA-256 hash in hex, naming the first that is not.
fn environment_hashes(
    items: Vec<EnvironmentItem>,
    how: &str,
) -> Result<Vec<String>, SettingsError> {
    items
        .into_iter()
        .map(|item| {
            if crate::encoding::decode_hex::<32>(&item.value.to_ascii_lowercase()).is_some() {
                Ok(item.value)
            } else {
                Err(SettingsError(format!(
                    "{} is not 64 hexadecimal digits; give the hash printed by `{how}`",
                    item.source
                )))
            }
        })
        .collect()
}

impl Settings {
    /// Reads a TOML config file; unknown fields are errors so that typos do not pass silently.
    pub fn from_file(path: &Path) -> Result<Self, SettingsError> {
        let text = std::fs::read_to_string(path).map_err(|error| {
            SettingsError(format!(
                "cannot read the config file {}: {error}; check the path given to --config",
                path.display()
            ))
        })?;
        Self::from_toml(&text).map_err(|SettingsError(message)| {
            SettingsError(format!("in {}: {message}", path.display()))
        })
    }

    /// Parses settings from TOML text.
    pub fn from_toml(text: &str) -> Result<Self, SettingsError> {
        toml::from_str(text).map_err(|error| {
            SettingsError(format!(
                "the config is not valid: {}; `relay-server example-config` prints every field with its meaning",
                error.to_string().trim_end()
            ))
        })
    }

    /// Applies the `FLUISTER_*` overrides from a lookup function (the process environment in
    /// the binary, a map in tests).
    pub fn apply_environment(
        &mut self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<(), SettingsError> {
        if let Some(value) = lookup("FLUISTER_LISTEN") {
            self.server.listen = value;
        }
        if let Some(value) = lookup("FLUISTER_PUBLIC_ORIGIN") {
            self.server.public_origin = value;
        }
        if let Some(value) = lookup("FLUISTER_LOG") {
            self.server.log_level = value;
        }
        if let Some(value) = lookup("FLUISTER_LOG_FORMAT") {
            self.server.log_format = match value.trim() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                _ => {
                    return Err(SettingsError(format!(
                        "environment variable FLUISTER_LOG_FORMAT is `{value}`; set it to `text` or `json`"
                    )));
                }
            };
        }
        if let Some(value) = lookup("FLUISTER_STORAGE_BACKEND") {
            self.storage.backend = value;
        }
        if let Some(value) = lookup("FLUISTER_DATA_DIR") {
            self.storage.data_dir = PathBuf::from(value);
        }
        if let Some(value) = lookup("FLUISTER_POW_DIFFICULTY") {
            self.proof_of_work.difficulty = value.trim().parse().map_err(|_| {
                SettingsError(format!(
                    "environment variable FLUISTER_POW_DIFFICULTY is `{value}`, not a whole number; set it to e.g. {}",
                    crate::sealed::DEFAULT_DIFFICULTY
                ))
            })?;
        }
        if let Some(value) = lookup("FLUISTER_CHALLENGE_KEY_FILE") {
            self.proof_of_work.key_file = (!value.is_empty()).then(|| PathBuf::from(value));
        }
        if let Some(value) = lookup("FLUISTER_ASSETS_DIR") {
            self.widget.assets_dir = if value.is_empty() {
                None
            } else {
                Some(PathBuf::from(value))
            };
        }
        self.apply_environment_secrets(&lookup)
    }

    /// The overrides of the recipients, token hashes and notification secrets, each also
    /// from a file (`*_FILE`), as secret stores and container runtimes hand them over.
    fn apply_environment_secrets(
        &mut self,
        lookup: &impl Fn(&str) -> Option<String>,
    ) -> Result<(), SettingsError> {
        if let Some(items) = environment_list(lookup, "FLUISTER_COORDINATOR_RECIPIENTS")? {
            for item in &items {
                if Recipient::from_str(&item.value).is_err() {
                    return Err(SettingsError(format!(
                        "{} is `{}`, not an age public key; give the `age1pq1…` (or `age1…`) \
                         public keys printed by `fluister-inbox keygen` (or `age-keygen -y`)",
                        item.source, item.value
                    )));
                }
            }
            self.coordinator.recipients = items.into_iter().map(|item| item.value).collect();
        }
        if let Some(items) = environment_list(lookup, "FLUISTER_COORDINATOR_TOKEN_SHA256")? {
            self.coordinator.token_sha256 = environment_hashes(items, "relay-server mint-token")?;
        }
        if let Some(items) = environment_list(lookup, "FLUISTER_METRICS_TOKEN_SHA256")? {
            self.metrics.token_sha256 =
                environment_hashes(items, "relay-server mint-token --metrics")?;
        }
        if let Some(url) = environment_secret(lookup, "FLUISTER_POSTGRES_URL")? {
            self.storage.postgres_url = url;
        }
        let webhook_variable = "FLUISTER_NOTIFICATIONS_WEBHOOK_URL";
        let webhook_file_variable = "FLUISTER_NOTIFICATIONS_WEBHOOK_URL_FILE";
        match (lookup(webhook_variable), lookup(webhook_file_variable)) {
            (Some(_), Some(_)) => {
                return Err(SettingsError(format!(
                    "environment variables {webhook_variable} and {webhook_file_variable} are \
                     both set; set only one"
                )));
            }
            (Some(url), None) => self.notifications.webhook_url = url.trim().to_owned(),
            (None, Some(path)) => {
                let text = read_environment_file(webhook_file_variable, &path)?;
                self.notifications.webhook_url =
                    text.lines().next().unwrap_or_default().trim().to_owned();
            }
            (None, None) => {}
        }
        if let Some(path) = lookup("FLUISTER_NOTIFICATIONS_EMAIL_PASSWORD_FILE") {
            self.notifications.email_password_file =
                (!path.is_empty()).then(|| PathBuf::from(path));
        }
        Ok(())
    }

    /// The challenge key file: `proof_of_work.key_file`, or `challenge-key` in the data directory.
    pub fn challenge_key_path(&self) -> PathBuf {
        self.challenge_key_file()
            .unwrap_or_else(|| self.storage.data_dir.join("challenge-key"))
    }

    /// The challenge key file the operator named (`proof_of_work.key_file`), if any.
    pub fn challenge_key_file(&self) -> Option<PathBuf> {
        self.proof_of_work
            .key_file
            .clone()
            .filter(|path| !path.as_os_str().is_empty())
    }

    /// The listening address, parsed.
    pub fn listen_address(&self) -> Result<SocketAddr, SettingsError> {
        self.server.listen.parse().map_err(|_| {
            field_error(
                "server.listen",
                &format!("is `{}`, not an address and port", self.server.listen),
                "write it like `127.0.0.1:8080` or `[::1]:8080`",
            )
        })
    }

    /// The coordinator recipients, parsed: all X25519 (`age1…`) or all hybrid post-quantum
    /// (`age1pq1…`), since age seals a file to one kind only.
    pub fn recipients(&self) -> Result<Vec<Recipient>, SettingsError> {
        let recipients = self
            .coordinator
            .recipients
            .iter()
            .enumerate()
            .map(|(index, text)| {
                Recipient::from_str(text.trim()).map_err(|_| {
                    field_error(
                        &format!("coordinator.recipients[{index}]"),
                        &format!("is `{text}`, not an age public key"),
                        "copy the `age1pq1…` (or `age1…`) public key printed by `inbox keygen` \
                         (or `age-keygen -y`)",
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(first) = recipients.first()
            && let Some(index) = recipients
                .iter()
                .position(|recipient| recipient.is_post_quantum() != first.is_post_quantum())
        {
            let (this, other) = if first.is_post_quantum() {
                (
                    "an X25519 key (`age1…`)",
                    "hybrid post-quantum keys (`age1pq1…`)",
                )
            } else {
                (
                    "a hybrid post-quantum key (`age1pq1…`)",
                    "X25519 keys (`age1…`)",
                )
            };
            return Err(field_error(
                &format!("coordinator.recipients[{index}]"),
                &format!("is {this} among {other}"),
                "list keys of one kind only: age seals a tip to hybrid or to X25519 keys, never \
                 to both (make the missing ones with `inbox keygen`, or `inbox keygen --x25519`)",
            ));
        }
        Ok(recipients)
    }

    /// The coordinator token hashes, decoded: the unnamed ones, then every member's.
    pub fn token_hashes(&self) -> Result<Vec<[u8; 32]>, SettingsError> {
        let decode = |field: String, text: &str| {
            crate::encoding::decode_hex::<32>(&text.trim().to_ascii_lowercase()).ok_or_else(|| {
                field_error(
                    &field,
                    "is not 64 hexadecimal digits",
                    "paste the line printed by `relay-server mint-token`",
                )
            })
        };
        let mut hashes = Vec::new();
        for (index, text) in self.coordinator.token_sha256.iter().enumerate() {
            hashes.push(decode(format!("coordinator.token_sha256[{index}]"), text)?);
        }
        let mut labels = std::collections::HashSet::new();
        for (index, member) in self.coordinator.members.iter().enumerate() {
            let label = &member.label;
            if !is_member_label(label) {
                return Err(field_error(
                    &format!("coordinator.members[{index}].label"),
                    "is not 1 to 32 letters, digits, `-` or `_`",
                    "use a short label that means nothing to an outsider, such as `member-2`",
                ));
            }
            if !labels.insert(label.as_str()) {
                return Err(field_error(
                    &format!("coordinator.members[{index}].label"),
                    &format!("`{label}` is used twice"),
                    "give every member a label of their own",
                ));
            }
            hashes.push(decode(
                format!("coordinator.members[{index}].token_sha256"),
                &member.token_sha256,
            )?);
        }
        let distinct: std::collections::HashSet<&[u8; 32]> = hashes.iter().collect();
        if distinct.len() != hashes.len() {
            return Err(field_error(
                "coordinator",
                "lists one token hash twice",
                "mint a token per member with `relay-server mint-token --label NAME`",
            ));
        }
        Ok(hashes)
    }

    /// The hashes of the tokens that open `/metrics`, decoded; none of them a coordinator's.
    pub fn metrics_token_hashes(&self) -> Result<Vec<[u8; 32]>, SettingsError> {
        let coordinator_hashes = self.token_hashes()?;
        let mut hashes = Vec::new();
        for (index, text) in self.metrics.token_sha256.iter().enumerate() {
            let field = format!("metrics.token_sha256[{index}]");
            let hash = crate::encoding::decode_hex::<32>(&text.trim().to_ascii_lowercase())
                .ok_or_else(|| {
                    field_error(
                        &field,
                        "is not 64 hexadecimal digits",
                        "paste the line printed by `relay-server mint-token --metrics`",
                    )
                })?;
            if coordinator_hashes.contains(&hash) {
                return Err(field_error(
                    &field,
                    "is a coordinator token's hash",
                    "give the monitoring system a token of its own: `relay-server mint-token --metrics`",
                ));
            }
            hashes.push(hash);
        }
        Ok(hashes)
    }

    /// Checks every field, returning the first problem found.
    pub fn validate(&self) -> Result<(), SettingsError> {
        self.listen_address()?;
        if !self.server.public_origin.is_empty() {
            check_origin("server.public_origin", &self.server.public_origin)?;
        }
        if tracing_subscriber::EnvFilter::try_new(&self.server.log_level).is_err() {
            return Err(field_error(
                "server.log_level",
                &format!("is `{}`, not a log filter", self.server.log_level),
                "use `error`, `warn`, `info`, `debug` or `trace`",
            ));
        }
        if !["sqlite", "postgres", "discard"].contains(&self.storage.backend.as_str()) {
            return Err(field_error(
                "storage.backend",
                &format!("is `{}`", self.storage.backend),
                "use `sqlite` or `postgres` (`discard` stores nothing and exists only for \
                 benchmarks)",
            ));
        }
        if self.storage.backend == "postgres" && self.storage.postgres_url.trim().is_empty() {
            return Err(field_error(
                "storage.postgres_url",
                "is empty while `storage.backend` is `postgres`",
                "give the database's URL, e.g. `postgresql://fluister@localhost/fluister`, here \
                 or in FLUISTER_POSTGRES_URL (or a file named by FLUISTER_POSTGRES_URL_FILE)",
            ));
        }
        if self.storage.data_dir.as_os_str().is_empty() {
            return Err(field_error(
                "storage.data_dir",
                "is empty",
                "give a directory, e.g. `/var/lib/fluister`",
            ));
        }
        if !(1..=86_400).contains(&self.storage.sweep_interval_seconds) {
            return Err(field_error(
                "storage.sweep_interval_seconds",
                &format!("is {}", self.storage.sweep_interval_seconds),
                "use a number of seconds from 1 to 86400 (the default is 3600)",
            ));
        }
        if self.storage.retention_days == 0 || self.storage.retention_days > 3650 {
            return Err(field_error(
                "storage.retention_days",
                &format!("is {}", self.storage.retention_days),
                "use a number of days from 1 to 3650 (the default is 90)",
            ));
        }
        if self.notifications.expiry_warning_days >= self.storage.retention_days {
            return Err(field_error(
                "notifications.expiry_warning_days",
                &format!(
                    "is {}, not less than storage.retention_days ({})",
                    self.notifications.expiry_warning_days, self.storage.retention_days
                ),
                "warn fewer days ahead than tips are kept (the default is 7), or 0 for no warning",
            ));
        }
        if self.storage.max_stored_bytes < self.limits.max_tip_bytes as u64 {
            return Err(field_error(
                "storage.max_stored_bytes",
                "is smaller than limits.max_tip_bytes, so no tip could ever be stored",
                "raise it (the default is 1073741824, one GiB)",
            ));
        }
        if self.limits.max_tip_bytes < 256 || self.limits.max_tip_bytes > 64 * 1024 * 1024 {
            return Err(field_error(
                "limits.max_tip_bytes",
                &format!("is {}", self.limits.max_tip_bytes),
                "use a size from 256 to 67108864 bytes (the default is 262144)",
            ));
        }
        if self.limits.max_header_bytes < 8192 || self.limits.max_header_bytes > 1024 * 1024 {
            return Err(field_error(
                "limits.max_header_bytes",
                &format!("is {}", self.limits.max_header_bytes),
                "use a size from 8192 to 1048576 bytes (the default is 16384)",
            ));
        }
        for (field, value) in [
            (
                "limits.header_read_timeout_seconds",
                self.limits.header_read_timeout_seconds,
            ),
            (
                "limits.request_timeout_seconds",
                self.limits.request_timeout_seconds,
            ),
            (
                "proof_of_work.challenge_lifetime_seconds",
                self.proof_of_work.challenge_lifetime_seconds,
            ),
        ] {
            if value == 0 || value > 86_400 {
                return Err(field_error(
                    field,
                    &format!("is {value}"),
                    "use a number of seconds from 1 to 86400",
                ));
            }
        }
        for (field, value) in [
            (
                "limits.max_concurrent_requests",
                self.limits.max_concurrent_requests,
            ),
            ("limits.max_connections", self.limits.max_connections),
            (
                "proof_of_work.max_used_challenges",
                self.proof_of_work.max_used_challenges,
            ),
            (
                "limits.max_concurrent_verifications",
                self.limits.max_concurrent_verifications,
            ),
        ] {
            if value == 0 {
                return Err(field_error(field, "is 0", "use a positive number"));
            }
        }
        if !(self.limits.submissions_per_second.is_finite()
            && self.limits.submissions_per_second > 0.0)
        {
            return Err(field_error(
                "limits.submissions_per_second",
                "is not a positive number",
                "use e.g. 20.0 (a fraction like 0.5 means one every two seconds)",
            ));
        }
        if self.limits.submission_burst == 0 {
            return Err(field_error(
                "limits.submission_burst",
                "is 0",
                "use at least 1 (the default is 200)",
            ));
        }
        if !(self.limits.mailbox_requests_per_minute.is_finite()
            && self.limits.mailbox_requests_per_minute > 0.0)
        {
            return Err(field_error(
                "limits.mailbox_requests_per_minute",
                "is not a positive number",
                "use e.g. 10.0 (a fraction like 0.5 means one every two minutes)",
            ));
        }
        if self.limits.mailbox_request_burst == 0 {
            return Err(field_error(
                "limits.mailbox_request_burst",
                "is 0",
                "use at least 1 (the default is 20)",
            ));
        }
        if self.limits.max_concurrent_verifications > 256 {
            return Err(field_error(
                "limits.max_concurrent_verifications",
                &format!("is {}", self.limits.max_concurrent_verifications),
                "use at most 256 (each verification may use up to 16 MiB; the default is 4)",
            ));
        }
        if self.storage.max_stored_bytes_per_hour
            < self.limits.max_tip_bytes.max(self.limits.max_message_bytes) as u64
        {
            return Err(field_error(
                "storage.max_stored_bytes_per_hour",
                "is smaller than the largest tip or message, so that one could never be stored",
                "raise it (the default is 16777216, 16 MiB)",
            ));
        }
        if self.limits.max_messages_per_mailbox == 0 {
            return Err(field_error(
                "limits.max_messages_per_mailbox",
                "is 0",
                "use a positive number (the default is 200)",
            ));
        }
        if !(1024..=16 * 1024 * 1024).contains(&self.limits.max_message_bytes) {
            return Err(field_error(
                "limits.max_message_bytes",
                &format!("is {}", self.limits.max_message_bytes),
                "use a size from 1024 to 16777216 bytes (the default is 65536)",
            ));
        }
        let proof = &self.proof_of_work;
        if proof.difficulty > crate::sealed::MAX_DIFFICULTY {
            return Err(field_error(
                "proof_of_work.difficulty",
                &format!("is {}", proof.difficulty),
                &format!(
                    "use at most {} (the widget refuses harder challenges; the default is {})",
                    crate::sealed::MAX_DIFFICULTY,
                    crate::sealed::DEFAULT_DIFFICULTY
                ),
            ));
        }
        if proof.max_difficulty < proof.difficulty
            || proof.max_difficulty > crate::sealed::MAX_DIFFICULTY
        {
            return Err(field_error(
                "proof_of_work.max_difficulty",
                &format!("is {}", proof.max_difficulty),
                &format!(
                    "use a value from proof_of_work.difficulty ({}) to {} (the default)",
                    proof.difficulty,
                    crate::sealed::MAX_DIFFICULTY
                ),
            ));
        }
        if proof.flood_baseline == 0 {
            return Err(field_error(
                "proof_of_work.flood_baseline",
                "is 0",
                "use the number of verified submissions per window that is normal, e.g. 30",
            ));
        }
        if proof.flood_window_seconds == 0 || proof.flood_window_seconds > 86_400 {
            return Err(field_error(
                "proof_of_work.flood_window_seconds",
                &format!("is {}", proof.flood_window_seconds),
                "use a number of seconds from 1 to 86400 (the default is 3600)",
            ));
        }
        if proof.memory_kib < crate::sealed::MIN_MEMORY_KIB
            || proof.memory_kib > crate::sealed::MAX_MEMORY_KIB
        {
            return Err(field_error(
                "proof_of_work.memory_kib",
                &format!("is {}", proof.memory_kib),
                &format!(
                    "use {} to {} KiB (the default is {})",
                    crate::sealed::MIN_MEMORY_KIB,
                    crate::sealed::MAX_MEMORY_KIB,
                    crate::sealed::DEFAULT_MEMORY_KIB
                ),
            ));
        }
        if !(1..=crate::sealed::MAX_PUZZLES).contains(&proof.puzzles) {
            return Err(field_error(
                "proof_of_work.puzzles",
                &format!("is {}", proof.puzzles),
                &format!(
                    "use 1 to {} (the default is {}; each puzzle costs the relay one hash to verify)",
                    crate::sealed::MAX_PUZZLES,
                    crate::sealed::DEFAULT_PUZZLES
                ),
            ));
        }
        self.recipients()?;
        self.token_hashes()?;
        self.metrics_token_hashes()?;
        self.notifications.validate()?;
        for (index, origin) in self.widget.embedding_origins.iter().enumerate() {
            check_origin(&format!("widget.embedding_origins[{index}]"), origin)?;
        }
        if let Some(directory) = &self.widget.assets_dir
            && !directory.is_dir()
        {
            return Err(field_error(
                "widget.assets_dir",
                &format!("is {}, which is not a directory", directory.display()),
                "build the widget (`cargo xtask widget`) or remove the field to serve the placeholder",
            ));
        }
        self.validate_region()?;
        self.validate_phone_numbers()
    }

    /// The phone numbers: a few, each dialable as written, labels that can be shown, and labels
    /// only for the widget's languages.
    fn validate_phone_numbers(&self) -> Result<(), SettingsError> {
        let phones = &self.widget.phone_numbers;
        if phones.len() > MAX_PHONE_NUMBERS {
            return Err(field_error(
                "widget.phone_numbers",
                &format!("lists {}", phones.len()),
                &format!("list at most {MAX_PHONE_NUMBERS}: a reporter reads them on a phone"),
            ));
        }
        let label_advice = format!(
            "say who answers and what for in 1 to {MAX_PHONE_LABEL_CHARS} characters, e.g. \
             `Meld Misdaad Anoniem, u blijft anoniem`"
        );
        for (index, phone) in phones.iter().enumerate() {
            let field = |name: &str| format!("widget.phone_numbers[{index}].{name}");
            if !is_showable(&phone.label, MAX_PHONE_LABEL_CHARS) {
                return Err(field_error(
                    &field("label"),
                    &format!("is `{}`", phone.label.escape_debug()),
                    &label_advice,
                ));
            }
            for (language, label) in &phone.labels {
                if !WIDGET_LANGUAGES.contains(&language.as_str()) {
                    return Err(field_error(
                        &field("labels"),
                        &format!("names the language `{}`", language.escape_debug()),
                        &format!(
                            "use the widget's language codes: {}",
                            WIDGET_LANGUAGES.join(", ")
                        ),
                    ));
                }
                if !is_showable(label, MAX_PHONE_LABEL_CHARS) {
                    return Err(field_error(
                        &field(&format!("labels.{language}")),
                        &format!("is `{}`", label.escape_debug()),
                        &label_advice,
                    ));
                }
            }
            let dial_advice = "write the number as it is dialled: digits, spaces, `-`, `(`, `)` \
                               and a leading `+`, e.g. `0800-7000` or `+31 70 333 56 78`";
            if !is_dialable(&phone.number) {
                return Err(field_error(
                    &field("number"),
                    &format!("is `{}`", phone.number.escape_debug()),
                    dial_advice,
                ));
            }
            if !phone.abroad.is_empty() && !is_dialable(&phone.abroad) {
                return Err(field_error(
                    &field("abroad"),
                    &format!("is `{}`", phone.abroad.escape_debug()),
                    dial_advice,
                ));
            }
        }
        Ok(())
    }

    /// The region and its municipalities: names that can be shown, identifiers a tip can carry,
    /// none twice, and not Drenthe's list under another region's name.
    fn validate_region(&self) -> Result<(), SettingsError> {
        let widget = &self.widget;
        if !is_showable_name(&widget.region) {
            return Err(field_error(
                "widget.region",
                &format!("is `{}`", widget.region.escape_debug()),
                &format!("name the region in 1 to {MAX_NAME_CHARS} characters, e.g. `Drenthe`"),
            ));
        }
        if widget.municipalities.len() > MAX_MUNICIPALITIES {
            return Err(field_error(
                "widget.municipalities",
                &format!("lists {}", widget.municipalities.len()),
                &format!("list at most {MAX_MUNICIPALITIES}"),
            ));
        }
        let defaults = WidgetSettings::default();
        if widget.region != defaults.region && widget.municipalities == defaults.municipalities {
            return Err(field_error(
                "widget.municipalities",
                &format!(
                    "still lists {}'s municipalities while `widget.region` is `{}`",
                    defaults.region, widget.region
                ),
                "list your region's municipalities as `[[widget.municipalities]]` tables",
            ));
        }
        for (index, municipality) in widget.municipalities.iter().enumerate() {
            let id = &municipality.id;
            let valid_id = !id.is_empty()
                && id.len() <= 64
                && id
                    .bytes()
                    .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-');
            if !valid_id {
                return Err(field_error(
                    &format!("widget.municipalities[{index}].id"),
                    &format!("is `{}`", id.escape_debug()),
                    "use 1 to 64 lower-case letters, digits and `-`, e.g. `assen`",
                ));
            }
            if id == "other" {
                return Err(field_error(
                    &format!("widget.municipalities[{index}].id"),
                    "is `other`, which the form itself uses for a place outside the list",
                    "remove it: the form always offers \"somewhere else\"",
                ));
            }
            if widget.municipalities[..index]
                .iter()
                .any(|earlier| earlier.id == *id)
            {
                return Err(field_error(
                    &format!("widget.municipalities[{index}].id"),
                    &format!("is `{id}`, listed before"),
                    "list each municipality once",
                ));
            }
            if !is_showable_name(&municipality.name) {
                return Err(field_error(
                    &format!("widget.municipalities[{index}].name"),
                    &format!("is `{}`", municipality.name.escape_debug()),
                    &format!(
                        "give the name as the form shows it, 1 to {MAX_NAME_CHARS} characters"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Checks that `value` is a bare web origin: a scheme, a host, an optional port, nothing else.
fn check_origin(field: &str, value: &str) -> Result<(), SettingsError> {
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    let valid = match rest {
        Some(authority) => {
            !authority.is_empty()
                && authority.bytes().all(|byte| {
                    byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b':' | b'[' | b']')
                })
        }
        None => false,
    };
    if valid {
        Ok(())
    } else {
        Err(field_error(
            field,
            &format!("is `{value}`, not a web origin"),
            "write a scheme and host with no path or trailing slash, e.g. `https://www.assen.nl`",
        ))
    }
}

/// The commented example config printed by `relay-server example-config`.
pub const EXAMPLE_CONFIG: &str = include_str!("example-config.toml");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_config_parses_and_equals_the_defaults_apart_from_examples() {
        let settings = Settings::from_toml(EXAMPLE_CONFIG).expect("example config parses");
        settings.validate().expect("example config is valid");
        assert_eq!(settings.server.listen, Settings::default().server.listen);
        assert_eq!(
            settings.limits.max_tip_bytes,
            Settings::default().limits.max_tip_bytes
        );
    }

    #[test]
    fn defaults_are_valid() {
        Settings::default().validate().expect("defaults are valid");
    }

    #[test]
    fn unknown_field_is_named() {
        let error = Settings::from_toml("[limits]\nmax_tip_byte = 5\n").unwrap_err();
        assert!(error.0.contains("max_tip_byte"), "{error}");
    }

    #[test]
    fn bad_value_names_field_and_fix() {
        let mut settings = Settings::default();
        settings.storage.retention_days = 0;
        let error = settings.validate().unwrap_err();
        assert!(error.0.contains("storage.retention_days"), "{error}");
        assert!(error.0.contains("from 1 to 3650"), "{error}");

        let mut settings = Settings::default();
        settings.widget.embedding_origins = vec!["https://www.assen.nl/".to_owned()];
        let error = settings.validate().unwrap_err();
        assert!(error.0.contains("widget.embedding_origins[0]"), "{error}");

        for puzzles in [0, 33] {
            let settings = Settings::from_toml(&format!("[proof_of_work]\npuzzles = {puzzles}\n"))
                .expect("parses");
            let error = settings.validate().unwrap_err();
            assert!(error.0.contains("proof_of_work.puzzles"), "{error}");
            assert!(error.0.contains("use 1 to 32"), "{error}");
        }
    }

    #[test]
    fn recipients_are_of_one_kind_hybrid_or_x25519() {
        use fluister_envelope::age::Identity;
        let hybrid = || {
            Identity::generate_hybrid()
                .unwrap()
                .to_recipient()
                .to_string()
        };
        let x25519 = || Identity::generate().unwrap().to_recipient().to_string();
        let mut settings = Settings::default();
        settings.coordinator.recipients = vec![hybrid(), hybrid()];
        assert_eq!(settings.recipients().unwrap().len(), 2);
        settings.coordinator.recipients = vec![x25519(), x25519()];
        assert_eq!(settings.recipients().unwrap().len(), 2);
        settings.coordinator.recipients = vec![hybrid(), x25519()];
        let error = settings.recipients().unwrap_err();
        assert!(error.0.contains("coordinator.recipients[1]"), "{error}");
        assert!(error.0.contains("one kind only"), "{error}");
        settings.coordinator.recipients = vec![x25519(), hybrid(), x25519()];
        let error = settings.validate().unwrap_err();
        assert!(error.0.contains("coordinator.recipients[1]"), "{error}");
    }

    #[test]
    fn notifications_refuse_plain_smtp_or_http_to_other_computers_and_half_set_mail() {
        let mail = |server: &str, security: EmailSecurity| {
            let mut settings = Settings::default();
            settings.notifications.email_server = server.to_owned();
            settings.notifications.email_security = security;
            settings.notifications.email_from = "Fluister <fluister@example.nl>".to_owned();
            settings.notifications.email_to = vec!["ketenregisseur@example.nl".to_owned()];
            settings
        };
        mail("smtp.example.nl", EmailSecurity::StartTls)
            .validate()
            .expect("STARTTLS to a mail server");
        mail("127.0.0.1", EmailSecurity::None)
            .validate()
            .expect("plain SMTP to this computer");
        let error = mail("smtp.example.nl", EmailSecurity::None)
            .validate()
            .unwrap_err();
        assert!(error.0.contains("notifications.email_security"), "{error}");
        let mut no_addresses = mail("smtp.example.nl", EmailSecurity::Tls);
        no_addresses.notifications.email_to.clear();
        assert!(no_addresses.validate().is_err());
        let mut password_without_user = mail("smtp.example.nl", EmailSecurity::Tls);
        password_without_user.notifications.email_password_file = Some("/x".into());
        assert!(password_without_user.validate().is_err());

        let hook = |url: &str| {
            let mut settings = Settings::default();
            settings.notifications.webhook_url = url.to_owned();
            settings.validate()
        };
        hook("https://ntfy.example.nl/team").expect("https");
        hook("http://127.0.0.1:8080/team").expect("plain http to this computer");
        hook("http://[::1]/team").expect("plain http to this computer");
        for refused in [
            "http://ntfy.example.nl/team",
            "http://127.0.0.1.evil.example/team",
            "ftp://x",
        ] {
            let error = hook(refused).unwrap_err();
            assert!(
                error.0.contains("notifications.webhook_url"),
                "{refused}: {error}"
            );
        }
        let mut settings = Settings::default();
        settings.notifications.window_seconds = 0;
        assert!(settings.validate().is_err());
    }

    #[test]
    fn verifications_at_once_are_bounded() {
        let mut settings = Settings::default();
        settings.limits.max_concurrent_verifications = 10_000;
        let error = settings.validate().unwrap_err();
        assert!(
            error.0.contains("limits.max_concurrent_verifications"),
            "{error}"
        );
        settings.limits.max_concurrent_verifications = 0;
        assert!(settings.validate().is_err());
    }

    #[test]
    fn the_default_region_is_drenthe_with_its_twelve_municipalities() {
        let widget = WidgetSettings::default();
        assert_eq!(widget.region, "Drenthe");
        assert_eq!(widget.municipalities.len(), 12);
        assert_eq!(widget.municipalities[1].id, "assen");
        assert_eq!(widget.municipalities[8].name, "Midden-Drenthe");
        // A config that says nothing of the widget gets the same.
        let settings = Settings::from_toml("[server]\nlisten = \"127.0.0.1:0\"\n").unwrap();
        assert_eq!(settings.widget.municipalities, widget.municipalities);
    }

    #[test]
    fn another_region_comes_from_the_config_alone() {
        let settings = Settings::from_toml(
            "[widget]\nregion = \"Groningen\"\n\
             [[widget.municipalities]]\nid = \"groningen\"\nname = \"Groningen\"\n\
             [[widget.municipalities]]\nid = \"het-hogeland\"\nname = \"Het Hogeland\"\n",
        )
        .unwrap();
        settings.validate().unwrap();
        let public = settings.widget.public_municipalities();
        assert_eq!(public.len(), 2);
        assert_eq!(public[1].name, "Het Hogeland");
    }

    #[test]
    fn phone_numbers_carry_a_label_per_language_and_a_number_from_abroad() {
        let settings = Settings::from_toml(
            "[[widget.phone_numbers]]\nlabel = \"Meldpunt\"\nnumber = \"0592-123 456\"\n\
             abroad = \"+31 592 123 456\"\n\
             [widget.phone_numbers.labels]\npl = \"Punkt zgłoszeń\"\n\
             [[widget.phone_numbers]]\nlabel = \"Meld Misdaad Anoniem\"\nnumber = \"0800-7000\"\n",
        )
        .unwrap();
        settings.validate().unwrap();
        let public = settings.widget.public_phone_numbers();
        assert_eq!(public[0].labels["pl"], "Punkt zgłoszeń");
        assert_eq!(public[0].abroad, "+31 592 123 456");
        // What the widget receives: no empty `labels` or `abroad` where there are none.
        let json = serde_json::to_value(&public).unwrap();
        assert_eq!(
            json[1],
            serde_json::json!({"label": "Meld Misdaad Anoniem", "number": "0800-7000"})
        );
    }

    #[test]
    fn bad_phone_numbers_are_refused_with_the_field_named() {
        let phone = PhoneNumber {
            label: "Meld Misdaad Anoniem".to_owned(),
            labels: BTreeMap::new(),
            number: "0800-7000".to_owned(),
            abroad: String::new(),
        };
        let refused = |edit: &dyn Fn(&mut PhoneNumber), field: &str| {
            let mut settings = Settings::default();
            let mut wrong = phone.clone();
            edit(&mut wrong);
            settings.widget.phone_numbers = vec![phone.clone(), wrong];
            let error = settings.validate().unwrap_err();
            assert!(error.0.contains(field), "{field}: {error}");
        };
        refused(
            &|phone| phone.label = " ".to_owned(),
            "widget.phone_numbers[1].label",
        );
        refused(
            &|phone| phone.label = "x".repeat(MAX_PHONE_LABEL_CHARS + 1),
            "widget.phone_numbers[1].label",
        );
        refused(
            &|phone| phone.number = "javascript:alert(1)".to_owned(),
            "widget.phone_numbers[1].number",
        );
        refused(
            &|phone| phone.number = "+".to_owned(),
            "widget.phone_numbers[1].number",
        );
        refused(
            &|phone| phone.abroad = "+31 70 333 56 78 ext".to_owned(),
            "widget.phone_numbers[1].abroad",
        );
        refused(
            &|phone| {
                phone.labels.insert("fr".to_owned(), "Ligne".to_owned());
            },
            "widget.phone_numbers[1].labels",
        );
        refused(
            &|phone| {
                phone
                    .labels
                    .insert("pl".to_owned(), "a\u{202e}b".to_owned());
            },
            "widget.phone_numbers[1].labels.pl",
        );
        let mut settings = Settings::default();
        settings.widget.phone_numbers = vec![phone.clone(); MAX_PHONE_NUMBERS + 1];
        let error = settings.validate().unwrap_err();
        assert!(error.0.contains("widget.phone_numbers"), "{error}");
        settings.widget.phone_numbers = vec![phone; MAX_PHONE_NUMBERS];
        settings.validate().unwrap();
    }

    #[test]
    fn bad_regions_are_refused_with_the_field_named() {
        let refused = |edit: &dyn Fn(&mut WidgetSettings), field: &str| {
            let mut settings = Settings::default();
            edit(&mut settings.widget);
            let error = settings.validate().unwrap_err();
            assert!(error.0.contains(field), "{field}: {error}");
        };
        refused(&|widget| widget.region = " ".to_owned(), "widget.region");
        refused(
            &|widget| widget.region = "Dren\u{202e}the".to_owned(),
            "widget.region",
        );
        refused(
            &|widget| widget.region = "Groningen".to_owned(),
            "widget.municipalities",
        );
        refused(
            &|widget| widget.municipalities[0].id = "Assen".to_owned(),
            "widget.municipalities[0].id",
        );
        refused(
            &|widget| widget.municipalities[2].id = "other".to_owned(),
            "widget.municipalities[2].id",
        );
        refused(
            &|widget| widget.municipalities[3].id = "assen".to_owned(),
            "widget.municipalities[3].id",
        );
        refused(
            &|widget| widget.municipalities[4].name = "a\nb".to_owned(),
            "widget.municipalities[4].name",
        );
        refused(
            &|widget| {
                let one = widget.municipalities[0].clone();
                widget.municipalities = (0..=MAX_MUNICIPALITIES)
                    .map(|n| Municipality {
                        id: format!("m{n}"),
                        ..one.clone()
                    })
                    .collect();
            },
            "widget.municipalities",
        );
    }

    #[test]
    fn every_environment_variable_read_is_listed_for_the_help() {
        let asked = std::cell::RefCell::new(Vec::new());
        Settings::default()
            .apply_environment(|name| {
                asked.borrow_mut().push(name.to_owned());
                None
            })
            .unwrap();
        let listed: Vec<&str> = ENVIRONMENT_OVERRIDES
            .iter()
            .map(|(variable, _)| *variable)
            .collect();
        for name in asked.borrow().iter() {
            assert!(listed.contains(&name.as_str()), "{name} is not listed");
        }
        assert_eq!(asked.borrow().len(), listed.len());
    }

    #[test]
    fn the_webhook_url_and_the_mail_password_file_come_from_the_environment() {
        let path = std::env::temp_dir().join(format!(
            "fluister-webhook-{}",
            crate::encoding::encode_hex(&crate::encoding::random_bytes::<8>())
        ));
        std::fs::write(&path, "https://ntfy.example.nl/secret-team-name\n").unwrap();
        let path_text = path.to_str().unwrap().to_owned();
        let mut settings = Settings::default();
        settings
            .apply_environment(|name| match name {
                "FLUISTER_NOTIFICATIONS_WEBHOOK_URL_FILE" => Some(path_text.clone()),
                "FLUISTER_NOTIFICATIONS_EMAIL_PASSWORD_FILE" => Some("/run/secrets/smtp".into()),
                _ => None,
            })
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(
            settings.notifications.webhook_url,
            "https://ntfy.example.nl/secret-team-name"
        );
        assert_eq!(
            settings.notifications.email_password_file,
            Some(PathBuf::from("/run/secrets/smtp"))
        );
        let error = Settings::default()
            .apply_environment(|name| {
                name.starts_with("FLUISTER_NOTIFICATIONS_WEBHOOK_URL")
                    .then(|| "https://x".to_owned())
            })
            .unwrap_err();
        assert!(error.0.contains("set only one"), "{error}");
    }

    #[test]
    fn the_postgres_url_comes_from_the_environment_or_a_file_and_is_never_printed() {
        let secret_url = "postgresql://fluister:hunter2@db.example.nl/fluister";
        let path = std::env::temp_dir().join(format!(
            "fluister-postgres-url-{}",
            crate::encoding::encode_hex(&crate::encoding::random_bytes::<8>())
        ));
        std::fs::write(&path, format!("{secret_url}\n")).unwrap();
        let path_text = path.to_str().unwrap().to_owned();
        let mut settings = Settings::default();
        settings
            .apply_environment(|name| match name {
                "FLUISTER_STORAGE_BACKEND" => Some("postgres".to_owned()),
                "FLUISTER_POSTGRES_URL_FILE" => Some(path_text.clone()),
                _ => None,
            })
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(settings.storage.postgres_url, secret_url);
        settings.validate().unwrap();
        assert!(!format!("{settings:?}").contains("hunter2"));
        let mut from_variable = Settings::default();
        from_variable
            .apply_environment(|name| {
                (name == "FLUISTER_POSTGRES_URL").then(|| secret_url.to_owned())
            })
            .unwrap();
        assert_eq!(from_variable.storage.postgres_url, secret_url);
        let error = Settings::default()
            .apply_environment(|name| {
                name.starts_with("FLUISTER_POSTGRES_URL")
                    .then(|| "postgresql://x".to_owned())
            })
            .unwrap_err();
        assert!(error.0.contains("set only one"), "{error}");
    }

    #[test]
    fn the_postgres_backend_needs_a_url() {
        let mut settings = Settings::default();
        settings.storage.backend = "postgres".to_owned();
        let error = settings.validate().unwrap_err();
        assert!(error.0.contains("storage.postgres_url"), "{error}");
    }

    #[test]
    fn environment_overrides_config() {
        let mut settings = Settings::default();
        settings
            .apply_environment(|name| match name {
                "FLUISTER_LISTEN" => Some("127.0.0.1:0".to_owned()),
                "FLUISTER_DATA_DIR" => Some("/tmp/elsewhere".to_owned()),
                _ => None,
            })
            .unwrap();
        assert_eq!(settings.server.listen, "127.0.0.1:0");
        assert_eq!(settings.storage.data_dir, PathBuf::from("/tmp/elsewhere"));
    }
}
