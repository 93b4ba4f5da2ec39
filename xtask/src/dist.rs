//! `cargo xtask dist [inbox|relay|all]`: what is handed out, in `target/dist/` with a
//! `SHA256SUMS` file listing every file there; it prints each one's size and SHA-256.
//!
//! - The coordinator's inbox as archives to install, for Linux x86_64 and Windows x86_64
//!   (cross-compiled with Debian's MinGW-w64), each with the program, the coordinator's guides
//!   in Dutch and English and a LEESMIJ.txt.
//! - The relay for a Linux server ([`relay`]): an archive with the widget, a config and a
//!   hardened systemd unit, a Debian package, and the Containerfile.
//!
//! The archives are reproducible as far as is reasonable: the builds map the workspace and
//! Cargo's home out of the binaries' paths, the Windows linker writes no timestamp, and the
//! archives list their entries sorted, with one fixed time (`SOURCE_DATE_EPOCH`, else the last
//! commit's), owner 0 and plain modes.

mod relay;
mod sha256;
mod zip;

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{
    TaskResult, cargo, ensure_rust_target, have_program, run_command, step, target_dir,
    workspace_root,
};

/// The Windows target: built by `dist`, checked by `cargo xtask test`.
pub const WINDOWS_TARGET: &str = "x86_64-pc-windows-gnu";

/// The MinGW-w64 C compiler: the linker of the Windows build, and the C compiler `ring` (under
/// the inbox's TLS) builds its C and assembly with, even for `cargo check`.
const MINGW_GCC: &str = "x86_64-w64-mingw32-gcc";

/// How one platform's archive is made.
#[derive(Debug)]
struct Platform {
    /// The platform in the archive's name: `linux-x86_64`.
    name: &'static str,
    /// Its Rust target.
    target: &'static str,
    /// The program's file name there.
    binary: &'static str,
    /// Zip (Windows, where Explorer opens it) rather than tar.gz.
    zip: bool,
}

const PLATFORMS: [Platform; 2] = [
    Platform {
        name: "linux-x86_64",
        target: "x86_64-unknown-linux-gnu",
        binary: "fluister-inbox",
        zip: false,
    },
    Platform {
        name: "windows-x86_64",
        target: WINDOWS_TARGET,
        binary: "fluister-inbox.exe",
        zip: true,
    },
];

/// The guides that go into every archive, from `docs/`, under the same names (they refer to
/// each other by them).
const GUIDES: [&str; 2] = ["coordinator-guide.nl.md", "coordinator-guide.en.md"];

/// License files put into the archives when the workspace root has them.
const LICENSE_FILES: [&str; 4] = ["LICENSE", "LICENSE.txt", "LICENSE.md", "LICENCE"];

/// The time stamped on every entry when neither `SOURCE_DATE_EPOCH` nor git gives one:
/// 1980-01-01 00:00 UTC, the earliest a ZIP file can hold.
const FALLBACK_ARCHIVE_TIME: u64 = 315_532_800;

/// What `cargo xtask dist` builds: the inbox, the relay, or both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Products {
    All,
    Inbox,
    Relay,
}

impl Products {
    fn inbox(self) -> bool {
        self != Products::Relay
    }

    fn relay(self) -> bool {
        self != Products::Inbox
    }
}

