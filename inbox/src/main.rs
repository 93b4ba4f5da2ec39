//! `fluister-inbox`: the coordinator's command line. It parses the arguments and calls the
//! library's command; every error is printed with what to do next.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand};
use fluister_inbox::commands::app::AppOptions;
use fluister_inbox::commands::export::{ExportFormat, ExportOptions};
use fluister_inbox::commands::list::ListFilter;
use fluister_inbox::commands::pull::PullOptions;
use fluister_inbox::commands::quarantine::DeleteConfirmation;
use fluister_inbox::commands::register::{RegisterInput, SignalFields};
use fluister_inbox::commands::reply::MessageSource;
use fluister_inbox::commands::report::ReportOptions;
use fluister_inbox::commands::triage::TriageChange;
use fluister_inbox::commands::{self, Settings};
use fluister_inbox::home::HOME_ENVIRONMENT_VARIABLE;
use fluister_inbox::messages::{self, LANGUAGE_ENVIRONMENT_VARIABLE};
use fluister_inbox::msg;
use fluister_inbox::render::RedactPart;
use fluister_inbox::stats::CsvStyle;
use fluister_inbox::store;
use fluister_inbox::triage::{Outcome, TriageStatus};
use fluister_inbox::vocabulary::Language;

/// Fluister's inbox for the coordinator (ketenregisseur mensenhandel): receive the anonymous,
/// encrypted tips from the relay, read them, keep track of them, hand them over, and count them.
///
/// First day: `keygen` (make your key), `connect` (relay address and token), `status` (check).
/// Daily: `pull`, `list`, `show N`, `reply N "question"`, `triage N`, `export N`. For reports:
/// `stats`. Tips that did not open with your key: `quarantine`.
///
/// Tips stay encrypted on this computer; they are decrypted only to show or export them, with
/// your key, after you type its passphrase. The coordinator's guide (coordinator-guide.en.md
/// and .nl.md, next to the program) explains every step. Without a command, the workspace starts.
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

    /// Language of everything the program says: nl (Dutch) or en (English). Default: Dutch, or
    /// English when the system's language (LC_ALL, LC_MESSAGES, LANG) is English.
    #[arg(long, global = true, value_enum, env = LANGUAGE_ENVIRONMENT_VARIABLE)]
    lang: Option<Language>,

    /// Without a command, the workspace starts (as `app`), so that opening the program (for
    /// example with a double click) is enough.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Make your key: a new age identity, protected by a passphrase you choose, saved as
    /// identity.age (readable only by you). Prints the public key (age1pq1…) for the relay's
    /// configuration. Run it once; it never overwrites an existing key.
    Keygen {
        /// Make an X25519 key (age1…) instead of a hybrid post-quantum one (age1pq1…).
        #[arg(long)]
        x25519: bool,
    },

    /// Your own set of keys: the keys your notes and statuses (triage.age) are sealed to. Add
    /// your offline backup key, and later a successor's, so that they open the notes too:
    /// `keys add age1… --name reservesleutel`. `keys list` shows the set; `status` compares it
    /// with the keys the relay seals tips to.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },

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

    /// Print the <script> tag for a municipality's page: the relay's loader pinned by its hash
    /// (integrity), and the readers pinned by the fingerprint of your own set of keys
    /// (data-recipients). A form embedded with it sends nothing while the relay lists any other
    /// keys (someone added a reader): it shows the phone numbers instead. Refuses while the relay
    /// and your set differ (see `status`). Give the tag to the municipality's webmaster; make a
    /// new one when your set of keys changes.
    EmbedSnippet {
        /// Preselect this municipality (its id, for example assen).
        #[arg(long, value_name = "ID")]
        municipality: Option<String>,
        /// The language the form starts in: nl, en, pl, ro, bg, uk, es or ar.
        #[arg(long, value_name = "CODE")]
        form_lang: Option<String>,
    },

    /// Check everything without changing anything: the key, the connection file, whether the
    /// relay answers, whether it accepts your token, whether it seals tips to your key, how
    /// many tips are waiting and in quarantine, and whether the relay sees a flood of
    /// submissions (its proof-of-work difficulty and refusals; counts only, no content).
    Status,

    /// Check that the relay serves the report form exactly as it was released: fetch every
    /// file of the widget the relay serves (as a browser gets it, plain and brotli) and compare
    /// it with the release's manifest of SHA-256 hashes. Any difference is a problem.
    VerifyWidget {
        /// The release's widget-manifest.json. Default: the one next to this program.
        #[arg(long, value_name = "FILE")]
        manifest: Option<PathBuf>,
    },

    /// Fetch new tips from the relay. Each one is stored encrypted in the inbox folder, then
    /// deleted on the relay, unless you work in a team (`team`): then the whole team gets every
    /// tip (see `archive`). Safe to interrupt: run it again and it continues, without losing or
    /// doubling a tip. Asks for your passphrase (it checks each tip opens).
    ///
    /// A tip that does not open with your key (sealed to another key, perhaps junk sent to fill
    /// the relay, or damaged) is kept sealed in the quarantine folder instead, without a number.
    /// See `quarantine`.
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
    /// on the relay. Only tips sent with a report code have one (`show N` says so). The
    /// message is sealed to the reporter's reply key and to your own key, so only the two of
    /// you can read it; the reporter sees it when they check with their report code. A copy
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
            required_unless_present_any = ["file", "editor", "status"],
            conflicts_with_all = ["file", "editor"]
        )]
        text: Option<String>,
        /// Read the message from this file (UTF-8 text).
        #[arg(long, value_name = "FILE", conflicts_with = "editor")]
        file: Option<PathBuf>,
        /// Write the message in your editor ($VISUAL or $EDITOR, else Notepad on Windows, nano
        /// or vi).
        #[arg(long)]
        editor: bool,
        /// Tell the reporter where the report stands (they see it in their language when they
        /// check with their code): read, in-progress, handed-over, closed. The text may be left
        /// out then.
        #[arg(long, value_enum, value_name = "STATUS")]
        status: Option<ReporterStatus>,
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
        /// The team member who handles the tip from now on (a name from `team`).
        #[arg(long, value_name = "NAME")]
        assign: Option<String>,
    },

    /// Take a tip off the relay, for the whole team: nobody needs to fetch it any more. The
    /// decision is written to the team log first; your own copy stays.
    Archive {
        /// The tip number.
        number: u64,
        /// Archive without asking (for scripts).
        #[arg(long)]
        yes: bool,
    },

    /// The receivers' book: the agencies you hand cases to, each with their public key.
    Receivers {
        #[command(subcommand)]
        action: Option<ReceiversAction>,
    },

    /// Hand a tip over to an agency: sealed to their key alone, with only what they should
    /// read; recorded on the case.
    Handover {
        /// The tip number.
        number: u64,
        /// The receiver, as the receivers' book names it.
        #[arg(long, value_name = "NAME")]
        to: String,
        /// Whole fields to leave out: contact, text, place, when, notes.
        #[arg(long, value_enum, value_delimiter = ',', value_name = "PARTS")]
        leave_out: Vec<RedactPart>,
        /// A passage of the reporter's text to leave out, exactly as written.
        #[arg(long = "leave-out-passage", value_name = "TEXT")]
        leave_out_passage: Vec<String>,
        /// Show what the receiver will read; write and record nothing.
        #[arg(long)]
        preview: bool,
        /// The sealed file to write.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
        /// Write it as text (ASCII armor).
        #[arg(long)]
        armor: bool,
    },

    /// Record what the receiver of a hand-over did with it.
    Feedback {
        /// The tip number.
        number: u64,
        /// What they did.
        #[arg(long, value_enum)]
        outcome: Outcome,
        /// The hand-over's code, if not the latest.
        #[arg(long, value_name = "CODE")]
        handover: Option<String>,
    },

    /// Your team: the colleagues who work the same tips. Without a subcommand, shows your card
    /// (what a colleague runs to add you) and the members.
    Team {
        #[command(subcommand)]
        action: Option<TeamAction>,
    },

    /// Write a case file of one tip for handing over (police, labour inspectorate, care), as
    /// Markdown, JSON or PDF. Leave out what the receiver should not see with --redact, e.g.
    /// `--redact contact,reply`. The file is NOT encrypted: hand it over safely and delete it.
    Export {
        /// The tip number.
        number: u64,
        /// markdown (to read and print), json (for other systems) or pdf (A4, to print or send;
        /// needs -o FILE).
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
        /// excel (the default: `;` between fields and a byte order mark, so Dutch Excel opens
        /// it in columns) or comma (plain comma-separated, for scripts).
        #[arg(long, value_enum, default_value = "excel", value_name = "STYLE")]
        csv_style: CsvStyle,
        /// Write the tables for publication: counts from 1 to 4 as <5, hidden (x) where totals
        /// would give them back.
        #[arg(long, conflicts_with = "svg")]
        publish: bool,
    },

    /// Write the quarterly report for the region and each municipality, as PDF or HTML: tables
    /// and bar charts, small numbers as <5, no case content.
    Report {
        /// The quarter, e.g. 2026-Q3.
        #[arg(long, value_name = "YYYY-QN")]
        quarter: String,
        /// Only this municipality, by id: e.g. assen.
        #[arg(long, value_name = "ID")]
        municipality: Option<String>,
        /// The file to write: .pdf or .html.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: PathBuf,
    },

    /// Register a signal that came in through another channel (a phone call, the ZVHD, the
    /// police, the GGD, the municipality), with the same fields a tip has and its source. It is
    /// stored encrypted like a fetched tip and gets the next number. In a team, your colleagues
    /// do not get it through the relay.
    Register {
        /// The channel: phone, zvhd, police, ggd, municipality or other.
        #[arg(long, value_name = "SOURCE")]
        source: Option<String>,
        /// The kind: sexual, labour, criminal, organ_removal, other_unsure.
        #[arg(long, value_name = "ID", conflicts_with = "file")]
        kind: Option<String>,
        /// Who reported: about_me, someone_i_know, witness, professional.
        #[arg(long, value_name = "ID", conflicts_with = "file")]
        role: Option<String>,
        /// The municipality, by id or name (assen, "Aa en Hunze"), or other.
        #[arg(long, value_name = "ID", conflicts_with = "file")]
        municipality: Option<String>,
        /// Signals, by id, comma-separated or repeated: labour.very_long_days,…
        #[arg(
            long = "signal",
            value_name = "ID",
            value_delimiter = ',',
            conflicts_with = "file"
        )]
        signals: Vec<String>,
        /// The date it happened: YYYY-MM-DD.
        #[arg(long, value_name = "DATE", conflicts_with = "file")]
        date: Option<String>,
        /// It is still going on.
        #[arg(long, conflicts_with = "file")]
        ongoing: bool,
        /// When, in words: "every weekend".
        #[arg(long, value_name = "TEXT", conflicts_with = "file")]
        when: Option<String>,
        /// Where, in words.
        #[arg(long, value_name = "TEXT", conflicts_with = "file")]
        place: Option<String>,
        /// What happened; `-` reads it from standard input.
        #[arg(long, value_name = "TEXT", conflicts_with = "file")]
        text: Option<String>,
        /// How the person who told it can be reached.
        #[arg(long, value_name = "TEXT", conflicts_with = "file")]
        contact: Option<String>,
        /// Read the fields from a JSON file instead.
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
    },

    /// Register tips with CoMensha: one line per tip in the fields of their registration,
    /// without the reporter's own words, sealed to CoMensha's key alone.
    Comensha {
        /// The quarter the tips came in, like 2026-Q3.
        #[arg(long, value_name = "YYYY-QN", conflicts_with_all = ["from", "to"])]
        quarter: Option<String>,
        /// The first day of the period (YYYY-MM-DD); with --until.
        #[arg(long, value_name = "DATE")]
        from: Option<String>,
        /// The last day of the period (YYYY-MM-DD), included; with --from.
        #[arg(long = "until", value_name = "DATE")]
        to: Option<String>,
        /// Tip numbers, comma-separated or repeated.
        #[arg(long = "case", value_name = "NUMBER", value_delimiter = ',')]
        cases: Vec<u64>,
        /// The receiver, as the receivers' book names it.
        #[arg(long = "receiver", value_name = "NAME", default_value = "CoMensha")]
        receiver: String,
        /// Also take tips registered with this receiver before.
        #[arg(long)]
        again: bool,
        /// csv or json.
        #[arg(long, value_enum, default_value = "csv", value_name = "FORMAT")]
        format: commands::comensha::RegistrationFormat,
        /// excel or comma.
        #[arg(long, value_enum, default_value = "excel", value_name = "STYLE")]
        csv_style: CsvStyle,
        /// Show what CoMensha will get; write and record nothing.
        #[arg(long)]
        preview: bool,
        /// The file to write.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
        /// Write it as text (ASCII armor).
        #[arg(long, conflicts_with = "unencrypted_plaintext")]
        armor: bool,
        /// Write the file NOT encrypted.
        #[arg(long)]
        unencrypted_plaintext: bool,
    },

    /// Link two cases about the same situation; `show` lists them, and suggests others.
    Link {
        /// The first case's number.
        first: u64,
        /// The second case's number.
        second: u64,
    },

    /// The workspace ("werkplek") in your browser: the tips, each case with its signals,
    /// conversation, status and notes, on this computer only. Starts a local web app on
    /// 127.0.0.1, prints its address and opens it once in the default browser; unlock it with
    /// your passphrase. It locks itself after a time without use. Stop it with Ctrl+C.
    App {
        /// The port on 127.0.0.1 (default: any free one).
        #[arg(long, value_name = "PORT", default_value_t = 0)]
        port: u16,
        /// Do not open the browser; open the printed address yourself.
        #[arg(long)]
        no_browser: bool,
        /// Lock after this long without use: 30s, 10m, 1h (a bare number is minutes).
        #[arg(
            long,
            value_name = "TIME",
            default_value = "10m",
            value_parser = commands::app::parse_lock_after
        )]
        lock_after: Duration,
    },
}

