//! What goes wrong in real life, against the real binaries: a pull killed at any moment, a wrong
//! passphrase, a wrong key, a damaged local file, a relay that is down, a refused token. Each
//! must give a clear message and lose nothing; the errors exit non-zero and delete nothing, and
//! tips pulled with the wrong key wait, still sealed, in the quarantine.

mod support;

use std::collections::BTreeSet;

use fluister_envelope::tip::TipDocument;
use fluister_envelope::tip::vocabulary::{Kind, Municipality};
use fluister_protocol::TipId;
use fluister_testkit::RelayProcess;
use fluister_testkit::fixtures::sealed_document;
use support::{Inbox, start_relay};

/// Sends `count` small tips and returns their relay ids.
fn send_tips(relay: &RelayProcess, recipient: &str, count: usize) -> BTreeSet<TipId> {
    let recipient = recipient.parse().unwrap();
    (0..count)
        .map(|index| {
            let mut document = TipDocument::new(format!("tip number {index}"));
            document.kinds = vec![Kind::Sexual];
            document.municipality = Some(Municipality::from_id("hoogeveen"));
            relay.store_tip(&sealed_document(&[recipient], &document))
        })
        .collect()
}

/// Asserts that the store holds exactly `expected` (each once), numbered 1..=n without repeats,
/// and that the relay holds nothing more.
fn assert_everything_pulled_once(inbox: &Inbox, relay: &RelayProcess, expected: &BTreeSet<TipId>) {
    let stored = inbox.stored_relay_ids();
    let unique: BTreeSet<TipId> = stored.iter().cloned().collect();
    assert_eq!(
        stored.len(),
        unique.len(),
        "a tip was stored twice: {stored:?}"
    );
    assert_eq!(&unique, expected, "stored tips differ from the sent ones");
    assert!(relay.tip_ids().is_empty(), "tips left on the relay");
    let numbers: BTreeSet<String> = inbox
        .stored_file_names()
        .iter()
        .map(|name| name[..6].to_owned())
        .collect();
    assert_eq!(numbers.len(), stored.len(), "two tips share a number");
    let dense: BTreeSet<String> = (1..=stored.len())
        .map(|number| format!("{number:06}"))
        .collect();
    assert_eq!(numbers, dense, "the local numbers have a gap");
    let listed = inbox.run_ok(&["list"]);
    assert_eq!(listed.lines().count(), expected.len() + 1, "{listed}");
}

#[cfg(unix)]
fn was_killed(status: &std::process::ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt as _;
    status.signal() == Some(9)
}

