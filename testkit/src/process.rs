//! The real `relay-server` binary, run as a test's relay.
//!
//! Which binary: the one of this test run's build, next to the test executable
//! (`target/<profile>/relay-server` for `target/<profile>/deps/<test>`). For the relay's own
//! integration tests cargo builds it there before they run (it is where `CARGO_BIN_EXE_relay-server`
//! points); a run of several packages' tests together (`cargo test -p relay-server -p
//! fluister-inbox`, `cargo nextest run --workspace`) builds it once for all of them. Nothing here
//! runs cargo: a test never starts a build of its own.

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Client, SettingsBuilder, TemporaryDirectory};

/// How long a relay may take to answer its health check after it printed its address.
const HEALTH_DEADLINE: Duration = Duration::from_secs(30);

/// The environment variables by which the relay would take settings from outside its config
/// file; a test relay gets none of them from the developer's shell.
pub const RELAY_ENVIRONMENT: &[&str] = &[
    "FLUISTER_CONFIG",
    "FLUISTER_LISTEN",
    "FLUISTER_DATA_DIR",
    "FLUISTER_LOG",
    "FLUISTER_LOG_FORMAT",
    "FLUISTER_POW_DIFFICULTY",
    "FLUISTER_CHALLENGE_KEY_FILE",
    "FLUISTER_PUBLIC_ORIGIN",
    "FLUISTER_ASSETS_DIR",
    "FLUISTER_STORAGE_BACKEND",
    "FLUISTER_POSTGRES_URL",
    "FLUISTER_POSTGRES_URL_FILE",
    "FLUISTER_COORDINATOR_RECIPIENTS",
    "FLUISTER_COORDINATOR_RECIPIENTS_FILE",
    "FLUISTER_COORDINATOR_TOKEN_SHA256",
    "FLUISTER_COORDINATOR_TOKEN_SHA256_FILE",
    "FLUISTER_METRICS_TOKEN_SHA256",
    "FLUISTER_METRICS_TOKEN_SHA256_FILE",
    "FLUISTER_NOTIFICATIONS_WEBHOOK_URL",
    "FLUISTER_NOTIFICATIONS_WEBHOOK_URL_FILE",
    "FLUISTER_NOTIFICATIONS_EMAIL_PASSWORD_FILE",
];

/// The `relay-server` binary of this test run's build; panics with what to do if it is not
/// there.
pub fn relay_server_binary() -> PathBuf {
    sibling_binary("relay-server", "cargo build -p relay-server")
}

/// The binary `name` in the folder the test executable's `deps/` folder is in.
fn sibling_binary(name: &str, how_to_build: &str) -> PathBuf {
    let test_executable = std::env::current_exe().expect("the test executable's path");
    let profile_directory = test_executable
        .parent()
        .and_then(Path::parent)
        .expect("test executables live in <target>/<profile>/deps/");
    let binary = profile_directory.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.is_file(),
        "{} is missing: run these tests together with the relay's (`cargo test -p relay-server \
         -p …`, `cargo nextest run --workspace`), or build it first with `{how_to_build}`",
        binary.display()
    );
    binary
}

/// A coordinator token minted by the real `relay-server mint-token`.
#[derive(Clone)]
pub struct MintedToken {
    /// The token the coordinator keeps.
    pub token: String,
    /// Its hash, from the config line the relay printed.
    pub token_sha256: String,
}

impl std::fmt::Debug for MintedToken {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("MintedToken")
            .field("token", &"<redacted>")
            .field("token_sha256", &self.token_sha256)
            .finish()
    }
}

/// Runs `relay-server mint-token` and reads the token and its config line.
pub fn mint_token() -> MintedToken {
    let output = Command::new(relay_server_binary())
        .arg("mint-token")
        .output()
        .expect("run relay-server mint-token");
    assert!(output.status.success(), "relay-server mint-token failed");
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    let token = text
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("fluister-coordinator-"))
        .expect("a token line")
        .to_owned();
    let token_sha256 = text
        .lines()
        .map(str::trim)
        .find_map(|line| line.strip_prefix("token_sha256 = [\""))
        .and_then(|rest| rest.strip_suffix("\"]"))
        .expect("a `token_sha256 = [\"…\"]` line")
        .to_owned();
    MintedToken {
        token,
        token_sha256,
    }
}

