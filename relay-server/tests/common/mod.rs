//! Shared helpers for the integration tests: start the real `relay-server` binary on a port the
//! OS picks, talk raw HTTP/1.1 to it over 127.0.0.1, and make sealed tips with the envelope crate.
//!
//! The HTTP client is hand-written on purpose: the tests need to send what no well-behaved client
//! sends (partial heads, slow bodies, oversized headers), and it keeps the dependency tree small.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fluister_envelope::age::{Identity, Recipient, seal};
use fluister_envelope::pow;
use fluister_envelope::receipt::{MailboxKeys, ReceiptCode};
use fluister_relay::encoding::{decode_base64url, encode_base64url, encode_hex, random_bytes};
use sha2::{Digest, Sha256};

/// The longest any single socket read or write may block, so a broken test fails instead of
/// hanging. No test asserts on durations.
pub const SOCKET_SAFETY_TIMEOUT: Duration = Duration::from_secs(60);

/// A coordinator token valid for every relay the tests start.
pub const COORDINATOR_TOKEN: &str = "fluister-coordinator-test-token-0123456789abcdefghijklmnopqrs";

/// A second valid coordinator token, to show that several are accepted.
pub const SECOND_COORDINATOR_TOKEN: &str =
    "fluister-coordinator-second-token-zyxwvutsrqponmlkjihgfedcba";

/// The hex SHA-256 of a token, as the config stores it.
pub fn token_hash(token: &str) -> String {
    encode_hex(&Sha256::digest(token.as_bytes()))
}

/// A fresh temporary directory, removed when the relay using it is dropped.
pub fn temporary_directory(name: &str) -> PathBuf {
    let directory = std::env::temp_dir().join(format!(
        "fluister-relay-test-{name}-{}",
        encode_hex(&random_bytes::<8>())
    ));
    std::fs::create_dir_all(&directory).expect("create temporary directory");
    directory
}

/// A running relay process and its data directory.
pub struct Relay {
    pub address: SocketAddr,
    pub directory: PathBuf,
    pub config_path: PathBuf,
    pub log_path: PathBuf,
    child: Option<Child>,
    runs: u32,
}

/// The base config every test relay uses; `extra` is TOML appended after it (its sections must
/// not repeat these).
pub fn base_config(directory: &Path, extra_server: &str, extra: &str) -> String {
    format!(
        "[server]\nlisten = \"127.0.0.1:0\"\nlog_level = \"debug\"\n{extra_server}\n\
         [storage]\ndata_dir = \"{}\"\n\n\
         [coordinator]\ntoken_sha256 = [\"{}\", \"{}\"]\n\n{extra}\n",
        directory.join("data").display(),
        token_hash(COORDINATOR_TOKEN),
        token_hash(SECOND_COORDINATOR_TOKEN),
    )
}

impl Relay {
    /// Starts a relay with the base config plus `extra` sections. Proof of work is off
    /// (difficulty 0) unless `extra` has a `[proof_of_work]` section.
    pub fn start(name: &str, extra: &str) -> Relay {
        Self::start_with(name, "", extra)
    }

    /// Starts a relay with extra `[server]` lines and extra sections.
    pub fn start_with(name: &str, extra_server: &str, extra: &str) -> Relay {
        Self::start_edited(name, extra_server, extra, |config| config)
    }

    /// Starts a relay whose base config (with `extra_server` and `extra`) is then changed by
    /// `edit`, for fields in sections the base config already opens (`[storage]`,
    /// `[coordinator]`).
    pub fn start_edited(
        name: &str,
        extra_server: &str,
        extra: &str,
        edit: impl FnOnce(String) -> String,
    ) -> Relay {
        let directory = temporary_directory(name);
        let extra = if extra.contains("[proof_of_work]") {
            extra.to_owned()
        } else {
            format!("{extra}\n[proof_of_work]\ndifficulty = 0\n")
        };
        let config = edit(base_config(&directory, extra_server, &extra));
        let config_path = directory.join("relay.toml");
        std::fs::write(&config_path, config).expect("write config");
        let mut relay = Relay {
            address: "127.0.0.1:1".parse().unwrap(),
            log_path: directory.join("relay.log"),
            directory,
            config_path,
            child: None,
            runs: 0,
        };
        relay.launch();
        relay
    }

