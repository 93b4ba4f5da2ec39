//! The team's shared case log: what the coordinators decided about each tip (status, notes,
//! hand-overs, who opened it), for every member of the team.
//!
//! - `POST /api/v1/log`: append an entry (an age file, coordinator token).
//! - `GET /api/v1/log?after=N`: the entries after place `N`, oldest first, a page at a time.
//!
//! Each entry is sealed by the inbox to the whole team and signed inside by the member who wrote
//! it; the relay keeps the sealed bytes and their order, and can neither read an entry nor make
//! one that a member's inbox accepts. It keeps no author: every member's token appends alike.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use fluister_protocol::bodies::{LogAppended, LogEntryOnRelay, LogPage};

use super::extract::{AgeBody, BodyLimit, Coordinator, OctetStream, SentAs};
use super::{AppState, internal};
use crate::error::ApiError;
use crate::settings::Settings;
use crate::storage::{LogOutcome, NewLogEntry, Storage, now_unix, round_down_to_hour};

/// The most entries one page of `GET /api/v1/log` holds.
pub(super) const LOG_PAGE_SIZE: usize = 256;

/// The largest log entry: a status or a note, sealed to a team.
#[derive(Debug)]
pub(super) struct LogEntryLimit;

impl BodyLimit for LogEntryLimit {
    fn limit(_: &Settings) -> usize {
        64 * 1024
    }
}

pub(super) async fn append_entry<S: Storage>(
    State(state): State<AppState<S>>,
    _: Coordinator,
    _: SentAs<OctetStream>,
    AgeBody(body): AgeBody<LogEntryLimit>,
) -> Result<Response, ApiError> {
    let entry = NewLogEntry {
        body_sha256: body.sha256,
        ciphertext: body.bytes,
        received_hour: round_down_to_hour(now_unix()),
    };
    let outcome = state
        .inner
        .storage
        .append_log(entry)
        .await
        .map_err(|error| internal(&error))?;
    match outcome {
        LogOutcome::Appended(sequence) => {
            Ok((StatusCode::CREATED, Json(LogAppended { sequence })).into_response())
        }
        LogOutcome::AlreadyAppended(sequence) => {
            Ok((StatusCode::OK, Json(LogAppended { sequence })).into_response())
        }
        LogOutcome::LogFull => Err(ApiError::LogFull),
    }
}

/// The place after which to list: `after=N` in the query, 0 without one.
fn place_after(query: Option<&str>) -> Result<u64, ApiError> {
    let mut after = 0;
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
    {
        match pair.split_once('=') {
            Some(("after", digits))
                if !digits.is_empty()
                    && digits.len() <= 19
                    && digits.bytes().all(|byte| byte.is_ascii_digit()) =>
            {
                after = digits.parse().map_err(|_| ApiError::BadLogPlace)?;
            }
            _ => return Err(ApiError::BadLogPlace),
        }
    }
    Ok(after)
}

pub(super) async fn list_entries<S: Storage>(
    State(state): State<AppState<S>>,
    _: Coordinator,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let after = place_after(query.as_deref())?;
    // One more than a page, to know whether more follow.
    let mut entries = state
        .inner
        .storage
        .log_entries(after, LOG_PAGE_SIZE + 1)
        .await
        .map_err(|error| internal(&error))?;
    let more = entries.len() > LOG_PAGE_SIZE;
    entries.truncate(LOG_PAGE_SIZE);
    let entries = entries
        .into_iter()
        .map(|entry| LogEntryOnRelay {
            sequence: entry.sequence,
            ciphertext: entry.ciphertext,
        })
        .collect();
    Ok(Json(LogPage { entries, more }).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_place_is_a_whole_number_or_nothing() {
        assert_eq!(place_after(None).unwrap(), 0);
        assert_eq!(place_after(Some("")).unwrap(), 0);
        assert_eq!(place_after(Some("after=17")).unwrap(), 17);
        for bad in [
            "after=",
            "after=-1",
            "after=1e3",
            "after=99999999999999999999",
            "before=3",
            "after=3&x=1",
        ] {
            assert!(place_after(Some(bad)).is_err(), "{bad}");
        }
    }
}
