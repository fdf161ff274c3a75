//! A bounds-checked cursor over MessagePack bytes.
//!
//! The codec reads envelopes with this cursor instead of a general-purpose
//! deserializer so that every failure maps to a precise [`DecodeErrorKind`]
//! and nothing a peer sends can make it allocate or recurse: lengths are
//! checked against the bytes actually present before anything trusts them.

use crate::error::DecodeErrorKind;

/// The MessagePack marker reserved by the specification and never valid.
const NEVER_USED: u8 = 0xc1;

/// Reads MessagePack items from a byte slice, front to back.
pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    /// The nesting limit, reported as is in errors.
    max_depth: usize,
}

/// An integer as MessagePack can carry it: from `i64::MIN` to `u64::MAX`.
pub(crate) type Int = i128;

impl<'a> Cursor<'a> {
    pub(crate) fn new(buf: &'a [u8], max_depth: usize) -> Self {
        Cursor {
            buf,
            pos: 0,
            max_depth,
        }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub(crate) fn peek(&self) -> Result<u8, DecodeErrorKind> {
        self.buf
            .get(self.pos)
            .copied()
            .ok_or(DecodeErrorKind::Truncated)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeErrorKind> {
        if n > self.remaining() {
            return Err(DecodeErrorKind::Truncated);
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn byte(&mut self) -> Result<u8, DecodeErrorKind> {
        let b = self.peek()?;
        self.pos += 1;
        Ok(b)
    }

    fn be(&mut self, n: usize) -> Result<u64, DecodeErrorKind> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    /// Whether the next item is nil; consumes it if so.
    pub(crate) fn eat_nil(&mut self) -> bool {
        if self.peek() == Ok(0xc0) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Reads an array header and returns its declared length, unchecked:
    /// the envelope reads its seq before it judges the length, so that even
    /// a frame with a lying header can be answered by seq.
    pub(crate) fn array_header(&mut self) -> Result<u64, DecodeErrorKind> {
        let len = match self.peek()? {
            m @ 0x90..=0x9f => {
                self.pos += 1;
                u64::from(m & 0x0f)
            }
            0xdc => {
                self.pos += 1;
                self.be(2)?
            }
            0xdd => {
                self.pos += 1;
                self.be(4)?
            }
            m => return Err(DecodeErrorKind::NotAnArray(describe(m))),
        };
        Ok(len)
    }

    /// Reads a map header and returns its declared number of pairs.
    pub(crate) fn map_len(&mut self) -> Result<Option<usize>, DecodeErrorKind> {
        let len = match self.peek()? {
            m @ 0x80..=0x8f => {
                self.pos += 1;
                u64::from(m & 0x0f)
            }
            0xde => {
                self.pos += 1;
                self.be(2)?
            }
            0xdf => {
                self.pos += 1;
                self.be(4)?
            }
            _ => return Ok(None),
        };
        self.check_count(len, 2).map(Some)
    }

    /// Rejects a declared element count that the remaining bytes cannot hold
    /// (every item is at least one byte), so a header can never drive an
    /// allocation larger than the frame itself.
    pub(crate) fn check_count(&self, len: u64, per_item: u64) -> Result<usize, DecodeErrorKind> {
        match len.checked_mul(per_item) {
            Some(need) if need <= self.remaining() as u64 => Ok(len as usize),
            _ => Err(DecodeErrorKind::LengthExceedsInput),
        }
    }

    /// Reads an integer of any MessagePack integer form.
    pub(crate) fn int(&mut self) -> Result<Option<Int>, DecodeErrorKind> {
        let m = self.peek()?;
        let v = match m {
            0x00..=0x7f => Int::from(m),
            0xe0..=0xff => Int::from(m as i8),
            0xcc..=0xcf => {
                self.pos += 1;
                return Ok(Some(Int::from(self.be(1 << (m - 0xcc))?)));
            }
            0xd0..=0xd3 => {
                self.pos += 1;
                let n = 1usize << (m - 0xd0);
                let raw = self.be(n)?;
                // Sign-extend from the encoded width.
                let shift = 64 - 8 * n as u32;
                return Ok(Some(Int::from(((raw << shift) as i64) >> shift)));
            }
            _ => return Ok(None),
        };
        self.pos += 1;
        Ok(Some(v))
    }

    /// Reads a boolean.
    pub(crate) fn bool(&mut self) -> Option<bool> {
        let b = match self.peek() {
            Ok(0xc2) => false,
            Ok(0xc3) => true,
            _ => return None,
        };
        self.pos += 1;
        Some(b)
    }

    /// Reads a UTF-8 string.
    pub(crate) fn str(&mut self) -> Result<Option<&'a str>, DecodeErrorKind> {
        let len = match self.peek()? {
            m @ 0xa0..=0xbf => {
                self.pos += 1;
                u64::from(m & 0x1f)
            }
            m @ 0xd9..=0xdb => {
                self.pos += 1;
                self.be(1 << (m - 0xd9))?
            }
            _ => return Ok(None),
        };
        let bytes = self.take(usize::try_from(len).map_err(|_| DecodeErrorKind::Truncated)?)?;
        std::str::from_utf8(bytes)
            .map(Some)
            .map_err(|_| DecodeErrorKind::InvalidUtf8)
    }

    /// Skips one complete value, found inside `enclosing` containers, and
    /// returns the bytes it occupied.
    ///
    /// Iterative rather than recursive, with the depth limit bounding how
    /// deeply containers may nest: later decoders (serde, rmpv) do recurse,
    /// and they only ever see values that passed through here.
    pub(crate) fn value(&mut self, enclosing: usize) -> Result<&'a [u8], DecodeErrorKind> {
        let max_depth = self.max_depth.saturating_sub(enclosing);
        let start = self.pos;
        // Items still owed by each open container, innermost last.
        let mut open: Vec<u64> = Vec::new();
        let mut owed: u64 = 1;
        loop {
            while owed == 0 {
                match open.pop() {
                    Some(outer) => owed = outer,
                    None => return Ok(&self.buf[start..self.pos]),
                }
            }
            owed -= 1;
            let children = self.skip_item()?;
            if children > 0 {
                if open.len() >= max_depth {
                    return Err(DecodeErrorKind::TooDeep(self.max_depth));
                }
                open.push(owed);
                owed = children;
            }
        }
    }

    /// Skips one item's header and body; returns how many child items follow.
    fn skip_item(&mut self) -> Result<u64, DecodeErrorKind> {
        let m = self.byte()?;
        let skip = |c: &mut Self, n: u64| {
            c.take(usize::try_from(n).map_err(|_| DecodeErrorKind::Truncated)?)
                .map(|_| 0)
        };
        // A str must be UTF-8, as MessagePack says: strict decoders (the
        // original Swill's among them) refuse a whole frame that holds a bad
        // one, so it must not reach them through the server (a topic's
        // history, an echoed value).
        let text = |c: &mut Self, n: u64| {
            let bytes = c.take(usize::try_from(n).map_err(|_| DecodeErrorKind::Truncated)?)?;
            std::str::from_utf8(bytes)
                .map(|_| 0)
                .map_err(|_| DecodeErrorKind::InvalidUtf8)
        };
        match m {
            0x00..=0x7f | 0xc0 | 0xc2 | 0xc3 | 0xe0..=0xff => Ok(0),
            0x80..=0x8f => self.children(u64::from(m & 0x0f), 2),
            0x90..=0x9f => self.children(u64::from(m & 0x0f), 1),
            0xa0..=0xbf => text(self, u64::from(m & 0x1f)),
            NEVER_USED => Err(DecodeErrorKind::InvalidMarker(m)),
            0xc4..=0xc6 => {
                let n = self.be(1 << (m - 0xc4))?;
                skip(self, n)
            }
            0xd9..=0xdb => {
                let n = self.be(1 << (m - 0xd9))?;
                text(self, n)
            }
            0xc7..=0xc9 => {
                let n = self.be(1 << (m - 0xc7))?;
                skip(self, n + 1)
            }
            0xca => skip(self, 4),
            0xcb => skip(self, 8),
            0xcc..=0xcf => skip(self, 1 << (m - 0xcc)),
            0xd0..=0xd3 => skip(self, 1 << (m - 0xd0)),
            0xd4..=0xd8 => skip(self, 1 + (1 << (m - 0xd4))),
            0xdc | 0xdd => {
                let n = self.be(if m == 0xdc { 2 } else { 4 })?;
                self.children(n, 1)
            }
            0xde | 0xdf => {
                let n = self.be(if m == 0xde { 2 } else { 4 })?;
                self.children(n, 2)
            }
        }
    }

    fn children(&self, len: u64, per_item: u64) -> Result<u64, DecodeErrorKind> {
        self.check_count(len, per_item).map(|n| n as u64 * per_item)
    }
}

/// Names the kind of item a marker starts, for error messages.
pub(crate) fn describe(marker: u8) -> &'static str {
    match marker {
        0x00..=0x7f | 0xe0..=0xff | 0xcc..=0xd3 => "an integer",
        0x80..=0x8f | 0xde | 0xdf => "a map",
        0x90..=0x9f | 0xdc | 0xdd => "an array",
        0xa0..=0xbf | 0xd9..=0xdb => "a string",
        0xc0 => "nil",
        0xc2 | 0xc3 => "a boolean",
        0xc4..=0xc6 => "binary data",
        0xca | 0xcb => "a float",
        0xc7..=0xc9 | 0xd4..=0xd8 => "an extension value",
        NEVER_USED => "the never-used marker 0xc1",
    }
}
