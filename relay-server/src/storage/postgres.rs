//! A backend on a PostgreSQL server the operator runs (`storage.backend = "postgres"`), for
//! those whose IT keeps its databases there, and for several relays on one database.
//!
//! Durability: every connection sets `synchronous_commit = on`, so a commit has reached the
//! server's disk (its write-ahead log, flushed) when it returns, and a request is answered only
//! after its commit. Writes serialise on one row, `storage_totals`, locked `FOR UPDATE` first in
//! every transaction that writes: it holds the quota's totals (all bytes stored, and this hour's
//! bytes from reporters), which each write reads and updates in the same transaction, so two
//! writers (two tasks, or two relays) can never both fit into the last free bytes, and every
//! check (a submission key seen before, a mailbox full, the team log's size) sees the writes
//! committed before it. Reads take a pooled connection of their own and lock nothing.
//!
//! Throughput: holding that row through a synchronous commit would let the whole database
//! commit one write after another, one flush each. Tips, the write a flood is made of, go
//! through one writer task per relay instead, which stores every tip that has queued up (at
//! most [`MAX_TIP_BATCH`]) in one transaction and one flush (group commit), each checked against
//! the totals as the tips before it in the batch left them, and answers each only after that
//! commit. A batch that fails answers every tip in it with the error (none of them is stored,
//! and each client retries with its own submission key).
//!
//! Order: rows get no number that says when they came. Tips, mailboxes and messages are keyed
//! by their random ids, and a message's place counts within its own mailbox only; the one
//! sequence is the team log's place, which the coordinators' order needs.
//!
//! Several relays: what they must agree on lives here too (migration 7). The challenge key is
//! one row, inserted if absent by the first relay to start. A challenge spent by a verified
//! proof is one row keyed by its MAC, inserted if absent, so one proof is accepted by exactly
//! one relay; the row says no more than the hour the challenge expires, and goes with the sweep
//! after it. The notice waiting to be sent is one row that relays fold their arrivals into and
//! one relay takes. A retention sweep runs under an advisory lock that a second relay sweeping
//! at the same moment does not wait for.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::NoTls;
use tokio_postgres::types::ToSql;

use super::{
    LogOutcome, MAX_LOG_BYTES, MAX_LOG_ENTRIES, MailboxId, MessageAuthor, MessageId,
    MessageOutcome, NewLogEntry, NewMailbox, NewMessage, NewTip, PendingNotice, PreviousMessage,
    PreviousSubmission, RegistrationOutcome, Storage, StorageCounts, StorageError, StorageResult,
    StoreOutcome, StoredLogEntry, StoredMessage, TipId, TipSummary, now_unix, round_down_to_day,
    round_down_to_hour,
};
use crate::storage::sqlite::StorageLimits;

impl From<tokio_postgres::Error> for StorageError {
    fn from(error: tokio_postgres::Error) -> Self {
        // The database's own message (`duplicate key value …`) is under `source`.
        match std::error::Error::source(&error) {
            Some(source) => Self(format!("{error}: {source}")),
            None => Self(error.to_string()),
        }
    }
}

impl From<deadpool_postgres::PoolError> for StorageError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        Self(format!("no database connection: {error}"))
    }
}

/// The most connections one relay opens to the server.
const MAX_CONNECTIONS: usize = 16;

/// The most tips the writer stores in one transaction.
const MAX_TIP_BATCH: usize = 128;

/// How long a request waits for a connection (or for a new one to be made) before it fails.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(10);

/// A key for `pg_advisory_xact_lock`, so that two relays starting at once migrate one after the
/// other ("fluister" in ASCII).
const MIGRATION_LOCK: i64 = 0x666c_7569_7374_6572;

/// A key for `pg_try_advisory_xact_lock`, held by the relay that is sweeping ("sweeping").
const SWEEP_LOCK: i64 = 0x7377_6565_7069_6e67;

/// Versioned schema migrations, applied in order; each runs once, in its own transaction.
/// Never edit a released migration: add a new one. Versions 1 to 5 hold the same tables as the
/// SQLite backend's migrations 1 to 5 (with PostgreSQL's types, and without SQLite's row
/// numbers, which migration 3 there had to randomise); 6 and 7 are PostgreSQL's own.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        "CREATE TABLE tips (
             id BYTEA PRIMARY KEY,
             received_hour BIGINT NOT NULL,
             size BIGINT NOT NULL,
             ciphertext BYTEA NOT NULL
         );
         CREATE INDEX tips_by_hour ON tips (received_hour);
         CREATE TABLE submissions (
             key_sha256 BYTEA PRIMARY KEY,
             tip_id BYTEA NOT NULL,
             body_sha256 BYTEA NOT NULL,
             received_hour BIGINT NOT NULL
         );
         CREATE INDEX submissions_by_hour ON submissions (received_hour);",
    ),
    (
        2,
        // Mailboxes carry no time but the day they expire, and nothing that links them to a
        // tip. A message's place is counted within its mailbox (SQLite's migration 3): no
        // global sequence orders every conversation against the others.
        "CREATE TABLE mailboxes (
             id BYTEA PRIMARY KEY,
             token_sha256 BYTEA NOT NULL,
             expires_day BIGINT NOT NULL
         );
         CREATE INDEX mailboxes_by_expiry ON mailboxes (expires_day);
         CREATE TABLE mailbox_messages (
             mailbox_id BYTEA NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
             position BIGINT NOT NULL,
             id BYTEA NOT NULL UNIQUE,
             author TEXT NOT NULL CHECK (author IN ('coordinator', 'reporter')),
             received_hour BIGINT NOT NULL,
             size BIGINT NOT NULL,
             body_sha256 BYTEA NOT NULL,
             ciphertext BYTEA NOT NULL,
             PRIMARY KEY (mailbox_id, position),
             UNIQUE (mailbox_id, body_sha256)
         );
         CREATE TABLE message_submissions (
             key_sha256 BYTEA PRIMARY KEY,
             message_id BYTEA NOT NULL,
             body_sha256 BYTEA NOT NULL,
             received_hour BIGINT NOT NULL
         );
         CREATE INDEX message_submissions_by_hour ON message_submissions (received_hour);",
    ),
    (
        3,
        // SQLite's migration 3 gave rows random row numbers; PostgreSQL numbers no rows, and
        // these tables have no serial column. Nothing to do: the version is kept so that the
        // two backends' migrations keep the same numbers.
        "SELECT 1;",
    ),
    (
        4,
        // The team's shared case log, in the order it was appended. A sequence never hands a
        // place out twice, even after the sweep removed the last entries.
        "CREATE TABLE team_log (
             sequence BIGSERIAL PRIMARY KEY,
             body_sha256 BYTEA NOT NULL UNIQUE,
             received_hour BIGINT NOT NULL,
             ciphertext BYTEA NOT NULL
         );
         CREATE INDEX team_log_by_hour ON team_log (received_hour);",
    ),
    (
        5,
        // Whether the coordinators were warned that a tip or a mailbox nears its end.
        "ALTER TABLE tips ADD COLUMN expiry_warned BOOLEAN NOT NULL DEFAULT FALSE;
         ALTER TABLE mailboxes ADD COLUMN expiry_warned BOOLEAN NOT NULL DEFAULT FALSE;",
    ),
    (
        6,
        // The quota's totals in one row, locked by every write (see the module's comment): the
        // SQLite backend keeps them in its one writer's memory, which several connections (or
        // relays) cannot share. `hour_bytes` counts the bytes from reporters taken in `hour`.
        "CREATE TABLE storage_totals (
             only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
             tips BIGINT NOT NULL,
             mailboxes BIGINT NOT NULL,
             messages BIGINT NOT NULL,
             stored_bytes BIGINT NOT NULL,
             hour BIGINT NOT NULL,
             hour_bytes BIGINT NOT NULL
         );
         INSERT INTO storage_totals (tips, mailboxes, messages, stored_bytes, hour, hour_bytes)
         SELECT (SELECT COUNT(*) FROM tips), (SELECT COUNT(*) FROM mailboxes),
                (SELECT COUNT(*) FROM mailbox_messages),
                (SELECT COALESCE(SUM(size), 0) FROM tips)
                    + (SELECT COALESCE(SUM(size), 0) FROM mailbox_messages),
                0, 0;",
    ),
    (
        7,
        // What several relays on this database share (see the module's comment): SQLite serves
        // one process, which keeps all three in its memory and its key file.
        "CREATE TABLE challenge_key (
             only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
             master BYTEA NOT NULL CHECK (LENGTH(master) = 32)
         );
         CREATE TABLE spent_challenges (
             tag BYTEA PRIMARY KEY,
             expires_hour BIGINT NOT NULL
         );
         CREATE INDEX spent_challenges_by_expiry ON spent_challenges (expires_hour);
         CREATE TABLE pending_notice (
             only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
             news BOOLEAN NOT NULL,
             expiring BOOLEAN NOT NULL
         );
         INSERT INTO pending_notice (news, expiring) VALUES (FALSE, FALSE);",
    ),
];

