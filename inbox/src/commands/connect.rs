//! `connect`: store the relay's address and the coordinator's token, show the keys the relay
//! seals tips to with their fingerprints, and pin the ones the coordinator confirms.

use std::io::{IsTerminal as _, Write as _};
use std::path::Path;

use fluister_envelope::age::Recipient;
use fluister_envelope::pin;
use zeroize::Zeroizing;

use super::{Settings, keys};
use crate::error::{Error, Result};
use crate::msg;
use crate::recipients::RecipientSet;
use crate::relay::{Connection, RelayClient, TOKEN_ENVIRONMENT_VARIABLE};

/// Stores the connection to `relay_url` with the token from `token_file`, else
/// `FLUISTER_TOKEN`, else asked on the terminal.
pub fn run(settings: &Settings, relay_url: &str, token_file: Option<&Path>) -> Result<()> {
    let token = match token_file {
        Some(path) => Zeroizing::new(
            std::fs::read_to_string(path)
                .map_err(|error| {
                    Error::io(
                        msg!("connect.token_file_unreadable", file = path.display()),
                        error,
                    )
                })?
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned(),
        ),
        None => match std::env::var(TOKEN_ENVIRONMENT_VARIABLE) {
            Ok(token) => Zeroizing::new(token),
            Err(_) => Zeroizing::new(
                rpassword::prompt_password(msg!("connect.token_prompt"))
                    .map_err(|error| Error::io(msg!("connect.no_terminal"), error))?,
            ),
        },
    };
    let connection = Connection::new(relay_url, &token)?;
    connection.save(&settings.home)?;
    println!(
        "{}",
        msg!(
            "connect.saved",
            address = connection.relay_url,
            file = settings.home.connection_path().display()
        )
    );
    show_and_pin_recipients(settings, &connection);
    println!("{}", msg!("connect.check"));
    Ok(())
}

/// Shows the keys the relay seals tips to, each with its fingerprint and whether it is in the
/// own set, and offers to pin (add to the own set) the ones that are not: only after the
/// coordinator confirmed on the terminal, having compared the fingerprints with what the
/// operator or their own backup key says. Without a terminal it says how to pin them. A relay
/// that cannot be reached now is left to `status`.
fn show_and_pin_recipients(settings: &Settings, connection: &Connection) {
    let language = settings.language;
    let client = RelayClient::new(connection);
    let Ok(relay_recipients) = client.sealing_recipients() else {
        return;
    };
    let Ok(set) = RecipientSet::load(&settings.home, language) else {
        return;
    };
    println!("{}", msg!("connect.relay_keys"));
    let mut unpinned = Vec::new();
    for text in &relay_recipients {
        let fingerprint = pin::key_fingerprint(text);
        match text.parse::<Recipient>() {
            Ok(recipient) if set.contains(&recipient) => {
                println!("  {fingerprint}  {}", msg!("connect.key_pinned"));
            }
            Ok(recipient) => {
                println!("  {fingerprint}  {}", msg!("connect.key_not_pinned"));
                unpinned.push(recipient);
            }
            Err(_) => println!(
                "  {}",
                crate::msg_in!(
                    language,
                    "recipients.relay_not_a_key",
                    key = crate::render::sanitise(text, false)
                )
            ),
        }
    }
    if unpinned.is_empty() {
        return;
    }
    for recipient in &unpinned {
        println!("    {recipient}");
    }
    if !std::io::stdin().is_terminal() {
        println!("{}", msg!("connect.pin_later"));
        return;
    }
    print!("{} ", msg!("connect.pin_question", count = unpinned.len()));
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    if std::io::stdin().read_line(&mut answer).is_err()
        || !["j", "ja", "y", "yes"].contains(&answer.trim().to_lowercase().as_str())
    {
        println!("{}", msg!("connect.pin_later"));
        return;
    }
    let added = settings.unlock().and_then(|keys| {
        for recipient in &unpinned {
            keys::add_to_set(
                &settings.home,
                language,
                &keys,
                &recipient.to_string(),
                &msg!("connect.pinned_name"),
            )?;
        }
        Ok(())
    });
    match added {
        Ok(()) => println!("{}", msg!("connect.pinned", count = unpinned.len())),
        Err(error) => {
            eprintln!("{error}");
            println!("{}", msg!("connect.pin_later"));
        }
    }
}