pub fn run(arguments: &[String]) -> TaskResult {
    let products = match arguments {
        [] => Products::All,
        [one] if one == "all" => Products::All,
        [one] if one == "inbox" => Products::Inbox,
        [one] if one == "relay" => Products::Relay,
        [one] => {
            return Err(format!(
                "`cargo xtask dist` builds `inbox`, `relay` or `all` (the default), not `{one}`"
            ));
        }
        [_, extra, ..] => {
            return Err(format!(
                "`cargo xtask dist` takes at most one of `inbox`, `relay`, `all` (got also `{extra}`)"
            ));
        }
    };
    if !cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        return Err(
            "`cargo xtask dist` runs on Linux x86_64 (Debian), where every target builds".into(),
        );
    }
    step("Prerequisites: the Rust targets, tar and gzip, and for each product its tools");
    for (tool, package) in [("tar", "tar"), ("gzip", "gzip")] {
        if !have_program(tool, "--version") {
            return Err(format!("`{tool}` is missing: `apt-get install {package}`"));
        }
    }
    if products.inbox() {
        for platform in &PLATFORMS {
            ensure_rust_target(platform.target)?;
        }
        require_mingw()?;
    }
    if products.relay() {
        relay::require_tools()?;
    }
    let manifest = read_text(&workspace_root().join("Cargo.toml"))?;
    let version = workspace_package_field(&manifest, "version")
        .ok_or("the root Cargo.toml has no [workspace.package] version")?;
    let license = workspace_package_field(&manifest, "license");
    let archive_time = archive_time();
    let dist = target_dir().join("dist");
    // The folder is this task's alone: start without what this run makes, so no archive of
    // another version lingers (a run for one product keeps the other's).
    clear_previous(&dist, products)?;

    if products.inbox() {
        dist_inbox(&dist, &version, license.as_deref(), archive_time)?;
    }
    if products.relay() {
        relay::dist(&dist, &version, license.as_deref(), archive_time)?;
    }

    step("Checksums");
    let checksums = checksums(&dist)?;
    let sums_path = dist.join("SHA256SUMS");
    std::fs::write(&sums_path, &checksums)
        .map_err(|error| format!("could not write {}: {error}", sums_path.display()))?;
    print!("{checksums}");
    println!(
        "\n{} lists every file in {} (check with `sha256sum -c SHA256SUMS`). Give the \
         coordinator the inbox's archive and, by another route (on paper, by phone), its SHA-256.",
        sums_path.display(),
        dist.display()
    );
    Ok(())
}

/// `cargo xtask test`'s installation check of the relay's Debian package
/// ([`relay::install_check`]), with the workspace's version and license.
pub fn relay_install_check() -> TaskResult {
    let manifest = read_text(&workspace_root().join("Cargo.toml"))?;
    let version = workspace_package_field(&manifest, "version")
        .ok_or("the root Cargo.toml has no [workspace.package] version")?;
    let license = workspace_package_field(&manifest, "license");
    relay::require_tools()?;
    relay::install_check(&version, license.as_deref())
}

/// The inbox's archives, for Linux and Windows.
fn dist_inbox(dist: &Path, version: &str, license: Option<&str>, archive_time: u64) -> TaskResult {
    let mut binaries = Vec::new();
    for platform in &PLATFORMS {
        binaries.push(build(platform)?);
    }
    step("Inbox archives (target/dist)");
    for (platform, binary) in PLATFORMS.iter().zip(&binaries) {
        let folder = format!("fluister-inbox-{version}-{}", platform.name);
        let archive_name = format!("{folder}.{}", if platform.zip { "zip" } else { "tar.gz" });
        let files = archive_files(platform, binary, version, license, &archive_name)?;
        let archive_path = dist.join(&archive_name);
        if platform.zip {
            write_zip(&archive_path, &folder, &files, archive_time)?;
        } else {
            write_tar_gz(
                &archive_path,
                &dist.join("staging"),
                &folder,
                &[platform.binary],
                &files,
                archive_time,
            )?;
        }
        print_artifact(&archive_path)?;
    }
    Ok(())
}

/// Prints a built file's path, size and SHA-256.
fn print_artifact(path: &Path) -> TaskResult {
    let bytes = std::fs::read(path)
        .map_err(|error| format!("could not read {}: {error}", path.display()))?;
    println!(
        "{}\n  size:    {} bytes ({:.1} MiB)\n  SHA-256: {}",
        path.display(),
        bytes.len(),
        bytes.len() as f64 / (1024.0 * 1024.0),
        sha256::hex_digest(&bytes)
    );
    Ok(())
}

