//! The case file as a PDF (`export --format pdf`), written by hand: a few hundred lines instead
//! of a PDF crate. A4 pages in the standard Helvetica (regular, bold, oblique), which every PDF
//! reader has, with WinAnsiEncoding, so Dutch accents (ë, é, ï) come out right without
//! embedding a font. Lines are wrapped by the fonts' real widths and pages break where they are
//! full; every page has a footer with its number.
//!
//! Everything a reporter typed is untrusted: it goes into the PDF only inside string objects,
//! where `(`, `)` and `\` are escaped and every byte outside printable ASCII is written as an
//! octal escape, so no text can end a string or add PDF operators. A character WinAnsiEncoding
//! does not have (Cyrillic, Arabic, emoji) is replaced by `?`, and the file then says so at the
//! end; the Markdown and JSON case files keep the full text.

use std::fmt::Write as _;

use crate::render::{CaseFileBlock, CaseFileValue};
use crate::vocabulary::Language;

/// A4, in PDF points (1/72 inch).
pub(crate) const PAGE_WIDTH: f64 = 595.28;
pub(crate) const PAGE_HEIGHT: f64 = 841.89;
/// 2 cm margins; the bottom one leaves room for the footer.
pub(crate) const MARGIN_LEFT: f64 = 56.69;
pub(crate) const MARGIN_RIGHT: f64 = 56.69;
pub(crate) const MARGIN_TOP: f64 = 56.69;
pub(crate) const MARGIN_BOTTOM: f64 = 70.0;
pub(crate) const FOOTER_BASELINE: f64 = 36.0;
/// The width of a field's name column, and of the indent of list items and the reporter's text.
const NAME_COLUMN: f64 = 140.0;
const INDENT: f64 = 14.0;
pub(crate) const BODY_SIZE: f64 = 10.0;

/// The three faces of the standard Helvetica the case file uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Face {
    Regular,
    Bold,
    Oblique,
}

impl Face {
    /// The font's resource name in the page's resources.
    fn resource(self) -> &'static str {
        match self {
            Face::Regular => "F1",
            Face::Bold => "F2",
            Face::Oblique => "F3",
        }
    }

    /// The advance width of WinAnsi byte `byte`, in 1/1000 of the font size (Adobe's metrics;
    /// the oblique face has the regular one's).
    fn width(self, byte: u8) -> u16 {
        let table = match self {
            Face::Bold => &HELVETICA_BOLD_WIDTHS,
            Face::Regular | Face::Oblique => &HELVETICA_WIDTHS,
        };
        if byte < 32 {
            278
        } else {
            table[usize::from(byte - 32)]
        }
    }

    /// The width of `text` in 1/1000 of the font size.
    fn units(self, text: &[u8]) -> u32 {
        text.iter().map(|&byte| u32::from(self.width(byte))).sum()
    }

    /// The width of `text` at `size` points.
    pub(crate) fn text_width(self, text: &[u8], size: f64) -> f64 {
        f64::from(self.units(text)) * size / 1000.0
    }
}

/// Helvetica's widths for WinAnsi bytes 32 to 255 (Adobe Font Metrics).
const HELVETICA_WIDTHS: [u16; 224] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
    350, 556, 350, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 350, 611, 350, 350,
    222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 350, 500, 667, 278, 333, 556,
    556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333, 400, 584, 333, 333, 333, 556,
    537, 278, 333, 333, 365, 556, 834, 834, 834, 611, 667, 667, 667, 667, 667, 667, 1000, 722, 667,
    667, 667, 667, 278, 278, 278, 278, 722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722,
    722, 667, 667, 611, 556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278,
    278, 556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500,
];

/// Helvetica-Bold's widths for WinAnsi bytes 32 to 255 (Adobe Font Metrics).
const HELVETICA_BOLD_WIDTHS: [u16; 224] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667,
    611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556,
    278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
    350, 556, 350, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 350, 611, 350, 350,
    278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 350, 500, 667, 278, 333, 556,
    556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333, 400, 584, 333, 333, 333, 611,
    556, 278, 333, 333, 365, 556, 834, 834, 834, 611, 722, 722, 722, 722, 722, 722, 1000, 722, 667,
    667, 667, 667, 278, 278, 278, 278, 722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722,
    722, 667, 667, 611, 556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278,
    278, 611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556,
];

