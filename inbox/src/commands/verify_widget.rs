//! `verify-widget`: compares every file of the widget the relay serves with the manifest of a
//! release (`widget-manifest.json`, written by `cargo xtask widget`), as a browser gets them:
//! the plain bytes, and the brotli copy decompressed. Any difference is a problem.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read as _;
use std::path::{Path, PathBuf};

use fluister_protocol::codec::encode_hex;
use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use crate::error::{Error, Result};
use crate::home::InboxHome;
use crate::msg;
use crate::relay::{Connection, RelayClient, ServedFile};

/// The file name of the manifest, in the bundle and next to the program in a release.
pub const MANIFEST_FILE_NAME: &str = "widget-manifest.json";

/// The manifest format this inbox reads.
const MANIFEST_FORMAT: &str = "fluister-widget-manifest-1";

/// The largest manifest read (a real one is a few kilobytes).
const MAX_MANIFEST_BYTES: u64 = 1024 * 1024;

/// The most files a manifest may list (a real one lists a few dozen).
const MAX_ASSETS: usize = 1000;

/// The largest file a manifest may list (the form's wasm module is well under a megabyte).
const MAX_ASSET_BYTES: u64 = 32 * 1024 * 1024;

/// What `cargo xtask widget` writes (`widget/tools/package.mjs`).
#[derive(Debug, Deserialize)]
struct Manifest {
    format: String,
    fluister: String,
    release_build: bool,
    #[serde(default)]
    deviations: Vec<String>,
    #[serde(default)]
    tools: BTreeMap<String, String>,
    assets: Vec<ManifestAsset>,
}

/// One address the relay serves, with the SHA-256 and size of its bytes.
#[derive(Debug, Deserialize)]
struct ManifestAsset {
    path: String,
    sha256: String,
    size: u64,
}

/// The manifest given with `--manifest`, or else `widget-manifest.json` next to this program
/// (where a release puts it).
pub fn default_manifest_path() -> Option<PathBuf> {
    let beside = std::env::current_exe()
        .ok()?
        .parent()?
        .join(MANIFEST_FILE_NAME);
    beside.is_file().then_some(beside)
}

/// Fetches every file the manifest at `manifest_path` (else [`default_manifest_path`]) lists
/// from the relay of the inbox at `home`, and compares. Fails with [`Error::Problems`] if any
/// file differs, is missing or cannot be fetched (each is printed).
pub fn run(home: &InboxHome, manifest_path: Option<&Path>) -> Result<()> {
    let manifest_path = match manifest_path {
        Some(path) => path.to_path_buf(),
        None => default_manifest_path()
            .ok_or_else(|| Error::Usage(msg!("verify_widget.no_manifest")))?,
    };
    let mut manifest = read_manifest(&manifest_path)?;
    // The manifest's words are printed: cleaned first, like a relay's.
    manifest.fluister = printable(&manifest.fluister, 40);
    manifest.deviations = manifest
        .deviations
        .iter()
        .take(20)
        .map(|deviation| printable(deviation, 200))
        .collect();
    let connection = Connection::load(home)?;
    let client = RelayClient::new(&connection);

    println!(
        "{}",
        msg!(
            "verify_widget.comparing",
            address = client.relay_url(),
            manifest = manifest_path.display(),
            version = manifest.fluister,
            count = manifest.assets.len()
        )
    );
    if !manifest.release_build {
        println!(
            "{} {}",
            msg!("status.mark.warning"),
            msg!(
                "verify_widget.not_a_release",
                reasons = manifest.deviations.join("; ")
            )
        );
    }
    if let Some(rustc) = manifest.tools.get("rustc") {
        println!(
            "        {}",
            msg!("verify_widget.built_with", tools = printable(rustc, 100))
        );
    }

    let mut problems = 0;
    for asset in &manifest.assets {
        let mut asset_problems = Vec::new();
        for accept_brotli in [false, true] {
            let served = client.widget_file(&asset.path, accept_brotli, asset.size)?;
            if let Err(problem) = compare(asset, &served, accept_brotli) {
                asset_problems.push(problem);
            }
        }
        if asset_problems.is_empty() {
            println!("{} {}", msg!("status.mark.ok"), asset.path);
        } else {
            problems += asset_problems.len();
            for problem in asset_problems {
                println!("{} {}: {problem}", msg!("status.mark.problem"), asset.path);
            }
        }
    }
    if problems == 0 {
        println!(
            "{}",
            msg!(
                "verify_widget.all_same",
                count = manifest.assets.len(),
                version = manifest.fluister
            )
        );
        Ok(())
    } else {
        println!("\n{}", msg!("verify_widget.mismatch_advice"));
        Err(Error::Problems(problems))
    }
}

/// `text` without control or bidirectional characters, at most `max_chars` long.
fn printable(text: &str, max_chars: usize) -> String {
    crate::render::sanitise(text, false)
        .chars()
        .take(max_chars)
        .collect()
}

