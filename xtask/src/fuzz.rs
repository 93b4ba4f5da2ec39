//! `cargo xtask fuzz [TARGET] [SECONDS]`: the fuzz targets in `fuzz/` (cargo-fuzz, libFuzzer,
//! nightly), each seeded from the official age vectors and the examples in `fuzz/seeds/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{TaskResult, have_program, run_command, step, target_dir, workspace_root};

/// Every fuzz target, as named in `fuzz/Cargo.toml`.
pub const TARGETS: [&str; 8] = [
    "age_header",
    "age_armor",
    "age_open",
    "tip_document",
    "mailbox_message",
    "receipt_code",
    "relay_settings",
    "relay_request",
];

/// How long `cargo xtask fuzz` runs each target when no time is given.
const DEFAULT_SECONDS: u64 = 60;

/// The targets that need the fuzz crate's `relay` feature (the relay's library, minutes of
/// building); the smoke run in `cargo xtask test` leaves them out.
const RELAY_TARGETS: [&str; 2] = ["relay_settings", "relay_request"];

/// How long `cargo xtask test` runs each target: a smoke test that every target builds, reads
/// its seeds and survives a few hundred thousand inputs, not a search.
pub const SMOKE_SECONDS: u64 = 4;

/// Longest time one input may take before libFuzzer calls it a hang.
const INPUT_TIMEOUT_SECONDS: u64 = 10;

pub fn run(arguments: &[String]) -> TaskResult {
    let (targets, seconds) = match arguments {
        [] => (TARGETS.to_vec(), DEFAULT_SECONDS),
        [target] => (vec![known_target(target)?], DEFAULT_SECONDS),
        [target, seconds] => {
            let seconds = seconds
                .parse()
                .map_err(|_| format!("`{seconds}` is not a number of seconds"))?;
            let targets = if target == "all" {
                TARGETS.to_vec()
            } else {
                vec![known_target(target)?]
            };
            (targets, seconds)
        }
        _ => return Err("usage: cargo xtask fuzz [TARGET|all] [SECONDS]".into()),
    };
    run_targets(
        &targets,
        seconds,
        cctv_dir().as_deref(),
        Features::WithRelay,
    )
}

/// Runs every target but the relay's for [`SMOKE_SECONDS`], with the age vectors in `vectors`
/// as seeds.
pub fn smoke(vectors: &Path) -> TaskResult {
    let targets: Vec<&str> = TARGETS
        .into_iter()
        .filter(|target| !RELAY_TARGETS.contains(target))
        .collect();
    run_targets(
        &targets,
        SMOKE_SECONDS,
        Some(vectors),
        Features::EnvelopeOnly,
    )
}

/// Which of the fuzz crate's targets are built.
#[derive(Clone, Copy, PartialEq)]
enum Features {
    /// All of them, with the relay's library.
    WithRelay,
    /// The envelope's only.
    EnvelopeOnly,
}

impl Features {
    fn arguments(self) -> &'static [&'static str] {
        match self {
            Features::WithRelay => &["--debug-assertions", "--features", "relay"],
            Features::EnvelopeOnly => &["--debug-assertions"],
        }
    }
}

fn known_target(name: &str) -> Result<&'static str, String> {
    TARGETS
        .iter()
        .find(|target| **target == name)
        .copied()
        .ok_or_else(|| {
            format!(
                "no fuzz target `{name}`; the targets: {}",
                TARGETS.join(", ")
            )
        })
}

/// The age vectors, if `FLUISTER_CCTV_DIR` names them or `cargo xtask test` unpacked them.
fn cctv_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("FLUISTER_CCTV_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("cctv-age"));
    if dir.is_dir() {
        Some(dir)
    } else {
        println!(
            "(no age vectors at {}: the age targets start from fuzz/seeds only; \
             `cargo xtask test` unpacks them, or set FLUISTER_CCTV_DIR)",
            dir.display()
        );
        None
    }
}

fn run_targets(
    targets: &[&str],
    seconds: u64,
    vectors: Option<&Path>,
    features: Features,
) -> TaskResult {
    if !have_program("cargo-fuzz", "--version") {
        return Err("cargo-fuzz is missing: `cargo install cargo-fuzz --locked`".into());
    }
    step("Fuzz targets (cargo-fuzz, nightly, release with debug assertions)");
    run_command(cargo_fuzz().arg("build").args(features.arguments()))?;
    for target in targets {
        step(&format!("Fuzzing {target} for {seconds} s"));
        let corpus = workspace_root().join("fuzz/corpus").join(target);
        std::fs::create_dir_all(&corpus)
            .map_err(|error| format!("cannot create {}: {error}", corpus.display()))?;
        let generated_seeds = generated_seeds(target, vectors)?;
        run_command(
            cargo_fuzz()
                .arg("run")
                .args(features.arguments())
                .arg(target)
                .arg(&corpus)
                .arg(workspace_root().join("fuzz/seeds").join(target))
                .arg(&generated_seeds)
                .arg("--")
                .arg(format!("-max_total_time={seconds}"))
                .arg(format!("-timeout={INPUT_TIMEOUT_SECONDS}"))
                .arg("-print_final_stats=1"),
        )
        .map_err(|error| {
            format!(
                "{error}\nthe input that failed is in fuzz/artifacts/{target}/; \
                 make it a regression test in the envelope's tests"
            )
        })?;
    }
    Ok(())
}

