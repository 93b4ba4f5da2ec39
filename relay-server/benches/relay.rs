//! Relay throughput benchmark (not a test): starts the real `relay-server` binary with storage
//! switched off (the HTTP ceiling), with durable SQLite, with durable SQLite while a flood of
//! free requests runs beside the reporters (challenges, mailbox reads with random codes, tips
//! with forged challenges: everything one client can send without doing work), and with a real
//! PostgreSQL server (started from Debian's binaries, as the tests do) behind one relay and
//! behind two relays sharing the connections, as behind a load balancer. Each drives 64
//! concurrent keep-alive connections submitting 4 KiB sealed tips, and prints submissions per
//! second (and as a ratio to the ceiling of the same run), the share of submissions stored,
//! p50/p99 latency, and the relay's peak resident memory; the flood mode also prints the
//! flood's own rate. Everything, PostgreSQL included, shares this machine's cores.
//!
//! Run with `cargo bench -p relay-server --bench relay`. Optional environment variables:
//! `RELAY_BENCH_SECONDS` (measured seconds per mode, default 5), `RELAY_BENCH_CONNECTIONS`
//! (default 64), `RELAY_BENCH_FLOOD_CONNECTIONS` (default 16). Only 127.0.0.1 is used.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fluister_envelope::age::{Identity, seal};
use fluister_relay::encoding::{encode_base64url, encode_hex, random_bytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The size of every sealed tip sent.
const SEALED_BYTES: usize = 4096;
/// Distinct sealed bodies cycled through (each submission still has its own key).
const BODY_POOL: usize = 256;
/// Seconds of load before measuring, so connections and caches are warm.
const WARM_UP: Duration = Duration::from_secs(1);

struct RelayProcess {
    child: Child,
    address: SocketAddr,
    directory: std::path::PathBuf,
}

impl RelayProcess {
    /// A relay tuned to measure throughput: proof of work off, every budget out of reach.
    fn start(backend: &str, storage: &str) -> RelayProcess {
        Self::start_with(
            backend,
            storage,
            "[limits]\nmax_concurrent_requests = 4096\nmax_connections = 4096\n\
             submissions_per_second = 1000000.0\nsubmission_burst = 1000000\n\
             [proof_of_work]\ndifficulty = 0\nmax_used_challenges = 10000000\n",
        )
    }

    /// A relay with more `[storage]` lines and the given `[limits]` and `[proof_of_work]`
    /// sections (defaults otherwise).
    fn start_with(backend: &str, storage: &str, sections: &str) -> RelayProcess {
        let directory = std::env::temp_dir().join(format!(
            "fluister-relay-bench-{backend}-{}",
            encode_hex(&random_bytes::<8>())
        ));
        std::fs::create_dir_all(&directory).unwrap();
        let config = format!(
            "[server]\nlisten = \"127.0.0.1:0\"\nlog_level = \"warn\"\n\
             [storage]\nbackend = \"{backend}\"\ndata_dir = \"{}\"\nmax_stored_bytes = 17179869184\n\
             max_stored_bytes_per_hour = 17179869184\n{storage}{sections}",
            directory.join("data").display()
        );
        let config_path = directory.join("relay.toml");
        std::fs::write(&config_path, config).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_relay-server"))
            .arg("--config")
            .arg(&config_path)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start relay-server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let address = line
            .trim()
            .strip_prefix("listening on http://")
            .expect("relay started")
            .parse()
            .unwrap();
        RelayProcess {
            child,
            address,
            directory,
        }
    }

    /// Peak resident set size of the relay process, in KiB (`VmHWM`).
    fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.directory);
    }
}

/// One keep-alive connection speaking just enough HTTP/1.1.
struct Connection {
    stream: TcpStream,
    buffer: Vec<u8>,
    host: String,
}

impl Connection {
    async fn open(address: SocketAddr) -> Connection {
        let stream = TcpStream::connect(address).await.expect("connect");
        stream.set_nodelay(true).unwrap();
        Connection {
            stream,
            buffer: Vec::with_capacity(8192),
            host: address.to_string(),
        }
    }

