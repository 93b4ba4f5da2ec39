//! Hybrid post-quantum keys (`mlkem768x25519`) from the coordinator's side, against the real
//! `relay-server` and `fluister-inbox` binaries and the reference `age` 1.1.1: `keygen` makes a
//! hybrid key by default; a tip sealed to it as the widget seals it goes through the relay and
//! opens in the inbox; age 1.1.1, which does not know hybrid keys, can neither seal to it nor
//! open the tip; the mailbox conversation (reply, answer, status) is hybrid from end to end; a
//! tip whose reporter has an X25519 reply key (as widgets before hybrid reply keys sealed it)
//! can still be answered; and X25519 keys (`keygen --x25519`) keep working.

mod support;

use std::process::Command;

use fluister_envelope::age::{Header, Identity, Recipient, open};
use fluister_envelope::message::{MailboxMessage, seal_answer_message};
use fluister_envelope::receipt::{MailboxKeys, ReceiptCode};
use fluister_envelope::tip::{ReplyInfo, TipDocument};
use fluister_testkit::fixtures::{sealed_document, submission_key};
use support::{Inbox, start_relay};

const DESCRIPTION: &str = "In de loods aan de Vaartweg wonen twaalf mannen, kenmerk loods-4471.";
const QUESTION: &str = "Werken de mannen er ook 's nachts? vraag-6620";
const ANSWER: &str = "Ja, in ploegen, ook in het weekend. antwoord-3307";

/// The stanza types of a sealed file's header.
fn stanza_types(sealed: &[u8]) -> Vec<String> {
    let (header, _) = Header::parse(sealed).unwrap();
    header.stanza_types().map(str::to_owned).collect()
}

/// A tip with the reporter's reply information, sealed to `coordinators` as the widget's worker
/// seals it: the reply key of the coordinators' kind when `hybrid_reply`.
fn widget_tip(coordinators: &[Recipient], keys: &MailboxKeys, hybrid_reply: bool) -> Vec<u8> {
    let mut document = TipDocument::new(DESCRIPTION);
    document.reply = Some(ReplyInfo::from_mailbox_keys(keys, hybrid_reply));
    sealed_document(coordinators, &document)
}

