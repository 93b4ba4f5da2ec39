//! HTML built so that nothing can be forgotten to escape.
//!
//! A page is an [`Html`] buffer with two ways in: [`Html::markup`], which takes only
//! `&'static str` (markup written in this crate's source), and [`Html::text`] /
//! [`Html::multi_line_text`], which take any string and always escape it, after replacing
//! control and bidirectional-override characters as [`render::sanitise`] does for the terminal.
//! A string that came from a tip, a note, a file name or a request cannot reach the page any
//! other way, because it is never `'static`. Attribute values go through the same escaping
//! (quotes included), and every attribute in our markup is double-quoted.
//!
//! Why not a template engine: a compile-time one (askama, maud) would add a proc-macro crate and
//! a template language for five small pages; this is one short module with no dependency, the
//! escaping rule is enforced by the type system rather than by a template's syntax, and a page
//! renders by appending to one `String` (10 000 rows in a few milliseconds; see
//! `benches/inbox.rs`).

use crate::render;

/// A page or fragment being written. See the module documentation for the escaping rule.
#[derive(Debug, Default)]
pub struct Html {
    buffer: String,
}

impl Html {
    /// An empty buffer with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            buffer: String::with_capacity(capacity),
        }
    }

    /// Appends markup written in this crate's source, unescaped.
    pub fn markup(&mut self, markup: &'static str) -> &mut Self {
        self.buffer.push_str(markup);
        self
    }

    /// Appends `text` escaped, on one line: control and bidirectional-override characters are
    /// replaced (newlines too).
    pub fn text(&mut self, text: &str) -> &mut Self {
        escape_into(&mut self.buffer, &render::sanitise(text, false));
        self
    }

    /// Appends `text` escaped, keeping newlines and tabs (for text shown with
    /// `white-space: pre-wrap`); other control and bidirectional-override characters are replaced.
    pub fn multi_line_text(&mut self, text: &str) -> &mut Self {
        escape_into(&mut self.buffer, &render::sanitise(text, true));
        self
    }

    /// Appends a number.
    pub fn number(&mut self, number: impl Into<u64>) -> &mut Self {
        use std::fmt::Write as _;
        let _ = write!(self.buffer, "{}", number.into());
        self
    }

    /// Appends another fragment.
    pub fn fragment(&mut self, fragment: Html) -> &mut Self {
        self.buffer.push_str(&fragment.buffer);
        self
    }

    /// The finished HTML.
    pub fn into_string(self) -> String {
        self.buffer
    }
}

/// Escapes the five characters that matter in HTML text and double-quoted attribute values.
fn escape_into(buffer: &mut String, text: &str) {
    for character in text.chars() {
        match character {
            '&' => buffer.push_str("&amp;"),
            '<' => buffer.push_str("&lt;"),
            '>' => buffer.push_str("&gt;"),
            '"' => buffer.push_str("&quot;"),
            '\'' => buffer.push_str("&#39;"),
            other => buffer.push(other),
        }
    }
}

/// `text` percent-encoded for a URL's query value (everything but unreserved characters).
pub fn query_value(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_cleaned_of_controls() {
        let mut html = Html::default();
        html.markup("<p title=\"")
            .text("\"><script>alert('x')</script>")
            .markup("\">")
            .text("a\u{202E}b\nc")
            .markup("</p><pre>")
            .multi_line_text("line 1\nline 2 & <b>\u{1b}[31m")
            .markup("</pre>");
        assert_eq!(
            html.into_string(),
            "<p title=\"&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;\">\
             a\u{FFFD}b\u{FFFD}c</p><pre>line 1\nline 2 &amp; &lt;b&gt;\u{FFFD}[31m</pre>"
        );
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(query_value("aa-en-hunze"), "aa-en-hunze");
        assert_eq!(query_value("a&b=c d"), "a%26b%3Dc+d");
    }
}
