//! `relay-server backup FILE` against the real binary: a copy taken while the relay runs and
//! takes tips, which a second relay then serves; an existing file is never overwritten; a
//! PostgreSQL config is pointed to `pg_dump`.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use fluister_testkit::fixtures::{coordinator_keys, sealed_tip};
use fluister_testkit::process::{RELAY_ENVIRONMENT, relay_server_binary};
use fluister_testkit::{RelayProcess, SettingsBuilder, TemporaryDirectory};

/// Runs `relay-server backup --config CONFIG FILE`, with none of the developer's `FLUISTER_*`
/// variables.
fn run_backup(config: &Path, file: &Path) -> Output {
    let mut command = Command::new(relay_server_binary());
    for variable in RELAY_ENVIRONMENT {
        command.env_remove(variable);
    }
    command
        .arg("backup")
        .arg("--config")
        .arg(config)
        .arg(file)
        .output()
        .expect("run relay-server backup")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_backup_taken_while_the_relay_runs_serves_the_same_tips_from_a_second_relay() {
    // Big enough (about 10 MiB) that the backup reports its progress.
    let relay = RelayProcess::start(SettingsBuilder::for_tests());
    let (identity, recipient) = coordinator_keys();
    let mut before = Vec::new();
    for marker in 0..40 {
        let body = sealed_tip(&recipient, 250_000, marker);
        before.push((relay.store_tip(&body), body));
    }

    // Reporters go on sending tips while the backup runs.
    let relay = Arc::new(relay);
    let stop = Arc::new(AtomicBool::new(false));
    let sender = {
        let relay = Arc::clone(&relay);
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut sent = Vec::new();
            let mut marker = 1000;
            while !stop.load(Ordering::SeqCst) || sent.len() < 3 {
                sent.push(relay.store_tip(&sealed_tip(&recipient, 2000, marker)));
                marker += 1;
            }
            sent
        })
    };
    while relay.tip_ids().len() < before.len() + 1 {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }

    let backups = TemporaryDirectory::new("backups");
    let file = backups.join("relay-backup.sqlite3");
    let config = relay.directory().join("relay.toml");
    let output = run_backup(&config, &file);
    stop.store(true, Ordering::SeqCst);
    let during = sender.join().expect("the sending thread");
    assert!(
        output.status.success(),
        "backup failed: {}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    let stdout = text(&output.stdout);
    assert!(stdout.contains("written to"), "{stdout}");
    assert!(stdout.contains(&file.display().to_string()), "{stdout}");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("100 %"), "no progress shown: {stderr}");
    assert!(stderr.contains("MiB"), "{stderr}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the backup's mode is {mode:o}");
    }
    // One self-contained file: no WAL or journal beside it.
    let names: Vec<String> = std::fs::read_dir(backups.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["relay-backup.sqlite3"]);

    // A second relay on a copy of the backup serves every tip stored before it, byte for byte,
    // and no tip the first relay never had.
    let restored_data = TemporaryDirectory::new("restored");
    std::fs::copy(&file, restored_data.join("relay.sqlite3")).unwrap();
    let second = RelayProcess::start(SettingsBuilder::for_tests().data_dir(restored_data.path()));
    let restored: BTreeSet<String> = second.tip_ids().iter().map(ToString::to_string).collect();
    for (id, _) in &before {
        assert!(restored.contains(&id.to_string()), "tip {id} is missing");
    }
    let (id, body) = &before[7];
    let fetched = second
        .coordinator_get(&format!("/api/v1/tips/{id}"))
        .expect_status(200);
    assert_eq!(&fetched.body, body);
    assert!(fluister_envelope::age::open(&[identity], &fetched.body).is_ok());
    let everything: BTreeSet<String> = before
        .iter()
        .map(|(id, _)| id.to_string())
        .chain(during.iter().map(ToString::to_string))
        .collect();
    assert!(
        restored.is_subset(&everything),
        "the backup holds tips nobody sent"
    );
    assert!(restored.len() > before.len(), "no tip sent during the run");

    // The `sqlite3` tool reads the backup as it is, too.
    let counted = Command::new("sqlite3")
        .arg("-readonly")
        .arg(&file)
        .arg("SELECT COUNT(*) FROM tips;")
        .output()
        .expect("the `sqlite3` command line tool is installed (Debian package `sqlite3`)");
    assert!(counted.status.success(), "{}", text(&counted.stderr));
    assert_eq!(text(&counted.stdout).trim(), restored.len().to_string());

    // A second backup to the same name is refused, and the first stays as it was.
    let first_backup = std::fs::read(&file).unwrap();
    let again = run_backup(&config, &file);
    assert!(!again.status.success());
    let message = text(&again.stderr);
    assert!(message.contains("exists already"), "{message}");
    assert!(message.contains("never overwrites"), "{message}");
    assert_eq!(std::fs::read(&file).unwrap(), first_backup);
}

#[test]
fn a_backup_without_a_database_says_where_it_looked_and_writes_nothing() {
    let directory = TemporaryDirectory::new("no-database");
    let config = directory.join("relay.toml");
    std::fs::write(
        &config,
        SettingsBuilder::for_tests()
            .data_dir(&directory.join("data"))
            .to_toml(),
    )
    .unwrap();
    let file = directory.join("backup.sqlite3");
    let output = run_backup(&config, &file);
    assert!(!output.status.success());
    let message = text(&output.stderr);
    assert!(message.contains("there is no database"), "{message}");
    assert!(message.contains("storage.data_dir"), "{message}");
    assert!(!file.exists());
    assert!(
        !directory.join("data").exists(),
        "the backup made a data folder"
    );
}

#[test]
fn a_postgres_config_is_pointed_to_pg_dump() {
    let directory = TemporaryDirectory::new("postgres-config");
    let config = directory.join("relay.toml");
    std::fs::write(
        &config,
        SettingsBuilder::for_tests()
            .data_dir(&directory.join("data"))
            .storage("backend", "postgres")
            .storage(
                "postgres_url",
                "postgresql://fluister@%2Fnonexistent/fluister",
            )
            .to_toml(),
    )
    .unwrap();
    let file = directory.join("backup.sqlite3");
    let output = run_backup(&config, &file);
    assert!(!output.status.success());
    let message = text(&output.stderr);
    assert!(message.contains("pg_dump"), "{message}");
    assert!(message.contains("operator guide"), "{message}");
    assert!(!file.exists());
}
