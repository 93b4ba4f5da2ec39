//! `cargo xtask widget`: builds the widget bundle the relay serves, reproducibly from source.
//!
//! 1. `cargo build` of `fluister-widget` (the form) and `fluister-widget-worker` (the crypto
//!    worker) for `wasm32-unknown-unknown` with the `wasm-release` profile; the form is linked
//!    with `--emit-relocs`, which the splitter reads;
//! 2. `wasm-split-cli` (crate `wasm_split_cli_support`, exactly [`WASM_SPLIT_CLI_VERSION`],
//!    installed once into `target/tools/`) splits the form's module at its
//!    `#[wasm_split]` functions: the main module (the start screen), a chunk with the first
//!    question, one with the other questions, one with sending and the mailbox, and chunks of
//!    the code several of those share, plus `__wasm_split.js`, which fetches and instantiates
//!    the chunks;
//! 3. the wasm-bindgen CLI of exactly the version in `Cargo.lock` (installed once into
//!    `target/tools/` when it is not on the PATH at that version), on the main module;
//! 4. `wasm-opt -Oz` from npm `binaryen` (locked in `tests/package-lock.json`, installed with
//!    `npm ci`) on every module and chunk; a build without it fails rather than ship other bytes;
//! 5. `widget/tools/package.mjs`: the scripts and the style sheet minified by npm `esbuild`
//!    (locked as binaryen is), hashed names, joined translation tables, the iframe document,
//!    the loader and its SRI hash, the sizes raw, gzip and brotli, and `widget-manifest.json`:
//!    the SHA-256 of every file the relay serves for the widget, with the tools' versions.
//!
//! The result is `target/widget/` (`embed.js` and `w/…`): point the relay's `widget.assets_dir`
//! at it. The same sources built with the same tools give the same bytes on any machine; the
//! Rust compiler a release is built with is named in `widget/build-tools.toml`, and
//! `cargo xtask widget --release` refuses any other (docs/reproducible-widget.md).

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
    match arguments {
        [] => build(),
        [flag] if flag == "--release" => build_with(Strictness::Release),
        [unknown, ..] => Err(format!(
            "`cargo xtask widget` takes only `--release` (got `{unknown}`)"
        )),
    }
}

/// What a build does when its tools are not the pinned ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strictness {
    /// Builds anyway, warns, and marks the manifest as not a release build.
    Warn,
    /// Refuses to build (`--release`): a release's manifest must be reproducible.
    Release,
}

/// The two wasm crates: the form's module, and the crypto worker's.
const CRATES: [&str; 2] = ["fluister_widget", "fluister_widget_worker"];

/// The version of `wasm_split_cli_support` whose `wasm-split-cli` splits the form's module. It
/// must understand the split markers of the `wasm_split_helpers` in `Cargo.lock`.
const WASM_SPLIT_CLI_VERSION: &str = "0.2.4";

/// The splitter's JavaScript for loading the chunks, next to the main module.
pub const SPLIT_LOADER: &str = "__wasm_split.js";

/// The file naming the Rust compiler a release of the widget is built with.
const PINNED_TOOLS: &str = "widget/build-tools.toml";

/// The file in the bundle with the SHA-256 of every served file and the tools' versions.
pub const MANIFEST: &str = "widget-manifest.json";

/// Environment variable naming the folder for the installed build tools instead of
/// `target/tools/` (`cargo xtask reproduce-widget` shares one between its two builds).
pub const TOOLS_DIR_ENVIRONMENT_VARIABLE: &str = "FLUISTER_WIDGET_TOOLS_DIR";

/// Where the exact-version build tools are installed.
fn tools_dir() -> PathBuf {
    std::env::var_os(TOOLS_DIR_ENVIRONMENT_VARIABLE)
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("tools"))
}

/// Builds the bundle into [`assets_dir`], warning if the tools are not the pinned ones.
pub fn build() -> TaskResult {
    build_with(Strictness::Warn)
}

