//! The local app (`fluister-inbox app`) against the real binary: its opening address works
//! once, every page needs the cookie it gives, requests for another host or from another site
//! are refused, a wrong passphrase gets one opaque answer, and after a lock (by hand or idle)
//! every page asks for the passphrase again. Tips come from the testkit's relay through `pull`;
//! the app lists, filters and shows them, and saves status and notes that the command line then
//! reads. Every response carries the Content Security Policy and `no-store`; nothing decrypted
//! is left in the inbox folder.

mod support;

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Stdio};
use std::time::Duration;

use fluister_envelope::tip::TipDocument;
use fluister_envelope::tip::vocabulary::{Kind, Municipality, Role, signals};
use fluister_testkit::fixtures::sealed_document;
use fluister_testkit::http::{Response, read_response, request};
use support::{Inbox, start_relay};

/// The tip text, with markup, a bidirectional override and a terminal escape in it.
const HOSTILE_TEXT: &str =
    "Kenmerk app-4471: <script>alert(1)</script> in de loods \u{202E}gnirts\u{202C} \u{1b}[2J";
const CALM_TEXT: &str = "Kenmerk app-9020: meisjes van 16 slapen boven de nagelstudio.";

/// A running `fluister-inbox app`, killed on drop.
struct App {
    child: Child,
    /// Where it listens: 127.0.0.1 and its port.
    address: SocketAddr,
    /// The name it is reached by, `NAME.localhost:PORT`: the only `Host` it answers.
    host: String,
    secret: String,
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl App {
    /// Starts the app for `inbox` on a free port, with `lock_after`, in Dutch, without a
    /// browser; reads its address and launch secret from what it prints.
    fn start(inbox: &Inbox, lock_after: &str) -> App {
        let mut command = inbox.command();
        command.args([
            "--lang",
            "nl",
            "app",
            "--no-browser",
            "--port",
            "0",
            "--lock-after",
            lock_after,
        ]);
        App::spawn(command)
    }

    /// Starts `command` (a `fluister-inbox` that serves the app) and reads the address it
    /// prints.
    fn spawn(mut command: std::process::Command) -> App {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start fluister-inbox app");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let url = loop {
            let line = lines
                .next()
                .expect("the app prints its opening address")
                .unwrap();
            if let Some(start) = line.find("http://")
                && line.contains("/open?secret=")
            {
                break line[start..].trim().to_owned();
            }
        };
        // Keep reading (and dropping) its output so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let rest = url.strip_prefix("http://").unwrap();
        let (authority, query) = rest.split_once("/open?secret=").unwrap();
        // A name of its own for every start, under .localhost.
        let (name, port) = authority.rsplit_once(':').unwrap();
        let label = name.strip_suffix(".localhost").expect("a .localhost name");
        assert!(label.len() >= 16 && label.bytes().all(|byte| byte.is_ascii_hexdigit()));
        App {
            child,
            address: format!("127.0.0.1:{port}").parse().unwrap(),
            host: authority.to_owned(),
            secret: query.to_owned(),
        }
    }

    fn origin(&self) -> String {
        format!("http://{}", self.host)
    }

    /// A request with the right `Host` (unless `headers` name one); every response is checked
    /// for the security headers.
    fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
        let mut headers = headers.to_vec();
        if !headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("host"))
        {
            headers.push(("Host", &self.host));
        }
        let response = request(self.address, method, path, &headers, body);
        assert_security_headers(&response, path);
        response
    }

    fn get(&self, path: &str, cookie: Option<&str>) -> Response {
        let cookie_header =
            cookie.map(|cookie| format!("fluister-{}={cookie}", self.address.port()));
        let mut headers = vec![("Sec-Fetch-Site", "same-origin")];
        if let Some(cookie_header) = &cookie_header {
            headers.push(("Cookie", cookie_header));
        }
        self.request("GET", path, &headers, b"")
    }

    /// A form POST as the app's own page sends it. Every answer to a POST is a redirect; one
    /// to `/shown` (a refusal, a form to fill in again) is followed, as the browser does, so the
    /// result is the page and status shown.
    fn post(&self, path: &str, cookie: &str, form: &str) -> Response {
        let response = self.post_only(path, cookie, form);
        assert!(
            (300..400).contains(&response.status),
            "every POST answers with a redirect: {path} answered {}",
            response.status
        );
        if response.header("location") == Some("/shown") {
            return self.get("/shown", Some(cookie));
        }
        response
    }

    /// A form POST, without following its redirect.
    fn post_only(&self, path: &str, cookie: &str, form: &str) -> Response {
        let cookie_header = format!("fluister-{}={cookie}", self.address.port());
        let origin = self.origin();
        self.request(
            "POST",
            path,
            &[
                ("Cookie", &cookie_header),
                ("Origin", &origin),
                ("Sec-Fetch-Site", "same-origin"),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            form.as_bytes(),
        )
    }

    /// Opens the app with its launch secret; returns the cookie.
    fn open(&self) -> String {
        let response = self.request(
            "GET",
            &format!("/open?secret={}", self.secret),
            &[("Sec-Fetch-Site", "none")],
            b"",
        );
        assert_eq!(response.status, 303, "{}", response.text());
        assert_eq!(response.header("location"), Some("/"));
        let set_cookie = response.header("set-cookie").expect("a cookie").to_owned();
        let name = format!("fluister-{}=", self.address.port());
        assert!(set_cookie.starts_with(&name), "{set_cookie}");
        for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(set_cookie.contains(attribute), "{set_cookie}");
        }
        set_cookie[name.len()..]
            .split(';')
            .next()
            .unwrap()
            .to_owned()
    }

    /// Unlocks with `passphrase`; returns the response.
    fn unlock(&self, cookie: &str, passphrase: &str) -> Response {
        let form: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("passphrase", passphrase)
            .finish();
        self.post("/unlock", cookie, &form)
    }
}

/// Every response, refusals included, forbids caching and carries the strict policy.
#[track_caller]
fn assert_security_headers(response: &Response, path: &str) {
    assert_eq!(response.header("cache-control"), Some("no-store"), "{path}");
    let policy = response
        .header("content-security-policy")
        .unwrap_or_else(|| panic!("{path}: no Content-Security-Policy"));
    for directive in [
        "default-src 'none'",
        "style-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(directive), "{path}: {policy}");
    }
    assert!(!policy.contains("unsafe"), "{path}: {policy}");
    assert_eq!(response.header("referrer-policy"), Some("same-origin"));
    assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
}

/// Sends `head` (a whole request head) as it is; returns the response.
fn raw_request(address: SocketAddr, head: &str) -> Response {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    read_response(&mut stream)
}

fn tip(text: &str, kind: Kind, municipality: &str) -> TipDocument {
    let mut document = TipDocument::new(text);
    document.kinds = vec![kind];
    document.role = Some(Role::Witness);
    document.municipality = Some(Municipality::from_id(municipality));
    document.signals = vec![
        signals::GENERAL_NO_ID_DOCUMENTS.to_owned(),
        signals::LABOUR_VERY_LONG_DAYS.to_owned(),
    ];
    document.place = Some("Industrieweg".to_owned());
    document
}

