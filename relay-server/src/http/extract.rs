//! What handlers take from a request, as extractors: each refuses a bad request with its one
//! [`ApiError`] before the handler runs, so handlers read as the steps of their route.
//!
//! Extractors run in the order of the handler's arguments, and every one that reads headers
//! runs before the one that reads the body: a request with a wrong header is refused without
//! its body ever being read.

use std::marker::PhantomData;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use fluister_protocol::headers as wire;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{AppState, Paid, RequestSlot, take_payment};
use crate::challenges::Presenter;
use crate::encoding::decode_base64url;
use crate::error::ApiError;
use crate::sealed::{self, BodyProblem};
use crate::settings::Settings;
use crate::storage::Storage;

pub(super) fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// A request whose bearer token is one of the coordinators': as a handler argument, it refuses
/// everyone else with `401 unauthorized` before the handler runs.
#[derive(Debug, Clone, Copy)]
pub(super) struct Coordinator;

impl<S: Storage> FromRequestParts<AppState<S>> for Coordinator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState<S>) -> Result<Self, ApiError> {
        require_coordinator(state, &parts.headers).map(|()| Coordinator)
    }
}

/// Checks the coordinator's bearer token against every configured hash in constant time.
pub(super) fn require_coordinator<S: Storage>(
    state: &AppState<S>,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    if bearer_token_matches(headers, &state.inner.token_hashes) {
        Ok(())
    } else {
        Err(ApiError::Unauthorized)
    }
}

/// Whether the request's bearer token hashes to one of `hashes`, compared in constant time.
fn bearer_token_matches(headers: &HeaderMap, hashes: &[[u8; 32]]) -> bool {
    let Some(presented) = header_text(headers, header::AUTHORIZATION.as_str())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
    else {
        return false;
    };
    let presented_hash: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
    // Compare against every hash without stopping early, so timing reveals nothing.
    let mut matched = subtle::Choice::from(0u8);
    for configured in hashes {
        matched |= configured.ct_eq(&presented_hash);
    }
    bool::from(matched)
}

/// A request whose bearer token is one of `metrics.token_sha256`: the monitoring system's,
/// which opens `/metrics` and nothing else (a coordinator's token does not open `/metrics`).
/// With no metrics token configured the route does not exist: `404 not_found`.
#[derive(Debug, Clone, Copy)]
pub(super) struct MetricsReader;

impl<S: Storage> FromRequestParts<AppState<S>> for MetricsReader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState<S>) -> Result<Self, ApiError> {
        let hashes = &state.inner.metrics_token_hashes;
        if hashes.is_empty() {
            Err(ApiError::NotFound)
        } else if bearer_token_matches(&parts.headers, hashes) {
            Ok(MetricsReader)
        } else {
            Err(ApiError::MetricsUnauthorized)
        }
    }
}

/// A media type a route's body must be sent as.
pub(super) trait MediaType {
    /// The type, parameters aside.
    const NAME: &'static str;
}

/// Sealed bytes: an age file.
#[derive(Debug)]
pub(super) struct OctetStream;

impl MediaType for OctetStream {
    const NAME: &'static str = "application/octet-stream";
}

/// A JSON document.
#[derive(Debug)]
pub(super) struct JsonDocument;

impl MediaType for JsonDocument {
    const NAME: &'static str = "application/json";
}

/// A request whose `Content-Type` (parameters aside) is `M`; any other is refused with
/// `415 unsupported_media_type`.
#[derive(Debug)]
pub(super) struct SentAs<M>(PhantomData<M>);

impl<S: Send + Sync, M: MediaType> FromRequestParts<S> for SentAs<M> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let media_type = header_text(&parts.headers, header::CONTENT_TYPE.as_str())
            .and_then(|value| value.split(';').next())
            .unwrap_or("")
            .trim();
        if media_type.eq_ignore_ascii_case(M::NAME) {
            Ok(Self(PhantomData))
        } else {
            Err(ApiError::UnsupportedMediaType)
        }
    }
}

/// The client's random submission key, which makes a retried post idempotent. Only its SHA-256
/// is ever kept.
#[derive(Debug)]
pub(super) struct SubmissionKey {
    /// SHA-256 of the key, as storage keeps it.
    pub sha256: [u8; 32],
}

impl<S: Send + Sync> FromRequestParts<S> for SubmissionKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let key: [u8; 32] = header_text(&parts.headers, wire::SUBMISSION_KEY)
            .and_then(decode_base64url)
            .ok_or(ApiError::BadHeader(
                "Send a fresh random submission key: 32 bytes, unpadded base64url, in the \
                 `Fluister-Submission-Key` header, and the same key when retrying.",
            ))?;
        Ok(Self {
            sha256: Sha256::digest(key).into(),
        })
    }
}

