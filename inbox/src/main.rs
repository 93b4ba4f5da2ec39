//! `fluister-inbox`: the coordinator's command line. Each subcommand is a short function over
//! the library's modules; every error is printed with what to do next.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use fluister_envelope::age;
use fluister_envelope::message::MailboxMessage;
use fluister_envelope::tip::TipDocument;
use fluister_envelope::tip::vocabulary::{Kind, Municipality};
use fluister_inbox::conversation::{self, TipWithMailbox};
use fluister_inbox::home::{
    HOME_ENVIRONMENT_VARIABLE, InboxHome, create_private_file, replace_file,
};
use fluister_inbox::keys::{self, UnlockedKeys};
use fluister_inbox::passphrase::PassphraseSource;
use fluister_inbox::quarantine::{self, QuarantinedTip};
use fluister_inbox::relay::{Connection, MessageAuthor, RelayClient, RelayStatus, ReplyFailure};
use fluister_inbox::render::{self, ConversationEntry, RedactPart, TipContext};
use fluister_inbox::stats::{self, CountedTip, Counts};
use fluister_inbox::store::{self, OpenFailure, StoredTip};
use fluister_inbox::time::{LocalHour, now_unix_seconds};
use fluister_inbox::triage::{Note, TriageBook, TriageStatus};
use fluister_inbox::vocabulary::{Labels, Language};
use zeroize::Zeroizing;

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

/// The format of a case file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ExportFormat {
    /// Markdown: readable as text, printable, convertible to PDF.
    Markdown,
    /// JSON: the document, labels and triage state, for other systems.
    Json,
}

/// Where `reply` takes the message from.
#[derive(Debug)]
enum MessageSource {
    /// The command line argument.
    Argument(String),
    /// Standard input (`-`).
    StandardInput,
    /// A text file.
    File(PathBuf),
    /// A temporary file the coordinator edits in $VISUAL or $EDITOR.
    Editor,
}

/// Everything a command needs from the global options.
#[derive(Debug)]
struct Settings {
    home: InboxHome,
    identity_path: PathBuf,
    passphrase_source: PassphraseSource,
    language: Language,
}

