//! `fluister-fixture`: Rust's formats for the JavaScript tests (the browser tests and the age
//! differential test), so that no JavaScript test writes one by hand.
//!
//! ```text
//! fluister-fixture receipt-code unused          a well-formed code nobody used
//! fluister-fixture receipt-code mistyped CODE   CODE with one character changed (a typo)
//! fluister-fixture receipt-code check CODE      exit 0 if CODE is a code as the widget shows it
//! fluister-fixture relay-config < SETTINGS.json the relay's TOML config for these settings
//! fluister-fixture age keygen x25519|hybrid     a new identity, then its recipient
//! fluister-fixture age keys < KEYS              each line's key as the envelope reads it
//! fluister-fixture age seal [--armor] RECIPIENT... < PLAINTEXT > FILE
//! fluister-fixture age seal-passphrase [--armor] WORK_FACTOR PASSPHRASE < PLAINTEXT > FILE
//! fluister-fixture age open [--armor] (--identity KEY... | --passphrase PASSPHRASE) -- FILE...
//!                                               per file: `success SHA256` or `failure STAGE`
//! ```
//!
//! The `age` commands are the envelope's side of the differential test against the JavaScript
//! age implementation (`tests/differential/`): the envelope seals and opens, the test compares.

use std::io::{Read as _, Write as _};
use std::process::ExitCode;

use fluister_envelope::age::{self, Identity, Recipient, Unlock};
use fluister_testkit::SettingsBuilder;
use fluister_testkit::fixtures::{
    is_shown_receipt_code, mistyped_receipt_code, unused_receipt_code,
};
use sha2::Digest as _;

const USAGE: &str = "usage: fluister-fixture receipt-code unused | receipt-code mistyped CODE | \
                     receipt-code check CODE | relay-config < SETTINGS.json | age keygen KIND | \
                     age keys < KEYS | age seal [--armor] RECIPIENT... | \
                     age seal-passphrase [--armor] WORK_FACTOR PASSPHRASE | \
                     age open [--armor] (--identity KEY... | --passphrase PASSPHRASE) -- FILE...";

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
        ["age", age_arguments @ ..] => match age_command(age_arguments) {
            Ok(()) => {}
            Err(AgeCommandError::Usage) => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
            Err(AgeCommandError::Failed(problem)) => {
                eprintln!("fluister-fixture age: {problem}");
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

/// Why an `age` command did not do its work.
enum AgeCommandError {
    /// The arguments do not fit any `age` command.
    Usage,
    /// The command could not read, write or seal; the message says why.
    Failed(String),
}

impl From<fluister_envelope::Error> for AgeCommandError {
    fn from(error: fluister_envelope::Error) -> Self {
        AgeCommandError::Failed(format!("{error} ({error:?})"))
    }
}

impl From<std::io::Error> for AgeCommandError {
    fn from(error: std::io::Error) -> Self {
        AgeCommandError::Failed(error.to_string())
    }
}

/// The envelope's age, for the differential test against another implementation.
fn age_command(arguments: &[&str]) -> Result<(), AgeCommandError> {
    let (armored, arguments) = match arguments {
        [command, "--armor", rest @ ..] => (true, [&[*command], rest].concat()),
        _ => (false, arguments.to_vec()),
    };
    match (arguments.as_slice(), armored) {
        (["keygen", kind], false) => {
            let identity = match *kind {
                "x25519" => Identity::generate()?,
                "hybrid" => Identity::generate_hybrid()?,
                _ => return Err(AgeCommandError::Usage),
            };
            println!("{}", identity.to_secret_string().as_str());
            println!("{}", identity.to_recipient());
        }
        (["keys"], false) => describe_keys()?,
        (["seal", recipients @ ..], _) if !recipients.is_empty() => {
            let recipients = recipients
                .iter()
                .map(|text| text.parse::<Recipient>())
                .collect::<Result<Vec<_>, _>>()?;
            let sealed = age::seal(&recipients, &read_standard_input()?)?;
            write_sealed(&sealed, armored)?;
        }
        (["seal-passphrase", work_factor, passphrase], _) => {
            let work_factor: u8 = work_factor.parse().map_err(|_| AgeCommandError::Usage)?;
            let sealed =
                age::seal_with_passphrase(passphrase, work_factor, &read_standard_input()?)?;
            write_sealed(&sealed, armored)?;
        }
        (["open", rest @ ..], _) => {
            let separator = rest
                .iter()
                .position(|argument| *argument == "--")
                .ok_or(AgeCommandError::Usage)?;
            let (keys, files) = (&rest[..separator], &rest[separator + 1..]);
            match keys {
                ["--passphrase", passphrase] => {
                    open_files(Unlock::Passphrase(passphrase), armored, files)?;
                }
                _ => {
                    let identities = keys
                        .chunks(2)
                        .map(|pair| match pair {
                            ["--identity", text] => Ok(text.parse::<Identity>()?),
                            _ => Err(AgeCommandError::Usage),
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    open_files(Unlock::Identities(&identities), armored, files)?;
                }
            }
        }
        _ => return Err(AgeCommandError::Usage),
    }
    Ok(())
}

fn read_standard_input() -> Result<Vec<u8>, AgeCommandError> {
    let mut input = Vec::new();
    std::io::stdin().read_to_end(&mut input)?;
    Ok(input)
}

fn write_sealed(sealed: &[u8], armored: bool) -> Result<(), AgeCommandError> {
    let mut output = std::io::stdout().lock();
    if armored {
        output.write_all(age::armor::encode(sealed).as_bytes())?;
    } else {
        output.write_all(sealed)?;
    }
    output.flush()?;
    Ok(())
}

/// For each line of standard input, one line: `identity RECIPIENT` for an identity (with the
/// recipient the envelope derives from it), `recipient RECIPIENT` for a recipient (as the
/// envelope writes it back), or `refused` for neither.
fn describe_keys() -> Result<(), AgeCommandError> {
    let input = String::from_utf8(read_standard_input()?)
        .map_err(|_| AgeCommandError::Failed("the keys are not UTF-8".into()))?;
    let mut output = std::io::stdout().lock();
    for line in input.lines() {
        if let Ok(identity) = line.parse::<Identity>() {
            writeln!(output, "identity {}", identity.to_recipient())?;
        } else if let Ok(recipient) = line.parse::<Recipient>() {
            writeln!(output, "recipient {recipient}")?;
        } else {
            writeln!(output, "refused")?;
        }
    }
    output.flush()?;
    Ok(())
}

/// Opens each file and prints one line for it, in order: `success SHA256` (the plaintext's
/// hash, in hex) or `failure STAGE` (the envelope's error, which names the stage only).
fn open_files(unlock: Unlock<'_>, armored: bool, files: &[&str]) -> Result<(), AgeCommandError> {
    let mut output = std::io::stdout().lock();
    for path in files {
        let file = std::fs::read(path)
            .map_err(|error| AgeCommandError::Failed(format!("reading {path}: {error}")))?;
        let opened = if armored {
            age::armor::decode(&file).and_then(|binary| age::open_with(unlock, &binary))
        } else {
            age::open_with(unlock, &file)
        };
        match opened {
            Ok(plaintext) => {
                let digest: String = sha2::Sha256::digest(&plaintext)
                    .iter()
                    .map(|byte| format!("{byte:02x}"))
                    .collect();
                writeln!(output, "success {digest}")?;
            }
            Err(error) => writeln!(output, "failure {error:?}")?,
        }
    }
    output.flush()?;
    Ok(())
}