/// Builds the bundle into [`assets_dir`].
pub fn build_with(strictness: Strictness) -> TaskResult {
    step("Widget: the build tools");
    let pinned_rustc = pinned_value("rustc")?;
    let rustc = tool_output(
        std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()),
        "-V",
    )?;
    let mut deviations = Vec::new();
    if !rustc.starts_with(&format!("rustc {pinned_rustc} ")) {
        deviations.push(format!(
            "the Rust compiler is `{rustc}`, not {pinned_rustc} as {PINNED_TOOLS} names"
        ));
    }
    // Flags for rustc and profile settings from the environment change the wasm; a release is
    // built without any.
    let mut changing_variables: Vec<String> = std::env::vars_os()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, _)| name.to_string_lossy().into_owned())
        .filter(|name| {
            name.ends_with("RUSTFLAGS")
                || name.starts_with("CARGO_PROFILE_")
                || name.starts_with("CARGO_TARGET_WASM32_")
        })
        .collect();
    changing_variables.sort();
    for variable in changing_variables {
        deviations.push(format!("{variable} is set"));
    }
    let node = tool_output("node", "--version")?;
    println!("{rustc}; node {node}");
    if !deviations.is_empty() {
        let list = deviations.join("; ");
        if strictness == Strictness::Release {
            return Err(format!(
                "a release build of the widget needs the pinned tools and no rustc flags from \
                 the environment: {list}. Unset those variables, or for another compiler \
                 install the pinned one (`rustup toolchain install {pinned_rustc}` and \
                 `rustup override set {pinned_rustc}` in this folder), and build again"
            ));
        }
        println!(
            "\n!!! NOT A RELEASE BUILD: {list}.\n!!! The bundle works, but its bytes need not \
             match a release's; its {MANIFEST} says so (\"release_build\": false).\n"
        );
    }

    step("Widget: wasm build of the form and the crypto worker (profile wasm-release)");
    ensure_wasm_target()?;
    // The folders of this checkout and of Cargo's home (the dependencies' sources) are mapped
    // to fixed names, so no builder's folder ends up in the wasm (in panic locations, say).
    // Given with `--config`, these flags join `.cargo/config.toml`'s for the target rather than
    // replace them, as `RUSTFLAGS` would.
    let mut remaps = vec![format!(
        "--remap-path-prefix={}=/fluister",
        workspace_root().display()
    )];
    if let Some(cargo_home) = crate::dist::cargo_home() {
        remaps.push(format!(
            "--remap-path-prefix={}=/cargo",
            cargo_home.display()
        ));
    }
    let remap_config = format!(
        "target.wasm32-unknown-unknown.rustflags=[{}]",
        remaps
            .iter()
            .map(|flag| json_string(flag))
            .collect::<Vec<_>>()
            .join(",")
    );
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
            "--config",
            &remap_config,
        ]);
        command
    };
    run_command(&mut wasm_build("fluister-widget-worker"))?;
    // Relocations for the splitter, on the form's final link only (not in RUSTFLAGS, which
    // would rebuild every dependency and the worker too).
    run_command(wasm_build("fluister-widget").args(["--", "-C", "link-args=--emit-relocs"]))?;

    step("Widget: wasm-split (the start screen, and the chunks of the later steps)");
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
    let binaryen = locked_npm_version("binaryen")?;
    let wasm_opt = workspace_root().join("tests/node_modules/.bin/wasm-opt");
    if !wasm_opt.exists() {
        return Err(format!(
            "wasm-opt is missing at {}: the widget is only built with npm binaryen {binaryen} \
             (`npm ci` in tests/ installs it)",
            wasm_opt.display()
        ));
    }
    let wasm_opt_version = tool_output(&wasm_opt, "--version")?;
    let major = binaryen.split('.').next().unwrap_or_default();
    if !wasm_opt_version.contains(&format!("version {major} ")) {
        return Err(format!(
            "{} says `{wasm_opt_version}`, not binaryen {binaryen} as tests/package-lock.json \
             locks: run `npm ci` in tests/",
            wasm_opt.display()
        ));
    }
    step("Widget: wasm-opt (npm binaryen)");
    for name in CRATES {
        optimise(&wasm_opt, &bindgen_dir.join(format!("{name}_bg.wasm")))?;
    }
    for chunk in &chunks {
        optimise(&wasm_opt, chunk)?;
    }

    step("Widget: hashed assets, sizes and the manifest");
    let build_facts = format!(
        "{{\"fluister\":{},\"release_build\":{},\"deviations\":[{}],\"tools\":{{\"rustc\":{},\
         \"wasm-bindgen\":{},\"wasm-split-cli\":{},\"binaryen\":{},\"esbuild\":{},\
         \"node\":{}}}}}",
        json_string(env!("CARGO_PKG_VERSION")),
        deviations.is_empty(),
        deviations
            .iter()
            .map(|deviation| json_string(deviation))
            .collect::<Vec<_>>()
            .join(","),
        json_string(&rustc),
        json_string(&version),
        json_string(WASM_SPLIT_CLI_VERSION),
        json_string(&binaryen),
        json_string(&locked_npm_version("esbuild")?),
        json_string(&node),
    );
    run_command(
        Command::new("node")
            .arg(workspace_root().join("widget/tools/package.mjs"))
            .arg(&bindgen_dir)
            .arg(workspace_root())
            .arg(assets_dir())
            .arg(build_facts),
    )?;
    if deviations.is_empty() {
        println!(
            "Manifest: {} (the tools are the pinned ones)",
            assets_dir().join(MANIFEST).display()
        );
    } else {
        println!(
            "\n!!! NOT A RELEASE BUILD: {}.\n!!! {} is marked so.",
            deviations.join("; "),
            assets_dir().join(MANIFEST).display()
        );
    }
    Ok(())
}