/// The WinAnsi (Windows-1252) byte of the characters in 0x80–0x9F; the rest of 0xA0–0xFF is
/// Latin-1, the same as Unicode.
const WIN_ANSI_HIGH: [(char, u8); 27] = [
    ('€', 0x80),
    ('‚', 0x82),
    ('ƒ', 0x83),
    ('„', 0x84),
    ('…', 0x85),
    ('†', 0x86),
    ('‡', 0x87),
    ('ˆ', 0x88),
    ('‰', 0x89),
    ('Š', 0x8A),
    ('‹', 0x8B),
    ('Œ', 0x8C),
    ('Ž', 0x8E),
    ('‘', 0x91),
    ('’', 0x92),
    ('“', 0x93),
    ('”', 0x94),
    ('•', 0x95),
    ('–', 0x96),
    ('—', 0x97),
    ('˜', 0x98),
    ('™', 0x99),
    ('š', 0x9A),
    ('›', 0x9B),
    ('œ', 0x9C),
    ('ž', 0x9E),
    ('Ÿ', 0x9F),
];

/// `text` in WinAnsiEncoding: a tab becomes four spaces, other control characters are left
/// out, and a character the encoding lacks becomes `?` (and sets `replaced`).
pub(crate) fn win_ansi(text: &str, replaced: &mut bool) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '\t' => bytes.extend_from_slice(b"    "),
            ' '..='~' => bytes.push(character as u8),
            '\u{A0}'..='\u{FF}' => bytes.push(character as u32 as u8),
            character if character.is_control() => {}
            character => match WIN_ANSI_HIGH.iter().find(|(known, _)| *known == character) {
                Some((_, byte)) => bytes.push(*byte),
                None => {
                    bytes.push(b'?');
                    *replaced = true;
                }
            },
        }
    }
    bytes
}

/// `text` as the inside of a PDF literal string: `(`, `)` and `\` escaped, every byte outside
/// printable ASCII as a three-digit octal escape. The result is plain ASCII.
pub(crate) fn pdf_string(text: &[u8]) -> String {
    let mut escaped = String::with_capacity(text.len() + 8);
    for &byte in text {
        match byte {
            b'(' | b')' | b'\\' => {
                escaped.push('\\');
                escaped.push(byte as char);
            }
            0x20..=0x7E => escaped.push(byte as char),
            _ => {
                let _ = write!(escaped, "\\{byte:03o}");
            }
        }
    }
    escaped
}

