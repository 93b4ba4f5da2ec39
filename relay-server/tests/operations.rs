//! What an operator runs the relay with, against the real `relay-server` binary on a port the OS
//! picked: the readiness check, the metrics behind their own token and no finer than the hour,
//! the JSON log, and settings from the environment and from secret files.

use std::time::{Duration, Instant};

use fluister_protocol::ErrorCode;
use fluister_testkit::fixtures::{coordinator_keys, sealed_tip, submission_key};
use fluister_testkit::{
    COORDINATOR_TOKEN, METRICS_TOKEN, RelayProcess, Response, SECOND_COORDINATOR_TOKEN,
    SettingsBuilder, TemporaryDirectory,
};

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

/// `GET path` with `Authorization: Bearer token`.
fn get_with_token(relay: &RelayProcess, path: &str, token: &str) -> Response {
    relay.request(
        "GET",
        path,
        &[("Authorization", &format!("Bearer {token}"))],
        b"",
    )
}

/// One value of a `/metrics` text.
fn metric_value(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no {name} in {text}"))
        .parse()
        .expect("a whole number")
}

#[test]
fn metrics_open_with_their_own_token_only_and_that_token_opens_nothing_else() {
    let relay = RelayProcess::start(SettingsBuilder::for_tests().metrics_tokens(&[METRICS_TOKEN]));
    let metrics = get_with_token(&relay, "/metrics", METRICS_TOKEN);
    assert_eq!(metrics.status, 200, "{}", metrics.text());
    assert!(
        metrics
            .header("content-type")
            .is_some_and(|value| value.starts_with("text/plain; version=0.0.4")),
    );
    for refused in [COORDINATOR_TOKEN, "wrong", ""] {
        let response = get_with_token(&relay, "/metrics", refused);
        assert_eq!(response.status, 401, "{refused}");
        assert_eq!(response.error_code(), ErrorCode::Unauthorized);
        assert!(response.text().contains("mint-token --metrics"));
    }
    assert_eq!(relay.request("GET", "/metrics", &[], b"").status, 401);

    // The monitoring system's token cannot list, fetch or delete tips, nor read the status.
    let (_, recipient) = coordinator_keys();
    let stored = relay.submit(&sealed_tip(&recipient, 100, 1), &submission_key());
    let id = stored.json()["id"].as_str().unwrap().to_owned();
    for (method, path) in [
        ("GET", "/api/v1/tips".to_owned()),
        ("GET", format!("/api/v1/tips/{id}")),
        ("DELETE", format!("/api/v1/tips/{id}")),
        ("GET", "/api/v1/status".to_owned()),
        ("GET", "/api/v1/log".to_owned()),
    ] {
        let response = relay.request(
            method,
            &path,
            &[("Authorization", &format!("Bearer {METRICS_TOKEN}"))],
            b"",
        );
        assert_eq!(response.status, 401, "{method} {path}");
    }
    assert_eq!(relay.tip_ids().len(), 1);
}

#[test]
fn metrics_answer_404_when_no_metrics_token_is_configured() {
    let relay = RelayProcess::start(SettingsBuilder::for_tests());
    for token in [COORDINATOR_TOKEN, METRICS_TOKEN] {
        let response = get_with_token(&relay, "/metrics", token);
        assert_eq!(response.status, 404);
        assert_eq!(response.error_code(), ErrorCode::NotFound);
    }
}

#[test]
fn a_metrics_token_that_is_also_a_coordinator_token_is_refused_at_start() {
    let directory = TemporaryDirectory::new("metrics-token-reused");
    let path = directory.join("relay.toml");
    let hash = fluister_testkit::token_hash(COORDINATOR_TOKEN);
    std::fs::write(
        &path,
        format!(
            "[coordinator]\ntoken_sha256 = [\"{hash}\"]\n[metrics]\ntoken_sha256 = [\"{hash}\"]\n"
        ),
    )
    .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_relay-server"))
        .arg("--config")
        .arg(&path)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("metrics.token_sha256[0]"), "{message}");
    assert!(message.contains("mint-token --metrics"), "{message}");
}

