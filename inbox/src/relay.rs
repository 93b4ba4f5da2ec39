//! The connection to the relay (its address and the coordinator's token) and the relay's
//! coordinator API (`docs/api.md`): list, fetch and delete tips, and the checks `status` runs.

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::home::{InboxHome, permission_bits, replace_file};
use crate::msg;

/// Who wrote a mailbox message (the words the relay lists and stored file names use).
pub use fluister_protocol::MessageAuthor;
/// One message of a conversation, as `GET /api/v1/mailboxes/{id}/messages` lists it.
pub use fluister_protocol::bodies::MessageEntry as MailboxMessageOnRelay;
/// A tip waiting on the relay, as `GET /api/v1/tips` lists it.
pub use fluister_protocol::bodies::TipListEntry as WaitingTip;
use fluister_protocol::bodies::{
    Created, LogAppended, LogPage, MessageList, PublicConfig, TipList,
};
/// What the relay says about the load it is under (`GET /api/v1/status`): counts only, nothing
/// about a tip or a reporter.
pub use fluister_protocol::bodies::{
    DifficultyStatus, RefusedLastDay, RelayStatus, VerifiedSubmissions,
};
use fluister_protocol::ids::{MessageId, TipId};

/// Environment variable that overrides the relay address in the connection file.
pub const RELAY_URL_ENVIRONMENT_VARIABLE: &str = "FLUISTER_RELAY_URL";

/// Environment variable that overrides the coordinator token in the connection file.
pub const TOKEN_ENVIRONMENT_VARIABLE: &str = "FLUISTER_TOKEN";

/// The relay address and the coordinator's bearer token, as stored in `connection.json`.
#[derive(Clone, Serialize, Deserialize)]
pub struct Connection {
    /// The relay's base address, e.g. `https://tips.example.nl`, without a trailing slash.
    pub relay_url: String,
    /// The bearer token minted by `relay-server mint-token`. Secret.
    pub token: String,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Connection")
            .field("relay_url", &self.relay_url)
            .field("token", &"<redacted>")
            .finish()
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.token);
    }
}

/// Checks a relay address and returns it without a trailing slash.
pub fn normalise_relay_url(url: &str) -> Result<String> {
    let url = url.trim().trim_end_matches('/');
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return Err(Error::Usage(msg!("relay.address_scheme", address = url)));
    };
    // No user name or password before the host (`http://localhost:1@elsewhere`): the host is
    // what follows the `@`, so a check of what precedes it would be fooled.
    if rest.is_empty()
        || rest.contains(['/', '?', '#', ' ', '@', '\\'])
        || rest.chars().any(char::is_control)
    {
        return Err(Error::Usage(msg!("relay.address_path", address = url)));
    }
    // Plain http would send the coordinator's token, and the tips, readable to anyone on the
    // way; it is only for a relay on this computer.
    if url.starts_with("http://") && !is_loopback_authority(rest) {
        return Err(Error::Usage(msg!(
            "relay.address_http_not_local",
            address = url
        )));
    }
    Ok(url.to_owned())
}

/// Whether `authority` (`host` or `host:port`) names this computer: `localhost`, an address in
/// 127.0.0.0/8, or `[::1]`.
fn is_loopback_authority(authority: &str) -> bool {
    let host = if let Some(bracketed) = authority.strip_prefix('[') {
        match bracketed.split_once(']') {
            Some((host, rest)) if rest.is_empty() || rest.starts_with(':') => host,
            _ => return false,
        }
    } else {
        authority.split(':').next().unwrap_or("")
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(address) => address.is_loopback(),
        Err(_) => false,
    }
}

/// A string the relay sent, made safe to print: no control or bidirectional characters, and
/// not longer than `max_chars`.
fn from_relay(text: &str, max_chars: usize) -> String {
    crate::render::sanitise(text, false)
        .chars()
        .take(max_chars)
        .collect()
}

/// Whether `token` looks like a token: printable ASCII without spaces.
fn is_plausible_token(token: &str) -> bool {
    !token.is_empty() && token.len() <= 512 && token.bytes().all(|byte| byte.is_ascii_graphic())
}