/// Removes from `dist` what a run for `products` makes anew (everything, for all of them).
fn clear_previous(dist: &Path, products: Products) -> TaskResult {
    if !dist.exists() {
        return Ok(());
    }
    if products == Products::All {
        return std::fs::remove_dir_all(dist)
            .map_err(|error| format!("could not empty {}: {error}", dist.display()));
    }
    let prefix = if products.inbox() {
        "fluister-inbox"
    } else {
        "fluister-relay"
    };
    let entries = std::fs::read_dir(dist)
        .map_err(|error| format!("could not list {}: {error}", dist.display()))?;
    for entry in entries {
        let entry = entry.map_err(|error| format!("could not list {}: {error}", dist.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(prefix) || name == "SHA256SUMS" || name == "staging" {
            let path = entry.path();
            let removed = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            removed.map_err(|error| format!("could not remove {}: {error}", path.display()))?;
        }
    }
    Ok(())
}

/// `SHA256SUMS`: one line per file in `dist`, sorted by name, as `sha256sum` writes them.
fn checksums(dist: &Path) -> Result<String, String> {
    let mut names = Vec::new();
    let entries = std::fs::read_dir(dist)
        .map_err(|error| format!("could not list {}: {error}", dist.display()))?;
    for entry in entries {
        let entry = entry.map_err(|error| format!("could not list {}: {error}", dist.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_file() && name != "SHA256SUMS" {
            names.push(name);
        }
    }
    names.sort();
    let mut text = String::new();
    for name in names {
        let path = dist.join(&name);
        let bytes = std::fs::read(&path)
            .map_err(|error| format!("could not read {}: {error}", path.display()))?;
        text.push_str(&format!("{}  {name}\n", sha256::hex_digest(&bytes)));
    }
    Ok(text)
}

/// Fails, saying what to install, when the MinGW-w64 C compiler is missing.
pub fn require_mingw() -> TaskResult {
    if have_program(MINGW_GCC, "--version") {
        return Ok(());
    }
    Err(format!(
        "`{MINGW_GCC}` is missing: the Windows build links with it and `ring` compiles its C \
         code with it. Install it with `apt-get install gcc-mingw-w64-x86-64`."
    ))
}

/// The release build of `fluister-inbox` for `platform`, and the path of the program.
fn build(platform: &Platform) -> Result<PathBuf, String> {
    step(&format!(
        "fluister-inbox for {} ({}, release)",
        platform.name, platform.target
    ));
    let binary = release_build("fluister-inbox", platform.binary, platform.target)?;
    // The test-only kill switch must never ship (see inbox/src/kill_switch.rs): its variable's
    // name is in the program only when the `test-hooks` feature was on.
    refuse_if_contains(&binary, "FLUISTER_INBOX_TEST_KILL_AT")?;
    Ok(binary)
}

/// The release build of `package`'s program `binary` (its file name) for `target`, and its path.
///
/// `--locked` builds exactly what `Cargo.lock` says. The flags go in through
/// `CARGO_ENCODED_RUSTFLAGS` (which, with `--target`, leaves build scripts alone) and replace
/// any `RUSTFLAGS` of the caller's, so every machine builds the same: the workspace's and
/// Cargo home's paths are mapped to fixed names (the binary names no folder of the builder's),
/// symbols are stripped, and the Windows linker writes no timestamp into the program.
fn release_build(package: &str, binary: &str, target: &str) -> Result<PathBuf, String> {
    let mut rustflags = vec![
        format!(
            "--remap-path-prefix={}=/fluister",
            workspace_root().display()
        ),
        "-Cstrip=symbols".to_owned(),
    ];
    if let Some(cargo_home) = cargo_home() {
        rustflags.push(format!(
            "--remap-path-prefix={}=/cargo",
            cargo_home.display()
        ));
    }
    let bin = binary.strip_suffix(".exe").unwrap_or(binary);
    let mut command = cargo();
    command.args([
        "build",
        "--release",
        "--locked",
        "--package",
        package,
        "--bin",
        bin,
        "--target",
        target,
    ]);
    if target == WINDOWS_TARGET {
        rustflags.push("-Clink-arg=-Wl,--no-insert-timestamp".to_owned());
        command.env("CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER", MINGW_GCC);
    }
    println!("(rustflags: {})", rustflags.join(" "));
    command
        .env_remove("RUSTFLAGS")
        .env("CARGO_ENCODED_RUSTFLAGS", rustflags.join("\x1f"));
    run_command(&mut command)?;
    Ok(target_dir().join(target).join("release").join(binary))
}

/// Fails when `binary` holds `marker`: the name of a test-only hook, which is in a program only
/// when its package's `test-hooks` feature was on. Such a program must never ship.
fn refuse_if_contains(binary: &Path, marker: &str) -> TaskResult {
    let bytes = std::fs::read(binary)
        .map_err(|error| format!("the build left no {}: {error}", binary.display()))?;
    if contains(&bytes, marker.as_bytes()) {
        return Err(format!(
            "{} was built with the test-only `test-hooks` feature; it must not ship",
            binary.display()
        ));
    }
    Ok(())
}

/// The files of one archive: (name in the archive's folder, contents), sorted by name.
fn archive_files(
    platform: &Platform,
    binary: &Path,
    version: &str,
    license: Option<&str>,
    archive_name: &str,
) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut files = vec![(
        platform.binary.to_owned(),
        std::fs::read(binary)
            .map_err(|error| format!("could not read {}: {error}", binary.display()))?,
    )];
    for guide in GUIDES {
        let path = workspace_root().join("docs").join(guide);
        files.push((guide.to_owned(), read_text(&path)?.into_bytes()));
    }
    for license_file in LICENSE_FILES {
        let path = workspace_root().join(license_file);
        if path.is_file() {
            files.push((license_file.to_owned(), read_text(&path)?.into_bytes()));
        }
    }
    let mut readme = readme(platform, version, license, archive_name);
    if platform.zip {
        // Windows line ends, for Notepad and everything else there.
        readme = readme.replace('\n', "\r\n");
    }
    files.push(("LEESMIJ.txt".to_owned(), readme.into_bytes()));
    files.sort();
    Ok(files)
}

/// The Windows archive: the folder, then its files, all stored, at `archive_time`.
fn write_zip(
    path: &Path,
    folder: &str,
    files: &[(String, Vec<u8>)],
    archive_time: u64,
) -> TaskResult {
    let mut entries = vec![zip::Entry {
        name: format!("{folder}/"),
        contents: Vec::new(),
    }];
    entries.extend(files.iter().map(|(name, contents)| zip::Entry {
        name: format!("{folder}/{name}"),
        contents: contents.clone(),
    }));
    let bytes = zip::archive(&entries, archive_time)?;
    create_parent(path)?;
    std::fs::write(path, bytes)
        .map_err(|error| format!("could not write {}: {error}", path.display()))
}

/// A Linux archive, with the system's GNU tar and gzip: the files (names with `/` in folders)
/// are laid out in `staging/folder` (removed afterwards), then archived sorted by name, every
/// entry owned by 0:0 with plain modes (the `programs` and folders 755, the rest 644) at
/// `archive_time`, and gzip told to store no name or time.
fn write_tar_gz(
    path: &Path,
    staging: &Path,
    folder: &str,
    programs: &[&str],
    files: &[(String, Vec<u8>)],
    archive_time: u64,
) -> TaskResult {
    let root = staging.join(folder);
    std::fs::create_dir_all(&root)
        .map_err(|error| format!("could not create {}: {error}", root.display()))?;
    for (name, contents) in files {
        let mode = if programs.contains(&name.as_str()) {
            0o755
        } else {
            0o644
        };
        write_file(&root.join(name), contents, mode)?;
    }
    create_parent(path)?;
    let mut tar = Command::new("tar");
    tar.env_remove("TAR_OPTIONS")
        .env_remove("GZIP")
        .env("LC_ALL", "C")
        .args([
            "--create",
            "--format=gnu",
            "--sort=name",
            "--owner=0",
            "--group=0",
            "--numeric-owner",
            "--mode=u+w,go-w,a+rX",
            "--use-compress-program=gzip -9n",
        ])
        .arg(format!("--mtime=@{archive_time}"))
        .arg("--file")
        .arg(path)
        .arg("--directory")
        .arg(staging)
        .arg(folder);
    let outcome = run_command(&mut tar);
    let _ = std::fs::remove_dir_all(staging);
    outcome
}

/// LEESMIJ.txt: what the program is, how to start it, where the guide is and how to check the
/// archive's SHA-256; Dutch first, then English.
fn readme(platform: &Platform, version: &str, license: Option<&str>, archive_name: &str) -> String {
    let program = platform.binary;
    let (system, start_nl, start_en, check, check_note_nl, check_note_en) = if platform.zip {
        (
            "Windows (x86_64)",
            format!(
                "Pak het zip-bestand uit (rechtsklik, \"Alles uitpakken\") en dubbelklik in de\n\
                 uitgepakte map op {program}: de werkplek opent in uw webbrowser. Laat het\n\
                 zwarte venster open zolang u werkt; sluit het om te stoppen.\n\n\
                 Voor de opdrachten van de handleiding: klik in de map met de rechtermuisknop op\n\
                 een lege plek en kies \"Openen in Terminal\" (Windows 10: Shift + rechtsklik,\n\
                 \"PowerShell-venster hier openen\"). Typ:\n\n\
                 \x20   .\\{program} --help\n\n\
                 Waar de handleiding `fluister-inbox` schrijft, typt u `.\\{program}`.\n\
                 Het programma is niet digitaal ondertekend; waarschuwt Windows voor een\n\
                 onbekende uitgever, controleer dan eerst de SHA-256 (hieronder)."
            ),
            format!(
                "Extract the zip file (right-click, \"Extract All\") and double-click {program}\n\
                 in the extracted folder: the workspace opens in your web browser. Keep the black\n\
                 window open while you work; close it to stop.\n\n\
                 For the guide's commands: right-click an empty spot in the folder and choose\n\
                 \"Open in Terminal\" (Windows 10: Shift + right-click, \"Open PowerShell window\n\
                 here\"). Type:\n\n\
                 \x20   .\\{program} --help\n\n\
                 Where the guide says `fluister-inbox`, type `.\\{program}`.\n\
                 The program is not digitally signed; if Windows warns about an unknown\n\
                 publisher, check the SHA-256 first (below)."
            ),
            format!("    Get-FileHash {archive_name}"),
            // Get-FileHash prints capitals where `sha256sum` prints small letters.
            "\n(In PowerShell. Hoofdletters of kleine letters maakt niet uit.)\n",
            "\n(In PowerShell. Capital or small letters do not matter.)\n",
        )
    } else {
        (
            "Linux (x86_64)",
            format!(
                "Pak het archief uit, open een terminal in de uitgepakte map en typ:\n\n\
                 \x20   ./{program}\n\n\
                 De werkplek opent in uw webbrowser. Alle opdrachten: ./{program} --help\n\n\
                 Om het overal te kunnen starten, zet u het in een map in uw PATH:\n\n\
                 \x20   install -m 755 {program} ~/.local/bin/"
            ),
            format!(
                "Extract the archive, open a terminal in the extracted folder and type:\n\n\
                 \x20   ./{program}\n\n\
                 The workspace opens in your web browser. Every command: ./{program} --help\n\n\
                 To start it from anywhere, put it in a folder on your PATH:\n\n\
                 \x20   install -m 755 {program} ~/.local/bin/"
            ),
            format!("    sha256sum {archive_name}"),
            "",
            "",
        )
    };
    let license_nl = license
        .map(|license| format!("\nLicentie: {license}.\n"))
        .unwrap_or_default();
    let license_en = license
        .map(|license| format!("\nLicense: {license}.\n"))
        .unwrap_or_default();
    let title = format!("Fluister-inbox {version} voor {system}");
    let underline = "=".repeat(title.chars().count());
    format!(
        "{title}\n{underline}\n\n(English below.)\n\n\
         WAT IS DIT?\n\
         Het programma van de ketenregisseur mensenhandel: het haalt de anonieme meldingen van\n\
         Fluister op, opent ze met uw eigen sleutel op deze computer, en helpt u ze te lezen,\n\
         te beantwoorden, over te dragen en te tellen.\n\n\
         STARTEN\n{start_nl}\n\n\
         DE HANDLEIDING\n\
         coordinator-guide.nl.md in deze map (Engels: coordinator-guide.en.md). Het is platte\n\
         tekst; open hem met een teksteditor. Begin bij \"De eerste dag\".\n\n\
         CONTROLEER DE SHA-256\n\
         Wie u dit archief gaf, geeft u langs een andere weg (op papier, door de telefoon) ook\n\
         de SHA-256 ervan. Laat de computer die van het archief berekenen en vergelijk:\n\n\
         {check}\n{check_note_nl}\n\
         Is hij niet teken voor teken gelijk, gebruik het programma dan niet en meld het aan\n\
         wie u het archief gaf.\n\
         {license_nl}\n\
         ------------------------------------------------------------------------------\n\n\
         Fluister inbox {version} for {system}\n\n\
         WHAT IS THIS?\n\
         The human-trafficking coordinator's program: it fetches Fluister's anonymous tips,\n\
         opens them with your own key on this computer, and helps you read, answer, hand over\n\
         and count them.\n\n\
         STARTING\n{start_en}\n\n\
         THE GUIDE\n\
         coordinator-guide.en.md in this folder (Dutch: coordinator-guide.nl.md). It is plain\n\
         text; open it in a text editor. Start at \"First day\".\n\n\
         CHECK THE SHA-256\n\
         Whoever gave you this archive also gives you its SHA-256, by another route (on paper,\n\
         by phone). Have the computer compute the archive's and compare:\n\n\
         {check}\n{check_note_en}\n\
         If it is not the same, character for character, do not use the program, and tell\n\
         whoever gave you the archive.\n\
         {license_en}"
    )
}

/// The time stamped on every archive entry: `SOURCE_DATE_EPOCH` (the reproducible-builds
/// convention), else the last commit's time, else 1980-01-01.
fn archive_time() -> u64 {
    if let Some(seconds) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|value| value.trim().parse().ok())
    {
        return seconds;
    }
    Command::new("git")
        .args(["log", "-1", "--format=%ct"])
        .current_dir(workspace_root())
        .output()
        .ok()
        .filter(|output| output.status.success())
        .and_then(|output| String::from_utf8_lossy(&output.stdout).trim().parse().ok())
        .unwrap_or(FALLBACK_ARCHIVE_TIME)
}

/// A `key = "value"` of the `[workspace.package]` table in the root `Cargo.toml`.
fn workspace_package_field(manifest: &str, key: &str) -> Option<String> {
    let table = manifest.split("\n[workspace.package]\n").nth(1)?;
    let table = table.split("\n[").next()?;
    table.lines().find_map(|line| {
        let (name, value) = line.split_once('=')?;
        (name.trim() == key).then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// Cargo's home (registry sources live under it): `CARGO_HOME`, else `~/.cargo`.
pub fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

fn read_text(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map_err(|error| format!("could not read {}: {error}", path.display()))
}

/// Writes `contents` to `path` (making its folders) with `mode`.
fn write_file(path: &Path, contents: &[u8], mode: u32) -> TaskResult {
    create_parent(path)?;
    std::fs::write(path, contents)
        .map_err(|error| format!("could not write {}: {error}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .map_err(|error| format!("could not set the mode of {}: {error}", path.display()))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    Ok(())
}

fn create_parent(path: &Path) -> TaskResult {
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .map_err(|error| format!("could not create {}: {error}", parent.display()))
}

#[cfg(test)]
mod tests {
    use super::{PLATFORMS, readme, workspace_package_field};

    #[test]
    fn reads_the_workspace_version_and_license() {
        let manifest = "[workspace]\nmembers = []\n\n[workspace.package]\nversion = \"0.1.0\"\n\
                        license = \"EUPL-1.2\"\n\n[workspace.dependencies]\nversion = \"9\"\n";
        assert_eq!(
            workspace_package_field(manifest, "version").as_deref(),
            Some("0.1.0")
        );
        assert_eq!(
            workspace_package_field(manifest, "license").as_deref(),
            Some("EUPL-1.2")
        );
        assert_eq!(workspace_package_field(manifest, "edition"), None);
    }

    /// Each LEESMIJ.txt names its own program and archive, Dutch before English.
    #[test]
    fn the_readme_names_the_program_and_the_archive() {
        for platform in &PLATFORMS {
            let archive = format!("fluister-inbox-0.1.0-{}.archive", platform.name);
            let text = readme(platform, "0.1.0", Some("EUPL-1.2"), &archive);
            assert!(text.contains(&format!("{} --help", platform.binary)));
            assert!(text.contains(&archive));
            assert!(text.find("STARTEN").unwrap() < text.find("STARTING").unwrap());
            assert!(text.contains("Licentie: EUPL-1.2."));
        }
    }
}