/// The reference `age` (1.1.1) with `arguments`, run in an empty folder (it looks for plugins
/// by name); its exit status and error output.
fn reference_age(folder: &std::path::Path, arguments: &[&str], input: &[u8]) -> (bool, String) {
    use std::io::Write as _;
    let mut child = Command::new("age")
        .args(arguments)
        .current_dir(folder)
        .env("PATH", "/usr/bin:/bin")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the reference age (Debian package `age`) is installed");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn keygen_makes_a_hybrid_key_and_the_tip_and_its_conversation_are_hybrid_throughout() {
    let inbox = Inbox::new("hybrid");
    let own = inbox.keygen_hybrid();
    assert!(own.starts_with("age1pq1"), "{own}");
    assert_eq!(own.len(), 1959);
    let own: Recipient = own.parse().unwrap();
    assert!(own.is_post_quantum());

    // The backup key must be hybrid too: an X25519 key cannot join the set.
    let x25519_backup = Identity::generate().unwrap();
    let refused = inbox.run_failing(&[
        "keys",
        "add",
        &x25519_backup.to_recipient().to_string(),
        "--lang",
        "en",
    ]);
    assert!(
        refused.contains("cannot be sealed to both kinds at once"),
        "{refused}"
    );
    let backup = Identity::generate_hybrid().unwrap();
    inbox.run_ok(&["keys", "add", &backup.to_recipient().to_string()]);

    let relay = start_relay(&[own.to_string(), backup.to_recipient().to_string()]);
    inbox.connect(&relay);
    let status = inbox.run_ok(&["status", "--lang", "en"]);
    assert!(!status.contains("WARNING"), "{status}");

    // The tip, as the widget seals it to the relay's hybrid recipients, through the relay.
    let keys: MailboxKeys = ReceiptCode::generate().unwrap().derive_keys().unwrap();
    let tip = widget_tip(&[own, backup.to_recipient()], &keys, true);
    assert_eq!(stanza_types(&tip), ["mlkem768x25519", "mlkem768x25519"]);
    relay.store_tip(&tip);
    assert_eq!(relay.open_mailbox(&keys).status, 201);

    // The reference age 1.1.1 knows no hybrid keys: it cannot seal to one (it looks for an
    // `age-plugin-pq` that does not exist) and an X25519 key finds nothing in the hybrid tip.
    let scratch = inbox.home.with_file_name("age-1.1.1");
    std::fs::create_dir_all(&scratch).unwrap();
    let (sealed, error) = reference_age(&scratch, &["-e", "-r", &own.to_string()], b"tip");
    assert!(!sealed, "age 1.1.1 sealed to a hybrid key");
    assert!(error.contains("plugin"), "{error}");
    let x25519_file = scratch.join("x25519.key");
    std::fs::write(
        &x25519_file,
        format!("{}\n", x25519_backup.to_secret_string().as_str()),
    )
    .unwrap();
    let tip_file = scratch.join("tip.age");
    std::fs::write(&tip_file, &tip).unwrap();
    let (opened, error) = reference_age(
        &scratch,
        &[
            "-d",
            "-i",
            x25519_file.to_str().unwrap(),
            tip_file.to_str().unwrap(),
        ],
        b"",
    );
    assert!(!opened);
    assert!(error.contains("no identity matched"), "{error}");
    let hybrid_file = scratch.join("hybrid.key");
    std::fs::write(
        &hybrid_file,
        format!("{}\n", backup.to_secret_string().as_str()),
    )
    .unwrap();
    let (opened, error) = reference_age(
        &scratch,
        &[
            "-d",
            "-i",
            hybrid_file.to_str().unwrap(),
            tip_file.to_str().unwrap(),
        ],
        b"",
    );
    assert!(!opened);
    assert!(error.contains("unknown identity type"), "{error}");

    // The inbox opens it.
    let pulled = inbox.run_ok(&["pull", "--lang", "en"]);
    assert!(pulled.contains("1 new tip: number 1."), "{pulled}");
    let shown = inbox.run_ok(&["show", "1", "--lang", "en"]);
    assert!(shown.contains(DESCRIPTION), "{shown}");

    // The reply: hybrid stanzas only (the reporter's, this key's and the backup's), and the
    // reporter's code opens it.
    let sent = inbox.run_ok(&["reply", "1", QUESTION, "--lang", "en"]);
    assert!(sent.contains("Sent your message"), "{sent}");
    let on_relay = relay.reporter_messages(&keys).messages;
    assert_eq!(on_relay.len(), 1);
    assert_eq!(stanza_types(&on_relay[0].ciphertext), ["mlkem768x25519"; 3]);
    let read = open(&keys.reply_identities(), &on_relay[0].ciphertext).unwrap();
    assert_eq!(MailboxMessage::from_bytes(&read).unwrap().text, QUESTION);
    assert!(open(std::slice::from_ref(&backup), &on_relay[0].ciphertext).is_ok());

    // The reporter's answer, as the worker seals it: to the relay's keys and the hybrid reply
    // key. The inbox stores it and shows it as the reporter's own.
    let answer = seal_answer_message(
        ANSWER,
        &keys,
        &[
            own,
            backup.to_recipient(),
            keys.reply_hybrid_identity.to_recipient(),
        ],
    )
    .unwrap();
    assert_eq!(stanza_types(&answer), ["mlkem768x25519"; 3]);
    assert_eq!(
        relay
            .reporter_post(&keys, &answer, &submission_key())
            .status,
        201
    );
    let pulled = inbox.run_ok(&["pull", "--lang", "en"]);
    assert!(
        pulled.contains("1 new answer from reporters: tip 1 (1)."),
        "{pulled}"
    );
    inbox.run_ok(&["reply", "1", "--status", "in-progress", "--lang", "en"]);
    let shown = inbox.run_ok(&["show", "1", "--lang", "en"]);
    let question_at = shown.find(QUESTION).expect("question shown");
    let answer_at = shown.find(ANSWER).expect("answer shown");
    assert!(question_at < answer_at, "{shown}");
    assert!(!shown.contains("not confirmed"), "{shown}");
    let on_relay = relay.reporter_messages(&keys).messages;
    assert_eq!(on_relay.len(), 3);
    let status = MailboxMessage::from_bytes(
        &open(&keys.reply_identities(), &on_relay[2].ciphertext).unwrap(),
    )
    .unwrap();
    assert_eq!(
        status.status,
        Some(fluister_envelope::message::CaseStatus::InProgress)
    );
}