/// Splits `text` into lines no wider than `width` at `size` points, at spaces where it can and
/// inside a word only where a word alone is wider than a line.
pub(crate) fn wrap(text: &[u8], face: Face, size: f64, width: f64) -> Vec<Vec<u8>> {
    let fits = |units: u32| f64::from(units) * size / 1000.0 <= width;
    let mut lines = Vec::new();
    let mut line: Vec<u8> = Vec::new();
    let mut line_units = 0;
    for word in text.split(|&byte| byte == b' ') {
        let word_units = face.units(word);
        let candidate_units = if line.is_empty() {
            word_units
        } else {
            line_units + face.units(b" ") + word_units
        };
        if fits(candidate_units) {
            if !line.is_empty() {
                line.push(b' ');
            }
            line.extend_from_slice(word);
            line_units = candidate_units;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        // The word alone: cut it where it overflows.
        line_units = 0;
        for &byte in word {
            let byte_units = face.units(&[byte]);
            if !line.is_empty() && !fits(line_units + byte_units) {
                lines.push(std::mem::take(&mut line));
                line_units = 0;
            }
            line.push(byte);
            line_units += byte_units;
        }
    }
    lines.push(line);
    lines
}

/// The pages being filled: one content stream each, and where the next line goes.
pub(crate) struct Pages {
    pub(crate) streams: Vec<String>,
    /// The baseline of the next line, from the bottom of the page.
    pub(crate) cursor: f64,
    /// Whether a character was replaced by `?`.
    pub(crate) replaced: bool,
}

impl Pages {
    pub(crate) fn new() -> Self {
        Self {
            streams: vec![String::new()],
            cursor: PAGE_HEIGHT - MARGIN_TOP,
            replaced: false,
        }
    }

    /// Moves down by `height`, starting a new page when the line would not fit.
    pub(crate) fn advance(&mut self, height: f64) -> f64 {
        if self.cursor - height < MARGIN_BOTTOM {
            self.streams.push(String::new());
            self.cursor = PAGE_HEIGHT - MARGIN_TOP;
        }
        self.cursor -= height;
        self.cursor
    }

    /// Leaves `height` of white space (not at the top of a page).
    pub(crate) fn space(&mut self, height: f64) {
        if self.cursor < PAGE_HEIGHT - MARGIN_TOP {
            self.cursor -= height;
        }
    }

    pub(crate) fn show(&mut self, x: f64, y: f64, face: Face, size: f64, text: &[u8]) {
        let stream = self.streams.last_mut().expect("there is always a page");
        let _ = writeln!(
            stream,
            "BT /{} {size:.1} Tf {x:.2} {y:.2} Td ({}) Tj ET",
            face.resource(),
            pdf_string(text)
        );
    }

    /// Fills a rectangle with the colour `rgb` (each 0 to 1), its lower left corner at (`x`,
    /// `y`), with PDF path operators (`re`, `f`); the colour goes back to black afterwards.
    pub(crate) fn rectangle(&mut self, x: f64, y: f64, width: f64, height: f64, rgb: [f64; 3]) {
        let stream = self.streams.last_mut().expect("there is always a page");
        let _ = writeln!(
            stream,
            "{:.3} {:.3} {:.3} rg {x:.2} {y:.2} {width:.2} {height:.2} re f 0 g",
            rgb[0], rgb[1], rgb[2]
        );
    }

    /// Draws a thin grey line from (`x1`, `y1`) to (`x2`, `y2`) (`m`, `l`, `S`).
    pub(crate) fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64)) {
        let stream = self.streams.last_mut().expect("there is always a page");
        let _ = writeln!(
            stream,
            "0.6 G 0.5 w {x1:.2} {y1:.2} m {x2:.2} {y2:.2} l S 0 G"
        );
    }

    /// Writes `text` wrapped into the column from `x` to the right margin.
    pub(crate) fn paragraph(&mut self, text: &str, face: Face, size: f64, x: f64) {
        let bytes = win_ansi(text, &mut self.replaced);
        for line in wrap(&bytes, face, size, PAGE_WIDTH - MARGIN_RIGHT - x) {
            let y = self.advance(size * 1.4);
            self.show(x, y, face, size, &line);
        }
    }

    /// A fact: its name in bold in the left column, the value wrapped in the right one.
    fn field(&mut self, name: &str, value: &str, face: Face) {
        let name = win_ansi(&format!("{name}:"), &mut self.replaced);
        let value = win_ansi(value, &mut self.replaced);
        let name_lines = wrap(&name, Face::Bold, BODY_SIZE, NAME_COLUMN - 8.0);
        let value_x = MARGIN_LEFT + NAME_COLUMN;
        let value_lines = wrap(&value, face, BODY_SIZE, PAGE_WIDTH - MARGIN_RIGHT - value_x);
        for index in 0..name_lines.len().max(value_lines.len()) {
            let y = self.advance(BODY_SIZE * 1.4);
            if let Some(line) = name_lines.get(index) {
                self.show(MARGIN_LEFT, y, Face::Bold, BODY_SIZE, line);
            }
            if let Some(line) = value_lines.get(index) {
                self.show(value_x, y, face, BODY_SIZE, line);
            }
        }
    }

    /// A list item with a bullet and a hanging indent.
    fn item(&mut self, text: &str) {
        let bytes = win_ansi(text, &mut self.replaced);
        let x = MARGIN_LEFT + INDENT;
        for (index, line) in wrap(
            &bytes,
            Face::Regular,
            BODY_SIZE,
            PAGE_WIDTH - MARGIN_RIGHT - x,
        )
        .iter()
        .enumerate()
        {
            let y = self.advance(BODY_SIZE * 1.4);
            if index == 0 {
                self.show(MARGIN_LEFT + 4.0, y, Face::Regular, BODY_SIZE, &[0x95]);
            }
            self.show(x, y, Face::Regular, BODY_SIZE, line);
        }
    }
}

