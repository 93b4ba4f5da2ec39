//! The default backend: an embedded SQLite database in the data directory.
//!
//! Durability: WAL journal with `synchronous = FULL`, so a commit has reached the disk when it
//! returns. Throughput: one writer thread owns the only writing connection and takes commands
//! from a channel; it runs everything that has queued up in one transaction and one fsync (group
//! commit), then answers each request. Readers use their own connections, which WAL lets run
//! beside the writer. `secure_delete` overwrites deleted tips instead of leaving them in free
//! pages.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use tokio::sync::{mpsc, oneshot};

use super::{
    LogOutcome, MAX_LOG_BYTES, MAX_LOG_ENTRIES, MailboxId, MessageAuthor, MessageId,
    MessageOutcome, NewLogEntry, NewMailbox, NewMessage, NewTip, PreviousMessage,
    PreviousSubmission, RegistrationOutcome, Storage, StorageCounts, StorageError, StorageResult,
    StoreOutcome, StoredLogEntry, StoredMessage, TipId, TipSummary, now_unix, round_down_to_day,
    round_down_to_hour,
};

impl From<rusqlite::Error> for StorageError {
    fn from(error: rusqlite::Error) -> Self {
        Self(error.to_string())
    }
}

/// The database file's name inside the data directory.
pub const DATABASE_FILE_NAME: &str = "relay.sqlite3";

/// The most commands committed in one transaction.
const MAX_BATCH: usize = 512;

/// How often the checkpointer thread copies committed WAL frames into the database file.
const CHECKPOINT_INTERVAL: std::time::Duration = std::time::Duration::from_millis(250);

/// The most idle reader connections kept open.
const MAX_IDLE_READERS: usize = 4;

/// Versioned schema migrations, applied in order; each runs once, in its own transaction.
/// Never edit a released migration: add a new one.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        "CREATE TABLE tips (
         id BLOB NOT NULL UNIQUE,
         received_hour INTEGER NOT NULL,
         size INTEGER NOT NULL,
         ciphertext BLOB NOT NULL
     );
     CREATE INDEX tips_by_hour ON tips (received_hour);
     CREATE TABLE submissions (
         key_sha256 BLOB PRIMARY KEY,
         tip_id BLOB NOT NULL,
         body_sha256 BLOB NOT NULL,
         received_hour INTEGER NOT NULL
     );
     CREATE INDEX submissions_by_hour ON submissions (received_hour);",
    ),
    (
        2,
        // Mailboxes carry no time but the day they expire, and nothing that links them to a
        // tip: the widget opens a mailbox in a request of its own.
        "CREATE TABLE mailboxes (
             id BLOB PRIMARY KEY,
             token_sha256 BLOB NOT NULL,
             expires_day INTEGER NOT NULL
         );
         CREATE INDEX mailboxes_by_expiry ON mailboxes (expires_day);
         CREATE TABLE mailbox_messages (
             sequence INTEGER PRIMARY KEY,
             mailbox_id BLOB NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
             id BLOB NOT NULL UNIQUE,
             author TEXT NOT NULL CHECK (author IN ('coordinator', 'reporter')),
             received_hour INTEGER NOT NULL,
             size INTEGER NOT NULL,
             body_sha256 BLOB NOT NULL,
             ciphertext BLOB NOT NULL,
             UNIQUE (mailbox_id, body_sha256)
         );
         CREATE TABLE message_submissions (
             key_sha256 BLOB PRIMARY KEY,
             message_id BLOB NOT NULL,
             body_sha256 BLOB NOT NULL,
             received_hour INTEGER NOT NULL
         );
         CREATE INDEX message_submissions_by_hour ON message_submissions (received_hour);",
    ),
    (
        3,
        // No order in stored data: SQLite numbers rows in the order they were inserted, so a
        // seized database would pair the k-th tip of an hour with the k-th mailbox, and the
        // global message sequence would order every conversation against the others. Rows now
        // get random row numbers (every insert names one, see `random_row_number`), and a
        // message's place is counted within its own mailbox only.
        "ALTER TABLE mailbox_messages ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
         UPDATE mailbox_messages SET position = (
             SELECT COUNT(*) FROM mailbox_messages AS earlier
             WHERE earlier.mailbox_id = mailbox_messages.mailbox_id
               AND earlier.sequence <= mailbox_messages.sequence
         );
         CREATE UNIQUE INDEX mailbox_messages_in_order ON mailbox_messages (mailbox_id, position);
         UPDATE tips SET rowid = random() & 9223372036854775807;
         UPDATE submissions SET rowid = random() & 9223372036854775807;
         UPDATE mailboxes SET rowid = random() & 9223372036854775807;
         UPDATE mailbox_messages SET sequence = random() & 9223372036854775807;
         UPDATE message_submissions SET rowid = random() & 9223372036854775807;",
    ),
    (
        4,
        // The team's shared case log: entries sealed to the team and signed inside, in the
        // order they were appended (the coordinators' order, nothing of a reporter's). The hour
        // is kept only for the retention sweep. AUTOINCREMENT: a place is never handed out
        // twice, even after the sweep removed the last entries.
        "CREATE TABLE team_log (
             sequence INTEGER PRIMARY KEY AUTOINCREMENT,
             body_sha256 BLOB NOT NULL UNIQUE,
             received_hour INTEGER NOT NULL,
             ciphertext BLOB NOT NULL
         );
         CREATE INDEX team_log_by_hour ON team_log (received_hour);",
    ),
    (
        5,
        // Whether the coordinators were warned that a tip or a mailbox nears its end: one
        // warning each, not one per sweep. (Derivable from the hour and the expiry day anyway.)
        "ALTER TABLE tips ADD COLUMN expiry_warned INTEGER NOT NULL DEFAULT 0;
         ALTER TABLE mailboxes ADD COLUMN expiry_warned INTEGER NOT NULL DEFAULT 0;",
    ),
];

/// A random row number for a new row (see migration 3): rows inserted one after another get
/// numbers in no order. A clash among 2^63 numbers is a storage error, not silent data loss.
fn random_row_number() -> i64 {
    let bytes: [u8; 8] = crate::encoding::random_bytes();
    i64::from_le_bytes(bytes) & i64::MAX
}

/// A command for the writer thread, with the channel its answer goes back on.
enum WriteCommand {
    StoreTip(NewTip, oneshot::Sender<StorageResult<StoreOutcome>>),
    DeleteTip(TipId, oneshot::Sender<StorageResult<bool>>),
    Sweep(i64, oneshot::Sender<StorageResult<u64>>),
    RegisterMailbox(
        NewMailbox,
        oneshot::Sender<StorageResult<RegistrationOutcome>>,
    ),
    StoreMessage(NewMessage, oneshot::Sender<StorageResult<MessageOutcome>>),
    DeleteMailbox(MailboxId, oneshot::Sender<StorageResult<bool>>),
    AppendLog(NewLogEntry, oneshot::Sender<StorageResult<LogOutcome>>),
    MarkExpiring(i64, i64, oneshot::Sender<StorageResult<bool>>),
    /// Stores nothing: answered once a batch's write transaction began and committed.
    Ready(oneshot::Sender<StorageResult<()>>),
}

