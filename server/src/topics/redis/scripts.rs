//! The Lua scripts that keep each topic's numbering, history and
//! publication atomic in Redis, and the readers of what they return.
//!
//! docs/protocol.md ("Topics on Redis") documents the same layout for
//! publishers written in other languages.

use std::sync::Arc;
use std::time::Duration;

use redis::Value;
use swill_proto::{Payload, PresenceEntry};

use super::super::engine::{EngineError, Snapshot};

/// Numbers a publication, keeps it, and publishes it, in one step.
///
/// KEYS: meta hash, history stream, channel. ARGV: data, history size,
/// history ttl (ms, 0: none), meta ttl (s, 0: none; also the history's
/// when it has no ttl of its own), a fresh epoch.
/// The channel message is the MessagePack array `[epoch, offset, data]`.
pub(super) const PUBLISH: &str = r"
local epoch = redis.call('hget', KEYS[1], 'epoch')
if not epoch then
  epoch = ARGV[5]
  redis.call('hset', KEYS[1], 'epoch', epoch)
  redis.call('del', KEYS[2])
end
local offset = redis.call('hincrby', KEYS[1], 'top', 1)
local size = tonumber(ARGV[2])
if size > 0 then
  local t = redis.call('time')
  local now = t[1] * 1000 + math.floor(t[2] / 1000)
  redis.call('xadd', KEYS[2], 'maxlen', size, offset .. '-0', 't', now, 'd', ARGV[1])
  local ttl = tonumber(ARGV[3])
  if ttl > 0 then
    redis.call('pexpire', KEYS[2], ttl)
  elseif tonumber(ARGV[4]) > 0 then
    redis.call('expire', KEYS[2], ARGV[4])
  end
end
if tonumber(ARGV[4]) > 0 then redis.call('expire', KEYS[1], ARGV[4]) end
redis.call('publish', KEYS[3], '\147' .. cmsgpack.pack(epoch) .. cmsgpack.pack(offset) .. ARGV[1])
return {epoch, offset}
";

/// A topic's epoch (made if missing), latest offset, the history after an
/// offset, and Redis's clock (for the history's ttl).
///
/// KEYS: meta hash, history stream. ARGV: after (-1: no history wanted),
/// meta ttl (s, 0: none), a fresh epoch.
pub(super) const SNAPSHOT: &str = r"
local epoch = redis.call('hget', KEYS[1], 'epoch')
if not epoch then
  epoch = ARGV[3]
  redis.call('hset', KEYS[1], 'epoch', epoch)
  redis.call('del', KEYS[2])
  if tonumber(ARGV[2]) > 0 then redis.call('expire', KEYS[1], ARGV[2]) end
end
local top = tonumber(redis.call('hget', KEYS[1], 'top') or '0')
local after = tonumber(ARGV[1])
local entries = {}
if after >= 0 and after < top then
  entries = redis.call('xrange', KEYS[2], (after + 1) .. '-0', '+')
end
local t = redis.call('time')
return {epoch, top, entries, t[1] * 1000 + math.floor(t[2] / 1000)}
";

/// Adds or refreshes presence members, each expiring `ttl` ms from now.
///
/// KEYS: presence sorted set. ARGV: ttl ms, members...
pub(super) const PRESENCE_ADD: &str = r"
local t = redis.call('time')
local expires = t[1] * 1000 + math.floor(t[2] / 1000) + tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('zadd', KEYS[1], expires, ARGV[i]) end
redis.call('pexpire', KEYS[1], tonumber(ARGV[1]))
return 1
";

/// Drops expired presence members and lists the rest.
pub(super) const PRESENCE_LIST: &str = r"
local t = redis.call('time')
redis.call('zremrangebyscore', KEYS[1], '-inf', t[1] * 1000 + math.floor(t[2] / 1000))
return redis.call('zrange', KEYS[1], 0, -1)
";

/// Reads a presence member, `connection/subscription/node`, back into an
/// entry. The node comes last because its name may hold any character.
pub(super) fn presence_entry(member: &str) -> Option<PresenceEntry> {
    let mut parts = member.splitn(3, '/');
    let connection = parts.next()?.parse().ok()?;
    let _subscription = parts.next()?;
    let node = parts.next()?.to_owned();
    Some(PresenceEntry { node, connection })
}

/// Reads the publish script's answer.
pub(super) fn published(value: Value) -> Result<(Arc<str>, u64), EngineError> {
    match value {
        Value::Array(items) => match &items[..] {
            [epoch, offset] => Ok((text(epoch)?.into(), int(offset)?)),
            _ => Err(unexpected()),
        },
        _ => Err(unexpected()),
    }
}

