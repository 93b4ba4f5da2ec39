//! The STREAM payload: the plaintext cut into 64 KiB chunks, each sealed with
//! ChaCha20-Poly1305 under a counter nonce whose last byte marks the final chunk.
//!
//! Reading follows the reference implementation exactly: a short chunk must be the final one; a
//! full-size chunk is tried as a middle chunk first and as the final one second; the final chunk
//! may be empty only when it is the only chunk; nothing may follow the final chunk.

use std::io::{self, Read, Write};

use chacha20poly1305::{AeadInOut, ChaCha20Poly1305, KeyInit, Nonce};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Plaintext bytes per chunk.
pub(crate) const CHUNK_SIZE: usize = 64 * 1024;
const TAG_SIZE: usize = 16;
const ENCRYPTED_CHUNK_SIZE: usize = CHUNK_SIZE + TAG_SIZE;
/// The counter is 11 bytes; it can never run out in practice, but we refuse rather than wrap.
const MAX_COUNTER: u128 = (1 << 88) - 1;

/// Whether `length` bytes after the payload nonce can be a valid STREAM payload.
pub(crate) fn is_possible_payload_length(length: usize) -> bool {
    if length == TAG_SIZE {
        return true;
    }
    let final_chunk_length = length % ENCRYPTED_CHUNK_SIZE;
    length > TAG_SIZE && (final_chunk_length == 0 || final_chunk_length > TAG_SIZE)
}

/// The ChaCha20-Poly1305 state shared by sealing and opening: the key and the chunk counter.
struct ChunkCipher {
    aead: ChaCha20Poly1305,
    counter: u128,
}

impl ChunkCipher {
    fn new(payload_key: &Zeroizing<[u8; 32]>) -> Self {
        Self {
            aead: ChaCha20Poly1305::new(&(**payload_key).into()),
            counter: 0,
        }
    }

    fn nonce(&self, last: bool) -> Nonce {
        let mut nonce = [0u8; 12];
        nonce[..11].copy_from_slice(&self.counter.to_be_bytes()[5..]);
        nonce[11] = u8::from(last);
        nonce.into()
    }

    fn advance(&mut self) -> Result<()> {
        if self.counter >= MAX_COUNTER {
            return Err(Error::TooLarge);
        }
        self.counter += 1;
        Ok(())
    }

    /// Encrypts `chunk` in place and appends its tag.
    fn seal(&mut self, chunk: &mut Vec<u8>, last: bool) -> Result<()> {
        let nonce = self.nonce(last);
        self.aead
            .encrypt_in_place(&nonce, &[], chunk)
            .map_err(|_| Error::TooLarge)?;
        self.advance()
    }

    /// Decrypts `chunk` in place (dropping its tag) if it authenticates with the given flag.
    /// On failure the chunk's contents are unspecified.
    fn open(&self, chunk: &mut Vec<u8>, last: bool) -> bool {
        let nonce = self.nonce(last);
        self.aead.decrypt_in_place(&nonce, &[], chunk).is_ok()
    }
}

/// Writes a sealed age file: the header is already written, plaintext goes in through
/// [`Write`], and [`SealWriter::finish`] seals the final chunk.
///
/// Dropping the writer without calling `finish` leaves a truncated file that no reader accepts.
pub struct SealWriter<W: Write> {
    output: W,
    cipher: ChunkCipher,
    chunk: Zeroizing<Vec<u8>>,
}

impl<W: Write> SealWriter<W> {
    pub(crate) fn new(output: W, payload_key: &Zeroizing<[u8; 32]>) -> Self {
        Self {
            output,
            cipher: ChunkCipher::new(payload_key),
            chunk: Zeroizing::new(Vec::with_capacity(ENCRYPTED_CHUNK_SIZE)),
        }
    }

    fn write_chunk(&mut self, last: bool) -> io::Result<()> {
        self.cipher.seal(&mut self.chunk, last)?;
        self.output.write_all(&self.chunk)?;
        self.chunk.truncate(0);
        Ok(())
    }

    /// Seals the final chunk, flushes, and hands back the output.
    pub fn finish(mut self) -> Result<W> {
        self.write_chunk(true)
            .map_err(|error| Error::Io(error.kind()))?;
        self.output
            .flush()
            .map_err(|error| Error::Io(error.kind()))?;
        Ok(self.output)
    }
}

impl<W: Write> Write for SealWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut remaining = data;
        while !remaining.is_empty() {
            // A full chunk is only sealed once more data arrives: until then it may be the last.
            if self.chunk.len() == CHUNK_SIZE {
                self.write_chunk(false)?;
            }
            let take = remaining.len().min(CHUNK_SIZE - self.chunk.len());
            self.chunk.extend_from_slice(&remaining[..take]);
            remaining = &remaining[take..];
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.output.flush()
    }
}

impl<W: Write> core::fmt::Debug for SealWriter<W> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SealWriter")
            .field("chunks_written", &self.cipher.counter)
            .finish_non_exhaustive()
    }
}