/// An inbox with a key, connected to a relay, with two tips pulled: the hostile labour tip in
/// Assen and a sexual-exploitation tip in Emmen. Returns the inbox (and the relay, kept alive)
/// and the numbers of the two tips.
fn inbox_with_two_tips(name: &str) -> (Inbox, fluister_testkit::RelayProcess, u64, u64) {
    let inbox = Inbox::new(name);
    let recipient = inbox.keygen();
    let relay = start_relay(std::slice::from_ref(&recipient));
    inbox.connect(&relay);
    let parsed = recipient.parse().unwrap();
    let hostile_id = relay.store_tip(&sealed_document(
        std::slice::from_ref(&parsed),
        &tip(HOSTILE_TEXT, Kind::Labour, "assen"),
    ));
    relay.store_tip(&sealed_document(
        std::slice::from_ref(&parsed),
        &tip(CALM_TEXT, Kind::Sexual, "emmen"),
    ));
    inbox.run_ok(&["pull"]);
    let names = inbox.stored_file_names();
    assert_eq!(names.len(), 2, "{names:?}");
    let number_of = |name: &str| name[..6].parse::<u64>().unwrap();
    let (hostile, calm) = if names[0].ends_with(&format!("{hostile_id}.age")) {
        (number_of(&names[0]), number_of(&names[1]))
    } else {
        (number_of(&names[1]), number_of(&names[0]))
    };
    (inbox, relay, hostile, calm)
}

#[test]
fn the_opening_address_works_once_and_every_page_needs_its_cookie() {
    let inbox = Inbox::new("app-open");
    inbox.keygen();
    let app = App::start(&inbox, "10m");

    let no_cookie = app.get("/", None);
    assert_eq!(no_cookie.status, 403);
    assert!(
        no_cookie.text().contains("Geen toegang"),
        "{}",
        no_cookie.text()
    );
    assert_eq!(app.get("/tips/1", None).status, 403);
    assert_eq!(app.get("/unlock", None).status, 403);

    let wrong = app.get(&format!("/open?secret={}", "0".repeat(64)), None);
    assert_eq!(wrong.status, 403);
    assert_eq!(app.get("/open", None).status, 403);

    let cookie = app.open();
    let reused = app.request(
        "GET",
        &format!("/open?secret={}", app.secret),
        &[("Sec-Fetch-Site", "none")],
        b"",
    );
    assert_eq!(reused.status, 403, "a used secret is refused");
    assert!(reused.header("set-cookie").is_none());

    // With the cookie but locked: to the unlock page.
    let locked = app.get("/", Some(&cookie));
    assert_eq!(locked.status, 303);
    assert_eq!(locked.header("location"), Some("/unlock"));
    let unlock_page = app.get("/unlock", Some(&cookie));
    assert_eq!(unlock_page.status, 200);
    assert!(unlock_page.text().contains("type=\"password\""));
    // A wrong cookie, or the secret offered as the cookie, is no cookie.
    assert_eq!(app.get("/", Some(&"1".repeat(64))).status, 403);
    assert_eq!(app.get("/", Some(&app.secret)).status, 403);
    // The style sheet needs nothing, and is served from the app itself.
    let style = app.get("/style.css", None);
    assert_eq!(style.status, 200);
    assert_eq!(
        style.header("content-type"),
        Some("text/css; charset=utf-8")
    );
}

#[test]
fn another_host_another_site_and_a_wrong_passphrase_are_refused() {
    let inbox = Inbox::new("app-refusals");
    inbox.keygen();
    let app = App::start(&inbox, "10m");
    let port = app.address.port();

    // DNS rebinding: the right address, another name. The refusal says nothing about the app.
    for host in [
        format!("evil.example:{port}"),
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        "127.0.0.1".to_owned(),
        format!("0123456789abcdef.localhost:{port}"),
        app.host
            .replace(&format!(":{port}"), &format!(":{}", port.wrapping_add(1))),
    ] {
        let response = raw_request(
            app.address,
            &format!(
                "GET /open?secret={} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n",
                app.secret
            ),
        );
        assert_eq!(response.status, 403, "{host}");
        assert_eq!(response.text(), "refused\n", "{host}");
        assert_security_headers(&response, &host);
    }
    let absolute = raw_request(
        app.address,
        &format!(
            "GET http://evil.example:{port}/ HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            app.host
        ),
    );
    assert_eq!(absolute.status, 403);
    let two_hosts = raw_request(
        app.address,
        &format!(
            "GET / HTTP/1.1\r\nHost: {}\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
            app.host
        ),
    );
    assert_eq!(two_hosts.status, 403);
    assert_eq!(two_hosts.text(), "refused\n");

    let cookie = app.open();
    let cookie_header = format!("fluister-{port}={cookie}");
    let old_origin = format!("http://127.0.0.1:{port}");
    let form = format!("passphrase={}", support::PASSPHRASE.replace(' ', "+"));
    // Cross-site forgery: the right cookie and passphrase, posted by another site's page, or
    // by something that does not say where it comes from.
    for headers in [
        vec![("Origin", "http://evil.example")],
        vec![("Origin", "null")],
        vec![("Origin", "http://127.0.0.1")],
        vec![("Origin", &old_origin)],
        vec![("Sec-Fetch-Site", "cross-site")],
        vec![("Sec-Fetch-Site", "same-site")],
        vec![],
    ] {
        let mut all = headers.clone();
        all.push(("Cookie", &cookie_header));
        all.push(("Content-Type", "application/x-www-form-urlencoded"));
        let response = app.request("POST", "/unlock", &all, form.as_bytes());
        assert_eq!(response.status, 403, "{headers:?}");
        assert_eq!(response.text(), "refused\n");
    }
    // A page another site embeds or fetches.
    for site in ["cross-site", "same-site"] {
        let response = app.request(
            "GET",
            "/unlock",
            &[("Sec-Fetch-Site", site), ("Cookie", &cookie_header)],
            b"",
        );
        assert_eq!(response.status, 403, "{site}");
    }
    // None of that unlocked anything.
    assert_eq!(app.get("/", Some(&cookie)).status, 303);

    // A wrong passphrase, an empty one and an absurdly long one get the same answer.
    let wrong = app.unlock(&cookie, "purple elephants dance loudly");
    assert_eq!(wrong.status, 401);
    assert!(
        wrong.text().contains("Ontgrendelen lukte niet"),
        "{}",
        wrong.text()
    );
    assert!(
        !wrong.text().contains("identity.age"),
        "no path in the answer"
    );
    for other in ["", &"x".repeat(5000)] {
        let response = app.unlock(&cookie, other);
        assert_eq!(response.status, wrong.status);
        assert_eq!(response.text(), wrong.text());
    }
    assert_eq!(app.get("/", Some(&cookie)).status, 303, "still locked");

    // A body over the limit is refused before it is read.
    let huge = format!("passphrase={}", "x".repeat(64 * 1024));
    assert_eq!(app.post("/unlock", &cookie, &huge).status, 413);
}

