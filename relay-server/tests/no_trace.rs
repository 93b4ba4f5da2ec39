//! No trace of the client: after a run of real traffic carrying an address, a user agent, a
//! referrer and a cookie, neither the relay's log output nor any row, column or byte of its
//! database contains them, and no stored time is finer than an hour.

use fluister_relay::encoding::encode_base64url;
use fluister_testkit::fixtures::{coordinator_keys, sealed_tip, submission_key};
use fluister_testkit::{COORDINATOR_TOKEN, RelayProcess, SettingsBuilder};

const USER_AGENT: &str = "NoTraceProbe/1.0 (FluisterTest; unique-agent-7f3a9c)";
const REFERRER: &str = "https://www.assen.nl/melden?secret-referrer-91b2";
const COOKIE: &str = "session=secret-cookie-value-4d5e";

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

/// Whether an integer looks like a Unix time (seconds or milliseconds) that is not on the hour.
fn is_finer_than_an_hour(value: i64) -> bool {
    let plausible_seconds = (1_000_000_000..100_000_000_000).contains(&value);
    let plausible_milliseconds = (1_000_000_000_000..100_000_000_000_000).contains(&value);
    (plausible_seconds && value % 3600 != 0) || (plausible_milliseconds && value % 3_600_000 != 0)
}

#[test]
fn no_address_user_agent_referrer_cookie_or_fine_timestamp_is_kept() {
    leaves_no_trace(SettingsBuilder::for_tests().server("log_level", "trace"));
}

#[test]
fn the_json_log_keeps_no_address_user_agent_referrer_cookie_or_time_either() {
    let log = leaves_no_trace(
        SettingsBuilder::for_tests()
            .server("log_level", "trace")
            .server("log_format", "json"),
    );
    let mut lines = 0;
    for line in log.lines().filter(|line| !line.trim().is_empty()) {
        let event: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|error| panic!("not a JSON line ({error}): {line}"));
        let fields = event.as_object().expect("one JSON object per line");
        assert!(fields.contains_key("level"), "{line}");
        assert!(fields.contains_key("message"), "{line}");
        for kept_out in ["timestamp", "time", "target", "span", "spans"] {
            assert!(!fields.contains_key(kept_out), "{kept_out} in {line}");
        }
        for value in fields.values() {
            if let Some(number) = value.as_i64() {
                assert!(!is_finer_than_an_hour(number), "{line}");
            }
        }
        lines += 1;
    }
    assert!(lines > 0, "the relay logged nothing at trace level");
    assert!(log.contains("\"message\":\"relay started\""), "{log}");
}