#[test]
fn mint_token_metrics_prints_a_token_the_relay_accepts_for_metrics_only() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_relay-server"))
        .args(["mint-token", "--metrics"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let token = text
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("fluister-metrics-"))
        .expect("a token line")
        .to_owned();
    assert!(text.contains("[metrics]"), "{text}");
    let hash = text
        .lines()
        .map(str::trim)
        .find_map(|line| line.strip_prefix("token_sha256 = [\""))
        .and_then(|rest| rest.strip_suffix("\"]"))
        .expect("a `token_sha256 = [\"…\"]` line")
        .to_owned();
    assert_eq!(hash, fluister_testkit::token_hash(&token));
    let relay = RelayProcess::start(SettingsBuilder::for_tests().set(
        "metrics",
        "token_sha256",
        vec![hash],
    ));
    assert_eq!(get_with_token(&relay, "/metrics", &token).status, 200);
    assert_eq!(get_with_token(&relay, "/api/v1/tips", &token).status, 401);

    let both = std::process::Command::new(env!("CARGO_BIN_EXE_relay-server"))
        .args(["mint-token", "--metrics", "--label", "member-2"])
        .output()
        .unwrap();
    assert!(!both.status.success(), "--metrics with --label");
}

#[test]
fn two_tips_in_one_hour_change_nothing_in_metrics_until_the_hour_is_over() {
    let relay = RelayProcess::start(SettingsBuilder::for_tests().metrics_tokens(&[METRICS_TOKEN]));
    // Some hour, a minute in; the relay's clock for `/metrics` from now on.
    let hour = 1_900_000_000 - 1_900_000_000 % 3600;
    relay.set_metrics_clock(hour + 60);
    let scrape = || {
        let response = get_with_token(&relay, "/metrics", METRICS_TOKEN);
        assert_eq!(response.status, 200);
        response.text()
    };
    let at_the_start = scrape();
    assert_eq!(metric_value(&at_the_start, "fluister_tips_stored"), 0);
    assert_eq!(
        metric_value(&at_the_start, "fluister_metrics_hour_seconds"),
        hour as u64
    );

    let (_, recipient) = coordinator_keys();
    for (byte, minute) in [(1, 10), (2, 50)] {
        let stored = relay.submit(&sealed_tip(&recipient, 100, byte), &submission_key());
        assert_eq!(stored.status, 201);
        relay.set_metrics_clock(hour + minute * 60);
        // Nothing a scraper sees changes: no count, no gauge, no refusal, byte for byte.
        assert_eq!(scrape(), at_the_start, "after the tip at minute {minute}");
    }
    // Requests that are refused change nothing either.
    assert_eq!(
        relay.submit(b"not an age file", &submission_key()).status,
        400
    );
    assert_eq!(scrape(), at_the_start);

    // The hour is over: the next scrape shows the hour's totals.
    relay.set_metrics_clock(hour + 3600);
    let next_hour = scrape();
    assert_eq!(metric_value(&next_hour, "fluister_tips_stored"), 2);
    assert_eq!(metric_value(&next_hour, "fluister_tips_received_total"), 2);
    assert_eq!(
        metric_value(&next_hour, "fluister_metrics_hour_seconds"),
        (hour + 3600) as u64
    );
    assert!(
        next_hour.contains("fluister_requests_rejected_total{code=\"not_age_file\"} 1"),
        "{next_hour}"
    );
    // And it stays so for the rest of that hour.
    let (_, recipient) = coordinator_keys();
    assert_eq!(
        relay
            .submit(&sealed_tip(&recipient, 100, 3), &submission_key())
            .status,
        201
    );
    relay.set_metrics_clock(hour + 3600 + 3599);
    assert_eq!(scrape(), next_hour);
}

