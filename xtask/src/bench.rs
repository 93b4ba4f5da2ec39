//! `cargo xtask bench <target>`: benchmarks that print numbers (never tests with time limits).

use crate::util::{TaskResult, cargo, run_command, step};

/// Each benchmark: its name on the command line, the package, and the bench target.
const TARGETS: &[(&str, &str, &str)] = &[
    ("envelope", "fluister-envelope", "envelope"),
    ("relay", "relay-server", "relay"),
    ("inbox", "fluister-inbox", "inbox"),
    ("app", "fluister-inbox", "app"),
];

pub fn run(arguments: &[String]) -> TaskResult {
    let [target] = arguments else {
        let mut names: Vec<&str> = TARGETS.iter().map(|(name, _, _)| *name).collect();
        names.push("widget");
        return Err(format!(
            "say which benchmark to run: cargo xtask bench <{}>",
            names.join("|")
        ));
    };
    if target == "widget" {
        return widget_benchmark();
    }
    let Some((name, package, bench)) = TARGETS.iter().find(|(name, _, _)| name == target) else {
        return Err(format!("no benchmark called `{target}`"));
    };
    step(&format!("Benchmark: {name} (release build)"));
    if *name == "inbox" {
        // The inbox's benchmark runs the real relay, which its tests' kit finds next to the
        // benchmark's executable; `cargo bench` of the inbox alone does not build it.
        run_command(cargo().args([
            "build",
            "--release",
            "--package",
            "relay-server",
            "--bin",
            "relay-server",
        ]))?;
    }
    run_command(cargo().args(["bench", "--package", package, "--bench", bench]))
}

/// `bench widget`: bundle sizes, load time, send-to-receipt time and the receipt code's key
/// derivation in headless Chromium against the real relay, with the real inbox asking the
/// questions, and the start screen and first question like a cheap phone on a weak signal
/// (Chromium's network emulation and CPU slowdown; `tests/bench/widget.mjs`).
fn widget_benchmark() -> TaskResult {
    crate::widget::build()?;
    step("The relay and inbox (release build) for the widget benchmark");
    let binaries = crate::util::build_relay_and_inbox(true)?;
    step("Benchmark: widget in headless Chromium");
    run_command(
        std::process::Command::new("node")
            .arg("bench/widget.mjs")
            .current_dir(crate::util::workspace_root().join("tests"))
            .env("FLUISTER_RELAY_BIN", &binaries.relay)
            .env("FLUISTER_INBOX_BIN", &binaries.inbox)
            .env("FLUISTER_WIDGET_ASSETS", crate::widget::assets_dir()),
    )
}
