//! The real relay binary on a real PostgreSQL server (`storage.backend = "postgres"`, started
//! from Debian's `postgresql` package by the testkit): a tip submitted, retried, listed, fetched
//! and deleted as the inbox's pull does it, a mailbox conversation, and a restart that keeps
//! everything; and two relay processes on one database, as behind a load balancer, where a
//! proof of work pays at exactly one of them.

use fluister_envelope::age::{Identity, open, seal};
use fluister_envelope::pow;
use fluister_protocol::bodies::MessageList;
use fluister_protocol::{ErrorCode, MessageAuthor};
use fluister_testkit::client::messages_path;
use fluister_testkit::fixtures::{
    coordinator_keys, mailbox_keys, sealed_tip, submission_key, wrong_nonces,
};
use fluister_testkit::{PostgresServer, RelayProcess, SettingsBuilder};

/// Relay settings for tests, storing in `server`'s database; the URL comes from the
/// environment, as an operator's secret store hands it over.
fn on_postgres(server: &PostgresServer) -> SettingsBuilder {
    SettingsBuilder::for_tests()
        .storage("backend", "postgres")
        .environment("FLUISTER_POSTGRES_URL", server.url())
}

#[test]
fn tips_and_a_conversation_on_postgres_survive_a_restart() {
    let postgres = PostgresServer::start();
    let mut relay = RelayProcess::start(on_postgres(&postgres));
    assert_eq!(relay.request("GET", "/readyz", &[], b"").status, 200);
    let (identity, recipient) = coordinator_keys();

    // A tip, retried with the same key: stored once.
    let kept_body = sealed_tip(&recipient, 2048, 1);
    let kept_key = submission_key();
    let stored = relay.submit(&kept_body, &kept_key);
    assert_eq!(stored.status, 201, "{}", stored.text());
    let kept_id = stored.json()["id"].as_str().unwrap().to_owned();
    let retried = relay.submit(&kept_body, &kept_key);
    assert_eq!(retried.json()["id"], kept_id.as_str(), "{}", retried.text());
    // The same key with another body is refused.
    let conflicting = relay.submit(&sealed_tip(&recipient, 2048, 9), &kept_key);
    assert_eq!(
        conflicting.error_code(),
        ErrorCode::SubmissionKeyConflict,
        "{}",
        conflicting.text()
    );

    // A second tip, pulled as the inbox does: list, fetch, open, delete.
    let pulled_body = sealed_tip(&recipient, 1024, 2);
    let pulled_id = relay.store_tip(&pulled_body);
    let listed = relay.tip_ids();
    assert_eq!(listed.len(), 2);
    assert!(listed.contains(&pulled_id));
    let fetched = relay.coordinator_get(&format!("/api/v1/tips/{pulled_id}"));
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.body, pulled_body);
    let plaintext = open(std::slice::from_ref(&identity), &fetched.body).unwrap();
    assert!(plaintext.starts_with(b"{\"v\":1,\"text\":\"test tip 2\"}"));
    let deleted =
        relay.coordinator_request("DELETE", &format!("/api/v1/tips/{pulled_id}"), &[], b"");
    assert_eq!(deleted.status, 204);
    assert_eq!(
        relay
            .coordinator_get(&format!("/api/v1/tips/{pulled_id}"))
            .status,
        404
    );

    // A mailbox: opened by the reporter, a question from the coordinator, an answer.
    let keys = mailbox_keys();
    let mailbox_id = keys.mailbox_id.as_str().to_owned();
    assert_eq!(relay.open_mailbox(&keys).status, 201);
    let question = seal(&[keys.reply_identity.to_recipient()], b"Which street?").unwrap();
    let asked = relay.coordinator_post(&mailbox_id, &question, &submission_key());
    assert_eq!(asked.status, 201, "{}", asked.text());
    let coordinator = Identity::generate().unwrap();
    let answer = seal(&[coordinator.to_recipient()], b"Kerkstraat").unwrap();
    let answered = relay.reporter_post(&keys, &answer, &submission_key());
    assert_eq!(answered.status, 201, "{}", answered.text());

    // Nothing went to a SQLite file: the relay stored it all in PostgreSQL.
    assert!(!relay.database_path().exists());

    // Restarted: the kept tip, the conversation and the quota's totals are all still there.
    relay.kill();
    relay.launch();
    assert_eq!(relay.request("GET", "/readyz", &[], b"").status, 200);
    let after_restart = relay.tip_ids();
    assert_eq!(after_restart.len(), 1);
    assert_eq!(after_restart[0].to_string(), kept_id);
    let fetched = relay.coordinator_get(&format!("/api/v1/tips/{kept_id}"));
    assert_eq!(fetched.body, kept_body);
    let retried = relay.submit(&kept_body, &kept_key);
    assert_eq!(
        retried.json()["id"],
        kept_id.as_str(),
        "a retry after the restart is still recognised"
    );
    let conversation: MessageList = relay
        .coordinator_get(&messages_path(&mailbox_id))
        .expect_status(200)
        .parse();
    let authors: Vec<MessageAuthor> = conversation
        .messages
        .iter()
        .map(|message| message.author)
        .collect();
    assert_eq!(
        authors,
        [MessageAuthor::Coordinator, MessageAuthor::Reporter]
    );
    assert_eq!(
        open(
            std::slice::from_ref(&coordinator),
            &conversation.messages[1].ciphertext
        )
        .unwrap(),
        b"Kerkstraat"
    );
    let seen_by_reporter = relay.reporter_messages(&keys);
    assert_eq!(seen_by_reporter.messages.len(), 2);

    // Closed: the conversation is gone.
    assert_eq!(
        relay
            .close_mailbox(&fluister_testkit::fixtures::mailbox_id(&keys))
            .status,
        204
    );
    assert_eq!(
        relay
            .reporter_get(&mailbox_id, &keys.mailbox_token.to_base64url())
            .error_code(),
        ErrorCode::MailboxNotFound
    );
    relay.assert_serving();
}

