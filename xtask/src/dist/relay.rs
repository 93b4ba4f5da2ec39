//! `cargo xtask dist relay`: the relay for a Linux x86_64 server, as
//!
//! - `fluister-relay-VERSION-linux-x86_64.tar.gz`: `relay-server`, the built widget, a
//!   `relay.toml` to start from, the hardened systemd unit, the operator guide and a README;
//! - `fluister-relay_VERSION_amd64.deb`: the same laid out for Debian (`/usr/bin`,
//!   `/usr/share/fluister/widget`, `/etc/fluister/relay.toml` as a conffile, the unit), whose
//!   `postinst` makes the `fluister` system user and its state folder; built with
//!   `dpkg-deb --root-owner-group` from a staged tree whose every entry has one fixed time;
//! - `fluister-relay-VERSION.Containerfile`: a copy of the repository's `Containerfile`, the
//!   recipe for the container image (built elsewhere, with a container runtime, from the
//!   repository).
//!
//! The texts (the unit, the installed config, the package's control files and scripts) are
//! made by the plain functions below, which the unit tests check.

use std::path::Path;
use std::process::Command;

use super::{
    print_artifact, read_text, refuse_if_contains, release_build, write_file, write_tar_gz,
};
use crate::util::{TaskResult, have_program, run_command, step, workspace_root};

/// The relay's only platform.
const TARGET: &str = "x86_64-unknown-linux-gnu";

/// The package's name, its unit's and the prefix of everything this module writes.
const PACKAGE: &str = "fluister-relay";

/// The `Maintainer` of the Debian package.
const MAINTAINER: &str = "Fluister maintainers <fluister@example.invalid>";

/// Where the relay keeps its database and challenge key when installed (the unit's
/// `StateDirectory=fluister`).
const STATE_DIR: &str = "/var/lib/fluister";

/// The config file the unit starts the relay with.
const CONFIG_PATH: &str = "/etc/fluister/relay.toml";

/// A built-in test-only hook (`relay-server/src/hourly.rs`): its name is in the program only
/// when the `test-hooks` feature was on.
const TEST_HOOK_MARKER: &str = "FLUISTER_RELAY_TEST_METRICS_CLOCK";

/// How the relay is laid out on the server: the archive's (by hand, under `/usr/local`) or the
/// package's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The program.
    pub binary: &'static str,
    /// The built widget.
    pub widget: &'static str,
    /// The operator guide.
    pub guide: &'static str,
}

/// Installed from the archive, by hand.
pub const ARCHIVE_LAYOUT: Layout = Layout {
    binary: "/usr/local/bin/relay-server",
    widget: "/usr/local/share/fluister/widget",
    guide: "/usr/local/share/doc/fluister-relay/operator-guide.md",
};

/// Installed by the Debian package.
pub const DEB_LAYOUT: Layout = Layout {
    binary: "/usr/bin/relay-server",
    widget: "/usr/share/fluister/widget",
    guide: "/usr/share/doc/fluister-relay/operator-guide.md",
};

/// Fails, saying what to install, when a tool the relay's packaging needs is missing.
pub fn require_tools() -> TaskResult {
    if !have_program("dpkg-deb", "--version") {
        return Err("`dpkg-deb` is missing: `apt-get install dpkg`".into());
    }
    if !have_program("node", "--version") {
        return Err("`node` is missing: the widget's build needs Node.js 20".into());
    }
    let containerfile = workspace_root().join("Containerfile");
    if !containerfile.is_file() {
        return Err(format!("{} is missing", containerfile.display()));
    }
    Ok(())
}

