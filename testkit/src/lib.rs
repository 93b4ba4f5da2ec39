//! Fluister's test setup, in one place for every test that runs the real relay: the relay's
//! integration tests, the inbox's, and (through the `fluister-fixture` command) the browser
//! tests. A dev-dependency only; nothing here ships.
//!
//! - [`settings`]: [`SettingsBuilder`], the relay's config file built in code and written with
//!   the `toml` crate.
//! - [`process`]: [`RelayProcess`], the real `relay-server` binary on a port from the OS with a
//!   temporary data directory, its log captured, stopped on drop.
//! - [`http`]: a small HTTP/1.1 client over a plain socket, which also sends what no well-behaved
//!   client sends (partial heads, slow bodies, oversized headers).
//! - [`client`]: [`Client`], the relay's API on the protocol crate's bodies, ids, headers and
//!   error codes, with paid requests (a challenge fetched, its proof of work solved, sent).
//! - [`fixtures`]: sealed tips, submission keys, mailbox keys, receipt codes.
//! - [`directory`]: temporary directories removed on drop (kept when a test fails).
//! - [`postgres`]: [`PostgresServer`], a real PostgreSQL server from Debian's `postgresql`
//!   package in a temporary directory, for the relay's PostgreSQL backend.
#![deny(missing_docs)]

pub mod client;
pub mod directory;
pub mod fixtures;
pub mod http;
pub mod postgres;
pub mod process;
pub mod settings;

pub use client::Client;
pub use directory::TemporaryDirectory;
pub use http::Response;
pub use postgres::PostgresServer;
pub use process::RelayProcess;
pub use settings::SettingsBuilder;

/// A coordinator token valid for every relay started with [`SettingsBuilder::for_tests`].
pub const COORDINATOR_TOKEN: &str = "fluister-coordinator-test-token-0123456789abcdefghijklmnopqrs";

/// A second token those relays accept, to show that several are.
pub const SECOND_COORDINATOR_TOKEN: &str =
    "fluister-coordinator-second-token-zyxwvutsrqponmlkjihgfedcba";

/// A metrics token (opening `/metrics` only), for relays started with
/// [`SettingsBuilder::metrics_tokens`].
pub const METRICS_TOKEN: &str = "fluister-metrics-test-token-abcdefghijklmnopqrstuvwxyz012345";

/// The hex SHA-256 of a coordinator token, as the relay's config lists it.
pub fn token_hash(token: &str) -> String {
    use sha2::Digest as _;
    fluister_protocol::codec::encode_hex(&sha2::Sha256::digest(token.as_bytes()))
}

/// `N` random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("random bytes from the operating system");
    bytes
}
