//! Content-free notifications against the real relay binary, a real SMTP server process
//! (Python's standard-library `smtpd` DebuggingServer, which prints every mail it receives) and a
//! webhook receiver in the test: a tip brings one mail within the window, saying nothing of the
//! tip; a reporter's answer brings one too, the coordinator's own message none; with the SMTP
//! server down the tip is stored all the same and the mail follows once the server is back; and
//! two relays on one PostgreSQL database send one mail for tips that reached both in a window.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fluister_envelope::age::seal;
use fluister_testkit::fixtures::{
    coordinator_keys, mailbox_keys, registration_body, sealed_tip, submission_key,
};
use fluister_testkit::{PostgresServer, RelayProcess, SettingsBuilder};

/// A running `python3 -m smtpd` DebuggingServer, its output in a file; killed on drop.
struct SmtpSink {
    child: Child,
    output: PathBuf,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SmtpSink {
    /// Starts the sink on `port` and waits until it accepts connections.
    fn start(port: u16, directory: &Path) -> SmtpSink {
        let output = directory.join(format!("smtp-{port}.log"));
        let child = Command::new("python3")
            .args([
                "-u",
                "-W",
                "ignore",
                "-m",
                "smtpd",
                "-n",
                "-c",
                "DebuggingServer",
            ])
            .arg(format!("127.0.0.1:{port}"))
            .stdout(std::fs::File::create(&output).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 (with the standard library's smtpd) runs");
        let sink = SmtpSink { child, output };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the SMTP sink did not start listening"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        sink
    }

    /// Every mail received so far: its header lines and its body lines.
    fn mails(&self) -> Vec<(Vec<String>, Vec<String>)> {
        let text = std::fs::read_to_string(&self.output).unwrap_or_default();
        let mut mails = Vec::new();
        let mut current: Option<Vec<String>> = None;
        for line in text.lines() {
            if line.contains("MESSAGE FOLLOWS") {
                current = Some(Vec::new());
            } else if line.contains("END MESSAGE") {
                if let Some(lines) = current.take() {
                    // Each line is printed as Python bytes: b'...'.
                    let lines: Vec<String> = lines
                        .iter()
                        .map(|line| {
                            line.trim()
                                .strip_prefix("b'")
                                .and_then(|rest| rest.strip_suffix('\''))
                                .unwrap_or(line)
                                .to_owned()
                        })
                        .collect();
                    let split = lines
                        .iter()
                        .position(String::is_empty)
                        .unwrap_or(lines.len());
                    mails.push((lines[..split].to_vec(), lines[split..].to_vec()));
                }
            } else if let Some(lines) = &mut current {
                lines.push(line.to_owned());
            }
        }
        mails
    }

    /// Waits (at most `limit`) until `count` mails arrived; returns them.
    fn wait_for(&self, count: usize, limit: Duration) -> Vec<(Vec<String>, Vec<String>)> {
        let started = Instant::now();
        loop {
            let mails = self.mails();
            if mails.len() >= count {
                return mails;
            }
            assert!(
                started.elapsed() < limit,
                "{} mail(s) after {limit:?}, expected {count}",
                mails.len()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn scratch_directory(name: &str) -> PathBuf {
    let directory =
        std::env::temp_dir().join(format!("fluister-notify-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).unwrap();
    directory
}

/// A relay that mails `coordinator@gemeente.test` through plain SMTP on `port`, batching per
/// second.
fn relay_mailing_to(port: u16) -> RelayProcess {
    RelayProcess::start(mailing_to(port).set("notifications", "window_seconds", 1))
}

/// Settings that mail `coordinator@gemeente.test` through plain SMTP on `port`.
fn mailing_to(port: u16) -> SettingsBuilder {
    SettingsBuilder::for_tests()
        .set("notifications", "email_server", "127.0.0.1")
        .set("notifications", "email_port", i64::from(port))
        .set("notifications", "email_security", "none")
        .set(
            "notifications",
            "email_from",
            "Fluister <fluister@relay.test>",
        )
        .set(
            "notifications",
            "email_to",
            vec!["coordinator@gemeente.test".to_owned()],
        )
}

/// Asserts a notification mail says nothing of what arrived.
#[track_caller]
fn assert_content_free(mail: &(Vec<String>, Vec<String>), tip_id: &str) {
    let (headers, body) = mail;
    let whole = format!("{}\n{}", headers.join("\n"), body.join("\n"));
    assert!(
        headers
            .iter()
            .any(|line| line == "Subject: Fluister: er is iets nieuws"),
        "{whole}"
    );
    assert!(
        headers
            .iter()
            .any(|line| line.starts_with("To: coordinator@gemeente.test")),
        "{whole}"
    );
    assert!(
        !headers
            .iter()
            .any(|line| line.to_ascii_lowercase().starts_with("reply-to")),
        "{whole}"
    );
    assert!(!whole.contains(tip_id), "{whole}");
    let body = body.join("\n");
    assert!(body.contains("Beantwoord dit bericht niet"), "{body}");
    assert!(
        !body.chars().any(|character| character.is_ascii_digit()),
        "no count, no number, no time in the text: {body}"
    );
}

#[test]
fn a_tip_and_a_reporters_answer_each_bring_one_mail_that_says_nothing_of_them() {
    let directory = scratch_directory("mail");
    let port = free_port();
    let sink = SmtpSink::start(port, &directory);
    let relay = relay_mailing_to(port);
    let (_, coordinator) = coordinator_keys();

    // Nothing arrived: nothing is sent.
    std::thread::sleep(Duration::from_millis(2500));
    assert!(sink.mails().is_empty());

    // Two tips within one window: one mail (batched), or two at most if the window turned.
    let tip_id = relay
        .store_tip(&sealed_tip(&coordinator, 2000, 1))
        .to_string();
    relay.store_tip(&sealed_tip(&coordinator, 2000, 2));
    let mails = sink.wait_for(1, Duration::from_secs(15));
    assert_content_free(&mails[0], &tip_id);
    std::thread::sleep(Duration::from_millis(2500));
    let after_tips = sink.mails().len();
    assert!(after_tips <= 2, "{after_tips} mails for two tips");

    // The coordinator's own message is not news for the coordinators; a reporter's answer is.
    let keys = mailbox_keys();
    assert_eq!(relay.register(&registration_body(&keys)).status, 201);
    let question = seal(&[keys.reply_identity.to_recipient()], b"Welk adres?").unwrap();
    let posted = relay.coordinator_post(keys.mailbox_id.as_str(), &question, &submission_key());
    assert_eq!(posted.status, 201, "{}", posted.text());
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(
        sink.mails().len(),
        after_tips,
        "no mail for the coordinator's message"
    );
    let answer = seal(&[coordinator], b"Rolderweg 12").unwrap();
    assert_eq!(
        relay
            .reporter_post(&keys, &answer, &submission_key())
            .status,
        201
    );
    let mails = sink.wait_for(after_tips + 1, Duration::from_secs(15));
    assert_content_free(mails.last().unwrap(), keys.mailbox_id.as_str());
    drop(sink);
    let _ = std::fs::remove_dir_all(&directory);
}

#[test]
fn with_the_smtp_server_down_the_tip_is_stored_and_the_mail_follows_when_it_is_back() {
    let directory = scratch_directory("down");
    let port = free_port();
    let relay = relay_mailing_to(port);
    let (_, coordinator) = coordinator_keys();
    let tip_id = relay
        .store_tip(&sealed_tip(&coordinator, 2000, 3))
        .to_string();
    let listed = relay.coordinator_get("/api/v1/tips");
    assert_eq!(listed.status, 200);
    assert!(
        listed.text().contains(&tip_id),
        "the tip is stored all the same"
    );
    // Let a few deliveries fail.
    std::thread::sleep(Duration::from_secs(3));
    let sink = SmtpSink::start(port, &directory);
    let mails = sink.wait_for(1, Duration::from_secs(20));
    assert_content_free(&mails[0], &tip_id);
    drop(sink);
    let _ = std::fs::remove_dir_all(&directory);
}

#[test]
fn the_webhook_gets_a_plain_post_with_the_same_text() {
    let receiver = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/fluister-team", receiver.local_addr().unwrap());
    let relay = RelayProcess::start(
        SettingsBuilder::for_tests()
            .set("notifications", "window_seconds", 1)
            .set("notifications", "webhook_url", url),
    );
    let (_, coordinator) = coordinator_keys();
    let tip_id = relay
        .store_tip(&sealed_tip(&coordinator, 2000, 4))
        .to_string();
    receiver.set_nonblocking(false).unwrap();
    let (mut stream, _) = receiver.accept().unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" || line.is_empty() {
            break;
        }
        head.push(line.trim_end().to_owned());
    }
    let length: usize = head
        .iter()
        .find_map(|line| {
            line.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|value| value.trim().parse().unwrap())
        })
        .expect("a Content-Length");
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    stream
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        .unwrap();
    let body = String::from_utf8(body).unwrap();
    assert_eq!(head[0], "POST /fluister-team HTTP/1.1", "{head:?}");
    assert!(body.contains("Er is iets nieuws"), "{body}");
    assert!(!body.contains(&tip_id));
    assert!(
        !body.chars().any(|character| character.is_ascii_digit()),
        "{body}"
    );
}

/// Runs one statement on the relay's database, as the passing of days would change it.
fn age_in_database(relay: &RelayProcess, statement: &str) {
    let output = Command::new("sqlite3")
        .arg(relay.database_path())
        .arg(format!("PRAGMA busy_timeout = 5000; {statement}"))
        .output()
        .expect("run sqlite3");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The mails whose subject is `subject`.
fn with_subject(
    mails: &[(Vec<String>, Vec<String>)],
    subject: &str,
) -> Vec<(Vec<String>, Vec<String>)> {
    let wanted = format!("Subject: {subject}");
    mails
        .iter()
        .filter(|(headers, _)| headers.contains(&wanted))
        .cloned()
        .collect()
}

#[test]
fn a_tip_and_a_mailbox_near_their_end_each_bring_one_warning_not_one_per_sweep() {
    const EXPIRING: &str = "Fluister: meldingen verlopen binnenkort";
    let directory = scratch_directory("expiry");
    let port = free_port();
    let sink = SmtpSink::start(port, &directory);
    let relay = RelayProcess::start(
        SettingsBuilder::for_tests()
            .set("storage", "retention_days", 10)
            .set("storage", "sweep_interval_seconds", 1)
            .set("notifications", "expiry_warning_days", 7)
            .set("notifications", "window_seconds", 1)
            .set("notifications", "email_server", "127.0.0.1")
            .set("notifications", "email_port", i64::from(port))
            .set("notifications", "email_security", "none")
            .set("notifications", "email_from", "fluister@relay.test")
            .set(
                "notifications",
                "email_to",
                vec!["coordinator@gemeente.test".to_owned()],
            ),
    );
    let (_, coordinator) = coordinator_keys();
    let tip_id = relay
        .store_tip(&sealed_tip(&coordinator, 2000, 7))
        .to_string();
    sink.wait_for(1, Duration::from_secs(15));
    std::thread::sleep(Duration::from_millis(2500));
    assert!(
        with_subject(&sink.mails(), EXPIRING).is_empty(),
        "a new tip is not near its end"
    );

    // Five days pass for the tip: three are left of ten, fewer than the seven warned about.
    age_in_database(
        &relay,
        "UPDATE tips SET received_hour = received_hour - 5 * 86400;",
    );
    let started = Instant::now();
    while with_subject(&sink.mails(), EXPIRING).is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no warning came"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Several sweeps later, still one warning.
    std::thread::sleep(Duration::from_secs(4));
    let warnings = with_subject(&sink.mails(), EXPIRING);
    assert_eq!(
        warnings.len(),
        1,
        "one warning for the tip, not one per sweep"
    );
    let (headers, body) = &warnings[0];
    let whole = format!("{}\n{}", headers.join("\n"), body.join("\n"));
    assert!(!whole.contains(&tip_id), "{whole}");
    assert!(
        !body
            .join("\n")
            .chars()
            .any(|character| character.is_ascii_digit()),
        "{whole}"
    );
    assert!(whole.contains("verlopen binnenkort"), "{whole}");

    // A mailbox that nears its end brings one warning of its own.
    let keys = mailbox_keys();
    assert_eq!(relay.register(&registration_body(&keys)).status, 201);
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(with_subject(&sink.mails(), EXPIRING).len(), 1);
    age_in_database(
        &relay,
        "UPDATE mailboxes SET expires_day = expires_day - 5 * 86400;",
    );
    let started = Instant::now();
    while with_subject(&sink.mails(), EXPIRING).len() < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no warning for the mailbox"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(4));
    let warnings = with_subject(&sink.mails(), EXPIRING);
    assert_eq!(warnings.len(), 2, "one warning for the mailbox too");
    let whole = format!("{}\n{}", warnings[1].0.join("\n"), warnings[1].1.join("\n"));
    assert!(!whole.contains(keys.mailbox_id.as_str()), "{whole}");
    drop(sink);
    let _ = std::fs::remove_dir_all(&directory);
}

#[test]
fn two_relays_on_one_database_send_one_mail_for_tips_that_reached_both_in_one_window() {
    let directory = scratch_directory("two-relays");
    let port = free_port();
    let sink = SmtpSink::start(port, &directory);
    let postgres = PostgresServer::start();
    let window = Duration::from_secs(3);
    let settings = || {
        mailing_to(port)
            .set("notifications", "window_seconds", 3)
            .storage("backend", "postgres")
            .environment("FLUISTER_POSTGRES_URL", postgres.url())
    };
    let relay_a = RelayProcess::start(settings());
    let relay_b = RelayProcess::start(settings());
    let (_, coordinator) = coordinator_keys();

    for round in 1..=2u64 {
        // Just after a window began, one tip at each relay: the same window for both.
        let window_millis = window.as_millis();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis();
        let into_next = window_millis - now % window_millis + 200;
        std::thread::sleep(Duration::from_millis(u64::try_from(into_next).unwrap()));
        let before = sink.mails().len();
        let tip_id = relay_a
            .store_tip(&sealed_tip(&coordinator, 2000, 2 * round))
            .to_string();
        relay_b.store_tip(&sealed_tip(&coordinator, 2000, 2 * round + 1));
        let mails = sink.wait_for(before + 1, Duration::from_secs(20));
        assert_content_free(&mails[before], &tip_id);
        // Both relays had news in that window; whichever took the notice sent it, alone. Two
        // more windows pass: no second mail.
        std::thread::sleep(2 * window + Duration::from_millis(500));
        assert_eq!(
            sink.mails().len(),
            before + 1,
            "round {round}: one mail for one window, not one per relay"
        );
    }
    assert_eq!(
        postgres
            .psql("SELECT news OR expiring FROM pending_notice")
            .trim(),
        "f",
        "nothing is left waiting"
    );
    drop(sink);
    let _ = std::fs::remove_dir_all(&directory);
}
