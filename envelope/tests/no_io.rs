//! Guards the envelope's invariant (ARCHITECTURE.md, invariant 4): it does no I/O and has no
//! global state. It takes bytes, readers and writers; its one contact with the outside is the
//! random source through `getrandom`. Every source file is read and searched for the ways Rust
//! reaches the file system, the network, the environment, processes, the clock or the terminal,
//! and for state shared across calls.

use std::path::{Path, PathBuf};

/// What the envelope's code must never name, and why.
const FORBIDDEN: &[(&str, &str)] = &[
    ("std::fs", "the file system"),
    ("std::net", "the network"),
    ("std::env", "the environment"),
    ("std::process", "other processes"),
    ("std::time", "the clock"),
    ("SystemTime", "the clock"),
    ("Instant::now", "the clock"),
    ("stdin()", "the terminal"),
    ("stdout()", "the terminal"),
    ("stderr()", "the terminal"),
    ("println!", "the terminal"),
    ("eprintln!", "the terminal"),
    ("print!", "the terminal"),
    ("dbg!", "the terminal"),
    ("static mut", "global state"),
    ("thread_local!", "global state"),
    ("OnceLock", "global state"),
    ("LazyLock", "global state"),
    ("OnceCell", "global state"),
    ("AtomicU", "global state"),
    ("AtomicBool", "global state"),
    ("Mutex", "global state"),
    ("RwLock", "global state"),
];

fn rust_files(directory: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(directory).expect("the envelope's sources can be read") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            found.push(path);
        }
    }
}

/// The code of a line, without a trailing `//` comment (doc comments may speak of these things).
fn code_of(line: &str) -> &str {
    let trimmed = line.trim_start();
    if trimmed.starts_with("//") {
        return "";
    }
    match line.find("//") {
        // A `//` inside a string literal is rare enough here; a false hit only errs to strictness.
        Some(position) if !line[..position].contains('"') => &line[..position],
        _ => line,
    }
}

#[test]
fn the_envelope_names_no_io_and_no_global_state() {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&source, &mut files);
    assert!(
        files.len() >= 10,
        "expected the envelope's sources in {}, found {} files",
        source.display(),
        files.len()
    );
    let mut problems = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("a source file is UTF-8");
        // Unit tests may use what they like; they are not part of the library.
        let library = text.split("#[cfg(test)]").next().unwrap_or("");
        for (number, line) in library.lines().enumerate() {
            let code = code_of(line);
            for (name, what) in FORBIDDEN {
                if code.contains(name) {
                    problems.push(format!(
                        "{}:{}: `{name}` reaches {what}: {}",
                        file.strip_prefix(&source).unwrap_or(file).display(),
                        number + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_search_finds_what_it_looks_for() {
    // The check above passes only if it would have failed on a forbidden line.
    assert_eq!(
        code_of("    let f = std::fs::read(path)?;"),
        "    let f = std::fs::read(path)?;"
    );
    assert_eq!(code_of("    /// reads std::fs"), "");
    assert_eq!(code_of("    let x = 1; // std::fs"), "    let x = 1; ");
    assert!(
        FORBIDDEN
            .iter()
            .any(|(name, _)| code_of("static mut COUNTER: u32 = 0;").contains(name))
    );
}