impl Connection {
    /// Makes a checked connection from an address and a token.
    pub fn new(relay_url: &str, token: &str) -> Result<Self> {
        let token = token.trim();
        if !is_plausible_token(token) {
            return Err(Error::NotSetUp(msg!("relay.not_a_token")));
        }
        Ok(Self {
            relay_url: normalise_relay_url(relay_url)?,
            token: token.to_owned(),
        })
    }

    /// Stores the connection in the inbox folder, readable by the owner only.
    pub fn save(&self, home: &InboxHome) -> Result<()> {
        home.create_directories()?;
        let json =
            Zeroizing::new(serde_json::to_vec_pretty(self).expect("plain strings serialize"));
        replace_file(&home.connection_path(), &json)
    }

    /// The connection from the file, with `FLUISTER_RELAY_URL` and `FLUISTER_TOKEN` taking
    /// precedence. Fails with advice if neither gives both parts.
    pub fn load(home: &InboxHome) -> Result<Self> {
        let path = home.connection_path();
        let stored = match std::fs::read(&path) {
            Ok(bytes) => {
                let bytes = Zeroizing::new(bytes);
                Some(
                    serde_json::from_slice::<Connection>(&bytes).map_err(|source| {
                        Error::Unreadable {
                            message: msg!("relay.connection_damaged", file = path.display()),
                            source,
                        }
                    })?,
                )
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(error) => {
                return Err(Error::io(
                    msg!("io.cannot_read", file = path.display()),
                    error,
                ));
            }
        };
        let relay_url = std::env::var(RELAY_URL_ENVIRONMENT_VARIABLE)
            .ok()
            .or_else(|| {
                stored
                    .as_ref()
                    .map(|connection| connection.relay_url.clone())
            });
        let token = std::env::var(TOKEN_ENVIRONMENT_VARIABLE)
            .ok()
            .map(Zeroizing::new)
            .or_else(|| {
                stored
                    .as_ref()
                    .map(|connection| Zeroizing::new(connection.token.clone()))
            });
        match (relay_url, token) {
            (Some(relay_url), Some(token)) => Self::new(&relay_url, &token),
            _ => Err(Error::NotSetUp(msg!("relay.not_connected"))),
        }
    }

    /// Warns (as text) when the connection file can be read by others than its owner.
    pub fn file_permission_problem(path: &Path) -> Option<String> {
        let bits = permission_bits(path)?;
        (bits & 0o077 != 0).then(|| {
            msg!(
                "relay.connection_readable_by_others",
                file = path.display(),
                mode = format!("{bits:o}")
            )
        })
    }
}

/// Whether `id` is a relay tip id (32 lower-case hex digits). Anything else from the relay is
/// refused, so a broken or hostile relay cannot steer file names.
pub fn is_tip_id(id: &str) -> bool {
    TipId::parse(id).is_some()
}

/// A client for one relay's coordinator API. Cheap to clone; clones share connections.
#[derive(Clone)]
pub struct RelayClient {
    agent: ureq::Agent,
    relay_url: String,
    authorization: String,
    /// Whether the relay deletes many tips in one request (its API version says so), asked once.
    deletes_in_batches: std::sync::OnceLock<bool>,
}

impl std::fmt::Debug for RelayClient {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("RelayClient")
            .field("relay_url", &self.relay_url)
            .finish_non_exhaustive()
    }
}

impl Drop for RelayClient {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.authorization);
    }
}

