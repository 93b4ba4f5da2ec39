//! `export`: a case file of one tip, for handing over.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;

use zeroize::Zeroizing;

use super::Settings;
use crate::error::{Error, Result};
use crate::home::replace_file;
use crate::msg;
use crate::pdf;
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
    /// PDF: A4 pages with the Markdown file's content, to print or send (see [`crate::pdf`]).
    Pdf,
}

/// What `export` writes, and where.
#[derive(Clone, Debug)]
pub struct ExportOptions {
    /// Markdown, JSON or PDF.
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
    refuse_pdf_on_terminal(settings, number, options)?;
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
    let contents: Zeroizing<Vec<u8>> = Zeroizing::new(match options.format {
        ExportFormat::Markdown => {
            render::export_markdown(&document, &context, &settings.labels()?, redact).into_bytes()
        }
        ExportFormat::Pdf => pdf::case_file_pdf(
            &render::case_file(&document, &context, &settings.labels()?, redact),
            settings.language,
        ),
        ExportFormat::Json => {
            let mut json = serde_json::to_string_pretty(&render::export_json(
                &document,
                &context,
                &settings.labels()?,
                redact,
            ))
            .expect("JSON values serialize");
            json.push('\n');
            json.into_bytes()
        }
    });
    match &options.output {
        Some(path) => {
            if path.exists() {
                return Err(Error::Usage(msg!("export.exists", file = path.display())));
            }
            replace_file(path, &contents)?;
            eprintln!(
                "{}",
                msg!("export.written", number = number, file = path.display())
            );
        }
        None => std::io::stdout()
            .lock()
            .write_all(&contents)
            .map_err(Error::UnexplainedIo)?,
    }
    Ok(())
}

/// A PDF is a file, not something to print on a terminal: without `-o`, `export --format pdf`
/// only writes to standard output when that is redirected.
fn refuse_pdf_on_terminal(settings: &Settings, number: u64, options: &ExportOptions) -> Result<()> {
    if options.format == ExportFormat::Pdf
        && options.output.is_none()
        && std::io::stdout().is_terminal()
    {
        return Err(Error::Usage(crate::msg_in!(
            settings.language,
            "export.pdf_on_terminal",
            number = number
        )));
    }
    Ok(())
}