/// What `keys` does with the coordinator's own set of keys.
#[derive(Debug, Subcommand)]
enum KeysAction {
    /// Show the keys in the set, with their names. Needs no passphrase.
    List,
    /// Add a public key (age1…) to the set, and seal the notes to it right away. Asks for your
    /// passphrase.
    Add {
        /// The public key, as age-keygen or fluister-inbox keygen shows it: age1…
        #[arg(value_name = "AGE1…")]
        recipient: String,
        /// What the key is, for `keys list`, e.g. --name "reservesleutel in de kluis".
        #[arg(long, value_name = "TEXT")]
        name: Option<String>,
    },
    /// Take a public key out of the set, and seal the notes to the others. Asks for your
    /// passphrase.
    Remove {
        /// The public key: age1…
        #[arg(value_name = "AGE1…")]
        recipient: String,
    },
}

/// What the reporter is told about their report (`reply --status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ReporterStatus {
    Read,
    InProgress,
    HandedOver,
    Closed,
}

impl ReporterStatus {
    fn into_case_status(self) -> fluister_envelope::message::CaseStatus {
        use fluister_envelope::message::CaseStatus;
        match self {
            ReporterStatus::Read => CaseStatus::Read,
            ReporterStatus::InProgress => CaseStatus::InProgress,
            ReporterStatus::HandedOver => CaseStatus::HandedOver,
            ReporterStatus::Closed => CaseStatus::Closed,
        }
    }
}

