//! Constraint validation of request data with garde (feature `validate`).

use std::collections::BTreeMap;
use std::ops::{Deref, DerefMut};

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use swill_proto::{Code, Payload};

use crate::error::Error;
use crate::message::Message;
use crate::schema::Side;

/// Request data that is decoded, then validated with [`garde`].
///
/// Data that decodes but breaks a constraint is answered with ERROR 422,
/// whose `data` maps each field path to a list of `{"description": ...}`,
/// the shape the original Swill uses.
///
/// ```
/// use swill::{Error, Request, Valid};
///
/// #[derive(serde::Deserialize, schemars::JsonSchema, garde::Validate)]
/// struct NewUser {
///     #[garde(length(min = 1, max = 64))]
///     name: String,
///     #[garde(range(min = 13))]
///     age: u8,
/// }
///
/// /// Creates a user.
/// #[swill::rpc(name = "users.create")]
/// async fn create(req: Request<Valid<NewUser>>) -> Result<String, Error> {
///     Ok(format!("welcome, {}", req.data.name))
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Valid<T>(pub T);

impl<T> Valid<T> {
    /// The validated value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Valid<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Valid<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// One problem of a field, as the 422's data lists it.
#[derive(Serialize)]
struct Problem {
    description: String,
}

impl<T> Message for Valid<T>
where
    T: DeserializeOwned + JsonSchema + garde::Validate + Send + 'static,
    T::Context: Default,
{
    fn from_payload(rpc: &str, payload: &Payload) -> Result<Self, Error> {
        let value = T::from_payload(rpc, payload)?;
        match value.validate() {
            Ok(()) => Ok(Valid(value)),
            Err(report) => {
                let mut fields: BTreeMap<String, Vec<Problem>> = BTreeMap::new();
                for (path, error) in report.iter() {
                    fields.entry(path.to_string()).or_default().push(Problem {
                        description: error.message().to_owned(),
                    });
                }
                Err(Error::new(Code::VALIDATION_ERROR, "validation failed").with_data(fields))
            }
        }
    }

    fn side(streams: bool) -> Side {
        Side::of::<T>(streams)
    }
}
