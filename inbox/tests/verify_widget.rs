//! `verify-widget` against the real relay serving a widget bundle from disk: it passes while the
//! relay serves exactly the manifest's bytes, and fails, naming the file, once one byte of one
//! served file changes, a file is missing, or a brotli copy is not the file.

mod support;

use std::path::Path;

use fluister_protocol::codec::encode_hex;
use fluister_testkit::{RelayProcess, TemporaryDirectory};
use sha2::{Digest as _, Sha256};
use support::{Inbox, relay_settings};

/// A small bundle laid out as `cargo xtask widget` lays it out, and its manifest.
fn write_small_bundle(bundle: &Path) -> std::path::PathBuf {
    let files: [(&str, &str, &[u8]); 5] = [
        ("/embed.js", "embed.js", b"/* loader */\n"),
        ("/w/", "w/index.html", b"<!doctype html><title>nl</title>"),
        (
            "/w/?lang=en",
            "w/index-en.html",
            b"<!doctype html><title>en</title>",
        ),
        (
            "/w/start-0123456789abcdef.js",
            "w/start-0123456789abcdef.js",
            b"console.log('start');\n",
        ),
        (
            "/w/widget-fedcba9876543210_bg.wasm",
            "w/widget-fedcba9876543210_bg.wasm",
            b"\0asm\x01\0\0\0 not really a module",
        ),
    ];
    std::fs::create_dir_all(bundle.join("w")).unwrap();
    let mut assets = Vec::new();
    for (address, file, bytes) in files {
        std::fs::write(bundle.join(file), bytes).unwrap();
        assets.push(serde_json::json!({
            "path": address,
            "file": file,
            "sha256": encode_hex(&Sha256::digest(bytes)),
            "size": bytes.len(),
        }));
    }
    let manifest = serde_json::json!({
        "format": "fluister-widget-manifest-1",
        "fluister": "0.0.0-test",
        "release_build": true,
        "deviations": [],
        "tools": { "rustc": "rustc 1.95.0 (test)" },
        "assets": assets,
    });
    let path = bundle.with_file_name("widget-manifest.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
    path
}

/// Flips the lowest bit of the byte in the middle of `file`, returning the original bytes.
fn flip_one_byte(file: &Path) -> Vec<u8> {
    let original = std::fs::read(file).unwrap();
    let mut changed = original.clone();
    let middle = changed.len() / 2;
    changed[middle] ^= 1;
    std::fs::write(file, &changed).unwrap();
    original
}

fn verify(inbox: &Inbox, manifest: &Path) -> std::process::Output {
    inbox.run(&["verify-widget", "--manifest", manifest.to_str().unwrap()])
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn verify_widget_passes_on_the_released_bytes_and_fails_on_one_changed_byte() {
    let folder = TemporaryDirectory::new("verify-widget");
    let bundle = folder.join("bundle");
    let manifest = write_small_bundle(&bundle);
    let inbox = Inbox::new("verify-widget");
    let recipient = inbox.keygen();
    let relay =
        RelayProcess::start(relay_settings(std::slice::from_ref(&recipient)).assets_dir(&bundle));
    inbox.connect(&relay);

    let output = verify(&inbox, &manifest);
    let text = stdout(&output);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains("Alle 5 bestanden zijn gelijk aan het manifest van Fluister 0.0.0-test"),
        "{text}"
    );
    assert!(text.contains("ok       /w/?lang=en"), "{text}");
    assert!(!text.contains("PROBLEEM"), "{text}");

    // One bit of the wasm module the relay serves.
    let wasm = bundle.join("w/widget-fedcba9876543210_bg.wasm");
    let original = flip_one_byte(&wasm);
    let output = verify(&inbox, &manifest);
    let text = stdout(&output);
    assert!(!output.status.success(), "{text}");
    assert!(
        text.contains("PROBLEEM /w/widget-fedcba9876543210_bg.wasm: gewoon: ANDERE INHOUD"),
        "{text}"
    );
    // Both ways a browser can ask for it; the other files are fine.
    assert_eq!(text.matches("PROBLEEM").count(), 2, "{text}");
    assert!(text.contains("ok       /embed.js"), "{text}");
    assert!(text.contains("de server geeft het meldformulier NIET zoals het is uitgebracht"));
    let errors = String::from_utf8(output.stderr).unwrap();
    assert!(errors.contains("2 problemen gevonden"), "{errors}");
    std::fs::write(&wasm, &original).unwrap();
    assert!(verify(&inbox, &manifest).status.success());

    // A brotli copy that is not the file: a browser that accepts brotli would run other code.
    std::fs::write(bundle.join("w/index-en.html.br"), b"other bytes").unwrap();
    let output = verify(&inbox, &manifest);
    let text = stdout(&output);
    assert!(!output.status.success(), "{text}");
    assert!(text.contains("PROBLEEM /w/?lang=en: met brotli:"), "{text}");
    assert_eq!(text.matches("PROBLEEM").count(), 1, "{text}");
    std::fs::remove_file(bundle.join("w/index-en.html.br")).unwrap();

    // A file the manifest lists that the relay does not serve.
    std::fs::remove_file(bundle.join("w/start-0123456789abcdef.js")).unwrap();
    let output = verify(&inbox, &manifest);
    let text = stdout(&output);
    assert!(!output.status.success(), "{text}");
    assert!(
        text.contains(
            "PROBLEEM /w/start-0123456789abcdef.js: gewoon: de server geeft dit bestand niet (HTTP 404)"
        ),
        "{text}"
    );
}

#[test]
fn a_manifest_that_points_elsewhere_is_refused_before_anything_is_fetched() {
    let folder = TemporaryDirectory::new("verify-widget-manifest");
    let bundle = folder.join("bundle");
    let manifest = write_small_bundle(&bundle);
    let inbox = Inbox::new("verify-widget-manifest");
    inbox.keygen();
    // No relay is needed: the manifest is refused first.
    inbox.connect_with_token("http://127.0.0.1:9", "token-that-is-never-sent");
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    json["assets"][0]["path"] = "/api/v1/tips".into();
    std::fs::write(&manifest, serde_json::to_vec(&json).unwrap()).unwrap();
    let errors = inbox.run_failing(&["verify-widget", "--manifest", manifest.to_str().unwrap()]);
    assert!(
        errors.contains("/api/v1/tips is geen adres van het meldformulier"),
        "{errors}"
    );

    let errors = inbox.run_failing(&["verify-widget"]);
    assert!(errors.contains("Geen manifest"), "{errors}");
}

/// The real bundle of `cargo xtask widget` (FLUISTER_WIDGET_ASSETS, as the browser tests use),
/// with the manifest the build wrote: it passes, and one changed byte in the form's wasm module
/// or in a brotli copy fails. Without FLUISTER_WIDGET_ASSETS there is no bundle to test, and
/// the test says so.
#[test]
fn the_built_bundle_passes_against_its_own_manifest_and_fails_after_one_byte() {
    let Some(built) = std::env::var_os("FLUISTER_WIDGET_ASSETS") else {
        eprintln!("FLUISTER_WIDGET_ASSETS is not set: no built widget bundle to verify");
        return;
    };
    let built = Path::new(&built);
    let folder = TemporaryDirectory::new("verify-built-widget");
    let bundle = folder.join("widget");
    copy_folder(built, &bundle);
    let manifest = bundle.join("widget-manifest.json");
    let inbox = Inbox::new("verify-built-widget");
    let recipient = inbox.keygen();
    let relay =
        RelayProcess::start(relay_settings(std::slice::from_ref(&recipient)).assets_dir(&bundle));
    inbox.connect(&relay);

    let output = verify(&inbox, &manifest);
    let text = stdout(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("ok       /w/?lang=pl"), "{text}");
    assert!(
        text.contains("bestanden zijn gelijk aan het manifest"),
        "{text}"
    );

    let listed: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    let wasm = listed["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|asset| asset["file"].as_str().unwrap().to_owned())
        .find(|file| file.starts_with("w/widget-") && file.ends_with("_bg.wasm"))
        .expect("the manifest lists the form's wasm module");
    let original = flip_one_byte(&bundle.join(&wasm));
    let output = verify(&inbox, &manifest);
    let text = stdout(&output);
    assert!(!output.status.success(), "{text}");
    assert!(
        text.contains(&format!("PROBLEEM /{wasm}: gewoon: ANDERE INHOUD")),
        "{text}"
    );
    std::fs::write(bundle.join(&wasm), original).unwrap();

    // The loader's brotli copy, which browsers that accept brotli get.
    let original = flip_one_byte(&bundle.join("embed.js.br"));
    let output = verify(&inbox, &manifest);
    let text = stdout(&output);
    assert!(!output.status.success(), "{text}");
    assert!(text.contains("PROBLEEM /embed.js: met brotli:"), "{text}");
    assert_eq!(text.matches("PROBLEEM").count(), 1, "{text}");
    std::fs::write(bundle.join("embed.js.br"), original).unwrap();
    assert!(verify(&inbox, &manifest).status.success());
}

fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_folder(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
