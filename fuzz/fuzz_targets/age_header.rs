//! The age header parser on any bytes: it never panics, and a header it accepts writes itself
//! back byte for byte (the parser accepts only the canonical form) and parses to the same value.
#![no_main]

use fluister_envelope::age::Header;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|file: &[u8]| {
    let Ok((header, header_length)) = Header::parse(file) else {
        return;
    };
    let written = header.to_bytes();
    assert_eq!(written, &file[..header_length]);
    let mut reparsed_file = written.clone();
    reparsed_file.extend_from_slice(&file[header_length..]);
    let (reparsed, reparsed_length) = Header::parse(&reparsed_file).expect("written header parses");
    assert_eq!(reparsed, header);
    assert_eq!(reparsed_length, header_length);
    assert!(
        header
            .stanzas()
            .iter()
            .all(|stanza| !stanza.tag().is_empty())
    );
});
