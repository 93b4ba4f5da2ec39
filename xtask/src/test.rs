//! `cargo xtask test`: every check and test the project has, in one command.

use std::path::PathBuf;
use std::process::Command;

use crate::util::{
    TaskResult, cargo, ensure_rust_target, ensure_test_npm_packages, ensure_wasm_target,
    have_program, run_command, step, target_dir, workspace_root,
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

    step("The inbox builds for Windows (x86_64-pc-windows-gnu; clippy, warnings are errors)");
    // `cargo xtask dist` ships a Windows build of the inbox; this keeps it compiling, and
    // clippy rather than `check` (no slower) also lints the code only Windows compiles. It
    // links nothing, but `ring`'s build script still compiles its C with MinGW-w64's gcc.
    ensure_rust_target(crate::dist::WINDOWS_TARGET)?;
    crate::dist::require_mingw()?;
    run_command(cargo().args([
        "clippy",
        "--package",
        "fluister-inbox",
        "--target",
        crate::dist::WINDOWS_TARGET,
        "--",
        "-D",
        "warnings",
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
        (
            "pdftotext",
            "`apt-get install poppler-utils` (the tests read back the inbox's PDF files)",
        ),
    ] {
        if !have_program(tool, "-v") && !have_program(tool, "--version") {
            return Err(format!("`{tool}` is missing: {why}"));
        }
    }
    // The notification tests' SMTP server, for the system's Python (not a Python first on PATH).
    let aiosmtpd = Command::new("/usr/bin/python3")
        .args(["-c", "import aiosmtpd"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !aiosmtpd {
        return Err(
            "`aiosmtpd` is missing for /usr/bin/python3: `apt-get install python3-aiosmtpd` \
                    (the relay's notification tests receive their mail with it)"
                .to_owned(),
        );
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

    javascript_differential()?;

    // A few seconds of each fuzz target: they build, read their seeds, and hold a first search.
    crate::fuzz::smoke(&vectors)?;

    browser_tests()?;

    // The relay's Debian package installed for real: only on a machine that may be changed
    // (CI's, where `.ci/run` asks for it), since it installs a package and adds a user.
    if std::env::var("FLUISTER_DEB_INSTALL_CHECK").as_deref() == Ok("1") {
        crate::dist::relay_install_check()?;
    }
    Ok(())
}

/// Runs `tests/differential/*.test.mjs`: the envelope (through the `fluister-fixture` binary the
/// test run just built) against the JavaScript age implementation on npm, `age-encryption`,
/// sealing and opening in both directions. About 25 seconds.
fn javascript_differential() -> TaskResult {
    step("Differential test against age-encryption, the JavaScript age (Node)");
    let fixture = target_dir().join("debug").join("fluister-fixture");
    if !fixture.is_file() {
        return Err(format!(
            "{} is missing after the tests ran; the testkit's integration tests should have \
             built it",
            fixture.display()
        ));
    }
    run_command(
        Command::new("node")
            .args(["--test", "differential/"])
            .current_dir(workspace_root().join("tests"))
            .env("FLUISTER_FIXTURE_BIN", &fixture),
    )
}

/// Builds the widget bundle, then runs `tests/browser/*.test.mjs` in headless Chromium against
/// the real relay binary (and, for the mailbox, the real inbox), with the testkit's
/// `fluister-fixture` for the formats the tests need (receipt codes, the relay's config file).
///
/// The binaries are the ones the test run just built for the crates' own integration tests: a
/// `cargo build` of them here would resolve features differently (no dev-dependencies, fewer
/// workspace members) and compile the relay, the inbox and part of their dependency tree again.
fn browser_tests() -> TaskResult {
    crate::widget::build()?;
    let binaries = tested_binaries()?;
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !std::path::Path::new(&chromium).exists() {
        return Err(format!(
            "headless Chromium is missing at {chromium}: `apt-get install chromium` (or set CHROMIUM)"
        ));
    }
    step("Browser tests (headless Chromium, the real relay and inbox, the example page)");
    println!(
        "relay: {}\ninbox: {}\nfixture: {}",
        binaries.relay.display(),
        binaries.inbox.display(),
        binaries.fixture.display()
    );
    run_command(
        Command::new("node")
            .args(["--test", "--test-concurrency=1", "browser/"])
            .current_dir(workspace_root().join("tests"))
            .env("CHROMIUM", &chromium)
            .env("FLUISTER_RELAY_BIN", &binaries.relay)
            .env("FLUISTER_INBOX_BIN", &binaries.inbox)
            .env("FLUISTER_FIXTURE_BIN", &binaries.fixture)
            .env("FLUISTER_WIDGET_ASSETS", crate::widget::assets_dir()),
    )
}

/// The binaries the browser tests run.
struct TestedBinaries {
    relay: PathBuf,
    inbox: PathBuf,
    fixture: PathBuf,
}

/// The `relay-server`, `fluister-inbox` and `fluister-fixture` binaries the workspace's test run
/// built (their packages' integration tests run them), in the debug profile.
fn tested_binaries() -> Result<TestedBinaries, String> {
    let profile = target_dir().join("debug");
    let binaries = TestedBinaries {
        relay: profile.join("relay-server"),
        inbox: profile.join("fluister-inbox"),
        fixture: profile.join("fluister-fixture"),
    };
    for binary in [&binaries.relay, &binaries.inbox, &binaries.fixture] {
        if !binary.is_file() {
            return Err(format!(
                "{} is missing after the tests ran; the relay's, the inbox's and the testkit's \
                 integration tests should have built it",
                binary.display()
            ));
        }
    }
    Ok(binaries)
}
