//! The picture of the region and the quarterly report (`report`, `stats --publish`): signals
//! counted by municipality, kind, quarter, reporter's role and source channel, and hand-overs
//! by what the receiver said came of them; every count that leaves the coordinator's desk goes
//! through [`crate::suppression`] first.
//!
//! Only those facts are read: never the text, the place, the contact wish, notes or receivers'
//! names. The report says how small numbers are shown, and is written as self-contained HTML
//! (no scripts, nothing fetched) or as an A4 PDF drawn with [`crate::pdf`]'s primitives.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use fluister_envelope::tip::Source;
use fluister_envelope::tip::vocabulary::{Kind, Municipality, Role};

use crate::msg_in;
use crate::pdf::{self, Face, Pages};
use crate::stats::CsvStyle;
use crate::suppression::{
    ProtectedLine, ProtectedTable, Shown, TotalPolicy, protect_line, protect_table,
};
use crate::time::LocalHour;
use crate::triage::Outcome;
use crate::vocabulary::{Labels, Language};

/// The facts about one signal the picture uses.
#[derive(Clone, Debug)]
pub struct PictureTip {
    /// The hour it arrived (or was registered), Unix seconds.
    pub received_hour: u64,
    /// The municipality, if given.
    pub municipality: Option<Municipality>,
    /// The kinds of exploitation given (none, one or several).
    pub kinds: Vec<Kind>,
    /// Who reported, if given.
    pub role: Option<Role>,
    /// The channel; `None` for the form.
    pub source: Option<Source>,
}

/// The facts about one hand-over the picture uses: when, and what came of it.
#[derive(Clone, Copy, Debug)]
pub struct PictureHandOver {
    /// The hour it was handed over, Unix seconds.
    pub hour: u64,
    /// What the receiver said came of it, once they did.
    pub outcome: Option<Outcome>,
}

/// Everything the picture counts.
#[derive(Clone, Debug, Default)]
pub struct Picture {
    /// Every signal.
    pub tips: Vec<PictureTip>,
    /// Every hand-over.
    pub handovers: Vec<PictureHandOver>,
}

/// The identifier of "not given" in rows and columns.
pub const UNKNOWN: &str = "unknown";

/// The column of signals that name more than one kind. The published tables count every
/// signal once, so that they add up to the quarter's number of signals and the protection of
/// small numbers holds; a signal naming several kinds is counted here, not under each of them.
pub const SEVERAL_KINDS: &str = "several";
/// The identifier of the form as a source channel.
const FORM: &str = "form";
/// The identifier of "no feedback yet" as an outcome.
const NO_FEEDBACK: &str = "none";

/// `2026-Q3` as (2026, 3), if it is a quarter.
pub fn parse_quarter(quarter: &str) -> Option<(i64, u8)> {
    let (year, number) = quarter.split_once("-Q")?;
    if year.len() != 4 || !year.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let number: u8 = match number {
        "1" => 1,
        "2" => 2,
        "3" => 3,
        "4" => 4,
        _ => return None,
    };
    Some((year.parse().ok()?, number))
}

/// The `count` quarters up to and including `quarter`, oldest first.
fn quarters_up_to(quarter: &str, count: usize) -> Vec<String> {
    let Some((year, number)) = parse_quarter(quarter) else {
        return vec![quarter.to_owned()];
    };
    let index = year * 4 + i64::from(number) - 1;
    (0..count as i64)
        .rev()
        .map(|back| {
            let at = index - back;
            format!("{}-Q{}", at.div_euclid(4), at.rem_euclid(4) + 1)
        })
        .collect()
}

fn quarter_of(hour: u64) -> String {
    LocalHour::from_unix_seconds(hour).quarter()
}

fn source_id(source: Option<Source>) -> &'static str {
    source.map_or(FORM, Source::id)
}

fn outcome_id(outcome: Option<Outcome>) -> &'static str {
    match outcome {
        None => NO_FEEDBACK,
        Some(Outcome::NoAction) => "no_action",
        Some(Outcome::Investigation) => "investigation",
        Some(Outcome::Prosecution) => "prosecution",
        Some(Outcome::CareStarted) => "care_started",
        Some(Outcome::Unknown) => "unknown",
    }
}

/// The published tables of one quarter.
#[derive(Clone, Debug)]
pub struct QuarterTables {
    /// The quarter, `2026-Q3`.
    pub quarter: String,
    /// The number of signals, as published.
    pub total: Shown,
    /// The municipalities (rows), by id: the region's, then `other`, `unknown`, any others.
    pub municipalities: Vec<String>,
    /// The kinds (columns), by id, then `unknown`.
    pub kinds: Vec<String>,
    /// Signals per municipality and kind; `None` when withheld.
    pub by_municipality_kind: Option<ProtectedTable>,
    /// The source channels, by id: `form`, then [`Source::ALL`].
    pub sources: Vec<String>,
    /// Signals per channel; `None` when withheld.
    pub by_source: Option<ProtectedLine>,
    /// The roles, by id, then `unknown`.
    pub roles: Vec<String>,
    /// Signals per role; `None` when withheld.
    pub by_role: Option<ProtectedLine>,
    /// The outcomes, by id: each [`Outcome`], then `none` (no feedback yet).
    pub outcomes: Vec<String>,
    /// Hand-overs made in the quarter, per outcome; `None` when it cannot be protected.
    pub by_outcome: Option<ProtectedLine>,
}

