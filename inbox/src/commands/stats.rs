//! `stats`: counts per municipality, kind and quarter, for the coordinator's own use (exact), or
//! with `--publish` the tables for publication (small numbers suppressed, see
//! [`crate::suppression`]).

use std::path::Path;

use super::Settings;
use crate::error::{Error, Result};
use crate::home::replace_file;
use crate::msg;
use crate::report;
use crate::stats::{self, CountedTip, Counts, CsvStyle};
use crate::store;

/// Counts the stored tips in `quarters` (all when empty) and prints the CSV (in `csv_style`), or
/// writes it to `csv_path`; writes a chart to `svg_path`. Tips that do not open are not counted,
/// and make the command fail after the counts.
pub fn run(
    settings: &Settings,
    quarters: &[String],
    csv_path: Option<&Path>,
    svg_path: Option<&Path>,
    csv_style: CsvStyle,
) -> Result<()> {
    for quarter in quarters {
        super::report::check_quarter(quarter)?;
    }
    let tips = store::stored_tips(&settings.home)?;
    let keys = settings.unlock()?;
    let documents = store::open_all(&tips, &keys);
    let mut counted = Vec::new();
    let mut unreadable = 0;
    for (tip, document) in tips.iter().zip(documents) {
        match document {
            Ok(document) => counted.push(CountedTip {
                received_hour: tip.received_hour,
                municipality: document.municipality,
                kinds: document.kinds,
            }),
            Err(_) => unreadable += 1,
        }
    }
    let counts = Counts::count(&counted, quarters);
    let labels = settings.labels()?;
    let csv = stats::to_csv(&counts, &labels, csv_style);
    match csv_path {
        Some(path) => {
            replace_file(path, csv.as_bytes())?;
            eprintln!(
                "{}",
                msg!(
                    "stats.csv_written",
                    count = counts.total(),
                    file = path.display()
                )
            );
        }
        None => print!("{csv}"),
    }
    if let Some(path) = svg_path {
        replace_file(path, stats::to_svg(&counts, &labels).as_bytes())?;
        eprintln!("{}", msg!("stats.chart_written", file = path.display()));
    }
    if unreadable > 0 {
        return Err(Error::NotOpened(msg!(
            "stats.not_opened",
            count = unreadable
        )));
    }
    Ok(())
}

/// Writes the tables for publication (the quarterly report's, as CSV) for `quarters`, or every
/// quarter with signals or hand-overs when it is empty: counts from 1 to 4 as "<5", and hidden
/// where totals would give them back. Prints them, or writes them to `csv_path`.
pub fn publish(
    settings: &Settings,
    quarters: &[String],
    csv_path: Option<&Path>,
    csv_style: CsvStyle,
) -> Result<()> {
    for quarter in quarters {
        super::report::check_quarter(quarter)?;
    }
    let labels = settings.labels()?;
    let (picture, unreadable) = super::report::load_picture(settings)?;
    let quarters = if quarters.is_empty() {
        report::quarters_with_data(&picture)
    } else {
        quarters.to_vec()
    };
    let csv = report::to_publishable_csv(&picture, &labels, &quarters, csv_style);
    match csv_path {
        Some(path) => {
            replace_file(path, csv.as_bytes())?;
            eprintln!("{}", msg!("stats.published_written", file = path.display()));
        }
        None => print!("{csv}"),
    }
    if unreadable > 0 {
        return Err(Error::NotOpened(msg!(
            "stats.not_opened",
            count = unreadable
        )));
    }
    Ok(())
}
