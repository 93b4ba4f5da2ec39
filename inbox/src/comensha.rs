//! The registration export for CoMensha, the national coordination centre against human
//! trafficking (`comensha`): one record per case in the fields CoMensha registers (the form of
//! exploitation, who reported and through which channel, the municipality, the signals, dates
//! to the month; age, sex, nationality and country of origin as far as a case carries them,
//! which a Fluister case never does), as CSV or JSON.
//!
//! Only structured fields are read: never the reporter's text, the place, the "when" in words,
//! the contact wish, the reply address, notes, or fields this version does not know. Values are
//! fixed Dutch words (CoMensha is Dutch), whatever language the coordinator uses; signals this
//! version does not know are counted, not copied. Every mapping and assumption is listed in the
//! coordinator's guide (`docs/coordinator-guide.nl.md`, "Registreren bij CoMensha").

use fluister_envelope::tip::vocabulary::{Kind, Role};
use fluister_envelope::tip::{Source, TipDocument};
use serde_json::{Value, json};

use crate::render::sanitise;
use crate::stats::{CsvStyle, csv_lines};
use crate::time::LocalHour;
use crate::triage::TriageRecord;
use crate::vocabulary::{Labels, Language};

/// What CoMensha's registration calls a value that is not known.
pub const UNKNOWN: &str = "onbekend";

/// The columns, in order: CSV headings and JSON keys alike.
pub const COLUMNS: [&str; 16] = [
    "meldingnummer",
    "ontvangen_maand",
    "kanaal",
    "rol_melder",
    "vorm_uitbuiting",
    "vormen_volgens_signalen",
    "signalen",
    "onbekende_signalen",
    "gemeente",
    "regio",
    "periode_maand",
    "nog_gaande",
    "leeftijdscategorie",
    "geslacht",
    "nationaliteit",
    "land_van_herkomst",
];

/// What separates several values in one CSV field (a signal's label may hold a comma).
const LIST_SEPARATOR: &str = " | ";

/// One case as CoMensha's registration asks it. Every field is a fixed word, a vocabulary label,
/// a municipality or region name from the region's list, a month or a number: nothing the
/// reporter typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistrationRecord {
    /// The coordinator's case number, to ask back about.
    pub case: u64,
    /// The month the signal reached the coordinator, `YYYY-MM` (Dutch time).
    pub received_month: String,
    /// The channel it came in through.
    pub channel: &'static str,
    /// Who reported it to the coordinator.
    pub reporter_role: &'static str,
    /// The forms of exploitation the reporter chose, in the kinds' order, joined with ` | `
    /// (a reporter may choose several), or "onbekend".
    pub exploitation: String,
    /// The forms of exploitation the ticked signals belong to (without the general ones).
    pub exploitation_by_signals: Vec<&'static str>,
    /// The ticked signals this version knows, by their Dutch label.
    pub signals: Vec<String>,
    /// How many ticked signals this version does not know.
    pub unknown_signals: usize,
    /// The municipality.
    pub municipality: String,
    /// The region (from the relay's configuration), or "onbekend".
    pub region: String,
    /// The month it happened (from the date the reporter gave), `YYYY-MM`, or "onbekend".
    pub period_month: String,
    /// "ja" when the reporter said it is still going on, else "onbekend".
    pub ongoing: &'static str,
}

/// CoMensha's word for a form of exploitation.
fn exploitation(kind: Option<&Kind>) -> &'static str {
    match kind {
        Some(Kind::Sexual) => "seksuele uitbuiting",
        Some(Kind::Labour) => "overige arbeidsuitbuiting",
        Some(Kind::Criminal) => "gedwongen criminaliteit",
        Some(Kind::OrganRemoval) => "gedwongen orgaanverwijdering",
        Some(Kind::OtherUnsure | Kind::Unknown(_)) | None => UNKNOWN,
    }
}