/// Builds the relay and the widget and writes the archive, the package and the Containerfile's
/// copy into `dist`.
pub fn dist(dist: &Path, version: &str, license: Option<&str>, archive_time: u64) -> TaskResult {
    step("relay-server for linux-x86_64 (release)");
    let binary_path = release_build("relay-server", "relay-server", TARGET)?;
    refuse_if_contains(&binary_path, TEST_HOOK_MARKER)?;
    let binary = std::fs::read(&binary_path)
        .map_err(|error| format!("could not read {}: {error}", binary_path.display()))?;

    crate::widget::build()?;
    let widget: Vec<(String, Vec<u8>)> = crate::util::files_under(&crate::widget::assets_dir())?
        .into_iter()
        .collect();
    if !widget.iter().any(|(name, _)| name == "embed.js") {
        return Err("the widget's build left no embed.js".into());
    }
    let PackageTexts {
        example,
        guide,
        license_text,
    } = PackageTexts::read()?;

    step("Relay archive, Debian package and Containerfile (target/dist)");
    // The archive.
    let folder = format!("{PACKAGE}-{version}-linux-x86_64");
    let mut files = vec![
        ("relay-server".to_owned(), binary.clone()),
        (
            "relay.toml".to_owned(),
            installed_config(&example, &ARCHIVE_LAYOUT)?.into_bytes(),
        ),
        (
            format!("{PACKAGE}.service"),
            systemd_unit(&ARCHIVE_LAYOUT).into_bytes(),
        ),
        ("operator-guide.md".to_owned(), guide.clone().into_bytes()),
        (
            "README.txt".to_owned(),
            archive_readme(version, license, &folder).into_bytes(),
        ),
    ];
    if let Some((name, text)) = &license_text {
        files.push(((*name).to_owned(), text.clone().into_bytes()));
    }
    files.extend(
        widget
            .iter()
            .map(|(name, contents)| (format!("widget/{name}"), contents.clone())),
    );
    files.sort();
    let archive = dist.join(format!("{folder}.tar.gz"));
    write_tar_gz(
        &archive,
        &dist.join("staging"),
        &folder,
        &["relay-server"],
        &files,
        archive_time,
    )?;
    print_artifact(&archive)?;

    // The Debian package.
    let tree = deb_tree(
        version,
        license,
        license_text.as_ref().map(|(_, text)| text.as_str()),
        &example,
        &guide,
        &widget,
        &binary,
    )?;
    let deb = dist.join(format!("{PACKAGE}_{version}_amd64.deb"));
    build_deb(&deb, &dist.join("deb-staging"), &tree, archive_time)?;
    print_artifact(&deb)?;
    run_command(Command::new("dpkg-deb").arg("--info").arg(&deb))?;

    // The container recipe.
    let containerfile = dist.join(format!("{PACKAGE}-{version}.Containerfile"));
    std::fs::copy(workspace_root().join("Containerfile"), &containerfile)
        .map_err(|error| format!("could not write {}: {error}", containerfile.display()))?;
    print_artifact(&containerfile)?;
    println!(
        "(The container image is built from the repository with `podman build -f Containerfile \
         .` on a machine with a container runtime; see the operator guide, \"Container\".)"
    );
    Ok(())
}

