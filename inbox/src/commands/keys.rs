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
        match language {
            Language::Nl => format!(
                "Uw eigen sleutelset ({}): notities en statussen worden versleuteld voor:",
                path.display()
            ),
            Language::En => format!(
                "Your own set of keys ({}): notes and statuses are sealed to:",
                path.display()
            ),
        }
    );
    if set.entries().is_empty() {
        println!(
            "{}",
            match language {
                Language::Nl => "  (nog geen sleutel; maak er een met fluister-inbox keygen)",
                Language::En => "  (no key yet; make one with fluister-inbox keygen)",
            }
        );
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
            line.push_str(match language {
                Language::Nl => "  [de sleutel van deze inbox]",
                Language::En => "  [this inbox's key]",
            });
        }
        println!("{line}");
    }
    if !path.exists() {
        println!(
            "{}",
            match language {
                Language::Nl =>
                    "(Het bestand bestaat nog niet: dit is alleen de eigen sleutel. \
                                 Voeg uw reservesleutel toe met: fluister-inbox keys add age1…)",
                Language::En =>
                    "(The file does not exist yet: this is just the inbox's own key. \
                                 Add your backup key with: fluister-inbox keys add age1…)",
            }
        );
    }
    Ok(())
}

/// Adds `recipient_text` (an `age1…` public key) to the set under `name`, seals the triage
/// book to the new set, and says what to ask the relay's operator. Adding a key that is there
/// already seals the book again too, which finishes an interrupted earlier `keys add`.
pub fn add(settings: &Settings, recipient_text: &str, name: Option<&str>) -> Result<()> {
    let language = settings.language;
    let recipient = parse_recipient(recipient_text, language)?;
    let keys = settings.unlock()?;
    let _lock = settings.home.lock()?;
    let mut set = current_set(settings, &keys)?;
    let added = set.add(recipient, name.unwrap_or_default());
    seal_book_to(settings, &keys, &set)?;
    set.save(&settings.home)?;
    println!(
        "{}",
        match (added, language) {
            (true, Language::Nl) => format!("{recipient} staat nu in uw eigen sleutelset."),
            (true, Language::En) => format!("{recipient} is now in your own set of keys."),
            (false, Language::Nl) => format!("{recipient} stond al in uw eigen sleutelset."),
            (false, Language::En) => format!("{recipient} was already in your own set of keys."),
        }
    );
    print_sealed_to(settings, &set);
    println!(
        "{}",
        match language {
            Language::Nl =>
                "Volgende stap: vraag de beheerder van de server deze sleutel ook aan \
                             coordinator.recipients toe te voegen, zodat nieuwe meldingen ervoor \
                             worden versleuteld. `fluister-inbox status` controleert dat.",
            Language::En =>
                "Next step: ask the relay's operator to add this key to \
                             coordinator.recipients too, so new tips are sealed to it. \
                             `fluister-inbox status` checks that.",
        }
    );
    Ok(())
}

/// Removes `recipient_text` from the set and seals the triage book to what is left. Refuses to
/// remove the key this command runs with (it could not read the book back otherwise).
pub fn remove(settings: &Settings, recipient_text: &str) -> Result<()> {
    let language = settings.language;
    let recipient = parse_recipient(recipient_text, language)?;
    let keys = settings.unlock()?;
    if recipient == keys.own_recipient {
        return Err(Error::Usage(match language {
            Language::Nl => format!(
                "{recipient} is de sleutel waarmee u nu werkt; die kunt u niet uit de set halen. \
                 Werk met een andere sleutel uit de set (--identity BESTAND) om hem te verwijderen."
            ),
            Language::En => format!(
                "{recipient} is the key you are using now; you cannot take it out of the set. Use \
                 another key of the set (--identity FILE) to remove it."
            ),
        }));
    }
    let _lock = settings.home.lock()?;
    let mut set = current_set(settings, &keys)?;
    if !set.remove(&recipient) {
        return Err(Error::Usage(match language {
            Language::Nl => format!(
                "{recipient} staat niet in uw eigen sleutelset; `fluister-inbox keys list` toont \
                 welke erin staan. Er is niets veranderd."
            ),
            Language::En => format!(
                "{recipient} is not in your own set of keys; `fluister-inbox keys list` shows \
                 which are. Nothing was changed."
            ),
        }));
    }
    seal_book_to(settings, &keys, &set)?;
    set.save(&settings.home)?;
    println!(
        "{}",
        match language {
            Language::Nl => format!(
                "{recipient} is uit uw eigen sleutelset gehaald. Oudere kopieën van triage.age \
                 (bijvoorbeeld in een back-up) gaan er nog wel mee open."
            ),
            Language::En => format!(
                "{recipient} was taken out of your own set of keys. Older copies of triage.age \
                 (in a backup, say) still open with it."
            ),
        }
    );
    print_sealed_to(settings, &set);
    Ok(())
}

/// The set as it is now; an inbox without any key in it (no `recipient.txt`, for example one
/// used only with --identity) starts from the key this command runs with.
fn current_set(settings: &Settings, keys: &UnlockedKeys) -> Result<RecipientSet> {
    let mut set = RecipientSet::load(&settings.home, settings.language)?;
    if set.entries().is_empty() {
        set.add(
            keys.own_recipient,
            recipients::own_key_name(settings.language),
        );
    }
    Ok(set)
}

/// Seals the triage book, if there is one, to `set` (and the key this command runs with).
fn seal_book_to(settings: &Settings, keys: &UnlockedKeys, set: &RecipientSet) -> Result<()> {
    if settings.home.triage_path().exists() {
        let book = TriageBook::load(&settings.home, &keys.identities)?;
        book.save(&settings.home, &set.sealing_recipients(&keys.own_recipient))?;
        kill_switch::reached(Step::Resealed);
    }
    Ok(())
}

fn print_sealed_to(settings: &Settings, set: &RecipientSet) {
    println!(
        "{}",
        match settings.language {
            Language::Nl => format!(
                "Notities en statussen (triage.age) gaan open met elk van deze {} sleutel(s):",
                set.entries().len()
            ),
            Language::En => format!(
                "Notes and statuses (triage.age) open with each of these {} key(s):",
                set.entries().len()
            ),
        }
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
    text.trim().parse().map_err(|_| {
        Error::Usage(match language {
            Language::Nl => "dat is geen openbare sleutel. Een openbare sleutel begint met age1, \
                             zoals age-keygen of fluister-inbox keygen hem toont (geef nooit de \
                             geheime sleutel, AGE-SECRET-KEY-…). Er is niets veranderd."
                .to_owned(),
            Language::En => "that is not a public key. A public key starts with age1, as \
                             age-keygen or fluister-inbox keygen shows it (never give the secret \
                             key, AGE-SECRET-KEY-…). Nothing was changed."
                .to_owned(),
        })
    })
}