    /// Sends a request and returns the status and body.
    async fn exchange(
        &mut self,
        method: &str,
        path: &str,
        headers: &str,
        body: &[u8],
    ) -> (u16, Vec<u8>) {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n{headers}\r\n",
            self.host,
            body.len()
        );
        let mut request = Vec::with_capacity(head.len() + body.len());
        request.extend_from_slice(head.as_bytes());
        request.extend_from_slice(body);
        self.stream.write_all(&request).await.expect("write");
        loop {
            if let Some(head_end) = self
                .buffer
                .windows(4)
                .position(|window| window == b"\r\n\r\n")
            {
                let head = std::str::from_utf8(&self.buffer[..head_end]).expect("ascii head");
                let status: u16 = head[9..12].parse().expect("status");
                let length: usize = head
                    .split("\r\n")
                    .find_map(|line| {
                        let (name, value) = line.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse().ok())
                            .flatten()
                    })
                    .unwrap_or(0);
                let total = head_end + 4 + length;
                if self.buffer.len() >= total {
                    let body = self.buffer[head_end + 4..total].to_vec();
                    self.buffer.drain(..total);
                    return (status, body);
                }
            }
            let mut chunk = [0u8; 8192];
            let read = self.stream.read(&mut chunk).await.expect("read");
            assert!(read > 0, "the relay closed the connection");
            self.buffer.extend_from_slice(&chunk[..read]);
        }
    }
}

/// Measured results of one mode.
struct Results {
    submissions_per_second: f64,
    submission_p50: Duration,
    submission_p99: Duration,
    tip_post_p50: Duration,
    tip_post_p99: Duration,
    peak_rss_kib: Option<u64>,
    submissions: usize,
    /// Submissions in the measured window that were not stored (any answer but 201).
    refused: usize,
    /// Free requests the flood sent per second in the measured window (0 without a flood).
    flood_requests_per_second: f64,
}

/// One request of the flood: something that costs its sender nothing to make.
async fn send_free_request(connection: &mut Connection, index: usize) -> u16 {
    match index % 3 {
        0 => {
            connection
                .exchange("POST", "/api/v1/challenges", "", b"")
                .await
                .0
        }
        1 => {
            let path = format!(
                "/api/v1/mailboxes/{}/messages",
                encode_hex(&random_bytes::<32>())
            );
            let headers = format!(
                "Fluister-Mailbox-Token: {}\r\n",
                encode_base64url(&random_bytes::<32>())
            );
            connection.exchange("GET", &path, &headers, b"").await.0
        }
        _ => {
            let headers = format!(
                "Content-Type: application/octet-stream\r\nFluister-Submission-Key: {}\r\n\
                 Fluister-Challenge: {}\r\nFluister-Nonce: 0\r\n",
                encode_base64url(&random_bytes::<32>()),
                encode_base64url(&random_bytes::<32>()),
            );
            let body = b"age-encryption.org/v1\n-> X25519 junk\n\n--- junk\n";
            connection
                .exchange("POST", "/api/v1/tips", &headers, body)
                .await
                .0
        }
    }
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted[index]
}

