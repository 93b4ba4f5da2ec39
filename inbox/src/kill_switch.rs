//! The test-only kill switch, compiled in only with the `test-hooks` feature (which the inbox's
//! own tests and benchmark enable, and `cargo build` does not): `FLUISTER_INBOX_TEST_KILL_AT`
//! set to `stored:3` makes the process SIGKILL itself right after the third tip reaches that
//! step, so the tests can crash a pull at an exact point. Without the feature, [`reached`] does
//! nothing and the variable is not read.

/// A step after which the kill switch can fire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// `downloaded`: a tip was downloaded (nothing written yet).
    Downloaded,
    /// `stored`: a tip was renamed into the store and the folder flushed (not yet deleted on
    /// the relay).
    Stored,
    /// `deleted`: a stored tip was deleted on the relay.
    Deleted,
    /// `message`: a mailbox message was written and renamed into its conversation folder.
    MessageStored,
    /// `quarantined`: a tip that does not open was written and renamed into the quarantine
    /// folder (before the folder is flushed and the tip deleted on the relay).
    Quarantined,
    /// `moved`: `quarantine --recheck` stored a quarantined tip that now opens (renamed into
    /// the store and the store flushed, but not yet removed from the quarantine).
    MovedFromQuarantine,
    /// `resealed`: `keys add` or `keys remove` replaced the triage book, sealed to the new set,
    /// but has not written the set itself yet.
    Resealed,
}

/// Called after each `step`; kills the process when the switch is set to it and this is the
/// count it names (counts run across the whole process).
#[cfg(not(feature = "test-hooks"))]
#[inline(always)]
pub(crate) fn reached(_step: Step) {}

/// Called after each `step`; kills the process when the switch is set to it and this is the
/// count it names (counts run across the whole process).
#[cfg(feature = "test-hooks")]
pub(crate) fn reached(step: Step) {
    if let Some(kill_switch) = enabled::kill_switch() {
        kill_switch.reached(step);
    }
}

#[cfg(feature = "test-hooks")]
mod enabled {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::Step;

    /// The environment variable that sets the switch: `STEP:COUNT`.
    const KILL_AT_ENVIRONMENT_VARIABLE: &str = "FLUISTER_INBOX_TEST_KILL_AT";

    /// The step and count the switch fires at, and how often the step was reached so far.
    #[derive(Debug)]
    pub(super) struct KillSwitch {
        step: Step,
        after_count: usize,
        counter: AtomicUsize,
    }

    impl KillSwitch {
        fn from_environment() -> Option<Self> {
            let value = std::env::var(KILL_AT_ENVIRONMENT_VARIABLE).ok()?;
            let (step, count) = value.split_once(':')?;
            let step = match step {
                "downloaded" => Step::Downloaded,
                "stored" => Step::Stored,
                "deleted" => Step::Deleted,
                "message" => Step::MessageStored,
                "quarantined" => Step::Quarantined,
                "moved" => Step::MovedFromQuarantine,
                "resealed" => Step::Resealed,
                _ => return None,
            };
            Some(Self {
                step,
                after_count: count.parse().ok()?,
                counter: AtomicUsize::new(0),
            })
        }

        pub(super) fn reached(&self, step: Step) {
            if step == self.step
                && self.counter.fetch_add(1, Ordering::SeqCst) + 1 == self.after_count
            {
                let _ = std::process::Command::new("kill")
                    .args(["-KILL", &std::process::id().to_string()])
                    .status();
                loop {
                    std::thread::park();
                }
            }
        }
    }

    /// The process's kill switch, read from the environment once.
    pub(super) fn kill_switch() -> Option<&'static KillSwitch> {
        static KILL_SWITCH: OnceLock<Option<KillSwitch>> = OnceLock::new();
        KILL_SWITCH
            .get_or_init(KillSwitch::from_environment)
            .as_ref()
    }
}
