//! What `web/worker.js` calls: one session per worker, and one entry point for every operation.
//! Failures reach JavaScript as a short code string ([`Failure::code`]); nothing secret is ever
//! part of one.

use fluister_protocol::worker::Operation;
use wasm_bindgen::prelude::*;

use crate::session::{Failure, Session};

#[wasm_bindgen]
extern "C" {
    /// A JavaScript function `(percent) => …` that posts the progress of a proof of work.
    pub type ProgressReporter;

    #[wasm_bindgen(method, js_name = call)]
    fn call(this: &ProgressReporter, this_argument: &JsValue, percent: u32);
}

/// The session of one worker: see [`Session`].
#[wasm_bindgen]
#[derive(Debug, Default)]
pub struct CryptoSession {
    session: Session,
}

#[wasm_bindgen]
impl CryptoSession {
    /// A session without keys.
    #[wasm_bindgen(constructor)]
    pub fn new() -> CryptoSession {
        CryptoSession::default()
    }

    /// Carries out one request (an [`Operation`] as the page posted it, a plain object; see
    /// `fluister_protocol::worker`) and returns its answer as JSON, or throws a
    /// [`Failure::code`].
    pub fn handle(
        &mut self,
        request: JsValue,
        report_progress: &ProgressReporter,
    ) -> Result<String, JsValue> {
        let operation: Operation = fluister_widget_js::from_value(request)
            .map_err(|_| JsValue::from_str(Failure::InvalidInput.code()))?;
        self.session
            .handle(operation, &mut |percent| {
                report_progress.call(&JsValue::UNDEFINED, percent)
            })
            .map_err(|failure| JsValue::from_str(failure.code()))
    }
}
