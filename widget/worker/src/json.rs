//! Reading JSON in the worker. In the browser the text is parsed by the browser's own parser and
//! read with `fluister_widget_js`, so the worker's module links no JSON parser (it was the
//! largest part of the module); native builds (the unit tests) read it with `serde_json`.
//! Writing JSON (the answers, the documents sealed) stays with `serde_json`'s small writer.

use serde::de::DeserializeOwned;

/// `text` read as a `T`, or none if it is not JSON of that shape.
pub fn parse<T: DeserializeOwned>(text: &str) -> Option<T> {
    #[cfg(target_arch = "wasm32")]
    let value = fluister_widget_js::from_json(text).ok();
    #[cfg(not(target_arch = "wasm32"))]
    let value = serde_json::from_str(text).ok();
    value
}
