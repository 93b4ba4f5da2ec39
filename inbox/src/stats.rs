//! "Map the problem": counts of tips per municipality × kind × quarter, for policy reports.
//! Only the municipality, the kinds and the hour of arrival are used; no free text, no signals,
//! nothing about the reporter. Output as CSV and as an SVG bar chart.
//!
//! A tip may name several kinds (sexual and criminal exploitation often go together): it is
//! counted under each of them, so the per-kind numbers add up to more than the number of tips.
//! [`Counts::total`] and the number after each bar of the chart count every tip once, and the
//! chart says so.

use std::collections::BTreeMap;

use fluister_envelope::tip::vocabulary::{Kind, Municipality};

use crate::time::LocalHour;
use crate::vocabulary::{Labels, Language};

/// The facts about one tip that the statistics use.
#[derive(Clone, Debug)]
pub struct CountedTip {
    /// The hour it arrived, Unix seconds.
    pub received_hour: u64,
    /// The municipality, if the reporter gave one.
    pub municipality: Option<Municipality>,
    /// The kinds the reporter chose (none, one or several).
    pub kinds: Vec<Kind>,
}

/// Counts keyed by (quarter, municipality id, kind id); `unknown` where the reporter gave none.
#[derive(Clone, Debug, Default)]
pub struct Counts {
    /// The number of tips per key: a tip with several kinds is counted under each.
    pub by_quarter_municipality_kind: BTreeMap<(String, String, String), u64>,
    /// The number of tips per (quarter, municipality id), each tip once.
    pub by_quarter_municipality: BTreeMap<(String, String), u64>,
}

const UNKNOWN: &str = "unknown";

impl Counts {
    /// Counts `tips`, keeping only the quarters in `quarters` when it is not empty.
    pub fn count(tips: &[CountedTip], quarters: &[String]) -> Self {
        let mut counts = Self::default();
        for tip in tips {
            let quarter = LocalHour::from_unix_seconds(tip.received_hour).quarter();
            if !quarters.is_empty() && !quarters.contains(&quarter) {
                continue;
            }
            let municipality = tip
                .municipality
                .as_ref()
                .map_or(UNKNOWN, Municipality::as_str);
            let mut kinds: Vec<&str> = tip.kinds.iter().map(Kind::as_str).collect();
            kinds.dedup();
            if kinds.is_empty() {
                kinds.push(UNKNOWN);
            }
            for kind in kinds {
                *counts
                    .by_quarter_municipality_kind
                    .entry((quarter.clone(), municipality.to_owned(), kind.to_owned()))
                    .or_default() += 1;
            }
            *counts
                .by_quarter_municipality
                .entry((quarter, municipality.to_owned()))
                .or_default() += 1;
        }
        counts
    }

    /// The number of tips counted, each once (however many kinds it names).
    pub fn total(&self) -> u64 {
        self.by_quarter_municipality.values().sum()
    }

    /// Whether some tip was counted under more than one kind, so that the per-kind numbers add
    /// up to more than [`Counts::total`].
    pub fn counts_some_tip_twice(&self) -> bool {
        self.by_quarter_municipality_kind.values().sum::<u64>() > self.total()
    }

    /// The number of tips in `municipality` (an id, or `unknown`), each once.
    pub fn municipality_total(&self, municipality: &str) -> u64 {
        self.by_quarter_municipality
            .iter()
            .filter(|((_, row), _)| row == municipality)
            .map(|(_, count)| count)
            .sum()
    }

    /// The first and last quarter counted.
    pub fn period(&self) -> Option<(String, String)> {
        let first = self.by_quarter_municipality.keys().next()?.0.clone();
        let last = self
            .by_quarter_municipality
            .keys()
            .map(|key| &key.0)
            .max()?
            .clone();
        Some((first, last))
    }
}

fn municipality_name(labels: &Labels, id: &str, language: Language) -> String {
    if id == UNKNOWN {
        return unknown_word(language).to_owned();
    }
    labels.municipality(&Municipality::from_id(id))
}

fn kind_name(labels: &Labels, id: &str, language: Language) -> String {
    if id == UNKNOWN {
        return unknown_word(language).to_owned();
    }
    labels.kind(&Kind::from_id(id))
}

fn unknown_word(language: Language) -> &'static str {
    match language {
        Language::Nl => "niet ingevuld",
        Language::En => "not given",
    }
}

/// How `stats` writes CSV.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum CsvStyle {
    /// For spreadsheets, Dutch Excel first: `;` between fields (Excel with Dutch settings
    /// splits on `;`, because `,` is the decimal sign there), a UTF-8 byte order mark (without
    /// it Excel reads the file as Windows-1252 and garbles accents) and CRLF line ends.
    #[default]
    Excel,
    /// For scripts: `,` between fields, no byte order mark, LF line ends.
    Comma,
}

