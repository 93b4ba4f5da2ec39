//! Every request the widget makes, all to its own origin (the relay): the configuration, a
//! proof-of-work challenge, the sealed tip, and the mailbox. See `docs/api.md` for the contract.

use fluister_envelope::tip::vocabulary::Municipality;
use fluister_protocol::bodies::{
    MAX_PHONE_LABEL_CHARS, MAX_PHONE_NUMBERS, WIDGET_LANGUAGES, is_dialable, is_showable,
};
use fluister_protocol::{ErrorCode, MailboxId, headers};
use js_sys::{JSON, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Request, RequestInit, Response};

use fluister_widget_js::{array_field, field, string_field};

/// The part of `GET /api/v1/config` the widget uses.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PublicConfig {
    /// The coordinator recipients every tip and answer is sealed to.
    pub recipients: Vec<String>,
    /// Phone numbers the operator wants shown as alternatives.
    pub phone_numbers: Vec<PhoneNumber>,
    /// The proof of work's difficulty without a flood (`proof_of_work.difficulty`); a challenge
    /// above it means the relay is busy.
    pub base_difficulty: Option<u32>,
    /// The region's municipalities in the order the form offers them (the form adds
    /// "somewhere else" itself).
    pub municipalities: Vec<MunicipalityOption>,
}

/// One municipality the reporter can choose, from the relay's configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct MunicipalityOption {
    /// The identifier the tip carries, such as `assen`.
    pub id: String,
    /// The name shown, such as "Assen".
    pub name: String,
}

impl PublicConfig {
    /// The name of the municipality `id`, if the relay lists it.
    pub fn municipality_name(&self, id: &str) -> Option<&str> {
        self.municipalities
            .iter()
            .find(|municipality| municipality.id == id)
            .map(|municipality| municipality.name.as_str())
    }
}

/// The municipalities a config lists that a tip can carry: well-formed identifiers other than
/// `other`, each once, with a name to show.
fn usable_municipalities(
    listed: impl IntoIterator<Item = (String, String)>,
) -> Vec<MunicipalityOption> {
    let mut usable: Vec<MunicipalityOption> = Vec::new();
    for (id, name) in listed {
        let name = name.trim();
        let usable_id =
            Municipality::parse(&id).is_some_and(|municipality| !municipality.is_other());
        if usable_id && !name.is_empty() && !usable.iter().any(|earlier| earlier.id == id) {
            usable.push(MunicipalityOption {
                id,
                name: name.to_owned(),
            });
        }
    }
    usable
}

/// A phone number as the relay's own check accepts it (`fluister_protocol::bodies`), or
/// `None`: a broken or hostile relay cannot show the reporter a line it would refuse to list
/// itself. A number from abroad that does not pass is left out, not its whole line; labels
/// only for the widget's languages are kept.
fn usable_phone_number(mut phone: PhoneNumber) -> Option<PhoneNumber> {
    if !is_showable(&phone.label, MAX_PHONE_LABEL_CHARS) || !is_dialable(&phone.number) {
        return None;
    }
    if !phone.abroad.is_empty() && !is_dialable(&phone.abroad) {
        phone.abroad.clear();
    }
    phone.labels.retain(|(code, label)| {
        WIDGET_LANGUAGES.contains(&code.as_str()) && is_showable(label, MAX_PHONE_LABEL_CHARS)
    });
    Some(phone)
}

/// A phone number from the relay's configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct PhoneNumber {
    /// Who answers, such as "Meld Misdaad Anoniem": for a language without its own label.
    pub label: String,
    /// The label per language, as pairs of a language code and a label.
    pub labels: Vec<(String, String)>,
    /// The number as people dial it.
    pub number: String,
    /// The number for callers with a foreign SIM card or from abroad; empty if there is none.
    pub abroad: String,
}

impl PhoneNumber {
    /// The label in `language`, or the label for every other language.
    pub fn label_in(&self, language: &str) -> &str {
        self.labels
            .iter()
            .find(|(code, _)| code == language)
            .map_or(self.label.as_str(), |(_, label)| label.as_str())
    }
}

/// A proof-of-work challenge, kept as the relay sent it: the worker reads the JSON, and the
/// seed goes back in `Fluister-Challenge`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    /// The relay's JSON.
    pub json: String,
    /// The seed, unpadded base64url, exactly as received.
    pub seed: String,
    /// The expected number of tries.
    pub difficulty: u32,
}

/// Why a request did not succeed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestFailure {
    /// No answer: the network or the relay is down (or the answer made no sense).
    Unreachable,
    /// The relay answered with an error; `code` is its stable error code.
    Refused {
        /// The HTTP status.
        status: u16,
        /// The `error.code` of the JSON body ([`ErrorCode::Unknown`] if there was none).
        code: ErrorCode,
    },
}

impl RequestFailure {
    /// Whether trying again later may work (network, overload, rate limit, server errors).
    pub fn is_temporary(&self) -> bool {
        match self {
            RequestFailure::Unreachable => true,
            RequestFailure::Refused { status, code } => {
                *status >= 500 || *status == 429 || *code == ErrorCode::ChallengeInvalid
            }
        }
    }
}

