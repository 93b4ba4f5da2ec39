//! Runs every official C2SP CCTV age test vector through both opening APIs (whole buffer and
//! streaming) and checks its expected outcome and the hash of the plaintext released.
//!
//! The vectors come from the npm package `cctv-age@0.2.0`; `cargo xtask test` unpacks them into
//! `target/cctv-age/`. Set `FLUISTER_CCTV_DIR` to use another copy of the same 143 files.

use std::io::Read;
use std::path::PathBuf;

use fluister_envelope::Error;
use fluister_envelope::age::{self, Identity, Unlock, armor};
use sha2::Digest;

const EXPECTED_VECTOR_COUNT: usize = 143;

struct Vector {
    name: String,
    expect: String,
    payload_sha256: Option<String>,
    identities: Vec<String>,
    passphrase: Option<String>,
    armored: bool,
    file: Vec<u8>,
}

fn vectors_dir() -> PathBuf {
    let dir = std::env::var_os("FLUISTER_CCTV_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/cctv-age"));
    assert!(
        dir.is_dir(),
        "the age test vectors are missing at {}: run `cargo xtask test` (it unpacks them from npm \
         cctv-age@0.2.0), or set FLUISTER_CCTV_DIR",
        dir.display()
    );
    dir
}

fn parse_vector(name: String, contents: &[u8]) -> Vector {
    let split = contents
        .windows(2)
        .position(|window| window == b"\n\n")
        .unwrap_or_else(|| panic!("{name}: no blank line after the header"));
    let header = std::str::from_utf8(&contents[..split]).unwrap();
    let mut file = contents[split + 2..].to_vec();
    let mut vector = Vector {
        name,
        expect: String::new(),
        payload_sha256: None,
        identities: Vec::new(),
        passphrase: None,
        armored: false,
        file: Vec::new(),
    };
    for line in header.lines() {
        let (key, value) = line.split_once(": ").unwrap();
        match key {
            "expect" => vector.expect = value.to_string(),
            "payload" => vector.payload_sha256 = Some(value.to_string()),
            "identity" => vector.identities.push(value.to_string()),
            "passphrase" => vector.passphrase = Some(value.to_string()),
            "armored" => vector.armored = value == "yes",
            "compressed" => {
                assert_eq!(value, "zlib");
                file = miniz_oxide::inflate::decompress_to_vec_zlib(&file).unwrap();
            }
            "file key" | "comment" => {}
            other => panic!("{}: unknown vector header {other}", vector.name),
        }
    }
    vector.file = file;
    vector
}

fn outcome_name(error: &Error) -> &'static str {
    match error {
        Error::InvalidHeader | Error::WorkFactorTooHigh | Error::TooLarge => "header failure",
        Error::NoMatchingIdentity => "no match",
        Error::HeaderMac => "HMAC failure",
        Error::Payload => "payload failure",
        Error::Armor => "armor failure",
        other => panic!("unexpected error kind {other:?}"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A reader that hands out odd-sized pieces, so chunk and header boundaries never line up
/// with read boundaries.
struct RaggedReader<'a> {
    data: &'a [u8],
    turn: usize,
}

impl Read for RaggedReader<'_> {
    fn read(&mut self, output: &mut [u8]) -> std::io::Result<usize> {
        const SIZES: [usize; 4] = [1, 17, 4093, 65_551];
        self.turn += 1;
        let count = SIZES[self.turn % SIZES.len()]
            .min(output.len())
            .min(self.data.len());
        output[..count].copy_from_slice(&self.data[..count]);
        self.data = &self.data[count..];
        Ok(count)
    }
}

/// Opens through the streaming reader; returns the outcome and the plaintext released.
fn open_streaming(unlock: Unlock<'_>, file: &[u8]) -> (Result<(), Error>, Vec<u8>) {
    let mut released = Vec::new();
    let reader = RaggedReader {
        data: file,
        turn: 0,
    };
    let mut plaintext_reader = match age::OpenReader::new(unlock, reader) {
        Ok(plaintext_reader) => plaintext_reader,
        Err(error) => return (Err(error), released),
    };
    let result = plaintext_reader.read_to_end(&mut released).map(|_| ());
    let result = result.map_err(|error| {
        *error
            .into_inner()
            .expect("stream errors carry an envelope error")
            .downcast::<Error>()
            .expect("stream errors carry an envelope error")
    });
    (result, released)
}

#[test]
fn official_age_test_vectors() {
    let mut entries: Vec<_> = std::fs::read_dir(vectors_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.file_name().unwrap() != "README.md")
        .collect();
    entries.sort();
    assert_eq!(
        entries.len(),
        EXPECTED_VECTOR_COUNT,
        "wrong number of vectors"
    );

    let mut passed = Vec::new();
    let mut failures = Vec::new();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let vector = parse_vector(name, &std::fs::read(&path).unwrap());

        // Every identity in the vectors is valid, X25519 and hybrid post-quantum alike.
        let identities: Vec<Identity> = vector
            .identities
            .iter()
            .map(|text| {
                text.parse()
                    .unwrap_or_else(|error| panic!("{}: identity {error}", vector.name))
            })
            .collect();
        let unlock = match &vector.passphrase {
            Some(passphrase) => Unlock::Passphrase(passphrase),
            None => Unlock::Identities(&identities),
        };

        let binary = if vector.armored {
            match armor::decode(&vector.file) {
                Ok(binary) => binary,
                Err(error) => {
                    let outcome = outcome_name(&error);
                    if outcome != vector.expect {
                        failures.push(format!("{}: armor gave {outcome}", vector.name));
                    } else {
                        passed.push(vector.name.clone());
                    }
                    continue;
                }
            }
        } else {
            vector.file.clone()
        };

        let whole = age::open_with(unlock, &binary);
        let whole_outcome = whole.as_ref().map_or_else(outcome_name, |_| "success");
        let (streamed, released) = open_streaming(unlock, &binary);
        let streamed_outcome = streamed.as_ref().map_or_else(outcome_name, |()| "success");

        let mut problems = Vec::new();
        if whole_outcome != vector.expect {
            problems.push(format!("open_with gave {whole_outcome}"));
        }
        if streamed_outcome != vector.expect {
            problems.push(format!("OpenReader gave {streamed_outcome}"));
        }
        if let Some(expected_hash) = &vector.payload_sha256 {
            let released_hash = hex(&sha2::Sha256::digest(&released));
            if &released_hash != expected_hash {
                problems.push(format!("released plaintext hash {released_hash}"));
            }
            if let Ok(plaintext) = &whole
                && &hex(&sha2::Sha256::digest(plaintext)) != expected_hash
            {
                problems.push("open_with plaintext hash differs".to_string());
            }
        }
        if problems.is_empty() {
            passed.push(vector.name.clone());
        } else {
            failures.push(format!(
                "{} (expect {}): {}",
                vector.name,
                vector.expect,
                problems.join("; ")
            ));
        }
    }

    println!(
        "age CCTV vectors: {} of {EXPECTED_VECTOR_COUNT} passed, none skipped",
        passed.len()
    );
    assert!(
        failures.is_empty(),
        "{} vectors failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        passed.len(),
        EXPECTED_VECTOR_COUNT,
        "every vector runs and passes"
    );
}