impl CsvStyle {
    fn separator(self) -> char {
        match self {
            CsvStyle::Excel => ';',
            CsvStyle::Comma => ',',
        }
    }

    fn line_end(self) -> &'static str {
        match self {
            CsvStyle::Excel => "\r\n",
            CsvStyle::Comma => "\n",
        }
    }
}

/// One field: quoted (with `"` doubled) when it holds the separator, a quote or a line break. A
/// label that a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a
/// carriage return; municipality names come from the relay, which is not trusted) gets a `'`
/// in front, so it stays text.
fn csv_field(text: &str, style: CsvStyle) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([style.separator(), '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// CSV with one row per (quarter, municipality, kind) that has tips: identifiers and labels,
/// in `style`.
pub fn to_csv(counts: &Counts, labels: &Labels, style: CsvStyle) -> String {
    let language = labels.language();
    let separator = style.separator().to_string();
    let line_end = style.line_end();
    let mut csv = String::new();
    if style == CsvStyle::Excel {
        csv.push('\u{FEFF}');
    }
    let header = [
        "quarter",
        "municipality_id",
        "municipality",
        "kind_id",
        "kind",
        "tips",
    ];
    csv.push_str(&header.join(&separator));
    csv.push_str(line_end);
    for ((quarter, municipality, kind), count) in &counts.by_quarter_municipality_kind {
        let row = [
            csv_field(quarter, style),
            csv_field(municipality, style),
            csv_field(&municipality_name(labels, municipality, language), style),
            csv_field(kind, style),
            csv_field(&kind_name(labels, kind, language), style),
            count.to_string(),
        ];
        csv.push_str(&row.join(&separator));
        csv.push_str(line_end);
    }
    csv
}

/// Lines of fields as CSV in `style`: a byte order mark and CRLF for Excel, every field
/// quoted and kept as text as [`to_csv`] does.
pub(crate) fn csv_lines(lines: &[Vec<String>], style: CsvStyle) -> String {
    let separator = style.separator().to_string();
    let mut csv = String::new();
    if style == CsvStyle::Excel {
        csv.push('\u{FEFF}');
    }
    for line in lines {
        let fields: Vec<String> = line.iter().map(|field| csv_field(field, style)).collect();
        csv.push_str(&fields.join(&separator));
        csv.push_str(style.line_end());
    }
    csv
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Colour-blind-safe colours (Okabe–Ito), one per kind in form order, then grey for the rest.
const KIND_COLOURS: &[&str] = &[
    "#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#999999",
];

/// An SVG chart: one horizontal bar per municipality, split by kind, over the counted period.
pub fn to_svg(counts: &Counts, labels: &Labels) -> String {
    let language = labels.language();
    // The region's municipalities in the form's order (every one, with or without tips), then
    // "other", "not given", and any the region no longer lists.
    let mut rows: Vec<String> = labels
        .region()
        .municipalities
        .iter()
        .map(|municipality| municipality.id.clone())
        .collect();
    rows.push(Municipality::OTHER.to_owned());
    rows.push(UNKNOWN.to_owned());
    let mut kinds: Vec<String> = Kind::ALL
        .iter()
        .map(|kind| kind.as_str().to_owned())
        .collect();
    kinds.push(UNKNOWN.to_owned());
    let mut per_row: BTreeMap<(String, String), u64> = BTreeMap::new();
    for ((_, municipality, kind), count) in &counts.by_quarter_municipality_kind {
        if !rows.contains(municipality) {
            rows.push(municipality.clone());
        }
        let kind = if kinds.contains(kind) {
            kind.clone()
        } else {
            UNKNOWN.to_owned()
        };
        *per_row.entry((municipality.clone(), kind)).or_default() += count;
    }
    // The bars count a tip under each of its kinds; the number after a bar counts it once.
    let bar_total = |municipality: &str| -> u64 {
        per_row
            .iter()
            .filter(|((row, _), _)| row == municipality)
            .map(|(_, count)| count)
            .sum()
    };
    let largest = rows
        .iter()
        .map(|row| bar_total(row))
        .max()
        .unwrap_or(0)
        .max(1);

    let (title, period_word, tips_word, several_kinds_note) = match language {
        Language::Nl => (
            "Meldingen per gemeente en soort uitbuiting",
            "Periode",
            "meldingen",
            "Een melding met meer soorten uitbuiting telt in de balk bij elke soort mee; het getal achter de balk telt elke melding één keer.",
        ),
        Language::En => (
            "Tips per municipality and kind of exploitation",
            "Period",
            "tips",
            "A tip naming several kinds counts in the bar under each kind; the number after the bar counts every tip once.",
        ),
    };
    let period = counts
        .period()
        .map(|(first, last)| {
            if first == last {
                first
            } else {
                format!("{first} – {last}")
            }
        })
        .unwrap_or_else(|| "—".to_owned());
    // The region's name in the title, for a report that goes beyond the coordinator's desk.
    let region = &labels.region().name;
    let title = if region.is_empty() {
        title.to_owned()
    } else {
        format!("{title} – {region}")
    };
    let title = title.as_str();
    // Wide enough for the longest municipality name ("Andere gemeente of onbekend"), at about
    // 7.5 px a character of 13 px sans-serif, with room to spare.
    let longest_label = rows
        .iter()
        .map(|municipality| {
            municipality_name(labels, municipality, language)
                .chars()
                .count()
        })
        .max()
        .unwrap_or(0);
    let label_width = (longest_label as f64 * 7.5 + 24.0).max(170.0);
    let bar_area = 480.0;
    let row_height = 26.0;
    let top = 70.0;
    let legend_top = top + row_height * rows.len() as f64 + 20.0;
    let note_lines = usize::from(counts.counts_some_tip_twice());
    let height = legend_top + 22.0 * kinds.len() as f64 + 20.0 + 22.0 * note_lines as f64;
    let width = label_width + bar_area + 80.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"13\" role=\"img\" aria-labelledby=\"title\">\n\
         <title id=\"title\">{} ({period_word} {}, {} {tips_word})</title>\n\
         <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n\
         <text x=\"10\" y=\"25\" font-size=\"17\" font-weight=\"bold\">{}</text>\n\
         <text x=\"10\" y=\"47\">{period_word}: {} · {} {tips_word}</text>\n",
        xml_escape(title),
        xml_escape(&period),
        counts.total(),
        xml_escape(title),
        xml_escape(&period),
        counts.total()
    );
    for (index, municipality) in rows.iter().enumerate() {
        let y = top + row_height * index as f64;
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
            label_width - 8.0,
            y + 17.0,
            xml_escape(&municipality_name(labels, municipality, language))
        ));
        let mut x = label_width;
        for (kind_index, kind) in kinds.iter().enumerate() {
            let count = per_row
                .get(&(municipality.clone(), kind.clone()))
                .copied()
                .unwrap_or(0);
            if count == 0 {
                continue;
            }
            let bar_width = bar_area * count as f64 / largest as f64;
            svg.push_str(&format!(
                "<rect x=\"{x:.1}\" y=\"{}\" width=\"{bar_width:.1}\" height=\"{}\" fill=\"{}\"><title>{}: {count}</title></rect>\n",
                y + 4.0,
                row_height - 8.0,
                KIND_COLOURS[kind_index.min(KIND_COLOURS.len() - 1)],
                xml_escape(&kind_name(labels, kind, language))
            ));
            x += bar_width;
        }
        let total = counts.municipality_total(municipality);
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{}\">{total}</text>\n",
            x + 6.0,
            y + 17.0
        ));
    }
    for (kind_index, kind) in kinds.iter().enumerate() {
        let y = legend_top + 22.0 * kind_index as f64;
        svg.push_str(&format!(
            "<rect x=\"{label_width}\" y=\"{y}\" width=\"14\" height=\"14\" fill=\"{}\"/>\n<text x=\"{}\" y=\"{}\">{}</text>\n",
            KIND_COLOURS[kind_index.min(KIND_COLOURS.len() - 1)],
            label_width + 22.0,
            y + 12.0,
            xml_escape(&kind_name(labels, kind, language))
        ));
    }
    if counts.counts_some_tip_twice() {
        svg.push_str(&format!(
            "<text x=\"10\" y=\"{}\" font-size=\"12\">{}</text>\n",
            legend_top + 22.0 * kinds.len() as f64 + 16.0,
            xml_escape(several_kinds_note)
        ));
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::{Region, RegionMunicipality};

    /// Labels naming two of Drenthe's municipalities and one the relay no longer lists.
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

    #[test]
    fn counts_per_quarter_municipality_and_kind() {
        let winter = 1_736_942_400; // 2025-01-15
        let summer = 1_751_371_200; // 2025-07-01
        let tips = vec![
            CountedTip {
                received_hour: winter,
                municipality: Some(Municipality::from_id("assen")),
                kinds: vec![Kind::Labour],
            },
            CountedTip {
                received_hour: winter,
                municipality: Some(Municipality::from_id("assen")),
                kinds: vec![Kind::Labour],
            },
            CountedTip {
                received_hour: summer,
                municipality: Some(Municipality::from_id("emmen")),
                kinds: Vec::new(),
            },
        ];
        let counts = Counts::count(&tips, &[]);
        assert_eq!(counts.total(), 3);
        let csv = to_csv(&counts, &labels(Language::En), CsvStyle::Comma);
        assert!(
            csv.contains("2025-Q1,assen,Assen,labour,Labour exploitation,2\n"),
            "{csv}"
        );
        assert!(
            csv.contains("2025-Q3,emmen,Emmen,unknown,not given,1\n"),
            "{csv}"
        );
        let excel = to_csv(&counts, &labels(Language::Nl), CsvStyle::Excel);
        assert!(
            excel.starts_with("\u{FEFF}quarter;municipality_id;municipality;kind_id;kind;tips\r\n"),
            "{excel}"
        );
        assert!(
            excel.contains("\r\n2025-Q1;assen;Assen;labour;Arbeidsuitbuiting;2\r\n"),
            "{excel}"
        );
        let only_summer = Counts::count(&tips, &["2025-Q3".to_owned()]);
        assert_eq!(only_summer.total(), 1);
        let svg = to_svg(&counts, &labels(Language::Nl));
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("Arbeidsuitbuiting") && svg.contains("2025-Q1 – 2025-Q3"));
        // Every municipality of the region gets a row, in the region's order, tips or not.
        let assen = svg.find(">Assen<").expect("a row for Assen");
        let meppel = svg
            .find(">Meppel<")
            .expect("a row for Meppel, without tips");
        assert!(assen < meppel, "{svg}");
        // Its label, right-aligned before the bars, starts inside the image.
        let other = "Andere gemeente of onbekend";
        let label_end = svg
            .split("<text x=\"")
            .find(|text| text.contains(&format!(">{other}<")))
            .and_then(|text| text.split('"').next())
            .and_then(|x| x.parse::<f64>().ok())
            .expect("a label for the other municipalities");
        assert!(label_end >= other.chars().count() as f64 * 7.0, "{svg}");
        assert!(
            svg.contains("Meldingen per gemeente en soort uitbuiting – Drenthe"),
            "{svg}"
        );
        assert!(!counts.counts_some_tip_twice());
        assert!(!svg.contains("telt in de balk bij elke soort mee"), "{svg}");
    }

    #[test]
    fn a_tip_with_two_kinds_counts_under_each_and_once_in_the_totals() {
        let winter = 1_736_942_400; // 2025-01-15
        let tips = vec![
            CountedTip {
                received_hour: winter,
                municipality: Some(Municipality::from_id("emmen")),
                kinds: vec![Kind::Sexual, Kind::Criminal],
            },
            CountedTip {
                received_hour: winter,
                municipality: Some(Municipality::from_id("emmen")),
                kinds: vec![Kind::Criminal],
            },
        ];
        let counts = Counts::count(&tips, &[]);
        assert_eq!(counts.total(), 2);
        assert_eq!(counts.municipality_total("emmen"), 2);
        assert!(counts.counts_some_tip_twice());
        let csv = to_csv(&counts, &labels(Language::En), CsvStyle::Comma);
        assert!(
            csv.contains("2025-Q1,emmen,Emmen,criminal,Criminal exploitation,2\n"),
            "{csv}"
        );
        assert!(
            csv.contains("2025-Q1,emmen,Emmen,sexual,Sexual exploitation,1\n"),
            "{csv}"
        );
        let svg = to_svg(&counts, &labels(Language::Nl));
        assert!(svg.contains("2 meldingen"), "{svg}");
        assert!(svg.contains("telt in de balk bij elke soort mee"), "{svg}");
        // The number after Emmen's bar is its tips (2), not the three kind mentions.
        let emmen_row = svg.split(">Emmen<").nth(1).unwrap();
        let after_bar = emmen_row
            .split("<text")
            .nth(1)
            .and_then(|text| text.split('>').nth(1))
            .and_then(|text| text.split('<').next())
            .unwrap();
        assert_eq!(after_bar, "2", "{svg}");
    }

    #[test]
    fn fields_are_quoted_and_formulas_stay_text_in_both_styles() {
        assert_eq!(csv_field("Aa en Hunze", CsvStyle::Excel), "Aa en Hunze");
        assert_eq!(csv_field("Assen; Zuid", CsvStyle::Excel), "\"Assen; Zuid\"");
        assert_eq!(csv_field("Assen; Zuid", CsvStyle::Comma), "Assen; Zuid");
        assert_eq!(csv_field("a, b", CsvStyle::Comma), "\"a, b\"");
        assert_eq!(
            csv_field("zeg \"hoi\"", CsvStyle::Excel),
            "\"zeg \"\"hoi\"\"\""
        );
        assert_eq!(
            csv_field("=HYPERLINK(\"x\";\"y\")", CsvStyle::Excel),
            "\"'=HYPERLINK(\"\"x\"\";\"\"y\"\")\""
        );
        assert_eq!(csv_field("@SUM(A1)", CsvStyle::Comma), "'@SUM(A1)");
    }
}