/// Runs `relay-server mint-token --label LABEL` and reads the token and its member lines.
pub fn mint_member_token(label: &str) -> MintedToken {
    let output = Command::new(relay_server_binary())
        .args(["mint-token", "--label", label])
        .output()
        .expect("run relay-server mint-token --label");
    assert!(output.status.success(), "relay-server mint-token failed");
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    let line = |prefix: &str| -> String {
        text.lines()
            .map(str::trim)
            .find_map(|line| line.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("a line starting with {prefix}: {text}"))
            .to_owned()
    };
    assert_eq!(line("[[coordinator."), "members]]");
    assert_eq!(line("label = "), format!("\"{label}\""));
    let token_sha256 = line("token_sha256 = \"")
        .strip_suffix('"')
        .expect("a quoted hash")
        .to_owned();
    MintedToken {
        token: line("fluister-coordinator-")
            .split_whitespace()
            .next()
            .map(|rest| format!("fluister-coordinator-{rest}"))
            .expect("a token line"),
        token_sha256,
    }
}

/// A running relay: the real binary with a config written from a [`SettingsBuilder`], a data
/// directory of its own, and its log in a file. Killed on drop; its files are removed then,
/// unless the test failed. It is also its own [`Client`] (with the coordinator token the
/// settings name), through `Deref`.
#[derive(Debug)]
pub struct RelayProcess {
    client: Client,
    /// The environment variables the settings named, given to every launch.
    environment: Vec<(String, String)>,
    child: Option<Child>,
    config_path: PathBuf,
    log_path: PathBuf,
    data_dir: PathBuf,
    // Last, so the process is killed before its files are removed.
    directory: TemporaryDirectory,
}

impl RelayProcess {
    /// Writes `settings` (with `storage.data_dir` in a fresh temporary directory, unless they
    /// name one) and starts the relay; returns once it answers its health check.
    pub fn start(settings: SettingsBuilder) -> RelayProcess {
        let directory = TemporaryDirectory::new("relay");
        let settings = match settings.get("storage", "data_dir") {
            Some(_) => settings,
            None => settings.data_dir(&directory.join("data")),
        };
        let data_dir = PathBuf::from(
            settings
                .get("storage", "data_dir")
                .and_then(toml::Value::as_str)
                .expect("storage.data_dir is a path"),
        );
        let config_path = directory.join("relay.toml");
        std::fs::write(&config_path, settings.to_toml()).expect("write the relay's config");
        let token = settings
            .client_token()
            .unwrap_or(crate::COORDINATOR_TOKEN)
            .to_owned();
        let mut relay = RelayProcess {
            client: Client::new(SocketAddr::from(([127, 0, 0, 1], 0)), &token),
            environment: settings.environment_variables().to_vec(),
            child: None,
            log_path: directory.join("relay.log"),
            config_path,
            data_dir,
            directory,
        };
        relay.launch();
        relay
    }

