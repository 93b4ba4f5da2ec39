//! `connect`: store the relay's address and the coordinator's token.

use std::path::Path;

use zeroize::Zeroizing;

use super::Settings;
use crate::error::{Error, Result};
use crate::msg;
use crate::relay::{Connection, TOKEN_ENVIRONMENT_VARIABLE};

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
    println!("{}", msg!("connect.check"));
    Ok(())
}
