//! `connect`: store the relay's address and the coordinator's token.

use std::path::Path;

use zeroize::Zeroizing;

use super::Settings;
use crate::error::{Error, Result};
use crate::relay::{Connection, TOKEN_ENVIRONMENT_VARIABLE};

/// Stores the connection to `relay_url` with the token from `token_file`, else
/// `FLUISTER_TOKEN`, else asked on the terminal.
pub fn run(settings: &Settings, relay_url: &str, token_file: Option<&Path>) -> Result<()> {
    let token = match token_file {
        Some(path) => Zeroizing::new(
            std::fs::read_to_string(path)
                .map_err(|error| {
                    Error::io(
                        format!("cannot read the token file {}", path.display()),
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
            Err(_) => Zeroizing::new(rpassword::prompt_password("Coordinator token: ").map_err(
                |error| {
                    Error::io(
                        "cannot ask for the token: there is no terminal. Give it with \
                         --token-file FILE or the FLUISTER_TOKEN environment variable.",
                        error,
                    )
                },
            )?),
        },
    };
    let connection = Connection::new(relay_url, &token)?;
    connection.save(&settings.home)?;
    println!(
        "Saved the connection to {} in {}.",
        connection.relay_url,
        settings.home.connection_path().display()
    );
    println!("Check it with: fluister-inbox status");
    Ok(())
}
