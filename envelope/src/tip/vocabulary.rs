//! The stable identifiers a tip document uses: kinds of exploitation, reporter roles, how the
//! reporter knows, municipalities and signals.
//!
//! These are identifiers, not words: the widget's translation tables give each one a label in
//! every language. An identifier, once published, never changes meaning. Identifiers this version
//! does not know (written by a newer widget) are kept as `Unknown` values, so an older inbox
//! still reads newer tips.

use core::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The longest identifier (kind, role, municipality or signal) a document may carry, in bytes.
pub const MAX_IDENTIFIER_BYTES: usize = 64;

/// Whether `id` is a well-formed identifier: 1 to [`MAX_IDENTIFIER_BYTES`] bytes of lower-case
/// ASCII letters, digits, `_`, `-` and `.`. Unknown identifiers must still be well formed, so
/// nothing else (markup, control characters, terminal escapes) reaches an inbox through them.
pub fn is_well_formed_identifier(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_IDENTIFIER_BYTES
        && id.bytes().all(|byte| {
            byte.is_ascii_lowercase() || byte.is_ascii_digit() || matches!(byte, b'_' | b'-' | b'.')
        })
}

/// Defines an enum of stable string identifiers with an `Unknown(String)` fallback, serialized
/// as the identifier string.
macro_rules! identifier_enum {
    (
        $(#[$enum_meta:meta])*
        pub enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident = $id:literal, )*
        }
    ) => {
        $(#[$enum_meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$variant_meta])* $variant, )*
            /// An identifier this version does not know (e.g. from a newer widget), kept as
            /// written so that it survives a read-write round trip.
            Unknown(String),
        }

        impl $name {
            /// Every identifier this version knows, in the order the form shows them.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The stable identifier, as written in the JSON document.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $id, )*
                    $name::Unknown(id) => id,
                }
            }

            /// Reads an identifier; one this version does not know becomes `Unknown`.
            pub fn from_id(id: &str) -> Self {
                match id {
                    $( $id => $name::$variant, )*
                    other => $name::Unknown(other.to_owned()),
                }
            }

            /// Whether this version knows the identifier.
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Unknown(_))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let id = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Ok(Self::from_id(&id))
            }
        }
    };
}

identifier_enum! {
    /// The kind of exploitation, as in Dutch law (art. 273f Sr), plus "other / not sure": many
    /// reporters do not know whether what they saw counts, and that must never stop them.
    pub enum Kind {
        /// Sexual exploitation, such as forced prostitution.
        Sexual = "sexual",
        /// Labour exploitation.
        Labour = "labour",
        /// Criminal exploitation: being forced to commit crimes.
        Criminal = "criminal",
        /// Forced organ removal.
        OrganRemoval = "organ_removal",
        /// Something else, or the reporter is not sure.
        OtherUnsure = "other_unsure",
    }
}

identifier_enum! {
    /// Who is reporting, as the form asks it.
    pub enum Role {
        /// "It is about me": the reporter is (or may be) the victim.
        AboutMe = "about_me",
        /// "It is about someone I know."
        SomeoneIKnow = "someone_i_know",
        /// "I saw something": a neighbour or bystander.
        Witness = "witness",
        /// "I meet this in my work": a care worker, teacher, inspector or other professional.
        Professional = "professional",
    }
}

identifier_enum! {
    /// How the reporter knows what they report: the form's question "How do you know this?".
    /// It tells the coordinator how close the reporter is to what happened.
    pub enum HowKnown {
        /// "I saw it myself."
        SawItMyself = "saw_it_myself",
        /// "The person told me."
        PersonToldMe = "person_told_me",
        /// "I heard it from others."
        HeardFromOthers = "heard_from_others",
        /// "It is about me."
        AboutMe = "about_me",
    }
}

/// Where it happens: the identifier of one of the region's municipalities, or
/// [`Municipality::OTHER`] for somewhere else.
///
/// The region and its municipalities are the relay's configuration, not this crate's (Drenthe's
/// twelve unless a relay names another region; `GET /api/v1/config` lists them with their
/// names), so any well-formed identifier is a municipality here, and whoever shows one names it
/// from that list.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Municipality(String);

impl Municipality {
    /// The identifier of "somewhere else, or not known", which the form always offers and
    /// labels in the reporter's language.
    pub const OTHER: &'static str = "other";

    /// Reads an identifier as a document carries it (a document's check refuses ill-formed
    /// ones; see [`is_well_formed_identifier`]).
    pub fn from_id(id: &str) -> Self {
        Self(id.to_owned())
    }