/// Locks the totals row for the rest of the transaction: every write begins with it.
const LOCK_TOTALS: &str = "SELECT tips, mailboxes, messages, stored_bytes, hour, hour_bytes
                           FROM storage_totals FOR UPDATE";

/// The totals row, as read (and locked) at the start of a write.
#[derive(Debug, Clone, Copy)]
struct TotalsRow {
    tips: i64,
    mailboxes: i64,
    messages: i64,
    stored_bytes: i64,
    hour: i64,
    hour_bytes: i64,
}

impl TotalsRow {
    fn from_row(row: &tokio_postgres::Row) -> StorageResult<Self> {
        Ok(Self {
            tips: row.try_get(0)?,
            mailboxes: row.try_get(1)?,
            messages: row.try_get(2)?,
            stored_bytes: row.try_get(3)?,
            hour: row.try_get(4)?,
            hour_bytes: row.try_get(5)?,
        })
    }

    /// The bytes from reporters taken so far in `hour`.
    fn bytes_in_hour(&self, hour: i64) -> u64 {
        if self.hour == hour {
            as_count(self.hour_bytes)
        } else {
            0
        }
    }
}

/// The totals as this relay last saw them, for `/metrics` (read without a database round trip).
#[derive(Debug, Default)]
struct Totals {
    tips_stored: AtomicU64,
    stored_bytes: AtomicU64,
    mailboxes: AtomicU64,
    messages: AtomicU64,
}

impl Totals {
    fn set(&self, row: &TotalsRow) {
        self.tips_stored
            .store(as_count(row.tips), Ordering::Relaxed);
        self.stored_bytes
            .store(as_count(row.stored_bytes), Ordering::Relaxed);
        self.mailboxes
            .store(as_count(row.mailboxes), Ordering::Relaxed);
        self.messages
            .store(as_count(row.messages), Ordering::Relaxed);
    }
}

fn as_count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn as_column(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// A fixed-size value (an id, a hash) read from a BYTEA column.
fn fixed<const N: usize>(bytes: Vec<u8>) -> StorageResult<[u8; N]> {
    let length = bytes.len();
    bytes.try_into().map_err(|_| {
        StorageError(format!(
            "a stored value has {length} bytes where {N} were expected"
        ))
    })
}

/// The PostgreSQL backend. Cloning is cheap; all clones share the connection pool and the tip
/// writer.
#[derive(Clone)]
pub struct PostgresStorage {
    pool: Pool,
    limits: StorageLimits,
    totals: Arc<Totals>,
    tips: mpsc::UnboundedSender<TipCommand>,
}

/// A tip for the writer task, with the channel its outcome goes back on (after the commit).
struct TipCommand {
    tip: NewTip,
    answer: oneshot::Sender<StorageResult<StoreOutcome>>,
}

impl std::fmt::Debug for PostgresStorage {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The pool's config holds the connection's password: never printed.
        formatter
            .debug_struct("PostgresStorage")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl PostgresStorage {
    /// Connects to the database `url` names (`postgresql://user@host/database`, or a
    /// `key=value` connection string), migrates it, and reads the totals.
    pub async fn open(url: &str, limits: StorageLimits) -> StorageResult<Self> {
        let mut config: tokio_postgres::Config = url.parse().map_err(|error| {
            StorageError(format!(
                "storage.postgres_url is not a PostgreSQL connection URL ({error})"
            ))
        })?;
        // Acknowledged means committed: a commit returns once the server flushed it. The
        // server's default already, but a database or role setting could have turned it off.
        let options = match config.get_options() {
            Some(options) if !options.trim().is_empty() => {
                format!("{options} -c synchronous_commit=on")
            }
            _ => "-c synchronous_commit=on".to_owned(),
        };
        config.options(options);
        config.application_name("fluister-relay");
        config.connect_timeout(CONNECTION_TIMEOUT);
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(MAX_CONNECTIONS)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(CONNECTION_TIMEOUT))
            .create_timeout(Some(CONNECTION_TIMEOUT))
            .recycle_timeout(Some(CONNECTION_TIMEOUT))
            .build()
            .map_err(|error| StorageError(format!("cannot set up the connection pool: {error}")))?;
        let (tips, queued_tips) = mpsc::unbounded_channel();
        let storage = Self {
            pool,
            limits,
            totals: Arc::new(Totals::default()),
            tips,
        };
        storage.migrate().await?;
        let client = storage.pool.get().await?;
        let row = client
            .query_one(
                "SELECT tips, mailboxes, messages, stored_bytes, hour, hour_bytes
                 FROM storage_totals",
                &[],
            )
            .await?;
        storage.totals.set(&TotalsRow::from_row(&row)?);
        // Ends when the last clone of the storage (and so of the sender) is dropped.
        tokio::spawn(write_tips(
            storage.pool.clone(),
            limits,
            Arc::clone(&storage.totals),
            queued_tips,
        ));
        Ok(storage)
    }

    /// Applies the migrations this database has not had yet, each in its own transaction,
    /// under a lock that makes a second relay starting at once wait; refuses a database whose
    /// schema is newer than this relay knows.
    async fn migrate(&self) -> StorageResult<()> {
        let mut client = self.pool.get().await?;
        let newest_known = MIGRATIONS.last().map_or(0, |(version, _)| *version);
        for (version, sql) in MIGRATIONS {
            let transaction = client.transaction().await?;
            transaction
                .execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
                .await?;
            transaction
                .batch_execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY)",
                )
                .await?;
            let applied: i64 = transaction
                .query_one(
                    "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                    &[],
                )
                .await?
                .try_get(0)?;
            if applied > newest_known {
                return Err(StorageError(format!(
                    "the database has schema version {applied}, newer than this relay knows ({newest_known}); run a newer relay"
                )));
            }
            if applied >= *version {
                transaction.commit().await?;
                continue;
            }
            transaction.batch_execute(sql).await?;
            transaction
                .execute(
                    "INSERT INTO schema_migrations (version) VALUES ($1)",
                    &[version],
                )
                .await?;
            transaction.commit().await?;
            tracing::info!(version, "applied database migration");
        }
        Ok(())
    }

    /// Runs `work` in a transaction that first locks the totals row, then writes the totals it
    /// returns into that row and commits; the answer is returned only after the commit, and
    /// this relay's view of the totals follows.
    async fn write<T, F>(&self, work: F) -> StorageResult<T>
    where
        F: for<'a> FnOnce(
            &'a deadpool_postgres::Transaction<'a>,
            TotalsRow,
        ) -> std::pin::Pin<
            Box<dyn Future<Output = StorageResult<(T, TotalsRow)>> + Send + 'a>,
        >,
    {
        self.write_unless_locked(None, work)
            .await?
            .ok_or_else(|| StorageError("a write without a lock found it taken".to_owned()))
    }

    /// [`Self::write`], but when `advisory_lock` is given, first tries that advisory lock and,
    /// when another session holds it, does nothing and returns `None` without waiting (and
    /// without taking the totals row).
    async fn write_unless_locked<T, F>(
        &self,
        advisory_lock: Option<i64>,
        work: F,
    ) -> StorageResult<Option<T>>
    where
        F: for<'a> FnOnce(
            &'a deadpool_postgres::Transaction<'a>,
            TotalsRow,
        ) -> std::pin::Pin<
            Box<dyn Future<Output = StorageResult<(T, TotalsRow)>> + Send + 'a>,
        >,
    {
        let mut client = self.pool.get().await?;
        let transaction = client.transaction().await?;
        if let Some(key) = advisory_lock {
            let taken: bool = transaction
                .query_one("SELECT pg_try_advisory_xact_lock($1)", &[&key])
                .await?
                .try_get(0)?;
            if !taken {
                return Ok(None);
            }
        }
        let locked = TotalsRow::from_row(&transaction.query_one(LOCK_TOTALS, &[]).await?)?;
        let (answer, totals) = work(&transaction, locked).await?;
        save_totals(&transaction, &totals).await?;
        transaction.commit().await?;
        self.totals.set(&totals);
        Ok(Some(answer))
    }

    /// Runs one query on a pooled connection and returns its rows.
    async fn read(
        &self,
        query: &str,
        parameters: &[&(dyn ToSql + Sync)],
    ) -> StorageResult<Vec<tokio_postgres::Row>> {
        let client = self.pool.get().await?;
        let statement = client.prepare_cached(query).await?;
        Ok(client.query(&statement, parameters).await?)
    }
}

