//! The receipt code a reporter keeps, and the mailbox keys derived from it.
//!
//! # The code
//!
//! A receipt code is 24 characters of Crockford base32 (`0-9`, `A-Z` without `I`, `L`, `O`,
//! `U`), shown in six groups of four: `7KQ2-M9XD-…-…-…-…`. The first 23 characters are random
//! (115 bits from the operating system or browser, never chosen by a person); the last one is a
//! check character.
//!
//! ## The check character
//!
//! Read each character as its value 0–31, an element of the finite field GF(32) (polynomials over
//! GF(2) modulo x⁵ + x² + 1; α = x is a generator of its 31 non-zero elements). The data
//! character at position `i` (0 to 22) gets the weight αⁱ⁺¹ and the check character the weight
//! 1, and the check character is chosen so that the weighted sum of all 24 characters is zero.
//! Since the 24 weights are non-zero and pairwise distinct:
//!
//! - any single wrong character changes the sum by its weight times a non-zero difference, which
//!   is never zero: every single-character typo is caught;
//! - swapping two different characters at positions `j` and `k` changes the sum by
//!   (wⱼ + wₖ)·(cⱼ + cₖ), a product of two non-zero elements, so every transposition is caught,
//!   adjacent or not;
//! - any other mix-up gets through with probability 1/32.
//!
//! ## Forgiving input
//!
//! [`ReceiptCode::parse`] ignores case, whitespace and dashes, and reads the look-alikes as
//! Crockford does: `O` as `0`, `I` and `L` as `1`. It also reads `U` as `V` (a handwritten
//! `V` is easily read as `U`; Crockford leaves `U` out so that no code spells certain words).
//! Anything else, a wrong length, or a wrong check character is [`Error::InvalidReceiptCode`].
//!
//! # Key derivation
//!
//! [`ReceiptCode::derive_keys`] stretches the canonical code (the 24 characters, upper case, no
//! dashes, as ASCII) with Argon2id version 0x13 ([`ARGON2_MEMORY_KIB`], [`ARGON2_TIME_COST`],
//! [`ARGON2_PARALLELISM`]) and the fixed salt [`ARGON2_SALT`] into 32 bytes, and expands those
//! with HKDF-SHA256 (no salt) under distinct labels into the [`MailboxId`], the
//! [`MailboxToken`], the answer key and two reply identities: an X25519 one and a hybrid
//! post-quantum one (`mlkem768x25519`, from a 32-byte seed).
//!
//! ## Which reply key
//!
//! The age format does not let a file be sealed to hybrid and X25519 recipients at once (a
//! hybrid file must not be openable without the post-quantum key), and a mailbox message is
//! sealed to the reporter's reply key together with the coordinators' keys. So the reply key
//! follows the coordinators' keys: when the tip is sealed to hybrid recipients, the tip names the
//! hybrid reply recipient and every message of that conversation is hybrid; when it is sealed to
//! X25519 recipients, the tip names the X25519 one, as before hybrid keys existed
//! ([`MailboxKeys::reply_identity_for`]). Both are derived from every code, so a code typed back
//! in opens messages sealed to either, and old X25519 conversations keep working.
//!
//! A fixed salt is sound here because the code itself is 115 random bits, unique per tip: a salt
//! exists to stop one precomputation from serving many guessable passwords, and nobody can
//! precompute over 2¹¹⁵ codes. The salt still separates this use of Argon2id from every other.
//! Argon2id is defence in depth (the code is already unguessable): it makes a relay operator, who
//! sees mailbox ids, pay a memory-hard hash per guess.

use core::fmt;

use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::age::Identity;
use crate::error::{Error, Result, fill_random};

/// The 32 characters of Crockford base32, in value order.
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// How many random characters a code has (115 bits).
pub const DATA_LENGTH: usize = 23;

/// How many characters a code has in all: the random ones and the check character.
pub const CODE_LENGTH: usize = DATA_LENGTH + 1;

/// How many characters are shown together between dashes.
pub const GROUP_LENGTH: usize = 4;

