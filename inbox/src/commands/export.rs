//! `export`: a case file of one tip, for handing over.

use std::path::PathBuf;

use zeroize::Zeroizing;

use super::Settings;
use crate::error::{Error, Result};
use crate::home::replace_file;
use crate::msg;
use crate::render::{self, RedactPart, TipContext};
use crate::store;
use crate::triage::TriageBook;

/// The format of a case file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// Markdown: readable as text, printable, convertible to PDF.
    Markdown,
    /// JSON: the document, labels and triage state, for other systems.
    Json,
}

/// What `export` writes, and where.
#[derive(Clone, Debug)]
pub struct ExportOptions {
    /// Markdown or JSON.
    pub format: ExportFormat,
    /// The parts to leave out.
    pub redact: Vec<RedactPart>,
    /// The file to write (readable only by its owner), or `None` for standard output. It must
    /// not exist yet.
    pub output: Option<PathBuf>,
}

/// Writes the case file of tip `number`: the tip, its labels and its triage record, without
/// the redacted parts. The file is not encrypted; the message says so.
pub fn run(settings: &Settings, number: u64, options: &ExportOptions) -> Result<()> {
    let stored = store::find_tip(&settings.home, number)?;
    let sealed = store::read_sealed_file(&stored.path)?;
    let keys = settings.unlock()?;
    let book = TriageBook::load(&settings.home, &keys.identities)?;
    let record = book.record(&stored.relay_id);
    let document = store::open_tip(&keys.identities, &sealed).map_err(|failure| {
        Error::NotOpened(failure.explain(&msg!(
            "tip.numbered",
            number = number,
            file = stored.path.display()
        )))
    })?;
    let context = TipContext {
        number: Some(number),
        received_hour: Some(stored.received_hour),
        triage: Some(&record),
    };
    let redact = &options.redact;
    let text = Zeroizing::new(match options.format {
        ExportFormat::Markdown => {
            render::export_markdown(&document, &context, &settings.labels()?, redact)
        }
        ExportFormat::Json => {
            let mut json = serde_json::to_string_pretty(&render::export_json(
                &document,
                &context,
                &settings.labels()?,
                redact,
            ))
            .expect("JSON values serialize");
            json.push('\n');
            json
        }
    });
    match &options.output {
        Some(path) => {
            if path.exists() {
                return Err(Error::Usage(msg!("export.exists", file = path.display())));
            }
            replace_file(path, text.as_bytes())?;
            eprintln!(
                "{}",
                msg!("export.written", number = number, file = path.display())
            );
        }
        None => print!("{}", text.as_str()),
    }
    Ok(())
}
