//! Inputs the fuzz targets in `fuzz/` found, each with the property it broke.

use fluister_envelope::message::MailboxMessage;
use fluister_envelope::tip::TipDocument;

/// A field from a newer version holding an integer too large for 64 bits: JSON numbers like it
/// are read as floating point, and serde_json's default reading rounded it differently from
/// its own writing, so the field changed when the document was written back and read again
/// (found by `mailbox_message`). The envelope reads floats exactly (`float_roundtrip`).
const LARGE_NUMBER_IN_AN_UNKNOWN_FIELD: &[u8] =
    br#"{"v":1,"text":"x","later":1222222222222222222222222222222222}"#;

#[test]
fn mailbox_message_keeps_a_large_number_in_an_unknown_field() {
    let message = MailboxMessage::from_bytes(LARGE_NUMBER_IN_AN_UNKNOWN_FIELD).unwrap();
    let padded = message.to_padded_bytes().unwrap();
    let reread = MailboxMessage::from_bytes(&padded).unwrap();
    assert_eq!(reread.unknown_fields, message.unknown_fields);
    assert_eq!(reread.to_padded_bytes().unwrap(), padded);
}

#[test]
fn tip_document_keeps_a_large_number_in_an_unknown_field() {
    let document = TipDocument::from_bytes(LARGE_NUMBER_IN_AN_UNKNOWN_FIELD).unwrap();
    let padded = document.to_padded_bytes().unwrap();
    let reread = TipDocument::from_bytes(&padded).unwrap();
    assert_eq!(reread.unknown_fields, document.unknown_fields);
    assert_eq!(reread.to_padded_bytes().unwrap(), padded);
}