impl QuarterTables {
    /// Counts and protects the quarter's tables. The tables about signals share the quarter's
    /// number of signals, which is published as it is (or "<5"): with fewer than 5 signals they
    /// are not broken down at all, otherwise each is protected with that number fixed, so that
    /// together they say no more than each alone. Hand-overs are a count of their own.
    pub fn count(picture: &Picture, labels: &Labels, quarter: &str) -> Self {
        let tips: Vec<&PictureTip> = picture
            .tips
            .iter()
            .filter(|tip| quarter_of(tip.received_hour) == quarter)
            .collect();
        let mut municipalities: Vec<String> = labels
            .region()
            .municipalities
            .iter()
            .map(|municipality| municipality.id.clone())
            .collect();
        municipalities.push(Municipality::OTHER.to_owned());
        municipalities.push(UNKNOWN.to_owned());
        for tip in &tips {
            if let Some(municipality) = &tip.municipality
                && !municipalities.iter().any(|id| id == municipality.as_str())
            {
                municipalities.push(municipality.as_str().to_owned());
            }
        }
        let mut kinds: Vec<String> = Kind::ALL
            .iter()
            .map(|kind| kind.as_str().to_owned())
            .collect();
        kinds.push(SEVERAL_KINDS.to_owned());
        kinds.push(UNKNOWN.to_owned());
        let sources: Vec<String> = std::iter::once(FORM)
            .chain(Source::ALL.iter().map(|source| source.id()))
            .map(str::to_owned)
            .collect();
        let mut roles: Vec<String> = Role::ALL
            .iter()
            .map(|role| role.as_str().to_owned())
            .collect();
        roles.push(UNKNOWN.to_owned());
        let outcomes: Vec<String> = Outcome::ALL
            .iter()
            .map(|outcome| outcome_id(Some(*outcome)))
            .chain([NO_FEEDBACK])
            .map(str::to_owned)
            .collect();

        let position = |ids: &[String], id: &str| {
            ids.iter()
                .position(|known| known == id)
                .unwrap_or(ids.len() - 1)
        };
        let mut cells = vec![vec![0u64; kinds.len()]; municipalities.len()];
        let mut source_counts = vec![0u64; sources.len()];
        let mut role_counts = vec![0u64; roles.len()];
        for tip in &tips {
            let municipality = tip
                .municipality
                .as_ref()
                .map_or(UNKNOWN, Municipality::as_str);
            // A kind or role this version does not know counts as not given.
            let kind = match tip.kinds.as_slice() {
                [] => UNKNOWN,
                [kind] => kind.as_str(),
                _ => SEVERAL_KINDS,
            };
            let role = tip.role.as_ref().map_or(UNKNOWN, Role::as_str);
            cells[position(&municipalities, municipality)][position(&kinds, kind)] += 1;
            source_counts[position(&sources, source_id(tip.source))] += 1;
            role_counts[position(&roles, role)] += 1;
        }
        let mut outcome_counts = vec![0u64; outcomes.len()];
        for handover in &picture.handovers {
            if quarter_of(handover.hour) == quarter {
                outcome_counts[position(&outcomes, outcome_id(handover.outcome))] += 1;
            }
        }

        let tip_count = tips.len() as u64;
        let broken_down = !(1..5).contains(&tip_count);
        Self {
            quarter: quarter.to_owned(),
            total: Shown::single(tip_count),
            by_municipality_kind: broken_down
                .then(|| protect_table(&cells, TotalPolicy::Fixed))
                .flatten(),
            by_source: broken_down
                .then(|| protect_line(&source_counts, TotalPolicy::Fixed))
                .flatten(),
            by_role: broken_down
                .then(|| protect_line(&role_counts, TotalPolicy::Fixed))
                .flatten(),
            by_outcome: protect_line(&outcome_counts, TotalPolicy::Free),
            municipalities,
            kinds,
            sources,
            roles,
            outcomes,
        }
    }

    /// Whether the signals are too few to break down (1 to 4).
    pub fn too_few_to_break_down(&self) -> bool {
        self.total == Shown::FewerThanFive
    }

    /// A municipality's number of signals, as published (withheld when the table is).
    pub fn municipality_total(&self, municipality: &str) -> Shown {
        match (
            &self.by_municipality_kind,
            self.municipalities.iter().position(|id| id == municipality),
        ) {
            (Some(table), Some(row)) => table.row_totals[row],
            _ => Shown::Withheld,
        }
    }
}

/// The name of a municipality row.
fn municipality_name(labels: &Labels, id: &str) -> String {
    if id == UNKNOWN {
        return msg_in!(labels.language(), "report.unknown");
    }
    labels.municipality(&Municipality::from_id(id))
}

fn kind_name(labels: &Labels, id: &str) -> String {
    if id == UNKNOWN {
        return msg_in!(labels.language(), "report.unknown");
    }
    if id == SEVERAL_KINDS {
        return msg_in!(labels.language(), "report.several_kinds");
    }
    labels.kind(&Kind::from_id(id))
}

