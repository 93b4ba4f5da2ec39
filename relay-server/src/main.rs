//! `relay-server`: the Fluister relay's command line.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand};
use fluister_relay::challenges::ChallengeKeys;
use fluister_relay::http::AppState;
use fluister_relay::settings::{ENVIRONMENT_OVERRIDES, EXAMPLE_CONFIG, LogFormat, Settings};
use fluister_relay::storage::Storage;
use fluister_relay::storage::discard::DiscardStorage;
use fluister_relay::storage::postgres::PostgresStorage;
use fluister_relay::storage::sqlite::{SqliteStorage, StorageLimits};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The Fluister relay: serves the reporting widget, takes end-to-end encrypted tips, and keeps
/// them until the coordinator pulls them. It never sees a tip's content and stores nothing about
/// who sent it.
///
/// With no options it listens on 127.0.0.1:8080 and keeps an SQLite database in
/// ./fluister-data/. Settings come from built-in defaults, then the --config file, then the
/// FLUISTER_* environment variables listed below, then --listen and --data-dir.
/// `relay-server example-config` prints every setting with its meaning.
#[derive(Debug, Parser)]
#[command(name = "relay-server", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    serve: ServeOptions,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the relay (the default when no subcommand is given).
    Serve(ServeOptions),
    /// Print a commented example config file with every setting and its default.
    ExampleConfig,
    /// Make a new coordinator access token (or, with --metrics, a monitoring system's). Prints
    /// the token once (it is not stored anywhere) and the lines to add to the relay's config.
    MintToken {
        /// Name the token as a team member's (e.g. `member-2`: a label that means nothing to
        /// an outsider), so it can be revoked alone by removing its lines from the config.
        #[arg(long, value_name = "LABEL", conflicts_with = "metrics")]
        label: Option<String>,
        /// Make a token for the monitoring system instead: it opens `/metrics` and nothing
        /// else (no tip can be listed, fetched or deleted with it).
        #[arg(long)]
        metrics: bool,
    },
    /// Copy the SQLite database to FILE while the relay runs: a consistent snapshot, taken with
    /// SQLite's online backup API, with the same --config (or --data-dir) as the relay. FILE
    /// must not exist; it is made readable by its owner only (mode 0600). Run it as the
    /// relay's user (`sudo -u fluister relay-server backup --config … FILE`). For PostgreSQL,
    /// use `pg_dump` instead (see the operator guide, "Backups").
    Backup {
        /// The new file to write, e.g. /var/backups/fluister/relay-2026-12-01.sqlite3.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

#[derive(Debug, Clone, clap::Args)]
struct ServeOptions {
    /// TOML config file. Without one, the built-in defaults apply.
    #[arg(
        long,
        short = 'c',
        value_name = "FILE",
        env = "FLUISTER_CONFIG",
        global = true
    )]
    config: Option<PathBuf>,

    /// Address and port to listen on, e.g. 127.0.0.1:8080; port 0 picks a free port. The bound
    /// address is printed on standard output as `listening on http://ADDRESS`. Overrides
    /// server.listen and FLUISTER_LISTEN.
    #[arg(long, value_name = "ADDRESS", global = true)]
    listen: Option<String>,

    /// Directory for the database. Overrides storage.data_dir and FLUISTER_DATA_DIR.
    #[arg(long, value_name = "DIR", global = true)]
    data_dir: Option<PathBuf>,
}

/// The `--help` text after the options: every environment variable and the field it sets.
fn environment_help() -> String {
    let mut text = String::from(
        "Environment variables, each overriding a config field. A *_FILE variable names a file\n\
         that holds the value instead (as secret stores and container runtimes hand them over):\n\
         one entry a line, blank lines and # comments skipped. Set a variable or its *_FILE,\n\
         not both.\n  ",
    );
    text.push_str(&format!("{:<44}the --config file\n", "FLUISTER_CONFIG"));
    for (variable, field) in ENVIRONMENT_OVERRIDES {
        text.push_str(&format!("  {variable:<44}{field}\n"));
    }
    text
}

