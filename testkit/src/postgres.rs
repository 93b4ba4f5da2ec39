//! A real PostgreSQL server for one test, from Debian's `postgresql` package: `initdb` into a
//! temporary directory, `pg_ctl start` listening only on a unix socket in that directory (no
//! TCP port, so nothing to race for), trust authentication for the test user, stopped on drop.
//! Never a mock: the relay's PostgreSQL backend is tested against the server it will run on.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::TemporaryDirectory;

/// The database user the server is initialised with (and trusts on its socket).
pub const POSTGRES_TEST_USER: &str = "fluister";

/// The port number in the socket's name (`.s.PGSQL.5432`); no TCP port is opened.
const SOCKET_PORT: u16 = 5432;

/// Where Debian's `postgresql` package puts the server's binaries, one folder per version.
const DEBIAN_POSTGRESQL_DIR: &str = "/usr/lib/postgresql";

/// A PostgreSQL server in a temporary directory, stopped (and its files removed, unless the
/// test failed) on drop.
#[derive(Debug)]
pub struct PostgresServer {
    binaries: PathBuf,
    /// The account the server runs as when the tests run as root (PostgreSQL refuses root).
    run_as: Option<(u32, u32)>,
    data_dir: PathBuf,
    log_path: PathBuf,
    running: bool,
    // Last, so the server is stopped before its files are removed.
    directory: TemporaryDirectory,
}

/// The folder holding `initdb` and `pg_ctl`: the newest version Debian's package installed.
/// Panics, naming the package to install, when there is none.
pub fn postgres_binaries() -> PathBuf {
    postgres_binaries_in(Path::new(DEBIAN_POSTGRESQL_DIR))
        .unwrap_or_else(|message| panic!("{message}"))
}

/// The newest `VERSION/bin` folder under `root` with `initdb` and `pg_ctl` in it, or what to
/// install when there is none.
fn postgres_binaries_in(root: &Path) -> Result<PathBuf, String> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let binaries = entry.path().join("bin");
            (binaries.join("initdb").is_file() && binaries.join("pg_ctl").is_file())
                .then_some((version, binaries))
        })
        .collect();
    versions.sort();
    match versions.pop() {
        Some((_, binaries)) => Ok(binaries),
        None => Err(format!(
            "the PostgreSQL tests need PostgreSQL's server binaries (initdb and pg_ctl in \
             {}/VERSION/bin), and there are none: install the Debian package `postgresql` \
             (`apt-get install postgresql`)",
            root.display()
        )),
    }
}

/// The user and group ids of `name` in `/etc/passwd`.
fn system_account(name: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.len() > 3 && fields[0] == name)
            .then(|| Some((fields[2].parse().ok()?, fields[3].parse().ok()?)))
            .flatten()
    })
}

impl PostgresServer {
    /// Initialises a database cluster in a fresh temporary directory and starts a server on it;
    /// returns once it accepts connections.
    pub fn start() -> PostgresServer {
        let binaries = postgres_binaries();
        let directory = TemporaryDirectory::new("postgres");
        let running_as_root = std::fs::metadata("/proc/self").is_ok_and(|proc| proc.uid() == 0);
        let run_as = if running_as_root {
            // Debian's package creates the `postgres` account; the server runs as it.
            Some(system_account("postgres").expect(
                "running as root, and there is no `postgres` account to run PostgreSQL as \
                 (the Debian package `postgresql` creates it)",
            ))
        } else {
            None
        };
        if let Some((user, group)) = run_as {
            std::os::unix::fs::chown(directory.path(), Some(user), Some(group))
                .expect("hand the temporary directory to the postgres account");
        }
        let server = PostgresServer {
            data_dir: directory.join("data"),
            log_path: directory.join("postgres.log"),
            binaries,
            run_as,
            running: false,
            directory,
        };
        server.run(
            "initdb",
            &[
                "--pgdata",
                path_text(&server.data_dir),
                "--username",
                POSTGRES_TEST_USER,
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--no-locale",
                // The cluster is thrown away after the test; its creation need not be durable.
                "--no-sync",
            ],
        );
        let mut server = server;
        server.launch();
        server
    }

