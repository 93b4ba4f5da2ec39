//! `embed-snippet`: the `<script>` tag a municipality puts on its page, with the loader pinned by
//! its hash (`integrity`) and the readers pinned by the fingerprint of the coordinator's own set
//! (`data-recipients`). A widget embedded with it seals nothing while the relay lists any other
//! set of keys: a reader added to the relay's configuration reads no tip from that page.
//!
//! The loader is fetched from the relay twice, as `/embed.js` and under its versioned name
//! (`/w/embed-<first 16 hex digits of its SHA-256>.js`, which never changes), and both must be the
//! same bytes. What the relay serves inside the frame is not pinned by this tag: that is what
//! `verify-widget` and the published hashes are for.

use base64::Engine as _;
use fluister_envelope::pin;
use sha2::{Digest, Sha256, Sha384};

use super::Settings;
use crate::error::{Error, Result};
use crate::msg;
use crate::recipients::RecipientSet;
use crate::relay::{Connection, RelayClient};

/// The largest loader accepted (it is a few KiB).
const LOADER_LIMIT: u64 = 256 * 1024;

/// What the tag may preset besides the pins.
#[derive(Debug)]
pub struct SnippetOptions<'a> {
    /// The municipality to preselect (`data-municipality`), checked against the relay's list.
    pub municipality: Option<&'a str>,
    /// The language the form starts in (`data-lang`).
    pub language: Option<&'a str>,
}

/// The languages the form speaks, for `data-lang`.
const FORM_LANGUAGES: &[&str] = &["nl", "en", "pl", "ro", "bg", "uk", "es", "ar"];

/// Prints the tag on standard output and what it pins on standard error.
pub fn run(settings: &Settings, options: &SnippetOptions<'_>) -> Result<()> {
    let client = RelayClient::new(&Connection::load(&settings.home)?);
    let set = RecipientSet::load(&settings.home, settings.language)?;
    if set.entries().is_empty() {
        return Err(Error::NotSetUp(msg!("embed.no_own_set")));
    }
    let config = client.config()?;
    // The tag pins the own set; a relay that seals to another set would make every page with
    // this tag refuse to send, so say what differs before a webmaster ever sees the tag.
    let differences = set.compare_with_relay(&config.recipients, settings.language);
    if !differences.is_empty() {
        let mut text = msg!("embed.sets_differ");
        for difference in differences {
            text.push_str("\n  - ");
            text.push_str(&difference);
        }
        return Err(Error::NotSetUp(text));
    }
    if let Some(municipality) = options.municipality
        && !config
            .municipalities
            .iter()
            .any(|listed| listed.id == municipality)
    {
        let known: Vec<&str> = config
            .municipalities
            .iter()
            .map(|listed| listed.id.as_str())
            .collect();
        return Err(Error::Usage(msg!(
            "embed.unknown_municipality",
            municipality = crate::render::sanitise(municipality, false),
            known = known.join(", ")
        )));
    }
    if let Some(language) = options.language
        && !FORM_LANGUAGES.contains(&language)
    {
        return Err(Error::Usage(msg!(
            "embed.unknown_language",
            language = crate::render::sanitise(language, false),
            known = FORM_LANGUAGES.join(", ")
        )));
    }
    let loader = versioned_loader(&client)?;
    let keys: Vec<String> = set
        .entries()
        .iter()
        .map(|entry| entry.recipient.to_string())
        .collect();
    let fingerprint = pin::set_fingerprint(keys.iter().map(String::as_str));
    println!(
        "{}",
        snippet(
            client.relay_url(),
            &loader,
            &fingerprint,
            options.municipality,
            options.language
        )
    );
    eprintln!();
    eprintln!("{}", msg!("embed.pins_heading"));
    for entry in set.entries() {
        let recipient = entry.recipient.to_string();
        eprintln!(
            "  {}  {}",
            pin::key_fingerprint(&recipient),
            crate::render::sanitise(&entry.name, false)
        );
    }
    eprintln!("{}", msg!("embed.explain"));
    Ok(())
}

/// The loader as the relay serves it: its versioned path and its `integrity` value.
struct Loader {
    path: String,
    integrity: String,
}

/// Fetches `/embed.js` and the same bytes under their versioned name.
fn versioned_loader(client: &RelayClient) -> Result<Loader> {
    let (status, loader) = client.public_get("/embed.js", LOADER_LIMIT)?;
    if status != 200 {
        return Err(Error::Relay(msg!("embed.no_loader", status = status)));
    }
    let digest = Sha256::digest(&loader);
    let short: String = digest[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let path = format!("/w/embed-{short}.js");
    let (status, versioned) = client.public_get(&path, LOADER_LIMIT)?;
    if status != 200 || versioned != loader {
        return Err(Error::Relay(msg!("embed.no_versioned_loader", path = path)));
    }
    let integrity = format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha384::digest(&loader))
    );
    Ok(Loader { path, integrity })
}

/// The tag. Every value in it is an address, a hash or an identifier checked above, so none
/// needs escaping beyond what `attribute` does anyway.
fn snippet(
    relay_url: &str,
    loader: &Loader,
    fingerprint: &str,
    municipality: Option<&str>,
    language: Option<&str>,
) -> String {
    let mut tag = format!(
        "<script src=\"{}{}\"\n        integrity=\"{}\"\n        crossorigin=\"anonymous\"\n        data-recipients=\"{}\"",
        attribute(relay_url),
        attribute(&loader.path),
        attribute(&loader.integrity),
        attribute(fingerprint)
    );
    if let Some(municipality) = municipality {
        tag.push_str(&format!(
            "\n        data-municipality=\"{}\"",
            attribute(municipality)
        ));
    }
    if let Some(language) = language {
        tag.push_str(&format!("\n        data-lang=\"{}\"", attribute(language)));
    }
    tag.push_str("\n        async></script>");
    tag
}

/// `text` safe inside a double-quoted HTML attribute.
fn attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tag_pins_the_loader_and_the_readers_and_escapes_what_it_quotes() {
        let loader = Loader {
            path: "/w/embed-0123456789abcdef.js".into(),
            integrity: "sha384-abc+/=".into(),
        };
        let tag = snippet(
            "https://meldpunt.example.nl",
            &loader,
            "fp1-x",
            Some("assen"),
            Some("pl"),
        );
        assert!(tag.starts_with(
            "<script src=\"https://meldpunt.example.nl/w/embed-0123456789abcdef.js\""
        ));
        for part in [
            "integrity=\"sha384-abc+/=\"",
            "crossorigin=\"anonymous\"",
            "data-recipients=\"fp1-x\"",
            "data-municipality=\"assen\"",
            "data-lang=\"pl\"",
        ] {
            assert!(tag.contains(part), "{part} in {tag}");
        }
        assert!(tag.ends_with("async></script>"));
        let bare = snippet("https://a.example", &loader, "fp1-x", None, None);
        assert!(!bare.contains("data-municipality") && !bare.contains("data-lang"));
        assert_eq!(attribute("\"><script>&"), "&quot;&gt;&lt;script&gt;&amp;");
    }
}
