//! The age v1 file format (C2SP `age.md`): X25519 recipients, the header with its MAC, the
//! STREAM payload, and the ASCII armor.

mod keys;

pub use keys::{Identity, Recipient, parse_identity_file};
