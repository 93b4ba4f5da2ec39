//! The form's views. One question per step; every string comes from the translation table in
//! use; the state lives in signals shared through [`WidgetContext`].
//!
//! Size matters here (every reactive closure in a view is its own monomorphised code), so the
//! views are mostly static: a step is rendered from the current answers when it is shown, inputs
//! write their signal on `input`/`change`, and a language change re-renders the whole widget.
//! Only what changes while a step is on screen (error messages, sending progress, the Shift
//! counter) is reactive.

use std::rc::Rc;
use std::time::Duration;

use fluister_envelope::tip::vocabulary::{Kind, Municipality, Role};
use fluister_protocol::worker::{
    Failure, MailboxAccess, OpenedMessage, PreparedReceipt, SealedFile, SealedTip,
};
use fluister_protocol::{ErrorCode, MessageAuthor};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::api::{self, PublicConfig, RequestFailure};
use crate::crypto_worker::{CryptoWorker, ProgressHandler};
use crate::embedding::{self, ShiftPressCounter};
use crate::form::{DESCRIPTION_MAX_CHARS, FormAnswers, NUMBERED_STEPS, Step};
use crate::i18n::{LanguageAsset, Translations};

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
    /// The URL of the crypto worker's script.
    pub worker_url: String,
}

/// The mailbox for answers of the next tip. It is opened with the relay while the reporter
/// fills in the form, in a request of its own at a random moment, so that it exists before the
/// receipt code is shown (a reporter may close the page at once) and the relay sees nothing
/// that ties it to the tip.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
enum MailboxState {
    /// No receipt code is prepared.
    #[default]
    None,
    /// The worker is making the receipt code and deriving its keys.
    Preparing,
    /// The keys are ready; the registration waits for its moment (or for the reporter to send).
    Waiting,
    /// Registering it with the relay (its own request, with its own proof of work).
    Opening,
    /// Registered; `at` is when the relay said so (`Date.now()`), to keep the tip apart from it.
    Open { at: f64 },
    /// Could not be registered: the relay was busy or unreachable (`temporary`: sending tries
    /// once more), or refused it.
    Failed { temporary: bool },
}

/// The next tip's mailbox, kept together.
#[derive(Clone, Default)]
struct NextMailbox {
    state: MailboxState,
    /// The registration the worker made for the prepared code.
    registration: Option<PreparedReceipt>,
    /// Changes whenever the code is forgotten, so that a registration still running stops.
    generation: u32,
    /// Whether the reporter waits for it (is sending): retries come sooner.
    hurry: bool,
}

/// How often the mailbox registration is tried before it counts as failed.
const REGISTRATION_ATTEMPTS: u32 = 4;

/// Where sending stands.
#[derive(Clone, Copy, Debug, PartialEq)]
enum SendingState {
    /// Sealing the tip and fetching a challenge.
    Preparing,
    /// Waiting for the mailbox for answers to be opened first; `busy` when the relay raised the
    /// proof of work's difficulty above its usual level.
    OpeningMailbox { busy: bool },
    /// Solving the proof of work: the share of solvers who would be done by now (capped at 99),
    /// and whether the relay raised the difficulty.
    Solving { percent: u32, busy: bool },
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

/// The "check for an answer" part: the code typed in, the mailbox it opened, the conversation.
#[derive(Clone, Copy)]
struct MailboxSignals {
    code: RwSignal<String>,
    /// The key of the message about the code itself (missing, typo, not found), if any.
    code_error: RwSignal<Option<&'static str>>,
    /// The key of the message about a failed check that is not the code's fault (the relay is
    /// busy or unreachable), if any.
    check_failure: RwSignal<Option<&'static str>>,
    /// The key of the status while the mailbox opens or an answer is sent.
    status: RwSignal<Option<&'static str>>,
    /// The mailbox id and token.
    access: StoredValue<Option<MailboxAccess>>,
    messages: RwSignal<Vec<OpenedMessage>>,
    answer: RwSignal<String>,
    /// The key of the message about the answer (missing, sent, failed), if any.
    answer_note: RwSignal<Option<&'static str>>,
    /// An answer sealed but not yet accepted: kept for a retry, like a tip.
    sealed_answer: StoredValue<Option<SealedFile>>,
}

impl MailboxSignals {
    fn new() -> Self {
        Self {
            code: RwSignal::new(String::new()),
            code_error: RwSignal::new(None),
            check_failure: RwSignal::new(None),
            status: RwSignal::new(None),
            access: StoredValue::new(None),
            messages: RwSignal::new(Vec::new()),
            answer: RwSignal::new(String::new()),
            answer_note: RwSignal::new(None),
            sealed_answer: StoredValue::new(None),
        }
    }

