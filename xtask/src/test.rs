//! `cargo xtask test`: every check and test the project has, in one command.

use std::path::PathBuf;
use std::process::Command;

use crate::util::{
    TaskResult, cargo, ensure_test_npm_packages, ensure_wasm_target, have_program, run_command,
    step, target_dir, workspace_root,
};

/// Unpacks the official age vectors from npm into `target/cctv-age`, unless
/// `FLUISTER_CCTV_DIR` points at a copy already.
fn age_vectors_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("FLUISTER_CCTV_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let dir = target_dir().join("cctv-age");
    run_command(
        Command::new("node")
            .arg(workspace_root().join("tests/tools/unpack-cctv.mjs"))
            .arg(&dir)
            .current_dir(workspace_root().join("tests")),
    )?;
    Ok(dir)
}

pub fn run(arguments: &[String]) -> TaskResult {
    if let Some(unknown) = arguments.first() {
        return Err(format!(
            "`cargo xtask test` takes no options (got `{unknown}`)"
        ));
    }
    step("Formatting");
    run_command(cargo().args(["fmt", "--all", "--", "--check"]))?;

    step("Clippy (warnings are errors)");
    run_command(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;

    step("The envelope builds for the browser (wasm32-unknown-unknown)");
    ensure_wasm_target()?;
    // getrandom needs its browser backend chosen by the final wasm crate; enable it for this check.
    run_command(cargo().args([
        "build",
        "--package",
        "fluister-envelope",
        "--target",
        "wasm32-unknown-unknown",
        "--features",
        "getrandom/wasm_js",
    ]))?;

    step("npm packages for the tests");
    ensure_test_npm_packages()?;
    let vectors = age_vectors_dir()?;

    for (tool, why) in [
        (
            "age",
            "`apt-get install age` (the reference implementation the interop tests use)",
        ),
        ("age-keygen", "`apt-get install age`"),
        (
            "sqlite3",
            "`apt-get install sqlite3` (the tests read the relay's database as an outsider would)",
        ),
    ] {
        if !have_program(tool, "--version") {
            return Err(format!("`{tool}` is missing: {why}"));
        }
    }

    step("Documentation examples");
    run_command(cargo().args(["test", "--workspace", "--doc"]))?;

    step("Unit, integration and interop tests");
    let mut tests = cargo();
    if have_program("cargo-nextest", "--version") {
        tests.args(["nextest", "run", "--workspace", "--no-fail-fast"]);
    } else {
        tests.args(["test", "--workspace", "--no-fail-fast"]);
    }
    tests.env("FLUISTER_CCTV_DIR", &vectors);
    run_command(&mut tests)?;

    browser_tests()
}

/// Builds the widget bundle, the relay and the inbox, then runs `tests/browser/*.test.mjs` in
/// headless Chromium against the real relay binary (and, for the mailbox, the real inbox).
fn browser_tests() -> TaskResult {
    crate::widget::build()?;
    step("The relay and inbox binaries for the browser tests");
    let binaries = crate::util::build_relay_and_inbox(false)?;
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !std::path::Path::new(&chromium).exists() {
        return Err(format!(
            "headless Chromium is missing at {chromium}: `apt-get install chromium` (or set CHROMIUM)"
        ));
    }
    step("Browser tests (headless Chromium, the real relay and inbox, the example page)");
    run_command(
        Command::new("node")
            .args(["--test", "--test-concurrency=1", "browser/"])
            .current_dir(workspace_root().join("tests"))
            .env("CHROMIUM", &chromium)
            .env("FLUISTER_RELAY_BIN", &binaries.relay)
            .env("FLUISTER_INBOX_BIN", &binaries.inbox)
            .env("FLUISTER_WIDGET_ASSETS", crate::widget::assets_dir()),
    )
}
