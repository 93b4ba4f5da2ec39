//! `cargo xtask bench <target>`: benchmarks that print numbers (never tests with time limits).

use crate::util::{TaskResult, cargo, run_command, step};

/// Each benchmark: its name on the command line, the package, and the bench target.
const TARGETS: &[(&str, &str, &str)] = &[
    ("envelope", "fluister-envelope", "envelope"),
    ("relay", "relay-server", "relay"),
    ("inbox", "fluister-inbox", "inbox"),
];

pub fn run(arguments: &[String]) -> TaskResult {
    let [target] = arguments else {
        let names: Vec<&str> = TARGETS.iter().map(|(name, _, _)| *name).collect();
        return Err(format!(
            "say which benchmark to run: cargo xtask bench <{}>",
            names.join("|")
        ));
    };
    let Some((name, package, bench)) = TARGETS.iter().find(|(name, _, _)| name == target) else {
        return Err(format!("no benchmark called `{target}`"));
    };
    step(&format!("Benchmark: {name} (release build)"));
    run_command(cargo().args(["bench", "--package", package, "--bench", bench]))
}