/// Sends real traffic carrying an address, a user agent, a referrer and a cookie to a relay
/// started with `settings`, and checks its log and every byte of its database for them and for
/// times finer than the hour. Returns the log.
fn leaves_no_trace(settings: SettingsBuilder) -> String {
    let mut relay = RelayProcess::start(settings);
    let identifying_headers = [
        ("User-Agent", USER_AGENT),
        ("Referer", REFERRER),
        ("Cookie", COOKIE),
        ("X-Forwarded-For", "127.0.0.1"),
        ("X-Real-IP", "127.0.0.1"),
        ("Forwarded", "for=127.0.0.1"),
    ];
    let (_, recipient) = coordinator_keys();
    let mut stored_ids = Vec::new();
    for round in 0..5u64 {
        let mut headers = identifying_headers.to_vec();
        assert_eq!(
            relay.request("GET", "/api/v1/config", &headers, b"").status,
            200
        );
        assert_eq!(relay.request("GET", "/w/", &headers, b"").status, 200);
        assert_eq!(relay.request("GET", "/embed.js", &headers, b"").status, 200);
        let challenge = relay
            .request("POST", "/api/v1/challenges", &headers, b"")
            .json();
        let body = sealed_tip(&recipient, 4096, round);
        let key = encode_base64url(&submission_key());
        let seed = challenge["seed"].as_str().unwrap().to_owned();
        headers.extend([
            ("Content-Type", "application/octet-stream"),
            ("Fluister-Submission-Key", key.as_str()),
            ("Fluister-Challenge", seed.as_str()),
            ("Fluister-Nonce", "0"),
        ]);
        let response = relay.request("POST", "/api/v1/tips", &headers, &body);
        assert_eq!(response.status, 201, "{}", response.text());
        stored_ids.push(response.json()["id"].as_str().unwrap().to_owned());
        // A retry and some refusals, so the error paths run too.
        assert_eq!(
            relay
                .request("POST", "/api/v1/tips", &headers, &body)
                .status,
            200
        );
        assert_eq!(
            relay
                .request("POST", "/api/v1/tips", &headers, b"not age")
                .status,
            400
        );
        assert_eq!(
            relay
                .request("GET", "/api/v1/tips", &identifying_headers, b"")
                .status,
            401
        );
    }
    let authorization = format!("Bearer {COORDINATOR_TOKEN}");
    let mut coordinator_headers = identifying_headers.to_vec();
    coordinator_headers.push(("Authorization", &authorization));

    // A mailbox: opened, answered by the coordinator, read and answered by the reporter.
    let keys = fluister_envelope::receipt::ReceiptCode::generate()
        .unwrap()
        .derive_keys()
        .unwrap();
    let registration = format!(
        r#"{{"id":"{}","token_sha256":"{}"}}"#,
        keys.mailbox_id.as_str(),
        fluister_relay::encoding::encode_hex(&keys.mailbox_token.storage_hash())
    );
    let seed = relay
        .request("POST", "/api/v1/challenges", &identifying_headers, b"")
        .json()["seed"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut headers = identifying_headers.to_vec();
    headers.extend([
        ("Content-Type", "application/json"),
        ("Fluister-Challenge", seed.as_str()),
        ("Fluister-Nonce", "0"),
    ]);
    let opened = relay.request(
        "POST",
        "/api/v1/mailboxes",
        &headers,
        registration.as_bytes(),
    );
    assert_eq!(opened.status, 201, "{}", opened.text());
    let messages_path = format!("/api/v1/mailboxes/{}/messages", keys.mailbox_id.as_str());
    let reply = sealed_tip(&keys.reply_identity.to_recipient(), 500, 99);
    let key = encode_base64url(&submission_key());
    let mut headers = coordinator_headers.clone();
    headers.extend([
        ("Content-Type", "application/octet-stream"),
        ("Fluister-Submission-Key", key.as_str()),
    ]);
    assert_eq!(
        relay
            .request("POST", &messages_path, &headers, &reply)
            .status,
        201
    );
    let token = keys.mailbox_token.to_base64url();
    let mut reporter_headers = identifying_headers.to_vec();
    reporter_headers.push(("Fluister-Mailbox-Token", token.as_str()));
    assert_eq!(
        relay
            .request("GET", &messages_path, &reporter_headers, b"")
            .status,
        200
    );
    let seed = relay
        .request("POST", "/api/v1/challenges", &identifying_headers, b"")
        .json()["seed"]
        .as_str()
        .unwrap()
        .to_owned();
    let answer = sealed_tip(&recipient, 700, 100);
    let key = encode_base64url(&submission_key());
    reporter_headers.extend([
        ("Content-Type", "application/octet-stream"),
        ("Fluister-Submission-Key", key.as_str()),
        ("Fluister-Challenge", seed.as_str()),
        ("Fluister-Nonce", "0"),
    ]);
    let answered = relay.request("POST", &messages_path, &reporter_headers, &answer);
    assert_eq!(answered.status, 201, "{}", answered.text());
    let list = relay
        .request("GET", "/api/v1/tips", &coordinator_headers, b"")
        .json();
    assert_eq!(list["tips"].as_array().unwrap().len(), stored_ids.len());
    for tip in list["tips"].as_array().unwrap() {
        assert!(!is_finer_than_an_hour(
            tip["received_hour"].as_i64().unwrap()
        ));
    }
    let path = format!("/api/v1/tips/{}", stored_ids[0]);
    assert_eq!(
        relay
            .request("GET", &path, &coordinator_headers, b"")
            .status,
        200
    );
    assert_eq!(
        relay
            .request("DELETE", &path, &coordinator_headers, b"")
            .status,
        204
    );
    relay.kill();

    // The log: no address, agent, referrer, cookie, and no clock time at all.
    let log = relay.log();
    assert!(!log.is_empty(), "the relay logged nothing at trace level");
    for needle in [
        "127.0.0.1",
        USER_AGENT,
        "unique-agent-7f3a9c",
        "secret-referrer-91b2",
        "secret-cookie-value-4d5e",
    ] {
        assert!(!log.contains(needle), "log contains {needle:?}:\n{log}");
    }
    let has_clock_time = log.as_bytes().windows(8).any(|window| {
        window[0].is_ascii_digit()
            && window[1].is_ascii_digit()
            && window[2] == b':'
            && window[3].is_ascii_digit()
            && window[4].is_ascii_digit()
            && window[5] == b':'
            && window[6].is_ascii_digit()
            && window[7].is_ascii_digit()
    });
    assert!(!has_clock_time, "log contains a clock time:\n{log}");

    // Every row and column of every table.
    let connection = rusqlite::Connection::open_with_flags(
        relay.database_path(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let tables: Vec<String> = connection
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(tables.contains(&"tips".to_owned()));
    let mut values_checked = 0;
    for table in &tables {
        let mut statement = connection
            .prepare(&format!("SELECT * FROM \"{table}\""))
            .unwrap();
        let column_count = statement.column_count();
        let mut rows = statement.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for column in 0..column_count {
                values_checked += 1;
                let bytes: Vec<u8> = match row.get_ref(column).unwrap() {
                    rusqlite::types::ValueRef::Null => Vec::new(),
                    rusqlite::types::ValueRef::Integer(value) => {
                        assert!(!is_finer_than_an_hour(value), "{table}[{column}] = {value}");
                        value.to_string().into_bytes()
                    }
                    rusqlite::types::ValueRef::Real(value) => {
                        assert!(
                            !is_finer_than_an_hour(value as i64),
                            "{table}[{column}] = {value}"
                        );
                        value.to_string().into_bytes()
                    }
                    rusqlite::types::ValueRef::Text(text) => text.to_vec(),
                    rusqlite::types::ValueRef::Blob(blob) => blob.to_vec(),
                };
                for needle in [
                    "127.0.0.1",
                    USER_AGENT,
                    "unique-agent-7f3a9c",
                    "secret-referrer-91b2",
                    "secret-cookie-value-4d5e",
                ] {
                    assert!(
                        !contains(&bytes, needle),
                        "{table}[{column}] contains {needle:?}"
                    );
                }
            }
        }
    }
    assert!(values_checked > 0);

    // And the raw bytes of every file in the data directory (database, WAL, shared memory).
    for entry in std::fs::read_dir(relay.data_dir()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        for needle in [
            "127.0.0.1",
            "unique-agent-7f3a9c",
            "secret-referrer-91b2",
            "secret-cookie-value-4d5e",
        ] {
            assert!(
                !contains(&bytes, needle),
                "{} contains {needle:?}",
                path.display()
            );
        }
    }
    log
}