/// Argon2id memory cost for the receipt key derivation, in KiB (32 MiB).
///
/// Measured natively in release mode on the development machine (x86-64, one thread), 32 MiB
/// with 8 passes takes 0.16–0.21 s (`cargo bench -p fluister-envelope --bench envelope`: median
/// 0.21 s while other builds ran; 0.19 s on a quiet machine); a browser's wasm is about 3–4×
/// slower, which keeps the derivation under the goal of 1 s on a phone. (16–32 MiB with 2–3
/// passes took only 20–60 ms here, too little to matter.) 32 MiB rather than 64 MiB with fewer
/// passes, because the widget's wasm memory never shrinks once grown and low-end phones matter
/// more here than the small gain against a GPU attacker (the code is unguessable anyway).
pub const ARGON2_MEMORY_KIB: u32 = 32 * 1024;

/// Argon2id passes over the memory for the receipt key derivation (see [`ARGON2_MEMORY_KIB`]).
pub const ARGON2_TIME_COST: u32 = 8;

/// Argon2id lanes for the receipt key derivation: one, since a browser worker is one thread.
pub const ARGON2_PARALLELISM: u32 = 1;

/// The fixed Argon2id salt: domain separation, not secrecy (see the module documentation).
pub const ARGON2_SALT: &[u8] = b"fluister receipt v1";

/// HKDF-SHA256 label for the public mailbox id.
pub const MAILBOX_ID_LABEL: &[u8] = b"fluister receipt v1 mailbox id";

/// HKDF-SHA256 label for the secret mailbox access token.
pub const MAILBOX_TOKEN_LABEL: &[u8] = b"fluister receipt v1 mailbox token";

/// HKDF-SHA256 label for the reporter's reply X25519 identity.
pub const REPLY_IDENTITY_LABEL: &[u8] = b"fluister receipt v1 reply identity";

/// HKDF-SHA256 label for the seed of the reporter's hybrid post-quantum reply identity (see
/// [`Identity::from_hybrid_seed`]).
pub const REPLY_HYBRID_IDENTITY_LABEL: &[u8] = b"fluister receipt v1 reply hybrid identity";

/// HKDF-SHA256 label for the key that authenticates the reporter's answers (see
/// [`crate::message`]): only the reporter (who has the code) and the coordinators (who read it
/// in the sealed tip) know it, so the relay cannot write an answer in the reporter's name.
pub const ANSWER_KEY_LABEL: &[u8] = b"fluister receipt v1 answer key";

/// The receipt code a reporter gets after sending a tip: 24 Crockford base32 characters, the
/// last a check character. Wiped from memory on drop; its `Debug` form hides the code.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ReceiptCode {
    /// Character values 0–31; the last is the check character.
    symbols: [u8; CODE_LENGTH],
}

impl ReceiptCode {
    /// Makes a fresh code from 115 random bits from the operating system (or browser).
    pub fn generate() -> Result<Self> {
        let mut random = Zeroizing::new([0u8; DATA_LENGTH]);
        fill_random(random.as_mut())?;
        let mut symbols = [0u8; CODE_LENGTH];
        for (symbol, byte) in symbols.iter_mut().zip(random.iter()) {
            // 256 is a multiple of 32, so the low five bits of a uniform byte are uniform.
            *symbol = byte & 0x1f;
        }
        symbols[DATA_LENGTH] = check_symbol(&symbols[..DATA_LENGTH]);
        Ok(Self { symbols })
    }

