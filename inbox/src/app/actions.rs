//! What the workspace does besides showing tips: reply to a reporter, export a case for a
//! hand-over, fetch new tips and answers (with a progress page), and the settings (the
//! connection, the key set, the backup check). Each goes through the same library functions
//! as the command line, so the two cannot drift apart.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use fluister_envelope::age::Identity;
use fluister_envelope::message::CaseStatus;
use zeroize::Zeroizing;

use super::AppState;
use super::pages::{self, BackupOutcome, PullView, SettingsView};
use super::routes::{
    FormFields, InSession, Reason, Refusal, Unlocked, blocking, labels, redirect, tip_number,
    unlocked_page,
};
use super::words::{self, words};
use crate::commands::pull::{self, PullOptions, PullWatch};
use crate::commands::reply::{self, ReplyTarget};
use crate::conversation;
use crate::error::Error;
use crate::home::InboxHome;
use crate::keys::UnlockedKeys;
use crate::pdf;
use crate::recipients::{self, RecipientSet};
use crate::relay::{Connection, RelayClient};
use crate::render::{self, RedactPart, TipContext};
use crate::store::{self, DEFAULT_PULL_CONNECTIONS};
use crate::triage::TriageBook;
use crate::vocabulary::Language;

/// The longest relay address or token accepted from the settings form.
const MAX_ADDRESS_CHARACTERS: usize = 300;
const MAX_TOKEN_CHARACTERS: usize = 512;
/// The longest pasted backup key (an age identity is 74 characters; room for spaces).
const MAX_BACKUP_KEY_CHARACTERS: usize = 4096;

/// A pull started from the workspace: none yet, one running, or the last one's result.
#[derive(Debug, Default)]
pub(crate) enum PullState {
    #[default]
    Idle,
    Running(Arc<PullWatch>),
    Done(PullView),
}

/// `POST /tips/N/reply`: seals the message to the reporter and posts it to the mailbox, as
/// `fluister-inbox reply` does.
pub(crate) async fn reply(
    State(state): State<AppState>,
    access: Unlocked,
    Path(number): Path<String>,
    body: Bytes,
) -> Response {
    let Unlocked { language, keys, .. } = access;
    let result = async {
        let number = tip_number(&number, language)?;
        let body = Zeroizing::new(Vec::from(body));
        let fields = FormFields::parse(&body);
        let text = Zeroizing::new(fields.get("message").unwrap_or_default().to_owned());
        let status = match fields.get("reporter_status").unwrap_or_default() {
            "" => None,
            id => Some(CaseStatus::from_id(id).ok_or_else(|| {
                Refusal::new(
                    language,
                    Reason::BadRequest(words(language).reply_status_unknown.to_owned()),
                )
            })?),
        };
        drop(fields);
        if text.chars().count() > pages::MAX_REPLY_CHARACTERS {
            return Err(Refusal::new(
                language,
                Reason::BadRequest(words::too_long(
                    language,
                    words(language).reply_label,
                    pages::MAX_REPLY_CHARACTERS,
                )),
            ));
        }
        let state = state.clone();
        blocking(language, move || {
            store::find_tip(state.home(), number)
                .map_err(|_| Refusal::new(language, Reason::NotFound))?;
            let refused = |error| refused(language, error);
            let target = ReplyTarget::find(state.home(), &keys, number).map_err(refused)?;
            reply::send(state.home(), language, &keys, &target, &text, status).map_err(refused)?;
            Ok(number)
        })
        .await
    }
    .await;
    match result {
        Ok(number) => redirect(&format!("/tips/{number}?sent")),
        Err(refusal) => refusal.into_response(),
    }
}

/// The parts a hand-over may leave out, as the export form names them. The anonymous reply
/// address is always left out: it belongs to this conversation, not to the agency.
fn left_out(uri: &Uri) -> Vec<RedactPart> {
    let mut parts = vec![RedactPart::Reply];
    let fields = FormFields::parse(uri.query().unwrap_or_default().as_bytes());
    for (name, value) in fields.iter() {
        if name != "leave_out" {
            continue;
        }
        let part = match value {
            "contact" => RedactPart::Contact,
            "notes" => RedactPart::Notes,
            "place" => RedactPart::Place,
            _ => continue,
        };
        if !parts.contains(&part) {
            parts.push(part);
        }
    }
    parts
}