#[cfg(unix)]
#[test]
fn pull_killed_at_each_step_then_rerun_loses_and_duplicates_nothing() {
    let inbox = Inbox::new("kill-steps");
    let recipient = inbox.keygen();
    let relay = start_relay(std::slice::from_ref(&recipient));
    inbox.connect(&relay);
    let sent = send_tips(&relay, &recipient, 80);
    // Right after a download (before writing), right after the rename (before the delete), and
    // right after a delete: the three windows a crash can hit.
    for kill_at in ["downloaded:3", "stored:5", "deleted:7", "stored:1"] {
        let output = inbox
            .command()
            .env("FLUISTER_INBOX_TEST_KILL_AT", kill_at)
            .arg("pull")
            .output()
            .unwrap();
        assert!(
            was_killed(&output.status),
            "pull with {kill_at} was not killed: {output:?}"
        );
        let stored = inbox.stored_relay_ids();
        let unique: BTreeSet<TipId> = stored.iter().cloned().collect();
        assert_eq!(
            stored.len(),
            unique.len(),
            "duplicate after kill at {kill_at}"
        );
        let on_relay: BTreeSet<TipId> = relay.tip_ids().into_iter().collect();
        let accounted: BTreeSet<TipId> = unique.union(&on_relay).cloned().collect();
        assert_eq!(
            accounted, sent,
            "a tip is neither stored nor on the relay after {kill_at}"
        );
    }
    let finished = inbox.run_ok(&["pull", "--lang", "en"]);
    assert!(
        // "1 new tip: …", "12 new tips: …" or "No new tips."
        finished.contains("new tip") || finished.contains("No new tips"),
        "{finished}"
    );
    assert_everything_pulled_once(&inbox, &relay, &sent);
    let leftovers: Vec<String> = std::fs::read_dir(inbox.home.join("tips"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".part"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "half-written downloads are cleaned up: {leftovers:?}"
    );
}

#[cfg(unix)]
#[test]
fn pull_sigkilled_from_outside_midway_then_rerun_loses_and_duplicates_nothing() {
    let inbox = Inbox::new("kill-outside");
    let recipient = inbox.keygen();
    let relay = start_relay(std::slice::from_ref(&recipient));
    inbox.connect(&relay);
    let sent = send_tips(&relay, &recipient, 400);
    let mut child = inbox.command().arg("pull").spawn().unwrap();
    // Wait until the pull has stored something, then SIGKILL it wherever it is.
    loop {
        if !inbox.stored_file_names().is_empty() {
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let stored_after_kill = inbox.stored_relay_ids().len();
    let finished = inbox.run_ok(&["pull"]);
    assert_everything_pulled_once(&inbox, &relay, &sent);
    eprintln!("killed after {stored_after_kill} of 400 stored; the re-run said: {finished}");
}

#[test]
fn wrong_passphrase_is_refused_and_nothing_is_pulled() {
    let mut inbox = Inbox::new("wrong-passphrase");
    let recipient = inbox.keygen();
    let relay = start_relay(std::slice::from_ref(&recipient));
    inbox.connect(&relay);
    let sent = send_tips(&relay, &recipient, 2);
    inbox.passphrase = "not the right passphrase".to_owned();
    let error = inbox.run_failing(&["pull", "--lang", "en"]);
    assert!(error.contains("wrong passphrase"), "{error}");
    assert!(inbox.stored_file_names().is_empty());
    assert_eq!(relay.tip_ids().into_iter().collect::<BTreeSet<_>>(), sent);
    // The passphrase file works too, and the right one pulls.
    let passphrase_file = inbox.home.with_file_name("passphrase.txt");
    std::fs::write(&passphrase_file, format!("{}\n", support::PASSPHRASE)).unwrap();
    let output = inbox
        .command()
        .env_remove("FLUISTER_PASSPHRASE")
        .args([
            "pull",
            "--passphrase-file",
            passphrase_file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    inbox.passphrase = support::PASSPHRASE.to_owned();
    assert_everything_pulled_once(&inbox, &relay, &sent);
}

#[test]
fn tips_pulled_with_the_wrong_key_are_quarantined_and_come_back_with_the_right_one() {
    let inbox = Inbox::new("wrong-key");
    inbox.keygen();
    let someone_else = Inbox::new("someone-else");
    let other_recipient = someone_else.keygen();
    // The relay was configured with somebody else's key by mistake.
    let relay = start_relay(std::slice::from_ref(&other_recipient));
    inbox.connect(&relay);
    let sent = send_tips(&relay, &other_recipient, 3);
    let status = inbox.run_failing(&["status", "--lang", "en"]);
    let status_output = inbox.run(&["status", "--lang", "en"]);
    let status_text = String::from_utf8_lossy(&status_output.stdout);
    assert!(
        status_text.contains("does NOT seal tips to your key"),
        "{status_text}{status}"
    );
    // The pull keeps them, still sealed, in quarantine (off the relay), and says what to do.
    let pulled = inbox.run_ok(&["pull", "--lang", "en"]);
    assert!(
        pulled.contains("3 tip(s) did not open with your key and were put in quarantine"),
        "{pulled}"
    );
    assert!(
        pulled.contains("None of the tips opened with this key")
            && pulled.contains("fluister-inbox status")
            && pulled.contains("quarantine --recheck"),
        "{pulled}"
    );
    assert!(inbox.stored_file_names().is_empty());
    assert!(relay.tip_ids().is_empty());
    assert_eq!(
        inbox
            .quarantined_relay_ids()
            .into_iter()
            .collect::<BTreeSet<_>>(),
        sent
    );
    // The right key (here: the other inbox's identity file, given with --identity) brings them
    // back as normal numbered tips.
    let other_identity = someone_else.home.join("identity.age");
    let checked = inbox.run_ok(&[
        "quarantine",
        "--recheck",
        "--identity",
        other_identity.to_str().unwrap(),
        "--lang",
        "en",
    ]);
    assert!(
        checked.contains("3 quarantined tips opened with this key and are now tips 1 to 3"),
        "{checked}"
    );
    assert!(
        checked.contains("The quarantine is empty now."),
        "{checked}"
    );
    assert_eq!(
        inbox
            .stored_relay_ids()
            .into_iter()
            .collect::<BTreeSet<_>>(),
        sent
    );
    assert!(inbox.quarantined_relay_ids().is_empty());
}

#[test]
fn a_damaged_local_tip_is_reported_and_kept() {
    let inbox = Inbox::new("damaged");
    let recipient = inbox.keygen();
    let relay = start_relay(std::slice::from_ref(&recipient));
    inbox.connect(&relay);
    send_tips(&relay, &recipient, 2);
    inbox.run_ok(&["pull"]);
    let damaged_path = inbox.home.join("tips").join(&inbox.stored_file_names()[0]);
    let mut bytes = std::fs::read(&damaged_path).unwrap();
    let last = bytes.len() - 5;
    bytes[last] ^= 0x01;
    std::fs::write(&damaged_path, &bytes).unwrap();

    let error = inbox.run_failing(&["show", "1", "--lang", "en"]);
    assert!(
        error.contains("is damaged") && error.contains("backup"),
        "{error}"
    );
    let error = inbox.run_failing(&["list", "--lang", "en"]);
    assert!(error.contains("could not be opened"), "{error}");
    let listed = String::from_utf8(inbox.run(&["list"]).stdout).unwrap();
    assert!(
        listed.contains("Hoogeveen"),
        "the intact tip is still listed: {listed}"
    );
    assert!(
        inbox
            .run_failing(&["export", "1", "--lang", "en"])
            .contains("is damaged")
    );
    assert!(
        inbox
            .run_failing(&["stats", "--lang", "en"])
            .contains("could not be opened")
    );
    assert_eq!(
        std::fs::read(&damaged_path).unwrap(),
        bytes,
        "nothing was deleted or changed"
    );
    assert_eq!(inbox.stored_file_names().len(), 2);
    // A missing number says where to look.
    assert!(
        inbox
            .run_failing(&["show", "99"])
            .contains("fluister-inbox list")
    );
}

#[test]
fn relay_down_and_refused_token_change_nothing() {
    let inbox = Inbox::new("relay-down");
    let recipient = inbox.keygen();
    let mut relay = start_relay(std::slice::from_ref(&recipient));
    let sent = send_tips(&relay, &recipient, 2);

    inbox.connect_with_token(
        &relay.url(),
        "fluister-coordinator-not-a-token-the-relay-knows",
    );
    let error = inbox.run_failing(&["pull", "--lang", "en"]);
    assert!(
        error.contains("refused your token") && error.contains("mint-token"),
        "{error}"
    );
    let status = inbox.run(&["status", "--lang", "en"]);
    assert!(!status.status.success());
    assert!(String::from_utf8_lossy(&status.stdout).contains("refused your token"));
    assert!(inbox.stored_file_names().is_empty());
    assert_eq!(relay.tip_ids().into_iter().collect::<BTreeSet<_>>(), sent);

    inbox.connect(&relay);
    relay.kill();
    let error = inbox.run_failing(&["pull", "--lang", "en"]);
    assert!(
        error.contains("cannot reach the relay") && error.contains("status"),
        "{error}"
    );
    let status_error = inbox.run_failing(&["status"]);
    assert!(status_error.contains("problem"), "{status_error}");
    assert!(inbox.stored_file_names().is_empty());

    // Not connected at all.
    let fresh = Inbox::new("not-connected");
    fresh.keygen();
    assert!(
        fresh
            .run_failing(&["pull"])
            .contains("fluister-inbox connect")
    );
}

#[test]
fn the_offline_backup_key_opens_every_tip_without_the_passphrase() {
    let inbox = Inbox::new("backup-key");
    let recipient = inbox.keygen();
    let backup_key = inbox.home.with_file_name("backup-key.txt");
    let backup_recipient = support::age_keygen(&backup_key);
    let relay = start_relay(&[recipient.clone(), backup_recipient.clone()]);
    inbox.connect(&relay);
    let sent = send_tips(&relay, &recipient, 1);
    // Sealed to both keys, as the relay's config says (the widget seals to every recipient).
    let recipients = [
        recipient.parse().unwrap(),
        backup_recipient.parse().unwrap(),
    ];
    let mut document = TipDocument::new("sealed to the coordinator and the backup key");
    document.municipality = Some(Municipality::from_id("westerveld"));
    let sealed =
        fluister_envelope::age::seal(&recipients, &document.to_padded_bytes().unwrap()).unwrap();
    let both_keys_id = relay.store_tip(&sealed);
    inbox.run_ok(&["pull"]);
    assert_eq!(inbox.stored_file_names().len(), sent.len() + 1);
    // Pulls run in parallel, so look the local numbers up by relay id.
    let number_of = |relay_id: &TipId| -> String {
        let name = inbox
            .stored_file_names()
            .into_iter()
            .find(|name| name.ends_with(&format!("{relay_id}.age")))
            .expect("stored");
        name[..6].trim_start_matches('0').to_owned()
    };
    let both_keys_number = number_of(&both_keys_id);
    let coordinator_only_number = number_of(sent.iter().next().unwrap());
    // The passphrase is forgotten: the backup key alone opens the tip sealed to both keys.
    let output = inbox
        .command()
        .env_remove("FLUISTER_PASSPHRASE")
        .args([
            "show",
            &both_keys_number,
            "--identity",
            backup_key.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("Westerveld"));
    // The tip sealed to the coordinator's key only does not open with it, and says why.
    let output = inbox
        .command()
        .env_remove("FLUISTER_PASSPHRASE")
        .args([
            "show",
            &coordinator_only_number,
            "--identity",
            backup_key.to_str().unwrap(),
            "--lang",
            "en",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("sealed to another key"));
}
