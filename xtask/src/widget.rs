//! `cargo xtask widget`: builds the widget bundle the relay serves, reproducibly from source.
//!
//! 1. `cargo build` of `fluister-widget` (the form) and `fluister-widget-worker` (the crypto
//!    worker) for `wasm32-unknown-unknown` with the `wasm-release` profile; the form is linked
//!    with `--emit-relocs`, which the splitter reads;
//! 2. `wasm-split-cli` (crate `wasm_split_cli_support`, exactly [`WASM_SPLIT_CLI_VERSION`],
//!    installed once into `target/tools/`) splits the form's module at its
//!    `#[wasm_split]` function: the main module (the start screen) and a chunk with the later
//!    steps, plus `__wasm_split.js`, which fetches and instantiates the chunk;
//! 3. the wasm-bindgen CLI of exactly the version in `Cargo.lock` (installed once into
//!    `target/tools/` when it is not on the PATH at that version), on the main module;
//! 4. `wasm-opt -Oz` from npm `binaryen` (locked in `tests/package-lock.json`), when present,
//!    on every module and chunk;
//! 5. `widget/tools/package.mjs`: hashed names, joined translation tables, the iframe document,
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

/// The version of `wasm_split_cli_support` whose `wasm-split-cli` splits the form's module. It
/// must understand the split markers of the `wasm_split_helpers` in `Cargo.lock`.
const WASM_SPLIT_CLI_VERSION: &str = "0.2.4";

/// The splitter's JavaScript for loading the chunks, next to the main module.
pub const SPLIT_LOADER: &str = "__wasm_split.js";

/// Builds the bundle into [`assets_dir`].
pub fn build() -> TaskResult {
    step("Widget: wasm build of the form and the crypto worker (profile wasm-release)");
    ensure_wasm_target()?;
    let wasm_build = |package: &str| {
        let mut command = cargo();
        command.args([
            "rustc",
            "--package",
            package,
            "--lib",
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            "wasm-release",
            "--locked",
        ]);
        command
    };
    run_command(&mut wasm_build("fluister-widget-worker"))?;
    // Relocations for the splitter, on the form's final link only (not in RUSTFLAGS, which
    // would rebuild every dependency and the worker too).
    run_command(wasm_build("fluister-widget").args(["--", "-C", "link-args=--emit-relocs"]))?;

    step("Widget: wasm-split (the start screen, and a chunk with the later steps)");
    let splitter = wasm_split_cli()?;
    let split_dir = target_dir().join("widget-split");
    let _ = std::fs::remove_dir_all(&split_dir);
    run_command(
        Command::new(&splitter)
            .arg(target_dir().join("wasm32-unknown-unknown/wasm-release/fluister_widget.wasm"))
            .arg(&split_dir)
            .args(["--target", "web", "--out-name", "fluister_widget"]),
    )?;

    step("Widget: wasm-bindgen");
    let version = locked_version("wasm-bindgen")?;
    let bindgen = wasm_bindgen_cli(&version)?;
    let bindgen_dir = target_dir().join("widget-bindgen");
    let _ = std::fs::remove_dir_all(&bindgen_dir);
    for name in CRATES {
        let mut command = Command::new(&bindgen);
        command.args(["--target", "web", "--no-typescript", "--out-dir"]);
        command.arg(&bindgen_dir);
        if name == "fluister_widget" {
            // The chunks share the main module's function table, which `__wasm_split.js` reads
            // from its exports; wasm-bindgen drops that export unless told to keep it.
            command.arg("--keep-lld-exports");
            command.arg(split_dir.join(format!("{name}.wasm")));
        } else {
            command
                .arg(target_dir().join(format!("wasm32-unknown-unknown/wasm-release/{name}.wasm")));
        }
        run_command(&mut command)?;
    }
    // The chunks and their loader go next to the glue, which imports the loader.
    let mut chunks = Vec::new();
    for entry in std::fs::read_dir(&split_dir)
        .map_err(|error| format!("could not list {}: {error}", split_dir.display()))?
    {
        let path = entry
            .map_err(|error| format!("could not list {}: {error}", split_dir.display()))?
            .path();
        let Some(file_name) = path.file_name().and_then(|name| name.to_str()) else {
            continue;
        };
        let is_chunk = file_name.ends_with(".wasm") && file_name != "fluister_widget.wasm";
        if is_chunk || file_name == SPLIT_LOADER {
            std::fs::copy(&path, bindgen_dir.join(file_name))
                .map_err(|error| format!("could not copy {}: {error}", path.display()))?;
        }
        if is_chunk {
            chunks.push(bindgen_dir.join(file_name));
        }
    }
    if !bindgen_dir.join(SPLIT_LOADER).exists() {
        return Err(format!("wasm-split-cli wrote no {SPLIT_LOADER}"));
    }

    ensure_test_npm_packages()?;
    let wasm_opt = workspace_root().join("tests/node_modules/.bin/wasm-opt");
    if wasm_opt.exists() {
        step("Widget: wasm-opt (npm binaryen)");
        for name in CRATES {
            optimise(&wasm_opt, &bindgen_dir.join(format!("{name}_bg.wasm")))?;
        }
        for chunk in &chunks {
            optimise(&wasm_opt, chunk)?;
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

/// `wasm-split-cli` at exactly [`WASM_SPLIT_CLI_VERSION`], from `target/tools/`, installing it
/// there once.
fn wasm_split_cli() -> Result<PathBuf, String> {
    let root = target_dir().join(format!("tools/wasm-split-cli-{WASM_SPLIT_CLI_VERSION}"));
    let binary = root.join("bin/wasm-split-cli");
    if !binary.exists() {
        step(&format!(
            "Installing wasm_split_cli_support {WASM_SPLIT_CLI_VERSION} into {} (once)",
            root.display()
        ));
        let install = |locked: bool| {
            let mut command = cargo();
            command
                .args(["install", "wasm_split_cli_support", "--version"])
                .arg(format!("={WASM_SPLIT_CLI_VERSION}"))
                .args(["--features", "build-binary", "--root"])
                .arg(&root);
            if locked {
                command.arg("--locked");
            }
            run_command(&mut command)
        };
        // The crate's own lock file first; without it if that does not build here.
        install(true).or_else(|_| install(false))?;
    }
    Ok(binary)
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