/// Parses JSON with the browser's own parser (no JSON code in this module).
fn parse_json(text: &str) -> Result<JsValue, RequestFailure> {
    JSON::parse(text).map_err(|_| RequestFailure::Unreachable)
}

/// The strings of the array `object[name]` (non-strings are skipped).
fn strings(object: &JsValue, name: &str) -> Vec<String> {
    array_field(object, name)
        .into_iter()
        .filter_map(|value| value.as_string())
        .collect()
}

/// `GET /api/v1/config`.
pub async fn fetch_config() -> Result<PublicConfig, RequestFailure> {
    parse_config(&request_text("GET", "/api/v1/config", None, &[]).await?)
}

/// The body of `GET /api/v1/config`, checked as [`fetch_config`] checks it (also for the copy
/// `start.js` fetched for the start screen's phone numbers and hands to the form).
pub fn parse_config(text: &str) -> Result<PublicConfig, RequestFailure> {
    let config = parse_json(text)?;
    let phone_numbers = array_field(&config, "phone_numbers")
        .iter()
        .filter_map(|phone| {
            let labels = field(phone, "labels");
            let codes = labels
                .dyn_ref::<js_sys::Object>()
                .map_or_else(js_sys::Array::new, js_sys::Object::keys);
            let labels = codes
                .iter()
                .filter_map(|code| {
                    let code = code.as_string()?;
                    let label = string_field(&labels, &code)?;
                    Some((code, label))
                })
                .collect();
            usable_phone_number(PhoneNumber {
                label: string_field(phone, "label")?,
                labels,
                number: string_field(phone, "number")?,
                abroad: string_field(phone, "abroad").unwrap_or_default(),
            })
        })
        .take(MAX_PHONE_NUMBERS)
        .collect();
    let municipalities =
        usable_municipalities(array_field(&config, "municipalities").iter().filter_map(
            |municipality| {
                Some((
                    string_field(municipality, "id")?,
                    string_field(municipality, "name")?,
                ))
            },
        ));
    Ok(PublicConfig {
        recipients: strings(&config, "recipients"),
        phone_numbers,
        municipalities,
        base_difficulty: whole_number(&field(&config, "proof_of_work"), "difficulty"),
    })
}

/// `GET` a file of the widget, such as a translation table.
pub async fn fetch_widget_file(relative_path: &str) -> Result<String, RequestFailure> {
    request_text("GET", relative_path, None, &[]).await
}

/// Fetches widget files (relative to the document) into the HTTP cache, in the background: what
/// asks for one later gets it from there (the names are hashed, and cached for good). A failed
/// fetch is left to that later request, which tries again.
pub fn prefetch_widget_files<'a>(files: impl IntoIterator<Item = &'a str>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    for file in files {
        let response = JsFuture::from(window.fetch_with_str(file));
        leptos::task::spawn_local(async move {
            // Read to the end: a body nobody reads stops arriving, and is not cached whole.
            if let Ok(response) = response.await
                && let Ok(body) = response.unchecked_into::<Response>().array_buffer()
            {
                let _ = JsFuture::from(body).await;
            }
        });
    }
}

/// `object[name]` as a `u32`, if it is one.
fn whole_number(object: &JsValue, name: &str) -> Option<u32> {
    field(object, name)
        .as_f64()
        .filter(|number| number.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(number))
        .map(|number| number as u32)
}

/// `POST /api/v1/challenges?version=2`: a challenge split into puzzles, whose time is
/// predictable (see the envelope's `pow` module).
pub async fn fetch_challenge() -> Result<Challenge, RequestFailure> {
    let json = request_text("POST", "/api/v1/challenges?version=2", None, &[]).await?;
    let challenge = parse_json(&json)?;
    let seed = string_field(&challenge, "seed").ok_or(RequestFailure::Unreachable)?;
    let difficulty = whole_number(&challenge, "difficulty").ok_or(RequestFailure::Unreachable)?;
    Ok(Challenge {
        json,
        seed,
        difficulty,
    })
}

/// A solved challenge, for the `Fluister-Challenge` and `Fluister-Nonce` headers.
#[derive(Clone, Debug)]
pub struct Payment {
    /// The challenge's seed, as the relay sent it.
    pub seed: String,
    /// The nonces that solve its puzzles for the body, in order.
    pub nonces: Vec<u32>,
}

/// A `POST` of `body` paid for with a proof of work, with `headers` besides the payment's;
/// succeeds on 200 or 201.
async fn paid_post(
    url: &str,
    body: &[u8],
    headers: &[(&str, &str)],
    payment: Payment,
) -> Result<(), RequestFailure> {
    let nonce = headers::nonce_header(&payment.nonces);
    let mut all_headers = headers.to_vec();
    all_headers.extend([
        (headers::CHALLENGE, payment.seed.as_str()),
        (headers::NONCE, nonce.as_str()),
    ]);
    request_text("POST", url, Some(body), &all_headers)
        .await
        .map(drop)
}

