//! The backup key and a successor's key, against the real binaries: the coordinator's own set of
//! keys (`keys add`, `recipients.txt`), the notes (`triage.age`) sealed to all of it, and
//! `status` comparing it with the keys the relay seals tips to.
//!
//! What broke before: `triage.age` was sealed to the coordinator's own key only, and `list`,
//! `show`, `export` and `triage` open it first, so the guide's recovery with the backup key
//! failed as soon as one note existed.

mod support;

use std::path::Path;

use fluister_envelope::age::Recipient;
use fluister_envelope::tip::TipDocument;
use fluister_envelope::tip::vocabulary::{Kind, Municipality};
use fluister_testkit::fixtures::sealed_document;
use support::{Inbox, age_keygen, start_relay};

/// A labour tip in Coevorden, sealed to `recipients`.
fn tip_sealed_to(recipients: &[&str], text: &str) -> Vec<u8> {
    let recipients: Vec<Recipient> = recipients
        .iter()
        .map(|recipient| recipient.parse().unwrap())
        .collect();
    let mut document = TipDocument::new(text);
    document.kinds = vec![Kind::Labour];
    document.municipality = Some(Municipality::from_id("coevorden"));
    sealed_document(&recipients, &document)
}

/// Runs `arguments` on `inbox` with the key file `identity` and, if it has one, the passphrase
/// `passphrase` only (not the inbox's own); asserts success and returns standard output.
fn run_with_key(
    inbox: &Inbox,
    identity: &Path,
    passphrase: Option<&str>,
    arguments: &[&str],
) -> String {
    let mut command = inbox.command();
    command.env_remove("FLUISTER_PASSPHRASE");
    if let Some(passphrase) = passphrase {
        command.env("FLUISTER_PASSPHRASE", passphrase);
    }
    let output = command
        .args(arguments)
        .arg("--identity")
        .arg(identity)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "fluister-inbox {arguments:?} --identity {}: {}",
        identity.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn with_only_the_backup_key_list_show_export_and_triage_work_after_notes_exist() {
    let inbox = Inbox::new("backup-notes");
    let recipient = inbox.keygen();
    let backup_key = inbox.home.with_file_name("reservesleutel.txt");
    let backup_recipient = age_keygen(&backup_key);
    // The guide's other backup: a second key made by keygen on a USB stick, with its own
    // passphrase (an age file sealed with a passphrase).
    let mut usb = Inbox::new("backup-usb");
    usb.passphrase = "another passphrase kept in the safe".to_owned();
    let usb_recipient = usb.keygen();
    let usb_key = usb.home.join("identity.age");

    let relay = start_relay(&[
        recipient.clone(),
        backup_recipient.clone(),
        usb_recipient.clone(),
    ]);
    inbox.connect(&relay);
    relay.store_tip(&tip_sealed_to(
        &[&recipient, &backup_recipient, &usb_recipient],
        "Op de aspergeboerderij werken ze twaalf uur per dag.",
    ));
    inbox.run_ok(&["pull"]);
    // A note before the backup key is in the set: the notes are sealed to the own key only,
    // so the backup key cannot open them (this is what the guide's recovery ran into).
    inbox.run_ok(&[
        "triage",
        "1",
        "--status",
        "in-progress",
        "--note",
        "Gebeld met de Arbeidsinspectie",
    ]);
    let output = inbox
        .command()
        .env_remove("FLUISTER_PASSPHRASE")
        .args(["list", "--lang", "en", "--identity"])
        .arg(&backup_key)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("triage"));

    // `keys add` puts both backup keys in the set and seals the existing notes to them.
    let added = inbox.run_ok(&[
        "keys",
        "add",
        &backup_recipient,
        "--name",
        "reservesleutel in de kluis",
        "--lang",
        "en",
    ]);
    assert!(added.contains("is now in your own set of keys"), "{added}");
    inbox.run_ok(&[
        "keys",
        "add",
        &usb_recipient,
        "--name",
        "reservesleutel op USB",
    ]);
    let listed = inbox.run_ok(&["keys", "list"]);
    for expected in [
        recipient.as_str(),
        backup_recipient.as_str(),
        usb_recipient.as_str(),
        "reservesleutel in de kluis",
        "[de sleutel van deze inbox]",
    ] {
        assert!(listed.contains(expected), "{expected} in:\n{listed}");
    }
    let recipients_file = std::fs::read_to_string(inbox.home.join("recipients.txt")).unwrap();
    assert!(recipients_file.contains(&format!("# reservesleutel op USB\n{usb_recipient}\n")));

    // The laptop is gone: no identity.age, no passphrase. The backup key alone does it all.
    let own_key = inbox.home.join("identity.age");
    let own_key_away = inbox.home.with_file_name("identity.age.away");
    std::fs::rename(&own_key, &own_key_away).unwrap();
    let list = run_with_key(&inbox, &backup_key, None, &["list"]);
    assert!(
        list.contains("Coevorden") && list.contains("in behandeling"),
        "{list}"
    );
    let shown = run_with_key(&inbox, &backup_key, None, &["show", "1"]);
    assert!(
        shown.contains("twaalf uur") && shown.contains("Gebeld met de Arbeidsinspectie"),
        "{shown}"
    );
    let exported = run_with_key(&inbox, &backup_key, None, &["export", "1"]);
    assert!(
        exported.contains("Gebeld met de Arbeidsinspectie"),
        "{exported}"
    );
    let triaged = run_with_key(
        &inbox,
        &backup_key,
        None,
        &["triage", "1", "--note", "Overgenomen met de reservesleutel"],
    );
    assert!(
        triaged.contains("Gebeld met") && triaged.contains("Overgenomen met"),
        "{triaged}"
    );
    // The passphrase-protected backup key on the USB stick opens the same.
    let passphrase = usb.passphrase.as_str();
    let list = run_with_key(&inbox, &usb_key, Some(passphrase), &["list"]);
    assert!(list.contains("in behandeling"), "{list}");
    let shown = run_with_key(&inbox, &usb_key, Some(passphrase), &["show", "1"]);
    assert!(shown.contains("Overgenomen met"), "{shown}");
    let exported = run_with_key(&inbox, &usb_key, Some(passphrase), &["export", "1"]);
    assert!(exported.contains("Overgenomen met"), "{exported}");
    run_with_key(
        &inbox,
        &usb_key,
        Some(passphrase),
        &["triage", "1", "--status", "closed"],
    );

    // The laptop is back: the own key still opens what the backup keys wrote.
    std::fs::rename(&own_key_away, &own_key).unwrap();
    let triaged = inbox.run_ok(&["triage", "1"]);
    assert!(
        triaged.contains("afgesloten") && triaged.contains("Overgenomen met"),
        "{triaged}"
    );
    let triage_bytes = std::fs::read(inbox.home.join("triage.age")).unwrap();
    assert!(!String::from_utf8_lossy(&triage_bytes).contains("Overgenomen"));
}

