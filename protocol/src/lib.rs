//! Fluister's wire protocol: what the relay, the widget, its crypto worker and the inbox say to
//! each other over HTTP. Plain data and serde, no I/O; it builds for wasm.
//!
//! - [`bodies`]: every JSON request and response body of `docs/api.md`.
//! - [`ids`]: tip, mailbox and message identifiers, written as lower-case hex.
//! - [`headers`]: the names of the relay's own headers.
//! - [`error`]: the refusal codes clients match on, and the refusal body.
//! - [`codec`]: the one hex and the one base64url codec.
//! - [`worker`]: what the widget's page and its crypto worker say to each other (no HTTP, but
//!   the same kind of contract between two programs).
#![deny(missing_docs)]

pub mod bodies;
pub mod codec;
pub mod error;
pub mod headers;
pub mod ids;
pub mod worker;

pub use bodies::MessageAuthor;
pub use error::ErrorCode;
pub use ids::{MailboxId, MessageId, TipId};
pub use worker::CaseStatus;
