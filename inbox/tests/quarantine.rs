//! The relay under attack, against the real binaries: junk sealed to a random key fills the
//! relay's storage quota until real tips are refused (507). `pull` stores the real tips, moves
//! the junk into the local quarantine, still sealed, and deletes it on the relay, which then
//! accepts tips again. A pull killed while quarantining loses and doubles nothing;
//! `quarantine --recheck` brings back what opens with another key; `status` shows the
//! quarantine and the relay's proof-of-work difficulty and refusals.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use fluister_envelope::age::{Identity, Recipient, seal};
use fluister_envelope::tip::TipDocument;
use fluister_envelope::tip::vocabulary::{Kind, Municipality};
use fluister_protocol::bodies::Created;
use fluister_protocol::{ErrorCode, TipId};
use fluister_testkit::RelayProcess;
use fluister_testkit::fixtures::submission_key;
use support::{Inbox, relay_id_of, relay_settings, start_relay};

/// A real tip for `recipient`, sealed as the widget seals it.
fn real_tip(recipient: &Recipient, text: &str) -> Vec<u8> {
    let mut document = TipDocument::new(text);
    document.kinds = vec![Kind::Labour];
    document.municipality = Some(Municipality::from_id("emmen"));
    seal(&[*recipient], &document.to_padded_bytes().unwrap()).unwrap()
}

/// `size` random bytes sealed by our envelope to a key made for it and thrown away: what an
/// attacker sends to fill the relay. Well-formed age, so the relay must accept it.
fn junk(size: usize) -> Vec<u8> {
    let mut content = vec![0u8; size];
    getrandom::fill(&mut content).unwrap();
    let throwaway = Identity::generate().unwrap().to_recipient();
    seal(&[throwaway], &content).unwrap()
}

