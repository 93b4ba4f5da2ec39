//! The tip document reader on any bytes: it never panics, and a document it accepts pads,
//! reads back equal, and pads to the same bytes again.
#![no_main]

use fluister_envelope::tip::TipDocument;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(document) = TipDocument::from_bytes(bytes) else {
        return;
    };
    let padded = document
        .to_padded_bytes()
        .expect("a document read validates");
    let reread = TipDocument::from_bytes(&padded).expect("a padded document reads");
    assert!(reread == document);
    assert_eq!(reread.to_padded_bytes().expect("still valid"), padded);
});