/// Totals the writer keeps up to date, read by `/metrics` and the quota check.
#[derive(Debug, Default)]
struct Totals {
    tips_stored: AtomicU64,
    stored_bytes: AtomicU64,
    mailboxes: AtomicU64,
    messages: AtomicU64,
}

/// The SQLite backend. Cloning is cheap; all clones share the writer and the readers.
#[derive(Debug, Clone)]
pub struct SqliteStorage {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    writer: mpsc::UnboundedSender<WriteCommandBox>,
    readers: Mutex<Vec<Connection>>,
    totals: Arc<Totals>,
    /// Dropping this stops the checkpointer thread.
    _checkpointer_stop: std::sync::mpsc::Sender<()>,
}

/// Wrapper so the command enum (which holds non-`Debug` senders) can sit in a `Debug` struct.
struct WriteCommandBox(WriteCommand);

impl std::fmt::Debug for WriteCommandBox {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("WriteCommand")
    }
}

fn open_connection(path: &Path, read_only: bool) -> StorageResult<Connection> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let connection = Connection::open_with_flags(path, flags)?;
    connection.busy_timeout(std::time::Duration::from_secs(10))?;
    if !read_only {
        let mode: String =
            connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StorageError(format!(
                "SQLite refused WAL mode (got {mode}); is the data directory on a network file system?"
            )));
        }
        // The checkpointer thread copies the WAL into the database in the background; the
        // writer checkpoints itself only as a backstop, when the WAL reaches 64 MiB.
        connection.execute_batch(
            "PRAGMA synchronous = FULL;
             PRAGMA secure_delete = ON;
             PRAGMA foreign_keys = ON;
             PRAGMA wal_autocheckpoint = 16384;",
        )?;
    }
    Ok(connection)
}

fn migrate(connection: &mut Connection) -> StorageResult<()> {
    connection.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)",
    )?;
    let applied: i64 = connection.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        [],
        |row| row.get(0),
    )?;
    let newest_known = MIGRATIONS.last().map_or(0, |(version, _)| *version);
    if applied > newest_known {
        return Err(StorageError(format!(
            "the database has schema version {applied}, newer than this relay knows ({newest_known}); run a newer relay"
        )));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(version, _)| *version > applied) {
        let transaction = connection.transaction()?;
        transaction.execute_batch(sql)?;
        transaction.execute(
            "INSERT INTO schema_migrations (version) VALUES (?1)",
            params![version],
        )?;
        transaction.commit()?;
        tracing::info!(version, "applied database migration");
    }
    Ok(())
}

/// How much the backend may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StorageLimits {
    /// The most ciphertext bytes held at once (tips and mailbox messages).
    pub max_stored_bytes: u64,
    /// The most bytes of tips and reporters' messages accepted in one clock hour.
    pub max_stored_bytes_per_hour: u64,
}

impl SqliteStorage {
    /// Opens (creating if needed) the database in `data_dir`, migrates it, and starts the
    /// writer thread.
    pub fn open(data_dir: &Path, limits: StorageLimits) -> StorageResult<Self> {
        std::fs::create_dir_all(data_dir).map_err(|error| {
            StorageError(format!(
                "cannot create the data directory {}: {error}",
                data_dir.display()
            ))
        })?;
        let path = data_dir.join(DATABASE_FILE_NAME);
        let mut writer_connection = open_connection(&path, false)?;
        migrate(&mut writer_connection)?;
        let totals = Arc::new(Totals::default());
        totals.count_from(&writer_connection)?;
        let (sender, receiver) = mpsc::unbounded_channel();
        let writer = Writer {
            connection: writer_connection,
            receiver,
            totals: Arc::clone(&totals),
            limits,
            this_hour: HourlyBytes::default(),
        };
        std::thread::Builder::new()
            .name("sqlite-writer".to_owned())
            .spawn(move || writer.run())
            .map_err(|error| StorageError(format!("cannot start the writer thread: {error}")))?;
        let checkpointer_connection = open_connection(&path, false)?;
        let (checkpointer_stop, checkpointer_stopped) = std::sync::mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("sqlite-checkpointer".to_owned())
            .spawn(move || run_checkpointer(&checkpointer_connection, &checkpointer_stopped))
            .map_err(|error| {
                StorageError(format!("cannot start the checkpointer thread: {error}"))
            })?;
        Ok(Self {
            inner: Arc::new(Inner {
                path,
                writer: sender,
                readers: Mutex::new(Vec::new()),
                totals,
                _checkpointer_stop: checkpointer_stop,
            }),
        })
    }

    async fn send<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<StorageResult<T>>) -> WriteCommand,
    ) -> StorageResult<T> {
        Self::answer(self.enqueue(make)?).await
    }

    /// Hands a command to the writer thread; its answer comes on the returned receiver.
    fn enqueue<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<StorageResult<T>>) -> WriteCommand,
    ) -> StorageResult<oneshot::Receiver<StorageResult<T>>> {
        let (answer_sender, answer_receiver) = oneshot::channel();
        self.inner
            .writer
            .send(WriteCommandBox(make(answer_sender)))
            .map_err(|_| StorageError("the writer thread has stopped".to_owned()))?;
        Ok(answer_receiver)
    }

    /// Waits for the writer's answer to an enqueued command.
    async fn answer<T>(receiver: oneshot::Receiver<StorageResult<T>>) -> StorageResult<T> {
        receiver
            .await
            .map_err(|_| StorageError("the writer thread dropped a command".to_owned()))?
    }

    /// Runs a read-only query on a pooled reader connection, off the async threads.
    async fn read<T: Send + 'static>(
        &self,
        query: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> StorageResult<T> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let pooled = inner
                .readers
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .pop();
            let connection = match pooled {
                Some(connection) => connection,
                None => open_connection(&inner.path, true)?,
            };
            let result = query(&connection).map_err(StorageError::from);
            let mut readers = inner
                .readers
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if readers.len() < MAX_IDLE_READERS {
                readers.push(connection);
            }
            result
        })
        .await
        .map_err(|error| StorageError(format!("reader task failed: {error}")))?
    }
}

impl Storage for SqliteStorage {
    async fn store_tip(&self, tip: NewTip) -> StorageResult<StoreOutcome> {
        self.send(|answer| WriteCommand::StoreTip(tip, answer))
            .await
    }

    async fn find_submission(
        &self,
        submission_key_sha256: [u8; 32],
    ) -> StorageResult<Option<PreviousSubmission>> {
        self.read(move |connection| find_submission(connection, &submission_key_sha256))
            .await
    }

