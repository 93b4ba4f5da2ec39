//! The widget's shared state: one signal per answer, the "check for an answer" state, and the
//! [`WidgetContext`] every view and task gets, with the moves between steps, the crypto worker's
//! lifetime and the quick exit.

use std::rc::Rc;
use std::time::Duration;

use fluister_envelope::tip::vocabulary::{HowKnown, Kind, Municipality, Role};
use fluister_protocol::worker::{Failure, MailboxAccess, OpenedMessage, SealedFile};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::browser::Browser;
use super::sending::Delivery;
use super::{DeliverySteps, StepChunk, StepRenderer, delivery_steps, first_question, later_steps};
use crate::crypto_worker::CryptoWorker;
use crate::embedding::ShiftPressCounter;
use crate::form::{FormAnswers, Step};
use crate::i18n::{LanguageAsset, Translations};

/// The answers, one signal per field.
#[derive(Clone, Copy)]
pub(crate) struct FormSignals {
    pub(crate) kinds: RwSignal<Vec<Kind>>,
    pub(crate) role: RwSignal<Option<Role>>,
    pub(crate) how_known: RwSignal<Option<HowKnown>>,
    pub(crate) signals: RwSignal<Vec<String>>,
    pub(crate) municipality: RwSignal<Option<Municipality>>,
    pub(crate) place: RwSignal<String>,
    pub(crate) date: RwSignal<String>,
    pub(crate) ongoing: RwSignal<bool>,
    pub(crate) when_text: RwSignal<String>,
    pub(crate) description: RwSignal<String>,
    pub(crate) contact: RwSignal<String>,
}

