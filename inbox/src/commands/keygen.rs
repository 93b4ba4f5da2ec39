//! `keygen`: make the coordinator's key.

use super::Settings;
use crate::error::Result;
use crate::keys;
use crate::msg;
use crate::recipients::{self, RecipientSet};

/// Makes a new key of `kind` (hybrid post-quantum unless `--x25519`) sealed with a new passphrase and prints its public key and the next steps.
/// Refuses, before asking for a passphrase, if there is a key already.
pub fn run(settings: &Settings, kind: keys::KeyKind) -> Result<()> {
    // Checked before asking for a passphrase, so nobody types one for nothing.
    keys::refuse_existing_key(&settings.identity_path)?;
    let passphrase = settings.passphrase_source.read_new()?;
    let generated = keys::generate(&settings.home, &settings.identity_path, &passphrase, kind)?;
    println!(
        "{}",
        msg!("keygen.ready", file = settings.identity_path.display())
    );
    println!();
    println!("{}", msg!("keygen.public_key"));
    println!();
    println!("    {}", generated.recipient);
    println!();
    println!("{}", msg!("keygen.next_steps"));
    // The coordinator's own set of keys starts with this key; the backup key joins it with
    // `keys add`, so that it opens the notes too.
    let mut set = RecipientSet::load(&settings.home, settings.language)?;
    set.add(
        generated.recipient,
        &recipients::own_key_name(settings.language),
    );
    set.save(&settings.home)?;
    println!(
        "{}",
        crate::msg_in!(settings.language, "keygen.backup_in_set")
    );
    Ok(())
}