    async fn list_tips(&self) -> StorageResult<Vec<TipSummary>> {
        self.read(|connection| {
            let mut statement = connection
                .prepare("SELECT id, received_hour, size FROM tips ORDER BY received_hour, id")?;
            let rows = statement.query_map([], |row| {
                Ok(TipSummary {
                    id: TipId(row.get(0)?),
                    received_hour: row.get(1)?,
                    size: u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0),
                })
            })?;
            rows.collect()
        })
        .await
    }

    async fn tip(&self, id: TipId) -> StorageResult<Option<Vec<u8>>> {
        self.read(move |connection| {
            connection
                .query_row(
                    "SELECT ciphertext FROM tips WHERE id = ?1",
                    params![id.0],
                    |row| row.get(0),
                )
                .optional()
        })
        .await
    }

    async fn delete_tip(&self, id: TipId) -> StorageResult<bool> {
        self.send(|answer| WriteCommand::DeleteTip(id, answer))
            .await
    }

    /// Every delete is queued before any answer is awaited, so the writer commits them together
    /// (up to its batch size per transaction, one sync each).
    async fn delete_tips(&self, ids: Vec<TipId>) -> StorageResult<u64> {
        let receivers = ids
            .into_iter()
            .map(|id| self.enqueue(|answer| WriteCommand::DeleteTip(id, answer)))
            .collect::<StorageResult<Vec<_>>>()?;
        let mut deleted = 0;
        for receiver in receivers {
            if Self::answer(receiver).await? {
                deleted += 1;
            }
        }
        Ok(deleted)
    }

    async fn sweep(&self, cutoff_hour: i64, _now_unix: i64) -> StorageResult<u64> {
        self.send(|answer| WriteCommand::Sweep(cutoff_hour, answer))
            .await
    }

    fn counts(&self) -> StorageCounts {
        StorageCounts {
            tips_stored: self.inner.totals.tips_stored.load(Ordering::Relaxed),
            stored_bytes: self.inner.totals.stored_bytes.load(Ordering::Relaxed),
            mailboxes: self.inner.totals.mailboxes.load(Ordering::Relaxed),
            messages: self.inner.totals.messages.load(Ordering::Relaxed),
        }
    }

    async fn register_mailbox(&self, mailbox: NewMailbox) -> StorageResult<RegistrationOutcome> {
        self.send(|answer| WriteCommand::RegisterMailbox(mailbox, answer))
            .await
    }

    async fn mailbox_token_sha256(
        &self,
        id: MailboxId,
        today: i64,
    ) -> StorageResult<Option<[u8; 32]>> {
        self.read(move |connection| {
            connection
                .prepare_cached(
                    "SELECT token_sha256 FROM mailboxes WHERE id = ?1 AND expires_day >= ?2",
                )?
                .query_row(params![id.0, today], |row| row.get(0))
                .optional()
        })
        .await
    }

    async fn store_message(&self, message: NewMessage) -> StorageResult<MessageOutcome> {
        self.send(|answer| WriteCommand::StoreMessage(message, answer))
            .await
    }

    async fn find_message_submission(
        &self,
        submission_key_sha256: [u8; 32],
    ) -> StorageResult<Option<PreviousMessage>> {
        self.read(move |connection| find_message_submission(connection, &submission_key_sha256))
            .await
    }

    async fn messages(&self, id: MailboxId) -> StorageResult<Vec<StoredMessage>> {
        self.read(move |connection| {
            let mut statement = connection.prepare_cached(
                "SELECT id, author, received_hour, ciphertext FROM mailbox_messages
                 WHERE mailbox_id = ?1 ORDER BY position",
            )?;
            let rows = statement.query_map(params![id.0], |row| {
                let author: String = row.get(1)?;
                Ok(StoredMessage {
                    id: MessageId(row.get(0)?),
                    author: MessageAuthor::parse(&author).ok_or_else(|| {
                        rusqlite::Error::InvalidColumnType(
                            1,
                            "author".to_owned(),
                            rusqlite::types::Type::Text,
                        )
                    })?,
                    received_hour: row.get(2)?,
                    ciphertext: row.get(3)?,
                })
            })?;
            rows.collect()
        })
        .await
    }

    async fn delete_mailbox(&self, id: MailboxId) -> StorageResult<bool> {
        self.send(|answer| WriteCommand::DeleteMailbox(id, answer))
            .await
    }

    async fn mark_expiring(
        &self,
        tip_cutoff_hour: i64,
        mailbox_cutoff_day: i64,
    ) -> StorageResult<bool> {
        self.send(|answer| WriteCommand::MarkExpiring(tip_cutoff_hour, mailbox_cutoff_day, answer))
            .await
    }

    async fn append_log(&self, entry: NewLogEntry) -> StorageResult<LogOutcome> {
        self.send(|answer| WriteCommand::AppendLog(entry, answer))
            .await
    }

    async fn ready(&self) -> StorageResult<()> {
        self.send(WriteCommand::Ready).await
    }

    async fn log_entries(&self, after: u64, limit: usize) -> StorageResult<Vec<StoredLogEntry>> {
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |connection| {
            let mut statement = connection.prepare_cached(
                "SELECT sequence, ciphertext FROM team_log WHERE sequence > ?1
                 ORDER BY sequence LIMIT ?2",
            )?;
            let rows = statement.query_map(params![after, limit], |row| {
                Ok(StoredLogEntry {
                    sequence: u64::try_from(row.get::<_, i64>(0)?).unwrap_or(0),
                    ciphertext: row.get(1)?,
                })
            })?;
            rows.collect()
        })
        .await
    }
}

/// Copies committed WAL frames into the database file every [`CHECKPOINT_INTERVAL`], so the
/// writer's commits do not wait for checkpoints. Stops when the storage is dropped.
fn run_checkpointer(connection: &Connection, stop: &std::sync::mpsc::Receiver<()>) {
    while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
        stop.recv_timeout(CHECKPOINT_INTERVAL)
    {
        if let Err(error) = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(%error, "background WAL checkpoint failed");
        }
    }
}

fn find_submission(
    connection: &Connection,
    submission_key_sha256: &[u8; 32],
) -> rusqlite::Result<Option<PreviousSubmission>> {
    connection
        .prepare_cached("SELECT tip_id, body_sha256 FROM submissions WHERE key_sha256 = ?1")?
        .query_row(params![submission_key_sha256], |row| {
            Ok(PreviousSubmission {
                tip_id: TipId(row.get(0)?),
                body_sha256: row.get(1)?,
            })
        })
        .optional()
}

fn find_message_submission(
    connection: &Connection,
    submission_key_sha256: &[u8; 32],
) -> rusqlite::Result<Option<PreviousMessage>> {
    connection
        .prepare_cached(
            "SELECT message_id, body_sha256 FROM message_submissions WHERE key_sha256 = ?1",
        )?
        .query_row(params![submission_key_sha256], |row| {
            Ok(PreviousMessage {
                message_id: MessageId(row.get(0)?),
                body_sha256: row.get(1)?,
            })
        })
        .optional()
}

/// The bytes of tips and reporters' messages accepted in one clock hour (in memory only: a
/// restart starts the hour's count afresh).
#[derive(Debug, Default, Clone, Copy)]
struct HourlyBytes {
    hour: i64,
    bytes: u64,
}

/// The writer thread's state.
struct Writer {
    connection: Connection,
    receiver: mpsc::UnboundedReceiver<WriteCommandBox>,
    totals: Arc<Totals>,
    limits: StorageLimits,
    this_hour: HourlyBytes,
}

