//! What `web/worker.js` calls. Failures reach JavaScript as a short code string
//! ([`Failure::code`]); nothing secret is ever part of one.

use fluister_envelope::pow::{Challenge, Solver};
use wasm_bindgen::prelude::*;

use crate::session::{Failure, SealedFile, Session};

/// How many Argon2id tries the worker makes between two progress messages.
const TRIES_PER_PROGRESS_MESSAGE: u32 = 4;

fn failure(failure: Failure) -> JsValue {
    JsValue::from_str(failure.code())
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

    /// See [`Session::prepare_receipt`].
    pub fn prepare_receipt(&mut self) -> Result<(), JsValue> {
        self.session.prepare_receipt().map_err(failure)
    }

    /// See [`Session::unlock`].
    pub fn unlock(&mut self, typed: &str) -> Result<(), JsValue> {
        self.session.unlock(typed).map_err(failure)
    }

    /// See [`Session::receipt_code`].
    pub fn receipt_code(&self) -> Result<String, JsValue> {
        self.session
            .receipt_code()
            .map(|code| code.to_string())
            .map_err(failure)
    }

    /// See [`Session::mailbox_id`].
    pub fn mailbox_id(&self) -> Result<String, JsValue> {
        self.session.mailbox_id().map_err(failure)
    }

    /// See [`Session::mailbox_token`].
    pub fn mailbox_token(&self) -> Result<String, JsValue> {
        self.session
            .mailbox_token()
            .map(|token| token.to_string())
            .map_err(failure)
    }

    /// See [`Session::registration_body`].
    pub fn registration_body(&self) -> Result<Vec<u8>, JsValue> {
        self.session.registration_body().map_err(failure)
    }

    /// See [`Session::seal_tip`].
    pub fn seal_tip(
        &self,
        document_json: &str,
        recipients: Vec<String>,
    ) -> Result<SealedMessage, JsValue> {
        self.session
            .seal_tip(document_json.as_bytes(), &recipients)
            .map(SealedMessage)
            .map_err(failure)
    }

    /// See [`Session::seal_answer`].
    pub fn seal_answer(
        &self,
        text: &str,
        recipients: Vec<String>,
    ) -> Result<SealedMessage, JsValue> {
        self.session
            .seal_answer(text, &recipients)
            .map(SealedMessage)
            .map_err(failure)
    }

    /// See [`Session::open_conversation`]; the result is a JSON array of
    /// `{"author", "received_hour", "text"}`.
    pub fn open_conversation(&self, relay_json: &str) -> Result<String, JsValue> {
        let messages = self
            .session
            .open_conversation(relay_json)
            .map_err(failure)?;
        serde_json::to_string(&messages).map_err(|_| failure(Failure::InvalidInput))
    }

    /// See [`Session::forget`].
    pub fn forget(&mut self) {
        self.session.forget();
    }
}

/// A sealed file for JavaScript: see [`SealedFile`].
#[wasm_bindgen]
#[derive(Debug)]
pub struct SealedMessage(SealedFile);

#[wasm_bindgen]
impl SealedMessage {
    /// The age file.
    pub fn ciphertext(&self) -> Vec<u8> {
        self.0.ciphertext.clone()
    }

    /// Its SHA-256.
    pub fn sha256(&self) -> Vec<u8> {
        self.0.sha256.to_vec()
    }

    /// Its submission key.
    pub fn submission_key(&self) -> String {
        self.0.submission_key.clone()
    }
}

/// The SHA-256 of `bytes` (the mailbox registration body is paid for like a tip).
#[wasm_bindgen]
pub fn sha256(bytes: &[u8]) -> Vec<u8> {
    fluister_envelope::pow::ciphertext_sha256(bytes).to_vec()
}

/// One proof of work being solved.
#[wasm_bindgen]
#[derive(Debug)]
pub struct ProofOfWorkTask {
    solver: Solver,
}

#[wasm_bindgen]
impl ProofOfWorkTask {
    /// Starts solving `challenge_json` (as the relay sent it) for the file whose SHA-256 is
    /// `sha256`.
    #[wasm_bindgen(constructor)]
    pub fn new(challenge_json: &str, sha256: &[u8]) -> Result<ProofOfWorkTask, JsValue> {
        let challenge: Challenge =
            serde_json::from_str(challenge_json).map_err(|_| failure(Failure::InvalidInput))?;
        let hash: [u8; 32] = sha256
            .try_into()
            .map_err(|_| failure(Failure::InvalidInput))?;
        let solver = Solver::new(&challenge, &hash).map_err(|_| failure(Failure::InvalidInput))?;
        Ok(ProofOfWorkTask { solver })
    }

    /// Makes a few more tries; returns the nonce once found.
    pub fn step(&mut self) -> Result<Option<u32>, JsValue> {
        self.solver
            .step(TRIES_PER_PROGRESS_MESSAGE)
            .map(|solution| solution.map(|solution| solution.nonce))
            .map_err(|_| failure(Failure::Crypto))
    }

    /// How many tries were made so far.
    pub fn tries_so_far(&self) -> f64 {
        self.solver.tries_so_far() as f64
    }

    /// The expected number of tries (the challenge's difficulty, at least 1).
    pub fn expected_tries(&self) -> f64 {
        f64::from(self.solver.challenge().difficulty.max(1))
    }
}