/// Junk sealed by the reference `age -e -r` to a fresh `age-keygen` key.
fn junk_by_reference_age(directory: &Path, size: usize) -> Vec<u8> {
    let key_path = directory.join("throwaway-key.txt");
    let _ = std::fs::remove_file(&key_path);
    let generated = Command::new("age-keygen")
        .arg("-o")
        .arg(&key_path)
        .output()
        .expect("the reference `age-keygen` is installed (Debian package `age`)");
    assert!(generated.status.success());
    let throwaway = String::from_utf8_lossy(&generated.stderr)
        .split_whitespace()
        .find(|word| word.starts_with("age1"))
        .expect("age-keygen prints the public key")
        .to_owned();
    let plain_path = directory.join("junk.bin");
    let sealed_path = directory.join("junk.age");
    let mut content = vec![0u8; size];
    getrandom::fill(&mut content).unwrap();
    std::fs::write(&plain_path, content).unwrap();
    let _ = std::fs::remove_file(&sealed_path);
    let output = Command::new("age")
        .args(["-e", "-r", &throwaway, "-o"])
        .arg(&sealed_path)
        .arg(&plain_path)
        .output()
        .expect("the reference `age` CLI is installed (Debian package `age`)");
    assert!(
        output.status.success(),
        "age -e: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::read(&sealed_path).unwrap()
}

/// Asserts that every tip sent is in exactly one place: stored (once), in quarantine, or still
/// on the relay; that only real tips are stored and only junk is quarantined.
fn assert_each_tip_in_one_place(
    inbox: &Inbox,
    relay: &RelayProcess,
    real: &BTreeSet<TipId>,
    junk: &BTreeSet<TipId>,
    after: &str,
) {
    let stored = inbox.stored_relay_ids();
    let stored_set: BTreeSet<TipId> = stored.iter().cloned().collect();
    assert_eq!(stored.len(), stored_set.len(), "stored twice after {after}");
    let quarantined: BTreeSet<TipId> = inbox.quarantined_relay_ids().into_iter().collect();
    assert!(
        stored_set.is_subset(real),
        "something other than a real tip was stored after {after}"
    );
    assert!(
        quarantined.is_subset(junk),
        "something other than junk was quarantined after {after}"
    );
    let on_relay: BTreeSet<TipId> = relay.tip_ids().into_iter().collect();
    let everything: BTreeSet<TipId> = real.union(junk).cloned().collect();
    let accounted: BTreeSet<TipId> = stored_set
        .union(&quarantined)
        .cloned()
        .collect::<BTreeSet<_>>()
        .union(&on_relay)
        .cloned()
        .collect();
    assert_eq!(
        accounted, everything,
        "a tip is nowhere after {after} (stored, quarantined or on the relay)"
    );
}

#[test]
fn junk_sealed_to_a_random_key_is_quarantined_and_no_longer_crowds_out_real_tips() {
    let inbox = Inbox::new("flood");
    let recipient_text = inbox.keygen();
    let recipient: Recipient = recipient_text.parse().unwrap();
    let relay = RelayProcess::start(
        relay_settings(std::slice::from_ref(&recipient_text))
            .limits("max_tip_bytes", 65_536)
            .storage("max_stored_bytes", 262_144),
    );
    inbox.connect(&relay);
    let real_id = relay.store_tip(&real_tip(&recipient, "Er werken kinderen in de kas."));

    // The attacker fills the quota: a few files by the reference age, then our envelope's,
    // smaller and smaller, until not even a small one fits.
    let mut junk_sent: BTreeMap<TipId, Vec<u8>> = BTreeMap::new();
    for _ in 0..2 {
        let sealed = junk_by_reference_age(inbox.home.parent().unwrap(), 20_000);
        junk_sent.insert(relay.store_tip(&sealed), sealed);
    }
    let mut size = 60_000;
    while size >= 256 {
        let sealed = junk(size);
        let response = relay.submit(&sealed, &submission_key());
        match response.status {
            201 => {
                junk_sent.insert(response.parse::<Created<TipId>>().id, sealed);
            }
            507 => size /= 2,
            other => panic!("the relay answered {other} to junk: {}", response.text()),
        }
    }
    let refused = relay.submit(
        &real_tip(&recipient, "Refused while the relay is full."),
        &submission_key(),
    );
    assert_eq!(
        refused.status,
        507,
        "a real tip no longer fits: {}",
        refused.text()
    );
    assert_eq!(
        refused.error_code(),
        ErrorCode::StorageFull,
        "{}",
        refused.text()
    );

    let pulled = inbox.run_ok(&["pull", "--lang", "en"]);
    assert!(pulled.contains("1 new tip: number 1."), "{pulled}");
    let junk_count = junk_sent.len();
    assert!(
        pulled.contains(&format!(
            "{junk_count} tip(s) did not open with your key and were put in quarantine (sealed \
             to another key: {junk_count})"
        )),
        "{pulled}"
    );
    assert!(
        pulled.contains("quarantine --recheck") && pulled.contains("still sealed"),
        "{pulled}"
    );
    assert!(relay.tip_ids().is_empty(), "junk is gone from the relay");
    assert_eq!(inbox.stored_relay_ids(), vec![real_id]);
    assert_eq!(
        inbox.quarantined_relay_ids(),
        junk_sent.keys().cloned().collect::<Vec<_>>()
    );
    // Kept sealed exactly as the relay held it, readable only by the coordinator.
    for entry in std::fs::read_dir(inbox.home.join("quarantine")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let relay_id = relay_id_of(&name).expect("HOUR-ID.age");
        assert_eq!(&std::fs::read(&path).unwrap(), &junk_sent[&relay_id]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{name}");
        }
    }
    // No number, and nowhere in list, show or stats.
    let listed = inbox.run_ok(&["list"]);
    assert_eq!(listed.lines().count(), 2, "{listed}");
    assert!(
        inbox
            .run_failing(&["show", "2", "--lang", "en"])
            .contains("no tip number 2")
    );
    let counts = inbox.run_ok(&["stats"]);
    assert!(counts.contains("Emmen"), "{counts}");
    let quarantine = inbox.run_ok(&["quarantine", "--lang", "en"]);
    assert!(
        quarantine.contains(&format!("{junk_count} tip(s) in quarantine")),
        "{quarantine}"
    );
    assert!(quarantine.contains("received"), "{quarantine}");

    // The relay has room again.
    let accepted = relay.submit(
        &real_tip(&recipient, "Accepted after the pull."),
        &submission_key(),
    );
    assert_eq!(
        accepted.status,
        201,
        "the relay accepts a tip again: {}",
        accepted.text()
    );
    let pulled = inbox.run_ok(&["pull", "--lang", "en"]);
    assert!(pulled.contains("1 new tip: number 2."), "{pulled}");
    assert!(!pulled.contains("quarantine"), "{pulled}");
}

#[cfg(unix)]
#[test]
fn pull_killed_while_quarantining_then_rerun_loses_and_duplicates_nothing() {
    use std::os::unix::process::ExitStatusExt as _;
    let inbox = Inbox::new("quarantine-kill");
    let recipient_text = inbox.keygen();
    let recipient: Recipient = recipient_text.parse().unwrap();
    let relay = start_relay(std::slice::from_ref(&recipient_text));
    inbox.connect(&relay);
    let mut real = BTreeSet::new();
    let mut junk_ids = BTreeSet::new();
    // Enough that each killed pull leaves work for the next: its parallel fetchers keep going
    // for the moment the kill takes.
    for index in 0..240 {
        junk_ids.insert(relay.store_tip(&junk(2_000)));
        if index % 6 == 0 {
            real.insert(relay.store_tip(&real_tip(&recipient, &format!("real tip {index}"))));
        }
    }
    // Right after a quarantine file's rename (before its folder is flushed and the relay
    // deletes it), after the folders are flushed, after a delete, and right after a download.
    // The last kill leaves a quarantined tip on the relay for the final pull to finish.
    for kill_at in [
        "quarantined:4",
        "stored:6",
        "deleted:5",
        "downloaded:2",
        "quarantined:1",
    ] {
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
        assert_each_tip_in_one_place(&inbox, &relay, &real, &junk_ids, kill_at);
    }
    let finished = inbox.run_ok(&["pull", "--lang", "en"]);
    assert!(
        finished.contains("put in quarantine by an interrupted earlier pull"),
        "{finished}"
    );
    assert_each_tip_in_one_place(&inbox, &relay, &real, &junk_ids, "the final pull");
    assert!(relay.tip_ids().is_empty());
    assert_eq!(
        inbox
            .stored_relay_ids()
            .into_iter()
            .collect::<BTreeSet<_>>(),
        real
    );
    assert_eq!(
        inbox
            .quarantined_relay_ids()
            .into_iter()
            .collect::<BTreeSet<_>>(),
        junk_ids
    );
    let numbers: Vec<String> = inbox
        .stored_file_names()
        .iter()
        .map(|name| name[..6].to_owned())
        .collect();
    let dense: Vec<String> = (1..=real.len())
        .map(|number| format!("{number:06}"))
        .collect();
    assert_eq!(numbers, dense, "numbered 1..n without gaps or repeats");
    assert!(inbox.leftover_part_files().is_empty());
}

#[cfg(unix)]
#[test]
fn recheck_moves_a_tip_that_opens_with_a_second_identity_into_the_store() {
    use std::os::unix::process::ExitStatusExt as _;
    let inbox = Inbox::new("recheck");
    let recipient_text = inbox.keygen();
    let recipient: Recipient = recipient_text.parse().unwrap();
    // A colleague's key, as a plain age identity file: the relay was set up with it by mistake
    // for a while, so some tips are sealed to it alone.
    let second = Identity::generate().unwrap();
    let second_key = inbox.home.with_file_name("second-key.txt");
    std::fs::write(
        &second_key,
        format!("{}\n", second.to_secret_string().as_str()),
    )
    .unwrap();
    let relay = start_relay(std::slice::from_ref(&recipient_text));
    inbox.connect(&relay);
    relay.store_tip(&real_tip(&recipient, "For the coordinator."));
    let for_second: BTreeSet<TipId> = (0..2)
        .map(|index| {
            relay.store_tip(&real_tip(
                &second.to_recipient(),
                &format!("Sealed to the colleague's key, number {index}."),
            ))
        })
        .collect();
    let junk_ids: BTreeSet<TipId> = (0..3).map(|_| relay.store_tip(&junk(3_000))).collect();

    let pulled = inbox.run_ok(&["pull", "--lang", "en"]);
    assert!(pulled.contains("1 new tip: number 1."), "{pulled}");
    assert!(pulled.contains("5 tip(s) did not open"), "{pulled}");
    assert!(relay.tip_ids().is_empty());

    // The own key opens none of them.
    let checked = inbox.run_ok(&["quarantine", "--recheck", "--lang", "en"]);
    assert!(
        checked.contains("None of the 5 quarantined tip(s) opens with this key"),
        "{checked}"
    );
    assert_eq!(inbox.quarantined_relay_ids().len(), 5);

    // The second key opens two; killed after they are stored, before the quarantine lets go.
    let second_key_text = second_key.to_str().unwrap();
    let output = inbox
        .command()
        .env("FLUISTER_INBOX_TEST_KILL_AT", "moved:1")
        .args(["quarantine", "--recheck", "--identity", second_key_text])
        .output()
        .unwrap();
    assert_eq!(output.status.signal(), Some(9), "{output:?}");
    let stored: BTreeSet<TipId> = inbox.stored_relay_ids().into_iter().collect();
    assert!(for_second.is_subset(&stored), "stored before the kill");
    let listing = inbox.run_ok(&["quarantine", "--lang", "en"]);
    assert!(
        listing.contains("3 tip(s) in quarantine"),
        "a copy of a stored tip is not counted: {listing}"
    );
    // Run again: the copies go, nothing is stored twice.
    let checked = inbox.run_ok(&[
        "quarantine",
        "--recheck",
        "--identity",
        second_key_text,
        "--lang",
        "en",
    ]);
    assert!(checked.contains("None of the 3"), "{checked}");
    let stored = inbox.stored_relay_ids();
    assert_eq!(stored.len(), 3, "{stored:?}");
    assert_eq!(
        inbox
            .quarantined_relay_ids()
            .into_iter()
            .collect::<BTreeSet<_>>(),
        junk_ids
    );
    // The moved tips are normal numbered tips now.
    let number = inbox
        .stored_file_names()
        .iter()
        .find(|name| for_second.iter().any(|id| name.contains(&id.to_string())))
        .map(|name| name[..6].trim_start_matches('0').to_owned())
        .unwrap();
    let shown = inbox.run_ok(&["show", &number, "--identity", second_key_text]);
    assert!(shown.contains("Sealed to the colleague's key"), "{shown}");

    // Deleting asks for confirmation; without a terminal only --yes gives it.
    let refused = inbox.run_failing(&["quarantine", "--delete", "--lang", "en"]);
    assert!(
        refused.contains("--yes") && refused.contains("Nothing was deleted"),
        "{refused}"
    );
    assert_eq!(inbox.quarantined_relay_ids().len(), 3);
    let deleted = inbox.run_ok(&["quarantine", "--delete", "--yes", "--lang", "en"]);
    assert!(
        deleted.contains("Deleted 3 quarantined file(s)"),
        "{deleted}"
    );
    assert!(inbox.quarantined_relay_ids().is_empty());
    assert!(
        inbox
            .run_ok(&["quarantine", "--lang", "en"])
            .contains("The quarantine is empty")
    );
    assert_eq!(
        inbox.stored_relay_ids().len(),
        3,
        "stored tips are untouched"
    );
}

#[test]
fn status_shows_the_quarantine_and_a_relay_raising_its_proof_of_work() {
    let inbox = Inbox::new("status-flood");
    let recipient_text = inbox.keygen();
    let recipient: Recipient = recipient_text.parse().unwrap();
    let relay = RelayProcess::start(
        relay_settings(std::slice::from_ref(&recipient_text))
            .limits("max_tip_bytes", 65_536)
            .storage("max_stored_bytes", 65_536)
            .proof_of_work("difficulty", 1)
            .proof_of_work("flood_baseline", 1),
    );
    inbox.connect(&relay);
    relay.store_tip(&real_tip(&recipient, "A real one among the junk."));
    relay.store_tip(&junk(30_000));
    relay.store_tip(&junk(30_000));
    let refused = relay.submit(&junk(30_000), &submission_key());
    assert_eq!(refused.status, 507, "{}", refused.text());
    inbox.run_ok(&["pull"]);

    let output = inbox.run_ok(&["status", "--lang", "en"]);
    assert!(output.contains("2 tip(s) in quarantine"), "{output}");
    assert!(
        output.contains("proof of work asked of a new tip: difficulty")
            && output.contains("(normally 1, at most"),
        "{output}"
    );
    assert!(
        output.contains("raising the cost of sending a tip")
            && output.contains("tell the relay's operator"),
        "{output}"
    );
    assert!(
        output.contains("submissions verified in the last hour"),
        "{output}"
    );
    assert!(
        output.contains("1 storage_full") && output.contains("because its storage was full"),
        "{output}"
    );
}