impl RelayClient {
    /// A client for `connection`. Redirects are not followed, so the token only ever goes to
    /// the configured address.
    pub fn new(connection: &Connection) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            // Phase budgets only: a global or per-call budget would also cover name resolution,
            // for which ureq spawns a thread per request (measured: a third of a pull's time).
            // The operating system's resolver has its own time limits.
            .timeout_connect(Some(Duration::from_secs(15)))
            .timeout_send_request(Some(Duration::from_secs(30)))
            .timeout_recv_response(Some(Duration::from_secs(60)))
            .timeout_recv_body(Some(Duration::from_secs(120)))
            .max_idle_connections(64)
            .max_idle_connections_per_host(64)
            .user_agent("fluister-inbox")
            .build();
        Self {
            agent: config.into(),
            relay_url: connection.relay_url.clone(),
            authorization: format!("Bearer {}", connection.token),
            deletes_in_batches: std::sync::OnceLock::new(),
        }
    }

    /// The relay's address.
    pub fn relay_url(&self) -> &str {
        &self.relay_url
    }

    /// `GET path` with the coordinator token: the status and a body of at most `limit` bytes.
    fn coordinator_get(&self, path: &str, limit: u64) -> Result<(u16, Vec<u8>)> {
        let mut response = self
            .agent
            .get(format!("{}{path}", self.relay_url))
            .header("Authorization", &self.authorization)
            .call()
            .map_err(|error| self.unreachable(error))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(|error| self.unreachable(error))?;
        Ok((status, body))
    }

    fn unreachable(&self, error: ureq::Error) -> Error {
        Error::Relay(msg!(
            "relay.unreachable",
            address = self.relay_url,
            error = error
        ))
    }

    fn unexpected(&self, what: &str, status: u16, body: &[u8]) -> Error {
        if status == 401 {
            return Error::Relay(msg!("relay.token_refused", address = self.relay_url));
        }
        let message = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|json| {
                json["error"]["message"]
                    .as_str()
                    .map(|text| from_relay(text, 300))
            })
            .unwrap_or_default();
        Error::Relay(msg!(
            "relay.unexpected_answer",
            address = self.relay_url,
            status = status,
            what = what,
            message = message
        ))
    }

    /// `GET /healthz`: whether the relay answers at all.
    pub fn check_health(&self) -> Result<()> {
        let mut response = self
            .agent
            .get(format!("{}/healthz", self.relay_url))
            .call()
            .map_err(|error| self.unreachable(error))?;
        let status = response.status().as_u16();
        let body = response.body_mut().read_to_vec().unwrap_or_default();
        if status != 200 {
            return Err(self.unexpected(&msg!("relay.what.health"), status, &body));
        }
        Ok(())
    }

    /// `GET path` without the token (the widget's public files): the status and a body of at
    /// most `limit` bytes.
    pub fn public_get(&self, path: &str, limit: u64) -> Result<(u16, Vec<u8>)> {
        let mut response = self
            .agent
            .get(format!("{}{path}", self.relay_url))
            .call()
            .map_err(|error| self.unreachable(error))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(|error| self.unreachable(error))?;
        Ok((status, body))
    }

    /// `GET /api/v1/config`: the recipients the relay tells widgets to seal to.
    pub fn sealing_recipients(&self) -> Result<Vec<String>> {
        Ok(self.config()?.recipients)
    }

    /// `GET /api/v1/config`: what the relay tells widgets (recipients, region, municipalities).
    pub fn config(&self) -> Result<PublicConfig> {
        let mut response = self
            .agent
            .get(format!("{}/api/v1/config", self.relay_url))
            .call()
            .map_err(|error| self.unreachable(error))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .read_to_vec()
            .map_err(|error| self.unreachable(error))?;
        if status != 200 {
            return Err(self.unexpected(&msg!("relay.what.config"), status, &body));
        }
        let config: PublicConfig =
            serde_json::from_slice(&body).map_err(|source| Error::Unreadable {
                message: msg!("relay.config_unreadable"),
                source,
            })?;
        // The recipients are printed (`status`) and compared; a relay's strings are cleaned first.
        let mut config = config;
        // Long enough for a hybrid post-quantum key (`age1pq1…`, 1,959 characters): cut shorter,
        // such a key would never match the coordinator's own.
        for recipient in &mut config.recipients {
            *recipient = from_relay(recipient, fluister_envelope::tip::MAX_RECIPIENT_CHARS);
        }
        Ok(config)
    }

    /// `GET /api/v1/tips`: the tips waiting, oldest hour first.
    pub fn list_waiting_tips(&self) -> Result<Vec<WaitingTip>> {
        let (status, body) = self.coordinator_get("/api/v1/tips", 256 * 1024 * 1024)?;
        if status != 200 {
            return Err(self.unexpected(&msg!("relay.what.tip_list"), status, &body));
        }
        // A malformed id fails here: a broken or hostile relay cannot steer file names.
        let list: TipList = serde_json::from_slice(&body).map_err(|source| Error::Unreadable {
            message: msg!("relay.tip_list_unreadable"),
            source,
        })?;
        Ok(list.tips)
    }

    /// `GET /api/v1/status`: the load the relay is under. `Ok(None)` if the relay is older and
    /// does not have this route (404).
    pub fn relay_status(&self) -> Result<Option<RelayStatus>> {
        let (status, body) = self.coordinator_get("/api/v1/status", 64 * 1024)?;
        match status {
            200 => {}
            404 => return Ok(None),
            _ => return Err(self.unexpected(&msg!("relay.what.status"), status, &body)),
        }
        let relay_status = serde_json::from_slice(&body).map_err(|source| Error::Unreadable {
            message: msg!("relay.status_unreadable"),
            source,
        })?;
        Ok(Some(relay_status))
    }

    /// `GET /api/v1/tips/{id}`: the sealed file. `Ok(None)` if the relay no longer has it.
    pub fn fetch_tip(&self, tip_id: &TipId) -> Result<Option<Vec<u8>>> {
        let (status, body) =
            self.coordinator_get(&format!("/api/v1/tips/{tip_id}"), 16 * 1024 * 1024)?;
        match status {
            200 => Ok(Some(body)),
            404 => Ok(None),
            _ => Err(self.unexpected(&msg!("relay.what.tip_download"), status, &body)),
        }
    }

    /// `POST /api/v1/tips/delete`: deletes `tip_ids` in requests of up to
    /// `MAX_TIPS_PER_DELETION` each. A tip that is already gone counts as deleted. A relay from
    /// before that route (its configuration states an older API version, or it answers 404 or
    /// 405) gets one `DELETE` per tip instead.
    pub fn delete_tips(&self, tip_ids: &[TipId]) -> Result<()> {
        let in_batches = *self.deletes_in_batches.get_or_init(|| {
            self.config().is_ok_and(|config| {
                config.api_version >= fluister_protocol::bodies::API_VERSION_WITH_TIP_DELETION
            })
        });
        if !in_batches {
            for tip_id in tip_ids {
                self.delete_tip(tip_id)?;
            }
            return Ok(());
        }
        for chunk in tip_ids.chunks(fluister_protocol::bodies::MAX_TIPS_PER_DELETION) {
            let body = serde_json::to_vec(&fluister_protocol::bodies::TipDeletion {
                ids: chunk.to_vec(),
            })
            .expect("a list of ids serialises");
            let mut response = self
                .agent
                .post(format!("{}/api/v1/tips/delete", self.relay_url))
                .header("Authorization", &self.authorization)
                .header("Content-Type", "application/json")
                .send(&body[..])
                .map_err(|error| self.unreachable(error))?;
            let status = response.status().as_u16();
            let answer = response
                .body_mut()
                .with_config()
                .limit(64 * 1024)
                .read_to_vec()
                .unwrap_or_default();
            match status {
                200 => {}
                404 | 405 => {
                    for tip_id in chunk {
                        self.delete_tip(tip_id)?;
                    }
                }
                _ => return Err(self.unexpected(&msg!("relay.what.tip_delete"), status, &answer)),
            }
        }
        Ok(())
    }

    /// `DELETE /api/v1/tips/{id}`. A tip that is already gone counts as deleted.
    pub fn delete_tip(&self, tip_id: &TipId) -> Result<()> {
        let mut response = self
            .agent
            .delete(format!("{}/api/v1/tips/{tip_id}", self.relay_url))
            .header("Authorization", &self.authorization)
            .call()
            .map_err(|error| self.unreachable(error))?;
        let status = response.status().as_u16();
        let body = response.body_mut().read_to_vec().unwrap_or_default();
        match status {
            200 | 204 | 404 => Ok(()),
            _ => Err(self.unexpected(&msg!("relay.what.tip_delete"), status, &body)),
        }
    }
}

