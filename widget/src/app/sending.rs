//! Sending a tip: seal it once, wait for its mailbox, pay for it with a proof of work, post it.
//!
//! The state machine is plain Rust over three small traits, [`RelayApi`] (the relay's routes),
//! [`WorkerApi`] (the crypto worker) and [`Environment`] (those two, the clock and a way to run a
//! task), so that its rules are unit-tested natively with fakes: a retry sends the same sealed
//! bytes under the same submission key, a used-up challenge is replaced, the tip goes only after
//! its mailbox answered (or could not be opened) and a few seconds apart from it. The browser's
//! implementations are in [`super::browser`].

use std::rc::Rc;

use fluister_protocol::ErrorCode;
use fluister_protocol::worker::{Failure, PreparedReceipt, SealedFile, SealedTip};
use leptos::prelude::*;

use super::context::{WidgetContext, focus_soon};
use super::mailbox::{MailboxState, NextMailbox, prepare_receipt, register_mailbox};
use crate::api::{Challenge, Payment, PublicConfig, RequestFailure};
use crate::crypto_worker::ProgressHandler;
use crate::form::Step;

/// How long the relay's configuration is used before it is fetched again. It lists the readers
/// a tip or an answer is sealed to, which change when a coordinator hands over: a form left open
/// for hours seals to those the relay lists when the reporter sends, not when they began.
pub(crate) const CONFIG_MAX_AGE_MILLISECONDS: f64 = 5.0 * 60.0 * 1000.0;

/// The relay's routes the send and mailbox tasks use (see `crate::api`).
pub(crate) trait RelayApi {
    /// `GET /api/v1/config`.
    fn fetch_config(&self) -> impl Future<Output = Result<PublicConfig, RequestFailure>>;
    /// `POST /api/v1/challenges`.
    fn fetch_challenge(&self) -> impl Future<Output = Result<Challenge, RequestFailure>>;
    /// `POST /api/v1/tips`.
    fn submit_tip(
        &self,
        tip: &SealedFile,
        payment: Payment,
    ) -> impl Future<Output = Result<(), RequestFailure>>;
    /// `POST /api/v1/mailboxes` with the registration the worker made.
    fn open_mailbox(
        &self,
        registration: &str,
        payment: Payment,
    ) -> impl Future<Output = Result<(), RequestFailure>>;
}

/// The crypto worker's operations the send and mailbox tasks use (see `crate::crypto_worker`).
/// Each posts its request when called, so requests reach the worker in the order they are made.
pub(crate) trait WorkerApi {
    /// Makes the next tip's receipt code; returns its mailbox registration.
    fn prepare_receipt(&self) -> impl Future<Output = Result<PreparedReceipt, Failure>> + 'static;
    /// Seals the tip document to `recipients` with the prepared code's reply information, if
    /// they have the fingerprint `pinned` (when there is one).
    fn seal_tip(
        &self,
        document: String,
        recipients: Vec<String>,
        pinned: Option<String>,
    ) -> impl Future<Output = Result<SealedTip, Failure>> + 'static;
    /// Solves the challenge for the body with hash `sha256`; returns a nonce per puzzle.
    fn solve(
        &self,
        challenge_json: String,
        sha256: [u8; 32],
        on_progress: ProgressHandler,
    ) -> impl Future<Output = Result<Vec<u32>, Failure>> + 'static;
}

/// Everything the send and mailbox tasks need from outside: the relay, the crypto worker, the
/// clock and a way to run a task alongside.
pub(crate) trait Environment: Clone + 'static {
    /// The relay.
    type Relay: RelayApi;
    /// The crypto worker.
    type Worker: WorkerApi;
    /// The relay.
    fn relay(&self) -> &Self::Relay;
    /// The crypto worker, started if none runs.
    fn worker(&self) -> Result<Rc<Self::Worker>, Failure>;
    /// Ends the crypto worker (once a task still using it is done), and with it its keys.
    fn end_worker(&self);
    /// The time in milliseconds, as `Date.now()`.
    fn now(&self) -> f64;
    /// Waits `milliseconds` without blocking the page.
    fn sleep(&self, milliseconds: f64) -> impl Future<Output = ()> + 'static;
    /// A random number from `low` to `high` (timing only, nothing secret).
    fn random_between(&self, low: f64, high: f64) -> f64;
    /// Runs `task` alongside.
    fn spawn(&self, task: impl Future<Output = ()> + 'static);
}

/// Where sending stands.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum SendingState {
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

