//! Prints how fast the envelope's operations are on this machine (release build):
//! `cargo xtask bench envelope`, or `cargo bench -p fluister-envelope --bench envelope`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use fluister_envelope::age::{self, Identity};
use fluister_envelope::pow::{self, Challenge};
use fluister_envelope::receipt::ReceiptCode;

/// Runs `operation` until at least `budget` has passed (and at least `minimum_runs` times);
/// returns every run's duration, sorted.
fn measure(budget: Duration, minimum_runs: usize, mut operation: impl FnMut()) -> Vec<Duration> {
    let started = Instant::now();
    let mut durations = Vec::new();
    while durations.len() < minimum_runs || started.elapsed() < budget {
        let run_started = Instant::now();
        operation();
        durations.push(run_started.elapsed());
    }
    durations.sort();
    durations
}

fn median(durations: &[Duration]) -> Duration {
    durations[durations.len() / 2]
}

fn mean(durations: &[Duration]) -> Duration {
    durations.iter().sum::<Duration>() / durations.len() as u32
}

fn throughput_line(label: &str, bytes: usize, durations: &[Duration]) {
    let per_run = median(durations);
    let mebibytes_per_second = bytes as f64 / per_run.as_secs_f64() / (1024.0 * 1024.0);
    println!(
        "{label:<28} {:>10.1} µs/op  {mebibytes_per_second:>8.1} MiB/s  ({} runs)",
        per_run.as_secs_f64() * 1e6,
        durations.len()
    );
}

fn main() {
    let coordinator = Identity::generate().expect("randomness");
    let recipients = [coordinator.to_recipient()];
    let identities = [coordinator];
    println!("Envelope benchmark (median of repeated runs, one core)\n");

    for (label, size) in [("4 KiB", 4 * 1024), ("1 MiB", 1024 * 1024)] {
        let plaintext = vec![0x42u8; size];
        let sealed = age::seal(&recipients, &plaintext).unwrap();
        let seal_runs = measure(Duration::from_secs(2), 10, || {
            black_box(age::seal(&recipients, black_box(&plaintext)).unwrap());
        });
        throughput_line(&format!("seal {label}"), size, &seal_runs);
        let open_runs = measure(Duration::from_secs(2), 10, || {
            black_box(age::open(&identities, black_box(&sealed)).unwrap());
        });
        throughput_line(&format!("open {label}"), size, &open_runs);
    }

    // The same tip to a hybrid post-quantum recipient: one ML-KEM-768 encapsulation (and an
    // X25519 one) per recipient, and about 1.5 KiB more header.
    let hybrid = Identity::generate_hybrid().expect("randomness");
    let hybrid_recipients = [hybrid.to_recipient()];
    let hybrid_identities = [hybrid];
    let tip = vec![0x42u8; 4 * 1024];
    let hybrid_sealed = age::seal(&hybrid_recipients, &tip).unwrap();
    let seal_runs = measure(Duration::from_secs(2), 10, || {
        black_box(age::seal(&hybrid_recipients, black_box(&tip)).unwrap());
    });
    throughput_line("seal 4 KiB, hybrid", tip.len(), &seal_runs);
    let open_runs = measure(Duration::from_secs(2), 10, || {
        black_box(age::open(&hybrid_identities, black_box(&hybrid_sealed)).unwrap());
    });
    throughput_line("open 4 KiB, hybrid", tip.len(), &open_runs);
    println!(
        "sealed 4 KiB                 {} bytes to X25519, {} bytes to hybrid",
        age::seal(&recipients, &tip).unwrap().len(),
        hybrid_sealed.len()
    );

    let code = ReceiptCode::generate().unwrap();
    let derive_runs = measure(Duration::from_secs(3), 5, || {
        black_box(code.derive_keys().unwrap());
    });
    println!(
        "\nreceipt key derivation       median {:>7.1} ms  (Argon2id m = {} KiB, t = {}, p = {}; {} runs)",
        median(&derive_runs).as_secs_f64() * 1e3,
        fluister_envelope::receipt::ARGON2_MEMORY_KIB,
        fluister_envelope::receipt::ARGON2_TIME_COST,
        fluister_envelope::receipt::ARGON2_PARALLELISM,
        derive_runs.len()
    );

    let ciphertext_hash = pow::ciphertext_sha256(&age::seal(&recipients, b"tip").unwrap());
    let mut challenges = Vec::new();
    let solve_runs = measure(Duration::from_secs(10), 20, || {
        let challenge =
            Challenge::generate(pow::DEFAULT_DIFFICULTY, pow::DEFAULT_MEMORY_KIB).unwrap();
        let solution = pow::solve(&challenge, &ciphertext_hash).unwrap();
        challenges.push((challenge, solution));
    });
    println!(
        "proof of work solve          median {:>7.1} ms, mean {:>7.1} ms, p90 {:>7.1} ms  (difficulty {}, {} KiB; {} runs)",
        median(&solve_runs).as_secs_f64() * 1e3,
        mean(&solve_runs).as_secs_f64() * 1e3,
        solve_runs[solve_runs.len() * 9 / 10].as_secs_f64() * 1e3,
        pow::DEFAULT_DIFFICULTY,
        pow::DEFAULT_MEMORY_KIB,
        solve_runs.len()
    );
    let mut next = 0;
    let verify_runs = measure(Duration::from_secs(2), 20, || {
        let (challenge, solution) = &challenges[next % challenges.len()];
        next += 1;
        pow::verify(challenge, &ciphertext_hash, solution).unwrap();
    });
    println!(
        "proof of work verify         median {:>7.2} ms  ({} runs)",
        median(&verify_runs).as_secs_f64() * 1e3,
        verify_runs.len()
    );
}
