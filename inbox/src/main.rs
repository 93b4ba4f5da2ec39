//! `fluister-inbox`: the coordinator's command line. It parses the arguments and calls the
//! library's command; every error is printed with what to do next.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use fluister_inbox::commands::export::{ExportFormat, ExportOptions};
use fluister_inbox::commands::list::ListFilter;
use fluister_inbox::commands::pull::PullOptions;
use fluister_inbox::commands::quarantine::DeleteConfirmation;
use fluister_inbox::commands::reply::MessageSource;
use fluister_inbox::commands::triage::TriageChange;
use fluister_inbox::commands::{self, Settings};
use fluister_inbox::home::HOME_ENVIRONMENT_VARIABLE;
use fluister_inbox::render::RedactPart;
use fluister_inbox::store;
use fluister_inbox::triage::TriageStatus;
use fluister_inbox::vocabulary::Language;

/// Fluister's inbox for the coordinator (ketenregisseur mensenhandel): receive the anonymous,
/// encrypted tips from the relay, read them, keep track of them, hand them over, and count them.
///
/// First day: `keygen` (make your key), `connect` (relay address and token), `status` (check).
/// Daily: `pull`, `list`, `show N`, `reply N "question"`, `triage N`, `export N`. For reports:
/// `stats`. Tips that did not open with your key: `quarantine`.
///
/// Tips stay encrypted on this computer; they are decrypted only to show or export them, with
/// your key, after you type its passphrase. The coordinator's guide (docs/coordinator-guide.nl.md
/// and .en.md) explains every step.
#[derive(Debug, Parser)]
#[command(name = "fluister-inbox", version, about, long_about)]
struct Cli {
    /// The inbox folder: key, connection, tips and notes. Default:
    /// ~/.local/share/fluister-inbox (or $XDG_DATA_HOME/fluister-inbox).
    #[arg(long, global = true, value_name = "DIR", env = HOME_ENVIRONMENT_VARIABLE)]
    home: Option<PathBuf>,

    /// Use this key file instead of the inbox's own identity.age: for example the offline
    /// backup key (a plain `age-keygen` file or one sealed with a passphrase).
    #[arg(long, global = true, value_name = "FILE", env = "FLUISTER_IDENTITY")]
    identity: Option<PathBuf>,

    /// Read the passphrase from the first line of FILE instead of asking on the terminal (for
    /// scripts). The FLUISTER_PASSPHRASE environment variable does the same.
    #[arg(long, global = true, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,

