//! Reading the plain JavaScript objects the widget gets from the browser (parsed JSON, the
//! crypto worker's answers) without a Rust JSON parser in the form's module.

use js_sys::{Array, Reflect, Uint8Array};
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

/// `object[name]` as bytes, if it is a `Uint8Array`.
pub fn bytes_field(object: &JsValue, name: &str) -> Option<Vec<u8>> {
    field(object, name)
        .dyn_into::<Uint8Array>()
        .ok()
        .map(|array| array.to_vec())
}