#[test]
fn unlocked_the_app_lists_filters_and_shows_tips_and_saves_status_and_notes() {
    let (inbox, _relay, hostile, calm) = inbox_with_two_tips("app-story");
    let app = App::start(&inbox, "10m");
    let cookie = app.open();
    let unlocked = app.unlock(&cookie, support::PASSPHRASE);
    assert_eq!(unlocked.status, 303, "{}", unlocked.text());
    assert_eq!(unlocked.header("location"), Some("/"));

    let list = app.get("/", Some(&cookie)).expect_status(200).text();
    assert!(
        list.starts_with("<!DOCTYPE html>\n<html lang=\"nl\">"),
        "{list}"
    );
    for expected in [
        "2 meldingen",
        "Arbeidsuitbuiting",
        "Seksuele uitbuiting",
        "nieuw",
        "Assen",
        "Emmen",
    ] {
        assert!(list.contains(expected), "{expected}: {list}");
    }
    assert!(!list.contains("Kenmerk"), "the list shows no free text");
    let labour = app
        .get("/?kind=labour", Some(&cookie))
        .expect_status(200)
        .text();
    assert!(labour.contains("1 melding<") && labour.contains(&format!("href=\"/tips/{hostile}\"")));
    assert!(!labour.contains(&format!("href=\"/tips/{calm}\"")));
    let emmen = app
        .get("/?municipality=emmen", Some(&cookie))
        .expect_status(200)
        .text();
    assert!(
        emmen.contains(&format!("href=\"/tips/{calm}\""))
            && !emmen.contains(&format!("href=\"/tips/{hostile}\""))
    );
    assert_eq!(app.get("/?kind=%3Cscript%3E", Some(&cookie)).status, 400);

    // The case page: every field, the signals with their explanations, the reporter's text
    // escaped and cleaned of control and bidirectional characters.
    let case = app
        .get(&format!("/tips/{hostile}"), Some(&cookie))
        .expect_status(200)
        .text();
    for expected in [
        "Arbeidsuitbuiting",
        "Assen",
        "Industrieweg",
        "Kenmerk app-4471: &lt;script&gt;alert(1)&lt;/script&gt; in de loods \u{FFFD}gnirts\u{FFFD} \u{FFFD}[2J",
        "Status en notities",
    ] {
        assert!(case.contains(expected), "{expected}: {case}");
    }
    assert!(!case.contains("<script>") && !case.contains('\u{202E}') && !case.contains('\u{1b}'));
    let labels: serde_json::Value =
        serde_json::from_str(include_str!("../../vocabulary/nl.json")).unwrap();
    let signal = &labels["signals"][signals::LABOUR_VERY_LONG_DAYS];
    for text in [&signal["label"], &signal["explanation"]] {
        assert!(case.contains(text.as_str().unwrap()), "{text}: {case}");
    }
    assert_eq!(app.get("/tips/99", Some(&cookie)).status, 404);
    assert_eq!(app.get("/tips/x", Some(&cookie)).status, 404);

    // Status and a note, saved through the triage book; the command line reads them.
    let note = "Nagevraagd bij de gemeente <b>Assen</b>, notitie-6612";
    let form: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("status", "handed-over")
        .append_pair("handed_over_to", "Politie Drenthe, AVIM")
        .append_pair("note", note)
        .finish();
    let saved = app.post(&format!("/tips/{hostile}/triage"), &cookie, &form);
    assert_eq!(saved.status, 303, "{}", saved.text());
    assert_eq!(
        saved.header("location"),
        Some(format!("/tips/{hostile}?saved").as_str())
    );
    let case = app
        .get(&format!("/tips/{hostile}?saved"), Some(&cookie))
        .expect_status(200)
        .text();
    assert!(case.contains("Opgeslagen."));
    assert!(
        case.contains("Nagevraagd bij de gemeente &lt;b&gt;Assen&lt;/b&gt;, notitie-6612"),
        "{case}"
    );
    assert!(
        case.contains("overgedragen: Politie Drenthe, AVIM"),
        "{case}"
    );
    let triage = inbox.run_ok(&["--lang", "nl", "triage", &hostile.to_string()]);
    assert!(
        triage.contains("notitie-6612") && triage.contains("Politie Drenthe, AVIM"),
        "{triage}"
    );
    let handed_over = app
        .get("/?status=handed-over", Some(&cookie))
        .expect_status(200)
        .text();
    assert!(
        handed_over.contains("1 melding<")
            && handed_over.contains(&format!("href=\"/tips/{hostile}\""))
    );

    // Limits and refusals of the form.
    let too_long = format!("status=new&note={}", "x".repeat(5001));
    assert_eq!(
        app.post(&format!("/tips/{hostile}/triage"), &cookie, &too_long)
            .status,
        400
    );
    assert_eq!(
        app.post(&format!("/tips/{hostile}/triage"), &cookie, "status=open")
            .status,
        400
    );

    // English on request; the language is the session's.
    let switched = app.post("/language", &cookie, "lang=en&back=%2F%3Fkind%3Dlabour");
    assert_eq!(switched.status, 303);
    assert_eq!(switched.header("location"), Some("/?kind=labour"));
    let english = app.get("/", Some(&cookie)).expect_status(200).text();
    assert!(english.contains("<html lang=\"en\">") && english.contains("Labour exploitation"));
    for away in [
        "%2F%2Fevil.example%2F",
        "%2F%09%2Fevil.example",
        "%2F%5C%2Fevil.example",
    ] {
        let away = app.post("/language", &cookie, &format!("lang=nl&back={away}"));
        assert_eq!(
            away.header("location"),
            Some("/"),
            "only the app's own paths"
        );
    }

    // The statistics: a page, the chart as an image of its own, the CSV for Dutch Excel.
    let statistics = app.get("/stats", Some(&cookie)).expect_status(200).text();
    assert!(statistics.contains("2 meldingen") && statistics.contains("src=\"/stats.svg\""));
    let chart = app.get("/stats.svg", Some(&cookie)).expect_status(200);
    assert_eq!(
        chart.header("content-type"),
        Some("image/svg+xml; charset=utf-8")
    );
    assert!(chart.text().contains("<svg") && chart.text().contains("Assen"));
    let csv = app.get("/stats.csv", Some(&cookie)).expect_status(200);
    assert!(
        csv.header("content-disposition")
            .unwrap()
            .starts_with("attachment")
    );
    assert!(
        csv.body.starts_with("\u{feff}".as_bytes()),
        "a byte order mark for Excel"
    );
    assert!(csv.text().contains("Emmen;") && !csv.text().contains("Kenmerk"));

    // Lock by hand: every page asks for the passphrase again.
    let locked = app.post("/lock", &cookie, "");
    assert_eq!(locked.status, 303);
    assert_eq!(locked.header("location"), Some("/unlock?locked"));
    for path in [
        "/",
        &format!("/tips/{hostile}"),
        "/?kind=labour",
        "/stats",
        "/stats.csv",
    ] {
        let response = app.get(path, Some(&cookie));
        assert_eq!(response.status, 303, "{path}");
        assert_eq!(response.header("location"), Some("/unlock"), "{path}");
    }
    assert_eq!(
        app.post(&format!("/tips/{hostile}/triage"), &cookie, "status=closed")
            .status,
        303
    );
    assert!(
        app.get("/unlock?locked", Some(&cookie))
            .text()
            .contains("De werkplek is vergrendeld.")
    );

    // Nothing decrypted anywhere in the inbox folder.
    for needle in ["app-4471", "app-9020", "notitie-6612", "Politie Drenthe"] {
        assert_no_file_contains(&inbox.home, needle);
    }
}