/// Writes the totals a write transaction ends with into the row it locked.
async fn save_totals(
    transaction: &deadpool_postgres::Transaction<'_>,
    totals: &TotalsRow,
) -> StorageResult<()> {
    transaction
        .execute(
            "UPDATE storage_totals SET tips = $1, mailboxes = $2, messages = $3,
                 stored_bytes = $4, hour = $5, hour_bytes = $6",
            &[
                &totals.tips,
                &totals.mailboxes,
                &totals.messages,
                &totals.stored_bytes,
                &totals.hour,
                &totals.hour_bytes,
            ],
        )
        .await?;
    Ok(())
}

/// The tip writer: takes the tips that have queued up (at most [`MAX_TIP_BATCH`]), stores them
/// in one transaction and answers each after its commit; then the next batch. Ends when every
/// sender is gone.
async fn write_tips(
    pool: Pool,
    limits: StorageLimits,
    totals: Arc<Totals>,
    mut queued: mpsc::UnboundedReceiver<TipCommand>,
) {
    let mut batch = Vec::with_capacity(MAX_TIP_BATCH);
    while let Some(first) = queued.recv().await {
        batch.push(first);
        while batch.len() < MAX_TIP_BATCH {
            match queued.try_recv() {
                Ok(command) => batch.push(command),
                Err(_) => break,
            }
        }
        // A request that was given up (timed out, or its client went away) while its tip waited
        // is not stored now: its client was told it failed, and retries with its own key.
        batch.retain(|command: &TipCommand| !command.answer.is_closed());
        if batch.is_empty() {
            continue;
        }
        match store_tip_batch(&pool, limits, &batch).await {
            Ok((outcomes, row)) => {
                totals.set(&row);
                for (command, outcome) in batch.drain(..).zip(outcomes) {
                    // A client that went away no longer waits for its answer.
                    let _ = command.answer.send(Ok(outcome));
                }
            }
            Err(error) => {
                for command in batch.drain(..) {
                    let _ = command.answer.send(Err(StorageError(error.0.clone())));
                }
            }
        }
    }
}

/// Stores a batch of tips in one transaction: the totals row locked first, each tip checked
/// against the totals the ones before it left (and against their submission keys), the totals
/// written, one commit. Returns each tip's outcome, in order, and the totals after the commit.
async fn store_tip_batch(
    pool: &Pool,
    limits: StorageLimits,
    batch: &[TipCommand],
) -> StorageResult<(Vec<StoreOutcome>, TotalsRow)> {
    let hour = round_down_to_hour(now_unix());
    let mut client = pool.get().await?;
    let transaction = client.transaction().await?;
    let mut totals = TotalsRow::from_row(&transaction.query_one(LOCK_TOTALS, &[]).await?)?;
    let mut outcomes = Vec::with_capacity(batch.len());
    for command in batch {
        let (outcome, next) =
            store_one_tip(&transaction, limits, hour, &command.tip, totals).await?;
        outcomes.push(outcome);
        totals = next;
    }
    save_totals(&transaction, &totals).await?;
    transaction.commit().await?;
    Ok((outcomes, totals))
}

