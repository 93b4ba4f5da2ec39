//! A team of two on one relay, each with their own key, signing key and token: both get every
//! tip, each sees what the other decided (with their name), entries nobody in the team signed
//! are refused, a change made while the relay is down goes later, and a revoked member is
//! refused while the other goes on.

mod support;

use std::collections::BTreeSet;

use fluister_envelope::age::{Identity, Recipient};
use fluister_envelope::tip::{Kind, Municipality, TipDocument};
use fluister_inbox::team::{self, Change};
use fluister_inbox::triage::TriageStatus;
use fluister_protocol::TipId;
use fluister_testkit::fixtures::sealed_document;
use fluister_testkit::process::{MintedToken, mint_member_token};
use fluister_testkit::{RelayProcess, SettingsBuilder};
use support::Inbox;

/// The relay of a team: tips sealed to `recipients`, one token per member in `members`.
fn team_settings(recipients: &[String], members: &[(&str, &MintedToken)]) -> SettingsBuilder {
    let mut settings = SettingsBuilder::for_tests()
        .server("log_level", "warn")
        .recipients(recipients);
    for (label, token) in members {
        settings = settings.member(label, &token.token_sha256);
    }
    settings
}

/// The `team add …` line `fluister-inbox team` prints for `inbox`, as its words.
fn card(inbox: &Inbox) -> (String, String) {
    let shown = inbox.run_ok(&["team", "--lang", "en"]);
    let line = shown
        .lines()
        .find(|line| line.trim_start().starts_with("fluister-inbox team add"))
        .unwrap_or_else(|| panic!("no card in: {shown}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    let recipient = words
        .iter()
        .find(|word| word.starts_with("age1"))
        .expect("an age1 key");
    let signing = words
        .iter()
        .find(|word| word.starts_with("ed25519-"))
        .expect("a signing key");
    ((*recipient).to_owned(), (*signing).to_owned())
}

/// Writes a team log entry straight into the relay's database, as someone with the database
/// (the operator, a thief of a backup) could.
fn insert_into_relay_log(relay: &RelayProcess, sealed: &[u8]) {
    let hex: String = sealed.iter().map(|byte| format!("{byte:02x}")).collect();
    let output = std::process::Command::new("sqlite3")
        .arg(relay.database_path())
        .arg(format!(
            "PRAGMA busy_timeout = 5000; INSERT INTO team_log (body_sha256, received_hour, \
             ciphertext) VALUES (randomblob(32), 0, X'{hex}');"
        ))
        .output()
        .expect("run sqlite3");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_team_shares_every_tip_and_what_it_decided_and_a_revoked_member_is_refused() {
    let anna = Inbox::new("team-anna");
    let bram = Inbox::new("team-bram");
    let anna_key = anna.keygen();
    let bram_key = bram.keygen();
    let anna_token = mint_member_token("member-1");
    let bram_token = mint_member_token("member-2");
    let recipients = [anna_key.clone(), bram_key.clone()];
    let mut relay = RelayProcess::start(team_settings(
        &recipients,
        &[("member-1", &anna_token), ("member-2", &bram_token)],
    ));
    anna.connect_with_token(&relay.url(), &anna_token.token);
    bram.connect_with_token(&relay.url(), &bram_token.token);

    // A tip sealed to both, and junk sealed to a stranger's key, arrive before the two have
    // pinned each other: Bram's first pull takes nothing off the relay all the same (it has
    // tokens for two members), and keeps the junk in quarantine only.
    let mut document = TipDocument::new("In de kas aan de Zuiderweg werken kinderen.");
    document.kinds = vec![Kind::Labour];
    document.municipality = Some(Municipality::from_id("emmen"));
    let parsed: Vec<Recipient> = recipients.iter().map(|key| key.parse().unwrap()).collect();
    let tip_id = relay.store_tip(&sealed_document(&parsed, &document));
    let stranger = Identity::generate().unwrap().to_recipient();
    let junk_id = relay.store_tip(&sealed_document(&[stranger], &document));
    let first = bram.run_ok(&["pull", "--lang", "en"]);
    assert!(first.contains("1 new tip: number 1."), "{first}");
    assert!(
        first.contains("In a team they stay on the relay"),
        "{first}"
    );
    let on_relay: BTreeSet<TipId> = relay.tip_ids().into_iter().collect();
    assert_eq!(on_relay, BTreeSet::from([tip_id, junk_id]), "nothing taken");

    // Each pins the other from their card.
    let (anna_recipient, anna_signing) = card(&anna);
    let (bram_recipient, bram_signing) = card(&bram);
    assert_eq!(anna_recipient, anna_key);
    let added = anna.run_ok(&[
        "team",
        "add",
        "Bram",
        &bram_recipient,
        &bram_signing,
        "--lang",
        "en",
    ]);
    assert!(added.contains("Bram is in your team now"), "{added}");
    bram.run_ok(&["team", "add", "Anna", &anna_recipient, &anna_signing]);
    let refused = anna.run_failing(&["team", "add", "Cas", &bram_recipient, "ed25519-00"]);
    assert!(refused.contains("ondertekensleutel"), "{refused}");

    // Anna's pull leaves the tip for Bram, and the junk until someone deletes it.
    assert!(
        anna.run_ok(&["pull", "--lang", "en"])
            .contains("1 new tip: number 1.")
    );
    assert_eq!(relay.tip_ids().len(), 2, "Anna's pull took nothing");
    let deleted = bram.run_ok(&["quarantine", "--delete", "--yes", "--lang", "en"]);
    assert!(
        deleted.contains("Deleted 1 quarantined file(s)"),
        "{deleted}"
    );
    assert_eq!(
        relay.tip_ids(),
        vec![tip_id],
        "the junk is gone from the relay"
    );

    // Anna decides; Bram sees it with her name.
    let decided = anna.run_ok(&[
        "triage",
        "1",
        "--status",
        "in-progress",
        "--note",
        "Gebeld met de Arbeidsinspectie",
        "--assign",
        "Bram",
        "--lang",
        "en",
    ]);
    assert!(decided.contains("What the team did:"), "{decided}");
    assert!(decided.contains("you: status: in progress"), "{decided}");
    let synced = bram.run_ok(&["pull", "--lang", "en"]);
    assert!(
        synced.contains("Team log: 3 new entry/entries from colleagues."),
        "{synced}"
    );
    let shown = bram.run_ok(&["show", "1"]);
    for expected in [
        "in behandeling",
        "Behandeld door: Bram",
        "Wat het team deed:",
        "Anna: status: in behandeling",
        "Anna: notitie: Gebeld met de Arbeidsinspectie",
        "Anna: wordt voortaan behandeld door Bram",
    ] {
        assert!(shown.contains(expected), "{expected:?} missing in: {shown}");
    }
    let listed = bram.run_ok(&["list", "--status", "in-progress"]);
    assert_eq!(listed.lines().count(), 2, "{listed}");

    // Two changes one after the other: both in the history, the later one wins for both.
    bram.run_ok(&["triage", "1", "--status", "closed"]);
    anna.run_ok(&["triage", "1", "--to", "Politie Drenthe, AVIM"]);
    bram.run_ok(&["pull"]);
    anna.run_ok(&["pull"]);
    // Who opened the tip is on record too (to the hour): Bram's `show` above, for Anna to see.
    let shown = anna.run_ok(&["show", "1", "--lang", "en"]);
    assert!(shown.contains("Bram: opened the tip"), "{shown}");
    for (inbox, other) in [(&anna, "Bram"), (&bram, "Anna")] {
        let shown = inbox.run_ok(&["show", "1", "--lang", "en"]);
        assert!(
            shown.contains("handed over (Politie Drenthe, AVIM)"),
            "{shown}"
        );
        assert!(shown.contains("status: closed"), "{shown}");
        assert!(shown.contains(&format!("{other}:")), "{shown}");
    }

    // Entries nobody in the team signed, put straight into the relay's database, are refused:
    // one signed by an outsider's key, one with no valid signature.
    let outsider = Identity::generate().unwrap();
    let (_, by_outsider) = team::seal_entry(
        &outsider,
        &parsed,
        &tip_id.to_string(),
        Change::Status {
            status: TriageStatus::New,
            handed_over_to: None,
        },
    )
    .unwrap();
    insert_into_relay_log(&relay, &by_outsider);
    let unsigned = serde_json::json!({
        "v": 1,
        "body": format!(
            r#"{{"v":1,"id":"{}","signer":"{anna_signing}","hour":0,"tip":"{tip_id}","change":"archived"}}"#,
            "ab".repeat(16)
        ),
        "signature": "00".repeat(64),
    });
    let unsigned = fluister_envelope::age::seal(&parsed, unsigned.to_string().as_bytes()).unwrap();
    insert_into_relay_log(&relay, &unsigned);
    let pulled = anna.run_ok(&["pull", "--lang", "en"]);
    assert!(
        pulled.contains("2 team log entry/entries were not signed by a member of your team"),
        "{pulled}"
    );
    let shown = anna.run_ok(&["show", "1", "--lang", "en"]);
    assert!(shown.contains("handed over (Politie Drenthe"), "{shown}");
    assert!(!shown.contains("archived"), "{shown}");

    // A change made while the relay is down waits, and goes with the next pull.
    let settings_of_both = team_settings(
        &recipients,
        &[("member-1", &anna_token), ("member-2", &bram_token)],
    );
    relay.kill();
    let offline = anna.run_ok(&["triage", "1", "--note", "Later nog bellen", "--lang", "en"]);
    assert!(offline.contains("could not be reached"), "{offline}");
    relay.relaunch_with(settings_of_both);
    assert!(
        anna.run_ok(&["pull", "--lang", "en"])
            .contains("1 change(s) of yours that were waiting are on the relay now")
    );
    bram.run_ok(&["pull"]);
    let shown = bram.run_ok(&["show", "1"]);
    assert!(shown.contains("Anna: notitie: Later nog bellen"), "{shown}");

    // The operator revokes Bram's token: Bram is refused, Anna goes on.
    relay.relaunch_with(team_settings(&recipients, &[("member-1", &anna_token)]));
    let refused = bram.run_failing(&["pull", "--lang", "en"]);
    assert!(refused.contains("refused your token"), "{refused}");
    anna.run_ok(&["pull"]);

    // Archiving is a recorded team decision; it takes the tip off the relay, Anna keeps hers.
    let archived = anna.run_ok(&["archive", "1", "--yes", "--lang", "en"]);
    assert!(archived.contains("Tip 1 is archived"), "{archived}");
    assert!(relay.tip_ids().is_empty());
    let shown = anna.run_ok(&["show", "1", "--lang", "en"]);
    assert!(shown.contains("you: archived"), "{shown}");
    assert!(shown.contains("Zuiderweg"), "{shown}");
    let refused = anna.run_failing(&["archive", "1", "--lang", "en"]);
    assert!(refused.contains("--yes"), "{refused}");

    // The relay holds the log sealed: no note, name or status in any byte of its database.
    let dump = relay.database_dump();
    for secret in [
        "Gebeld",
        "Bram",
        "Anna",
        "Politie",
        "in_progress",
        "Later nog",
    ] {
        assert!(!dump.contains(secret), "{secret} in the relay's database");
    }
    let ids: BTreeSet<TipId> = anna.stored_relay_ids().into_iter().collect();
    assert_eq!(ids, BTreeSet::from([tip_id]));
}
