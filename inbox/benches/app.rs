//! `cargo xtask bench app`: the local app's list of 10 000 tips. The tips are sealed 4 KiB
//! documents written straight into an inbox folder (as `pull` names them); the real
//! `fluister-inbox app` is started, opened and unlocked, and the server's time for each page is
//! measured from the request to the last byte, over loopback: the first list (which opens only
//! its page's tips), the list again, the first filter by kind (which needs every tip opened, and
//! waits for the background pass that opens them after unlocking), filters after it, a later
//! page, one case page, and a search in the text (which opens every tip it looks in). Then it locks, waits for the sealed summary index (`summaries.age`,
//! written after that pass), unlocks again and times the first filter by kind once more, which
//! the index answers without opening the tips. Then the process's resident and peak memory. The
//! goal is each page under 300 ms.

#[path = "../tests/support/mod.rs"]
mod support;

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use fluister_envelope::age::{Recipient, seal};
use fluister_envelope::tip::TipDocument;
use fluister_envelope::tip::vocabulary::{Kind, Municipality, Role};
use fluister_testkit::http::{Response, request};
use support::Inbox;

const TIP_COUNT: usize = 10_000;

fn four_kibibyte_tip(index: usize) -> Vec<u8> {
    let mut document = TipDocument::new(format!("benchmark tip {index}: {}", "x".repeat(3000)));
    document.kinds = vec![Kind::ALL[index % Kind::ALL.len()].clone()];
    document.role = Some(Role::ALL[index % Role::ALL.len()].clone());
    const MUNICIPALITIES: [&str; 4] = ["assen", "emmen", "meppel", "other"];
    document.municipality = Some(Municipality::from_id(
        MUNICIPALITIES[index % MUNICIPALITIES.len()],
    ));
    document.to_padded_bytes().expect("valid document")
}

/// Writes `TIP_COUNT` sealed tips into the inbox's `tips/` folder under `pull`'s names.
fn store_tips(inbox: &Inbox, recipient: &Recipient) {
    let started = Instant::now();
    let folder = inbox.home.join("tips");
    std::fs::create_dir_all(&folder).unwrap();
    let hour = 1_740_000_000 - 1_740_000_000 % 3600;
    std::thread::scope(|scope| {
        for thread_index in 0..4 {
            let folder = &folder;
            scope.spawn(move || {
                for index in (thread_index..TIP_COUNT).step_by(4) {
                    let sealed =
                        seal(std::slice::from_ref(recipient), &four_kibibyte_tip(index)).unwrap();
                    let relay_id = format!("{:032x}", index + 1);
                    let name = format!(
                        "{:06}-{}-{relay_id}.age",
                        index + 1,
                        hour + index as u64 * 60
                    );
                    std::fs::write(folder.join(name), sealed).unwrap();
                }
            });
        }
    });
    println!(
        "  (setup: wrote {TIP_COUNT} sealed 4 KiB tips in {:.2} s)",
        started.elapsed().as_secs_f64()
    );
}

