//! The sending step: sealing, waiting for the mailbox, the proof of work's progress, posting;
//! or why the tip was not sent, with a retry.

use leptos::prelude::*;

use crate::app::context::WidgetContext;
use crate::app::sending::{SendingState, start_sending};
use crate::form::Step;

use super::alternatives;

pub(crate) fn sending_step(context: WidgetContext) -> impl IntoView {
    let sending = context.delivery.sending;
    let failed = move || matches!(sending.get(), SendingState::Failed { .. });
    let status = move || match sending.get() {
        SendingState::Preparing => context.text("sending_preparing"),
        SendingState::OpeningMailbox { busy: false } => context.text("sending_mailbox"),
        SendingState::OpeningMailbox { busy: true } => context.text("sending_mailbox_busy"),
        SendingState::Solving { percent, busy } => context.with_translations(|translations| {
            let key = if busy {
                "sending_working_busy"
            } else {
                "sending_working"
            };
            translations.format(key, &[("percent", &percent.to_string())])
        }),
        SendingState::Posting => context.text("sending_posting"),
        SendingState::Failed { message_key } => context.text(message_key),
    };
    let heading = move || {
        if failed() {
            context.text("not_sent_heading")
        } else {
            context.text("sending_heading")
        }
    };
    // Without a value the bar shows that something is going on, not how much of it is done.
    let progress_value = move || match sending.get() {
        SendingState::Solving { percent, .. } => Some(percent.to_string()),
        SendingState::Posting => Some("100".to_owned()),
        _ => None,
    };
    view! {
        <div class="step">
            <h2 id="step-heading" tabindex="-1">{heading}</h2>
            <p id="sending-status" tabindex="-1" role="status" class:error-message=failed>
                {status}
            </p>
            <progress max="100" value=progress_value aria-labelledby="sending-status" hidden=failed></progress>
            <div hidden=move || !failed()>
                <p>{context.text("not_sent_kept")}</p>
                <div class="step-buttons">
                    <button type="button" class="button-secondary" on:click=move |_| context.go_to(Step::Review)>
                        {context.text("back")}
                    </button>
                    <button type="button" class="button-primary" on:click=move |_| start_sending(context)>
                        {context.text("retry")}
                    </button>
                </div>
                {alternatives(context)}
            </div>
        </div>
    }
}
