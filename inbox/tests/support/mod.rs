//! Shared by the inbox's tests and benchmark: start the real `relay-server` binary on 127.0.0.1
//! with a token it minted itself and the coordinator's recipient, send tips through its real
//! HTTP API (challenge, proof of work, submit), and run the real `fluister-inbox` binary.

#![allow(dead_code)]

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use fluister_envelope::age::{Recipient, seal};
use fluister_envelope::pow;
use fluister_envelope::receipt::MailboxKeys;
use fluister_envelope::tip::TipDocument;
use fluister_protocol::codec::{decode_base64url_vec, encode_base64url};

/// The passphrase every test inbox uses.
pub const PASSPHRASE: &str = "purple elephants dance quietly";

/// A fresh, empty temporary directory for one test.
pub fn temporary_directory(name: &str) -> PathBuf {
    temporary_directory_in(&std::env::temp_dir(), name)
}

/// A fresh, empty directory inside `parent` (e.g. a tmpfs for the benchmark).
pub fn temporary_directory_in(parent: &Path, name: &str) -> PathBuf {
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).expect("random bytes");
    let suffix: String = random.iter().map(|byte| format!("{byte:02x}")).collect();
    let directory = parent.join(format!("fluister-inbox-test-{name}-{suffix}"));
    std::fs::create_dir_all(&directory).expect("create temporary directory");
    directory
}

/// The `relay-server` binary of the same build profile as this test. `cargo nextest run
/// --workspace` and `cargo build` put it next to the test's `deps/` folder; when it is missing
/// (e.g. `cargo test -p fluister-inbox`), it is built with the cargo that runs this test.
pub fn relay_server_binary() -> PathBuf {
    let test_binary = std::env::current_exe().expect("path of the test binary");
    let profile_directory = test_binary
        .parent()
        .and_then(Path::parent)
        .expect("test binaries live in <target>/<profile>/deps/");
    let binary = profile_directory.join(format!("relay-server{}", std::env::consts::EXE_SUFFIX));
    if !binary.exists() {
        let target_directory = profile_directory.parent().expect("<target>/<profile>");
        let profile = match profile_directory.file_name().and_then(|name| name.to_str()) {
            Some("debug") => "dev",
            Some(other) => other,
            None => "dev",
        };
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let status = Command::new(cargo)
            .args([
                "build",
                "--package",
                "relay-server",
                "--bin",
                "relay-server",
                "--profile",
                profile,
            ])
            .env("CARGO_TARGET_DIR", target_directory)
            .status()
            .expect("run cargo build for relay-server");
        assert!(status.success(), "building relay-server failed");
    }
    assert!(
        binary.exists(),
        "relay-server binary not found at {}; build it with `cargo build -p relay-server`",
        binary.display()
    );
    binary
}

/// A coordinator token minted by the real `relay-server mint-token`, and its hash line.
pub fn mint_token() -> (String, String) {
    let output = Command::new(relay_server_binary())
        .arg("mint-token")
        .output()
        .expect("run relay-server mint-token");
    assert!(output.status.success(), "mint-token failed");
    let text = String::from_utf8(output.stdout).expect("utf-8");
    let token = text
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("fluister-coordinator-"))
        .expect("token line")
        .to_owned();
    let hash = text
        .lines()
        .map(str::trim)
        .find_map(|line| line.strip_prefix("token_sha256 = [\""))
        .and_then(|rest| rest.strip_suffix("\"]"))
        .expect("hash line")
        .to_owned();
    (token, hash)
}

/// Relay settings a test changes from [`Relay::start`]'s; `None` keeps the relay's default.
#[derive(Clone, Debug, Default)]
pub struct RelayOptions {
    /// `limits.max_tip_bytes`.
    pub max_tip_bytes: Option<u64>,
    /// `storage.max_stored_bytes`: the quota whose 507 the quarantine frees.
    pub max_stored_bytes: Option<u64>,
    /// `proof_of_work.difficulty`; 0 (any nonce) unless set.
    pub proof_of_work_difficulty: Option<u32>,
    /// `proof_of_work.flood_baseline`: verified submissions per window before the difficulty
    /// rises.
    pub flood_baseline: Option<u64>,
}

/// A running relay.
pub struct Relay {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The coordinator token it accepts.
    pub token: String,
    directory: PathBuf,
    config_path: PathBuf,
    child: Option<Child>,
    agent: ureq::Agent,
}

impl Relay {
    /// Starts a relay that tells widgets to seal to `recipients`, with proof of work off and a
    /// submission rate high enough for the benchmark.
    pub fn start(name: &str, recipients: &[String]) -> Relay {
        Self::start_with(name, recipients, &RelayOptions::default())
    }

