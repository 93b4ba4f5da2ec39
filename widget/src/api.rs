//! Every request the widget makes, all to its own origin (the relay): the configuration, a
//! proof-of-work challenge, and the sealed tip. See `docs/api.md` for the contract.

use fluister_envelope::pow::Challenge;
use js_sys::Uint8Array;
use serde::Deserialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Request, RequestInit, Response};

/// The part of `GET /api/v1/config` the widget uses.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct PublicConfig {
    /// The coordinator recipients every tip is sealed to.
    pub recipients: Vec<String>,
    /// Phone numbers the operator wants shown as alternatives.
    #[serde(default)]
    pub phone_numbers: Vec<PhoneNumber>,
}

/// A phone number from the relay's configuration.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct PhoneNumber {
    /// Who answers, such as "Meld Misdaad Anoniem".
    pub label: String,
    /// The number as people dial it.
    pub number: String,
}

/// Why a request did not succeed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestFailure {
    /// No answer: the network or the relay is down.
    Unreachable,
    /// The relay answered with an error; `code` is its stable error code.
    Refused {
        /// The HTTP status.
        status: u16,
        /// The `error.code` of the JSON body, or empty.
        code: String,
    },
}

impl RequestFailure {
    /// Whether trying again later may work (network, overload, rate limit, server errors).
    pub fn is_temporary(&self) -> bool {
        match self {
            RequestFailure::Unreachable => true,
            RequestFailure::Refused { status, code } => {
                *status >= 500 || *status == 429 || code == "challenge_invalid"
            }
        }
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    code: String,
}

#[derive(Deserialize)]
struct StoredTip {
    id: String,
}

/// `GET /api/v1/config`.
pub async fn fetch_config() -> Result<PublicConfig, RequestFailure> {
    let text = request_text("GET", "/api/v1/config", None, &[]).await?;
    serde_json::from_str(&text).map_err(|_| RequestFailure::Unreachable)
}

/// `GET` a file of the widget, such as a translation table.
pub async fn fetch_widget_file(relative_path: &str) -> Result<String, RequestFailure> {
    request_text("GET", relative_path, None, &[]).await
}

/// `POST /api/v1/challenges`.
pub async fn fetch_challenge() -> Result<Challenge, RequestFailure> {
    let text = request_text("POST", "/api/v1/challenges", None, &[]).await?;
    serde_json::from_str(&text).map_err(|_| RequestFailure::Unreachable)
}

/// `POST /api/v1/tips`; returns the tip's id on 200 or 201.
pub async fn submit_tip(
    ciphertext: &[u8],
    submission_key: &str,
    challenge_seed: &str,
    nonce: u32,
) -> Result<String, RequestFailure> {
    let nonce = nonce.to_string();
    let text = request_text(
        "POST",
        "/api/v1/tips",
        Some(ciphertext),
        &[
            ("Content-Type", "application/octet-stream"),
            ("Fluister-Submission-Key", submission_key),
            ("Fluister-Challenge", challenge_seed),
            ("Fluister-Nonce", &nonce),
        ],
    )
    .await?;
    let stored: StoredTip = serde_json::from_str(&text).map_err(|_| RequestFailure::Unreachable)?;
    Ok(stored.id)
}

async fn request_text(
    method: &str,
    url: &str,
    body: Option<&[u8]>,
    headers: &[(&str, &str)],
) -> Result<String, RequestFailure> {
    let window = web_sys::window().ok_or(RequestFailure::Unreachable)?;
    let init = RequestInit::new();
    init.set_method(method);
    let header_list = Headers::new().map_err(|_| RequestFailure::Unreachable)?;
    for (name, value) in headers {
        header_list
            .set(name, value)
            .map_err(|_| RequestFailure::Unreachable)?;
    }
    init.set_headers(&header_list);
    if let Some(body) = body {
        init.set_body(&Uint8Array::from(body).into());
    }
    let request =
        Request::new_with_str_and_init(url, &init).map_err(|_| RequestFailure::Unreachable)?;
    let response: Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|_| RequestFailure::Unreachable)?
        .dyn_into()
        .map_err(|_: JsValue| RequestFailure::Unreachable)?;
    let status = response.status();
    let text = match response.text() {
        Ok(promise) => JsFuture::from(promise)
            .await
            .ok()
            .and_then(|value| value.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    if response.ok() {
        Ok(text)
    } else {
        let code = serde_json::from_str::<ErrorBody>(&text)
            .map(|body| body.error.code)
            .unwrap_or_default();
        Err(RequestFailure::Refused { status, code })
    }
}