/// What the send and mailbox-registration tasks share. Every field is a cheap handle.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Delivery {
    /// The relay's configuration, once fetched.
    pub config: RwSignal<Option<PublicConfig>>,
    /// When `config` was fetched ([`Environment::now`]).
    pub config_fetched_at: StoredValue<f64>,
    /// Where sending stands, for the sending step.
    pub sending: RwSignal<SendingState>,
    /// A tip sealed but not yet accepted: kept (in memory only) until the relay answers 2xx, so
    /// that a retry sends exactly the same bytes under the same key.
    pub sealed: StoredValue<Option<SealedTip>>,
    /// The next tip's mailbox.
    pub next_mailbox: StoredValue<NextMailbox>,
    /// The fingerprint of the recipients the coordinator pinned in the embed tag, if any: the
    /// worker seals nothing to a relay's list with another one.
    pub pinned: StoredValue<Option<String>>,
}

impl Delivery {
    /// Nothing fetched, prepared or sealed yet.
    pub fn new() -> Self {
        Self {
            config: RwSignal::new(None),
            config_fetched_at: StoredValue::new(0.0),
            sending: RwSignal::new(SendingState::Preparing),
            sealed: StoredValue::new(None),
            next_mailbox: StoredValue::new(NextMailbox::default()),
            pinned: StoredValue::new(None),
        }
    }

    /// Where the next tip's mailbox stands.
    pub fn mailbox_state(self) -> MailboxState {
        self.next_mailbox.with_value(|mailbox| mailbox.state)
    }

    /// Sets where the next tip's mailbox stands.
    pub fn set_mailbox_state(self, state: MailboxState) {
        self.next_mailbox
            .update_value(|mailbox| mailbox.state = state);
    }

    /// The count that changes whenever the next tip's code is forgotten.
    pub fn mailbox_generation(self) -> u32 {
        self.next_mailbox.with_value(|mailbox| mailbox.generation)
    }

    /// Forgets the next tip's mailbox; a registration still running stops at its next step.
    pub fn forget_mailbox(self) {
        self.next_mailbox.update_value(|mailbox| {
            *mailbox = NextMailbox {
                generation: mailbox.generation.wrapping_add(1),
                ..NextMailbox::default()
            }
        });
    }

    /// Ends the crypto worker and forgets its keys. The next tip's code goes with them, unless a
    /// sealed tip waits for a retry: its mailbox is still needed, and any worker can pay for it.
    pub fn end_worker(self, environment: &impl Environment) {
        environment.end_worker();
        if self.sealed.with_value(Option::is_none) {
            self.forget_mailbox();
        }
    }

    /// The relay's recipients, for the worker to seal to.
    pub fn recipients(self) -> Vec<String> {
        self.config
            .with_untracked(|config| config.as_ref().map(|config| config.recipients.clone()))
            .unwrap_or_default()
    }

    /// The proof of work's usual difficulty; a harder challenge means the relay is busy.
    fn usual_difficulty(self) -> u32 {
        self.config.with_untracked(|config| {
            config
                .as_ref()
                .and_then(|config| config.base_difficulty)
                .unwrap_or(fluister_envelope::pow::DEFAULT_DIFFICULTY)
        })
    }

    /// Keeps the relay's configuration, fetched at `now` ([`Environment::now`]).
    pub fn set_config(self, config: PublicConfig, now: f64) {
        self.config.set(Some(config));
        self.config_fetched_at.set_value(now);
    }

    /// Fetches the relay's configuration if it has not arrived yet, or if it was fetched more
    /// than [`CONFIG_MAX_AGE_MILLISECONDS`] before `now`.
    pub async fn ensure_config(
        self,
        relay: &impl RelayApi,
        now: f64,
    ) -> Result<(), RequestFailure> {
        let fresh = self.config.with_untracked(Option::is_some)
            && now - self.config_fetched_at.get_value() <= CONFIG_MAX_AGE_MILLISECONDS;
        if !fresh {
            self.set_config(relay.fetch_config().await?, now);
        }
        Ok(())
    }
}

/// The tip was accepted.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TipSent {
    /// The receipt code to show: only when its mailbox exists, since it would open nothing else.
    pub receipt_code: Option<String>,
}

/// Why a paid request failed.
#[derive(Debug)]
pub(crate) enum SendFailure {
    /// The crypto worker failed or could not run.
    Worker,
    /// The relay refused, or could not be reached.
    Request(RequestFailure),
}

/// How often a used-up or expired challenge is replaced by a fresh one for one request.
const CHALLENGE_ATTEMPTS: u32 = 3;