/// The texts that go into the archive and the package besides the program and the widget.
struct PackageTexts {
    /// `relay-server/src/example-config.toml`.
    example: String,
    /// `docs/operator-guide.md`.
    guide: String,
    /// The license file's name and text, if the repository has one.
    license_text: Option<(&'static str, String)>,
}

impl PackageTexts {
    fn read() -> Result<Self, String> {
        let example = read_text(&workspace_root().join("relay-server/src/example-config.toml"))?;
        let guide = read_text(&workspace_root().join("docs/operator-guide.md"))?;
        let license_text = super::LICENSE_FILES.iter().find_map(|name| {
            let path = workspace_root().join(name);
            path.is_file()
                .then(|| std::fs::read_to_string(&path).ok())
                .flatten()
                .map(|text| (*name, text))
        });
        Ok(Self {
            example,
            guide,
            license_text,
        })
    }
}

/// The Debian package installed for real, as an operator would: built from the relay the tests
/// built (debug) and the built widget, `dpkg -i`, the installed program started as the
/// package's user with the packaged config (only the listening address from the environment, so
/// nothing else on the machine is in the way), `/readyz` answered, then `dpkg --purge`. It
/// changes the machine (a package, a user, `/var/lib/fluister`), so `cargo xtask test` runs it
/// only when `FLUISTER_DEB_INSTALL_CHECK=1`, which `.ci/run` sets on CI's throwaway machine.
pub fn install_check(version: &str, license: Option<&str>) -> TaskResult {
    step("The relay's Debian package: dpkg -i, start with the packaged config, /readyz, purge");
    let binary_path = crate::util::target_dir().join("debug").join("relay-server");
    let binary = std::fs::read(&binary_path)
        .map_err(|error| format!("could not read {}: {error}", binary_path.display()))?;
    let widget: Vec<(String, Vec<u8>)> = crate::util::files_under(&crate::widget::assets_dir())?
        .into_iter()
        .collect();
    let texts = PackageTexts::read()?;
    let tree = deb_tree(
        version,
        license,
        texts.license_text.as_ref().map(|(_, text)| text.as_str()),
        &texts.example,
        &texts.guide,
        &widget,
        &binary,
    )?;
    let folder = crate::util::target_dir().join("deb-install-check");
    let deb = folder.join(format!("{PACKAGE}_{version}_amd64.deb"));
    build_deb(&deb, &folder.join("staging"), &tree, super::archive_time())?;
    run_command(Command::new("dpkg").arg("-i").arg(&deb))?;
    let checked = check_installed();
    let purged = run_command(Command::new("dpkg").args(["--purge", PACKAGE]));
    checked.and(purged)
}

/// Starts the installed relay as `fluister` with the packaged config and asks for `/readyz`.
fn check_installed() -> TaskResult {
    use std::io::{BufRead as _, BufReader, Read as _, Write as _};

    let owner = Command::new("stat")
        .args(["-c", "%U %a", STATE_DIR])
        .output()
        .map_err(|error| format!("could not run stat: {error}"))?;
    let owner = String::from_utf8_lossy(&owner.stdout).trim().to_owned();
    if owner != "fluister 700" {
        return Err(format!(
            "{STATE_DIR} is `{owner}` after installing, not owned by fluister with mode 700"
        ));
    }
    // `setpriv` runs the program itself as the user (no child process left behind by a kill).
    let mut relay = Command::new("setpriv")
        .args([
            "--reuid=fluister",
            "--regid=fluister",
            "--init-groups",
            "--",
            DEB_LAYOUT.binary,
            "--config",
            CONFIG_PATH,
        ])
        .env("FLUISTER_LISTEN", "127.0.0.1:0")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .map_err(|error| format!("could not start the installed relay: {error}"))?;
    // Its output is read to the end on a thread of its own, so the relay never writes into a
    // closed pipe; the address comes back from the line that announces it.
    let stdout = relay.stdout.take().ok_or("the relay's output")?;
    let (address_sender, address_receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("listening on http://") {
                let _ = address_sender.send(rest.trim().to_owned());
            }
        }
    });
    let answer = address_receiver
        .recv_timeout(std::time::Duration::from_secs(30))
        .map_err(|_| "the installed relay did not say where it listens".to_owned())
        .and_then(|address| {
            let mut stream = std::net::TcpStream::connect(&address)
                .map_err(|error| format!("could not connect to {address}: {error}"))?;
            stream
                .set_read_timeout(Some(std::time::Duration::from_secs(10)))
                .map_err(|error| error.to_string())?;
            write!(
                stream,
                "GET /readyz HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
            )
            .map_err(|error| error.to_string())?;
            let mut answer = String::new();
            stream
                .read_to_string(&mut answer)
                .map_err(|error| error.to_string())?;
            Ok(answer)
        });
    let _ = relay.kill();
    let _ = relay.wait();
    let answer = answer?;
    let status_line = answer.lines().next().unwrap_or_default();
    if !status_line.starts_with("HTTP/1.1 200") {
        return Err(format!(
            "the installed relay answered /readyz with `{status_line}`"
        ));
    }
    println!("installed relay: {status_line} for /readyz, {STATE_DIR} fluister 700");
    Ok(())
}