/// `GET /tips/N/export.pdf`: the case file as `fluister-inbox export --format pdf` makes it, as
/// a download. The file leaves the workspace unencrypted; the case page says so.
pub(crate) async fn export_pdf(
    State(state): State<AppState>,
    access: Unlocked,
    Path(number): Path<String>,
    uri: Uri,
) -> Response {
    let Unlocked { language, keys, .. } = access;
    let redact = left_out(&uri);
    let result = async {
        let number = tip_number(&number, language)?;
        let state = state.clone();
        blocking(language, move || {
            let failed = |error| Refusal::new(language, Reason::Failed(error));
            let stored = store::find_tip(state.home(), number)
                .map_err(|_| Refusal::new(language, Reason::NotFound))?;
            let sealed = store::read_sealed_file(&stored.path).map_err(failed)?;
            let document = store::open_tip(&keys.identities, &sealed).map_err(|failure| {
                failed(Error::NotOpened(
                    failure.explain(&words::tip_numbered(language, number)),
                ))
            })?;
            let book = TriageBook::load(state.home(), &keys.identities).map_err(failed)?;
            let record = book.record(&stored.relay_id);
            let context = TipContext {
                number: Some(number),
                received_hour: Some(stored.received_hour),
                triage: Some(&record),
            };
            let labels = labels(&state, language)?;
            let blocks = render::case_file(&document, &context, &labels, &redact);
            Ok((
                number,
                Zeroizing::new(pdf::case_file_pdf(&blocks, language)),
            ))
        })
        .await
    }
    .await;
    match result {
        Ok((number, bytes)) => {
            let disposition = format!("attachment; filename=\"fluister-melding-{number}.pdf\"");
            let mut response = (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/pdf"),
                )],
                bytes.to_vec(),
            )
                .into_response();
            if let Ok(value) = HeaderValue::from_str(&disposition) {
                response
                    .headers_mut()
                    .insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
        Err(refusal) => refusal.into_response(),
    }
}

/// `POST /pull`: starts fetching tips and answers in the background (unless a pull runs
/// already) and goes to its progress page. The pull holds the keys until it ends, even if the
/// workspace locks meanwhile; it never shows anything itself.
pub(crate) async fn start_pull(State(state): State<AppState>, access: Unlocked) -> Response {
    let Unlocked {
        language,
        keys,
        summaries,
    } = access;
    let watch = {
        let mut pull = state.pull();
        if matches!(*pull, PullState::Running(_)) {
            return redirect("/pull");
        }
        let watch = Arc::new(PullWatch::default());
        *pull = PullState::Running(Arc::clone(&watch));
        watch
    };
    let background = state.clone();
    tokio::task::spawn_blocking(move || {
        let options = PullOptions {
            connections: DEFAULT_PULL_CONNECTIONS,
            with_messages: true,
        };
        let view =
            match pull::fetch(background.home(), language, &keys, options, Some(&watch)) {
                Ok(fetched) => PullView::Finished {
                    warnings: fetched
                        .recipient_warnings
                        .into_iter()
                        .chain(fetched.tips.more_readers_than_pinned.iter().map(
                            |(number, readers)| {
                                crate::msg_in!(
                                    language,
                                    "pull.more_readers",
                                    number = number,
                                    readers = readers,
                                    pinned = fetched.pinned_readers
                                )
                            },
                        ))
                        .collect(),
                    quarantined: fetched.tips.quarantined(),
                    stored: fetched.tips.stored_numbers,
                    answers: fetched
                        .answers
                        .map(|answers| answers.new_answers)
                        .unwrap_or_default(),
                },
                Err(error) => PullView::Failed(error.to_string()),
            };
        // The new tips' identifiers into the list's summaries and the sealed index, so the
        // next filter, and the next unlock, need not open them.
        super::index::fill_after_unlock(background.home(), language, &keys, &summaries);
        *background.pull() = PullState::Done(view);
    });
    redirect("/pull")
}

/// `GET /pull`: the pull's progress (reloading itself every second), or its result. Looking
/// does not count as use: a page reloading itself must not keep the workspace unlocked.
pub(crate) async fn pull_page(State(state): State<AppState>, access: InSession) -> Response {
    let language = access.language;
    if !state.session().lock_if_idle(std::time::Instant::now()) {
        return redirect("/unlock");
    }
    let view = match &*state.pull() {
        PullState::Idle => PullView::Idle,
        PullState::Running(watch) => {
            let (done, total) = watch.progress.counts();
            PullView::Running {
                answers: watch
                    .fetching_answers
                    .load(std::sync::atomic::Ordering::Relaxed),
                done,
                total,
            }
        }
        PullState::Done(view) => view.clone(),
    };
    let refresh = matches!(view, PullView::Running { .. }).then_some(1);
    unlocked_page(
        language,
        "/pull",
        refresh,
        words(language).pull_title,
        pages::pull(language, &view),
    )
}

