//! `keygen`: make the coordinator's key.

use super::Settings;
use crate::error::Result;
use crate::keys;
use crate::msg;

/// Makes a new key sealed with a new passphrase and prints its public key and the next steps.
/// Refuses, before asking for a passphrase, if there is a key already.
pub fn run(settings: &Settings) -> Result<()> {
    // Checked before asking for a passphrase, so nobody types one for nothing.
    keys::refuse_existing_key(&settings.identity_path)?;
    let passphrase = settings.passphrase_source.read_new()?;
    let generated = keys::generate(&settings.home, &settings.identity_path, &passphrase)?;
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
    Ok(())
}
