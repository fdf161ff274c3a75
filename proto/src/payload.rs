//! The `data` element of a frame, kept as raw MessagePack bytes.

use std::fmt;

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{DataError, EncodeError};

/// One encoded MessagePack value: the `data` of a frame, not yet decoded.
///
/// Decoding an envelope only checks that `data` is a well-formed value and
/// slices it out of the frame without copying; encoding splices these bytes
/// back in unchanged. Only a handler or a caller that wants the value turns
/// it into a Rust type, with [`Payload::decode`] / [`Payload::encode`].
///
/// Structs travel as maps keyed by field name (what Python and JavaScript
/// peers expect). Byte buffers travel as MessagePack `bin` when the field
/// uses `serde_bytes` (`#[serde(with = "serde_bytes")]`, or
/// [`serde_bytes::ByteBuf`]); a plain `Vec<u8>` is an array of integers.
///
/// ```
/// use swill_proto::Payload;
/// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
/// struct User { id: u32, name: String }
///
/// let p = Payload::encode(&User { id: 7, name: "Ada".into() }).unwrap();
/// assert_eq!(&p.as_bytes()[..4], &[0x82, 0xa2, b'i', b'd']); // a map, keyed by name
/// let back: User = p.decode().unwrap();
/// assert_eq!(back.name, "Ada");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Payload(Bytes);

static NIL: [u8; 1] = [0xc0];

impl Payload {
    /// The nil value, what frames without data carry.
    #[inline]
    pub fn nil() -> Self {
        Payload(Bytes::from_static(&NIL))
    }

    /// Wraps bytes that hold exactly one encoded value.
    ///
    /// The bytes are trusted, not checked: use this for bytes that came out
    /// of an encoder. Frames decoded by this crate only ever produce
    /// validated payloads.
    pub fn from_encoded(bytes: impl Into<Bytes>) -> Self {
        Payload(bytes.into())
    }

    /// Wraps bytes from outside (a peer, a store), checking that they hold
    /// exactly one well-formed value, nested no deeper than the codec's
    /// default limit, as frames decoded by this crate are.
    pub fn from_untrusted(bytes: impl Into<Bytes>) -> Result<Self, DataError> {
        let bytes = bytes.into();
        let mut cur = crate::read::Cursor::new(&bytes, crate::codec::Limits::default().max_depth);
        let bad = |message: String| DataError {
            path: String::new(),
            message,
        };
        cur.value(0).map_err(|e| bad(e.to_string()))?;
        if cur.remaining() != 0 {
            return Err(bad(format!("{} bytes after the value", cur.remaining())));
        }
        Ok(Payload(bytes))
    }

    /// Encodes a value (structs as maps keyed by field name).
    pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Self, EncodeError> {
        // Most messages are small: one allocation, no regrowth.
        let mut out = Vec::with_capacity(64);
        rmp_serde::encode::write_named(&mut out, value)
            .map(|()| Payload(out.into()))
            .map_err(|e| EncodeError(e.to_string()))
    }

    /// Decodes the value into `T`, naming the path to the field at fault.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, DataError> {
        let mut de = rmp_serde::Deserializer::from_read_ref(&self.0[..]);
        match T::deserialize(&mut de) {
            Ok(v) => Ok(v),
            // rmp-serde reports type mismatches as raw markers ("wrong msgpack
            // marker FixStr(3)"); decoding again through a dynamic value gives
            // serde's own "invalid type: string, expected i64" and the path.
            // Failures are rare, so the fast path stays fast.
            Err(_) => self.decode_explained(),
        }
    }

    fn decode_explained<T: DeserializeOwned>(&self) -> Result<T, DataError> {
        serde_path_to_error::deserialize(self.to_value()?).map_err(|e| DataError {
            path: match e.path().to_string() {
                root if root == "." => String::new(),
                path => path,
            },
            message: e.into_inner().to_string(),
        })
    }

    /// Decodes into a dynamic MessagePack value.
    pub fn to_value(&self) -> Result<rmpv::Value, DataError> {
        rmpv::decode::read_value(&mut &self.0[..]).map_err(|e| DataError {
            path: String::new(),
            message: value_error(&e).to_owned(),
        })
    }

    /// Whether the payload is nil.
    #[inline]
    pub fn is_nil(&self) -> bool {
        self.0[..] == NIL
    }

    /// The encoded bytes.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The encoded bytes, without copying.
    #[inline]
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// The encoded size in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: a payload holds one value, at least one byte.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Default for Payload {
    fn default() -> Self {
        Payload::nil()
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_value() {
            Ok(v) => write!(f, "Payload({v})"),
            Err(_) => write!(f, "Payload({:02x?})", &self.0[..]),
        }
    }
}

impl From<rmpv::Value> for Payload {
    fn from(v: rmpv::Value) -> Self {
        let mut out = Vec::new();
        write_value(&mut out, &v);
        Payload(out.into())
    }
}

/// Appends `value` to `out`. Writing to a `Vec` cannot fail, and the error
/// is not formatted: its `Debug` would bring rmp's and `io::Error`'s
/// formatting into the wasm (1.9 KB of it gzipped) for a panic that never
/// happens.
pub(crate) fn write_value(out: &mut Vec<u8>, value: &rmpv::Value) {
    if rmpv::encode::write_value(out, value).is_err() {
        unreachable!("writing to a Vec cannot fail");
    }
}

/// Why rmpv could not read a value. Not its `Display`: that formats the
/// I/O error inside, which brings the text of every `io::ErrorKind` into the
/// TypeScript client's wasm; reading from memory, it can only mean this.
pub(crate) fn value_error(e: &rmpv::decode::Error) -> &'static str {
    match e {
        rmpv::decode::Error::DepthLimitExceeded => "the value nests too deeply",
        _ => "the bytes are not one complete MessagePack value",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untrusted_bytes_must_be_exactly_one_value() {
        let good = Payload::from_untrusted(vec![0x92, 0x01, 0x02]).unwrap();
        assert_eq!(good.decode::<(u8, u8)>().unwrap(), (1, 2));
        assert!(Payload::from_untrusted(vec![0x92, 0x01]).is_err());
        assert!(Payload::from_untrusted(vec![0x01, 0x02]).is_err());
        assert!(Payload::from_untrusted(vec![0xc1]).is_err());
        assert!(Payload::from_untrusted(Vec::new()).is_err());
    }
}