/// Stores one tip inside a write transaction that holds the totals row, unless its submission
/// key was seen before or the quota refuses it; returns its outcome and the totals after it.
async fn store_one_tip(
    transaction: &deadpool_postgres::Transaction<'_>,
    limits: StorageLimits,
    hour: i64,
    tip: &NewTip,
    totals: TotalsRow,
) -> StorageResult<(StoreOutcome, TotalsRow)> {
    // A retried submission is recognised before anything else is checked (also when the first
    // attempt is earlier in the same batch: the transaction sees its own rows).
    if let Some(previous) = find_submission(transaction, &tip.submission_key_sha256).await? {
        let outcome = if previous.body_sha256 == tip.body_sha256 {
            StoreOutcome::AlreadyStored(previous.tip_id)
        } else {
            StoreOutcome::SubmissionKeyConflict
        };
        return Ok((outcome, totals));
    }
    let size = tip.ciphertext.len() as u64;
    match quota_refusal(limits, &totals, hour, size, true) {
        Some(QuotaRefusal::Full) => return Ok((StoreOutcome::StorageFull, totals)),
        Some(QuotaRefusal::ThisHour) => return Ok((StoreOutcome::HourlyLimitReached, totals)),
        None => {}
    }
    let id = super::random_tip_id();
    let insert_tip = transaction
        .prepare_cached(
            "INSERT INTO tips (id, received_hour, size, ciphertext) VALUES ($1, $2, $3, $4)",
        )
        .await?;
    transaction
        .execute(
            &insert_tip,
            &[
                &&id.0[..],
                &tip.received_hour,
                &as_column(size),
                &&tip.ciphertext[..],
            ],
        )
        .await?;
    let insert_submission = transaction
        .prepare_cached(
            "INSERT INTO submissions (key_sha256, tip_id, body_sha256, received_hour)
             VALUES ($1, $2, $3, $4)",
        )
        .await?;
    transaction
        .execute(
            &insert_submission,
            &[
                &&tip.submission_key_sha256[..],
                &&id.0[..],
                &&tip.body_sha256[..],
                &tip.received_hour,
            ],
        )
        .await?;
    let mut next = with_bytes_added(totals, hour, size, true);
    next.tips += 1;
    Ok((StoreOutcome::Stored(id), next))
}

/// Whether `size` more bytes fit in the total quota and, when `hourly`, in this hour's share.
fn quota_refusal(
    limits: StorageLimits,
    totals: &TotalsRow,
    hour: i64,
    size: u64,
    hourly: bool,
) -> Option<QuotaRefusal> {
    if as_count(totals.stored_bytes).saturating_add(size) > limits.max_stored_bytes {
        return Some(QuotaRefusal::Full);
    }
    if hourly && totals.bytes_in_hour(hour).saturating_add(size) > limits.max_stored_bytes_per_hour
    {
        return Some(QuotaRefusal::ThisHour);
    }
    None
}

/// Why a quota refused.
enum QuotaRefusal {
    Full,
    ThisHour,
}

/// The totals after `size` bytes were taken in `hour`, counted against the hourly share when
/// `hourly`.
fn with_bytes_added(totals: TotalsRow, hour: i64, size: u64, hourly: bool) -> TotalsRow {
    let size = as_column(size);
    let mut next = totals;
    next.stored_bytes = totals.stored_bytes.saturating_add(size);
    if hourly {
        next.hour_bytes = as_column(totals.bytes_in_hour(hour)).saturating_add(size);
        next.hour = hour;
    }
    next
}

async fn find_submission(
    client: &impl deadpool_postgres::GenericClient,
    submission_key_sha256: &[u8; 32],
) -> StorageResult<Option<PreviousSubmission>> {
    let statement = client
        .prepare_cached("SELECT tip_id, body_sha256 FROM submissions WHERE key_sha256 = $1")
        .await?;
    let row = client
        .query_opt(&statement, &[&&submission_key_sha256[..]])
        .await?;
    row.map(|row| {
        Ok(PreviousSubmission {
            tip_id: TipId(fixed(row.try_get(0)?)?),
            body_sha256: fixed(row.try_get(1)?)?,
        })
    })
    .transpose()
}

async fn find_message_submission(
    client: &impl deadpool_postgres::GenericClient,
    submission_key_sha256: &[u8; 32],
) -> StorageResult<Option<PreviousMessage>> {
    let row = client
        .query_opt(
            "SELECT message_id, body_sha256 FROM message_submissions WHERE key_sha256 = $1",
            &[&&submission_key_sha256[..]],
        )
        .await?;
    row.map(|row| {
        Ok(PreviousMessage {
            message_id: MessageId(fixed(row.try_get(0)?)?),
            body_sha256: fixed(row.try_get(1)?)?,
        })
    })
    .transpose()
}

impl Storage for PostgresStorage {
    async fn store_tip(&self, tip: NewTip) -> StorageResult<StoreOutcome> {
        let (answer, outcome) = oneshot::channel();
        self.tips
            .send(TipCommand { tip, answer })
            .map_err(|_| StorageError("the tip writer has stopped".to_owned()))?;
        outcome
            .await
            .map_err(|_| StorageError("the tip writer dropped a tip".to_owned()))?
    }

    async fn find_submission(
        &self,
        submission_key_sha256: [u8; 32],
    ) -> StorageResult<Option<PreviousSubmission>> {
        let client = self.pool.get().await?;
        find_submission(&client, &submission_key_sha256).await
    }

    async fn list_tips(&self) -> StorageResult<Vec<TipSummary>> {
        self.read(
            "SELECT id, received_hour, size FROM tips ORDER BY received_hour, id",
            &[],
        )
        .await?
        .into_iter()
        .map(|row| {
            Ok(TipSummary {
                id: TipId(fixed(row.try_get(0)?)?),
                received_hour: row.try_get(1)?,
                size: as_count(row.try_get(2)?),
            })
        })
        .collect()
    }

    async fn tip(&self, id: TipId) -> StorageResult<Option<Vec<u8>>> {
        let rows = self
            .read("SELECT ciphertext FROM tips WHERE id = $1", &[&&id.0[..]])
            .await?;
        rows.first()
            .map(|row| row.try_get(0).map_err(StorageError::from))
            .transpose()
    }

    async fn delete_tip(&self, id: TipId) -> StorageResult<bool> {
        self.write(move |transaction, totals| {
            Box::pin(async move {
                let deleted = transaction
                    .query_opt(
                        "DELETE FROM tips WHERE id = $1 RETURNING size",
                        &[&&id.0[..]],
                    )
                    .await?;
                let Some(row) = deleted else {
                    return Ok((false, totals));
                };
                let size: i64 = row.try_get(0)?;
                let mut next = totals;
                next.tips -= 1;
                next.stored_bytes -= size;
                Ok((true, next))
            })
        })
        .await
    }

    async fn sweep(&self, cutoff_hour: i64, now_unix: i64) -> StorageResult<u64> {
        let today = round_down_to_day(now_unix);
        let this_hour = round_down_to_hour(now_unix);
        // Another relay sweeping right now does the same work: this one skips it.
        let swept = self.write_unless_locked(Some(SWEEP_LOCK), move |transaction, totals| {
            Box::pin(async move {
                transaction
                    .execute(
                        "DELETE FROM spent_challenges WHERE expires_hour <= $1",
                        &[&this_hour],
                    )
                    .await?;
                let tips_deleted = transaction
                    .execute(
                        "DELETE FROM tips WHERE received_hour < $1",
                        &[&cutoff_hour],
                    )
                    .await?;
                transaction
                    .execute(
                        "DELETE FROM submissions WHERE received_hour < $1",
                        &[&cutoff_hour],
                    )
                    .await?;
                // Deleting a mailbox deletes its messages with it (ON DELETE CASCADE).
                transaction
                    .execute("DELETE FROM mailboxes WHERE expires_day < $1", &[&today])
                    .await?;
                transaction
                    .execute(
                        "DELETE FROM message_submissions WHERE received_hour < $1",
                        &[&cutoff_hour],
                    )
                    .await?;
                transaction
                    .execute(
                        "DELETE FROM team_log WHERE received_hour < $1",
                        &[&cutoff_hour],
                    )
                    .await?;
                // Counted afresh, so the totals can never drift from what is stored.
                let counted = transaction
                    .query_one(
                        "SELECT (SELECT COUNT(*) FROM tips), (SELECT COUNT(*) FROM mailboxes),
                                (SELECT COUNT(*) FROM mailbox_messages),
                                (SELECT COALESCE(SUM(size), 0) FROM tips)::BIGINT
                                    + (SELECT COALESCE(SUM(size), 0) FROM mailbox_messages)::BIGINT",
                        &[],
                    )
                    .await?;
                let next = TotalsRow {
                    tips: counted.try_get(0)?,
                    mailboxes: counted.try_get(1)?,
                    messages: counted.try_get(2)?,
                    stored_bytes: counted.try_get(3)?,
                    ..totals
                };
                Ok((tips_deleted, next))
            })
        })
        .await?;
        Ok(swept.unwrap_or(0))
    }

