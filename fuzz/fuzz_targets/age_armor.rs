//! Armor decoding on any bytes: it never panics, and what it decodes armors again into text
//! that decodes to the same bytes.
#![no_main]

use fluister_envelope::age::armor;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Ok(file) = armor::decode(input) else {
        return;
    };
    assert!(armor::is_armored(input));
    let armored = armor::encode(&file);
    assert!(armor::is_armored(armored.as_bytes()));
    assert_eq!(
        armor::decode(armored.as_bytes()).expect("our armor decodes"),
        file
    );
});