#[test]
fn fluister_log_format_json_writes_one_json_object_per_line_and_a_bad_value_names_the_variable() {
    let relay = RelayProcess::start(
        SettingsBuilder::for_tests().environment("FLUISTER_LOG_FORMAT", "json"),
    );
    assert_eq!(relay.request("GET", "/readyz", &[], b"").status, 200);
    let log = relay.log();
    let events: Vec<serde_json::Value> = log
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    assert!(
        events
            .iter()
            .any(|event| event["message"] == "relay started" && event["level"] == "INFO"),
        "{log}"
    );

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_relay-server"))
        .env("FLUISTER_LOG_FORMAT", "yaml")
        .env("FLUISTER_LISTEN", "127.0.0.1:0")
        .env_remove("FLUISTER_CONFIG")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("FLUISTER_LOG_FORMAT"), "{message}");
    assert!(message.contains("`text` or `json`"), "{message}");
}

/// Runs the relay with no config and `environment`; it must refuse to start. Returns what it
/// printed on standard error.
fn refused_start(environment: &[(&str, &str)]) -> String {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_relay-server"));
    for variable in fluister_testkit::process::RELAY_ENVIRONMENT {
        command.env_remove(variable);
    }
    let output = command
        .env("FLUISTER_LISTEN", "127.0.0.1:0")
        .envs(environment.iter().copied())
        .output()
        .unwrap();
    assert!(
        !output.status.success() && output.stdout.is_empty(),
        "started with {environment:?}"
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn recipients_and_token_hashes_come_from_secret_files_and_replace_the_configs() {
    let directory = TemporaryDirectory::new("secret-files");
    let recipients = [coordinator_keys().1, coordinator_keys().1];
    let recipients_file = directory.join("recipients.txt");
    std::fs::write(
        &recipients_file,
        format!(
            "# the coordinator\n{}\n\n# the deputy\n  {}  \n",
            recipients[0], recipients[1]
        ),
    )
    .unwrap();
    let tokens_file = directory.join("coordinator-tokens");
    std::fs::write(
        &tokens_file,
        format!("{}\n", fluister_testkit::token_hash(COORDINATOR_TOKEN)),
    )
    .unwrap();
    let metrics_file = directory.join("metrics-tokens");
    std::fs::write(
        &metrics_file,
        fluister_testkit::token_hash(METRICS_TOKEN).to_uppercase(),
    )
    .unwrap();
    let relay = RelayProcess::start(
        SettingsBuilder::for_tests()
            // The config's own token, which the environment's file replaces.
            .coordinator_token_hashes([fluister_testkit::token_hash(SECOND_COORDINATOR_TOKEN)])
            .environment(
                "FLUISTER_COORDINATOR_RECIPIENTS_FILE",
                recipients_file.to_str().unwrap(),
            )
            .environment(
                "FLUISTER_COORDINATOR_TOKEN_SHA256_FILE",
                tokens_file.to_str().unwrap(),
            )
            .environment(
                "FLUISTER_METRICS_TOKEN_SHA256_FILE",
                metrics_file.to_str().unwrap(),
            ),
    );
    let config = relay.request("GET", "/api/v1/config", &[], b"").json();
    let listed: Vec<String> = recipients.iter().map(ToString::to_string).collect();
    assert_eq!(config["recipients"], serde_json::json!(listed));
    assert_eq!(relay.coordinator_get("/api/v1/tips").status, 200);
    assert_eq!(
        get_with_token(&relay, "/api/v1/tips", SECOND_COORDINATOR_TOKEN).status,
        401
    );
    assert_eq!(
        get_with_token(&relay, "/metrics", METRICS_TOKEN).status,
        200
    );
}

#[test]
fn recipients_and_token_hashes_come_from_comma_separated_variables() {
    let recipients = [coordinator_keys().1, coordinator_keys().1];
    let relay = RelayProcess::start(
        SettingsBuilder::for_tests()
            .environment(
                "FLUISTER_COORDINATOR_RECIPIENTS",
                format!("{}, {}", recipients[0], recipients[1]),
            )
            .environment(
                "FLUISTER_COORDINATOR_TOKEN_SHA256",
                format!(
                    "{},{}",
                    fluister_testkit::token_hash(SECOND_COORDINATOR_TOKEN),
                    fluister_testkit::token_hash(COORDINATOR_TOKEN)
                ),
            )
            .environment(
                "FLUISTER_METRICS_TOKEN_SHA256",
                fluister_testkit::token_hash(METRICS_TOKEN),
            ),
    );
    let config = relay.request("GET", "/api/v1/config", &[], b"").json();
    assert_eq!(config["recipients"].as_array().unwrap().len(), 2);
    assert_eq!(relay.coordinator_get("/api/v1/tips").status, 200);
    assert_eq!(
        get_with_token(&relay, "/api/v1/tips", SECOND_COORDINATOR_TOKEN).status,
        200
    );
    assert_eq!(
        get_with_token(&relay, "/metrics", METRICS_TOKEN).status,
        200
    );
}

#[test]
fn bad_secrets_from_the_environment_name_the_variable_and_the_fix() {
    let directory = TemporaryDirectory::new("bad-secret-files");
    let hash = fluister_testkit::token_hash(COORDINATOR_TOKEN);
    let with_bad_line = directory.join("tokens-with-a-bad-line");
    std::fs::write(&with_bad_line, format!("{hash}\nnot-a-hash\n")).unwrap();
    let only_comments = directory.join("only-comments");
    std::fs::write(&only_comments, "# nothing yet\n\n").unwrap();
    let missing = directory.join("missing");
    let path = |path: &std::path::Path| path.to_str().unwrap().to_owned();
    let with_bad_line = path(&with_bad_line);
    let only_comments = path(&only_comments);
    let missing = path(&missing);
    for (environment, expected) in [
        (
            vec![(
                "FLUISTER_COORDINATOR_TOKEN_SHA256_FILE",
                with_bad_line.as_str(),
            )],
            vec![
                "line 2 of",
                "FLUISTER_COORDINATOR_TOKEN_SHA256_FILE",
                "relay-server mint-token",
            ],
        ),
        (
            vec![("FLUISTER_METRICS_TOKEN_SHA256_FILE", missing.as_str())],
            vec![
                "FLUISTER_METRICS_TOKEN_SHA256_FILE",
                "cannot be read",
                "a file the relay's user can read",
            ],
        ),
        (
            vec![(
                "FLUISTER_COORDINATOR_RECIPIENTS_FILE",
                only_comments.as_str(),
            )],
            vec!["FLUISTER_COORDINATOR_RECIPIENTS_FILE", "lists nothing"],
        ),
        (
            vec![("FLUISTER_COORDINATOR_RECIPIENTS", "age1nope")],
            vec![
                "environment variable FLUISTER_COORDINATOR_RECIPIENTS",
                "age1nope",
                "fluister-inbox keygen",
            ],
        ),
        (
            vec![
                ("FLUISTER_COORDINATOR_TOKEN_SHA256", hash.as_str()),
                (
                    "FLUISTER_COORDINATOR_TOKEN_SHA256_FILE",
                    with_bad_line.as_str(),
                ),
            ],
            vec!["both set", "set only one"],
        ),
        (
            vec![
                ("FLUISTER_COORDINATOR_TOKEN_SHA256", hash.as_str()),
                ("FLUISTER_METRICS_TOKEN_SHA256", hash.as_str()),
            ],
            vec!["metrics.token_sha256[0]", "mint-token --metrics"],
        ),
    ] {
        let message = refused_start(&environment);
        for words in expected {
            assert!(message.contains(words), "{environment:?}: {message}");
        }
    }
}

#[test]
fn help_lists_every_environment_variable_and_tests_clear_them_all() {
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_relay-server"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    for (variable, field) in fluister_relay::settings::ENVIRONMENT_OVERRIDES {
        assert!(help.contains(variable), "--help does not name {variable}");
        assert!(help.contains(field), "--help does not name {field}");
        assert!(
            fluister_testkit::process::RELAY_ENVIRONMENT.contains(variable),
            "a test relay would take {variable} from the developer's shell"
        );
    }
}
