//! JSON text read straight into the MessagePack bytes of the same value,
//! by the rules of the module above.
//!
//! Two passes over the text, and no tree: MessagePack writes an array's or
//! a map's length before its items, so the first pass checks the text and
//! counts each container's items, in the order the containers open, and
//! the second writes. A tree of a 16 MiB frame of small numbers would take
//! tens of times its size before any limit could look at it; the counts
//! take four bytes per container (at most 1.4 times the text: `[],` is three).
//!
//! What is read is RFC 8259 JSON, as serde_json reads it: integers that
//! fit in a u64 or an i64 become integers in their smallest form (`-0` is
//! the float -0.0, as there), any other number a float64 (one too large
//! for a float64 is refused); strings must be valid (no raw control
//! characters, no lone surrogates); nesting stops at 127 levels. Written
//! by hand rather than through serde_json and serde-transcode, which were
//! most of the JSON encoding's share of the TypeScript client's wasm.

use crate::write;

/// How many levels arrays and objects may nest (what serde_json allowed).
const MAX_DEPTH: usize = 127;

/// The MessagePack bytes of the JSON `text`, or why it is not JSON.
pub(super) fn to_msgpack(text: &str) -> Result<Vec<u8>, String> {
    let mut counts = Vec::new();
    Parser::new(text, &mut Count(&mut counts)).document()?;
    let mut out = Vec::with_capacity(text.len());
    let mut sink = Write {
        out: &mut out,
        counts: counts.into_iter(),
    };
    Parser::new(text, &mut sink).document()?;
    Ok(out)
}

/// What a pass does with what the parser finds. A trait object: one
/// parser's code serves both passes.
trait Sink {
    /// An array (or, with `map`, an object) opens; returns its slot.
    fn open(&mut self, map: bool) -> usize;
    /// The container in `slot` closed with `items` items (pairs for maps).
    fn close(&mut self, slot: usize, items: u32);
    fn scalar(&mut self, scalar: Scalar<'_>) -> Result<(), String>;
}

enum Scalar<'a> {
    Null,
    Bool(bool),
    /// A number's text, checked against the grammar, and where it starts.
    Number {
        text: &'a str,
        at: usize,
    },
    Str(&'a str),
}

/// The first pass: counts.
struct Count<'a>(&'a mut Vec<u32>);

impl Sink for Count<'_> {
    fn open(&mut self, _map: bool) -> usize {
        self.0.push(0);
        self.0.len() - 1
    }

    fn close(&mut self, slot: usize, items: u32) {
        self.0[slot] = items;
    }

    fn scalar(&mut self, _: Scalar<'_>) -> Result<(), String> {
        Ok(())
    }
}

/// The second pass: writes, taking each container's count in turn.
struct Write<'a> {
    out: &'a mut Vec<u8>,
    counts: std::vec::IntoIter<u32>,
}

impl Sink for Write<'_> {
    fn open(&mut self, map: bool) -> usize {
        // Both passes open the same containers in the same order.
        let items = self.counts.next().unwrap_or_default() as usize;
        if map {
            write::map_len(self.out, items);
        } else {
            write::array_len(self.out, items);
        }
        0
    }

    fn close(&mut self, _slot: usize, _items: u32) {}

    fn scalar(&mut self, scalar: Scalar<'_>) -> Result<(), String> {
        match scalar {
            Scalar::Null => write::nil(self.out),
            Scalar::Bool(b) => write::bool(self.out, b),
            Scalar::Str(s) => write::str(self.out, s),
            Scalar::Number { text, at } => match integer(text) {
                Some(n) => write::int(self.out, n),
                None => {
                    let f = parse_float(text);
                    if !f.is_finite() {
                        // Not the whole text: a number can be megabytes long.
                        let shown = match text.char_indices().nth(24) {
                            Some((end, _)) => format!("{}...", &text[..end]),
                            None => text.to_owned(),
                        };
                        return Err(format!(
                            "a number too large for a float ({shown}) at byte {at}"
                        ));
                    }
                    write::f64(self.out, f);
                }
            },
        }
        Ok(())
    }
}

/// A number without fraction or exponent that fits in a u64 or an i64,
/// except `-0`.
fn integer(text: &str) -> Option<i128> {
    if text.contains(['.', 'e', 'E']) {
        return None;
    }
    let (negative, digits) = match text.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, text),
    };
    let magnitude: u64 = digits.parse().ok()?;
    match negative {
        false => Some(i128::from(magnitude)),
        true if magnitude == 0 || magnitude > 1 << 63 => None,
        true => Some(-i128::from(magnitude)),
    }
}

/// A float from a number's text. In the TypeScript client, JavaScript's
/// `parseFloat` (correctly rounded): Rust's parser and its tables would add
/// about 14 KB to the gzipped wasm.
#[cfg(all(feature = "js", target_arch = "wasm32"))]
fn parse_float(text: &str) -> f64 {
    js_sys::parse_float(text)
}

/// A float from a number's text (checked against the grammar already).
#[cfg(not(all(feature = "js", target_arch = "wasm32")))]
fn parse_float(text: &str) -> f64 {
    text.parse().unwrap_or(f64::NAN)
}

struct Parser<'a, 's> {
    text: &'a str,
    pos: usize,
    sink: &'s mut dyn Sink,
    /// Unescaped strings are built here.
    scratch: String,
}

impl<'a, 's> Parser<'a, 's> {
    fn new(text: &'a str, sink: &'s mut dyn Sink) -> Self {
        Parser {
            text,
            pos: 0,
            sink,
            scratch: String::new(),
        }
    }