    /// [`Relay::start`] with some settings changed.
    pub fn start_with(name: &str, recipients: &[String], options: &RelayOptions) -> Relay {
        let directory = temporary_directory(&format!("relay-{name}"));
        let (token, token_hash) = mint_token();
        let recipients_toml: Vec<String> = recipients
            .iter()
            .map(|recipient| format!("\"{recipient}\""))
            .collect();
        let line = |key: &str, value: Option<String>| {
            value.map_or_else(String::new, |value| format!("{key} = {value}\n"))
        };
        let config = format!(
            "[server]\nlisten = \"127.0.0.1:0\"\nlog_level = \"warn\"\n\n\
             [storage]\ndata_dir = \"{}\"\n{}\n\
             [limits]\nsubmissions_per_second = 1000000.0\nsubmission_burst = 1000000\n\
             max_concurrent_requests = 1024\n{}\n\
             [proof_of_work]\ndifficulty = {}\n{}\n\
             [coordinator]\nrecipients = [{}]\ntoken_sha256 = [\"{token_hash}\"]\n",
            directory.join("data").display(),
            line(
                "max_stored_bytes",
                options.max_stored_bytes.map(|bytes| bytes.to_string())
            ),
            line(
                "max_tip_bytes",
                options.max_tip_bytes.map(|bytes| bytes.to_string())
            ),
            options.proof_of_work_difficulty.unwrap_or(0),
            line(
                "flood_baseline",
                options.flood_baseline.map(|count| count.to_string())
            ),
            recipients_toml.join(", ")
        );
        let config_path = directory.join("relay.toml");
        std::fs::write(&config_path, config).expect("write relay config");
        let mut relay = Relay {
            url: String::new(),
            token,
            directory,
            config_path,
            child: None,
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into(),
        };
        relay.launch();
        relay
    }

