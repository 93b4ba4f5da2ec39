//! "Check for an answer": the receipt code typed back in, then the conversation with the
//! coordinator and the reporter's answer.

use fluister_protocol::MessageAuthor;
use fluister_protocol::worker::{CaseStatus, OpenedMessage};
use leptos::prelude::*;

use crate::app::context::{WidgetContext, focus_soon};
use crate::app::mailbox::{send_answer, unlock_mailbox};
use crate::form::Step;

/// "I already sent a tip": the reporter types their receipt code back in. Meanwhile the crypto
/// worker's files arrive, which "open my mailbox" would otherwise wait for (on a slow line, 90 KB
/// take seconds); the worker itself starts only then, fresh, for this code alone.
pub(crate) fn check_code_step(context: WidgetContext) -> impl IntoView {
    let worker_files = context.worker_files.get_value();
    crate::api::prefetch_widget_files(
        std::iter::once(context.worker_url.get_value().as_str())
            .chain(worker_files.split_whitespace()),
    );
    let mailbox = context.mailbox;
    let error = mailbox.code_error;
    let busy = move || mailbox.status.get().is_some();
    let on_open = move |event: leptos::ev::MouseEvent| {
        event.prevent_default();
        if busy() {
            return;
        }
        if mailbox.code.get_untracked().trim().is_empty() {
            error.set(Some("check_code_missing"));
            focus_soon("receipt-input");
            return;
        }
        error.set(None);
        mailbox.check_failure.set(None);
        leptos::task::spawn_local(unlock_mailbox(context));
    };
    view! {
        <form class="step" novalidate>
            <h2 id="step-heading" tabindex="-1">{context.text("check_heading")}</h2>
            <p>{context.text("check_intro")}</p>
            <div class="field" class:field-error=move || error.get().is_some()>
                <label for="receipt-input">{context.text("check_code_label")}</label>
                <p class="hint" id="receipt-input-hint">{context.text("check_code_hint")}</p>
                <p class="error-message" id="receipt-input-error" hidden=move || error.get().is_none()>
                    {move || error.get().map(|key| context.text(key))}
                </p>
                <input
                    type="text"
                    id="receipt-input"
                    class="receipt-input"
                    translate="no"
                    dir="ltr"
                    autocomplete="off"
                    autocapitalize="characters"
                    spellcheck="false"
                    maxlength="64"
                    aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                    aria-describedby=move || {
                        if error.get().is_some() {
                            "receipt-input-hint receipt-input-error"
                        } else {
                            "receipt-input-hint"
                        }
                    }
                    prop:value=mailbox.code.get_untracked()
                    on:input=move |event| mailbox.code.set(event_target_value(&event))
                />
            </div>
            <p id="check-status" role="status" tabindex="-1" class:error-message=move || !busy() && mailbox.check_failure.get().is_some()>
                {move || mailbox.status.get().or(mailbox.check_failure.get()).map(|key| context.text(key))}
            </p>
            <progress hidden=move || !busy() aria-labelledby="check-status"></progress>
            {mailbox_buttons(context, "back", "check_button", on_open)}
        </form>
    }
}

/// The buttons under a mailbox step: leave (forgetting the code, the conversation and the
/// worker with its keys) and the step's own action.
fn mailbox_buttons(
    context: WidgetContext,
    leave_key: &'static str,
    action_key: &'static str,
    on_action: impl Fn(leptos::ev::MouseEvent) + 'static,
) -> impl IntoView {
    let leave = move |_| {
        context.mailbox.clear();
        context.end_crypto();
        context.go_to(Step::Start);
    };
    view! {
        <div class="step-buttons">
            <button type="button" class="button-secondary" on:click=leave>
                {context.text(leave_key)}
            </button>
            <button type="submit" class="button-primary" on:click=on_action>
                {context.text(action_key)}
            </button>
        </div>
    }
}

/// The day a message arrived, in the language in use (the relay keeps only the hour).
fn message_day(context: WidgetContext, received_hour: u64) -> String {
    let date = js_sys::Date::new(&(received_hour as f64 * 1000.0).into());
    date.to_locale_date_string(
        &context.language.get_untracked(),
        &wasm_bindgen::JsValue::UNDEFINED,
    )
    .into()
}

/// The key of a status's text in the translation tables (`case_status_in_progress`, …).
fn case_status_key(status: CaseStatus) -> &'static str {
    match status {
        CaseStatus::Read => "case_status_read",
        CaseStatus::InProgress => "case_status_in_progress",
        CaseStatus::HandedOver => "case_status_handed_over",
        CaseStatus::Closed => "case_status_closed",
    }
}

/// The status the coordinator set last, if any: the conversation is oldest first.
fn latest_status(messages: &[OpenedMessage]) -> Option<CaseStatus> {
    messages.iter().rev().find_map(|message| message.status)
}

/// "Status of your report", above the conversation, once the coordinator has set one.
fn case_status_box(context: WidgetContext) -> impl IntoView {
    move || {
        let status = context
            .mailbox
            .messages
            .with(|messages| latest_status(messages))?;
        Some(view! {
            <section class="case-status" aria-labelledby="case-status-heading">
                <h3 id="case-status-heading">{context.text("case_status_heading")}</h3>
                <p id="case-status" class="case-status-value">{context.text(case_status_key(status))}</p>
            </section>
        })
    }
}