/// `cargo +nightly fuzz` in `fuzz/`, through rustup so that the nightly toolchain is used
/// whichever toolchain runs xtask.
fn cargo_fuzz() -> Command {
    let mut command = Command::new("cargo");
    command
        .args(["+nightly", "fuzz"])
        .current_dir(workspace_root().join("fuzz"))
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("CARGO")
        .env_remove("RUSTC")
        .env_remove("RUSTDOC");
    command
}

/// Fills `target/fuzz-seeds/TARGET` with seeds made at run time: the files of the age vectors
/// (for the age targets) and the relay's example config. Returns the directory.
fn generated_seeds(target: &str, vectors: Option<&Path>) -> Result<PathBuf, String> {
    let dir = target_dir().join("fuzz-seeds").join(target);
    std::fs::create_dir_all(&dir)
        .map_err(|error| format!("cannot create {}: {error}", dir.display()))?;
    let write = |name: &str, contents: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, contents)
            .map_err(|error| format!("cannot write {}: {error}", path.display()))
    };
    if target == "relay_settings" {
        let example = workspace_root().join("relay-server/src/example-config.toml");
        let text = std::fs::read(&example)
            .map_err(|error| format!("cannot read {}: {error}", example.display()))?;
        write("example-config.toml", &text)?;
    }
    let Some(vectors) = vectors else {
        return Ok(dir);
    };
    if !matches!(target, "age_header" | "age_armor" | "age_open") {
        return Ok(dir);
    }
    let entries = std::fs::read_dir(vectors)
        .map_err(|error| format!("cannot read {}: {error}", vectors.display()))?;
    for entry in entries {
        let path = entry.map_err(|error| error.to_string())?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let Ok(contents) = std::fs::read(&path) else {
            continue;
        };
        let Some(vector) = VectorFile::parse(&contents) else {
            continue;
        };
        match target {
            "age_armor" if vector.armored => write(&name, vector.file)?,
            "age_header" if !vector.armored => write(&name, vector.file)?,
            // Shape byte 0: the whole file, opened with the target's identity.
            "age_open" if !vector.armored => write(&name, &[&[0u8], vector.file].concat())?,
            _ => {}
        }
    }
    Ok(dir)
}

/// The file inside one age test vector (after its header of `key: value` lines and a blank
/// line), when it is stored as is; compressed vectors are left out (xtask has no inflater).
struct VectorFile<'a> {
    armored: bool,
    file: &'a [u8],
}

impl<'a> VectorFile<'a> {
    fn parse(contents: &'a [u8]) -> Option<Self> {
        let split = contents.windows(2).position(|window| window == b"\n\n")?;
        let header = std::str::from_utf8(&contents[..split]).ok()?;
        if !header.starts_with("expect: ") || header.contains("\ncompressed: ") {
            return None;
        }
        Some(Self {
            armored: header.contains("\narmored: yes"),
            file: &contents[split + 2..],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_is_a_bin_of_the_fuzz_crate_with_seeds() {
        let manifest = std::fs::read_to_string(workspace_root().join("fuzz/Cargo.toml")).unwrap();
        for target in TARGETS {
            assert!(
                manifest.contains(&format!("name = \"{target}\"")),
                "{target} is not in fuzz/Cargo.toml"
            );
            assert!(
                workspace_root()
                    .join("fuzz/fuzz_targets")
                    .join(format!("{target}.rs"))
                    .is_file()
            );
            assert!(workspace_root().join("fuzz/seeds").join(target).is_dir());
        }
        assert_eq!(manifest.matches("[[bin]]").count(), TARGETS.len());
    }

    #[test]
    fn vector_files_are_found_after_their_header() {
        let vector = VectorFile::parse(b"expect: success\narmored: yes\n\n-----BEGIN").unwrap();
        assert!(vector.armored);
        assert_eq!(vector.file, b"-----BEGIN");
        assert!(VectorFile::parse(b"expect: success\ncompressed: zlib\n\nxx").is_none());
        assert!(VectorFile::parse(b"# README\n\ntext").is_none());
    }
}