#[test]
fn after_the_idle_time_every_page_asks_for_the_passphrase_again() {
    let (inbox, _relay, hostile, _) = inbox_with_two_tips("app-idle");
    let app = App::start(&inbox, "2s");
    let cookie = app.open();
    assert_eq!(app.unlock(&cookie, support::PASSPHRASE).status, 303);
    // Use keeps it open...
    for _ in 0..3 {
        assert_eq!(app.get("/", Some(&cookie)).status, 200);
        std::thread::sleep(Duration::from_millis(800));
    }
    assert_eq!(
        app.get(&format!("/tips/{hostile}"), Some(&cookie)).status,
        200
    );
    // An open page veils itself once the idle time has passed since it loaded, so it does not
    // keep showing a tip after the workspace has locked.
    let case = app
        .get(&format!("/tips/{hostile}"), Some(&cookie))
        .expect_status(200)
        .text();
    assert!(
        case.contains("<body class=\"idle-locks\">") && case.contains("class=\"idle-notice\""),
        "{case}"
    );
    let sheet = app.get("/style.css", None).expect_status(200).text();
    assert!(
        sheet.contains("body.idle-locks > :not(.idle-notice) { animation: idle-veil 1ms step-end 2s forwards; }"),
        "{sheet}"
    );
    // ...and idleness locks it, even with the pull page reloading itself all the while.
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_millis(3500) {
        let pull = app.get("/pull", Some(&cookie));
        assert!(pull.status == 200 || pull.header("location") == Some("/unlock"));
        std::thread::sleep(Duration::from_millis(300));
    }
    assert_eq!(
        app.get("/pull", Some(&cookie)).header("location"),
        Some("/unlock")
    );
    for path in ["/", &format!("/tips/{hostile}")] {
        let response = app.get(path, Some(&cookie));
        assert_eq!(response.status, 303, "{path}");
        assert_eq!(response.header("location"), Some("/unlock"));
    }
}