#[derive(Debug, Subcommand)]
enum ReceiversAction {
    /// Add a receiver or change one.
    Set {
        /// The receiver's name.
        name: String,
        /// Their public age key.
        #[arg(long, value_name = "AGE1…")]
        key: Option<String>,
        /// How to reach them.
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
    /// Remove a receiver.
    Remove {
        /// The receiver's name.
        name: String,
    },
}

#[derive(Debug, Subcommand)]
enum TeamAction {
    /// Add a colleague, from the card `fluister-inbox team` shows on their computer.
    Add {
        /// What the team calls them.
        name: String,
        /// Their public key: age1…
        #[arg(value_name = "AGE1…")]
        recipient: String,
        /// Their signing key: ed25519-…
        #[arg(value_name = "ED25519-…")]
        signing_key: String,
    },
    /// Remove a colleague: what is sealed from now on no longer opens for them.
    Remove {
        /// Their name, as `team` shows it.
        name: String,
    },
}

fn main() -> ExitCode {
    // The language first, so the help and clap's own errors speak it too.
    let arguments: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|argument| argument.to_string_lossy().into_owned())
        .collect();
    messages::set_language(messages::choose_language(&arguments, |name| {
        std::env::var(name).ok()
    }));
    let cli = localised_command()
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches))
        .unwrap_or_else(|error| exit_with_usage_error(error));
    if let Some(language) = cli.lang {
        messages::set_language(language);
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let mut message = error.to_string();
            let mut cause = std::error::Error::source(&error);
            while let Some(error) = cause {
                message.push('\n');
                message.push_str(&msg!("error.because", cause = error));
                cause = error.source();
            }
            eprintln!("fluister-inbox: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The command line with every help text, heading and value name from the message catalogue
/// in the chosen language (the doc comments above are the code's documentation; what the
/// coordinator reads is this).
fn localised_command() -> clap::Command {
    let command = Cli::command()
        .about(msg!("help.about"))
        .long_about(format!(
            "{}\n\n{}",
            msg!("help.about"),
            msg!("help.about.details")
        ))
        .subcommand_value_name(value_name(msg!("help.value.command")))
        .disable_help_subcommand(true)
        .disable_version_flag(true)
        .arg(
            clap::Arg::new("version")
                .short('V')
                .long("version")
                .action(clap::ArgAction::Version)
                .help(msg!("help.version")),
        )
        .mut_arg("home", |arg| {
            arg.help(msg!("help.home"))
                .value_name(value_name(msg!("help.value.folder")))
        })
        .mut_arg("identity", |arg| {
            arg.help(msg!("help.identity"))
                .value_name(value_name(msg!("help.value.file")))
        })
        .mut_arg("passphrase_file", |arg| {
            arg.help(msg!("help.passphrase_file"))
                .value_name(value_name(msg!("help.value.file")))
        })
        .mut_arg("lang", |arg| {
            arg.help(msg!("help.lang"))
                .value_name(value_name(msg!("help.value.language")))
                .hide_possible_values(true)
        })
        .mut_subcommand("keygen", |command| {
            command
                .about(msg!("help.keygen"))
                .long_about(with_details(
                    msg!("help.keygen"),
                    msg!("help.keygen.details"),
                ))
                .mut_arg("x25519", |arg| arg.help(msg!("help.keygen.x25519")))
        })
        .mut_subcommand("connect", |command| {
            command
                .about(msg!("help.connect"))
                .long_about(with_details(
                    msg!("help.connect"),
                    msg!("help.connect.details"),
                ))
                .mut_arg("relay", |arg| {
                    arg.help(msg!("help.connect.relay"))
                        .value_name(value_name(msg!("help.value.address")))
                })
                .mut_arg("token_file", |arg| {
                    arg.help(msg!("help.connect.token_file"))
                        .value_name(value_name(msg!("help.value.file")))
                })
        })
        .mut_subcommand("embed-snippet", |command| {
            command
                .about(msg!("help.embed_snippet"))
                .long_about(with_details(
                    msg!("help.embed_snippet"),
                    msg!("help.embed_snippet.details"),
                ))
                .mut_arg("municipality", |arg| {
                    arg.help(msg!("help.embed_snippet.municipality"))
                        .value_name(value_name(msg!("help.value.id")))
                })
                .mut_arg("form_lang", |arg| {
                    arg.help(msg!("help.embed_snippet.form_lang"))
                        .value_name(value_name(msg!("help.value.language")))
                })
        })
        .mut_subcommand("status", |command| {
            command.about(msg!("help.status")).long_about(with_details(
                msg!("help.status"),
                msg!("help.status.details"),
            ))
        })
        .mut_subcommand("verify-widget", |command| {
            command
                .about(msg!("help.verify_widget"))
                .long_about(with_details(
                    msg!("help.verify_widget"),
                    msg!("help.verify_widget.details"),
                ))
                .mut_arg("manifest", |arg| {
                    arg.help(msg!("help.verify_widget.manifest"))
                        .value_name(value_name(msg!("help.value.file")))
                })
        })
        .mut_subcommand("pull", |command| {
            command
                .about(msg!("help.pull"))
                .long_about(with_details(msg!("help.pull"), msg!("help.pull.details")))
                .mut_arg("connections", |arg| {
                    arg.help(msg!("help.pull.connections"))
                        .value_name(value_name(msg!("help.value.count")))
                })
                .mut_arg("no_messages", |arg| arg.help(msg!("help.pull.no_messages")))
        })
        .mut_subcommand("quarantine", |command| {
            command
                .about(msg!("help.quarantine"))
                .long_about(with_details(
                    msg!("help.quarantine"),
                    msg!("help.quarantine.details"),
                ))
                .mut_arg("recheck", |arg| arg.help(msg!("help.quarantine.recheck")))
                .mut_arg("delete", |arg| arg.help(msg!("help.quarantine.delete")))
                .mut_arg("yes", |arg| arg.help(msg!("help.quarantine.yes")))
        })
        .mut_subcommand("list", |command| {
            command
                .about(msg!("help.list"))
                .long_about(with_details(msg!("help.list"), msg!("help.list.details")))
                .mut_arg("status", |arg| {
                    arg.help(msg!("help.list.status"))
                        .value_name(value_name(msg!("help.value.status")))
                        .hide_possible_values(true)
                })
                .mut_arg("municipality", |arg| {
                    arg.help(msg!("help.list.municipality"))
                        .value_name(value_name(msg!("help.value.id")))
                })
                .mut_arg("kind", |arg| {
                    arg.help(msg!("help.list.kind"))
                        .value_name(value_name(msg!("help.value.id")))
                })
        })
        .mut_subcommand("show", |command| {
            command
                .about(msg!("help.show"))
                .long_about(with_details(msg!("help.show"), msg!("help.show.details")))
                .mut_arg("tip", |arg| {
                    arg.help(msg!("help.show.tip"))
                        .value_name(value_name(msg!("help.value.tip")))
                })
        })
        .mut_subcommand("reply", |command| {
            command
                .about(msg!("help.reply"))
                .long_about(with_details(msg!("help.reply"), msg!("help.reply.details")))
                .mut_arg("number", |arg| {
                    arg.help(msg!("help.tip_number"))
                        .value_name(value_name(msg!("help.value.number")))
                })
                .mut_arg("text", |arg| {
                    arg.help(msg!("help.reply.text"))
                        .value_name(value_name(msg!("help.value.text")))
                })
                .mut_arg("file", |arg| {
                    arg.help(msg!("help.reply.file"))
                        .value_name(value_name(msg!("help.value.file")))
                })
                .mut_arg("editor", |arg| arg.help(msg!("help.reply.editor")))
                .mut_arg("status", |arg| {
                    arg.help(msg!("help.reply.status"))
                        .value_name(value_name(msg!("help.value.status")))
                        .hide_possible_values(true)
                })
        })
        .mut_subcommand("triage", |command| {
            command
                .about(msg!("help.triage"))
                .long_about(with_details(
                    msg!("help.triage"),
                    msg!("help.triage.details"),
                ))
                .mut_arg("number", |arg| {
                    arg.help(msg!("help.tip_number"))
                        .value_name(value_name(msg!("help.value.number")))
                })
                .mut_arg("status", |arg| {
                    arg.help(msg!("help.triage.status"))
                        .value_name(value_name(msg!("help.value.status")))
                        .hide_possible_values(true)
                })
                .mut_arg("to", |arg| {
                    arg.help(msg!("help.triage.to"))
                        .value_name(value_name(msg!("help.value.whom")))
                })
                .mut_arg("note", |arg| {
                    arg.help(msg!("help.triage.note"))
                        .value_name(value_name(msg!("help.value.text")))
                })
                .mut_arg("assign", |arg| {
                    arg.help(msg!("help.triage.assign"))
                        .value_name(value_name(msg!("help.value.name")))
                })
        })
        .mut_subcommand("archive", |command| {
            command
                .about(msg!("help.archive"))
                .long_about(with_details(
                    msg!("help.archive"),
                    msg!("help.archive.details"),
                ))
                .mut_arg("number", |arg| {
                    arg.help(msg!("help.tip_number"))
                        .value_name(value_name(msg!("help.value.number")))
                })
                .mut_arg("yes", |arg| arg.help(msg!("help.archive.yes")))
        })
        .mut_subcommand("receivers", |command| {
            command
                .about(msg!("help.receivers"))
                .long_about(with_details(
                    msg!("help.receivers"),
                    msg!("help.receivers.details"),
                ))
                .subcommand_value_name(value_name(msg!("help.value.command")))
                .mut_subcommand("set", |command| {
                    command
                        .about(msg!("help.receivers.set"))
                        .mut_arg("name", |arg| {
                            arg.help(msg!("help.receivers.name"))
                                .value_name(value_name(msg!("help.value.name")))
                        })
                        .mut_arg("key", |arg| {
                            arg.help(msg!("help.receivers.key"))
                                .value_name(value_name(msg!("help.value.public_key")))
                        })
                        .mut_arg("note", |arg| {
                            arg.help(msg!("help.receivers.note"))
                                .value_name(value_name(msg!("help.value.text")))
                        })
                })
                .mut_subcommand("remove", |command| {
                    command
                        .about(msg!("help.receivers.remove"))
                        .mut_arg("name", |arg| {
                            arg.help(msg!("help.receivers.name"))
                                .value_name(value_name(msg!("help.value.name")))
                        })
                })
        })
        .mut_subcommand("handover", |command| {
            command
                .about(msg!("help.handover"))
                .long_about(with_details(
                    msg!("help.handover"),
                    msg!("help.handover.details"),
                ))
                .mut_arg("number", |arg| {
                    arg.help(msg!("help.tip_number"))
                        .value_name(value_name(msg!("help.value.number")))
                })
                .mut_arg("to", |arg| {
                    arg.help(msg!("help.handover.to"))
                        .value_name(value_name(msg!("help.value.name")))
                })
                .mut_arg("leave_out", |arg| {
                    arg.help(msg!("help.handover.leave_out"))
                        .value_name(value_name(msg!("help.value.parts")))
                        .hide_possible_values(true)
                })
                .mut_arg("leave_out_passage", |arg| {
                    arg.help(msg!("help.handover.passage"))
                        .value_name(value_name(msg!("help.value.text")))
                })
                .mut_arg("preview", |arg| arg.help(msg!("help.handover.preview")))
                .mut_arg("output", |arg| {
                    arg.help(msg!("help.handover.output"))
                        .value_name(value_name(msg!("help.value.file")))
                })
                .mut_arg("armor", |arg| arg.help(msg!("help.handover.armor")))
        })
        .mut_subcommand("feedback", |command| {
            command
                .about(msg!("help.feedback"))
                .long_about(with_details(
                    msg!("help.feedback"),
                    msg!("help.feedback.details"),
                ))
                .mut_arg("number", |arg| {
                    arg.help(msg!("help.tip_number"))
                        .value_name(value_name(msg!("help.value.number")))
                })
                .mut_arg("outcome", |arg| {
                    arg.help(msg!("help.feedback.outcome"))
                        .value_name(value_name(msg!("help.value.status")))
                        .hide_possible_values(true)
                })
                .mut_arg("handover", |arg| {
                    arg.help(msg!("help.feedback.handover"))
                        .value_name(value_name(msg!("help.value.id")))
                })
        })
        .mut_subcommand("team", |command| {
            command
                .about(msg!("help.team"))
                .long_about(with_details(msg!("help.team"), msg!("help.team.details")))
                .subcommand_value_name(value_name(msg!("help.value.command")))
                .mut_subcommand("add", |command| {
                    command
                        .about(msg!("help.team.add"))
                        .mut_arg("name", |arg| {
                            arg.help(msg!("help.team.name"))
                                .value_name(value_name(msg!("help.value.name")))
                        })
                        .mut_arg("recipient", |arg| {
                            arg.help(msg!("help.keys.recipient"))
                                .value_name(value_name(msg!("help.value.public_key")))
                        })
                        .mut_arg("signing_key", |arg| {
                            arg.help(msg!("help.team.signing_key"))
                                .value_name(value_name(msg!("help.value.signing_key")))
                        })
                })
                .mut_subcommand("remove", |command| {
                    command
                        .about(msg!("help.team.remove"))
                        .mut_arg("name", |arg| {
                            arg.help(msg!("help.team.name"))
                                .value_name(value_name(msg!("help.value.name")))
                        })
                })
        })
        .mut_subcommand("export", |command| {
            command
                .about(msg!("help.export"))
                .long_about(with_details(
                    msg!("help.export"),
                    msg!("help.export.details"),
                ))
                .mut_arg("number", |arg| {
                    arg.help(msg!("help.tip_number"))
                        .value_name(value_name(msg!("help.value.number")))
                })
                .mut_arg("format", |arg| {
                    arg.help(msg!("help.export.format"))
                        .value_name(value_name(msg!("help.value.format")))
                        .hide_possible_values(true)
                })
                .mut_arg("redact", |arg| {
                    arg.help(msg!("help.export.redact"))
                        .value_name(value_name(msg!("help.value.parts")))
                        .hide_possible_values(true)
                })
                .mut_arg("output", |arg| {
                    arg.help(msg!("help.export.output"))
                        .value_name(value_name(msg!("help.value.file")))
                })
        })
        .mut_subcommand("stats", |command| {
            command
                .about(msg!("help.stats"))
                .long_about(with_details(msg!("help.stats"), msg!("help.stats.details")))
                .mut_arg("quarter", |arg| {
                    arg.help(msg!("help.stats.quarter"))
                        .value_name(value_name(msg!("help.value.quarter")))
                })
                .mut_arg("csv", |arg| {
                    arg.help(msg!("help.stats.csv"))
                        .value_name(value_name(msg!("help.value.file")))
                })
                .mut_arg("svg", |arg| {
                    arg.help(msg!("help.stats.svg"))
                        .value_name(value_name(msg!("help.value.file")))
                })
                .mut_arg("csv_style", |arg| {
                    arg.help(msg!("help.stats.csv_style"))
                        .value_name(value_name(msg!("help.value.style")))
                        .hide_possible_values(true)
                })
                .mut_arg("publish", |arg| arg.help(msg!("help.stats.publish")))
        })
        .mut_subcommand("report", |command| {
            command
                .about(msg!("help.report"))
                .long_about(with_details(
                    msg!("help.report"),
                    msg!("help.report.details"),
                ))
                .mut_arg("quarter", |arg| {
                    arg.help(msg!("help.report.quarter"))
                        .value_name(value_name(msg!("help.value.quarter")))
                })
                .mut_arg("municipality", |arg| {
                    arg.help(msg!("help.report.municipality"))
                        .value_name(value_name(msg!("help.value.id")))
                })
                .mut_arg("output", |arg| {
                    arg.help(msg!("help.report.output"))
                        .value_name(value_name(msg!("help.value.file")))
                })
        })
        .mut_subcommand("keys", |command| {
            command
                .about(msg!("help.keys"))
                .long_about(with_details(msg!("help.keys"), msg!("help.keys.details")))
                .subcommand_value_name(value_name(msg!("help.value.command")))
                .mut_subcommand("list", |command| command.about(msg!("help.keys.list")))
                .mut_subcommand("add", |command| {
                    command
                        .about(msg!("help.keys.add"))
                        .mut_arg("recipient", |arg| {
                            arg.help(msg!("help.keys.recipient"))
                                .value_name(value_name(msg!("help.value.public_key")))
                        })
                        .mut_arg("name", |arg| {
                            arg.help(msg!("help.keys.name"))
                                .value_name(value_name(msg!("help.value.text")))
                        })
                })
                .mut_subcommand("remove", |command| {
                    command
                        .about(msg!("help.keys.remove"))
                        .mut_arg("recipient", |arg| {
                            arg.help(msg!("help.keys.recipient"))
                                .value_name(value_name(msg!("help.value.public_key")))
                        })
                })
        })
        .mut_subcommand("register", |command| {
            let mut command = command
                .about(msg!("help.register"))
                .long_about(with_details(
                    msg!("help.register"),
                    msg!("help.register.details"),
                ));
            for (argument, help, value) in [
                (
                    "source",
                    msg!("help.register.source"),
                    msg!("help.value.source"),
                ),
                ("kind", msg!("help.register.kind"), msg!("help.value.id")),
                ("role", msg!("help.register.role"), msg!("help.value.id")),
                (
                    "municipality",
                    msg!("help.register.municipality"),
                    msg!("help.value.id"),
                ),
                (
                    "signals",
                    msg!("help.register.signal"),
                    msg!("help.value.id"),
                ),
                ("date", msg!("help.register.date"), msg!("help.value.date")),
                ("when", msg!("help.register.when"), msg!("help.value.text")),
                (
                    "place",
                    msg!("help.register.place"),
                    msg!("help.value.text"),
                ),
                ("text", msg!("help.register.text"), msg!("help.value.text")),
                (
                    "contact",
                    msg!("help.register.contact"),
                    msg!("help.value.text"),
                ),
                ("file", msg!("help.register.file"), msg!("help.value.file")),
            ] {
                command =
                    command.mut_arg(argument, |arg| arg.help(help).value_name(value_name(value)));
            }
            command.mut_arg("ongoing", |arg| arg.help(msg!("help.register.ongoing")))
        })
        .mut_subcommand("comensha", |command| {
            command
                .about(msg!("help.comensha"))
                .long_about(with_details(
                    msg!("help.comensha"),
                    msg!("help.comensha.details"),
                ))
                .mut_arg("quarter", |arg| {
                    arg.help(msg!("help.comensha.quarter"))
                        .value_name(value_name(msg!("help.value.quarter")))
                })
                .mut_arg("from", |arg| {
                    arg.help(msg!("help.comensha.from"))
                        .value_name(value_name(msg!("help.value.date")))
                })
                .mut_arg("to", |arg| {
                    arg.help(msg!("help.comensha.to_date"))
                        .value_name(value_name(msg!("help.value.date")))
                })
                .mut_arg("cases", |arg| {
                    arg.help(msg!("help.comensha.case"))
                        .value_name(value_name(msg!("help.value.number")))
                })
                .mut_arg("receiver", |arg| {
                    arg.help(msg!("help.comensha.to"))
                        .value_name(value_name(msg!("help.value.name")))
                })
                .mut_arg("again", |arg| arg.help(msg!("help.comensha.again")))
                .mut_arg("format", |arg| {
                    arg.help(msg!("help.comensha.format"))
                        .value_name(value_name(msg!("help.value.format")))
                        .hide_possible_values(true)
                })
                .mut_arg("csv_style", |arg| {
                    arg.help(msg!("help.comensha.csv_style"))
                        .value_name(value_name(msg!("help.value.style")))
                        .hide_possible_values(true)
                })
                .mut_arg("preview", |arg| arg.help(msg!("help.comensha.preview")))
                .mut_arg("output", |arg| {
                    arg.help(msg!("help.comensha.output"))
                        .value_name(value_name(msg!("help.value.file")))
                })
                .mut_arg("armor", |arg| arg.help(msg!("help.comensha.armor")))
                .mut_arg("unencrypted_plaintext", |arg| {
                    arg.help(msg!("help.comensha.unencrypted"))
                })
        })
        .mut_subcommand("link", |command| {
            command
                .about(msg!("help.link"))
                .long_about(with_details(msg!("help.link"), msg!("help.link.details")))
                .mut_arg("first", |arg| {
                    arg.help(msg!("help.link.first"))
                        .value_name(value_name(msg!("help.value.number")))
                })
                .mut_arg("second", |arg| {
                    arg.help(msg!("help.link.second"))
                        .value_name(value_name(msg!("help.value.number")))
                })
        })
        .mut_subcommand("app", |command| {
            command
                .about(msg!("help.app"))
                .long_about(with_details(msg!("help.app"), msg!("help.app.details")))
                .mut_arg("port", |arg| {
                    arg.help(msg!("help.app.port"))
                        .value_name(value_name(msg!("help.value.port")))
                })
                .mut_arg("no_browser", |arg| arg.help(msg!("help.app.no_browser")))
                .mut_arg("lock_after", |arg| {
                    arg.help(msg!("help.app.lock_after"))
                        .value_name(value_name(msg!("help.value.time")))
                })
        });
    with_localised_help(command)
}

/// A value name for clap, which takes only `&'static str` without its `string` feature. The
/// command line is built once per run, so the few short names it leaks do not matter.
fn value_name(name: String) -> &'static str {
    Box::leak(name.into_boxed_str())
}

/// A command's long description: its summary, then the details.
fn with_details(summary: String, details: String) -> String {
    format!("{summary}\n\n{details}")
}

/// `command` and its subcommands with the help flag and the help's headings in the chosen
/// language (clap's own are English).
fn with_localised_help(command: clap::Command) -> clap::Command {
    let subcommand_names: Vec<String> = command
        .get_subcommands()
        .map(|subcommand| subcommand.get_name().to_owned())
        .collect();
    let mut template = format!(
        "{{about-with-newline}}\n{}: {{usage}}\n",
        msg!("help.heading.usage")
    );
    if !subcommand_names.is_empty() {
        template.push_str(&format!(
            "\n{}:\n{{subcommands}}\n",
            msg!("help.heading.commands")
        ));
    }
    if command.get_positionals().next().is_some() {
        template.push_str(&format!(
            "\n{}:\n{{positionals}}\n",
            msg!("help.heading.arguments")
        ));
    }
    template.push_str(&format!(
        "\n{}:\n{{options}}{{after-help}}",
        msg!("help.heading.options")
    ));
    let mut command = command.help_template(template).disable_help_flag(true).arg(
        clap::Arg::new("help")
            .short('h')
            .long("help")
            .action(clap::ArgAction::Help)
            .help(msg!("help.help")),
    );
    for name in subcommand_names {
        command = command.mut_subcommand(name, with_localised_help);
    }
    command
}

/// Prints a command-line mistake in the chosen language and exits as clap does (clap's own
/// sentences are English, so those are kept only for English).
fn exit_with_usage_error(error: clap::Error) -> ! {
    use clap::error::{ContextKind, ErrorKind};
    let keeps_its_own_text = matches!(
        error.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    if keeps_its_own_text || messages::language() == Language::En {
        error.exit();
    }
    let context = |kind: ContextKind| {
        error
            .get(kind)
            .map(|value| value.to_string())
            .unwrap_or_default()
    };
    let sentence = match error.kind() {
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => msg!(
            "usage.invalid_value",
            value = context(ContextKind::InvalidValue),
            option = context(ContextKind::InvalidArg)
        ),
        ErrorKind::UnknownArgument => msg!(
            "usage.unknown_argument",
            argument = context(ContextKind::InvalidArg)
        ),
        ErrorKind::InvalidSubcommand => msg!(
            "usage.unknown_command",
            command = context(ContextKind::InvalidSubcommand)
        ),
        ErrorKind::MissingRequiredArgument => msg!(
            "usage.missing_argument",
            argument = context(ContextKind::InvalidArg)
        ),
        ErrorKind::MissingSubcommand => msg!("usage.missing_command"),
        ErrorKind::ArgumentConflict => msg!(
            "usage.conflict",
            argument = context(ContextKind::InvalidArg),
            other = context(ContextKind::PriorArg)
        ),
        _ => msg!("usage.other"),
    };
    let valid = context(ContextKind::ValidValue);
    eprintln!("fluister-inbox: {sentence}");
    if !valid.is_empty() {
        eprintln!("{}", msg!("usage.valid_values", values = valid));
    }
    eprintln!("{}", msg!("usage.more_help"));
    std::process::exit(2);
}

fn run(cli: Cli) -> fluister_inbox::Result<()> {
    let settings = Settings::new(
        cli.home,
        cli.identity,
        cli.passphrase_file,
        messages::language(),
    )?;
    let command = cli.command.unwrap_or(Command::App {
        port: 0,
        no_browser: false,
        lock_after: commands::app::DEFAULT_LOCK_AFTER,
    });
    match command {
        Command::Keygen { x25519 } => commands::keygen::run(
            &settings,
            if x25519 {
                fluister_inbox::keys::KeyKind::X25519
            } else {
                fluister_inbox::keys::KeyKind::Hybrid
            },
        ),
        Command::App {
            port,
            no_browser,
            lock_after,
        } => commands::app::run(
            &settings,
            &AppOptions {
                port,
                open_browser: !no_browser,
                lock_after,
            },
        ),
        Command::Connect { relay, token_file } => {
            commands::connect::run(&settings, &relay, token_file.as_deref())
        }
        Command::Status => commands::status::run(&settings),
        Command::EmbedSnippet {
            municipality,
            form_lang,
        } => commands::embed_snippet::run(
            &settings,
            &commands::embed_snippet::SnippetOptions {
                municipality: municipality.as_deref(),
                language: form_lang.as_deref(),
            },
        ),
        Command::VerifyWidget { manifest } => {
            commands::verify_widget::run(&settings.home, manifest.as_deref())
        }
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
            status,
        } => commands::reply::run(
            &settings,
            number,
            MessageSource::from_arguments(text, file, editor, status.is_some())?,
            status.map(ReporterStatus::into_case_status),
        ),
        Command::Triage {
            number,
            status,
            to,
            note,
            assign,
        } => commands::triage::run(
            &settings,
            number,
            TriageChange {
                status,
                handed_over_to: to,
                note,
                assign_to: assign,
            },
        ),
        Command::Archive { number, yes } => commands::team::archive(
            &settings,
            number,
            if yes {
                commands::team::ArchiveConfirmation::Given
            } else {
                commands::team::ArchiveConfirmation::Ask
            },
        ),
        Command::Receivers { action } => match action {
            None => commands::handover::list_receivers(&settings),
            Some(ReceiversAction::Set { name, key, note }) => {
                commands::handover::set_receiver(&settings, &name, key.as_deref(), note.as_deref())
            }
            Some(ReceiversAction::Remove { name }) => {
                commands::handover::remove_receiver(&settings, &name)
            }
        },
        Command::Handover {
            number,
            to,
            leave_out,
            leave_out_passage,
            preview,
            output,
            armor,
        } => commands::handover::handover(
            &settings,
            number,
            &commands::handover::HandoverOptions {
                to,
                leave_out,
                passages: leave_out_passage,
                preview,
                output,
                armor,
            },
        ),
        Command::Feedback {
            number,
            outcome,
            handover,
        } => commands::handover::feedback(&settings, number, outcome, handover.as_deref()),
        Command::Team { action } => match action {
            None => commands::team::show(&settings),
            Some(TeamAction::Add {
                name,
                recipient,
                signing_key,
            }) => commands::team::add(&settings, &name, &recipient, &signing_key),
            Some(TeamAction::Remove { name }) => commands::team::remove(&settings, &name),
        },
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
        Command::Stats {
            quarter,
            csv,
            svg,
            csv_style,
            publish: true,
        } => {
            debug_assert!(svg.is_none(), "clap keeps --svg from --publish");
            commands::stats::publish(&settings, &quarter, csv.as_deref(), csv_style)
        }
        Command::Stats {
            quarter,
            csv,
            svg,
            csv_style,
            publish: false,
        } => commands::stats::run(
            &settings,
            &quarter,
            csv.as_deref(),
            svg.as_deref(),
            csv_style,
        ),
        Command::Report {
            quarter,
            municipality,
            output,
        } => commands::report::run(
            &settings,
            &ReportOptions {
                quarter,
                municipality,
                output,
            },
        ),
        Command::Register {
            source,
            kind,
            role,
            municipality,
            signals,
            date,
            ongoing,
            when,
            place,
            text,
            contact,
            file,
        } => commands::register::run(
            &settings,
            match file {
                Some(path) => RegisterInput::File { path, source },
                None => RegisterInput::Flags(SignalFields {
                    source,
                    kind,
                    role,
                    municipality,
                    signals,
                    date,
                    ongoing,
                    when_text: when,
                    place,
                    text,
                    contact,
                }),
            },
        ),
        Command::Comensha {
            quarter,
            from,
            to,
            cases,
            receiver,
            again,
            format,
            csv_style,
            preview,
            output,
            armor,
            unencrypted_plaintext,
        } => commands::comensha::run(
            &settings,
            &commands::comensha::RegistrationOptions {
                selection: commands::comensha::Selection {
                    quarter,
                    from,
                    to,
                    cases,
                },
                to: receiver,
                again,
                format,
                csv_style,
                preview,
                output,
                armor,
                unencrypted: unencrypted_plaintext,
            },
        ),
        Command::Link { first, second } => commands::link::run(&settings, first, second),
        Command::Keys { action } => match action {
            KeysAction::List => commands::keys::list(&settings),
            KeysAction::Add { recipient, name } => {
                commands::keys::add(&settings, &recipient, name.as_deref())
            }
            KeysAction::Remove { recipient } => commands::keys::remove(&settings, &recipient),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every text of `command` and its subcommands a coordinator reads in the help.
    fn help_texts(command: &clap::Command, texts: &mut Vec<(String, String)>) {
        let name = command.get_name().to_owned();
        texts.push((
            name.clone(),
            command
                .get_about()
                .map(ToString::to_string)
                .unwrap_or_default(),
        ));
        if let Some(long_about) = command.get_long_about() {
            texts.push((name.clone(), long_about.to_string()));
        }
        for arg in command.get_arguments() {
            let id = format!("{name} {}", arg.get_id());
            texts.push((
                id.clone(),
                arg.get_help().map(ToString::to_string).unwrap_or_default(),
            ));
            if let Some(long_help) = arg.get_long_help() {
                texts.push((id.clone(), long_help.to_string()));
            }
            if arg.get_action().takes_values() {
                for value_name in arg.get_value_names().unwrap_or_default() {
                    texts.push((id.clone(), value_name.to_string()));
                }
            }
            assert!(
                arg.is_hide_possible_values_set()
                    || arg
                        .get_possible_values()
                        .iter()
                        .all(|value| value.get_help().is_none()),
                "{id} shows its values' doc comments; hide them and name them in its help"
            );
        }
        for subcommand in command.get_subcommands() {
            help_texts(subcommand, texts);
        }
    }

    /// The one test that changes the process's language, so no other test sees it change.
    #[test]
    fn every_help_text_comes_from_the_catalogue_of_the_chosen_language() {
        for language in [Language::Nl, Language::En] {
            messages::set_language(language);
            let mut command = localised_command();
            command.build();
            let catalogue = messages::catalogue(language);
            let mut texts = Vec::new();
            help_texts(&command, &mut texts);
            for (place, text) in texts {
                let from_catalogue = catalogue.values().any(|entry| *entry == text)
                    || catalogue.values().any(|summary| {
                        text.strip_prefix(summary.as_str())
                            .and_then(|rest| rest.strip_prefix("\n\n"))
                            .is_some_and(|details| catalogue.values().any(|entry| entry == details))
                    });
                assert!(
                    from_catalogue,
                    "{language:?}: the help of `{place}` is not from the catalogue: {text:?}"
                );
            }
        }
        messages::set_language(Language::Nl);
    }
}
