//! `report`: the quarterly report for the region and its municipalities, with small numbers
//! suppressed (see [`crate::report`] and [`crate::suppression`]).

use std::path::{Path, PathBuf};

use super::Settings;
use crate::error::{Error, Result};
use crate::home::replace_file;
use crate::msg;
use crate::report::{self, Picture, PictureHandOver, PictureTip, ReportRequest};
use crate::store;
use crate::triage::TriageBook;

/// Which report `report` writes, and where.
#[derive(Clone, Debug)]
pub struct ReportOptions {
    /// The quarter, `2026-Q3`.
    pub quarter: String,
    /// Only this municipality, by id.
    pub municipality: Option<String>,
    /// The file: `.pdf` or `.html`.
    pub output: PathBuf,
}

/// The report's two forms, chosen by the file name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReportFormat {
    Pdf,
    Html,
}

fn format_of(path: &Path) -> Option<ReportFormat> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    match extension.as_str() {
        "pdf" => Some(ReportFormat::Pdf),
        "html" | "htm" => Some(ReportFormat::Html),
        _ => None,
    }
}

/// Checks a quarter written as `2026-Q3`.
pub fn check_quarter(quarter: &str) -> Result<()> {
    match report::parse_quarter(quarter) {
        Some(_) => Ok(()),
        None => Err(Error::Usage(msg!("stats.not_a_quarter", quarter = quarter))),
    }
}

/// Opens every stored tip and the triage book and keeps only what the picture counts: for a
/// tip its hour, municipality, kind, role and channel; for a hand-over its hour and outcome.
/// Returns the picture and how many tips did not open.
pub fn load_picture(settings: &Settings) -> Result<(Picture, usize)> {
    let tips = store::stored_tips(&settings.home)?;
    let keys = settings.unlock()?;
    let documents = store::open_all(&tips, &keys);
    let mut picture = Picture::default();
    let mut unreadable = 0;
    for (tip, document) in tips.iter().zip(documents) {
        match document {
            Ok(document) => picture.tips.push(PictureTip {
                received_hour: tip.received_hour,
                municipality: document.municipality,
                kinds: document.kinds,
                role: document.role,
                source: document.source,
            }),
            Err(_) => unreadable += 1,
        }
    }
    let book = TriageBook::load(&settings.home, &keys.identities)?;
    for record in book.records.values() {
        for handover in &record.handovers {
            picture.handovers.push(PictureHandOver {
                hour: handover.hour,
                outcome: handover.outcome,
            });
        }
    }
    Ok((picture, unreadable))
}

/// Writes the quarterly report as PDF or HTML, by the output's file name. Tips that do not
/// open are not counted, and make the command fail after the report is written.
pub fn run(settings: &Settings, options: &ReportOptions) -> Result<()> {
    check_quarter(&options.quarter)?;
    let Some(format) = format_of(&options.output) else {
        return Err(Error::Usage(msg!(
            "report.bad_extension",
            quarter = options.quarter
        )));
    };
    let labels = settings.labels()?;
    if let Some(municipality) = &options.municipality {
        let region = labels.region();
        let known = region
            .municipalities
            .iter()
            .any(|known| &known.id == municipality);
        if !known {
            let choices: Vec<&str> = region
                .municipalities
                .iter()
                .map(|known| known.id.as_str())
                .collect();
            return Err(Error::Usage(msg!(
                "report.unknown_municipality",
                municipality = municipality,
                choices = choices.join(", ")
            )));
        }
    }
    let (picture, unreadable) = load_picture(settings)?;
    let request = ReportRequest {
        quarter: options.quarter.clone(),
        municipality: options.municipality.clone(),
    };
    let contents = match format {
        ReportFormat::Pdf => report::to_pdf(&picture, &labels, &request),
        ReportFormat::Html => report::to_html(&picture, &labels, &request).into_bytes(),
    };
    replace_file(&options.output, &contents)?;
    println!(
        "{}",
        msg!(
            "report.written",
            quarter = options.quarter,
            file = options.output.display()
        )
    );
    if unreadable > 0 {
        return Err(Error::NotOpened(msg!(
            "stats.not_opened",
            count = unreadable
        )));
    }
    Ok(())
}
