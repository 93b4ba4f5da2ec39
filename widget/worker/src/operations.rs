//! The worker's one entry point: an [`Operation`] from the page, carried out on the session, and
//! its answer as JSON. Each arm answers with its request's own [`Request::Answer`] type, so the
//! page (which reads that same type) and the worker cannot disagree. Plain Rust, no browser.

use fluister_envelope::pin;
use fluister_envelope::pow::{Challenge, Solver, ciphertext_sha256};
use fluister_protocol::worker::{
    Conversation, MailboxAccess, Operation, PreparedReceipt, Request, SealedTip, Solve, Solved,
};
use serde::Serialize;

use crate::json;
use crate::session::{Failure, Session};

/// Refuses to seal to `recipients` when the coordinator pinned a set (the embed tag's
/// `data-recipients`) and the relay's list is another one, or the pin is not a fingerprint at
/// all (a damaged tag must not fall back to trusting the relay).
fn check_pin(recipients: &[String], pinned: Option<&str>) -> Result<(), Failure> {
    match pinned {
        None => Ok(()),
        Some(pinned)
            if pin::is_set_fingerprint(pinned)
                && pin::set_fingerprint(recipients.iter().map(String::as_str)) == pinned =>
        {
            Ok(())
        }
        Some(_) => Err(Failure::RecipientsChanged),
    }
}

/// How many Argon2id tries the worker makes between two progress reports.
const TRIES_PER_PROGRESS_REPORT: u32 = 4;

impl Session {
    /// Carries out `operation` and returns its answer as JSON. `report_progress` hears a
    /// percentage while a proof of work is solved.
    pub fn handle(
        &mut self,
        operation: Operation,
        report_progress: &mut dyn FnMut(u32),
    ) -> Result<String, Failure> {
        match operation {
            Operation::PrepareReceipt(request) => {
                self.prepare_receipt()?;
                let registration = self.registration_body()?;
                let answer = PreparedReceipt {
                    registration_sha256: ciphertext_sha256(&registration),
                    registration: String::from_utf8(registration).map_err(|_| Failure::Crypto)?,
                };
                answer_to(&request, &answer)
            }
            Operation::Unlock(request) => {
                self.unlock(&request.code)?;
                let answer = MailboxAccess {
                    mailbox: fluister_protocol::MailboxId::parse(&self.mailbox_id()?)
                        .ok_or(Failure::Crypto)?,
                    token: self.mailbox_token()?.to_string(),
                };
                answer_to(&request, &answer)
            }
            Operation::SealTip(request) => {
                check_pin(&request.recipients, request.pinned.as_deref())?;
                let answer = SealedTip {
                    file: self.seal_tip(request.document.as_bytes(), &request.recipients)?,
                    receipt_code: self.receipt_code()?.to_string(),
                };
                answer_to(&request, &answer)
            }
            Operation::SealAnswer(request) => {
                check_pin(&request.recipients, request.pinned.as_deref())?;
                let answer = self.seal_answer(&request.text, &request.recipients)?;
                answer_to(&request, &answer)
            }
            Operation::OpenConversation(request) => {
                let answer = Conversation {
                    messages: self.open_conversation(&request.json)?,
                };
                answer_to(&request, &answer)
            }
            Operation::Solve(request) => {
                let answer = solve(&request, report_progress)?;
                answer_to(&request, &answer)
            }
        }
    }
}

/// `answer` as JSON; typed by the request, so an arm cannot answer with another request's type.
fn answer_to<R: Request>(_request: &R, answer: &R::Answer) -> Result<String, Failure>
where
    R::Answer: Serialize,
{
    serde_json::to_string(answer).map_err(|_| Failure::Crypto)
}

/// Solves the challenge for the hash, reporting progress after every few tries.
///
/// Each puzzle is a lottery: each try wins with chance 1/(its share of the difficulty), however
/// many came before, so no one knows how much work is left on it. The share reported for the
/// puzzle being solved is that of solvers who would be done after this many tries,
/// 1 − e^(−tries/share): it keeps moving (63 % at the expected number of tries) instead of
/// sitting at 99 % for an unlucky reporter. The whole is the puzzles solved plus that share,
/// over the number of puzzles: with the relay's 24 puzzles it moves almost evenly.
fn solve(request: &Solve, report_progress: &mut dyn FnMut(u32)) -> Result<Solved, Failure> {
    let challenge: Challenge = json::parse(&request.challenge).ok_or(Failure::InvalidInput)?;
    let mut solver = Solver::new(&challenge, &request.hash).map_err(|_| Failure::InvalidInput)?;
    let per_puzzle = challenge.expected_tries_per_puzzle();
    let puzzles = f64::from(challenge.puzzles);
    loop {
        if let Some(solution) = solver
            .step(TRIES_PER_PROGRESS_REPORT)
            .map_err(|_| Failure::Crypto)?
        {
            return Ok(Solved {
                nonces: solution.nonces,
            });
        }
        let this_puzzle = solved_share(solver.tries_on_this_puzzle(), per_puzzle);
        let done = (f64::from(solver.puzzles_solved()) + this_puzzle) / puzzles;
        report_progress(whole_percent_below_100(done));
    }
}

/// The share of solvers of one puzzle done after `tries` (see [`solve`]).
fn solved_share(tries: u64, expected_tries: f64) -> f64 {
    -(-(tries as f64) / expected_tries).exp_m1()
}

/// A share from 0 to 1 as a whole percentage below 100.
fn whole_percent_below_100(share: f64) -> u32 {
    (share * 100.0).floor().clamp(0.0, 99.0) as u32
}

#[cfg(test)]
mod tests {
    use fluister_envelope::age::Identity;
    use fluister_envelope::pow;
    use fluister_protocol::worker::{PrepareReceipt, SealAnswer, SealTip, Unlock};