    fn document(mut self) -> Result<(), String> {
        self.value(0)?;
        self.whitespace();
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.error("trailing characters")),
        }
    }

    fn error(&self, what: &str) -> String {
        format!("{what} at byte {}", self.pos)
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Consumes `b` after optional whitespace, or fails.
    fn expect(&mut self, b: u8, what: &str) -> Result<(), String> {
        self.whitespace();
        if self.peek() != Some(b) {
            return Err(self.error(what));
        }
        self.pos += 1;
        Ok(())
    }

    fn value(&mut self, depth: usize) -> Result<(), String> {
        self.whitespace();
        match self.peek() {
            Some(b'[') => self.container(depth, false),
            Some(b'{') => self.container(depth, true),
            Some(b'"') => self.string(),
            Some(b'-' | b'0'..=b'9') => {
                let at = self.pos;
                let text = self.number()?;
                self.sink.scalar(Scalar::Number { text, at })
            }
            Some(b'n') => self.literal("null", Scalar::Null),
            Some(b't') => self.literal("true", Scalar::Bool(true)),
            Some(b'f') => self.literal("false", Scalar::Bool(false)),
            Some(_) => Err(self.error("expected a value")),
            None => Err(self.error("unexpected end of the text")),
        }
    }

    fn literal(&mut self, word: &str, scalar: Scalar<'_>) -> Result<(), String> {
        if !self.text[self.pos..].starts_with(word) {
            return Err(self.error("expected a value"));
        }
        self.pos += word.len();
        self.sink.scalar(scalar)
    }

    /// An array or an object, at the opening bracket.
    fn container(&mut self, depth: usize, map: bool) -> Result<(), String> {
        if depth == MAX_DEPTH {
            return Err(self.error("nested deeper than 127 levels"));
        }
        self.pos += 1;
        let close = if map { b'}' } else { b']' };
        let slot = self.sink.open(map);
        let mut items: u32 = 0;
        self.whitespace();
        if self.peek() == Some(close) {
            self.pos += 1;
            self.sink.close(slot, 0);
            return Ok(());
        }
        loop {
            if map {
                self.whitespace();
                if self.peek() != Some(b'"') {
                    return Err(self.error("expected a string key"));
                }
                self.string()?;
                self.expect(b':', "expected `:`")?;
            }
            self.value(depth + 1)?;
            // MessagePack's largest array or map holds 2^32 - 1 items.
            items = items
                .checked_add(1)
                .ok_or_else(|| self.error("more than 2^32 - 1 items in one container"))?;
            self.whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b) if b == close => {
                    self.pos += 1;
                    self.sink.close(slot, items);
                    return Ok(());
                }
                _ => return Err(self.error("expected `,` or the closing bracket")),
            }
        }
    }

    /// A number's text, checked against JSON's grammar:
    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Result<&'a str, String> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.error("expected a digit")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.required_digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            self.required_digits()?;
        }
        Ok(&self.text[start..self.pos])
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    fn required_digits(&mut self) -> Result<(), String> {
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(self.error("expected a digit"));
        }
        self.digits();
        Ok(())
    }

    /// A string, at its opening quote.
    fn string(&mut self) -> Result<(), String> {
        let s = match self.read_string()? {
            Some(s) => s,
            None => self.scratch.as_str(),
        };
        self.sink.scalar(Scalar::Str(s))
    }

    /// Reads a string: borrowed from the text when it has no escapes, else
    /// (`None`) built in `scratch`.
    fn read_string(&mut self) -> Result<Option<&'a str>, String> {
        self.pos += 1;
        let start = self.pos;
        let bytes = self.text.as_bytes();
        loop {
            match bytes.get(self.pos) {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Some(&self.text[start..self.pos - 1]));
                }
                Some(b'\\') => break,
                Some(0x00..=0x1f) => return Err(self.error("control character in a string")),
                Some(_) => self.pos += 1,
            }
        }
        // Escapes: build the string.
        self.scratch.clear();
        self.scratch.push_str(&self.text[start..self.pos]);
        loop {
            let run = self.pos;
            while let Some(&b) = bytes.get(self.pos) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            // Runs end at ASCII bytes, so they are whole characters.
            self.scratch.push_str(&self.text[run..self.pos]);
            match bytes.get(self.pos) {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(None);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = self.escape()?;
                    self.scratch.push(c);
                }
                Some(_) => return Err(self.error("control character in a string")),
            }
        }
    }

    /// The character of an escape, after its backslash.
    fn escape(&mut self) -> Result<char, String> {
        let b = self
            .peek()
            .ok_or_else(|| self.error("unterminated string"))?;
        self.pos += 1;
        Ok(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                let code = match first {
                    0xd800..=0xdbff => {
                        if !self.text[self.pos..].starts_with("\\u") {
                            return Err(self.error("lone surrogate in an escape"));
                        }
                        self.pos += 2;
                        let second = self.hex4()?;
                        if !(0xdc00..=0xdfff).contains(&second) {
                            return Err(self.error("lone surrogate in an escape"));
                        }
                        0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00)
                    }
                    0xdc00..=0xdfff => return Err(self.error("lone surrogate in an escape")),
                    code => code,
                };
                char::from_u32(code).ok_or_else(|| self.error("invalid escape"))?
            }
            _ => return Err(self.error("invalid escape")),
        })
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.error("invalid \\u escape"))?;
        self.pos += 4;
        u32::from_str_radix(digits, 16).map_err(|_| self.error("invalid \\u escape"))
    }
}
