//! One client that does no work must not silence reporters: against the real relay binary, a
//! flood of free requests (challenges, mailbox reads with random and with wrong codes) runs for
//! ten seconds while a reporter with real proof of work sends tips and reads an existing mailbox.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use fluister_relay::encoding::{encode_base64url, encode_hex, random_bytes};
use fluister_testkit::fixtures::{
    coordinator_keys, mailbox_keys, registration_body, sealed_tip, submission_key,
};
use fluister_testkit::{COORDINATOR_TOKEN, RelayProcess, SettingsBuilder};

/// How long the flood runs.
const FLOOD: Duration = Duration::from_secs(10);
/// The flood's pace: requests per second across its threads (at least 100 are required).
const FLOOD_REQUESTS_PER_SECOND: u64 = 200;
const FLOOD_THREADS: u64 = 4;

#[test]
fn a_free_request_flood_does_not_silence_a_reporter() {
    // Real proof of work at the default difficulty and memory; the adaptive rise is set out of
    // reach, since this test is about requests that do no work at all.
    let relay = RelayProcess::start(
        SettingsBuilder::for_tests()
            .proof_of_work("difficulty", 160)
            .proof_of_work("flood_baseline", 100000),
    );
    let (_, recipient) = coordinator_keys();
    let keys = mailbox_keys();
    assert_eq!(relay.register(&registration_body(&keys)).status, 201);
    let mailbox_path = format!("/api/v1/mailboxes/{}/messages", keys.mailbox_id.as_str());
    let question = sealed_tip(&recipient, 100, 0);
    let asked = relay.request(
        "POST",
        &mailbox_path,
        &[
            ("Authorization", &format!("Bearer {COORDINATOR_TOKEN}")),
            ("Content-Type", "application/octet-stream"),
            (
                "Fluister-Submission-Key",
                &encode_base64url(&submission_key()),
            ),
        ],
        &question,
    );
    assert_eq!(asked.status, 201);
    let token = keys.mailbox_token.to_base64url();

    let flood_sent = AtomicU64::new(0);
    let started = Instant::now();
    let (tips, reads) = std::thread::scope(|scope| {
        for thread in 0..FLOOD_THREADS {
            let (relay, flood_sent, mailbox_path) = (&relay, &flood_sent, &mailbox_path);
            scope.spawn(move || {
                let interval =
                    Duration::from_secs(FLOOD_THREADS) / FLOOD_REQUESTS_PER_SECOND as u32;
                let mut next = Instant::now();
                let mut sent = 0u64;
                while started.elapsed() < FLOOD {
                    match (sent + thread) % 3 {
                        0 => {
                            relay.request("POST", "/api/v1/challenges", &[], b"");
                        }
                        1 => {
                            let random_mailbox = format!(
                                "/api/v1/mailboxes/{}/messages",
                                encode_hex(&random_bytes::<32>())
                            );
                            let wrong = encode_base64url(&random_bytes::<32>());
                            relay.request(
                                "GET",
                                &random_mailbox,
                                &[("Fluister-Mailbox-Token", &wrong)],
                                b"",
                            );
                        }
                        _ => {
                            // The reporter's own mailbox, with a wrong token.
                            let wrong = encode_base64url(&random_bytes::<32>());
                            relay.request(
                                "GET",
                                mailbox_path,
                                &[("Fluister-Mailbox-Token", &wrong)],
                                b"",
                            );
                        }
                    }
                    sent += 1;
                    flood_sent.fetch_add(1, Ordering::Relaxed);
                    next += interval;
                    if let Some(wait) = next.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                }
            });
        }
        // The reporter: a tip with an honestly solved proof of work, then a look at the mailbox
        // about once a second, for as long as the flood runs.
        let reporter = scope.spawn(|| {
            let (mut tips, mut reads) = ((0u32, 0u32), (0u32, 0u32));
            let mut last_read = Instant::now() - Duration::from_secs(1);
            let mut marker = 1;
            while started.elapsed() < FLOOD {
                let tip = relay.submit(&sealed_tip(&recipient, 300, marker), &submission_key());
                marker += 1;
                tips.0 += u32::from(tip.status == 201);
                tips.1 += 1;
                if last_read.elapsed() >= Duration::from_secs(1) {
                    last_read = Instant::now();
                    let read = relay.request(
                        "GET",
                        &mailbox_path,
                        &[("Fluister-Mailbox-Token", &token)],
                        b"",
                    );
                    let answered = read.status == 200
                        && read.json()["messages"].as_array().map(Vec::len) == Some(1);
                    reads.0 += u32::from(answered);
                    reads.1 += 1;
                }
            }
            (tips, reads)
        });
        reporter.join().unwrap()
    });
    let flood_seconds = started.elapsed().as_secs_f64();
    let flood_rate = flood_sent.load(Ordering::Relaxed) as f64 / flood_seconds;
    assert!(
        flood_rate >= 100.0,
        "the flood reached only {flood_rate:.0} requests per second"
    );
    let success = |(succeeded, attempted): (u32, u32)| f64::from(succeeded) / f64::from(attempted);
    assert!(
        tips.1 >= 5 && reads.1 >= 5,
        "too few tries: {tips:?} {reads:?}"
    );
    assert!(
        success(tips) >= 0.95,
        "tips stored {} of {} during the flood",
        tips.0,
        tips.1
    );
    assert!(
        success(reads) >= 0.95,
        "mailbox read {} of {} times during the flood",
        reads.0,
        reads.1
    );
    relay.assert_serving();
}