/// An answer computed inside a transaction, sent only after the commit.
enum PendingAnswer {
    StoreTip(oneshot::Sender<StorageResult<StoreOutcome>>, StoreOutcome),
    DeleteTip(oneshot::Sender<StorageResult<bool>>, bool),
    Sweep(oneshot::Sender<StorageResult<u64>>, u64),
    RegisterMailbox(
        oneshot::Sender<StorageResult<RegistrationOutcome>>,
        RegistrationOutcome,
    ),
    StoreMessage(
        oneshot::Sender<StorageResult<MessageOutcome>>,
        MessageOutcome,
    ),
    AppendLog(oneshot::Sender<StorageResult<LogOutcome>>, LogOutcome),
    MarkExpiring(oneshot::Sender<StorageResult<bool>>, bool),
    Ready(oneshot::Sender<StorageResult<()>>),
}

impl PendingAnswer {
    fn send_result(self) {
        // A receiver that has gone away (its request timed out) needs no answer.
        match self {
            PendingAnswer::StoreTip(sender, outcome) => drop(sender.send(Ok(outcome))),
            PendingAnswer::DeleteTip(sender, deleted) => drop(sender.send(Ok(deleted))),
            PendingAnswer::Sweep(sender, count) => drop(sender.send(Ok(count))),
            PendingAnswer::RegisterMailbox(sender, outcome) => drop(sender.send(Ok(outcome))),
            PendingAnswer::StoreMessage(sender, outcome) => drop(sender.send(Ok(outcome))),
            PendingAnswer::AppendLog(sender, outcome) => drop(sender.send(Ok(outcome))),
            PendingAnswer::MarkExpiring(sender, marked) => drop(sender.send(Ok(marked))),
            PendingAnswer::Ready(sender) => drop(sender.send(Ok(()))),
        }
    }

    fn send_error(self, error: &StorageError) {
        match self {
            PendingAnswer::StoreTip(sender, _) => drop(sender.send(Err(error.clone()))),
            PendingAnswer::DeleteTip(sender, _) => drop(sender.send(Err(error.clone()))),
            PendingAnswer::Sweep(sender, _) => drop(sender.send(Err(error.clone()))),
            PendingAnswer::RegisterMailbox(sender, _) => drop(sender.send(Err(error.clone()))),
            PendingAnswer::StoreMessage(sender, _) => drop(sender.send(Err(error.clone()))),
            PendingAnswer::AppendLog(sender, _) => drop(sender.send(Err(error.clone()))),
            PendingAnswer::MarkExpiring(sender, _) => drop(sender.send(Err(error.clone()))),
            PendingAnswer::Ready(sender) => drop(sender.send(Err(error.clone()))),
        }
    }
}

/// Changes a batch made to the totals, applied after commit.
#[derive(Default)]
struct BatchEffects {
    tips_added: i64,
    bytes_added: i64,
    mailboxes_added: i64,
    messages_added: i64,
    recount_needed: bool,
}

impl Writer {
    fn run(mut self) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while let Some(first) = self.receiver.blocking_recv() {
            batch.push(first.0);
            while batch.len() < MAX_BATCH {
                match self.receiver.try_recv() {
                    Ok(command) => batch.push(command.0),
                    Err(_) => break,
                }
            }
            self.commit_batch(&mut batch);
        }
        tracing::debug!("storage writer stopped");
    }

    fn commit_batch(&mut self, batch: &mut Vec<WriteCommand>) {
        let mut answers = Vec::with_capacity(batch.len());
        let mut effects = BatchEffects::default();
        let mut this_hour = self.this_hour;
        let result = self.run_batch(batch, &mut answers, &mut effects, &mut this_hour);
        match result {
            Ok(()) => {
                self.this_hour = this_hour;
                let totals = &self.totals;
                if effects.recount_needed {
                    self.recount();
                } else {
                    add_signed(&totals.tips_stored, effects.tips_added);
                    add_signed(&totals.stored_bytes, effects.bytes_added);
                    add_signed(&totals.mailboxes, effects.mailboxes_added);
                    add_signed(&totals.messages, effects.messages_added);
                }
                for answer in answers {
                    answer.send_result();
                }
            }
            Err(error) => {
                tracing::error!(%error, "storage transaction failed; nothing in it was stored");
                for answer in answers {
                    answer.send_error(&error);
                }
                // Commands not reached before the failure were dropped with their senders, so
                // their requests see an error too and report that nothing was stored.
            }
        }
        batch.clear();
    }

    fn run_batch(
        &mut self,
        batch: &mut Vec<WriteCommand>,
        answers: &mut Vec<PendingAnswer>,
        effects: &mut BatchEffects,
        this_hour: &mut HourlyBytes,
    ) -> StorageResult<()> {
        let now = now_unix();
        let hour = round_down_to_hour(now);
        if this_hour.hour != hour {
            *this_hour = HourlyBytes { hour, bytes: 0 };
        }
        let mut stored_bytes = self.totals.stored_bytes.load(Ordering::Relaxed);
        let limits = self.limits;
        // Immediate: the write lock is taken when the batch begins, so a batch of readiness
        // checks alone proves the database writable.
        let transaction = self
            .connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for command in batch.drain(..) {
            match command {
                WriteCommand::StoreTip(tip, sender) => {
                    let quota = Quota {
                        stored_bytes: &mut stored_bytes,
                        this_hour: &mut this_hour.bytes,
                        limits,
                    };
                    let outcome = store_tip(&transaction, &tip, quota, effects);
                    match outcome {
                        Ok(outcome) => answers.push(PendingAnswer::StoreTip(sender, outcome)),
                        Err(error) => {
                            drop(sender.send(Err(error.clone())));
                            return Err(error);
                        }
                    }
                }
                WriteCommand::DeleteTip(id, sender) => {
                    let deleted = delete_tip(&transaction, id, &mut stored_bytes, effects);
                    match deleted {
                        Ok(deleted) => answers.push(PendingAnswer::DeleteTip(sender, deleted)),
                        Err(error) => {
                            drop(sender.send(Err(error.clone())));
                            return Err(error);
                        }
                    }
                }
                WriteCommand::RegisterMailbox(mailbox, sender) => {
                    match register_mailbox(&transaction, &mailbox, effects) {
                        Ok(outcome) => {
                            answers.push(PendingAnswer::RegisterMailbox(sender, outcome));
                        }
                        Err(error) => {
                            drop(sender.send(Err(error.clone())));
                            return Err(error);
                        }
                    }
                }
                WriteCommand::StoreMessage(message, sender) => {
                    let quota = Quota {
                        stored_bytes: &mut stored_bytes,
                        this_hour: &mut this_hour.bytes,
                        limits,
                    };
                    match store_message(&transaction, &message, now, quota, effects) {
                        Ok(outcome) => answers.push(PendingAnswer::StoreMessage(sender, outcome)),
                        Err(error) => {
                            drop(sender.send(Err(error.clone())));
                            return Err(error);
                        }
                    }
                }
                WriteCommand::DeleteMailbox(id, sender) => {
                    match delete_mailbox(&transaction, id, &mut stored_bytes, effects) {
                        Ok(deleted) => answers.push(PendingAnswer::DeleteTip(sender, deleted)),
                        Err(error) => {
                            drop(sender.send(Err(error.clone())));
                            return Err(error);
                        }
                    }
                }
                WriteCommand::AppendLog(entry, sender) => match append_log(&transaction, &entry) {
                    Ok(outcome) => answers.push(PendingAnswer::AppendLog(sender, outcome)),
                    Err(error) => {
                        drop(sender.send(Err(error.clone())));
                        return Err(error);
                    }
                },
                WriteCommand::MarkExpiring(tip_cutoff_hour, mailbox_cutoff_day, sender) => {
                    match mark_expiring(&transaction, tip_cutoff_hour, mailbox_cutoff_day) {
                        Ok(marked) => answers.push(PendingAnswer::MarkExpiring(sender, marked)),
                        Err(error) => {
                            drop(sender.send(Err(error.clone())));
                            return Err(error);
                        }
                    }
                }
                WriteCommand::Ready(sender) => answers.push(PendingAnswer::Ready(sender)),
                WriteCommand::Sweep(cutoff_hour, sender) => {
                    let swept = sweep(&transaction, cutoff_hour, round_down_to_day(now));
                    match swept {
                        Ok(count) => {
                            effects.recount_needed = true;
                            answers.push(PendingAnswer::Sweep(sender, count));
                        }
                        Err(error) => {
                            drop(sender.send(Err(error.clone())));
                            return Err(error);
                        }
                    }
                }
            }
        }
        transaction.commit()?;
        if effects.recount_needed {
            // Give the space of swept tips back to the file system, and keep the WAL small.
            if let Err(error) =
                self.connection
                    .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            {
                tracing::warn!(%error, "WAL checkpoint after sweep failed");
            }
        }
        Ok(())
    }

    fn recount(&self) {
        if let Err(error) = self.totals.count_from(&self.connection) {
            tracing::warn!(%error, "recounting stored tips failed");
        }
    }
}