/// Measures `relays` (the connections spread over them in turn; the flood goes to the first).
async fn run_mode(
    relays: &[RelayProcess],
    bodies: Arc<Vec<Vec<u8>>>,
    connections: usize,
    flood_connections: usize,
    measured: Duration,
) -> Results {
    let relay = &relays[0];
    let start = Instant::now();
    let measure_from = start + WARM_UP;
    let measure_until = measure_from + measured;
    let mut flood_tasks = Vec::new();
    for flood_index in 0..flood_connections {
        let address = relay.address;
        flood_tasks.push(tokio::spawn(async move {
            let mut connection = Connection::open(address).await;
            let mut sent_in_window = 0usize;
            let mut index = flood_index;
            loop {
                let began = Instant::now();
                if began >= measure_until {
                    break;
                }
                let status = send_free_request(&mut connection, index).await;
                index += 1;
                assert!(
                    status == 201 || status >= 400,
                    "a free request was answered {status}"
                );
                if began >= measure_from {
                    sent_in_window += 1;
                }
            }
            sent_in_window
        }));
    }
    let mut tasks = Vec::new();
    for connection_index in 0..connections {
        let bodies = Arc::clone(&bodies);
        let address = relays[connection_index % relays.len()].address;
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::open(address).await;
            let mut submission_latencies = Vec::new();
            let mut tip_latencies = Vec::new();
            let mut refused = 0usize;
            let mut next_body = connection_index;
            loop {
                let began = Instant::now();
                if began >= measure_until {
                    break;
                }
                let (status, challenge) = connection
                    .exchange("POST", "/api/v1/challenges", "", b"")
                    .await;
                if status != 201 {
                    if began >= measure_from {
                        refused += 1;
                    }
                    continue;
                }
                let challenge: serde_json::Value = serde_json::from_slice(&challenge).unwrap();
                let headers = format!(
                    "Content-Type: application/octet-stream\r\nFluister-Submission-Key: {}\r\n\
                     Fluister-Challenge: {}\r\nFluister-Nonce: 0\r\n",
                    encode_base64url(&random_bytes::<32>()),
                    challenge["seed"].as_str().unwrap()
                );
                let tip_began = Instant::now();
                let body = &bodies[next_body % bodies.len()];
                next_body += 1;
                let (status, _) = connection
                    .exchange("POST", "/api/v1/tips", &headers, body)
                    .await;
                let finished = Instant::now();
                if began >= measure_from && finished <= measure_until {
                    if status == 201 {
                        submission_latencies.push(finished - began);
                        tip_latencies.push(finished - tip_began);
                    } else {
                        refused += 1;
                    }
                }
            }
            (submission_latencies, tip_latencies, refused)
        }));
    }
    let mut submission_latencies = Vec::new();
    let mut tip_latencies = Vec::new();
    let mut refused = 0;
    for task in tasks {
        let (submissions, tips, refused_here) = task.await.expect("client task");
        submission_latencies.extend(submissions);
        tip_latencies.extend(tips);
        refused += refused_here;
    }
    let mut flood_sent = 0;
    for task in flood_tasks {
        flood_sent += task.await.expect("flood task");
    }
    submission_latencies.sort();
    tip_latencies.sort();
    Results {
        submissions_per_second: submission_latencies.len() as f64 / measured.as_secs_f64(),
        submission_p50: percentile(&submission_latencies, 0.50),
        submission_p99: percentile(&submission_latencies, 0.99),
        tip_post_p50: percentile(&tip_latencies, 0.50),
        tip_post_p99: percentile(&tip_latencies, 0.99),
        peak_rss_kib: relays.iter().filter_map(RelayProcess::peak_rss_kib).max(),
        submissions: submission_latencies.len(),
        refused,
        flood_requests_per_second: flood_sent as f64 / measured.as_secs_f64(),
    }
}

/// What a flood in the reporters' view sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flood {
    None,
    /// Challenges, mailbox reads with random codes, junk tips: nothing that needs work.
    FreeRequests,
    /// A fresh challenge, then a real sealed tip with a nonce that was never searched for:
    /// each costs the relay one verification and its sender nothing.
    WrongProofs,
}

/// How many reporters solve real proofs of work at once in the reporters' view.
const REPORTERS: usize = 2;

/// The reporters' view of one flood.
struct ReporterResults {
    attempted: usize,
    stored: usize,
    tip_post_p50: Duration,
    tip_post_p99: Duration,
    whole_p50: Duration,
    whole_p99: Duration,
    flood_requests_per_second: f64,
}

/// One request on a fresh connection, blocking: status and body.
fn blocking_exchange(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &str,
    body: &[u8],
) -> (u16, Vec<u8>) {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\
         Content-Length: {}\r\n{headers}\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("write");
    stream.write_all(body).expect("write");
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let status = std::str::from_utf8(response.get(9..12).unwrap_or(b"000"))
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(0);
    let body_start = response
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .map_or(response.len(), |position| position + 4);
    (status, response[body_start..].to_vec())
}

