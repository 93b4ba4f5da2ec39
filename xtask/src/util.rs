//! Small helpers shared by the tasks: where the workspace is, and running commands loudly.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The result of a task: an error is a message for the person who ran it.
pub type TaskResult = Result<(), String>;

/// The workspace root (the directory holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// The shared target directory.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// A `cargo` command run from the workspace root, using the same cargo that runs xtask.
pub fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(workspace_root());
    command
}

/// Prints a step heading so a long run shows where it is.
pub fn step(title: &str) {
    println!("\n==> {title}");
}

/// Runs `command`, streaming its output, and fails with its description if it fails.
pub fn run_command(command: &mut Command) -> TaskResult {
    let description = describe(command);
    println!("$ {description}");
    let status = command
        .status()
        .map_err(|error| format!("could not start `{description}`: {error}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{description}` failed ({status})"))
    }
}

/// Whether a program can be started at all (used to explain missing tools).
pub fn have_program(program: &str, version_argument: &str) -> bool {
    Command::new(program)
        .arg(version_argument)
        .output()
        .is_ok_and(|output| output.status.success())
}

fn describe(command: &Command) -> String {
    let mut words = vec![command.get_program().to_string_lossy().into_owned()];
    words.extend(
        command
            .get_args()
            .map(|argument| argument.to_string_lossy().into_owned()),
    );
    words.join(" ")
}

/// Makes sure the wasm target is installed (a no-op when it is).
pub fn ensure_wasm_target() -> TaskResult {
    ensure_rust_target("wasm32-unknown-unknown")
}

/// Makes sure the standard library for `target` is installed, adding it with rustup when it
/// is missing (a no-op when it is there).
pub fn ensure_rust_target(target: &str) -> TaskResult {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|error| {
            format!(
                "rustup is needed to add the Rust target {target} (`rustup target add {target}`): \
                 {error}"
            )
        })?;
    if String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|line| line.trim() == target)
    {
        return Ok(());
    }
    run_command(Command::new("rustup").args(["target", "add", target]))
        .map_err(|error| format!("{error}: the Rust target {target} is missing"))
}

/// Installs the npm packages of `tests/` (exactly as locked) when they are missing or stale.
pub fn ensure_test_npm_packages() -> TaskResult {
    let tests_dir = workspace_root().join("tests");
    let lock = tests_dir.join("package-lock.json");
    let installed_lock = tests_dir.join("node_modules/.package-lock.json");
    let fresh = match (std::fs::metadata(&lock), std::fs::metadata(&installed_lock)) {
        (Ok(lock), Ok(installed)) => installed.modified().ok() >= lock.modified().ok(),
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    if !have_program("npm", "--version") {
        return Err(
            "npm is needed for the test vectors and browser tests: install Node.js 20".into(),
        );
    }
    run_command(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&tests_dir),
    )
}

/// The relay and inbox binaries, as built by [`build_relay_and_inbox`].
#[derive(Debug)]
pub struct Binaries {
    /// `relay-server`.
    pub relay: PathBuf,
    /// `fluister-inbox`.
    pub inbox: PathBuf,
}

/// Builds the `relay-server` and `fluister-inbox` binaries (debug, or `release`), for the
/// browser tests, the widget benchmark and the demo, and says where they are. The same command
/// everywhere, so one task reuses what another built.
pub fn build_relay_and_inbox(release: bool) -> Result<Binaries, String> {
    let mut command = cargo();
    command.arg("build");
    if release {
        command.arg("--release");
    }
    command.args([
        "--package",
        "relay-server",
        "--bin",
        "relay-server",
        "--package",
        "fluister-inbox",
        "--bin",
        "fluister-inbox",
    ]);
    run_command(&mut command)?;
    let profile = target_dir().join(if release { "release" } else { "debug" });
    Ok(Binaries {
        relay: profile.join("relay-server"),
        inbox: profile.join("fluister-inbox"),
    })
}

/// Every folder and file under `root` (not `root` itself), folders before what they hold.
pub fn paths_under(root: &Path) -> Result<Vec<PathBuf>, String> {
    let mut everything = Vec::new();
    let mut folders: Vec<PathBuf> = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder)
            .map_err(|error| format!("could not list {}: {error}", folder.display()))?;
        for entry in entries {
            let path = entry
                .map_err(|error| format!("could not list {}: {error}", folder.display()))?
                .path();
            if path.is_dir() {
                folders.push(path.clone());
            }
            everything.push(path);
        }
    }
    Ok(everything)
}

/// Every file under `root`, by its path relative to `root` (with `/`), with its bytes, in the
/// order of their paths; an error for an empty folder.
pub fn files_under(root: &Path) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let mut files = BTreeMap::new();
    for path in paths_under(root)? {
        if path.is_dir() {
            continue;
        }
        let relative = path
            .strip_prefix(root)
            .map_err(|_| format!("{} is outside {}", path.display(), root.display()))?
            .components()
            .map(|part| part.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        let bytes = std::fs::read(&path)
            .map_err(|error| format!("could not read {}: {error}", path.display()))?;
        files.insert(relative, bytes);
    }
    if files.is_empty() {
        return Err(format!("{} is empty", root.display()));
    }
    Ok(files)
}
