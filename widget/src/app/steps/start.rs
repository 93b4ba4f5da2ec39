//! The start screen (in the form's first wasm module) and the other ways to report.

use leptos::prelude::*;

use crate::app::context::WidgetContext;
use crate::form::Step;

/// Phone numbers shown as alternatives when the relay's configuration lists none: the
/// translation key of each one's description, the number, and the number for callers with a
/// foreign SIM card or from abroad where the agency publishes one (empty otherwise; CONTENT.md
/// and `docs/translating.md` say where each comes from). `tools/package.mjs` reads this list to
/// put the same numbers in the iframe document's start screen.
const DEFAULT_ALTERNATIVES: &[(&str, &str, &str)] = &[
    ("alternative_meld_misdaad_anoniem", "0800-7000", ""),
    ("alternative_police", "0900-8844", ""),
    (
        "alternative_labour_inspectorate",
        "0800-5151",
        "+31 70 333 56 78",
    ),
    ("alternative_comensha", "033-448 11 86", "+31 33 448 11 86"),
    ("alternative_veilig_thuis", "0800-2000", ""),
];

/// A number as a `tel:` link, written left to right in every language.
fn phone_link(number: String) -> impl IntoView {
    let link = format!("tel:{}", number.replace([' ', '-'], ""));
    view! { <a href=link dir="ltr">{number}</a> }
}

/// Other ways to report, by phone: the relay's list (each label in the reporter's language
/// where the relay has one), or the built-in one. The relay's list replaces the built-in one
/// when the relay's configuration arrives, which may be after the screen is shown.
pub(crate) fn alternatives(context: WidgetContext) -> impl IntoView {
    let language = context.with_translations(|translations| translations.language().to_owned());
    let configured = Memo::new(move |_| {
        context.delivery.config.with(|config| {
            config
                .iter()
                .flat_map(|config| &config.phone_numbers)
                .map(|phone| {
                    (
                        phone.label_in(&language).to_owned(),
                        phone.number.clone(),
                        phone.abroad.clone(),
                    )
                })
                .collect::<Vec<_>>()
        })
    });
    let items = move || {
        let mut entries = configured.get();
        if entries.is_empty() {
            entries = DEFAULT_ALTERNATIVES
                .iter()
                .map(|(key, number, abroad)| {
                    (
                        context.text(key),
                        (*number).to_owned(),
                        (*abroad).to_owned(),
                    )
                })
                .collect();
        }
        let from_abroad = context.text("alternative_from_abroad");
        entries
            .into_iter()
            .map(|(label, number, abroad)| {
                let abroad = (!abroad.is_empty())
                    .then(|| view! { "; " {from_abroad.clone()} ": " {phone_link(abroad)} });
                view! {
                    <li>
                        {label} ": " {phone_link(number)} {abroad}
                    </li>
                }
            })
            .collect_view()
    };
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
            on:pointerover=move |_| context.prefetch_questions()
            on:focusin=move |_| context.prefetch_questions()
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
            {chunk_status(context)}
            {alternatives(context)}
        </form>
    }
}

/// While the next step's wasm chunk loads after a press, "loading"; if it cannot be fetched,
/// that the form cannot reach the server (the press tries again). On the start screen, the
/// first question and the review, the steps whose buttons lead into a chunk that may not be
/// loaded yet.
pub(crate) fn chunk_status(context: WidgetContext) -> impl IntoView {
    view! {
        <p role="status">
            {move || context.chunk_loading.get().then(|| context.text("loading"))}
        </p>
        <p class="error-message" role="alert" hidden=move || !context.chunk_failed.get()>
            {context.text("error_unreachable")}
        </p>
    }
}
