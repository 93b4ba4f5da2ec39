//! Opening an age file with a fixed X25519 identity, the one most C2SP vectors are sealed to, so
//! that the vectors in the seed corpus reach the payload stream.
//!
//! The first byte chooses the shape. Even: the rest is a whole file. Odd: the rest is the nonce
//! and payload after the header of the vector `x25519` (whose MAC is right for that identity),
//! so every mutation lands in the STREAM payload. Opening never panics, and the whole-buffer
//! and the streaming opener (read in pieces of a size the second byte chooses) agree.
#![no_main]

use std::io::Read;

use fluister_envelope::age::{self, Identity, OpenReader, Unlock};
use libfuzzer_sys::fuzz_target;

const IDENTITY: &str = "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0";

const X25519_HEADER: &[u8] = b"age-encryption.org/v1\n\
-> X25519 TEiF0ypqr+bpvcqXNyCVJpL7OuwPdVwPL7KQEbFDOCc\n\
hjabGXwSLQ9c3S6Lw2i+S2Tu2fiwQHHslbBN6B41FLE\n\
--- WyJp9F/9FOZh7gJdheq2WIJcwHgYc8NIVh3ddwhrcNg\n";

fn identity() -> Identity {
    age::parse_identity_file(IDENTITY)
        .expect("the vectors' identity parses")
        .remove(0)
}

fuzz_target!(|input: &[u8]| {
    let Some((&shape, rest)) = input.split_first() else {
        return;
    };
    let file = if shape % 2 == 0 {
        rest.to_vec()
    } else {
        [X25519_HEADER, rest].concat()
    };
    let piece_length = usize::from(rest.first().copied().unwrap_or(1)).max(1) * 97;
    let identities = [identity()];

    let whole = age::open(&identities, &file);
    let streamed =
        OpenReader::new(Unlock::Identities(&identities), file.as_slice()).and_then(|mut reader| {
            let mut plaintext = Vec::new();
            let mut piece = vec![0u8; piece_length];
            loop {
                match reader.read(&mut piece) {
                    Ok(0) => return Ok(plaintext),
                    Ok(count) => plaintext.extend_from_slice(&piece[..count]),
                    Err(_) => return Err(fluister_envelope::Error::Payload),
                }
            }
        });
    match (&whole, &streamed) {
        (Ok(whole), Ok(streamed)) => assert_eq!(whole, streamed),
        (Err(whole), Err(streamed)) => assert_eq!(whole, streamed),
        _ => panic!(
            "whole {:?} but streamed {:?}",
            whole.as_ref().map(Vec::len),
            streamed.as_ref().map(Vec::len)
        ),
    }
});