struct App {
    child: Child,
    address: SocketAddr,
    /// `NAME.localhost:PORT`, the only `Host` the app answers.
    host: String,
    cookie_name: String,
    cookie: String,
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl App {
    fn start(inbox: &Inbox) -> App {
        let mut child = inbox
            .command()
            .args(["--lang", "nl", "app", "--no-browser", "--lock-after", "1h"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start fluister-inbox app");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let url = loop {
            let line = lines.next().expect("the opening address").unwrap();
            if let Some(start) = line.find("http://")
                && line.contains("/open?secret=")
            {
                break line[start..].trim().to_owned();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        let (authority, secret) = url
            .strip_prefix("http://")
            .unwrap()
            .split_once("/open?secret=")
            .unwrap();
        let port = authority.rsplit_once(':').unwrap().1;
        let address: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let host = authority.to_owned();
        let opened = request(
            address,
            "GET",
            &format!("/open?secret={secret}"),
            &[("Sec-Fetch-Site", "none"), ("Host", &host)],
            b"",
        );
        let set_cookie = opened.header("set-cookie").unwrap();
        let (cookie_name, rest) = set_cookie.split_once('=').unwrap();
        let cookie = rest.split(';').next().unwrap().to_owned();
        let mut app = App {
            child,
            address,
            host,
            cookie_name: cookie_name.trim().to_owned(),
            cookie,
        };
        app.unlock();
        app
    }

    /// Unlocks with the passphrase and prints how long it took.
    fn unlock(&mut self) {
        let unlock_started = Instant::now();
        let unlocked = self.post(
            "/unlock",
            &format!("passphrase={}", support::PASSPHRASE.replace(' ', "+")),
        );
        assert_eq!(unlocked.status, 303, "{}", unlocked.text());
        println!(
            "  unlock (scrypt):                  {:>8.1} ms",
            unlock_started.elapsed().as_secs_f64() * 1000.0
        );
    }

    /// Locks, as the button does.
    fn lock(&mut self) {
        let locked = self.post("/lock", "");
        assert_eq!(locked.status, 303, "{}", locked.text());
    }

    fn post(&mut self, path: &str, form: &str) -> Response {
        let cookie = format!("{}={}", self.cookie_name, self.cookie);
        let origin = format!("http://{}", self.host);
        request(
            self.address,
            "POST",
            path,
            &[
                ("Host", &self.host),
                ("Cookie", &cookie),
                ("Origin", &origin),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            form.as_bytes(),
        )
    }

    /// GETs `path` and prints how long the whole response took.
    fn time(&self, label: &str, path: &str) -> Response {
        let cookie = format!("{}={}", self.cookie_name, self.cookie);
        let started = Instant::now();
        let response = request(
            self.address,
            "GET",
            path,
            &[
                ("Host", &self.host),
                ("Cookie", &cookie),
                ("Sec-Fetch-Site", "same-origin"),
            ],
            b"",
        );
        let milliseconds = started.elapsed().as_secs_f64() * 1000.0;
        assert_eq!(response.status, 200, "{path}: {}", response.text());
        println!(
            "  {label:<33} {milliseconds:>8.1} ms  ({} kB of HTML)",
            response.body.len() / 1000
        );
        response
    }

    /// The process's resident memory now and at its peak, from `/proc` (Linux).
    fn memory(&self) -> Option<String> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find(|line| line.starts_with(name))
                .map(|line| line[name.len()..].trim().to_owned())
        };
        Some(format!(
            "resident {}, peak {}",
            field("VmRSS:")?,
            field("VmHWM:")?
        ))
    }
}

/// Waits (a minute at most) for the sealed summary index the pass after unlocking writes;
/// returns whether it appeared.
fn wait_for_index(inbox: &Inbox) -> bool {
    let index = inbox.home.join("summaries.age");
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if index.exists() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument is a filter this benchmark ignores.
    println!("fluister-inbox app with {TIP_COUNT} tips:");
    let inbox = Inbox::new("bench-app");
    let recipient: Recipient = inbox.keygen().parse().unwrap();
    store_tips(&inbox, &recipient);
    let mut app = App::start(&inbox);
    app.time("first list (opens its page only)", "/");
    app.time("list again", "/");
    let filtered = app.time("first filter: kind=labour (*)", "/?kind=labour");
    assert!(filtered.text().contains("2000 meldingen"));
    app.time(
        "filter: emmen, new, page 5",
        "/?status=new&municipality=emmen&page=5",
    );
    app.time("last page of all", "/?page=100");
    app.time("one case page", "/tips/5000");
    app.time("filter again: kind=criminal", "/?kind=criminal");
    // A search opens every tip it looks in (the summaries hold no free text): here all of them.
    let found = app.time("search: \"tip 9999:\" (opens all)", "/?q=tip+9999%3A");
    assert!(found.text().contains("1 melding<"));
    app.time(
        "search within kind=sexual",
        "/?kind=sexual&q=benchmark+tip+42",
    );
    println!("after locking and unlocking again:");
    let indexed = wait_for_index(&inbox);
    app.lock();
    app.unlock();
    let filtered = app.time("first filter again: kind=labour", "/?kind=labour");
    assert!(filtered.text().contains("2000 meldingen"));
    if !indexed {
        println!("  (no summary index appeared: the tips were opened again after unlocking)");
    }
    if let Some(memory) = app.memory() {
        println!("  memory of the app process:         {memory}");
    }
    println!(
        "  (*) waits for the one pass that opens every tip after unlocking; the peak memory is \
         scrypt's while unlocking"
    );
}