    async fn register_mailbox(&self, mailbox: NewMailbox) -> StorageResult<RegistrationOutcome> {
        self.write(move |transaction, totals| {
            Box::pin(async move {
                let existing = transaction
                    .query_opt(
                        "SELECT token_sha256 FROM mailboxes WHERE id = $1",
                        &[&&mailbox.id.0[..]],
                    )
                    .await?;
                if let Some(row) = existing {
                    let existing: [u8; 32] = fixed(row.try_get(0)?)?;
                    let outcome = if existing == mailbox.token_sha256 {
                        RegistrationOutcome::AlreadyRegistered
                    } else {
                        RegistrationOutcome::Conflict
                    };
                    return Ok((outcome, totals));
                }
                transaction
                    .execute(
                        "INSERT INTO mailboxes (id, token_sha256, expires_day) VALUES ($1, $2, $3)",
                        &[
                            &&mailbox.id.0[..],
                            &&mailbox.token_sha256[..],
                            &mailbox.expires_day,
                        ],
                    )
                    .await?;
                let mut next = totals;
                next.mailboxes += 1;
                Ok((RegistrationOutcome::Created, next))
            })
        })
        .await
    }

    async fn mailbox_token_sha256(
        &self,
        id: MailboxId,
        today: i64,
    ) -> StorageResult<Option<[u8; 32]>> {
        let rows = self
            .read(
                "SELECT token_sha256 FROM mailboxes WHERE id = $1 AND expires_day >= $2",
                &[&&id.0[..], &today],
            )
            .await?;
        rows.first().map(|row| fixed(row.try_get(0)?)).transpose()
    }

    async fn store_message(&self, message: NewMessage) -> StorageResult<MessageOutcome> {
        let limits = self.limits;
        let now = now_unix();
        let hour = round_down_to_hour(now);
        let today = round_down_to_day(now);
        self.write(move |transaction, totals| {
            Box::pin(async move {
                if let Some(previous) =
                    find_message_submission(transaction, &message.submission_key_sha256).await?
                {
                    let outcome = if previous.body_sha256 == message.body_sha256 {
                        MessageOutcome::AlreadyStored(previous.message_id)
                    } else {
                        MessageOutcome::SubmissionKeyConflict
                    };
                    return Ok((outcome, totals));
                }
                let mailbox_id = &message.mailbox_id.0[..];
                let mailbox_exists = transaction
                    .query_opt(
                        "SELECT 1 FROM mailboxes WHERE id = $1 AND expires_day >= $2",
                        &[&mailbox_id, &today],
                    )
                    .await?
                    .is_some();
                if !mailbox_exists {
                    return Ok((MessageOutcome::MailboxNotFound, totals));
                }
                // A replayed message (the same ciphertext posted again) is stored once.
                let replayed = transaction
                    .query_opt(
                        "SELECT id FROM mailbox_messages WHERE mailbox_id = $1 AND body_sha256 = $2",
                        &[&mailbox_id, &&message.body_sha256[..]],
                    )
                    .await?;
                if let Some(row) = replayed {
                    let id = MessageId(fixed(row.try_get(0)?)?);
                    return Ok((MessageOutcome::AlreadyStored(id), totals));
                }
                let message_count: i64 = transaction
                    .query_one(
                        "SELECT COUNT(*) FROM mailbox_messages WHERE mailbox_id = $1",
                        &[&mailbox_id],
                    )
                    .await?
                    .try_get(0)?;
                if message_count >= i64::from(message.max_messages_per_mailbox) {
                    return Ok((MessageOutcome::MailboxFull, totals));
                }
                let size = message.ciphertext.len() as u64;
                let from_reporter = message.author == MessageAuthor::Reporter;
                match quota_refusal(limits, &totals, hour, size, from_reporter) {
                    Some(QuotaRefusal::Full) => return Ok((MessageOutcome::StorageFull, totals)),
                    Some(QuotaRefusal::ThisHour) => {
                        return Ok((MessageOutcome::HourlyLimitReached, totals));
                    }
                    None => {}
                }
                let id = super::random_message_id();
                transaction
                    .execute(
                        "INSERT INTO mailbox_messages
                             (position, mailbox_id, id, author, received_hour, size, body_sha256,
                              ciphertext)
                         VALUES ((SELECT COALESCE(MAX(position), 0) + 1 FROM mailbox_messages
                                  WHERE mailbox_id = $1),
                                 $1, $2, $3, $4, $5, $6, $7)",
                        &[
                            &mailbox_id,
                            &&id.0[..],
                            &message.author.as_str(),
                            &message.received_hour,
                            &as_column(size),
                            &&message.body_sha256[..],
                            &&message.ciphertext[..],
                        ],
                    )
                    .await?;
                transaction
                    .execute(
                        "INSERT INTO message_submissions
                             (key_sha256, message_id, body_sha256, received_hour)
                         VALUES ($1, $2, $3, $4)",
                        &[
                            &&message.submission_key_sha256[..],
                            &&id.0[..],
                            &&message.body_sha256[..],
                            &message.received_hour,
                        ],
                    )
                    .await?;
                // Only the coordinator's messages keep a conversation alive; a later expiry
                // brings a warning of its own.
                if !from_reporter {
                    transaction
                        .execute(
                            "UPDATE mailboxes SET expires_day = GREATEST(expires_day, $2),
                                 expiry_warned = FALSE
                             WHERE id = $1",
                            &[&mailbox_id, &message.expires_day],
                        )
                        .await?;
                }
                let mut next = with_bytes_added(totals, hour, size, from_reporter);
                next.messages += 1;
                Ok((MessageOutcome::Stored(id), next))
            })
        })
        .await
    }

    async fn find_message_submission(
        &self,
        submission_key_sha256: [u8; 32],
    ) -> StorageResult<Option<PreviousMessage>> {
        let client = self.pool.get().await?;
        find_message_submission(&client, &submission_key_sha256).await
    }

    async fn messages(&self, id: MailboxId) -> StorageResult<Vec<StoredMessage>> {
        self.read(
            "SELECT id, author, received_hour, ciphertext FROM mailbox_messages
             WHERE mailbox_id = $1 ORDER BY position",
            &[&&id.0[..]],
        )
        .await?
        .into_iter()
        .map(|row| {
            let author: String = row.try_get(1)?;
            Ok(StoredMessage {
                id: MessageId(fixed(row.try_get(0)?)?),
                author: MessageAuthor::parse(&author).ok_or_else(|| {
                    StorageError(format!(
                        "a stored message has the unknown author `{author}`"
                    ))
                })?,
                received_hour: row.try_get(2)?,
                ciphertext: row.try_get(3)?,
            })
        })
        .collect()
    }

