//! `comensha`: cases registered with CoMensha in the fields its registration asks for (see
//! [`crate::comensha`]), sealed to the CoMensha key in the receivers' book alone, and recorded
//! on every case so none is registered twice.

use std::collections::BTreeSet;
use std::path::PathBuf;

use fluister_envelope::age::{self, armor};
use zeroize::Zeroizing;

use super::Settings;
use crate::comensha::{self, RegistrationRecord};
use crate::error::{Error, Result};
use crate::home::replace_file;
use crate::msg;
use crate::receivers::Receivers;
use crate::recipients::RecipientSet;
use crate::render;
use crate::stats::CsvStyle;
use crate::store::{self, StoredTip};
use crate::team::{self, Change};
use crate::time::LocalHour;
use crate::triage::TriageBook;

/// The receiver a registration goes to unless told otherwise, as the receivers' book starts.
pub const DEFAULT_RECEIVER: &str = "CoMensha";

/// The most cases one export may name with `--case`.
pub const MAX_CASES: usize = 1_000;

/// The export's two forms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum RegistrationFormat {
    /// CSV: one line per case, for a spreadsheet or CoMensha's import.
    #[default]
    Csv,
    /// JSON: the same fields, lists as arrays.
    Json,
}

/// Which cases: received in a quarter or between two dates (Dutch time, both included),
/// and/or by number.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// A quarter, `2026-Q3`.
    pub quarter: Option<String>,
    /// The first day, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// The last day, `YYYY-MM-DD`.
    pub to: Option<String>,
    /// Case numbers.
    pub cases: Vec<u64>,
}

/// What `comensha` writes, and where.
#[derive(Clone, Debug)]
pub struct RegistrationOptions {
    /// The cases.
    pub selection: Selection,
    /// The receiver's name in the book.
    pub to: String,
    /// Register cases that were registered with this receiver before, again.
    pub again: bool,
    /// CSV or JSON.
    pub format: RegistrationFormat,
    /// The CSV's style.
    pub csv_style: CsvStyle,
    /// Show the records on the screen; write and record nothing.
    pub preview: bool,
    /// The file to write (it must not exist).
    pub output: Option<PathBuf>,
    /// Write it armored (text), for e-mail.
    pub armor: bool,
    /// Write the records NOT encrypted, for typing them into CoMensha's form by hand.
    pub unencrypted: bool,
}

/// The days a selection covers, as `YYYY-MM-DD` strings (compared as text: zero-padded).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Period {
    first: String,
    last: String,
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A real calendar date written `YYYY-MM-DD`.
fn check_date(date: &str) -> Result<String> {
    let bad = || Error::Usage(msg!("comensha.bad_date", date = date));
    let bytes = date.as_bytes();
    if bytes.len() != 10
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || ![0, 1, 2, 3, 5, 6, 8, 9]
            .iter()
            .all(|&index| bytes[index].is_ascii_digit())
    {
        return Err(bad());
    }
    let year: i64 = date[..4].parse().map_err(|_| bad())?;
    let month: u32 = date[5..7].parse().map_err(|_| bad())?;
    let day: u32 = date[8..].parse().map_err(|_| bad())?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return Err(bad());
    }
    Ok(date.to_owned())
}

impl Selection {
    /// The period, if one was given: refuses a bad quarter or date, a start after the end, and
    /// half a range.
    fn period(&self) -> Result<Option<Period>> {
        match (&self.quarter, &self.from, &self.to) {
            (Some(quarter), None, None) => {
                let (year, number) = crate::report::parse_quarter(quarter)
                    .ok_or_else(|| Error::Usage(msg!("stats.not_a_quarter", quarter = quarter)))?;
                let first_month = u32::from(number) * 3 - 2;
                let last_month = first_month + 2;
                Ok(Some(Period {
                    first: format!("{year:04}-{first_month:02}-01"),
                    last: format!(
                        "{year:04}-{last_month:02}-{:02}",
                        days_in_month(year, last_month)
                    ),
                }))
            }
            (None, Some(from), Some(to)) => {
                let first = check_date(from)?;
                let last = check_date(to)?;
                if first > last {
                    return Err(Error::Usage(msg!(
                        "comensha.from_after_to",
                        from = first,
                        to = last
                    )));
                }
                Ok(Some(Period { first, last }))
            }
            (None, None, None) => Ok(None),
            (Some(_), _, _) => Err(Error::Usage(msg!("comensha.quarter_or_dates"))),
            (None, _, _) => Err(Error::Usage(msg!("comensha.both_dates"))),
        }
    }
}

