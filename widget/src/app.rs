//! The form's views. One question per step; every string comes from the translation table in
//! use; the state lives in signals shared through [`WidgetContext`].
//!
//! Size matters here (every reactive closure in a view is its own monomorphised code), so the
//! views are mostly static: a step is rendered from the current answers when it is shown, inputs
//! write their signal on `input`/`change`, and a language change re-renders the whole widget.
//! Only what changes while a step is on screen (error messages, sending progress, the Shift
//! counter) is reactive.

use std::sync::Arc;
use std::time::Duration;

use fluister_envelope::tip::vocabulary::{Kind, Municipality, Role};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::api::{self, PublicConfig, RequestFailure};
use crate::embedding::{self, ShiftPressCounter};
use crate::form::{DESCRIPTION_MAX_CHARS, FormAnswers, NUMBERED_STEPS, Step};
use crate::i18n::{LanguageAsset, Translations};
use crate::proof_of_work;
use crate::sealing::{self, SealedTip, SealingFailure};

/// Phone numbers shown as alternatives when the relay's configuration lists none: the
/// translation key of each one's description, and the number (CONTENT.md).
const DEFAULT_ALTERNATIVES: &[(&str, &str)] = &[
    ("alternative_meld_misdaad_anoniem", "0800-7000"),
    ("alternative_police", "0900-8844"),
    ("alternative_labour_inspectorate", "0800-5151"),
    ("alternative_comensha", "033-448 11 86"),
];

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
    /// The URL of the proof-of-work worker script.
    pub worker_url: String,
}

/// Where sending stands.
#[derive(Clone, Copy, Debug, PartialEq)]
enum SendingState {
    /// Sealing the tip and fetching a challenge.
    Preparing,
    /// Solving the proof of work: percent of the expected tries done (capped at 99).
    Solving { percent: u32 },
    /// Posting the sealed tip.
    Posting,
    /// Not sent; the key of the message saying why.
    Failed { message_key: &'static str },
}

/// The answers, one signal per field.
#[derive(Clone, Copy)]
struct FormSignals {
    kind: RwSignal<Option<Kind>>,
    role: RwSignal<Option<Role>>,
    signals: RwSignal<Vec<String>>,
    municipality: RwSignal<Option<Municipality>>,
    place: RwSignal<String>,
    date: RwSignal<String>,
    ongoing: RwSignal<bool>,
    when_text: RwSignal<String>,
    description: RwSignal<String>,
    contact: RwSignal<String>,
}

impl FormSignals {
    fn new(municipality: Option<Municipality>) -> Self {
        Self {
            kind: RwSignal::new(None),
            role: RwSignal::new(None),
            signals: RwSignal::new(Vec::new()),
            municipality: RwSignal::new(municipality),
            place: RwSignal::new(String::new()),
            date: RwSignal::new(String::new()),
            ongoing: RwSignal::new(false),
            when_text: RwSignal::new(String::new()),
            description: RwSignal::new(String::new()),
            contact: RwSignal::new(String::new()),
        }
    }

    fn snapshot(&self) -> FormAnswers {
        FormAnswers {
            kind: self.kind.get_untracked(),
            role: self.role.get_untracked(),
            signals: self.signals.get_untracked(),
            municipality: self.municipality.get_untracked(),
            place: self.place.get_untracked(),
            date: self.date.get_untracked(),
            ongoing: self.ongoing.get_untracked(),
            when_text: self.when_text.get_untracked(),
            description: self.description.get_untracked(),
            contact: self.contact.get_untracked(),
        }
    }

