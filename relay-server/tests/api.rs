//! Every endpoint and every bad input, against the real `relay-server` binary on a port the OS
//! picked. Each bad input must get the right 4xx, store nothing, and leave the relay serving.

use std::io::{Read, Write};
use std::time::Duration;

use fluister_envelope::pow;
use fluister_protocol::bodies::ChallengeResponse;
use fluister_protocol::{ErrorCode, TipId};
use fluister_relay::encoding::{encode_base64url, random_bytes};
use fluister_testkit::fixtures::{coordinator_keys, sealed_tip, submission_key, wrong_nonces};
use fluister_testkit::http::{connect, read_response, write_request};
use fluister_testkit::{
    COORDINATOR_TOKEN, METRICS_TOKEN, RelayProcess, Response, SECOND_COORDINATOR_TOKEN,
    SettingsBuilder, TemporaryDirectory,
};

/// Headers every response must carry.
fn assert_security_headers(response: &Response) {
    assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(response.header("referrer-policy"), Some("no-referrer"));
    assert!(response.header("content-security-policy").is_some());
    assert!(response.header("cross-origin-resource-policy").is_some());
    assert!(response.header("access-control-allow-origin").is_none());
    assert!(response.header("set-cookie").is_none());
}

#[test]
fn submit_list_fetch_delete_round_trip() {
    let relay = RelayProcess::start(SettingsBuilder::for_tests());
    let (identity, recipient) = coordinator_keys();
    let body = sealed_tip(&recipient, 4096, 1);
    let key = submission_key();

    let stored = relay.submit(&body, &key);
    assert_eq!(stored.status, 201, "{}", stored.text());
    assert_security_headers(&stored);
    assert_eq!(stored.header("cache-control"), Some("no-store"));
    let id = stored.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 32);

    let list = relay.coordinator_get("/api/v1/tips");
    assert_eq!(list.status, 200);
    let list = list.json();
    assert_eq!(list["tips"][0]["id"], id.as_str());
    assert_eq!(list["tips"][0]["size"], body.len());
    assert_eq!(list["tips"][0]["received_hour"].as_i64().unwrap() % 3600, 0);

    let fetched = relay.coordinator_get(&format!("/api/v1/tips/{id}"));
    assert_eq!(fetched.status, 200);
    assert_eq!(
        fetched.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(fetched.body, body);
    // What the coordinator pulls opens with the coordinator's key.
    let plaintext = fluister_envelope::age::open(&[identity], &fetched.body).unwrap();
    assert!(plaintext.starts_with(b"{\"v\":1,\"text\":\"test tip 1\"}"));

    let second_token = relay.request(
        "DELETE",
        &format!("/api/v1/tips/{id}"),
        &[(
            "Authorization",
            &format!("Bearer {SECOND_COORDINATOR_TOKEN}"),
        )],
        b"",
    );
    assert_eq!(second_token.status, 204);
    assert_eq!(
        relay.coordinator_get(&format!("/api/v1/tips/{id}")).status,
        404
    );
    assert!(relay.tip_ids().is_empty());
    assert_eq!(relay.database_row_counts().0, 0);
}

#[test]
fn config_healthz_and_metrics() {
    let relay = RelayProcess::start(SettingsBuilder::for_tests().metrics_tokens(&[METRICS_TOKEN]));
    let config = relay.request("GET", "/api/v1/config", &[], b"");
    assert_eq!(config.status, 200);
    assert_security_headers(&config);
    let json = config.json();
    assert_eq!(json["api_version"], fluister_protocol::bodies::API_VERSION);
    assert_eq!(json["proof_of_work"]["difficulty"], 0);
    assert!(json["limits"]["max_tip_bytes"].as_u64().unwrap() > 0);
    assert!(json["recipients"].is_array());
    assert!(json["municipalities"].is_array());
    assert!(json["phone_numbers"].is_array());

    let health = relay.request("GET", "/healthz", &[], b"");
    assert_eq!(health.status, 200);
    assert_security_headers(&health);

    assert_eq!(relay.request("GET", "/metrics", &[], b"").status, 401);
    assert_eq!(relay.coordinator_get("/metrics").status, 401);
    let (_, recipient) = coordinator_keys();
    assert_eq!(
        relay
            .submit(&sealed_tip(&recipient, 100, 2), &submission_key())
            .status,
        201
    );
    relay.next_metrics_hour();
    let metrics = scrape_metrics(&relay);
    assert_eq!(metrics.status, 200);
    assert_security_headers(&metrics);
    let text = metrics.text();
    assert!(text.contains("\nfluister_tips_stored 1\n"), "{text}");
    assert!(
        text.contains("\nfluister_tips_received_total 1\n"),
        "{text}"
    );
    assert!(
        text.contains("fluister_requests_rejected_total{code=\"unauthorized\"} 2"),
        "{text}"
    );
}

#[test]
fn config_lists_recipients_municipalities_and_phone_numbers() {
    let (_, recipient) = coordinator_keys();
    let relay = RelayProcess::start(
        SettingsBuilder::for_tests()
            .municipality("assen", "Assen")
            .phone_number("Meld Misdaad Anoniem", "0800-7000")
            .recipients([recipient]),
    );
    let config = relay.request("GET", "/api/v1/config", &[], b"").json();
    assert_eq!(config["recipients"][0], recipient.to_string().as_str());
    assert_eq!(config["municipalities"][0]["id"], "assen");
    assert_eq!(config["municipalities"][0]["name"], "Assen");
    assert_eq!(config["phone_numbers"][0]["label"], "Meld Misdaad Anoniem");
    assert_eq!(config["phone_numbers"][0]["number"], "0800-7000");
}

#[test]
fn retried_submission_is_stored_once_and_key_reuse_with_other_body_conflicts() {
    let relay = RelayProcess::start(SettingsBuilder::for_tests());
    let (_, recipient) = coordinator_keys();
    let body = sealed_tip(&recipient, 500, 3);
    let key = submission_key();
    let first = relay.submit(&body, &key);
    assert_eq!(first.status, 201);
    let id = first.json()["id"].clone();

    // A retry with a new challenge, and one reusing the spent challenge: both the same tip.
    let retried = relay.submit(&body, &key);
    assert_eq!(retried.status, 200, "{}", retried.text());
    assert_eq!(retried.json()["id"], id);

    let other_body = sealed_tip(&recipient, 500, 4);
    let conflict = relay.submit(&other_body, &key);
    assert_eq!(conflict.status, 409);
    assert_eq!(conflict.error_code(), ErrorCode::SubmissionKeyConflict);

    assert_eq!(relay.tip_ids().len(), 1);
    assert_eq!(relay.database_row_counts(), (1, 1));
    relay.assert_serving();
}