impl Totals {
    /// Sets every total from the database (at start, and after a sweep).
    fn count_from(&self, connection: &Connection) -> rusqlite::Result<()> {
        let (tips, tip_bytes, mailboxes, messages, message_bytes): (i64, i64, i64, i64, i64) =
            connection.query_row(
                "SELECT (SELECT COUNT(*) FROM tips), (SELECT COALESCE(SUM(size), 0) FROM tips),
                        (SELECT COUNT(*) FROM mailboxes), (SELECT COUNT(*) FROM mailbox_messages),
                        (SELECT COALESCE(SUM(size), 0) FROM mailbox_messages)",
                [],
                |row| {
                    Ok((
                        row.get(0)?,
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                    ))
                },
            )?;
        let as_count = |value: i64| u64::try_from(value).unwrap_or(0);
        self.tips_stored.store(as_count(tips), Ordering::Relaxed);
        self.stored_bytes.store(
            as_count(tip_bytes) + as_count(message_bytes),
            Ordering::Relaxed,
        );
        self.mailboxes.store(as_count(mailboxes), Ordering::Relaxed);
        self.messages.store(as_count(messages), Ordering::Relaxed);
        Ok(())
    }
}

fn add_signed(counter: &AtomicU64, delta: i64) {
    if delta >= 0 {
        counter.fetch_add(delta.unsigned_abs(), Ordering::Relaxed);
    } else {
        counter.fetch_sub(delta.unsigned_abs(), Ordering::Relaxed);
    }
}

/// The bytes stored so far (in all and in this hour, this batch included) and the limits.
struct Quota<'a> {
    stored_bytes: &'a mut u64,
    this_hour: &'a mut u64,
    limits: StorageLimits,
}

impl Quota<'_> {
    /// Whether `size` more bytes fit in the total quota.
    fn fits(&self, size: u64) -> bool {
        self.stored_bytes.saturating_add(size) <= self.limits.max_stored_bytes
    }

    /// Whether `size` more bytes from a reporter fit in this hour's share.
    fn fits_this_hour(&self, size: u64) -> bool {
        self.this_hour.saturating_add(size) <= self.limits.max_stored_bytes_per_hour
    }
}

fn store_tip(
    transaction: &rusqlite::Transaction<'_>,
    tip: &NewTip,
    quota: Quota<'_>,
    effects: &mut BatchEffects,
) -> StorageResult<StoreOutcome> {
    // A retried submission is recognised before anything else is checked.
    if let Some(previous) = find_submission(transaction, &tip.submission_key_sha256)? {
        return Ok(if previous.body_sha256 == tip.body_sha256 {
            StoreOutcome::AlreadyStored(previous.tip_id)
        } else {
            StoreOutcome::SubmissionKeyConflict
        });
    }
    let size = tip.ciphertext.len() as u64;
    let size_column = i64::try_from(size).unwrap_or(i64::MAX);
    if !quota.fits(size) {
        return Ok(StoreOutcome::StorageFull);
    }
    if !quota.fits_this_hour(size) {
        return Ok(StoreOutcome::HourlyLimitReached);
    }
    let id = super::random_tip_id();
    transaction
        .prepare_cached(
            "INSERT INTO tips (rowid, id, received_hour, size, ciphertext)
             VALUES (?5, ?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            id.0,
            tip.received_hour,
            size_column,
            &tip.ciphertext[..],
            random_row_number()
        ])?;
    transaction
        .prepare_cached(
            "INSERT INTO submissions (rowid, key_sha256, tip_id, body_sha256, received_hour)
             VALUES (?5, ?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            tip.submission_key_sha256,
            id.0,
            tip.body_sha256,
            tip.received_hour,
            random_row_number()
        ])?;
    *quota.stored_bytes += size;
    *quota.this_hour += size;
    effects.tips_added += 1;
    effects.bytes_added += i64::try_from(size).unwrap_or(i64::MAX);
    Ok(StoreOutcome::Stored(id))
}

fn delete_tip(
    transaction: &rusqlite::Transaction<'_>,
    id: TipId,
    stored_bytes: &mut u64,
    effects: &mut BatchEffects,
) -> StorageResult<bool> {
    let size: Option<i64> = transaction
        .query_row(
            "DELETE FROM tips WHERE id = ?1 RETURNING size",
            params![id.0],
            |row| row.get(0),
        )
        .optional()?;
    Ok(match size {
        Some(size) => {
            *stored_bytes = stored_bytes.saturating_sub(size.unsigned_abs());
            effects.tips_added -= 1;
            effects.bytes_added -= size;
            true
        }
        None => false,
    })
}

fn sweep(
    transaction: &rusqlite::Transaction<'_>,
    cutoff_hour: i64,
    today: i64,
) -> StorageResult<u64> {
    let tips_deleted = transaction.execute(
        "DELETE FROM tips WHERE received_hour < ?1",
        params![cutoff_hour],
    )?;
    transaction.execute(
        "DELETE FROM submissions WHERE received_hour < ?1",
        params![cutoff_hour],
    )?;
    // Deleting a mailbox deletes its messages with it (ON DELETE CASCADE).
    transaction.execute(
        "DELETE FROM mailboxes WHERE expires_day < ?1",
        params![today],
    )?;
    transaction.execute(
        "DELETE FROM message_submissions WHERE received_hour < ?1",
        params![cutoff_hour],
    )?;
    transaction.execute(
        "DELETE FROM team_log WHERE received_hour < ?1",
        params![cutoff_hour],
    )?;
    Ok(tips_deleted as u64)
}