    /// Forgets every answer, wiping the typed text.
    fn clear(&self, municipality: Option<Municipality>) {
        for text in [
            self.place,
            self.date,
            self.when_text,
            self.description,
            self.contact,
        ] {
            text.update(zeroize::Zeroize::zeroize);
        }
        self.kind.set(None);
        self.role.set(None);
        self.signals.set(Vec::new());
        self.municipality.set(municipality);
        self.ongoing.set(false);
    }
}

/// The widget's shared state. Every field is a cheap handle, so the context is `Copy`.
#[derive(Clone, Copy)]
struct WidgetContext {
    translations: RwSignal<Arc<Translations>>,
    language: RwSignal<String>,
    languages: StoredValue<Vec<LanguageAsset>>,
    step: RwSignal<Step>,
    answers: FormSignals,
    preset_municipality: StoredValue<Option<Municipality>>,
    description_missing: RwSignal<bool>,
    receipt_confirmed: RwSignal<bool>,
    receipt_unconfirmed_error: RwSignal<bool>,
    config: RwSignal<Option<PublicConfig>>,
    sending: RwSignal<SendingState>,
    sealed: StoredValue<Option<SealedTip>>,
    receipt_code: RwSignal<String>,
    worker_url: StoredValue<String>,
    exited: RwSignal<bool>,
    shift_status: RwSignal<String>,
    shift_counter: StoredValue<ShiftPressCounter>,
}

impl WidgetContext {
    /// The UI string under `key` in the language in use. Not reactive: a language change
    /// re-renders the whole widget.
    fn text(self, key: &'static str) -> String {
        self.translations
            .with_untracked(|translations| translations.text(key))
    }

    /// Runs `read` on the table in use, without tracking it (see [`WidgetContext::text`]).
    fn with_translations<R>(self, read: impl FnOnce(&Translations) -> R) -> R {
        self.translations
            .with_untracked(|translations| read(translations))
    }

    /// Goes to `step` and moves keyboard and screen-reader focus to its heading.
    fn go_to(self, step: Step) {
        self.step.set(step);
        focus_soon("step-heading");
    }

    /// Quick exit: hide everything at once, forget every answer and the sealed tip, and leave.
    fn exit_now(self) {
        self.exited.set(true);
        self.answers.clear(None);
        self.sealed.set_value(None);
        self.receipt_code.update(zeroize::Zeroize::zeroize);
        leave_page();
    }
}

/// Focuses the element with `id` once the current render has finished.
fn focus_soon(id: &'static str) {
    set_timeout(
        move || {
            let element = document()
                .get_element_by_id(id)
                .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok());
            if let Some(element) = element {
                let _ = element.focus();
            }
        },
        Duration::from_millis(0),
    );
}

#[cfg(target_arch = "wasm32")]
fn leave_page() {
    embedding::leave_now();
}

#[cfg(not(target_arch = "wasm32"))]
fn leave_page() {}

/// The whole widget.
pub fn widget_view(settings: StartupSettings) -> impl IntoView {
    let context = WidgetContext {
        translations: RwSignal::new(Arc::new(settings.translations)),
        language: RwSignal::new(settings.language.code.clone()),
        languages: StoredValue::new(settings.languages),
        step: RwSignal::new(Step::Start),
        answers: FormSignals::new(settings.municipality.clone()),
        preset_municipality: StoredValue::new(settings.municipality),
        description_missing: RwSignal::new(false),
        receipt_confirmed: RwSignal::new(false),
        receipt_unconfirmed_error: RwSignal::new(false),
        config: RwSignal::new(None),
        sending: RwSignal::new(SendingState::Preparing),
        sealed: StoredValue::new(None),
        receipt_code: RwSignal::new(String::new()),
        worker_url: StoredValue::new(settings.worker_url),
        exited: RwSignal::new(false),
        shift_status: RwSignal::new(String::new()),
        shift_counter: StoredValue::new(ShiftPressCounter::default()),
    };
    leptos::task::spawn_local(async move {
        if let Ok(config) = api::fetch_config().await {
            context.config.set(Some(config));
        }
    });
    listen_for_shift_presses(context);
    set_document_language(&context.language.get_untracked());

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
                    {move || step_view(context, context.step.get())}
                </main>
            </div>
        }
        .into_any()
    }
}

fn set_document_language(code: &str) {
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute("lang", code);
    }
}