/// Fetches a challenge, has the worker solve it for the body with hash `sha256`, and makes the
/// request with `post`. A used-up or expired challenge is not the reporter's problem: a fresh
/// one is fetched, up to three times. `on_state` hears each stage, and whether the challenge is
/// harder than the relay's usual one (it is busy).
pub(crate) async fn pay_and_post<E: Environment, Posted>(
    environment: &E,
    delivery: Delivery,
    worker: &E::Worker,
    sha256: &[u8; 32],
    on_state: impl Fn(SendingState) + 'static,
    post: impl Fn(Payment) -> Posted,
) -> Result<(), SendFailure>
where
    Posted: Future<Output = Result<(), RequestFailure>>,
{
    let on_state = Rc::new(on_state);
    for _attempt in 0..CHALLENGE_ATTEMPTS {
        on_state(SendingState::Preparing);
        let challenge = environment
            .relay()
            .fetch_challenge()
            .await
            .map_err(SendFailure::Request)?;
        let busy = challenge.difficulty > delivery.usual_difficulty();
        on_state(SendingState::Solving { percent: 0, busy });
        let progress: ProgressHandler = {
            let on_state = Rc::clone(&on_state);
            Rc::new(move |percent| on_state(SendingState::Solving { percent, busy }))
        };
        let nonces = worker
            .solve(challenge.json.clone(), *sha256, progress)
            .await
            .map_err(|_| SendFailure::Worker)?;
        on_state(SendingState::Posting);
        let payment = Payment {
            seed: challenge.seed,
            nonces,
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

/// Sends the tip: seals `tip_document()` once (a retry reuses the same sealed bytes and
/// submission key), waits for its mailbox, then pays for and posts it. The error is the key of
/// the message saying why it was not sent; the sealed tip is kept for a retry.
pub(crate) async fn send_tip<E: Environment>(
    environment: E,
    delivery: Delivery,
    tip_document: impl FnOnce() -> Option<String>,
) -> Result<TipSent, &'static str> {
    if delivery
        .ensure_config(environment.relay(), environment.now())
        .await
        .is_err()
    {
        return Err("error_unreachable");
    }
    if delivery.sealed.with_value(Option::is_none) {
        prepare_receipt(&environment, delivery);
        let worker = environment.worker().map_err(|_| "error_sealing")?;
        let document = tip_document().ok_or("error_invalid")?;
        match worker
            .seal_tip(document, delivery.recipients(), delivery.pinned.get_value())
            .await
        {
            Ok(sealed) => delivery.sealed.set_value(Some(sealed)),
            Err(failure) => {
                delivery.end_worker(&environment);
                return Err(sealing_failure_message(failure));
            }
        }
    }
    let (Some(sealed), Ok(worker)) = (delivery.sealed.get_value(), environment.worker()) else {
        return Err("error_sealing");
    };
    // The mailbox first, then a pause, then the tip.
    let not_before = wait_for_mailbox(&environment, delivery).await;
    let (environment, tip) = (&environment, &sealed.file);
    let posted = pay_and_post(
        environment,
        delivery,
        &worker,
        &tip.sha256,
        move |state| delivery.sending.set(state),
        move |payment| async move {
            sleep_until(environment, not_before).await;
            environment.relay().submit_tip(tip, payment).await
        },
    )
    .await;
    match posted {
        Ok(()) => {
            let mailbox_open = matches!(delivery.mailbox_state(), MailboxState::Open { .. });
            delivery.sealed.set_value(None);
            Ok(TipSent {
                receipt_code: mailbox_open.then_some(sealed.receipt_code),
            })
        }
        Err(SendFailure::Worker) => Err("error_proof_of_work"),
        Err(SendFailure::Request(failure)) => Err(failure_message(&failure)),
    }
}

/// The message for a tip or answer the worker did not seal: a relay listing other readers than
/// the coordinator pinned is not a passing fault, and the reporter is sent to the phone lines.
pub(crate) fn sealing_failure_message(failure: Failure) -> &'static str {
    match failure {
        Failure::RecipientsChanged => "error_recipients_changed",
        _ => "error_sealing",
    }
}

/// Waits until the next tip's mailbox is open or has failed, hurrying its registration (one
/// that failed because the relay was busy or unreachable is tried again), and returns the
/// earliest moment the tip may be posted: a few seconds, at random, after the relay opened the
/// mailbox, so that the two requests are never adjacent.
async fn wait_for_mailbox(environment: &impl Environment, delivery: Delivery) -> f64 {
    delivery
        .next_mailbox
        .update_value(|mailbox| mailbox.hurry = true);
    if delivery.mailbox_state() == (MailboxState::Failed { temporary: true }) {
        delivery.set_mailbox_state(MailboxState::Opening);
        let generation = delivery.mailbox_generation();
        environment.spawn(register_mailbox(
            environment.clone(),
            delivery,
            generation,
            false,
        ));
    }
    loop {
        match delivery.mailbox_state() {
            MailboxState::Open { at } => return at + environment.random_between(3_000.0, 7_000.0),
            MailboxState::Failed { .. } | MailboxState::None => return 0.0,
            MailboxState::Preparing | MailboxState::Waiting | MailboxState::Opening => {
                if !matches!(
                    delivery.sending.get_untracked(),
                    SendingState::OpeningMailbox { .. }
                ) {
                    delivery
                        .sending
                        .set(SendingState::OpeningMailbox { busy: false });
                }
                environment.sleep(200.0).await;
            }
        }
    }
}

/// Waits `calm` milliseconds, or only `hurried` once the reporter waits for the mailbox.
pub(crate) async fn pause(
    environment: &impl Environment,
    delivery: Delivery,
    calm: f64,
    hurried: f64,
) {
    let start = environment.now();
    loop {
        let limit = if delivery.next_mailbox.with_value(|mailbox| mailbox.hurry) {
            hurried.min(calm)
        } else {
            calm
        };
        let left = start + limit - environment.now();
        if left <= 0.0 {
            return;
        }
        environment.sleep(left.min(250.0)).await;
    }
}

/// Waits until the time `moment` (`Date.now()` milliseconds), if it is still ahead.
async fn sleep_until(environment: &impl Environment, moment: f64) {
    let left = moment - environment.now();
    if left > 0.0 {
        environment.sleep(left).await;
    }
}

/// The key of the message for a request that failed.
pub(crate) fn failure_message(failure: &RequestFailure) -> &'static str {
    match failure {
        RequestFailure::Unreachable => "error_unreachable",
        RequestFailure::Refused { status, .. } if *status == 429 || *status == 503 => "error_busy",
        RequestFailure::Refused { .. } if failure.is_temporary() => "error_server",
        RequestFailure::Refused { .. } => "error_refused",
    }
}

