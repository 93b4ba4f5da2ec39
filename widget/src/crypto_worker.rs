//! The page's side of the crypto worker (`web/worker.js`, the `widget/worker` crate): every
//! secret computation (receipt codes and their keys, sealing, opening replies, the proof of work)
//! runs there, so this module carries no cryptography and the page never freezes.
//!
//! A [`CryptoWorker`] is started when it is first needed and ended when the reporter is done or
//! leaves, which also forgets the receipt code's keys it holds. Its methods are the operations
//! of `fluister_protocol::worker`, each with its own answer type.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use fluister_protocol::worker::{
    Failure, MailboxAccess, OpenConversation, OpenedMessage, Operation, PrepareReceipt,
    PreparedReceipt, Request, SealAnswer, SealTip, SealedFile, SealedTip, Solve, Unlock,
};
use js_sys::{Function, JSON, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{MessageEvent, Worker, WorkerOptions, WorkerType};

use fluister_widget_js::{field, from_value};

/// Called with a percentage while the worker solves a proof of work.
pub type ProgressHandler = Rc<dyn Fn(u32)>;

/// One request waiting for its answer.
struct Pending {
    resolve: Function,
    reject: Function,
    on_progress: Option<ProgressHandler>,
}

type PendingRequests = Rc<RefCell<BTreeMap<u32, Pending>>>;

/// A running crypto worker.
pub struct CryptoWorker {
    worker: Worker,
    next_id: Cell<u32>,
    pending: PendingRequests,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(JsValue)>,
}

impl CryptoWorker {
    /// Starts the worker script at `url` (a module worker on the widget's own origin).
    pub fn start(url: &str) -> Result<Self, Failure> {
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        let worker = Worker::new_with_options(url, &options).map_err(|_| Failure::Unavailable)?;
        let pending: PendingRequests = Rc::default();

        // `{id, percent}` while solving, then `{id, result}` or `{id, error}` (see `worker.js`).
        let on_message = {
            let pending = Rc::clone(&pending);
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                let data = event.data();
                let Some(id) = field(&data, "id").as_f64().map(|id| id as u32) else {
                    return;
                };
                if let Some(percent) = field(&data, "percent").as_f64() {
                    let handler = pending
                        .borrow()
                        .get(&id)
                        .and_then(|request| request.on_progress.clone());
                    if let Some(handler) = handler {
                        handler(percent as u32);
                    }
                    return;
                }
                let Some(request) = pending.borrow_mut().remove(&id) else {
                    return;
                };
                let error = field(&data, "error");
                if error.is_undefined() {
                    let _ = request
                        .resolve
                        .call1(&JsValue::NULL, &field(&data, "result"));
                } else {
                    let _ = request.reject.call1(&JsValue::NULL, &error);
                }
            })
        };
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));

        // The script or its module failed to load: every waiting request fails.
        let on_error = {
            let pending = Rc::clone(&pending);
            Closure::<dyn FnMut(JsValue)>::new(move |_event: JsValue| {
                let failed = std::mem::take(&mut *pending.borrow_mut());
                for request in failed.into_values() {
                    let _ = request.reject.call1(
                        &JsValue::NULL,
                        &JsValue::from_str(Failure::Unavailable.code()),
                    );
                }
            })
        };
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));

        Ok(Self {
            worker,
            next_id: Cell::new(1),
            pending,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    /// Makes a fresh receipt code for the next tip (the worker keeps it and its keys) and
    /// returns its mailbox registration.
    pub fn prepare_receipt(
        &self,
    ) -> impl Future<Output = Result<PreparedReceipt, Failure>> + 'static {
        self.call(PrepareReceipt {}, None)
    }

    /// Reads a typed receipt code ([`Failure::Typo`] if it is not one) and returns what reads
    /// and writes its mailbox.
    pub fn unlock(
        &self,
        code: &str,
    ) -> impl Future<Output = Result<MailboxAccess, Failure>> + 'static {
        self.call(
            Unlock {
                code: code.to_owned(),
            },
            None,
        )
    }

    /// Seals the tip document (JSON) to `recipients`, with the prepared code's reply
    /// information; returns it with the receipt code.
    /// With `pinned` (the embed tag's fingerprint), the worker refuses a list with another one.
    pub fn seal_tip(
        &self,
        document: String,
        recipients: Vec<String>,
        pinned: Option<String>,
    ) -> impl Future<Output = Result<SealedTip, Failure>> + 'static {
        self.call(
            SealTip {
                document,
                recipients,
                pinned,
            },
            None,
        )
    }

    /// Seals the reporter's answer to `recipients` and to the code's own reply key.
    /// `pinned` as for [`CryptoWorker::seal_tip`].
    pub fn seal_answer(
        &self,
        text: String,
        recipients: Vec<String>,
        pinned: Option<String>,
    ) -> impl Future<Output = Result<SealedFile, Failure>> + 'static {
        self.call(
            SealAnswer {
                text,
                recipients,
                pinned,
            },
            None,
        )
    }

    /// Opens the conversation as the relay sent it, oldest first.
    pub fn open_conversation(
        &self,
        relay_json: String,
    ) -> impl Future<Output = Result<Vec<OpenedMessage>, Failure>> + 'static {
        let answer = self.call(OpenConversation { json: relay_json }, None);
        async move { Ok(answer.await?.messages) }
    }

    /// Solves the challenge (as the relay sent it) for the body with hash `sha256`, telling
    /// `on_progress` how far it is; returns a nonce per puzzle.
    pub fn solve(
        &self,
        challenge_json: String,
        sha256: [u8; 32],
        on_progress: ProgressHandler,
    ) -> impl Future<Output = Result<Vec<u32>, Failure>> + 'static {
        let answer = self.call(
            Solve {
                challenge: challenge_json,
                hash: sha256,
            },
            Some(on_progress),
        );
        async move { Ok(answer.await?.nonces) }
    }

    /// Posts `request` at once (so requests reach the worker in the order they are made, even
    /// when their answers are awaited later) and returns its answer.
    fn call<R: Request>(
        &self,
        request: R,
        on_progress: Option<ProgressHandler>,
    ) -> impl Future<Output = Result<R::Answer, Failure>> + 'static {
        let id = self.next_id.get();
        self.next_id.set(id.wrapping_add(1));
        let operation: Operation = request.into();
        let message = serde_json::to_string(&operation)
            .ok()
            .and_then(|json| JSON::parse(&json).ok());
        let answer = Promise::new(&mut |resolve, reject| {
            self.pending.borrow_mut().insert(
                id,
                Pending {
                    resolve,
                    reject,
                    on_progress: on_progress.clone(),
                },
            );
        });
        let posted = message.is_some_and(|message| {
            Reflect::set(&message, &JsValue::from_str("id"), &JsValue::from(id)).is_ok()
                && self.worker.post_message(&message).is_ok()
        });
        if !posted {
            self.pending.borrow_mut().remove(&id);
        }
        async move {
            if !posted {
                return Err(Failure::Unavailable);
            }
            match JsFuture::from(answer).await {
                // Read by the answer's own type.
                Ok(answer) => from_value(answer).map_err(|_| Failure::InvalidInput),
                Err(code) => Err(code
                    .as_string()
                    .and_then(|code| Failure::from_code(&code))
                    .unwrap_or(Failure::Unavailable)),
            }
        }
    }
}

impl std::fmt::Debug for CryptoWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CryptoWorker")
            .field("pending_requests", &self.pending.borrow().len())
            .finish_non_exhaustive()
    }
}

impl Drop for CryptoWorker {
    /// Ends the worker, and with it every key it held.
    fn drop(&mut self) {
        self.worker.terminate();
    }
}