/// "New status: in progress", for a message that sets a status.
fn status_change_text(context: WidgetContext, status: CaseStatus) -> String {
    context.with_translations(|translations| {
        translations.format(
            "case_status_changed",
            &[("status", &translations.text(case_status_key(status)))],
        )
    })
}

/// The conversation with the coordinator, and the reporter's answer.
pub(crate) fn conversation_step(context: WidgetContext) -> impl IntoView {
    let mailbox = context.mailbox;
    let note = mailbox.answer_note;
    let answer_missing = move || note.get() == Some("answer_missing");
    let busy = move || mailbox.status.get().is_some();
    let messages = move || {
        let messages = mailbox.messages.get();
        if messages.is_empty() {
            return view! { <p class="conversation-empty">{context.text("conversation_empty")}</p> }
                .into_any();
        }
        let items = messages
            .into_iter()
            .map(|message| {
                let from_coordinator = message.author == MessageAuthor::Coordinator;
                let author = if from_coordinator {
                    context.text("conversation_coordinator")
                } else {
                    context.text("conversation_you")
                };
                let day = message_day(context, message.received_hour);
                let status_change = message
                    .status
                    .map(|status| status_change_text(context, status));
                match (message.text, status_change) {
                    // Only a status: a short line, not an empty message.
                    (Some(text), Some(change)) if text.is_empty() => view! {
                        <li class="status-note">
                            {change} " (" {day} ")"
                        </li>
                    }
                    .into_any(),
                    (text, change) => {
                        let text =
                            text.unwrap_or_else(|| context.text("conversation_unreadable"));
                        view! {
                            <li class="message" class:message-own=!from_coordinator>
                                <p class="message-author">{author} ", " {day}</p>
                                <p class="message-text" translate="no" dir="auto">{text}</p>
                                {change.map(|change| view! { <p class="message-status">{change}</p> })}
                            </li>
                        }
                        .into_any()
                    }
                }
            })
            .collect_view();
        view! { <ol class="conversation">{items}</ol> }.into_any()
    };
    let on_send = move |event: leptos::ev::MouseEvent| {
        event.prevent_default();
        if busy() {
            return;
        }
        if mailbox.answer.get_untracked().trim().is_empty()
            && mailbox.sealed_answer.with_value(Option::is_none)
        {
            note.set(Some("answer_missing"));
            focus_soon("answer");
            return;
        }
        note.set(None);
        leptos::task::spawn_local(send_answer(context));
    };
    view! {
        <form class="step" novalidate>
            <h2 id="step-heading" tabindex="-1">{context.text("conversation_heading")}</h2>
            {case_status_box(context)}
            {messages}
            <p class="hint">{context.text("conversation_come_back")}</p>
            <div class="field" class:field-error=answer_missing>
                <label for="answer">{context.text("answer_label")}</label>
                <p class="hint" id="answer-hint">{context.text("answer_hint")}</p>
                <textarea
                    id="answer"
                    rows="5"
                    maxlength="10000"
                    dir="auto"
                    autocomplete="off"
                    spellcheck="false"
                    aria-invalid=move || if answer_missing() { "true" } else { "false" }
                    aria-describedby=move || if answer_missing() { "answer-hint answer-note" } else { "answer-hint" }
                    prop:value=move || mailbox.answer.get()
                    on:input=move |event| {
                        mailbox.answer.set(event_target_value(&event));
                        // Changed text means a new answer: forget the one sealed for a retry.
                        mailbox.sealed_answer.set_value(None);
                    }
                ></textarea>
            </div>
            <p id="answer-note" role="status" class:error-message=move || note.get().is_some_and(|key| key != "answer_sent")>
                {move || mailbox.status.get().or(note.get()).map(|key| context.text(key))}
            </p>
            {mailbox_buttons(context, "close_mailbox", "answer_send", on_send)}
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(status: Option<CaseStatus>) -> OpenedMessage {
        OpenedMessage {
            author: MessageAuthor::Coordinator,
            received_hour: 0,
            text: Some(String::new()),
            status,
        }
    }

    #[test]
    fn the_status_shown_is_the_one_set_last() {
        assert_eq!(latest_status(&[]), None);
        assert_eq!(latest_status(&[message(None)]), None);
        let conversation = [
            message(Some(CaseStatus::Read)),
            message(Some(CaseStatus::InProgress)),
            message(None),
        ];
        assert_eq!(latest_status(&conversation), Some(CaseStatus::InProgress));
    }

    #[test]
    fn every_status_has_a_text_in_every_language() {
        let directory = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("i18n");
        for language in ["nl", "en", "pl", "ro", "bg", "uk", "es", "ar"] {
            let table: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(directory.join(format!("{language}.json"))).unwrap(),
            )
            .unwrap();
            for key in CaseStatus::ALL
                .map(case_status_key)
                .into_iter()
                .chain(["case_status_heading", "case_status_changed"])
            {
                let text = table[key].as_str().unwrap_or_default();
                assert!(!text.trim().is_empty(), "{language}: {key}");
            }
            assert!(
                table["case_status_changed"]
                    .as_str()
                    .is_some_and(|text| text.contains("{status}")),
                "{language}: case_status_changed names the status"
            );
        }
    }
}
