//! The mailbox for answers: the next tip's mailbox, prepared and registered with the relay
//! while the reporter fills in the form, and the "check for an answer" tasks (unlock a typed
//! code, open the conversation, send an answer).
//!
//! The registration runs over the traits of [`super::sending`], so its rules are tested with the
//! send state machine's; the answer tasks talk to the browser directly.

use fluister_protocol::worker::{Failure, PreparedReceipt};
use leptos::prelude::*;

use super::context::{WidgetContext, focus_soon};
use super::sending::{
    Delivery, Environment, RelayApi, SendFailure, SendingState, WorkerApi, failure_message, pause,
    pay_and_post, sealing_failure_message,
};
use crate::api::{self, RequestFailure};
use crate::crypto_worker::CryptoWorker;
use crate::form::Step;

/// The mailbox for answers of the next tip. It is opened with the relay while the reporter
/// fills in the form, in a request of its own at a random moment, so that it exists before the
/// receipt code is shown (a reporter may close the page at once) and the relay sees nothing
/// that ties it to the tip.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) enum MailboxState {
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
pub(crate) struct NextMailbox {
    /// Where it stands.
    pub state: MailboxState,
    /// The registration the worker made for the prepared code.
    pub registration: Option<PreparedReceipt>,
    /// Changes whenever the code is forgotten, so that a registration still running stops.
    pub generation: u32,
    /// Whether the reporter waits for it (is sending): retries come sooner.
    pub hurry: bool,
}

/// How often the mailbox registration is tried before it counts as failed.
const REGISTRATION_ATTEMPTS: u32 = 4;

/// Has the worker make the receipt code of the next tip and derive its keys (Argon2id, about a
/// second), so that sending does not wait for it; then opens its mailbox.
pub(crate) fn prepare_receipt<E: Environment>(environment: &E, delivery: Delivery) {
    if delivery.mailbox_state() != MailboxState::None {
        return;
    }
    let Ok(worker) = environment.worker() else {
        return;
    };
    delivery.set_mailbox_state(MailboxState::Preparing);
    let generation = delivery.mailbox_generation();
    // Posted now, so a tip sealed right after uses this code. The task does not keep the
    // worker: ending it ends it at once.
    let preparing = worker.prepare_receipt();
    let task_environment = environment.clone();
    environment.spawn(async move {
        let registration = preparing.await.ok();
        if delivery.mailbox_generation() != generation {
            return;
        }
        if registration.is_none() {
            // Tried again on the next step (or by sending).
            delivery.set_mailbox_state(MailboxState::None);
            return;
        }
        delivery.next_mailbox.update_value(|mailbox| {
            mailbox.registration = registration;
            mailbox.state = MailboxState::Waiting;
        });
        register_mailbox(task_environment, delivery, generation, true).await;
    });
}

/// Opens the next tip's mailbox with the relay (the registration `prepare_receipt` got from the
/// worker): after a random pause of a few seconds when `pause_first`, so that it is tied neither
/// to the page's loading nor to the tip; in a request of its own, with its own proof of work;
/// trying again when the relay is busy or unreachable, sooner while the reporter waits. Stops
/// once the code is forgotten.
pub(crate) async fn register_mailbox<E: Environment>(
    environment: E,
    delivery: Delivery,
    generation: u32,
    pause_first: bool,
) {
    let current = move || delivery.mailbox_generation() == generation;
    if pause_first {
        let calm = environment.random_between(3_000.0, 20_000.0);
        pause(&environment, delivery, calm, 0.0).await;
    }
    let Some(registration) = delivery
        .next_mailbox
        .with_value(|mailbox| mailbox.registration.clone())
    else {
        return;
    };
    // The reporter waiting on the sending step hears when the relay is busy.
    let on_state = move |state| {
        if let SendingState::Solving { busy, .. } = state
            && matches!(
                delivery.sending.get_untracked(),
                SendingState::OpeningMailbox { .. }
            )
        {
            delivery.sending.set(SendingState::OpeningMailbox { busy });
        }
    };
    for attempt in 0..REGISTRATION_ATTEMPTS {
        if !current() {
            return;
        }
        delivery.set_mailbox_state(MailboxState::Opening);
        let posted = match environment.worker() {
            Ok(worker) => {
                pay_and_post(
                    &environment,
                    delivery,
                    &worker,
                    &registration.registration_sha256,
                    on_state,
                    |payment| {
                        environment
                            .relay()
                            .open_mailbox(&registration.registration, payment)
                    },
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
                delivery.set_mailbox_state(MailboxState::Open {
                    at: environment.now(),
                });
                return;
            }
            Err(SendFailure::Request(failure)) => failure.is_temporary(),
            Err(SendFailure::Worker) => true,
        };
        if !temporary || attempt + 1 == REGISTRATION_ATTEMPTS {
            delivery.set_mailbox_state(MailboxState::Failed { temporary });
            return;
        }
        // 2, 4, 8 seconds, give or take half; a quarter of that while the reporter waits.
        let backoff = f64::from(2_000 << attempt) * environment.random_between(0.5, 1.5);
        pause(&environment, delivery, backoff, backoff / 4.0).await;
    }
}

/// Derives the keys of the typed code in the worker, then fetches and opens the conversation.
pub(crate) async fn unlock_mailbox(context: WidgetContext) {
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
pub(crate) async fn refresh_conversation(
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

/// Seals the answer in the worker (to the coordinator and to the reporter's own reply key), pays
/// for it, posts it, and shows the conversation again with the answer in it.
pub(crate) async fn send_answer(context: WidgetContext) {
    let mailbox = context.mailbox;
    let finish = |note: &'static str| {
        mailbox.status.set(None);
        mailbox.answer_note.set(Some(note));
        focus_soon("answer-note");
    };
    mailbox.status.set(Some("answer_sending"));
    if context
        .delivery
        .ensure_config(&super::browser::Relay, js_sys::Date::now())
        .await
        .is_err()
    {
        return finish("error_unreachable");
    }
    let (Ok(crypto), Some(access)) = (context.crypto(), mailbox.access.get_value()) else {
        return finish("error_sealing");
    };
    if mailbox.sealed_answer.with_value(Option::is_none) {
        let text = mailbox.answer.get_untracked();
        match crypto
            .seal_answer(
                text,
                context.delivery.recipients(),
                context.delivery.pinned.get_value(),
            )
            .await
        {
            Ok(sealed) => mailbox.sealed_answer.set_value(Some(sealed)),
            Err(failure) => return finish(sealing_failure_message(failure)),
        }
    }
    let Some(sealed) = mailbox.sealed_answer.get_value() else {
        return finish("error_sealing");
    };
    let posted = pay_and_post(
        &context.environment(),
        context.delivery,
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
