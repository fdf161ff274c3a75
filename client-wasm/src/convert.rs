//! JavaScript values to MessagePack and back.
//!
//! A hand-written walk over the JS value rather than serde-wasm-bindgen:
//! serde's data model has no place for a `Uint8Array` or a `Map` in
//! `deserialize_any`, and a dynamic value is all this client ever has. The
//! walk yields an [`rmpv::Value`], and the shared codec in `swill-proto`
//! writes the bytes, so there is still one MessagePack encoder.
//!
//! | JavaScript | MessagePack | back to JavaScript |
//! |---|---|---|
//! | `null`, `undefined` | nil | `null` |
//! | `boolean` | bool | `boolean` |
//! | an integral `number` within ±(2^53 - 1), but `-0` | int (smallest form) | `number` |
//! | any other `number` (`-0` included) | float64 | `number` |
//! | `bigint` in the 64-bit range | int | `number` when safe, else `bigint` |
//! | `string` (a lone surrogate becomes U+FFFD: str is UTF-8) | str | `string` |
//! | `new Number(5)`, `new String("s")`, `new Boolean(b)` | what their value is | |
//! | `Uint8Array` (and `Buffer`), `ArrayBuffer`, `SharedArrayBuffer`, other typed arrays | bin | `Uint8Array` |
//! | `Array` | array | `Array` |
//! | a plain object (`undefined` properties left out) | map, string keys | a plain object |
//! | `Map` | map, any keys | an object when every key is a string, else a `Map` |
//! | an object with `toJSON()` (`Date`) | what `toJSON()` returns | |
//! | | ext | `{ type, data: Uint8Array }` |
//!
//! Functions, symbols, and objects that would silently travel as `{}`
//! (`Set`, `RegExp`, `WeakMap`, `WeakSet`, `Promise`, `Error`, and host
//! objects such as a `Blob`: see [`object`]) cannot be sent; nesting is bounded (64 levels), which also stops cyclic objects.

use js_sys::{Array, ArrayBuffer, BigInt, Function, Map, Object, Reflect, Uint8Array};
use rmpv::Value;
use swill_proto::{Metadata, Payload};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

/// How deep a value may nest, as in the wire decoder.
const MAX_DEPTH: usize = 64;

/// The largest integer a JS `number` holds exactly: 2^53 - 1.
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

/// Encodes a JS value as a message.
pub(crate) fn to_payload(value: &JsValue) -> Result<Payload, String> {
    to_value(value, 0).map(Payload::from)
}

/// Decodes a message into a JS value.
pub(crate) fn from_payload(payload: &Payload) -> Result<JsValue, String> {
    let value = payload.to_value().map_err(|e| e.to_string())?;
    Ok(from_value(&value))
}

/// Reads request metadata: a plain object (or a `Map` with string keys).
pub(crate) fn to_metadata(value: &JsValue) -> Result<Metadata, String> {
    match to_value(value, 0)? {
        Value::Nil => Ok(Metadata::new()),
        Value::Map(entries) => entries
            .into_iter()
            .map(|(key, value)| match key {
                Value::String(key) if key.is_str() => {
                    Ok((key.into_str().unwrap_or_default(), value))
                }
                _ => Err("metadata keys must be strings".to_owned()),
            })
            .collect(),
        _ => Err("metadata must be an object".to_owned()),
    }
}

/// Metadata as a plain object.
pub(crate) fn from_metadata(metadata: &Metadata) -> JsValue {
    let object = Object::new();
    for (key, value) in metadata.iter() {
        set(&object, key, &from_value(value));
    }
    object.into()
}