/// Seals the tip (once: a retry reuses the same sealed bytes and submission key) and sends it;
/// then shows the receipt, or why it was not sent.
pub(crate) fn start_sending(context: WidgetContext) {
    context.delivery.sending.set(SendingState::Preparing);
    context.go_to(Step::Sending);
    leptos::task::spawn_local(async move {
        let answers = context.answers;
        let tip_document = move || answers.snapshot().to_tip_json().ok();
        match send_tip(context.environment(), context.delivery, tip_document).await {
            Ok(sent) => {
                if let Some(receipt_code) = sent.receipt_code {
                    context.receipt_code.set(receipt_code);
                }
                context
                    .answers
                    .clear(context.preset_municipality.get_value());
                context.receipt_confirmed.set(false);
                context.receipt_unconfirmed_error.set(false);
                context.go_to(Step::Receipt);
            }
            Err(message_key) => {
                context
                    .delivery
                    .sending
                    .set(SendingState::Failed { message_key });
                focus_soon("sending-status");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    //! The send state machine against a fake relay, a fake worker and a virtual clock: every
    //! task runs on a small executor that moves the clock to the next timer whenever all tasks
    //! wait, so minutes of pauses take no time.

    use std::cell::{Cell, RefCell};
    use std::collections::VecDeque;
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};

    use super::*;

    /// What reached the relay, in order.
    #[derive(Clone, Debug, PartialEq)]
    enum Posted {
        Mailbox {
            at: f64,
            seed: String,
            registration: String,
        },
        Tip {
            at: f64,
            seed: String,
            nonces: Vec<u32>,
            ciphertext: Vec<u8>,
            submission_key: String,
        },
    }

    /// The virtual clock and the tasks running alongside.
    #[derive(Default)]
    struct World {
        now: Cell<f64>,
        /// When each timer polled since the clock last moved wants to wake.
        timers: RefCell<Vec<f64>>,
        tasks: RefCell<Vec<Pin<Box<dyn Future<Output = ()>>>>>,
    }

    struct FakeRelay {
        world: Rc<World>,
        configs_fetched: Cell<u32>,
        challenges_fetched: Cell<u32>,
        challenge_difficulty: Cell<u32>,
        /// The relay's answers to mailbox registrations and tips, in turn; 2xx once used up.
        mailbox_answers: RefCell<VecDeque<Result<(), RequestFailure>>>,
        tip_answers: RefCell<VecDeque<Result<(), RequestFailure>>>,
        posted: RefCell<Vec<Posted>>,
    }

    impl RelayApi for FakeRelay {
        fn fetch_config(&self) -> impl Future<Output = Result<PublicConfig, RequestFailure>> {
            self.configs_fetched.set(self.configs_fetched.get() + 1);
            std::future::ready(Ok(PublicConfig {
                recipients: vec!["age1coordinator".into()],
                phone_numbers: Vec::new(),
                base_difficulty: Some(100),
                municipalities: Vec::new(),
            }))
        }

        fn fetch_challenge(&self) -> impl Future<Output = Result<Challenge, RequestFailure>> {
            let number = self.challenges_fetched.get() + 1;
            self.challenges_fetched.set(number);
            let seed = format!("seed-{number}");
            std::future::ready(Ok(Challenge {
                json: format!(r#"{{"seed":"{seed}"}}"#),
                seed,
                difficulty: self.challenge_difficulty.get(),
            }))
        }

        fn submit_tip(
            &self,
            tip: &SealedFile,
            payment: Payment,
        ) -> impl Future<Output = Result<(), RequestFailure>> {
            self.posted.borrow_mut().push(Posted::Tip {
                at: self.world.now.get(),
                seed: payment.seed,
                nonces: payment.nonces,
                ciphertext: tip.ciphertext.clone(),
                submission_key: tip.submission_key.clone(),
            });
            std::future::ready(self.tip_answers.borrow_mut().pop_front().unwrap_or(Ok(())))
        }

        fn open_mailbox(
            &self,
            registration: &str,
            payment: Payment,
        ) -> impl Future<Output = Result<(), RequestFailure>> {
            self.posted.borrow_mut().push(Posted::Mailbox {
                at: self.world.now.get(),
                seed: payment.seed,
                registration: registration.to_owned(),
            });
            let answer = self.mailbox_answers.borrow_mut().pop_front();
            std::future::ready(answer.unwrap_or(Ok(())))
        }
    }

    #[derive(Default)]
    struct FakeWorker {
        tips_sealed: Cell<u32>,
        /// The challenges solved, as the relay sent them.
        solved: RefCell<Vec<String>>,
    }

    impl WorkerApi for FakeWorker {
        fn prepare_receipt(
            &self,
        ) -> impl Future<Output = Result<PreparedReceipt, Failure>> + 'static {
            std::future::ready(Ok(PreparedReceipt {
                registration: r#"{"id":"mailbox"}"#.into(),
                registration_sha256: [1; 32],
            }))
        }

        fn seal_tip(
            &self,
            document: String,
            recipients: Vec<String>,
            pinned: Option<String>,
        ) -> impl Future<Output = Result<SealedTip, Failure>> + 'static {
            assert_eq!(recipients, ["age1coordinator"]);
            // The real worker compares fingerprints (its own tests); here one pin stands for
            // the relay's list.
            if pinned.is_some_and(|pinned| pinned != "fp1-age1coordinator") {
                return std::future::ready(Err(Failure::RecipientsChanged));
            }
            let number = self.tips_sealed.get() + 1;
            self.tips_sealed.set(number);
            std::future::ready(Ok(SealedTip {
                file: SealedFile {
                    ciphertext: format!("sealed {number}: {document}").into_bytes(),
                    sha256: [2; 32],
                    submission_key: format!("submission-key-{number}"),
                },
                receipt_code: "7K3M 9QXT".into(),
            }))
        }

        fn solve(
            &self,
            challenge_json: String,
            _sha256: [u8; 32],
            on_progress: ProgressHandler,
        ) -> impl Future<Output = Result<Vec<u32>, Failure>> + 'static {
            self.solved.borrow_mut().push(challenge_json);
            on_progress(50);
            std::future::ready(Ok(vec![self.solved.borrow().len() as u32]))
        }
    }

    #[derive(Clone)]
    struct FakeEnvironment {
        world: Rc<World>,
        relay: Rc<FakeRelay>,
        worker: Rc<FakeWorker>,
    }

    impl FakeEnvironment {
        fn new() -> Self {
            let world = Rc::new(World::default());
            let relay = Rc::new(FakeRelay {
                world: Rc::clone(&world),
                configs_fetched: Cell::new(0),
                challenges_fetched: Cell::new(0),
                challenge_difficulty: Cell::new(100),
                mailbox_answers: RefCell::default(),
                tip_answers: RefCell::default(),
                posted: RefCell::default(),
            });
            Self {
                world,
                relay,
                worker: Rc::default(),
            }
        }

        /// Runs `main` and every task spawned alongside until `main` is done, moving the clock
        /// to the next timer whenever all of them wait for one.
        fn run<T>(&self, main: impl Future<Output = T>) -> T {
            let mut main = std::pin::pin!(main);
            let mut context = Context::from_waker(Waker::noop());
            for _round in 0..100_000 {
                if let Poll::Ready(value) = main.as_mut().poll(&mut context) {
                    return value;
                }
                let mut tasks = std::mem::take(&mut *self.world.tasks.borrow_mut());
                tasks.retain_mut(|task| task.as_mut().poll(&mut context).is_pending());
                self.world.tasks.borrow_mut().extend(tasks);
                let next = self
                    .world
                    .timers
                    .take()
                    .into_iter()
                    .fold(f64::INFINITY, f64::min);
                assert!(next.is_finite(), "every task waits, and not for the clock");
                self.world.now.set(self.world.now.get().max(next));
            }
            panic!("still running after 100 000 rounds");
        }

        fn posted(&self) -> Vec<Posted> {
            self.relay.posted.borrow().clone()
        }
    }

    impl Environment for FakeEnvironment {
        type Relay = FakeRelay;
        type Worker = FakeWorker;

        fn relay(&self) -> &FakeRelay {
            &self.relay
        }

        fn worker(&self) -> Result<Rc<FakeWorker>, Failure> {
            Ok(Rc::clone(&self.worker))
        }

        fn end_worker(&self) {}

        fn now(&self) -> f64 {
            self.world.now.get()
        }

        fn sleep(&self, milliseconds: f64) -> impl Future<Output = ()> + 'static {
            let world = Rc::clone(&self.world);
            let wake_at = world.now.get() + milliseconds;
            std::future::poll_fn(move |_| {
                if world.now.get() >= wake_at {
                    Poll::Ready(())
                } else {
                    world.timers.borrow_mut().push(wake_at);
                    Poll::Pending
                }
            })
        }

        fn random_between(&self, low: f64, high: f64) -> f64 {
            (low + high) / 2.0
        }

        fn spawn(&self, task: impl Future<Output = ()> + 'static) {
            self.world.tasks.borrow_mut().push(Box::pin(task));
        }
    }

    const DOCUMENT: &str = r#"{"v":1,"text":"At the farm"}"#;

    /// The reporter on the questions for `milliseconds` (the mailbox is prepared and opened in
    /// the background meanwhile), then pressing send.
    fn fill_in_and_send(
        environment: &FakeEnvironment,
        delivery: Delivery,
        milliseconds: f64,
    ) -> Result<TipSent, &'static str> {
        prepare_receipt(environment, delivery);
        environment.run(environment.sleep(milliseconds));
        send(environment, delivery)
    }

    fn send(environment: &FakeEnvironment, delivery: Delivery) -> Result<TipSent, &'static str> {
        environment.run(send_tip(environment.clone(), delivery, || {
            Some(DOCUMENT.to_owned())
        }))
    }

    fn refused(status: u16, code: ErrorCode) -> Result<(), RequestFailure> {
        Err(RequestFailure::Refused { status, code })
    }

    fn tips(posted: &[Posted]) -> Vec<(String, Vec<u8>, String)> {
        posted
            .iter()
            .filter_map(|posted| match posted {
                Posted::Tip {
                    seed,
                    ciphertext,
                    submission_key,
                    ..
                } => Some((seed.clone(), ciphertext.clone(), submission_key.clone())),
                Posted::Mailbox { .. } => None,
            })
            .collect()
    }

    fn mailbox_seeds(posted: &[Posted]) -> Vec<String> {
        posted
            .iter()
            .filter_map(|posted| match posted {
                Posted::Mailbox { seed, .. } => Some(seed.clone()),
                Posted::Tip { .. } => None,
            })
            .collect()
    }

    #[test]
    fn the_mailbox_opens_while_the_form_is_filled_in_and_the_tip_goes_seconds_after_it() {
        let environment = FakeEnvironment::new();
        let delivery = Delivery::new();
        let sent = fill_in_and_send(&environment, delivery, 60_000.0).unwrap();

        assert_eq!(sent.receipt_code.as_deref(), Some("7K3M 9QXT"));
        let posted = environment.posted();
        let [
            Posted::Mailbox {
                at: mailbox_at,
                registration,
                ..
            },
            Posted::Tip {
                at: tip_at,
                ciphertext,
                nonces,
                ..
            },
        ] = posted.as_slice()
        else {
            panic!("one mailbox, then one tip: {posted:?}");
        };
        // A random moment 3–20 s after the code was prepared, in a request of its own.
        assert!((3_000.0..=20_000.0).contains(mailbox_at), "{mailbox_at}");
        assert_eq!(registration, r#"{"id":"mailbox"}"#);
        // The tip waits for its send button, and then keeps 3–7 s from the mailbox's 2xx.
        assert!(*tip_at >= 60_000.0, "{tip_at}");
        assert_eq!(
            ciphertext,
            format!("sealed 1: {DOCUMENT}").as_bytes(),
            "the document the form made, sealed"
        );
        // Each request paid with its own challenge, solved by the worker.
        assert_eq!(*nonces, [2]);
        assert_eq!(mailbox_seeds(&posted), ["seed-1"]);
        assert!(delivery.sealed.with_value(Option::is_none));
    }

    #[test]
    fn a_relay_listing_other_readers_than_the_embed_tag_pinned_gets_no_tip() {
        let environment = FakeEnvironment::new();
        let delivery = Delivery::new();
        delivery.pinned.set_value(Some("fp1-another-set".into()));
        let refused = fill_in_and_send(&environment, delivery, 0.0).unwrap_err();
        assert_eq!(refused, "error_recipients_changed");
        assert!(
            !environment
                .posted()
                .iter()
                .any(|posted| matches!(posted, Posted::Tip { .. })),
            "no tip posted"
        );
        assert!(delivery.sealed.with_value(Option::is_none));

        let environment = FakeEnvironment::new();
        let delivery = Delivery::new();
        delivery
            .pinned
            .set_value(Some("fp1-age1coordinator".into()));
        fill_in_and_send(&environment, delivery, 0.0).unwrap();
    }

    #[test]
    fn a_reporter_who_sends_at_once_waits_for_the_mailbox_and_the_tip_keeps_its_distance() {
        let environment = FakeEnvironment::new();
        let delivery = Delivery::new();
        let sent = fill_in_and_send(&environment, delivery, 0.0).unwrap();

        assert_eq!(sent.receipt_code.as_deref(), Some("7K3M 9QXT"));
        let posted = environment.posted();
        let [
            Posted::Mailbox { at: mailbox_at, .. },
            Posted::Tip { at: tip_at, .. },
        ] = posted.as_slice()
        else {
            panic!("the mailbox first, then the tip: {posted:?}");
        };
        let distance = tip_at - mailbox_at;
        assert!((3_000.0..=7_000.0).contains(&distance), "{distance}");
    }

    #[test]
    fn a_retry_after_a_lost_reply_sends_the_same_sealed_tip_under_the_same_submission_key() {
        let environment = FakeEnvironment::new();
        environment
            .relay
            .tip_answers
            .borrow_mut()
            .push_back(Err(RequestFailure::Unreachable));
        let delivery = Delivery::new();

        assert_eq!(
            fill_in_and_send(&environment, delivery, 30_000.0),
            Err("error_unreachable")
        );
        assert!(
            delivery.sealed.with_value(Option::is_some),
            "kept for a retry"
        );
        let sent = send(&environment, delivery).unwrap();

        assert_eq!(sent.receipt_code.as_deref(), Some("7K3M 9QXT"));
        assert_eq!(environment.worker.tips_sealed.get(), 1, "sealed once");
        let tips = tips(&environment.posted());
        assert_eq!(tips.len(), 2);
        let (first_seed, first_ciphertext, first_key) = &tips[0];
        let (second_seed, second_ciphertext, second_key) = &tips[1];
        assert_eq!(first_key, "submission-key-1");
        assert_eq!(second_key, first_key);
        assert_eq!(second_ciphertext, first_ciphertext);
        assert_ne!(second_seed, first_seed, "a fresh proof of work");
        assert_eq!(mailbox_seeds(&environment.posted()).len(), 1);
    }

    #[test]
    fn a_used_up_challenge_is_replaced_by_a_fresh_one_without_bothering_the_reporter() {
        let environment = FakeEnvironment::new();
        environment
            .relay
            .tip_answers
            .borrow_mut()
            .push_back(refused(409, ErrorCode::ChallengeInvalid));
        let delivery = Delivery::new();

        let sent = fill_in_and_send(&environment, delivery, 30_000.0).unwrap();

        assert_eq!(sent.receipt_code.as_deref(), Some("7K3M 9QXT"));
        let tips = tips(&environment.posted());
        let seeds: Vec<&str> = tips.iter().map(|(seed, ..)| seed.as_str()).collect();
        assert_eq!(seeds, ["seed-2", "seed-3"]);
        assert_eq!(
            *environment.worker.solved.borrow(),
            [
                r#"{"seed":"seed-1"}"#,
                r#"{"seed":"seed-2"}"#,
                r#"{"seed":"seed-3"}"#
            ],
            "each challenge solved as the relay sent it"
        );
        assert_eq!(tips[0].2, tips[1].2, "the same submission key");
    }

    #[test]
    fn a_busy_relay_is_asked_again_for_the_mailbox_with_a_fresh_challenge_before_the_tip_goes() {
        let environment = FakeEnvironment::new();
        environment.relay.mailbox_answers.borrow_mut().extend([
            refused(503, ErrorCode::Overloaded),
            refused(429, ErrorCode::RateLimited),
        ]);
        let delivery = Delivery::new();

        let sent = fill_in_and_send(&environment, delivery, 0.0).unwrap();

        assert_eq!(sent.receipt_code.as_deref(), Some("7K3M 9QXT"));
        let posted = environment.posted();
        assert_eq!(mailbox_seeds(&posted), ["seed-1", "seed-2", "seed-3"]);
        assert!(
            matches!(posted.last(), Some(Posted::Tip { .. })),
            "the tip only after the mailbox's 2xx: {posted:?}"
        );
        assert!(matches!(
            delivery.mailbox_state(),
            MailboxState::Open { .. }
        ));
    }

    #[test]
    fn a_mailbox_the_relay_refuses_still_sends_the_tip_without_a_code() {
        let environment = FakeEnvironment::new();
        environment
            .relay
            .mailbox_answers
            .borrow_mut()
            .push_back(refused(400, ErrorCode::BadRegistration));
        let delivery = Delivery::new();

        let sent = fill_in_and_send(&environment, delivery, 0.0).unwrap();

        assert_eq!(sent.receipt_code, None, "a code would open nothing");
        assert_eq!(
            delivery.mailbox_state(),
            MailboxState::Failed { temporary: false },
            "the receipt says answers are not possible, and why"
        );
        let posted = environment.posted();
        assert_eq!(mailbox_seeds(&posted).len(), 1, "a refusal is not retried");
        assert!(
            matches!(posted.last(), Some(Posted::Tip { .. })),
            "the tip after the mailbox's refusal: {posted:?}"
        );
    }

    #[test]
    fn a_mailbox_the_busy_relay_never_takes_still_sends_the_tip_after_trying_again() {
        let environment = FakeEnvironment::new();
        environment
            .relay
            .mailbox_answers
            .borrow_mut()
            .extend(std::iter::repeat_n(refused(503, ErrorCode::Overloaded), 8));
        let delivery = Delivery::new();

        // Long enough for the registration's four tries in the background.
        let sent = fill_in_and_send(&environment, delivery, 120_000.0).unwrap();

        assert_eq!(sent.receipt_code, None);
        assert_eq!(
            delivery.mailbox_state(),
            MailboxState::Failed { temporary: true }
        );
        let posted = environment.posted();
        // Four tries while filling in, four more once the reporter waits for it.
        assert_eq!(mailbox_seeds(&posted).len(), 8);
        assert!(
            matches!(posted.last(), Some(Posted::Tip { .. })),
            "{posted:?}"
        );
    }

    #[test]
    fn the_configuration_is_fetched_again_once_it_is_older_than_five_minutes() {
        let environment = FakeEnvironment::new();
        let delivery = Delivery::new();
        // The configuration a send or an answer finds at `now`; returns how often the relay
        // has been asked for it by then.
        let fetches_by = |now: f64| {
            environment.world.now.set(now);
            environment
                .run(delivery.ensure_config(environment.relay(), environment.now()))
                .unwrap();
            environment.relay.configs_fetched.get()
        };
        assert_eq!(fetches_by(1_000.0), 1);
        // Within five minutes the copy is used as it is.
        assert_eq!(fetches_by(1_000.0 + CONFIG_MAX_AGE_MILLISECONDS), 1);
        // Past them, the relay is asked again, and the age counts from then.
        assert_eq!(fetches_by(1_001.0 + CONFIG_MAX_AGE_MILLISECONDS), 2);
        assert_eq!(fetches_by(1_001.0 + 2.0 * CONFIG_MAX_AGE_MILLISECONDS), 2);
    }

    #[test]
    fn a_harder_challenge_than_usual_tells_the_reporter_the_relay_is_busy() {
        let environment = FakeEnvironment::new();
        let delivery = Delivery::new();
        environment
            .run(delivery.ensure_config(environment.relay(), environment.now()))
            .unwrap();
        environment.relay.challenge_difficulty.set(1_000);
        let states = Rc::new(RefCell::new(Vec::new()));
        let record = {
            let states = Rc::clone(&states);
            move |state| states.borrow_mut().push(state)
        };

        let paid = environment.run(pay_and_post(
            &environment,
            delivery,
            &environment.worker,
            &[3; 32],
            record,
            |_payment| std::future::ready(Ok(())),
        ));

        assert!(paid.is_ok());
        assert_eq!(
            *states.borrow(),
            [
                SendingState::Preparing,
                SendingState::Solving {
                    percent: 0,
                    busy: true
                },
                SendingState::Solving {
                    percent: 50,
                    busy: true
                },
                SendingState::Posting,
            ]
        );
    }

    #[test]
    fn a_tip_that_cannot_be_sealed_is_not_sent_and_says_so() {
        let environment = FakeEnvironment::new();
        let delivery = Delivery::new();
        let failed = environment.run(send_tip(environment.clone(), delivery, || None));
        assert_eq!(failed, Err("error_invalid"));
        assert!(tips(&environment.posted()).is_empty());
    }
}