#[test]
fn a_successors_key_added_later_opens_the_notes_after_the_next_save() {
    let inbox = Inbox::new("successor");
    let recipient = inbox.keygen();
    let relay = start_relay(std::slice::from_ref(&recipient));
    inbox.connect(&relay);
    relay.store_tip(&tip_sealed_to(&[&recipient], "De eerste melding."));
    inbox.run_ok(&["pull"]);
    inbox.run_ok(&["triage", "1", "--note", "Voor de overdracht"]);

    // The successor makes a key on their own computer; new tips are sealed to both.
    let successor = Inbox::new("successor-own");
    let successor_recipient = successor.keygen();
    let successor_key = successor.home.join("identity.age");
    relay.store_tip(&tip_sealed_to(
        &[&recipient, &successor_recipient],
        "De tweede melding, na de aankondiging.",
    ));
    inbox.run_ok(&["pull"]);
    inbox.run_ok(&["triage", "2", "--note", "Opvolger belt de melder"]);
    let refused = successor
        .command()
        .env("FLUISTER_INBOX_HOME", &inbox.home)
        .args(["triage", "2", "--identity"])
        .arg(&successor_key)
        .output()
        .unwrap();
    assert!(
        !refused.status.success(),
        "the successor's key is not in the set yet"
    );

    // The coordinator writes the successor's key into recipients.txt by hand: the notes are
    // sealed to it with the next save.
    let recipients_path = inbox.home.join("recipients.txt");
    let mut recipients_file = std::fs::read_to_string(&recipients_path).unwrap();
    recipients_file.push_str(&format!("\n# opvolger\n{successor_recipient}\n"));
    std::fs::write(&recipients_path, recipients_file).unwrap();
    inbox.run_ok(&["triage", "1", "--status", "handed-over", "--to", "Opvolger"]);

    let passphrase = Some(successor.passphrase.as_str());
    let triaged = run_with_key(&inbox, &successor_key, passphrase, &["triage", "2"]);
    assert!(triaged.contains("Opvolger belt de melder"), "{triaged}");
    let shown = run_with_key(&inbox, &successor_key, passphrase, &["show", "2"]);
    assert!(
        shown.contains("De tweede melding") && shown.contains("Opvolger belt"),
        "{shown}"
    );
    let exported = run_with_key(&inbox, &successor_key, passphrase, &["export", "2"]);
    assert!(exported.contains("Opvolger belt"), "{exported}");
    // The successor's own note, then the predecessor's key taken out of the set.
    run_with_key(
        &inbox,
        &successor_key,
        passphrase,
        &["triage", "2", "--note", "Overgenomen"],
    );
    let removed = run_with_key(
        &inbox,
        &successor_key,
        passphrase,
        &["keys", "remove", &recipient, "--lang", "en"],
    );
    assert!(
        removed.contains("was taken out of your own set"),
        "{removed}"
    );
    assert!(!inbox.run_ok(&["keys", "list"]).contains(&recipient));
    let locked_out = inbox.run(&["triage", "2"]);
    assert!(
        !locked_out.status.success(),
        "the predecessor's key no longer opens the notes"
    );
}