    /// Reads a code as a person typed it: any case, with or without spaces and dashes, with the
    /// look-alikes `O`→`0`, `I`/`L`→`1` and `U`→`V`.
    ///
    /// Fails with [`Error::InvalidReceiptCode`] on any other character, a wrong length, or a
    /// wrong check character.
    pub fn parse(text: &str) -> Result<Self> {
        let mut symbols = [0u8; CODE_LENGTH];
        let mut count = 0;
        for character in text.chars() {
            if character == '-' || character.is_whitespace() {
                continue;
            }
            let value = symbol_value(character);
            match (value, symbols.get_mut(count)) {
                (Some(value), Some(slot)) => *slot = value,
                _ => {
                    symbols.zeroize();
                    return Err(Error::InvalidReceiptCode);
                }
            }
            count += 1;
        }
        let code = Self { symbols };
        if count != CODE_LENGTH || weighted_sum(&code.symbols) != 0 {
            return Err(Error::InvalidReceiptCode);
        }
        Ok(code)
    }

    /// The canonical form: 24 upper-case characters without dashes. This is what Argon2id
    /// hashes. Handle with care: it is the secret.
    pub fn to_canonical_string(&self) -> Zeroizing<String> {
        let mut text = Zeroizing::new(String::with_capacity(CODE_LENGTH));
        for &symbol in &self.symbols {
            text.push(char::from(ALPHABET[usize::from(symbol)]));
        }
        text
    }

    /// The form shown to people: groups of four separated by dashes, e.g.
    /// `7KQ2-M9XD-0AB4-PQRS-TVWX-YZ5C`. The same as [`Display`](fmt::Display), but wiped on drop.
    pub fn to_grouped_string(&self) -> Zeroizing<String> {
        let mut text = Zeroizing::new(String::with_capacity(CODE_LENGTH + CODE_LENGTH / 4));
        for (index, &symbol) in self.symbols.iter().enumerate() {
            if index > 0 && index % GROUP_LENGTH == 0 {
                text.push('-');
            }
            text.push(char::from(ALPHABET[usize::from(symbol)]));
        }
        text
    }

    /// Derives the mailbox keys from this code with Argon2id and HKDF-SHA256 (see the module
    /// documentation). Takes about 0.2 s natively and up to a second in a browser: run it off the
    /// UI thread.
    pub fn derive_keys(&self) -> Result<MailboxKeys> {
        let master_key = self.stretch()?;
        let expander = Hkdf::<Sha256>::new(None, master_key.as_ref());

        let mut mailbox_id_bytes = [0u8; 32];
        let mut mailbox_token_bytes = [0u8; 32];
        let mut reply_secret = Zeroizing::new([0u8; 32]);
        let mut reply_hybrid_seed = Zeroizing::new([0u8; 32]);
        let mut answer_key = Zeroizing::new([0u8; 32]);
        // 32 bytes are far below HKDF-SHA256's limit of 255 × 32, so expansion cannot fail.
        expander
            .expand(MAILBOX_ID_LABEL, &mut mailbox_id_bytes)
            .map_err(|_| Error::InvalidReceiptCode)?;
        expander
            .expand(MAILBOX_TOKEN_LABEL, &mut mailbox_token_bytes)
            .map_err(|_| Error::InvalidReceiptCode)?;
        expander
            .expand(REPLY_IDENTITY_LABEL, reply_secret.as_mut())
            .map_err(|_| Error::InvalidReceiptCode)?;
        expander
            .expand(REPLY_HYBRID_IDENTITY_LABEL, reply_hybrid_seed.as_mut())
            .map_err(|_| Error::InvalidReceiptCode)?;
        expander
            .expand(ANSWER_KEY_LABEL, answer_key.as_mut())
            .map_err(|_| Error::InvalidReceiptCode)?;

        let mailbox_token = MailboxToken::from_bytes(mailbox_token_bytes);
        mailbox_token_bytes.zeroize();
        Ok(MailboxKeys {
            mailbox_id: MailboxId::from_bytes(&mailbox_id_bytes),
            mailbox_token,
            reply_identity: Identity::from_secret_bytes(*reply_secret),
            reply_hybrid_identity: Identity::from_hybrid_seed(*reply_hybrid_seed),
            answer_key,
        })
    }