/// Reads the snapshot script's answer, leaving out entries older than the
/// history's ttl.
pub(super) fn snapshot(value: Value, ttl: Option<Duration>) -> Result<Snapshot, EngineError> {
    let Value::Array(items) = value else {
        return Err(unexpected());
    };
    let [epoch, top, entries, now] = &items[..] else {
        return Err(unexpected());
    };
    let now = int(now)?;
    let oldest = ttl.map_or(0, |ttl| now.saturating_sub(ttl.as_millis() as u64));
    let mut kept = Vec::new();
    if let Value::Array(entries) = entries {
        for entry in entries {
            if let (offset, at, Some(data)) = stream_entry(entry)?
                && at >= oldest
            {
                kept.push((offset, data));
            }
        }
    }
    Ok(Snapshot {
        epoch: text(epoch)?.into(),
        top: int(top)?,
        entries: kept,
    })
}

/// One XRANGE entry: `[id, [field, value, ...]]` with id `offset-0` and
/// fields `t` (ms) and `d` (the data).
fn stream_entry(entry: &Value) -> Result<(u64, u64, Option<Payload>), EngineError> {
    let Value::Array(parts) = entry else {
        return Err(unexpected());
    };
    let [id, Value::Array(fields)] = &parts[..] else {
        return Err(unexpected());
    };
    let offset = text(id)?
        .split_once('-')
        .and_then(|(o, _)| o.parse().ok())
        .ok_or_else(unexpected)?;
    let (mut at, mut data) = (0, None);
    for pair in fields.chunks(2) {
        match pair {
            [name, value] if text(name)? == "t" => at = int(value)?,
            // Left out if malformed: the gap is then reported, not sent.
            [name, Value::BulkString(bytes)] if text(name)? == "d" => {
                data = Payload::from_untrusted(bytes.clone()).ok()
            }
            _ => {}
        }
    }
    Ok((offset, at, data))
}

/// Reads a channel message, `[epoch, offset, data]` in MessagePack,
/// without decoding the data.
pub(super) fn channel_message(bytes: &[u8]) -> Option<(&str, u64, &[u8])> {
    let (&0x93, rest) = bytes.split_first()? else {
        return None;
    };
    let (len, rest) = match rest.split_first()? {
        (&m @ 0xa0..=0xbf, rest) => (usize::from(m & 0x1f), rest),
        (&0xd9, rest) => (usize::from(*rest.first()?), rest.get(1..)?),
        _ => return None,
    };
    let epoch = std::str::from_utf8(rest.get(..len)?).ok()?;
    let rest = rest.get(len..)?;
    let (offset, rest) = match rest.split_first()? {
        (&m @ 0x00..=0x7f, rest) => (u64::from(m), rest),
        (&m @ 0xcc..=0xcf, rest) => {
            let n = 1usize << (m - 0xcc);
            let raw = rest.get(..n)?;
            (
                raw.iter().fold(0u64, |v, b| v << 8 | u64::from(*b)),
                &rest[n..],
            )
        }
        _ => return None,
    };
    (!rest.is_empty()).then_some((epoch, offset, rest))
}

fn text(value: &Value) -> Result<&str, EngineError> {
    match value {
        Value::BulkString(bytes) => std::str::from_utf8(bytes).map_err(|_| unexpected()),
        Value::SimpleString(s) => Ok(s),
        _ => Err(unexpected()),
    }
}

fn int(value: &Value) -> Result<u64, EngineError> {
    match value {
        Value::Int(n) => u64::try_from(*n).map_err(|_| unexpected()),
        _ => text(value)?.parse().map_err(|_| unexpected()),
    }
}

fn unexpected() -> EngineError {
    EngineError("Redis answered a topic script in an unexpected shape".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_messages_split_without_decoding_the_data() {
        let mut msg = vec![0x93, 0xa2, b'e', b'1', 0xcd, 0x01, 0x00];
        msg.extend_from_slice(&[0x92, 0x01, 0x02]);
        assert_eq!(
            channel_message(&msg),
            Some(("e1", 256, &[0x92, 0x01, 0x02][..]))
        );
        assert_eq!(channel_message(&[0x93, 0xa1, b'e', 0x05]), None);
        assert_eq!(channel_message(&[0x92]), None);
        assert_eq!(channel_message(&[0x93, 0xa5, b'e']), None);
    }

    #[test]
    fn presence_members_keep_slashes_in_node_names() {
        assert_eq!(
            presence_entry("17/3/eu/node-1"),
            Some(PresenceEntry {
                node: "eu/node-1".into(),
                connection: 17
            })
        );
        assert_eq!(presence_entry("x/3/n"), None);
    }
}
