//! The form's steps and the answers given so far, as plain data: no browser, so the rules (what
//! goes into the tip, which signals a kind shows, what is required) are unit-tested natively.

use fluister_envelope::tip::vocabulary::{HowKnown, Kind, Municipality, Role, signals};
use fluister_envelope::tip::{
    MAX_CONTACT_CHARS, MAX_PLACE_CHARS, MAX_TEXT_CHARS, TipDocument, When,
};
use zeroize::Zeroize;

/// The steps of the form, in order. Every question step can be skipped except the description.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// What the form is, that it is anonymous, and other ways to report.
    Start,
    /// What kinds of exploitation (several may be chosen).
    Kind,
    /// Who is reporting, and how they know.
    Role,
    /// Which signals were seen.
    Signals,
    /// Where: the municipality and a place.
    Place,
    /// When: a date, whether it is still going on, own words.
    Time,
    /// What happened (required).
    Description,
    /// Whether and how the reporter wants to be contacted.
    Contact,
    /// Everything once more, and the send button.
    Review,
    /// Sealing, proof of work and sending; or the failure with a retry.
    Sending,
    /// The receipt code, until the reporter confirms they wrote it down.
    Receipt,
    /// Thanks; the form is cleared.
    Done,
    /// "I already sent a tip": the receipt code is typed back in.
    CheckCode,
    /// The conversation with the coordinator, and an answer.
    Conversation,
}

/// The question steps that the progress indicator counts ("step 3 of 8").
pub const NUMBERED_STEPS: [Step; 8] = [
    Step::Kind,
    Step::Role,
    Step::Signals,
    Step::Place,
    Step::Time,
    Step::Description,
    Step::Contact,
    Step::Review,
];

impl Step {
    /// The step's number in the progress indicator (1-based), for question steps.
    pub fn number(self) -> Option<usize> {
        NUMBERED_STEPS
            .iter()
            .position(|step| *step == self)
            .map(|index| index + 1)
    }

    /// The step after this one, when the reporter presses "next".
    pub fn next(self) -> Step {
        match self {
            Step::Start => Step::Kind,
            Step::Kind => Step::Role,
            Step::Role => Step::Signals,
            Step::Signals => Step::Place,
            Step::Place => Step::Time,
            Step::Time => Step::Description,
            Step::Description => Step::Contact,
            Step::Contact => Step::Review,
            Step::Review | Step::Sending => Step::Sending,
            Step::Receipt => Step::Done,
            Step::Done => Step::Done,
            Step::CheckCode => Step::Conversation,
            Step::Conversation => Step::Conversation,
        }
    }

    /// The step before this one, when the reporter presses "back".
    pub fn previous(self) -> Step {
        match self {
            Step::Start | Step::Kind => Step::Start,
            Step::Role => Step::Kind,
            Step::Signals => Step::Role,
            Step::Place => Step::Signals,
            Step::Time => Step::Place,
            Step::Description => Step::Time,
            Step::Contact => Step::Description,
            Step::Review => Step::Contact,
            Step::Sending => Step::Review,
            Step::Receipt => Step::Receipt,
            Step::Done => Step::Done,
            Step::CheckCode | Step::Conversation => Step::Start,
        }
    }
}

/// Everything the reporter has entered. Text stays as typed until [`FormAnswers::to_tip_document`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FormAnswers {
    /// The chosen kinds of exploitation, in the order they were ticked.
    pub kinds: Vec<Kind>,
    /// Who is reporting.
    pub role: Option<Role>,
    /// How the reporter knows.
    pub how_known: Option<HowKnown>,
    /// The ticked signals, in form order.
    pub signals: Vec<String>,
    /// The municipality.
    pub municipality: Option<Municipality>,
    /// The place, in the reporter's words.
    pub place: String,
    /// A date as `YYYY-MM-DD`, or empty.
    pub date: String,
    /// Whether it is still going on.
    pub ongoing: bool,
    /// When, in the reporter's words.
    pub when_text: String,
    /// What happened.
    pub description: String,
    /// How the reporter wants to be contacted, if at all.
    pub contact: String,
}

