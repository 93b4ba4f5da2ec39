//! What an operator runs the relay with, against the real `relay-server` binary on a port the OS
//! picked: the readiness check.

use std::time::{Duration, Instant};

use fluister_protocol::ErrorCode;
use fluister_testkit::{RelayProcess, Response, SettingsBuilder};

/// Asks `path` until it answers `status`, for at most `deadline`; returns that answer.
fn wait_for_status(relay: &RelayProcess, path: &str, status: u16, deadline: Duration) -> Response {
    let started = Instant::now();
    loop {
        let response = relay.request("GET", path, &[], b"");
        if response.status == status || started.elapsed() > deadline {
            return response;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn readyz_is_503_while_the_database_cannot_be_written_and_healthz_stays_ok() {
    let relay = RelayProcess::start(SettingsBuilder::for_tests());
    let ready = relay.request("GET", "/readyz", &[], b"");
    assert_eq!(ready.status, 200, "{}", ready.text());
    assert_eq!(ready.json(), serde_json::json!({"status": "ready"}));

    // Another process holds the database's write lock, as a stuck backup or a second writer
    // would: the relay cannot store a tip now, and says so.
    let blocker = rusqlite::Connection::open(relay.database_path()).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let not_ready = relay.request("GET", "/readyz", &[], b"");
    assert_eq!(not_ready.status, 503, "{}", not_ready.text());
    assert_eq!(not_ready.error_code(), ErrorCode::NotReady);
    assert_eq!(relay.request("GET", "/healthz", &[], b"").status, 200);

    blocker.execute_batch("ROLLBACK").unwrap();
    let ready_again = wait_for_status(&relay, "/readyz", 200, Duration::from_secs(30));
    assert_eq!(ready_again.status, 200, "{}", ready_again.text());
    let log = relay.log();
    assert!(log.contains("not ready"), "{log}");
}

#[test]
fn readyz_answers_ready_on_the_discard_backend() {
    let relay = RelayProcess::start(SettingsBuilder::for_tests().storage("backend", "discard"));
    let ready = relay.request("GET", "/readyz", &[], b"");
    assert_eq!(ready.status, 200, "{}", ready.text());
}