/// CoMensha's words for the forms of exploitation the reporter chose, in the kinds' order and
/// joined with ` | `; "onbekend" when none of them is a form CoMensha registers.
fn exploitations(kinds: &[Kind]) -> String {
    let forms: Vec<&'static str> = [
        Kind::Sexual,
        Kind::Labour,
        Kind::Criminal,
        Kind::OrganRemoval,
    ]
    .iter()
    .filter(|kind| kinds.contains(*kind))
    .map(|kind| exploitation(Some(kind)))
    .collect();
    if forms.is_empty() {
        UNKNOWN.to_owned()
    } else {
        forms.join(LIST_SEPARATOR)
    }
}

/// The form of exploitation a signal group stands for (`None` for the general signals and
/// groups this version does not know).
fn exploitation_of_group(group: &str) -> Option<&'static str> {
    let kind = match group {
        "sexual" => Kind::Sexual,
        "labour" => Kind::Labour,
        "criminal" => Kind::Criminal,
        "organ_removal" => Kind::OrganRemoval,
        _ => return None,
    };
    Some(exploitation(Some(&kind)))
}

fn reporter_role(role: Option<&Role>) -> &'static str {
    match role {
        Some(Role::AboutMe) => "mogelijk slachtoffer zelf",
        Some(Role::SomeoneIKnow) => "iemand uit de omgeving",
        Some(Role::Witness) => "getuige of omstander",
        Some(Role::Professional) => "professional",
        Some(Role::Unknown(_)) | None => UNKNOWN,
    }
}

fn channel(source: Option<Source>) -> &'static str {
    match source {
        None => "Fluister-meldformulier (anoniem)",
        Some(Source::Phone) => "telefoon",
        Some(Source::Zvhd) => "zorgcoördinatie (ZVHD)",
        Some(Source::Police) => "politie",
        Some(Source::Ggd) => "GGD",
        Some(Source::Municipality) => "gemeente",
        Some(Source::Other) => "ander kanaal",
    }
}

/// `YYYY-MM` of a `YYYY-MM-DD` date with a real month, else `None`: the day is never passed on.
fn month_of_date(date: &str) -> Option<String> {
    let bytes = date.as_bytes();
    let well_formed = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && [0, 1, 2, 3, 5, 6, 8, 9]
            .iter()
            .all(|&index| bytes[index].is_ascii_digit());
    if !well_formed {
        return None;
    }
    let month: u32 = date[5..7].parse().ok()?;
    (1..=12).contains(&month).then(|| date[..7].to_owned())
}

impl RegistrationRecord {
    /// The record of case `case`, received in `received_hour`, from its opened document.
    /// `labels` must be the Dutch ones with the region (names of municipalities and signals).
    pub fn from_case(
        case: u64,
        received_hour: u64,
        document: &TipDocument,
        labels: &Labels,
    ) -> Self {
        let received = LocalHour::from_unix_seconds(received_hour);
        let mut exploitation_by_signals = Vec::new();
        let mut signals = Vec::new();
        let mut unknown_signals = 0;
        for signal in &document.signals {
            match labels.signal(signal) {
                Some(text) => {
                    signals.push(sanitise(&text.label, false));
                    let group = signal.split_once('.').map_or("", |(group, _)| group);
                    if let Some(form) = exploitation_of_group(group)
                        && !exploitation_by_signals.contains(&form)
                    {
                        exploitation_by_signals.push(form);
                    }
                }
                None => unknown_signals += 1,
            }
        }
        // The same order as the kinds, whatever order the signals came in.
        let order = [
            Kind::Sexual,
            Kind::Labour,
            Kind::Criminal,
            Kind::OrganRemoval,
        ]
        .map(|kind| exploitation(Some(&kind)));
        exploitation_by_signals
            .sort_by_key(|form| order.iter().position(|known| known == form).unwrap_or(9));
        let region_name = labels.region().name.trim();
        Self {
            case,
            received_month: format!("{:04}-{:02}", received.year, received.month),
            channel: channel(document.source),
            reporter_role: reporter_role(document.role.as_ref()),
            exploitation: exploitations(&document.kinds),
            exploitation_by_signals,
            signals,
            unknown_signals,
            municipality: document
                .municipality
                .as_ref()
                .map_or_else(|| UNKNOWN.to_owned(), |place| labels.municipality(place)),
            region: if region_name.is_empty() {
                UNKNOWN.to_owned()
            } else {
                sanitise(region_name, false)
            },
            period_month: document
                .when
                .as_ref()
                .and_then(|when| when.date.as_deref())
                .and_then(month_of_date)
                .unwrap_or_else(|| UNKNOWN.to_owned()),
            ongoing: if document.when.as_ref().is_some_and(|when| when.ongoing) {
                "ja"
            } else {
                UNKNOWN
            },
        }
    }