    /// Argon2id over the canonical code: the 32-byte input key material for HKDF.
    fn stretch(&self) -> Result<Zeroizing<[u8; 32]>> {
        let params = Params::new(
            ARGON2_MEMORY_KIB,
            ARGON2_TIME_COST,
            ARGON2_PARALLELISM,
            Some(32),
        )
        .map_err(|_| Error::InvalidReceiptCode)?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        // The memory holds values derived from the code: wiped when dropped.
        let mut memory_blocks = Zeroizing::new(vec![Block::new(); argon2.params().block_count()]);
        let mut master_key = Zeroizing::new([0u8; 32]);
        argon2
            .hash_password_into_with_memory(
                self.to_canonical_string().as_bytes(),
                ARGON2_SALT,
                master_key.as_mut(),
                memory_blocks.as_mut_slice(),
            )
            .map_err(|_| Error::InvalidReceiptCode)?;
        Ok(master_key)
    }
}

impl fmt::Display for ReceiptCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_grouped_string())
    }
}

impl fmt::Debug for ReceiptCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReceiptCode(<redacted>)")
    }
}

impl PartialEq for ReceiptCode {
    /// Compares without stopping at the first difference.
    fn eq(&self, other: &Self) -> bool {
        self.symbols
            .iter()
            .zip(other.symbols.iter())
            .fold(0u8, |difference, (left, right)| difference | (left ^ right))
            == 0
    }
}

impl Eq for ReceiptCode {}

/// The keys a receipt code stands for: which mailbox, the right to read and write it, and the
/// reporter's key for replies.
pub struct MailboxKeys {
    /// The public name of the reporter's mailbox on the relay.
    pub mailbox_id: MailboxId,
    /// The secret that grants access to the mailbox; the relay stores only its hash.
    pub mailbox_token: MailboxToken,
    /// The reporter's X25519 identity: the coordinator seals replies to its recipient when the
    /// coordinators' keys are X25519 ones.
    pub reply_identity: Identity,
    /// The reporter's hybrid post-quantum identity: the coordinator seals replies to its
    /// recipient when the coordinators' keys are hybrid ones.
    pub reply_hybrid_identity: Identity,
    /// The key the reporter's answers are authenticated with (see [`ANSWER_KEY_LABEL`]).
    pub answer_key: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for MailboxKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailboxKeys")
            .field("mailbox_id", &self.mailbox_id)
            .field("mailbox_token", &self.mailbox_token)
            .field("reply_identity", &self.reply_identity)
            .field("reply_hybrid_identity", &self.reply_hybrid_identity)
            .field("answer_key", &"<redacted>")
            .finish()
    }
}

impl MailboxKeys {
    /// The reply identity of the kind a conversation with coordinators of the given kind uses:
    /// hybrid when `post_quantum` (their recipients are `age1pq1…`), else X25519. A mailbox
    /// message is sealed to the coordinators and this identity's recipient together, and age
    /// does not mix the two kinds in one file.
    pub fn reply_identity_for(&self, post_quantum: bool) -> &Identity {
        if post_quantum {
            &self.reply_hybrid_identity
        } else {
            &self.reply_identity
        }
    }

    /// Both reply identities, to open any message of the conversation with.
    pub fn reply_identities(&self) -> [Identity; 2] {
        [
            self.reply_hybrid_identity.clone(),
            self.reply_identity.clone(),
        ]
    }
}

/// The public identifier of a reporter's mailbox: 32 derived bytes as 64 lower-case hex digits,
/// safe in a URL path. In JSON it is that string.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MailboxId(String);

impl MailboxId {
    /// The length of the text form, in characters.
    pub const LENGTH: usize = 64;

    /// Makes the text form of 32 bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut text = String::with_capacity(Self::LENGTH);
        for byte in bytes {
            text.push(char::from(HEX_DIGITS[usize::from(byte >> 4)]));
            text.push(char::from(HEX_DIGITS[usize::from(byte & 0x0f)]));
        }
        Self(text)
    }

    /// Reads the text form, e.g. from a URL path; `None` unless it is exactly 64 lower-case hex
    /// digits (the relay answers a malformed id like a missing mailbox).
    pub fn parse(text: &str) -> Option<Self> {
        let well_formed = text.len() == Self::LENGTH
            && text
                .bytes()
                .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte));
        well_formed.then(|| Self(text.to_owned()))
    }

    /// The 64 lower-case hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MailboxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for MailboxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MailboxId({})", self.0)
    }
}