/// A JSON string literal of `text`.
fn json_string(text: &str) -> String {
    let mut literal = String::from("\"");
    for character in text.chars() {
        match character {
            '"' => literal.push_str("\\\""),
            '\\' => literal.push_str("\\\\"),
            character if u32::from(character) < 0x20 => {
                literal.push_str(&format!("\\u{:04x}", u32::from(character)));
            }
            character => literal.push(character),
        }
    }
    literal.push('"');
    literal
}

/// The first line a tool prints for `argument` (its version), trimmed.
fn tool_output(program: impl AsRef<std::ffi::OsStr>, argument: &str) -> Result<String, String> {
    let program = program.as_ref();
    let output = Command::new(program)
        .arg(argument)
        .output()
        .map_err(|error| format!("could not run `{} {argument}`: {error}", program.display()))?;
    if !output.status.success() {
        return Err(format!(
            "`{} {argument}` failed ({})",
            program.display(),
            output.status
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned())
}

/// The value of `key` in [`PINNED_TOOLS`].
fn pinned_value(key: &str) -> Result<String, String> {
    let path = workspace_root().join(PINNED_TOOLS);
    let text = std::fs::read_to_string(&path)
        .map_err(|error| format!("could not read {}: {error}", path.display()))?;
    text.lines()
        .filter_map(|line| line.split_once('='))
        .find(|(name, _)| name.trim() == key)
        .map(|(_, value)| value.trim().trim_matches('"').to_owned())
        .filter(|value| !value.is_empty())
        .ok_or_else(|| format!("{PINNED_TOOLS} names no `{key}`"))
}

/// The version of the npm package `package` in `tests/package-lock.json`.
fn locked_npm_version(package: &str) -> Result<String, String> {
    let lock = std::fs::read_to_string(workspace_root().join("tests/package-lock.json"))
        .map_err(|error| format!("could not read tests/package-lock.json: {error}"))?;
    let entry = format!("\"node_modules/{package}\": {{");
    let start = lock
        .find(&entry)
        .ok_or_else(|| format!("npm `{package}` is not in tests/package-lock.json"))?;
    let needle = "\"version\": \"";
    let version_start = lock[start..]
        .find(needle)
        .ok_or("tests/package-lock.json is malformed")?
        + start
        + needle.len();
    let end = lock[version_start..]
        .find('"')
        .ok_or("tests/package-lock.json is malformed")?;
    Ok(lock[version_start..version_start + end].to_owned())
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
    let root = tools_dir().join(format!("wasm-split-cli-{WASM_SPLIT_CLI_VERSION}"));
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
    let root = tools_dir().join(format!("wasm-bindgen-{version}"));
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
