//! The sealed summary index, `summaries.age` in the inbox folder: for each stored tip file, the
//! identifiers the tip list filters on (municipality, kind, role; or that it did not open), so
//! that unlocking the app does not have to open every tip again before the first filter.
//!
//! # Why
//!
//! Filtering by municipality or kind needs the identifiers of every stored tip, and they are
//! inside the sealed files. Opening 10 000 of them takes about two seconds, which the first
//! filter after every unlock waited for. With the index, unlocking opens one file and only the
//! tips pulled since it was written.
//!
//! # What it holds, and how it is kept
//!
//! Identifiers only, never free text, keyed by the stored file's name (which carries the local
//! number, the hour and the relay's id, and never changes while the file exists). It is sealed
//! with age to every key of the coordinator's own set, exactly as the triage book is
//! ([`crate::triage`]): notes about which tips concern which municipality and kind are as
//! sensitive as the tips, and every key that opens them must open this. So nothing decrypted is
//! written to disk. It is replaced atomically ([`replace_file`]), so a crash leaves the old
//! index or the new one.
//!
//! It is only ever a shortcut, so nothing about it is fatal: an index that is missing, larger
//! than [`MAX_INDEX_BYTES`], does not open with the unlocked keys, or does not parse is ignored
//! and the tips are opened as before; entries for files no longer stored are dropped; an entry
//! whose identifiers are not well formed is ignored and its tip opened. A tip the index says did
//! not open is tried again at every unlock: another key of the set may open it, and such tips
//! are rare (`pull` puts what does not open in the quarantine, not among the tips).
//!
//! # Trust
//!
//! age does not authenticate the sender: anyone who has one of the coordinator's public keys
//! (and can write to the inbox folder) could seal an index of their own. The worst that does is
//! wrong identifiers in the workspace: a tip listed under the wrong municipality or kind, or
//! missing from a filter, and the workspace's statistics page (which counts from the same
//! summaries) skewed, until the index is rewritten (the next unlock after a tip is added or
//! removed, or the set changes). Whoever can write to the inbox folder can skew the counts
//! anyway, by adding sealed tips of their own. It cannot change what a tip says: the case page
//! always opens the real tip, and exports, `stats` and the rest of the command line never read
//! the index. Identifiers from it are checked to be well formed, and the page escapes them like
//! any other text.
//!

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::PathBuf;
use std::sync::Mutex;

use fluister_envelope::age::{self, Identity, Recipient};
use fluister_envelope::tip::vocabulary::{Kind, Municipality, Role, is_well_formed_identifier};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::session::{self, SummaryCache, TipFacts, TipSummary};
use crate::error::{Error, Result};
use crate::home::{InboxHome, replace_file};
use crate::keys::UnlockedKeys;
use crate::recipients::RecipientSet;
use crate::store::{self, StoredTip};
use crate::vocabulary::Language;

/// The largest index read: far beyond the few hundred kilobytes 10 000 tips take, small enough
/// that a huge file put in the folder cannot exhaust the memory.
const MAX_INDEX_BYTES: u64 = 64 * 1024 * 1024;

/// The format this version writes and reads; an index of another version is ignored (and
/// rewritten).
const FORMAT_VERSION: u32 = 1;

/// One save at a time in this process: [`replace_file`] names its temporary file after the
/// process, so two passes (an unlock, a lock, an unlock) must not write it side by side.
static SAVING: Mutex<()> = Mutex::new(());

/// The index file's content (JSON, inside the age file).
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
struct SummaryIndex {
    /// The format version, [`FORMAT_VERSION`].
    v: u32,
    /// The keys it was sealed to, as `age1…` text, sorted: when the set changes, the index is
    /// sealed again to the new set.
    sealed_to: Vec<String>,
    /// By stored file name: the tip's identifiers, or `null` when it did not open.
    tips: BTreeMap<String, Option<IndexedFacts>>,
}

/// A tip's identifiers as the index keeps them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct IndexedFacts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    municipality: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    kinds: Vec<String>,
    /// The one kind an index written before tips could name several kept; read, never written.
    #[serde(default, skip_serializing)]
    kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    role: Option<String>,
}

impl IndexedFacts {
    fn of(facts: &TipFacts) -> Self {
        Self {
            municipality: facts.municipality.as_ref().map(|id| id.as_str().to_owned()),
            kinds: facts
                .kinds
                .iter()
                .map(|id| id.as_str().to_owned())
                .collect(),
            kind: None,
            role: facts.role.as_ref().map(|id| id.as_str().to_owned()),
        }
    }

