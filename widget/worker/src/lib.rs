//! The widget's crypto worker (see `ARCHITECTURE.md`, "widget/"): everything secret the widget
//! computes runs here, in a Web Worker with a wasm module of its own, so the form's module (the
//! one every visitor downloads) carries no cryptography and the page never freezes.
//!
//! `widget/web/worker.js` loads this module and drives one [`bindings::CryptoSession`] per
//! worker: the page posts requests (`fluister_protocol::worker::Operation`), the worker answers.
//! The session holds the receipt code's keys for as long as the worker lives; the page ends the
//! worker when the reporter is done or leaves.
//!
//! The logic is plain Rust in [`session`] and [`operations`] (unit-tested natively);
//! [`bindings`] exposes it to JavaScript.

pub mod bindings;
pub mod json;
pub mod operations;
pub mod session;