    use super::*;

    fn handle(session: &mut Session, operation: impl Into<Operation>) -> Result<String, Failure> {
        session.handle(operation.into(), &mut |_| {})
    }

    #[test]
    fn a_prepared_receipt_answers_with_its_registration_and_the_hash_it_is_paid_by() {
        let mut session = Session::new();
        let json = handle(&mut session, PrepareReceipt {}).unwrap();
        let prepared: PreparedReceipt = serde_json::from_str(&json).unwrap();
        assert_eq!(
            prepared.registration.as_bytes(),
            session.registration_body().unwrap()
        );
        assert_eq!(
            prepared.registration_sha256,
            ciphertext_sha256(prepared.registration.as_bytes())
        );
    }

    #[test]
    fn a_typo_is_the_failure_the_page_matches_on() {
        let mut session = Session::new();
        let unlock = Unlock {
            code: "not a code".into(),
        };
        assert_eq!(handle(&mut session, unlock), Err(Failure::Typo));
        let answer = SealAnswer {
            text: "x".into(),
            recipients: vec![],
            pinned: None,
        };
        assert_eq!(handle(&mut session, answer), Err(Failure::NoKeys));
    }

    #[test]
    fn a_pinned_set_seals_only_to_exactly_that_set() {
        let coordinator = Identity::generate().unwrap().to_recipient().to_string();
        let added = Identity::generate().unwrap().to_recipient().to_string();
        let pinned = pin::set_fingerprint([coordinator.as_str()]);
        let tip = |recipients: Vec<String>, pinned: Option<String>| SealTip {
            document: r#"{"v":1,"text":"Er werken mensen die nooit naar buiten gaan."}"#.into(),
            recipients,
            pinned,
        };
        let mut session = Session::new();
        handle(&mut session, PrepareReceipt {}).unwrap();
        // The relay added a reader: nothing is sealed, to the tip or to an answer.
        let widened = vec![coordinator.clone(), added.clone()];
        assert_eq!(
            handle(&mut session, tip(widened.clone(), Some(pinned.clone()))),
            Err(Failure::RecipientsChanged)
        );
        let answer = SealAnswer {
            text: "Achter de boerderij.".into(),
            recipients: widened,
            pinned: Some(pinned.clone()),
        };
        assert_eq!(
            handle(&mut session, answer),
            Err(Failure::RecipientsChanged)
        );
        // The relay swapped the key for its own.
        assert_eq!(
            handle(&mut session, tip(vec![added], Some(pinned.clone()))),
            Err(Failure::RecipientsChanged)
        );
        // A damaged pin is not taken for "no pin".
        assert_eq!(
            handle(
                &mut session,
                tip(vec![coordinator.clone()], Some("fp1-x".into()))
            ),
            Err(Failure::RecipientsChanged)
        );
        // The pinned set itself seals, and so does a widget embedded without a pin.
        handle(&mut session, tip(vec![coordinator.clone()], Some(pinned))).unwrap();
        handle(&mut session, tip(vec![coordinator], None)).unwrap();
    }

    /// Solves `challenge` through the worker's entry point; checks that the nonces solve it,
    /// that the progress reported never falls and stays below 100; returns the nonces and the
    /// reports.
    fn solve_and_check(challenge: &Challenge) -> (Vec<u32>, Vec<u32>) {
        let hash = ciphertext_sha256(b"sealed tip");
        let request = Solve {
            challenge: serde_json::to_string(challenge).unwrap(),
            hash,
        };
        let mut reports = Vec::new();
        let json = Session::new()
            .handle(request.into(), &mut |percent| reports.push(percent))
            .unwrap();
        let solved: Solved = serde_json::from_str(&json).unwrap();
        let solution = pow::Solution {
            nonces: solved.nonces,
        };
        pow::verify(challenge, &hash, &solution).unwrap();
        assert!(
            reports.windows(2).all(|pair| pair[0] <= pair[1]),
            "{reports:?}"
        );
        assert!(reports.iter().all(|percent| *percent <= 99), "{reports:?}");
        (solution.nonces, reports)
    }

    #[test]
    fn solving_reports_growing_progress_and_finds_a_nonce_the_relay_accepts() {
        let challenge = Challenge::generate(64, pow::MIN_MEMORY_KIB).unwrap();
        let (nonces, _) = solve_and_check(&challenge);
        assert_eq!(nonces.len(), 1);
    }

    #[test]
    fn progress_is_the_share_of_solvers_done_and_never_reaches_100() {
        let percent = |tries, expected| whole_percent_below_100(solved_share(tries, expected));
        assert_eq!(percent(0, 1000.0), 0);
        assert_eq!(percent(1000, 1000.0), 63);
        assert_eq!(percent(3000, 1000.0), 95);
        assert_eq!(percent(1_000_000, 1000.0), 99);
    }

    #[test]
    fn a_split_challenge_is_solved_puzzle_by_puzzle_with_progress_that_follows_them() {
        let challenge = Challenge {
            seed: [3; 32],
            difficulty: 64,
            memory_kib: pow::MIN_MEMORY_KIB,
            puzzles: 8,
        };
        let (nonces, reports) = solve_and_check(&challenge);
        assert_eq!(nonces.len(), 8);
        // Near the end most puzzles are solved, and the bar says so.
        let last = *reports.last().expect("more than one step of tries");
        assert!((50..=99).contains(&last), "{reports:?}");
    }

    #[test]
    fn a_challenge_that_is_not_one_is_invalid_input() {
        let request = Solve {
            challenge: "{}".into(),
            hash: [0; 32],
        };
        assert_eq!(
            handle(&mut Session::new(), request),
            Err(Failure::InvalidInput)
        );
    }
}
