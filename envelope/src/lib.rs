//! The core of Fluister: everything that touches a tip's content, and nothing that touches the
//! outside world.
//!
//! - [`age`]: the age v1 file format with X25519, hybrid post-quantum (and passphrase)
//!   recipients: seal, open, streaming, ASCII armor. Any standard age tool opens what we seal.
//! - [`tip`]: the tip document the widget fills in and the coordinator reads, and its padding.
//! - [`message`]: a message in the anonymous mailbox, padded like a tip.
//! - [`receipt`]: the receipt code a reporter keeps, and the mailbox keys derived from it.
//! - [`pin`]: fingerprints of recipients, so the coordinator and not the relay decides who reads.
//! - [`pow`]: the proof of work that makes each submitted tip cost the sender a little.
//!
//! The crate does no I/O and keeps no global state (randomness comes from the OS or the browser
//! through `getrandom`); the relay, the widget and the inbox are thin shells around it.
#![deny(missing_docs)]

pub mod age;
mod error;
pub mod message;
pub mod pin;
pub mod pow;
pub mod receipt;
pub mod tip;

pub use error::{Error, Result};