/// A short name for a kind, for a table's narrow column.
fn kind_short_name(language: Language, id: &str) -> String {
    match id {
        "sexual" => msg_in!(language, "report.kind_short.sexual"),
        "labour" => msg_in!(language, "report.kind_short.labour"),
        "criminal" => msg_in!(language, "report.kind_short.criminal"),
        "organ_removal" => msg_in!(language, "report.kind_short.organ_removal"),
        "other_unsure" => msg_in!(language, "report.kind_short.other_unsure"),
        SEVERAL_KINDS => msg_in!(language, "report.kind_short.several"),
        _ => msg_in!(language, "report.kind_short.unknown"),
    }
}

fn source_name(language: Language, id: &str) -> String {
    match id {
        "phone" => msg_in!(language, "report.source.phone"),
        "zvhd" => msg_in!(language, "report.source.zvhd"),
        "police" => msg_in!(language, "report.source.police"),
        "ggd" => msg_in!(language, "report.source.ggd"),
        "municipality" => msg_in!(language, "report.source.municipality"),
        "other" => msg_in!(language, "report.source.other"),
        _ => msg_in!(language, "report.source.form"),
    }
}

fn role_name(labels: &Labels, id: &str) -> String {
    if id == UNKNOWN {
        return msg_in!(labels.language(), "report.unknown");
    }
    labels.role(&Role::from_id(id))
}

fn outcome_name(language: Language, id: &str) -> String {
    Outcome::ALL
        .iter()
        .find(|outcome| outcome_id(Some(**outcome)) == id)
        .map(|outcome| outcome.label(language).to_owned())
        .unwrap_or_else(|| msg_in!(language, "report.outcome.none"))
}

/// One part of the report, rendered the same way as HTML and as PDF.
#[derive(Clone, Debug)]
enum Block {
    Title(String),
    Paragraph(String),
    /// A paragraph set apart: how small numbers are shown.
    Note(String),
    Heading(String),
    Table(Table),
    Bars(Vec<(String, Shown)>),
}

/// A table: a heading row, rows with a label and numbers, and a row of totals.
#[derive(Clone, Debug)]
struct Table {
    /// The first column's heading, then each number column's (full and short).
    corner: String,
    columns: Vec<(String, String)>,
    rows: Vec<(String, Vec<Shown>)>,
}

/// Which report to write.
#[derive(Clone, Debug)]
pub struct ReportRequest {
    /// The quarter, `2026-Q3`.
    pub quarter: String,
    /// Only this municipality (by id); `None` for the region and every municipality.
    pub municipality: Option<String>,
}