/// `POST /api/v1/tips`.
pub async fn submit_tip(
    ciphertext: &[u8],
    submission_key: &str,
    payment: Payment,
) -> Result<(), RequestFailure> {
    let headers = [
        ("Content-Type", "application/octet-stream"),
        (headers::SUBMISSION_KEY, submission_key),
    ];
    paid_post("/api/v1/tips", ciphertext, &headers, payment).await
}

/// `POST /api/v1/mailboxes` with the registration body the worker made (id and token hash).
pub async fn open_mailbox(body: &[u8], payment: Payment) -> Result<(), RequestFailure> {
    let headers = [("Content-Type", "application/json")];
    paid_post("/api/v1/mailboxes", body, &headers, payment).await
}

/// `GET /api/v1/mailboxes/{id}/messages` as the reporter; the JSON goes to the worker as is.
pub async fn fetch_conversation(mailbox: MailboxId, token: &str) -> Result<String, RequestFailure> {
    request_text(
        "GET",
        &format!("/api/v1/mailboxes/{mailbox}/messages"),
        None,
        &[(headers::MAILBOX_TOKEN, token)],
    )
    .await
}

/// `POST /api/v1/mailboxes/{id}/messages`: the reporter's sealed answer.
pub async fn post_answer(
    mailbox: MailboxId,
    token: &str,
    ciphertext: &[u8],
    submission_key: &str,
    payment: Payment,
) -> Result<(), RequestFailure> {
    let headers = [
        ("Content-Type", "application/octet-stream"),
        (headers::MAILBOX_TOKEN, token),
        (headers::SUBMISSION_KEY, submission_key),
    ];
    let url = format!("/api/v1/mailboxes/{mailbox}/messages");
    paid_post(&url, ciphertext, &headers, payment).await
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
        let code = parse_json(&text)
            .ok()
            .and_then(|body| string_field(&field(&body, "error"), "code"))
            .map_or(ErrorCode::Unknown, |word| ErrorCode::from_word(&word));
        Err(RequestFailure::Refused { status, code })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_phone_numbers_the_relay_itself_would_accept_are_shown() {
        let phone = |label: &str, number: &str, abroad: &str| PhoneNumber {
            label: label.to_owned(),
            labels: vec![
                ("pl".to_owned(), "Policja".to_owned()),
                ("xx-evil".to_owned(), "Bad".to_owned()),
                ("de".to_owned(), "Polizei".to_owned()),
                ("uk".to_owned(), "\u{202e}Поліція".to_owned()),
                ("en".to_owned(), "x".repeat(121)),
            ],
            number: number.to_owned(),
            abroad: abroad.to_owned(),
        };
        let shown = usable_phone_number(phone("Politie", "0900-8844", "+31 (0)20 5")).unwrap();
        assert_eq!(shown.number, "0900-8844");
        assert_eq!(shown.abroad, "+31 (0)20 5");
        assert_eq!(shown.labels, [("pl".to_owned(), "Policja".to_owned())]);
        // A number from abroad that is not one is left out, not the whole line.
        let without = usable_phone_number(phone("Politie", "0900-8844", "call us")).unwrap();
        assert_eq!(without.abroad, "");
        for (label, number) in [
            ("", "0800-7000"),
            ("  ", "0800-7000"),
            (&"x".repeat(121) as &str, "0800-7000"),
            ("Politie", ""),
            ("Politie", "+"),
            ("Politie", "javascript:alert(1)"),
            ("Politie", "0800\"><b>"),
            ("Politie", "0800 7000 ext 5"),
            ("Politie", &"1".repeat(25)),
            ("Politie", "++31 20"),
            ("Politie", "12"),
            ("Poli\u{202e}tie", "0800-7000"),
            ("Politie\n", "0800-7000"),
        ] {
            assert_eq!(
                usable_phone_number(phone(label, number, "")),
                None,
                "{label:?} {number:?}"
            );
        }
    }

    #[test]
    fn only_municipalities_a_tip_can_carry_are_offered() {
        let listed = [
            ("assen", "Assen"),
            ("assen", "Assen again"),
            ("other", "Elders"),
            ("Emmen", "Emmen"),
            ("<img>", "Bad"),
            ("meppel", "  "),
            ("het-hogeland", " Het Hogeland "),
        ]
        .map(|(id, name)| (id.to_owned(), name.to_owned()));
        let usable = usable_municipalities(listed);
        let shown: Vec<(&str, &str)> = usable
            .iter()
            .map(|option| (option.id.as_str(), option.name.as_str()))
            .collect();
        assert_eq!(
            shown,
            [("assen", "Assen"), ("het-hogeland", "Het Hogeland")]
        );
        let config = PublicConfig {
            municipalities: usable,
            ..PublicConfig::default()
        };
        assert_eq!(
            config.municipality_name("het-hogeland"),
            Some("Het Hogeland")
        );
        assert_eq!(config.municipality_name("emmen"), None);
    }
}
