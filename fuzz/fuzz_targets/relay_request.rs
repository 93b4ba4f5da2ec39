//! The relay's request handling on any request, in process: a method, a path, headers and a
//! body made from the input go through the whole router (the middleware, the extractors, every
//! handler) of a relay with the discard storage. Whatever arrives, the relay answers without
//! panicking, never with 500 (the discard storage cannot fail, so a 500 is a handler's bug), and
//! every answer carries the security headers.
//!
//! The input: one byte choosing the method, the path up to the first line break, then
//! `name: value` header lines up to an empty line, then the body. The seeds carry the test
//! coordinator token below, so the coordinator's routes are reached too.
#![no_main]

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Method, Request};
use fluister_relay::challenges::ChallengeKeys;
use fluister_relay::http::{AppState, app};
use fluister_relay::settings::Settings;
use fluister_relay::storage::discard::DiscardStorage;
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt as _;

/// The relay's config: discard storage, proof of work off, one coordinator token (its hash:
/// SHA-256 of `fluister-coordinator-fuzz-` and 43 `A`s) and one metrics token.
const CONFIG: &str = r#"
[server]
listen = "127.0.0.1:0"
public_origin = "https://relay.example"

[storage]
backend = "discard"

[proof_of_work]
difficulty = 0

[coordinator]
recipients = ["age1lggyhqrw2nlhcxprm67z43rta597azn8gknawjehu9d9dl0jq3yqqvfafg"]
token_sha256 = ["2bebcdb7336beea05c39a13015605056bb3c51841eab8d52bb2230df6bf4e86f"]
"#;

const METHODS: [Method; 7] = [
    Method::GET,
    Method::POST,
    Method::DELETE,
    Method::PUT,
    Method::OPTIONS,
    Method::HEAD,
    Method::PATCH,
];

struct Relay {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
}

fn relay() -> &'static Relay {
    static RELAY: OnceLock<Relay> = OnceLock::new();
    RELAY.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let settings = Settings::from_toml(CONFIG).expect("the fuzz config parses");
        let router = runtime.block_on(async {
            let state = AppState::new(
                settings,
                DiscardStorage::new(),
                ChallengeKeys::from_master([7; 32]),
            )
            .expect("the fuzz config is valid");
            app(state)
        });
        Relay { runtime, router }
    })
}

/// The request the input describes, if it is one the HTTP layer could have parsed.
fn request(data: &[u8]) -> Option<Request<Body>> {
    let (&method, rest) = data.split_first()?;
    let method = METHODS[usize::from(method) % METHODS.len()].clone();
    let mut lines = rest.splitn(2, |&byte| byte == b'\n');
    let path = std::str::from_utf8(lines.next()?).ok()?;
    let mut rest = lines.next().unwrap_or_default();
    let mut builder = Request::builder().method(method).uri(path);
    loop {
        let (line, after) = match rest.iter().position(|&byte| byte == b'\n') {
            Some(end) => (&rest[..end], &rest[end + 1..]),
            None => (rest, &[][..]),
        };
        rest = after;
        if line.is_empty() {
            break;
        }
        let text = std::str::from_utf8(line).ok()?;
        let (name, value) = text.split_once(':')?;
        builder = builder.header(name.trim(), value.trim());
    }
    builder.body(Body::from(rest.to_vec())).ok()
}

fuzz_target!(|data: &[u8]| {
    let Some(request) = request(data) else {
        return;
    };
    let relay = relay();
    let response = relay
        .runtime
        .block_on(relay.router.clone().oneshot(request))
        .expect("the router's error type is Infallible");
    assert_ne!(response.status().as_u16(), 500, "{response:?}");
    assert_eq!(
        response
            .headers()
            .get("x-content-type-options")
            .map(|value| value.as_bytes()),
        Some(&b"nosniff"[..]),
        "{response:?}"
    );
});
