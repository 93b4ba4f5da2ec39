//! The anonymous mailbox from the coordinator's side, against the real `relay-server` and
//! `fluister-inbox` binaries, with the reporter played by this test the way the widget does it:
//! a tip with reply information from a receipt code → the mailbox opened in a request of its
//! own → `pull` → `reply` → the reporter reads and answers → `pull` → `show`. And the refusals:
//! a tip without a mailbox, an empty message, a bad token, a closed mailbox, a relay that is
//! down.

mod support;

use fluister_envelope::age::{Identity, Recipient, open, seal};
use fluister_envelope::message::MailboxMessage;
use fluister_envelope::receipt::{MailboxKeys, ReceiptCode};
use fluister_envelope::tip::{ReplyInfo, TipDocument};
use fluister_protocol::{MessageAuthor, TipId};
use fluister_testkit::RelayProcess;
use fluister_testkit::fixtures::sealed_document;
use fluister_testkit::fixtures::{mailbox_id, submission_key};
use support::{Inbox, start_relay};

const QUESTION: &str = "Which address?";
const ANSWER: &str = "Rolderweg 12 in Assen. She is still there.";

fn mailbox_keys() -> MailboxKeys {
    ReceiptCode::generate().unwrap().derive_keys().unwrap()
}

/// A tip whose reporter kept a receipt code, as the widget seals it.
fn tip_with_reply(keys: &MailboxKeys) -> TipDocument {
    let mut document = TipDocument::new("Er slapen mannen in de schuur achter de boerderij.");
    document.reply = Some(ReplyInfo::from_mailbox_keys(keys, false));
    document
}

/// The reporter's answer, sealed as the widget seals it: to the coordinator and to the
/// reporter's own reply key.
fn reporter_answer(coordinator: &Recipient, keys: &MailboxKeys, text: &str) -> Vec<u8> {
    fluister_envelope::message::seal_answer_message(
        text,
        keys,
        &[*coordinator, keys.reply_identity.to_recipient()],
    )
    .unwrap()
}

