//! The coordinator, not the relay, decides who reads: `connect` shows the relay's keys with
//! their fingerprints and pins only what the coordinator confirms, `embed-snippet` pins the
//! loader and the own set in the municipality's tag, and a reader added on the relay afterwards
//! is a problem for `status`, reads no reply, and (in the browser test
//! `tests/browser/pinning.test.mjs`) gets no tip from a page with the tag.

mod support;

use std::io::Write as _;
use std::process::Stdio;

use base64::Engine as _;
use fluister_envelope::pin;
use fluister_testkit::{RelayProcess, TemporaryDirectory};
use sha2::{Digest, Sha256, Sha384};
use support::{Inbox, age_keygen, relay_settings};

/// A widget bundle as far as the loader goes: `/embed.js` and the same bytes under the
/// versioned name the build gives it.
fn widget_assets(directory: &TemporaryDirectory, loader: &[u8]) {
    std::fs::create_dir_all(directory.join("w")).unwrap();
    std::fs::write(directory.join("embed.js"), loader).unwrap();
    let short: String = Sha256::digest(loader)[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    std::fs::write(directory.join(format!("w/embed-{short}.js")), loader).unwrap();
}

/// Runs `connect` against `relay`, answering `answer` on standard input (not a terminal, so the
/// inbox must not ask).
fn connect_answering(inbox: &Inbox, relay: &RelayProcess, answer: &str) -> String {
    let token_file = inbox.home.with_file_name("token.txt");
    std::fs::write(&token_file, format!("{}\n", relay.coordinator_token())).unwrap();
    let mut child = inbox
        .command()
        .args([
            "--lang",
            "en",
            "connect",
            "--relay",
            &relay.url(),
            "--token-file",
        ])
        .arg(&token_file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(answer.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    printed
}

#[test]
fn connect_shows_fingerprints_and_pins_nothing_unconfirmed_and_the_tag_pins_the_own_set() {
    let inbox = Inbox::new("pinning");
    let own = inbox.keygen();
    let backup = age_keygen(&inbox.home.with_file_name("backup.txt"));
    let assets = TemporaryDirectory::new("pinning-assets");
    let loader = b"/* the loader */ (function () {})();\n";
    widget_assets(&assets, loader);
    let relay = RelayProcess::start(
        relay_settings(&[own.clone(), backup.clone()]).assets_dir(assets.path()),
    );

    // The relay lists the backup key too. Without a terminal nothing is pinned, but both keys
    // are shown with their fingerprints, and how to pin one is said.
    let connected = connect_answering(&inbox, &relay, "yes\n");
    assert!(
        connected.contains(&pin::key_fingerprint(&own)),
        "{connected}"
    );
    assert!(
        connected.contains(&pin::key_fingerprint(&backup)),
        "{connected}"
    );
    assert!(
        connected.contains("NOT in your own set of keys"),
        "{connected}"
    );
    assert!(connected.contains("keys add"), "{connected}");
    let keys = inbox.run_ok(&["keys", "list"]);
    assert!(
        !keys.contains(&backup),
        "pinned without confirmation: {keys}"
    );

    // While the relay seals to a key the own set lacks, there is no tag to give out.
    let refused = inbox.run_failing(&["--lang", "en", "embed-snippet"]);
    assert!(refused.contains(&backup), "{refused}");
    assert!(refused.contains("would send nothing"), "{refused}");

    // Pinned by hand, the sets agree, and the tag pins the loader and the set.
    inbox.run_ok(&["keys", "add", &backup, "--name", "reservesleutel"]);
    let output = inbox.run(&[
        "--lang",
        "en",
        "embed-snippet",
        "--municipality",
        "assen",
        "--form-lang",
        "pl",
    ]);
    assert!(output.status.success(), "{output:?}");
    let tag = String::from_utf8(output.stdout).unwrap();
    let explained = String::from_utf8(output.stderr).unwrap();
    let short: String = Sha256::digest(loader)[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    assert!(
        tag.starts_with(&format!(
            "<script src=\"{}/w/embed-{short}.js\"",
            relay.url()
        )),
        "{tag}"
    );
    let integrity = format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha384::digest(loader))
    );
    assert!(tag.contains(&format!("integrity=\"{integrity}\"")), "{tag}");
    assert!(tag.contains("crossorigin=\"anonymous\""), "{tag}");
    let fingerprint = pin::set_fingerprint([backup.as_str(), own.as_str()]);
    assert!(
        tag.contains(&format!("data-recipients=\"{fingerprint}\"")),
        "{tag}"
    );
    assert!(tag.contains("data-municipality=\"assen\""), "{tag}");
    assert!(tag.contains("data-lang=\"pl\""), "{tag}");
    // Standard output is the tag alone, to copy; what it pins goes to standard error.
    assert_eq!(
        tag.trim_end().lines().last(),
        Some("        async></script>")
    );
    assert!(
        explained.contains(&pin::key_fingerprint(&backup)) && explained.contains("reservesleutel"),
        "{explained}"
    );

    // Bad presets are refused by name.
    let unknown = inbox.run_failing(&[
        "--lang",
        "en",
        "embed-snippet",
        "--municipality",
        "atlantis",
    ]);
    assert!(
        unknown.contains("atlantis") && unknown.contains("assen"),
        "{unknown}"
    );
    let language = inbox.run_failing(&["--lang", "en", "embed-snippet", "--form-lang", "xx"]);
    assert!(
        language.contains("'xx'") && language.contains("bg"),
        "{language}"
    );
}

#[test]
fn a_loader_that_differs_under_its_versioned_name_gives_no_tag() {
    let inbox = Inbox::new("pinning-loader");
    let own = inbox.keygen();
    let assets = TemporaryDirectory::new("pinning-loader-assets");
    widget_assets(&assets, b"/* one loader */\n");
    // The relay serves other bytes as /embed.js than under the versioned name.
    std::fs::write(assets.join("embed.js"), b"/* another loader */\n").unwrap();
    let relay = RelayProcess::start(relay_settings(&[own]).assets_dir(assets.path()));
    inbox.connect(&relay);
    let refused = inbox.run_failing(&["--lang", "en", "embed-snippet"]);
    assert!(refused.contains("fixed name"), "{refused}");
}

#[test]
fn a_reader_added_on_the_relay_after_connect_is_a_problem_for_status_and_pull() {
    // (That such a key opens no reply is `conversation.rs`'
    // `coordinator_asks_and_reporter_answers_threaded_under_the_tip`: replies are sealed to the
    // reporter and the own set only.)
    let inbox = Inbox::new("pinning-added");
    let own = inbox.keygen();
    let settings = relay_settings(std::slice::from_ref(&own));
    let mut relay = RelayProcess::start(settings.clone());
    inbox.connect(&relay);
    inbox.run_ok(&["status"]);

    // The operator adds a key of their own and restarts the relay on the same address and data.
    let intruder = age_keygen(&inbox.home.with_file_name("intruder.txt"));
    relay.relaunch_with(settings.recipients(&[own.clone(), intruder.clone()]));
    let status = inbox.run(&["--lang", "en", "status"]);
    assert!(!status.status.success());
    let printed = String::from_utf8_lossy(&status.stdout);
    let flagged = |printed: &str| {
        printed
            .lines()
            .any(|line| line.starts_with("PROBLEM") && line.contains(&intruder))
    };
    assert!(flagged(&printed), "{printed}");
    let pulled = inbox.run_ok(&["--lang", "en", "pull"]);
    assert!(flagged(&pulled), "{pulled}");
    // And no tag is given out for a page while it lasts.
    let refused = inbox.run_failing(&["--lang", "en", "embed-snippet"]);
    assert!(refused.contains(&intruder), "{refused}");
}
