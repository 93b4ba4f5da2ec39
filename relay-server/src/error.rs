//! The one error type of the HTTP API, mapped to responses in one place.
//!
//! Every error is JSON, `{"error": {"code": "stable_code", "message": "plain English"}}`
//! ([`fluister_protocol::error::ErrorBody`]), with a code clients can match on and a message a
//! person can read. No message carries internals. The response carries its [`ErrorCode`] as an
//! extension, so the middleware counts every refusal once, wherever it was made.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fluister_protocol::ErrorCode;
use fluister_protocol::error::{ErrorBody, ErrorDetail};

/// Everything the API can answer with other than success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiError {
    /// No such route.
    NotFound,
    /// No such tip (or it was deleted).
    TipNotFound,
    /// The route exists but not for this method.
    MethodNotAllowed,
    /// The request came from another origin; the API answers only the relay's own pages.
    CrossOrigin,
    /// No valid coordinator token.
    Unauthorized,
    /// No valid metrics token (`metrics.token_sha256`) for `/metrics`.
    MetricsUnauthorized,
    /// The body is larger than `limits.max_tip_bytes`.
    BodyTooLarge,
    /// The body is not an age v1 file.
    NotAgeFile,
    /// The body starts like an age file but its header is malformed.
    BrokenAgeHeader,
    /// The `Content-Type` is not `application/octet-stream`.
    UnsupportedMediaType,
    /// A required header is missing or malformed; the payload names which.
    BadHeader(&'static str),
    /// A path parameter is not a well-formed identifier.
    BadIdentifier,
    /// The proof-of-work headers are missing.
    ProofOfWorkMissing,
    /// The challenge is unknown, already used, or expired.
    ChallengeInvalid,
    /// The nonce does not solve the challenge for this body.
    ProofOfWorkInvalid,
    /// The submission key was used before with a different body.
    SubmissionKeyConflict,
    /// The storage quota is full.
    StorageFull,
    /// This hour's share of the storage quota is used up; the next hour has room again.
    StorageBusy,
    /// A budget is spent: the global rate of verified submissions, or one mailbox's reads.
    RateLimited,
    /// Too many requests at once, or too many challenges in use.
    Overloaded,
    /// The request took longer than `limits.request_timeout_seconds`.
    RequestTimeout,
    /// The request body could not be read.
    BodyUnreadable,
    /// No mailbox answers to this id and token: it does not exist, expired, or the token is
    /// wrong. One answer for all three, so a guess learns nothing.
    MailboxNotFound,
    /// A mailbox with this id exists already, with another token.
    MailboxConflict,
    /// The mailbox holds the most messages allowed.
    MailboxFull,
    /// The team log is full.
    LogFull,
    /// `after` is not a whole number.
    BadLogPlace,
    /// `POST /api/v1/challenges` with a query other than `version=1` or `version=2`.
    BadChallengeVersion,
    /// The mailbox registration is not the JSON the API expects.
    BadRegistration,
    /// Storage failed; details are logged, not returned.
    Internal,
    /// The storage cannot take a write now (`GET /readyz`); details are logged, not returned.
    NotReady,
}