    /// Starts the process (again) with the same config and data directory.
    pub fn launch(&mut self) {
        assert!(self.child.is_none(), "relay already running");
        self.runs += 1;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .expect("open log file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_relay-server"))
            .arg("--config")
            .arg(&self.config_path)
            .env_remove("FLUISTER_LISTEN")
            .env_remove("FLUISTER_DATA_DIR")
            .env_remove("FLUISTER_CONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start relay-server");
        let stdout = child.stdout.take().expect("relay stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read relay stdout");
        let Some(address) = line.trim().strip_prefix("listening on http://") else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "relay did not start; its log:\n{}",
                std::fs::read_to_string(&self.log_path).unwrap_or_default()
            );
        };
        self.address = address.parse().expect("bound address");
        self.child = Some(child);
    }

    /// Kills the process with SIGKILL: no shutdown code runs.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL the relay");
            child.wait().expect("reap the relay");
        }
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        match &mut self.child {
            Some(child) => child.try_wait().expect("poll relay").is_none(),
            None => false,
        }
    }

    /// The relay's log output so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// The SQLite database file.
    pub fn database_path(&self) -> PathBuf {
        self.directory.join("data").join("relay.sqlite3")
    }

    /// Sends a request on a fresh connection and reads the whole response.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        request(self.address, method, path, headers, body)
    }

    /// `GET` with the coordinator token.
    pub fn coordinator_get(&self, path: &str) -> Response {
        self.request(
            "GET",
            path,
            &[("Authorization", &format!("Bearer {COORDINATOR_TOKEN}"))],
            b"",
        )
    }

    /// The ids of all stored tips, via the coordinator API.
    pub fn stored_tip_ids(&self) -> Vec<String> {
        let response = self.coordinator_get("/api/v1/tips");
        assert_eq!(response.status, 200, "{}", response.text());
        let list: serde_json::Value = response.json();
        list["tips"]
            .as_array()
            .expect("tips array")
            .iter()
            .map(|tip| tip["id"].as_str().expect("tip id").to_owned())
            .collect()
    }

    /// Rows in the tips and submissions tables, read straight from the database file.
    pub fn database_row_counts(&self) -> (i64, i64) {
        let connection = rusqlite::Connection::open_with_flags(
            self.database_path(),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .expect("open database");
        let tips = connection
            .query_row("SELECT COUNT(*) FROM tips", [], |row| row.get(0))
            .expect("count tips");
        let submissions = connection
            .query_row("SELECT COUNT(*) FROM submissions", [], |row| row.get(0))
            .expect("count submissions");
        (tips, submissions)
    }

    /// Asserts that the relay still answers.
    pub fn assert_serving(&self) {
        let response = self.request("GET", "/healthz", &[], b"");
        assert_eq!(
            response.status,
            200,
            "relay stopped serving: {}",
            response.text()
        );
    }

    /// Fetches a challenge.
    pub fn challenge(&self) -> pow::Challenge {
        let response = self.request("POST", "/api/v1/challenges", &[], b"");
        assert_eq!(response.status, 201, "{}", response.text());
        let json: serde_json::Value = response.json();
        pow::Challenge {
            seed: decode_base64url(json["seed"].as_str().expect("seed")).expect("seed bytes"),
            difficulty: u32::try_from(json["difficulty"].as_u64().expect("difficulty")).unwrap(),
            memory_kib: u32::try_from(json["memory_kib"].as_u64().expect("memory")).unwrap(),
        }
    }

    /// Submits a tip with a fresh challenge, solved honestly.
    pub fn submit(&self, body: &[u8], submission_key: &[u8; 32]) -> Response {
        let challenge = self.challenge();
        let solution = pow::solve(&challenge, &pow::ciphertext_sha256(body)).expect("solve");
        self.submit_with(body, submission_key, &challenge.seed, solution.nonce)
    }

    /// Submits a tip with the given challenge seed and nonce.
    pub fn submit_with(
        &self,
        body: &[u8],
        submission_key: &[u8; 32],
        seed: &[u8; 32],
        nonce: u32,
    ) -> Response {
        self.request(
            "POST",
            "/api/v1/tips",
            &[
                ("Content-Type", "application/octet-stream"),
                ("Fluister-Submission-Key", &encode_base64url(submission_key)),
                ("Fluister-Challenge", &encode_base64url(seed)),
                ("Fluister-Nonce", &nonce.to_string()),
            ],
            body,
        )
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.kill();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.directory);
        } else {
            eprintln!("relay log kept in {}", self.log_path.display());
        }
    }
}

/// A parsed HTTP response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header_name, _)| header_name.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("body is not JSON ({error}): {}", self.text()))
    }

    /// The stable error code of a JSON error body.
    pub fn error_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code in {}", self.text()))
            .to_owned()
    }
}