    /// Starts (or restarts) the process and waits for its `listening on` line.
    pub fn launch(&mut self) {
        let log = std::fs::File::create(self.directory.join("relay.log")).expect("log file");
        let mut child = Command::new(relay_server_binary())
            .arg("--config")
            .arg(&self.config_path)
            .env_remove("FLUISTER_LISTEN")
            .env_remove("FLUISTER_DATA_DIR")
            .env_remove("FLUISTER_CONFIG")
            .env_remove("FLUISTER_POW_DIFFICULTY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start relay-server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read relay stdout");
        let Some(address) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            panic!(
                "relay did not start: {}",
                std::fs::read_to_string(self.directory.join("relay.log")).unwrap_or_default()
            );
        };
        self.url = address.to_owned();
        self.child = Some(child);
    }

    /// Stops the process (SIGKILL), keeping its data.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Submits one sealed tip the way the widget does: a challenge, its solution, the POST.
    /// Panics unless the relay stores it (201); returns its id.
    pub fn submit(&self, sealed: &[u8]) -> String {
        let (status, body) = self.try_submit(sealed);
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    /// Submits one sealed tip the way [`Relay::submit`] does and returns the relay's status
    /// and JSON answer, whatever they are.
    pub fn try_submit(&self, sealed: &[u8]) -> (u16, serde_json::Value) {
        let (seed, nonce) = self.solved_challenge(sealed);
        let mut submission_key = [0u8; 32];
        getrandom::fill(&mut submission_key).unwrap();
        let mut response = self
            .agent
            .post(format!("{}/api/v1/tips", self.url))
            .header("Content-Type", "application/octet-stream")
            .header("Fluister-Submission-Key", encode_base64url(&submission_key))
            .header("Fluister-Challenge", seed)
            .header("Fluister-Nonce", nonce)
            .send(sealed)
            .expect("submit tip");
        let status = response.status().as_u16();
        let body: serde_json::Value =
            serde_json::from_slice(&response.body_mut().read_to_vec().unwrap()).unwrap();
        (status, body)
    }

    /// Seals `document` with our envelope to `recipient` and submits it.
    pub fn submit_document(&self, recipient: &Recipient, document: &TipDocument) -> String {
        let sealed = seal(&[*recipient], &document.to_padded_bytes().unwrap()).unwrap();
        self.submit(&sealed)
    }

    /// A fresh challenge solved for `body`: the `Fluister-Challenge` and `Fluister-Nonce`
    /// header values.
    fn solved_challenge(&self, body: &[u8]) -> (String, String) {
        let mut response = self
            .agent
            .post(format!("{}/api/v1/challenges", self.url))
            .send_empty()
            .expect("challenge request");
        assert_eq!(response.status().as_u16(), 201);
        let challenge_json: serde_json::Value =
            serde_json::from_slice(&response.body_mut().read_to_vec().unwrap()).unwrap();
        let challenge: pow::Challenge = serde_json::from_value(challenge_json.clone()).unwrap();
        let solution = pow::solve(&challenge, &pow::ciphertext_sha256(body)).expect("solve");
        (
            challenge_json["seed"].as_str().unwrap().to_owned(),
            solution.nonce.to_string(),
        )
    }

    /// Opens the reporter's mailbox the way the widget does, in a request of its own: JSON with
    /// the id and the token's hash, paid for with a proof of work over the body. Returns the
    /// status.
    pub fn register_mailbox(&self, keys: &MailboxKeys) -> u16 {
        let token_hash: String = keys
            .mailbox_token
            .storage_hash()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        let body = format!(
            r#"{{"id":"{}","token_sha256":"{token_hash}"}}"#,
            keys.mailbox_id.as_str()
        );
        let (seed, nonce) = self.solved_challenge(body.as_bytes());
        self.agent
            .post(format!("{}/api/v1/mailboxes", self.url))
            .header("Content-Type", "application/json")
            .header("Fluister-Challenge", &seed)
            .header("Fluister-Nonce", &nonce)
            .send(body.as_bytes())
            .expect("register mailbox")
            .status()
            .as_u16()
    }

    /// The conversation as the reporter reads it (with the mailbox token): (author, sealed
    /// message) in the relay's order. Panics unless the relay answers 200.
    pub fn reporter_messages(&self, keys: &MailboxKeys) -> Vec<(String, Vec<u8>)> {
        let mut response = self
            .agent
            .get(format!(
                "{}/api/v1/mailboxes/{}/messages",
                self.url,
                keys.mailbox_id.as_str()
            ))
            .header(
                "Fluister-Mailbox-Token",
                keys.mailbox_token.to_base64url().as_str(),
            )
            .call()
            .expect("read mailbox");
        let status = response.status().as_u16();
        let body = response.body_mut().read_to_vec().unwrap();
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        json["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|message| {
                (
                    message["author"].as_str().unwrap().to_owned(),
                    decode_base64url_vec(message["ciphertext"].as_str().unwrap()).unwrap(),
                )
            })
            .collect()
    }

    /// Posts the reporter's sealed answer as the widget does (mailbox token, submission key,
    /// proof of work over the message). Returns the status.
    pub fn reporter_post(&self, keys: &MailboxKeys, sealed: &[u8]) -> u16 {
        let (seed, nonce) = self.solved_challenge(sealed);
        let mut submission_key = [0u8; 32];
        getrandom::fill(&mut submission_key).unwrap();
        self.agent
            .post(format!(
                "{}/api/v1/mailboxes/{}/messages",
                self.url,
                keys.mailbox_id.as_str()
            ))
            .header(
                "Fluister-Mailbox-Token",
                keys.mailbox_token.to_base64url().as_str(),
            )
            .header("Content-Type", "application/octet-stream")
            .header("Fluister-Submission-Key", encode_base64url(&submission_key))
            .header("Fluister-Challenge", &seed)
            .header("Fluister-Nonce", &nonce)
            .send(sealed)
            .expect("post answer")
            .status()
            .as_u16()
    }

    /// Closes a mailbox as the coordinator (`DELETE`). Returns the status.
    pub fn close_mailbox(&self, mailbox_id: &str) -> u16 {
        self.agent
            .delete(format!("{}/api/v1/mailboxes/{mailbox_id}", self.url))
            .header("Authorization", format!("Bearer {}", self.token))
            .call()
            .expect("close mailbox")
            .status()
            .as_u16()
    }

    /// The relay's whole database as SQL text, by the `sqlite3` command line tool (blobs
    /// appear as `X'…'` hex literals).
    pub fn database_dump(&self) -> String {
        let database = self.directory.join("data").join("relay.sqlite3");
        let output = Command::new("sqlite3")
            .arg(&database)
            .arg(".dump")
            .output()
            .expect("the `sqlite3` command line tool is installed (Debian package `sqlite3`)");
        assert!(
            output.status.success(),
            "sqlite3 .dump: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("utf-8 dump")
    }

    /// The ids of the tips waiting on the relay.
    pub fn waiting_tip_ids(&self) -> Vec<String> {
        let mut response = self
            .agent
            .get(format!("{}/api/v1/tips", self.url))
            .header("Authorization", format!("Bearer {}", self.token))
            .call()
            .expect("list tips");
        assert_eq!(response.status().as_u16(), 200);
        let json: serde_json::Value =
            serde_json::from_slice(&response.body_mut().read_to_vec().unwrap()).unwrap();
        json["tips"]
            .as_array()
            .unwrap()
            .iter()
            .map(|tip| tip["id"].as_str().unwrap().to_owned())
            .collect()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.directory);
        }
    }
}

/// One coordinator's inbox folder, driven through the real binary.
pub struct Inbox {
    /// The inbox folder.
    pub home: PathBuf,
    /// The passphrase its commands are given (through FLUISTER_PASSPHRASE).
    pub passphrase: String,
}