    /// The facts, if every identifier is well formed (anything else was not written by us).
    fn to_facts(&self) -> Option<TipFacts> {
        Some(TipFacts {
            municipality: well_formed(&self.municipality)?.map(Municipality::from_id),
            kinds: self
                .kinds
                .iter()
                .chain(&self.kind)
                .map(|id| is_well_formed_identifier(id).then(|| Kind::from_id(id)))
                .collect::<Option<Vec<_>>>()?,
            role: well_formed(&self.role)?.map(Role::from_id),
        })
    }
}

/// `Some(id)` for an absent or well-formed identifier, `None` for an ill-formed one.
fn well_formed(id: &Option<String>) -> Option<Option<&str>> {
    match id.as_deref() {
        Some(id) if !is_well_formed_identifier(id) => None,
        id => Some(id),
    }
}

/// What a fill did, for the tests.
#[derive(Debug, PartialEq, Eq)]
struct Filled {
    /// Tips whose summary came from the index, unopened.
    from_index: usize,
    /// Whether the index was written.
    saved: bool,
}

/// The background pass after unlocking (and after a pull from the workspace): fills `cache`
/// with the summary of every stored tip, from the sealed index where it has them and by
/// opening the rest, then writes the index again if it changed. Never fails: the index is a shortcut, and a request opens whatever is
/// still missing.
pub(crate) fn fill_after_unlock(
    home: &InboxHome,
    language: Language,
    keys: &UnlockedKeys,
    cache: &SummaryCache,
) {
    let _ = fill(home, language, keys, cache);
}

/// [`fill_after_unlock`], saying what it did.
fn fill(
    home: &InboxHome,
    language: Language,
    keys: &UnlockedKeys,
    cache: &SummaryCache,
) -> Result<Filled> {
    let tips = store::stored_tips(home)?;
    let (loaded, from_index) = {
        // Held while the index is read and its entries put in, so a request that comes now
        // waits for them instead of opening the tips itself.
        let _opening = cache.hold_opening();
        let loaded = SummaryIndex::read(home, &keys.identities);
        let summaries = loaded
            .as_ref()
            .map(|index| index.summaries(&tips))
            .unwrap_or_default();
        let from_index = summaries.len();
        cache.insert_unknown(summaries);
        (loaded, from_index)
    };
    session::summaries(&tips, keys, cache);
    let recipients = RecipientSet::load(home, language)?.sealing_recipients(&keys.own_recipient);
    let current = SummaryIndex::of(&cache.known_facts(&tips), &recipients);
    let saved = loaded.as_ref() != Some(&current);
    if saved {
        current.save(home, &recipients)?;
    }
    Ok(Filled { from_index, saved })
}

/// The name a stored tip's file has, the index's key.
fn file_name(tip: &StoredTip) -> Option<&str> {
    tip.path.file_name()?.to_str()
}

impl SummaryIndex {
    /// The index of what is known of `tips`, to be sealed to `recipients`.
    fn of(known: &[(&StoredTip, Option<TipFacts>)], recipients: &[Recipient]) -> Self {
        let mut sealed_to: Vec<String> = recipients.iter().map(ToString::to_string).collect();
        sealed_to.sort();
        sealed_to.dedup();
        let tips = known
            .iter()
            .filter_map(|(tip, facts)| {
                Some((
                    file_name(tip)?.to_owned(),
                    facts.as_ref().map(IndexedFacts::of),
                ))
            })
            .collect();
        Self {
            v: FORMAT_VERSION,
            sealed_to,
            tips,
        }
    }

    /// The index in the inbox folder, if there is one of a sane size that opens with
    /// `identities` and parses; `None` otherwise, whatever the reason (see the module doc).
    fn read(home: &InboxHome, identities: &[Identity]) -> Option<Self> {
        let sealed = read_bounded(home.summaries_path())?;
        let json = Zeroizing::new(age::open(identities, &sealed).ok()?);
        let index: Self = serde_json::from_slice(&json).ok()?;
        (index.v == FORMAT_VERSION).then_some(index)
    }

    /// The summaries the index has of `tips` (those still stored): only tips that opened and
    /// whose identifiers are well formed; the others are left to be opened.
    fn summaries(&self, tips: &[StoredTip]) -> Vec<(PathBuf, TipSummary)> {
        tips.iter()
            .filter_map(|tip| {
                let facts = self.tips.get(file_name(tip)?)?.as_ref()?.to_facts()?;
                Some((
                    tip.path.clone(),
                    TipSummary {
                        number: tip.number,
                        received_hour: tip.received_hour,
                        facts: Some(facts),
                    },
                ))
            })
            .collect()
    }

