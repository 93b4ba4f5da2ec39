//! `relay-server backup FILE`: a consistent copy of the SQLite database, taken while the relay
//! runs.
//!
//! The copy is made with SQLite's online backup API from a connection of its own that holds
//! one read transaction for the whole copy, so every page comes from the same snapshot (WAL
//! lets the relay go on writing meanwhile; its commits after the snapshot are not in the copy).
//! Without that transaction, each of the relay's commits between two steps would restart the
//! copy, and a busy relay could keep it from ever finishing.
//!
//! The file is created anew (an existing file is never overwritten) with mode 0600, filled,
//! switched from WAL to a rollback journal so that it is one self-contained file, and checked
//! with `PRAGMA quick_check`. A copy that fails half-way is removed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use crate::storage::sqlite::DATABASE_FILE_NAME;

/// Pages copied per step: 1024 pages of SQLite's default 4 KiB are 4 MiB, so a step holds the
/// source's lock only briefly and progress moves often enough to be seen.
const PAGES_PER_STEP: i32 = 1024;

/// How long to wait before trying a step again when the destination is busy or locked.
const RETRY_PAUSE: Duration = Duration::from_millis(50);

/// How far a copy has come.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackupProgress {
    /// Bytes copied so far.
    pub copied_bytes: u64,
    /// Bytes of the whole database.
    pub total_bytes: u64,
}

/// What was copied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupSummary {
    /// The database that was copied.
    pub source: PathBuf,
    /// The size of the copy, in bytes.
    pub bytes: u64,
    /// The copy's schema version (`schema_migrations`).
    pub schema_version: i64,
}

/// Why a backup failed: a message for the operator, naming the file and the fix.
#[derive(Debug)]
pub struct BackupError(pub String);

impl std::fmt::Display for BackupError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl std::error::Error for BackupError {}

/// Copies the database in `data_dir` to `destination`, a file that must not exist yet, calling
/// `progress` after every step.
pub fn backup_sqlite(
    data_dir: &Path,
    destination: &Path,
    progress: impl FnMut(BackupProgress),
) -> Result<BackupSummary, BackupError> {
    let source_path = data_dir.join(DATABASE_FILE_NAME);
    if !source_path.is_file() {
        return Err(BackupError(format!(
            "there is no database at {} (storage.data_dir = {}): give the relay's config with \
             --config, or its data directory with --data-dir",
            source_path.display(),
            data_dir.display()
        )));
    }
    create_new_private_file(destination)?;
    match copy(&source_path, destination, progress) {
        Ok(summary) => Ok(summary),
        Err(error) => {
            // Leave nothing half-written behind, nor the journal SQLite may have started.
            let _ = std::fs::remove_file(destination);
            let mut journal = destination.as_os_str().to_owned();
            journal.push("-journal");
            let _ = std::fs::remove_file(PathBuf::from(journal));
            Err(error)
        }
    }
}

/// Creates `path` empty, readable by its owner only, failing if anything is there already.
fn create_new_private_file(path: &Path) -> Result<(), BackupError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path).map(drop).map_err(|error| {
        BackupError(match error.kind() {
            std::io::ErrorKind::AlreadyExists => format!(
                "{} exists already; a backup never overwrites a file: give a new name, or \
                 remove the old file first",
                path.display()
            ),
            std::io::ErrorKind::NotFound => format!(
                "cannot create {}: its folder does not exist",
                path.display()
            ),
            _ => format!("cannot create {}: {error}", path.display()),
        })
    })
}

