//! `keygen`: make the coordinator's key.

use super::Settings;
use crate::error::Result;
use crate::keys;

/// Makes a new key sealed with a new passphrase and prints its public key and the next steps.
/// Refuses, before asking for a passphrase, if there is a key already.
pub fn run(settings: &Settings) -> Result<()> {
    // Checked before asking for a passphrase, so nobody types one for nothing.
    keys::refuse_existing_key(&settings.identity_path)?;
    let passphrase = settings.passphrase_source.read_new()?;
    let generated = keys::generate(&settings.home, &settings.identity_path, &passphrase)?;
    println!("Your key is ready: {}", settings.identity_path.display());
    println!();
    println!("Your public key (give this to the relay's operator for coordinator.recipients):");
    println!();
    println!("    {}", generated.recipient);
    println!();
    println!("Next steps:");
    println!("  1. Make an offline backup key as well, on a computer or USB stick you keep locked");
    println!(
        "     away: `age-keygen -o backup-key.txt` (or `fluister-inbox --home /media/usb keygen`)."
    );
    println!(
        "     Have its public key added as a second recipient on the relay. Without a backup,"
    );
    println!("     a forgotten passphrase or a broken laptop means the tips can never be read.");
    println!("  2. Keep the passphrase somewhere safe that is not this computer.");
    println!(
        "  3. Store the relay's address and your token: fluister-inbox connect --relay https://…"
    );
    Ok(())
}
