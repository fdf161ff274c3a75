//! How a request message is decoded: plain serde types, or validated ones.

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use swill_proto::Payload;

use crate::error::Error;
use crate::schema::Side;

/// A type a request message can be decoded into.
///
/// Implemented for every `serde` type that also derives `JsonSchema`, and,
/// with the `validate` feature, for `Valid<T>` (constraint validation, 422).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a swill request message",
    label = "needs `serde::Deserialize` and `schemars::JsonSchema`",
    note = "derive both on the type: `#[derive(serde::Deserialize, schemars::JsonSchema)]`, with `schemars = \"1\"` in Cargo.toml"
)]
pub trait Message: Sized + Send + 'static {
    /// Decodes (and checks) one message of `rpc`.
    #[doc(hidden)]
    fn from_payload(rpc: &str, payload: &Payload) -> Result<Self, Error>;

    /// The schema of one message.
    #[doc(hidden)]
    fn side(streams: bool) -> Side;
}

impl<T: DeserializeOwned + JsonSchema + Send + 'static> Message for T {
    fn from_payload(rpc: &str, payload: &Payload) -> Result<Self, Error> {
        payload
            .decode::<T>()
            .map_err(|e| Error::bad_data(rpc, &crate::schema::type_label::<T>(), &e))
    }

    fn side(streams: bool) -> Side {
        Side::of::<T>(streams)
    }
}