fn mark_expiring(
    transaction: &rusqlite::Transaction<'_>,
    tip_cutoff_hour: i64,
    mailbox_cutoff_day: i64,
) -> StorageResult<bool> {
    let tips = transaction
        .prepare_cached(
            "UPDATE tips SET expiry_warned = 1 WHERE expiry_warned = 0 AND received_hour < ?1",
        )?
        .execute(params![tip_cutoff_hour])?;
    let mailboxes = transaction
        .prepare_cached(
            "UPDATE mailboxes SET expiry_warned = 1 WHERE expiry_warned = 0 AND expires_day < ?1",
        )?
        .execute(params![mailbox_cutoff_day])?;
    Ok(tips + mailboxes > 0)
}

fn append_log(
    transaction: &rusqlite::Transaction<'_>,
    entry: &NewLogEntry,
) -> StorageResult<LogOutcome> {
    let to_place = |sequence: i64| u64::try_from(sequence).unwrap_or(0);
    let earlier: Option<i64> = transaction
        .prepare_cached("SELECT sequence FROM team_log WHERE body_sha256 = ?1")?
        .query_row(params![entry.body_sha256], |row| row.get(0))
        .optional()?;
    if let Some(sequence) = earlier {
        return Ok(LogOutcome::AlreadyAppended(to_place(sequence)));
    }
    let (held, held_bytes): (i64, i64) = transaction.query_row(
        "SELECT COUNT(*), COALESCE(SUM(LENGTH(ciphertext)), 0) FROM team_log",
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    let new_bytes = u64::try_from(entry.ciphertext.len()).unwrap_or(u64::MAX);
    if u64::try_from(held).unwrap_or(u64::MAX) >= MAX_LOG_ENTRIES
        || u64::try_from(held_bytes)
            .unwrap_or(u64::MAX)
            .saturating_add(new_bytes)
            > MAX_LOG_BYTES
    {
        return Ok(LogOutcome::LogFull);
    }
    transaction
        .prepare_cached(
            "INSERT INTO team_log (body_sha256, received_hour, ciphertext) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![
            entry.body_sha256,
            entry.received_hour,
            &entry.ciphertext[..]
        ])?;
    Ok(LogOutcome::Appended(to_place(
        transaction.last_insert_rowid(),
    )))
}

fn register_mailbox(
    transaction: &rusqlite::Transaction<'_>,
    mailbox: &NewMailbox,
    effects: &mut BatchEffects,
) -> StorageResult<RegistrationOutcome> {
    let existing: Option<[u8; 32]> = transaction
        .prepare_cached("SELECT token_sha256 FROM mailboxes WHERE id = ?1")?
        .query_row(params![mailbox.id.0], |row| row.get(0))
        .optional()?;
    if let Some(existing) = existing {
        return Ok(if existing == mailbox.token_sha256 {
            RegistrationOutcome::AlreadyRegistered
        } else {
            RegistrationOutcome::Conflict
        });
    }
    transaction
        .prepare_cached(
            "INSERT INTO mailboxes (rowid, id, token_sha256, expires_day)
             VALUES (?4, ?1, ?2, ?3)",
        )?
        .execute(params![
            mailbox.id.0,
            mailbox.token_sha256,
            mailbox.expires_day,
            random_row_number()
        ])?;
    effects.mailboxes_added += 1;
    Ok(RegistrationOutcome::Created)
}

