//! Interoperability with the reference age implementation (`age`, `age-keygen` from Debian's
//! `age` package): what we seal, `age -d` opens, and what `age -e` seals, we open; tampering and
//! truncation are refused by both.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use fluister_envelope::Error;
use fluister_envelope::age::{self, Identity, Recipient, armor, parse_identity_file};

const SIZES: [usize; 6] = [0, 1, 65_535, 65_536, 65_537, 200_000];

/// A scratch directory under the system temp dir, removed on drop.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new(label: &str) -> Self {
        let mut random = [0u8; 8];
        getrandom::fill(&mut random).unwrap();
        let suffix: String = random.iter().map(|byte| format!("{byte:02x}")).collect();
        let path = std::env::temp_dir().join(format!("fluister-interop-{label}-{suffix}"));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    fn file(&self, name: &str, contents: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn reference_tool(name: &str) -> Command {
    let found = Command::new(name)
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success());
    assert!(
        found,
        "the reference `{name}` is not installed: `apt-get install age` (the CI script does)"
    );
    Command::new(name)
}

fn run(mut command: Command, stdin: &[u8]) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        // age may exit early on bad input and close its end; that is part of some tests.
        let _ = input.write_all(&stdin);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    output
}

fn reference_decrypt(identity_file: &Path, file: &[u8]) -> Output {
    let mut command = reference_tool("age");
    command
        .arg("--decrypt")
        .arg("--identity")
        .arg(identity_file);
    run(command, file)
}

fn reference_encrypt(recipients: &[Recipient], armored: bool, plaintext: &[u8]) -> Vec<u8> {
    let mut command = reference_tool("age");
    command.arg("--encrypt");
    if armored {
        command.arg("--armor");
    }
    for recipient in recipients {
        command.arg("--recipient").arg(recipient.to_string());
    }
    let output = run(command, plaintext);
    assert!(
        output.status.success(),
        "age --encrypt failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

fn test_plaintext(length: usize) -> Vec<u8> {
    (0..length).map(|index| (index * 31 % 256) as u8).collect()
}

fn identity_file(scratch: &ScratchDir, name: &str, identity: &Identity) -> PathBuf {
    let contents = format!(
        "# test identity\n{}\n",
        identity.to_secret_string().as_str()
    );
    scratch.file(name, contents.as_bytes())
}

#[test]
fn reference_age_opens_what_we_seal() {
    let scratch = ScratchDir::new("seal");
    let coordinator = Identity::generate().unwrap();
    let deputy = Identity::generate().unwrap();
    let recipients = [coordinator.to_recipient(), deputy.to_recipient()];
    let identity_files = [
        identity_file(&scratch, "coordinator.txt", &coordinator),
        identity_file(&scratch, "deputy.txt", &deputy),
    ];
    for size in SIZES {
        let plaintext = test_plaintext(size);
        let sealed = age::seal(&recipients, &plaintext).unwrap();
        let armored = armor::encode(&sealed);
        for identity_path in &identity_files {
            for (form, file) in [
                ("binary", sealed.as_slice()),
                ("armored", armored.as_bytes()),
            ] {
                let output = reference_decrypt(identity_path, file);
                assert!(
                    output.status.success(),
                    "age -d refused our {form} file of {size} bytes: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
                assert!(
                    output.stdout == plaintext,
                    "{form} {size}: plaintext differs"
                );
            }
        }
    }
}

#[test]
fn we_open_what_reference_age_seals() {
    let coordinator = Identity::generate().unwrap();
    let deputy = Identity::generate().unwrap();
    let recipients = [coordinator.to_recipient(), deputy.to_recipient()];
    for size in SIZES {
        let plaintext = test_plaintext(size);
        for armored in [false, true] {
            let sealed = reference_encrypt(&recipients, armored, &plaintext);
            let binary = if armored {
                assert!(armor::is_armored(&sealed));
                armor::decode(&sealed).unwrap()
            } else {
                sealed
            };
            for identity in [&coordinator, &deputy] {
                let opened = age::open(std::slice::from_ref(identity), &binary).unwrap();
                assert!(
                    opened == plaintext,
                    "size {size}, armored {armored}: plaintext differs"
                );
            }
        }
    }
}

#[test]
fn keys_from_age_keygen_work_both_ways() {
    let scratch = ScratchDir::new("keygen");
    let key_path = scratch.0.join("key.txt");
    let output = run(
        {
            let mut command = reference_tool("age-keygen");
            command.arg("-o").arg(&key_path);
            command
        },
        b"",
    );
    assert!(output.status.success());
    let identities = parse_identity_file(&std::fs::read_to_string(&key_path).unwrap()).unwrap();
    assert_eq!(identities.len(), 1);

    // age-keygen -y prints the recipient of an identity file; ours must agree.
    let mut command = reference_tool("age-keygen");
    command.arg("-y").arg(&key_path);
    let printed = run(command, b"");
    let reference_recipient = String::from_utf8(printed.stdout).unwrap();
    assert_eq!(
        reference_recipient.trim(),
        identities[0].to_recipient().to_string()
    );

    let sealed = age::seal(&[identities[0].to_recipient()], b"from keygen").unwrap();
    let output = reference_decrypt(&key_path, &sealed);
    assert_eq!(output.stdout, b"from keygen");
}

#[test]
fn tampered_and_truncated_files_are_refused_by_both() {
    let scratch = ScratchDir::new("tamper");
    let coordinator = Identity::generate().unwrap();
    let identity_path = identity_file(&scratch, "coordinator.txt", &coordinator);
    let plaintext = test_plaintext(70_000);
    let ours = age::seal(&[coordinator.to_recipient()], &plaintext).unwrap();
    let theirs = reference_encrypt(&[coordinator.to_recipient()], false, &plaintext);

    for (origin, sealed) in [("ours", &ours), ("reference", &theirs)] {
        let header_length = age::Header::parse(sealed).unwrap().1;
        let positions = [
            ("header", 30),
            ("MAC", header_length - 5),
            ("first chunk", header_length + 40),
            ("last chunk", sealed.len() - 3),
        ];
        for (place, index) in positions {
            let mut tampered = sealed.clone();
            tampered[index] ^= 0x20;
            assert!(
                !reference_decrypt(&identity_path, &tampered)
                    .status
                    .success(),
                "age -d accepted a {origin} file with a flipped byte in the {place}"
            );
            assert!(
                age::open(std::slice::from_ref(&coordinator), &tampered).is_err(),
                "we accepted a {origin} file with a flipped byte in the {place}"
            );
        }
        for cut in [
            header_length + 10,
            header_length + 16 + 65_536,
            sealed.len() - 1,
        ] {
            let truncated = &sealed[..cut];
            assert!(
                !reference_decrypt(&identity_path, truncated)
                    .status
                    .success(),
                "age -d accepted a {origin} file cut at {cut}"
            );
            let error = age::open(std::slice::from_ref(&coordinator), truncated).unwrap_err();
            assert!(
                matches!(error, Error::Payload | Error::InvalidHeader),
                "{origin} cut at {cut}: {error:?}"
            );
        }
    }
}
