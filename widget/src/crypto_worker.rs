//! The page's side of the crypto worker (`web/worker.js`, the `widget/worker` crate): every
//! secret computation (receipt codes and their keys, sealing, opening replies, the proof of work)
//! runs there, so this module carries no cryptography and the page never freezes.
//!
//! A [`CryptoWorker`] is started when it is first needed and ended when the reporter is done or
//! leaves, which also forgets the receipt code's keys it holds.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect};

use crate::js::field;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{MessageEvent, Worker, WorkerOptions, WorkerType};

/// Called with a percentage while the worker solves a proof of work.
pub type ProgressHandler = Rc<dyn Fn(u32)>;

/// One request waiting for its answer.
struct Pending {
    resolve: Function,
    reject: Function,
    on_progress: Option<ProgressHandler>,
}

type PendingRequests = Rc<RefCell<BTreeMap<u32, Pending>>>;

/// Why a request to the worker failed: the worker's code (`typo`, `invalid_input`,
/// `no_recipients`, `crypto`, ...), or `unavailable` when the worker could not run at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkerFailure(pub String);

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
    pub fn start(url: &str) -> Result<Self, WorkerFailure> {
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        let worker = Worker::new_with_options(url, &options).map_err(|_| unavailable())?;
        let pending: PendingRequests = Rc::default();

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
                    let _ = request
                        .reject
                        .call1(&JsValue::NULL, &JsValue::from_str("unavailable"));
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

    /// Sends `op` with the fields of `arguments` at once (so requests reach the worker in the
    /// order they are made, even when their answers are awaited later) and returns the answer.
    pub fn call(
        &self,
        op: &str,
        arguments: &[(&str, JsValue)],
        on_progress: Option<ProgressHandler>,
    ) -> impl Future<Output = Result<JsValue, WorkerFailure>> + 'static {
        let id = self.next_id.get();
        self.next_id.set(id.wrapping_add(1));
        let message = Object::new();
        set(&message, "id", &JsValue::from(id));
        set(&message, "op", &JsValue::from_str(op));
        for (name, value) in arguments {
            set(&message, name, value);
        }
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
        let posted = self.worker.post_message(&message).is_ok();
        if !posted {
            self.pending.borrow_mut().remove(&id);
        }
        async move {
            if !posted {
                return Err(unavailable());
            }
            JsFuture::from(answer).await.map_err(|error| {
                WorkerFailure(
                    error
                        .as_string()
                        .unwrap_or_else(|| "unavailable".to_owned()),
                )
            })
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

fn unavailable() -> WorkerFailure {
    WorkerFailure("unavailable".to_owned())
}

fn set(object: &Object, name: &str, value: &JsValue) {
    let _ = Reflect::set(object, &JsValue::from_str(name), value);
}