    /// Seals the index to `recipients` and replaces the file atomically.
    fn save(&self, home: &InboxHome, recipients: &[Recipient]) -> Result<()> {
        let json = Zeroizing::new(
            // Strings, options and a map with string keys: nothing that can fail to serialize.
            serde_json::to_vec(self).expect("the summary index serializes"),
        );
        let sealed = age::seal(recipients, &json).map_err(|source| Error::Crypto {
            message: "cannot seal the summary index".to_owned(),
            source,
        })?;
        home.create_directories()?;
        let _one_at_a_time = SAVING
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        replace_file(&home.summaries_path(), &sealed)
    }
}

/// The file's bytes, or `None` if it cannot be read or is larger than [`MAX_INDEX_BYTES`].
fn read_bounded(path: PathBuf) -> Option<Vec<u8>> {
    let file = std::fs::File::open(path).ok()?;
    if file.metadata().ok()?.len() > MAX_INDEX_BYTES {
        return None;
    }
    let mut bytes = Vec::new();
    // Bounded again while reading: the file may grow after the look at its size.
    file.take(MAX_INDEX_BYTES + 1)
        .read_to_end(&mut bytes)
        .ok()?;
    (bytes.len() as u64 <= MAX_INDEX_BYTES).then_some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fluister_envelope::tip::TipDocument;
    use fluister_testkit::TemporaryDirectory;

    /// An empty inbox folder in a temporary directory (removed when the first is dropped).
    fn inbox(name: &str) -> (TemporaryDirectory, InboxHome) {
        let directory = TemporaryDirectory::new(name);
        let home = InboxHome::new(directory.join("inbox"));
        home.create_directories().unwrap();
        (directory, home)
    }

    /// Fresh keys, as unlocking an identity file gives them.
    fn fresh_keys() -> UnlockedKeys {
        let identity = Identity::generate().unwrap();
        UnlockedKeys {
            own_recipient: identity.to_recipient(),
            identities: vec![identity],
        }
    }

    /// Stores tip `number` sealed to `recipients` under `pull`'s name, about `kind` in Emmen.
    fn store_tip(home: &InboxHome, number: u64, recipients: &[Recipient], kind: Kind) -> PathBuf {
        let mut document = TipDocument::new(format!("tip {number}"));
        document.kinds = vec![kind];
        document.role = Some(Role::Witness);
        document.municipality = Some(Municipality::from_id("emmen"));
        let sealed = age::seal(recipients, &document.to_padded_bytes().unwrap()).unwrap();
        let path = home.tips_directory().join(tip_file_name(number));
        std::fs::write(&path, sealed).unwrap();
        path
    }

    /// The name `pull` gives tip `number`.
    fn tip_file_name(number: u64) -> String {
        format!("{number:06}-1764313200-{number:032x}.age")
    }

    /// The kind the cache knows of each stored tip, in order (`None`: did not open).
    fn kinds(home: &InboxHome, cache: &SummaryCache) -> Vec<Option<String>> {
        let tips = store::stored_tips(home).unwrap();
        cache
            .known_facts(&tips)
            .into_iter()
            .map(|(_, facts)| Some(facts?.kinds.first()?.as_str().to_owned()))
            .collect()
    }

    /// Fills a fresh cache, as one unlock does.
    fn unlock(home: &InboxHome, keys: &UnlockedKeys) -> (Filled, SummaryCache) {
        let cache = SummaryCache::default();
        let filled = fill(home, Language::En, keys, &cache).unwrap();
        (filled, cache)
    }

    #[test]
    fn the_index_round_trips_and_spares_opening_the_tips() {
        let (_directory, home) = inbox("index-round-trip");
        let keys = fresh_keys();
        let first = store_tip(&home, 1, &[keys.own_recipient], Kind::Labour);
        store_tip(&home, 2, &[keys.own_recipient], Kind::Sexual);
        let damaged = home.tips_directory().join(tip_file_name(3));
        std::fs::write(&damaged, b"not an age file").unwrap();

        let (filled, cache) = unlock(&home, &keys);
        assert_eq!(
            filled,
            Filled {
                from_index: 0,
                saved: true
            }
        );
        let expected = vec![Some("labour".to_owned()), Some("sexual".to_owned()), None];
        assert_eq!(kinds(&home, &cache), expected);
        assert!(home.summaries_path().exists());

        // The first tip is damaged now: that the next unlock still knows its kind shows it came
        // from the index, unopened. The damaged one is tried again; nothing changed, so the
        // index is not written.
        std::fs::write(&first, b"damaged since").unwrap();
        let (filled, cache) = unlock(&home, &keys);
        assert_eq!(
            filled,
            Filled {
                from_index: 2,
                saved: false
            }
        );
        assert_eq!(kinds(&home, &cache), expected);
    }

    #[test]
    fn entries_for_files_no_longer_stored_are_dropped() {
        let (_directory, home) = inbox("index-dropped");
        let keys = fresh_keys();
        store_tip(&home, 1, &[keys.own_recipient], Kind::Labour);
        let second = store_tip(&home, 2, &[keys.own_recipient], Kind::Criminal);
        unlock(&home, &keys);
        std::fs::remove_file(&second).unwrap();

        let (filled, cache) = unlock(&home, &keys);
        assert_eq!(
            filled,
            Filled {
                from_index: 1,
                saved: true
            }
        );
        assert_eq!(kinds(&home, &cache), vec![Some("labour".to_owned())]);
        let index = SummaryIndex::read(&home, &keys.identities).unwrap();
        let names: Vec<&str> = index.tips.keys().map(String::as_str).collect();
        assert_eq!(names, vec![tip_file_name(1)]);
    }

    #[test]
    fn a_damaged_foreign_or_huge_index_is_ignored_and_the_tips_opened() {
        let (_directory, home) = inbox("index-ignored");
        let keys = fresh_keys();
        store_tip(&home, 1, &[keys.own_recipient], Kind::Labour);
        let expected = vec![Some("labour".to_owned())];

        std::fs::write(home.summaries_path(), b"age-encryption.org/v1\n-> garbage").unwrap();
        // The index is ignored: every tip opened again, and the index written anew.
        let assert_ignored = || {
            let (filled, cache) = unlock(&home, &keys);
            assert_eq!(
                filled,
                Filled {
                    from_index: 0,
                    saved: true
                }
            );
            assert_eq!(kinds(&home, &cache), expected);
        };
        assert_ignored();

        // An index sealed to a stranger's key, claiming another kind.
        let mut forged = SummaryIndex::read(&home, &keys.identities).unwrap();
        for facts in forged.tips.values_mut().flatten() {
            facts.kinds = vec!["sexual".to_owned()];
        }
        let stranger = fresh_keys().own_recipient;
        forged.save(&home, &[stranger]).unwrap();
        assert_ignored();

        // Identifiers that are not well formed, sealed to the right key.
        let mut forged = SummaryIndex::read(&home, &keys.identities).unwrap();
        for facts in forged.tips.values_mut().flatten() {
            facts.kinds = vec!["labour".to_owned(), "<script>".to_owned()];
        }
        forged.save(&home, &[keys.own_recipient]).unwrap();
        assert_ignored();

        // Larger than the bound (a sparse file): not even read.
        std::fs::File::create(home.summaries_path())
            .unwrap()
            .set_len(MAX_INDEX_BYTES + 1)
            .unwrap();
        assert!(SummaryIndex::read(&home, &keys.identities).is_none());
        assert_ignored();
    }

    #[test]
    fn an_index_from_before_several_kinds_still_reads() {
        let older: IndexedFacts =
            serde_json::from_str(r#"{"municipality":"emmen","kind":"labour","role":"witness"}"#)
                .unwrap();
        let facts = older.to_facts().unwrap();
        assert_eq!(facts.kinds, [Kind::Labour]);
        let written = serde_json::to_value(IndexedFacts::of(&facts)).unwrap();
        assert_eq!(
            written,
            serde_json::json!({"municipality": "emmen", "kinds": ["labour"], "role": "witness"})
        );
    }

    #[test]
    fn the_index_is_sealed_to_every_key_of_the_own_set() {
        let (_directory, home) = inbox("index-own-set");
        let (own, backup) = (fresh_keys(), fresh_keys());
        let mut set = RecipientSet::default();
        set.add(own.own_recipient, "own");
        set.add(backup.own_recipient, "backup");
        set.save(&home).unwrap();
        // Tips sealed to both, as the relay seals them to the set.
        let both = [own.own_recipient, backup.own_recipient];
        for number in 1..=2 {
            store_tip(&home, number, &both, Kind::Labour);
        }
        unlock(&home, &own);

        let index = SummaryIndex::read(&home, &backup.identities).unwrap();
        assert_eq!(index.tips.len(), 2);
        let (filled, cache) = unlock(&home, &backup);
        assert_eq!(
            filled,
            Filled {
                from_index: 2,
                saved: false
            }
        );
        assert_eq!(kinds(&home, &cache), vec![Some("labour".to_owned()); 2]);
    }
}
