//! `cargo xtask widget`: builds the widget bundle the relay serves, reproducibly from source.
//!
//! 1. `cargo build` of `fluister-widget` (the form) and `fluister-widget-worker` (the crypto
//!    worker) for `wasm32-unknown-unknown` with the `wasm-release` profile;
//! 2. the wasm-bindgen CLI of exactly the version in `Cargo.lock` (installed once into
//!    `target/tools/` when it is not on the PATH at that version);
//! 3. `wasm-opt -Oz` from npm `binaryen` (locked in `tests/package-lock.json`), when present;
//! 4. `widget/tools/package.mjs`: hashed names, joined translation tables, the iframe document,
//!    the loader and its SRI hash, and the sizes raw, gzip and brotli.
//!
//! The result is `target/widget/` (`embed.js` and `w/…`): point the relay's `widget.assets_dir`
//! at it.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{
    TaskResult, cargo, ensure_test_npm_packages, ensure_wasm_target, run_command, step, target_dir,
    workspace_root,
};

/// Where the built assets go.
pub fn assets_dir() -> PathBuf {
    target_dir().join("widget")
}

pub fn run(arguments: &[String]) -> TaskResult {
    if let Some(unknown) = arguments.first() {
        return Err(format!(
            "`cargo xtask widget` takes no options (got `{unknown}`)"
        ));
    }
    build()
}

/// The two wasm crates: the form's module, and the crypto worker's.
const CRATES: [&str; 2] = ["fluister_widget", "fluister_widget_worker"];

/// Builds the bundle into [`assets_dir`].
pub fn build() -> TaskResult {
    step("Widget: wasm build of the form and the crypto worker (profile wasm-release)");
    ensure_wasm_target()?;
    run_command(cargo().args([
        "build",
        "--package",
        "fluister-widget",
        "--package",
        "fluister-widget-worker",
        "--lib",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm-release",
        "--locked",
    ]))?;

    step("Widget: wasm-bindgen");
    let version = locked_version("wasm-bindgen")?;
    let bindgen = wasm_bindgen_cli(&version)?;
    let bindgen_dir = target_dir().join("widget-bindgen");
    let _ = std::fs::remove_dir_all(&bindgen_dir);
    for name in CRATES {
        let wasm = target_dir().join(format!("wasm32-unknown-unknown/wasm-release/{name}.wasm"));
        run_command(
            Command::new(&bindgen)
                .args(["--target", "web", "--no-typescript", "--out-dir"])
                .arg(&bindgen_dir)
                .arg(&wasm),
        )?;
    }

    ensure_test_npm_packages()?;
    let wasm_opt = workspace_root().join("tests/node_modules/.bin/wasm-opt");
    if wasm_opt.exists() {
        step("Widget: wasm-opt (npm binaryen)");
        for name in CRATES {
            optimise(&wasm_opt, &bindgen_dir.join(format!("{name}_bg.wasm")))?;
        }
    } else {
        println!("(npm binaryen is not installed: the wasm is not run through wasm-opt)");
    }

    step("Widget: hashed assets and sizes");
    run_command(
        Command::new("node")
            .arg(workspace_root().join("widget/tools/package.mjs"))
            .arg(&bindgen_dir)
            .arg(workspace_root())
            .arg(assets_dir()),
    )
}

/// Runs `wasm-opt -Oz` over `wasm` in place.
fn optimise(wasm_opt: &Path, wasm: &Path) -> TaskResult {
    let optimised = wasm.with_extension("opt.wasm");
    run_command(
        Command::new(wasm_opt)
            .arg("-Oz")
            .arg("--enable-bulk-memory")
            .arg("--enable-nontrapping-float-to-int")
            .arg("--enable-sign-ext")
            .arg("--enable-mutable-globals")
            .arg("--enable-reference-types")
            .arg("--enable-multivalue")
            .arg(wasm)
            .arg("-o")
            .arg(&optimised),
    )?;
    std::fs::rename(&optimised, wasm)
        .map_err(|error| format!("could not replace the wasm with wasm-opt's: {error}"))
}

/// The version of `package` in `Cargo.lock`.
fn locked_version(package: &str) -> Result<String, String> {
    let lock = std::fs::read_to_string(workspace_root().join("Cargo.lock"))
        .map_err(|error| format!("could not read Cargo.lock: {error}"))?;
    let needle = format!("name = \"{package}\"\nversion = \"");
    let start = lock
        .find(&needle)
        .ok_or_else(|| format!("`{package}` is not in Cargo.lock"))?
        + needle.len();
    let end = lock[start..].find('"').ok_or("Cargo.lock is malformed")?;
    Ok(lock[start..start + end].to_owned())
}

/// The wasm-bindgen CLI at exactly `version`: from the PATH if it is that version, else from
/// `target/tools/`, installing it there once.
fn wasm_bindgen_cli(version: &str) -> Result<PathBuf, String> {
    let on_path = Command::new("wasm-bindgen").arg("--version").output();
    if let Ok(output) = on_path
        && String::from_utf8_lossy(&output.stdout).trim() == format!("wasm-bindgen {version}")
    {
        return Ok(PathBuf::from("wasm-bindgen"));
    }
    let root = target_dir().join(format!("tools/wasm-bindgen-{version}"));
    let binary = root.join("bin/wasm-bindgen");
    if !Path::new(&binary).exists() {
        step(&format!(
            "Installing wasm-bindgen-cli {version} into {} (once)",
            root.display()
        ));
        run_command(
            cargo()
                .args(["install", "wasm-bindgen-cli", "--version"])
                .arg(format!("={version}"))
                .arg("--root")
                .arg(&root),
        )?;
    }
    Ok(binary)
}