impl Settings {
    fn unlock(&self) -> Result<UnlockedKeys> {
        keys::unlock(&self.identity_path, &self.passphrase_source)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            let mut message = error.to_string();
            for cause in error.chain().skip(1) {
                message.push_str(&format!("\n  because: {cause}"));
            }
            eprintln!("fluister-inbox: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let root = match cli.home {
        Some(root) => root,
        None => InboxHome::default_root()?,
    };
    let home = InboxHome::new(root);
    let settings = Settings {
        identity_path: cli.identity.unwrap_or_else(|| home.identity_path()),
        home,
        passphrase_source: PassphraseSource::choose(cli.passphrase_file),
        language: cli.lang,
    };
    match cli.command {
        Command::Keygen => keygen(&settings),
        Command::Connect { relay, token_file } => connect(&settings, &relay, token_file.as_deref()),
        Command::Status => status(&settings),
        Command::Pull {
            connections,
            no_messages,
        } => pull(&settings, connections, !no_messages),
        Command::Quarantine {
            recheck,
            delete,
            yes,
        } => match (recheck, delete) {
            (true, _) => recheck_quarantine(&settings),
            (false, true) => delete_quarantine(&settings, yes),
            (false, false) => show_quarantine(&settings),
        },
        Command::List {
            status,
            municipality,
            kind,
        } => list(&settings, status, municipality.as_deref(), kind.as_deref()),
        Command::Show { tip } => show(&settings, &tip),
        Command::Reply {
            number,
            text,
            file,
            editor,
        } => {
            let source = match (text, file, editor) {
                (_, Some(path), _) => MessageSource::File(path),
                (_, None, true) => MessageSource::Editor,
                (Some(text), None, false) if text == "-" => MessageSource::StandardInput,
                (Some(text), None, false) => MessageSource::Argument(text),
                (None, None, false) => bail!("write the message after the tip number, in quotes"),
            };
            reply(&settings, number, source)
        }
        Command::Triage {
            number,
            status,
            to,
            note,
        } => triage(&settings, number, status, to, note),
        Command::Export {
            number,
            format,
            redact,
            output,
        } => export(&settings, number, format, &redact, output.as_deref()),
        Command::Stats { quarter, csv, svg } => {
            statistics(&settings, &quarter, csv.as_deref(), svg.as_deref())
        }
    }
}

fn keygen(settings: &Settings) -> Result<ExitCode> {
    // Checked before asking for a passphrase, so nobody types one for nothing.
    keys::refuse_existing_key(&settings.identity_path)?;
    let passphrase = settings.passphrase_source.read_new()?;
    let generated = keys::generate(&settings.home, &settings.identity_path, &passphrase)?;
    println!("Your key is ready: {}", settings.identity_path.display());
    println!();
    println!("Your public key (give this to the relay's operator for coordinator.recipients):");
    println!();
    println!("    {}", generated.recipient);
    println!();
    println!("Next steps:");
    println!("  1. Make an offline backup key as well, on a computer or USB stick you keep locked");
    println!(
        "     away: `age-keygen -o backup-key.txt` (or `fluister-inbox --home /media/usb keygen`)."
    );
    println!(
        "     Have its public key added as a second recipient on the relay. Without a backup,"
    );
    println!("     a forgotten passphrase or a broken laptop means the tips can never be read.");
    println!("  2. Keep the passphrase somewhere safe that is not this computer.");
    println!(
        "  3. Store the relay's address and your token: fluister-inbox connect --relay https://…"
    );
    Ok(ExitCode::SUCCESS)
}

fn connect(settings: &Settings, relay_url: &str, token_file: Option<&Path>) -> Result<ExitCode> {
    let token = match token_file {
        Some(path) => Zeroizing::new(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the token file {}", path.display()))?
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned(),
        ),
        None => match std::env::var(fluister_inbox::relay::TOKEN_ENVIRONMENT_VARIABLE) {
            Ok(token) => Zeroizing::new(token),
            Err(_) => Zeroizing::new(rpassword::prompt_password("Coordinator token: ").context(
                "cannot ask for the token: there is no terminal. Give it with --token-file FILE \
                 or the FLUISTER_TOKEN environment variable.",
            )?),
        },
    };
    let connection = Connection::new(relay_url, &token)?;
    connection.save(&settings.home)?;
    println!(
        "Saved the connection to {} in {}.",
        connection.relay_url,
        settings.home.connection_path().display()
    );
    println!("Check it with: fluister-inbox status");
    Ok(ExitCode::SUCCESS)
}

fn status(settings: &Settings) -> Result<ExitCode> {
    let mut problems = 0;
    let mut report = |ok: bool, text: String| {
        if !ok {
            problems += 1;
        }
        println!("{} {text}", if ok { "ok     " } else { "PROBLEM" });
    };
    println!("Inbox folder: {}", settings.home.root().display());
    let recipient = std::fs::read_to_string(settings.home.recipient_path())
        .ok()
        .map(|text| text.trim().to_owned());
    if settings.identity_path.exists() {
        report(
            true,
            format!("key file {}", settings.identity_path.display()),
        );
    } else {
        report(
            false,
            format!(
                "no key at {}: run `fluister-inbox keygen` (or give your key with --identity FILE)",
                settings.identity_path.display()
            ),
        );
    }
    let stored = store::stored_tips(&settings.home)?;
    println!("        {} tips stored in this inbox", stored.len());
    let quarantined = quarantine::quarantined_tips(&settings.home)?;
    match quarantined.len() {
        0 => println!("        no tips in quarantine"),
        count => println!(
            "        {count} tip(s) in quarantine ({}): they did not open with your key when \
             pulled; see `fluister-inbox quarantine`",
            human_size(quarantine::total_size(&quarantined))
        ),
    }
    let connection = match Connection::load(&settings.home) {
        Ok(connection) => connection,
        Err(error) => {
            report(false, error.to_string());
            bail!("{problems} problem(s) found; see above");
        }
    };
    if let Some(problem) = Connection::file_permission_problem(&settings.home.connection_path()) {
        report(false, problem);
    }
    let client = RelayClient::new(&connection);
    match client.check_health() {
        Ok(()) => report(true, format!("the relay at {} answers", client.relay_url())),
        Err(error) => {
            report(false, error.to_string());
            bail!("{problems} problem(s) found; see above");
        }
    }
    match client.list_waiting_tips() {
        Ok(waiting) => report(
            true,
            format!(
                "the relay accepts your token; {} tips are waiting (`fluister-inbox pull`)",
                waiting.len()
            ),
        ),
        Err(error) => report(false, error.to_string()),
    }
    match client.relay_status() {
        Ok(Some(relay_status)) => print_relay_status(&relay_status),
        Ok(None) => println!(
            "        the relay does not report its load (it is an older version without \
             /api/v1/status); the other checks still apply"
        ),
        Err(error) => report(false, error.to_string()),
    }
    match (client.sealing_recipients(), recipient) {
        (Ok(recipients), Some(recipient)) => {
            if recipients.contains(&recipient) {
                report(
                    true,
                    format!(
                        "the relay seals tips to your key {recipient} (and {} other key(s))",
                        recipients.len() - 1
                    ),
                );
            } else {
                report(
                    false,
                    format!(
                        "the relay does NOT seal tips to your key {recipient}: ask its operator to add it to \
                     coordinator.recipients (it now lists {} key(s))",
                        recipients.len()
                    ),
                );
            }
        }
        (Ok(recipients), None) => println!(
            "        the relay seals tips to {} key(s): {}",
            recipients.len(),
            recipients.join(", ")
        ),
        (Err(error), _) => report(false, error.to_string()),
    }
    if problems > 0 {
        bail!("{problems} problem(s) found; see above");
    }
    println!("Everything looks fine.");
    Ok(ExitCode::SUCCESS)
}

/// The relay's load, for `status`: the lines, and a calm note with the next step when the relay
/// sees a flood or ran out of storage.
fn print_relay_status(relay_status: &RelayStatus) {
    let difficulty = &relay_status.difficulty;
    let verified = &relay_status.verified_submissions;
    let refused = &relay_status.refused_last_day;
    println!(
        "        proof of work asked of a new tip: difficulty {} (normally {}, at most {})",
        difficulty.current, difficulty.base, difficulty.maximum
    );
    println!(
        "        submissions verified in the last {}: {} (normal: up to {})",
        describe_window(verified.window_seconds),
        verified.in_window,
        verified.baseline
    );
    let refusals: Vec<String> = refused
        .by_code()
        .iter()
        .filter(|(_, count)| *count > 0)
        .map(|(code, count)| format!("{count} {code}"))
        .collect();
    if refusals.is_empty() {
        println!("        refused for budget in the last 24 hours: none");
    } else {
        println!(
            "        refused for budget in the last 24 hours: {} ({})",
            refused.total(),
            refusals.join(", ")
        );
    }
    if difficulty.is_raised() {
        println!(
            "note    The relay is raising the cost of sending a tip (difficulty {} instead of {}) \
             because it received unusually many submissions: possibly a flood of junk. Nothing \
             urgent for you: real tips still arrive, sending one just takes longer. Pull as \
             usual (junk goes into quarantine). If it lasts more than a day, tell the relay's \
             operator.",
            difficulty.current, difficulty.base
        );
    }
    if refused.storage_full > 0 {
        println!(
            "note    The relay refused {} submission(s) in the last 24 hours because its storage \
             was full. Pull now to make room: `fluister-inbox pull` (junk goes into \
             quarantine). If it keeps happening, tell the relay's operator.",
            refused.storage_full
        );
    }
}

/// A sliding window's length in words: "hour", "2 hours", "10 minutes".
fn describe_window(seconds: u64) -> String {
    match seconds {
        3600 => "hour".to_owned(),
        seconds if seconds % 3600 == 0 => format!("{} hours", seconds / 3600),
        60 => "minute".to_owned(),
        seconds if seconds % 60 == 0 => format!("{} minutes", seconds / 60),
        seconds => format!("{seconds} seconds"),
    }
}

/// A size in bytes for people: "512 bytes", "18.3 kB", "1.1 GB" (powers of 1000).
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

fn pull(settings: &Settings, connections: usize, with_messages: bool) -> Result<ExitCode> {
    let connection = Connection::load(&settings.home)?;
    let keys = settings.unlock()?;
    let client = RelayClient::new(&connection);
    let report = store::pull(&settings.home, &client, &keys, connections)?;
    let stored = &report.stored_numbers;
    match (stored.first(), stored.last()) {
        (Some(first), Some(last)) if first == last => println!("1 new tip: number {first}."),
        (Some(first), Some(last)) => {
            println!("{} new tips: numbers {first} to {last}.", stored.len())
        }
        _ => println!("No new tips."),
    }
    if report.completed_earlier > 0 {
        println!(
            "{} tip(s) stored by an interrupted earlier pull were now also removed from the relay.",
            report.completed_earlier
        );
    }
    if report.quarantined_earlier > 0 {
        println!(
            "{} tip(s) put in quarantine by an interrupted earlier pull were now also removed from \
             the relay.",
            report.quarantined_earlier
        );
    }
    if !stored.is_empty() {
        println!("See them with: fluister-inbox list --status new");
    }
    if report.quarantined() > 0 {
        print_quarantine_notice(settings, &report);
    }
    if with_messages {
        pull_answers(settings, &client, &keys)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// What `pull` says about the tips it put in quarantine: what happened, that nothing is lost,
/// and the next step.
fn print_quarantine_notice(settings: &Settings, report: &store::PullReport) {
    let reasons = match (
        report.quarantined_for_another_key,
        report.quarantined_damaged,
    ) {
        (other_key, 0) => format!("sealed to another key: {other_key}"),
        (0, damaged) => format!("damaged: {damaged}"),
        (other_key, damaged) => format!("sealed to another key: {other_key}; damaged: {damaged}"),
    };
    println!();
    println!(
        "{} tip(s) did not open with your key and were put in quarantine ({reasons}).",
        report.quarantined()
    );
    println!(
        "Tips sealed to another key are possibly junk sent to fill the relay. They were \
         removed from the relay, so they no longer take its space, and are kept here, still \
         sealed and unread, in {}. They get no number and do not appear in `list`.",
        settings.home.quarantine_directory().display()
    );
    if report.stored_numbers.is_empty() && report.completed_earlier == 0 {
        println!(
            "None of the tips opened with this key. If you expected real tips, check that you \
             used the right key and that the relay seals tips to it: `fluister-inbox status`."
        );
    }
    println!(
        "Nothing is lost: if you pulled with the wrong key, `fluister-inbox quarantine --recheck` \
         (add --identity FILE for another key) turns every one that opens into a normal tip. \
         See: fluister-inbox quarantine"
    );
}

/// `quarantine`: what is in it, per hour received, and what to do.
fn show_quarantine(settings: &Settings) -> Result<ExitCode> {
    let tips = quarantine::quarantined_tips(&settings.home)?;
    if tips.is_empty() {
        println!("The quarantine is empty: every pulled tip opened with your key.");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} tip(s) in quarantine ({}), in {}.",
        tips.len(),
        human_size(quarantine::total_size(&tips)),
        settings.home.quarantine_directory().display()
    );
    println!(
        "They did not open with the key used when they were pulled: sealed to another key \
         (possibly junk sent to fill the relay) or damaged. They are kept sealed and unread; \
         they have no number and do not appear in `list`, `show` or `stats`."
    );
    println!();
    let headings = match settings.language {
        Language::Nl => ["ontvangen", "bestanden", "grootte"],
        Language::En => ["received", "files", "size"],
    };
    println!(
        "{:<16}  {:>9}  {:>10}",
        headings[0], headings[1], headings[2]
    );
    let mut per_hour: std::collections::BTreeMap<u64, (usize, u64)> = Default::default();
    for tip in &tips {
        let entry = per_hour.entry(tip.received_hour).or_default();
        entry.0 += 1;
        entry.1 += tip.size;
    }
    for (received_hour, (count, size)) in per_hour {
        println!(
            "{:<16}  {count:>9}  {:>10}",
            LocalHour::from_unix_seconds(received_hour).to_string(),
            human_size(size)
        );
    }
    println!();
    println!("What to do:");
    println!(
        "  - Pulled with the wrong key by mistake (for example before the relay had your new \
         key)? Check them against the right key; every one that opens becomes a normal tip:"
    );
    println!("        fluister-inbox quarantine --recheck");
    println!("        fluister-inbox quarantine --recheck --identity FILE   (e.g. the backup key)");
    println!(
        "  - What opens with none of your keys nobody here can read. When you are sure, delete \
         it for good (you are asked to confirm):"
    );
    println!("        fluister-inbox quarantine --delete");
    Ok(ExitCode::SUCCESS)
}

/// `quarantine --recheck`: moves what opens with the keys given now into the store.
fn recheck_quarantine(settings: &Settings) -> Result<ExitCode> {
    let before = quarantine::quarantined_tips(&settings.home)?;
    if before.is_empty() {
        println!("The quarantine is empty; there is nothing to check.");
        return Ok(ExitCode::SUCCESS);
    }
    let keys = settings.unlock()?;
    let report = quarantine::recheck(&settings.home, &keys)?;
    print_moved_from_quarantine(&report.moved_numbers);
    let remaining = &report.still_quarantined;
    if remaining.is_empty() {
        println!("The quarantine is empty now.");
    } else if report.moved_numbers.is_empty() {
        println!(
            "None of the {} quarantined tip(s) opens with this key; they stay in quarantine. \
             If you have another key (the offline backup key, a predecessor's key), try it: \
             fluister-inbox quarantine --recheck --identity FILE. What opens with none of your \
             keys is most likely junk: fluister-inbox quarantine --delete",
            remaining.len()
        );
    } else {
        println!(
            "{} tip(s) ({}) still do not open with this key and stay in quarantine.",
            remaining.len(),
            human_size(quarantine::total_size(remaining))
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Says which new tip numbers came out of the quarantine.
fn print_moved_from_quarantine(moved_numbers: &[u64]) {
    match (moved_numbers.first(), moved_numbers.last()) {
        (Some(first), Some(last)) if first == last => println!(
            "1 quarantined tip opened with this key and is now tip {first}. See it with: \
             fluister-inbox show {first}"
        ),
        (Some(first), Some(last)) => println!(
            "{} quarantined tips opened with this key and are now tips {first} to {last}. See \
             them with: fluister-inbox list --status new",
            moved_numbers.len()
        ),
        _ => {}
    }
}

/// `quarantine --delete`: after confirming, rechecks and deletes what still does not open.
fn delete_quarantine(settings: &Settings, confirmed_by_flag: bool) -> Result<ExitCode> {
    let tips = quarantine::quarantined_tips(&settings.home)?;
    if tips.is_empty() {
        println!("The quarantine is empty; there is nothing to delete.");
        return Ok(ExitCode::SUCCESS);
    }
    if !confirmed_by_flag {
        confirm_deletion(&tips)?;
    }
    let keys = settings.unlock()?;
    let report = quarantine::delete(&settings.home, &keys, &tips)?;
    print_moved_from_quarantine(&report.moved_numbers);
    println!(
        "Deleted {} quarantined file(s) ({}) for good.",
        report.deleted,
        human_size(report.deleted_bytes)
    );
    if report.kept_unconfirmed > 0 {
        println!(
            "{} file(s) came into the quarantine while you confirmed and were kept: see \
             fluister-inbox quarantine",
            report.kept_unconfirmed
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Asks on the terminal before `quarantine --delete` deletes `tips`; fails if not confirmed.
fn confirm_deletion(tips: &[QuarantinedTip]) -> Result<()> {
    use std::io::IsTerminal as _;
    let summary = format!(
        "{} quarantined file(s) ({})",
        tips.len(),
        human_size(quarantine::total_size(tips))
    );
    if !std::io::stdin().is_terminal() {
        bail!(
            "deleting {summary} needs your confirmation, and there is no terminal to ask on. \
             Add --yes to confirm. Nothing was deleted."
        );
    }
    print!(
        "This deletes {summary} for good. Each one is first checked once more against your key; \
         any that opens is stored as a tip instead. Type yes to go on: "
    );
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .context("cannot read your answer")?;
    if answer.trim() != "yes" {
        bail!("not confirmed; nothing was deleted");
    }
    Ok(())
}

/// The second half of `pull`: fetches the conversation of every stored tip that has a mailbox.
fn pull_answers(settings: &Settings, client: &RelayClient, keys: &UnlockedKeys) -> Result<()> {
    let tips = store::stored_tips(&settings.home)?;
    let documents = open_all(&tips, keys);
    let tips_with_mailbox: Vec<TipWithMailbox> = tips
        .into_iter()
        .zip(documents)
        .filter_map(|(tip, document)| {
            let mailbox_id = document.ok()?.reply?.mailbox_id()?;
            Some(TipWithMailbox { tip, mailbox_id })
        })
        .collect();
    if tips_with_mailbox.is_empty() {
        return Ok(());
    }
    let report = conversation::pull_conversations(&settings.home, client, &tips_with_mailbox)?;
    match report.new_answer_count() {
        0 => println!("No new answers from reporters."),
        count => {
            let per_tip: Vec<String> = report
                .new_answers
                .iter()
                .map(|(number, answers)| format!("tip {number} ({answers})"))
                .collect();
            println!(
                "{count} new answer{} from reporters: {}. Read them with: fluister-inbox show N",
                if count == 1 { "" } else { "s" },
                per_tip.join(", ")
            );
        }
    }
    if report.new_from_coordinator > 0 {
        println!(
            "{} message(s) from a coordinator that this inbox had not stored were stored too.",
            report.new_from_coordinator
        );
    }
    if !report.gone_mailboxes.is_empty() {
        let numbers: Vec<String> = report.gone_mailboxes.iter().map(u64::to_string).collect();
        println!(
            "The relay no longer has the mailbox of tip(s) {}: it expired, was closed, or the \
             reporter never opened it. What was stored here stays readable.",
            numbers.join(", ")
        );
    }
    Ok(())
}

/// Opens every stored tip, in parallel.
fn open_all(tips: &[StoredTip], keys: &UnlockedKeys) -> Vec<Result<TipDocument, OpenFailure>> {
    let thread_count = std::thread::available_parallelism()
        .map_or(2, |count| count.get())
        .min(8);
    let chunk_size = tips.len().div_ceil(thread_count).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = tips
            .chunks(chunk_size)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|tip| match std::fs::read(&tip.path) {
                            Ok(sealed) => store::open_tip(&keys.identities, &sealed),
                            Err(_) => Err(OpenFailure::Damaged),
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().expect("opening thread"))
            .collect()
    })
}

fn check_identifier_filter(value: Option<&str>, known: &[&str], what: &str) -> Result<()> {
    if let Some(value) = value
        && !known.contains(&value)
    {
        bail!(
            "`{value}` is not a {what} id. Use one of: {}",
            known.join(", ")
        );
    }
    Ok(())
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        format!("{text:<width$}")
    } else {
        let cut: String = text.chars().take(width - 1).collect();
        format!("{cut}…")
    }
}

fn list(
    settings: &Settings,
    status: Option<TriageStatus>,
    municipality: Option<&str>,
    kind: Option<&str>,
) -> Result<ExitCode> {
    let municipality_ids: Vec<&str> = Municipality::ALL.iter().map(Municipality::as_str).collect();
    let kind_ids: Vec<&str> = Kind::ALL.iter().map(Kind::as_str).collect();
    check_identifier_filter(municipality, &municipality_ids, "municipality")?;
    check_identifier_filter(kind, &kind_ids, "kind")?;
    let tips = store::stored_tips(&settings.home)?;
    if tips.is_empty() {
        println!(
            "No tips in {} yet. Fetch them with: fluister-inbox pull",
            settings.home.root().display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let keys = settings.unlock()?;
    let book = TriageBook::load(&settings.home, &keys.identities)?;
    let documents = open_all(&tips, &keys);
    let labels = Labels::for_language(settings.language);
    let (headings, unreadable_word) = match settings.language {
        Language::Nl => (
            ["nr", "ontvangen", "gemeente", "soort", "melder", "status"],
            "kan niet worden geopend",
        ),
        Language::En => (
            [
                "no",
                "received",
                "municipality",
                "kind",
                "reporter",
                "status",
            ],
            "cannot be opened",
        ),
    };
    let mut output = std::io::stdout().lock();
    writeln!(
        output,
        "{:>6}  {:<16}  {:<15}  {:<22}  {:<20}  {}",
        headings[0], headings[1], headings[2], headings[3], headings[4], headings[5]
    )?;
    let mut unreadable = Vec::new();
    let mut shown = 0;
    for (tip, document) in tips.iter().zip(&documents) {
        let record = book.record(&tip.relay_id);
        if status.is_some_and(|wanted| wanted != record.status) {
            continue;
        }
        let received = LocalHour::from_unix_seconds(tip.received_hour).to_string();
        let status_text = match (&record.status, &record.handed_over_to) {
            (TriageStatus::HandedOver, Some(whom)) => format!(
                "{}: {}",
                record.status.label(settings.language),
                render::sanitise(whom, false)
            ),
            (status, _) => status.label(settings.language).to_owned(),
        };
        match document {
            Ok(document) => {
                if municipality.is_some_and(|wanted| {
                    document.municipality.as_ref().map(Municipality::as_str) != Some(wanted)
                }) || kind
                    .is_some_and(|wanted| document.kind.as_ref().map(Kind::as_str) != Some(wanted))
                {
                    continue;
                }
                let dash = || "–".to_owned();
                writeln!(
                    output,
                    "{:>6}  {:<16}  {}  {}  {}  {}",
                    tip.number,
                    received,
                    truncate(
                        &document
                            .municipality
                            .as_ref()
                            .map(|value| labels.municipality(value))
                            .unwrap_or_else(dash),
                        15
                    ),
                    truncate(
                        &document
                            .kind
                            .as_ref()
                            .map(|value| labels.kind(value))
                            .unwrap_or_else(dash),
                        22
                    ),
                    truncate(
                        &document
                            .role
                            .as_ref()
                            .map(|value| labels.role(value))
                            .unwrap_or_else(dash),
                        20
                    ),
                    status_text
                )?;
            }
            Err(failure) => {
                if municipality.is_some() || kind.is_some() {
                    continue;
                }
                writeln!(
                    output,
                    "{:>6}  {:<16}  ({unreadable_word})",
                    tip.number, received
                )?;
                unreadable.push(failure.explain(&format!(
                    "Tip {} ({})",
                    tip.number,
                    tip.path.display()
                )));
            }
        }
        shown += 1;
    }
    drop(output);
    if shown == 0 {
        println!("(no tips match)");
    }
    if !unreadable.is_empty() {
        for reason in &unreadable {
            eprintln!("{reason}");
        }
        bail!(
            "{} tip(s) could not be opened; nothing was changed or deleted",
            unreadable.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn show(settings: &Settings, tip: &str) -> Result<ExitCode> {
    let keys_needed = || settings.unlock();
    let (sealed, context_number, received_hour, relay_id, what) = match tip.parse::<u64>() {
        Ok(number) => {
            let stored = store::find_tip(&settings.home, number)?;
            let sealed = store::read_sealed_file(&stored.path)?;
            (
                sealed,
                Some(number),
                Some(stored.received_hour),
                Some(stored.relay_id),
                format!("Tip {number} ({})", stored.path.display()),
            )
        }
        Err(_) => {
            let path = Path::new(tip);
            if !path.exists() {
                bail!(
                    "`{tip}` is neither a tip number nor an existing file. `fluister-inbox list` shows the numbers."
                );
            }
            (
                store::read_sealed_file(path)?,
                None,
                None,
                None,
                format!("The file {tip}"),
            )
        }
    };
    let keys = keys_needed()?;
    let book = match &relay_id {
        Some(_) => Some(TriageBook::load(&settings.home, &keys.identities)?),
        None => None,
    };
    let record = relay_id
        .as_ref()
        .zip(book.as_ref())
        .map(|(relay_id, book)| book.record(relay_id));
    let context = TipContext {
        number: context_number,
        received_hour,
        triage: record.as_ref(),
    };
    match store::open_tip(&keys.identities, &sealed) {
        Ok(document) => {
            print!(
                "{}",
                render::show_text(&document, &context, settings.language)
            );
            if let (Some(number), Some(relay_id)) = (context_number, &relay_id) {
                let entries = conversation_entries(settings, relay_id, &keys)?;
                if document.reply.is_some() || !entries.is_empty() {
                    print!(
                        "{}",
                        render::conversation_text(
                            &entries,
                            &format!("fluister-inbox reply {number} \"…\""),
                            settings.language
                        )
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(OpenFailure::NotATipDocument(plaintext)) => {
            eprintln!(
                "{}",
                OpenFailure::NotATipDocument(Zeroizing::new(Vec::new())).explain(&what)
            );
            println!("{}", render::show_plain_text(&plaintext));
            Ok(ExitCode::SUCCESS)
        }
        Err(failure) => bail!("{}", failure.explain(&what)),
    }
}

/// The stored conversation of a tip, opened with the coordinator's identities. A message that
/// does not open is kept in its place and shown as such.
fn conversation_entries(
    settings: &Settings,
    tip_relay_id: &str,
    keys: &UnlockedKeys,
) -> Result<Vec<ConversationEntry>> {
    let messages = conversation::stored_messages(&settings.home, tip_relay_id)?;
    Ok(messages
        .iter()
        .map(|message| {
            let text = std::fs::read(&message.path)
                .ok()
                .and_then(|sealed| store::open_sealed(&keys.identities, &sealed).ok())
                .map(|plaintext| match MailboxMessage::from_bytes(&plaintext) {
                    Ok(opened) => opened.text,
                    Err(_) => render::show_plain_text(&plaintext),
                });
            ConversationEntry {
                received_hour: message.received_hour,
                written_by_coordinator: message.author == MessageAuthor::Coordinator,
                text,
            }
        })
        .collect())
}

/// Reads the message for `reply` from where the coordinator put it.
fn read_message_text(settings: &Settings, number: u64, source: MessageSource) -> Result<String> {
    match source {
        MessageSource::Argument(text) => Ok(text),
        MessageSource::StandardInput => {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                .context("cannot read the message from standard input (it must be UTF-8 text)")?;
            Ok(text)
        }
        MessageSource::File(path) => std::fs::read_to_string(&path).with_context(|| {
            format!(
                "cannot read the message from {} (it must exist and be UTF-8 text)",
                path.display()
            )
        }),
        MessageSource::Editor => edit_message(settings, number),
    }
}

/// Opens $VISUAL or $EDITOR (else vi) on a private temporary file in the inbox folder and
/// returns what was written, without the `#` lines. The file is removed afterwards.
fn edit_message(settings: &Settings, number: u64) -> Result<String> {
    let editor = std::env::var("VISUAL")
        .ok()
        .filter(|value| !value.trim().is_empty())
        .or_else(|| {
            std::env::var("EDITOR")
                .ok()
                .filter(|value| !value.trim().is_empty())
        })
        .unwrap_or_else(|| "vi".to_owned());
    settings.home.create_directories()?;
    let path = settings
        .home
        .root()
        .join(format!(".reply-{number}-{}.txt", std::process::id()));
    let _ = std::fs::remove_file(&path);
    create_private_file(&path)
        .and_then(|mut file| {
            file.write_all(
                format!(
                    "\n# Write your message to the reporter of tip {number} above these lines.\n\
                     # Lines starting with # are left out. Save and close the editor to send;\n\
                     # leave the message empty to send nothing.\n"
                )
                .as_bytes(),
            )
        })
        .with_context(|| format!("cannot create {}", path.display()))?;
    // Through the shell, so an editor setting with arguments ("code --wait") works.
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(&path)
        .status();
    let text = std::fs::read_to_string(&path);
    let _ = std::fs::remove_file(&path);
    match status {
        Ok(status) if status.success() => {}
        Ok(status) => bail!("the editor `{editor}` stopped with {status}; nothing was sent"),
        Err(error) => bail!(
            "cannot start the editor `{editor}` ({error}). Set EDITOR, or give the message in \
             quotes or with --file; nothing was sent"
        ),
    }
    let text = text.context("cannot read back what was written in the editor")?;
    Ok(text
        .lines()
        .filter(|line| !line.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n"))
}

fn reply(settings: &Settings, number: u64, source: MessageSource) -> Result<ExitCode> {
    let stored = store::find_tip(&settings.home, number)?;
    let sealed_tip = store::read_sealed_file(&stored.path)?;
    let connection = Connection::load(&settings.home)?;
    let keys = settings.unlock()?;
    let document = store::open_tip(&keys.identities, &sealed_tip).map_err(|failure| {
        anyhow::anyhow!(
            "{}",
            failure.explain(&format!("Tip {number} ({})", stored.path.display()))
        )
    })?;
    let Some(reply_info) = &document.reply else {
        bail!(
            "the reporter of tip {number} did not get a mailbox; you cannot answer this tip. \
             (Only tips sent with a receipt code can be answered.) Nothing was sent."
        );
    };
    let (Some(mailbox_id), Ok(reply_recipient)) = (reply_info.mailbox_id(), reply_info.recipient())
    else {
        bail!(
            "tip {number} names a mailbox or reply key this inbox cannot use (perhaps from a \
             newer widget); you cannot answer it with this version. Nothing was sent."
        );
    };
    let text = read_message_text(settings, number, source)?;
    let text = text.trim();
    if text.is_empty() {
        bail!(
            "the message is empty; nothing was sent. Write it after the tip number, in quotes: \
             fluister-inbox reply {number} \"…\""
        );
    }
    let padded = Zeroizing::new(MailboxMessage::new(text).to_padded_bytes().map_err(|_| {
        anyhow::anyhow!(
            "the message is too long (at most {} characters); shorten it. Nothing was sent.",
            fluister_envelope::message::MAX_MESSAGE_TEXT_CHARS
        )
    })?);
    // Sealed to the reporter, to this coordinator (so `show` can read it back later), and to
    // every recipient the relay seals tips to (a colleague's key, the offline backup key), so the
    // whole conversation opens wherever the tips do.
    let client = RelayClient::new(&connection);
    let mut recipients = vec![reply_recipient, keys.own_recipient];
    for text in client
        .sealing_recipients()
        .context("could not read the relay's recipients; nothing was sent")?
    {
        let recipient: age::Recipient = text.parse().map_err(|_| {
            anyhow::anyhow!(
                "the relay lists a recipient this inbox cannot seal to ({text}); ask the                  operator to check coordinator.recipients. Nothing was sent."
            )
        })?;
        if !recipients.contains(&recipient) {
            recipients.push(recipient);
        }
    }
    let sealed =
        age::seal(&recipients, &padded).context("sealing the reply failed; nothing was sent")?;
    let submission_key = random_submission_key()?;
    let _lock = settings.home.lock()?;
    let message_id = match client.post_mailbox_message(
        mailbox_id.as_str(),
        &sealed,
        &submission_key,
    ) {
        Ok(message_id) => message_id,
        Err(ReplyFailure::MailboxNotFound) => bail!(
            "the relay no longer has the mailbox of tip {number}: it expired (the relay keeps a \
             mailbox for a while after its last message), it was closed, or the reporter never \
             opened it. Nothing was sent."
        ),
        Err(ReplyFailure::Other(error)) => return Err(error),
    };
    let now = now_unix_seconds();
    conversation::store_sent_reply(
        &settings.home,
        &stored.relay_id,
        &message_id.to_string(),
        now - now % 3600,
        &sealed,
    )
    .context("the reply WAS sent, but its copy could not be stored here; `fluister-inbox pull` fetches it")?;
    println!("Sent your message to the reporter of tip {number}.");
    // Put it in its exact place in the conversation, and pick up answers that came meanwhile.
    if let Ok(Some(messages)) = client.mailbox_messages(mailbox_id.as_str()) {
        let counts = conversation::store_conversation(&settings.home, &stored.relay_id, &messages)?;
        if counts.new_from_reporter > 0 {
            println!(
                "{} new answer(s) from the reporter came in meanwhile: fluister-inbox show {number}",
                counts.new_from_reporter
            );
        }
    }
    println!(
        "The reporter sees it when they check with their receipt code. Answers arrive with \
         `fluister-inbox pull`; the conversation is in `fluister-inbox show {number}`."
    );
    Ok(ExitCode::SUCCESS)
}

/// A fresh random `Fluister-Submission-Key`: 32 bytes, unpadded base64url.
fn random_submission_key() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).context("the operating system gave no random numbers")?;
    Ok(fluister_protocol::codec::encode_base64url(&bytes))
}

fn triage(
    settings: &Settings,
    number: u64,
    status: Option<TriageStatus>,
    to: Option<String>,
    note: Option<String>,
) -> Result<ExitCode> {
    let stored = store::find_tip(&settings.home, number)?;
    let keys = settings.unlock()?;
    let _lock = settings.home.lock()?;
    let mut book = TriageBook::load(&settings.home, &keys.identities)?;
    let changing = status.is_some() || to.is_some() || note.is_some();
    if changing {
        let record = book.record_mut(&stored.relay_id);
        if let Some(status) = status {
            record.status = status;
            if status != TriageStatus::HandedOver && to.is_none() {
                record.handed_over_to = None;
            }
        }
        if let Some(whom) = to {
            if whom.trim().is_empty() {
                bail!("--to needs a name, for example --to \"Politie Drenthe, AVIM\"");
            }
            if status.is_some_and(|status| status != TriageStatus::HandedOver) {
                bail!(
                    "--to means the tip was handed over; leave out --status, or use --status handed-over"
                );
            }
            record.status = TriageStatus::HandedOver;
            record.handed_over_to = Some(whom.trim().to_owned());
        }
        if let Some(text) = note {
            if text.trim().is_empty() {
                bail!("the note is empty; write it after --note in quotes");
            }
            record.notes.push(Note {
                written_at: now_unix_seconds(),
                text: text.trim().to_owned(),
            });
        }
        book.save(&settings.home, &keys.own_recipient)?;
    }
    let record = book.record(&stored.relay_id);
    let status_line = match (&record.status, &record.handed_over_to) {
        (TriageStatus::HandedOver, Some(whom)) => format!(
            "{} ({})",
            record.status.label(settings.language),
            render::sanitise(whom, false)
        ),
        (status, _) => status.label(settings.language).to_owned(),
    };
    println!("Tip {number}: {status_line}");
    for note in &record.notes {
        println!(
            "  {}: {}",
            LocalHour::from_unix_seconds(note.written_at - note.written_at % 3600).date(),
            render::sanitise(&note.text, false)
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn export(
    settings: &Settings,
    number: u64,
    format: ExportFormat,
    redact: &[RedactPart],
    output: Option<&Path>,
) -> Result<ExitCode> {
    let stored = store::find_tip(&settings.home, number)?;
    let sealed = store::read_sealed_file(&stored.path)?;
    let keys = settings.unlock()?;
    let book = TriageBook::load(&settings.home, &keys.identities)?;
    let record = book.record(&stored.relay_id);
    let document = store::open_tip(&keys.identities, &sealed).map_err(|failure| {
        anyhow::anyhow!(
            "{}",
            failure.explain(&format!("Tip {number} ({})", stored.path.display()))
        )
    })?;
    let context = TipContext {
        number: Some(number),
        received_hour: Some(stored.received_hour),
        triage: Some(&record),
    };
    let text = Zeroizing::new(match format {
        ExportFormat::Markdown => {
            render::export_markdown(&document, &context, settings.language, redact)
        }
        ExportFormat::Json => {
            let mut json = serde_json::to_string_pretty(&render::export_json(
                &document,
                &context,
                settings.language,
                redact,
            ))
            .expect("JSON values serialize");
            json.push('\n');
            json
        }
    });
    match output {
        Some(path) => {
            if path.exists() {
                bail!(
                    "{} already exists; choose another name or remove it first",
                    path.display()
                );
            }
            replace_file(path, text.as_bytes())?;
            eprintln!(
                "Wrote the case file of tip {number} to {} (readable only by you). It is not \
                 encrypted: hand it over safely and delete it afterwards.",
                path.display()
            );
        }
        None => print!("{}", text.as_str()),
    }
    Ok(ExitCode::SUCCESS)
}

fn statistics(
    settings: &Settings,
    quarters: &[String],
    csv_path: Option<&Path>,
    svg_path: Option<&Path>,
) -> Result<ExitCode> {
    for quarter in quarters {
        let valid = quarter.len() == 7
            && quarter[..4].bytes().all(|byte| byte.is_ascii_digit())
            && matches!(&quarter[4..], "-Q1" | "-Q2" | "-Q3" | "-Q4");
        if !valid {
            bail!("`{quarter}` is not a quarter; write it like 2025-Q1");
        }
    }
    let tips = store::stored_tips(&settings.home)?;
    let keys = settings.unlock()?;
    let documents = open_all(&tips, &keys);
    let mut counted = Vec::new();
    let mut unreadable = 0;
    for (tip, document) in tips.iter().zip(documents) {
        match document {
            Ok(document) => counted.push(CountedTip {
                received_hour: tip.received_hour,
                municipality: document.municipality,
                kind: document.kind,
            }),
            Err(_) => unreadable += 1,
        }
    }
    let counts = Counts::count(&counted, quarters);
    let csv = stats::to_csv(&counts, settings.language);
    match csv_path {
        Some(path) => {
            replace_file(path, csv.as_bytes())?;
            eprintln!(
                "Wrote the counts ({} tips) to {}",
                counts.total(),
                path.display()
            );
        }
        None => print!("{csv}"),
    }
    if let Some(path) = svg_path {
        replace_file(path, stats::to_svg(&counts, settings.language).as_bytes())?;
        eprintln!("Wrote the chart to {}", path.display());
    }
    if unreadable > 0 {
        bail!(
            "{unreadable} tip(s) could not be opened and are not counted; `fluister-inbox list` shows which"
        );
    }
    Ok(ExitCode::SUCCESS)
}