/// The words of the footer and of the note on replaced characters.
fn footer(language: Language, page: usize, page_count: usize) -> String {
    match language {
        Language::Nl => format!(
            "Dossier, niet versleuteld: veilig overdragen en daarna wissen · pagina {page} van {page_count}"
        ),
        Language::En => format!(
            "Case file, not encrypted: hand it over safely, then delete it · page {page} of {page_count}"
        ),
    }
}

fn replaced_characters_note(language: Language) -> &'static str {
    match language {
        Language::Nl => {
            "Tekens die deze PDF niet kan weergeven, zijn vervangen door ?. Het Markdown- of \
             JSON-dossier (export --format markdown of json) bevat de volledige tekst."
        }
        Language::En => {
            "Characters this PDF cannot show are replaced by ?. The Markdown or JSON case file \
             (export --format markdown or json) holds the full text."
        }
    }
}

/// The PDF file of a case file's `blocks`, with its footer in `language`.
pub fn case_file_pdf(blocks: &[CaseFileBlock], language: Language) -> Vec<u8> {
    let mut pages = Pages::new();
    for block in blocks {
        match block {
            CaseFileBlock::Title(title) => {
                pages.paragraph(title, Face::Bold, 15.0, MARGIN_LEFT);
                pages.space(10.0);
            }
            CaseFileBlock::Field {
                name,
                value,
                remark,
            } => {
                let (text, face) = match value {
                    CaseFileValue::Text(text) => (text.clone(), Face::Regular),
                    CaseFileValue::Placeholder(text) => (text.clone(), Face::Oblique),
                };
                let text = match remark {
                    Some(remark) => format!("{text} ({remark})"),
                    None => text,
                };
                pages.field(name, &text, face);
            }
            CaseFileBlock::Heading(heading) => {
                pages.space(12.0);
                pages.paragraph(heading, Face::Bold, 12.5, MARGIN_LEFT);
                pages.space(3.0);
            }
            CaseFileBlock::Group { label, items } => {
                pages.paragraph(label, Face::Bold, BODY_SIZE, MARGIN_LEFT);
                for item in items {
                    pages.item(item);
                }
                pages.space(5.0);
            }
            CaseFileBlock::Line(line) => {
                pages.paragraph(line, Face::Regular, BODY_SIZE, MARGIN_LEFT)
            }
            CaseFileBlock::Placeholder(text) => {
                pages.paragraph(text, Face::Oblique, BODY_SIZE, MARGIN_LEFT)
            }
            CaseFileBlock::ReporterText(text) => {
                for line in text.lines() {
                    if line.trim().is_empty() {
                        pages.advance(BODY_SIZE * 1.4);
                    } else {
                        pages.paragraph(line, Face::Regular, BODY_SIZE, MARGIN_LEFT + INDENT);
                    }
                }
            }
            CaseFileBlock::Note { date, text } => pages.item(&format!("{date}: {text}")),
        }
    }
    if pages.replaced {
        pages.space(14.0);
        pages.paragraph(
            replaced_characters_note(language),
            Face::Oblique,
            8.5,
            MARGIN_LEFT,
        );
    }
    let page_count = pages.streams.len();
    let mut replaced_in_footer = false;
    for (index, stream) in pages.streams.iter_mut().enumerate() {
        let text = win_ansi(
            &footer(language, index + 1, page_count),
            &mut replaced_in_footer,
        );
        let _ = writeln!(
            stream,
            "0.35 g BT /F1 8.0 Tf {MARGIN_LEFT:.2} {FOOTER_BASELINE:.2} Td ({}) Tj ET 0 g",
            pdf_string(&text)
        );
    }
    assemble(&pages.streams)
}

