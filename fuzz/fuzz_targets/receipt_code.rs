//! Receipt-code parsing on any text: it never panics, and a code it accepts reads back the same
//! from its canonical and its grouped form.
#![no_main]

use fluister_envelope::receipt::ReceiptCode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let Ok(code) = ReceiptCode::parse(text) else {
        return;
    };
    let canonical = code.to_canonical_string();
    assert_eq!(canonical.len(), 24);
    for form in [code.to_canonical_string(), code.to_grouped_string()] {
        let reread = ReceiptCode::parse(&form).expect("a written code parses");
        assert_eq!(*reread.to_canonical_string(), *canonical);
    }
});
