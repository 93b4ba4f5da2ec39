//! `app`: the coordinator's workspace, a local web app in the default browser (see
//! [`crate::app`] for what keeps it to this computer and this person).

use std::io::Write as _;
use std::time::Duration;

use super::Settings;
use crate::app::{App, AppConfig};
use crate::error::{Error, Result};
use crate::msg;

/// The idle time after which the app locks unless told otherwise.
pub const DEFAULT_LOCK_AFTER: Duration = Duration::from_secs(10 * 60);

/// How `app` runs.
#[derive(Clone, Debug)]
pub struct AppOptions {
    /// The port on 127.0.0.1; 0 for any free one.
    pub port: u16,
    /// Whether to open the default browser (off for tests and for a second browser).
    pub open_browser: bool,
    /// Lock after this long without use.
    pub lock_after: Duration,
}

/// Reads an idle time: a number with `s`, `m` or `h` (`30s`, `10m`, `1h`); a bare number is
/// minutes. Between 1 second and 24 hours.
pub fn parse_lock_after(text: &str) -> std::result::Result<Duration, String> {
    let text = text.trim();
    let (number, unit_seconds) = match text.char_indices().last() {
        Some((index, 's')) => (&text[..index], 1),
        Some((index, 'm')) => (&text[..index], 60),
        Some((index, 'h')) => (&text[..index], 3600),
        _ => (text, 60),
    };
    let seconds = number
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|number| number.checked_mul(unit_seconds))
        .filter(|seconds| (1..=24 * 3600).contains(seconds))
        .ok_or_else(|| msg!("app.lock_after_invalid"))?;
    Ok(Duration::from_secs(seconds))
}

/// Starts the app, prints its address (and the one-time opening address), opens the browser,
/// and serves until Ctrl+C.
pub fn run(settings: &Settings, options: &AppOptions) -> Result<()> {
    // Without a key of its own the workspace starts with making one; a key file named with
    // --identity must exist.
    if !settings.identity_path.exists() && settings.identity_path != settings.home.identity_path() {
        return Err(Error::NotSetUp(msg!(
            "keys.missing",
            file = settings.identity_path.display()
        )));
    }
    let app = App::bind(
        settings,
        &AppConfig {
            port: options.port,
            lock_after: options.lock_after,
            language: settings.language,
        },
    )?;
    let url = app.opening_url().to_owned();
    let address = app.url();
    println!("{}", msg!("app.running", address = address));
    println!("{}", msg!("app.open_once", address = url));
    println!("{}", msg!("app.stop"));
    std::io::stdout().flush().map_err(Error::UnexplainedIo)?;
    if options.open_browser
        && let Err(error) = open_in_browser(&url)
    {
        eprintln!(
            "fluister-inbox: {}",
            msg!("app.browser_not_opened", error = error)
        );
    }
    app.serve(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// Asks the desktop to open `url` in the default browser.
fn open_in_browser(url: &str) -> std::io::Result<()> {
    let mut command = if cfg!(target_os = "windows") {
        let mut command = std::process::Command::new("cmd");
        command.args(["/C", "start", ""]).arg(url);
        command
    } else if cfg!(target_os = "macos") {
        let mut command = std::process::Command::new("open");
        command.arg(url);
        command
    } else {
        let mut command = std::process::Command::new("xdg-open");
        command.arg(url);
        command
    };
    command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_times_read_with_units() {
        assert_eq!(parse_lock_after("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_lock_after("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_lock_after("10"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_lock_after("1h"), Ok(Duration::from_secs(3600)));
        for refused in ["0s", "25h", "", "m", "-1m", "ten"] {
            assert!(parse_lock_after(refused).is_err(), "{refused}");
        }
    }
}