    /// Forgets the code, the access token and the conversation.
    fn clear(&self) {
        self.code.update(zeroize::Zeroize::zeroize);
        self.answer.update(zeroize::Zeroize::zeroize);
        self.code_error.set(None);
        self.check_failure.set(None);
        self.status.set(None);
        self.answer_note.set(None);
        self.access.set_value(None);
        self.sealed_answer.set_value(None);
        self.messages.set(Vec::new());
    }
}

/// The widget's shared state. Every field is a cheap handle, so the context is `Copy`.
#[derive(Clone, Copy)]
struct WidgetContext {
    translations: RwSignal<Translations, LocalStorage>,
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
    /// The crypto worker, started when first needed; it holds the receipt code's keys.
    crypto: StoredValue<Option<Rc<CryptoWorker>>, LocalStorage>,
    /// The next tip's mailbox.
    next_mailbox: StoredValue<NextMailbox>,
    mailbox: MailboxSignals,
    exited: RwSignal<bool>,
    shift_status: RwSignal<String>,
    shift_counter: StoredValue<ShiftPressCounter>,
    /// The views of every step after the start screen, once their wasm chunk is loaded.
    later_steps: StoredValue<Option<StepRenderer>>,
    /// Whether the reporter asked for a step whose chunk could not be loaded.
    later_steps_failed: RwSignal<bool>,
    /// Whether the reporter asked for a step whose chunk is still loading.
    later_steps_loading: RwSignal<bool>,
    /// Whether the chunk's fetch was started ahead of a button press.
    later_steps_prefetched: StoredValue<bool>,
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

    /// Goes to `step` and moves keyboard and screen-reader focus to its heading. A step after
    /// the start screen is shown once its chunk is loaded (usually it already is: the start
    /// screen fetches it as soon as the reporter points at or tabs into it); meanwhile the start
    /// screen says it is loading.
    fn go_to(self, step: Step) {
        if step != Step::Start && self.later_steps.get_value().is_none() {
            self.later_steps_failed.set(false);
            self.later_steps_loading.set(true);
            leptos::task::spawn_local(async move {
                let loaded = self.load_later_steps().await;
                self.later_steps_loading.set(false);
                // Said on the start screen, where the reporter pressed the button.
                self.later_steps_failed.set(!loaded);
                if loaded {
                    self.go_to(step);
                }
            });
            return;
        }
        self.step.set(step);
        focus_soon("step-heading");
    }

    /// Loads the chunk with the steps after the start screen, and says whether it is loaded.
    /// The chunk is fetched at most once; a failed fetch is tried again on the next call.
    async fn load_later_steps(self) -> bool {
        match later_steps().await {
            Ok(render) => {
                self.later_steps.set_value(Some(render));
                true
            }
            Err(_) => false,
        }
    }

    /// Starts fetching the later steps' chunk when the reporter shows an intent to go on
    /// (points at the start screen or moves focus into it), not on page load: a visit that
    /// only reads the start screen downloads only the first load.
    fn prefetch_later_steps(self) {
        if self.later_steps.get_value().is_some() || self.later_steps_prefetched.get_value() {
            return;
        }
        self.later_steps_prefetched.set_value(true);
        leptos::task::spawn_local(async move {
            if !self.load_later_steps().await {
                // A failed prefetch is retried when the reporter presses a button.
                self.later_steps_prefetched.set_value(false);
            }
        });
    }