#[test]
fn bad_bodies_are_refused_and_nothing_is_stored() {
    let relay = RelayProcess::start(SettingsBuilder::for_tests().limits("max_tip_bytes", 8192));
    let (_, recipient) = coordinator_keys();
    let valid = sealed_tip(&recipient, 100, 5);

    // Not an age file at all.
    let response = relay.submit(b"hello, this is plaintext", &submission_key());
    assert_eq!(response.status, 400);
    assert_eq!(response.error_code(), ErrorCode::NotAgeFile);
    assert_security_headers(&response);

    // An age version line with a broken stanza.
    let mut broken = b"age-encryption.org/v1\n-> X25519 !!!notbase64\n--- ".to_vec();
    broken.extend_from_slice(&[b'A'; 43]);
    broken.push(b'\n');
    broken.extend_from_slice(&[0u8; 40]);
    let response = relay.submit(&broken, &submission_key());
    assert_eq!(response.status, 400);
    assert_eq!(response.error_code(), ErrorCode::BrokenAgeHeader);

    // A real file with one header byte changed to a non-canonical character.
    let mut tampered = valid.clone();
    let stanza_line = tampered.iter().position(|byte| *byte == b'\n').unwrap() + 1;
    let second_line = stanza_line
        + tampered[stanza_line..]
            .iter()
            .position(|byte| *byte == b'\n')
            .unwrap()
        + 1;
    tampered[second_line] = b'*';
    let response = relay.submit(&tampered, &submission_key());
    assert_eq!(response.status, 400);
    assert_eq!(response.error_code(), ErrorCode::BrokenAgeHeader);

    // A real file cut short inside its header.
    let response = relay.submit(&valid[..30], &submission_key());
    assert_eq!(response.status, 400);
    assert_eq!(response.error_code(), ErrorCode::BrokenAgeHeader);

    // Too large, announced by Content-Length.
    let oversized = sealed_tip(&recipient, 9000, 6);
    let response = relay.submit(&oversized, &submission_key());
    assert_eq!(response.status, 413);
    assert_eq!(response.error_code(), ErrorCode::BodyTooLarge);

    // Too large, in chunks with no announced length.
    let challenge = relay.challenge();
    let mut stream = connect(relay.address());
    let mut chunked = Vec::new();
    for chunk in oversized.chunks(1000) {
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    write_request(
        &mut stream,
        relay.address(),
        "POST",
        "/api/v1/tips",
        &[
            ("Content-Type", "application/octet-stream"),
            ("Transfer-Encoding", "chunked"),
            (
                "Fluister-Submission-Key",
                &encode_base64url(&submission_key()),
            ),
            ("Fluister-Challenge", &encode_base64url(&challenge.seed)),
            ("Fluister-Nonce", "0"),
        ],
        &chunked,
    );
    let response = read_response(&mut stream);
    assert_eq!(response.status, 413);

    // Wrong content type.
    let challenge = relay.challenge();
    let response = relay.request(
        "POST",
        "/api/v1/tips",
        &[
            ("Content-Type", "application/json"),
            (
                "Fluister-Submission-Key",
                &encode_base64url(&submission_key()),
            ),
            ("Fluister-Challenge", &encode_base64url(&challenge.seed)),
            ("Fluister-Nonce", "0"),
        ],
        &valid,
    );
    assert_eq!(response.status, 415);

    // Missing or malformed submission key.
    let challenge = relay.challenge();
    for key_header in [None, Some("short"), Some("not base64url!!")] {
        let mut headers = vec![
            ("Content-Type", "application/octet-stream"),
            ("Fluister-Nonce", "0"),
        ];
        let seed = encode_base64url(&challenge.seed);
        headers.push(("Fluister-Challenge", &seed));
        if let Some(key) = key_header {
            headers.push(("Fluister-Submission-Key", key));
        }
        let response = relay.request("POST", "/api/v1/tips", &headers, &valid);
        assert_eq!(response.status, 400);
        assert_eq!(response.error_code(), ErrorCode::BadHeader);
    }

    assert!(relay.tip_ids().is_empty());
    assert_eq!(relay.database_row_counts(), (0, 0));
    relay.assert_serving();
    // The challenge fetched above was never spent, so a good tip still goes through with it.
    let response = relay.submit_with(&valid, &submission_key(), &challenge.seed, 0);
    assert_eq!(response.status, 201, "{}", response.text());
}

#[test]
fn proof_of_work_missing_invalid_unknown_and_replayed_is_refused() {
    let relay = RelayProcess::start(
        SettingsBuilder::for_tests()
            .proof_of_work("difficulty", 64)
            .proof_of_work("memory_kib", 8),
    );
    let (_, recipient) = coordinator_keys();
    let body = sealed_tip(&recipient, 200, 7);
    let body_hash = pow::ciphertext_sha256(&body);

    // Missing headers.
    let response = relay.request(
        "POST",
        "/api/v1/tips",
        &[
            ("Content-Type", "application/octet-stream"),
            (
                "Fluister-Submission-Key",
                &encode_base64url(&submission_key()),
            ),
        ],
        &body,
    );
    assert_eq!(response.status, 400);
    assert_eq!(response.error_code(), ErrorCode::ProofOfWorkMissing);

    // Malformed nonce.
    let challenge = relay.challenge();
    assert_eq!(challenge.difficulty, 64);
    let response = relay.request(
        "POST",
        "/api/v1/tips",
        &[
            ("Content-Type", "application/octet-stream"),
            (
                "Fluister-Submission-Key",
                &encode_base64url(&submission_key()),
            ),
            ("Fluister-Challenge", &encode_base64url(&challenge.seed)),
            ("Fluister-Nonce", "-1"),
        ],
        &body,
    );
    assert_eq!(response.status, 400);
    assert_eq!(response.error_code(), ErrorCode::BadHeader);

    // A nonce that does not solve the challenge; it also uses the challenge up.
    let wrong_nonce = wrong_nonces(&challenge, &body_hash)
        .next()
        .expect("some nonce is wrong");
    let response = relay.submit_with(&body, &submission_key(), &challenge.seed, wrong_nonce);
    assert_eq!(response.status, 400);
    assert_eq!(response.error_code(), ErrorCode::ProofOfWorkInvalid);
    let right = pow::solve(&challenge, &body_hash).unwrap();
    let response = relay.submit_with(&body, &submission_key(), &challenge.seed, right.nonces[0]);
    assert_eq!(response.status, 409);
    assert_eq!(response.error_code(), ErrorCode::ChallengeInvalid);

    // A solution for another body.
    let challenge = relay.challenge();
    let other_body = sealed_tip(&recipient, 200, 8);
    let other_solution = pow::solve(&challenge, &pow::ciphertext_sha256(&other_body)).unwrap();
    if pow::verify(&challenge, &body_hash, &other_solution).is_err() {
        let response = relay.submit_with(
            &body,
            &submission_key(),
            &challenge.seed,
            other_solution.nonces[0],
        );
        assert_eq!(response.status, 400);
        assert_eq!(response.error_code(), ErrorCode::ProofOfWorkInvalid);
    }

    // A challenge the relay never issued.
    let response = relay.submit_with(&body, &submission_key(), &random_bytes(), 0);
    assert_eq!(response.status, 409);
    assert_eq!(response.error_code(), ErrorCode::ChallengeInvalid);

    assert!(relay.tip_ids().is_empty());

    // A good submission, then its challenge replayed for another tip.
    let challenge = relay.challenge();
    let solution = pow::solve(&challenge, &body_hash).unwrap();
    let response = relay.submit_with(
        &body,
        &submission_key(),
        &challenge.seed,
        solution.nonces[0],
    );
    assert_eq!(response.status, 201, "{}", response.text());
    let response = relay.submit_with(
        &body,
        &submission_key(),
        &challenge.seed,
        solution.nonces[0],
    );
    assert_eq!(response.status, 409);
    assert_eq!(response.error_code(), ErrorCode::ChallengeInvalid);

    assert_eq!(relay.tip_ids().len(), 1);
    assert_eq!(relay.database_row_counts(), (1, 1));
    relay.assert_serving();
}

#[test]
fn a_split_challenge_pays_only_with_one_right_nonce_per_puzzle_in_order() {
    let relay = RelayProcess::start(
        SettingsBuilder::for_tests()
            .proof_of_work("difficulty", 96)
            .proof_of_work("memory_kib", 8)
            .proof_of_work("puzzles", 6),
    );
    let (_, recipient) = coordinator_keys();
    let body = sealed_tip(&recipient, 200, 11);
    let body_hash = pow::ciphertext_sha256(&body);

    // Without a version, or with version 1, one puzzle as before; version 2 splits.
    assert_eq!(relay.challenge().puzzles, 1);
    let version_1: ChallengeResponse = relay
        .request("POST", "/api/v1/challenges?version=1", &[], b"")
        .expect_status(201)
        .parse();
    assert_eq!(version_1.puzzles, 1);
    let split = relay.split_challenge();
    assert_eq!((split.difficulty, split.puzzles), (96, 6));
    for query in [
        "version=3",
        "version=",
        "puzzles=1",
        "version=2&version=1",
        "version=02",
    ] {
        let response = relay.request("POST", &format!("/api/v1/challenges?{query}"), &[], b"");
        assert_eq!(response.status, 400, "{query}");
        assert_eq!(
            response.error_code(),
            ErrorCode::BadChallengeVersion,
            "{query}"
        );
    }

    let nonces = pow::solve(&split, &body_hash).unwrap().nonces;
    assert_eq!(nonces.len(), 6);
    let header = |nonces: &[u32]| fluister_protocol::headers::nonce_header(nonces);

    // One nonce short, one too many, the right ones in another order, the last one wrong: each
    // refused; the last two use their fresh split challenge up, the first two do not.
    let short = |right: &[u32]| right[..5].to_vec();
    let long = |right: &[u32]| [right, &[0]].concat();
    let reversed = |right: &[u32]| right.iter().rev().copied().collect();
    let wrong_last = |right: &[u32]| {
        let mut spoiled = right.to_vec();
        spoiled[5] = right[5].wrapping_add(1);
        spoiled
    };
    type Spoiler<'a> = &'a dyn Fn(&[u32]) -> Vec<u32>;
    let spoilers: [Spoiler; 4] = [&short, &long, &reversed, &wrong_last];
    let mut refused = 0;
    let mut stored = 0;
    for spoil in spoilers {
        let challenge = relay.split_challenge();
        let right = pow::solve(&challenge, &body_hash).unwrap().nonces;
        let spoiled = spoil(&right);
        if pow::verify(
            &challenge,
            &body_hash,
            &pow::Solution {
                nonces: spoiled.clone(),
            },
        )
        .is_ok()
        {
            // A reversed list that reads the same, or a next nonce that also wins: no test.
            continue;
        }
        let response = relay.submit_with_nonce_header(
            &body,
            &submission_key(),
            &challenge.seed,
            &header(&spoiled),
        );
        assert_eq!(response.status, 400, "{spoiled:?}: {}", response.text());
        assert_eq!(response.error_code(), ErrorCode::ProofOfWorkInvalid);
        let honest = relay.submit_with_nonce_header(
            &body,
            &submission_key(),
            &challenge.seed,
            &header(&right),
        );
        if spoiled.len() == right.len() {
            assert_eq!(honest.error_code(), ErrorCode::ChallengeInvalid, "used up");
        } else {
            // The wrong number of nonces is refused before the challenge is claimed or any hash
            // is spent: the challenge still pays for the honest proof.
            assert_eq!(honest.status, 201, "{}", honest.text());
            stored += 1;
        }
        refused += 1;
    }
    assert!(refused >= 3, "the spoilt solutions were tried: {refused}");
    // More nonces than any challenge has is a malformed header.
    let challenge = relay.split_challenge();
    let response = relay.submit_with_nonce_header(
        &body,
        &submission_key(),
        &challenge.seed,
        &header(&[1; 33]),
    );
    assert_eq!(response.error_code(), ErrorCode::BadHeader);

    assert_eq!(relay.tip_ids().len(), stored);
    // The honest split solution pays, once.
    let response =
        relay.submit_with_nonce_header(&body, &submission_key(), &split.seed, &header(&nonces));
    assert_eq!(response.status, 201, "{}", response.text());
    let replay =
        relay.submit_with_nonce_header(&body, &submission_key(), &split.seed, &header(&nonces));
    assert_eq!(replay.error_code(), ErrorCode::ChallengeInvalid);
    // A one-puzzle challenge still pays with one nonce.
    let one = relay.challenge();
    let nonce = pow::solve(&one, &body_hash).unwrap().nonces[0];
    let response = relay.submit_with(&body, &submission_key(), &one.seed, nonce);
    assert_eq!(response.status, 201, "{}", response.text());
    assert_eq!(relay.tip_ids().len(), 2 + stored);
    relay.assert_serving();
}

#[test]
fn expired_challenge_is_refused() {
    let relay = RelayProcess::start(
        SettingsBuilder::for_tests()
            .proof_of_work("difficulty", 0)
            .proof_of_work("challenge_lifetime_seconds", 1),
    );
    let (_, recipient) = coordinator_keys();
    let body = sealed_tip(&recipient, 100, 9);
    let challenge = relay.challenge();
    // The relay compares whole seconds: two full seconds later the challenge has expired.
    std::thread::sleep(Duration::from_millis(2100));
    let response = relay.submit_with(&body, &submission_key(), &challenge.seed, 0);
    assert_eq!(response.status, 409);
    assert_eq!(response.error_code(), ErrorCode::ChallengeInvalid);
    assert!(relay.tip_ids().is_empty());
    relay.assert_serving();
}

#[test]
fn coordinator_routes_need_a_valid_token_and_a_known_id() {
    let relay = RelayProcess::start(SettingsBuilder::for_tests());
    let (_, recipient) = coordinator_keys();
    let stored = relay.submit(&sealed_tip(&recipient, 100, 10), &submission_key());
    let id = stored.json()["id"].as_str().unwrap().to_owned();

    for (method, path) in [
        ("GET", "/api/v1/tips".to_owned()),
        ("GET", format!("/api/v1/tips/{id}")),
        ("DELETE", format!("/api/v1/tips/{id}")),
        ("GET", "/api/v1/status".to_owned()),
    ] {
        for authorization in [
            None,
            Some("Bearer wrong-token".to_owned()),
            Some(format!("Basic {COORDINATOR_TOKEN}")),
            Some("Bearer ".to_owned()),
            Some(format!("Bearer {COORDINATOR_TOKEN}x")),
        ] {
            let headers: Vec<(&str, &str)> = authorization
                .as_deref()
                .map(|value| vec![("Authorization", value)])
                .unwrap_or_default();
            let response = relay.request(method, &path, &headers, b"");
            assert_eq!(response.status, 401, "{method} {path} {authorization:?}");
            assert_eq!(response.error_code(), ErrorCode::Unauthorized);
            assert!(response.header("www-authenticate").is_some());
            assert_security_headers(&response);
        }
    }

    let unknown = "0123456789abcdef0123456789abcdef";
    let authorization = format!("Bearer {COORDINATOR_TOKEN}");
    for (method, path) in [
        ("GET", format!("/api/v1/tips/{unknown}")),
        ("DELETE", format!("/api/v1/tips/{unknown}")),
        ("GET", "/api/v1/tips/not-an-id".to_owned()),
        ("DELETE", "/api/v1/tips/zz".to_owned()),
    ] {
        let response = relay.request(method, &path, &[("Authorization", &authorization)], b"");
        assert_eq!(response.status, 404, "{method} {path}");
        assert_eq!(response.error_code(), ErrorCode::TipNotFound);
    }
    assert_eq!(relay.tip_ids(), vec![id.parse::<TipId>().unwrap()]);
    relay.assert_serving();
}

#[test]
fn unknown_routes_and_methods_get_json_errors() {
    let relay = RelayProcess::start(SettingsBuilder::for_tests());
    let response = relay.request("GET", "/nothing-here", &[], b"");
    assert_eq!(response.status, 404);
    assert_eq!(response.error_code(), ErrorCode::NotFound);
    assert_security_headers(&response);
    let response = relay.request("PUT", "/api/v1/tips", &[], b"");
    assert_eq!(response.status, 405);
    assert_eq!(response.error_code(), ErrorCode::MethodNotAllowed);
    relay.assert_serving();
}

#[test]
fn cross_origin_api_requests_are_refused_without_cors_headers() {
    let relay = RelayProcess::start(SettingsBuilder::for_tests());
    let same_origin = format!("http://{}", relay.address());
    let cases: Vec<(Vec<(&str, &str)>, u16)> = vec![
        (vec![("Origin", "https://evil.example")], 403),
        (vec![("Origin", "null")], 403),
        (vec![("Sec-Fetch-Site", "cross-site")], 403),
        (vec![("Sec-Fetch-Site", "same-site")], 403),
        (
            vec![("Origin", &same_origin), ("Sec-Fetch-Site", "cross-site")],
            403,
        ),
        (
            vec![("Origin", &same_origin), ("Sec-Fetch-Site", "same-origin")],
            201,
        ),
        (vec![], 201),
    ];
    for (headers, expected) in cases {
        let response = relay.request("POST", "/api/v1/challenges", &headers, b"");
        assert_eq!(response.status, expected, "{headers:?}");
        if expected == 403 {
            assert_eq!(response.error_code(), ErrorCode::CrossOrigin);
        }
        assert!(response.header("access-control-allow-origin").is_none());
    }
    // A CORS preflight gets a refusal, not permission.
    let preflight = relay.request(
        "OPTIONS",
        "/api/v1/tips",
        &[
            ("Origin", "https://evil.example"),
            ("Access-Control-Request-Method", "POST"),
        ],
        b"",
    );
    assert_eq!(preflight.status, 403);
    assert!(preflight.header("access-control-allow-origin").is_none());
    assert!(preflight.header("access-control-allow-methods").is_none());

    // With a configured public origin, only that origin passes.
    let relay = RelayProcess::start(
        SettingsBuilder::for_tests().server("public_origin", "https://tips.example.nl"),
    );
    let response = relay.request(
        "POST",
        "/api/v1/challenges",
        &[("Origin", "https://tips.example.nl")],
        b"",
    );
    assert_eq!(response.status, 201);
    assert!(response.header("strict-transport-security").is_some());
    let response = relay.request(
        "POST",
        "/api/v1/challenges",
        &[("Origin", &format!("http://{}", relay.address()))],
        b"",
    );
    assert_eq!(response.status, 403);
}

#[test]
fn widget_is_served_with_frame_ancestors_and_immutable_hashed_assets() {
    let assets = TemporaryDirectory::new("assets");
    std::fs::create_dir_all(assets.join("w/pkg")).unwrap();
    std::fs::write(assets.join("embed.js"), "/* loader */").unwrap();
    std::fs::write(assets.join("w/embed-0123456789abcdef.js"), "/* loader */").unwrap();
    std::fs::write(
        assets.join("w/index.html"),
        "<!doctype html><title>w</title>",
    )
    .unwrap();
    std::fs::write(
        assets.join("w/pkg/widget-0123456789abcdef_bg.wasm"),
        b"\0asm",
    )
    .unwrap();
    std::fs::write(
        assets.join("w/worker-0123456789abcdef.js"),
        "import './widget.js';",
    )
    .unwrap();
    // The brotli copy `cargo xtask widget` writes next to a file (its bytes do not matter here).
    std::fs::write(
        assets.join("w/pkg/widget-0123456789abcdef_bg.wasm.br"),
        b"brotli copy",
    )
    .unwrap();
    std::fs::write(assets.join("secret.txt"), "do not serve").unwrap();
    let relay = RelayProcess::start(
        SettingsBuilder::for_tests()
            .assets_dir(assets.path())
            .embedding_origins(["https://www.assen.nl", "https://www.emmen.nl"]),
    );

    let page = relay.request("GET", "/w/", &[], b"");
    assert_eq!(page.status, 200);
    assert_eq!(page.text(), "<!doctype html><title>w</title>");
    assert_security_headers(&page);
    let policy = page.header("content-security-policy").unwrap();
    assert!(
        policy.contains("frame-ancestors https://www.assen.nl https://www.emmen.nl"),
        "{policy}"
    );
    assert!(
        policy.contains("script-src 'self' 'wasm-unsafe-eval'"),
        "{policy}"
    );
    assert!(page.header("x-frame-options").is_none());

    // A worker script runs under its own response's policy: the widget's, not `default-src 'none'`.
    let worker = relay.request("GET", "/w/worker-0123456789abcdef.js", &[], b"");
    assert_eq!(worker.status, 200);
    let worker_policy = worker.header("content-security-policy").unwrap();
    assert!(
        worker_policy.contains("script-src 'self' 'wasm-unsafe-eval'"),
        "{worker_policy}"
    );

    let wasm = relay.request("GET", "/w/pkg/widget-0123456789abcdef_bg.wasm", &[], b"");
    assert_eq!(wasm.status, 200);
    assert_eq!(wasm.header("content-type"), Some("application/wasm"));
    assert_eq!(
        wasm.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );

    assert_eq!(wasm.body, b"\0asm");
    assert_eq!(wasm.header("content-encoding"), None);
    assert_eq!(wasm.header("vary"), Some("Accept-Encoding"));

    // A browser that accepts brotli gets the precompressed copy; one that refuses it does not.
    let wasm_path = "/w/pkg/widget-0123456789abcdef_bg.wasm";
    let brotli = relay.request(
        "GET",
        wasm_path,
        &[("Accept-Encoding", "gzip, deflate, br")],
        b"",
    );
    assert_eq!(brotli.status, 200);
    assert_eq!(brotli.body, b"brotli copy");
    assert_eq!(brotli.header("content-encoding"), Some("br"));
    assert_eq!(brotli.header("content-type"), Some("application/wasm"));
    assert_eq!(brotli.header("vary"), Some("Accept-Encoding"));
    let refused = relay.request(
        "GET",
        wasm_path,
        &[("Accept-Encoding", "br;q=0, gzip")],
        b"",
    );
    assert_eq!(refused.body, b"\0asm");
    assert_eq!(refused.header("content-encoding"), None);
    // A file without a brotli copy is sent as it is.
    let page_brotli = relay.request("GET", "/w/", &[("Accept-Encoding", "br")], b"");
    assert_eq!(page_brotli.text(), "<!doctype html><title>w</title>");
    assert_eq!(page_brotli.header("content-encoding"), None);

    let loader = relay.request("GET", "/embed.js", &[], b"");
    assert_eq!(loader.status, 200);
    assert_eq!(loader.text(), "/* loader */");
    assert_eq!(
        loader.header("cross-origin-resource-policy"),
        Some("cross-origin")
    );
    // Pages that pin a loader with `integrity` and `crossorigin="anonymous"` can read it; no
    // other file of the widget is readable by other origins.
    assert_eq!(loader.header("access-control-allow-origin"), Some("*"));
    let versioned = relay.request("GET", "/w/embed-0123456789abcdef.js", &[], b"");
    assert_eq!(versioned.status, 200);
    assert_eq!(versioned.header("access-control-allow-origin"), Some("*"));
    for other in [&page, &worker, &wasm] {
        assert_eq!(other.header("access-control-allow-origin"), None);
    }
    let config = relay.request("GET", "/api/v1/config", &[], b"");
    assert_eq!(config.header("access-control-allow-origin"), None);

    for path in [
        "/w/../secret.txt",
        "/w/..%2fsecret.txt",
        "/w/%2e%2e/secret.txt",
        "/w/.hidden",
        "/w/missing.js",
    ] {
        let response = relay.request("GET", path, &[], b"");
        assert_eq!(response.status, 404, "{path}");
        assert!(!response.text().contains("do not serve"));
    }

    // Without built assets, placeholders are served.
    let plain = RelayProcess::start(SettingsBuilder::for_tests());
    let page = plain.request("GET", "/w/", &[], b"");
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-security-policy")
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(plain.request("GET", "/embed.js", &[], b"").status, 200);
    drop(relay);
    drop(assets);
}

#[test]
fn storage_quota_refuses_tips_that_do_not_fit() {
    let relay = RelayProcess::start(
        SettingsBuilder::for_tests()
            .limits("max_tip_bytes", 8192)
            .storage("max_stored_bytes", 8192),
    );
    let (_, recipient) = coordinator_keys();
    let first = relay.submit(&sealed_tip(&recipient, 4096, 11), &submission_key());
    assert_eq!(first.status, 201, "{}", first.text());
    let second = relay.submit(&sealed_tip(&recipient, 4096, 12), &submission_key());
    assert_eq!(second.status, 507);
    assert_eq!(second.error_code(), ErrorCode::StorageFull);
    assert_eq!(relay.tip_ids().len(), 1);

    // Pulling (deleting) a tip frees its space.
    let id = first.json()["id"].as_str().unwrap().to_owned();
    let deleted = relay.request(
        "DELETE",
        &format!("/api/v1/tips/{id}"),
        &[("Authorization", &format!("Bearer {COORDINATOR_TOKEN}"))],
        b"",
    );
    assert_eq!(deleted.status, 204);
    let third = relay.submit(&sealed_tip(&recipient, 4096, 13), &submission_key());
    assert_eq!(third.status, 201);
}

#[test]
fn only_verified_submissions_draw_from_the_global_budget() {
    let relay = RelayProcess::start(
        SettingsBuilder::for_tests()
            .limits("submissions_per_second", 0.001)
            .limits("submission_burst", 3),
    );
    let (_, recipient) = coordinator_keys();
    // Challenges are free: many more than the budget holds.
    for _ in 0..20 {
        assert_eq!(
            relay.request("POST", "/api/v1/challenges", &[], b"").status,
            201
        );
    }
    // Requests whose proof of work never checks out spend nothing: forged and reused seeds.
    let body = sealed_tip(&recipient, 100, 1);
    for _ in 0..10 {
        let forged = relay.submit_with(&body, &submission_key(), &random_bytes::<32>(), 0);
        assert_eq!(forged.error_code(), ErrorCode::ChallengeInvalid);
    }
    // So the whole budget is still there for real tips.
    for marker in 0..3 {
        let tip = sealed_tip(&recipient, 100, 10 + marker);
        assert_eq!(relay.submit(&tip, &submission_key()).status, 201);
    }
    let limited = relay.submit(&sealed_tip(&recipient, 100, 20), &submission_key());
    assert_eq!(limited.status, 429);
    assert_eq!(limited.error_code(), ErrorCode::RateLimited);
    assert!(limited.header("retry-after").is_some());
    // Reading is not rate limited, and the relay keeps serving.
    assert_eq!(relay.request("GET", "/api/v1/config", &[], b"").status, 200);
    relay.assert_serving();
}

#[test]
fn oversized_request_head_is_refused() {
    let relay = RelayProcess::start(SettingsBuilder::for_tests());
    let huge = "x".repeat(20 * 1024);
    let response = relay.request("GET", "/healthz", &[("X-Padding", &huge)], b"");
    assert_eq!(response.status, 431);
    relay.assert_serving();
}

#[test]
fn slow_request_head_is_cut_off() {
    let relay =
        RelayProcess::start(SettingsBuilder::for_tests().limits("header_read_timeout_seconds", 1));
    let mut stream = connect(relay.address());
    stream
        .write_all(b"POST /api/v1/tips HTTP/1.1\r\nHost: relay\r\nContent-Type: application/oct")
        .unwrap();
    // The client stalls; the relay must close the connection rather than wait forever. (The
    // socket's safety timeout makes a relay that never closes fail this test instead of hanging.)
    let mut buffer = Vec::new();
    match stream.read_to_end(&mut buffer) {
        Ok(_) => {}
        Err(error) => assert_eq!(error.kind(), std::io::ErrorKind::ConnectionReset, "{error}"),
    }
    assert!(
        buffer.is_empty() || buffer.starts_with(b"HTTP/1.1 408"),
        "{:?}",
        String::from_utf8_lossy(&buffer)
    );
    relay.assert_serving();
}

#[test]
fn slow_request_body_times_out_and_stores_nothing() {
    let relay =
        RelayProcess::start(SettingsBuilder::for_tests().limits("request_timeout_seconds", 1));
    let challenge = relay.challenge();
    let mut stream = connect(relay.address());
    write_request(
        &mut stream,
        relay.address(),
        "POST",
        "/api/v1/tips",
        &[
            ("Content-Type", "application/octet-stream"),
            ("Content-Length", "5000"),
            (
                "Fluister-Submission-Key",
                &encode_base64url(&submission_key()),
            ),
            ("Fluister-Challenge", &encode_base64url(&challenge.seed)),
            ("Fluister-Nonce", "0"),
        ],
        b"age-encryption.org/v1\n",
    );
    let response = read_response(&mut stream);
    assert_eq!(response.status, 408);
    assert_eq!(response.error_code(), ErrorCode::RequestTimeout);
    assert!(relay.tip_ids().is_empty());
    relay.assert_serving();
}

#[test]
fn concurrency_limit_answers_503_while_full() {
    let relay =
        RelayProcess::start(SettingsBuilder::for_tests().limits("max_concurrent_requests", 1));
    // Hold the database's write lock so that a delete waits in its handler, on the only
    // request place.
    let database = rusqlite::Connection::open(relay.database_path()).expect("open database");
    database
        .busy_timeout(Duration::from_secs(10))
        .expect("set a busy timeout");
    database
        .execute_batch("BEGIN IMMEDIATE;")
        .expect("take the write lock");
    let waiting = std::thread::scope(|scope| {
        let deleter = scope.spawn(|| {
            relay.request(
                "DELETE",
                &format!("/api/v1/tips/{}", "ab".repeat(16)),
                &[("Authorization", &format!("Bearer {COORDINATOR_TOKEN}"))],
                b"",
            )
        });
        // While it waits (give it a moment to reach its handler first), every other request is
        // refused at once.
        std::thread::sleep(Duration::from_millis(300));
        let mut saw_overloaded = false;
        for _ in 0..200 {
            let response = relay.request("GET", "/healthz", &[], b"");
            if response.status == 503 {
                assert_eq!(response.error_code(), ErrorCode::Overloaded);
                assert!(response.header("retry-after").is_some());
                saw_overloaded = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(saw_overloaded, "the concurrency limit never took effect");
        database
            .execute_batch("COMMIT;")
            .expect("give the write lock back");
        deleter.join().unwrap()
    });
    drop(database);
    // The waiting delete finishes once the database is free, and frees the place.
    assert_eq!(waiting.error_code(), ErrorCode::TipNotFound);
    relay.assert_serving();
}

#[test]
fn a_slowly_sent_body_holds_no_request_place() {
    let relay =
        RelayProcess::start(SettingsBuilder::for_tests().limits("max_concurrent_requests", 1));
    let challenge = relay.challenge();
    // A tip whose body is still arriving, on the relay's only request place.
    let mut slow = connect(relay.address());
    write_request(
        &mut slow,
        relay.address(),
        "POST",
        "/api/v1/tips",
        &[
            ("Content-Type", "application/octet-stream"),
            ("Content-Length", "100"),
            (
                "Fluister-Submission-Key",
                &encode_base64url(&submission_key()),
            ),
            ("Fluister-Challenge", &encode_base64url(&challenge.seed)),
            ("Fluister-Nonce", "0"),
        ],
        b"",
    );
    slow.write_all(b"not an age file").unwrap();
    // Everything else is still answered while it trickles in.
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..20 {
        assert_eq!(relay.request("GET", "/healthz", &[], b"").status, 200);
        assert_eq!(
            relay.request("POST", "/api/v1/challenges", &[], b"").status,
            201
        );
    }
    slow.write_all(&[b'x'; 85]).unwrap();
    let response = read_response(&mut slow);
    assert_eq!(response.status, 400);
    assert_eq!(response.error_code(), ErrorCode::NotAgeFile);
    relay.assert_serving();
}

#[test]
fn bad_config_names_the_field_and_the_fix() {
    let directory = TemporaryDirectory::new("bad-config");
    for (config, expected) in [
        ("[limits]\nmax_tip_bytes = 1\n", "limits.max_tip_bytes"),
        ("[limits]\nmax_tip_byte = 5000\n", "max_tip_byte"),
        ("[server]\nlisten = \"localhost\"\n", "server.listen"),
        (
            "[coordinator]\nrecipients = [\"age1nope\"]\n",
            "coordinator.recipients[0]",
        ),
        (
            "[coordinator]\ntoken_sha256 = [\"abc\"]\n",
            "coordinator.token_sha256[0]",
        ),
        (
            "[widget]\nembedding_origins = [\"www.assen.nl\"]\n",
            "widget.embedding_origins[0]",
        ),
        ("[storage]\nbackend = \"mysql\"\n", "storage.backend"),
    ] {
        let path = directory.join("bad.toml");
        std::fs::write(&path, config).unwrap();
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_relay-server"))
            .arg("--config")
            .arg(&path)
            .output()
            .unwrap();
        assert!(!output.status.success(), "{config}");
        let message = String::from_utf8_lossy(&output.stderr);
        assert!(message.contains(expected), "{config}: {message}");
        assert!(output.stdout.is_empty(), "{config}: started anyway");
    }
}

#[test]
fn environment_overrides_and_defaults_start_without_a_config() {
    let directory = TemporaryDirectory::new("environment");
    let data = directory.join("from-env");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_relay-server"))
        .current_dir(directory.path())
        .env("FLUISTER_LISTEN", "127.0.0.1:0")
        .env("FLUISTER_DATA_DIR", &data)
        .env("FLUISTER_POW_DIFFICULTY", "0")
        .env_remove("FLUISTER_CONFIG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let address = line
        .trim()
        .strip_prefix("listening on http://")
        .expect("started")
        .parse()
        .unwrap();
    let config = fluister_testkit::http::request(address, "GET", "/api/v1/config", &[], b"").json();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(config["proof_of_work"]["difficulty"], 0);
    assert!(data.join("relay.sqlite3").is_file());
}

#[test]
fn subcommands_print_example_config_and_mint_a_usable_token() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_relay-server"))
        .arg("example-config")
        .output()
        .unwrap();
    assert!(output.status.success());
    let example = String::from_utf8(output.stdout).unwrap();
    let settings = fluister_relay::settings::Settings::from_toml(&example).unwrap();
    settings.validate().unwrap();
    assert_eq!(settings.server.listen, "127.0.0.1:8080");

    let help = std::process::Command::new(env!("CARGO_BIN_EXE_relay-server"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    for option in [
        "--config",
        "--listen",
        "--data-dir",
        "example-config",
        "mint-token",
        "FLUISTER_LISTEN",
        "FLUISTER_DATA_DIR",
    ] {
        assert!(help.contains(option), "--help does not explain {option}");
    }

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_relay-server"))
        .arg("mint-token")
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let token = text
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("fluister-coordinator-"))
        .expect("token line")
        .to_owned();
    let hash_line = text
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("token_sha256 = "))
        .expect("config line");
    assert_eq!(
        hash_line,
        format!(
            "token_sha256 = [\"{}\"]",
            fluister_testkit::token_hash(&token)
        )
    );

    // A relay that knows only the minted token's hash.
    let minted_hash = hash_line
        .strip_prefix("token_sha256 = [\"")
        .and_then(|rest| rest.strip_suffix("\"]"))
        .expect("one hash in the config line");
    let relay =
        RelayProcess::start(SettingsBuilder::for_tests().coordinator_token_hashes([minted_hash]));
    let response = relay.request(
        "GET",
        "/api/v1/tips",
        &[("Authorization", &format!("Bearer {token}"))],
        b"",
    );
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(relay.coordinator_get("/api/v1/tips").status, 401);
}

/// `GET /metrics` with the metrics token.
fn scrape_metrics(relay: &RelayProcess) -> Response {
    relay.request(
        "GET",
        "/metrics",
        &[("Authorization", &format!("Bearer {METRICS_TOKEN}"))],
        b"",
    )
}

/// Reads one counter or gauge from `/metrics` as it is now: the metrics clock moves to the next
/// hour first, since `/metrics` shows the values of the last full hour.
fn metric(relay: &RelayProcess, name: &str) -> u64 {
    relay.next_metrics_hour();
    let text = scrape_metrics(relay).text();
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no {name} in {text}"))
        .parse()
        .expect("a whole number")
}

#[test]
fn fifty_concurrent_wrong_nonces_for_one_challenge_cause_one_verification() {
    let relay = RelayProcess::start(
        SettingsBuilder::for_tests()
            .proof_of_work("difficulty", 1000)
            .proof_of_work("memory_kib", 8)
            .metrics_tokens(&[METRICS_TOKEN]),
    );
    let (_, recipient) = coordinator_keys();
    let body = sealed_tip(&recipient, 100, 30);
    let body_hash = pow::ciphertext_sha256(&body);
    let challenge = relay.challenge();
    let wrong_nonces: Vec<u32> = wrong_nonces(&challenge, &body_hash).take(50).collect();
    let before = metric(&relay, "fluister_proof_verifications_total");
    let start = std::sync::Barrier::new(wrong_nonces.len());
    let codes: Vec<ErrorCode> = std::thread::scope(|scope| {
        let handles: Vec<_> = wrong_nonces
            .iter()
            .map(|nonce| {
                let (relay, body, start, seed) = (&relay, &body, &start, &challenge.seed);
                scope.spawn(move || {
                    start.wait();
                    relay
                        .submit_with(body, &submission_key(), seed, *nonce)
                        .error_code()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .collect()
    });
    assert_eq!(
        metric(&relay, "fluister_proof_verifications_total") - before,
        1
    );
    let invalid = codes
        .iter()
        .filter(|code| **code == ErrorCode::ProofOfWorkInvalid);
    let taken = codes
        .iter()
        .filter(|code| **code == ErrorCode::ChallengeInvalid);
    assert_eq!((invalid.count(), taken.count()), (1, 49), "{codes:?}");
    // The challenge stays used: even the right nonce gets nothing now.
    let right = pow::solve(&challenge, &body_hash).unwrap();
    let late = relay.submit_with(&body, &submission_key(), &challenge.seed, right.nonces[0]);
    assert_eq!(late.error_code(), ErrorCode::ChallengeInvalid);
    assert!(relay.tip_ids().is_empty());
    relay.assert_serving();
}

#[test]
fn a_challenge_with_its_difficulty_lowered_is_refused() {
    let relay = RelayProcess::start(
        SettingsBuilder::for_tests()
            .proof_of_work("difficulty", 1000)
            .proof_of_work("memory_kib", 8)
            .metrics_tokens(&[METRICS_TOKEN]),
    );
    let (_, recipient) = coordinator_keys();
    let body = sealed_tip(&recipient, 100, 31);
    let mut forged = relay.challenge();
    // The seed carries its difficulty (bytes 5 and 6, big-endian) under the relay's MAC.
    forged.seed[5..7].copy_from_slice(&1u16.to_be_bytes());
    let response = relay.submit_with(&body, &submission_key(), &forged.seed, 0);
    assert_eq!(response.error_code(), ErrorCode::ChallengeInvalid);
    assert_eq!(metric(&relay, "fluister_proof_verifications_total"), 0);
    assert!(relay.tip_ids().is_empty());
}

/// An age file whose header (one stanza after another, each `-> junk a` and an empty body) is
/// at least `header_bytes` long, with the shortest possible payload after it.
fn age_file_with_header_of(header_bytes: usize) -> Vec<u8> {
    let mut file = b"age-encryption.org/v1\n".to_vec();
    while file.len() + 48 < header_bytes {
        file.extend_from_slice(b"-> junk a\n\n");
    }
    file.extend_from_slice(b"--- ");
    file.extend_from_slice(&[b'A'; 43]);
    file.push(b'\n');
    file.extend_from_slice(&[7u8; 16 + 16]);
    file
}

#[test]
fn a_complete_header_over_64_kib_is_refused_and_nothing_is_stored() {
    let relay = RelayProcess::start(SettingsBuilder::for_tests());
    let fits = age_file_with_header_of(60 * 1024);
    assert_eq!(relay.submit(&fits, &submission_key()).status, 201);
    let too_large = age_file_with_header_of(64 * 1024 + 100);
    assert!(too_large.len() < 256 * 1024, "under the body limit");
    let response = relay.submit(&too_large, &submission_key());
    assert_eq!(response.status, 400, "{}", response.text());
    assert_eq!(response.error_code(), ErrorCode::BrokenAgeHeader);
    assert_eq!(relay.tip_ids().len(), 1);
    assert_eq!(relay.database_row_counts(), (1, 1));
    relay.assert_serving();
}

#[test]
fn difficulty_rises_under_a_flood_of_valid_tips_and_falls_after_it() {
    let relay = RelayProcess::start(
        SettingsBuilder::for_tests()
            .proof_of_work("difficulty", 2)
            .proof_of_work("memory_kib", 8)
            .proof_of_work("max_difficulty", 8)
            .proof_of_work("flood_baseline", 2)
            .proof_of_work("flood_window_seconds", 3),
    );
    let (_, recipient) = coordinator_keys();
    let status = || relay.coordinator_get("/api/v1/status").json();
    // One fetched before the flood, kept for later: challenges are free to fetch ahead.
    let early = relay.challenge();
    assert_eq!(early.difficulty, 2);
    assert_eq!(status()["difficulty"]["current"], 2);
    for marker in 0..3 {
        let tip = sealed_tip(&recipient, 100, 40 + marker);
        assert_eq!(relay.submit(&tip, &submission_key()).status, 201);
    }
    // Three verified submissions against a baseline of two: twice the work.
    assert_eq!(relay.challenge().difficulty, 4);
    for marker in 3..9 {
        let tip = sealed_tip(&recipient, 100, 40 + marker);
        assert_eq!(relay.submit(&tip, &submission_key()).status, 201);
    }
    // Nine: four times the work would be 8, and 8 is the configured maximum.
    assert_eq!(relay.challenge().difficulty, 8);
    // A cheap challenge fetched ahead no longer pays once the difficulty is past twice its own.
    let body = sealed_tip(&recipient, 100, 60);
    let solution = pow::solve(&early, &pow::ciphertext_sha256(&body)).unwrap();
    let late = relay.submit_with(&body, &submission_key(), &early.seed, solution.nonces[0]);
    assert_eq!(late.error_code(), ErrorCode::ChallengeInvalid);
    let flooded = status();
    assert_eq!(flooded["difficulty"]["current"], 8);
    assert_eq!(flooded["difficulty"]["base"], 2);
    assert_eq!(flooded["difficulty"]["maximum"], 8);
    assert_eq!(flooded["verified_submissions"]["in_window"], 9);
    assert_eq!(flooded["verified_submissions"]["baseline"], 2);
    assert_eq!(flooded["verified_submissions"]["window_seconds"], 3);
    assert_eq!(flooded["refused_last_day"]["rate_limited"], 0);
    // Once the flood has left the window, challenges are as easy as before.
    std::thread::sleep(Duration::from_millis(3500));
    assert_eq!(relay.challenge().difficulty, 2);
    assert_eq!(status()["verified_submissions"]["in_window"], 0);
}

#[test]
fn status_counts_refusals_for_budget_over_the_last_day() {
    let relay = RelayProcess::start(
        SettingsBuilder::for_tests()
            .limits("submissions_per_second", 0.001)
            .limits("submission_burst", 1),
    );
    let (_, recipient) = coordinator_keys();
    assert_eq!(
        relay
            .submit(&sealed_tip(&recipient, 100, 50), &submission_key())
            .status,
        201
    );
    for marker in 0..2 {
        let tip = sealed_tip(&recipient, 100, 51 + marker);
        assert_eq!(relay.submit(&tip, &submission_key()).status, 429);
    }
    let status = relay.coordinator_get("/api/v1/status");
    assert_eq!(status.status, 200);
    assert_eq!(status.header("cache-control"), Some("no-store"));
    let json = status.json();
    assert_eq!(json["refused_last_day"]["rate_limited"], 2);
    assert_eq!(json["refused_last_day"]["storage_busy"], 0);
}

#[test]
fn challenges_from_before_a_restart_are_refused_and_the_key_survives_it() {
    let mut relay = RelayProcess::start(SettingsBuilder::for_tests());
    let key_path = relay.data_dir().join("challenge-key");
    let key_before = std::fs::read(&key_path).expect("the relay made its challenge key");
    assert_eq!(key_before.len(), 32);
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let (_, recipient) = coordinator_keys();
    let body = sealed_tip(&recipient, 100, 60);
    let old_challenge = relay.challenge();
    relay.kill();
    // The relay compares whole seconds: start it again in a later second.
    std::thread::sleep(Duration::from_millis(1100));
    relay.launch();
    // Which challenges were used is not known across a restart, so none from before counts.
    let refused = relay.submit_with(&body, &submission_key(), &old_challenge.seed, 0);
    assert_eq!(refused.error_code(), ErrorCode::ChallengeInvalid);
    assert_eq!(std::fs::read(&key_path).unwrap(), key_before);
    assert_eq!(relay.submit(&body, &submission_key()).status, 201);
}

#[test]
fn team_log_keeps_sealed_entries_in_order_for_every_member_and_a_revoked_member_is_refused() {
    let first = fluister_testkit::process::mint_member_token("member-1");
    let second = fluister_testkit::process::mint_member_token("member-2");
    let team = SettingsBuilder::for_tests()
        .without("coordinator", "token_sha256")
        .member("member-1", &first.token_sha256)
        .member("member-2", &second.token_sha256);
    let mut relay = RelayProcess::start(team);
    let (_, recipient) = coordinator_keys();
    let as_member = |token: &str| format!("Bearer {token}");
    let append = |relay: &RelayProcess, token: &str, body: &[u8]| {
        relay.request(
            "POST",
            "/api/v1/log",
            &[
                ("Authorization", &as_member(token)),
                ("Content-Type", "application/octet-stream"),
            ],
            body,
        )
    };
    let entries: Vec<Vec<u8>> = (0..300).map(|n| sealed_tip(&recipient, 200, n)).collect();
    let appended = append(&relay, &first.token, &entries[0]);
    assert_eq!(appended.status, 201, "{}", appended.text());
    assert_eq!(appended.json()["sequence"], 1);
    let again = append(&relay, &first.token, &entries[0]);
    assert_eq!(again.status, 200, "a retry is recognised: {}", again.text());
    assert_eq!(again.json()["sequence"], 1);
    for (index, entry) in entries.iter().enumerate().skip(1) {
        let token = if index % 2 == 0 {
            &first.token
        } else {
            &second.token
        };
        assert_eq!(append(&relay, token, entry).status, 201);
    }

    // Every member reads the same entries, in order, a page at a time.
    let read_all = |relay: &RelayProcess, token: &str| -> Vec<(u64, Vec<u8>)> {
        let mut after = 0;
        let mut read = Vec::new();
        loop {
            let page = relay.request(
                "GET",
                &format!("/api/v1/log?after={after}"),
                &[("Authorization", &as_member(token))],
                b"",
            );
            assert_eq!(page.status, 200, "{}", page.text());
            let page: fluister_protocol::bodies::LogPage =
                serde_json::from_slice(&page.body).unwrap();
            for entry in &page.entries {
                read.push((entry.sequence, entry.ciphertext.clone()));
            }
            after = read.last().map_or(0, |(sequence, _)| *sequence);
            if !page.more {
                return read;
            }
        }
    };
    let seen_by_first = read_all(&relay, &first.token);
    assert_eq!(seen_by_first, read_all(&relay, &second.token));
    let places: Vec<u64> = seen_by_first.iter().map(|(place, _)| *place).collect();
    assert_eq!(places, (1..=300).collect::<Vec<u64>>());
    let bodies: Vec<Vec<u8>> = seen_by_first.into_iter().map(|(_, body)| body).collect();
    assert_eq!(bodies, entries);

    // Refusals: no token, a body that is no age file, a bad place, the wrong media type.
    assert_eq!(
        relay.request("GET", "/api/v1/log", &[], b"").status,
        401,
        "the log is the team's alone"
    );
    assert_eq!(append(&relay, "not-a-member", &entries[1]).status, 401);
    let not_age = append(&relay, &first.token, b"plain words about a case");
    assert_eq!(not_age.status, 400, "{}", not_age.text());
    assert_eq!(not_age.json()["error"]["code"], "not_age_file");
    let bad_place = relay.request(
        "GET",
        "/api/v1/log?after=-1",
        &[("Authorization", &as_member(&first.token))],
        b"",
    );
    assert_eq!(bad_place.status, 400);
    assert_eq!(bad_place.json()["error"]["code"], "bad_log_place");
    let as_json = relay.request(
        "POST",
        "/api/v1/log",
        &[
            ("Authorization", &as_member(&first.token)),
            ("Content-Type", "application/json"),
        ],
        &entries[1],
    );
    assert_eq!(as_json.status, 415);

    // The operator removes the second member's lines and restarts: that token alone is refused.
    relay.relaunch_with(
        SettingsBuilder::for_tests()
            .without("coordinator", "token_sha256")
            .member("member-1", &first.token_sha256),
    );
    let revoked = relay.request(
        "GET",
        "/api/v1/log",
        &[("Authorization", &as_member(&second.token))],
        b"",
    );
    assert_eq!(revoked.status, 401);
    let revoked_tips = relay.request(
        "GET",
        "/api/v1/tips",
        &[("Authorization", &as_member(&second.token))],
        b"",
    );
    assert_eq!(revoked_tips.status, 401);
    assert_eq!(read_all(&relay, &first.token).len(), 300, "the rest go on");
    assert!(
        !relay.database_dump().contains("member-"),
        "the relay stores no member's label"
    );
}

#[test]
fn member_labels_and_duplicate_tokens_are_refused_with_the_fix() {
    let minted = fluister_testkit::process::mint_member_token("deputy_2");
    for (settings, expected) in [
        (
            SettingsBuilder::for_tests().member("", &minted.token_sha256),
            "coordinator.members[0].label",
        ),
        (
            SettingsBuilder::for_tests().member("Jan de Vries", &minted.token_sha256),
            "coordinator.members[0].label",
        ),
        (
            SettingsBuilder::for_tests()
                .member("a", &minted.token_sha256)
                .member("a", &fluister_testkit::token_hash("other")),
            "used twice",
        ),
        (
            SettingsBuilder::for_tests()
                .member("a", &minted.token_sha256)
                .member("b", &minted.token_sha256),
            "lists one token hash twice",
        ),
        (
            SettingsBuilder::for_tests().member("a", "abc"),
            "coordinator.members[0].token_sha256",
        ),
    ] {
        let config = TemporaryDirectory::new("member-config");
        let path = config.join("relay.toml");
        std::fs::write(&path, settings.to_toml()).unwrap();
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_relay-server"))
            .args([
                "--config",
                path.to_str().unwrap(),
                "--listen",
                "127.0.0.1:0",
            ])
            .output()
            .unwrap();
        assert!(!output.status.success());
        let error = String::from_utf8_lossy(&output.stderr);
        assert!(error.contains(expected), "{expected}: {error}");
    }
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_relay-server"))
        .args(["mint-token", "--label", "Jan de Vries"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("member-2"));
}

#[test]
fn many_tips_go_in_one_deletion_request_and_only_with_the_coordinator_token() {
    let relay = RelayProcess::start(SettingsBuilder::for_tests());
    let (_, recipient) = coordinator_keys();
    let ids: Vec<TipId> = (0..5)
        .map(|marker| relay.store_tip(&sealed_tip(&recipient, 500, marker)))
        .collect();
    let json = ("Content-Type", "application/json");
    let deletion = |ids: &[TipId]| {
        serde_json::to_vec(&serde_json::json!({
            "ids": ids.iter().map(ToString::to_string).collect::<Vec<_>>()
        }))
        .unwrap()
    };

    // Without the token, nothing goes.
    let refused = relay.request("POST", "/api/v1/tips/delete", &[json], &deletion(&ids[..3]));
    assert_eq!(refused.status, 401);
    assert_eq!(relay.tip_ids().len(), 5);

    // Three tips, one of them named twice, and one the relay never had: three deleted.
    let unknown = TipId::parse(&"ab".repeat(16)).unwrap();
    let named = [ids[0], ids[1], ids[2], ids[1], unknown];
    let deleted =
        relay.coordinator_request("POST", "/api/v1/tips/delete", &[json], &deletion(&named));
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    assert_eq!(deleted.json()["deleted"], 3);
    let mut left = relay.tip_ids();
    left.sort_by_key(ToString::to_string);
    let mut expected = ids[3..].to_vec();
    expected.sort_by_key(ToString::to_string);
    assert_eq!(left, expected);

    // Bad requests are refused whole, and delete nothing.
    let too_many = vec![ids[3]; fluister_protocol::bodies::MAX_TIPS_PER_DELETION + 1];
    let refused =
        relay.coordinator_request("POST", "/api/v1/tips/delete", &[json], &deletion(&too_many));
    assert_eq!(refused.status, 413, "{}", refused.text());
    let refused = relay.coordinator_request(
        "POST",
        "/api/v1/tips/delete",
        &[json],
        br#"{"ids":["not a tip"]}"#,
    );
    assert_eq!(refused.status, 400, "{}", refused.text());
    let refused = relay.coordinator_request(
        "POST",
        "/api/v1/tips/delete",
        &[("Content-Type", "text/plain")],
        &deletion(&ids[3..]),
    );
    assert_eq!(refused.status, 415, "{}", refused.text());
    assert_eq!(relay.tip_ids().len(), 2);
    relay.assert_serving();
}
