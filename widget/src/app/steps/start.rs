//! The start screen (in the form's first wasm module) and the other ways to report.

use leptos::prelude::*;

use crate::app::context::WidgetContext;
use crate::form::Step;

/// Phone numbers shown as alternatives when the relay's configuration lists none: the
/// translation key of each one's description, and the number (CONTENT.md). `tools/package.mjs`
/// reads this list to put the same numbers in the iframe document's start screen.
const DEFAULT_ALTERNATIVES: &[(&str, &str)] = &[
    ("alternative_meld_misdaad_anoniem", "0800-7000"),
    ("alternative_police", "0900-8844"),
    ("alternative_labour_inspectorate", "0800-5151"),
    ("alternative_comensha", "033-448 11 86"),
    ("alternative_veilig_thuis", "0800-2000"),
];

/// Other ways to report, by phone: the relay's list, or the built-in one.
pub(crate) fn alternatives(context: WidgetContext) -> impl IntoView {
    let configured: Vec<(String, String)> = context
        .delivery
        .config
        .with_untracked(|config| {
            config.as_ref().map(|config| {
                config
                    .phone_numbers
                    .iter()
                    .map(|phone| (phone.label.clone(), phone.number.clone()))
                    .collect()
            })
        })
        .unwrap_or_default();
    let entries = if configured.is_empty() {
        DEFAULT_ALTERNATIVES
            .iter()
            .map(|(key, number)| (context.text(key), (*number).to_owned()))
            .collect()
    } else {
        configured
    };
    let items = entries
        .into_iter()
        .map(|(label, number)| {
            let link = format!("tel:{}", number.replace([' ', '-'], ""));
            view! {
                <li>
                    {label} ": " <a href=link dir="ltr">{number}</a>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="alternatives" aria-labelledby="alternatives-heading">
            <h3 id="alternatives-heading">{context.text("alternatives_heading")}</h3>
            <ul>{items}</ul>
        </section>
    }
}

/// What happens after sending, in plain words: who reads the tip, what they may do, what
/// sending does not do, and where help is (the numbers that follow). On the start screen before
/// the first question and again on the receipt step.
pub(crate) fn what_happens_next(context: WidgetContext) -> impl IntoView {
    let items = [
        "next_reader",
        "next_question",
        "next_action",
        "next_not_police",
        "next_help",
    ]
    .into_iter()
    .map(|key| view! { <li>{context.text(key)}</li> })
    .collect_view();
    view! {
        <section class="what-happens-next" aria-labelledby="next-heading">
            <h3 id="next-heading">{context.text("next_heading")}</h3>
            <ul>{items}</ul>
        </section>
    }
}

pub(crate) fn start_step(context: WidgetContext) -> impl IntoView {
    view! {
        <form
            class="step"
            novalidate
            on:pointerover=move |_| context.prefetch_later_steps()
            on:focusin=move |_| context.prefetch_later_steps()
        >
            <h2 id="step-heading" tabindex="-1">{context.text("start_heading")}</h2>
            <p>{context.text("start_intro")}</p>
            <ul class="promises">
                <li>{context.text("start_anonymous")}</li>
                <li>{context.text("start_encrypted")}</li>
                <li>{context.text("start_skip")}</li>
                <li>{context.text("start_history")}</li>
            </ul>
            {what_happens_next(context)}
            <div class="step-buttons">
                <button
                    type="submit"
                    class="button-primary"
                    on:click=move |event| {
                        event.prevent_default();
                        context.go_to(Step::Kind);
                    }
                >
                    {context.text("start_button")}
                </button>
            </div>
            <p class="check-link">
                <button type="button" class="button-secondary" on:click=move |_| context.go_to(Step::CheckCode)>
                    {context.text("start_check_button")}
                </button>
            </p>
            <p role="status">
                {move || context.later_steps_loading.get().then(|| context.text("loading"))}
            </p>
            <p class="error-message" role="alert" hidden=move || !context.later_steps_failed.get()>
                {context.text("error_unreachable")}
            </p>
            {alternatives(context)}
        </form>
    }
}
