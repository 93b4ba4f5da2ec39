//! The step views. One question per step; every string comes from the translation table in
//! use. A step is rendered from the current answers when it is shown, and inputs write their
//! signal on `input`/`change` (see the module documentation of [`crate::app`]).

mod conversation;
mod questions;
mod receipt;
mod review;
mod send;
mod start;

use leptos::prelude::*;

use crate::app::context::WidgetContext;
use crate::form::{NUMBERED_STEPS, Step};
use crate::i18n::Translations;

use conversation::{check_code_step, conversation_step};
use questions::{
    contact_step, description_step, kinds_step, place_step, role_step, signals_step, time_step,
};
use receipt::{done_step, receipt_step};
use review::review_step;
use send::sending_step;
pub(crate) use start::{alternatives, chunk_status, start_step, what_happens_next};

/// Identifiers with their labels in the language in use, for a radio group.
pub(super) fn labelled(
    context: WidgetContext,
    ids: impl Iterator<Item = &'static str>,
    label: fn(&Translations, &str) -> String,
) -> Vec<(&'static str, String)> {
    context.with_translations(|translations| ids.map(|id| (id, label(translations, id))).collect())
}

/// The view of the first question, from its own wasm chunk. While the reporter answers it, the
/// other questions' chunk loads, and then the crypto worker prepares the receipt code in the
/// background (once per tip), from the delivery chunk: one after the other, so that on a slow
/// line the step the reporter goes to next does not share the bandwidth with the worker.
pub(crate) fn first_question_view(context: WidgetContext, step: Step) -> AnyView {
    leptos::task::spawn_local(async move {
        context.load_later_steps().await;
        context.prepare_receipt();
    });
    match step {
        Step::Kind => kinds_step(context).into_any(),
        // Never asked for (see `StepChunk`).
        _ => start_step(context).into_any(),
    }
}

/// The view of the other questions or the review, from the later steps' wasm chunk.
pub(crate) fn question_view(context: WidgetContext, step: Step) -> AnyView {
    // As on the first question (once per tip).
    context.prepare_receipt();
    match step {
        Step::Role => role_step(context).into_any(),
        Step::Signals => signals_step(context).into_any(),
        Step::Place => place_step(context).into_any(),
        Step::Time => time_step(context).into_any(),
        Step::Description => description_step(context).into_any(),
        Step::Contact => contact_step(context).into_any(),
        Step::Review => review_step(context).into_any(),
        // Never asked for (see `StepChunk`); not the delivery steps, whose code would then
        // come along into this chunk.
        _ => start_step(context).into_any(),
    }
}

/// The view of sending, the receipt or checking for an answer, from the delivery chunk.
pub(crate) fn delivery_view(context: WidgetContext, step: Step) -> AnyView {
    match step {
        Step::Sending => sending_step(context).into_any(),
        Step::Receipt => receipt_step(context).into_any(),
        Step::Done => done_step(context).into_any(),
        Step::CheckCode => check_code_step(context).into_any(),
        Step::Conversation => conversation_step(context).into_any(),
        // Never asked for (see `StepChunk`).
        _ => start_step(context).into_any(),
    }
}

/// "Question 3 of 8", as text and as a bar.
fn progress_indicator(context: WidgetContext, step: Step) -> impl IntoView {
    let number = step.number().unwrap_or(0);
    let total = NUMBERED_STEPS.len();
    let label = context.with_translations(|translations| {
        translations.format(
            "progress",
            &[
                ("current", &number.to_string()),
                ("total", &total.to_string()),
            ],
        )
    });
    view! {
        <div class="progress">
            <p id="progress-label" class="progress-label">{label}</p>
            <progress max=total.to_string() value=number.to_string() aria-labelledby="progress-label"></progress>
        </div>
    }
}

/// Back and next (or another label for next), and what "next" does.
fn step_buttons(
    context: WidgetContext,
    next_label: &'static str,
    on_next: impl Fn() + 'static,
) -> impl IntoView {
    view! {
        <div class="step-buttons">
            <button
                type="button"
                class="button-secondary"
                on:click=move |_| context.go_to(context.step.get_untracked().previous())
            >
                {context.text("back")}
            </button>
            <button
                type="submit"
                class="button-primary"
                on:click=move |event| {
                    event.prevent_default();
                    on_next();
                }
            >
                {context.text(next_label)}
            </button>
        </div>
    }
}

fn next_step(context: WidgetContext) -> impl Fn() + Copy + 'static {
    move || context.go_to(context.step.get_untracked().next())
}

/// A one-line text field with a hint, writing `value` as the reporter types.
fn text_field(
    context: WidgetContext,
    id: &'static str,
    label_key: &'static str,
    hint_key: &'static str,
    max_chars: usize,
    value: RwSignal<String>,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    view! {
        <div class="field">
            <label for=id>{context.text(label_key)}</label>
            <p class="hint" id=hint_id.clone()>{context.text(hint_key)}</p>
            <input
                type="text"
                id=id
                aria-describedby=hint_id
                maxlength=max_chars.to_string()
                dir="auto"
                autocomplete="off"
                spellcheck="false"
                prop:value=value.get_untracked()
                on:input=move |event| value.set(event_target_value(&event))
            />
        </div>
    }
}