    async fn delete_mailbox(&self, id: MailboxId) -> StorageResult<bool> {
        self.write(move |transaction, totals| {
            Box::pin(async move {
                let mailbox_id = &id.0[..];
                let held = transaction
                    .query_one(
                        "SELECT COUNT(*), COALESCE(SUM(size), 0)::BIGINT FROM mailbox_messages
                         WHERE mailbox_id = $1",
                        &[&mailbox_id],
                    )
                    .await?;
                let (message_count, message_bytes): (i64, i64) =
                    (held.try_get(0)?, held.try_get(1)?);
                let deleted = transaction
                    .execute("DELETE FROM mailboxes WHERE id = $1", &[&mailbox_id])
                    .await?
                    > 0;
                if !deleted {
                    return Ok((false, totals));
                }
                let mut next = totals;
                next.mailboxes -= 1;
                next.messages -= message_count;
                next.stored_bytes -= message_bytes;
                Ok((true, next))
            })
        })
        .await
    }

    async fn mark_expiring(
        &self,
        tip_cutoff_hour: i64,
        mailbox_cutoff_day: i64,
    ) -> StorageResult<bool> {
        self.write(move |transaction, totals| {
            Box::pin(async move {
                let tips = transaction
                    .execute(
                        "UPDATE tips SET expiry_warned = TRUE
                         WHERE NOT expiry_warned AND received_hour < $1",
                        &[&tip_cutoff_hour],
                    )
                    .await?;
                let mailboxes = transaction
                    .execute(
                        "UPDATE mailboxes SET expiry_warned = TRUE
                         WHERE NOT expiry_warned AND expires_day < $1",
                        &[&mailbox_cutoff_day],
                    )
                    .await?;
                Ok((tips + mailboxes > 0, totals))
            })
        })
        .await
    }

    async fn append_log(&self, entry: NewLogEntry) -> StorageResult<LogOutcome> {
        self.write(move |transaction, totals| {
            Box::pin(async move {
                let earlier = transaction
                    .query_opt(
                        "SELECT sequence FROM team_log WHERE body_sha256 = $1",
                        &[&&entry.body_sha256[..]],
                    )
                    .await?;
                if let Some(row) = earlier {
                    let sequence: i64 = row.try_get(0)?;
                    return Ok((LogOutcome::AlreadyAppended(as_count(sequence)), totals));
                }
                let held = transaction
                    .query_one(
                        "SELECT COUNT(*), COALESCE(SUM(LENGTH(ciphertext)), 0)::BIGINT
                         FROM team_log",
                        &[],
                    )
                    .await?;
                let (held, held_bytes): (i64, i64) = (held.try_get(0)?, held.try_get(1)?);
                let new_bytes = entry.ciphertext.len() as u64;
                if as_count(held) >= MAX_LOG_ENTRIES
                    || as_count(held_bytes).saturating_add(new_bytes) > MAX_LOG_BYTES
                {
                    return Ok((LogOutcome::LogFull, totals));
                }
                // The totals row is locked, so places are taken and committed in order: a
                // reader paging after a place never misses one committed later.
                let sequence: i64 = transaction
                    .query_one(
                        "INSERT INTO team_log (body_sha256, received_hour, ciphertext)
                         VALUES ($1, $2, $3) RETURNING sequence",
                        &[
                            &&entry.body_sha256[..],
                            &entry.received_hour,
                            &&entry.ciphertext[..],
                        ],
                    )
                    .await?
                    .try_get(0)?;
                Ok((LogOutcome::Appended(as_count(sequence)), totals))
            })
        })
        .await
    }

    async fn log_entries(&self, after: u64, limit: usize) -> StorageResult<Vec<StoredLogEntry>> {
        let after = as_column(after);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(
            "SELECT sequence, ciphertext FROM team_log WHERE sequence > $1
             ORDER BY sequence LIMIT $2",
            &[&after, &limit],
        )
        .await?
        .into_iter()
        .map(|row| {
            Ok(StoredLogEntry {
                sequence: as_count(row.try_get(0)?),
                ciphertext: row.try_get(1)?,
            })
        })
        .collect()
    }

    async fn ready(&self) -> StorageResult<()> {
        // Tips are stored by the writer task: a relay whose writer stopped cannot take one.
        if self.tips.is_closed() {
            return Err(StorageError("the tip writer has stopped".to_owned()));
        }
        // Takes the write lock every write takes and commits: a server that is read-only (a
        // standby) or cannot flush its log fails here.
        self.write(|_, totals| Box::pin(async move { Ok(((), totals)) }))
            .await
    }

    fn counts(&self) -> StorageCounts {
        StorageCounts {
            tips_stored: self.totals.tips_stored.load(Ordering::Relaxed),
            stored_bytes: self.totals.stored_bytes.load(Ordering::Relaxed),
            mailboxes: self.totals.mailboxes.load(Ordering::Relaxed),
            messages: self.totals.messages.load(Ordering::Relaxed),
        }
    }

    fn is_shared(&self) -> bool {
        true
    }

    async fn shared_challenge_key(&self, candidate: [u8; 32]) -> StorageResult<Option<[u8; 32]>> {
        let client = self.pool.get().await?;
        // Of relays starting at once, the first insert wins and every one reads the winner's.
        client
            .execute(
                "INSERT INTO challenge_key (master) VALUES ($1) ON CONFLICT DO NOTHING",
                &[&&candidate[..]],
            )
            .await?;
        let row = client
            .query_one("SELECT master FROM challenge_key", &[])
            .await?;
        Ok(Some(fixed(row.try_get(0)?)?))
    }

    async fn spend_challenge(&self, tag: [u8; 16], expires_hour: i64) -> StorageResult<bool> {
        let mut client = self.pool.get().await?;
        let transaction = client.transaction().await?;
        // No flush of its own: the commit of what the proof paid for, which follows and is
        // synchronous, flushes this one with it. Should the server crash in between, the record
        // may be lost, but so is nothing stored: the client presents the proof again.
        transaction
            .batch_execute("SET LOCAL synchronous_commit = off")
            .await?;
        let inserted = transaction
            .execute(
                "INSERT INTO spent_challenges (tag, expires_hour) VALUES ($1, $2)
                 ON CONFLICT DO NOTHING",
                &[&&tag[..], &expires_hour],
            )
            .await?;
        transaction.commit().await?;
        Ok(inserted == 1)
    }

    async fn unspend_challenge(&self, tag: [u8; 16]) -> StorageResult<()> {
        let client = self.pool.get().await?;
        client
            .execute("DELETE FROM spent_challenges WHERE tag = $1", &[&&tag[..]])
            .await?;
        Ok(())
    }

    async fn hand_over_notice(&self, pending: PendingNotice) -> StorageResult<()> {
        let client = self.pool.get().await?;
        client
            .execute(
                "UPDATE pending_notice SET news = news OR $1, expiring = expiring OR $2",
                &[&pending.news, &pending.expiring],
            )
            .await?;
        Ok(())
    }