    /// Language for labels and headings: nl (Dutch) or en (English).
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "nl",
        env = "FLUISTER_LANG"
    )]
    lang: Language,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Make your key: a new age identity, protected by a passphrase you choose, saved as
    /// identity.age (readable only by you). Prints the public key (age1…) for the relay's
    /// configuration. Run it once; it never overwrites an existing key.
    Keygen,

    /// Store the relay's address and your coordinator token (from the relay's operator, made
    /// with `relay-server mint-token`) in the inbox folder, readable only by you. The token is
    /// asked for on the terminal, or read from --token-file or FLUISTER_TOKEN.
    Connect {
        /// The relay's address, for example https://tips.example.nl
        #[arg(long, value_name = "URL")]
        relay: String,
        /// Read the token from the first line of this file.
        #[arg(long, value_name = "FILE")]
        token_file: Option<PathBuf>,
    },

    /// Check everything without changing anything: the key, the connection file, whether the
    /// relay answers, whether it accepts your token, whether it seals tips to your key, how
    /// many tips are waiting and in quarantine, and whether the relay sees a flood of
    /// submissions (its proof-of-work difficulty and refusals; counts only, no content).
    Status,

    /// Fetch new tips from the relay. Each one is stored encrypted in the inbox folder and only
    /// then deleted on the relay. Safe to interrupt: run it again and it continues, without
    /// losing or doubling a tip. Asks for your passphrase (it checks each tip opens).
    ///
    /// A tip that does not open with your key (sealed to another key, perhaps junk sent to fill
    /// the relay, or damaged) is kept sealed in the quarantine folder instead, without a number,
    /// and deleted on the relay so it no longer takes its space. See `quarantine`.
    ///
    /// Then it fetches the conversation of every tip whose reporter has an anonymous mailbox
    /// and stores new answers (encrypted, as they came). Those stay on the relay, where the
    /// reporter reads the conversation; the mailbox expires by itself.
    Pull {
        /// How many tips to fetch at once (1 to 64). Lower it on a slow or metered connection.
        #[arg(long, value_name = "N", default_value_t = store::DEFAULT_PULL_CONNECTIONS)]
        connections: usize,
        /// Fetch only new tips, not the reporters' answers.
        #[arg(long)]
        no_messages: bool,
    },

    /// Show the quarantine: tips `pull` could not open with the key it was given (sealed to
    /// another key, possibly junk sent to fill the relay, or damaged). They are kept sealed
    /// and unread, without a number, outside `list`, `show` and `stats`. Without options, lists
    /// them (count, size, hour received) and changes nothing.
    ///
    /// Pulled with the wrong key by mistake? `quarantine --recheck` (with --identity FILE for
    /// another key) moves every one that opens into your tips as a normal numbered tip.
    /// `quarantine --delete` deletes them for good, after you confirm and after checking once
    /// more that none opens with your key.
    Quarantine {
        /// Check every quarantined file against your key (or --identity FILE) and move each one
        /// that opens into your tips. Asks for your passphrase.
        #[arg(long, conflicts_with = "delete")]
        recheck: bool,
        /// Delete the quarantined files for good, after confirming. Any that opens with your
        /// key is stored as a tip instead. Asks for your passphrase.
        #[arg(long)]
        delete: bool,
        /// Confirm --delete without asking (for scripts).
        #[arg(long, requires = "delete")]
        yes: bool,
    },

    /// List the tips: number, hour received (Dutch time), municipality, kind, who reported, and
    /// status. Filters combine.
    List {
        /// Only tips with this status.
        #[arg(long, value_enum)]
        status: Option<TriageStatus>,
        /// Only tips about this municipality, by id: e.g. assen, aa-en-hunze, other.
        #[arg(long, value_name = "ID")]
        municipality: Option<String>,
        /// Only tips of this kind: sexual, labour, criminal, organ_removal, other_unsure.
        #[arg(long, value_name = "ID")]
        kind: Option<String>,
    },

    /// Show one tip in full, with signals in words, and then the conversation with its reporter
    /// (your questions and their answers, in order, with the hour). TIP is a number from
    /// `list`, or the path of any age file sealed to your key (binary or armored), e.g. one a
    /// colleague sent you.
    Show {
        /// A tip number, or a path to a .age file.
        tip: String,
    },

    /// Ask the reporter of a tip a question (or answer them), through their anonymous mailbox
    /// on the relay. Only tips sent with a receipt code have one (`show N` says so). The
    /// message is sealed to the reporter's reply key and to your own key, so only the two of
    /// you can read it; the reporter sees it when they check with their receipt code. A copy
    /// is kept (encrypted) in the inbox folder for `show`.
    ///
    /// Examples: `reply 12 "Which address is it?"`, `reply 12 --file question.txt`,
    /// `reply 12 --editor` (opens $EDITOR), `echo "…" | reply 12 -`.
    Reply {
        /// The tip number.
        number: u64,
        /// The message, in quotes; `-` reads it from standard input.
        #[arg(
            value_name = "TEXT",
            required_unless_present_any = ["file", "editor"],
            conflicts_with_all = ["file", "editor"]
        )]
        text: Option<String>,
        /// Read the message from this file (UTF-8 text).
        #[arg(long, value_name = "FILE", conflicts_with = "editor")]
        file: Option<PathBuf>,
        /// Write the message in your editor ($VISUAL or $EDITOR, else vi).
        #[arg(long)]
        editor: bool,
    },

    /// Record where a tip stands, to whom it was handed over, and notes. Stored encrypted to
    /// your own key. Without options, prints the tip's status and notes.
    Triage {
        /// The tip number.
        number: u64,
        /// The new status.
        #[arg(long, value_enum)]
        status: Option<TriageStatus>,
        /// To whom it was handed over, e.g. "Politie Drenthe, AVIM" (sets the status to
        /// handed-over).
        #[arg(long, value_name = "WHOM")]
        to: Option<String>,
        /// A note to add (dated today).
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },

    /// Write a case file of one tip for handing over (police, labour inspectorate, care), as
    /// Markdown or JSON. Leave out what the receiver should not see with --redact, e.g.
    /// `--redact contact,reply`. The file is NOT encrypted: hand it over safely and delete it.
    Export {
        /// The tip number.
        number: u64,
        /// markdown (to read and print) or json (for other systems).
        #[arg(long, value_enum, default_value = "markdown")]
        format: ExportFormat,
        /// Parts to leave out, comma-separated: contact, text, place, when, reply, notes.
        #[arg(long, value_enum, value_delimiter = ',', value_name = "PARTS")]
        redact: Vec<RedactPart>,
        /// Write to this file (readable only by you) instead of the screen.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },

    /// Count tips per municipality, kind and quarter, for policy reports. Uses only those three
    /// facts, never the content. Prints CSV, or writes it with --csv; --svg draws a bar chart.
    Stats {
        /// Only these quarters, e.g. --quarter 2025-Q1 --quarter 2025-Q2.
        #[arg(long, value_name = "YYYY-QN")]
        quarter: Vec<String>,
        /// Write the CSV to this file.
        #[arg(long, value_name = "FILE")]
        csv: Option<PathBuf>,
        /// Write an SVG chart to this file.
        #[arg(long, value_name = "FILE")]
        svg: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let mut message = error.to_string();
            let mut cause = std::error::Error::source(&error);
            while let Some(error) = cause {
                message.push_str(&format!("\n  because: {error}"));
                cause = error.source();
            }
            eprintln!("fluister-inbox: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> fluister_inbox::Result<()> {
    let settings = Settings::new(cli.home, cli.identity, cli.passphrase_file, cli.lang)?;
    match cli.command {
        Command::Keygen => commands::keygen::run(&settings),
        Command::Connect { relay, token_file } => {
            commands::connect::run(&settings, &relay, token_file.as_deref())
        }
        Command::Status => commands::status::run(&settings),
        Command::Pull {
            connections,
            no_messages,
        } => commands::pull::run(
            &settings,
            PullOptions {
                connections,
                with_messages: !no_messages,
            },
        ),
        Command::Quarantine {
            recheck,
            delete,
            yes,
        } => match (recheck, delete) {
            (true, _) => commands::quarantine::recheck(&settings),
            (false, true) => commands::quarantine::delete(
                &settings,
                if yes {
                    DeleteConfirmation::Given
                } else {
                    DeleteConfirmation::Ask
                },
            ),
            (false, false) => commands::quarantine::show(&settings),
        },
        Command::List {
            status,
            municipality,
            kind,
        } => commands::list::run(
            &settings,
            &ListFilter {
                status,
                municipality,
                kind,
            },
        ),
        Command::Show { tip } => commands::show::run(&settings, &tip),
        Command::Reply {
            number,
            text,
            file,
            editor,
        } => commands::reply::run(
            &settings,
            number,
            MessageSource::from_arguments(text, file, editor)?,
        ),
        Command::Triage {
            number,
            status,
            to,
            note,
        } => commands::triage::run(
            &settings,
            number,
            TriageChange {
                status,
                handed_over_to: to,
                note,
            },
        ),
        Command::Export {
            number,
            format,
            redact,
            output,
        } => commands::export::run(
            &settings,
            number,
            &ExportOptions {
                format,
                redact,
                output,
            },
        ),
        Command::Stats { quarter, csv, svg } => {
            commands::stats::run(&settings, &quarter, csv.as_deref(), svg.as_deref())
        }
    }
}
