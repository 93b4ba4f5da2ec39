//! The anonymous mailbox against the real relay binary: a reporter opens a mailbox with keys
//! derived from a receipt code, the coordinator replies, the reporter answers; wrong codes,
//! guesses, replays and limits are each handled and leak nothing.

use fluister_envelope::age::{Identity, open, seal};
use fluister_envelope::pow;
use fluister_protocol::bodies::{MessageEntry, MessageList};
use fluister_protocol::{ErrorCode, MessageAuthor};
use fluister_relay::encoding::{encode_base64url, encode_hex, random_bytes};
use fluister_testkit::client::messages_path;
use fluister_testkit::fixtures::{mailbox_keys, registration_body, submission_key};
use fluister_testkit::{COORDINATOR_TOKEN, RelayProcess, Response, SettingsBuilder};

/// The messages of a message list; the response must be a 200.
fn messages(response: &Response) -> Vec<MessageEntry> {
    assert_eq!(response.status, 200, "{}", response.text());
    response.parse::<MessageList>().messages
}

#[test]
fn coordinator_asks_and_reporter_answers() {
    let relay = RelayProcess::start(SettingsBuilder::for_tests());
    let coordinator = Identity::generate().unwrap();
    let keys = mailbox_keys();
    let token = keys.mailbox_token.to_base64url();
    let mailbox_id = keys.mailbox_id.as_str();

    let body = registration_body(&keys);
    let created = relay.register(&body);
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(created.json()["id"], mailbox_id);
    // A retried registration is answered the same way and changes nothing.
    assert_eq!(relay.register(&body).status, 200);
    assert!(messages(&relay.reporter_get(mailbox_id, &token)).is_empty());

    let question = seal(
        &[keys.reply_identity.to_recipient()],
        b"Which address is it?",
    )
    .unwrap();
    let posted = relay.coordinator_post(mailbox_id, &question, &submission_key());
    assert_eq!(posted.status, 201, "{}", posted.text());

    let seen = messages(&relay.reporter_get(mailbox_id, &token));
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].author, MessageAuthor::Coordinator);
    let opened = open(
        std::slice::from_ref(&keys.reply_identity),
        &seen[0].ciphertext,
    )
    .unwrap();
    assert_eq!(opened, b"Which address is it?");

    // The reporter answers, sealed to the coordinator and to their own reply key.
    let answer = seal(
        &[
            coordinator.to_recipient(),
            keys.reply_identity.to_recipient(),
        ],
        b"Kerkstraat 1, she is still there",
    )
    .unwrap();
    let answered = relay.reporter_post(&keys, &answer, &submission_key());
    assert_eq!(answered.status, 201, "{}", answered.text());

    let conversation = messages(&relay.coordinator_get(&messages_path(mailbox_id)));
    let authors: Vec<MessageAuthor> = conversation.iter().map(|message| message.author).collect();
    assert_eq!(
        authors,
        [MessageAuthor::Coordinator, MessageAuthor::Reporter]
    );
    assert_eq!(
        open(
            std::slice::from_ref(&coordinator),
            &conversation[1].ciphertext
        )
        .unwrap(),
        b"Kerkstraat 1, she is still there"
    );

    // The coordinator closes the mailbox; afterwards the code finds nothing.
    let deleted = relay.request(
        "DELETE",
        &format!("/api/v1/mailboxes/{mailbox_id}"),
        &[("Authorization", &format!("Bearer {COORDINATOR_TOKEN}"))],
        b"",
    );
    assert_eq!(deleted.status, 204);
    assert_eq!(
        relay.reporter_get(mailbox_id, &token).error_code(),
        ErrorCode::MailboxNotFound
    );
    // The coordinator, too, sees that it is gone rather than empty.
    assert_eq!(
        relay
            .coordinator_get(&messages_path(mailbox_id))
            .error_code(),
        ErrorCode::MailboxNotFound
    );
    relay.assert_serving();
}

#[test]
fn wrong_token_missing_mailbox_and_malformed_id_get_the_same_answer() {
    let relay = RelayProcess::start(SettingsBuilder::for_tests());
    let keys = mailbox_keys();
    assert_eq!(relay.register(&registration_body(&keys)).status, 201);
    let wrong_token = encode_base64url(&random_bytes::<32>());

    let answers = [
        relay.reporter_get(keys.mailbox_id.as_str(), &wrong_token),
        relay.reporter_get(&encode_hex(&random_bytes::<32>()), &wrong_token),
        relay.reporter_get("not-a-mailbox", &wrong_token),
        relay.reporter_get(keys.mailbox_id.as_str(), "not base64!"),
    ];
    for answer in &answers {
        assert_eq!(answer.status, 404);
        assert_eq!(answer.body, answers[0].body, "the answers differ");
        assert_eq!(answer.error_code(), ErrorCode::MailboxNotFound);
    }
    // A coordinator token does not open a mailbox for a reporter, and a wrong one is refused.
    let forged = relay.request(
        "GET",
        &messages_path(keys.mailbox_id.as_str()),
        &[("Authorization", "Bearer not-the-token")],
        b"",
    );
    assert_eq!(forged.status, 401);
    relay.assert_serving();
}

