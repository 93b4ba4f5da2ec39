//! The coordinator's inbox: receives sealed tips from the relay, keeps them encrypted on the
//! coordinator's own machine, and decrypts them only to show, triage, export and count them.
//!
//! The binary `fluister-inbox` (in `main.rs`) only parses the command line and calls one of
//! the [`commands`], which work with the modules below and fail with this crate's one
//! [`Error`]:
//!
//! - [`app`]: the workspace, a local web app over the same modules (`fluister-inbox app`).
//! - [`commands`]: one module per command (`keygen`, `connect`, `status`, `pull`, `list`,
//!   `show`, `reply`, `triage`, `export`, `stats`, `quarantine`, `keys`, `register`, `link`),
//!   printing what they did.
//! - [`home`]: the inbox folder (identity, connection, store, triage) and atomic file writes.
//! - [`passphrase`] and [`keys`]: the passphrase-protected age identity (`keygen`, unlocking).
//! - [`relay`]: the connection settings and the relay's coordinator API.
//! - [`store`]: the local store of sealed tips and `pull`, which is crash-safe and idempotent.
//! - [`quarantine`]: the tips `pull` could not open (sealed to another key, perhaps junk sent to
//!   fill the relay, or damaged), kept sealed and off the relay, and the way back into the store.
//! - [`conversation`]: the anonymous mailbox's messages per tip, stored sealed, fetched by
//!   `pull` and written by `reply`.
//! - [`triage`]: status and notes per tip, sealed to every key of the coordinator's own set.
//! - [`recipients`]: that set (`recipients.txt`): own key, backup key, successor, chosen with
//!   `keys`.
//! - [`region`]: the region's municipalities as the relay lists them, kept by `pull`.
//! - [`messages`]: every message, error and help text in Dutch and English, by stable id.
//! - [`vocabulary`], [`render`], [`stats`], [`time`]: labels, readable output, exports, counts.
//! - [`pdf`]: the case file as a PDF, written by hand (A4, the standard Helvetica).
//! - [`report`] and [`suppression`]: the picture of the region and the quarterly report, with
//!   small numbers shown as "<5" and hidden where totals would give them back.
//! - [`editor`]: the text editor `reply --editor` opens.
//!
//! Tip content never leaves this machine unencrypted, except where the coordinator asks for it
//! (`show`, `export`); `stats` counts without reading any free text.
#![deny(missing_docs)]

pub mod app;
pub mod comensha;
pub mod commands;
pub mod conversation;
pub mod editor;
mod error;
pub mod home;
pub mod keys;
mod kill_switch;
pub mod messages;
pub mod passphrase;
pub mod pdf;
pub mod progress;
pub mod quarantine;
pub mod receivers;
pub mod recipients;
pub mod region;
pub mod relay;
pub mod render;
pub mod report;
pub mod stats;
pub mod store;
pub mod suppression;
pub mod team;
pub mod time;
pub mod triage;
pub mod vocabulary;

pub use error::{Error, Result};