fn main() -> std::process::ExitCode {
    let matches = Cli::command()
        .after_long_help(environment_help())
        .get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
    let outcome = match cli.command {
        Some(Command::ExampleConfig) => {
            print!("{EXAMPLE_CONFIG}");
            Ok(())
        }
        Some(Command::MintToken {
            metrics: true,
            label: _,
        }) => mint_metrics_token(),
        Some(Command::MintToken { label, .. }) => mint_token(label.as_deref()),
        Some(Command::Backup { file }) => backup(&cli.serve, &file),
        Some(Command::Serve(options)) => serve(merge_options(options, cli.serve)),
        None => serve(cli.serve),
    };
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("relay-server: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Options given after `serve` win over the same options given before it.
fn merge_options(after: ServeOptions, before: ServeOptions) -> ServeOptions {
    ServeOptions {
        config: after.config.or(before.config),
        listen: after.listen.or(before.listen),
        data_dir: after.data_dir.or(before.data_dir),
    }
}

/// A fresh random token, `PREFIX` and 32 random bytes, with its SHA-256 in hex.
fn random_token(prefix: &str) -> Result<(Zeroizing<String>, String)> {
    let mut random = Zeroizing::new([0u8; 32]);
    getrandom::fill(random.as_mut_slice()).context("the operating system gave no random bytes")?;
    let token = Zeroizing::new(format!(
        "{prefix}{}",
        fluister_relay::encoding::encode_base64url(random.as_slice())
    ));
    let hash = fluister_relay::encoding::encode_hex(&Sha256::digest(token.as_bytes()));
    Ok((token, hash))
}

fn mint_metrics_token() -> Result<()> {
    let (token, hash) = random_token("fluister-metrics-")?;
    println!("Metrics token (shown only this once; give it to the monitoring system):");
    println!();
    println!("    {}", token.as_str());
    println!();
    println!("Add its hash to the relay's config (or FLUISTER_METRICS_TOKEN_SHA256_FILE):");
    println!();
    println!("    [metrics]");
    println!("    token_sha256 = [\"{hash}\"]");
    println!();
    println!(
        "It opens /metrics only. Prometheus sends it with `authorization: {{credentials: …}}`."
    );
    Ok(())
}

fn mint_token(label: Option<&str>) -> Result<()> {
    if let Some(label) = label
        && !fluister_relay::settings::is_member_label(label)
    {
        anyhow::bail!(
            "the label `{label}` is not 1 to 32 letters, digits, `-` or `_`; use one such as `member-2`"
        );
    }
    let (token, hash) = random_token("fluister-coordinator-")?;
    println!("Coordinator token (shown only this once; store it in the coordinator's inbox):");
    println!();
    println!("    {}", token.as_str());
    println!();
    if let Some(label) = label {
        println!("Add these lines to the relay's config, after the [coordinator] section:");
        println!();
        println!("    [[coordinator.members]]");
        println!("    label = \"{label}\"");
        println!("    token_sha256 = \"{hash}\"");
        println!();
        println!("To revoke this token alone, remove the three lines and restart the relay.");
    } else {
        println!("Add its hash to the relay's config, under [coordinator]:");
        println!();
        println!("    token_sha256 = [\"{hash}\"]");
        println!();
        println!("(With several tokens, list every hash: token_sha256 = [\"…\", \"…\"].)");
        println!("(For a team, mint one per member with --label, so each can be revoked alone.)");
    }
    Ok(())
}

fn load_settings(options: &ServeOptions) -> Result<Settings> {
    let mut settings = match &options.config {
        Some(path) => Settings::from_file(path)?,
        None => Settings::default(),
    };
    settings.apply_environment(|name| std::env::var(name).ok())?;
    if let Some(listen) = &options.listen {
        settings.server.listen.clone_from(listen);
    }
    if let Some(data_dir) = &options.data_dir {
        settings.storage.data_dir.clone_from(data_dir);
    }
    settings.validate()?;
    Ok(settings)
}

/// From this size on, `backup` reports its progress as it goes.
const BACKUP_PROGRESS_FROM_BYTES: u64 = 8 * 1024 * 1024;

fn mebibytes(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn backup(options: &ServeOptions, file: &std::path::Path) -> Result<()> {
    let settings = load_settings(options)?;
    match settings.storage.backend.as_str() {
        "postgres" => anyhow::bail!(
            "storage.backend = \"postgres\": back the database up with PostgreSQL's own \
             `pg_dump --format=custom --file={} DATABASE` (see \"Backups\" in the operator \
             guide); `relay-server backup` copies SQLite databases only",
            file.display()
        ),
        "discard" => anyhow::bail!(
            "storage.backend = \"discard\" stores nothing, so there is nothing to back up"
        ),
        _ => {}
    }
    // Progress in steps of a tenth, for databases big enough to take a while.
    let mut tenths_shown = 0;
    let summary =
        fluister_relay::backup::backup_sqlite(&settings.storage.data_dir, file, |progress| {
            if progress.total_bytes < BACKUP_PROGRESS_FROM_BYTES {
                return;
            }
            let tenths = progress.copied_bytes * 10 / progress.total_bytes;
            if tenths > tenths_shown {
                tenths_shown = tenths;
                eprintln!(
                    "copied {:.1} of {:.1} MiB ({} %)",
                    mebibytes(progress.copied_bytes),
                    mebibytes(progress.total_bytes),
                    tenths * 10
                );
            }
        })?;
    println!(
        "Backup of {} written to {} ({:.1} MiB, schema version {}, readable by its owner only).",
        summary.source.display(),
        file.display(),
        mebibytes(summary.bytes),
        summary.schema_version
    );
    println!(
        "It holds ciphertext only, but it keeps tips the relay deletes after the retention \
         period: keep it a few days at most."
    );
    Ok(())
}

fn serve(options: ServeOptions) -> Result<()> {
    let settings = load_settings(&options)?;
    let filter = tracing_subscriber::EnvFilter::new(&settings.server.log_level);
    // Log lines carry no time of their own, in either format: a per-second timestamp next to
    // "tip stored" would say when a reporter was active. The service manager's journal
    // timestamps lines anyway, and the relay logs no line per request.
    match settings.server.log_format {
        LogFormat::Text => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .without_time()
            .with_target(false)
            .with_ansi(std::io::stderr().is_terminal())
            .with_writer(std::io::stderr)
            .init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .with_env_filter(filter)
            .without_time()
            .with_target(false)
            .with_writer(std::io::stderr)
            .init(),
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let limits = StorageLimits {
        max_stored_bytes: settings.storage.max_stored_bytes,
        max_stored_bytes_per_hour: settings.storage.max_stored_bytes_per_hour,
    };
    runtime.block_on(async move {
        match settings.storage.backend.as_str() {
            "discard" => {
                tracing::warn!(
                    "storage.backend = \"discard\": tips are NOT stored. Use this for benchmarks only."
                );
                let storage = DiscardStorage::new();
                run(settings, storage).await
            }
            "postgres" => {
                let storage = PostgresStorage::open(&settings.storage.postgres_url, limits)
                    .await
                    .context("cannot use the PostgreSQL database (storage.postgres_url)")?;
                run(settings, storage).await
            }
            _ => {
                let storage = SqliteStorage::open(
                    &settings.storage.data_dir,
                    limits,
                )
                .with_context(|| {
                    format!(
                        "cannot open the database in {} (storage.data_dir)",
                        settings.storage.data_dir.display()
                    )
                })?;
                run(settings, storage).await
            }
        }
    })
}

async fn run<S: Storage>(settings: Settings, storage: S) -> Result<()> {
    let address = settings.listen_address()?;
    if settings.coordinator.recipients.is_empty() {
        tracing::warn!(
            "coordinator.recipients is empty: the widget cannot seal tips until you add the coordinator's age1… key"
        );
    }
    if !settings.coordinator.token_sha256.is_empty() && !settings.coordinator.members.is_empty() {
        tracing::warn!(
            "coordinator.token_sha256 lists tokens beside coordinator.members: revoking a member does not revoke those; mint every member a token of their own and empty token_sha256"
        );
    }
    if settings.coordinator.token_sha256.is_empty() && settings.coordinator.members.is_empty() {
        tracing::warn!(
            "coordinator.token_sha256 and coordinator.members are empty: nobody can pull tips; run `relay-server mint-token`"
        );
    }
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| {
            format!("cannot listen on {address} (server.listen); is another process using it?")
        })?;
    let bound = listener
        .local_addr()
        .context("cannot read the bound address")?;
    let challenge_keys = challenge_keys(&settings, &storage).await?;
    let state = AppState::new(settings, storage, challenge_keys)?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "listening on http://{bound}")?;
        stdout.flush()?;
    }
    // The bound address goes to standard output only: logs never contain addresses.
    tracing::info!("relay started");
    fluister_relay::server::serve(listener, state, shutdown_signal()).await?;
    tracing::info!("relay stopped");
    Ok(())
}

/// The key challenges are MACed with: the file `proof_of_work.key_file` names; else, on a
/// database several relays share, the key stored in it (made by the first relay to start);
/// else `challenge-key` in the data directory.
async fn challenge_keys<S: Storage>(settings: &Settings, storage: &S) -> Result<ChallengeKeys> {
    if settings.challenge_key_file().is_none() && storage.is_shared() {
        let candidate: [u8; 32] = fluister_relay::encoding::random_bytes();
        if let Some(master) = storage
            .shared_challenge_key(candidate)
            .await
            .context("cannot read or store the challenge key in the database")?
        {
            return Ok(ChallengeKeys::from_master(master));
        }
    }
    ChallengeKeys::load_or_create(&settings.challenge_key_path())
        .context("cannot use the challenge key (proof_of_work.key_file)")
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