    /// The crypto worker, started if it is not running.
    fn crypto(self) -> Result<Rc<CryptoWorker>, Failure> {
        if let Some(crypto) = self.crypto.get_value() {
            return Ok(crypto);
        }
        let crypto = Rc::new(CryptoWorker::start(&self.worker_url.get_value())?);
        self.crypto.set_value(Some(Rc::clone(&crypto)));
        Ok(crypto)
    }

    /// Ends the crypto worker (once a task still using it is done) and forgets its keys. The
    /// next tip's code goes with them, unless a sealed tip waits for a retry: its mailbox is
    /// still needed, and any worker can pay for that.
    fn end_crypto(self) {
        self.crypto.set_value(None);
        if self.sealed.with_value(Option::is_none) {
            self.forget_mailbox();
        }
    }

    /// Forgets the next tip's mailbox; a registration still running stops at its next step.
    fn forget_mailbox(self) {
        self.next_mailbox.update_value(|mailbox| {
            *mailbox = NextMailbox {
                generation: mailbox.generation.wrapping_add(1),
                ..NextMailbox::default()
            }
        });
    }

    /// Where the next tip's mailbox stands.
    fn mailbox_state(self) -> MailboxState {
        self.next_mailbox.with_value(|mailbox| mailbox.state)
    }

    /// Sets where the next tip's mailbox stands.
    fn set_mailbox_state(self, state: MailboxState) {
        self.next_mailbox
            .update_value(|mailbox| mailbox.state = state);
    }

    /// The count that changes whenever the next tip's code is forgotten.
    fn mailbox_generation(self) -> u32 {
        self.next_mailbox.with_value(|mailbox| mailbox.generation)
    }

    /// Has the worker make the receipt code of the next tip and derive its keys (Argon2id, about
    /// a second), so that sending does not wait for it; then opens its mailbox.
    fn prepare_receipt(self) {
        if self.mailbox_state() != MailboxState::None {
            return;
        }
        let Ok(crypto) = self.crypto() else {
            return;
        };
        self.set_mailbox_state(MailboxState::Preparing);
        let generation = self.mailbox_generation();
        // Posted now, so a tip sealed right after uses this code. The task does not keep the
        // worker: ending it ends it at once.
        let preparing = crypto.prepare_receipt();
        leptos::task::spawn_local(async move {
            let registration = preparing.await.ok();
            if self.mailbox_generation() != generation {
                return;
            }
            if registration.is_none() {
                // Tried again on the next step (or by sending).
                self.set_mailbox_state(MailboxState::None);
                return;
            }
            self.next_mailbox.update_value(|mailbox| {
                mailbox.registration = registration;
                mailbox.state = MailboxState::Waiting;
            });
            register_mailbox(self, generation, true).await;
        });
    }

