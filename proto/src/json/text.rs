//! MessagePack values written as JSON text, by the rules of the module
//! above, with no JSON tree in between.
//!
//! The output is what `serde_json::to_string(&to_json(value))` gives (a
//! property test holds the two together): compact, keys in the order
//! given, floats in their shortest form (zmij, as serde_json writes them),
//! the same string escapes. Written by hand because serde_json's writer
//! and its `Value` were most of the JSON encoding's share of the
//! TypeScript client's wasm.

use indexmap::IndexMap;
use rmpv::Value;

/// How deep a key may sit in other keys' JSON text. Each level escapes the
/// text of the one inside it again, which doubles its backslashes: a value
/// of 100 bytes with maps as keys of maps 35 levels deep would ask for
/// gigabytes. Deeper than this, a key that is not a string is written as
/// `"…"`; four levels is far beyond any key a program means to send.
const MAX_KEY_DEPTH: usize = 4;

/// Writes `value` as JSON text to `out`.
pub(super) fn write(out: &mut String, value: &Value) {
    write_at(out, value, 0);
}

/// Writes `value`, found `keys` keys deep (0: not inside a key).
fn write_at(out: &mut String, value: &Value, keys: usize) {
    match value {
        Value::Nil => out.push_str("null"),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Integer(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => out.push_str(itoa::Buffer::new().format(u)),
            (None, Some(i)) => out.push_str(itoa::Buffer::new().format(i)),
            (None, None) => out.push_str("null"), // rmpv integers are always one of the two
        },
        Value::F32(f) => float(out, f64::from(*f)),
        Value::F64(f) => float(out, *f),
        Value::String(s) => string(out, &String::from_utf8_lossy(s.as_bytes())),
        Value::Binary(bytes) => byte_array(out, bytes),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_at(out, item, keys);
            }
            out.push(']');
        }
        Value::Map(entries) => map(out, entries, keys),
        Value::Ext(kind, bytes) => {
            out.push_str("{\"ext\":");
            out.push_str(itoa::Buffer::new().format(*kind));
            out.push_str(",\"data\":");
            byte_array(out, bytes);
            out.push('}');
        }
    }
}

/// A JSON object. Keys that are not strings are written as their JSON
/// text; keys that are then equal keep the first one's place and the last
/// one's value, as a JSON object built key by key would.
fn map(out: &mut String, entries: &[(Value, Value)], keys: usize) {
    // Nearly every map of a frame (metadata, an error body, a struct) has a
    // few distinct string keys: written as they are, with no map and no
    // copy of each key. Any other is gathered first.
    if entries.len() <= DIRECT_KEYS && distinct_str_keys(entries) {
        let pairs = entries.iter().filter_map(|(k, v)| Some((k.as_str()?, v)));
        return object(out, pairs, keys);
    }
    let mut gathered: IndexMap<String, &Value> = IndexMap::with_capacity(entries.len());
    for (key, value) in entries {
        gathered.insert(key_text_at(key, keys + 1), value);
    }
    object(out, gathered.iter().map(|(k, v)| (k.as_str(), *v)), keys);
}

/// How many keys a map may have to be checked pair by pair rather than
/// gathered.
const DIRECT_KEYS: usize = 16;

/// Whether every key is a UTF-8 string and none is given twice.
fn distinct_str_keys(entries: &[(Value, Value)]) -> bool {
    entries.iter().enumerate().all(|(i, (key, _))| {
        key.as_str()
            .is_some_and(|key| entries[..i].iter().all(|(k, _)| k.as_str() != Some(key)))
    })
}

fn object<'v>(out: &mut String, pairs: impl Iterator<Item = (&'v str, &'v Value)>, keys: usize) {
    out.push('{');
    for (i, (key, value)) in pairs.enumerate() {
        if i > 0 {
            out.push(',');
        }
        string(out, key);
        out.push(':');
        write_at(out, value, keys);
    }
    out.push('}');
}

/// A map key as a JSON object's key: a string as itself, anything else as
/// its JSON text (`1` becomes `"1"`).
pub(super) fn key_text(key: &Value) -> String {
    key_text_at(key, 1)
}

/// A key `depth` keys deep (1: a key of a map that is not inside a key).
fn key_text_at(key: &Value, depth: usize) -> String {
    match key {
        Value::String(s) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
        _ if depth > MAX_KEY_DEPTH => "\u{2026}".to_owned(),
        other => {
            let mut text = String::new();
            write_at(&mut text, other, depth);
            text
        }
    }
}

/// A finite float in its shortest form; NaN and infinities as `null`.
fn float(out: &mut String, f: f64) {
    if f.is_finite() {
        out.push_str(zmij::Buffer::new().format_finite(f));
    } else {
        out.push_str("null");
    }
}

fn byte_array(out: &mut String, bytes: &[u8]) {
    out.push('[');
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(itoa::Buffer::new().format(*b));
    }
    out.push(']');
}

/// A JSON string: `"` and `\` escaped, control characters as `\n`, `\t`
/// and the like or `\u00XX`; everything else as is.
fn string(out: &mut String, s: &str) {
    out.push('"');
    let mut run = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\t' => "\\t",
            b'\r' => "\\r",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        // Only ASCII bytes end a run, so both slices are whole characters.
        out.push_str(&s[run..i]);
        run = i + 1;
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        } else {
            out.push_str(escape);
        }
    }
    out.push_str(&s[run..]);
    out.push('"');
}