/// What the settings page always shows: the connection's address and the key set.
fn settings_view(state: &AppState, language: Language, keys: &UnlockedKeys) -> SettingsView {
    let relay_url = Connection::load(state.home())
        .ok()
        .map(|connection| connection.relay_url.clone());
    let own = recipients::own_recipient(state.home()).unwrap_or(keys.own_recipient);
    let mut listed: Vec<(String, String, bool)> = RecipientSet::load(state.home(), language)
        .map(|set| {
            set.entries()
                .iter()
                .map(|entry| {
                    (
                        entry.name.clone(),
                        entry.recipient.to_string(),
                        entry.recipient == own,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    if !listed.iter().any(|(_, _, is_own)| *is_own) {
        listed.insert(
            0,
            (recipients::own_key_name(language), own.to_string(), true),
        );
    }
    SettingsView {
        relay_url,
        keys: listed,
        receivers: crate::receivers::Receivers::load(state.home())
            .map(|book| book.receivers)
            .unwrap_or_default(),
        ..SettingsView::default()
    }
}

/// `POST /settings/receivers`: adds a receiver to the book or changes one (its key, its note),
/// as `fluister-inbox receivers set` does.
pub(crate) async fn set_receiver(
    State(state): State<AppState>,
    access: Unlocked,
    body: Bytes,
) -> Response {
    let language = access.language;
    let fields = FormFields::parse(&body);
    let name = trimmed(&fields, "name");
    let key = trimmed(&fields, "key");
    let note = trimmed(&fields, "note");
    drop(fields);
    change_settings(
        state,
        language,
        SettingsResult::ReceiversChanged,
        move |home| {
            let _lock = home.lock()?;
            let mut book = crate::receivers::Receivers::load(home)?;
            book.set(
                &name,
                (!key.is_empty()).then_some(key.as_str()),
                Some(note.as_str()),
            )?;
            book.save(home)?;
            Ok(crate::msg_in!(language, "receivers.saved", name = name))
        },
    )
    .await
}

/// `POST /settings/receivers/remove`: takes a receiver out of the book.
pub(crate) async fn remove_receiver(
    State(state): State<AppState>,
    access: Unlocked,
    body: Bytes,
) -> Response {
    let language = access.language;
    let name = trimmed(&FormFields::parse(&body), "name");
    change_settings(
        state,
        language,
        SettingsResult::ReceiversChanged,
        move |home| {
            let _lock = home.lock()?;
            let mut book = crate::receivers::Receivers::load(home)?;
            if !book.remove(&name) {
                return Err(Error::Usage(crate::msg_in!(
                    language,
                    "receivers.unknown",
                    name = name
                )));
            }
            book.save(home)?;
            Ok(crate::msg_in!(language, "receivers.removed", name = name))
        },
    )
    .await
}

fn settings_response(language: Language, view: &SettingsView) -> Response {
    unlocked_page(
        language,
        "/settings",
        None,
        words(language).settings_title,
        pages::settings(language, view),
    )
}

/// What a settings form did, kept until the page it redirects to shows it. Every settings
/// form answers with a redirect (Post/Redirect/Get), so the browser never keeps a form's body in
/// its session history: Chromium writes that history to disk, with a pasted backup key in it.
#[derive(Debug)]
pub(crate) enum SettingsResult {
    ConnectionChecked(Result<Vec<String>, String>),
    ConnectionSaved,
    BackupChecked(BackupOutcome),
    /// What adding or removing a key did, in words.
    KeysChanged(String),
    /// What changing the receivers' book did, in words.
    ReceiversChanged(String),
}

/// `GET /settings`: the connection, the keys and the backup check; after a settings form
/// (`?done`), what it did; after the first start (`?new-key`), the public key just made.
pub(crate) async fn settings_page(
    State(state): State<AppState>,
    access: Unlocked,
    uri: Uri,
) -> Response {
    let Unlocked { language, keys, .. } = access;
    let new_key = (uri.query() == Some("new-key")).then(|| keys.own_recipient.to_string());
    let result = if uri.query() == Some("done") {
        state.settings_result().take()
    } else {
        None
    };
    let view = blocking(language, move || {
        let mut view = SettingsView {
            new_key,
            ..settings_view(&state, language, &keys)
        };
        match result {
            Some(SettingsResult::ConnectionChecked(check)) => view.connection_check = Some(check),
            Some(SettingsResult::ConnectionSaved) => view.connection_saved = true,
            Some(SettingsResult::BackupChecked(outcome)) => view.backup = Some(outcome),
            Some(SettingsResult::KeysChanged(change)) => view.key_change = Some(change),
            Some(SettingsResult::ReceiversChanged(change)) => view.receiver_change = Some(change),
            None => {}
        }
        Ok(view)
    })
    .await;
    match view {
        Ok(view) => settings_response(language, &view),
        Err(refusal) => refusal.into_response(),
    }
}

/// Keeps `result` for the settings page and goes there.
fn show_on_settings(state: &AppState, result: SettingsResult) -> Response {
    *state.settings_result() = Some(result);
    redirect("/settings?done")
}

/// `POST /settings/connection-check`: asks the relay whether it answers, takes the token, and
/// seals tips to every key of the set (as `fluister-inbox status` does).
pub(crate) async fn check_connection(State(state): State<AppState>, access: Unlocked) -> Response {
    let language = access.language;
    let checking = state.clone();
    match blocking(language, move || Ok(check(&checking, language))).await {
        Ok(check) => show_on_settings(&state, SettingsResult::ConnectionChecked(check)),
        Err(refusal) => refusal.into_response(),
    }
}

/// The connection check: `Ok` with what is not right about the keys the relay seals to, or
/// why the relay cannot be used.
fn check(state: &AppState, language: Language) -> Result<Vec<String>, String> {
    let connection = Connection::load(state.home()).map_err(|error| error.to_string())?;
    let client = RelayClient::new(&connection);
    client.check_health().map_err(|error| error.to_string())?;
    client
        .list_waiting_tips()
        .map_err(|error| error.to_string())?;
    let relay_recipients = client
        .sealing_recipients()
        .map_err(|error| error.to_string())?;
    let set = RecipientSet::load(state.home(), language).map_err(|error| error.to_string())?;
    Ok(set.compare_with_relay(&relay_recipients, language))
}

/// `POST /settings/connection`: saves the relay's address and the token (checked as
/// `fluister-inbox connect` checks them: an https address, or http on this computer only).
pub(crate) async fn save_connection(
    State(state): State<AppState>,
    access: Unlocked,
    body: Bytes,
) -> Response {
    let language = access.language;
    let body = Zeroizing::new(Vec::from(body));
    let fields = FormFields::parse(&body);
    let address = trimmed(&fields, "relay_url");
    let token = Zeroizing::new(trimmed(&fields, "token"));
    drop(fields);
    let words = words(language);
    for (field, value, maximum) in [
        (words.connection_address, &address, MAX_ADDRESS_CHARACTERS),
        (words.connection_token, &*token, MAX_TOKEN_CHARACTERS),
    ] {
        if value.chars().count() > maximum {
            return Refusal::new(
                language,
                Reason::BadRequest(words::too_long(language, field, maximum)),
            )
            .into_response();
        }
    }
    let saving = state.clone();
    let result = blocking(language, move || {
        let connection = Connection::new(&address, &token)
            .map_err(|error| Refusal::new(language, Reason::BadRequest(error.to_string())))?;
        let failed = |error| Refusal::new(language, Reason::Failed(error));
        let _lock = saving.home().lock().map_err(failed)?;
        connection.save(saving.home()).map_err(failed)
    })
    .await;
    match result {
        Ok(()) => show_on_settings(&state, SettingsResult::ConnectionSaved),
        Err(refusal) => refusal.into_response(),
    }
}

/// `POST /settings/backup-check`: whether the pasted key opens every stored tip, the triage
/// book and every stored message. The key lives only for this request.
pub(crate) async fn check_backup(
    State(state): State<AppState>,
    access: Unlocked,
    body: Bytes,
) -> Response {
    let language = access.language;
    let body = Zeroizing::new(Vec::from(body));
    let fields = FormFields::parse(&body);
    let pasted = Zeroizing::new(trimmed(&fields, "backup_key"));
    drop(fields);
    let identity = (pasted.chars().count() <= MAX_BACKUP_KEY_CHARACTERS)
        .then(|| pasted.parse::<Identity>().ok())
        .flatten();
    drop(pasted);
    let checking = state.clone();
    let result = blocking(language, move || {
        Ok(match identity {
            None => BackupOutcome::NotAKey,
            Some(identity) => backup_outcome(&checking, language, identity)
                .map_err(|error| Refusal::new(language, Reason::Failed(error)))?,
        })
    })
    .await;
    match result {
        Ok(outcome) => show_on_settings(&state, SettingsResult::BackupChecked(outcome)),
        Err(refusal) => refusal.into_response(),
    }
}

/// The longest key name accepted.
const MAX_KEY_NAME_CHARACTERS: usize = 100;

/// `POST /settings/keys/add`: adds a public key to the own set and seals the notes to the new
/// set, as `fluister-inbox keys add` does.
pub(crate) async fn add_key(
    State(state): State<AppState>,
    access: Unlocked,
    body: Bytes,
) -> Response {
    let Unlocked { language, keys, .. } = access;
    let fields = FormFields::parse(&body);
    let recipient = trimmed(&fields, "recipient");
    let name = trimmed(&fields, "name");
    drop(fields);
    if name.chars().count() > MAX_KEY_NAME_CHARACTERS || name.contains(['\n', '\r']) {
        return Refusal::new(
            language,
            Reason::BadRequest(words::too_long(
                language,
                words(language).key_name_label,
                MAX_KEY_NAME_CHARACTERS,
            )),
        )
        .into_response();
    }
    change_settings(state, language, SettingsResult::KeysChanged, move |home| {
        let (recipient, added, _) =
            crate::commands::keys::add_to_set(home, language, &keys, &recipient, &name)?;
        Ok(words::key_added(language, &recipient.to_string(), added))
    })
    .await
}

/// `POST /settings/keys/remove`: takes a key out of the own set and seals the notes to what
/// is left, as `fluister-inbox keys remove` does.
pub(crate) async fn remove_key(
    State(state): State<AppState>,
    access: Unlocked,
    body: Bytes,
) -> Response {
    let Unlocked { language, keys, .. } = access;
    let recipient = trimmed(&FormFields::parse(&body), "recipient");
    change_settings(state, language, SettingsResult::KeysChanged, move |home| {
        let (recipient, _) =
            crate::commands::keys::remove_from_set(home, language, &keys, &recipient)?;
        Ok(words::key_removed(language, &recipient.to_string()))
    })
    .await
}

/// A form field without the white space around it (empty when absent).
fn trimmed(fields: &FormFields, name: &str) -> String {
    fields.get(name).unwrap_or_default().trim().to_owned()
}

/// Runs a change of the own set off the async workers, then shows what it did (in words) on
/// the settings page.
/// Runs a change of the settings (the key set, the receivers' book) off the async threads and
/// shows what it did on the settings page, as `shown` words it.
async fn change_settings(
    state: AppState,
    language: Language,
    shown: fn(String) -> SettingsResult,
    change: impl FnOnce(&InboxHome) -> crate::Result<String> + Send + 'static,
) -> Response {
    let changing = state.clone();
    let result = blocking(language, move || {
        change(changing.home()).map_err(|error| refused(language, error))
    })
    .await;
    match result {
        Ok(change) => show_on_settings(&state, shown(change)),
        Err(refusal) => refusal.into_response(),
    }
}

/// A failed change as a refusal: the coordinator's mistake (400) or the inbox's failure.
pub(super) fn refused(language: Language, error: Error) -> Refusal {
    match error {
        Error::Usage(why) => Refusal::new(language, Reason::BadRequest(why)),
        error => Refusal::new(language, Reason::Failed(error)),
    }
}

/// Opens everything the inbox keeps with `identity` alone, and lists what did not open.
fn backup_outcome(
    state: &AppState,
    language: Language,
    identity: Identity,
) -> crate::Result<BackupOutcome> {
    let home = state.home();
    let backup = UnlockedKeys {
        own_recipient: identity.to_recipient(),
        identities: vec![identity],
    };
    let mut missing = Vec::new();
    let tips = store::stored_tips(home)?;
    for (tip, opened) in tips.iter().zip(store::open_all(&tips, &backup)) {
        if opened.is_err() {
            missing.push(words::backup_missing_tip(language, tip.number));
        }
    }
    if home.triage_path().exists() && TriageBook::load(home, &backup.identities).is_err() {
        missing.push(words(language).backup_notes.to_owned());
    }
    let mut message_count = 0;
    for tip in &tips {
        let entries = conversation::opened_entries(home, &tip.relay_id, &backup.identities, None)?;
        message_count += entries.len();
        if entries.iter().any(|entry| entry.text.is_none()) {
            missing.push(words::backup_missing_message(language, tip.number));
        }
    }
    Ok(BackupOutcome::Checked {
        tips: tips.len(),
        messages: message_count,
        missing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reply_address_is_always_left_out_and_unknown_parts_are_ignored() {
        let parts = left_out(
            &"/tips/1/export.pdf?leave_out=contact&leave_out=shoes&leave_out=contact"
                .parse()
                .unwrap(),
        );
        assert_eq!(parts, vec![RedactPart::Reply, RedactPart::Contact]);
        assert_eq!(
            left_out(&"/tips/1/export.pdf".parse().unwrap()),
            vec![RedactPart::Reply]
        );
    }
}