/// Opens a connection with safety timeouts.
pub fn connect(address: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(address).expect("connect to relay");
    stream
        .set_read_timeout(Some(SOCKET_SAFETY_TIMEOUT))
        .unwrap();
    stream
        .set_write_timeout(Some(SOCKET_SAFETY_TIMEOUT))
        .unwrap();
    stream
}

/// Writes a request head (with `Connection: close` and a `Host`) and body.
pub fn write_request(
    stream: &mut TcpStream,
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    let mut has_length = false;
    for (name, value) in headers {
        if name.eq_ignore_ascii_case("content-length")
            || name.eq_ignore_ascii_case("transfer-encoding")
        {
            has_length = true;
        }
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !has_length && (!body.is_empty() || method == "POST") {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("write head");
    // The relay may answer (413, 400, ...) and close before reading the whole body.
    let _ = stream.write_all(body);
}

/// Sends one request on a fresh connection and reads the response to the end.
pub fn request(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let mut stream = connect(address);
    write_request(&mut stream, address, method, path, headers, body);
    read_response(&mut stream)
}

/// Reads a whole response (the server closes the connection after it).
pub fn read_response(stream: &mut TcpStream) -> Response {
    let mut raw = Vec::new();
    match stream.read_to_end(&mut raw) {
        Ok(_) => {}
        // A reset after the response was written still leaves the response readable.
        Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset && !raw.is_empty() => {}
        Err(error) => panic!("reading the response failed: {error}"),
    }
    parse_response(&raw)
        .unwrap_or_else(|| panic!("malformed response: {:?}", String::from_utf8_lossy(&raw)))
}

/// Parses a complete HTTP/1.1 response, decoding a chunked body.
pub fn parse_response(raw: &[u8]) -> Option<Response> {
    let head_end = raw.windows(4).position(|window| window == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..head_end]).ok()?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let status: u16 = status_line.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            Some((name.trim().to_owned(), value.trim().to_owned()))
        })
        .collect();
    let mut body = raw[head_end + 4..].to_vec();
    let chunked = headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("transfer-encoding") && value.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = decode_chunked(&body)?;
    } else if let Some((_, length)) = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
    {
        let length: usize = length.parse().ok()?;
        body.truncate(length);
    }
    Some(Response {
        status,
        headers,
        body,
    })
}

fn decode_chunked(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = data.windows(2).position(|window| window == b"\r\n")?;
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..line_end]).ok()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

/// A coordinator identity and its recipient, for sealing test tips.
pub fn coordinator_keys() -> (Identity, Recipient) {
    let identity = Identity::generate().expect("generate identity");
    let recipient = identity.to_recipient();
    (identity, recipient)
}

/// Seals `plaintext_length` bytes of varied text to `recipient`.
pub fn sealed_tip(recipient: &Recipient, plaintext_length: usize, marker: u64) -> Vec<u8> {
    let mut plaintext = format!("{{\"v\":1,\"text\":\"test tip {marker}\"}}").into_bytes();
    plaintext.resize(plaintext_length.max(plaintext.len()), b' ');
    seal(&[*recipient], &plaintext).expect("seal")
}

/// A random submission key.
pub fn submission_key() -> [u8; 32] {
    random_bytes()
}

/// Fresh keys from a fresh receipt code, as the widget derives them.
pub fn mailbox_keys() -> MailboxKeys {
    ReceiptCode::generate().unwrap().derive_keys().unwrap()
}

/// The body of `POST /api/v1/mailboxes` for these keys: the id and the token's hash.
pub fn registration_body(keys: &MailboxKeys) -> Vec<u8> {
    format!(
        r#"{{"id":"{}","token_sha256":"{}"}}"#,
        keys.mailbox_id.as_str(),
        encode_hex(&keys.mailbox_token.storage_hash())
    )
    .into_bytes()
}

/// Registers with an honestly solved proof of work over the body.
pub fn register(relay: &Relay, body: &[u8]) -> Response {
    let challenge = relay.challenge();
    let solution = pow::solve(&challenge, &pow::ciphertext_sha256(body)).unwrap();
    relay.request(
        "POST",
        "/api/v1/mailboxes",
        &[
            ("Content-Type", "application/json"),
            ("Fluister-Challenge", &encode_base64url(&challenge.seed)),
            ("Fluister-Nonce", &solution.nonce.to_string()),
        ],
        body,
    )
}