    /// The record's fields as text, in [`COLUMNS`]' order (lists joined with ` | `).
    fn fields(&self) -> Vec<String> {
        let list = |values: &[String]| {
            if values.is_empty() {
                String::new()
            } else {
                values.join(LIST_SEPARATOR)
            }
        };
        let forms: Vec<String> = self
            .exploitation_by_signals
            .iter()
            .map(|form| (*form).to_owned())
            .collect();
        vec![
            self.case.to_string(),
            self.received_month.clone(),
            self.channel.to_owned(),
            self.reporter_role.to_owned(),
            self.exploitation.clone(),
            list(&forms),
            list(&self.signals),
            self.unknown_signals.to_string(),
            self.municipality.clone(),
            self.region.clone(),
            self.period_month.clone(),
            self.ongoing.to_owned(),
            UNKNOWN.to_owned(),
            UNKNOWN.to_owned(),
            UNKNOWN.to_owned(),
            UNKNOWN.to_owned(),
        ]
    }

    /// The record as a JSON object with [`COLUMNS`] as keys (lists as arrays).
    fn to_json(&self) -> Value {
        json!({
            "meldingnummer": self.case,
            "ontvangen_maand": self.received_month,
            "kanaal": self.channel,
            "rol_melder": self.reporter_role,
            "vorm_uitbuiting": self.exploitation,
            "vormen_volgens_signalen": self.exploitation_by_signals,
            "signalen": self.signals,
            "onbekende_signalen": self.unknown_signals,
            "gemeente": self.municipality,
            "regio": self.region,
            "periode_maand": self.period_month,
            "nog_gaande": self.ongoing,
            "leeftijdscategorie": UNKNOWN,
            "geslacht": UNKNOWN,
            "nationaliteit": UNKNOWN,
            "land_van_herkomst": UNKNOWN,
        })
    }
}

/// Whether `record` says the case was registered with `receiver` already.
pub fn is_registered_with(record: &TriageRecord, receiver: &str) -> bool {
    record
        .registrations
        .iter()
        .any(|registration| registration.receiver.eq_ignore_ascii_case(receiver.trim()))
}

/// The records as CSV in `style`: a heading line of [`COLUMNS`], then one line per case.
pub fn to_csv(records: &[RegistrationRecord], style: CsvStyle) -> String {
    let mut lines = vec![COLUMNS.iter().map(|column| (*column).to_owned()).collect()];
    lines.extend(records.iter().map(RegistrationRecord::fields));
    csv_lines(&lines, style)
}