/// Always on screen: the emergency number and the quick exit.
fn safety_bar(context: WidgetContext) -> impl IntoView {
    view! {
        <header class="safety-bar">
            <p class="danger">
                {context.text("danger_call")} " " <a href="tel:112" class="danger-number">"112"</a>
            </p>
            <button type="button" class="exit-button" on:click=move |_| context.exit_now()>
                {context.text("exit_button")}
            </button>
            <p class="exit-hint">{context.text("exit_hint")}</p>
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
            let remaining = (embedding::SHIFT_PRESSES_TO_EXIT - presses).to_string();
            let status = context.with_translations(|translations| {
                translations.format("exit_shift_status", &[("remaining", &remaining)])
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
                    <option value=language.code.clone() lang=language.code.clone() selected=language.code == current>
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
                    && let Ok(translations) = Translations::from_json(&text)
                {
                    set_document_language(&asset.code);
                    context.language.set(asset.code.clone());
                    context.translations.set(Arc::new(translations));
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

fn step_view(context: WidgetContext, step: Step) -> AnyView {
    match step {
        Step::Start => start_step(context).into_any(),
        Step::Kind => radio_step(
            context,
            Step::Kind,
            "kind_heading",
            "kind",
            Kind::ALL
                .iter()
                .map(|kind| {
                    (
                        kind.as_str(),
                        context.with_translations(|translations| {
                            translations.kind_label(kind.as_str())
                        }),
                    )
                })
                .collect(),
            context
                .answers
                .kind
                .with_untracked(|kind| kind.as_ref().map(|kind| kind.as_str().to_owned())),
            move |id| context.answers.kind.set(Some(Kind::from_id(id))),
        )
        .into_any(),
        Step::Role => radio_step(
            context,
            Step::Role,
            "role_heading",
            "role",
            Role::ALL
                .iter()
                .map(|role| {
                    (
                        role.as_str(),
                        context.with_translations(|translations| {
                            translations.role_label(role.as_str())
                        }),
                    )
                })
                .collect(),
            context
                .answers
                .role
                .with_untracked(|role| role.as_ref().map(|role| role.as_str().to_owned())),
            move |id| context.answers.role.set(Some(Role::from_id(id))),
        )
        .into_any(),
        Step::Signals => signals_step(context).into_any(),
        Step::Place => place_step(context).into_any(),
        Step::Time => time_step(context).into_any(),
        Step::Description => description_step(context).into_any(),
        Step::Contact => contact_step(context).into_any(),
        Step::Review => review_step(context).into_any(),
        Step::Sending => sending_step(context).into_any(),
        Step::Receipt => receipt_step(context).into_any(),
        Step::Done => done_step(context).into_any(),
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

/// Other ways to report, by phone: the relay's list, or the built-in one.
fn alternatives(context: WidgetContext) -> impl IntoView {
    let configured: Vec<(String, String)> = context
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
                    {label} ": " <a href=link>{number}</a>
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

fn start_step(context: WidgetContext) -> impl IntoView {
    view! {
        <form class="step" novalidate>
            <h2 id="step-heading" tabindex="-1">{context.text("start_heading")}</h2>
            <p>{context.text("start_intro")}</p>
            <ul class="promises">
                <li>{context.text("start_anonymous")}</li>
                <li>{context.text("start_encrypted")}</li>
                <li>{context.text("start_skip")}</li>
                <li>{context.text("start_history")}</li>
            </ul>
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
            {alternatives(context)}
        </form>
    }
}

/// A radio group for one question: `options` are identifiers with their labels.
fn radio_step(
    context: WidgetContext,
    step: Step,
    heading_key: &'static str,
    name: &'static str,
    options: Vec<(&'static str, String)>,
    selected: Option<String>,
    on_select: impl Fn(&str) + Copy + 'static,
) -> impl IntoView {
    let radios = options
        .into_iter()
        .map(|(value, label)| {
            let id = format!("{name}-{value}");
            view! {
                <div class="choice">
                    <input
                        type="radio"
                        id=id.clone()
                        name=name
                        value=value
                        prop:checked=selected.as_deref() == Some(value)
                        on:change=move |_| on_select(value)
                    />
                    <label for=id>{label}</label>
                </div>
            }
        })
        .collect_view();
    view! {
        <form class="step" novalidate>
            {progress_indicator(context, step)}
            <fieldset>
                <legend>
                    <h2 id="step-heading" tabindex="-1">{context.text(heading_key)}</h2>
                </legend>
                <p class="hint">{context.text("may_skip")}</p>
                {radios}
            </fieldset>
            {step_buttons(context, "next", next_step(context))}
        </form>
    }
}

fn signals_step(context: WidgetContext) -> impl IntoView {
    let groups = crate::form::signal_groups_for_kind(context.answers.kind.get_untracked().as_ref());
    let ticked = context.answers.signals.get_untracked();
    let fieldsets = groups
        .into_iter()
        .map(|group| {
            let checkboxes = group
                .signal_ids
                .iter()
                .map(|signal_id| {
                    let signal_id: &'static str = signal_id;
                    let id = format!("signal-{}", signal_id.replace('.', "-"));
                    let explanation_id = format!("{id}-explanation");
                    let text = context.with_translations(|translations| translations.signal(signal_id));
                    let checked = ticked.iter().any(|signal| signal == signal_id);
                    view! {
                        <div class="choice">
                            <input
                                type="checkbox"
                                id=id.clone()
                                aria-describedby=explanation_id.clone()
                                prop:checked=checked
                                on:change=move |event| {
                                    let checked = event_target_checked(&event);
                                    context
                                        .answers
                                        .signals
                                        .update(|signals| {
                                            signals.retain(|signal| signal != signal_id);
                                            if checked {
                                                signals.push(signal_id.to_owned());
                                            }
                                        });
                                }
                            />
                            <label for=id>{text.label}</label>
                            <p class="explanation" id=explanation_id>{text.explanation}</p>
                        </div>
                    }
                })
                .collect_view();
            view! {
                <fieldset class="signal-group">
                    <legend>
                        {context.with_translations(|translations| translations.signal_group_label(group.group_id))}
                    </legend>
                    {checkboxes}
                </fieldset>
            }
        })
        .collect_view();
    view! {
        <form class="step" novalidate>
            {progress_indicator(context, Step::Signals)}
            <h2 id="step-heading" tabindex="-1">{context.text("signals_heading")}</h2>
            <p class="hint">{context.text("signals_hint")}</p>
            {fieldsets}
            {step_buttons(context, "next", next_step(context))}
        </form>
    }
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
                autocomplete="off"
                prop:value=value.get_untracked()
                on:input=move |event| value.set(event_target_value(&event))
            />
        </div>
    }
}

fn place_step(context: WidgetContext) -> impl IntoView {
    let municipality = context.answers.municipality;
    let current = municipality.get_untracked();
    let options = Municipality::ALL
        .iter()
        .map(|option| {
            let label =
                context.with_translations(|translations| translations.municipality_label(option));
            view! {
                <option value=option.as_str().to_owned() selected=current.as_ref() == Some(option)>
                    {label}
                </option>
            }
        })
        .collect_view();
    view! {
        <form class="step" novalidate>
            {progress_indicator(context, Step::Place)}
            <h2 id="step-heading" tabindex="-1">{context.text("place_heading")}</h2>
            <p class="hint">{context.text("may_skip")}</p>
            <div class="field">
                <label for="municipality">{context.text("municipality_label")}</label>
                <select
                    id="municipality"
                    on:change=move |event| {
                        let id = event_target_value(&event);
                        municipality.set((!id.is_empty()).then(|| Municipality::from_id(&id)));
                    }
                >
                    <option value="" selected=current.is_none()>
                        {context.text("municipality_none")}
                    </option>
                    {options}
                </select>
            </div>
            {text_field(
                context,
                "place",
                "place_label",
                "place_hint",
                fluister_envelope::tip::MAX_PLACE_CHARS,
                context.answers.place,
            )}
            {step_buttons(context, "next", next_step(context))}
        </form>
    }
}

fn time_step(context: WidgetContext) -> impl IntoView {
    let answers = context.answers;
    view! {
        <form class="step" novalidate>
            {progress_indicator(context, Step::Time)}
            <h2 id="step-heading" tabindex="-1">{context.text("time_heading")}</h2>
            <p class="hint">{context.text("may_skip")}</p>
            <div class="field">
                <label for="date">{context.text("date_label")}</label>
                <input
                    type="date"
                    id="date"
                    autocomplete="off"
                    prop:value=answers.date.get_untracked()
                    on:input=move |event| answers.date.set(event_target_value(&event))
                />
            </div>
            <div class="choice">
                <input
                    type="checkbox"
                    id="ongoing"
                    prop:checked=answers.ongoing.get_untracked()
                    on:change=move |event| answers.ongoing.set(event_target_checked(&event))
                />
                <label for="ongoing">{context.text("ongoing_label")}</label>
            </div>
            {text_field(
                context,
                "when-text",
                "when_text_label",
                "when_text_hint",
                fluister_envelope::tip::MAX_WHEN_TEXT_CHARS,
                answers.when_text,
            )}
            {step_buttons(context, "next", next_step(context))}
        </form>
    }
}

/// Checks the one required answer and shows the error when it is missing.
fn require_description(context: WidgetContext) -> bool {
    let present = context
        .answers
        .description
        .with_untracked(|text| !text.trim().is_empty());
    context.description_missing.set(!present);
    present
}

fn description_step(context: WidgetContext) -> impl IntoView {
    let on_next = move || {
        if require_description(context) {
            context.go_to(Step::Contact);
        } else {
            focus_soon("description");
        }
    };
    let missing = context.description_missing;
    view! {
        <form class="step" novalidate>
            {progress_indicator(context, Step::Description)}
            <h2 id="step-heading" tabindex="-1">{context.text("description_heading")}</h2>
            <div class="field" class:field-error=move || missing.get()>
                <label for="description">
                    {context.text("description_label")} " "
                    <span class="required">{context.text("required")}</span>
                </label>
                <p class="hint" id="description-hint">{context.text("description_hint")}</p>
                <p class="error-message" id="description-error" hidden=move || !missing.get()>
                    {context.text("description_missing")}
                </p>
                <textarea
                    id="description"
                    rows="8"
                    required
                    aria-invalid=move || if missing.get() { "true" } else { "false" }
                    aria-describedby=move || {
                        if missing.get() { "description-hint description-error" } else { "description-hint" }
                    }
                    maxlength=DESCRIPTION_MAX_CHARS.to_string()
                    prop:value=context.answers.description.get_untracked()
                    on:input=move |event| {
                        context.answers.description.set(event_target_value(&event));
                        if missing.get_untracked() {
                            missing.set(false);
                        }
                    }
                ></textarea>
            </div>
            {step_buttons(context, "next", on_next)}
        </form>
    }
}

fn contact_step(context: WidgetContext) -> impl IntoView {
    let contact = context.answers.contact;
    view! {
        <form class="step" novalidate>
            {progress_indicator(context, Step::Contact)}
            <h2 id="step-heading" tabindex="-1">{context.text("contact_heading")}</h2>
            <p class="hint">{context.text("may_skip")}</p>
            <p class="warning" id="contact-warning">{context.text("contact_warning")}</p>
            <div class="field">
                <label for="contact">{context.text("contact_label")}</label>
                <p class="hint" id="contact-hint">{context.text("contact_hint")}</p>
                <textarea
                    id="contact"
                    rows="3"
                    aria-describedby="contact-warning contact-hint"
                    maxlength=fluister_envelope::tip::MAX_CONTACT_CHARS.to_string()
                    prop:value=contact.get_untracked()
                    on:input=move |event| contact.set(event_target_value(&event))
                ></textarea>
            </div>
            {step_buttons(context, "next", next_step(context))}
        </form>
    }
}

/// The review's answers, as text in the language in use ("not filled in" for blanks).
fn review_answers(context: WidgetContext) -> Vec<(&'static str, String, Step)> {
    let answers = context.answers.snapshot();
    let document = answers.to_tip_document();
    context.with_translations(|translations| {
        let join = |parts: Vec<String>, separator: &str| {
            let parts: Vec<String> = parts
                .into_iter()
                .filter(|part| !part.trim().is_empty())
                .collect();
            if parts.is_empty() {
                translations.text("not_answered")
            } else {
                parts.join(separator)
            }
        };
        let kind = document
            .kind
            .as_ref()
            .map(|kind| translations.kind_label(kind.as_str()));
        let role = document
            .role
            .as_ref()
            .map(|role| translations.role_label(role.as_str()));
        let signals = document
            .signals
            .iter()
            .map(|id| translations.signal(id).label)
            .collect();
        let municipality = document
            .municipality
            .as_ref()
            .map(|municipality| translations.municipality_label(municipality));
        let place = municipality
            .into_iter()
            .chain(document.place.clone())
            .collect();
        let time = document
            .when
            .as_ref()
            .map(|when| {
                let mut parts: Vec<String> = when.date.clone().into_iter().collect();
                if when.ongoing {
                    parts.push(translations.text("ongoing_label"));
                }
                parts.extend(when.text.clone());
                parts
            })
            .unwrap_or_default();
        vec![
            (
                "review_kind",
                join(kind.into_iter().collect(), ""),
                Step::Kind,
            ),
            (
                "review_role",
                join(role.into_iter().collect(), ""),
                Step::Role,
            ),
            ("review_signals", join(signals, "; "), Step::Signals),
            ("review_place", join(place, ", "), Step::Place),
            ("review_time", join(time, ", "), Step::Time),
            (
                "review_description",
                join(vec![answers.description.clone()], ""),
                Step::Description,
            ),
            (
                "review_contact",
                join(document.contact.clone().into_iter().collect(), ""),
                Step::Contact,
            ),
        ]
    })
}

fn review_step(context: WidgetContext) -> impl IntoView {
    let rows = review_answers(context)
        .into_iter()
        .map(|(question_key, answer, step)| {
            let question = context.text(question_key);
            view! {
                <div class="review-row">
                    <dt>{question.clone()}</dt>
                    <dd>
                        <span class="review-answer">{answer}</span>
                        " "
                        <button type="button" class="button-link" on:click=move |_| context.go_to(step)>
                            {context.text("change")}
                            <span class="visually-hidden">": " {question}</span>
                        </button>
                    </dd>
                </div>
            }
        })
        .collect_view();
    let on_send = move || {
        if require_description(context) {
            start_sending(context);
        } else {
            focus_soon("review-error");
        }
    };
    let missing = context.description_missing;
    view! {
        <form class="step" novalidate>
            {progress_indicator(context, Step::Review)}
            <h2 id="step-heading" tabindex="-1">{context.text("review_heading")}</h2>
            <p class="hint">{context.text("review_hint")}</p>
            <p class="error-message" id="review-error" tabindex="-1" hidden=move || !missing.get()>
                {context.text("description_missing")} " "
                <button type="button" class="button-link" on:click=move |_| context.go_to(Step::Description)>
                    {context.text("description_go_to")}
                </button>
            </p>
            <dl class="review">{rows}</dl>
            <p class="hint">{context.text("review_encryption")}</p>
            {step_buttons(context, "send", on_send)}
        </form>
    }
}

/// Seals the tip (once: a retry reuses the same sealed bytes and submission key) and sends it.
fn start_sending(context: WidgetContext) {
    context.sending.set(SendingState::Preparing);
    context.go_to(Step::Sending);
    leptos::task::spawn_local(send_sealed_tip(context));
}

async fn send_sealed_tip(context: WidgetContext) {
    let fail = |message_key: &'static str| {
        context.sending.set(SendingState::Failed { message_key });
        focus_soon("sending-status");
    };
    if context.config.get_untracked().is_none() {
        match api::fetch_config().await {
            Ok(config) => context.config.set(Some(config)),
            Err(_) => return fail("error_unreachable"),
        }
    }
    if context.sealed.with_value(Option::is_none) {
        let recipients = context
            .config
            .with_untracked(|config| config.as_ref().map(|config| config.recipients.clone()))
            .unwrap_or_default();
        let sealed = sealing::parse_recipients(&recipients)
            .and_then(|recipients| sealing::seal_answers(&context.answers.snapshot(), &recipients));
        match sealed {
            Ok(sealed) => context.sealed.set_value(Some(sealed)),
            Err(SealingFailure::InvalidAnswers) => return fail("error_invalid"),
            Err(SealingFailure::NoRecipients | SealingFailure::Crypto) => {
                return fail("error_sealing");
            }
        }
    }
    let Some(sealed) = context.sealed.get_value() else {
        return fail("error_sealing");
    };
    // A used-up or expired challenge is not the reporter's problem: fetch a fresh one.
    for _attempt in 0..3 {
        context.sending.set(SendingState::Preparing);
        let challenge = match api::fetch_challenge().await {
            Ok(challenge) => challenge,
            Err(failure) => return fail(failure_message(&failure)),
        };
        let expected = u64::from(challenge.difficulty.max(1));
        context.sending.set(SendingState::Solving { percent: 0 });
        let worker_url = context.worker_url.get_value();
        let on_progress = move |tries: u32| {
            let percent = (u64::from(tries) * 100 / expected).min(99) as u32;
            context.sending.set(SendingState::Solving { percent });
        };
        let nonce = match proof_of_work::solve_in_worker(
            &worker_url,
            &challenge,
            &sealed.ciphertext_sha256,
            on_progress,
        )
        .await
        {
            Ok(nonce) => nonce,
            Err(()) => return fail("error_proof_of_work"),
        };
        context.sending.set(SendingState::Posting);
        match api::submit_tip(
            &sealed.ciphertext,
            &sealed.submission_key,
            &challenge_seed_text(&challenge),
            nonce,
        )
        .await
        {
            Ok(_tip_id) => {
                context.receipt_code.set(sealed.receipt_code.to_string());
                context.sealed.set_value(None);
                context
                    .answers
                    .clear(context.preset_municipality.get_value());
                context.receipt_confirmed.set(false);
                context.receipt_unconfirmed_error.set(false);
                context.go_to(Step::Receipt);
                return;
            }
            Err(RequestFailure::Refused { code, .. }) if code == "challenge_invalid" => continue,
            Err(failure) => return fail(failure_message(&failure)),
        }
    }
    fail("error_busy");
}

/// The challenge's seed exactly as the relay sent it (unpadded base64url).
fn challenge_seed_text(challenge: &fluister_envelope::pow::Challenge) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(challenge.seed)
}

fn failure_message(failure: &RequestFailure) -> &'static str {
    match failure {
        RequestFailure::Unreachable => "error_unreachable",
        RequestFailure::Refused { status, .. } if *status == 429 || *status == 503 => "error_busy",
        RequestFailure::Refused { .. } if failure.is_temporary() => "error_server",
        RequestFailure::Refused { .. } => "error_refused",
    }
}

fn sending_step(context: WidgetContext) -> impl IntoView {
    let sending = context.sending;
    let failed = move || matches!(sending.get(), SendingState::Failed { .. });
    let status = move || match sending.get() {
        SendingState::Preparing => context.text("sending_preparing"),
        SendingState::Solving { percent } => context.with_translations(|translations| {
            translations.format("sending_working", &[("percent", &percent.to_string())])
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
    let progress_value = move || match sending.get() {
        SendingState::Solving { percent } => percent.to_string(),
        SendingState::Posting => "100".to_owned(),
        _ => "0".to_owned(),
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

fn receipt_step(context: WidgetContext) -> impl IntoView {
    let unconfirmed = context.receipt_unconfirmed_error;
    let on_finish = move |_| {
        if context.receipt_confirmed.get_untracked() {
            unconfirmed.set(false);
            context.receipt_code.update(zeroize::Zeroize::zeroize);
            context.go_to(Step::Done);
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
                {context.receipt_code.get_untracked()}
            </p>
            <p class="hint">{context.text("receipt_explanation")}</p>
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
        </div>
    }
}

fn done_step(context: WidgetContext) -> impl IntoView {
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
