//! The `fluister-fixture` command, run as the browser tests run it. (Running it here also makes
//! the test run build it, next to the relay and the inbox, for the browser tests to use.)

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

fn fixture(arguments: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fluister-fixture"))
        .args(arguments)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run fluister-fixture");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn printed(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .trim()
        .to_owned()
}

#[test]
fn receipt_codes_are_made_and_checked_by_the_envelope() {
    let code = printed(&fixture(&["receipt-code", "unused"], ""));
    assert!(
        fluister_envelope::receipt::ReceiptCode::parse(&code).is_ok(),
        "{code}"
    );
    assert_eq!(code.len(), 29, "{code}");
    assert!(
        fixture(&["receipt-code", "check", &code], "")
            .status
            .success()
    );
    // receipt.rs's known code: data symbols 0 to 22, check character `8`.
    let known = fixture(
        &["receipt-code", "check", "0123-4567-89AB-CDEF-GHJK-MNP8"],
        "",
    );
    assert!(known.status.success());
    let typo = printed(&fixture(&["receipt-code", "mistyped", &code], ""));
    assert_ne!(typo, code);
    assert!(
        fluister_envelope::receipt::ReceiptCode::parse(&typo).is_err(),
        "{typo}"
    );
    assert!(
        !fixture(&["receipt-code", "check", &typo], "")
            .status
            .success()
    );
    assert_eq!(fixture(&["no-such-thing"], "").status.code(), Some(2));
}

#[test]
fn relay_config_is_toml_written_from_json() {
    let toml_text = printed(&fixture(
        &["relay-config"],
        r#"{"server": {"listen": "127.0.0.1:0"}, "proof_of_work": {"difficulty": 8},
            "limits": {"mailbox_requests_per_minute": 0.01},
            "storage": {"data_dir": "/tmp/a \"quoted\" dir"},
            "widget": {"embedding_origins": ["http://127.0.0.1:4000"]}}"#,
    ));
    let table: toml::Table = toml_text.parse().unwrap();
    assert_eq!(table["server"]["listen"].as_str(), Some("127.0.0.1:0"));
    assert_eq!(table["proof_of_work"]["difficulty"].as_integer(), Some(8));
    assert_eq!(
        table["limits"]["mailbox_requests_per_minute"].as_float(),
        Some(0.01)
    );
    assert_eq!(
        table["storage"]["data_dir"].as_str(),
        Some("/tmp/a \"quoted\" dir")
    );
    assert_eq!(
        table["widget"]["embedding_origins"][0].as_str(),
        Some("http://127.0.0.1:4000")
    );
    let refused = fixture(&["relay-config"], "[1, 2]");
    assert!(!refused.status.success());
}