/// The records as JSON: `{"v":1,"bron":"Fluister","registraties":[…]}`, pretty, with a final
/// line break.
pub fn to_json(records: &[RegistrationRecord]) -> String {
    let value = json!({
        "v": 1,
        "bron": "Fluister",
        "registraties": records.iter().map(RegistrationRecord::to_json).collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&value).expect("JSON values serialize");
    text.push('\n');
    text
}

/// The Dutch labels, with the region: the export is in CoMensha's language whatever the
/// coordinator's.
pub fn dutch_labels(labels: &Labels) -> Labels {
    Labels::for_language(Language::Nl).with_region(labels.region().clone())
}

#[cfg(test)]
mod tests {
    use fluister_envelope::tip::When;
    use fluister_envelope::tip::vocabulary::Municipality;

    use super::*;

    fn labels() -> Labels {
        Labels::for_language(Language::Nl)
    }

    #[test]
    fn a_case_maps_to_comenshas_fields_without_the_reporters_words() {
        let mut document = TipDocument::new("Mijn buurman Piet heeft mijn bankpas.");
        document.kinds = vec![Kind::Labour];
        document.role = Some(Role::SomeoneIKnow);
        document.municipality = Some(Municipality::from_id("other"));
        document.signals = vec![
            "sexual.forced_sex_or_sex_work".to_owned(),
            "general.no_id_documents".to_owned(),
            "labour.very_long_days".to_owned(),
            "labour.not_a_real_signal".to_owned(),
        ];
        document.when = Some(When {
            date: Some("2026-03-14".to_owned()),
            ongoing: true,
            text: Some("elke zaterdag bij Piet".to_owned()),
            ..When::default()
        });
        document.place = Some("Kerkstraat 1".to_owned());
        document.contact = Some("06-12345678".to_owned());
        // 2026-07-01 00:00 UTC is 02:00 in Dutch summer time.
        let record = RegistrationRecord::from_case(7, 1_782_864_000, &document, &labels());
        assert_eq!(record.received_month, "2026-07");
        assert_eq!(record.exploitation, "overige arbeidsuitbuiting");
        assert_eq!(
            record.exploitation_by_signals,
            ["seksuele uitbuiting", "overige arbeidsuitbuiting"]
        );
        assert_eq!(record.signals.len(), 3);
        assert_eq!(record.unknown_signals, 1);
        assert_eq!(record.period_month, "2026-03");
        assert_eq!(record.ongoing, "ja");
        assert_eq!(record.channel, "Fluister-meldformulier (anoniem)");
        assert_eq!(record.reporter_role, "iemand uit de omgeving");
        let csv = to_csv(std::slice::from_ref(&record), CsvStyle::Comma);
        let json = to_json(&[record]);
        for text in [&csv, &json] {
            for words in [
                "Piet",
                "bankpas",
                "Kerkstraat",
                "06-1234",
                "zaterdag",
                "-14",
            ] {
                assert!(!text.contains(words), "{words} in {text}");
            }
        }
        assert!(csv.starts_with("meldingnummer,ontvangen_maand,"), "{csv}");
        assert_eq!(csv.lines().count(), 2);
    }

    #[test]
    fn several_kinds_are_all_registered_in_the_kinds_order() {
        let mut document = TipDocument::new("tekst");
        document.kinds = vec![Kind::Criminal, Kind::OtherUnsure, Kind::Sexual];
        let record = RegistrationRecord::from_case(2, 1_782_864_000, &document, &labels());
        assert_eq!(
            record.exploitation,
            "seksuele uitbuiting | gedwongen criminaliteit"
        );
    }

    #[test]
    fn nothing_given_is_unknown_and_a_bad_date_gives_no_month() {
        let mut document = TipDocument::new("tekst");
        document.source = Some(Source::Police);
        document.when = Some(When {
            date: Some("2026-13-01".to_owned()),
            ..When::default()
        });
        let record = RegistrationRecord::from_case(1, 1_782_864_000, &document, &labels());
        assert_eq!(record.exploitation, UNKNOWN);
        document.kinds = vec![Kind::OtherUnsure];
        let unsure = RegistrationRecord::from_case(1, 1_782_864_000, &document, &labels());
        assert_eq!(unsure.exploitation, UNKNOWN);
        assert_eq!(record.reporter_role, UNKNOWN);
        assert_eq!(record.municipality, UNKNOWN);
        assert_eq!(record.period_month, UNKNOWN);
        assert_eq!(record.ongoing, UNKNOWN);
        assert_eq!(record.channel, "politie");
        assert_eq!(month_of_date("2026-02-30x"), None);
        assert_eq!(month_of_date("2026-02-28").as_deref(), Some("2026-02"));
    }
}
