//! The relay's API as the widget and the inbox use it, on the protocol crate's bodies, ids,
//! header names and error codes. Requests that must be paid for (tips, mailbox registrations,
//! reporters' messages) fetch a challenge and solve its proof of work with the envelope first.

use std::net::SocketAddr;

use fluister_envelope::pow;
use fluister_envelope::receipt::MailboxKeys;
use fluister_protocol::bodies::{ChallengeResponse, Created, MessageList, PublicConfig, TipList};
use fluister_protocol::codec::encode_base64url;
use fluister_protocol::headers;
use fluister_protocol::{MailboxId, TipId};

use crate::http::{self, Response};

/// A proof of work for one body: the challenge's seed and the nonce that solves it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Proof {
    /// The challenge's seed, sent back in `Fluister-Challenge`.
    pub seed: [u8; 32],
    /// The solving nonce, sent in `Fluister-Nonce`.
    pub nonce: u32,
}

/// A client of one relay, with a coordinator token for the coordinator's routes.
#[derive(Clone)]
pub struct Client {
    address: SocketAddr,
    coordinator_token: String,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Client")
            .field("address", &self.address)
            .field("coordinator_token", &"<redacted>")
            .finish()
    }
}

impl Client {
    /// A client of the relay at `address` that uses `coordinator_token` where one is needed.
    pub fn new(address: SocketAddr, coordinator_token: &str) -> Client {
        Client {
            address,
            coordinator_token: coordinator_token.to_owned(),
        }
    }

    /// The relay's address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `http://ADDRESS`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The coordinator token this client uses.
    pub fn coordinator_token(&self) -> &str {
        &self.coordinator_token
    }

