//! `cargo xtask`: Fluister's build orchestration, in Rust so that it runs the same on every
//! machine. Run `cargo xtask help` for the tasks.

mod bench;
mod demo;
mod dist;
mod fuzz;
mod reproduce;
mod test;
mod util;
mod widget;

use std::process::ExitCode;

const HELP: &str = "\
cargo xtask <task> [options]

Tasks:
  test                Run every check and test: formatting, clippy, the wasm build of the
                      envelope, clippy on the inbox's Windows build, the official age
                      vectors, unit, integration, interop and differential tests, and
                      a few seconds of each envelope fuzz target (cargo-fuzz, nightly).
                      Installs the test's npm packages under tests/ first.
  demo                Build everything and run it here: the relay on 127.0.0.1:8787 with a demo
                      coordinator key (target/demo), the example municipal page on
                      127.0.0.1:8788 embedding the widget. Prints what to open and how to
                      read the tips.
  widget [--release]  Build the widget bundle (wasm, JS, CSS, translation tables, loader) into
                      target/widget with hashed names, print its sizes, and write
                      widget-manifest.json (the SHA-256 of every file the relay serves, and
                      the tools' versions). With --release, refuse to build unless the Rust
                      compiler is the one widget/build-tools.toml names.
  reproduce-widget    Build the widget twice, in two fresh target folders under
                      target/reproduce-widget (the second time from a copy of the checkout
                      in another folder), and compare every byte (slow: two full builds).
  dist [inbox|relay|all]
                      Build what is handed out, into target/dist with a SHA256SUMS file, and
                      print sizes and SHA-256 (default: all). inbox: the coordinator's inbox
                      for Linux x86_64 and Windows x86_64 (cross-compiled with MinGW-w64:
                      `apt-get install gcc-mingw-w64-x86-64`), archives with the guides and a
                      LEESMIJ.txt. relay: the relay (release) with the widget, a config and a
                      hardened systemd unit as a tar.gz and a Debian package (dpkg-deb), and
                      the Containerfile for the container image.
  bench <target>      Run a benchmark that prints numbers. Targets: envelope, relay, inbox,
                      app (the inbox's local app), widget.
  fuzz [TARGET|all] [SECONDS]
                      Fuzz the parsers with cargo-fuzz (nightly; `cargo install cargo-fuzz
                      --locked`): every target, or one, for SECONDS each (default 60).
                      Targets: age_header, age_armor, age_open, tip_document,
                      mailbox_message, receipt_code, relay_settings, relay_request (the
                      relay's router on any request). Crashes are kept in
                      fuzz/artifacts/TARGET/.
  install-check-deb   As root, on a machine that may be changed: package the relay the tests
                      built (target/debug) with the built widget as a Debian package, install
                      it with dpkg -i, start the installed program as the user fluister with
                      the packaged config, ask /readyz, and purge the package. `cargo xtask
                      test` does this too when FLUISTER_DEB_INSTALL_CHECK=1 (CI sets it).
  help                Show this text.

Environment:
  FLUISTER_CCTV_DIR   Use this directory of age test vectors instead of unpacking the npm
                      package cctv-age@0.2.0 into target/cctv-age.
  FLUISTER_DEB_INSTALL_CHECK=1
                      `test` ends with install-check-deb (it changes the machine).
";

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let (task, rest) = match arguments.split_first() {
        Some((task, rest)) => (task.as_str(), rest),
        None => ("help", &[][..]),
    };
    let result = match task {
        "test" => test::run(rest),
        "bench" => bench::run(rest),
        "fuzz" => fuzz::run(rest),
        "widget" => widget::run(rest),
        "reproduce-widget" => reproduce::run(rest),
        "demo" => demo::run(rest),
        "dist" => dist::run(rest),
        "install-check-deb" if rest.is_empty() => dist::relay_install_check(),
        "help" | "--help" | "-h" => {
            print!("{HELP}");
            Ok(())
        }
        other => Err(format!(
            "unknown task `{other}`; run `cargo xtask help` for the list"
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