impl FormAnswers {
    /// The signal groups to show for the chosen kinds: the general signals and each chosen
    /// kind's own; all of them when no kind is chosen or the reporter is not sure.
    pub fn signal_groups_to_show(&self) -> Vec<&'static signals::SignalGroup> {
        signal_groups_for_kinds(&self.kinds)
    }

    /// Whether the signals are worded in the first person ("I am afraid"): the reporter said
    /// the report is about them, as who reports or as how they know.
    pub fn is_about_the_reporter(&self) -> bool {
        self.role == Some(Role::AboutMe) || self.how_known == Some(HowKnown::AboutMe)
    }

    /// Whether the one required answer, the description, is there.
    pub fn has_description(&self) -> bool {
        !self.description.trim().is_empty()
    }

    /// The tip document to seal. Blank answers are left out; signals of groups the reporter can
    /// no longer see (they changed the kinds after ticking) are left out too.
    pub fn to_tip_document(&self) -> TipDocument {
        let mut document = TipDocument::new(self.description.trim());
        document.kinds = self.kinds.clone();
        document.role = self.role.clone();
        document.how_known = self.how_known.clone();
        let visible_groups = self.signal_groups_to_show();
        document.signals = self
            .signals
            .iter()
            .filter(|signal| {
                visible_groups
                    .iter()
                    .any(|group| group.signal_ids.contains(&signal.as_str()))
            })
            .cloned()
            .collect();
        document.municipality = self.municipality.clone();
        document.place = non_blank(&self.place, MAX_PLACE_CHARS);
        let when = When {
            date: non_blank(&self.date, 10),
            ongoing: self.ongoing,
            text: non_blank(&self.when_text, fluister_envelope::tip::MAX_WHEN_TEXT_CHARS),
            unknown_fields: Default::default(),
        };
        if when.date.is_some() || when.ongoing || when.text.is_some() {
            document.when = Some(when);
        }
        document.contact = non_blank(&self.contact, MAX_CONTACT_CHARS);
        document
    }

    /// The tip document as JSON, for the crypto worker (which adds the reply information, pads
    /// and seals it). Fails if the document is not valid, for example without a description.
    pub fn to_tip_json(&self) -> Result<String, fluister_envelope::Error> {
        let document = self.to_tip_document();
        document.validate()?;
        serde_json::to_string(&document).map_err(|_| fluister_envelope::Error::InvalidDocument)
    }

    /// Forgets every answer, overwriting the typed text in memory first.
    pub fn clear(&mut self) {
        self.place.zeroize();
        self.date.zeroize();
        self.when_text.zeroize();
        self.description.zeroize();
        self.contact.zeroize();
        *self = FormAnswers::default();
    }
}

/// Ticks or unticks `kind` in `kinds`, keeping them in form order, each once.
pub fn set_kind(kinds: &mut Vec<Kind>, kind: &Kind, chosen: bool) {
    kinds.retain(|known| known != kind);
    if chosen {
        kinds.push(kind.clone());
        kinds.sort_by_key(|kind| {
            Kind::ALL
                .iter()
                .position(|known| known == kind)
                .unwrap_or(Kind::ALL.len())
        });
    }
}

/// See [`FormAnswers::signal_groups_to_show`].
pub fn signal_groups_for_kinds(kinds: &[Kind]) -> Vec<&'static signals::SignalGroup> {
    let show_all = kinds.is_empty()
        || kinds
            .iter()
            .any(|kind| matches!(kind, Kind::OtherUnsure | Kind::Unknown(_)));
    signals::GROUPS
        .iter()
        .filter(|group| {
            show_all
                || group.group_id == signals::GENERAL.group_id
                || group.kind().is_some_and(|kind| kinds.contains(&kind))
        })
        .collect()
}

/// The longest description a reporter can type, for the text area's `maxlength`.
pub const DESCRIPTION_MAX_CHARS: usize = MAX_TEXT_CHARS;

