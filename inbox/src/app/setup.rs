//! The first start on a computer without a key: the workspace asks for a new passphrase and
//! makes the coordinator's key (as `fluister-inbox keygen` does), so that nobody needs a
//! terminal on the first day. Then it is unlocked, and the settings page shows the public key
//! to give the relay's operator and the connection to set up.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use zeroize::Zeroizing;

use super::AppState;
use super::html::Html;
use super::pages::{self, Frame};
use super::routes::{FormFields, InSession, Reason, Refusal, html_response, redirect};
use super::words::{self, words};
use crate::keys;
use crate::passphrase::{GivenPassphrase, MINIMUM_PASSPHRASE_CHARACTERS, PassphraseSource};
use crate::recipients::{self, RecipientSet};
use crate::vocabulary::Language;

/// The longest new passphrase accepted, in bytes (as for unlocking).
const MAX_PASSPHRASE_BYTES: usize = 1024;

/// Whether the workspace has no key yet (and so shows the setup instead of the unlock page).
/// Only the inbox's own key file is ever made here; a key file named with `--identity` that
/// does not exist is refused when the app starts.
pub(crate) fn needs_key(state: &AppState) -> bool {
    !state.identity_path().exists()
}

fn setup_response(language: Language, status: StatusCode, error: Option<&str>) -> Response {
    let frame = Frame {
        language,
        unlocked: false,
        in_session: true,
        here: "/setup",
        refresh_seconds: None,
    };
    html_response(
        status,
        pages::page(
            &frame,
            words(language).setup_title,
            setup_page(language, error),
        ),
    )
}

/// `GET /setup`: the new-passphrase form, while there is no key.
pub(crate) async fn setup_form(State(state): State<AppState>, access: InSession) -> Response {
    if !needs_key(&state) {
        return redirect("/unlock");
    }
    setup_response(access.language, StatusCode::OK, None)
}

/// `POST /setup`: makes the key with the passphrase typed twice, adds it to the coordinator's
/// own set, unlocks, and goes to the settings.
pub(crate) async fn make_key(
    State(state): State<AppState>,
    access: InSession,
    body: Bytes,
) -> Response {
    let language = access.language;
    let words = words(language);
    let body = Zeroizing::new(Vec::from(body));
    let fields = FormFields::parse(&body);
    let passphrase = Zeroizing::new(fields.get("passphrase").unwrap_or_default().to_owned());
    let again = Zeroizing::new(
        fields
            .get("passphrase_again")
            .unwrap_or_default()
            .to_owned(),
    );
    drop(fields);
    let refusal = if passphrase.len() > MAX_PASSPHRASE_BYTES {
        Some(words::too_long(
            language,
            words.new_passphrase_label,
            MAX_PASSPHRASE_BYTES,
        ))
    } else if passphrase.chars().count() < MINIMUM_PASSPHRASE_CHARACTERS {
        Some(words.setup_too_short.to_owned())
    } else if passphrase != again {
        Some(words.setup_differ.to_owned())
    } else {
        None
    };
    if let Some(why) = refusal {
        return setup_response(language, StatusCode::BAD_REQUEST, Some(&why));
    }
    // One at a time, as unlocking: a second form sent meanwhile finds the key made.
    let _one_at_a_time = state.unlocking().lock().await;
    if !needs_key(&state) {
        return redirect("/unlock");
    }
    let background = state.clone();
    let made = tokio::task::spawn_blocking(move || {
        let home = background.home();
        let identity_path = background.identity_path();
        let generated = keys::generate(home, identity_path, &passphrase, keys::KeyKind::Hybrid)?;
        let mut set = RecipientSet::load(home, language)?;
        set.add(generated.recipient, &recipients::own_key_name(language));
        set.save(home)?;
        let source = PassphraseSource::Given(GivenPassphrase::new(passphrase));
        keys::unlock(identity_path, &source)
    })
    .await;
    match made {
        Ok(Ok(unlocked)) => {
            state.session().unlock(unlocked, Instant::now());
            redirect("/settings?new-key")
        }
        Ok(Err(error)) => Refusal::new(language, Reason::Failed(error)).into_response(),
        Err(_) => {
            Refusal::new(language, Reason::BadRequest("internal error".to_owned())).into_response()
        }
    }
}

/// The setup page: what the key is for, and the passphrase twice.
fn setup_page(language: Language, error: Option<&str>) -> Html {
    let words = words(language);
    let mut html = Html::default();
    html.markup("<h1>")
        .markup(words.setup_title)
        .markup("</h1><p>")
        .markup(words.setup_introduction)
        .markup("</p><form method=\"post\" action=\"/setup\" autocomplete=\"off\">");
    if let Some(error) = error {
        html.markup("<p id=\"setup-error\" class=\"error-message\" role=\"alert\">")
            .text(error)
            .markup("</p>");
    }
    html.markup("<p id=\"setup-hint\" class=\"hint\">")
        .markup(words.setup_passphrase_hint)
        .markup("</p>");
    for (id, name, label) in [
        ("new-passphrase", "passphrase", words.new_passphrase_label),
        (
            "new-passphrase-again",
            "passphrase_again",
            words.new_passphrase_again_label,
        ),
    ] {
        html.markup("<div class=\"field\"><label for=\"")
            .markup(id)
            .markup("\">")
            .markup(label)
            .markup("</label><input type=\"password\" id=\"")
            .markup(id)
            .markup("\" name=\"")
            .markup(name)
            .markup(
                "\" required minlength=\"10\" maxlength=\"1024\" autocomplete=\"off\" \
                 aria-describedby=\"setup-hint",
            );
        if error.is_some() {
            html.markup(" setup-error\" aria-invalid=\"true");
        }
        html.markup("\"></div>");
    }
    html.markup("<button type=\"submit\" class=\"button-primary\">")
        .markup(words.setup_button)
        .markup("</button></form>");
    html
}

/// The notice on the settings page after the key was made: the public key to pass on, and
/// what comes next.
pub(crate) fn new_key_notice(html: &mut Html, language: Language, recipient: &str) {
    let words = words(language);
    html.markup("<div class=\"notice\" role=\"status\"><p>")
        .markup(words.new_key_made)
        .markup("</p><p><code class=\"key\">")
        .text(recipient)
        .markup("</code></p><p>")
        .markup(words.new_key_next)
        .markup("</p></div>");
}