/// The report's parts.
fn blocks(picture: &Picture, labels: &Labels, request: &ReportRequest) -> Vec<Block> {
    let language = labels.language();
    let quarter = &request.quarter;
    let tables = QuarterTables::count(picture, labels, quarter);
    let trend_quarters = quarters_up_to(quarter, 4);
    let trend: Vec<QuarterTables> = trend_quarters
        .iter()
        .map(|trend_quarter| QuarterTables::count(picture, labels, trend_quarter))
        .collect();
    let region = &labels.region().name;
    let mut blocks = Vec::new();
    blocks.push(Block::Title(match &request.municipality {
        Some(municipality) => msg_in!(
            language,
            "report.title_municipality",
            quarter = quarter,
            municipality = municipality_name(labels, municipality)
        ),
        None => msg_in!(language, "report.title", quarter = quarter),
    }));
    if !region.is_empty() {
        blocks.push(Block::Paragraph(msg_in!(
            language,
            "report.region",
            region = region
        )));
    }
    blocks.push(Block::Paragraph(msg_in!(language, "report.intro")));
    blocks.push(Block::Note(msg_in!(language, "report.suppression")));
    blocks.push(Block::Heading(msg_in!(
        language,
        "report.total_tips",
        quarter = quarter,
        count = tables.total.text()
    )));
    if tables.too_few_to_break_down() {
        blocks.push(Block::Paragraph(msg_in!(language, "report.withheld")));
    }
    let not_published = || Block::Paragraph(msg_in!(language, "report.not_published"));
    let total_word = msg_in!(language, "report.total");

    let municipality_rows: Vec<usize> = match &request.municipality {
        Some(municipality) => tables
            .municipalities
            .iter()
            .position(|id| id == municipality)
            .into_iter()
            .collect(),
        None => (0..tables.municipalities.len()).collect(),
    };

    if request.municipality.is_none() && !tables.too_few_to_break_down() {
        blocks.push(Block::Heading(msg_in!(
            language,
            "report.heading.municipalities"
        )));
        match &tables.by_municipality_kind {
            Some(table) => {
                blocks.push(Block::Bars(
                    tables
                        .municipalities
                        .iter()
                        .zip(&table.row_totals)
                        .map(|(id, total)| (municipality_name(labels, id), *total))
                        .collect(),
                ));
                let mut rows: Vec<(String, Vec<Shown>)> = tables
                    .municipalities
                    .iter()
                    .enumerate()
                    .map(|(row, id)| {
                        let mut numbers = table.cells[row].clone();
                        numbers.push(table.row_totals[row]);
                        (municipality_name(labels, id), numbers)
                    })
                    .collect();
                let mut totals = table.column_totals.clone();
                totals.push(table.total);
                rows.push((total_word.clone(), totals));
                blocks.push(Block::Heading(msg_in!(
                    language,
                    "report.heading.municipality_kind"
                )));
                blocks.push(Block::Table(Table {
                    corner: msg_in!(language, "report.column.municipality"),
                    columns: tables
                        .kinds
                        .iter()
                        .map(|id| (kind_name(labels, id), kind_short_name(language, id)))
                        .chain([(total_word.clone(), total_word.clone())])
                        .collect(),
                    rows,
                }));
            }
            None => blocks.push(not_published()),
        }
        for (heading, corner, ids, line, name) in [
            (
                "report.heading.source",
                "report.column.source",
                &tables.sources,
                &tables.by_source,
                &(|id: &str| source_name(language, id)) as &dyn Fn(&str) -> String,
            ),
            (
                "report.heading.role",
                "report.column.role",
                &tables.roles,
                &tables.by_role,
                &|id: &str| role_name(labels, id),
            ),
        ] {
            blocks.push(Block::Heading(heading_text(language, heading)));
            match line {
                Some(line) => line_blocks(&mut blocks, language, corner, ids, line, name),
                None => blocks.push(not_published()),
            }
        }
    }
    if request.municipality.is_none() {
        blocks.push(Block::Heading(heading_text(
            language,
            "report.heading.outcome",
        )));
        blocks.push(Block::Paragraph(msg_in!(language, "report.outcome_note")));
        match &tables.by_outcome {
            Some(line) => line_blocks(
                &mut blocks,
                language,
                "report.column.outcome",
                &tables.outcomes,
                line,
                &|id: &str| outcome_name(language, id),
            ),
            None => blocks.push(not_published()),
        }
        blocks.push(Block::Heading(msg_in!(language, "report.heading.trend")));
        blocks.push(Block::Bars(
            trend
                .iter()
                .map(|quarter_tables| (quarter_tables.quarter.clone(), quarter_tables.total))
                .collect(),
        ));
    }

    for row in municipality_rows {
        let id = &tables.municipalities[row];
        // "Not given" and "other" are no municipality with a council of its own.
        if request.municipality.is_none() && (id == UNKNOWN || id == Municipality::OTHER) {
            continue;
        }
        let name = municipality_name(labels, id);
        blocks.push(Block::Heading(msg_in!(
            language,
            "report.heading.municipality",
            municipality = name
        )));
        blocks.push(Block::Paragraph(msg_in!(
            language,
            "report.municipality_total",
            quarter = quarter,
            count = tables.municipality_total(id).text(),
            region_count = tables.total.text()
        )));
        // A municipality without signals needs no table of zeros.
        let without_signals = tables.municipality_total(id) == Shown::Exact(0);
        if let Some(table) = tables
            .by_municipality_kind
            .as_ref()
            .filter(|_| !without_signals)
        {
            let mut rows: Vec<(String, Vec<Shown>)> = tables
                .kinds
                .iter()
                .zip(&table.cells[row])
                .map(|(kind, shown)| (kind_name(labels, kind), vec![*shown]))
                .collect();
            rows.push((total_word.clone(), vec![table.row_totals[row]]));
            blocks.push(Block::Table(Table {
                corner: msg_in!(language, "report.column.kind"),
                columns: vec![(
                    msg_in!(language, "report.column.count"),
                    msg_in!(language, "report.column.count"),
                )],
                rows,
            }));
        }
        blocks.push(Block::Paragraph(msg_in!(language, "report.heading.trend")));
        blocks.push(Block::Bars(
            trend
                .iter()
                .map(|quarter_tables| {
                    (
                        quarter_tables.quarter.clone(),
                        quarter_tables.municipality_total(id),
                    )
                })
                .collect(),
        ));
    }
    blocks
}

fn heading_text(language: Language, id: &str) -> String {
    match id {
        "report.heading.source" => msg_in!(language, "report.heading.source"),
        "report.heading.role" => msg_in!(language, "report.heading.role"),
        _ => msg_in!(language, "report.heading.outcome"),
    }
}

fn column_text(language: Language, id: &str) -> String {
    match id {
        "report.column.source" => msg_in!(language, "report.column.source"),
        "report.column.role" => msg_in!(language, "report.column.role"),
        _ => msg_in!(language, "report.column.outcome"),
    }
}

