//! One reporter's secrets for as long as the worker lives: the receipt code and the keys derived
//! from it, and what is sealed or opened with them. Plain Rust, no browser.

use fluister_envelope::age::{self, Recipient};
use fluister_envelope::message::MailboxMessage;
use fluister_envelope::pow::ciphertext_sha256;
use fluister_envelope::receipt::{MailboxKeys, ReceiptCode};
use fluister_envelope::tip::{ReplyInfo, TipDocument};
use fluister_protocol::MessageAuthor;
use fluister_protocol::bodies::{MailboxRegistration, MessageList};
use zeroize::Zeroizing;

use crate::json;

/// The most messages of one conversation the worker opens; the relay's own limit is lower.
pub const MAX_MESSAGES: usize = 500;

pub use fluister_protocol::worker::{CaseStatus, Failure, OpenedMessage, SealedFile};

/// The receipt code and its keys, once prepared (for a new tip) or unlocked (typed back in).
/// Its `Debug` form shows neither.
#[derive(Debug, Default)]
pub struct Session {
    receipt: Option<ReceiptCode>,
    keys: Option<MailboxKeys>,
}

impl Session {
    /// A session without keys.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes a fresh receipt code for the next tip and derives its keys (Argon2id, about a
    /// second in a browser).
    pub fn prepare_receipt(&mut self) -> Result<(), Failure> {
        let receipt = ReceiptCode::generate().map_err(|_| Failure::Crypto)?;
        let keys = receipt.derive_keys().map_err(|_| Failure::Crypto)?;
        self.receipt = Some(receipt);
        self.keys = Some(keys);
        Ok(())
    }

    /// Reads a receipt code as the reporter typed it and derives its keys. A typo fails at once,
    /// before any slow work.
    pub fn unlock(&mut self, typed: &str) -> Result<(), Failure> {
        self.forget();
        let receipt = ReceiptCode::parse(typed).map_err(|_| Failure::Typo)?;
        let keys = receipt.derive_keys().map_err(|_| Failure::Crypto)?;
        self.receipt = Some(receipt);
        self.keys = Some(keys);
        Ok(())
    }

    /// The receipt code, grouped for writing down.
    pub fn receipt_code(&self) -> Result<Zeroizing<String>, Failure> {
        self.receipt
            .as_ref()
            .map(ReceiptCode::to_grouped_string)
            .ok_or(Failure::NoKeys)
    }

    /// The mailbox id: public, it names the mailbox on the relay.
    pub fn mailbox_id(&self) -> Result<String, Failure> {
        Ok(self.keys()?.mailbox_id.as_str().to_owned())
    }

    /// The mailbox token for `Fluister-Mailbox-Token`.
    pub fn mailbox_token(&self) -> Result<Zeroizing<String>, Failure> {
        Ok(self.keys()?.mailbox_token.to_base64url())
    }

    /// The body of `POST /api/v1/mailboxes`: the id and the SHA-256 of the token, nothing else.
    pub fn registration_body(&self) -> Result<Vec<u8>, Failure> {
        let keys = self.keys()?;
        let registration = MailboxRegistration {
            id: fluister_protocol::MailboxId::parse(keys.mailbox_id.as_str())
                .ok_or(Failure::Crypto)?,
            token_sha256: keys.mailbox_token.storage_hash(),
        };
        serde_json::to_vec(&registration).map_err(|_| Failure::Crypto)
    }

    /// Seals the tip document the form built (JSON, unpadded) to the coordinator recipients,
    /// with the reply information of this session's keys added, padded.
    pub fn seal_tip(
        &self,
        document_json: &[u8],
        recipients: &[String],
    ) -> Result<SealedFile, Failure> {
        let keys = self.keys()?;
        let recipients = parse_recipients(recipients)?;
        let mut document = TipDocument::from_bytes_with(document_json, json::parse)
            .map_err(|_| Failure::InvalidInput)?;
        // The reply key is of the coordinators' kind, so that the conversation's messages can
        // be sealed to both (age does not mix hybrid and X25519 recipients in one file).
        document.reply = Some(ReplyInfo::from_mailbox_keys(
            keys,
            all_post_quantum(&recipients),
        ));
        let padded = Zeroizing::new(
            document
                .to_padded_bytes()
                .map_err(|_| Failure::InvalidInput)?,
        );
        seal(&recipients, &padded)
    }