/// The stored cases the selection names: every case received in the period, or the numbered
/// ones (which must lie in the period when both are given). Refuses an empty selection and a
/// number that is not a case.
fn select(
    home: &crate::home::InboxHome,
    stored: Vec<StoredTip>,
    selection: &Selection,
) -> Result<Vec<StoredTip>> {
    let period = selection.period()?;
    if period.is_none() && selection.cases.is_empty() {
        return Err(Error::Usage(msg!("comensha.needs_selection")));
    }
    if selection.cases.len() > MAX_CASES {
        return Err(Error::Usage(msg!("comensha.too_many", maximum = MAX_CASES)));
    }
    let in_period = |tip: &StoredTip| {
        period.as_ref().is_none_or(|period| {
            let day = LocalHour::from_unix_seconds(tip.received_hour).date();
            period.first <= day && day <= period.last
        })
    };
    if selection.cases.is_empty() {
        return Ok(stored.into_iter().filter(in_period).collect());
    }
    let wanted: BTreeSet<u64> = selection.cases.iter().copied().collect();
    for number in &wanted {
        let Some(tip) = stored.iter().find(|tip| tip.number == *number) else {
            return Err(Error::Usage(msg!(
                "store.no_such_tip",
                number = number,
                folder = home.root().display()
            )));
        };
        if !in_period(tip) {
            return Err(Error::Usage(msg!(
                "comensha.case_outside_period",
                number = number
            )));
        }
    }
    Ok(stored
        .into_iter()
        .filter(|tip| wanted.contains(&tip.number))
        .collect())
}