#[test]
fn keys_refuses_what_is_not_a_public_key_and_its_own_key() {
    let inbox = Inbox::new("keys-refusals");
    let recipient = inbox.keygen();
    let refused = inbox.run_failing(&["keys", "add", "AGE-SECRET-KEY-1QQQ", "--lang", "en"]);
    assert!(
        refused.contains("is not a public key")
            && refused.contains("Nothing was changed")
            && !refused.contains("1QQQ"),
        "{refused}"
    );
    let refused = inbox.run_failing(&["keys", "remove", &recipient, "--lang", "en"]);
    assert!(refused.contains("the key you are using now"), "{refused}");
    let recipients_file = std::fs::read_to_string(inbox.home.join("recipients.txt")).unwrap();
    assert!(recipients_file.contains(&recipient), "{recipients_file}");
}

#[test]
fn status_flags_a_reader_only_the_relay_lists_and_warns_about_a_key_it_leaves_out() {
    let inbox = Inbox::new("keys-status");
    let recipient = inbox.keygen();
    let stranger_key = inbox.home.with_file_name("stranger.txt");
    let stranger = age_keygen(&stranger_key);
    let backup_key = inbox.home.with_file_name("backup.txt");
    let backup = age_keygen(&backup_key);
    let relay = start_relay(&[recipient.clone(), stranger.clone()]);
    inbox.connect(&relay);
    inbox.run_ok(&["keys", "add", &backup]);
    // A key only the relay lists may read every new tip: a problem, and `status` fails. A key
    // of the own set the relay leaves out is a warning: its holder cannot open new tips.
    let status = inbox.run(&["status", "--lang", "en"]);
    assert!(!status.status.success());
    let status = format!(
        "{}{}",
        String::from_utf8_lossy(&status.stdout),
        String::from_utf8_lossy(&status.stderr)
    );
    let problems: Vec<&str> = status
        .lines()
        .filter(|line| line.starts_with("PROBLEM"))
        .collect();
    assert_eq!(problems.len(), 1, "{status}");
    assert!(
        problems[0].contains(&stranger) && problems[0].contains("keys add"),
        "{status}"
    );
    let warnings: Vec<&str> = status
        .lines()
        .filter(|line| line.starts_with("WARNING"))
        .collect();
    assert_eq!(warnings.len(), 1, "{status}");
    assert!(
        warnings[0].contains(&backup) && warnings[0].contains("does NOT seal tips"),
        "{status}"
    );
    assert!(status.contains("1 problem(s) found"), "{status}");
    let dutch = inbox.run(&["status", "--lang", "nl"]);
    assert!(!dutch.status.success());
    let dutch = String::from_utf8_lossy(&dutch.stdout);
    assert_eq!(
        dutch
            .lines()
            .filter(|line| line.starts_with("PROBLEEM") || line.starts_with("LET OP"))
            .count(),
        2,
        "{dutch}"
    );
}