    /// Seals the reporter's answer to the coordinator recipients and to the reporter's own reply
    /// recipient of the same kind (hybrid or X25519), so that the code can show it again later.
    pub fn seal_answer(&self, text: &str, recipients: &[String]) -> Result<SealedFile, Failure> {
        let keys = self.keys()?;
        let mut recipients = parse_recipients(recipients)?;
        let own = keys.reply_identity_for(all_post_quantum(&recipients));
        recipients.push(own.to_recipient());
        // Authenticated with the code's answer key, so the relay cannot answer in the
        // reporter's name (the coordinators read the key in the sealed tip).
        let ciphertext = fluister_envelope::message::seal_answer_message(text, keys, &recipients)
            .map_err(|error| match error {
            fluister_envelope::Error::InvalidDocument | fluister_envelope::Error::TooLarge => {
                Failure::InvalidInput
            }
            _ => Failure::Crypto,
        })?;
        let mut submission_key = [0u8; 32];
        getrandom::fill(&mut submission_key).map_err(|_| Failure::Crypto)?;
        Ok(SealedFile {
            sha256: ciphertext_sha256(&ciphertext),
            ciphertext,
            submission_key: fluister_protocol::codec::encode_base64url(&submission_key),
        })
    }

    /// Opens the conversation as the relay sent it, oldest first. A message this code's key
    /// cannot open (or that is not a valid message) is kept, without text, so the page can say so.
    /// A status counts only in the coordinator's messages: the relay records who posted each
    /// one, and a status in a message posted with the mailbox token is not the coordinator's.
    pub fn open_conversation(&self, relay_json: &str) -> Result<Vec<OpenedMessage>, Failure> {
        let keys = self.keys()?;
        let conversation: MessageList = json::parse(relay_json).ok_or(Failure::InvalidInput)?;
        if conversation.messages.len() > MAX_MESSAGES {
            return Err(Failure::InvalidInput);
        }
        // Both reply keys: a conversation is hybrid or X25519 as the coordinators' keys were.
        let identities = keys.reply_identities();
        Ok(conversation
            .messages
            .into_iter()
            .map(|message| {
                let opened = age::open(&identities, &message.ciphertext)
                    .ok()
                    .map(Zeroizing::new)
                    .and_then(|plaintext| {
                        MailboxMessage::from_bytes_with(&plaintext, json::parse).ok()
                    });
                let status = opened
                    .as_ref()
                    .and_then(|opened| opened.status)
                    .filter(|_| message.author == MessageAuthor::Coordinator);
                OpenedMessage {
                    author: message.author,
                    received_hour: message.received_hour,
                    text: opened.map(|opened| opened.text),
                    status,
                }
            })
            .collect())
    }

    /// Forgets the code and its keys (they wipe themselves when dropped).
    pub fn forget(&mut self) {
        self.receipt = None;
        self.keys = None;
    }

    fn keys(&self) -> Result<&MailboxKeys, Failure> {
        self.keys.as_ref().ok_or(Failure::NoKeys)
    }
}

/// Whether the coordinators' recipients are hybrid post-quantum ones (a set is one kind or the
/// other; a mixed set fails to seal).
fn all_post_quantum(recipients: &[Recipient]) -> bool {
    !recipients.is_empty() && recipients.iter().all(Recipient::is_post_quantum)
}