fn non_blank(text: &str, limit: usize) -> Option<String> {
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| trimmed.chars().take(limit).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_question_step_is_numbered_and_the_walk_is_consistent() {
        let mut step = Step::Start;
        let mut walked = Vec::new();
        while step != Step::Review {
            step = step.next();
            walked.push(step);
            assert_eq!(step.previous().next(), step);
        }
        assert_eq!(walked, NUMBERED_STEPS);
        assert_eq!(Step::Kind.number(), Some(1));
        assert_eq!(Step::Review.number(), Some(8));
        assert_eq!(Step::Receipt.number(), None);
    }

    fn group_ids(kinds: &[Kind]) -> Vec<&'static str> {
        signal_groups_for_kinds(kinds)
            .iter()
            .map(|group| group.group_id)
            .collect()
    }

    #[test]
    fn kinds_show_general_signals_and_their_own_and_not_sure_shows_all() {
        assert_eq!(group_ids(&[Kind::Labour]), ["general", "labour"]);
        assert_eq!(
            group_ids(&[Kind::Criminal, Kind::Sexual]),
            ["general", "sexual", "criminal"]
        );
        assert_eq!(
            signal_groups_for_kinds(&[Kind::Labour, Kind::OtherUnsure]).len(),
            signals::GROUPS.len()
        );
        assert_eq!(signal_groups_for_kinds(&[]).len(), signals::GROUPS.len());
    }

    #[test]
    fn kinds_are_ticked_and_unticked_in_form_order() {
        let mut kinds = Vec::new();
        set_kind(&mut kinds, &Kind::Criminal, true);
        set_kind(&mut kinds, &Kind::Sexual, true);
        set_kind(&mut kinds, &Kind::Sexual, true);
        assert_eq!(kinds, [Kind::Sexual, Kind::Criminal]);
        set_kind(&mut kinds, &Kind::Sexual, false);
        assert_eq!(kinds, [Kind::Criminal]);
        set_kind(&mut kinds, &Kind::Labour, false);
        assert_eq!(kinds, [Kind::Criminal]);
    }

    #[test]
    fn the_report_is_about_the_reporter_by_role_or_by_how_they_know() {
        let mut answers = FormAnswers::default();
        assert!(!answers.is_about_the_reporter());
        answers.role = Some(Role::AboutMe);
        assert!(answers.is_about_the_reporter());
        answers.role = Some(Role::Witness);
        assert!(!answers.is_about_the_reporter());
        answers.how_known = Some(HowKnown::AboutMe);
        assert!(answers.is_about_the_reporter());
        answers.how_known = Some(HowKnown::HeardFromOthers);
        assert!(!answers.is_about_the_reporter());
    }

    #[test]
    fn two_kinds_new_signals_and_how_known_go_into_the_tip() {
        let answers = FormAnswers {
            kinds: vec![Kind::Sexual, Kind::Criminal],
            role: Some(Role::SomeoneIKnow),
            how_known: Some(HowKnown::PersonToldMe),
            signals: vec![
                signals::GENERAL_UNDER_18.into(),
                signals::CRIMINAL_FORCED_BEGGING.into(),
                signals::LABOUR_OVERCROWDED_HOUSING.into(),
            ],
            description: "She is 16 and begs at the station.".into(),
            ..FormAnswers::default()
        };
        let document = answers.to_tip_document();
        assert_eq!(document.kinds, [Kind::Sexual, Kind::Criminal]);
        assert_eq!(document.how_known, Some(HowKnown::PersonToldMe));
        // Labour was not chosen, so its signal is no longer shown and is left out.
        assert_eq!(
            document.signals,
            [signals::GENERAL_UNDER_18, signals::CRIMINAL_FORCED_BEGGING]
        );
        let json: serde_json::Value =
            serde_json::from_str(&answers.to_tip_json().unwrap()).unwrap();
        assert_eq!(json["kinds"], serde_json::json!(["sexual", "criminal"]));
        assert_eq!(json["how_known"], "person_told_me");
    }

    #[test]
    fn the_tip_carries_every_answer_and_leaves_out_blank_ones() {
        let answers = FormAnswers {
            kinds: vec![Kind::Labour],
            role: Some(Role::Witness),
            how_known: Some(HowKnown::SawItMyself),
            signals: vec![
                signals::LABOUR_VERY_LONG_DAYS.into(),
                signals::SEXUAL_HANDS_OVER_EARNINGS.into(),
            ],
            municipality: Some(Municipality::from_id("assen")),
            place: "  the farm  ".into(),
            date: "2025-03-01".into(),
            ongoing: true,
            when_text: " ".into(),
            description: " They work nights. ".into(),
            contact: String::new(),
        };
        let document = answers.to_tip_document();
        assert_eq!(document.text, "They work nights.");
        assert_eq!(document.kinds, [Kind::Labour]);
        assert_eq!(document.role, Some(Role::Witness));
        assert_eq!(document.how_known, Some(HowKnown::SawItMyself));
        // The sexual signal was ticked under another kind and is no longer shown: left out.
        assert_eq!(document.signals, [signals::LABOUR_VERY_LONG_DAYS]);
        assert_eq!(document.place.as_deref(), Some("the farm"));
        let when = document.when.clone().unwrap();
        assert_eq!(when.date.as_deref(), Some("2025-03-01"));
        assert!(when.ongoing);
        assert_eq!(when.text, None);
        assert_eq!(document.contact, None);
        document.to_padded_bytes().unwrap();
    }

    #[test]
    fn a_blank_description_is_missing_and_clearing_forgets_everything() {
        let mut answers = FormAnswers {
            description: "  \n".into(),
            place: "somewhere".into(),
            ..FormAnswers::default()
        };
        assert!(!answers.has_description());
        answers.clear();
        assert_eq!(answers, FormAnswers::default());
    }
}
