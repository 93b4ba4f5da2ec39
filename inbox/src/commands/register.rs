//! `register`: a signal that came in through another channel (a phone call, the ZVHD, the
//! police, the GGD, the municipality), written down by the coordinator with the same fields a
//! tip has and its source, and stored exactly like a pulled tip: sealed to the own set, in
//! `tips/NNNNNN-HOUR-ID.age` under a fresh random id, so `list`, `show`, `stats`, `export` and the
//! workspace treat it as any case.
//!
//! In a team the other members do not get it: the relay never sees it, and `pull` syncs only
//! what the relay holds.

use std::collections::HashSet;
use std::io::Read as _;
use std::path::Path;
use std::sync::Mutex;

use fluister_envelope::age;
use fluister_envelope::tip::vocabulary::{Kind, Municipality, Role, signals};
use fluister_envelope::tip::{
    MAX_CONTACT_CHARS, MAX_DOCUMENT_BYTES, MAX_PLACE_CHARS, MAX_TEXT_CHARS, MAX_WHEN_TEXT_CHARS,
    Source, TipDocument, When,
};
use serde_json::Value;

use super::Settings;
use crate::error::{Error, Result};
use crate::home::{InboxHome, remove_leftover_parts, sync_directory};
use crate::keys::UnlockedKeys;
use crate::msg_in;
use crate::recipients::RecipientSet;
use crate::region::Region;
use crate::store;
use crate::team::Team;
use crate::vocabulary::Language;

/// The fields of a signal as typed on the command line or in the workspace's form, before they
/// are checked. Empty strings count as not given.
#[derive(Clone, Debug, Default)]
pub struct SignalFields {
    /// The channel: `phone`, `zvhd`, `police`, `ggd`, `municipality`, `other` (or its Dutch or
    /// English word).
    pub source: Option<String>,
    /// A kind's identifier (`labour`).
    pub kind: Option<String>,
    /// A role's identifier (`professional`).
    pub role: Option<String>,
    /// A municipality of the region, by identifier or name, or `other`.
    pub municipality: Option<String>,
    /// Signal identifiers (`labour.very_long_days`).
    pub signals: Vec<String>,
    /// A date, `YYYY-MM-DD`.
    pub date: Option<String>,
    /// Whether it is still going on.
    pub ongoing: bool,
    /// When, in words ("every weekend").
    pub when_text: Option<String>,
    /// Where, in words.
    pub place: Option<String>,
    /// What happened.
    pub text: Option<String>,
    /// How the person who told it can be reached.
    pub contact: Option<String>,
}

/// The Dutch or English word for a channel.
pub fn source_label(source: Source, language: Language) -> &'static str {
    match (source, language) {
        (Source::Phone, Language::Nl) => "telefoon",
        (Source::Zvhd, Language::Nl) => "ZVHD",
        (Source::Police, Language::Nl) => "politie",
        (Source::Ggd, Language::Nl) => "GGD",
        (Source::Municipality, Language::Nl) => "gemeente",
        (Source::Other, Language::Nl) => "ander kanaal",
        (Source::Phone, Language::En) => "phone",
        (Source::Zvhd, Language::En) => "ZVHD",
        (Source::Police, Language::En) => "police",
        (Source::Ggd, Language::En) => "GGD",
        (Source::Municipality, Language::En) => "municipality",
        (Source::Other, Language::En) => "other channel",
    }
}

/// The channel `text` names: its identifier, or its Dutch or English word, in any case.
pub fn parse_source(text: &str) -> Option<Source> {
    let wanted = text.trim().to_lowercase();
    let aliases = |source: Source| -> &'static [&'static str] {
        match source {
            Source::Phone => &["telefoon", "telefonisch", "tel"],
            Source::Police => &["politie"],
            Source::Municipality => &["gemeente"],
            Source::Other => &["anders", "ander", "ander kanaal", "other channel"],
            Source::Zvhd | Source::Ggd => &[],
        }
    };
    Source::ALL.into_iter().find(|source| {
        wanted == source.id()
            || [Language::Nl, Language::En]
                .into_iter()
                .any(|language| wanted == source_label(*source, language).to_lowercase())
            || aliases(*source).contains(&wanted.as_str())
    })
}

