//! `cargo xtask bench inbox`: pull and decrypt 10 000 sealed 4 KiB tips from a real local relay
//! (release build, proof of work off) with the real `fluister-inbox` binary, then `list` all
//! 10 000. Prints times and rates; the goal is a pull of 10 000 in at most 2.5 s.
//!
//! Both commands include starting the process and unlocking the identity (scrypt, work factor
//! 18), which is also timed on its own. The pull runs twice: with the inbox folder on the disk
//! (`$TMPDIR`), and on a RAM disk (`/dev/shm`, where there is one), to separate the tool's own
//! cost from the file system's cost of creating and flushing 10 000 files.

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::time::Instant;

use fluister_envelope::age::{Recipient, seal};
use fluister_envelope::tip::TipDocument;
use fluister_envelope::tip::vocabulary::{Kind, Municipality, Role};
use fluister_testkit::RelayProcess;
use support::{Inbox, relay_settings};

const TIP_COUNT: usize = 10_000;
const SENDING_THREADS: usize = 4;

/// A tip whose padded document is exactly 4 KiB.
fn four_kibibyte_tip(index: usize) -> Vec<u8> {
    let mut document = TipDocument::new(format!("benchmark tip {index}: {}", "x".repeat(3000)));
    document.kinds = vec![Kind::ALL[index % Kind::ALL.len()].clone()];
    document.role = Some(Role::ALL[index % Role::ALL.len()].clone());
    const MUNICIPALITIES: [&str; 4] = ["assen", "emmen", "meppel", "other"];
    document.municipality = Some(Municipality::from_id(
        MUNICIPALITIES[index % MUNICIPALITIES.len()],
    ));
    let padded = document.to_padded_bytes().expect("valid document");
    assert_eq!(padded.len(), 4096);
    padded
}

/// Sends `TIP_COUNT` sealed tips to `relay` from a few threads.
fn send_tips(relay: &RelayProcess, recipient: Recipient) {
    let started = Instant::now();
    std::thread::scope(|scope| {
        for thread_index in 0..SENDING_THREADS {
            scope.spawn(move || {
                for index in (thread_index..TIP_COUNT).step_by(SENDING_THREADS) {
                    let sealed = seal(&[recipient], &four_kibibyte_tip(index)).unwrap();
                    relay.store_tip(&sealed);
                }
            });
        }
    });
    assert_eq!(relay.tip_ids().len(), TIP_COUNT);
    println!(
        "  (setup: sent {TIP_COUNT} sealed 4 KiB tips in {:.2} s)",
        started.elapsed().as_secs_f64()
    );
}

/// Runs one pull + list round with the inbox folder inside `parent`.
fn measure(parent: &Path, where_label: &str) {
    println!("inbox folder on {where_label} ({}):", parent.display());
    let inbox = Inbox::new_in(parent, "bench");
    let recipient_text = inbox.keygen();
    let recipient: Recipient = recipient_text.parse().unwrap();
    // 10 000 tips of 4 KiB arrive within the hour: above the relay's default hourly share.
    let relay = RelayProcess::start(
        relay_settings(std::slice::from_ref(&recipient_text))
            .storage("max_stored_bytes_per_hour", 256_i64 << 20),
    );
    inbox.connect(&relay);
    send_tips(&relay, recipient);

    // `stats` on the still empty inbox unlocks the identity and opens nothing.
    let unlock_started = Instant::now();
    inbox.run_ok(&["stats"]);
    let unlock_seconds = unlock_started.elapsed().as_secs_f64();

    let pull_started = Instant::now();
    let pulled = inbox.run_ok(&["--lang", "en", "pull"]);
    let pull_seconds = pull_started.elapsed().as_secs_f64();
    assert!(
        pulled.contains(&format!("{TIP_COUNT} new tips")),
        "{pulled}"
    );
    assert!(relay.tip_ids().is_empty());

    let list_started = Instant::now();
    let listed = inbox.run_ok(&["list"]);
    let list_seconds = list_started.elapsed().as_secs_f64();
    assert_eq!(listed.lines().count(), TIP_COUNT + 1);

    println!("  start + unlock the identity (scrypt 2^18) alone: {unlock_seconds:.2} s");
    println!(
        "  pull {TIP_COUNT} tips (download, decrypt, write, flush, rename, delete): {pull_seconds:.2} s = {:.0} tips/s (goal: <= 2.5 s)",
        TIP_COUNT as f64 / pull_seconds
    );
    println!(
        "  list {TIP_COUNT} tips (decrypt all, read triage, print): {list_seconds:.2} s = {:.0} tips/s",
        TIP_COUNT as f64 / list_seconds
    );
}

fn main() {
    println!(
        "inbox benchmark ({} CPUs; load average now: {})",
        std::thread::available_parallelism().map_or(0, |count| count.get()),
        std::fs::read_to_string("/proc/loadavg")
            .map(|text| text
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" "))
            .unwrap_or_else(|_| "unknown".to_owned())
    );
    measure(&std::env::temp_dir(), "the disk");
    let ram_disk = Path::new("/dev/shm");
    if ram_disk.is_dir() {
        measure(ram_disk, "a RAM disk");
    }
}
