//! The mailbox message reader on any bytes: it never panics, and a message it accepts pads,
//! reads back equal, and pads to the same bytes again.
#![no_main]

use fluister_envelope::message::MailboxMessage;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(message) = MailboxMessage::from_bytes(bytes) else {
        return;
    };
    let padded = message.to_padded_bytes().expect("a message read validates");
    let reread = MailboxMessage::from_bytes(&padded).expect("a padded message reads");
    assert!(reread == message);
    assert_eq!(reread.to_padded_bytes().expect("still valid"), padded);
});