impl Inbox {
    /// A new, empty inbox folder.
    pub fn new(name: &str) -> Inbox {
        Self::new_in(&std::env::temp_dir(), name)
    }

    /// A new, empty inbox folder inside `parent`.
    pub fn new_in(parent: &Path, name: &str) -> Inbox {
        Inbox {
            home: temporary_directory_in(parent, &format!("inbox-{name}")).join("inbox"),
            passphrase: PASSPHRASE.to_owned(),
        }
    }

    /// A `fluister-inbox` command for this folder, with a clean environment for its settings.
    pub fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_fluister-inbox"));
        command
            .env("FLUISTER_INBOX_HOME", &self.home)
            .env("FLUISTER_PASSPHRASE", &self.passphrase)
            .env_remove("FLUISTER_IDENTITY")
            .env_remove("FLUISTER_LANG")
            .env_remove("FLUISTER_RELAY_URL")
            .env_remove("FLUISTER_TOKEN")
            .env_remove("FLUISTER_INBOX_TEST_KILL_AT")
            .stdin(Stdio::null());
        command
    }

    /// Runs the binary with `arguments` and returns its output.
    pub fn run(&self, arguments: &[&str]) -> Output {
        self.command()
            .args(arguments)
            .output()
            .expect("run fluister-inbox")
    }

    /// Runs the binary and asserts success; returns standard output.
    pub fn run_ok(&self, arguments: &[&str]) -> String {
        let output = self.run(arguments);
        assert!(
            output.status.success(),
            "fluister-inbox {arguments:?} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("utf-8 output")
    }

    /// Runs the binary, asserts failure, and returns standard error.
    pub fn run_failing(&self, arguments: &[&str]) -> String {
        let output = self.run(arguments);
        assert!(
            !output.status.success(),
            "fluister-inbox {arguments:?} should have failed; it printed:\n{}",
            String::from_utf8_lossy(&output.stdout)
        );
        String::from_utf8(output.stderr).expect("utf-8 output")
    }

    /// `keygen`, returning the recipient it printed.
    pub fn keygen(&self) -> String {
        let output = self.run_ok(&["keygen"]);
        output
            .split_whitespace()
            .find(|word| word.starts_with("age1"))
            .expect("keygen prints the recipient")
            .to_owned()
    }

    /// `connect` to `relay` with its token (read from a file).
    pub fn connect(&self, relay: &Relay) {
        self.connect_with_token(&relay.url, &relay.token);
    }

    /// `connect` with any address and token.
    pub fn connect_with_token(&self, url: &str, token: &str) {
        let token_file = self.home.with_file_name("token.txt");
        std::fs::write(&token_file, format!("{token}\n")).unwrap();
        self.run_ok(&[
            "connect",
            "--relay",
            url,
            "--token-file",
            token_file.to_str().unwrap(),
        ]);
    }

    /// The stored tip files' names, sorted.
    pub fn stored_file_names(&self) -> Vec<String> {
        let mut names: Vec<String> = match std::fs::read_dir(self.home.join("tips")) {
            Ok(entries) => entries
                .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
                .collect(),
            Err(_) => Vec::new(),
        };
        names.sort();
        names
    }

    /// The relay ids of the tips in quarantine (from their file names `HOUR-ID.age`), sorted.
    pub fn quarantined_relay_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = match std::fs::read_dir(self.home.join("quarantine")) {
            Ok(entries) => entries
                .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
                .filter_map(|name| {
                    let stem = name.strip_suffix(".age")?.to_owned();
                    Some(stem.rsplit('-').next().unwrap().to_owned())
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        ids.sort();
        ids
    }

    /// The names of every file in the inbox's `tips/` and `quarantine/` folders that a killed
    /// process left half-written (`.part`).
    pub fn leftover_part_files(&self) -> Vec<String> {
        ["tips", "quarantine"]
            .iter()
            .flat_map(|folder| {
                std::fs::read_dir(self.home.join(folder))
                    .into_iter()
                    .flatten()
                    .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
                    .filter(|name| name.ends_with(".part"))
            })
            .collect()
    }

    /// The relay ids of the stored tips (from their file names).
    pub fn stored_relay_ids(&self) -> Vec<String> {
        self.stored_file_names()
            .iter()
            .filter_map(|name| name.strip_suffix(".age"))
            .map(|stem| stem.rsplit('-').next().unwrap().to_owned())
            .collect()
    }
}

impl Drop for Inbox {
    fn drop(&mut self) {
        if !std::thread::panicking()
            && let Some(parent) = self.home.parent()
        {
            let _ = std::fs::remove_dir_all(parent);
        }
    }
}