/// Every channel's identifier, for a refusal.
fn source_choices() -> String {
    Source::ALL
        .iter()
        .map(|source| source.id())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `value` trimmed, or `None` when it is empty.
fn given(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
}

/// A refusal if `text` is longer than `limit` characters.
fn check_length(language: Language, field: &str, text: &str, limit: usize) -> Result<()> {
    if text.chars().count() > limit {
        return Err(Error::Usage(msg_in!(
            language,
            "register.too_long",
            field = field,
            limit = limit
        )));
    }
    Ok(())
}

/// Checks `fields` and makes the tip document, with every refusal a sentence in `language`
/// that names the field and what it accepts. Municipalities are checked against `region` (any
/// well-formed identifier before the first `pull` has fetched it).
pub fn document_from_fields(
    fields: &SignalFields,
    region: &Region,
    language: Language,
) -> Result<TipDocument> {
    let refuse = |message: String| Err(Error::Usage(message));
    let Some(source_text) = given(fields.source.as_deref()) else {
        return refuse(msg_in!(
            language,
            "register.source_missing",
            choices = source_choices()
        ));
    };
    let Some(source) = parse_source(&source_text) else {
        return refuse(msg_in!(
            language,
            "register.source_unknown",
            value = crate::render::sanitise(&source_text, false),
            choices = source_choices()
        ));
    };
    let Some(text) = given(fields.text.as_deref()) else {
        return refuse(msg_in!(language, "register.text_missing"));
    };
    check_length(language, "text", &text, MAX_TEXT_CHARS)?;
    let mut document = TipDocument::new(text);
    document.source = Some(source);
    // Several kinds are separated by commas: `sexual,criminal`.
    if let Some(kinds) = given(fields.kind.as_deref()) {
        for kind in kinds
            .split(',')
            .map(str::trim)
            .filter(|kind| !kind.is_empty())
        {
            let Some(known) = Kind::ALL.iter().find(|known| known.as_str() == kind) else {
                let choices: Vec<&str> = Kind::ALL.iter().map(Kind::as_str).collect();
                return refuse(msg_in!(
                    language,
                    "register.kind_unknown",
                    value = crate::render::sanitise(kind, false),
                    choices = choices.join(", ")
                ));
            };
            if !document.kinds.contains(known) {
                document.kinds.push(known.clone());
            }
        }
    }
    if let Some(role) = given(fields.role.as_deref()) {
        let Some(known) = Role::ALL.iter().find(|known| known.as_str() == role) else {
            let choices: Vec<&str> = Role::ALL.iter().map(Role::as_str).collect();
            return refuse(msg_in!(
                language,
                "register.role_unknown",
                value = crate::render::sanitise(&role, false),
                choices = choices.join(", ")
            ));
        };
        document.role = Some(known.clone());
    }
    if let Some(municipality) = given(fields.municipality.as_deref()) {
        document.municipality = Some(municipality_of(&municipality, region, language)?);
    }
    let mut seen = HashSet::new();
    for signal in &fields.signals {
        let signal = signal.trim();
        if signal.is_empty() || !seen.insert(signal.to_owned()) {
            continue;
        }
        if !signals::is_known(signal) {
            // The ids of the group the mistyped one names, else every id.
            let group_id = signal.split('.').next().unwrap_or_default();
            let choices: Vec<&str> = match signals::GROUPS
                .iter()
                .find(|group| group.group_id == group_id)
            {
                Some(group) => group.signal_ids.to_vec(),
                None => signals::all_signal_ids().collect(),
            };
            return refuse(msg_in!(
                language,
                "register.signal_unknown",
                value = crate::render::sanitise(signal, false),
                choices = choices.join(", ")
            ));
        }
        document.signals.push(signal.to_owned());
    }
    let date = given(fields.date.as_deref());
    if let Some(date) = &date {
        let mut probe = TipDocument::new("-");
        probe.when = Some(When {
            date: Some(date.clone()),
            ..When::default()
        });
        if probe.validate().is_err() {
            return refuse(msg_in!(
                language,
                "register.date_invalid",
                value = crate::render::sanitise(date, false)
            ));
        }
    }
    let when_text = given(fields.when_text.as_deref());
    if let Some(when_text) = &when_text {
        check_length(language, "when", when_text, MAX_WHEN_TEXT_CHARS)?;
    }
    if date.is_some() || when_text.is_some() || fields.ongoing {
        document.when = Some(When {
            date,
            ongoing: fields.ongoing,
            text: when_text,
            ..When::default()
        });
    }
    if let Some(place) = given(fields.place.as_deref()) {
        check_length(language, "place", &place, MAX_PLACE_CHARS)?;
        document.place = Some(place);
    }
    if let Some(contact) = given(fields.contact.as_deref()) {
        check_length(language, "contact", &contact, MAX_CONTACT_CHARS)?;
        document.contact = Some(contact);
    }
    if document.validate().is_err() {
        return refuse(msg_in!(language, "register.invalid"));
    }
    Ok(document)
}

/// The municipality `text` names: `other`, or one of the region's by identifier or name (in
/// any case). Before the first `pull` the region is not known, so any well-formed identifier
/// is taken.
fn municipality_of(text: &str, region: &Region, language: Language) -> Result<Municipality> {
    let wanted = text.trim().to_lowercase();
    if wanted == Municipality::OTHER || wanted == "anders" {
        return Ok(Municipality::other());
    }
    if let Some(found) = region.municipalities.iter().find(|municipality| {
        municipality.id == wanted || municipality.name.to_lowercase() == wanted
    }) {
        return Ok(Municipality::from_id(&found.id));
    }
    if region.municipalities.is_empty()
        && let Some(municipality) = Municipality::parse(&wanted)
    {
        return Ok(municipality);
    }
    let choices: Vec<&str> = region
        .municipalities
        .iter()
        .map(|municipality| municipality.id.as_str())
        .chain([Municipality::OTHER])
        .collect();
    Err(Error::Usage(msg_in!(
        language,
        "register.municipality_unknown",
        value = crate::render::sanitise(text, false),
        choices = choices.join(", ")
    )))
}

/// The fields a case file may carry (`--file`): a tip's, and its source.
const FILE_FIELDS: [&str; 11] = [
    "v",
    "kind",
    "role",
    "signals",
    "municipality",
    "when",
    "where",
    "text",
    "contact",
    "source",
    "ongoing",
];

/// Reads a case file (JSON with a tip's fields: `kind`, `role`, `signals`, `municipality`,
/// `when` as a date or as `{"date", "ongoing", "text"}`, `where`, `text`, `contact`, `source`)
/// into fields to check; `source` from the command line, when given, is used instead of the
/// file's. Unknown fields are refused, so a typing error is not silently dropped.
pub fn fields_from_file(
    path: &Path,
    source: Option<String>,
    language: Language,
) -> Result<SignalFields> {
    let bytes = std::fs::read(path).map_err(|error| {
        Error::io(
            msg_in!(language, "register.file_unreadable", file = path.display()),
            error,
        )
    })?;
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(Error::Usage(msg_in!(
            language,
            "register.file_too_large",
            file = path.display()
        )));
    }
    let not_json = |source| Error::Unreadable {
        message: msg_in!(language, "register.file_not_json", file = path.display()),
        source,
    };
    let value: Value = serde_json::from_slice(&bytes).map_err(not_json)?;
    let Value::Object(object) = value else {
        return Err(Error::Usage(msg_in!(
            language,
            "register.file_not_object",
            file = path.display()
        )));
    };
    if let Some(unknown) = object
        .keys()
        .find(|key| !FILE_FIELDS.contains(&key.as_str()))
    {
        return Err(Error::Usage(msg_in!(
            language,
            "register.file_unknown_field",
            field = crate::render::sanitise(unknown, false),
            fields = FILE_FIELDS[1..].join(", ")
        )));
    }
    let wrong_type =
        |field: &str| Error::Usage(msg_in!(language, "register.file_wrong_type", field = field));
    let text_of = |field: &str| -> Result<Option<String>> {
        match object.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(_) => Err(wrong_type(field)),
        }
    };
    if object
        .get("v")
        .is_some_and(|version| version.as_u64() != Some(1))
    {
        return Err(wrong_type("v"));
    }
    let signals = match object.get("signals") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| wrong_type("signals"))
            })
            .collect::<Result<_>>()?,
        Some(_) => return Err(wrong_type("signals")),
    };
    let mut fields = SignalFields {
        source: source.or(text_of("source")?),
        kind: text_of("kind")?,
        role: text_of("role")?,
        municipality: text_of("municipality")?,
        signals,
        place: text_of("where")?,
        text: text_of("text")?,
        contact: text_of("contact")?,
        ongoing: match object.get("ongoing") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(ongoing)) => *ongoing,
            Some(_) => return Err(wrong_type("ongoing")),
        },
        ..SignalFields::default()
    };
    match object.get("when") {
        None | Some(Value::Null) => {}
        Some(Value::String(date)) => fields.date = Some(date.clone()),
        Some(Value::Object(when)) => {
            for (key, value) in when {
                match (key.as_str(), value) {
                    ("date", Value::String(date)) => fields.date = Some(date.clone()),
                    ("text", Value::String(text)) => fields.when_text = Some(text.clone()),
                    ("ongoing", Value::Bool(ongoing)) => fields.ongoing |= *ongoing,
                    _ => return Err(wrong_type("when")),
                }
            }
        }
        Some(_) => return Err(wrong_type("when")),
    }
    Ok(fields)
}