    /// The municipality `id`, if it is a well-formed identifier.
    pub fn parse(id: &str) -> Option<Self> {
        is_well_formed_identifier(id).then(|| Self::from_id(id))
    }

    /// "Somewhere else, or not known".
    pub fn other() -> Self {
        Self::from_id(Self::OTHER)
    }

    /// Whether this is [`Municipality::OTHER`].
    pub fn is_other(&self) -> bool {
        self.0 == Self::OTHER
    }

    /// The stable identifier, as written in the JSON document.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Municipality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Municipality {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Municipality {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(Self::from_id(&id))
    }
}

/// The signals of exploitation the form offers as checklists, one group per kind plus a general
/// group, as stable identifiers `group.name`.
///
/// Sources for the facts (the wording is the widget's own): informatiepuntmensenhandel.nl,
/// Nederlandse Arbeidsinspectie, wegwijzermensenhandel.nl, and the signal lists of Veiligheidshuis
/// Zeeland and Veilig Thuis Utrecht. The organ-removal signals are general indicators; no Dutch
/// list was found.
pub mod signals {
    use super::Kind;

    /// One checklist of signals: its group identifier and its signal identifiers, in form order.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct SignalGroup {
        /// `general`, or the identifier of the [`Kind`] the signals belong to.
        pub group_id: &'static str,
        /// The signal identifiers, each starting with `group_id` and a dot.
        pub signal_ids: &'static [&'static str],
    }

    impl SignalGroup {
        /// The kind these signals belong to, or `None` for the general group.
        pub fn kind(&self) -> Option<Kind> {
            (self.group_id != GENERAL.group_id).then(|| Kind::from_id(self.group_id))
        }
    }

    /// Defines one signal group: a constant per signal and the group constant listing them.
    macro_rules! signal_group {
        (
            $(#[$group_meta:meta])*
            $group:ident = $group_id:literal {
                $( $(#[$signal_meta:meta])* $signal:ident = $signal_id:literal, )*
            }
        ) => {
            $( $(#[$signal_meta])* pub const $signal: &str = $signal_id; )*
            $(#[$group_meta])*
            pub const $group: SignalGroup = SignalGroup {
                group_id: $group_id,
                signal_ids: &[$($signal),*],
            };
        };
    }

    signal_group! {
        /// Signals that fit every kind of exploitation.
        GENERAL = "general" {
            /// The person may not speak for themselves; someone else does the talking.
            GENERAL_CANNOT_SPEAK_FREELY = "general.cannot_speak_freely",
            /// The person seems afraid.
            GENERAL_SEEMS_AFRAID = "general.seems_afraid",
            /// The person does not have their own passport or ID.
            GENERAL_NO_ID_DOCUMENTS = "general.no_id_documents",
            /// The person is not free to leave.
            GENERAL_NOT_FREE_TO_LEAVE = "general.not_free_to_leave",
            /// The person is threatened, blackmailed or beaten.
            GENERAL_THREATENED_BLACKMAILED_OR_BEATEN = "general.threatened_blackmailed_or_beaten",
            /// The person has a large debt to someone.
            GENERAL_LARGE_DEBT = "general.large_debt",
            /// The person does not know their own address.
            GENERAL_DOES_NOT_KNOW_OWN_ADDRESS = "general.does_not_know_own_address",
            /// The person has no access to their own bank account or wages.
            GENERAL_NO_ACCESS_TO_OWN_MONEY = "general.no_access_to_own_money",
            /// The person is kept away from family and friends.
            GENERAL_ISOLATED_FROM_FAMILY_AND_FRIENDS = "general.isolated_from_family_and_friends",
            /// The person is under 18. For sexual exploitation of a minor no coercion is needed
            /// (art. 273f Sr); the form points to Veilig Thuis when this is ticked.
            GENERAL_UNDER_18 = "general.under_18",
        }
    }

    signal_group! {
        /// Signals of sexual exploitation.
        SEXUAL = "sexual" {
            /// Forced to have sex or to do sex work.
            SEXUAL_FORCED_SEX_OR_SEX_WORK = "sexual.forced_sex_or_sex_work",
            /// Must hand over what they earn.
            SEXUAL_HANDS_OVER_EARNINGS = "sexual.hands_over_earnings",
            /// Suddenly has expensive things.
            SEXUAL_SUDDEN_EXPENSIVE_THINGS = "sexual.sudden_expensive_things",
            /// A much older "boyfriend" who controls them.
            SEXUAL_CONTROLLING_OLDER_PARTNER = "sexual.controlling_older_partner",
            /// Marks of violence or self-harm.
            SEXUAL_MARKS_OF_VIOLENCE_OR_SELF_HARM = "sexual.marks_of_violence_or_self_harm",
            /// Online advertisements saying they are available day and night ("24/7").
            SEXUAL_ADS_AVAILABLE_DAY_AND_NIGHT = "sexual.ads_available_day_and_night",
        }
    }

    signal_group! {
        /// Signals of labour exploitation.
        LABOUR = "labour" {
            /// Dangerous work.
            LABOUR_DANGEROUS_WORK = "labour.dangerous_work",
            /// Very long working days.
            LABOUR_VERY_LONG_DAYS = "labour.very_long_days",
            /// Paid far too little, or nothing.
            LABOUR_PAID_TOO_LITTLE_OR_NOTHING = "labour.paid_too_little_or_nothing",
            /// Paid in cash and not insured.
            LABOUR_CASH_IN_HAND_UNINSURED = "labour.cash_in_hand_uninsured",
            /// Lives at the employer's, or in housing arranged through the employer.
            LABOUR_LIVES_AT_OR_THROUGH_EMPLOYER = "labour.lives_at_or_through_employer",
            /// Gets fines from the employer.
            LABOUR_FINES_FROM_EMPLOYER = "labour.fines_from_employer",
            /// Was brought to the Netherlands with false promises.
            LABOUR_FALSE_PROMISES = "labour.false_promises",
            /// Is taken to and from work by the employer.
            LABOUR_TRANSPORTED_BY_EMPLOYER = "labour.transported_by_employer",
            /// Lives with far too many people in one house.
            LABOUR_OVERCROWDED_HOUSING = "labour.overcrowded_housing",
            /// Has no work contract, or one in a language they cannot read.
            LABOUR_NO_CONTRACT_OR_UNREADABLE = "labour.no_contract_or_unreadable",
        }
    }

    signal_group! {
        /// Signals of criminal exploitation.
        CRIMINAL = "criminal" {
            /// Forced to carry or sell drugs.
            CRIMINAL_FORCED_TO_CARRY_OR_SELL_DRUGS = "criminal.forced_to_carry_or_sell_drugs",
            /// Forced to steal.
            CRIMINAL_FORCED_TO_STEAL = "criminal.forced_to_steal",
            /// Forced to hand over their bank account (a money mule).
            CRIMINAL_HANDS_OVER_BANK_ACCOUNT = "criminal.hands_over_bank_account",
            /// Phone or other contracts in their name.
            CRIMINAL_CONTRACTS_IN_THEIR_NAME = "criminal.contracts_in_their_name",
            /// Has several phones.
            CRIMINAL_SEVERAL_PHONES = "criminal.several_phones",
            /// Drops out of school.
            CRIMINAL_DROPS_OUT_OF_SCHOOL = "criminal.drops_out_of_school",
            /// A "fine" imposed by a group.
            CRIMINAL_FINE_FROM_A_GROUP = "criminal.fine_from_a_group",
            /// Forced to beg.
            CRIMINAL_FORCED_BEGGING = "criminal.forced_begging",
            /// Forced to commit benefit fraud, or their identity is used for fraud.
            CRIMINAL_BENEFIT_OR_IDENTITY_FRAUD = "criminal.benefit_or_identity_fraud",
        }
    }

    signal_group! {
        /// Signals of forced organ removal (general indicators; check before relying on them).
        ORGAN_REMOVAL = "organ_removal" {
            /// Asked or forced to give up an organ.
            ORGAN_REMOVAL_ASKED_OR_FORCED_TO_GIVE_ORGAN = "organ_removal.asked_or_forced_to_give_organ",
            /// A scar from surgery they cannot explain.
            ORGAN_REMOVAL_UNEXPLAINED_SURGERY_SCAR = "organ_removal.unexplained_surgery_scar",
            /// Travelled abroad for "medical treatment" arranged by others.
            ORGAN_REMOVAL_MEDICAL_TRAVEL_ARRANGED_BY_OTHERS = "organ_removal.medical_travel_arranged_by_others",
        }
    }

    /// Every signal group, in form order: general first, then one per kind.
    pub const GROUPS: &[SignalGroup] = &[GENERAL, SEXUAL, LABOUR, CRIMINAL, ORGAN_REMOVAL];

    /// Every signal identifier this version knows, group by group.
    pub fn all_signal_ids() -> impl Iterator<Item = &'static str> {
        GROUPS
            .iter()
            .flat_map(|group| group.signal_ids.iter().copied())
    }

    /// Whether this version knows the signal identifier.
    pub fn is_known(signal_id: &str) -> bool {
        all_signal_ids().any(|known| known == signal_id)
    }

    /// The group a known signal belongs to, or `None` for an identifier this version does not
    /// know.
    pub fn group_of(signal_id: &str) -> Option<&'static SignalGroup> {
        GROUPS
            .iter()
            .find(|group| group.signal_ids.contains(&signal_id))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn known_identifiers_round_trip_and_are_well_formed() {
        for kind in Kind::ALL {
            assert_eq!(&Kind::from_id(kind.as_str()), kind);
            assert!(kind.is_known());
            assert!(is_well_formed_identifier(kind.as_str()));
        }
        for role in Role::ALL {
            assert_eq!(&Role::from_id(role.as_str()), role);
            assert!(is_well_formed_identifier(role.as_str()));
        }
        for how in HowKnown::ALL {
            assert_eq!(&HowKnown::from_id(how.as_str()), how);
            assert!(is_well_formed_identifier(how.as_str()));
        }
        assert!(Municipality::other().is_other());
        assert_eq!(
            Municipality::parse("aa-en-hunze").unwrap().as_str(),
            "aa-en-hunze"
        );
        assert_eq!(Municipality::parse("Assen"), None);
        assert_eq!(Municipality::parse("<script>"), None);
        assert_eq!(Municipality::parse(""), None);
    }

    #[test]
    fn vocabulary_sizes_match_the_form() {
        assert_eq!(Kind::ALL.len(), 5);
        assert_eq!(Role::ALL.len(), 4);
        assert_eq!(HowKnown::ALL.len(), 4);
    }

    #[test]
    fn unknown_identifiers_are_kept() {
        let kind: Kind = serde_json::from_str("\"forced_begging\"").unwrap();
        assert_eq!(kind, Kind::Unknown("forced_begging".to_owned()));
        assert!(!kind.is_known());
        assert_eq!(serde_json::to_string(&kind).unwrap(), "\"forced_begging\"");
        let role: Role = serde_json::from_str("\"neighbour\"").unwrap();
        assert_eq!(role.as_str(), "neighbour");
        let municipality: Municipality = serde_json::from_str("\"groningen\"").unwrap();
        assert!(!municipality.is_other());
        assert_eq!(municipality.to_string(), "groningen");
        assert_eq!(
            serde_json::to_string(&municipality).unwrap(),
            "\"groningen\""
        );
    }

    #[test]
    fn signal_ids_are_unique_well_formed_and_prefixed_by_their_group() {
        let mut seen = BTreeSet::new();
        for group in signals::GROUPS {
            assert!(!group.signal_ids.is_empty());
            for signal_id in group.signal_ids {
                assert!(seen.insert(*signal_id), "duplicate {signal_id}");
                assert!(is_well_formed_identifier(signal_id), "{signal_id}");
                let (prefix, name) = signal_id.split_once('.').unwrap();
                assert_eq!(prefix, group.group_id);
                assert!(!name.is_empty() && !name.contains('.'));
                assert_eq!(signals::group_of(signal_id), Some(group));
                assert!(signals::is_known(signal_id));
            }
        }
        assert_eq!(seen.len(), signals::all_signal_ids().count());
        assert!(!signals::is_known("labour.works_on_sundays"));
        assert_eq!(signals::group_of("labour.works_on_sundays"), None);
    }

    #[test]
    fn every_kind_but_other_has_a_signal_group() {
        for kind in Kind::ALL {
            let group = signals::GROUPS
                .iter()
                .find(|group| group.kind().as_ref() == Some(kind));
            assert_eq!(group.is_some(), *kind != Kind::OtherUnsure, "{kind}");
        }
        assert_eq!(signals::GENERAL.kind(), None);
        assert_eq!(signals::GENERAL_NO_ID_DOCUMENTS, "general.no_id_documents");
        assert_eq!(signals::LABOUR_VERY_LONG_DAYS, "labour.very_long_days");
    }

    #[test]
    fn malformed_identifiers_are_recognised() {
        for id in [
            "",
            "Sexual",
            "sexual work",
            "a\u{1b}[31m",
            "é",
            &"a".repeat(65),
        ] {
            assert!(!is_well_formed_identifier(id), "{id:?}");
        }
        assert!(is_well_formed_identifier(&"a".repeat(64)));
    }
}
