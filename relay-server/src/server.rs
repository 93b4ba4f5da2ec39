//! The accept loop. The relay serves HTTP/1.1 through hyper's connection builder rather than
//! `axum::serve`, because only the builder has a header-read timeout (against clients that send
//! their request head a byte a minute) and lets us cap open connections.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::http::{AppState, app, retention_cutoff_hour};
use crate::storage::{SECONDS_PER_DAY, Storage, now_unix, round_down_to_day};

/// How long a graceful shutdown waits for open requests before giving up on them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves the relay on `listener` until `shutdown` completes, then lets open requests finish.
///
/// Also runs the retention sweep: once at start and then every hour.
pub async fn serve<S: Storage>(
    listener: TcpListener,
    state: AppState<S>,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let settings = state.settings().clone();
    let router = app(state.clone());
    let connection_permits = Arc::new(Semaphore::new(settings.limits.max_connections));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(
            settings.limits.header_read_timeout_seconds,
        ))
        .max_buf_size(settings.limits.max_header_bytes.max(8192) + 8192)
        .max_header_size(settings.limits.max_header_bytes)
        .keep_alive(true);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let sweeper = tokio::spawn(sweep_forever(state.clone()));
    // The first snapshot of `/metrics` is the relay's start; then one each hour.
    state.hourly_metrics();
    let metrics_snapshots = tokio::spawn(snapshot_metrics_forever(state.clone()));
    // Checked when the state was built, so only a password file removed since then fails here.
    let notifier = match crate::notify::notifier(&settings.notifications, state.clone()) {
        Ok(Some(task)) => Some(tokio::spawn(task)),
        Ok(None) => None,
        Err(error) => {
            tracing::error!(%error, "notifications are off");
            None
        }
    };

    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&connection_permits).acquire_owned() => permit,
            () = &mut shutdown => break,
        };
        let Ok(permit) = permit else { break };
        // The peer address is dropped unread: the relay never looks at who connects.
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(error) => {
                // Usually out of file descriptors; back off instead of spinning.
                tracing::warn!(%error, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // Connection errors (a client that went away, a timed-out head) are routine.
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    sweeper.abort();
    metrics_snapshots.abort();
    if let Some(notifier) = notifier {
        notifier.abort();
    }
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some requests were still open at shutdown and were cut off");
    }
    Ok(())
}

/// Takes `/metrics`' snapshot within a second of the hour turning, whether or not anyone
/// scrapes: when the snapshot is taken must not depend on when a scraper asks.
async fn snapshot_metrics_forever<S: Storage>(state: AppState<S>) {
    let mut interval = tokio::time::interval(Duration::from_secs(1));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        state.hourly_metrics();
    }
}

/// Deletes tips older than the retention period, now and then every
/// `storage.sweep_interval_seconds`; and marks the tips and mailboxes that near their end
/// (`notifications.expiry_warning_days`), each once, for one notification.
async fn sweep_forever<S: Storage>(state: AppState<S>) {
    let retention_days = state.settings().storage.retention_days;
    let warning_days = state.settings().notifications.expiry_warning_days;
    let mut interval = tokio::time::interval(Duration::from_secs(
        state.settings().storage.sweep_interval_seconds,
    ));
    loop {
        interval.tick().await;
        let now = now_unix();
        state.forget_expired_challenges(now);
        match state
            .storage()
            .sweep(retention_cutoff_hour(now, retention_days), now)
            .await
        {
            Ok(0) => {}
            Ok(tips_deleted) => tracing::info!(tips_deleted, "retention sweep deleted old tips"),
            Err(error) => tracing::error!(%error, "retention sweep failed"),
        }
        if warning_days == 0 {
            continue;
        }
        // A tip is deleted once it is older than the retention period: it is within
        // `warning_days` of that when it arrived before the cutoff plus those days.
        let warning = i64::from(warning_days) * SECONDS_PER_DAY;
        let tip_cutoff = retention_cutoff_hour(now, retention_days) + warning;
        let mailbox_cutoff = round_down_to_day(now) + warning;
        match state
            .storage()
            .mark_expiring(tip_cutoff, mailbox_cutoff)
            .await
        {
            Ok(true) => state.arrivals().something_expiring(),
            Ok(false) => {}
            Err(error) => tracing::error!(%error, "looking for tips near their end failed"),
        }
    }
}