/// The example config as installed: the database in [`STATE_DIR`] and the widget where
/// `layout` puts it, with a heading that says what to fill in.
pub fn installed_config(example: &str, layout: &Layout) -> Result<String, String> {
    let data_dir_line = "data_dir = \"fluister-data\"";
    let assets_dir_line = "# assets_dir = \"/usr/share/fluister/widget\"";
    for line in [data_dir_line, assets_dir_line] {
        if !example.lines().any(|candidate| candidate == line) {
            return Err(format!(
                "relay-server/src/example-config.toml has no line `{line}`, which the installed \
                 config replaces; update xtask/src/dist/relay.rs"
            ));
        }
    }
    let body = example
        .lines()
        .map(|line| {
            if line == data_dir_line {
                format!("data_dir = \"{STATE_DIR}\"")
            } else if line == assets_dir_line {
                format!("assets_dir = \"{}\"", layout.widget)
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    Ok(format!(
        "# Installed with {PACKAGE}: storage.data_dir and widget.assets_dir point at the installed\n\
         # places. Before the first start, fill in coordinator.recipients, a token\n\
         # (`relay-server mint-token`), server.public_origin and widget.embedding_origins; then\n\
         # `systemctl enable --now {PACKAGE}`. Secrets go in files named by *_FILE variables in\n\
         # the unit (LoadCredential=), not here. The guide: {}\n\
         #\n{body}\n",
        layout.guide
    ))
}

/// The systemd unit: the relay as the `fluister` user, with as little of the system as it
/// needs.
pub fn systemd_unit(layout: &Layout) -> String {
    let binary = layout.binary;
    let guide = layout.guide;
    format!(
        "# /etc/systemd/system/{PACKAGE}.service (or, from the package,\n\
         # /usr/lib/systemd/system/{PACKAGE}.service; change it with `systemctl edit {PACKAGE}`).\n\
         #\n\
         # The relay never reads a client's address, and logs no line per request; the journal's\n\
         # timestamps therefore say nothing about when a reporter was active. Keep the journal's\n\
         # retention short anyway, and the proxy in front of the relay without an access log.\n\
         [Unit]\n\
         Description=Fluister relay (anonymous, end-to-end encrypted tips)\n\
         Documentation=file:{guide}\n\
         After=network.target\n\
         \n\
         [Service]\n\
         Type=simple\n\
         ExecStart={binary} --config {CONFIG_PATH}\n\
         User=fluister\n\
         Group=fluister\n\
         # {STATE_DIR}: the database and the challenge key, the only place the relay writes.\n\
         StateDirectory=fluister\n\
         StateDirectoryMode=0700\n\
         UMask=0077\n\
         Restart=on-failure\n\
         RestartSec=2s\n\
         # SIGTERM: the relay stops accepting, finishes open requests (up to 10 s) and exits.\n\
         TimeoutStopSec=20s\n\
         LimitNOFILE=8192\n\
         # Secrets and lists from files, never in this unit or the config (see the guide):\n\
         #LoadCredential=coordinator-tokens:/etc/fluister/coordinator-tokens\n\
         #Environment=FLUISTER_COORDINATOR_TOKEN_SHA256_FILE=%d/coordinator-tokens\n\
         #LoadCredential=postgres-url:/etc/fluister/postgres-url\n\
         #Environment=FLUISTER_POSTGRES_URL_FILE=%d/postgres-url\n\
         \n\
         # Hardening: no privileges, a read-only view of the system, no devices, no kernel knobs.\n\
         NoNewPrivileges=yes\n\
         CapabilityBoundingSet=\n\
         AmbientCapabilities=\n\
         ProtectSystem=strict\n\
         ProtectHome=yes\n\
         PrivateTmp=yes\n\
         PrivateDevices=yes\n\
         DevicePolicy=closed\n\
         ProtectKernelTunables=yes\n\
         ProtectKernelModules=yes\n\
         ProtectKernelLogs=yes\n\
         ProtectControlGroups=yes\n\
         ProtectClock=yes\n\
         ProtectHostname=yes\n\
         ProtectProc=invisible\n\
         ProcSubset=pid\n\
         # IPv4 and IPv6 to listen and to send notifications; Unix sockets for PostgreSQL's.\n\
         RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX\n\
         RestrictNamespaces=yes\n\
         RestrictRealtime=yes\n\
         RestrictSUIDSGID=yes\n\
         LockPersonality=yes\n\
         MemoryDenyWriteExecute=yes\n\
         RemoveIPC=yes\n\
         SystemCallArchitectures=native\n\
         SystemCallFilter=@system-service\n\
         SystemCallFilter=~@privileged @resources\n\
         SystemCallErrorNumber=EPERM\n\
         \n\
         [Install]\n\
         WantedBy=multi-user.target\n"
    )
}

/// One file of the Debian package: its path in the tree (no leading `/`), contents and mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DebFile {
    /// `usr/bin/relay-server`, `DEBIAN/control`, ….
    pub path: String,
    /// Its bytes.
    pub contents: Vec<u8>,
    /// 0o755 for programs and maintainer scripts, else 0o644.
    pub mode: u32,
}

fn deb_file(path: impl Into<String>, contents: impl Into<Vec<u8>>, mode: u32) -> DebFile {
    DebFile {
        path: path.into(),
        contents: contents.into(),
        mode,
    }
}

/// Every file of the Debian package, `DEBIAN/` included, sorted by path.
pub fn deb_tree(
    version: &str,
    license: Option<&str>,
    license_text: Option<&str>,
    example_config: &str,
    guide: &str,
    widget: &[(String, Vec<u8>)],
    binary: &[u8],
) -> Result<Vec<DebFile>, String> {
    let doc = format!("usr/share/doc/{PACKAGE}");
    let mut files = vec![
        deb_file("usr/bin/relay-server", binary, 0o755),
        deb_file(
            CONFIG_PATH.trim_start_matches('/'),
            installed_config(example_config, &DEB_LAYOUT)?,
            0o644,
        ),
        deb_file(
            format!("usr/lib/systemd/system/{PACKAGE}.service"),
            systemd_unit(&DEB_LAYOUT),
            0o644,
        ),
        deb_file(format!("{doc}/operator-guide.md"), guide, 0o644),
        deb_file(
            format!("{doc}/copyright"),
            format!(
                "Fluister relay\nLicense: {}\n{}",
                license.unwrap_or("see the source repository"),
                license_text
                    .map(|text| format!("\n{text}"))
                    .unwrap_or_default()
            ),
            0o644,
        ),
        deb_file("DEBIAN/conffiles", format!("{CONFIG_PATH}\n"), 0o644),
        deb_file("DEBIAN/postinst", POSTINST, 0o755),
        deb_file("DEBIAN/prerm", PRERM, 0o755),
        deb_file("DEBIAN/postrm", POSTRM, 0o755),
    ];
    let widget_root = DEB_LAYOUT.widget.trim_start_matches('/');
    files.extend(widget.iter().map(|(name, contents)| {
        deb_file(format!("{widget_root}/{name}"), contents.clone(), 0o644)
    }));
    // Installed-Size, in KiB: every file rounded up to a whole KiB, as dpkg counts it.
    let installed_kib: u64 = files
        .iter()
        .filter(|file| !file.path.starts_with("DEBIAN/"))
        .map(|file| (file.contents.len() as u64).div_ceil(1024))
        .sum();
    files.push(deb_file(
        "DEBIAN/control",
        deb_control(version, installed_kib),
        0o644,
    ));
    files.sort_by(|left, right| left.path.cmp(&right.path));
    Ok(files)
}

/// `DEBIAN/control`.
pub fn deb_control(version: &str, installed_kib: u64) -> String {
    format!(
        "Package: {PACKAGE}\n\
         Version: {version}\n\
         Architecture: amd64\n\
         Maintainer: {MAINTAINER}\n\
         Installed-Size: {installed_kib}\n\
         Depends: adduser, libc6\n\
         Section: net\n\
         Priority: optional\n\
         Description: Fluister relay: anonymous, end-to-end encrypted tips\n \
         The relay of Fluister, a reporting channel for signals of human trafficking: it\n \
         serves the reporting widget, takes tips that were encrypted in the reporter's\n \
         browser, and keeps them until the coordinator's inbox pulls them. It cannot read a\n \
         tip and stores nothing that identifies a reporter.\n \
         .\n \
         The service runs as the system user fluister, with its database in\n \
         {STATE_DIR}. Fill in {CONFIG_PATH}, then start it with\n \
         `systemctl enable --now {PACKAGE}`.\n"
    )
}

/// After unpacking: the `fluister` system user and its state folder; on an upgrade, a restart
/// of a running relay (which migrates its database at start).
const POSTINST: &str = "#!/bin/sh
set -e

if [ \"$1\" = configure ]; then
    if ! getent passwd fluister >/dev/null; then
        adduser --quiet --system --group --home /var/lib/fluister --no-create-home fluister
    fi
    install -d -o fluister -g fluister -m 0700 /var/lib/fluister
    if [ -d /run/systemd/system ]; then
        systemctl daemon-reload >/dev/null || true
        if [ -n \"$2\" ]; then
            # An upgrade: a running relay restarts on the new program (migrations run at start).
            systemctl try-restart fluister-relay.service >/dev/null || true
        fi
    fi
    if [ -z \"$2\" ]; then
        echo \"fluister-relay: fill in /etc/fluister/relay.toml (coordinator.recipients, a token from\"
        echo \"'relay-server mint-token', server.public_origin, widget.embedding_origins), then run\"
        echo \"'systemctl enable --now fluister-relay'. Guide: /usr/share/doc/fluister-relay/operator-guide.md\"
    fi
fi

exit 0
";

/// Before removal: stop the relay.
const PRERM: &str = "#!/bin/sh
set -e

if [ \"$1\" = remove ] && [ -d /run/systemd/system ]; then
    systemctl stop fluister-relay.service >/dev/null 2>&1 || true
    systemctl disable fluister-relay.service >/dev/null 2>&1 || true
fi

exit 0
";

/// After removal: systemd forgets the unit. Purging leaves the database and the user: the tips
/// in /var/lib/fluister are the operator's to delete (or keep until the coordinator pulled them).
const POSTRM: &str = "#!/bin/sh
set -e

if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || true
fi
if [ \"$1\" = purge ]; then
    echo \"fluister-relay: /var/lib/fluister (the database) and the user fluister are left in place.\"
fi

exit 0
";

/// Lays `tree` out in `staging/root` (removed afterwards), gives every entry plain modes and
/// the time `archive_time`, and has `dpkg-deb` pack it, owned by root, into `path`.
fn build_deb(path: &Path, staging: &Path, tree: &[DebFile], archive_time: u64) -> TaskResult {
    let root = staging.join("root");
    if staging.exists() {
        std::fs::remove_dir_all(staging)
            .map_err(|error| format!("could not empty {}: {error}", staging.display()))?;
    }
    for file in tree {
        write_file(&root.join(&file.path), &file.contents, file.mode)?;
    }
    normalise(&root, archive_time)?;
    let mut command = Command::new("dpkg-deb");
    command
        .env("SOURCE_DATE_EPOCH", archive_time.to_string())
        .args(["--root-owner-group", "-Zxz", "--build"])
        .arg(&root)
        .arg(path);
    let outcome = run_command(&mut command);
    let _ = std::fs::remove_dir_all(staging);
    outcome
}

/// Gives every folder under `root` (itself too) mode 755, whatever the umask, and every entry
/// the modification time `time`.
fn normalise(root: &Path, time: u64) -> TaskResult {
    let stamp = std::time::UNIX_EPOCH + std::time::Duration::from_secs(time);
    let mut everything = crate::util::paths_under(root)?;
    everything.push(root.to_path_buf());
    #[cfg(unix)]
    for folder in everything.iter().filter(|path| path.is_dir()) {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o755))
            .map_err(|error| format!("could not set the mode of {}: {error}", folder.display()))?;
    }
    for path in everything {
        std::fs::File::open(&path)
            .and_then(|file| file.set_modified(stamp))
            .map_err(|error| format!("could not set the time of {}: {error}", path.display()))?;
    }
    Ok(())
}

/// README.txt of the archive: what is in it and how to install it by hand.
fn archive_readme(version: &str, license: Option<&str>, folder: &str) -> String {
    let license = license
        .map(|license| format!("\nLicense: {license}.\n"))
        .unwrap_or_default();
    let binary = ARCHIVE_LAYOUT.binary;
    let widget = ARCHIVE_LAYOUT.widget;
    let guide = ARCHIVE_LAYOUT.guide;
    format!(
        "Fluister relay {version} for Linux (x86_64)\n\
         ==========================================\n\n\
         The relay of Fluister: it serves the reporting widget, takes tips that were encrypted\n\
         in the reporter's browser, and keeps them until the coordinator's inbox pulls them.\n\
         operator-guide.md explains everything; this is the short way to install it by hand\n\
         (on Debian or Ubuntu, the .deb package does the same).\n\n\
         IN THIS FOLDER\n\
         \x20 relay-server              the program\n\
         \x20 widget/                   the built reporting widget the relay serves\n\
         \x20 relay.toml                a config to start from (every setting, with comments)\n\
         \x20 {PACKAGE}.service     a hardened systemd unit\n\
         \x20 operator-guide.md         the operator guide\n\n\
         INSTALL (as root, in this folder)\n\
         \x20   adduser --system --group --home {STATE_DIR} --no-create-home fluister\n\
         \x20   install -m 755 relay-server {binary}\n\
         \x20   mkdir -p {widget} && cp -R widget/. {widget}/\n\
         \x20   install -D -m 644 operator-guide.md {guide}\n\
         \x20   install -D -m 644 relay.toml {CONFIG_PATH}\n\
         \x20   install -m 644 {PACKAGE}.service /etc/systemd/system/\n\
         \x20   relay-server mint-token      # the coordinator's token, and the line for the config\n\
         \x20   editor {CONFIG_PATH}   # recipients, token, public_origin, embedding_origins\n\
         \x20   systemctl daemon-reload && systemctl enable --now {PACKAGE}\n\n\
         Then put Caddy or nginx in front of it for TLS, without an access log (see the guide,\n\
         \"Behind a reverse proxy\").\n\n\
         BACK UP, UPGRADE\n\
         \x20   sudo -u fluister relay-server backup --config {CONFIG_PATH} /var/backups/fluister/relay-$(date +%F).sqlite3\n\
         Back up before an upgrade: the new relay migrates the database when it starts.\n\n\
         CHECK THE SHA-256\n\
         \x20   sha256sum {folder}.tar.gz\n\
         and compare it with the one you were given by another route.\n\
         {license}"
    )
}

#[cfg(test)]
mod tests {
    use super::{
        ARCHIVE_LAYOUT, DEB_LAYOUT, archive_readme, deb_control, deb_tree, installed_config,
        systemd_unit,
    };

    const EXAMPLE: &str = include_str!("../../../relay-server/src/example-config.toml");

    #[test]
    fn the_installed_config_points_at_the_installed_places_and_is_otherwise_the_example() {
        let config = installed_config(EXAMPLE, &DEB_LAYOUT).unwrap();
        assert!(config.contains("\ndata_dir = \"/var/lib/fluister\"\n"));
        assert!(config.contains("\nassets_dir = \"/usr/share/fluister/widget\"\n"));
        assert!(!config.contains("fluister-data"));
        // Apart from the heading and the two lines, it is the example, line for line.
        let changed = config
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter(|line| !EXAMPLE.lines().any(|example| example == *line))
            .count();
        assert_eq!(changed, 2);
        let archive = installed_config(EXAMPLE, &ARCHIVE_LAYOUT).unwrap();
        assert!(archive.contains("\nassets_dir = \"/usr/local/share/fluister/widget\"\n"));
        assert!(installed_config("[server]\n", &DEB_LAYOUT).is_err());
    }

    #[test]
    fn the_unit_runs_the_relay_unprivileged_and_confined() {
        let unit = systemd_unit(&DEB_LAYOUT);
        for line in [
            "ExecStart=/usr/bin/relay-server --config /etc/fluister/relay.toml",
            "User=fluister",
            "StateDirectory=fluister",
            "NoNewPrivileges=yes",
            "ProtectSystem=strict",
            "PrivateTmp=yes",
            "CapabilityBoundingSet=",
            "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
            "SystemCallFilter=@system-service",
            "MemoryDenyWriteExecute=yes",
            "WantedBy=multi-user.target",
        ] {
            assert!(
                unit.lines().any(|candidate| candidate == line),
                "no `{line}`"
            );
        }
        // The relay writes only to its state folder; nothing opens others for writing.
        assert!(!unit.contains("ReadWritePaths"));
        assert!(!unit.lines().any(|line| line.starts_with("DynamicUser")));
        assert!(systemd_unit(&ARCHIVE_LAYOUT).contains("ExecStart=/usr/local/bin/relay-server "));
    }

    #[test]
    fn the_package_tree_has_the_program_the_unit_the_config_as_conffile_and_the_user() {
        let widget = vec![
            ("embed.js".to_owned(), b"loader".to_vec()),
            ("w/index.html".to_owned(), vec![b'x'; 3000]),
        ];
        let tree = deb_tree(
            "0.1.0",
            Some("EUPL-1.2"),
            None,
            EXAMPLE,
            "# guide\n",
            &widget,
            b"\x7fELF",
        )
        .unwrap();
        let file = |path: &str| {
            tree.iter()
                .find(|file| file.path == path)
                .unwrap_or_else(|| panic!("no {path}"))
        };
        assert_eq!(file("usr/bin/relay-server").mode, 0o755);
        assert_eq!(file("usr/share/fluister/widget/w/index.html").mode, 0o644);
        assert_eq!(
            file("usr/lib/systemd/system/fluister-relay.service").contents,
            systemd_unit(&DEB_LAYOUT).into_bytes()
        );
        assert_eq!(
            file("DEBIAN/conffiles").contents,
            b"/etc/fluister/relay.toml\n"
        );
        assert!(
            file("etc/fluister/relay.toml")
                .contents
                .starts_with(b"# Installed")
        );
        for script in ["DEBIAN/postinst", "DEBIAN/prerm", "DEBIAN/postrm"] {
            assert_eq!(file(script).mode, 0o755);
            assert!(file(script).contents.starts_with(b"#!/bin/sh\nset -e\n"));
        }
        let postinst = String::from_utf8(file("DEBIAN/postinst").contents.clone()).unwrap();
        assert!(postinst.contains("adduser --quiet --system --group"));
        assert!(postinst.contains("install -d -o fluister -g fluister -m 0700 /var/lib/fluister"));
        let control = String::from_utf8(file("DEBIAN/control").contents.clone()).unwrap();
        assert!(control.starts_with("Package: fluister-relay\nVersion: 0.1.0\n"));
        // Every file rounded up to whole KiB: the config alone is more than 4 KiB, the widget
        // 1 + 3, the binary, unit, guide and copyright 1 each.
        let installed: u64 = control
            .lines()
            .find_map(|line| line.strip_prefix("Installed-Size: "))
            .unwrap()
            .parse()
            .unwrap();
        assert!((13..40).contains(&installed), "Installed-Size: {installed}");
        assert!(control.contains("\nDepends: adduser, libc6\n"));
        let paths: Vec<&str> = tree.iter().map(|file| file.path.as_str()).collect();
        let mut sorted = paths.clone();
        sorted.sort_unstable();
        assert_eq!(paths, sorted);
    }

    #[test]
    fn the_control_file_is_well_formed() {
        let control = deb_control("1.2.3", 4321);
        assert!(control.contains("\nInstalled-Size: 4321\n"));
        assert!(control.ends_with('\n'));
        for line in control.lines().skip(1) {
            // Fields, or the description's continuation lines, which start with a space.
            assert!(
                line.starts_with(' ') || line.contains(": "),
                "malformed control line `{line}`"
            );
            assert!(line.trim_end() == line, "trailing space in `{line}`");
        }
        assert!(control.lines().any(|line| line == " ."));
    }

    #[test]
    fn the_readme_says_how_to_install_and_back_up() {
        let text = archive_readme(
            "0.1.0",
            Some("EUPL-1.2"),
            "fluister-relay-0.1.0-linux-x86_64",
        );
        assert!(text.contains("install -m 755 relay-server /usr/local/bin/relay-server"));
        assert!(text.contains("relay-server backup --config /etc/fluister/relay.toml"));
        assert!(text.contains("sha256sum fluister-relay-0.1.0-linux-x86_64.tar.gz"));
        assert!(text.contains("License: EUPL-1.2."));
    }
}