enum ReaderState {
    Reading,
    /// The final chunk was read; after its plaintext, report this (trailing data) or EOF.
    Finished(Option<Error>),
    Failed(Error),
}

/// Reads the plaintext of an age file chunk by chunk, releasing each chunk only after it
/// authenticates. Made by [`super::OpenReader::new`].
pub struct PayloadReader<R: Read> {
    input: R,
    /// Bytes already read from `input` (while parsing the header) that belong to the payload.
    pending_input: Vec<u8>,
    cipher: ChunkCipher,
    plaintext: Zeroizing<Vec<u8>>,
    plaintext_position: usize,
    state: ReaderState,
}

impl<R: Read> PayloadReader<R> {
    pub(crate) fn new(input: R, pending_input: Vec<u8>, payload_key: &Zeroizing<[u8; 32]>) -> Self {
        Self {
            input,
            pending_input,
            cipher: ChunkCipher::new(payload_key),
            plaintext: Zeroizing::new(Vec::with_capacity(ENCRYPTED_CHUNK_SIZE)),
            plaintext_position: 0,
            state: ReaderState::Reading,
        }
    }

    /// Fills `buffer` up to `wanted` bytes from the pending bytes, then from the input.
    fn read_up_to(&mut self, buffer: &mut Vec<u8>, wanted: usize) -> io::Result<()> {
        let from_pending = self.pending_input.len().min(wanted - buffer.len());
        buffer.extend(self.pending_input.drain(..from_pending));
        let mut block = [0u8; 8192];
        while buffer.len() < wanted {
            let want = (wanted - buffer.len()).min(block.len());
            match self.input.read(&mut block[..want]) {
                Ok(0) => break,
                Ok(count) => buffer.extend_from_slice(&block[..count]),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    fn read_chunk(&mut self) -> Result<()> {
        let mut chunk = std::mem::take(&mut *self.plaintext);
        chunk.truncate(0);
        self.read_up_to(&mut chunk, ENCRYPTED_CHUNK_SIZE)
            .map_err(|error| Error::Io(error.kind()))?;
        let is_first = self.cipher.counter == 0;
        let last = match chunk.len() {
            // The payload must end with a chunk marked final.
            0 => return Err(Error::Payload),
            // A short final chunk may be empty only when it is the only chunk.
            TAG_SIZE if !is_first => return Err(Error::Payload),
            ENCRYPTED_CHUNK_SIZE => {
                // A full chunk is either a middle chunk or a full final chunk: try both, each
                // on the untouched ciphertext.
                let mut as_final = Zeroizing::new(chunk.clone());
                if self.cipher.open(&mut chunk, false) {
                    false
                } else if self.cipher.open(&mut as_final, true) {
                    chunk = std::mem::take(&mut *as_final);
                    true
                } else {
                    return Err(Error::Payload);
                }
            }
            _ => {
                if !self.cipher.open(&mut chunk, true) {
                    return Err(Error::Payload);
                }
                true
            }
        };
        self.cipher.advance()?;
        *self.plaintext = chunk;
        self.plaintext_position = 0;
        if last {
            let mut probe = Vec::with_capacity(1);
            self.read_up_to(&mut probe, 1)
                .map_err(|error| Error::Io(error.kind()))?;
            let trailing = (!probe.is_empty()).then_some(Error::Payload);
            self.state = ReaderState::Finished(trailing);
        }
        Ok(())
    }
}

impl<R: Read> Read for PayloadReader<R> {
    fn read(&mut self, output: &mut [u8]) -> io::Result<usize> {
        loop {
            let available = &self.plaintext[self.plaintext_position..];
            if !available.is_empty() {
                let count = available.len().min(output.len());
                output[..count].copy_from_slice(&available[..count]);
                self.plaintext_position += count;
                return Ok(count);
            }
            if output.is_empty() {
                return Ok(0);
            }
            match &self.state {
                ReaderState::Failed(error) | ReaderState::Finished(Some(error)) => {
                    return Err(error.clone().into());
                }
                ReaderState::Finished(None) => return Ok(0),
                ReaderState::Reading => {
                    if let Err(error) = self.read_chunk() {
                        self.state = ReaderState::Failed(error.clone());
                        return Err(error.into());
                    }
                }
            }
        }
    }
}

impl<R: Read> core::fmt::Debug for PayloadReader<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PayloadReader")
            .field("chunks_read", &self.cipher.counter)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn possible_payload_lengths() {
        assert!(!is_possible_payload_length(0));
        assert!(!is_possible_payload_length(15));
        assert!(is_possible_payload_length(16));
        assert!(is_possible_payload_length(17));
        assert!(is_possible_payload_length(ENCRYPTED_CHUNK_SIZE));
        assert!(!is_possible_payload_length(ENCRYPTED_CHUNK_SIZE + 16));
        assert!(is_possible_payload_length(ENCRYPTED_CHUNK_SIZE + 17));
        assert!(is_possible_payload_length(2 * ENCRYPTED_CHUNK_SIZE));
    }
}