#[test]
fn a_tip_with_an_x25519_reply_key_is_answered_to_the_reporter_alone_and_kept_readable() {
    // A tip sealed to a hybrid key by a widget from before hybrid reply keys: its reporter's
    // reply key is X25519, and no key of the coordinator's is.
    let inbox = Inbox::new("hybrid-old-reply");
    let own: Recipient = inbox.keygen_hybrid().parse().unwrap();
    let relay = start_relay(&[own.to_string()]);
    inbox.connect(&relay);
    let keys: MailboxKeys = ReceiptCode::generate().unwrap().derive_keys().unwrap();
    relay.store_tip(&widget_tip(&[own], &keys, false));
    assert_eq!(relay.open_mailbox(&keys).status, 201);
    inbox.run_ok(&["pull"]);

    let sent = inbox.run_ok(&["reply", "1", QUESTION, "--lang", "en"]);
    assert!(sent.contains("Sent your message"), "{sent}");
    let on_relay = relay.reporter_messages(&keys).messages;
    assert_eq!(stanza_types(&on_relay[0].ciphertext), ["X25519"]);
    let read = open(
        std::slice::from_ref(&keys.reply_identity),
        &on_relay[0].ciphertext,
    )
    .unwrap();
    assert_eq!(MailboxMessage::from_bytes(&read).unwrap().text, QUESTION);
    // The copy the inbox keeps is sealed to the own set, so the coordinator reads it back.
    let shown = inbox.run_ok(&["show", "1", "--lang", "en"]);
    assert!(shown.contains(QUESTION), "{shown}");
    // The reporter's answer (a current widget seals it with the hybrid reply key) opens too.
    let answer = seal_answer_message(
        ANSWER,
        &keys,
        &[own, keys.reply_hybrid_identity.to_recipient()],
    )
    .unwrap();
    assert_eq!(
        relay
            .reporter_post(&keys, &answer, &submission_key())
            .status,
        201
    );
    inbox.run_ok(&["pull"]);
    let shown = inbox.run_ok(&["show", "1", "--lang", "en"]);
    assert!(
        shown.contains(ANSWER) && !shown.contains("not confirmed"),
        "{shown}"
    );
}

#[test]
fn keygen_x25519_makes_a_key_every_age_tool_knows_and_the_help_says_why() {
    let inbox = Inbox::new("x25519");
    let own = inbox.keygen();
    assert!(
        own.starts_with("age1") && !own.starts_with("age1pq1"),
        "{own}"
    );
    assert_eq!(own.len(), 62);
    let help = inbox.run_ok(&["keygen", "--help", "--lang", "en"]);
    assert!(help.contains("--x25519"), "{help}");
    assert!(help.contains("hybrid post-quantum"), "{help}");
    assert!(help.contains("age 1.1 does not"), "{help}");
    let help = inbox.run_ok(&["keygen", "--help"]);
    assert!(help.contains("post-kwantumsleutel"), "{help}");
}