    async fn take_notice(&self) -> StorageResult<PendingNotice> {
        let mut client = self.pool.get().await?;
        let transaction = client.transaction().await?;
        // The row lock makes a second relay taking at once wait, then find it cleared.
        let row = transaction
            .query_one("SELECT news, expiring FROM pending_notice FOR UPDATE", &[])
            .await?;
        let pending = PendingNotice {
            news: row.try_get(0)?,
            expiring: row.try_get(1)?,
        };
        if !pending.is_empty() {
            transaction
                .execute(
                    "UPDATE pending_notice SET news = FALSE, expiring = FALSE",
                    &[],
                )
                .await?;
        }
        transaction.commit().await?;
        Ok(pending)
    }
}

#[cfg(test)]
mod tests {
    use fluister_testkit::PostgresServer;

    use super::*;
    use crate::storage::story::{new_message, new_tip};

    fn limits(max_stored_bytes: u64, max_stored_bytes_per_hour: u64) -> StorageLimits {
        StorageLimits {
            max_stored_bytes,
            max_stored_bytes_per_hour,
        }
    }

    async fn open(server: &PostgresServer, limits: StorageLimits) -> PostgresStorage {
        PostgresStorage::open(&server.url(), limits)
            .await
            .unwrap_or_else(|error| panic!("{error}; server log:\n{}", server.log()))
    }

    #[tokio::test]
    async fn the_storage_story() {
        let server = PostgresServer::start();
        let storage = open(&server, limits(1 << 20, 1 << 20)).await;
        crate::storage::story::tips_and_mailboxes(&storage).await;
        crate::storage::story::team_log(&storage).await;
    }

    #[tokio::test]
    async fn each_tip_and_mailbox_near_its_end_is_warned_about_once() {
        let server = PostgresServer::start();
        let storage = open(&server, limits(1 << 20, 1 << 20)).await;
        crate::storage::story::expiry_warnings(&storage).await;
    }