#[test]
fn the_relay_refuses_to_start_on_postgres_without_a_url() {
    let directory = fluister_testkit::TemporaryDirectory::new("postgres-no-url");
    let config = directory.join("relay.toml");
    std::fs::write(
        &config,
        SettingsBuilder::for_tests()
            .storage("backend", "postgres")
            .data_dir(&directory.join("data"))
            .to_toml(),
    )
    .unwrap();
    let mut command = std::process::Command::new(fluister_testkit::process::relay_server_binary());
    for variable in fluister_testkit::process::RELAY_ENVIRONMENT {
        command.env_remove(variable);
    }
    let output = command.arg("--config").arg(&config).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("storage.postgres_url"), "{stderr}");
}

#[test]
fn readyz_follows_the_postgres_server_down_and_up_again() {
    let mut postgres = PostgresServer::start();
    let relay = RelayProcess::start(on_postgres(&postgres));
    let (_, recipient) = coordinator_keys();
    let stored = relay.store_tip(&sealed_tip(&recipient, 512, 1));
    assert_eq!(relay.request("GET", "/readyz", &[], b"").status, 200);

    postgres.stop();
    let not_ready = relay.request("GET", "/readyz", &[], b"");
    assert_eq!(not_ready.status, 503, "{}", not_ready.text());
    assert_eq!(not_ready.error_code(), ErrorCode::NotReady);
    // The process itself still answers.
    assert_eq!(relay.request("GET", "/healthz", &[], b"").status, 200);

    // The server is back: new connections replace the broken ones, nothing was lost.
    postgres.launch();
    let ready = relay.request("GET", "/readyz", &[], b"");
    assert_eq!(ready.status, 200, "{}", ready.text());
    assert_eq!(relay.tip_ids(), [stored]);
    relay.assert_serving();
}

/// What a relay's database holds, as one number (`psql`'s answer to `sql`).
fn count(postgres: &PostgresServer, sql: &str) -> u64 {
    postgres.psql(sql).trim().parse().unwrap()
}

