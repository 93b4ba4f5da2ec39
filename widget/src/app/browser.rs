//! The browser's side of the send state machine's traits: the real relay (`crate::api`), the
//! real crypto worker, `Date.now()`, `setTimeout` and Leptos' task runner.

use std::rc::Rc;

use fluister_protocol::worker::{Failure, PreparedReceipt, SealedFile, SealedTip};
use leptos::prelude::*;

use super::sending::{Environment, RelayApi, WorkerApi};
use crate::api::{self, Challenge, Payment, PublicConfig, RequestFailure};
use crate::crypto_worker::{CryptoWorker, ProgressHandler};

/// The relay the widget is served by.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Relay;

impl RelayApi for Relay {
    fn fetch_config(&self) -> impl Future<Output = Result<PublicConfig, RequestFailure>> {
        api::fetch_config()
    }

    fn fetch_challenge(&self) -> impl Future<Output = Result<Challenge, RequestFailure>> {
        api::fetch_challenge()
    }

    fn submit_tip(
        &self,
        tip: &SealedFile,
        payment: Payment,
    ) -> impl Future<Output = Result<(), RequestFailure>> {
        api::submit_tip(&tip.ciphertext, &tip.submission_key, payment)
    }

    fn open_mailbox(
        &self,
        registration: &str,
        payment: Payment,
    ) -> impl Future<Output = Result<(), RequestFailure>> {
        api::open_mailbox(registration.as_bytes(), payment)
    }
}

impl WorkerApi for CryptoWorker {
    fn prepare_receipt(&self) -> impl Future<Output = Result<PreparedReceipt, Failure>> + 'static {
        CryptoWorker::prepare_receipt(self)
    }

    fn seal_tip(
        &self,
        document: String,
        recipients: Vec<String>,
        pinned: Option<String>,
    ) -> impl Future<Output = Result<SealedTip, Failure>> + 'static {
        CryptoWorker::seal_tip(self, document, recipients, pinned)
    }

    fn solve(
        &self,
        challenge_json: String,
        sha256: [u8; 32],
        on_progress: ProgressHandler,
    ) -> impl Future<Output = Result<Vec<u32>, Failure>> + 'static {
        CryptoWorker::solve(self, challenge_json, sha256, on_progress)
    }
}

/// The browser: the relay, the crypto worker (started when first needed), the clock.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Browser {
    /// The running crypto worker, if any; it holds the receipt code's keys.
    pub crypto: StoredValue<Option<Rc<CryptoWorker>>, LocalStorage>,
    /// The URL of the crypto worker's script.
    pub worker_url: StoredValue<String>,
}

impl Environment for Browser {
    type Relay = Relay;
    type Worker = CryptoWorker;

    fn relay(&self) -> &Relay {
        &Relay
    }

    fn worker(&self) -> Result<Rc<CryptoWorker>, Failure> {
        if let Some(crypto) = self.crypto.get_value() {
            return Ok(crypto);
        }
        let crypto = Rc::new(CryptoWorker::start(&self.worker_url.get_value())?);
        self.crypto.set_value(Some(Rc::clone(&crypto)));
        Ok(crypto)
    }

    fn end_worker(&self) {
        self.crypto.set_value(None);
    }

    fn now(&self) -> f64 {
        js_sys::Date::now()
    }

    fn sleep(&self, milliseconds: f64) -> impl Future<Output = ()> + 'static {
        let promise = js_sys::Promise::new(&mut |resolve, _reject| {
            let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(
                &resolve,
                milliseconds as i32,
            );
        });
        async move {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        }
    }

    fn random_between(&self, low: f64, high: f64) -> f64 {
        low + js_sys::Math::random() * (high - low)
    }

    fn spawn(&self, task: impl Future<Output = ()> + 'static) {
        leptos::task::spawn_local(task);
    }
}
