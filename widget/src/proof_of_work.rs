//! The proof of work, solved off the page's thread: the same wasm module runs in a Web Worker
//! (`web/worker.js` loads it and drives [`ProofOfWorkTask`]), and the page talks to it with
//! messages, showing the tries as progress.

use std::cell::RefCell;
use std::rc::Rc;

use fluister_envelope::pow::{Challenge, Solver};
use js_sys::{Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{MessageEvent, Worker, WorkerOptions, WorkerType};

/// A message or error handler set on the worker.
type MessageHandler = Closure<dyn FnMut(MessageEvent)>;

/// How many Argon2id tries the worker makes between two progress messages.
const TRIES_PER_PROGRESS_MESSAGE: u32 = 4;

/// One proof of work being solved inside the worker.
#[wasm_bindgen]
#[derive(Debug)]
pub struct ProofOfWorkTask {
    solver: Solver,
}

#[wasm_bindgen]
impl ProofOfWorkTask {
    /// Starts solving `challenge_json` (as the relay sent it) for the ciphertext whose SHA-256
    /// is `ciphertext_sha256`.
    #[wasm_bindgen(constructor)]
    pub fn new(challenge_json: &str, ciphertext_sha256: &[u8]) -> Result<ProofOfWorkTask, JsValue> {
        let challenge: Challenge = serde_json::from_str(challenge_json)
            .map_err(|_| JsValue::from_str("malformed challenge"))?;
        let hash: [u8; 32] = ciphertext_sha256
            .try_into()
            .map_err(|_| JsValue::from_str("the hash must be 32 bytes"))?;
        let solver = Solver::new(&challenge, &hash)
            .map_err(|_| JsValue::from_str("challenge over limits"))?;
        Ok(ProofOfWorkTask { solver })
    }

    /// Makes a few more tries; returns the nonce once found.
    pub fn step(&mut self) -> Result<Option<u32>, JsValue> {
        self.solver
            .step(TRIES_PER_PROGRESS_MESSAGE)
            .map(|solution| solution.map(|solution| solution.nonce))
            .map_err(|_| JsValue::from_str("no nonce solves this challenge"))
    }

    /// How many tries were made so far.
    pub fn tries_so_far(&self) -> f64 {
        self.solver.tries_so_far() as f64
    }
}

/// Solves `challenge` for `ciphertext_sha256` in a new worker started from `worker_url`, calling
/// `on_progress` with the number of tries so far. The worker is ended afterwards.
pub async fn solve_in_worker(
    worker_url: &str,
    challenge: &Challenge,
    ciphertext_sha256: &[u8; 32],
    on_progress: impl Fn(u32) + 'static,
) -> Result<u32, ()> {
    let options = WorkerOptions::new();
    options.set_type(WorkerType::Module);
    let worker = Worker::new_with_options(worker_url, &options).map_err(|_| ())?;
    let challenge_json = serde_json::to_string(challenge).map_err(|_| ())?;

    let message = Object::new();
    Reflect::set(&message, &"challenge".into(), &challenge_json.into()).map_err(|_| ())?;
    Reflect::set(
        &message,
        &"hash".into(),
        &Uint8Array::from(&ciphertext_sha256[..]).into(),
    )
    .map_err(|_| ())?;

    // The closures must outlive the promise; they are dropped when this function returns.
    let keep_alive: Rc<RefCell<Vec<MessageHandler>>> = Rc::default();
    let on_progress = Rc::new(on_progress);
    let outcome = Promise::new(&mut |resolve, reject| {
        let on_progress = Rc::clone(&on_progress);
        let reject_on_error = reject.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let data = event.data();
            let nonce = Reflect::get(&data, &"nonce".into()).ok();
            let tries = Reflect::get(&data, &"tries".into()).ok();
            if let Some(nonce) = nonce.filter(|value| value.as_f64().is_some()) {
                let _ = resolve.call1(&JsValue::NULL, &nonce);
            } else if let Some(tries) = tries.and_then(|value| value.as_f64()) {
                on_progress(tries as u32);
            } else {
                let _ = reject.call0(&JsValue::NULL);
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let on_error = Closure::<dyn FnMut(MessageEvent)>::new(move |_event: MessageEvent| {
            let _ = reject_on_error.call0(&JsValue::NULL);
        });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        keep_alive.borrow_mut().push(on_message);
        keep_alive.borrow_mut().push(on_error);
    });
    let posted = worker.post_message(&message);
    let result = match posted {
        Ok(()) => JsFuture::from(outcome).await,
        Err(error) => Err(error),
    };
    worker.terminate();
    drop(keep_alive);
    let nonce = result.map_err(|_| ())?.as_f64().ok_or(())?;
    u32::try_from(nonce as u64).map_err(|_| ())
}