/// A one-way table and its bars.
fn line_blocks(
    blocks: &mut Vec<Block>,
    language: Language,
    corner: &str,
    ids: &[String],
    line: &ProtectedLine,
    name: &dyn Fn(&str) -> String,
) {
    blocks.push(Block::Bars(
        ids.iter()
            .zip(&line.cells)
            .map(|(id, shown)| (name(id), *shown))
            .collect(),
    ));
    let mut rows: Vec<(String, Vec<Shown>)> = ids
        .iter()
        .zip(&line.cells)
        .map(|(id, shown)| (name(id), vec![*shown]))
        .collect();
    rows.push((msg_in!(language, "report.total"), vec![line.total]));
    blocks.push(Block::Table(Table {
        corner: column_text(language, corner),
        columns: vec![(
            msg_in!(language, "report.column.count"),
            msg_in!(language, "report.column.count"),
        )],
        rows,
    }));
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The largest exactly shown number among `bars`, at least 5 (so a "<5" stub stays small).
fn bar_scale(bars: &[(String, Shown)]) -> u64 {
    bars.iter()
        .filter_map(|(_, shown)| shown.exact())
        .max()
        .unwrap_or(0)
        .max(5)
}

/// The report as one self-contained HTML page: styles inline, no scripts, nothing fetched.
pub fn to_html(picture: &Picture, labels: &Labels, request: &ReportRequest) -> String {
    let language = labels.language();
    let blocks = blocks(picture, labels, request);
    let title = blocks
        .iter()
        .find_map(|block| match block {
            Block::Title(title) => Some(title.clone()),
            _ => None,
        })
        .unwrap_or_default();
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{}</style>\n</head>\n<body>\n<main>\n",
        match language {
            Language::Nl => "nl",
            Language::En => "en",
        },
        html_escape(&title),
        HTML_STYLE
    );
    for block in &blocks {
        match block {
            Block::Title(title) => {
                let _ = writeln!(html, "<h1>{}</h1>", html_escape(title));
            }
            Block::Paragraph(text) => {
                let _ = writeln!(html, "<p>{}</p>", html_escape(text));
            }
            Block::Note(text) => {
                let _ = writeln!(html, "<p class=\"note\">{}</p>", html_escape(text));
            }
            Block::Heading(text) => {
                let _ = writeln!(html, "<h2>{}</h2>", html_escape(text));
            }
            Block::Table(table) => {
                let _ = write!(
                    html,
                    "<table>\n<thead><tr><th scope=\"col\">{}</th>",
                    html_escape(&table.corner)
                );
                for (full, short) in &table.columns {
                    if full == short {
                        let _ = write!(html, "<th scope=\"col\">{}</th>", html_escape(full));
                    } else {
                        let _ = write!(
                            html,
                            "<th scope=\"col\"><abbr title=\"{}\">{}</abbr></th>",
                            html_escape(full),
                            html_escape(short)
                        );
                    }
                }
                html.push_str("</tr></thead>\n<tbody>\n");
                let last = table.rows.len().saturating_sub(1);
                for (index, (label, numbers)) in table.rows.iter().enumerate() {
                    let class = if index == last {
                        " class=\"total\""
                    } else {
                        ""
                    };
                    let _ = write!(
                        html,
                        "<tr{class}><th scope=\"row\">{}</th>",
                        html_escape(label)
                    );
                    for number in numbers {
                        let _ = write!(html, "<td>{}</td>", html_escape(&number.text()));
                    }
                    html.push_str("</tr>\n");
                }
                html.push_str("</tbody>\n</table>\n");
            }
            Block::Bars(bars) => {
                let scale = bar_scale(bars);
                html.push_str("<div class=\"bars\" aria-hidden=\"true\">\n");
                for (label, shown) in bars {
                    let (width, class) = match shown {
                        Shown::Exact(count) => (85.0 * *count as f64 / scale as f64, "bar"),
                        Shown::FewerThanFive => (2.0, "bar small"),
                        Shown::Hidden | Shown::Withheld => (0.0, "bar"),
                    };
                    let _ = writeln!(
                        html,
                        "<div class=\"row\"><span class=\"label\">{}</span><span class=\"track\"><span class=\"{class}\" style=\"width: {width:.1}%\"></span><span class=\"value\">{}</span></span></div>",
                        html_escape(label),
                        html_escape(&shown.text())
                    );
                }
                html.push_str("</div>\n");
            }
        }
    }
    let _ = writeln!(
        html,
        "<footer><p>{}</p></footer>\n</main>\n</body>\n</html>",
        html_escape(&msg_in!(language, "report.made_by"))
    );
    html
}

const HTML_STYLE: &str =
    "body { font-family: system-ui, sans-serif; color: #1a1a1a; background: #fff; margin: 0; }