    /// Quick exit: hide everything at once, forget every answer, the sealed tip, the code and
    /// the mailbox, end the worker with its keys, and leave.
    fn exit_now(self) {
        self.exited.set(true);
        self.answers.clear(None);
        self.sealed.set_value(None);
        self.receipt_code.update(zeroize::Zeroize::zeroize);
        self.mailbox.clear();
        self.end_crypto();
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
        translations: RwSignal::new_local(settings.translations),
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
        crypto: StoredValue::new_local(None),
        next_mailbox: StoredValue::new(NextMailbox::default()),
        mailbox: MailboxSignals::new(),
        exited: RwSignal::new(false),
        shift_status: RwSignal::new(String::new()),
        shift_counter: StoredValue::new(ShiftPressCounter::default()),
        later_steps: StoredValue::new(None),
        later_steps_failed: RwSignal::new(false),
        later_steps_loading: RwSignal::new(false),
        later_steps_prefetched: StoredValue::new(false),
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
                    {move || current_step_view(context, context.step.get())}
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
                    && let Some(translations) = Translations::from_json(&text)
                {
                    set_document_language(&asset.code);
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

/// Renders a step with its view function: the views after the start screen live in their own
/// wasm chunk.
type StepRenderer = fn(WidgetContext, Step) -> AnyView;

/// The chunk with every step after the start screen: the questions, review, sending, receipt
/// and checking for an answer. `cargo xtask widget` splits this function and everything only
/// it reaches into a wasm chunk of its own; elsewhere it is an ordinary call. `fallible`: a
/// chunk that cannot be fetched is an error the start screen shows, not a panic.
#[wasm_split_helpers::wasm_split(later_steps, fallible)]
fn later_steps() -> Result<StepRenderer, wasm_split_helpers::SplitLoaderError> {
    Ok(step_view)
}

/// The step on screen: the start screen from the main module, any other step from the chunk
/// (`go_to` shows those only once the chunk is loaded).
fn current_step_view(context: WidgetContext, step: Step) -> AnyView {
    match context.later_steps.get_value() {
        Some(render) if step != Step::Start => render(context, step),
        _ => start_step(context).into_any(),
    }
}

/// Identifiers with their labels in the language in use, for a radio group.
fn labelled(
    context: WidgetContext,
    ids: impl Iterator<Item = &'static str>,
    label: fn(&Translations, &str) -> String,
) -> Vec<(&'static str, String)> {
    context.with_translations(|translations| ids.map(|id| (id, label(translations, id))).collect())
}

fn step_view(context: WidgetContext, step: Step) -> AnyView {
    // Once the reporter is on a question, the crypto worker prepares the receipt code in the
    // background (once per tip). Here rather than in `go_to`, so that the code starting the
    // worker is in the chunk, not in the first load.
    if step.number().is_some() {
        context.prepare_receipt();
    }
    match step {
        Step::Start => start_step(context).into_any(),
        Step::Kind => radio_step(
            context,
            Step::Kind,
            "kind_heading",
            "kind",
            labelled(
                context,
                Kind::ALL.iter().map(Kind::as_str),
                Translations::kind_label,
            ),
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
            labelled(
                context,
                Role::ALL.iter().map(Role::as_str),
                Translations::role_label,
            ),
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
        Step::CheckCode => check_code_step(context).into_any(),
        Step::Conversation => conversation_step(context).into_any(),
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

/// Why a paid request failed.
enum SendFailure {
    /// The crypto worker failed or could not run.
    Worker,
    /// The relay refused, or could not be reached.
    Request(RequestFailure),
}

/// Fetches a challenge, has the worker solve it for the file with hash `sha256`, and makes the
/// request with `post`. A used-up or expired challenge is not the reporter's problem: a fresh
/// one is fetched, up to three times. `on_state` hears each stage, and whether the challenge is
/// harder than the relay's usual one (it is busy).
async fn pay_and_post<Posted>(
    context: WidgetContext,
    crypto: &CryptoWorker,
    sha256: &[u8; 32],
    on_state: impl Fn(SendingState) + 'static,
    post: impl Fn(api::Payment) -> Posted,
) -> Result<(), SendFailure>
where
    Posted: Future<Output = Result<(), RequestFailure>>,
{
    let on_state = Rc::new(on_state);
    for _attempt in 0..3 {
        on_state(SendingState::Preparing);
        let challenge = api::fetch_challenge().await.map_err(SendFailure::Request)?;
        let usual = context.config.with_untracked(|config| {
            config
                .as_ref()
                .and_then(|config| config.base_difficulty)
                .unwrap_or(fluister_envelope::pow::DEFAULT_DIFFICULTY)
        });
        let busy = challenge.difficulty > usual;
        on_state(SendingState::Solving { percent: 0, busy });
        let progress: ProgressHandler = {
            let on_state = Rc::clone(&on_state);
            Rc::new(move |percent| on_state(SendingState::Solving { percent, busy }))
        };
        let nonce = crypto
            .solve(challenge.json.clone(), *sha256, progress)
            .await
            .map_err(|_| SendFailure::Worker)?;
        on_state(SendingState::Posting);
        let payment = api::Payment {
            seed: challenge.seed,
            nonce,
        };
        match post(payment).await {
            Ok(()) => return Ok(()),
            Err(RequestFailure::Refused {
                code: ErrorCode::ChallengeInvalid,
                ..
            }) => continue,
            Err(failure) => return Err(SendFailure::Request(failure)),
        }
    }
    Err(SendFailure::Request(RequestFailure::Refused {
        status: 503,
        code: ErrorCode::Unknown,
    }))
}

/// The relay's recipients, for the worker to seal to.
fn recipients(context: WidgetContext) -> Vec<String> {
    context
        .config
        .with_untracked(|config| config.as_ref().map(|config| config.recipients.clone()))
        .unwrap_or_default()
}

/// Fetches the relay's configuration if it has not arrived yet.
async fn ensure_config(context: WidgetContext) -> Result<(), RequestFailure> {
    if context.config.get_untracked().is_none() {
        context.config.set(Some(api::fetch_config().await?));
    }
    Ok(())
}

async fn send_sealed_tip(context: WidgetContext) {
    let fail = |message_key: &'static str| {
        context.sending.set(SendingState::Failed { message_key });
        focus_soon("sending-status");
    };
    if ensure_config(context).await.is_err() {
        return fail("error_unreachable");
    }
    if context.sealed.with_value(Option::is_none) {
        context.prepare_receipt();
        let Ok(crypto) = context.crypto() else {
            return fail("error_sealing");
        };
        let Ok(document) = context.answers.snapshot().to_tip_json() else {
            return fail("error_invalid");
        };
        match crypto.seal_tip(document, recipients(context)).await {
            Ok(sealed) => context.sealed.set_value(Some(sealed)),
            Err(_) => {
                context.end_crypto();
                return fail("error_sealing");
            }
        }
    }
    let (Some(sealed), Ok(crypto)) = (context.sealed.get_value(), context.crypto()) else {
        return fail("error_sealing");
    };
    // The mailbox first, then a pause, then the tip.
    let not_before = wait_for_mailbox(context).await;
    let posted = pay_and_post(
        context,
        &crypto,
        &sealed.file.sha256,
        move |state| context.sending.set(state),
        |payment| {
            let posting = api::submit_tip(
                &sealed.file.ciphertext,
                &sealed.file.submission_key,
                payment,
            );
            async move {
                sleep_until(not_before).await;
                posting.await
            }
        },
    )
    .await;
    match posted {
        Ok(()) => {
            // A code is shown only when it opens something.
            if matches!(context.mailbox_state(), MailboxState::Open { .. }) {
                context.receipt_code.set(sealed.receipt_code.clone());
            }
            context.sealed.set_value(None);
            context
                .answers
                .clear(context.preset_municipality.get_value());
            context.receipt_confirmed.set(false);
            context.receipt_unconfirmed_error.set(false);
            context.go_to(Step::Receipt);
        }
        Err(SendFailure::Worker) => fail("error_proof_of_work"),
        Err(SendFailure::Request(failure)) => fail(failure_message(&failure)),
    }
}

/// Opens the next tip's mailbox with the relay (the registration `prepare_receipt` got from the
/// worker): after a random pause of a few seconds when `pause_first`, so that it is tied neither
/// to the page's loading nor to the tip; in a request of its own, with its own proof of work;
/// trying again when the relay is busy or unreachable, sooner while the reporter waits. Stops
/// once the code is forgotten.
async fn register_mailbox(context: WidgetContext, generation: u32, pause_first: bool) {
    let current = move || context.mailbox_generation() == generation;
    if pause_first {
        pause(context, random_between(3_000.0, 20_000.0), 0.0).await;
    }
    let Some(registration) = context
        .next_mailbox
        .with_value(|mailbox| mailbox.registration.clone())
    else {
        return;
    };
    // The reporter waiting on the sending step hears when the relay is busy.
    let on_state = move |state| {
        if let SendingState::Solving { busy, .. } = state
            && matches!(
                context.sending.get_untracked(),
                SendingState::OpeningMailbox { .. }
            )
        {
            context.sending.set(SendingState::OpeningMailbox { busy });
        }
    };
    for attempt in 0..REGISTRATION_ATTEMPTS {
        if !current() {
            return;
        }
        context.set_mailbox_state(MailboxState::Opening);
        let posted = match context.crypto() {
            Ok(crypto) => {
                pay_and_post(
                    context,
                    &crypto,
                    &registration.registration_sha256,
                    on_state,
                    |payment| api::open_mailbox(registration.registration.as_bytes(), payment),
                )
                .await
            }
            Err(_) => Err(SendFailure::Worker),
        };
        if !current() {
            return;
        }
        let temporary = match posted {
            Ok(()) => {
                context.set_mailbox_state(MailboxState::Open {
                    at: js_sys::Date::now(),
                });
                return;
            }
            Err(SendFailure::Request(failure)) => failure.is_temporary(),
            Err(SendFailure::Worker) => true,
        };
        if !temporary || attempt + 1 == REGISTRATION_ATTEMPTS {
            context.set_mailbox_state(MailboxState::Failed { temporary });
            return;
        }
        // 2, 4, 8 seconds, give or take half; a quarter of that while the reporter waits.
        let backoff = f64::from(2_000 << attempt) * random_between(0.5, 1.5);
        pause(context, backoff, backoff / 4.0).await;
    }
}

/// Waits until the next tip's mailbox is open or has failed, hurrying its registration (one
/// that failed because the relay was busy or unreachable is tried again), and returns the
/// earliest moment the tip may be posted: a few seconds, at random, after the relay opened the
/// mailbox, so that the two requests are never adjacent.
async fn wait_for_mailbox(context: WidgetContext) -> f64 {
    context
        .next_mailbox
        .update_value(|mailbox| mailbox.hurry = true);
    if context.mailbox_state() == (MailboxState::Failed { temporary: true }) {
        context.set_mailbox_state(MailboxState::Opening);
        let generation = context.mailbox_generation();
        leptos::task::spawn_local(register_mailbox(context, generation, false));
    }
    loop {
        match context.mailbox_state() {
            MailboxState::Open { at } => return at + random_between(3_000.0, 7_000.0),
            MailboxState::Failed { .. } | MailboxState::None => return 0.0,
            MailboxState::Preparing | MailboxState::Waiting | MailboxState::Opening => {
                if !matches!(
                    context.sending.get_untracked(),
                    SendingState::OpeningMailbox { .. }
                ) {
                    context
                        .sending
                        .set(SendingState::OpeningMailbox { busy: false });
                }
                sleep(200).await;
            }
        }
    }
}

/// A random number from `low` to `high` (timing only, nothing secret).
fn random_between(low: f64, high: f64) -> f64 {
    low + js_sys::Math::random() * (high - low)
}

/// Waits `calm` milliseconds, or only `hurried` once the reporter waits for the mailbox.
async fn pause(context: WidgetContext, calm: f64, hurried: f64) {
    let start = js_sys::Date::now();
    loop {
        let limit = if context.next_mailbox.with_value(|mailbox| mailbox.hurry) {
            hurried.min(calm)
        } else {
            calm
        };
        let left = start + limit - js_sys::Date::now();
        if left <= 0.0 {
            return;
        }
        sleep(left.min(250.0) as i32).await;
    }
}

/// Waits until the time `moment` (`Date.now()` milliseconds), if it is still ahead.
async fn sleep_until(moment: f64) {
    let left = moment - js_sys::Date::now();
    if left > 0.0 {
        sleep(left as i32).await;
    }
}

/// Waits `milliseconds` without blocking the page.
async fn sleep(milliseconds: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let _ =
            window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, milliseconds);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
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

/// The receipt code, shown only once its mailbox exists; or, when the mailbox could not be
/// opened, what that means (the tip did arrive).
fn receipt_step(context: WidgetContext) -> AnyView {
    match context.mailbox_state() {
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
                {context.receipt_code.get_untracked()}
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
            {alternatives(context)}
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

/// "I already sent a tip": the reporter types their receipt code back in.
fn check_code_step(context: WidgetContext) -> impl IntoView {
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

/// Derives the keys of the typed code in the worker, then fetches and opens the conversation.
async fn unlock_mailbox(context: WidgetContext) {
    let mailbox = context.mailbox;
    // A wrong code is the field's error; a busy or unreachable relay is not the code's fault.
    let done = |error: Option<&'static str>| {
        mailbox.status.set(None);
        match error {
            Some("check_code_typo" | "check_not_found") => {
                mailbox.code_error.set(error);
                focus_soon("receipt-input");
            }
            Some(failure) => {
                mailbox.check_failure.set(Some(failure));
                focus_soon("check-status");
            }
            None => {}
        }
    };
    mailbox.status.set(Some("check_opening"));
    // A fresh worker: the keys of an earlier code (or a prepared tip) are not mixed in.
    context.end_crypto();
    let Ok(crypto) = context.crypto() else {
        return done(Some("error_sealing"));
    };
    let code = mailbox.code.get_untracked();
    let access = match crypto.unlock(&code).await {
        Ok(access) => access,
        Err(Failure::Typo) => return done(Some("check_code_typo")),
        Err(_) => return done(Some("error_sealing")),
    };
    mailbox.access.set_value(Some(access));
    match refresh_conversation(context, &crypto).await {
        Ok(()) => {
            done(None);
            mailbox.code.update(zeroize::Zeroize::zeroize);
            context.go_to(Step::Conversation);
        }
        Err(message_key) => {
            mailbox.access.set_value(None);
            done(Some(message_key));
        }
    }
}

/// Fetches the conversation and has the worker open it; the error is a message key.
async fn refresh_conversation(
    context: WidgetContext,
    crypto: &CryptoWorker,
) -> Result<(), &'static str> {
    let Some(access) = context.mailbox.access.get_value() else {
        return Err("check_not_found");
    };
    let json = api::fetch_conversation(access.mailbox, &access.token)
        .await
        .map_err(|failure| match failure {
            RequestFailure::Refused { status: 404, .. } => "check_not_found",
            other => failure_message(&other),
        })?;
    let messages = crypto
        .open_conversation(json)
        .await
        .map_err(|_| "error_server")?;
    context.mailbox.messages.set(messages);
    Ok(())
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
fn conversation_step(context: WidgetContext) -> impl IntoView {
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
                        <p class="message-text">{text}</p>
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

/// Seals the answer in the worker (to the coordinator and to the reporter's own reply key), pays
/// for it, posts it, and shows the conversation again with the answer in it.
async fn send_answer(context: WidgetContext) {
    let mailbox = context.mailbox;
    let finish = |note: &'static str| {
        mailbox.status.set(None);
        mailbox.answer_note.set(Some(note));
        focus_soon("answer-note");
    };
    mailbox.status.set(Some("answer_sending"));
    if ensure_config(context).await.is_err() {
        return finish("error_unreachable");
    }
    let (Ok(crypto), Some(access)) = (context.crypto(), mailbox.access.get_value()) else {
        return finish("error_sealing");
    };
    if mailbox.sealed_answer.with_value(Option::is_none) {
        let text = mailbox.answer.get_untracked();
        match crypto.seal_answer(text, recipients(context)).await {
            Ok(sealed) => mailbox.sealed_answer.set_value(Some(sealed)),
            Err(_) => return finish("error_sealing"),
        }
    }
    let Some(sealed) = mailbox.sealed_answer.get_value() else {
        return finish("error_sealing");
    };
    let posted = pay_and_post(
        context,
        &crypto,
        &sealed.sha256,
        |_| {},
        |payment| {
            api::post_answer(
                access.mailbox,
                &access.token,
                &sealed.ciphertext,
                &sealed.submission_key,
                payment,
            )
        },
    )
    .await;
    match posted {
        Ok(()) => {
            mailbox.sealed_answer.set_value(None);
            // Wiped, which also empties the text area.
            mailbox.answer.update(zeroize::Zeroize::zeroize);
            // The answer is stored; if the refresh fails, the next visit shows it.
            let _ = refresh_conversation(context, &crypto).await;
            finish("answer_sent");
        }
        Err(SendFailure::Worker) => finish("error_proof_of_work"),
        Err(SendFailure::Request(RequestFailure::Refused { status: 404, .. })) => {
            finish("check_not_found")
        }
        Err(SendFailure::Request(failure)) => finish(failure_message(&failure)),
    }
}
