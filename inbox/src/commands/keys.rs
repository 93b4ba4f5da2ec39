//! `keys`: the coordinator's own set of keys (`recipients.txt`), the keys the triage book is
//! sealed to: list it, add the backup key or a successor's, remove one.
//!
//! A change seals the triage book again to the new set first and writes the set after, both by
//! atomic replacement under the inbox lock: a crash in between leaves a book that opens with
//! every key of the old set or of the new one (run the command again to finish), never a
//! damaged one.

use fluister_envelope::age::Recipient;

use super::Settings;
use crate::error::{Error, Result};
use crate::home::InboxHome;
use crate::keys::UnlockedKeys;
use crate::kill_switch::{self, Step};
use crate::recipients::{self, RecipientSet};
use crate::triage::TriageBook;
use crate::vocabulary::Language;

/// Prints the set, one key a line with its name, marking the inbox's own key. Needs no key or
/// passphrase: the set holds public keys only.
pub fn list(settings: &Settings) -> Result<()> {
    let language = settings.language;
    let set = RecipientSet::load(&settings.home, language)?;
    let own = recipients::own_recipient(&settings.home);
    let path = settings.home.recipients_path();
    println!(
        "{}",
        crate::msg_in!(language, "keys.list_heading", file = path.display())
    );
    if set.entries().is_empty() {
        println!("{}", crate::msg_in!(language, "keys.list_empty"));
    }
    for entry in set.entries() {
        let mut line = format!("  {}", entry.recipient);
        if !entry.name.is_empty() {
            line.push_str(&format!(
                "  {}",
                crate::render::sanitise(&entry.name, false)
            ));
        }
        if own == Some(entry.recipient) {
            line.push_str(&crate::msg_in!(language, "keys.this_inbox"));
        }
        println!("{line}");
    }
    if !path.exists() {
        println!("{}", crate::msg_in!(language, "keys.list_no_file"));
    }
    Ok(())
}

/// Adds `recipient_text` (an `age1…` public key) to the set under `name`, seals the triage
/// book to the new set, and says what to ask the relay's operator. Adding a key that is there
/// already seals the book again too, which finishes an interrupted earlier `keys add`.
pub fn add(settings: &Settings, recipient_text: &str, name: Option<&str>) -> Result<()> {
    let language = settings.language;
    let keys = settings.unlock()?;
    let (recipient, added, set) = add_to_set(
        &settings.home,
        language,
        &keys,
        recipient_text,
        name.unwrap_or_default(),
    )?;
    println!(
        "{}",
        if added {
            crate::msg_in!(language, "keys.added", recipient = recipient)
        } else {
            crate::msg_in!(language, "keys.already_there", recipient = recipient)
        }
    );
    print_sealed_to(settings, &set);
    println!("{}", crate::msg_in!(language, "keys.add_next"));
    Ok(())
}

/// Adds the public key `recipient_text` to the own set under `name` and seals the triage book
/// to the new set (the command line and the app both add through here). Returns the key,
/// whether it was new, and the set now.
pub fn add_to_set(
    home: &InboxHome,
    language: Language,
    keys: &UnlockedKeys,
    recipient_text: &str,
    name: &str,
) -> Result<(Recipient, bool, RecipientSet)> {
    let recipient = parse_recipient(recipient_text, language)?;
    // age seals a file to hybrid post-quantum keys or to X25519 keys, never to both: a set of
    // both kinds could not seal the notes.
    if recipient.is_post_quantum() != keys.own_recipient.is_post_quantum() {
        return Err(Error::Usage(if keys.own_recipient.is_post_quantum() {
            crate::msg_in!(language, "keys.x25519_in_hybrid_set")
        } else {
            crate::msg_in!(language, "keys.hybrid_in_x25519_set")
        }));
    }
    let _lock = home.lock()?;
    let mut set = current_set(home, language, keys)?;
    let added = set.add(recipient, name);
    seal_book_to(home, keys, &set)?;
    set.save(home)?;
    Ok((recipient, added, set))
}

/// Removes `recipient_text` from the set and seals the triage book to what is left. Refuses to
/// remove the key this command runs with (it could not read the book back otherwise).
pub fn remove(settings: &Settings, recipient_text: &str) -> Result<()> {
    let language = settings.language;
    let keys = settings.unlock()?;
    let (recipient, set) = remove_from_set(&settings.home, language, &keys, recipient_text)?;
    println!(
        "{}",
        crate::msg_in!(language, "keys.removed", recipient = recipient)
    );
    print_sealed_to(settings, &set);
    Ok(())
}

/// Removes the public key `recipient_text` from the own set and seals the triage book to what
/// is left (the command line and the app both remove through here). Refuses the key that is
/// unlocked now, and a key not in the set.
pub fn remove_from_set(
    home: &InboxHome,
    language: Language,
    keys: &UnlockedKeys,
    recipient_text: &str,
) -> Result<(Recipient, RecipientSet)> {
    let recipient = parse_recipient(recipient_text, language)?;
    if recipient == keys.own_recipient {
        return Err(Error::Usage(crate::msg_in!(
            language,
            "keys.remove_own",
            recipient = recipient
        )));
    }
    let _lock = home.lock()?;
    let mut set = current_set(home, language, keys)?;
    if !set.remove(&recipient) {
        return Err(Error::Usage(crate::msg_in!(
            language,
            "keys.not_in_set",
            recipient = recipient
        )));
    }
    seal_book_to(home, keys, &set)?;
    set.save(home)?;
    Ok((recipient, set))
}

/// The set as it is now; an inbox without any key in it (no `recipient.txt`, for example one
/// used only with --identity) starts from the key this command runs with.
fn current_set(home: &InboxHome, language: Language, keys: &UnlockedKeys) -> Result<RecipientSet> {
    let mut set = RecipientSet::load(home, language)?;
    if set.entries().is_empty() {
        set.add(keys.own_recipient, &recipients::own_key_name(language));
    }
    Ok(set)
}

/// Seals the triage book, if there is one, to `set` (and the key this command runs with).
fn seal_book_to(home: &InboxHome, keys: &UnlockedKeys, set: &RecipientSet) -> Result<()> {
    if home.triage_path().exists() {
        let book = TriageBook::load(home, &keys.identities)?;
        book.save(home, &set.sealing_recipients(&keys.own_recipient))?;
        kill_switch::reached(Step::Resealed);
    }
    Ok(())
}

fn print_sealed_to(settings: &Settings, set: &RecipientSet) {
    println!(
        "{}",
        crate::msg_in!(
            settings.language,
            "keys.sealed_to",
            count = set.entries().len()
        )
    );
    for entry in set.entries() {
        println!(
            "  {}  {}",
            entry.recipient,
            crate::render::sanitise(&entry.name, false)
        );
    }
}

/// The public key in `text`. The refusal does not repeat what was typed: it may be a secret key
/// pasted by mistake.
fn parse_recipient(text: &str, language: Language) -> Result<Recipient> {
    text.trim()
        .parse()
        .map_err(|_| Error::Usage(crate::msg_in!(language, "keys.not_a_public_key")))
}
