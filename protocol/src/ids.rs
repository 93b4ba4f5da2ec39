//! Identifiers on the wire: random or derived bytes, written as lower-case hex.

use core::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::codec::{decode_hex, encode_hex};

macro_rules! hex_identifier {
    ($(#[$documentation:meta])* $name:ident, $length:literal) => {
        $(#[$documentation])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; $length]);

        impl $name {
            /// The length of the text form, in characters.
            pub const TEXT_LENGTH: usize = 2 * $length;

            /// Reads the text form: exactly this many lower-case hex digits, nothing else.
            pub fn parse(text: &str) -> Option<Self> {
                decode_hex(text).map(Self)
            }

            /// The bytes.
            pub fn as_bytes(&self) -> &[u8; $length] {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str(&encode_hex(&self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(formatter, "{}({self})", stringify!($name))
            }
        }

        impl core::str::FromStr for $name {
            type Err = InvalidIdentifier;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::parse(text).ok_or(InvalidIdentifier)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                crate::codec::hex_bytes::deserialize(deserializer).map(Self)
            }
        }
    };
}

hex_identifier!(
    /// A stored tip's random identifier: 16 bytes, 32 hex digits.
    TipId,
    16
);

hex_identifier!(
    /// A reporter's mailbox: 32 bytes the widget derives from the receipt code, 64 hex digits.
    /// Public (it names the mailbox in a URL path); the token that opens it is not.
    MailboxId,
    32
);

hex_identifier!(
    /// A mailbox message's random identifier: 16 bytes, 32 hex digits.
    MessageId,
    16
);

/// A text that is not the identifier it should be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidIdentifier;

impl fmt::Display for InvalidIdentifier {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("not a well-formed identifier (lower-case hex of the right length)")
    }
}

impl std::error::Error for InvalidIdentifier {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_round_trip_as_lower_case_hex() {
        let id = TipId([0xab; 16]);
        let text = id.to_string();
        assert_eq!(text, "ab".repeat(16));
        assert_eq!(TipId::parse(&text), Some(id));
        assert_eq!(text.parse::<TipId>(), Ok(id));
        assert_eq!(TipId::parse(&text.to_uppercase()), None);
        assert_eq!(TipId::parse(&"ab".repeat(17)), None);
        assert_eq!(MailboxId::parse(&"ab".repeat(16)), None);
        assert_eq!(format!("{id:?}"), format!("TipId({text})"));
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{text}\""));
        assert_eq!(serde_json::from_str::<TipId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<TipId>("\"AB\"").is_err());
    }
}
