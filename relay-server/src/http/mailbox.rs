//! The anonymous mailbox: the coordinator asks, the reporter answers, nobody is identified.
//!
//! A reporter's widget derives a mailbox id and an access token from the receipt code and opens
//! the mailbox in a request of its own, apart from the tip, so the relay cannot tell which tip a
//! mailbox belongs to. Only the coordinator can: the tip, sealed to them, names the mailbox.
//!
//! - `POST /api/v1/mailboxes`: open a mailbox (JSON id and token hash, with proof of work).
//! - `GET /api/v1/mailboxes/{id}/messages`: the conversation, for the reporter (mailbox token)
//!   or the coordinator (bearer token).
//! - `POST /api/v1/mailboxes/{id}/messages`: a sealed message from either side; the reporter
//!   pays with proof of work, the coordinator with their token.
//! - `DELETE /api/v1/mailboxes/{id}`: the coordinator closes a mailbox.
//!
//! A wrong token and a missing mailbox get the same answer after the same work. Guessing is
//! hopeless against a receipt code's 115 random bits, so wrong guesses draw from no budget (a
//! shared budget is what one client could spend for everyone); reads with the right token draw
//! from that mailbox's own budget, and posts pay with proof of work like tips.

use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fluister_protocol::bodies::{Created, MailboxRegistration, MessageEntry, MessageList};
use fluister_protocol::headers as wire;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::extract::{
    AgeBody, Body, Coordinator, JsonDocument, MessageLimit, OctetStream, Payment,
    RegistrationLimit, SentAs, SubmissionKey, header_text, require_coordinator,
};
use super::{AppState, Paid, internal, presenter, settle};
use crate::encoding::decode_base64url;
use crate::error::ApiError;
use crate::storage::{
    MailboxId, MessageAuthor, MessageOutcome, NewMailbox, NewMessage, RegistrationOutcome,
    SECONDS_PER_DAY, Storage, now_unix, round_down_to_day, round_down_to_hour,
};

/// Who is asking, once their credentials checked out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Caller {
    Coordinator,
    Reporter,
}

/// The day a mailbox expires if it is used today: retention counts from the last activity.
fn expiry_day<S: Storage>(state: &AppState<S>) -> i64 {
    round_down_to_day(now_unix())
        + i64::from(state.inner.settings.storage.retention_days) * SECONDS_PER_DAY
}

/// The mailbox named in the path, and who may use it: the coordinator (bearer token) or the
/// mailbox's reporter (mailbox token). A wrong token, a malformed id and a missing mailbox all
/// end in the same `mailbox_not_found` after the same hash comparison.
///
/// It leaves the caller in the request's extensions for [`ReporterPayment`].
#[derive(Debug)]
pub(super) struct MailboxAccess {
    caller: Caller,
    id: MailboxId,
}

impl<S: Storage> FromRequestParts<AppState<S>> for MailboxAccess {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState<S>) -> Result<Self, ApiError> {
        let Path(id_text) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::MailboxNotFound)?;
        let (caller, id) = authenticate(state, &parts.headers, &id_text).await?;
        parts.extensions.insert(caller);
        Ok(Self { caller, id })
    }
}