    /// Sends any request on a fresh connection.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        http::request(self.address, method, path, headers, body)
    }

    /// [`Client::request`] with the coordinator token (`Authorization: Bearer …`) added.
    pub fn coordinator_request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        let authorization = format!("Bearer {}", self.coordinator_token);
        let mut with_token = vec![("Authorization", authorization.as_str())];
        with_token.extend_from_slice(headers);
        self.request(method, path, &with_token, body)
    }

    /// `GET` with the coordinator token.
    pub fn coordinator_get(&self, path: &str) -> Response {
        self.coordinator_request("GET", path, &[], b"")
    }

    /// Asserts that the relay still answers `GET /healthz` with 200.
    #[track_caller]
    pub fn assert_serving(&self) {
        let response = self.request("GET", "/healthz", &[], b"");
        assert_eq!(
            response.status,
            200,
            "relay stopped serving: {}",
            response.text()
        );
    }

    /// `GET /api/v1/config`.
    pub fn config(&self) -> PublicConfig {
        self.request("GET", "/api/v1/config", &[], b"")
            .expect_status(200)
            .parse()
    }

    /// `POST /api/v1/challenges`: a fresh challenge.
    pub fn challenge_response(&self) -> ChallengeResponse {
        self.request("POST", "/api/v1/challenges", &[], b"")
            .expect_status(201)
            .parse()
    }

    /// A fresh challenge of one puzzle, as the envelope's solver takes it.
    pub fn challenge(&self) -> pow::Challenge {
        solver_challenge(&self.challenge_response())
    }

    /// A fresh challenge split into the relay's number of puzzles (`?version=2`, as the widget
    /// asks), as the envelope's solver takes it.
    pub fn split_challenge(&self) -> pow::Challenge {
        let response: ChallengeResponse = self
            .request("POST", "/api/v1/challenges?version=2", &[], b"")
            .expect_status(201)
            .parse();
        solver_challenge(&response)
    }

    /// A fresh challenge solved honestly for `body`.
    pub fn proof_for(&self, body: &[u8]) -> Proof {
        let challenge = self.challenge();
        let solution =
            pow::solve(&challenge, &pow::ciphertext_sha256(body)).expect("solve the challenge");
        Proof {
            seed: challenge.seed,
            nonce: solution.nonces[0],
        }
    }

    /// Sends a paid request: `headers`, then the proof's two headers.
    pub fn paid_request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        proof: Proof,
    ) -> Response {
        let seed = encode_base64url(&proof.seed);
        let nonce = proof.nonce.to_string();
        let mut all = headers.to_vec();
        all.extend([
            (headers::CHALLENGE, seed.as_str()),
            (headers::NONCE, nonce.as_str()),
        ]);
        self.request(method, path, &all, body)
    }

    /// `POST /api/v1/tips` with the given challenge seed and `Fluister-Nonce` exactly as given
    /// (for split challenges: one nonce per puzzle, separated by commas).
    pub fn submit_with_nonce_header(
        &self,
        body: &[u8],
        submission_key: &[u8; 32],
        seed: &[u8; 32],
        nonce_header: &str,
    ) -> Response {
        let key = encode_base64url(submission_key);
        let seed = encode_base64url(seed);
        self.request(
            "POST",
            "/api/v1/tips",
            &[
                ("Content-Type", "application/octet-stream"),
                (headers::SUBMISSION_KEY, &key),
                (headers::CHALLENGE, &seed),
                (headers::NONCE, nonce_header),
            ],
            body,
        )
    }

    /// `POST /api/v1/tips` with a fresh challenge, solved honestly.
    pub fn submit(&self, body: &[u8], submission_key: &[u8; 32]) -> Response {
        let proof = self.proof_for(body);
        self.submit_with(body, submission_key, &proof.seed, proof.nonce)
    }

    /// `POST /api/v1/tips` with the given challenge seed and nonce.
    pub fn submit_with(
        &self,
        body: &[u8],
        submission_key: &[u8; 32],
        seed: &[u8; 32],
        nonce: u32,
    ) -> Response {
        let key = encode_base64url(submission_key);
        self.paid_request(
            "POST",
            "/api/v1/tips",
            &[
                ("Content-Type", "application/octet-stream"),
                (headers::SUBMISSION_KEY, &key),
            ],
            body,
            Proof { seed: *seed, nonce },
        )
    }

    /// Submits `body` as a new tip (fresh key, honest proof); panics unless the relay stores it
    /// (201). Returns its id.
    #[track_caller]
    pub fn store_tip(&self, body: &[u8]) -> TipId {
        let response = self.submit(body, &crate::fixtures::submission_key());
        response.expect_status(201).parse::<Created<TipId>>().id
    }

    /// The ids of the tips waiting on the relay (`GET /api/v1/tips`).
    pub fn tip_ids(&self) -> Vec<TipId> {
        self.coordinator_get("/api/v1/tips")
            .expect_status(200)
            .parse::<TipList>()
            .tips
            .into_iter()
            .map(|tip| tip.id)
            .collect()
    }

    /// `POST /api/v1/mailboxes` with `body` (a registration, or not), paid honestly.
    pub fn register(&self, body: &[u8]) -> Response {
        let proof = self.proof_for(body);
        self.paid_request(
            "POST",
            "/api/v1/mailboxes",
            &[("Content-Type", "application/json")],
            body,
            proof,
        )
    }

    /// Opens the mailbox of `keys` the way the widget does, in a request of its own.
    pub fn open_mailbox(&self, keys: &MailboxKeys) -> Response {
        self.register(&crate::fixtures::registration_body(keys))
    }

    /// `GET /api/v1/mailboxes/{id}/messages` as a reporter, with this token.
    pub fn reporter_get(&self, mailbox_id: &str, mailbox_token: &str) -> Response {
        self.request(
            "GET",
            &messages_path(mailbox_id),
            &[(headers::MAILBOX_TOKEN, mailbox_token)],
            b"",
        )
    }

    /// The conversation as the reporter of `keys` reads it; panics unless the relay answers 200.
    #[track_caller]
    pub fn reporter_messages(&self, keys: &MailboxKeys) -> MessageList {
        self.reporter_get(keys.mailbox_id.as_str(), &keys.mailbox_token.to_base64url())
            .expect_status(200)
            .parse()
    }

    /// Posts a reporter's sealed message as the widget does: mailbox token, submission key, and
    /// a proof of work over the message.
    pub fn reporter_post(
        &self,
        keys: &MailboxKeys,
        body: &[u8],
        submission_key: &[u8; 32],
    ) -> Response {
        let proof = self.proof_for(body);
        let token = keys.mailbox_token.to_base64url();
        let key = encode_base64url(submission_key);
        self.paid_request(
            "POST",
            &messages_path(keys.mailbox_id.as_str()),
            &[
                (headers::MAILBOX_TOKEN, token.as_str()),
                ("Content-Type", "application/octet-stream"),
                (headers::SUBMISSION_KEY, &key),
            ],
            body,
            proof,
        )
    }

    /// Posts a coordinator's sealed message to a mailbox.
    pub fn coordinator_post(
        &self,
        mailbox_id: &str,
        body: &[u8],
        submission_key: &[u8; 32],
    ) -> Response {
        let key = encode_base64url(submission_key);
        self.coordinator_request(
            "POST",
            &messages_path(mailbox_id),
            &[
                ("Content-Type", "application/octet-stream"),
                (headers::SUBMISSION_KEY, &key),
            ],
            body,
        )
    }

    /// Closes a mailbox as the coordinator (`DELETE /api/v1/mailboxes/{id}`).
    pub fn close_mailbox(&self, mailbox_id: &MailboxId) -> Response {
        self.coordinator_request(
            "DELETE",
            &format!("/api/v1/mailboxes/{mailbox_id}"),
            &[],
            b"",
        )
    }
}

/// `/api/v1/mailboxes/{id}/messages`.
pub fn messages_path(mailbox_id: &str) -> String {
    format!("/api/v1/mailboxes/{mailbox_id}/messages")
}

/// The challenge as the envelope's solver takes it.
fn solver_challenge(response: &ChallengeResponse) -> pow::Challenge {
    pow::Challenge {
        seed: response.seed,
        difficulty: response.difficulty,
        memory_kib: response.memory_kib,
        puzzles: response.puzzles,
    }
}
