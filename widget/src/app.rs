//! The form: its frame (safety bar, language choice, the step on screen) here, the shared state
//! in `context`, the step views in `steps`, and the tasks in `sending` (the send state machine,
//! unit-tested natively over small traits, with the browser's side in `browser`) and `mailbox`
//! (the next tip's mailbox and "check for an answer").
//!
//! Size matters here (every reactive closure in a view is its own monomorphised code), so the
//! views are mostly static: a step is rendered from the current answers when it is shown, inputs
//! write their signal on `input`/`change`, and a language change re-renders the whole widget.
//! Only what changes while a step is on screen (error messages, sending progress, the Shift
//! counter) is reactive.

mod browser;
mod context;
mod mailbox;
mod sending;
mod steps;

use fluister_envelope::tip::vocabulary::Municipality;
use leptos::prelude::*;

use crate::api::{self, PublicConfig};
use crate::embedding::{self, ShiftPressCounter};
use crate::form::Step;
use crate::i18n::{LanguageAsset, Translations};
use context::{FormSignals, MailboxSignals, WidgetContext, focus_soon};
/// How long the form keeps the relay's configuration (`mount_widget` drops an older copy).
#[cfg(target_arch = "wasm32")]
pub(crate) use sending::CONFIG_MAX_AGE_MILLISECONDS;
use sending::Delivery;

/// What the widget knows at start from its iframe document and URL.
#[derive(Clone, Debug)]
pub struct StartupSettings {
    /// The languages on offer, with their asset files.
    pub languages: Vec<LanguageAsset>,
    /// The language to start in.
    pub language: LanguageAsset,
    /// The first language's table, already fetched.
    pub translations: Translations,
    /// The municipality the host page named, if it is one the form knows.
    pub municipality: Option<Municipality>,
    /// The URL of the crypto worker's script.
    pub worker_url: String,
    /// The files the crypto worker's script loads (its JS glue and its wasm, separated by
    /// spaces), which the check for an answer fetches into the HTTP cache while the code is
    /// typed.
    pub worker_files: String,
    /// The step a button on the document's start screen asked for before the form took over.
    pub first_step: Option<Step>,
    /// The fingerprint of the recipients the coordinator pinned (the embed tag's
    /// `data-recipients`, passed on by the loader), if the tag has one.
    pub pinned_recipients: Option<String>,
    /// The relay's configuration as `start.js` already fetched it, with when it arrived
    /// (`Date.now()`), if it arrived and is still fresh; the form fetches its own otherwise.
    pub config: Option<(PublicConfig, f64)>,
}

/// The step a press on the iframe document's own start screen asks for (`start.js` writes
/// `data-pressed`): "start" the first question, "check" checking for an answer.
pub fn pressed_before_start(pressed: &str) -> Option<Step> {
    match pressed {
        "start" => Some(Step::Kind),
        "check" => Some(Step::CheckCode),
        _ => None,
    }
}

/// The whole widget.
pub fn widget_view(settings: StartupSettings) -> impl IntoView {
    let context = WidgetContext {
        translations: RwSignal::new_local(settings.translations),
        language: RwSignal::new(settings.language.code.clone()),
        languages: StoredValue::new(settings.languages),
        step: RwSignal::new(Step::Start),
        answers: FormSignals::new(settings.municipality.clone()),
        preset_municipality: StoredValue::new(settings.municipality),
        description_missing: RwSignal::new(false),
        receipt_confirmed: RwSignal::new(false),
        receipt_unconfirmed_error: RwSignal::new(false),
        delivery: Delivery::new(),
        receipt_code: RwSignal::new(String::new()),
        worker_url: StoredValue::new(settings.worker_url),
        worker_files: StoredValue::new(settings.worker_files),
        crypto: StoredValue::new_local(None),
        mailbox: MailboxSignals::new(),
        exited: RwSignal::new(false),
        shift_status: RwSignal::new(String::new()),
        shift_counter: StoredValue::new(ShiftPressCounter::default()),
        first_question: StoredValue::new(None),
        later_steps: StoredValue::new(None),
        delivery_steps: StoredValue::new(None),
        chunk_failed: RwSignal::new(false),
        chunk_loading: RwSignal::new(false),
        questions_prefetched: StoredValue::new(false),
        chunk_attempt: StoredValue::new(0),
    };
    context
        .delivery
        .pinned
        .set_value(settings.pinned_recipients);
    match settings.config {
        Some((config, fetched_at)) => context.delivery.set_config(config, fetched_at),
        None => leptos::task::spawn_local(async move {
            if let Ok(config) = api::fetch_config().await {
                context.delivery.set_config(config, js_sys::Date::now());
            }
        }),
    }
    listen_for_shift_presses(context);
    set_document_language(&settings.language);
    // The form mounts only once the reporter came near it (`start.js` fetches its wasm then),
    // which is what the start screen's own prefetch waits for.
    match settings.first_step {
        Some(step) => context.go_to(step),
        None => context.prefetch_questions(),
    }

    move || {
        if context.exited.get() {
            return ().into_any();
        }
        // A new table re-renders everything below; the answers live in signals and survive.
        context.translations.track();
        view! {
            <div class="fluister">
                {safety_bar(context)}
                <p class="visually-hidden" aria-live="polite" aria-atomic="true">
                    {move || context.shift_status.get()}
                </p>
                <main class="form-area">
                    {language_choice(context)}
                    {move || current_step_view(context, context.step.get())}
                </main>
            </div>
        }
        .into_any()
    }
}