async fn authenticate<S: Storage>(
    state: &AppState<S>,
    headers: &HeaderMap,
    mailbox_id_text: &str,
) -> Result<(Caller, MailboxId), ApiError> {
    if headers.contains_key(header::AUTHORIZATION) {
        require_coordinator(state, headers)?;
        let id = MailboxId::parse(mailbox_id_text).ok_or(ApiError::MailboxNotFound)?;
        // The coordinator learns whether a mailbox still exists: a closed or expired one must
        // not look like an open mailbox without messages.
        let exists = state
            .inner
            .storage
            .mailbox_token_sha256(id, round_down_to_day(now_unix()))
            .await
            .map_err(|error| internal(&error))?
            .is_some();
        if !exists {
            return Err(ApiError::MailboxNotFound);
        }
        return Ok((Caller::Coordinator, id));
    }
    let token_text = header_text(headers, wire::MAILBOX_TOKEN).ok_or(ApiError::BadHeader(
        "Send the mailbox access token in the `Fluister-Mailbox-Token` header.",
    ))?;
    let presented: [u8; 32] = decode_base64url(token_text).unwrap_or([0; 32]);
    let presented_sha256: [u8; 32] = Sha256::digest(presented).into();
    let id = MailboxId::parse(mailbox_id_text);
    let stored = match id {
        Some(id) => state
            .inner
            .storage
            .mailbox_token_sha256(id, round_down_to_day(now_unix()))
            .await
            .map_err(|error| internal(&error))?,
        None => None,
    };
    // Compare against a stand-in when there is no mailbox, so both cases take the same path.
    let expected = stored.unwrap_or(state.inner.missing_mailbox_stand_in);
    let matches = bool::from(expected.ct_eq(&presented_sha256)) && stored.is_some();
    match id {
        Some(id) if matches => Ok((Caller::Reporter, id)),
        _ => Err(ApiError::MailboxNotFound),
    }
}

/// The proof of work a reporter's post pays with; the coordinator pays with their token, so
/// their posts carry none. Reads the caller [`MailboxAccess`] left, so it must come after it.
#[derive(Debug)]
pub(super) struct ReporterPayment(Option<Payment>);

impl<S: Storage> FromRequestParts<AppState<S>> for ReporterPayment {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState<S>) -> Result<Self, ApiError> {
        match parts.extensions.get::<Caller>() {
            Some(Caller::Coordinator) => Ok(Self(None)),
            Some(Caller::Reporter) => Payment::from_request_parts(parts, state)
                .await
                .map(|payment| Self(Some(payment))),
            None => Err(ApiError::Internal),
        }
    }
}

/// `POST /api/v1/mailboxes`: opens a mailbox, paid for with a proof of work over the body.
pub(super) async fn register_mailbox<S: Storage>(
    State(state): State<AppState<S>>,
    _: SentAs<JsonDocument>,
    payment: Payment,
    body: Body<RegistrationLimit>,
) -> Result<Response, ApiError> {
    let MailboxRegistration { id, token_sha256 } =
        serde_json::from_slice(&body.bytes).map_err(|_| ApiError::BadRegistration)?;
    let storage = &state.inner.storage;
    let presenter = presenter(&state, &body.sha256);
    let challenge = match payment.pay(&state, body.sha256, presenter).await? {
        Paid::Fresh(challenge) => challenge,
        // A retried registration whose first try used this challenge: answer from the relay's
        // state, without opening anything new.
        Paid::Retry => {
            let existing = storage
                .mailbox_token_sha256(id, round_down_to_day(now_unix()))
                .await
                .map_err(|error| internal(&error))?;
            return match existing {
                Some(existing) if existing == token_sha256 => Ok(created(StatusCode::OK, id)),
                _ => Err(ApiError::ChallengeInvalid),
            };
        }
    };
    let registered = storage
        .register_mailbox(NewMailbox {
            id,
            token_sha256,
            expires_day: expiry_day(&state),
        })
        .await;
    settle(&state, &challenge, presenter, &registered).await;
    match registered.map_err(|error| internal(&error))? {
        RegistrationOutcome::Created => Ok(created(StatusCode::CREATED, id)),
        RegistrationOutcome::AlreadyRegistered => Ok(created(StatusCode::OK, id)),
        RegistrationOutcome::Conflict => Err(ApiError::MailboxConflict),
    }
}

/// A `201 Created` (or `200` for a retry) naming what was made.
fn created<Id: serde::Serialize>(status: StatusCode, id: Id) -> Response {
    (status, Json(Created { id })).into_response()
}

