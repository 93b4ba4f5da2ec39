//! The relay's config file on any text: reading and validating never panic, and settings that
//! validate give the listen address, recipients and token hashes the relay starts with.
#![no_main]

use fluister_relay::settings::Settings;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let Ok(settings) = Settings::from_toml(text) else {
        return;
    };
    assert_eq!(Settings::from_toml(text).ok().as_ref(), Some(&settings));
    if settings.validate().is_ok() {
        settings.listen_address().expect("validated");
        settings.recipients().expect("validated");
        settings.token_hashes().expect("validated");
    }
});
