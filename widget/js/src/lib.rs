//! Reading the plain JavaScript values the widget's two wasm modules get from the browser (JSON
//! parsed by the browser, the messages between the page and the crypto worker) into Rust types
//! with serde, so that neither module links a JSON parser of its own.
//!
//! A value from outside (the relay's JSON, a message sealed by a coordinator) may be nested
//! deeper than any document of the protocol: reading stops at [`MAX_DEPTH`] levels, where a
//! recursive reader would otherwise exhaust the wasm stack and stop the module.
//!
//! What differs from reading the same text with `serde_json`, by the browser's parser: of a key
//! given twice the last one counts (`serde_json` refuses a struct's field given twice); numbers
//! are JavaScript's, so `1.0` reads as the integer 1 and integers beyond 2^53 lose precision.
//! Strings with a lone surrogate, which have no UTF-8 form, are refused.

use js_sys::{Array, JSON, JsString, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// `object[name]`, or `undefined`.
pub fn field(object: &JsValue, name: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// `object[name]` as a string, if it is one.
pub fn string_field(object: &JsValue, name: &str) -> Option<String> {
    field(object, name).as_string()
}

/// The items of the array `object[name]`; none if it is not an array.
pub fn array_field(object: &JsValue, name: &str) -> Vec<JsValue> {
    field(object, name)
        .dyn_into::<Array>()
        .map(|array| array.to_vec())
        .unwrap_or_default()
}

/// How deeply arrays and objects may nest in a value read with [`from_value`]; the protocol's
/// documents nest four levels at most.
pub const MAX_DEPTH: usize = 32;

/// Reads a plain JavaScript value (strings, numbers, booleans, `null`, arrays and objects, as
/// `JSON.parse` makes them) into a Rust type with serde, without a JSON parser in the module:
/// the crypto worker's answers, and the page's requests to it, arrive this way.
pub fn from_value<T: serde::de::DeserializeOwned>(value: JsValue) -> Result<T, NotTheType> {
    T::deserialize(ValueDeserializer {
        value,
        depth: MAX_DEPTH,
    })
}

/// Parses JSON text with the browser's own parser and reads it like [`from_value`].
pub fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, NotTheType> {
    from_value(JSON::parse(text).map_err(|_| NotTheType)?)
}

/// A JavaScript value did not have the shape of the type it was read into. Says no more, so that
/// no formatting code is linked for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotTheType;

impl std::fmt::Display for NotTheType {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("not the expected shape")
    }
}

impl std::error::Error for NotTheType {}

impl serde::de::Error for NotTheType {
    fn custom<T: std::fmt::Display>(_message: T) -> Self {
        NotTheType
    }
}

/// A value to read, and how many more levels of arrays and objects may be opened below it.
struct ValueDeserializer {
    value: JsValue,
    depth: usize,
}

/// What a JavaScript value holds, worked out without the type it is read into: the part of
/// reading that is generic (compiled again for every type read) stays a short dispatch.
enum Shape {
    Text(String),
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    Flag(bool),
    /// `null` or `undefined`.
    Nothing,
    Items(Vec<JsValue>),
    Entries(Vec<(JsValue, JsValue)>),
}

impl Shape {
    /// The shape of `value`; an array or object only if `depth` allows one more level.
    fn of(value: &JsValue, depth: usize) -> Result<Shape, NotTheType> {
        Ok(if let Some(text) = value.dyn_ref::<JsString>() {
            // A lone surrogate (`"\ud800"` is valid JSON) has no UTF-8 form: refused rather than
            // read as U+FFFD.
            if !text.is_valid_utf16() {
                return Err(NotTheType);
            }
            Shape::Text(String::from(text))
        } else if let Some(number) = value.as_f64() {
            // Whole numbers are read as integers (a JavaScript number holds any `u32` exactly).
            if number.fract() == 0.0 && (0.0..=u64::MAX as f64).contains(&number) {
                Shape::Unsigned(number as u64)
            } else if number.fract() == 0.0 && (i64::MIN as f64..0.0).contains(&number) {
                Shape::Signed(number as i64)
            } else {
                Shape::Float(number)
            }
        } else if let Some(flag) = value.as_bool() {
            Shape::Flag(flag)
        } else if value.is_null() || value.is_undefined() {
            Shape::Nothing
        } else if !value.is_object() || depth == 0 {
            return Err(NotTheType);
        } else if Array::is_array(value) {
            // Not `Array::from`, which is JavaScript's `Array.from`: a copy of the whole array.
            Shape::Items(value.unchecked_ref::<Array>().to_vec())
        } else {
            let object = js_sys::Object::from(value.clone());
            Shape::Entries(
                js_sys::Object::keys(&object)
                    .to_vec()
                    .into_iter()
                    .map(|key| {
                        let value = Reflect::get(&object, &key).unwrap_or(JsValue::UNDEFINED);
                        (key, value)
                    })
                    .collect(),
            )
        })
    }
}

/// The items of an array, read one by one.
struct Items {
    items: std::vec::IntoIter<JsValue>,
    /// The depth left for each item.
    depth: usize,
}

impl<'de> serde::de::SeqAccess<'de> for Items {
    type Error = NotTheType;

    fn next_element_seed<T: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, NotTheType> {
        self.items
            .next()
            .map(|value| {
                seed.deserialize(ValueDeserializer {
                    value,
                    depth: self.depth,
                })
            })
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// The entries of an object, read key, then value.
struct Entries {
    entries: std::vec::IntoIter<(JsValue, JsValue)>,
    /// The value of the key read last.
    value: Option<JsValue>,
    /// The depth left for each key and value.
    depth: usize,
}

impl<'de> serde::de::MapAccess<'de> for Entries {
    type Error = NotTheType;

    fn next_key_seed<K: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, NotTheType> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        seed.deserialize(ValueDeserializer {
            value: key,
            depth: self.depth,
        })
        .map(Some)
    }

    fn next_value_seed<T: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<T::Value, NotTheType> {
        let value = self.value.take().ok_or(NotTheType)?;
        seed.deserialize(ValueDeserializer {
            value,
            depth: self.depth,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

impl<'de> serde::Deserializer<'de> for ValueDeserializer {
    type Error = NotTheType;

    fn deserialize_any<V: serde::de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, NotTheType> {
        let depth = self.depth;
        match Shape::of(&self.value, depth)? {
            Shape::Text(text) => visitor.visit_string(text),
            Shape::Unsigned(number) => visitor.visit_u64(number),
            Shape::Signed(number) => visitor.visit_i64(number),
            Shape::Float(number) => visitor.visit_f64(number),
            Shape::Flag(flag) => visitor.visit_bool(flag),
            Shape::Nothing => visitor.visit_unit(),
            Shape::Items(items) => {
                let mut items = Items {
                    items: items.into_iter(),
                    depth: depth - 1,
                };
                let read = visitor.visit_seq(&mut items)?;
                // Like serde's own: items the type did not take are an error, not ignored.
                if items.items.len() == 0 {
                    Ok(read)
                } else {
                    Err(NotTheType)
                }
            }
            Shape::Entries(entries) => {
                let mut entries = Entries {
                    entries: entries.into_iter(),
                    value: None,
                    depth: depth - 1,
                };
                let read = visitor.visit_map(&mut entries)?;
                if entries.entries.len() == 0 {
                    Ok(read)
                } else {
                    Err(NotTheType)
                }
            }
        }
    }

    fn deserialize_option<V: serde::de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, NotTheType> {
        if self.value.is_null() || self.value.is_undefined() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, NotTheType> {
        visitor.visit_newtype_struct(self)
    }

    /// Only unit variants, written as their name (`"coordinator"`).
    fn deserialize_enum<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, NotTheType> {
        let name = self.value.as_string().ok_or(NotTheType)?;
        visitor.visit_enum(serde::de::IntoDeserializer::<NotTheType>::into_deserializer(name))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

impl<'de> serde::de::IntoDeserializer<'de, NotTheType> for ValueDeserializer {
    type Deserializer = ValueDeserializer;

    fn into_deserializer(self) -> ValueDeserializer {
        self
    }
}
