//! The Fluister relay: serves the widget, takes sealed tips, and keeps them until the coordinator
//! pulls them. It stores ciphertext only, and nothing about who sent it.
//!
//! - [`settings`]: the typed configuration and its validation.
//! - [`http`]: the router ([`http::app`]), its handlers and middleware.
//! - [`server`]: [`server::serve`], the accept loop with header-read timeouts and a connection cap.
//! - [`storage`]: the [`storage::Storage`] trait and its backends.
//! - [`backup`]: `relay-server backup`, an online copy of the SQLite database.
//! - [`challenges`]: stateless proof-of-work challenges and the record of used ones.
//! - [`budgets`]: the budgets and counts that keep one client from silencing the relay.
//! - [`hourly`]: `/metrics` as the values stood at the last full hour.
//! - [`sealed`]: the only calls into the envelope crate (age header check, proof of work).
#![deny(missing_docs)]

pub mod assets;
pub mod backup;
pub mod budgets;
pub mod challenges;
pub mod encoding;
pub mod error;
pub mod hourly;
pub mod http;
pub mod notify;
pub mod sealed;
pub mod server;
pub mod settings;
pub mod storage;