main { max-width: 50rem; margin: 0 auto; padding: 2rem 1rem; line-height: 1.5; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
.note { background: #f2f2f2; border-left: 4px solid #0072b2; padding: 0.6rem 0.9rem; }
table { border-collapse: collapse; margin: 0.8rem 0; font-variant-numeric: tabular-nums; }
th, td { padding: 0.25rem 0.6rem; border-bottom: 1px solid #ccc; }
th[scope=row] { text-align: left; font-weight: normal; }
td { text-align: right; }
tr.total th, tr.total td { font-weight: bold; border-top: 2px solid #1a1a1a; }
.bars { margin: 0.8rem 0; }
.row { display: flex; align-items: center; gap: 0.5rem; margin: 0.15rem 0; }
.label { flex: 0 0 14rem; text-align: right; }
.track { flex: 1 1 auto; display: flex; align-items: center; gap: 0.4rem; }
.bar { display: block; height: 1rem; background: #0072b2; }
.bar.small { background: #bbbbbb; }
.value { font-variant-numeric: tabular-nums; font-weight: bold; }
abbr { text-decoration: none; }
footer { margin-top: 3rem; color: #555; font-size: 0.9rem; }
";

/// The width of the label column of tables and bars, in points.
const LABEL_COLUMN: f64 = 150.0;
/// The label column of a table with one number column.
const WIDE_LABEL_COLUMN: f64 = 230.0;
/// The room a heading needs below it on its page, in points.
const KEEP_WITH_HEADING: f64 = 110.0;
/// The blue of the bars (Okabe–Ito), and the grey of a "<5" stub.
const BAR_BLUE: [f64; 3] = [0.0, 0.447, 0.698];
const STUB_GREY: [f64; 3] = [0.72, 0.72, 0.72];

/// The report as an A4 PDF: the same parts, tables with right-aligned numbers, bars drawn as
/// filled rectangles.
pub fn to_pdf(picture: &Picture, labels: &Labels, request: &ReportRequest) -> Vec<u8> {
    let language = labels.language();
    let mut pages = Pages::new();
    let right = pdf::PAGE_WIDTH - pdf::MARGIN_RIGHT;
    for block in blocks(picture, labels, request) {
        match block {
            Block::Title(title) => {
                pages.paragraph(&title, Face::Bold, 16.0, pdf::MARGIN_LEFT);
                pages.space(6.0);
            }
            Block::Paragraph(text) => {
                pages.paragraph(&text, Face::Regular, pdf::BODY_SIZE, pdf::MARGIN_LEFT);
                pages.space(4.0);
            }
            Block::Note(text) => {
                pages.space(4.0);
                pages.paragraph(&text, Face::Oblique, 9.5, pdf::MARGIN_LEFT);
                pages.space(4.0);
            }
            Block::Heading(text) => {
                // A heading does not stay alone at the foot of a page.
                if pages.cursor - KEEP_WITH_HEADING < pdf::MARGIN_BOTTOM {
                    pages.streams.push(String::new());
                    pages.cursor = pdf::PAGE_HEIGHT - pdf::MARGIN_TOP;
                }
                pages.space(12.0);
                pages.paragraph(&text, Face::Bold, 12.5, pdf::MARGIN_LEFT);
                pages.space(4.0);
            }
            Block::Table(table) => {
                let size = 9.0;
                // A table of one number column has room for long row names.
                let label_column = if table.columns.len() == 1 {
                    WIDE_LABEL_COLUMN
                } else {
                    LABEL_COLUMN
                };
                let number_width = ((right - pdf::MARGIN_LEFT - label_column)
                    / table.columns.len() as f64)
                    .min(70.0);
                // The heading row: short names, wrapped into their column.
                let headings: Vec<Vec<Vec<u8>>> = table
                    .columns
                    .iter()
                    .map(|(_, short)| {
                        let bytes = pdf::win_ansi(short, &mut pages.replaced);
                        pdf::wrap(&bytes, Face::Bold, size, number_width - 4.0)
                    })
                    .collect();
                let heading_lines = headings.iter().map(Vec::len).max().unwrap_or(1);
                let corner = pdf::win_ansi(&table.corner, &mut pages.replaced);
                let mut first_y = None;
                for line in 0..heading_lines {
                    let y = pages.advance(size * 1.35);
                    first_y.get_or_insert(y);
                    if line == 0 {
                        pages.show(pdf::MARGIN_LEFT, y, Face::Bold, size, &corner);
                    }
                    for (column, lines) in headings.iter().enumerate() {
                        if let Some(text) = lines.get(line) {
                            let column_right = pdf::MARGIN_LEFT
                                + label_column
                                + number_width * (column + 1) as f64;
                            let x = column_right - Face::Bold.text_width(text, size);
                            pages.show(x, y, Face::Bold, size, text);
                        }
                    }
                }
                let table_right =
                    pdf::MARGIN_LEFT + label_column + number_width * table.columns.len() as f64;
                let last = table.rows.len().saturating_sub(1);
                for (index, (label, numbers)) in table.rows.iter().enumerate() {
                    let y = pages.advance(size * 1.5);
                    let face = if index == last {
                        Face::Bold
                    } else {
                        Face::Regular
                    };
                    pages.line(
                        (pdf::MARGIN_LEFT, y + size * 1.05),
                        (table_right, y + size * 1.05),
                    );
                    let label_bytes = pdf::win_ansi(label, &mut pages.replaced);
                    let label_line = pdf::wrap(&label_bytes, face, size, label_column - 6.0)
                        .into_iter()
                        .next()
                        .unwrap_or_default();
                    pages.show(pdf::MARGIN_LEFT, y, face, size, &label_line);
                    for (column, number) in numbers.iter().enumerate() {
                        let text = pdf::win_ansi(&number.text(), &mut pages.replaced);
                        let column_right =
                            pdf::MARGIN_LEFT + label_column + number_width * (column + 1) as f64;
                        let x = column_right - face.text_width(&text, size);
                        pages.show(x, y, face, size, &text);
                    }
                }
                pages.space(6.0);
            }
            Block::Bars(bars) => {
                let size = 9.0;
                let scale = bar_scale(&bars);
                let bar_left = pdf::MARGIN_LEFT + LABEL_COLUMN;
                let bar_area = right - bar_left - 36.0;
                pages.space(4.0);
                for (label, shown) in &bars {
                    let y = pages.advance(15.0);
                    let label_bytes = pdf::win_ansi(label, &mut pages.replaced);
                    let label_line =
                        pdf::wrap(&label_bytes, Face::Regular, size, LABEL_COLUMN - 10.0)
                            .into_iter()
                            .next()
                            .unwrap_or_default();
                    let label_x = bar_left - 8.0 - Face::Regular.text_width(&label_line, size);
                    pages.show(label_x, y, Face::Regular, size, &label_line);
                    let width = match shown {
                        Shown::Exact(count) => {
                            let width = bar_area * *count as f64 / scale as f64;
                            if width > 0.0 {
                                pages.rectangle(bar_left, y - 2.0, width, 10.0, BAR_BLUE);
                            }
                            width
                        }
                        Shown::FewerThanFive => {
                            pages.rectangle(bar_left, y - 2.0, 5.0, 10.0, STUB_GREY);
                            5.0
                        }
                        Shown::Hidden | Shown::Withheld => 0.0,
                    };
                    let value = pdf::win_ansi(&shown.text(), &mut pages.replaced);
                    pages.show(bar_left + width + 5.0, y, Face::Bold, size, &value);
                }
                pages.space(6.0);
            }
        }
    }
    let page_count = pages.streams.len();
    let mut replaced = false;
    for (index, stream) in pages.streams.iter_mut().enumerate() {
        let text = pdf::win_ansi(
            &msg_in!(
                language,
                "report.footer",
                quarter = request.quarter,
                page = index + 1,
                pages = page_count
            ),
            &mut replaced,
        );
        let _ = writeln!(
            stream,
            "0.35 g BT /F1 8.0 Tf {:.2} {:.2} Td ({}) Tj ET 0 g",
            pdf::MARGIN_LEFT,
            pdf::FOOTER_BASELINE,
            pdf::pdf_string(&text)
        );
    }
    pdf::assemble(&pages.streams)
}

/// A one-way table for the CSV: its id, its categories' ids, the table, and how to name them.
type NamedLine<'a> = (
    &'a str,
    &'a [String],
    &'a Option<ProtectedLine>,
    Box<dyn Fn(&str) -> String + 'a>,
);

/// The publishable CSV: the same protected tables as the report, one line per number, for
/// every quarter in `quarters`. The first line says how small numbers are shown.
pub fn to_publishable_csv(
    picture: &Picture,
    labels: &Labels,
    quarters: &[String],
    style: CsvStyle,
) -> String {
    let language = labels.language();
    let mut lines: Vec<Vec<String>> = vec![
        vec![msg_in!(language, "report.suppression")],
        [
            "quarter",
            "table",
            "row_id",
            "row",
            "column_id",
            "column",
            "value",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    let total_word = msg_in!(language, "report.total");
    for quarter in quarters {
        let tables = QuarterTables::count(picture, labels, quarter);
        let mut push =
            |table: &str, row_id: &str, row: &str, column_id: &str, column: &str, shown: Shown| {
                lines.push(vec![
                    quarter.clone(),
                    table.to_owned(),
                    row_id.to_owned(),
                    row.to_owned(),
                    column_id.to_owned(),
                    column.to_owned(),
                    shown.text(),
                ]);
            };
        push(
            "tips",
            "total",
            &total_word,
            "total",
            &total_word,
            tables.total,
        );
        if let Some(table) = &tables.by_municipality_kind {
            for (row, municipality) in tables.municipalities.iter().enumerate() {
                let name = municipality_name(labels, municipality);
                for (column, kind) in tables.kinds.iter().enumerate() {
                    push(
                        "municipality_kind",
                        municipality,
                        &name,
                        kind,
                        &kind_name(labels, kind),
                        table.cells[row][column],
                    );
                }
                push(
                    "municipality_kind",
                    municipality,
                    &name,
                    "total",
                    &total_word,
                    table.row_totals[row],
                );
            }
            for (column, kind) in tables.kinds.iter().enumerate() {
                push(
                    "municipality_kind",
                    "total",
                    &total_word,
                    kind,
                    &kind_name(labels, kind),
                    table.column_totals[column],
                );
            }
            push(
                "municipality_kind",
                "total",
                &total_word,
                "total",
                &total_word,
                table.total,
            );
        }
        let lines_of: [NamedLine<'_>; 3] = [
            (
                "source",
                &tables.sources,
                &tables.by_source,
                Box::new(|id: &str| source_name(language, id)),
            ),
            (
                "role",
                &tables.roles,
                &tables.by_role,
                Box::new(|id: &str| role_name(labels, id)),
            ),
            (
                "handover_outcome",
                &tables.outcomes,
                &tables.by_outcome,
                Box::new(|id: &str| outcome_name(language, id)),
            ),
        ];
        for (table_id, ids, line, name) in lines_of.iter() {
            if let Some(line) = line {
                for (id, shown) in ids.iter().zip(&line.cells) {
                    push(table_id, id, &name(id), "count", "", *shown);
                }
                push(table_id, "total", &total_word, "count", "", line.total);
            }
        }
    }
    crate::stats::csv_lines(&lines, style)
}

/// The quarters that have signals or hand-overs, oldest first.
pub fn quarters_with_data(picture: &Picture) -> Vec<String> {
    let mut quarters: BTreeMap<String, ()> = BTreeMap::new();
    for tip in &picture.tips {
        quarters.insert(quarter_of(tip.received_hour), ());
    }
    for handover in &picture.handovers {
        quarters.insert(quarter_of(handover.hour), ());
    }
    quarters.into_keys().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::{Region, RegionMunicipality};

    fn labels(language: Language) -> Labels {
        let municipality = |id: &str, name: &str| RegionMunicipality {
            id: id.to_owned(),
            name: name.to_owned(),
        };
        Labels::for_language(language).with_region(Region {
            name: "Drenthe".to_owned(),
            municipalities: vec![
                municipality("assen", "Assen"),
                municipality("emmen", "Emmen"),
                municipality("meppel", "Meppel"),
            ],
        })
    }

    /// 2026-07-15, in the third quarter.
    const SUMMER: u64 = 1_784_116_800;

    fn tip(municipality: &str, kind: Kind, source: Option<Source>) -> PictureTip {
        PictureTip {
            received_hour: SUMMER,
            municipality: Some(Municipality::from_id(municipality)),
            kinds: vec![kind],
            role: Some(Role::Witness),
            source,
        }
    }

    fn picture() -> Picture {
        let mut tips = vec![
            tip("assen", Kind::Labour, None),
            tip("assen", Kind::Sexual, Some(Source::Phone)),
        ];
        for _ in 0..6 {
            tips.push(tip("emmen", Kind::Labour, None));
        }
        for _ in 0..5 {
            tips.push(tip("meppel", Kind::Sexual, None));
        }
        Picture {
            tips,
            handovers: vec![
                PictureHandOver {
                    hour: SUMMER,
                    outcome: Some(Outcome::Investigation),
                },
                PictureHandOver {
                    hour: SUMMER,
                    outcome: None,
                },
            ],
        }
    }

    #[test]
    fn quarters_count_back_across_years() {
        assert_eq!(
            quarters_up_to("2026-Q2", 4),
            ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
        );
        assert_eq!(parse_quarter("2026-Q3"), Some((2026, 3)));
        assert_eq!(parse_quarter("2026-Q5"), None);
        assert_eq!(quarter_of(SUMMER), "2026-Q3");
    }

    #[test]
    fn the_report_shows_small_numbers_as_fewer_than_five_and_no_case_content() {
        let request = ReportRequest {
            quarter: "2026-Q3".to_owned(),
            municipality: None,
        };
        let tables = QuarterTables::count(&picture(), &labels(Language::Nl), "2026-Q3");
        assert_eq!(tables.total, Shown::Exact(13));
        assert_eq!(tables.municipality_total("assen"), Shown::FewerThanFive);
        let html = to_html(&picture(), &labels(Language::Nl), &request);
        assert!(html.contains("&lt;5"), "{html}");
        assert!(html.contains("Aantallen onder de 5"), "{html}");
        assert!(
            !html.contains("<script") && !html.contains("http"),
            "{html}"
        );
        let pdf = to_pdf(&picture(), &labels(Language::En), &request);
        assert!(pdf.starts_with(b"%PDF-1.4"));
        let csv = to_publishable_csv(
            &picture(),
            &labels(Language::Nl),
            &["2026-Q3".to_owned()],
            CsvStyle::Comma,
        );
        assert!(
            csv.contains("2026-Q3,municipality_kind,assen,Assen,total,Totaal,<5\n"),
            "{csv}"
        );
    }

    #[test]
    fn a_signal_naming_several_kinds_counts_once_in_the_published_tables() {
        let mut picture = picture();
        for _ in 0..5 {
            let mut both = tip("emmen", Kind::Sexual, None);
            both.kinds.push(Kind::Criminal);
            picture.tips.push(both);
        }
        let tables = QuarterTables::count(&picture, &labels(Language::Nl), "2026-Q3");
        assert_eq!(tables.total, Shown::Exact(18));
        // Emmen: 6 about labour, 5 naming two kinds; each counted once.
        assert_eq!(tables.municipality_total("emmen"), Shown::Exact(11));
        let table = tables.by_municipality_kind.as_ref().unwrap();
        let emmen = tables
            .municipalities
            .iter()
            .position(|id| id == "emmen")
            .unwrap();
        let column = |id: &str| tables.kinds.iter().position(|kind| kind == id).unwrap();
        assert_eq!(table.cells[emmen][column(SEVERAL_KINDS)], Shown::Exact(5));
        assert_eq!(table.cells[emmen][column("sexual")], Shown::Exact(0));
        assert_eq!(table.cells[emmen][column("criminal")], Shown::Exact(0));
        let request = ReportRequest {
            quarter: "2026-Q3".to_owned(),
            municipality: None,
        };
        let html = to_html(&picture, &labels(Language::Nl), &request);
        assert!(html.contains("Meer dan één soort"), "{html}");
    }

    #[test]
    fn a_quarter_with_fewer_than_five_signals_is_not_broken_down() {
        let few = Picture {
            tips: vec![tip("assen", Kind::Labour, None)],
            handovers: Vec::new(),
        };
        let tables = QuarterTables::count(&few, &labels(Language::Nl), "2026-Q3");
        assert_eq!(tables.total, Shown::FewerThanFive);
        assert!(tables.by_municipality_kind.is_none() && tables.by_source.is_none());
        assert_eq!(tables.municipality_total("assen"), Shown::Withheld);
    }
}
