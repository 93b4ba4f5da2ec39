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
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fluister_protocol::bodies::{Created, MailboxRegistration, MessageEntry, MessageList};
use fluister_protocol::headers as wire;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{
    AppState, Coordinator, Paid, RequestSlot, check_age_body, header_text, internal, presenter,
    proof_of_work_headers, read_body, require_coordinator, require_media_type, settle,
    submission_key, take_payment,
};
use crate::encoding::decode_base64url;
use crate::error::ApiError;
use crate::sealed;
use crate::storage::{
    MailboxId, MessageAuthor, MessageOutcome, NewMailbox, NewMessage, RegistrationOutcome,
    SECONDS_PER_DAY, Storage, now_unix, round_down_to_day, round_down_to_hour,
};

/// The largest registration body accepted: two hex strings and a little JSON.
const MAX_REGISTRATION_BYTES: usize = 1024;

/// Who is asking, once their credentials checked out.
enum Caller {
    Coordinator,
    Reporter,
}

/// The day a mailbox expires if it is used today: retention counts from the last activity.
fn expiry_day<S: Storage>(state: &AppState<S>) -> i64 {
    round_down_to_day(now_unix())
        + i64::from(state.inner.settings.storage.retention_days) * SECONDS_PER_DAY
}

/// Works out who is calling: the coordinator (bearer token) or the mailbox's reporter (mailbox
/// token). A wrong token, a malformed id and a missing mailbox all end in the same
/// `mailbox_not_found` after the same hash comparison.
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

/// `POST /api/v1/mailboxes`: opens a mailbox, paid for with a proof of work over the body.
pub(super) async fn register_mailbox<S: Storage>(
    State(state): State<AppState<S>>,
    request: Request,
) -> Result<Response, ApiError> {
    let (status, id) = register_mailbox_inner(&state, request).await?;
    Ok((status, Json(Created { id })).into_response())
}

async fn register_mailbox_inner<S: Storage>(
    state: &AppState<S>,
    request: Request,
) -> Result<(StatusCode, MailboxId), ApiError> {
    let slot = request.extensions().get::<RequestSlot>().cloned();
    let headers = request.headers();
    require_media_type(headers, "application/json")?;
    let proof = proof_of_work_headers(headers)?;
    let body = read_body(state, request, MAX_REGISTRATION_BYTES).await?;
    let MailboxRegistration { id, token_sha256 } =
        serde_json::from_slice(&body).map_err(|_| ApiError::BadRegistration)?;

    let storage = &state.inner.storage;
    let body_sha256 = sealed::ciphertext_sha256(&body);
    let presenter = presenter(state, &body_sha256);
    let challenge = match take_payment(state, slot.as_ref(), proof, body_sha256, presenter).await? {
        Paid::Fresh(challenge) => challenge,
        // A retried registration whose first try used this challenge: answer from the relay's
        // state, without opening anything new.
        Paid::Retry => {
            let existing = storage
                .mailbox_token_sha256(id, round_down_to_day(now_unix()))
                .await
                .map_err(|error| internal(&error))?;
            return match existing {
                Some(existing) if existing == token_sha256 => Ok((StatusCode::OK, id)),
                _ => Err(ApiError::ChallengeInvalid),
            };
        }
    };
    let registered = storage
        .register_mailbox(NewMailbox {
            id,
            token_sha256,
            expires_day: expiry_day(state),
        })
        .await;
    settle(state, &challenge, presenter, &registered);
    match registered.map_err(|error| internal(&error))? {
        RegistrationOutcome::Created => Ok((StatusCode::CREATED, id)),
        RegistrationOutcome::AlreadyRegistered => Ok((StatusCode::OK, id)),
        RegistrationOutcome::Conflict => Err(ApiError::MailboxConflict),
    }
}

/// `GET /api/v1/mailboxes/{id}/messages`: the whole conversation, oldest first.
pub(super) async fn list_messages<S: Storage>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (caller, id) = authenticate(&state, &headers, &id).await?;
    // Only a reader holding this mailbox's token spends its budget.
    if matches!(caller, Caller::Reporter) && !state.inner.mailbox_reads.try_take(&id.0) {
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
    Path(id): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let (status, message_id) = post_message_inner(&state, &id, request).await?;
    Ok((status, Json(Created { id: message_id })).into_response())
}

async fn post_message_inner<S: Storage>(
    state: &AppState<S>,
    mailbox_id_text: &str,
    request: Request,
) -> Result<(StatusCode, crate::storage::MessageId), ApiError> {
    let slot = request.extensions().get::<RequestSlot>().cloned();
    let headers = request.headers();
    let (caller, mailbox_id) = authenticate(state, headers, mailbox_id_text).await?;
    require_media_type(headers, "application/octet-stream")?;
    let submission_key = submission_key(headers)?;
    let proof = match caller {
        Caller::Reporter => Some(proof_of_work_headers(headers)?),
        Caller::Coordinator => None,
    };
    let limit = state.inner.settings.limits.max_message_bytes;
    let body = read_body(state, request, limit).await?;
    check_age_body(&body)?;
    let body_sha256 = sealed::ciphertext_sha256(&body);
    let submission_key_sha256: [u8; 32] = Sha256::digest(submission_key).into();
    let storage = &state.inner.storage;
    let presenter = presenter(state, &submission_key_sha256);
    let mut challenge = None;
    if let Some(proof) = proof {
        match take_payment(state, slot.as_ref(), proof, body_sha256, presenter).await? {
            Paid::Fresh(fresh) => challenge = Some(fresh),
            // A retried post whose first try used this challenge: answered from what that try
            // stored, never by storing anything new.
            Paid::Retry => {
                let previous = storage
                    .find_message_submission(submission_key_sha256)
                    .await
                    .map_err(|error| internal(&error))?;
                return match previous {
                    Some(previous) if previous.body_sha256 == body_sha256 => {
                        Ok((StatusCode::OK, previous.message_id))
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
            mailbox_id,
            author,
            submission_key_sha256,
            body_sha256,
            ciphertext: body,
            received_hour: round_down_to_hour(now_unix()),
            expires_day: expiry_day(state),
            max_messages_per_mailbox: state.inner.settings.limits.max_messages_per_mailbox,
        })
        .await;
    if let Some(challenge) = &challenge {
        settle(state, challenge, presenter, &stored);
    }
    match stored.map_err(|error| internal(&error))? {
        MessageOutcome::Stored(id) => Ok((StatusCode::CREATED, id)),
        MessageOutcome::AlreadyStored(id) => Ok((StatusCode::OK, id)),
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
