//! The relay's refusals: one JSON shape, with a stable code clients match on and a message for
//! people.
//!
//! ```json
//! {"error": {"code": "challenge_invalid", "message": "This challenge is unknown, …"}}
//! ```

use serde::{Deserialize, Serialize};

macro_rules! error_codes {
    ($($(#[$documentation:meta])* $variant:ident = $code:literal,)*) => {
        /// Every code the relay answers a refusal with. A client reading a code this version does
        /// not know gets [`ErrorCode::Unknown`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $(
                $(#[$documentation])*
                #[serde(rename = $code)]
                $variant,
            )*
            /// A code from a newer relay.
            #[serde(other, skip_serializing)]
            Unknown,
        }

        impl ErrorCode {
            /// Every code the relay can send, in a stable order.
            pub const ALL: &[ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as it appears in JSON.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                    ErrorCode::Unknown => "unknown",
                }
            }

            /// Reads a code as it appears in JSON; [`ErrorCode::Unknown`] for any other word.
            pub fn from_word(word: &str) -> ErrorCode {
                match word {
                    $($code => ErrorCode::$variant,)*
                    _ => ErrorCode::Unknown,
                }
            }
        }
    };
}

error_codes! {
    /// No such route.
    NotFound = "not_found",
    /// No such tip (or it was deleted), or a malformed tip id.
    TipNotFound = "tip_not_found",
    /// The route exists, but not for this method.
    MethodNotAllowed = "method_not_allowed",
    /// A browser request from another origin.
    CrossOrigin = "cross_origin",
    /// No valid coordinator token.
    Unauthorized = "unauthorized",
    /// The body is larger than the route accepts.
    BodyTooLarge = "body_too_large",
    /// The body is not an age v1 file.
    NotAgeFile = "not_age_file",
    /// The body's age header is malformed or too large.
    BrokenAgeHeader = "broken_age_header",
    /// The `Content-Type` is not the one the route takes.
    UnsupportedMediaType = "unsupported_media_type",
    /// A required header is missing or malformed; the message names it.
    BadHeader = "bad_header",
    /// The proof-of-work headers are missing.
    ProofOfWorkMissing = "proof_of_work_missing",
    /// The challenge was not made by this relay, expired, or was used: fetch a new one.
    ChallengeInvalid = "challenge_invalid",
    /// The nonce does not solve the challenge for this body.
    ProofOfWorkInvalid = "proof_of_work_invalid",
    /// The submission key was used before with another body.
    SubmissionKeyConflict = "submission_key_conflict",
    /// The storage quota is full.
    StorageFull = "storage_full",
    /// This hour's share of the storage quota is taken.
    StorageBusy = "storage_busy",
    /// A budget is spent: verified submissions, or one mailbox's reads.
    RateLimited = "rate_limited",
    /// Too many requests at once, or too many challenges in use.
    Overloaded = "overloaded",
    /// The request took too long.
    RequestTimeout = "request_timeout",
    /// The body could not be read completely.
    BodyUnreadable = "body_unreadable",
    /// No mailbox answers to this id and token (missing, expired, or a wrong token: one answer).
    MailboxNotFound = "mailbox_not_found",
    /// A mailbox with this id exists with another token.
    MailboxConflict = "mailbox_conflict",
    /// The mailbox holds as many messages as it may.
    MailboxFull = "mailbox_full",
    /// The mailbox registration is not the JSON the API takes.
    BadRegistration = "bad_registration",
    /// The team log holds as many entries as it may.
    LogFull = "log_full",
    /// `after` in a team log request is not a whole number.
    BadLogPlace = "bad_log_place",
    /// A challenge was asked for with a query other than `version=1` or `version=2`.
    BadChallengeVersion = "bad_challenge_version",
    /// The relay failed; nothing was stored.
    Internal = "internal",
    /// The relay cannot write to its storage now (`GET /readyz`): send it no traffic yet.
    NotReady = "not_ready",
}

impl ErrorCode {
    /// Whether trying the same request again later can succeed: the relay was busy, full for
    /// the hour, or failed, rather than refusing the request itself.
    pub fn is_temporary(self) -> bool {
        matches!(
            self,
            ErrorCode::RateLimited
                | ErrorCode::Overloaded
                | ErrorCode::StorageBusy
                | ErrorCode::RequestTimeout
                | ErrorCode::Internal
                | ErrorCode::NotReady
        )
    }
}

impl core::fmt::Display for ErrorCode {
    fn fmt(&self, formatter: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// The body of every refusal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// The code and the message of a refusal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// The stable code to match on.
    pub code: ErrorCode,
    /// Plain English for a person; never matched on.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_their_json_words_and_unknown_ones_are_read() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_word(code.as_str()), *code);
            let json = serde_json::to_string(code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), *code);
        }
        assert_eq!(
            serde_json::from_str::<ErrorCode>("\"from_a_newer_relay\"").unwrap(),
            ErrorCode::Unknown
        );
        assert_eq!(
            ErrorCode::from_word("from_a_newer_relay"),
            ErrorCode::Unknown
        );
        let body: ErrorBody = serde_json::from_str(
            r#"{"error":{"code":"rate_limited","message":"Try again in a minute."}}"#,
        )
        .unwrap();
        assert_eq!(body.error.code, ErrorCode::RateLimited);
        assert!(body.error.code.is_temporary());
    }
}