impl RelayClient {
    /// `POST /api/v1/log`: appends a sealed team log entry, returning its place. The same bytes
    /// sent again get the place they have, so a retry never doubles an entry.
    pub fn append_log_entry(&self, sealed: &[u8]) -> Result<u64> {
        let mut response = self
            .agent
            .post(format!("{}/api/v1/log", self.relay_url))
            .header("Authorization", &self.authorization)
            .header("Content-Type", "application/octet-stream")
            .send(sealed)
            .map_err(|error| self.unreachable(error))?;
        let status = response.status().as_u16();
        let body = response.body_mut().read_to_vec().unwrap_or_default();
        match status {
            200 | 201 => serde_json::from_slice::<LogAppended>(&body)
                .map(|appended| appended.sequence)
                .map_err(|source| Error::Unreadable {
                    message: msg!("relay.log_unreadable"),
                    source,
                }),
            _ => Err(self.unexpected(&msg!("relay.what.log_append"), status, &body)),
        }
    }

    /// `GET /api/v1/log?after=N`: one page of team log entries after place `after`.
    pub fn log_page(&self, after: u64) -> Result<LogPage> {
        let (status, body) =
            self.coordinator_get(&format!("/api/v1/log?after={after}"), 64 * 1024 * 1024)?;
        if status != 200 {
            return Err(self.unexpected(&msg!("relay.what.log_read"), status, &body));
        }
        serde_json::from_slice(&body).map_err(|source| Error::Unreadable {
            message: msg!("relay.log_unreadable"),
            source,
        })
    }
}