/// `REPORTERS` threads fetch a challenge at the default difficulty and memory, solve it
/// honestly, and post a sealed tip, over and over, while `flood` runs beside them on
/// `flood_connections` keep-alive connections. The relay runs with its default limits; only the
/// adaptive rise is set out of reach, so that every mode measures the same difficulty.
fn reporters_view(
    flood: Flood,
    flood_connections: usize,
    measured: Duration,
    bodies: &Arc<Vec<Vec<u8>>>,
) -> ReporterResults {
    let relay = RelayProcess::start_with(
        "sqlite",
        "",
        "[proof_of_work]\nflood_baseline = 100000000\n",
    );
    let address = relay.address;
    let start = Instant::now();
    let measure_from = start + WARM_UP;
    let measure_until = measure_from + measured;
    let flood_thread = {
        let bodies = Arc::clone(bodies);
        std::thread::spawn(move || {
            if flood == Flood::None {
                return 0;
            }
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let mut tasks = Vec::new();
                for flood_index in 0..flood_connections {
                    let bodies = Arc::clone(&bodies);
                    tasks.push(tokio::spawn(async move {
                        let mut connection = Connection::open(address).await;
                        let mut sent_in_window = 0usize;
                        let mut index = flood_index;
                        while Instant::now() < measure_until {
                            let began = Instant::now();
                            if flood == Flood::FreeRequests {
                                send_free_request(&mut connection, index).await;
                            } else {
                                let (status, challenge) = connection
                                    .exchange("POST", "/api/v1/challenges", "", b"")
                                    .await;
                                if status != 201 {
                                    index += 1;
                                    continue;
                                }
                                let challenge: serde_json::Value =
                                    serde_json::from_slice(&challenge).unwrap();
                                let headers = format!(
                                    "Content-Type: application/octet-stream\r\n\
                                     Fluister-Submission-Key: {}\r\nFluister-Challenge: {}\r\n\
                                     Fluister-Nonce: {index}\r\n",
                                    encode_base64url(&random_bytes::<32>()),
                                    challenge["seed"].as_str().unwrap()
                                );
                                let body = &bodies[index % bodies.len()];
                                connection
                                    .exchange("POST", "/api/v1/tips", &headers, body)
                                    .await;
                            }
                            index += 1;
                            if began >= measure_from {
                                sent_in_window += 1;
                            }
                        }
                        sent_in_window
                    }));
                }
                let mut sent = 0;
                for task in tasks {
                    sent += task.await.expect("flood task");
                }
                sent
            })
        })
    };
    let reporters: Vec<_> = (0..REPORTERS)
        .map(|reporter| {
            let bodies = Arc::clone(bodies);
            std::thread::spawn(move || {
                let mut outcomes = Vec::new();
                let mut next_body = reporter;
                while Instant::now() < measure_until {
                    let began = Instant::now();
                    let (status, challenge) =
                        blocking_exchange(address, "POST", "/api/v1/challenges", "", b"");
                    let body = &bodies[next_body % bodies.len()];
                    next_body += 1;
                    let stored = if status == 201 {
                        let json: serde_json::Value = serde_json::from_slice(&challenge).unwrap();
                        let seed_text = json["seed"].as_str().unwrap().to_owned();
                        let challenge = fluister_envelope::pow::Challenge {
                            seed: fluister_relay::encoding::decode_base64url(&seed_text).unwrap(),
                            difficulty: u32::try_from(json["difficulty"].as_u64().unwrap())
                                .unwrap(),
                            memory_kib: u32::try_from(json["memory_kib"].as_u64().unwrap())
                                .unwrap(),
                            puzzles: 1,
                        };
                        let hash = fluister_envelope::pow::ciphertext_sha256(body);
                        let nonce = fluister_envelope::pow::solve(&challenge, &hash)
                            .unwrap()
                            .nonces[0];
                        let headers = format!(
                            "Content-Type: application/octet-stream\r\nFluister-Submission-Key: {}\r\n\
                             Fluister-Challenge: {seed_text}\r\nFluister-Nonce: {nonce}\r\n",
                            encode_base64url(&random_bytes::<32>()),
                        );
                        let posted = Instant::now();
                        let (status, _) =
                            blocking_exchange(address, "POST", "/api/v1/tips", &headers, body);
                        Some((status == 201, posted.elapsed()))
                    } else {
                        None
                    };
                    let finished = Instant::now();
                    if began >= measure_from && finished <= measure_until {
                        outcomes.push((stored, finished - began));
                    }
                }
                outcomes
            })
        })
        .collect();
    let outcomes: Vec<_> = reporters
        .into_iter()
        .flat_map(|reporter| reporter.join().expect("reporter"))
        .collect();
    let flood_sent = flood_thread.join().expect("flood");
    let mut tip_posts: Vec<Duration> = outcomes
        .iter()
        .filter_map(|(stored, _)| stored.map(|(_, post)| post))
        .collect();
    let mut wholes: Vec<Duration> = outcomes.iter().map(|(_, whole)| *whole).collect();
    tip_posts.sort();
    wholes.sort();
    drop(relay);
    ReporterResults {
        attempted: outcomes.len(),
        stored: outcomes
            .iter()
            .filter(|(stored, _)| matches!(stored, Some((true, _))))
            .count(),
        tip_post_p50: percentile(&tip_posts, 0.50),
        tip_post_p99: percentile(&tip_posts, 0.99),
        whole_p50: percentile(&wholes, 0.50),
        whole_p99: percentile(&wholes, 0.99),
        flood_requests_per_second: flood_sent as f64 / measured.as_secs_f64(),
    }
}

