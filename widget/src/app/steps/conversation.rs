//! "Check for an answer": the receipt code typed back in, then the conversation with the
//! coordinator and the reporter's answer.

use fluister_protocol::MessageAuthor;
use leptos::prelude::*;

use crate::app::context::{WidgetContext, focus_soon};
use crate::app::mailbox::{send_answer, unlock_mailbox};
use crate::form::Step;

/// "I already sent a tip": the reporter types their receipt code back in.
pub(crate) fn check_code_step(context: WidgetContext) -> impl IntoView {
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
                let text = message
                    .text
                    .unwrap_or_else(|| context.text("conversation_unreadable"));
                view! {
                    <li class="message" class:message-own=!from_coordinator>
                        <p class="message-author">{author} ", " {day}</p>
                        <p class="message-text" translate="no">{text}</p>
                    </li>
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
            {messages}
            <p class="hint">{context.text("conversation_come_back")}</p>
            <div class="field" class:field-error=answer_missing>
                <label for="answer">{context.text("answer_label")}</label>
                <p class="hint" id="answer-hint">{context.text("answer_hint")}</p>
                <textarea
                    id="answer"
                    rows="5"
                    maxlength="10000"
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
