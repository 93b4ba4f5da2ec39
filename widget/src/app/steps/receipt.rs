//! After sending: the receipt code (only when its mailbox exists, or why there is none), and
//! the thanks.

use leptos::prelude::*;

use crate::app::context::{WidgetContext, focus_soon};
use crate::app::mailbox::MailboxState;
use crate::form::Step;

use super::{alternatives, what_happens_next};

/// The receipt code, shown only once its mailbox exists; or, when the mailbox could not be
/// opened, what that means (the tip did arrive).
pub(crate) fn receipt_step(context: WidgetContext) -> AnyView {
    match context.delivery.mailbox_state() {
        MailboxState::Open { .. } => receipt_code_step(context).into_any(),
        MailboxState::Failed { temporary: true } => {
            receipt_without_mailbox(context, "receipt_no_mailbox_busy").into_any()
        }
        _ => receipt_without_mailbox(context, "receipt_no_mailbox_refused").into_any(),
    }
}

/// "Done" on the receipt step: forgets the code, and with the worker its keys.
fn finish_receipt(context: WidgetContext) {
    context.receipt_code.update(zeroize::Zeroize::zeroize);
    context.end_crypto();
    context.go_to(Step::Done);
}

fn receipt_code_step(context: WidgetContext) -> impl IntoView {
    let unconfirmed = context.receipt_unconfirmed_error;
    let on_finish = move |_| {
        if context.receipt_confirmed.get_untracked() {
            unconfirmed.set(false);
            finish_receipt(context);
        } else {
            unconfirmed.set(true);
            focus_soon("receipt-confirmed");
        }
    };
    view! {
        <div class="step">
            <h2 id="step-heading" tabindex="-1">{context.text("receipt_heading")}</h2>
            <p>{context.text("receipt_intro")}</p>
            <p class="receipt-label" id="receipt-label">{context.text("receipt_label")}</p>
            <p class="receipt-code" id="receipt-code" translate="no">
                // Latin letters and digits in groups, left to right in any language's text.
                <bdi dir="ltr">{context.receipt_code.get_untracked()}</bdi>
            </p>
            <p class="hint">{context.text("receipt_explanation")}</p>
            <p id="mailbox-status">{context.text("mailbox_open")}</p>
            <div class="choice" class:field-error=move || unconfirmed.get()>
                <input
                    type="checkbox"
                    id="receipt-confirmed"
                    aria-invalid=move || if unconfirmed.get() { "true" } else { "false" }
                    aria-describedby=move || {
                        if unconfirmed.get() { "receipt-code receipt-error" } else { "receipt-code" }
                    }
                    on:change=move |event| {
                        let checked = event_target_checked(&event);
                        context.receipt_confirmed.set(checked);
                        if checked {
                            unconfirmed.set(false);
                        }
                    }
                />
                <label for="receipt-confirmed">{context.text("receipt_confirm")}</label>
            </div>
            <p class="error-message" id="receipt-error" hidden=move || !unconfirmed.get()>
                {context.text("receipt_confirm_missing")}
            </p>
            <div class="step-buttons">
                <button type="button" class="button-primary" on:click=on_finish>
                    {context.text("finish")}
                </button>
            </div>
            {what_happens_next(context)}
            {alternatives(context)}
        </div>
    }
}

/// The tip arrived but its mailbox could not be opened: no code (it would open nothing), and
/// why, plainly; `reason_key` says whether the relay was busy or refused.
fn receipt_without_mailbox(context: WidgetContext, reason_key: &'static str) -> impl IntoView {
    view! {
        <div class="step">
            <h2 id="step-heading" tabindex="-1">{context.text("receipt_heading")}</h2>
            <p>{context.text("receipt_intro")}</p>
            <div class="warning" id="mailbox-status">
                <p>{context.text("receipt_no_mailbox")}</p>
                <p>{context.text(reason_key)}</p>
            </div>
            <p>{context.text("receipt_no_mailbox_later")}</p>
            <div class="step-buttons">
                <button type="button" class="button-primary" on:click=move |_| finish_receipt(context)>
                    {context.text("finish")}
                </button>
            </div>
            {what_happens_next(context)}
            {alternatives(context)}
        </div>
    }
}

pub(crate) fn done_step(context: WidgetContext) -> impl IntoView {
    view! {
        <div class="step">
            <h2 id="step-heading" tabindex="-1">{context.text("done_heading")}</h2>
            <p>{context.text("done_text")}</p>
            <p>{context.text("start_history")}</p>
            <div class="step-buttons">
                <button
                    type="button"
                    class="button-secondary"
                    on:click=move |_| {
                        context.description_missing.set(false);
                        context.go_to(Step::Start);
                    }
                >
                    {context.text("new_report")}
                </button>
            </div>
            {alternatives(context)}
        </div>
    }
}