/// Parses the relay's recipients; every one must be valid, or sealing would silently drop one.
fn parse_recipients(recipients: &[String]) -> Result<Vec<Recipient>, Failure> {
    if recipients.is_empty() {
        return Err(Failure::NoRecipients);
    }
    recipients
        .iter()
        .map(|text| text.parse().map_err(|_| Failure::NoRecipients))
        .collect()
}

fn seal(recipients: &[Recipient], padded: &[u8]) -> Result<SealedFile, Failure> {
    let ciphertext = age::seal(recipients, padded).map_err(|_| Failure::Crypto)?;
    let mut key_bytes = [0u8; 32];
    getrandom::fill(&mut key_bytes).map_err(|_| Failure::Crypto)?;
    Ok(SealedFile {
        sha256: ciphertext_sha256(&ciphertext),
        ciphertext,
        submission_key: fluister_protocol::codec::encode_base64url(&key_bytes),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use fluister_envelope::age::Identity;
    use fluister_envelope::message;
    use fluister_envelope::receipt::MailboxToken;
    use fluister_protocol::codec::{encode_base64url, encode_hex};

    fn coordinator() -> (Identity, Vec<String>) {
        let identity = Identity::generate().unwrap();
        let recipients = vec![identity.to_recipient().to_string()];
        (identity, recipients)
    }

    #[test]
    fn a_sealed_tip_carries_the_reply_information_and_no_plaintext() {
        let (coordinator, recipients) = coordinator();
        let mut session = Session::new();
        session.prepare_receipt().unwrap();
        let document = br#"{"v":1,"text":"A secret sentence about the farm","place":"Rolderweg"}"#;
        let sealed = session.seal_tip(document, &recipients).unwrap();
        let as_text = String::from_utf8_lossy(&sealed.ciphertext);
        assert!(as_text.starts_with("age-encryption.org/v1\n"));
        assert!(!as_text.contains("secret sentence") && !as_text.contains("Rolderweg"));
        assert_eq!(sealed.sha256, ciphertext_sha256(&sealed.ciphertext));
        assert_eq!(sealed.submission_key.len(), 43);

        let opened =
            TipDocument::from_bytes(&age::open(&[coordinator], &sealed.ciphertext).unwrap())
                .unwrap();
        assert_eq!(opened.text, "A secret sentence about the farm");
        let reply = opened.reply.unwrap();
        assert_eq!(reply.mailbox, session.mailbox_id().unwrap());

        // Typing the code back in gives the same keys: the coordinator's reply opens.
        let code = session.receipt_code().unwrap();
        let mut again = Session::new();
        again.unlock(&code.to_lowercase().replace(' ', "")).unwrap();
        assert_eq!(again.mailbox_id().unwrap(), reply.mailbox);
        assert_eq!(
            *again.mailbox_token().unwrap(),
            *session.mailbox_token().unwrap()
        );
        let question = age::seal(
            &[reply.recipient().unwrap()],
            &MailboxMessage::new("Which address?")
                .to_padded_bytes()
                .unwrap(),
        )
        .unwrap();
        let relay_json = format!(
            r#"{{"messages":[{{"id":"00000000000000000000000000000001","author":"coordinator","received_hour":1764313200,"ciphertext":"{}"}}]}}"#,
            encode_base64url(&question)
        );
        let opened = again.open_conversation(&relay_json).unwrap();
        assert_eq!(
            opened,
            [OpenedMessage {
                author: MessageAuthor::Coordinator,
                received_hour: 1_764_313_200,
                text: Some("Which address?".into()),
                status: None,
            }]
        );
    }

    #[test]
    fn an_answer_opens_for_the_coordinator_and_for_the_reporter() {
        let (coordinator, recipients) = coordinator();
        let mut session = Session::new();
        session.prepare_receipt().unwrap();
        let sealed = session
            .seal_answer("  At the back of the farm. ", &recipients)
            .unwrap();
        let for_coordinator =
            MailboxMessage::from_bytes(&age::open(&[coordinator], &sealed.ciphertext).unwrap())
                .unwrap();
        assert_eq!(for_coordinator.text, "At the back of the farm.");
        let keys = session.keys().unwrap();
        assert!(
            for_coordinator.is_authentic_answer(&keys.answer_key, keys.mailbox_id.as_str()),
            "the answer carries the code's authentication"
        );
        let relay_json = format!(
            r#"{{"messages":[{{"id":"00000000000000000000000000000002","author":"reporter","received_hour":0,"ciphertext":"{}"}},
                {{"id":"00000000000000000000000000000003","author":"coordinator","received_hour":3600,"ciphertext":"bm90IGFnZQ"}}]}}"#,
            encode_base64url(&sealed.ciphertext)
        );
        let opened = session.open_conversation(&relay_json).unwrap();
        assert_eq!(opened[0].text.as_deref(), Some("At the back of the farm."));
        // Not an age file: kept, without text.
        assert_eq!(opened[1].text, None);
        assert_eq!(opened[1].author, MessageAuthor::Coordinator);
    }

    #[test]
    fn with_hybrid_coordinators_the_whole_conversation_is_hybrid() {
        let coordinator = Identity::generate_hybrid().unwrap();
        let recipients = vec![coordinator.to_recipient().to_string()];
        let mut session = Session::new();
        session.prepare_receipt().unwrap();
        let tip = session
            .seal_tip(br#"{"v":1,"text":"About the farm"}"#, &recipients)
            .unwrap();
        let opened = TipDocument::from_bytes(
            &age::open(std::slice::from_ref(&coordinator), &tip.ciphertext).unwrap(),
        )
        .unwrap();
        // The tip names the hybrid reply key, so a reply can be sealed to it and the
        // coordinators together (a mixed file is refused).
        let reporter = opened.reply.unwrap().recipient().unwrap();
        assert!(reporter.is_post_quantum());
        let reply =
            message::seal_message("Which farm?", &[reporter, coordinator.to_recipient()]).unwrap();
        let answer = session
            .seal_answer("The one by the road.", &recipients)
            .unwrap();
        for sealed in [&reply, &answer.ciphertext] {
            let header = age::Header::parse(sealed).unwrap().0;
            assert!(header.stanza_types().all(|kind| kind == "mlkem768x25519"));
        }
        MailboxMessage::from_bytes(&age::open(&[coordinator], &answer.ciphertext).unwrap())
            .unwrap();
        // A code typed back in opens both, and an X25519 conversation from before as well.
        let mut again = Session::new();
        again.unlock(&session.receipt_code().unwrap()).unwrap();
        let old = message::seal_message(
            "From before",
            &[session.keys().unwrap().reply_identity.to_recipient()],
        )
        .unwrap();
        let texts: Vec<Option<String>> = again
            .open_conversation(&relay_list(&[
                ("coordinator", &old),
                ("coordinator", &reply),
                ("reporter", &answer.ciphertext),
            ]))
            .unwrap()
            .into_iter()
            .map(|message| message.text)
            .collect();
        assert_eq!(
            texts,
            [
                Some("From before".to_owned()),
                Some("Which farm?".to_owned()),
                Some("The one by the road.".to_owned())
            ]
        );
    }

    /// The relay's JSON for these messages, one per `(author, sealed file)`, an hour apart.
    fn relay_list(messages: &[(&str, &[u8])]) -> String {
        let items: Vec<String> = messages
            .iter()
            .enumerate()
            .map(|(index, (author, ciphertext))| {
                format!(
                    r#"{{"id":"{:032x}","author":"{author}","received_hour":{},"ciphertext":"{}"}}"#,
                    index + 1,
                    3600 * index,
                    encode_base64url(ciphertext)
                )
            })
            .collect();
        format!(r#"{{"messages":[{}]}}"#, items.join(","))
    }

    #[test]
    fn a_coordinators_status_reaches_the_page_with_or_without_a_text() {
        let mut session = Session::new();
        session.prepare_receipt().unwrap();
        let reporter = [session.keys().unwrap().reply_identity.to_recipient()];
        let read = message::seal_status_message(message::CaseStatus::Read, "", &reporter).unwrap();
        let handed_over = message::seal_status_message(
            message::CaseStatus::HandedOver,
            " We passed it on. ",
            &reporter,
        )
        .unwrap();
        let opened = session
            .open_conversation(&relay_list(&[
                ("coordinator", &read),
                ("coordinator", &handed_over),
            ]))
            .unwrap();
        assert_eq!(opened[0].status, Some(CaseStatus::Read));
        assert_eq!(opened[0].text.as_deref(), Some(""));
        assert_eq!(opened[1].status, Some(CaseStatus::HandedOver));
        assert_eq!(opened[1].text.as_deref(), Some("We passed it on."));
    }

    #[test]
    fn a_status_in_a_message_posted_with_the_mailbox_token_is_not_shown() {
        let mut session = Session::new();
        session.prepare_receipt().unwrap();
        let reporter = [session.keys().unwrap().reply_identity.to_recipient()];
        let closed =
            message::seal_status_message(message::CaseStatus::Closed, "Closed.", &reporter)
                .unwrap();
        let opened = session
            .open_conversation(&relay_list(&[("reporter", &closed)]))
            .unwrap();
        assert_eq!(opened[0].status, None);
        assert_eq!(opened[0].text.as_deref(), Some("Closed."));
    }

    #[test]
    fn the_registration_names_the_mailbox_and_the_hash_of_its_token_only() {
        let mut session = Session::new();
        session.prepare_receipt().unwrap();
        let body = String::from_utf8(session.registration_body().unwrap()).unwrap();
        let token = MailboxToken::from_base64url(&session.mailbox_token().unwrap()).unwrap();
        assert_eq!(
            body,
            format!(
                r#"{{"id":"{}","token_sha256":"{}"}}"#,
                session.mailbox_id().unwrap(),
                encode_hex(&token.storage_hash())
            )
        );
        assert!(!body.contains(session.mailbox_token().unwrap().as_str()));
    }

    #[test]
    fn typos_bad_input_and_missing_keys_are_refused() {
        let (_, recipients) = coordinator();
        let mut session = Session::new();
        assert_eq!(
            session
                .seal_tip(br#"{"v":1,"text":"x"}"#, &recipients)
                .unwrap_err(),
            Failure::NoKeys
        );
        assert_eq!(session.unlock("not a code").unwrap_err(), Failure::Typo);
        session.prepare_receipt().unwrap();
        let mut code: Vec<char> = session.receipt_code().unwrap().chars().collect();
        // Change one character: the check character catches it.
        code[0] = if code[0] == '7' { '8' } else { '7' };
        let mut other = Session::new();
        assert_eq!(
            other.unlock(&code.iter().collect::<String>()).unwrap_err(),
            Failure::Typo
        );
        assert_eq!(
            session
                .seal_tip(br#"{"v":1,"text":"  "}"#, &recipients)
                .unwrap_err(),
            Failure::InvalidInput
        );
        assert_eq!(
            session.seal_tip(br#"{"v":1,"text":"x"}"#, &[]).unwrap_err(),
            Failure::NoRecipients
        );
        assert_eq!(
            session
                .seal_tip(br#"{"v":1,"text":"x"}"#, &["age1notarecipient".into()])
                .unwrap_err(),
            Failure::NoRecipients
        );
        assert_eq!(
            session.seal_answer(" ", &recipients).unwrap_err(),
            Failure::InvalidInput
        );
        assert_eq!(
            session.open_conversation("{}").unwrap_err(),
            Failure::InvalidInput
        );
        session.forget();
        assert_eq!(session.mailbox_id().unwrap_err(), Failure::NoKeys);
    }
}
