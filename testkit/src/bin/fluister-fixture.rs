//! `fluister-fixture`: Rust's formats for the browser tests, so that no JavaScript test writes
//! one by hand.
//!
//! ```text
//! fluister-fixture receipt-code unused          a well-formed code nobody used
//! fluister-fixture receipt-code mistyped CODE   CODE with one character changed (a typo)
//! fluister-fixture receipt-code check CODE      exit 0 if CODE is a code as the widget shows it
//! fluister-fixture relay-config < SETTINGS.json the relay's TOML config for these settings
//! ```

use std::io::Read as _;
use std::process::ExitCode;

use fluister_testkit::SettingsBuilder;
use fluister_testkit::fixtures::{
    is_shown_receipt_code, mistyped_receipt_code, unused_receipt_code,
};

const USAGE: &str = "usage: fluister-fixture receipt-code unused | receipt-code mistyped CODE | \
                     receipt-code check CODE | relay-config < SETTINGS.json";

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let arguments: Vec<&str> = arguments.iter().map(String::as_str).collect();
    match arguments.as_slice() {
        ["receipt-code", "unused"] => println!("{}", unused_receipt_code()),
        ["receipt-code", "mistyped", code] => println!("{}", mistyped_receipt_code(code)),
        ["receipt-code", "check", code] => {
            if !is_shown_receipt_code(code) {
                eprintln!("not a receipt code as the widget shows one: {code}");
                return ExitCode::FAILURE;
            }
        }
        ["relay-config"] => match relay_config() {
            Ok(toml) => print!("{toml}"),
            Err(problem) => {
                eprintln!("fluister-fixture relay-config: {problem}");
                return ExitCode::FAILURE;
            }
        },
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}

/// Reads a JSON object of sections from standard input and writes it as the relay's config.
fn relay_config() -> Result<String, String> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|error| format!("reading standard input: {error}"))?;
    let json: serde_json::Value =
        serde_json::from_str(&input).map_err(|error| format!("not JSON: {error}"))?;
    Ok(SettingsBuilder::empty().merge_json(&json)?.to_toml())
}