fn to_value(value: &JsValue, depth: usize) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "the value nests deeper than {MAX_DEPTH} levels (or is cyclic)"
        ));
    }
    // Each check asks JavaScript across the wasm boundary: the common
    // kinds (numbers, strings, arrays) first, since no value is two of
    // these kinds and the order changes nothing else. A request `[a, b]`
    // costs 8 crossings this way, where it cost 23.
    if let Some(n) = value.as_f64() {
        return Ok(number(n));
    }
    if let Some(s) = value.as_string() {
        return Ok(Value::from(s));
    }
    // The first questions that can run a Proxy's trap (or fail on a
    // revoked Proxy) catch what it throws: thrown through the wasm, it
    // would escape `call()` itself instead of rejecting its promise.
    if is_array(value).map_err(threw)? {
        // Read without catching: an Array's Proxy whose `get` trap throws
        // still throws out of the call. Catching each index (Reflect) cost
        // 15% more CPU per pipelined call in Node, for every array sent.
        let array: &Array = value.unchecked_ref();
        return array
            .iter()
            .map(|item| to_value(&item, depth + 1))
            .collect::<Result<_, _>>()
            .map(Value::Array);
    }
    if value.is_null() || value.is_undefined() {
        return Ok(Value::Nil);
    }
    // A plain object (`{...}`, the other common kind) skips the dozen
    // `instanceof` questions below: none of them can be true of it.
    if value.is_object() {
        let prototype = prototype_of(value).map_err(threw)?;
        if PLAIN.with(|plain| prototype == **plain) {
            return object(value, depth, false);
        }
    }
    if let Some(b) = value.as_bool() {
        return Ok(Value::Boolean(b));
    }
    if value.is_bigint() {
        return bigint(value);
    }
    if value.is_function() || value.is_symbol() {
        return Err(format!(
            "a {} cannot be sent",
            value.js_typeof().as_string().unwrap_or_default()
        ));
    }
    if let Some(bytes) = bytes(value) {
        return Ok(Value::Binary(bytes));
    }
    if let Some(map) = value.dyn_ref::<Map>() {
        return map_entries(map, depth);
    }
    // Wrapped primitives (`new Number(5)`) travel as their value, as
    // JSON.stringify sends them.
    if value.is_instance_of::<js_sys::Number>() {
        return Ok(number(value.unchecked_ref::<js_sys::Number>().value_of()));
    }
    if value.is_instance_of::<js_sys::Boolean>() {
        return Ok(Value::Boolean(
            value.unchecked_ref::<js_sys::Boolean>().value_of(),
        ));
    }
    if value.is_instance_of::<js_sys::JsString>() {
        let text = value.unchecked_ref::<js_sys::JsString>().value_of();
        return Ok(Value::from(String::from(text)));
    }
    // Objects whose contents are not their own enumerable properties
    // would silently travel as `{}` (as JSON.stringify sends them).
    let refused = [
        (
            value.is_instance_of::<js_sys::Set>(),
            "a Set (send [...set])",
        ),
        (
            value.is_instance_of::<js_sys::RegExp>(),
            "a RegExp (send its source)",
        ),
        (value.is_instance_of::<js_sys::WeakMap>(), "a WeakMap"),
        (value.is_instance_of::<js_sys::WeakSet>(), "a WeakSet"),
        (
            value.is_instance_of::<js_sys::Promise>(),
            "a Promise (await it first)",
        ),
        (
            value.is_instance_of::<js_sys::Error>(),
            "an Error (send its message)",
        ),
    ];
    if let Some((_, what)) = refused.iter().find(|(is, _)| *is) {
        return Err(format!("{what} cannot be sent"));
    }
    object(value, depth, true)
}

#[wasm_bindgen]
extern "C" {
    // js-sys's bindings of these do not catch.
    #[wasm_bindgen(js_namespace = Array, js_name = isArray, catch)]
    fn is_array(value: &JsValue) -> Result<bool, JsValue>;
    #[wasm_bindgen(js_namespace = Object, js_name = getPrototypeOf, catch)]
    fn prototype_of(value: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = Object, js_name = keys, catch)]
    fn own_keys(object: &Object) -> Result<Array, JsValue>;
}