/// The proof of work a request pays with (the challenge's seed and the nonces that solve it),
/// and the request's place among `limits.max_concurrent_requests`, given back while the proof
/// waits its turn to be verified.
#[derive(Debug)]
pub(super) struct Payment {
    seed: [u8; 32],
    nonces: Vec<u32>,
    slot: Option<RequestSlot>,
}

impl Payment {
    /// Verifies the proof for a body whose SHA-256 is `body_sha256` and charges the shared
    /// budget (see [`take_payment`] for the order of the checks).
    pub(super) async fn pay<S: Storage>(
        &self,
        state: &AppState<S>,
        body_sha256: [u8; 32],
        presenter: Presenter,
    ) -> Result<Paid, ApiError> {
        take_payment(
            state,
            self.slot.as_ref(),
            (self.seed, self.nonces.clone()),
            body_sha256,
            presenter,
        )
        .await
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Payment {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let headers = &parts.headers;
        let (Some(seed_text), Some(nonce_text)) = (
            header_text(headers, wire::CHALLENGE),
            header_text(headers, wire::NONCE),
        ) else {
            return Err(ApiError::ProofOfWorkMissing);
        };
        let seed: [u8; 32] = decode_base64url(seed_text).ok_or(ApiError::BadHeader(
            "`Fluister-Challenge` must be the challenge's seed exactly as the relay sent it.",
        ))?;
        let nonces = wire::parse_nonce_header(nonce_text).ok_or(ApiError::BadHeader(
            "`Fluister-Nonce` must be one decimal number from 0 to 4294967295 per puzzle, separated by commas (at most 32).",
        ))?;
        Ok(Self {
            seed,
            nonces,
            slot: parts.extensions.get::<RequestSlot>().cloned(),
        })
    }
}

/// A route's largest body, from the settings.
pub(super) trait BodyLimit {
    fn limit(settings: &Settings) -> usize;
}

/// `limits.max_tip_bytes`.
#[derive(Debug)]
pub(super) struct TipLimit;

impl BodyLimit for TipLimit {
    fn limit(settings: &Settings) -> usize {
        settings.limits.max_tip_bytes
    }
}

/// `limits.max_message_bytes`.
#[derive(Debug)]
pub(super) struct MessageLimit;

impl BodyLimit for MessageLimit {
    fn limit(settings: &Settings) -> usize {
        settings.limits.max_message_bytes
    }
}

/// The largest mailbox registration: two hex strings and a little JSON.
#[derive(Debug)]
pub(super) struct RegistrationLimit;

impl BodyLimit for RegistrationLimit {
    fn limit(_: &Settings) -> usize {
        1024
    }
}

/// A whole body of at most `L`'s limit (the route's body limit applies too), with its SHA-256.
///
/// The request gives its place among `limits.max_concurrent_requests` back before the body is
/// read: a client that sends a body slowly must not hold places the relay's other answers need
/// (the whole request still has `limits.request_timeout_seconds`, and connections are capped).
#[derive(Debug)]
pub(super) struct Body<L> {
    pub bytes: Bytes,
    pub sha256: [u8; 32],
    limit: PhantomData<L>,
}

impl<S: Storage, L: BodyLimit> FromRequest<AppState<S>> for Body<L> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState<S>) -> Result<Self, ApiError> {
        if let Some(slot) = request.extensions().get::<RequestSlot>() {
            slot.give_back();
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::BodyTooLarge
                } else {
                    ApiError::BodyUnreadable
                }
            })?;
        if bytes.len() > L::limit(&state.inner.settings) {
            return Err(ApiError::BodyTooLarge);
        }
        Ok(Self {
            sha256: sealed::ciphertext_sha256(&bytes),
            bytes,
            limit: PhantomData,
        })
    }
}

/// A body of at most `L`'s limit that is a well-formed age v1 file (its header parses; the
/// payload is opaque to the relay).
#[derive(Debug)]
pub(super) struct AgeBody<L>(pub Body<L>);

impl<S: Storage, L: BodyLimit> FromRequest<AppState<S>> for AgeBody<L> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState<S>) -> Result<Self, ApiError> {
        let body = Body::<L>::from_request(request, state).await?;
        sealed::check_age_file(&body.bytes).map_err(|problem| match problem {
            BodyProblem::NotAge => ApiError::NotAgeFile,
            BodyProblem::BrokenHeader => ApiError::BrokenAgeHeader,
        })?;
        Ok(Self(body))
    }
}