    /// Starts the server (again, after [`PostgresServer::stop`]) on the same data.
    pub fn launch(&mut self) {
        assert!(!self.running, "the PostgreSQL server is running already");
        let options = format!(
            "-c listen_addresses='' -c unix_socket_directories='{}' -p {SOCKET_PORT} \
             -c fsync=on -c synchronous_commit=on",
            path_text(self.socket_dir())
        );
        self.run(
            "pg_ctl",
            &[
                "start",
                "--wait",
                "--timeout",
                "60",
                "--pgdata",
                path_text(&self.data_dir),
                "--log",
                path_text(&self.log_path),
                "-o",
                &options,
            ],
        );
        self.running = true;
    }

    /// Stops the server at once, as a crash would (`pg_ctl stop -m immediate`): what it
    /// acknowledged must still be there after [`PostgresServer::launch`].
    pub fn stop(&mut self) {
        if self.running {
            self.running = false;
            self.run(
                "pg_ctl",
                &[
                    "stop",
                    "--wait",
                    "--mode",
                    "immediate",
                    "--pgdata",
                    path_text(&self.data_dir),
                ],
            );
        }
    }

    /// The connection URL of the server's `postgres` database for the test user, over the
    /// unix socket (as `storage.postgres_url` takes it): the socket's directory is the host,
    /// with its slashes percent-encoded, as libpq reads it too.
    pub fn url(&self) -> String {
        format!(
            "postgresql://{POSTGRES_TEST_USER}@{}:{SOCKET_PORT}/postgres",
            path_text(self.socket_dir()).replace('/', "%2F")
        )
    }

    /// Runs `sql` with `psql` as the test user, as an outsider reading the database would;
    /// returns its unaligned output (one row a line, columns split by `|`).
    pub fn psql(&self, sql: &str) -> String {
        let output = Command::new(self.binaries.join("psql"))
            .args(["--no-psqlrc", "--tuples-only", "--no-align", "--quiet"])
            .args(["--set", "ON_ERROR_STOP=1", "--dbname"])
            .arg(self.url())
            .args(["--command", sql])
            .output()
            .unwrap_or_else(|error| panic!("cannot run PostgreSQL's psql: {error}"));
        assert!(
            output.status.success(),
            "psql failed on `{sql}`: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("psql prints UTF-8")
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// The directory of the server's socket.
    pub fn socket_dir(&self) -> &Path {
        self.directory.path()
    }

    /// Runs one of PostgreSQL's programs (as the `postgres` account when the tests run as
    /// root) and panics with its output and the server's log when it fails.
    fn run(&self, program: &str, arguments: &[&str]) -> Output {
        let mut command = Command::new(self.binaries.join(program));
        command.args(arguments).current_dir(self.socket_dir());
        if let Some((user, group)) = self.run_as {
            use std::os::unix::process::CommandExt;
            command.uid(user).gid(group);
        }
        let output = command
            .output()
            .unwrap_or_else(|error| panic!("cannot run PostgreSQL's {program}: {error}"));
        assert!(
            output.status.success(),
            "PostgreSQL's {program} failed ({}):\n{}{}\nserver log:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            self.log()
        );
        output
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        if self.running {
            self.running = false;
            let mut command = Command::new(self.binaries.join("pg_ctl"));
            command
                .args(["stop", "--wait", "--mode", "immediate", "--pgdata"])
                .arg(&self.data_dir)
                .current_dir(self.socket_dir());
            if let Some((user, group)) = self.run_as {
                use std::os::unix::process::CommandExt;
                command.uid(user).gid(group);
            }
            if let Err(error) = command.output() {
                eprintln!("cannot stop the test's PostgreSQL server: {error}");
            }
        }
    }
}

fn path_text(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_the_package_the_error_names_it() {
        let empty = TemporaryDirectory::new("no-postgresql");
        let message = postgres_binaries_in(empty.path()).unwrap_err();
        assert!(
            message.contains("install the Debian package `postgresql`"),
            "{message}"
        );
    }

    #[test]
    fn the_newest_installed_version_is_used() {
        let root = TemporaryDirectory::new("postgresql-versions");
        for version in ["9", "15", "13"] {
            let binaries = root.join(version).join("bin");
            std::fs::create_dir_all(&binaries).unwrap();
            std::fs::write(binaries.join("initdb"), "").unwrap();
            std::fs::write(binaries.join("pg_ctl"), "").unwrap();
        }
        assert_eq!(
            postgres_binaries_in(root.path()).unwrap(),
            root.join("15").join("bin")
        );
    }
}