thread_local! {
    /// `Object.prototype`: what a plain object's prototype is.
    static PLAIN: Object = Object::get_prototype_of(&Object::new());
}

/// An object sent as its properties, or as what its `toJSON()` returns.
/// An object sent as its properties, or as what its `toJSON()` returns.
/// `host` (asked of objects that are not plain) refuses a host object (a
/// `Blob`, a `File`, `FormData`, `Headers`, a stream): it names itself
/// with `Symbol.toStringTag` and holds its contents outside its own
/// properties, so it would travel as `{}`. A class of the user's with
/// such a tag and properties of its own travels as those.
fn object(value: &JsValue, depth: usize, host: bool) -> Result<Value, String> {
    if let Some(to_json) = Reflect::get(value, &"toJSON".into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
    {
        let json = to_json
            .call0(value)
            .map_err(|e| format!("toJSON() threw: {}", crate::error::thrown(&e)))?;
        return to_value(&json, depth + 1);
    }
    let object: &Object = value.unchecked_ref();
    if host {
        let tag = Reflect::get(value, &js_sys::Symbol::to_string_tag()).map_err(threw)?;
        if let Some(tag) = tag.as_string()
            && own_keys(object).map_err(threw)?.length() == 0
        {
            return Err(format!("a {tag} cannot be sent (send what it holds)"));
        }
    }
    object_entries(object, depth)
}

/// What a value's reading threw, as the 400's message says it.
fn threw(e: JsValue) -> String {
    format!("reading the value threw: {}", crate::error::thrown(&e))
}

fn number(n: f64) -> Value {
    // -0 is integral too, but an int would lose its sign.
    if n.fract() == 0.0 && n.abs() <= MAX_SAFE && !(n == 0.0 && n.is_sign_negative()) {
        // Exact: the value is integral and within ±(2^53 - 1).
        Value::from(n as i64)
    } else {
        Value::F64(n)
    }
}

fn bigint(value: &JsValue) -> Result<Value, String> {
    if let Ok(n) = i64::try_from(value.clone()) {
        return Ok(Value::from(n));
    }
    if let Ok(n) = u64::try_from(value.clone()) {
        return Ok(Value::from(n));
    }
    let text = value
        .unchecked_ref::<BigInt>()
        .to_string(10)
        .map(String::from)
        .unwrap_or_default();
    Err(format!("the bigint {text} does not fit in 64 bits"))
}

/// The bytes of a `Uint8Array` (a `Buffer`), another typed array or
/// `DataView`, or an `ArrayBuffer`.
fn bytes(value: &JsValue) -> Option<Vec<u8>> {
    if let Some(array) = value.dyn_ref::<Uint8Array>() {
        return Some(array.to_vec());
    }
    if let Some(buffer) = value.dyn_ref::<ArrayBuffer>() {
        return Some(Uint8Array::new(buffer).to_vec());
    }
    if let Some(buffer) = value.dyn_ref::<js_sys::SharedArrayBuffer>() {
        return Some(Uint8Array::new(buffer).to_vec());
    }
    if ArrayBuffer::is_view(value) {
        let get = |key: &str| Reflect::get(value, &key.into()).ok();
        let buffer = get("buffer")?.dyn_into::<ArrayBuffer>().ok()?;
        let offset = get("byteOffset")?.as_f64()? as u32;
        let length = get("byteLength")?.as_f64()? as u32;
        return Some(Uint8Array::new_with_byte_offset_and_length(&buffer, offset, length).to_vec());
    }
    None
}

fn map_entries(map: &Map, depth: usize) -> Result<Value, String> {
    // A Proxy of a Map passes `instanceof` and then refuses Map's methods.
    let iterator = Reflect::get(map, &"entries".into())
        .and_then(|entries| entries.unchecked_into::<Function>().call0(map))
        .map_err(|e| format!("reading the Map threw: {}", crate::error::thrown(&e)))?
        .unchecked_into::<js_sys::Iterator>();
    let mut entries = Vec::new();
    for entry in iterator {
        let entry: Array = entry
            .map_err(|e| crate::error::thrown(&e))?
            .unchecked_into();
        let key = to_value(&entry.get(0), depth + 1)?;
        entries.push((key, to_value(&entry.get(1), depth + 1)?));
    }
    Ok(Value::Map(entries))
}

/// The own enumerable string-keyed properties. Read one by one with
/// `Reflect.get`, which reports a getter that throws as an error here
/// (`Object.entries` would throw it through the wasm).
fn object_entries(object: &Object, depth: usize) -> Result<Value, String> {
    let keys = own_keys(object)
        .map_err(|e| format!("listing its keys threw: {}", crate::error::thrown(&e)))?;
    let mut entries = Vec::with_capacity(keys.length() as usize);
    for key in keys.iter() {
        let value = Reflect::get(object, &key).map_err(|e| {
            let key = key.as_string().unwrap_or_default();
            format!("reading `{key}` threw: {}", crate::error::thrown(&e))
        })?;
        if value.is_undefined() {
            continue; // as JSON.stringify does: an optional field left out
        }
        let key = key.as_string().unwrap_or_default();
        entries.push((Value::from(key), to_value(&value, depth + 1)?));
    }
    Ok(Value::Map(entries))
}

pub(crate) fn from_value(value: &Value) -> JsValue {
    match value {
        Value::Nil => JsValue::NULL,
        Value::Boolean(b) => JsValue::from_bool(*b),
        Value::Integer(n) => integer(n),
        Value::F32(f) => JsValue::from_f64(f64::from(*f)),
        Value::F64(f) => JsValue::from_f64(*f),
        Value::String(s) => match s.as_str() {
            Some(text) => JsValue::from_str(text),
            None => JsValue::from_str(&String::from_utf8_lossy(s.as_bytes())),
        },
        Value::Binary(b) => Uint8Array::from(&b[..]).into(),
        Value::Array(items) => items.iter().map(from_value).collect::<Array>().into(),
        Value::Map(entries) => from_map(entries),
        Value::Ext(kind, data) => {
            let object = Object::new();
            set(&object, "type", &JsValue::from_f64(f64::from(*kind)));
            set(&object, "data", &Uint8Array::from(&data[..]));
            object.into()
        }
    }
}

fn integer(n: &rmpv::Integer) -> JsValue {
    match (n.as_i64(), n.as_u64()) {
        (Some(i), _) if (i as f64).abs() <= MAX_SAFE => JsValue::from_f64(i as f64),
        (Some(i), _) => BigInt::from(i).into(),
        (None, Some(u)) => BigInt::from(u).into(),
        (None, None) => JsValue::NULL, // rmpv integers are always i64 or u64
    }
}

fn from_map(entries: &[(Value, Value)]) -> JsValue {
    if entries.iter().all(|(key, _)| key.is_str()) {
        let object = Object::new();
        for (key, value) in entries {
            set(
                &object,
                key.as_str().unwrap_or_default(),
                &from_value(value),
            );
        }
        return object.into();
    }
    let map = Map::new();
    for (key, value) in entries {
        map.set(&from_value(key), &from_value(value));
    }
    map.into()
}

/// Sets an own, enumerable property, even one named `__proto__` (which a
/// plain assignment would take as the prototype).
pub(crate) fn set(object: &Object, key: &str, value: &JsValue) {
    if key != "__proto__" {
        let _ = Reflect::set(object, &key.into(), value);
        return;
    }
    let descriptor = Object::new();
    for (name, v) in [
        ("value", value),
        ("writable", &JsValue::TRUE),
        ("enumerable", &JsValue::TRUE),
        ("configurable", &JsValue::TRUE),
    ] {
        let _ = Reflect::set(&descriptor, &name.into(), v);
    }
    Object::define_property(object, &key.into(), &descriptor);
}