impl ApiError {
    /// The HTTP status, stable code and human message of this error.
    pub fn parts(self) -> (StatusCode, ErrorCode, &'static str) {
        match self {
            ApiError::NotFound => (
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                "There is nothing here.",
            ),
            ApiError::TipNotFound => (
                StatusCode::NOT_FOUND,
                ErrorCode::TipNotFound,
                "There is no tip with this id. It may have been deleted already.",
            ),
            ApiError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorCode::MethodNotAllowed,
                "This address does not accept this method.",
            ),
            ApiError::CrossOrigin => (
                StatusCode::FORBIDDEN,
                ErrorCode::CrossOrigin,
                "The API only answers requests from the relay's own pages.",
            ),
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthorized,
                "A valid coordinator token is needed: send `Authorization: Bearer <token>`.",
            ),
            ApiError::MetricsUnauthorized => (
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthorized,
                "A valid metrics token is needed: send `Authorization: Bearer <token>` with a \
                 token from `relay-server mint-token --metrics`.",
            ),
            ApiError::BodyTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::BodyTooLarge,
                "The tip is larger than this relay accepts.",
            ),
            ApiError::NotAgeFile => (
                StatusCode::BAD_REQUEST,
                ErrorCode::NotAgeFile,
                "The body must be a sealed age v1 file.",
            ),
            ApiError::BrokenAgeHeader => (
                StatusCode::BAD_REQUEST,
                ErrorCode::BrokenAgeHeader,
                "The body's age header is malformed.",
            ),
            ApiError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
                "Send the sealed tip with `Content-Type: application/octet-stream`.",
            ),
            ApiError::BadHeader(message) => {
                (StatusCode::BAD_REQUEST, ErrorCode::BadHeader, message)
            }
            ApiError::BadIdentifier => (
                StatusCode::NOT_FOUND,
                ErrorCode::TipNotFound,
                "There is no tip with this id. It may have been deleted already.",
            ),
            ApiError::ProofOfWorkMissing => (
                StatusCode::BAD_REQUEST,
                ErrorCode::ProofOfWorkMissing,
                "Fetch a challenge from POST /api/v1/challenges, solve it, and send the \
                 `Fluister-Challenge` and `Fluister-Nonce` headers.",
            ),
            ApiError::ChallengeInvalid => (
                StatusCode::CONFLICT,
                ErrorCode::ChallengeInvalid,
                "This challenge is unknown, expired or already used. Fetch a new one and try again.",
            ),
            ApiError::ProofOfWorkInvalid => (
                StatusCode::BAD_REQUEST,
                ErrorCode::ProofOfWorkInvalid,
                "The proof of work does not solve the challenge for this tip.",
            ),
            ApiError::SubmissionKeyConflict => (
                StatusCode::CONFLICT,
                ErrorCode::SubmissionKeyConflict,
                "This submission key was already used for a different tip. Use a fresh random key.",
            ),
            ApiError::StorageFull => (
                StatusCode::INSUFFICIENT_STORAGE,
                ErrorCode::StorageFull,
                "The relay cannot store more tips right now. Please use one of the phone numbers.",
            ),
            ApiError::StorageBusy => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::StorageBusy,
                "The relay has taken in unusually much this hour. Please try again later.",
            ),
            ApiError::RateLimited => (
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                "The relay is receiving many requests right now. Please try again in a minute.",
            ),
            ApiError::Overloaded => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Overloaded,
                "The relay is busy. Please try again in a moment.",
            ),
            ApiError::RequestTimeout => (
                StatusCode::REQUEST_TIMEOUT,
                ErrorCode::RequestTimeout,
                "The request took too long to arrive.",
            ),
            ApiError::BodyUnreadable => (
                StatusCode::BAD_REQUEST,
                ErrorCode::BodyUnreadable,
                "The request body could not be read completely.",
            ),
            ApiError::MailboxNotFound => (
                StatusCode::NOT_FOUND,
                ErrorCode::MailboxNotFound,
                "There is no mailbox for this code. Check the code; a mailbox closes after a \
                 long time without messages.",
            ),
            ApiError::MailboxConflict => (
                StatusCode::CONFLICT,
                ErrorCode::MailboxConflict,
                "This mailbox exists already with another access token.",
            ),
            ApiError::MailboxFull => (
                StatusCode::CONFLICT,
                ErrorCode::MailboxFull,
                "This mailbox holds as many messages as it can. Please use one of the phone numbers.",
            ),
            ApiError::LogFull => (
                StatusCode::INSUFFICIENT_STORAGE,
                ErrorCode::LogFull,
                "The team log holds as many entries as it can; the retention sweep makes room.",
            ),
            ApiError::BadLogPlace => (
                StatusCode::BAD_REQUEST,
                ErrorCode::BadLogPlace,
                "Send `after` as a whole number: the last place you have, or 0.",
            ),
            ApiError::BadChallengeVersion => (
                StatusCode::BAD_REQUEST,
                ErrorCode::BadChallengeVersion,
                "Ask for a challenge without a query, with `version=1` (one puzzle) or with \
                 `version=2` (split into several puzzles).",
            ),
            ApiError::BadRegistration => (
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRegistration,
                "Send {\"id\": <64 hex digits>, \"token_sha256\": <64 hex digits>} as JSON.",
            ),
            ApiError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                "The relay could not complete this request. Nothing was stored; please try again.",
            ),
            ApiError::NotReady => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::NotReady,
                "The relay cannot write to its database right now.",
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.parts();
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message: message.to_owned(),
            },
        };
        let mut response = (status, Json(body)).into_response();
        response.extensions_mut().insert(code);
        let headers = response.headers_mut();
        match self {
            ApiError::Unauthorized | ApiError::MetricsUnauthorized => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"fluister\""),
                );
            }
            ApiError::RateLimited | ApiError::Overloaded => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            ApiError::StorageBusy => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("600"));
            }
            ApiError::RequestTimeout | ApiError::BodyTooLarge => {
                // The rest of the body may still be in flight; do not reuse the connection.
                headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_has_a_protocol_code() {
        for error in [
            ApiError::NotFound,
            ApiError::TipNotFound,
            ApiError::MethodNotAllowed,
            ApiError::CrossOrigin,
            ApiError::Unauthorized,
            ApiError::MetricsUnauthorized,
            ApiError::BodyTooLarge,
            ApiError::NotAgeFile,
            ApiError::BrokenAgeHeader,
            ApiError::UnsupportedMediaType,
            ApiError::BadHeader("x"),
            ApiError::BadIdentifier,
            ApiError::ProofOfWorkMissing,
            ApiError::ChallengeInvalid,
            ApiError::ProofOfWorkInvalid,
            ApiError::SubmissionKeyConflict,
            ApiError::StorageFull,
            ApiError::StorageBusy,
            ApiError::RateLimited,
            ApiError::Overloaded,
            ApiError::RequestTimeout,
            ApiError::BodyUnreadable,
            ApiError::MailboxNotFound,
            ApiError::MailboxConflict,
            ApiError::MailboxFull,
            ApiError::LogFull,
            ApiError::BadLogPlace,
            ApiError::BadChallengeVersion,
            ApiError::BadRegistration,
            ApiError::Internal,
            ApiError::NotReady,
        ] {
            let (_, code, _) = error.parts();
            assert_ne!(code, ErrorCode::Unknown);
            assert_eq!(error.into_response().extensions().get(), Some(&code));
        }
    }
}