#[test]
fn guesses_spend_no_budget_and_each_mailbox_has_its_own() {
    let relay = RelayProcess::start(
        SettingsBuilder::for_tests()
            .limits("mailbox_requests_per_minute", 0.01)
            .limits("mailbox_request_burst", 3),
    );
    let keys = mailbox_keys();
    let other = mailbox_keys();
    assert_eq!(relay.register(&registration_body(&keys)).status, 201);
    assert_eq!(relay.register(&registration_body(&other)).status, 201);
    // Many more guesses than any budget holds: every one gets the same 404, none a 429. Guesses
    // at a real mailbox's id with a wrong token included.
    for guess in 0..40 {
        let mailbox_id = if guess % 2 == 0 {
            encode_hex(&random_bytes::<32>())
        } else {
            keys.mailbox_id.as_str().to_owned()
        };
        let answer = relay.reporter_get(&mailbox_id, &encode_base64url(&random_bytes::<32>()));
        assert_eq!(
            (answer.status, answer.error_code()),
            (404, ErrorCode::MailboxNotFound),
            "guess {guess}"
        );
    }
    // The right code still reads its mailbox, up to that mailbox's own budget.
    let token = keys.mailbox_token.to_base64url();
    for _ in 0..3 {
        assert_eq!(
            relay.reporter_get(keys.mailbox_id.as_str(), &token).status,
            200
        );
    }
    let spent = relay.reporter_get(keys.mailbox_id.as_str(), &token);
    assert_eq!(spent.status, 429);
    assert_eq!(spent.error_code(), ErrorCode::RateLimited);
    assert!(spent.header("retry-after").is_some());
    // Spending one mailbox's budget leaves every other mailbox's alone.
    assert_eq!(
        relay
            .reporter_get(
                other.mailbox_id.as_str(),
                &other.mailbox_token.to_base64url()
            )
            .status,
        200
    );
    // The coordinator is not affected.
    assert_eq!(
        relay
            .coordinator_get(&messages_path(keys.mailbox_id.as_str()))
            .status,
        200
    );
}

#[test]
fn replayed_and_retried_messages_are_stored_once() {
    let relay = RelayProcess::start(SettingsBuilder::for_tests());
    let keys = mailbox_keys();
    let mailbox_id = keys.mailbox_id.as_str();
    assert_eq!(relay.register(&registration_body(&keys)).status, 201);
    let reply = seal(&[keys.reply_identity.to_recipient()], b"a question").unwrap();
    let key = submission_key();
    let first = relay.coordinator_post(mailbox_id, &reply, &key);
    assert_eq!(first.status, 201);
    let id = first.json()["id"].clone();

    // A retry with the same key, and a replay of the same ciphertext under a new key.
    let retried = relay.coordinator_post(mailbox_id, &reply, &key);
    assert_eq!(
        (retried.status, retried.json()["id"].clone()),
        (200, id.clone())
    );
    let replayed = relay.coordinator_post(mailbox_id, &reply, &submission_key());
    assert_eq!((replayed.status, replayed.json()["id"].clone()), (200, id));

    // The same key with another body is a conflict.
    let other = seal(&[keys.reply_identity.to_recipient()], b"another").unwrap();
    let conflict = relay.coordinator_post(mailbox_id, &other, &key);
    assert_eq!(conflict.error_code(), ErrorCode::SubmissionKeyConflict);

    // A reporter's replayed proof of work buys nothing: its challenge is used up.
    let answer = seal(&[keys.reply_identity.to_recipient()], b"an answer").unwrap();
    let challenge = relay.challenge();
    let nonce = pow::solve(&challenge, &pow::ciphertext_sha256(&answer))
        .unwrap()
        .nonces[0]
        .to_string();
    let token = keys.mailbox_token.to_base64url();
    let post_with_challenge = |body: &[u8]| {
        relay.request(
            "POST",
            &messages_path(mailbox_id),
            &[
                ("Fluister-Mailbox-Token", token.as_str()),
                ("Content-Type", "application/octet-stream"),
                (
                    "Fluister-Submission-Key",
                    &encode_base64url(&submission_key()),
                ),
                ("Fluister-Challenge", &encode_base64url(&challenge.seed)),
                ("Fluister-Nonce", &nonce),
            ],
            body,
        )
    };
    assert_eq!(post_with_challenge(&answer).status, 201);
    let another_answer = seal(&[keys.reply_identity.to_recipient()], b"more").unwrap();
    assert_eq!(
        post_with_challenge(&another_answer).error_code(),
        ErrorCode::ChallengeInvalid
    );
    assert_eq!(
        messages(&relay.coordinator_get(&messages_path(mailbox_id))).len(),
        2
    );
}