/// Writes the registration export: the selected cases (without those registered with the
/// receiver before, unless `again`) as CSV or JSON, sealed to the receiver's key alone (or NOT
/// encrypted, when asked by name), and records the registration on every case in it.
pub fn run(settings: &Settings, options: &RegistrationOptions) -> Result<()> {
    let output = match (&options.output, options.preview) {
        (_, true) => None,
        (Some(path), false) => {
            if path.exists() {
                return Err(Error::Usage(msg!("export.exists", file = path.display())));
            }
            Some(path.clone())
        }
        (None, false) => return Err(Error::Usage(msg!("comensha.needs_output"))),
    };
    // The receiver and the selection are checked before the passphrase is asked.
    let book = Receivers::load(&settings.home)?;
    let receiver = book
        .find(&options.to)
        .ok_or_else(|| {
            Error::Usage(msg!(
                "comensha.no_receiver",
                name = render::sanitise(options.to.trim(), false)
            ))
        })?
        .clone();
    let recipient = receiver.recipient();
    if recipient.is_none() && !options.preview && !options.unencrypted {
        return Err(Error::Usage(msg!(
            "comensha.no_key",
            name = render::sanitise(&receiver.name, false)
        )));
    }
    let chosen = select(
        &settings.home,
        store::stored_tips(&settings.home)?,
        &options.selection,
    )?;
    let keys = settings.unlock()?;
    let triage = TriageBook::load(&settings.home, &keys.identities)?;
    let (chosen, skipped): (Vec<StoredTip>, Vec<StoredTip>) = chosen.into_iter().partition(|tip| {
        options.again
            || !comensha::is_registered_with(&triage.record(&tip.relay_id), &receiver.name)
    });
    if !skipped.is_empty() {
        let numbers: Vec<String> = skipped.iter().map(|tip| tip.number.to_string()).collect();
        eprintln!(
            "{}",
            msg!(
                "comensha.skipped",
                count = skipped.len(),
                numbers = numbers.join(", "),
                name = render::sanitise(&receiver.name, false)
            )
        );
    }
    let labels = comensha::dutch_labels(&settings.labels()?);
    let documents = store::open_all(&chosen, &keys);
    let mut records = Vec::new();
    let mut registered = Vec::new();
    let mut unreadable = Vec::new();
    for (tip, document) in chosen.iter().zip(documents) {
        match document {
            Ok(document) => {
                records.push(RegistrationRecord::from_case(
                    tip.number,
                    tip.received_hour,
                    &document,
                    &labels,
                ));
                registered.push(tip);
            }
            Err(_) => unreadable.push(tip.number.to_string()),
        }
    }
    if records.is_empty() {
        println!("{}", msg!("comensha.nothing"));
        return not_opened(&unreadable);
    }
    let contents = Zeroizing::new(match options.format {
        RegistrationFormat::Csv => comensha::to_csv(&records, options.csv_style),
        RegistrationFormat::Json => comensha::to_json(&records),
    });
    let Some(output) = output else {
        println!(
            "{}",
            msg!(
                "comensha.preview_heading",
                name = render::sanitise(&receiver.name, false),
                count = records.len()
            )
        );
        println!("{}", contents.trim_start_matches('\u{FEFF}').trim_end());
        return not_opened(&unreadable);
    };
    let bytes: Vec<u8> = if options.unencrypted {
        contents.as_bytes().to_vec()
    } else {
        let recipient = recipient.expect("checked above");
        let sealed =
            age::seal(&[recipient], contents.as_bytes()).map_err(|source| Error::Crypto {
                message: msg!("handover.sealing_failed"),
                source,
            })?;
        if options.armor {
            armor::encode(&sealed).into_bytes()
        } else {
            sealed
        }
    };
    replace_file(&output, &bytes)?;
    // Recorded after the file is written: a case is never marked registered without a file.
    let mut id = [0u8; 16];
    getrandom::fill(&mut id).map_err(Error::Randomness)?;
    let id: String = id.iter().map(|byte| format!("{byte:02x}")).collect();
    let changes = registered
        .iter()
        .map(|tip| {
            (
                tip.relay_id.clone(),
                vec![Change::Registered {
                    id: id.clone(),
                    receiver: receiver.name.clone(),
                }],
            )
        })
        .collect();
    {
        let _lock = settings.home.lock()?;
        let recipients = RecipientSet::load(&settings.home, settings.language)?
            .sealing_recipients(&keys.own_recipient);
        team::change_tips(&settings.home, &keys, &recipients, changes).inspect_err(|_| {
            eprintln!("{}", msg!("comensha.not_recorded", file = output.display()));
        })?;
    }
    let numbers: Vec<String> = registered
        .iter()
        .map(|tip| tip.number.to_string())
        .collect();
    let done = if options.unencrypted {
        msg!(
            "comensha.done_unencrypted",
            count = records.len(),
            numbers = numbers.join(", "),
            name = render::sanitise(&receiver.name, false),
            file = output.display()
        )
    } else {
        msg!(
            "comensha.done",
            count = records.len(),
            numbers = numbers.join(", "),
            name = render::sanitise(&receiver.name, false),
            file = output.display()
        )
    };
    println!("{done}");
    not_opened(&unreadable)
}

/// Fails (after the rest is done) when cases did not open: they are neither in the export nor
/// recorded.
fn not_opened(unreadable: &[String]) -> Result<()> {
    if unreadable.is_empty() {
        Ok(())
    } else {
        Err(Error::NotOpened(msg!(
            "comensha.not_opened",
            numbers = unreadable.join(", ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_checked_and_quarters_cover_whole_months() {
        let quarter = Selection {
            quarter: Some("2024-Q1".to_owned()),
            ..Selection::default()
        };
        assert_eq!(
            quarter.period().unwrap(),
            Some(Period {
                first: "2024-01-01".to_owned(),
                last: "2024-03-31".to_owned()
            })
        );
        let range = |from: &str, to: &str| Selection {
            from: Some(from.to_owned()),
            to: Some(to.to_owned()),
            ..Selection::default()
        };
        assert!(range("2024-02-29", "2024-03-01").period().is_ok());
        for (from, to) in [
            ("2023-02-29", "2023-03-01"),
            ("2024-13-01", "2024-12-31"),
            ("2024-1-01", "2024-12-31"),
            ("2024-06-01", "2024-05-31"),
        ] {
            assert!(range(from, to).period().is_err(), "{from} {to}");
        }
        let half = Selection {
            from: Some("2024-01-01".to_owned()),
            ..Selection::default()
        };
        assert!(half.period().is_err());
        let home = crate::home::InboxHome::new(std::path::PathBuf::from("/nonexistent"));
        assert!(select(&home, Vec::new(), &Selection::default()).is_err());
    }
}