fn store_message(
    transaction: &rusqlite::Transaction<'_>,
    message: &NewMessage,
    now: i64,
    quota: Quota<'_>,
    effects: &mut BatchEffects,
) -> StorageResult<MessageOutcome> {
    let previous: Option<([u8; 16], [u8; 32])> = transaction
        .prepare_cached(
            "SELECT message_id, body_sha256 FROM message_submissions WHERE key_sha256 = ?1",
        )?
        .query_row(params![message.submission_key_sha256], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()?;
    if let Some((message_id, body_sha256)) = previous {
        return Ok(if body_sha256 == message.body_sha256 {
            MessageOutcome::AlreadyStored(MessageId(message_id))
        } else {
            MessageOutcome::SubmissionKeyConflict
        });
    }
    let today = round_down_to_day(now);
    let mailbox_exists = transaction
        .prepare_cached("SELECT 1 FROM mailboxes WHERE id = ?1 AND expires_day >= ?2")?
        .query_row(params![message.mailbox_id.0, today], |_| Ok(()))
        .optional()?
        .is_some();
    if !mailbox_exists {
        return Ok(MessageOutcome::MailboxNotFound);
    }
    // A replayed message (the same ciphertext posted again) is stored once.
    let replayed: Option<[u8; 16]> = transaction
        .prepare_cached(
            "SELECT id FROM mailbox_messages WHERE mailbox_id = ?1 AND body_sha256 = ?2",
        )?
        .query_row(params![message.mailbox_id.0, message.body_sha256], |row| {
            row.get(0)
        })
        .optional()?;
    if let Some(id) = replayed {
        return Ok(MessageOutcome::AlreadyStored(MessageId(id)));
    }
    let message_count: i64 = transaction
        .prepare_cached("SELECT COUNT(*) FROM mailbox_messages WHERE mailbox_id = ?1")?
        .query_row(params![message.mailbox_id.0], |row| row.get(0))?;
    if message_count >= i64::from(message.max_messages_per_mailbox) {
        return Ok(MessageOutcome::MailboxFull);
    }
    let size = message.ciphertext.len() as u64;
    if !quota.fits(size) {
        return Ok(MessageOutcome::StorageFull);
    }
    let from_reporter = message.author == MessageAuthor::Reporter;
    if from_reporter && !quota.fits_this_hour(size) {
        return Ok(MessageOutcome::HourlyLimitReached);
    }
    let id = super::random_message_id();
    let size_column = i64::try_from(size).unwrap_or(i64::MAX);
    transaction
        .prepare_cached(
            "INSERT INTO mailbox_messages
                 (sequence, position, mailbox_id, id, author, received_hour, size, body_sha256,
                  ciphertext)
             VALUES (?8, (SELECT COALESCE(MAX(position), 0) + 1 FROM mailbox_messages
                          WHERE mailbox_id = ?1),
                     ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            message.mailbox_id.0,
            id.0,
            message.author.as_str(),
            message.received_hour,
            size_column,
            message.body_sha256,
            &message.ciphertext[..],
            random_row_number()
        ])?;
    transaction
        .prepare_cached(
            "INSERT INTO message_submissions
                 (rowid, key_sha256, message_id, body_sha256, received_hour)
             VALUES (?5, ?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            message.submission_key_sha256,
            id.0,
            message.body_sha256,
            message.received_hour,
            random_row_number()
        ])?;
    // Only the coordinator's messages keep a conversation alive: a reporter (or whoever holds a
    // code) posting alone cannot keep a mailbox on the relay for ever.
    if !from_reporter {
        transaction
            .prepare_cached(
                // Kept alive again: a later expiry brings a warning of its own.
                "UPDATE mailboxes SET expires_day = MAX(expires_day, ?2), expiry_warned = 0
                 WHERE id = ?1",
            )?
            .execute(params![message.mailbox_id.0, message.expires_day])?;
    } else {
        *quota.this_hour += size;
    }
    *quota.stored_bytes += size;
    effects.messages_added += 1;
    effects.bytes_added += size_column;
    Ok(MessageOutcome::Stored(id))
}

fn delete_mailbox(
    transaction: &rusqlite::Transaction<'_>,
    id: MailboxId,
    stored_bytes: &mut u64,
    effects: &mut BatchEffects,
) -> StorageResult<bool> {
    let (message_count, message_bytes): (i64, i64) = transaction.query_row(
        "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM mailbox_messages WHERE mailbox_id = ?1",
        params![id.0],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    let deleted = transaction.execute("DELETE FROM mailboxes WHERE id = ?1", params![id.0])? > 0;
    if deleted {
        *stored_bytes = stored_bytes.saturating_sub(message_bytes.unsigned_abs());
        effects.mailboxes_added -= 1;
        effects.messages_added -= message_count;
        effects.bytes_added -= message_bytes;
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{SECONDS_PER_DAY, SECONDS_PER_HOUR, round_down_to_hour};

    fn temporary_directory(name: &str) -> PathBuf {
        let directory = std::env::temp_dir().join(format!(
            "fluister-sqlite-{name}-{}",
            crate::encoding::encode_hex(&crate::encoding::random_bytes::<8>())
        ));
        std::fs::create_dir_all(&directory).unwrap();
        directory
    }

    use crate::storage::story::{new_message, new_tip};

    fn limits(max_stored_bytes: u64) -> StorageLimits {
        StorageLimits {
            max_stored_bytes,
            max_stored_bytes_per_hour: max_stored_bytes,
        }
    }

    #[tokio::test]
    async fn the_storage_story() {
        let directory = temporary_directory("story");
        let storage = SqliteStorage::open(&directory, limits(1 << 20)).unwrap();
        crate::storage::story::tips_and_mailboxes(&storage).await;
        crate::storage::story::team_log(&storage).await;
        std::fs::remove_dir_all(directory).unwrap();
    }

    #[tokio::test]
    async fn each_tip_and_mailbox_near_its_end_is_warned_about_once() {
        let directory = temporary_directory("expiry");
        let storage = SqliteStorage::open(&directory, limits(1 << 20)).unwrap();
        crate::storage::story::expiry_warnings(&storage).await;
        std::fs::remove_dir_all(directory).unwrap();
    }

    /// The row numbers of `table`'s rows, in the order `order_by` (a column the test knows the
    /// insertion order of) puts them.
    fn row_numbers(path: &Path, table: &str, order_by: &str) -> Vec<i64> {
        let connection = open_connection(path, true).unwrap();
        let mut statement = connection
            .prepare(&format!("SELECT rowid FROM {table} ORDER BY {order_by}"))
            .unwrap();
        statement
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn is_increasing(numbers: &[i64]) -> bool {
        numbers.windows(2).all(|pair| pair[0] < pair[1])
    }

    /// Tips and mailboxes stored one after the other, each with a key byte that gives its
    /// place in that order.
    async fn interleaved_tips_and_mailboxes(storage: &SqliteStorage, count: u8) -> i64 {
        let hour = round_down_to_hour(now_unix());
        let expires_day = round_down_to_day(now_unix()) + 30 * SECONDS_PER_DAY;
        for key in 1..=count {
            storage
                .store_tip(new_tip(key, &[key; 8], hour))
                .await
                .unwrap();
            let id = MailboxId([key; 32]);
            storage
                .register_mailbox(NewMailbox {
                    id,
                    token_sha256: [key; 32],
                    expires_day,
                })
                .await
                .unwrap();
        }
        hour
    }

    #[tokio::test]
    async fn rows_are_stored_in_no_order_a_seized_database_could_pair() {
        let directory = temporary_directory("order");
        let storage = SqliteStorage::open(&directory, limits(1 << 20)).unwrap();
        let hour = interleaved_tips_and_mailboxes(&storage, 20).await;
        let expires_day = round_down_to_day(now_unix()) + 30 * SECONDS_PER_DAY;
        // Four conversations, written in turns: twelve messages, so that random row numbers come
        // out in insertion order by chance only once in 12! runs.
        for key in 1..=3u8 {
            for mailbox in [1u8, 2, 3, 4] {
                let author = MessageAuthor::Coordinator;
                let message = new_message(
                    MailboxId([mailbox; 32]),
                    author,
                    key * 10 + mailbox,
                    hour,
                    expires_day,
                );
                storage.store_message(message).await.unwrap();
            }
        }
        let path = directory.join(DATABASE_FILE_NAME);
        // Each table ordered by insertion (the key bytes): its row numbers are not.
        for (table, insertion_order) in [
            ("tips", "ciphertext"),
            ("submissions", "key_sha256"),
            ("mailboxes", "id"),
            ("mailbox_messages", "body_sha256"),
            ("message_submissions", "key_sha256"),
        ] {
            let numbers = row_numbers(&path, table, insertion_order);
            assert!(numbers.len() >= 12, "{table}: {numbers:?}");
            assert!(
                !is_increasing(&numbers),
                "{table} keeps insertion order: {numbers:?}"
            );
        }
        // Each conversation still reads in the order it was written.
        for mailbox in [1u8, 2] {
            let bodies: Vec<u8> = storage
                .messages(MailboxId([mailbox; 32]))
                .await
                .unwrap()
                .iter()
                .map(|message| message.ciphertext[0])
                .collect();
            assert_eq!(bodies, [10 + mailbox, 20 + mailbox, 30 + mailbox]);
        }
        drop(storage);
        std::fs::remove_dir_all(directory).unwrap();
    }

    #[tokio::test]
    async fn a_database_of_the_previous_schema_loses_its_order_and_keeps_its_conversations() {
        let directory = temporary_directory("migration");
        let path = directory.join(DATABASE_FILE_NAME);
        {
            // A relay of schema version 2, with rows numbered in insertion order.
            let mut connection = open_connection(&path, false).unwrap();
            connection
                .execute_batch("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY);")
                .unwrap();
            for (version, sql) in &MIGRATIONS[..2] {
                let transaction = connection.transaction().unwrap();
                transaction.execute_batch(sql).unwrap();
                transaction
                    .execute(
                        "INSERT INTO schema_migrations (version) VALUES (?1)",
                        params![version],
                    )
                    .unwrap();
                transaction.commit().unwrap();
            }
            for key in 1..=12u8 {
                connection
                    .execute(
                        "INSERT INTO tips (id, received_hour, size, ciphertext) VALUES (?1, 0, 1, ?2)",
                        params![[key; 16], [key; 1]],
                    )
                    .unwrap();
                connection
                    .execute(
                        "INSERT INTO mailboxes (id, token_sha256, expires_day) VALUES (?1, ?1, 4102444800)",
                        params![[key; 32]],
                    )
                    .unwrap();
            }
            for (key, mailbox) in [(1u8, 1u8), (2, 2), (3, 1), (4, 2), (5, 1), (6, 1)] {
                connection
                    .execute(
                        "INSERT INTO mailbox_messages
                             (mailbox_id, id, author, received_hour, size, body_sha256, ciphertext)
                         VALUES (?1, ?2, 'reporter', 0, 1, ?3, ?4)",
                        params![[mailbox; 32], [key; 16], [key; 32], [key; 1]],
                    )
                    .unwrap();
            }
            assert!(is_increasing(&row_numbers(&path, "tips", "ciphertext")));
        }
        let storage = SqliteStorage::open(&directory, limits(1 << 20)).unwrap();
        assert!(!is_increasing(&row_numbers(&path, "tips", "ciphertext")));
        assert!(!is_increasing(&row_numbers(&path, "mailboxes", "id")));
        let order = |mailbox: u8| {
            let storage = storage.clone();
            async move {
                storage
                    .messages(MailboxId([mailbox; 32]))
                    .await
                    .unwrap()
                    .iter()
                    .map(|message| message.ciphertext[0])
                    .collect::<Vec<u8>>()
            }
        };
        assert_eq!(order(1).await, [1, 3, 5, 6]);
        assert_eq!(order(2).await, [2, 4]);
        // A new message goes after them.
        let expires_day = round_down_to_day(now_unix()) + 30 * SECONDS_PER_DAY;
        let mut message = new_message(
            MailboxId([2; 32]),
            MessageAuthor::Coordinator,
            7,
            0,
            expires_day,
        );
        message.max_messages_per_mailbox = 10;
        storage.store_message(message).await.unwrap();
        assert_eq!(order(2).await, [2, 4, 7]);
        drop(storage);
        std::fs::remove_dir_all(directory).unwrap();
    }

    #[tokio::test]
    async fn quota_refuses_tips_that_do_not_fit() {
        let directory = temporary_directory("quota");
        let storage = SqliteStorage::open(&directory, limits(25)).unwrap();
        let hour = round_down_to_hour(now_unix());
        let fits = new_tip(1, &[7u8; 20], hour);
        assert!(matches!(
            storage.store_tip(fits).await.unwrap(),
            StoreOutcome::Stored(_)
        ));
        let too_much = new_tip(2, &[7u8; 20], hour);
        assert_eq!(
            storage.store_tip(too_much).await.unwrap(),
            StoreOutcome::StorageFull
        );
        drop(storage);
        // The quota survives a restart because the totals are recounted on open.
        let reopened = SqliteStorage::open(&directory, limits(25)).unwrap();
        assert_eq!(reopened.counts().stored_bytes, 20);
        std::fs::remove_dir_all(directory).unwrap();
    }

    #[tokio::test]
    async fn expired_mailboxes_are_invisible_then_swept_with_their_messages() {
        let directory = temporary_directory("mailbox-expiry");
        let storage = SqliteStorage::open(&directory, limits(1 << 20)).unwrap();
        let today = round_down_to_day(now_unix());
        let hour = round_down_to_hour(now_unix());
        let mut opened = Vec::new();
        for (index, expires_day) in [(1u8, today - SECONDS_PER_DAY), (2u8, today)] {
            let id = MailboxId([index; 32]);
            let outcome = storage
                .register_mailbox(NewMailbox {
                    id,
                    token_sha256: [index; 32],
                    expires_day,
                })
                .await
                .unwrap();
            assert_eq!(outcome, RegistrationOutcome::Created);
            let message = NewMessage {
                mailbox_id: id,
                author: MessageAuthor::Coordinator,
                submission_key_sha256: [index; 32],
                body_sha256: [index; 32],
                ciphertext: vec![index; 10].into(),
                received_hour: hour,
                // Posting does not shorten a mailbox's life.
                expires_day: today - 5 * SECONDS_PER_DAY,
                max_messages_per_mailbox: 10,
            };
            let stored = storage.store_message(message).await.unwrap();
            // The expired mailbox takes no more messages.
            if index == 1 {
                assert_eq!(stored, MessageOutcome::MailboxNotFound);
            } else {
                assert!(matches!(stored, MessageOutcome::Stored(_)));
            }
            opened.push(id);
        }
        assert_eq!(
            storage
                .mailbox_token_sha256(opened[0], today)
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            storage
                .mailbox_token_sha256(opened[1], today)
                .await
                .unwrap(),
            Some([2; 32])
        );
        assert_eq!(storage.counts().mailboxes, 2);
        storage
            .sweep(hour - SECONDS_PER_HOUR, now_unix())
            .await
            .unwrap();
        assert_eq!(storage.counts().mailboxes, 1);
        assert_eq!(storage.counts().messages, 1);
        assert_eq!(storage.messages(opened[1]).await.unwrap().len(), 1);
        assert!(storage.delete_mailbox(opened[1]).await.unwrap());
        assert_eq!(storage.counts().messages, 0);
        assert_eq!(storage.counts().stored_bytes, 0);
        std::fs::remove_dir_all(directory).unwrap();
    }

    #[tokio::test]
    async fn a_flood_fills_at_most_the_hourly_share_and_the_coordinator_is_not_held_up() {
        let directory = temporary_directory("hourly");
        let storage = SqliteStorage::open(
            &directory,
            StorageLimits {
                max_stored_bytes: 1 << 20,
                max_stored_bytes_per_hour: 50,
            },
        )
        .unwrap();
        let hour = round_down_to_hour(now_unix());
        for key in 0..2 {
            let tip = new_tip(key, &[key; 20], hour);
            assert!(matches!(
                storage.store_tip(tip).await.unwrap(),
                StoreOutcome::Stored(_)
            ));
        }
        assert_eq!(
            storage.store_tip(new_tip(9, &[9; 20], hour)).await.unwrap(),
            StoreOutcome::HourlyLimitReached
        );
        // The total quota still has room: only this hour's share is spent.
        assert_eq!(storage.counts().stored_bytes, 40);
        let id = MailboxId([5; 32]);
        assert_eq!(
            storage
                .register_mailbox(NewMailbox {
                    id,
                    token_sha256: [5; 32],
                    expires_day: round_down_to_day(now_unix()),
                })
                .await
                .unwrap(),
            RegistrationOutcome::Created
        );
        let message = |author, key: u8| {
            let mut message = new_message(id, author, key, hour, round_down_to_day(now_unix()));
            message.ciphertext = vec![key; 20].into();
            message
        };
        assert_eq!(
            storage
                .store_message(message(MessageAuthor::Reporter, 1))
                .await
                .unwrap(),
            MessageOutcome::HourlyLimitReached
        );
        assert!(matches!(
            storage
                .store_message(message(MessageAuthor::Coordinator, 2))
                .await
                .unwrap(),
            MessageOutcome::Stored(_)
        ));
        std::fs::remove_dir_all(directory).unwrap();
    }
}