fn copy(
    source_path: &Path,
    destination: &Path,
    mut progress: impl FnMut(BackupProgress),
) -> Result<BackupSummary, BackupError> {
    let database_error = |what: &str, path: &Path, error: rusqlite::Error| {
        BackupError(format!("{what} {}: {error}", path.display()))
    };
    // Read-write without create: a WAL database is read through its shared-memory file, which
    // a connection may have to make; and a missing database must not be made here.
    let source = Connection::open_with_flags(
        source_path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|error| database_error("cannot open the database", source_path, error))?;
    source
        .busy_timeout(Duration::from_secs(10))
        .map_err(|error| database_error("cannot open the database", source_path, error))?;
    // One read transaction for the whole copy: every step reads the same snapshot.
    source
        .execute_batch("BEGIN DEFERRED; SELECT COUNT(*) FROM sqlite_schema;")
        .map_err(|error| database_error("cannot read the database", source_path, error))?;
    let mut target = Connection::open_with_flags(
        destination,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|error| database_error("cannot open", destination, error))?;
    {
        let backup = Backup::new(&source, &mut target)
            .map_err(|error| database_error("cannot start copying into", destination, error))?;
        let page_size = page_size(&source);
        loop {
            let step = backup
                .step(PAGES_PER_STEP)
                .map_err(|error| database_error("copying into", destination, error))?;
            let pages = backup.progress();
            let total = u64::try_from(pages.pagecount).unwrap_or(0);
            let remaining = u64::try_from(pages.remaining).unwrap_or(0);
            progress(BackupProgress {
                copied_bytes: total.saturating_sub(remaining) * page_size,
                total_bytes: total * page_size,
            });
            match step {
                StepResult::Done => break,
                StepResult::More => {}
                // Busy or locked: try the step again in a moment.
                _ => std::thread::sleep(RETRY_PAUSE),
            }
        }
    }
    let _ = source.execute_batch("COMMIT");
    drop(source);
    // The copy carries the relay's WAL mode; a rollback journal makes it one file that can be
    // moved, copied and read on its own. The relay switches it back to WAL when it opens it.
    let mode: String = target
        .query_row("PRAGMA journal_mode = DELETE", [], |row| row.get(0))
        .map_err(|error| database_error("cannot finish", destination, error))?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(BackupError(format!(
            "cannot finish {}: SQLite kept the journal mode {mode}",
            destination.display()
        )));
    }
    let check: String = target
        .query_row("PRAGMA quick_check", [], |row| row.get(0))
        .map_err(|error| database_error("cannot check", destination, error))?;
    if check != "ok" {
        return Err(BackupError(format!(
            "the copy {} failed SQLite's check ({check}); the database itself may be damaged: \
             run `sqlite3 {} 'PRAGMA integrity_check'`",
            destination.display(),
            source_path.display()
        )));
    }
    let schema_version: i64 = target
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |row| row.get(0),
        )
        .map_err(|error| database_error("cannot read the schema version of", destination, error))?;
    target
        .close()
        .map_err(|(_, error)| database_error("cannot close", destination, error))?;
    let bytes = std::fs::metadata(destination)
        .map_err(|error| BackupError(format!("cannot read {}: {error}", destination.display())))?
        .len();
    Ok(BackupSummary {
        source: source_path.to_path_buf(),
        bytes,
        schema_version,
    })
}

fn page_size(connection: &Connection) -> u64 {
    connection
        .query_row("PRAGMA page_size", [], |row| row.get::<_, i64>(0))
        .ok()
        .and_then(|size| u64::try_from(size).ok())
        .unwrap_or(4096)
}

#[cfg(test)]
mod tests {
    use super::{backup_sqlite, create_new_private_file};

    #[test]
    fn a_missing_database_is_an_error_and_creates_nothing() {
        let directory = std::env::temp_dir().join(format!(
            "fluister-backup-unit-{}-{}",
            std::process::id(),
            line!()
        ));
        std::fs::create_dir_all(&directory).unwrap();
        let destination = directory.join("copy.sqlite3");
        let error = backup_sqlite(&directory.join("nothing"), &destination, |_| {}).unwrap_err();
        assert!(error.0.contains("there is no database"), "{error}");
        assert!(!destination.exists());
        assert!(!directory.join("nothing").exists());
        std::fs::remove_dir_all(&directory).unwrap();
    }

    #[test]
    fn an_existing_file_is_never_replaced() {
        let directory = std::env::temp_dir().join(format!(
            "fluister-backup-unit-{}-{}",
            std::process::id(),
            line!()
        ));
        std::fs::create_dir_all(&directory).unwrap();
        let existing = directory.join("kept");
        std::fs::write(&existing, b"precious").unwrap();
        let error = create_new_private_file(&existing).unwrap_err();
        assert!(error.0.contains("exists already"), "{error}");
        assert_eq!(std::fs::read(&existing).unwrap(), b"precious");
        std::fs::remove_dir_all(&directory).unwrap();
    }
}