/// A file of the widget as the relay served it (`fluister-inbox verify-widget`).
#[derive(Debug)]
pub struct ServedFile {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Encoding` the relay answered with, if any (lower case).
    pub content_encoding: Option<String>,
    /// The body as sent, at most the limit asked for plus one byte.
    pub body: Vec<u8>,
}

impl RelayClient {
    /// `GET path` (a file of the widget, as a browser asks for it: no token), accepting brotli
    /// or only the plain bytes. The body is read up to `limit` bytes and one more, so a longer
    /// answer shows as longer without being read whole.
    pub fn widget_file(&self, path: &str, accept_brotli: bool, limit: u64) -> Result<ServedFile> {
        let mut response = self
            .agent
            .get(format!("{}{path}", self.relay_url))
            .header(
                "Accept-Encoding",
                if accept_brotli { "br" } else { "identity" },
            )
            .call()
            .map_err(|error| self.unreachable(error))?;
        let status = response.status().as_u16();
        let content_encoding = response
            .headers()
            .get("content-encoding")
            .map(|value| from_relay(&String::from_utf8_lossy(value.as_bytes()), 40).to_lowercase());
        let mut body = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(response.body_mut().as_reader(), limit.saturating_add(1)),
            &mut body,
        )
        .map_err(|error| {
            Error::Relay(msg!(
                "relay.unreachable",
                address = self.relay_url,
                error = error
            ))
        })?;
        Ok(ServedFile {
            status,
            content_encoding,
            body,
        })
    }
}

/// Whether `id` is a relay message id (32 lower-case hex digits, like a tip id).
pub fn is_message_id(id: &str) -> bool {
    MessageId::parse(id).is_some()
}

/// Why posting a reply did not work, where the command needs to tell the cases apart.
#[derive(Debug)]
pub enum ReplyFailure {
    /// The relay has no such mailbox: it expired, was closed, or was never opened.
    MailboxNotFound,
    /// Anything else, with advice for the coordinator.
    Other(Error),
}

/// How often a reply is sent again, with the same submission key, after a network failure.
const REPLY_ATTEMPTS: u32 = 4;

impl RelayClient {
    /// `GET /api/v1/mailboxes/{id}/messages` as the coordinator: the whole conversation, oldest
    /// first. `Ok(None)` if the mailbox is gone (expired or closed) or was never opened.
    pub fn mailbox_messages(&self, mailbox_id: &str) -> Result<Option<Vec<MailboxMessageOnRelay>>> {
        let (status, body) = self.coordinator_get(
            &format!("/api/v1/mailboxes/{mailbox_id}/messages"),
            256 * 1024 * 1024,
        )?;
        match status {
            200 => {}
            404 => return Ok(None),
            _ => return Err(self.unexpected(&msg!("relay.what.conversation"), status, &body)),
        }
        // A malformed id or ciphertext fails here: a broken or hostile relay cannot steer file
        // names.
        let list: MessageList =
            serde_json::from_slice(&body).map_err(|source| Error::Unreadable {
                message: msg!("relay.conversation_unreadable"),
                source,
            })?;
        Ok(Some(list.messages))
    }

    /// `POST /api/v1/mailboxes/{id}/messages` as the coordinator, returning the relay's message
    /// id. A network failure is retried with the same `submission_key`, so the relay stores the
    /// message once however often it is sent.
    pub fn post_mailbox_message(
        &self,
        mailbox_id: &str,
        sealed: &[u8],
        submission_key: &str,
    ) -> Result<MessageId, ReplyFailure> {
        let mut attempt = 0;
        let mut response = loop {
            attempt += 1;
            let outcome = self
                .agent
                .post(format!(
                    "{}/api/v1/mailboxes/{mailbox_id}/messages",
                    self.relay_url
                ))
                .header("Authorization", &self.authorization)
                .header("Content-Type", "application/octet-stream")
                .header(fluister_protocol::headers::SUBMISSION_KEY, submission_key)
                .send(sealed);
            match outcome {
                Ok(response) => break response,
                Err(error) if attempt >= REPLY_ATTEMPTS => {
                    return Err(ReplyFailure::Other(self.unreachable(error)));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(500 * u64::from(attempt))),
            }
        };
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .read_to_vec()
            .map_err(|error| ReplyFailure::Other(self.unreachable(error)))?;
        match status {
            200 | 201 => {
                let created: Created<MessageId> = serde_json::from_slice(&body).map_err(|_| {
                    ReplyFailure::Other(Error::Relay(msg!("relay.reply_answer_unreadable")))
                })?;
                Ok(created.id)
            }
            404 => Err(ReplyFailure::MailboxNotFound),
            _ => Err(ReplyFailure::Other(self.unexpected(
                &msg!("relay.what.reply"),
                status,
                &body,
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_only_for_a_relay_on_this_computer() {
        for local in [
            "http://127.0.0.1:8787",
            "http://127.0.0.2",
            "http://localhost:8080/",
            "http://[::1]:8787",
        ] {
            assert!(normalise_relay_url(local).is_ok(), "{local}");
        }
        assert_eq!(
            normalise_relay_url("https://tips.example.nl/").unwrap(),
            "https://tips.example.nl"
        );
        for remote in [
            "http://tips.example.nl",
            "http://127.0.0.1.evil.example",
            "http://localhost.evil.example:80",
            "http://[::1].evil.example",
            "http://[::2]:80",
            "http://10.0.0.1",
            "http://localhost:1@192.0.2.2:19001",
            "https://127.0.0.1@tips.example.nl",
            "http://127.0.0.1\\@192.0.2.2",
            "http://127.0.0.1\t.evil.example",
        ] {
            assert!(
                matches!(normalise_relay_url(remote), Err(Error::Usage(_))),
                "{remote}"
            );
        }
    }

    #[test]
    fn what_a_relay_says_is_cleaned_before_it_is_printed() {
        let cleaned = from_relay("bad\u{1b}[2J\u{202e}token\nmore", 300);
        assert!(!cleaned.contains('\u{1b}') && !cleaned.contains('\u{202e}'));
        assert!(!cleaned.contains('\n'));
        assert_eq!(from_relay(&"x".repeat(1000), 300).chars().count(), 300);
    }

    #[test]
    fn relay_status_is_read_and_unknown_fields_are_ignored() {
        let body = r#"{"difficulty": {"current": 320, "base": 160, "maximum": 16384, "next": 1},
            "verified_submissions": {"in_window": 45, "baseline": 30, "window_seconds": 3600},
            "refused_last_day": {"rate_limited": 10, "overloaded": 0, "storage_full": 0,
                "storage_busy": 2, "request_timeout": 0, "something_new": 7},
            "version": "2"}"#;
        let status: RelayStatus = serde_json::from_str(body).unwrap();
        assert!(status.difficulty.is_raised());
        assert_eq!(status.verified_submissions.in_window, 45);
        assert_eq!(status.refused_last_day.total(), 12);
        assert_eq!(status.refused_last_day.by_code()[3], ("storage_busy", 2));
    }
}
