//! Shared by the inbox's tests and benchmark: the real `fluister-inbox` binary driven in a folder
//! of its own, and the relay (the real `relay-server`, through the testkit) set up as a
//! coordinator's: tips sealed to the inbox's recipients, a token from `relay-server mint-token`.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

use fluister_protocol::TipId;
use fluister_testkit::process::mint_token;
use fluister_testkit::{RelayProcess, SettingsBuilder, TemporaryDirectory};

/// The passphrase every test inbox uses.
pub const PASSPHRASE: &str = "purple elephants dance quietly";

/// A coordinator's relay: tips sealed to `recipients`, a token minted by the relay binary
/// itself, proof of work off, and a submission budget high enough for the benchmark. A test
/// changes more with the builder's methods before [`RelayProcess::start`].
pub fn relay_settings(recipients: &[String]) -> SettingsBuilder {
    SettingsBuilder::for_tests()
        .server("log_level", "warn")
        .limits("submissions_per_second", 1_000_000.0)
        .limits("submission_burst", 1_000_000)
        .limits("max_concurrent_requests", 1024)
        .recipients(recipients)
        .minted_token(&mint_token())
}

/// Makes a plain identity file with the reference `age-keygen` (as a backup key, an agency's
/// or a stranger's is made) and returns its public key.
pub fn age_keygen(path: &Path) -> String {
    let generated = Command::new("age-keygen")
        .arg("-o")
        .arg(path)
        .output()
        .expect("the reference `age-keygen` is installed (Debian package `age`)");
    assert!(generated.status.success());
    String::from_utf8_lossy(&generated.stderr)
        .split_whitespace()
        .find(|word| word.starts_with("age1"))
        .expect("age-keygen prints the public key")
        .to_owned()
}

/// Starts a relay with [`relay_settings`].
pub fn start_relay(recipients: &[String]) -> RelayProcess {
    RelayProcess::start(relay_settings(recipients))
}

/// One coordinator's inbox folder, driven through the real binary.
pub struct Inbox {
    /// The inbox folder.
    pub home: std::path::PathBuf,
    /// The passphrase its commands are given (through FLUISTER_PASSPHRASE).
    pub passphrase: String,
    /// The folder the inbox folder is in, with the test's other files; removed on drop.
    folder: TemporaryDirectory,
}

impl Inbox {
    /// A new, empty inbox folder.
    pub fn new(name: &str) -> Inbox {
        Self::new_in(&std::env::temp_dir(), name)
    }

    /// A new, empty inbox folder inside `parent`.
    pub fn new_in(parent: &Path, name: &str) -> Inbox {
        let folder = TemporaryDirectory::new_in(parent, &format!("inbox-{name}"));
        Inbox {
            home: folder.join("inbox"),
            passphrase: PASSPHRASE.to_owned(),
            folder,
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
            // Dutch, the default, whatever the machine's locale; a test that wants English
            // says `--lang en`.
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env_remove("LANG")
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

    /// `keygen --x25519`, returning the recipient it printed: an X25519 key, as the tests that
    /// pair it with the reference `age` 1.1.1 (and its `age-keygen` backup keys) need.
    pub fn keygen(&self) -> String {
        self.keygen_with(&["keygen", "--x25519"])
    }

    /// `keygen` as the coordinator runs it, by default: a hybrid post-quantum key.
    pub fn keygen_hybrid(&self) -> String {
        self.keygen_with(&["keygen"])
    }

    fn keygen_with(&self, arguments: &[&str]) -> String {
        let output = self.run_ok(arguments);
        output
            .split_whitespace()
            .find(|word| word.starts_with("age1"))
            .expect("keygen prints the recipient")
            .to_owned()
    }

    /// `connect` to `relay` with its token (read from a file).
    pub fn connect(&self, relay: &RelayProcess) {
        self.connect_with_token(&relay.url(), relay.coordinator_token());
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
    pub fn quarantined_relay_ids(&self) -> Vec<TipId> {
        let mut ids: Vec<TipId> = match std::fs::read_dir(self.home.join("quarantine")) {
            Ok(entries) => entries
                .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
                .filter_map(|name| relay_id_of(&name))
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
    pub fn stored_relay_ids(&self) -> Vec<TipId> {
        self.stored_file_names()
            .iter()
            .filter_map(|name| relay_id_of(name))
            .collect()
    }
}

/// The relay id at the end of a tip's file name (`…-ID.age`).
pub fn relay_id_of(file_name: &str) -> Option<TipId> {
    let stem = file_name.strip_suffix(".age")?;
    let id = stem.rsplit('-').next()?;
    Some(id.parse().expect("a relay id at the end of the file name"))
}