    /// Starts the process (again, after [`RelayProcess::kill`]) with the same config and data;
    /// returns once it answers its health check. The log goes on in the same file.
    pub fn launch(&mut self) {
        assert!(self.child.is_none(), "the relay is running already");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .expect("open the relay's log file");
        let mut command = Command::new(relay_server_binary());
        command
            .arg("--config")
            .arg(&self.config_path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log));
        for variable in RELAY_ENVIRONMENT {
            command.env_remove(variable);
        }
        // Read only by a relay built with its `test-hooks` feature (the relay's own tests):
        // `/metrics`' hourly snapshots follow this file's time once a test writes it.
        command.env(
            "FLUISTER_RELAY_TEST_METRICS_CLOCK",
            self.metrics_clock_path(),
        );
        command.envs(self.environment.iter().map(|(name, value)| (name, value)));
        let mut child = command.spawn().expect("start relay-server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("the relay's standard output"))
            .read_line(&mut line)
            .expect("read the relay's standard output");
        let Some(address) = line.trim().strip_prefix("listening on http://") else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the relay did not start; its log:\n{}", self.log());
        };
        let address: SocketAddr = address.parse().expect("the relay's address");
        self.client = Client::new(address, self.client.coordinator_token());
        self.child = Some(child);
        self.wait_until_healthy();
    }

    fn wait_until_healthy(&mut self) {
        let started = Instant::now();
        loop {
            let health = crate::http::try_request(self.address(), "GET", "/healthz", &[], b"");
            if matches!(health, Ok(ref response) if response.status == 200) {
                return;
            }
            if !self.is_running() || started.elapsed() > HEALTH_DEADLINE {
                panic!(
                    "the relay never answered its health check ({health:?}); its log:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the process and starts it again on the same address and data with `settings` as
    /// its config (as an operator who edits the config and restarts the relay).
    pub fn relaunch_with(&mut self, settings: SettingsBuilder) {
        let address = self.address();
        self.kill();
        let settings = settings
            .data_dir(&self.data_dir)
            .server("listen", address.to_string());
        std::fs::write(&self.config_path, settings.to_toml()).expect("write the relay's config");
        self.launch();
    }

    /// Kills the process with SIGKILL: no shutdown code runs. The data stays.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL the relay");
            child.wait().expect("reap the relay");
        }
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        match &mut self.child {
            Some(child) => child.try_wait().expect("poll the relay").is_none(),
            None => false,
        }
    }

    fn metrics_clock_path(&self) -> PathBuf {
        self.directory.join("metrics-clock")
    }

    /// Sets the clock `/metrics`' hourly snapshots follow (Unix seconds), in a relay built for
    /// its own tests (see `relay-server/src/hourly.rs`); until this is called it is the system's.
    /// The file is replaced whole, so the relay never reads half a time.
    pub fn set_metrics_clock(&self, unix_seconds: i64) {
        let temporary = self.directory.join("metrics-clock.new");
        std::fs::write(&temporary, unix_seconds.to_string()).expect("write the metrics clock");
        std::fs::rename(&temporary, self.metrics_clock_path()).expect("replace the metrics clock");
    }

    /// Moves `/metrics`' clock to the next hour (from the system's time on the first call), so
    /// the next scrape shows the values as they are now.
    pub fn next_metrics_hour(&self) {
        let now = std::fs::read_to_string(self.metrics_clock_path())
            .ok()
            .and_then(|text| text.trim().parse::<i64>().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |elapsed| elapsed.as_secs() as i64)
            });
        self.set_metrics_clock(now - now.rem_euclid(3600) + 3600 + 60);
    }

    /// The client of this relay.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The relay's log output so far (its standard error).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// The temporary directory holding the config, the log and (unless the settings named
    /// another) the data directory.
    pub fn directory(&self) -> &Path {
        self.directory.path()
    }

    /// `storage.data_dir`.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The SQLite database file.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("relay.sqlite3")
    }

    /// The whole database as SQL text, by the `sqlite3` command line tool (blobs appear as
    /// `X'…'` hex literals), read as an outsider would.
    pub fn database_dump(&self) -> String {
        self.sqlite3(&[".dump"])
    }

    /// Rows in the tips and in the submissions table.
    pub fn database_row_counts(&self) -> (u64, u64) {
        let output = self.sqlite3(&[
            "-readonly",
            "SELECT COUNT(*) FROM tips; SELECT COUNT(*) FROM submissions;",
        ]);
        let counts: Vec<u64> = output
            .lines()
            .map(|line| line.trim().parse().expect("a row count"))
            .collect();
        assert_eq!(counts.len(), 2, "{output}");
        (counts[0], counts[1])
    }

    /// Runs the `sqlite3` tool on the database with `arguments` after the file name (options
    /// before it); returns its standard output.
    fn sqlite3(&self, arguments: &[&str]) -> String {
        let (options, commands): (Vec<&str>, Vec<&str>) = arguments
            .iter()
            .partition(|argument| argument.starts_with('-'));
        let output = Command::new("sqlite3")
            .args(options)
            .arg(self.database_path())
            .args(commands)
            .output()
            .expect("the `sqlite3` command line tool is installed (Debian package `sqlite3`)");
        assert!(
            output.status.success(),
            "sqlite3: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("UTF-8 from sqlite3")
    }
}

impl std::ops::Deref for RelayProcess {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            eprintln!("the relay's log is {}", self.log_path.display());
        }
    }
}