/// A fresh random id in the relay's form (32 lower-case hex digits), which no relay tip has.
fn random_tip_id() -> Result<String> {
    let mut bytes = [0_u8; 16];
    getrandom::fill(&mut bytes).map_err(Error::Randomness)?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

/// Seals `document` to the own set and stores it as a tip of the current hour, exactly as
/// `pull` stores one (`.part`, flushed, renamed under the numbering lock, the folder flushed).
/// Returns its number. Run without the inbox lock: it takes it.
pub fn store_registered(
    home: &InboxHome,
    keys: &UnlockedKeys,
    language: Language,
    document: &TipDocument,
) -> Result<u64> {
    let padded = zeroize::Zeroizing::new(
        document
            .to_padded_bytes()
            .map_err(|_| Error::Usage(msg_in!(language, "register.invalid")))?,
    );
    // Sealed to the coordinator's own set (their key, the backup key, a successor's, the team),
    // as the triage book is.
    let recipients = RecipientSet::load(home, language)?.sealing_recipients(&keys.own_recipient);
    let sealed = age::seal(&recipients, &padded).map_err(|source| Error::Crypto {
        message: msg_in!(language, "register.sealing_failed"),
        source,
    })?;
    if store::open_tip(&keys.identities, &sealed).is_err() {
        return Err(Error::Key(msg_in!(language, "register.does_not_open")));
    }
    let relay_id = random_tip_id()?;
    let now = crate::time::now_unix_seconds();
    let hour = now - now % 3600;
    let _lock = home.lock()?;
    let tips_directory = home.tips_directory();
    let cannot_store = |error| {
        Error::io(
            msg_in!(
                language,
                "register.cannot_store",
                folder = tips_directory.display()
            ),
            error,
        )
    };
    // `lock` created the store's folder; make its entry in the inbox folder durable too.
    sync_directory(home.root()).map_err(cannot_store)?;
    remove_leftover_parts(&tips_directory)?;
    let next_number = Mutex::new(store::next_free_number(&store::stored_tips(home)?));
    let number = store::store_sealed_tip(home, &next_number, &relay_id, hour, &sealed)
        .map_err(cannot_store)?;
    sync_directory(&tips_directory).map_err(cannot_store)?;
    Ok(number)
}

/// Where the fields of `register` come from.
#[derive(Debug)]
pub enum RegisterInput {
    /// The command line's flags.
    Flags(SignalFields),
    /// A case file, with the command line's `--source` if given.
    File {
        /// The JSON file.
        path: std::path::PathBuf,
        /// `--source`, which wins over the file's.
        source: Option<String>,
    },
}

/// Registers a signal from another channel as a numbered case and says what to do next.
pub fn run(settings: &Settings, input: RegisterInput) -> Result<()> {
    let language = settings.language;
    let mut fields = match input {
        RegisterInput::Flags(fields) => fields,
        RegisterInput::File { path, source } => fields_from_file(&path, source, language)?,
    };
    if fields.text.as_deref() == Some("-") {
        let mut text = String::new();
        std::io::stdin()
            .take(MAX_DOCUMENT_BYTES as u64)
            .read_to_string(&mut text)
            .map_err(|error| Error::io(msg_in!(language, "register.stdin_unreadable"), error))?;
        fields.text = Some(text);
    }
    let region = Region::load(&settings.home)?;
    let document = document_from_fields(&fields, &region, language)?;
    let keys = settings.unlock()?;
    let number = store_registered(&settings.home, &keys, language, &document)?;
    let source = document.source.unwrap_or(Source::Other);
    println!(
        "{}",
        msg_in!(
            language,
            "register.done",
            number = number,
            source = source_label(source, language)
        )
    );
    if Team::load(&settings.home)?.has_colleagues(&keys) {
        println!("{}", msg_in!(language, "register.team_not_shared"));
    }
    println!("{}", msg_in!(language, "register.next", number = number));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drenthe() -> Region {
        Region {
            name: "Drenthe".to_owned(),
            municipalities: vec![
                crate::region::RegionMunicipality {
                    id: "assen".to_owned(),
                    name: "Assen".to_owned(),
                },
                crate::region::RegionMunicipality {
                    id: "aa-en-hunze".to_owned(),
                    name: "Aa en Hunze".to_owned(),
                },
            ],
        }
    }

    fn phone_call() -> SignalFields {
        SignalFields {
            source: Some("telefoon".to_owned()),
            kind: Some("labour".to_owned()),
            municipality: Some("Aa en Hunze".to_owned()),
            signals: vec!["labour.very_long_days".to_owned()],
            date: Some("2026-11-30".to_owned()),
            text: Some("Een buurvrouw belde over de kassen.".to_owned()),
            ..SignalFields::default()
        }
    }

    #[test]
    fn a_phone_call_becomes_a_document_with_its_source() {
        let document = document_from_fields(&phone_call(), &drenthe(), Language::Nl).unwrap();
        assert_eq!(document.source, Some(Source::Phone));
        assert_eq!(document.kinds, [Kind::Labour]);
        assert_eq!(
            document.municipality,
            Some(Municipality::from_id("aa-en-hunze"))
        );
        let several = SignalFields {
            kind: Some("sexual, criminal,sexual".to_owned()),
            ..phone_call()
        };
        let document = document_from_fields(&several, &drenthe(), Language::Nl).unwrap();
        assert_eq!(document.kinds, [Kind::Sexual, Kind::Criminal]);
        let wrong = SignalFields {
            kind: Some("sexual,begging".to_owned()),
            ..phone_call()
        };
        assert!(document_from_fields(&wrong, &drenthe(), Language::Nl).is_err());
        assert_eq!(document.when.unwrap().date.as_deref(), Some("2026-11-30"));
        assert!(document.reply.is_none());
    }

    #[test]
    fn sources_are_read_by_identifier_and_by_word() {
        for (text, source) in [
            ("phone", Source::Phone),
            ("Telefoon", Source::Phone),
            ("politie", Source::Police),
            ("ZVHD", Source::Zvhd),
            ("gemeente", Source::Municipality),
            ("anders", Source::Other),
        ] {
            assert_eq!(parse_source(text), Some(source), "{text}");
        }
        assert_eq!(parse_source("fax"), None);
    }

    #[test]
    fn every_bad_field_is_refused_with_its_own_sentence() {
        let refused = |change: fn(&mut SignalFields)| {
            let mut fields = phone_call();
            change(&mut fields);
            document_from_fields(&fields, &drenthe(), Language::En)
                .unwrap_err()
                .to_string()
        };
        assert!(refused(|fields| fields.source = None).contains("source"));
        assert!(refused(|fields| fields.source = Some("fax".into())).contains("fax"));
        assert!(refused(|fields| fields.text = Some("  ".into())).contains("text"));
        assert!(refused(|fields| fields.kind = Some("begging".into())).contains("begging"));
        assert!(refused(|fields| fields.role = Some("boss".into())).contains("boss"));
        assert!(refused(|fields| fields.municipality = Some("Zwolle".into())).contains("Zwolle"));
        assert!(refused(|fields| fields.signals = vec!["x.y".into()]).contains("x.y"));
        assert!(refused(|fields| fields.date = Some("2026-02-30".into())).contains("2026-02-30"));
        assert!(refused(|fields| fields.place = Some("x".repeat(501))).contains("500"));
    }

    #[test]
    fn before_the_first_pull_any_well_formed_municipality_is_taken() {
        let mut fields = phone_call();
        fields.municipality = Some("emmen".to_owned());
        let document = document_from_fields(&fields, &Region::default(), Language::Nl).unwrap();
        assert_eq!(document.municipality, Some(Municipality::from_id("emmen")));
        fields.municipality = Some("<b>".to_owned());
        assert!(document_from_fields(&fields, &Region::default(), Language::Nl).is_err());
    }
}