/// The names of the stored message files of every conversation, sorted.
fn stored_message_files(inbox: &Inbox) -> Vec<String> {
    let mut names = Vec::new();
    let Ok(folders) = std::fs::read_dir(inbox.home.join("conversations")) else {
        return names;
    };
    for folder in folders {
        for entry in std::fs::read_dir(folder.unwrap().path()).unwrap() {
            names.push(entry.unwrap().file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    names
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Asserts the relay's database links the tip and the mailbox nowhere: the tips table has no
/// mailbox column, no mailbox row or message names the tip, no tip row names the mailbox, and
/// neither message's text is there in the clear.
fn assert_database_holds_no_link(relay: &RelayProcess, tip_id: &TipId, mailbox_id: &str) {
    let tip_id = tip_id.to_string();
    let tip_id = tip_id.as_str();
    let dump = relay.database_dump().to_lowercase();
    let tips_schema = dump
        .lines()
        .skip_while(|line| !line.starts_with("create table tips"))
        .take_while(|line| !line.ends_with(");"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!tips_schema.is_empty(), "no tips table in:\n{dump}");
    assert!(!tips_schema.contains("mailbox"), "{tips_schema}");
    assert!(dump.contains(mailbox_id), "the mailbox is in the database");
    for line in dump.lines() {
        let is_mailbox_row = line.starts_with("insert into mailboxes")
            || line.starts_with("insert into mailbox_messages")
            || line.starts_with("insert into message_submissions");
        let is_tip_row =
            line.starts_with("insert into tips") || line.starts_with("insert into submissions");
        if is_mailbox_row {
            assert!(
                !line.contains(tip_id),
                "a mailbox row names the tip: {line}"
            );
        }
        if is_tip_row {
            assert!(
                !line.contains(mailbox_id),
                "a tip row names the mailbox: {line}"
            );
        }
    }
    for text in [QUESTION, ANSWER] {
        assert!(!dump.contains(&text.to_lowercase()), "plaintext {text:?}");
        assert!(
            !dump.contains(&hex(text.as_bytes())),
            "hex plaintext {text:?}"
        );
    }
}

#[test]
fn coordinator_asks_and_reporter_answers_threaded_under_the_tip() {
    let inbox = Inbox::new("conversation");
    let coordinator_recipient = inbox.keygen();
    // The offline backup key is in the coordinator's own set: replies must open with it too.
    // The relay also lists a key the coordinator never chose (an operator's): replies must not
    // be sealed to it, and pull says so.
    let backup = Identity::generate().unwrap();
    inbox.run_ok(&["keys", "add", &backup.to_recipient().to_string()]);
    let operators = Identity::generate().unwrap();
    let relay = start_relay(&[
        coordinator_recipient.clone(),
        backup.to_recipient().to_string(),
        operators.to_recipient().to_string(),
    ]);
    inbox.connect(&relay);
    let coordinator: Recipient = coordinator_recipient.parse().unwrap();

    let keys = mailbox_keys();
    let mailbox_id = keys.mailbox_id.as_str().to_owned();
    let tip_id = relay.store_tip(&sealed_document(&[coordinator], &tip_with_reply(&keys)));
    assert_eq!(relay.open_mailbox(&keys).status, 201);
    // Checked while the tip still waits on the relay, and again at the end.
    assert_database_holds_no_link(&relay, &tip_id, &mailbox_id);

    let first_pull = inbox.run_ok(&["pull", "--lang", "en"]);
    assert!(first_pull.contains("1 new tip: number 1."), "{first_pull}");
    assert!(
        first_pull.contains(&operators.to_recipient().to_string())
            && first_pull.contains("WARNING"),
        "pull points out a key only the relay lists: {first_pull}"
    );
    assert!(
        first_pull.contains("No new answers from reporters."),
        "{first_pull}"
    );
    let shown_before = inbox.run_ok(&["show", "1", "--lang", "en"]);
    assert!(shown_before.contains("No messages yet."), "{shown_before}");

    let sent = inbox.run_ok(&["reply", "1", QUESTION, "--lang", "en"]);
    assert!(sent.contains("Sent your message"), "{sent}");

    // The reporter checks with the receipt code and reads the question with the reply key.
    let on_relay = relay.reporter_messages(&keys).messages;
    assert_eq!(on_relay.len(), 1);
    assert_eq!(on_relay[0].author, MessageAuthor::Coordinator);
    let opened = open(
        std::slice::from_ref(&keys.reply_identity),
        &on_relay[0].ciphertext,
    )
    .unwrap();
    assert_eq!(MailboxMessage::from_bytes(&opened).unwrap().text, QUESTION);
    let for_backup = open(std::slice::from_ref(&backup), &on_relay[0].ciphertext).unwrap();
    assert_eq!(
        MailboxMessage::from_bytes(&for_backup).unwrap().text,
        QUESTION
    );
    assert!(
        open(std::slice::from_ref(&operators), &on_relay[0].ciphertext).is_err(),
        "a key only the relay lists cannot read the reply"
    );

    assert_eq!(
        relay
            .reporter_post(
                &keys,
                &reporter_answer(&coordinator, &keys, ANSWER),
                &submission_key()
            )
            .status,
        201
    );
    let second_pull = inbox.run_ok(&["pull", "--lang", "en"]);
    assert!(
        second_pull.contains("1 new answer from reporters: tip 1 (1)."),
        "{second_pull}"
    );
    assert_eq!(stored_message_files(&inbox).len(), 2);

    let shown = inbox.run_ok(&["show", "1", "--lang", "en"]);
    assert!(
        !shown.contains("not confirmed"),
        "the reporter's own answer: {shown}"
    );
    let question_at = shown.find(QUESTION).expect("question shown");
    let answer_at = shown.find(ANSWER).expect("answer shown");
    assert!(question_at < answer_at, "{shown}");
    let you_at = shown.find("] You:").expect("the coordinator's label");
    let reporter_at = shown.find("] Reporter:").expect("the reporter's label");
    assert!(you_at < question_at && question_at < reporter_at && reporter_at < answer_at);
    let shown_in_dutch = inbox.run_ok(&["show", "1"]);
    assert!(
        shown_in_dutch.contains("Gesprek met de melder"),
        "{shown_in_dutch}"
    );
    assert!(shown_in_dutch.contains("] U:"), "{shown_in_dutch}");
    assert!(shown_in_dutch.contains("] Melder:"), "{shown_in_dutch}");

    // Pulling again stores nothing twice, and leaves the conversation on the relay.
    let files_before = stored_message_files(&inbox);
    let third_pull = inbox.run_ok(&["pull", "--lang", "en"]);
    assert!(
        third_pull.contains("No new answers from reporters."),
        "{third_pull}"
    );
    assert_eq!(stored_message_files(&inbox), files_before);
    assert_eq!(relay.reporter_messages(&keys).messages.len(), 2);

    // A status for the reporter, without a text: the reporter's key opens it, the status is the
    // envelope's identifier (the widget words it), and `show` says what the reporter was told.
    let told = inbox.run_ok(&["reply", "1", "--status", "in-progress", "--lang", "en"]);
    assert!(
        told.contains("now sees the status \"in progress\""),
        "{told}"
    );
    let on_relay = relay.reporter_messages(&keys).messages;
    assert_eq!(on_relay.len(), 3);
    let opened = MailboxMessage::from_bytes(
        &open(
            std::slice::from_ref(&keys.reply_identity),
            &on_relay[2].ciphertext,
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        opened.status,
        Some(fluister_envelope::message::CaseStatus::InProgress)
    );
    assert_eq!(opened.text, "");
    let shown = inbox.run_ok(&["show", "1"]);
    assert!(
        shown.contains("[Status voor de melder: in behandeling]"),
        "{shown}"
    );
    let refused = inbox.run_failing(&["reply", "1", "--status", "on-fire"]);
    assert!(refused.contains("on-fire"), "{refused}");

    // Anyone who can put a message in the mailbox (the relay knows the coordinators' public
    // keys) can seal one to them, but not authenticate it as the reporter's code does: it is
    // shown with a warning. A status in it does not count either.
    let mut forged = MailboxMessage::new("Het adres is veranderd: Kerkstraat 1.");
    forged.status = Some(fluister_envelope::message::CaseStatus::Closed);
    let forged = seal(&[coordinator], &forged.to_padded_bytes().unwrap()).unwrap();
    assert_eq!(
        relay
            .reporter_post(&keys, &forged, &submission_key())
            .status,
        201
    );
    inbox.run_ok(&["pull"]);
    let shown = inbox.run_ok(&["show", "1"]);
    let warning_at = shown
        .find("LET OP: niet bevestigd dat dit van de melder komt")
        .unwrap_or_else(|| panic!("{shown}"));
    let forged_at = shown.find("Kerkstraat 1").unwrap();
    assert!(warning_at < forged_at, "{shown}");
    assert_eq!(
        shown.matches("niet bevestigd").count(),
        1,
        "only the forged one: {shown}"
    );
    assert!(
        !shown.contains("Status voor de melder: afgesloten"),
        "{shown}"
    );

    assert_database_holds_no_link(&relay, &tip_id, &mailbox_id);
}

#[test]
fn reply_refuses_clearly_and_sends_nothing() {
    let inbox = Inbox::new("reply-refusals");
    let coordinator_recipient = inbox.keygen();
    let mut relay = start_relay(std::slice::from_ref(&coordinator_recipient));
    inbox.connect(&relay);
    let coordinator: Recipient = coordinator_recipient.parse().unwrap();

    // Tip 1 has no mailbox; tip 2 has one.
    relay.store_tip(&sealed_document(
        &[coordinator],
        &TipDocument::new("Zonder meldcode."),
    ));
    inbox.run_ok(&["pull"]);
    let keys = mailbox_keys();
    relay.store_tip(&sealed_document(&[coordinator], &tip_with_reply(&keys)));
    assert_eq!(relay.open_mailbox(&keys).status, 201);
    inbox.run_ok(&["pull"]);

    let no_mailbox = inbox.run_failing(&["reply", "1", QUESTION, "--lang", "en"]);
    assert!(
        no_mailbox
            .contains("the reporter of tip 1 did not get a mailbox; you cannot answer this tip"),
        "{no_mailbox}"
    );
    let empty = inbox.run_failing(&["reply", "2", "   ", "--lang", "en"]);
    assert!(empty.contains("the message is empty"), "{empty}");

    // From a file and from the editor, both work.
    let question_file = inbox.home.with_file_name("question.txt");
    std::fs::write(&question_file, format!("{QUESTION}\n")).unwrap();
    inbox.run_ok(&["reply", "2", "--file", question_file.to_str().unwrap()]);
    let editor_script = inbox.home.with_file_name("editor.sh");
    std::fs::write(
        &editor_script,
        "#!/bin/sh\nprintf 'Is she safe now?\\n' > \"$1\"\n",
    )
    .unwrap();
    std::fs::set_permissions(
        &editor_script,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    let edited = inbox
        .command()
        .args(["reply", "2", "--editor"])
        .env("EDITOR", &editor_script)
        .env_remove("VISUAL")
        .output()
        .unwrap();
    assert!(
        edited.status.success(),
        "{}",
        String::from_utf8_lossy(&edited.stderr)
    );
    let on_relay = relay.reporter_messages(&keys).messages;
    let texts: Vec<String> = on_relay
        .iter()
        .map(|message| {
            let opened = open(
                std::slice::from_ref(&keys.reply_identity),
                &message.ciphertext,
            )
            .unwrap();
            MailboxMessage::from_bytes(&opened).unwrap().text
        })
        .collect();
    assert_eq!(texts, [QUESTION, "Is she safe now?"]);

    let token_file = inbox.home.with_file_name("token.txt");
    inbox.connect_with_token(&relay.url(), "fluister-coordinator-not-the-right-one");
    let bad_token = inbox.run_failing(&["reply", "2", QUESTION, "--lang", "en"]);
    assert!(bad_token.contains("refused your token"), "{bad_token}");
    inbox.connect(&relay);
    std::fs::remove_file(token_file).unwrap();

    assert_eq!(relay.close_mailbox(&mailbox_id(&keys)).status, 204);
    let closed = inbox.run_failing(&["reply", "2", QUESTION, "--lang", "en"]);
    assert!(
        closed.contains("the relay no longer has the mailbox of tip 2"),
        "{closed}"
    );
    let pulled = inbox.run_ok(&["pull", "--lang", "en"]);
    assert!(
        pulled.contains("no longer has the mailbox of tip(s) 2"),
        "{pulled}"
    );
    // What was stored before the mailbox closed stays readable.
    let shown = inbox.run_ok(&["show", "2", "--lang", "en"]);
    assert!(shown.contains("Is she safe now?"), "{shown}");

    relay.kill();
    let down = inbox.run_failing(&["reply", "2", QUESTION, "--lang", "en"]);
    assert!(down.contains("cannot reach the relay"), "{down}");
    assert_eq!(stored_message_files(&inbox).len(), 2);
}

/// `pull` killed (SIGKILL) right after storing an answer, at several points, then run again:
/// every answer ends up stored exactly once, in the relay's order, with no half-written file.
#[cfg(unix)]
#[test]
fn pull_killed_while_storing_answers_loses_and_duplicates_nothing() {
    use std::os::unix::process::ExitStatusExt as _;

    let inbox = Inbox::new("conversation-kill");
    let coordinator_recipient = inbox.keygen();
    let relay = start_relay(std::slice::from_ref(&coordinator_recipient));
    inbox.connect(&relay);
    let coordinator: Recipient = coordinator_recipient.parse().unwrap();
    let keys = mailbox_keys();
    relay.store_tip(&sealed_document(&[coordinator], &tip_with_reply(&keys)));
    assert_eq!(relay.open_mailbox(&keys).status, 201);
    // The tip comes in first, so the kills below hit the answers.
    inbox.run_ok(&["pull"]);

    let answers: Vec<String> = (1..=6).map(|n| format!("Answer number {n}.")).collect();
    for answer in &answers {
        assert_eq!(
            relay
                .reporter_post(
                    &keys,
                    &reporter_answer(&coordinator, &keys, answer),
                    &submission_key()
                )
                .status,
            201
        );
    }
    for kill_at in ["message:2", "message:1", "message:3"] {
        let output = inbox
            .command()
            .env("FLUISTER_INBOX_TEST_KILL_AT", kill_at)
            .arg("pull")
            .output()
            .unwrap();
        assert_eq!(
            output.status.signal(),
            Some(9),
            "pull with {kill_at} was not killed: {output:?}"
        );
        let stored = stored_message_files(&inbox);
        assert!(
            stored.iter().all(|name| !name.ends_with(".part")),
            "a half-written message is visible after {kill_at}: {stored:?}"
        );
        // `<position>-<hour>-<author>-<message id>.age`: one file per message id.
        let ids: std::collections::BTreeSet<&str> = stored
            .iter()
            .filter_map(|name| name.rsplit('-').next())
            .collect();
        assert_eq!(
            ids.len(),
            stored.len(),
            "an answer stored twice after {kill_at}"
        );
    }
    // Killed after the 2nd new answer, then the 1st, then the 3rd: 6 of 6 stored, or fewer.
    let finished = inbox.run_ok(&["pull", "--lang", "en"]);
    assert!(
        finished.contains("new answer") || finished.contains("No new answers"),
        "{finished}"
    );
    let stored = stored_message_files(&inbox);
    assert_eq!(stored.len(), answers.len(), "{stored:?}");
    let shown = inbox.run_ok(&["show", "1", "--lang", "en"]);
    let positions: Vec<usize> = answers
        .iter()
        .map(|answer| shown.find(answer.as_str()).expect("every answer shown"))
        .collect();
    assert!(
        positions.windows(2).all(|pair| pair[0] < pair[1]),
        "{shown}"
    );
    for answer in &answers {
        assert_eq!(shown.matches(answer.as_str()).count(), 1, "{shown}");
    }
}