#[cfg(unix)]
#[test]
fn keys_add_killed_after_resealing_then_run_again_finishes() {
    use std::os::unix::process::ExitStatusExt as _;
    let inbox = Inbox::new("keys-killed");
    let recipient = inbox.keygen();
    let backup_key = inbox.home.with_file_name("backup.txt");
    let backup = age_keygen(&backup_key);
    let relay = start_relay(&[recipient.clone(), backup.clone()]);
    inbox.connect(&relay);
    relay.store_tip(&tip_sealed_to(&[&recipient, &backup], "Een melding."));
    inbox.run_ok(&["pull"]);
    inbox.run_ok(&["triage", "1", "--note", "Een notitie"]);

    let killed = inbox
        .command()
        .env("FLUISTER_INBOX_TEST_KILL_AT", "resealed:1")
        .args(["keys", "add", &backup])
        .output()
        .unwrap();
    assert_eq!(killed.status.signal(), Some(9), "killed after resealing");
    // The notes were replaced whole: they open with the own key and already with the backup
    // key; the set itself was not written yet.
    assert!(inbox.run_ok(&["triage", "1"]).contains("Een notitie"));
    assert!(run_with_key(&inbox, &backup_key, None, &["triage", "1"]).contains("Een notitie"));
    assert!(!inbox.run_ok(&["keys", "list"]).contains(&backup));
    let leftovers: Vec<String> = std::fs::read_dir(&inbox.home)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Running it again finishes the change.
    inbox.run_ok(&["keys", "add", &backup]);
    assert!(inbox.run_ok(&["keys", "list"]).contains(&backup));
    assert!(run_with_key(&inbox, &backup_key, None, &["list"]).contains("Coevorden"));
}

#[test]
fn pull_names_a_tip_sealed_to_more_keys_than_the_own_set() {
    // A relay can give widgets another list of keys than the one it shows the inbox: a tip
    // sealed to a key outside the own set is named when it is pulled.
    let inbox = Inbox::new("more-readers");
    let coordinator = inbox.keygen();
    let relay = start_relay(std::slice::from_ref(&coordinator));
    inbox.connect(&relay);
    let stranger = fluister_envelope::age::Identity::generate()
        .unwrap()
        .to_recipient()
        .to_string();
    relay.store_tip(&tip_sealed_to(
        &[&coordinator],
        "Alleen voor de ketenregisseur.",
    ));
    let shared = relay
        .store_tip(&tip_sealed_to(
            &[&coordinator, &stranger],
            "Ook voor een ander.",
        ))
        .to_string();
    let pulled = inbox.run_ok(&["pull", "--lang", "en"]);
    let number: u64 = inbox
        .stored_file_names()
        .iter()
        .find(|name| name.contains(&shared))
        .map(|name| name[..6].parse().unwrap())
        .expect("the shared tip is stored");
    assert!(
        pulled.contains(&format!(
            "tip {number} is sealed to 2 keys, and your own set has 1"
        )),
        "{pulled}"
    );
    assert_eq!(pulled.matches("is sealed to").count(), 1, "{pulled}");
    // With the stranger's key in the own set, it is no longer news.
    inbox.run_ok(&["keys", "add", &stranger]);
    relay.store_tip(&tip_sealed_to(&[&coordinator, &stranger], "Nog een."));
    let again = inbox.run_ok(&["pull", "--lang", "en"]);
    assert!(!again.contains("is sealed to"), "{again}");
}