#[test]
fn two_relays_on_one_database_accept_a_proof_once_whichever_relay_it_is_sent_to() {
    let postgres = PostgresServer::start();
    // Real proof of work, so that a wrong nonce is really wrong.
    let settings = || on_postgres(&postgres).proof_of_work("difficulty", 16);
    let relay_a = RelayProcess::start(settings());
    let relay_b = RelayProcess::start(settings());
    assert_ne!(relay_a.address(), relay_b.address());
    let (_, recipient) = coordinator_keys();

    // A challenge from A, solved, and the tip sent to B: B verifies A's challenge and stores it.
    let body = sealed_tip(&recipient, 2048, 1);
    let proof = relay_a.proof_for(&body);
    let key = submission_key();
    let stored = relay_b.submit_with(&body, &key, &proof.seed, proof.nonce);
    assert_eq!(stored.status, 201, "{}", stored.text());
    let tip_id = stored.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(count(&postgres, "SELECT COUNT(*) FROM spent_challenges"), 1);

    // The same proof again at A, under another submission key (to store the tip twice, or to
    // pay for something else): refused as used, though A never saw it before.
    let replayed = relay_a.submit_with(&body, &submission_key(), &proof.seed, proof.nonce);
    assert_eq!(
        replayed.error_code(),
        ErrorCode::ChallengeInvalid,
        "{}",
        replayed.text()
    );
    let replayed_at_b = relay_b.submit_with(&body, &submission_key(), &proof.seed, proof.nonce);
    assert_eq!(replayed_at_b.error_code(), ErrorCode::ChallengeInvalid);
    // The same request sent again (a reply lost on the way, the load balancer picking A this
    // time) is answered with the tip it stored, and stores nothing new.
    let retried = relay_a.submit_with(&body, &key, &proof.seed, proof.nonce);
    assert_eq!(retried.status, 200, "{}", retried.text());
    assert_eq!(retried.json()["id"], tip_id.as_str());

    // Either relay lists the one tip.
    for relay in [&relay_a, &relay_b] {
        let listed: Vec<String> = relay.tip_ids().iter().map(ToString::to_string).collect();
        assert_eq!(listed, std::slice::from_ref(&tip_id));
    }
    assert_eq!(count(&postgres, "SELECT COUNT(*) FROM tips"), 1);

    // One proof sent to both relays at the same moment, under two keys: exactly one stores.
    for round in 2..6 {
        let body = sealed_tip(&recipient, 1024, round);
        let proof = relay_b.proof_for(&body);
        let (body_a, body_b) = (body.clone(), body);
        let answers = std::thread::scope(|scope| {
            let at_a = scope.spawn(|| {
                relay_a.submit_with(&body_a, &submission_key(), &proof.seed, proof.nonce)
            });
            let at_b = scope.spawn(|| {
                relay_b.submit_with(&body_b, &submission_key(), &proof.seed, proof.nonce)
            });
            [at_a.join().unwrap(), at_b.join().unwrap()]
        });
        let statuses: Vec<u16> = answers.iter().map(|answer| answer.status).collect();
        assert_eq!(
            statuses.iter().filter(|status| **status == 201).count(),
            1,
            "round {round}: {statuses:?}"
        );
        let refused = answers.iter().find(|answer| answer.status != 201).unwrap();
        assert_eq!(refused.error_code(), ErrorCode::ChallengeInvalid);
    }
    assert_eq!(count(&postgres, "SELECT COUNT(*) FROM tips"), 5);

    // A wrong proof writes nothing: only verified work reaches the database.
    let spent_before = count(&postgres, "SELECT COUNT(*) FROM spent_challenges");
    let body = sealed_tip(&recipient, 1024, 9);
    let challenge = relay_a.challenge();
    let body_sha256 = pow::ciphertext_sha256(&body);
    let wrong = wrong_nonces(&challenge, &body_sha256).next().unwrap();
    let refused = relay_b.submit_with(&body, &submission_key(), &challenge.seed, wrong);
    assert_eq!(refused.error_code(), ErrorCode::ProofOfWorkInvalid);
    let free = relay_a.request("POST", "/api/v1/challenges", &[], b"");
    assert_eq!(free.status, 201);
    assert_eq!(
        count(&postgres, "SELECT COUNT(*) FROM spent_challenges"),
        spent_before
    );
    relay_a.assert_serving();
    relay_b.assert_serving();
}

#[test]
fn a_restarted_relay_accepts_proofs_for_challenges_issued_before_and_still_refuses_spent_ones() {
    let postgres = PostgresServer::start();
    let mut relay_a = RelayProcess::start(on_postgres(&postgres));
    let relay_b = RelayProcess::start(on_postgres(&postgres));
    let (_, recipient) = coordinator_keys();
    let spent_body = sealed_tip(&recipient, 512, 1);
    let spent = relay_a.proof_for(&spent_body);
    assert_eq!(
        relay_a
            .submit_with(&spent_body, &submission_key(), &spent.seed, spent.nonce)
            .status,
        201
    );
    let open_body = sealed_tip(&recipient, 512, 2);
    let open_challenge = relay_b.proof_for(&open_body);

    // A rolling restart: A goes down and comes back. The key and the record of spent
    // challenges are in the database, so what was issued before still pays, once.
    relay_a.kill();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    relay_a.launch();
    let replayed = relay_a.submit_with(&spent_body, &submission_key(), &spent.seed, spent.nonce);
    assert_eq!(replayed.error_code(), ErrorCode::ChallengeInvalid);
    let paid = relay_a.submit_with(
        &open_body,
        &submission_key(),
        &open_challenge.seed,
        open_challenge.nonce,
    );
    assert_eq!(paid.status, 201, "{}", paid.text());
    assert_eq!(relay_b.tip_ids().len(), 2);
}
