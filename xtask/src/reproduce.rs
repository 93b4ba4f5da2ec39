//! `cargo xtask reproduce-widget`: builds the widget twice, each time in a fresh target folder,
//! and compares the two bundles byte for byte, so a change that makes the build depend on where
//! or when it runs shows up. The first build is of this checkout; the second of a copy of it
//! (the files git tracks or would track) in another folder, so a builder's folder that ends up
//! in the bundle shows up too. Slow (two full wasm builds), so not part of `cargo xtask test`.
//!
//! The two builds share the exact-version build tools (wasm-bindgen CLI, wasm-split-cli) of
//! this target folder's `tools/`, installed once: they are locked by version, and building them
//! twice would double the time without testing the widget's build.

use std::path::Path;
use std::process::Command;

use crate::util::{TaskResult, step, target_dir, workspace_root};
use crate::widget::{MANIFEST, TOOLS_DIR_ENVIRONMENT_VARIABLE};

pub fn run(arguments: &[String]) -> TaskResult {
    if let Some(unknown) = arguments.first() {
        return Err(format!(
            "`cargo xtask reproduce-widget` takes no options (got `{unknown}`)"
        ));
    }
    let root = target_dir().join("reproduce-widget");
    let tools = target_dir().join("tools");
    let xtask = std::env::current_exe()
        .map_err(|error| format!("could not find this program's file: {error}"))?;
    let mut bundles = Vec::new();
    for name in ["first", "second"] {
        let build_target = root.join(name);
        let source = root.join(format!("{name}-source"));
        for folder in [&build_target, &source] {
            if folder.exists() {
                std::fs::remove_dir_all(folder)
                    .map_err(|error| format!("could not empty {}: {error}", folder.display()))?;
            }
        }
        let mut command = if name == "first" {
            step(&format!(
                "Reproducibility: the first clean build of the widget, of {}, in {}",
                workspace_root().display(),
                build_target.display()
            ));
            // This xtask again, with the fresh folder as its target folder.
            Command::new(&xtask)
        } else {
            copy_checkout(&source)?;
            step(&format!(
                "Reproducibility: the second clean build of the widget, of a copy in {}, in {}",
                source.display(),
                build_target.display()
            ));
            // The copy's own xtask, which takes the copy for the workspace.
            let mut command =
                Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
            command
                .args(["run", "--quiet", "--locked", "--package", "xtask", "--"])
                .current_dir(&source);
            command
        };
        crate::util::run_command(
            command
                .arg("widget")
                .env("CARGO_TARGET_DIR", &build_target)
                .env(TOOLS_DIR_ENVIRONMENT_VARIABLE, &tools),
        )?;
        bundles.push(build_target.join("widget"));
    }

    step("Reproducibility: comparing the two bundles byte for byte");
    let first = crate::util::files_under(&bundles[0])?;
    let second = crate::util::files_under(&bundles[1])?;
    let mut differences = Vec::new();
    for (path, bytes) in &first {
        match second.get(path) {
            None => differences.push(format!("{path}: only in the first build")),
            Some(other) if other != bytes => differences.push(format!(
                "{path}: different bytes ({} and {} bytes long)",
                bytes.len(),
                other.len()
            )),
            Some(_) => {}
        }
    }
    for path in second.keys().filter(|path| !first.contains_key(*path)) {
        differences.push(format!("{path}: only in the second build"));
    }
    if !differences.is_empty() {
        return Err(format!(
            "the two builds differ in {} file(s):\n  {}",
            differences.len(),
            differences.join("\n  ")
        ));
    }
    let total: usize = first.values().map(Vec::len).sum();
    println!(
        "The two clean builds are identical: {} files, {total} bytes, {MANIFEST} included.",
        first.len()
    );
    let manifest = bundles[0].join(MANIFEST);
    let sha256 = Command::new("sha256sum")
        .arg(&manifest)
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned());
    if let Some(line) = sha256 {
        println!("SHA-256 of the manifest: {line}");
    }
    Ok(())
}

/// Copies the checkout's files (those git tracks, and new ones it does not ignore) to `to`.
fn copy_checkout(to: &Path) -> TaskResult {
    step(&format!(
        "Reproducibility: copying the checkout to {}",
        to.display()
    ));
    let listing = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(workspace_root())
        .output()
        .map_err(|error| format!("could not run git ls-files: {error}"))?;
    if !listing.status.success() {
        return Err(format!("git ls-files failed ({})", listing.status));
    }
    let mut copied = 0;
    for name in listing.stdout.split(|byte| *byte == 0) {
        let Ok(name) = std::str::from_utf8(name) else {
            continue;
        };
        let from = workspace_root().join(name);
        // A file deleted but not yet committed, or a folder (a submodule): nothing to copy.
        if name.is_empty() || !from.is_file() {
            continue;
        }
        let target = to.join(name);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|error| format!("could not create {}: {error}", parent.display()))?;
        }
        std::fs::copy(&from, &target)
            .map_err(|error| format!("could not copy {}: {error}", from.display()))?;
        copied += 1;
    }
    println!("{copied} files copied");
    Ok(())
}