/// The frame's root takes the language and its direction: `dir="rtl"` mirrors the whole form
/// (the style sheet uses only logical properties: `margin-inline-start`, not `margin-left`).
fn set_document_language(language: &LanguageAsset) {
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute("lang", &language.code);
        let _ = root.set_attribute("dir", language.direction);
    }
}

/// Always on screen: the emergency number and the quick exit.
fn safety_bar(context: WidgetContext) -> impl IntoView {
    let exit_hint = context.with_translations(|translations| {
        translations.plural("exit_hint", embedding::SHIFT_PRESSES_TO_EXIT as u64, &[])
    });
    view! {
        <header class="safety-bar">
            <p class="danger">
                {context.text("danger_call")} " " <a href="tel:112" class="danger-number" dir="ltr">"112"</a>
            </p>
            <button type="button" class="exit-button" on:click=move |_| context.exit_now()>
                {context.text("exit_button")}
            </button>
            <p class="exit-hint">{exit_hint}</p>
        </header>
    }
}

fn listen_for_shift_presses(context: WidgetContext) {
    let handle = window_event_listener(leptos::ev::keydown, move |event| {
        if event.key() != "Shift" {
            context.shift_counter.update_value(ShiftPressCounter::reset);
            return;
        }
        if event.repeat() {
            return;
        }
        let mut presses = 0;
        context
            .shift_counter
            .update_value(|counter| presses = counter.press(js_sys::Date::now()));
        if presses >= embedding::SHIFT_PRESSES_TO_EXIT {
            context.shift_counter.update_value(ShiftPressCounter::reset);
            context.exit_now();
        } else {
            let remaining = (embedding::SHIFT_PRESSES_TO_EXIT - presses) as u64;
            let status = context.with_translations(|translations| {
                translations.plural("exit_shift_status", remaining, &[])
            });
            context.shift_status.set(status);
        }
    });
    // The listener lives as long as the page.
    std::mem::forget(handle);
}

fn language_choice(context: WidgetContext) -> impl IntoView {
    let current = context.language.get_untracked();
    let options = context.languages.with_value(|languages| {
        languages
            .iter()
            .map(|language| {
                view! {
                    <option value=language.code.clone() lang=language.code.clone() dir=language.direction selected=language.code == current>
                        {language.name.clone()}
                    </option>
                }
            })
            .collect_view()
    });
    let on_change = move |event: leptos::ev::Event| {
        let code = event_target_value(&event);
        let asset = context.languages.with_value(|languages| {
            languages
                .iter()
                .find(|language| language.code == code)
                .cloned()
        });
        if let Some(asset) = asset {
            leptos::task::spawn_local(async move {
                if let Ok(text) = api::fetch_widget_file(&asset.file).await
                    && let Some(translations) = Translations::from_json(&asset.code, &text)
                {
                    set_document_language(&asset);
                    context.language.set(asset.code.clone());
                    context.translations.set(translations);
                    focus_soon("language-choice");
                }
            });
        }
    };
    view! {
        <div class="language-choice">
            <label for="language-choice">{context.text("language_label")}</label>
            <select id="language-choice" on:change=on_change>
                {options}
            </select>
        </div>
    }
}