impl Serialize for MailboxId {
    fn serialize<S: Serializer>(&self, serializer: S) -> core::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for MailboxId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> core::result::Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text).ok_or_else(|| {
            serde::de::Error::custom("a mailbox id is 64 lower-case hexadecimal digits")
        })
    }
}

/// The secret that grants access to a mailbox: 32 derived bytes, sent as 43 characters of
/// unpadded base64url. Wiped from memory on drop; its `Debug` form hides it.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct MailboxToken([u8; 32]);

impl MailboxToken {
    /// Wraps 32 secret bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The 32 secret bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The form sent to the relay (e.g. as a bearer token): unpadded base64url, 43 characters.
    pub fn to_base64url(&self) -> Zeroizing<String> {
        Zeroizing::new(URL_SAFE_NO_PAD.encode(self.0))
    }

    /// Reads the form sent to the relay; `None` unless it is exactly 32 bytes of canonical,
    /// unpadded base64url (the relay answers a malformed token like a wrong one).
    pub fn from_base64url(text: &str) -> Option<Self> {
        if text.len() != 43 {
            return None;
        }
        let mut bytes = Zeroizing::new([0u8; 32]);
        let written = URL_SAFE_NO_PAD
            .decode_slice(text.as_bytes(), bytes.as_mut())
            .ok()?;
        (written == 32).then(|| Self(*bytes))
    }

    /// What the relay stores instead of the token: SHA-256 of the 32 token bytes. A plain hash
    /// suffices because the token is 256 uniformly random bits, not a password; the relay
    /// compares hashes in constant time.
    pub fn storage_hash(&self) -> [u8; 32] {
        Sha256::digest(self.0).into()
    }
}

impl fmt::Debug for MailboxToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MailboxToken(<redacted>)")
    }
}

impl PartialEq for MailboxToken {
    /// Compares without stopping at the first difference.
    fn eq(&self, other: &Self) -> bool {
        self.0
            .iter()
            .zip(other.0.iter())
            .fold(0u8, |difference, (left, right)| difference | (left ^ right))
            == 0
    }
}

impl Eq for MailboxToken {}

/// The value of a typed character, with Crockford's look-alikes (and `U` as `V`); `None` for a
/// character that is not part of any code.
fn symbol_value(character: char) -> Option<u8> {
    let upper = match character.to_ascii_uppercase() {
        'O' => '0',
        'I' | 'L' => '1',
        'U' => 'V',
        other => other,
    };
    if !upper.is_ascii() {
        return None;
    }
    ALPHABET
        .iter()
        .position(|&letter| char::from(letter) == upper)
        .and_then(|position| u8::try_from(position).ok())
}

/// Multiplies two elements of GF(32) = GF(2)[x] / (x⁵ + x² + 1).
fn field_multiply(mut left: u8, mut right: u8) -> u8 {
    let mut product = 0u8;
    while right != 0 {
        if right & 1 != 0 {
            product ^= left;
        }
        right >>= 1;
        left <<= 1;
        if left & 0x20 != 0 {
            left ^= 0x25;
        }
    }
    product
}

/// Σ wᵢ·cᵢ over all given characters, with weight αⁱ⁺¹ for data position `i` and weight 1 for
/// the check character at position 23.
fn weighted_sum(symbols: &[u8; CODE_LENGTH]) -> u8 {
    check_symbol(&symbols[..DATA_LENGTH]) ^ symbols[DATA_LENGTH]
}