#[test]
fn bad_registrations_and_messages_are_refused_and_store_nothing() {
    let relay = RelayProcess::start(
        SettingsBuilder::for_tests()
            .limits("max_message_bytes", 2048)
            .limits("max_messages_per_mailbox", 2),
    );
    let keys = mailbox_keys();
    let body = registration_body(&keys);

    let unpaid = relay.request(
        "POST",
        "/api/v1/mailboxes",
        &[("Content-Type", "application/json")],
        &body,
    );
    assert_eq!(unpaid.error_code(), ErrorCode::ProofOfWorkMissing);
    for malformed in [
        &b"{}"[..],
        b"not json",
        br#"{"id":"abc","token_sha256":"def"}"#,
        br#"{"id":"00","token_sha256":"00","extra":1}"#,
    ] {
        assert_eq!(
            relay.register(malformed).error_code(),
            ErrorCode::BadRegistration
        );
    }
    let wrong_type = relay.request(
        "POST",
        "/api/v1/mailboxes",
        &[("Content-Type", "text/plain")],
        &body,
    );
    assert_eq!(wrong_type.status, 415);
    // Nothing was opened: the mailbox is unknown.
    let token = keys.mailbox_token.to_base64url();
    assert_eq!(
        relay.reporter_get(keys.mailbox_id.as_str(), &token).status,
        404
    );

    assert_eq!(relay.register(&body).status, 201);
    // The same id with another token hash is refused.
    let mut other_keys_body = String::from_utf8(body.clone()).unwrap();
    other_keys_body.replace_range(
        other_keys_body.len() - 10..other_keys_body.len() - 2,
        "00000000",
    );
    assert_eq!(
        relay.register(other_keys_body.as_bytes()).error_code(),
        ErrorCode::MailboxConflict
    );

    let mailbox_id = keys.mailbox_id.as_str();
    let recipient = keys.reply_identity.to_recipient();
    let posts = [
        (b"plain text".to_vec(), ErrorCode::NotAgeFile),
        (
            seal(&[recipient], &[b'x'; 4000]).unwrap(),
            ErrorCode::BodyTooLarge,
        ),
    ];
    for (body, code) in posts {
        let response = relay.coordinator_post(mailbox_id, &body, &submission_key());
        assert_eq!(response.error_code(), code);
    }
    let unknown = relay.coordinator_post(
        &encode_hex(&random_bytes::<32>()),
        &seal(&[recipient], b"hello").unwrap(),
        &submission_key(),
    );
    assert_eq!(unknown.error_code(), ErrorCode::MailboxNotFound);

    for text in [&b"one"[..], b"two"] {
        let message = seal(&[recipient], text).unwrap();
        assert_eq!(
            relay
                .coordinator_post(mailbox_id, &message, &submission_key())
                .status,
            201
        );
    }
    let third = seal(&[recipient], b"three").unwrap();
    assert_eq!(
        relay
            .coordinator_post(mailbox_id, &third, &submission_key())
            .error_code(),
        ErrorCode::MailboxFull
    );
    assert_eq!(messages(&relay.reporter_get(mailbox_id, &token)).len(), 2);
    relay.assert_serving();
}

#[test]
fn the_database_holds_no_link_between_tip_and_mailbox() {
    let relay = RelayProcess::start(SettingsBuilder::for_tests());
    let (_, recipient) = fluister_testkit::fixtures::coordinator_keys();
    let keys = mailbox_keys();
    let tip = fluister_testkit::fixtures::sealed_tip(&recipient, 300, 1);
    assert_eq!(relay.submit(&tip, &submission_key()).status, 201);
    assert_eq!(relay.register(&registration_body(&keys)).status, 201);

    let connection = rusqlite::Connection::open_with_flags(
        relay.database_path(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let columns = |table: &str| -> Vec<String> {
        let mut statement = connection
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
            .unwrap();
        statement
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    // A mailbox knows its id, the hash of its token, the day it expires and whether the
    // coordinators were warned of that day: nothing of a tip.
    assert_eq!(
        columns("mailboxes"),
        ["id", "token_sha256", "expires_day", "expiry_warned"]
    );
    let expires_day: i64 = connection
        .query_row("SELECT expires_day FROM mailboxes", [], |row| row.get(0))
        .unwrap();
    assert_eq!(expires_day % 86_400, 0, "expiry finer than a day");
    let tip_columns = columns("tips");
    assert!(
        tip_columns.iter().all(|column| !column.contains("mailbox")),
        "{tip_columns:?}"
    );
}