fn print_reporter_results(label: &str, results: &ReporterResults) {
    println!(
        "{label:<36} stored {:>3} of {:>3} ({:>6.2} %)   tip POST p50 {:>7.2} ms  p99 {:>7.2} ms   \
         challenge to answer p50 {:>7.1} ms  p99 {:>7.1} ms{}",
        results.stored,
        results.attempted,
        100.0 * results.stored as f64 / results.attempted.max(1) as f64,
        milliseconds(results.tip_post_p50),
        milliseconds(results.tip_post_p99),
        milliseconds(results.whole_p50),
        milliseconds(results.whole_p99),
        if results.flood_requests_per_second > 0.0 {
            format!(
                "   flood {:.0} requests/s",
                results.flood_requests_per_second
            )
        } else {
            String::new()
        },
    );
}

fn milliseconds(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn print_results(label: &str, results: &Results) {
    let attempted = results.submissions + results.refused;
    println!(
        "{label:<36} {:>7.0} submissions/s   stored {:>6.2} %   submission p50 {:>6.2} ms  \
         p99 {:>6.2} ms   tip POST p50 {:>6.2} ms  p99 {:>6.2} ms   peak RSS {}   \
         ({} submissions){}",
        results.submissions_per_second,
        100.0 * results.submissions as f64 / attempted.max(1) as f64,
        milliseconds(results.submission_p50),
        milliseconds(results.submission_p99),
        milliseconds(results.tip_post_p50),
        milliseconds(results.tip_post_p99),
        results
            .peak_rss_kib
            .map_or("unknown".to_owned(), |kib| format!(
                "{:.1} MiB",
                kib as f64 / 1024.0
            )),
        results.submissions,
        if results.flood_requests_per_second > 0.0 {
            format!(
                "   flood {:.0} free requests/s",
                results.flood_requests_per_second
            )
        } else {
            String::new()
        },
    );
}

/// (g) one relay and (h) two relays on one real PostgreSQL server, each as a ratio to the
/// ceiling (a); skipped, saying why, where PostgreSQL's server binaries are missing.
fn postgres_modes(
    runtime: &tokio::runtime::Runtime,
    bodies: &Arc<Vec<Vec<u8>>>,
    connections: usize,
    measured: Duration,
    ceiling: &Results,
) {
    let Ok(postgres) = std::panic::catch_unwind(fluister_testkit::PostgresServer::start) else {
        println!(
            "(g), (h) PostgreSQL: skipped, its server binaries are missing (apt-get install postgresql)"
        );
        return;
    };
    let storage = format!("postgres_url = \"{}\"\n", postgres.url());
    for (label, relay_count) in [
        ("(g) durable PostgreSQL, one relay", 1),
        ("(h) durable PostgreSQL, two relays", 2),
    ] {
        let relays: Vec<RelayProcess> = (0..relay_count)
            .map(|_| RelayProcess::start("postgres", &storage))
            .collect();
        let results = runtime.block_on(run_mode(
            &relays,
            Arc::clone(bodies),
            connections,
            0,
            measured,
        ));
        print_results(label, &results);
        println!(
            "ratio {}/(a): {:.2}",
            &label[..3],
            results.submissions_per_second / ceiling.submissions_per_second
        );
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a plain `cargo test --benches` passes nothing and should
    // not spend seconds here.
    if !std::env::args().any(|argument| argument == "--bench") {
        println!("relay bench: run with `cargo bench -p relay-server --bench relay`");
        return;
    }
    let seconds: u64 = std::env::var("RELAY_BENCH_SECONDS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(5);
    let connections: usize = std::env::var("RELAY_BENCH_CONNECTIONS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(64);
    let flood_connections: usize = std::env::var("RELAY_BENCH_FLOOD_CONNECTIONS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(16);

    // Seal bodies of exactly SEALED_BYTES: measure the overhead once, then size the plaintext.
    let recipient = Identity::generate().unwrap().to_recipient();
    let overhead = seal(&[recipient], &[b' '; 1000]).unwrap().len() - 1000;
    let bodies: Vec<Vec<u8>> = (0..BODY_POOL)
        .map(|index| {
            let mut plaintext = format!("{{\"v\":1,\"text\":\"bench {index}\"}}").into_bytes();
            plaintext.resize(SEALED_BYTES - overhead, b' ');
            let sealed = seal(&[recipient], &plaintext).unwrap();
            assert_eq!(sealed.len(), SEALED_BYTES);
            sealed
        })
        .collect();
    let bodies = Arc::new(bodies);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    println!(
        "relay bench: {connections} keep-alive connections, {SEALED_BYTES}-byte sealed tips, \
         {seconds} s measured per mode after {} s warm-up; a submission is POST /api/v1/challenges \
         then POST /api/v1/tips (proof-of-work difficulty 0)",
        WARM_UP.as_secs()
    );
    let measured = Duration::from_secs(seconds);
    let discard = runtime.block_on(run_mode(
        &[RelayProcess::start("discard", "")],
        Arc::clone(&bodies),
        connections,
        0,
        measured,
    ));
    print_results("(a) storage off (discard)", &discard);
    let sqlite = runtime.block_on(run_mode(
        &[RelayProcess::start("sqlite", "")],
        Arc::clone(&bodies),
        connections,
        0,
        measured,
    ));
    print_results("(b) durable SQLite", &sqlite);
    println!(
        "ratio (b)/(a): {:.2}",
        sqlite.submissions_per_second / discard.submissions_per_second
    );
    let flooded = runtime.block_on(run_mode(
        &[RelayProcess::start("sqlite", "")],
        Arc::clone(&bodies),
        connections,
        flood_connections,
        measured,
    ));
    print_results(
        &format!("(c) SQLite + free-request flood ({flood_connections} conns)"),
        &flooded,
    );
    postgres_modes(&runtime, &bodies, connections, measured, &discard);
    println!(
        "reporters' view: {REPORTERS} reporters solving real proofs of work (default difficulty \
         and memory, default limits, adaptive rise held off), {seconds} s per mode, flood on \
         {flood_connections} keep-alive connections:"
    );
    for (label, flood) in [
        ("(d) quiet", Flood::None),
        ("(e) free-request flood", Flood::FreeRequests),
        ("(f) wrong-proof flood", Flood::WrongProofs),
    ] {
        let results = reporters_view(flood, flood_connections, measured, &bodies);
        print_reporter_results(label, &results);
    }
}