/// Renders a step with its view function: the views after the start screen live in wasm
/// chunks of their own.
type StepRenderer = fn(WidgetContext, Step) -> AnyView;

/// Which wasm chunk a step's view is in: the start screen is in the main module, the first
/// question in a small chunk of its own (what a reporter who pressed "start" waits for), the
/// other questions and the review in the later steps' chunk, which the first question loads in
/// the background, and what needs the crypto worker or the relay (sending, the receipt,
/// checking for an answer) in the delivery chunk, which the questions load in the background.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StepChunk {
    Main,
    FirstQuestion,
    LaterSteps,
    Delivery,
}

impl StepChunk {
    fn of(step: Step) -> Self {
        match step {
            Step::Start => Self::Main,
            Step::Kind => Self::FirstQuestion,
            Step::Role
            | Step::Signals
            | Step::Place
            | Step::Time
            | Step::Description
            | Step::Contact
            | Step::Review => Self::LaterSteps,
            Step::Sending | Step::Receipt | Step::Done | Step::CheckCode | Step::Conversation => {
                Self::Delivery
            }
        }
    }
}

/// The chunk with the first question. `cargo xtask widget` splits this function and everything
/// only it reaches into a wasm chunk of its own (code it shares with another chunk goes into a
/// chunk of shared code, which either loads); elsewhere it is an ordinary call. `fallible`: a
/// chunk that cannot be fetched is an error the form shows, not a panic.
#[wasm_split_helpers::wasm_split(first_question, fallible)]
fn first_question() -> Result<StepRenderer, wasm_split_helpers::SplitLoaderError> {
    Ok(steps::first_question_view)
}

/// The chunk with the other questions and the review, split like [`first_question`].
#[wasm_split_helpers::wasm_split(later_steps, fallible)]
fn later_steps() -> Result<StepRenderer, wasm_split_helpers::SplitLoaderError> {
    Ok(steps::question_view)
}

/// What the delivery chunk gives the rest of the form: its steps' views, and the two tasks the
/// questions start in it.
#[derive(Clone, Copy)]
struct DeliverySteps {
    render: StepRenderer,
    /// Prepares the next tip's receipt code and mailbox ([`mailbox::prepare_receipt`]).
    prepare_receipt: fn(WidgetContext),
    /// Seals and sends the tip ([`sending::start_sending`]).
    start_sending: fn(WidgetContext),
}

/// The chunk with sending, the receipt and checking for an answer: the crypto worker's client,
/// the relay's API, the send state machine and the mailbox. Split like [`later_steps`].
#[wasm_split_helpers::wasm_split(delivery_steps, fallible)]
fn delivery_steps() -> Result<DeliverySteps, wasm_split_helpers::SplitLoaderError> {
    Ok(DeliverySteps {
        render: steps::delivery_view,
        prepare_receipt: |context| {
            mailbox::prepare_receipt(&context.environment(), context.delivery);
        },
        start_sending: sending::start_sending,
    })
}

/// The step on screen: the start screen from the main module, any other step from its chunk
/// (`go_to` shows those only once their chunk is loaded).
fn current_step_view(context: WidgetContext, step: Step) -> AnyView {
    match context.step_renderer(step) {
        Ok(Some(render)) => render(context, step),
        Ok(None) | Err(_) => steps::start_step(context).into_any(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_step_is_in_the_chunk_that_holds_its_view() {
        assert_eq!(StepChunk::of(Step::Start), StepChunk::Main);
        assert_eq!(crate::form::NUMBERED_STEPS[0], Step::Kind);
        assert_eq!(StepChunk::of(Step::Kind), StepChunk::FirstQuestion);
        for step in &crate::form::NUMBERED_STEPS[1..] {
            assert_eq!(StepChunk::of(*step), StepChunk::LaterSteps, "{step:?}");
        }
        for step in [
            Step::Sending,
            Step::Receipt,
            Step::Done,
            Step::CheckCode,
            Step::Conversation,
        ] {
            assert_eq!(StepChunk::of(step), StepChunk::Delivery, "{step:?}");
        }
    }

    #[test]
    fn a_press_before_the_form_took_over_names_its_step_and_nothing_else_does() {
        assert_eq!(pressed_before_start("start"), Some(Step::Kind));
        assert_eq!(pressed_before_start("check"), Some(Step::CheckCode));
        assert_eq!(pressed_before_start("review"), None);
        assert_eq!(pressed_before_start(""), None);
    }
}