/// The PDF file around the pages' content streams: catalog, page tree, the three standard
/// fonts, a page and a content stream per page, the cross-reference table and the trailer. No
/// document information (no dates, no producer): nothing about where or when it was made.
pub(crate) fn assemble(streams: &[String]) -> Vec<u8> {
    const FIRST_PAGE_OBJECT: usize = 6;
    let page_objects: Vec<usize> = (0..streams.len())
        .map(|index| FIRST_PAGE_OBJECT + 2 * index)
        .collect();
    let mut objects: Vec<String> = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            page_objects
                .iter()
                .map(|object| format!("{object} 0 R"))
                .collect::<Vec<_>>()
                .join(" "),
            streams.len()
        ),
    ];
    for font in ["Helvetica", "Helvetica-Bold", "Helvetica-Oblique"] {
        objects.push(format!(
            "<< /Type /Font /Subtype /Type1 /BaseFont /{font} /Encoding /WinAnsiEncoding >>"
        ));
    }
    for (index, stream) in streams.iter().enumerate() {
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] \
             /Resources << /Font << /F1 3 0 R /F2 4 0 R /F3 5 0 R >> >> /Contents {} 0 R >>",
            page_objects[index] + 1
        ));
        objects.push(format!(
            "<< /Length {} >>\nstream\n{stream}endstream",
            stream.len()
        ));
    }
    let mut file: Vec<u8> = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (index, object) in objects.iter().enumerate() {
        offsets.push(file.len());
        file.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", index + 1).as_bytes());
    }
    let cross_reference = file.len();
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        let _ = writeln!(table, "{offset:010} 00000 n ");
    }
    let _ = write!(
        table,
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{cross_reference}\n%%EOF\n",
        objects.len() + 1
    );
    file.extend_from_slice(table.as_bytes());
    file
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dutch_accents_are_win_ansi_and_the_rest_is_replaced_visibly() {
        let mut replaced = false;
        assert_eq!(
            win_ansi("Drieën één €5 – ‘x’", &mut replaced),
            b"Drie\xEBn \xE9\xE9n \x805 \x96 \x91x\x92"
        );
        assert!(!replaced);
        assert_eq!(
            win_ansi("Київ\u{1b}[2J\tok", &mut replaced),
            b"????[2J    ok"
        );
        assert!(replaced);
    }

    #[test]
    fn reporter_text_cannot_leave_its_string() {
        let hostile = win_ansi(") Tj ET BT /F1 99 Tf (\\ \u{e9}\n", &mut false);
        let escaped = pdf_string(&hostile);
        assert_eq!(escaped, "\\) Tj ET BT /F1 99 Tf \\(\\\\ \\351");
        assert!(escaped.is_ascii());
        // Every ( and ) left in the string is escaped.
        let bytes = escaped.as_bytes();
        for (index, &byte) in bytes.iter().enumerate() {
            if byte == b'(' || byte == b')' {
                assert_eq!(bytes[index - 1], b'\\', "{escaped}");
            }
        }
    }

    #[test]
    fn lines_are_wrapped_to_the_column_and_long_words_cut() {
        let text = b"aaaa bbbb cccc dddd";
        let width = Face::Regular.text_width(b"aaaa bbbb", 10.0);
        let lines = wrap(text, Face::Regular, 10.0, width);
        assert_eq!(lines, vec![b"aaaa bbbb".to_vec(), b"cccc dddd".to_vec()]);
        let long = [b'W'; 200];
        for line in wrap(&long, Face::Bold, 10.0, 100.0) {
            assert!(Face::Bold.text_width(&line, 10.0) <= 100.0);
        }
        assert_eq!(
            wrap(b"", Face::Regular, 10.0, 100.0),
            vec![Vec::<u8>::new()]
        );
    }

    #[test]
    fn the_cross_reference_table_points_at_every_object() {
        let blocks: Vec<CaseFileBlock> = (0..60)
            .map(|index| CaseFileBlock::Line(format!("regel {index}")))
            .collect();
        let pdf = case_file_pdf(&blocks, Language::Nl);
        let header = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n";
        assert!(pdf.starts_with(header));
        // Everything after the binary comment is ASCII; offsets count from the file's start.
        let text = std::str::from_utf8(&pdf[header.len()..]).expect("ASCII after the header");
        let at = |offset: usize| &text[offset - header.len()..];
        assert!(text.ends_with("%%EOF\n"));
        let start: usize = text
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(at(start).starts_with("xref\n"));
        let entries: Vec<&str> = at(start)
            .lines()
            .skip(3)
            .take_while(|line| !line.starts_with("trailer"))
            .collect();
        assert_eq!(entries.len(), 5 + 2 * 2);
        for (index, entry) in entries.iter().enumerate() {
            let offset: usize = entry[..10].parse().unwrap();
            assert!(
                at(offset).starts_with(&format!("{} 0 obj\n", index + 1)),
                "object {}",
                index + 1
            );
        }
        assert!(text.contains("/Count 2 "), "60 lines need two pages");
    }
}
