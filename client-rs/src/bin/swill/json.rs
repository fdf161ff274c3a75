//! JSON <-> MessagePack for the command line: the wire crate's conversion
//! (see `swill_proto::json` for the rules).

pub(crate) use swill_client::proto::json::{to_json, to_msgpack};