impl FormSignals {
    pub(crate) fn new(municipality: Option<Municipality>) -> Self {
        Self {
            kinds: RwSignal::new(Vec::new()),
            role: RwSignal::new(None),
            how_known: RwSignal::new(None),
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

    pub(crate) fn snapshot(&self) -> FormAnswers {
        FormAnswers {
            kinds: self.kinds.get_untracked(),
            role: self.role.get_untracked(),
            how_known: self.how_known.get_untracked(),
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
    pub(crate) fn clear(&self, municipality: Option<Municipality>) {
        for text in [
            self.place,
            self.date,
            self.when_text,
            self.description,
            self.contact,
        ] {
            text.update(zeroize::Zeroize::zeroize);
        }
        self.kinds.set(Vec::new());
        self.role.set(None);
        self.how_known.set(None);
        self.signals.set(Vec::new());
        self.municipality.set(municipality);
        self.ongoing.set(false);
    }
}

/// The "check for an answer" part: the code typed in, the mailbox it opened, the conversation.
#[derive(Clone, Copy)]
pub(crate) struct MailboxSignals {
    pub(crate) code: RwSignal<String>,
    /// The key of the message about the code itself (missing, typo, not found), if any.
    pub(crate) code_error: RwSignal<Option<&'static str>>,
    /// The key of the message about a failed check that is not the code's fault (the relay is
    /// busy or unreachable), if any.
    pub(crate) check_failure: RwSignal<Option<&'static str>>,
    /// The key of the status while the mailbox opens or an answer is sent.
    pub(crate) status: RwSignal<Option<&'static str>>,
    /// The mailbox id and token.
    pub(crate) access: StoredValue<Option<MailboxAccess>>,
    pub(crate) messages: RwSignal<Vec<OpenedMessage>>,
    pub(crate) answer: RwSignal<String>,
    /// The key of the message about the answer (missing, sent, failed), if any.
    pub(crate) answer_note: RwSignal<Option<&'static str>>,
    /// An answer sealed but not yet accepted: kept for a retry, like a tip.
    pub(crate) sealed_answer: StoredValue<Option<SealedFile>>,
}

impl MailboxSignals {
    pub(crate) fn new() -> Self {
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
    pub(crate) fn clear(&self) {
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
pub(crate) struct WidgetContext {
    pub(crate) translations: RwSignal<Translations, LocalStorage>,
    pub(crate) language: RwSignal<String>,
    pub(crate) languages: StoredValue<Vec<LanguageAsset>>,
    pub(crate) step: RwSignal<Step>,
    pub(crate) answers: FormSignals,
    pub(crate) preset_municipality: StoredValue<Option<Municipality>>,
    pub(crate) description_missing: RwSignal<bool>,
    pub(crate) receipt_confirmed: RwSignal<bool>,
    pub(crate) receipt_unconfirmed_error: RwSignal<bool>,
    /// The tip on its way: the relay's configuration, the sending state, the sealed tip and the
    /// next tip's mailbox.
    pub(crate) delivery: Delivery,
    pub(crate) receipt_code: RwSignal<String>,
    pub(crate) worker_url: StoredValue<String>,
    /// The files the crypto worker's script loads (see `StartupSettings::worker_files`).
    pub(crate) worker_files: StoredValue<String>,
    /// The crypto worker, started when first needed; it holds the receipt code's keys.
    pub(crate) crypto: StoredValue<Option<Rc<CryptoWorker>>, LocalStorage>,
    pub(crate) mailbox: MailboxSignals,
    pub(crate) exited: RwSignal<bool>,
    pub(crate) shift_status: RwSignal<String>,
    pub(crate) shift_counter: StoredValue<ShiftPressCounter>,
    /// The view of the first question, once its wasm chunk is loaded.
    pub(crate) first_question: StoredValue<Option<StepRenderer>>,
    /// The views of the other questions and the review, once their wasm chunk is loaded.
    pub(crate) later_steps: StoredValue<Option<StepRenderer>>,
    /// Sending, the receipt and checking for an answer, once their wasm chunk is loaded.
    pub(crate) delivery_steps: StoredValue<Option<DeliverySteps>>,
    /// Whether the reporter asked for a step whose chunk could not be loaded.
    pub(crate) chunk_failed: RwSignal<bool>,
    /// Whether the reporter asked for a step whose chunk is still loading.
    pub(crate) chunk_loading: RwSignal<bool>,
    /// Whether the questions' fetch was started ahead of a button press.
    pub(crate) questions_prefetched: StoredValue<bool>,
    /// Counts the chunk loads pressed for, so that a load that timed out is not acted on
    /// when it ends after all.
    pub(crate) chunk_attempt: StoredValue<u32>,
}

impl WidgetContext {
    /// The UI string under `key` in the language in use. Not reactive: a language change
    /// re-renders the whole widget.
    pub(crate) fn text(self, key: &'static str) -> String {
        self.translations
            .with_untracked(|translations| translations.text(key))
    }

    /// Runs `read` on the table in use, without tracking it (see [`WidgetContext::text`]).
    pub(crate) fn with_translations<R>(self, read: impl FnOnce(&Translations) -> R) -> R {
        self.translations
            .with_untracked(|translations| read(translations))
    }

    /// The municipalities the relay lists (none until its configuration has arrived), and
    /// "somewhere else" last.
    pub(crate) fn municipality_choices(self) -> Vec<(Municipality, String)> {
        let listed: Vec<(Municipality, String)> = self.delivery.config.with_untracked(|config| {
            config
                .iter()
                .flat_map(|config| &config.municipalities)
                .map(|option| (Municipality::from_id(&option.id), option.name.clone()))
                .collect()
        });
        let other = Municipality::other();
        let other_label = self.municipality_label(&other);
        listed.into_iter().chain([(other, other_label)]).collect()
    }

    /// A municipality's label: its name as the relay lists it, or the translated "somewhere
    /// else".
    pub(crate) fn municipality_label(self, municipality: &Municipality) -> String {
        let name = self.delivery.config.with_untracked(|config| {
            config
                .as_ref()
                .and_then(|config| config.municipality_name(municipality.as_str()))
                .map(str::to_owned)
        });
        self.with_translations(|translations| {
            translations.municipality_label(municipality, name.as_deref())
        })
    }

    /// Goes to `step` and moves keyboard and screen-reader focus to its heading. A step after
    /// the start screen is shown once its chunk is loaded (usually it already is: the start
    /// screen fetches the questions as soon as the reporter points at or tabs into it, and the
    /// questions fetch the rest); meanwhile the step on screen says it is loading.
    pub(crate) fn go_to(self, step: Step) {
        if let Err(chunk) = self.step_renderer(step) {
            let load = async move {
                match chunk {
                    StepChunk::Delivery => self.load_delivery_steps().await.map(|_| ()),
                    StepChunk::FirstQuestion => self.load_first_question().await.then_some(()),
                    StepChunk::Main | StepChunk::LaterSteps => {
                        self.load_later_steps().await.then_some(())
                    }
                }
            };
            self.while_loading(load, move |()| self.go_to(step));
            return;
        }
        self.step.set(step);
        show_step_from_its_top();
    }

    /// The view function of `step`'s chunk: `Ok(None)` for the start screen, which is in the
    /// main module, `Ok(Some(_))` once its chunk is loaded, and the chunk while it is not.
    pub(crate) fn step_renderer(self, step: Step) -> Result<Option<StepRenderer>, StepChunk> {
        let chunk = StepChunk::of(step);
        let render = match chunk {
            StepChunk::Main => return Ok(None),
            StepChunk::FirstQuestion => self.first_question.get_value(),
            StepChunk::LaterSteps => self.later_steps.get_value(),
            StepChunk::Delivery => self
                .delivery_steps
                .get_value()
                .map(|delivery| delivery.render),
        };
        render.map(Some).ok_or(chunk)
    }

    /// Loads a chunk for a press while the step on screen says it is loading, then runs `then`
    /// with it, or says that the form cannot reach the server: when the fetch fails, or has not
    /// ended after [`CHUNK_TIMEOUT`] (a stalled connection; a press tries again). A press while
    /// a chunk is loading is ignored (a second "send" must not send twice); `then` runs only if
    /// the reporter is still on the step they pressed on, and never after a quick exit.
    fn while_loading<T: 'static>(
        self,
        load: impl Future<Output = Option<T>> + 'static,
        then: impl FnOnce(T) + 'static,
    ) {
        if self.chunk_loading.get_untracked() {
            return;
        }
        let pressed_on = self.step.get_untracked();
        let attempt = self.chunk_attempt.get_value().wrapping_add(1);
        self.chunk_attempt.set_value(attempt);
        self.chunk_failed.set(false);
        self.chunk_loading.set(true);
        // Said on the step where the reporter pressed the button.
        let give_up = move |failed: bool| {
            self.chunk_attempt.set_value(attempt.wrapping_add(1));
            self.chunk_loading.set(false);
            self.chunk_failed.set(failed);
        };
        set_timeout(
            move || {
                if self.chunk_attempt.get_value() == attempt {
                    give_up(true);
                }
            },
            CHUNK_TIMEOUT,
        );
        leptos::task::spawn_local(async move {
            let loaded = load.await;
            if self.chunk_attempt.get_value() != attempt {
                return;
            }
            give_up(loaded.is_none());
            if let Some(loaded) = loaded
                && !self.exited.get_untracked()
                && self.step.get_untracked() == pressed_on
            {
                then(loaded);
            }
        });
    }

    /// Loads the chunk with the first question, and says whether it is loaded.
    pub(crate) async fn load_first_question(self) -> bool {
        self.load_chunk(self.first_question, first_question())
            .await
            .is_some()
    }

    /// Loads the chunk with the other questions and the review, and says whether it is loaded.
    pub(crate) async fn load_later_steps(self) -> bool {
        self.load_chunk(self.later_steps, later_steps())
            .await
            .is_some()
    }

    /// Loads the delivery chunk, and returns what it gives.
    async fn load_delivery_steps(self) -> Option<DeliverySteps> {
        self.load_chunk(self.delivery_steps, delivery_steps()).await
    }

    /// What a chunk gives, from `slot` once it is loaded, else from `load` (the chunk's split
    /// function, which fetches it), kept in `slot`. A chunk is fetched at most once; a failed
    /// fetch gives none and is tried again on the next call.
    async fn load_chunk<T: Copy + Send + Sync + 'static, E>(
        self,
        slot: StoredValue<Option<T>>,
        load: impl Future<Output = Result<T, E>>,
    ) -> Option<T> {
        if let Some(loaded) = slot.get_value() {
            return Some(loaded);
        }
        let loaded = load.await.ok()?;
        slot.set_value(Some(loaded));
        self.chunk_failed.set(false);
        Some(loaded)
    }

    /// Seals and sends the tip, once the delivery chunk is loaded (it usually is: the questions
    /// load it).
    pub(crate) fn start_sending(self) {
        if let Some(delivery) = self.delivery_steps.get_value() {
            (delivery.start_sending)(self);
            return;
        }
        self.while_loading(self.load_delivery_steps(), move |delivery| {
            (delivery.start_sending)(self);
        });
    }

    /// Starts fetching the questions' chunks when the reporter shows an intent to go on (comes
    /// near the form, which is when `start.js` fetches the form's wasm, or points at the start
    /// screen or moves focus into it), not on page load: a visit that only reads the start
    /// screen downloads neither the form nor its chunks. The first question's chunk first, on
    /// its own, so that on a slow connection it is not shared with the rest; then the others'.
    pub(crate) fn prefetch_questions(self) {
        if self.later_steps.get_value().is_some() || self.questions_prefetched.get_value() {
            return;
        }
        self.questions_prefetched.set_value(true);
        leptos::task::spawn_local(async move {
            if !(self.load_first_question().await && self.load_later_steps().await) {
                // A failed prefetch is retried when the reporter presses a button.
                self.questions_prefetched.set_value(false);
            }
        });
    }

    /// The browser's relay, crypto worker and clock, for the send and mailbox tasks.
    pub(crate) fn environment(self) -> Browser {
        Browser {
            crypto: self.crypto,
            worker_url: self.worker_url,
        }
    }

    /// The crypto worker, started if it is not running.
    pub(crate) fn crypto(self) -> Result<Rc<CryptoWorker>, Failure> {
        use super::sending::Environment as _;
        self.environment().worker()
    }

    /// Ends the crypto worker (once a task still using it is done) and forgets its keys; see
    /// [`Delivery::end_worker`].
    pub(crate) fn end_crypto(self) {
        self.delivery.end_worker(&self.environment());
    }

    /// Has the worker prepare the next tip's receipt code, then opens its mailbox (once per
    /// tip; see `mailbox::prepare_receipt`), loading the delivery chunk first if need be. In
    /// the background: a chunk that cannot be fetched now is fetched again on the next step.
    pub(crate) fn prepare_receipt(self) {
        leptos::task::spawn_local(async move {
            if let Some(delivery) = self.load_delivery_steps().await
                && !self.exited.get_untracked()
            {
                (delivery.prepare_receipt)(self);
            }
        });
    }

    /// Quick exit: hide everything at once, forget every answer, the sealed tip, the code and
    /// the mailbox, end the worker with its keys, and leave.
    pub(crate) fn exit_now(self) {
        self.exited.set(true);
        self.answers.clear(None);
        self.delivery.sealed.set_value(None);
        self.receipt_code.update(zeroize::Zeroize::zeroize);
        self.mailbox.clear();
        self.end_crypto();
        leave_page();
    }
}

/// How long a press waits for a chunk before the form says it cannot reach the server: long
/// enough for the largest chunk on a very slow mobile connection (46 KB at 40 kbit/s is about
/// ten seconds), short enough that a stalled one does not leave the reporter waiting.
const CHUNK_TIMEOUT: Duration = Duration::from_secs(30);

/// Once the new step has rendered, scrolls the frame's document back to its top and moves focus
/// to the step's heading. The frame keeps one height whatever the step (`embedding.rs`), so the
/// reporter may have scrolled far down the previous one; the new step starts at its top, with
/// the safety bar, for eyes and screen readers alike.
fn show_step_from_its_top() {
    set_timeout(
        move || {
            window().scroll_to_with_x_and_y(0.0, 0.0);
            let heading = document()
                .get_element_by_id("step-heading")
                .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok());
            if let Some(heading) = heading {
                let _ = heading.focus();
            }
        },
        Duration::from_millis(0),
    );
}

/// Focuses the element with `id` once the current render has finished.
pub(crate) fn focus_soon(id: &'static str) {
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
pub(crate) fn leave_page() {
    crate::embedding::leave_now();
}

#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn leave_page() {}