#[test]
fn without_a_command_and_without_a_key_the_workspace_starts_by_making_the_key() {
    // No command at all, as a double click starts it, and no browser to be found: the app
    // still serves and prints its address.
    let inbox = Inbox::new("app-first-start");
    let no_programs = inbox.home.with_file_name("no-programs");
    std::fs::create_dir_all(&no_programs).unwrap();
    let mut command = inbox.command();
    command
        .env("PATH", &no_programs)
        .env("FLUISTER_PASSPHRASE", "");
    let app = App::spawn(command);
    let cookie = app.open();
    let unlock = app.get("/unlock", Some(&cookie));
    assert_eq!(unlock.status, 303);
    assert_eq!(unlock.header("location"), Some("/setup"));
    let form = app.get("/setup", Some(&cookie)).expect_status(200).text();
    assert!(form.contains("Uw sleutel maken") && form.contains("name=\"passphrase_again\""));
    assert_eq!(
        app.get("/", Some(&cookie)).header("location"),
        Some("/unlock")
    );

    let setup = |passphrase: &str, again: &str| {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("passphrase", passphrase)
            .append_pair("passphrase_again", again)
            .finish();
        app.post("/setup", &cookie, &body)
    };
    let short = setup("kort", "kort");
    assert_eq!(short.status, 400);
    assert!(short.text().contains("te kort"));
    let differ = setup("vier losse woorden hier", "vier losse woorden daar");
    assert_eq!(differ.status, 400);
    assert!(differ.text().contains("niet gelijk"));
    assert!(
        !inbox.home.join("identity.age").exists(),
        "no key from a refused form"
    );
    let cross_site = app.request(
        "POST",
        "/setup",
        &[
            (
                "Cookie",
                &format!("fluister-{}={cookie}", app.address.port()),
            ),
            ("Origin", "http://evil.example"),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        b"passphrase=aaaaaaaaaaaa&passphrase_again=aaaaaaaaaaaa",
    );
    assert_eq!(cross_site.status, 403);
    assert!(!inbox.home.join("identity.age").exists());

    let made = setup(support::PASSPHRASE, support::PASSPHRASE);
    assert_eq!(made.status, 303, "{}", made.text());
    assert_eq!(made.header("location"), Some("/settings?new-key"));
    let recipient = std::fs::read_to_string(inbox.home.join("recipient.txt"))
        .unwrap()
        .trim()
        .to_owned();
    // A hybrid post-quantum key, as `keygen` makes by default.
    assert!(recipient.starts_with("age1pq1"), "{recipient}");
    let settings = app
        .get("/settings?new-key", Some(&cookie))
        .expect_status(200)
        .text();
    assert!(settings.contains("Uw sleutel is gemaakt.") && settings.contains(&recipient));
    assert!(settings.contains("Er is nog geen verbinding ingesteld."));
    // The key is the command line's too, in the own set, with the passphrase chosen.
    let listed = inbox.run_ok(&["keys", "list"]);
    assert!(listed.contains(&recipient), "{listed}");
    // A second form cannot replace it.
    let again = setup("een heel andere wachtzin", "een heel andere wachtzin");
    assert_eq!(again.status, 303);
    assert_eq!(again.header("location"), Some("/unlock"));
    assert_eq!(
        std::fs::read_to_string(inbox.home.join("recipient.txt"))
            .unwrap()
            .trim(),
        recipient
    );
    assert_eq!(
        app.get("/setup", Some(&cookie)).header("location"),
        Some("/unlock")
    );

    // The backup key joins the own set from the settings page too; a secret key pasted by
    // mistake, an X25519 key beside the hybrid one, or the key in use, is refused and changes
    // nothing. The form's field takes a whole hybrid key (1,959 characters).
    assert!(
        settings.contains("id=\"key-recipient\" name=\"recipient\" required maxlength=\"2100\""),
        "{settings}"
    );
    let x25519 = fluister_envelope::age::Identity::generate().unwrap();
    let body: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("recipient", &x25519.to_recipient().to_string())
        .finish();
    let refused = app.post("/settings/keys/add", &cookie, &body);
    assert_eq!(refused.status, 400);
    assert!(
        refused.text().contains("niet voor beide soorten tegelijk"),
        "{}",
        refused.text()
    );
    assert!(
        !inbox
            .run_ok(&["keys", "list"])
            .contains(&x25519.to_recipient().to_string())
    );
    let backup = fluister_envelope::age::Identity::generate_hybrid().unwrap();
    let backup_recipient = backup.to_recipient().to_string();
    assert_eq!(backup_recipient.len(), 1959);
    let body: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("recipient", &backup_recipient)
        .append_pair("name", "reservesleutel in de kluis")
        .finish();
    let added = app.post("/settings/keys/add", &cookie, &body);
    assert_eq!(added.status, 303);
    let shown = app
        .get("/settings?done", Some(&cookie))
        .expect_status(200)
        .text();
    assert!(
        shown.contains("staat nu in uw eigen sleutelset")
            && shown.contains("reservesleutel in de kluis"),
        "{shown}"
    );
    assert!(inbox.run_ok(&["keys", "list"]).contains(&backup_recipient));
    let secret = backup.to_secret_string().to_string();
    let pasted_secret = form_urlencoded::Serializer::new(String::new())
        .append_pair("recipient", &secret)
        .finish();
    let refused = app.post("/settings/keys/add", &cookie, &pasted_secret);
    assert_eq!(refused.status, 400);
    assert!(
        !refused.text().contains(&secret),
        "a secret key is never shown back"
    );
    let own = form_urlencoded::Serializer::new(String::new())
        .append_pair("recipient", &recipient)
        .finish();
    assert_eq!(app.post("/settings/keys/remove", &cookie, &own).status, 400);
    let backup_only = form_urlencoded::Serializer::new(String::new())
        .append_pair("recipient", &backup_recipient)
        .finish();
    assert_eq!(
        app.post("/settings/keys/remove", &cookie, &backup_only)
            .status,
        303
    );
    let listed = inbox.run_ok(&["keys", "list"]);
    assert!(
        listed.contains(&recipient) && !listed.contains(&backup_recipient),
        "{listed}"
    );

    // The connection set up from the settings page is the one the command line uses.
    let relay = start_relay(std::slice::from_ref(&recipient));
    let token = relay.coordinator_token().to_owned();
    let body: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("relay_url", &relay.url())
        .append_pair("token", &token)
        .finish();
    let posted = app.post("/settings/connection", &cookie, &body);
    assert_eq!(posted.status, 303);
    let saved = app
        .get("/settings?done", Some(&cookie))
        .expect_status(200)
        .text();
    assert!(saved.contains("De verbinding is opgeslagen."), "{saved}");
    assert!(!saved.contains(&token), "the token is never shown back");
    let status = inbox.run_ok(&["status"]);
    assert!(status.contains(&relay.url()), "{status}");
}

#[test]
fn with_only_the_backup_key_the_workspace_opens_the_tips_and_the_notes() {
    use fluister_envelope::age::Identity;

    let inbox = Inbox::new("app-backup-key");
    let coordinator = inbox.keygen();
    // A plain backup key file, as age-keygen writes it, in the own set and on the relay.
    let backup = Identity::generate().unwrap();
    let backup_recipient = backup.to_recipient().to_string();
    let backup_file = inbox.home.with_file_name("reservesleutel.txt");
    std::fs::write(
        &backup_file,
        format!(
            "# public key: {backup_recipient}\n{}\n",
            backup.to_secret_string().as_str()
        ),
    )
    .unwrap();
    inbox.run_ok(&["keys", "add", &backup_recipient, "--name", "reservesleutel"]);
    let relay = start_relay(&[coordinator.clone(), backup_recipient.clone()]);
    inbox.connect(&relay);
    let recipients = [coordinator.parse().unwrap(), backup.to_recipient()];
    relay.store_tip(&sealed_document(
        &recipients,
        &tip(CALM_TEXT, Kind::Sexual, "emmen"),
    ));
    inbox.run_ok(&["pull"]);
    inbox.run_ok(&["triage", "1", "--note", "Gebeld met de GGD, notitie-8841"]);

    let mut command = inbox.command();
    command.env("FLUISTER_PASSPHRASE", "").args([
        "--lang",
        "nl",
        "--identity",
        backup_file.to_str().unwrap(),
        "app",
        "--no-browser",
    ]);
    let app = App::spawn(command);
    let cookie = app.open();
    let unlock = app.get("/unlock", Some(&cookie)).expect_status(200).text();
    assert!(
        unlock.contains("niet met een wachtzin beschermd") && !unlock.contains("type=\"password\""),
        "{unlock}"
    );
    let unlocked = app.post("/unlock", &cookie, "");
    assert_eq!(unlocked.status, 303, "{}", unlocked.text());
    let list = app.get("/", Some(&cookie)).expect_status(200).text();
    assert!(
        list.contains("1 melding<") && list.contains("Emmen"),
        "{list}"
    );
    let case = app.get("/tips/1", Some(&cookie)).expect_status(200).text();
    assert!(
        case.contains("nagelstudio") && case.contains("notitie-8841"),
        "{case}"
    );
    // A note written with the backup key opens with the coordinator's own key again.
    let saved = app.post(
        "/tips/1/triage",
        &cookie,
        "status=in-progress&note=verder-4410",
    );
    assert_eq!(saved.status, 303);
    let triage = inbox.run_ok(&["triage", "1"]);
    assert!(
        triage.contains("verder-4410") && triage.contains("notitie-8841"),
        "{triage}"
    );
    // The change is in the tip's history too, for the team.
    let case = app.get("/tips/1", Some(&cookie)).expect_status(200).text();
    assert!(
        case.contains("Wat het team deed") && case.contains("notitie: verder-4410"),
        "{case}"
    );
}

/// Loads `/pull` until the pull has finished (the page no longer reloads itself); returns it.
fn finished_pull(app: &App, cookie: &str) -> String {
    for _ in 0..300 {
        let page = app.get("/pull", Some(cookie)).expect_status(200).text();
        if !page.contains("http-equiv=\"refresh\" content=\"1\"") {
            return page;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the pull did not finish within 30 s");
}

/// The text `pdftotext` (poppler-utils) reads from `pdf`, every run of white space one space.
fn pdf_text(pdf: &[u8]) -> String {
    let directory = std::env::temp_dir().join(format!("fluister-app-pdf-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let path = directory.join("case.pdf");
    std::fs::write(&path, pdf).unwrap();
    let output = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) runs");
    std::fs::remove_dir_all(&directory).unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn the_workspace_pulls_searches_replies_exports_and_checks_the_backup_key() {
    use fluister_envelope::age::{Identity, open};
    use fluister_envelope::message::MailboxMessage;
    use fluister_envelope::receipt::ReceiptCode;
    use fluister_envelope::tip::ReplyInfo;
    use fluister_protocol::MessageAuthor;
    use fluister_testkit::fixtures::submission_key;

    const QUESTION: &str = "Waar staat de schuur precies? vraag-3390";
    const ANSWER: &str = "Achter de boerderij aan de Rolderweg, antwoord-7781";
    const NOTE: &str = "Besproken met AVIM, notitie-5120";

    // The coordinator's key and an offline backup key in the own set; the relay seals to both.
    let inbox = Inbox::new("app-workspace");
    let coordinator_text = inbox.keygen();
    let coordinator: fluister_envelope::age::Recipient = coordinator_text.parse().unwrap();
    let backup = Identity::generate().unwrap();
    let backup_text = backup.to_recipient().to_string();
    inbox.run_ok(&["keys", "add", &backup_text, "--name", "reservesleutel"]);
    let relay = start_relay(&[coordinator_text.clone(), backup_text.clone()]);
    inbox.connect(&relay);
    let both = [coordinator, backup.to_recipient()];

    // A tip whose reporter kept a receipt code, and one without.
    let keys = ReceiptCode::generate().unwrap().derive_keys().unwrap();
    let mut with_mailbox = TipDocument::new("Er slapen mannen in de Schuur achter de boerderij.");
    with_mailbox.reply = Some(ReplyInfo::from_mailbox_keys(&keys, false));
    with_mailbox.kinds = vec![Kind::Labour];
    relay.store_tip(&sealed_document(&both, &with_mailbox));
    assert_eq!(relay.open_mailbox(&keys).status, 201);
    relay.store_tip(&sealed_document(
        &both,
        &tip(CALM_TEXT, Kind::Sexual, "emmen"),
    ));

    let app = App::start(&inbox, "10m");
    let cookie = app.open();
    assert_eq!(app.unlock(&cookie, support::PASSPHRASE).status, 303);
    let empty = app.get("/", Some(&cookie)).expect_status(200).text();
    assert!(empty.contains("Er zijn nog geen meldingen"), "{empty}");
    assert!(empty.contains("action=\"/pull\""), "{empty}");

    // Fetch from the workspace: progress, then what came in.
    let started = app.post("/pull", &cookie, "");
    assert_eq!(started.status, 303);
    assert_eq!(started.header("location"), Some("/pull"));
    let pulled = finished_pull(&app, &cookie);
    assert!(
        pulled.contains("2 nieuwe meldingen: nummer 1 tot en met 2."),
        "{pulled}"
    );
    assert!(pulled.contains("Geen nieuwe antwoorden"), "{pulled}");
    let names = inbox.stored_file_names();
    assert_eq!(names.len(), 2);
    let list = app.get("/", Some(&cookie)).expect_status(200).text();
    assert!(list.contains("2 meldingen"), "{list}");
    // Which number each tip got depends on the order the relay listed them.
    let case_one = app.get("/tips/1", Some(&cookie)).expect_status(200).text();
    let (mailbox_tip, other_tip) = if case_one.contains("Schuur") {
        (1, 2)
    } else {
        (2, 1)
    };

    // Filters: who reports, the period, and words in the text (without regard to case).
    // The filter form posts to /filter, which answers with the list's address: the filters, and
    // a search by an id, never its words (they would stay in the browser's history).
    let filtered = |form: &str| {
        let posted = app.post_only("/filter", &cookie, form);
        assert_eq!(posted.status, 303, "{form}: {}", posted.text());
        posted.header("location").unwrap().to_owned()
    };
    let only = |form: &str, expected: Option<u64>| {
        let address = filtered(form);
        for word in ["SCHUUR", "schuur", "boerderij", "nagelstudio"] {
            assert!(!address.contains(word), "{address}");
        }
        let page = app.get(&address, Some(&cookie)).expect_status(200).text();
        match expected {
            Some(number) => {
                assert!(page.contains("1 melding<"), "{form}: {page}");
                assert!(page.contains(&format!("href=\"/tips/{number}\"")), "{form}");
            }
            None => assert!(page.contains("Geen meldingen met deze filters."), "{form}"),
        }
    };
    only("role=witness", Some(other_tip));
    only("q=SCHUUR+boerderij", Some(mailbox_tip));
    only("q=nagelstudio&kind=sexual", Some(other_tip));
    only("q=schuur+nagelstudio", None);
    only("from=2000-01-01&to=2000-12-31", None);
    only("from=2000-01-01&role=witness", Some(other_tip));
    // The same search twice is one id; words in an address are ignored.
    assert_eq!(filtered("q=Schuur"), filtered("q=Schuur"));
    let ignored = app
        .get("/?q=nagelstudio", Some(&cookie))
        .expect_status(200)
        .text();
    assert!(ignored.contains("2 meldingen"), "{ignored}");
    for refused in [
        "from=2026-13-01",
        "to=31-12-2026",
        "from=2026-01-01%3Cscript%3E",
        "role=boss",
    ] {
        assert_eq!(
            app.post("/filter", &cookie, refused).status,
            400,
            "{refused}"
        );
    }
    let long_search = format!("q={}", "a".repeat(201));
    assert_eq!(app.post("/filter", &cookie, &long_search).status, 400);
    for refused in [
        "/?search=nothex",
        "/?search=00000000000000000000000000000000",
    ] {
        assert_eq!(app.get(refused, Some(&cookie)).status, 400, "{refused}");
    }

    // A reply from the case page reaches the reporter's mailbox, sealed to the reporter.
    let case = app
        .get(&format!("/tips/{mailbox_tip}"), Some(&cookie))
        .expect_status(200)
        .text();
    assert!(case.contains(&format!("action=\"/tips/{mailbox_tip}/reply\"")));
    let other_case = app
        .get(&format!("/tips/{other_tip}"), Some(&cookie))
        .expect_status(200)
        .text();
    assert!(
        !other_case.contains("/reply\""),
        "no reply form without a mailbox"
    );
    let form: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("message", QUESTION)
        .finish();
    let evil = app.request(
        "POST",
        &format!("/tips/{mailbox_tip}/reply"),
        &[
            (
                "Cookie",
                &format!("fluister-{}={cookie}", app.address.port()),
            ),
            ("Origin", "http://evil.example"),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        form.as_bytes(),
    );
    assert_eq!(evil.status, 403, "a cross-site reply is refused");
    assert!(relay.reporter_messages(&keys).messages.is_empty());
    let sent = app.post(&format!("/tips/{mailbox_tip}/reply"), &cookie, &form);
    assert_eq!(sent.status, 303, "{}", sent.text());
    assert_eq!(
        sent.header("location"),
        Some(format!("/tips/{mailbox_tip}?sent").as_str())
    );
    let on_relay = relay.reporter_messages(&keys).messages;
    assert_eq!(on_relay.len(), 1);
    assert_eq!(on_relay[0].author, MessageAuthor::Coordinator);
    let opened = open(
        std::slice::from_ref(&keys.reply_identity),
        &on_relay[0].ciphertext,
    )
    .unwrap();
    assert_eq!(MailboxMessage::from_bytes(&opened).unwrap().text, QUESTION);
    let case = app
        .get(&format!("/tips/{mailbox_tip}?sent"), Some(&cookie))
        .expect_status(200)
        .text();
    assert!(case.contains("Uw bericht is verstuurd.") && case.contains("vraag-3390"));
    for refused in [
        (mailbox_tip, "message=+++".to_owned()),
        (
            mailbox_tip,
            format!(
                "message={}",
                "x".repeat(fluister_envelope::message::MAX_MESSAGE_TEXT_CHARS + 1)
            ),
        ),
        (other_tip, "message=hallo".to_owned()),
        (mailbox_tip, "message=&reporter_status=on_fire".to_owned()),
    ] {
        let response = app.post(&format!("/tips/{}/reply", refused.0), &cookie, &refused.1);
        assert_eq!(
            response.status,
            400,
            "tip {}: {}",
            refused.0,
            response.text()
        );
    }
    assert_eq!(
        app.post("/tips/99/reply", &cookie, "message=hallo").status,
        404
    );
    assert_eq!(relay.reporter_messages(&keys).messages.len(), 1);

    // The reporter answers, sealed as the widget seals it (to every key the relay lists, and
    // the reporter's own); the next pull from the workspace brings it under the tip.
    let answer = fluister_envelope::message::seal_answer_message(
        ANSWER,
        &keys,
        &[both[0], both[1], keys.reply_identity.to_recipient()],
    )
    .unwrap();
    assert_eq!(
        relay
            .reporter_post(&keys, &answer, &submission_key())
            .status,
        201
    );
    assert_eq!(app.post("/pull", &cookie, "").status, 303);
    let pulled = finished_pull(&app, &cookie);
    assert!(pulled.contains("Geen nieuwe meldingen."), "{pulled}");
    assert!(
        pulled.contains(&format!("1 nieuw antwoord, bij melding {mailbox_tip}.")),
        "{pulled}"
    );
    let case = app
        .get(&format!("/tips/{mailbox_tip}"), Some(&cookie))
        .expect_status(200)
        .text();
    let (question_at, answer_at) = (
        case.find("vraag-3390").unwrap(),
        case.find("antwoord-7781").unwrap(),
    );
    assert!(question_at < answer_at);

    // A status for the reporter alone, from the reply box: no text needed.
    let told = app.post(
        &format!("/tips/{mailbox_tip}/reply"),
        &cookie,
        "message=&reporter_status=handed_over",
    );
    assert_eq!(told.status, 303, "{}", told.text());
    let on_relay = relay.reporter_messages(&keys).messages;
    let last = open(
        std::slice::from_ref(&keys.reply_identity),
        &on_relay.last().unwrap().ciphertext,
    )
    .unwrap();
    assert_eq!(
        MailboxMessage::from_bytes(&last).unwrap().status,
        Some(fluister_envelope::message::CaseStatus::HandedOver)
    );
    let case = app
        .get(&format!("/tips/{mailbox_tip}"), Some(&cookie))
        .expect_status(200)
        .text();
    assert!(
        case.contains("[Status voor de melder: overgedragen]"),
        "{case}"
    );

    // A sealed hand-over: the receiver's book has a key for Veilig Thuis; look first, then make
    // the file, which opens with their key alone and lacks the passage left out.
    let agency = Identity::generate().unwrap();
    inbox.run_ok(&[
        "receivers",
        "set",
        "Veilig Thuis",
        "--key",
        &agency.to_recipient().to_string(),
    ]);
    let case = app
        .get(&format!("/tips/{mailbox_tip}"), Some(&cookie))
        .expect_status(200)
        .text();
    assert!(
        case.contains("Versleuteld overdragen") && case.contains("<option value=\"Veilig Thuis\">"),
        "{case}"
    );
    let handover_form = |action: &str| {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("receiver", "Veilig Thuis")
            .append_pair("leave_out", "notes")
            .append_pair("passages", "achter de boerderij")
            .append_pair("action", action)
            .finish()
    };
    let preview = app.post(
        &format!("/tips/{mailbox_tip}/handover"),
        &cookie,
        &handover_form("preview"),
    );
    let preview_text = preview.text();
    assert!(
        preview_text.contains("Wat de ontvanger leest") && preview_text.contains("Schuur"),
        "{preview_text}"
    );
    assert!(
        !preview_text.contains("achter de boerderij</pre>"),
        "{preview_text}"
    );
    assert!(
        !app.get(&format!("/tips/{mailbox_tip}"), Some(&cookie))
            .text()
            .contains("overgedragen aan Veilig Thuis"),
        "a preview records nothing"
    );
    let sealed = app.post(
        &format!("/tips/{mailbox_tip}/handover"),
        &cookie,
        &handover_form("seal"),
    );
    assert_eq!(sealed.status, 200);
    assert_eq!(
        sealed.header("content-disposition"),
        Some(format!("attachment; filename=\"fluister-overdracht-{mailbox_tip}.age\"").as_str())
    );
    let received =
        String::from_utf8(open(std::slice::from_ref(&agency), &sealed.body).unwrap()).unwrap();
    assert!(
        received.contains("Er slapen mannen in de Schuur"),
        "{received}"
    );
    assert!(!received.contains("achter de boerderij"), "{received}");
    assert!(
        !received.contains(keys.mailbox_id.as_str()),
        "never the mailbox"
    );
    assert!(
        open(std::slice::from_ref(&backup), &sealed.body).is_err(),
        "sealed to the agency alone"
    );
    let case = app
        .get(&format!("/tips/{mailbox_tip}"), Some(&cookie))
        .expect_status(200)
        .text();
    assert!(case.contains("overgedragen aan Veilig Thuis"), "{case}");
    let unknown = app.post(
        &format!("/tips/{mailbox_tip}/handover"),
        &cookie,
        "receiver=Veilig+Thuis&leave_out=everything&action=seal",
    );
    assert_eq!(unknown.status, 400);

    // Export for a hand-over: a PDF download, with or without the notes.
    let note_form: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("status", "in-progress")
        .append_pair("note", NOTE)
        .finish();
    assert_eq!(
        app.post(&format!("/tips/{mailbox_tip}/triage"), &cookie, &note_form)
            .status,
        303
    );
    let export = app
        .get(&format!("/tips/{mailbox_tip}/export.pdf"), Some(&cookie))
        .expect_status(200);
    assert_eq!(export.header("content-type"), Some("application/pdf"));
    assert_eq!(
        export.header("content-disposition"),
        Some(format!("attachment; filename=\"fluister-melding-{mailbox_tip}.pdf\"").as_str())
    );
    assert!(export.body.starts_with(b"%PDF-"));
    let text = pdf_text(&export.body);
    assert!(
        text.contains("Schuur") && text.contains("notitie-5120"),
        "{text}"
    );
    assert!(
        !text.contains(keys.mailbox_id.as_str()),
        "never the mailbox"
    );
    let without_notes = app
        .get(
            &format!("/tips/{mailbox_tip}/export.pdf?leave_out=notes"),
            Some(&cookie),
        )
        .expect_status(200);
    let text = pdf_text(&without_notes.body);
    assert!(
        text.contains("Schuur") && !text.contains("notitie-5120"),
        "{text}"
    );

    // Settings: the connection and the keys; the check asks the relay.
    let settings = app
        .get("/settings", Some(&cookie))
        .expect_status(200)
        .text();
    let relay_url = relay.url();
    for expected in [
        relay_url.as_str(),
        &coordinator_text,
        &backup_text,
        "reservesleutel",
    ] {
        assert!(settings.contains(expected), "{expected}: {settings}");
    }
    // Every settings form redirects, so the browser keeps no form body in its history.
    let settings_after = |path: &str, body: &str| {
        let posted = app.post(path, &cookie, body);
        assert_eq!(posted.status, 303, "{path}: {}", posted.text());
        assert_eq!(posted.header("location"), Some("/settings?done"));
        app.get("/settings?done", Some(&cookie))
            .expect_status(200)
            .text()
    };
    // The receivers' book, without a terminal: the usual agencies, a key set, a bad key refused,
    // one removed.
    assert!(
        settings.contains("Ontvangers van overdrachten")
            && settings.contains("Politie (AVIM) (nog geen sleutel)")
            && settings.contains("Veilig Thuis (sleutel ingesteld)"),
        "{settings}"
    );
    let assen_key = Identity::generate().unwrap().to_recipient().to_string();
    let receiver_form = form_urlencoded::Serializer::new(String::new())
        .append_pair("name", "Gemeente Assen")
        .append_pair("key", &assen_key)
        .append_pair("note", "afdeling Veiligheid")
        .finish();
    let saved = settings_after("/settings/receivers", &receiver_form);
    assert!(
        saved.contains("Ontvanger &quot;Gemeente Assen&quot; bewaard.")
            && saved.contains("Gemeente Assen (sleutel ingesteld): afdeling Veiligheid"),
        "{saved}"
    );
    assert!(
        inbox
            .run_ok(&["receivers"])
            .contains("Gemeente Assen  (sleutel ingesteld) – afdeling Veiligheid")
    );
    let bad_key = app.post(
        "/settings/receivers",
        &cookie,
        "name=Gemeente+Emmen&key=AGE-SECRET-KEY-1QQQ",
    );
    assert_eq!(bad_key.status, 400);
    assert!(!bad_key.text().contains("AGE-SECRET-KEY-1QQQ"));
    let removed = settings_after("/settings/receivers/remove", "name=Gemeente+Assen");
    assert!(!removed.contains("Gemeente Assen ("), "{removed}");
    let checked = settings_after("/settings/connection-check", "");
    assert!(checked.contains("De verbinding werkt."), "{checked}");
    assert!(!checked.contains("warning\" role=\"alert\""), "{checked}");
    assert_eq!(
        app.post(
            "/settings/connection",
            &cookie,
            "relay_url=http%3A%2F%2Fevil.example&token=fluister-coordinator-x"
        )
        .status,
        400,
        "plain http to another computer"
    );

    // The backup check opens everything with the backup key alone, and names what a foreign
    // key does not open; the pasted key is never shown back.
    let backup_secret = backup.to_secret_string().to_string();
    let form = |key: &str| {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("backup_key", key)
            .finish()
    };
    let good = settings_after("/settings/backup-check", &form(&backup_secret));
    assert!(good.contains("De reservesleutel opent alles."), "{good}");
    assert!(
        good.contains("Gecontroleerd: 2 meldingen en 3 berichten."),
        "{good}"
    );
    assert!(!good.contains(&backup_secret));
    let foreign = Identity::generate().unwrap().to_secret_string().to_string();
    let bad = settings_after("/settings/backup-check", &form(&foreign));
    for expected in [
        "opent niet alles",
        "melding 1",
        "melding 2",
        "de statussen en notities",
        &format!("een bericht bij melding {mailbox_tip}"),
    ] {
        assert!(bad.contains(expected), "{expected}: {bad}");
    }
    assert!(!bad.contains(&foreign));
    let not_a_key = settings_after("/settings/backup-check", &form("AGE-SECRET-KEY-1xyz"));
    assert!(not_a_key.contains("Dit is geen sleutel."));
    // The result is shown once.
    let again = app
        .get("/settings?done", Some(&cookie))
        .expect_status(200)
        .text();
    assert!(!again.contains("backup-result"));

    // Locked, none of it works.
    assert_eq!(app.post("/lock", &cookie, "").status, 303);
    for path in [
        "/pull",
        "/settings",
        &format!("/tips/{mailbox_tip}/export.pdf"),
    ] {
        assert_eq!(
            app.get(path, Some(&cookie)).header("location"),
            Some("/unlock")
        );
    }
    assert_eq!(
        app.post(
            &format!("/tips/{mailbox_tip}/reply"),
            &cookie,
            "message=hallo"
        )
        .header("location"),
        Some("/unlock")
    );
    assert_eq!(relay.reporter_messages(&keys).messages.len(), 3);

    for needle in ["vraag-3390", "antwoord-7781", "notitie-5120", "Schuur"] {
        assert_no_file_contains(&inbox.home, needle);
    }
}

/// Fails if any file under `folder` holds `needle`.
#[track_caller]
fn assert_no_file_contains(folder: &std::path::Path, needle: &str) {
    let mut folders = vec![folder.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                assert!(
                    !bytes
                        .windows(needle.len())
                        .any(|window| window == needle.as_bytes()),
                    "{} holds {needle}",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn the_workspace_registers_a_phone_signal_suggests_the_same_situation_and_links_it() {
    let (inbox, _relay, hostile, calm) = inbox_with_two_tips("app-register");
    let app = App::start(&inbox, "10m");
    let cookie = app.open();
    app.unlock(&cookie, &inbox.passphrase);

    // The form: in the menu, a label for every field, the region's municipalities.
    let list = app.get("/", Some(&cookie));
    assert!(
        list.text()
            .contains("<a href=\"/register\">Signaal registreren</a>")
    );
    let page = app.get("/register", Some(&cookie));
    assert_eq!(page.status, 200);
    let form = page.text();
    for id in [
        "register-source",
        "register-kind",
        "register-role",
        "register-municipality",
        "register-date",
        "register-ongoing",
        "register-when_text",
        "register-place",
        "register-text",
        "register-contact",
        "signal-labour.very_long_days",
    ] {
        assert!(
            form.contains(&format!("<label for=\"{id}\">")),
            "{id} has a label"
        );
    }
    assert!(form.contains("<option value=\"phone\">telefoon</option>"));
    assert!(form.contains("<option value=\"assen\">Assen</option>"));
    assert!(form.contains("niet via de server: het staat alleen op deze computer"));

    // A refusal comes back with the fields filled in and the reason.
    let text = "Buurman belde: <b>mannen</b> in de loods, elke nacht.";
    let refused_form = |source: &str, municipality: &str| -> String {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("source", source)
            .append_pair("kind", "labour")
            .append_pair("role", "witness")
            .append_pair("municipality", municipality)
            .append_pair("signal", "labour.very_long_days")
            .append_pair("signal", "general.no_id_documents")
            .append_pair("date", "2026-11-28")
            .append_pair("ongoing", "yes")
            .append_pair("when_text", "elke nacht")
            .append_pair("place", "Industrieweg")
            .append_pair("text", text)
            .append_pair("contact", "")
            .finish()
    };
    let refused = app.post("/register", &cookie, &refused_form("phone", "zwolle"));
    assert_eq!(refused.status, 400);
    let refused_page = refused.text();
    assert!(
        refused_page.contains("`zwolle` is geen gemeente van de regio"),
        "{refused_page}"
    );
    assert!(refused_page.contains("&lt;b&gt;mannen&lt;/b&gt;"));
    assert!(!refused_page.contains("<b>mannen"));
    let refused = app.post("/register", &cookie, &refused_form("fax", "assen"));
    assert_eq!(refused.status, 400);
    assert!(refused.text().contains("`fax` is geen kanaal"));
    assert_eq!(inbox.stored_file_names().len(), 2);

    // Registered: the next number, its case page with the source and the suggestion.
    let registered = app.post_only("/register", &cookie, &refused_form("phone", "assen"));
    assert_eq!(registered.status, 303);
    let location = registered.header("location").unwrap().to_owned();
    assert_eq!(location, "/tips/3?saved");
    let case = app.get("/tips/3", Some(&cookie)).text();
    assert!(
        case.contains("<dt>Binnengekomen via</dt><dd>telefoon</dd>"),
        "{case}"
    );
    assert!(case.contains("&lt;b&gt;mannen&lt;/b&gt;"));
    assert!(case.contains("Mogelijk dezelfde situatie"), "{case}");
    assert!(case.contains(&format!("melding {hostile} (Assen, arbeidsuitbuiting, ")));
    assert!(!case.contains(&format!("melding {calm} (")));
    // The command line sees it too, with its source.
    let shown = inbox.run_ok(&["show", "3"]);
    assert!(shown.contains("Binnengekomen via: telefoon"), "{shown}");

    // Linking from the suggestion; then both case pages list the other.
    let linked = app.post_only("/tips/3/link", &cookie, &format!("other={hostile}"));
    assert_eq!(linked.status, 303);
    let case = app.get("/tips/3", Some(&cookie)).text();
    assert!(case.contains(&format!(
        "<a href=\"/tips/{hostile}\">melding {hostile} (Assen"
    )));
    assert!(!case.contains("Mogelijk dezelfde situatie"));
    let other_case = app.get(&format!("/tips/{hostile}"), Some(&cookie)).text();
    assert!(other_case.contains("<a href=\"/tips/3\">melding 3 (Assen"));
    let refused = app.post("/tips/3/link", &cookie, "other=3");
    assert_eq!(refused.status, 400);
    assert!(refused.text().contains("niet aan zichzelf"));
    let refused = app.post("/tips/3/link", &cookie, "other=zeven");
    assert_eq!(refused.status, 400);
    let shown = inbox.run_ok(&["show", &hostile.to_string()]);
    assert!(shown.contains("Gekoppeld aan: melding 3"), "{shown}");

    // A long description fits (more than the other forms' body limit).
    let long_text = "é".repeat(15_000);
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("source", "police")
        .append_pair("text", &long_text)
        .finish();
    let registered = app.post_only("/register", &cookie, &form);
    assert_eq!(registered.status, 303, "{}", registered.text());
    assert_eq!(registered.header("location"), Some("/tips/4?saved"));
}