/// The check character for the data characters: Σ αⁱ⁺¹·cᵢ (in GF(32), minus is plus).
fn check_symbol(data: &[u8]) -> u8 {
    let mut weight = 1u8;
    let mut sum = 0u8;
    for &symbol in data {
        weight = field_multiply(weight, 2);
        sum ^= field_multiply(weight, symbol);
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed, valid code for the known-answer tests.
    /// The data characters are the values 0 to 22 in order; the check character is `8`.
    const KNOWN_CODE: &str = "0123-4567-89AB-CDEF-GHJK-MNP8";
    // Pinned outputs for KNOWN_CODE. The HKDF step and the X25519 recipient were cross-checked
    // with Python's hmac module and `age-keygen -y`; Argon2id is RustCrypto's, with its own
    // known-answer tests. Any change to a parameter, label or salt must fail this test.
    const KNOWN_MAILBOX_ID: &str =
        "ed76ec652cd0f5bc72d5d0d58587a3f30d416db720dd89c15f109b0d3b64848c";
    const KNOWN_MAILBOX_TOKEN_HEX: &str =
        "79a90977320f871a63e1519f90116e7885bf0531e189aa4d8b3309abd4c6d5a1";
    const KNOWN_REPLY_RECIPIENT: &str =
        "age13k4yj7l6kwc9prgj4y6z9l0v8gl8lrn7m6dvz4j4r4jxkputyf9srcmadm";
    // SHA-256 of the hybrid reply recipient's text (1,959 characters).
    const KNOWN_REPLY_HYBRID_RECIPIENT_SHA256: &str =
        "4addd1be6d2c29b7bd170d6d15dde187da250ab727cc9fca06f0450b2a8d82d2";
    const KNOWN_ANSWER_KEY_HEX: &str =
        "44053ccb55dfc9d14a8ea7f4820b1cba341372bf1a9d39c3ddcaafc2570e2430";

    fn known_code() -> ReceiptCode {
        let mut symbols = [0u8; CODE_LENGTH];
        for (index, symbol) in symbols.iter_mut().take(DATA_LENGTH).enumerate() {
            *symbol = u8::try_from(index).unwrap();
        }
        symbols[DATA_LENGTH] = check_symbol(&symbols[..DATA_LENGTH]);
        ReceiptCode { symbols }
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|byte| format!("{byte:02x}")).collect()
    }

    #[test]
    fn generated_codes_are_24_characters_in_six_groups_and_parse_back() {
        let code = ReceiptCode::generate().unwrap();
        let shown = code.to_string();
        assert_eq!(shown.len(), 29);
        let groups: Vec<&str> = shown.split('-').collect();
        assert_eq!(groups.len(), 6);
        assert!(groups.iter().all(|group| group.len() == 4));
        assert!(
            shown
                .bytes()
                .all(|byte| byte == b'-' || ALPHABET.contains(&byte))
        );
        assert_eq!(ReceiptCode::parse(&shown).unwrap(), code);
        assert_ne!(ReceiptCode::generate().unwrap(), code);
    }

    #[test]
    fn gf32_generator_has_order_31() {
        // α = x must generate all 31 non-zero elements, or the weights would repeat.
        let mut power = 1u8;
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..31 {
            power = field_multiply(power, 2);
            assert!(seen.insert(power));
        }
        assert_eq!(power, 1);
    }

    #[test]
    fn parse_is_forgiving_about_case_spacing_dashes_and_look_alikes() {
        let canonical = known_code().to_canonical_string();
        let shown = known_code().to_string();
        assert_eq!(ReceiptCode::parse(&canonical).unwrap(), known_code());
        assert_eq!(ReceiptCode::parse(&shown).unwrap(), known_code());
        assert_eq!(
            ReceiptCode::parse(&shown.to_ascii_lowercase()).unwrap(),
            known_code()
        );
        let spaced = shown.replace('-', " ");
        assert_eq!(
            ReceiptCode::parse(&format!("  {spaced}\n")).unwrap(),
            known_code()
        );
        // O for 0, l and I for 1.
        let look_alikes = canonical.replacen('0', "O", 1).replacen('1', "l", 1);
        assert_eq!(ReceiptCode::parse(&look_alikes).unwrap(), known_code());
        let capital_i = canonical.replacen('1', "I", 1);
        assert_eq!(ReceiptCode::parse(&capital_i).unwrap(), known_code());
    }

    #[test]
    fn u_is_read_as_v() {
        // Find a generated code with a V in it, then type it with a U.
        let code = loop {
            let code = ReceiptCode::generate().unwrap();
            if code.to_canonical_string().contains('V') {
                break code;
            }
        };
        let typed = code.to_canonical_string().replace('V', "u");
        assert_eq!(ReceiptCode::parse(&typed).unwrap(), code);
    }

    #[test]
    fn every_single_character_typo_is_rejected() {
        let canonical = known_code().to_canonical_string();
        for position in 0..CODE_LENGTH {
            for &replacement in ALPHABET {
                if canonical.as_bytes()[position] == replacement {
                    continue;
                }
                let mut typo = canonical.as_bytes().to_vec();
                typo[position] = replacement;
                let typo = String::from_utf8(typo).unwrap();
                assert_eq!(
                    ReceiptCode::parse(&typo),
                    Err(Error::InvalidReceiptCode),
                    "{typo}"
                );
            }
        }
    }

    #[test]
    fn every_transposition_is_rejected() {
        for _ in 0..20 {
            let code = ReceiptCode::generate().unwrap();
            let canonical = code.to_canonical_string();
            let bytes = canonical.as_bytes();
            for first in 0..CODE_LENGTH {
                for second in first + 1..CODE_LENGTH {
                    if bytes[first] == bytes[second] {
                        continue;
                    }
                    let mut swapped = bytes.to_vec();
                    swapped.swap(first, second);
                    let swapped = String::from_utf8(swapped).unwrap();
                    assert_eq!(
                        ReceiptCode::parse(&swapped),
                        Err(Error::InvalidReceiptCode),
                        "positions {first} and {second}"
                    );
                }
            }
        }
    }

    #[test]
    fn wrong_check_character_is_rejected() {
        let canonical = known_code().to_canonical_string();
        let data = &canonical[..DATA_LENGTH];
        let right_check = canonical.as_bytes()[DATA_LENGTH];
        let wrong_check = ALPHABET
            .iter()
            .find(|&&letter| letter != right_check)
            .unwrap();
        let wrong = format!("{data}{}", char::from(*wrong_check));
        assert_eq!(ReceiptCode::parse(&wrong), Err(Error::InvalidReceiptCode));
    }

    #[test]
    fn wrong_lengths_and_characters_are_rejected() {
        let canonical = known_code().to_canonical_string();
        let too_short = &canonical[..CODE_LENGTH - 1];
        let too_long = format!("{}0", canonical.as_str());
        for text in [
            "",
            "----",
            too_short,
            too_long.as_str(),
            &canonical.replacen('2', "*", 1),
            &canonical.replacen('2', "é", 1),
            &canonical.replacen('2', "_", 1),
        ] {
            assert_eq!(
                ReceiptCode::parse(text),
                Err(Error::InvalidReceiptCode),
                "{text}"
            );
        }
        let very_long = "0".repeat(100_000);
        assert_eq!(
            ReceiptCode::parse(&very_long),
            Err(Error::InvalidReceiptCode)
        );
    }

    #[test]
    fn debug_does_not_show_secrets() {
        let code = known_code();
        let debug = format!("{code:?}");
        assert!(!debug.contains(&code.to_canonical_string()[..8]));
        assert_eq!(debug, "ReceiptCode(<redacted>)");
        let token = MailboxToken::from_bytes([0xab; 32]);
        assert_eq!(format!("{token:?}"), "MailboxToken(<redacted>)");
        assert!(!format!("{token:?}").contains("ab"));
    }

    #[test]
    fn known_answer_for_key_derivation() {
        let code = known_code();
        assert_eq!(code.to_string(), KNOWN_CODE);
        let keys = code.derive_keys().unwrap();
        assert_eq!(keys.mailbox_id.as_str(), KNOWN_MAILBOX_ID);
        assert_eq!(hex(keys.mailbox_token.as_bytes()), KNOWN_MAILBOX_TOKEN_HEX);
        assert_eq!(
            keys.reply_identity.to_recipient().to_string(),
            KNOWN_REPLY_RECIPIENT
        );
        assert_eq!(hex(keys.answer_key.as_slice()), KNOWN_ANSWER_KEY_HEX);
        assert!(keys.reply_hybrid_identity.is_post_quantum());
        assert_eq!(
            hex(&Sha256::digest(
                keys.reply_hybrid_identity
                    .to_recipient()
                    .to_string()
                    .as_bytes()
            )),
            KNOWN_REPLY_HYBRID_RECIPIENT_SHA256
        );
        // And the same keys from the code as a person would type it.
        let typed = ReceiptCode::parse(&KNOWN_CODE.to_ascii_lowercase()).unwrap();
        assert_eq!(typed.derive_keys().unwrap().mailbox_id, keys.mailbox_id);
        let debug = format!("{keys:?}");
        assert!(!debug.contains(KNOWN_MAILBOX_TOKEN_HEX));
        assert!(debug.contains(KNOWN_MAILBOX_ID));
    }

    #[test]
    fn the_three_derived_values_differ() {
        let keys = known_code().derive_keys().unwrap();
        let id_bytes = keys.mailbox_id.as_str().to_owned();
        assert_ne!(id_bytes, hex(keys.mailbox_token.as_bytes()));
        assert_ne!(
            hex(keys.mailbox_token.as_bytes()),
            hex(keys.reply_identity.to_recipient().as_bytes())
        );
    }

    #[test]
    fn the_reply_key_follows_the_coordinators_kind_and_both_open_the_conversation() {
        let keys = known_code().derive_keys().unwrap();
        assert!(keys.reply_identity_for(true).is_post_quantum());
        assert!(!keys.reply_identity_for(false).is_post_quantum());
        // The hybrid key is derived, not random: the same code gives the same key.
        let again = known_code().derive_keys().unwrap();
        assert_eq!(
            again.reply_hybrid_identity.to_recipient(),
            keys.reply_hybrid_identity.to_recipient()
        );
        let identities = keys.reply_identities();
        for post_quantum in [true, false] {
            let recipient = keys.reply_identity_for(post_quantum).to_recipient();
            let sealed = crate::age::seal(&[recipient], b"reply").unwrap();
            assert_eq!(crate::age::open(&identities, &sealed).unwrap(), b"reply");
        }
    }

    #[test]
    fn mailbox_id_parses_only_lower_case_hex_of_the_right_length() {
        let id = MailboxId::from_bytes(&[0x5a; 32]);
        assert_eq!(id.as_str(), "5a".repeat(32));
        assert_eq!(MailboxId::parse(id.as_str()), Some(id.clone()));
        assert_eq!(MailboxId::parse(&"5A".repeat(32)), None);
        assert_eq!(MailboxId::parse(&"5a".repeat(31)), None);
        assert_eq!(MailboxId::parse(&"5a".repeat(33)), None);
        assert_eq!(MailboxId::parse(&"5g".repeat(32)), None);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<MailboxId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<MailboxId>("\"5a\"").is_err());
    }

    #[test]
    fn mailbox_token_round_trips_through_base64url_and_hashes_with_sha256() {
        let token = MailboxToken::from_bytes([0xfb; 32]);
        let text = token.to_base64url();
        assert_eq!(text.len(), 43);
        assert_eq!(MailboxToken::from_base64url(&text), Some(token.clone()));
        assert_eq!(MailboxToken::from_base64url(&text[..42]), None);
        assert_eq!(
            MailboxToken::from_base64url(&format!("{}=", text.as_str())),
            None
        );
        assert_eq!(MailboxToken::from_base64url(&text.replace('-', "+")), None);
        assert_eq!(
            hex(&MailboxToken::from_bytes([0; 32]).storage_hash()),
            // SHA-256 of 32 zero bytes.
            "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925"
        );
    }
}