/// Compares one answer of the relay with the manifest's entry: a problem as a sentence.
fn compare(
    asset: &ManifestAsset,
    served: &ServedFile,
    accept_brotli: bool,
) -> std::result::Result<(), String> {
    let variant = if accept_brotli {
        msg!("verify_widget.variant.brotli")
    } else {
        msg!("verify_widget.variant.plain")
    };
    if served.status != 200 {
        return Err(msg!(
            "verify_widget.not_served",
            variant = variant,
            status = served.status
        ));
    }
    let bytes = match served.content_encoding.as_deref() {
        None | Some("identity") => served.body.clone(),
        Some("br") if accept_brotli => {
            let mut decoded = Vec::new();
            let decompressor = brotli_decompressor::Decompressor::new(&served.body[..], 64 * 1024);
            if decompressor
                .take(asset.size.saturating_add(1))
                .read_to_end(&mut decoded)
                .is_err()
            {
                return Err(msg!("verify_widget.brotli_broken", variant = variant));
            }
            decoded
        }
        Some(other) => {
            return Err(msg!(
                "verify_widget.unexpected_encoding",
                variant = variant,
                encoding = other
            ));
        }
    };
    if bytes.len() as u64 > asset.size {
        return Err(msg!(
            "verify_widget.too_long",
            variant = variant,
            size = asset.size
        ));
    }
    let sha256 = encode_hex(&Sha256::digest(&bytes));
    if sha256 != asset.sha256 || bytes.len() as u64 != asset.size {
        return Err(msg!(
            "verify_widget.different",
            variant = variant,
            served = sha256,
            size = bytes.len(),
            expected = asset.sha256,
            expected_size = asset.size
        ));
    }
    Ok(())
}

/// Reads and checks the manifest: its format, and every entry's address, hash and size.
fn read_manifest(path: &Path) -> Result<Manifest> {
    let file = std::fs::File::open(path)
        .map_err(|error| Error::io(msg!("io.cannot_read", file = path.display()), error))?;
    let mut bytes = Vec::new();
    file.take(MAX_MANIFEST_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| Error::io(msg!("io.cannot_read", file = path.display()), error))?;
    let invalid = |reason: String| {
        Error::Usage(msg!(
            "verify_widget.manifest_invalid",
            file = path.display(),
            reason = reason
        ))
    };
    if bytes.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(invalid(msg!(
            "verify_widget.manifest_too_large",
            limit = MAX_MANIFEST_BYTES
        )));
    }
    let manifest: Manifest =
        serde_json::from_slice(&bytes).map_err(|source| Error::Unreadable {
            message: msg!("verify_widget.manifest_unreadable", file = path.display()),
            source,
        })?;
    if manifest.format != MANIFEST_FORMAT {
        return Err(invalid(msg!(
            "verify_widget.manifest_format",
            format = printable(&manifest.format, 60)
        )));
    }
    if manifest.assets.is_empty() || manifest.assets.len() > MAX_ASSETS {
        return Err(invalid(msg!(
            "verify_widget.manifest_count",
            limit = MAX_ASSETS
        )));
    }
    let mut seen = BTreeSet::new();
    for asset in &manifest.assets {
        let shown = printable(&asset.path, 200);
        if !is_widget_address(&asset.path) {
            return Err(invalid(msg!("verify_widget.manifest_path", path = shown)));
        }
        if !seen.insert(asset.path.as_str()) {
            return Err(invalid(msg!("verify_widget.manifest_twice", path = shown)));
        }
        if asset.sha256.len() != 64
            || !asset
                .sha256
                .bytes()
                .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
        {
            return Err(invalid(msg!("verify_widget.manifest_hash", path = shown)));
        }
        if asset.size > MAX_ASSET_BYTES {
            return Err(invalid(msg!(
                "verify_widget.manifest_size",
                path = shown,
                limit = MAX_ASSET_BYTES
            )));
        }
    }
    Ok(manifest)
}

/// Whether `path` is an address the relay serves the widget at: `/embed.js`, `/w/`,
/// `/w/?lang=<code>`, or `/w/<file name>` of letters, digits, `.`, `_` and `-`. Nothing else is
/// ever fetched, so a manifest cannot send this inbox elsewhere on the relay or beyond it.
fn is_widget_address(path: &str) -> bool {
    let is_name_character =
        |character: char| character.is_ascii_alphanumeric() || matches!(character, '.' | '_' | '-');
    if path == "/embed.js" || path == "/w/" {
        return true;
    }
    if let Some(language) = path.strip_prefix("/w/?lang=") {
        return (2..=8).contains(&language.len())
            && language.chars().all(|c| c.is_ascii_lowercase() || c == '-');
    }
    match path.strip_prefix("/w/") {
        Some(name) => {
            !name.is_empty()
                && name.len() <= 200
                && !name.starts_with('.')
                && name.chars().all(is_name_character)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_widget_addresses_are_fetched() {
        for good in [
            "/embed.js",
            "/w/",
            "/w/?lang=pl",
            "/w/index-nl.html",
            "/w/widget-0123456789abcdef_bg.wasm",
        ] {
            assert!(is_widget_address(good), "{good}");
        }
        for bad in [
            "",
            "/",
            "/api/v1/tips",
            "/w/../api/v1/tips",
            "/w/sub/file.js",
            "/w/.hidden",
            "/w/?lang=nl&x=1",
            "//elsewhere.example/w/",
            "/w/a b",
            "/w/%2e%2e/x",
            "https://elsewhere.example/embed.js",
            "/embed.js?x",
        ] {
            assert!(!is_widget_address(bad), "{bad}");
        }
    }
}