    #[tokio::test]
    async fn migrations_run_once_and_a_newer_schema_is_refused() {
        let server = PostgresServer::start();
        let storage = open(&server, limits(1 << 20, 1 << 20)).await;
        let hour = round_down_to_hour(now_unix());
        storage.store_tip(new_tip(1, b"kept", hour)).await.unwrap();
        drop(storage);
        // Opened again: nothing applied twice, nothing lost, the totals read back.
        let reopened = open(&server, limits(1 << 20, 1 << 20)).await;
        assert_eq!(reopened.counts().tips_stored, 1);
        assert_eq!(reopened.counts().stored_bytes, 4);
        let client = reopened.pool.get().await.unwrap();
        let versions: Vec<i64> = client
            .query(
                "SELECT version FROM schema_migrations ORDER BY version",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect();
        assert_eq!(versions, [1, 2, 3, 4, 5, 6, 7]);
        client
            .execute("INSERT INTO schema_migrations (version) VALUES (99)", &[])
            .await
            .unwrap();
        drop(client);
        drop(reopened);
        let refused = PostgresStorage::open(&server.url(), limits(1 << 20, 1 << 20))
            .await
            .unwrap_err();
        assert!(
            refused
                .0
                .contains("schema version 99, newer than this relay knows (7)"),
            "{refused}"
        );
    }

    #[tokio::test]
    async fn no_column_but_the_team_logs_place_numbers_rows_in_the_order_they_came() {
        let server = PostgresServer::start();
        let storage = open(&server, limits(1 << 20, 1 << 20)).await;
        let client = storage.pool.get().await.unwrap();
        let numbered: Vec<String> = client
            .query(
                "SELECT table_name || '.' || column_name FROM information_schema.columns
                 WHERE table_schema = current_schema()
                   AND (column_default LIKE 'nextval%' OR is_identity = 'YES')
                 ORDER BY 1",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect();
        assert_eq!(numbered, ["team_log.sequence"]);
    }

    #[tokio::test]
    async fn quota_refuses_tips_that_do_not_fit_even_when_they_arrive_at_once() {
        let server = PostgresServer::start();
        let storage = open(&server, limits(100, 1 << 20)).await;
        let hour = round_down_to_hour(now_unix());
        // Twenty tips of 20 bytes race for 100 bytes: exactly five fit.
        let racing = (0..20u8).map(|key| {
            let storage = storage.clone();
            tokio::spawn(async move { storage.store_tip(new_tip(key, &[key; 20], hour)).await })
        });
        let mut stored = 0;
        let mut refused = 0;
        for task in racing {
            match task.await.unwrap().unwrap() {
                StoreOutcome::Stored(_) => stored += 1,
                StoreOutcome::StorageFull => refused += 1,
                other => panic!("unexpected outcome {other:?}"),
            }
        }
        assert_eq!((stored, refused), (5, 15));
        assert_eq!(storage.counts().stored_bytes, 100);
        assert_eq!(storage.list_tips().await.unwrap().len(), 5);
        drop(storage);
        // The quota survives a restart: the totals are in the database.
        let reopened = open(&server, limits(100, 1 << 20)).await;
        assert_eq!(reopened.counts().stored_bytes, 100);
        assert_eq!(
            reopened
                .store_tip(new_tip(99, &[1; 1], hour))
                .await
                .unwrap(),
            StoreOutcome::StorageFull
        );
    }

    #[tokio::test]
    async fn the_same_submission_sent_at_once_is_stored_once() {
        let server = PostgresServer::start();
        let storage = open(&server, limits(1 << 20, 1 << 20)).await;
        let hour = round_down_to_hour(now_unix());
        let racing = (0..8).map(|_| {
            let storage = storage.clone();
            tokio::spawn(async move { storage.store_tip(new_tip(3, b"same body", hour)).await })
        });
        let mut ids = Vec::new();
        for task in racing {
            match task.await.unwrap().unwrap() {
                StoreOutcome::Stored(id) | StoreOutcome::AlreadyStored(id) => ids.push(id),
                other => panic!("unexpected outcome {other:?}"),
            }
        }
        ids.dedup();
        assert_eq!(ids.len(), 1, "every retry names the one stored tip");
        assert_eq!(storage.list_tips().await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn tips_that_arrive_together_are_committed_together_and_each_is_answered() {
        let server = PostgresServer::start();
        let storage = open(&server, limits(1 << 20, 1 << 20)).await;
        let hour = round_down_to_hour(now_unix());
        // Every write transaction takes a transaction id; this query's own takes one more.
        let transaction_id = || -> u64 {
            server
                .psql("SELECT pg_current_xact_id()")
                .trim()
                .parse()
                .unwrap()
        };
        let before = transaction_id();
        let senders: Vec<_> = (0..64u8)
            .map(|key| {
                let storage = storage.clone();
                tokio::spawn(async move { storage.store_tip(new_tip(key, &[key; 30], hour)).await })
            })
            .collect();
        let mut ids = Vec::new();
        for sender in senders {
            match sender.await.unwrap().unwrap() {
                StoreOutcome::Stored(id) => ids.push(id),
                other => panic!("unexpected outcome {other:?}"),
            }
        }
        let writes = transaction_id() - before - 1;
        assert!(writes <= 8, "64 tips took {writes} transactions");
        ids.sort_by_key(|id| id.0);
        ids.dedup();
        assert_eq!(ids.len(), 64);
        assert_eq!(storage.list_tips().await.unwrap().len(), 64);
        assert_eq!(storage.counts().stored_bytes, 64 * 30);
        assert_eq!(
            server
                .psql("SELECT tips, stored_bytes FROM storage_totals")
                .trim(),
            "64|1920"
        );
    }

    #[tokio::test]
    async fn a_flood_fills_at_most_the_hourly_share_and_the_coordinator_is_not_held_up() {
        let server = PostgresServer::start();
        let storage = open(&server, limits(1 << 20, 50)).await;
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
        assert_eq!(storage.counts().stored_bytes, 40);
        let id = MailboxId([5; 32]);
        let today = round_down_to_day(now_unix());
        storage
            .register_mailbox(NewMailbox {
                id,
                token_sha256: [5; 32],
                expires_day: today,
            })
            .await
            .unwrap();
        let message = |author, key: u8| {
            let mut message = new_message(id, author, key, hour, today);
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
        assert_eq!(storage.counts().stored_bytes, 60);
        assert!(storage.delete_mailbox(id).await.unwrap());
        assert_eq!(storage.counts().stored_bytes, 40);
    }

    #[tokio::test]
    async fn an_acknowledged_tip_survives_the_server_crashing() {
        let mut server = PostgresServer::start();
        let storage = open(&server, limits(1 << 20, 1 << 20)).await;
        let hour = round_down_to_hour(now_unix());
        let StoreOutcome::Stored(id) = storage
            .store_tip(new_tip(1, b"acknowledged", hour))
            .await
            .unwrap()
        else {
            panic!("not stored");
        };
        drop(storage);
        server.stop();
        server.launch();
        let reopened = open(&server, limits(1 << 20, 1 << 20)).await;
        assert_eq!(
            reopened.tip(id).await.unwrap().as_deref(),
            Some(&b"acknowledged"[..])
        );
    }

    #[tokio::test]
    async fn commits_are_synchronous_even_where_the_database_turned_them_off() {
        let server = PostgresServer::start();
        server.psql("ALTER DATABASE postgres SET synchronous_commit = off");
        server.psql("ALTER ROLE fluister SET synchronous_commit = off");
        assert_eq!(server.psql("SHOW synchronous_commit").trim(), "off");
        let storage = open(&server, limits(1 << 20, 1 << 20)).await;
        let client = storage.pool.get().await.unwrap();
        let setting: String = client
            .query_one("SHOW synchronous_commit", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(setting, "on");
    }

    #[tokio::test]
    async fn the_connection_url_is_never_printed() {
        let server = PostgresServer::start();
        let storage = open(&server, limits(1 << 20, 1 << 20)).await;
        let printed = format!("{storage:?}");
        assert!(!printed.contains(POSTGRES_SECRET_MARKER), "{printed}");
        assert!(!printed.contains("postgresql://"), "{printed}");
    }

    /// Text that must not appear where the storage is printed.
    const POSTGRES_SECRET_MARKER: &str = "fluister@";

    /// Two relays on one database, as two pools of their own.
    async fn two_relays(server: &PostgresServer) -> (PostgresStorage, PostgresStorage) {
        let limits = limits(1 << 20, 1 << 20);
        (open(server, limits).await, open(server, limits).await)
    }

    #[tokio::test]
    async fn relays_starting_at_once_agree_on_one_challenge_key() {
        let server = PostgresServer::start();
        let (first, second) = two_relays(&server).await;
        let (one, two) = tokio::join!(
            first.shared_challenge_key([1; 32]),
            second.shared_challenge_key([2; 32])
        );
        let (one, two) = (one.unwrap().unwrap(), two.unwrap().unwrap());
        assert_eq!(one, two);
        assert!(one == [1; 32] || one == [2; 32]);
        // A relay starting later reads the same key, whatever it would have made.
        let later = open(&server, limits(1 << 20, 1 << 20)).await;
        assert_eq!(
            later.shared_challenge_key([3; 32]).await.unwrap(),
            Some(one)
        );
    }

    #[tokio::test]
    async fn a_challenge_is_spent_by_exactly_one_relay_and_goes_with_the_sweep_after_it() {
        let server = PostgresServer::start();
        let (first, second) = two_relays(&server).await;
        let hour = round_down_to_hour(now_unix());
        for round in 0..20u8 {
            let tag = [round; 16];
            let (one, two) = tokio::join!(
                first.spend_challenge(tag, hour + 3600),
                second.spend_challenge(tag, hour + 3600)
            );
            assert!(
                one.unwrap() ^ two.unwrap(),
                "round {round}: exactly one relay spends it"
            );
        }
        assert!(!first.spend_challenge([0; 16], hour + 3600).await.unwrap());
        // Storing failed: given back, the proof can be presented again, once.
        first.unspend_challenge([0; 16]).await.unwrap();
        assert!(second.spend_challenge([0; 16], hour + 3600).await.unwrap());
        assert!(!first.spend_challenge([0; 16], hour + 3600).await.unwrap());
        // Expired in the past hour: the sweep removes it; the rest stay until theirs.
        assert!(first.spend_challenge([99; 16], hour).await.unwrap());
        first.sweep(hour - 50 * 3600, now_unix()).await.unwrap();
        assert_eq!(
            server.psql("SELECT COUNT(*) FROM spent_challenges").trim(),
            "20"
        );
        assert!(second.spend_challenge([99; 16], hour + 3600).await.unwrap());
    }

    #[tokio::test]
    async fn relays_sweeping_at_once_delete_each_old_tip_once() {
        let server = PostgresServer::start();
        let (first, second) = two_relays(&server).await;
        let hour = round_down_to_hour(now_unix());
        for key in 0..10u8 {
            let tip = new_tip(key, &[key; 100], hour - 100 * 3600);
            first.store_tip(tip).await.unwrap();
        }
        second.store_tip(new_tip(50, b"new", hour)).await.unwrap();
        let cutoff = hour - 50 * 3600;
        let (one, two) = tokio::join!(
            first.sweep(cutoff, now_unix()),
            second.sweep(cutoff, now_unix())
        );
        assert_eq!(one.unwrap() + two.unwrap(), 10);
        assert_eq!(second.list_tips().await.unwrap().len(), 1);
        assert_eq!(server.psql("SELECT tips FROM storage_totals").trim(), "1");
    }

    #[tokio::test]
    async fn of_relays_taking_the_waiting_notice_at_once_one_gets_it() {
        let server = PostgresServer::start();
        let (first, second) = two_relays(&server).await;
        for _ in 0..10 {
            let news = PendingNotice {
                news: true,
                expiring: false,
            };
            let expiring = PendingNotice {
                news: false,
                expiring: true,
            };
            first.hand_over_notice(news).await.unwrap();
            second.hand_over_notice(expiring).await.unwrap();
            let (one, two) = tokio::join!(first.take_notice(), second.take_notice());
            let (one, two) = (one.unwrap(), two.unwrap());
            let both = PendingNotice {
                news: true,
                expiring: true,
            };
            assert!(
                (one == both && two.is_empty()) || (two == both && one.is_empty()),
                "{one:?} {two:?}"
            );
        }
        assert!(first.take_notice().await.unwrap().is_empty());
    }
}