/// `GET /api/v1/mailboxes/{id}/messages`: the whole conversation, oldest first.
pub(super) async fn list_messages<S: Storage>(
    State(state): State<AppState<S>>,
    MailboxAccess { caller, id }: MailboxAccess,
) -> Result<Response, ApiError> {
    // Only a reader holding this mailbox's token spends its budget.
    if caller == Caller::Reporter && !state.inner.mailbox_reads.try_take(&id.0) {
        return Err(ApiError::RateLimited);
    }
    let messages = state
        .inner
        .storage
        .messages(id)
        .await
        .map_err(|error| internal(&error))?
        .into_iter()
        .map(|message| MessageEntry {
            id: message.id,
            author: message.author,
            received_hour: u64::try_from(message.received_hour).unwrap_or(0),
            ciphertext: message.ciphertext,
        })
        .collect();
    Ok(Json(MessageList { messages }).into_response())
}

/// `POST /api/v1/mailboxes/{id}/messages`: a sealed message from the coordinator or the reporter.
pub(super) async fn post_message<S: Storage>(
    State(state): State<AppState<S>>,
    MailboxAccess { caller, id }: MailboxAccess,
    _: SentAs<OctetStream>,
    submission_key: SubmissionKey,
    ReporterPayment(payment): ReporterPayment,
    AgeBody(body): AgeBody<MessageLimit>,
) -> Result<Response, ApiError> {
    let storage = &state.inner.storage;
    let presenter = presenter(&state, &submission_key.sha256);
    let mut challenge = None;
    if let Some(payment) = payment {
        match payment.pay(&state, body.sha256, presenter).await? {
            Paid::Fresh(fresh) => challenge = Some(fresh),
            // A retried post whose first try used this challenge: answered from what that try
            // stored, never by storing anything new.
            Paid::Retry => {
                let previous = storage
                    .find_message_submission(submission_key.sha256)
                    .await
                    .map_err(|error| internal(&error))?;
                return match previous {
                    Some(previous) if previous.body_sha256 == body.sha256 => {
                        Ok(created(StatusCode::OK, previous.message_id))
                    }
                    Some(_) => Err(ApiError::SubmissionKeyConflict),
                    None => Err(ApiError::ChallengeInvalid),
                };
            }
        }
    }
    let author = match caller {
        Caller::Coordinator => MessageAuthor::Coordinator,
        Caller::Reporter => MessageAuthor::Reporter,
    };
    let stored = storage
        .store_message(NewMessage {
            mailbox_id: id,
            author,
            submission_key_sha256: submission_key.sha256,
            body_sha256: body.sha256,
            ciphertext: body.bytes,
            received_hour: round_down_to_hour(now_unix()),
            expires_day: expiry_day(&state),
            max_messages_per_mailbox: state.inner.settings.limits.max_messages_per_mailbox,
        })
        .await;
    if let Some(challenge) = &challenge {
        settle(&state, challenge, presenter, &stored).await;
    }
    match stored.map_err(|error| internal(&error))? {
        MessageOutcome::Stored(id) => {
            if author == MessageAuthor::Reporter {
                state.arrivals().something_new();
            }
            Ok(created(StatusCode::CREATED, id))
        }
        MessageOutcome::AlreadyStored(id) => Ok(created(StatusCode::OK, id)),
        MessageOutcome::SubmissionKeyConflict => Err(ApiError::SubmissionKeyConflict),
        MessageOutcome::MailboxNotFound => Err(ApiError::MailboxNotFound),
        MessageOutcome::MailboxFull => Err(ApiError::MailboxFull),
        MessageOutcome::StorageFull => Err(ApiError::StorageFull),
        MessageOutcome::HourlyLimitReached => Err(ApiError::StorageBusy),
    }
}

/// `DELETE /api/v1/mailboxes/{id}`: the coordinator closes a mailbox and its messages for good.
pub(super) async fn delete_mailbox<S: Storage>(
    State(state): State<AppState<S>>,
    _: Coordinator,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = MailboxId::parse(&id).ok_or(ApiError::MailboxNotFound)?;
    let deleted = state
        .inner
        .storage
        .delete_mailbox(id)
        .await
        .map_err(|error| internal(&error))?;
    if deleted {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::MailboxNotFound)
    }
}
