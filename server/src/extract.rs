//! Extractors: what a handler takes before its request, read from the
//! call's context and the app's state.

use std::ops::{Deref, DerefMut};

use crate::context::Context;
use crate::error::Error;

/// A handler argument read before the request: [`State`], [`Extension`],
/// or one of your own.
///
/// A failed extraction answers the call with its error; the handler does
/// not run.
///
/// ```
/// use swill::{Context, Error, FromContext};
///
/// /// The caller's tenant, from the `tenant` metadata.
/// struct Tenant(String);
///
/// impl<S> FromContext<S> for Tenant {
///     fn from_context(ctx: &Context, _state: &S) -> Result<Self, Error> {
///         match ctx.metadata().get_str("tenant") {
///             Some(t) => Ok(Tenant(t.to_owned())),
///             None => Err(Error::bad_request("`tenant` metadata is required")),
///         }
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be taken from a call",
    label = "not an extractor",
    note = "arguments before the request are extractors: `State<T>`, `Extension<T>`, or a type implementing `FromContext`; the request (`Request<T>` or `StreamingRequest<T>`) comes last"
)]
pub trait FromContext<S>: Sized + Send + 'static {
    /// Reads the value, or fails the call with an error.
    fn from_context(ctx: &Context, state: &S) -> Result<Self, Error>;
}

/// The app's shared state (see [`App::with_state`](crate::App::with_state)),
/// or a part of it (see [`FromRef`]).
///
/// ```
/// use swill::{App, Error, Request, State};
///
/// #[derive(Clone)]
/// struct Db { url: String }
///
/// async fn where_(State(db): State<Db>, _req: Request<()>) -> Result<String, Error> {
///     Ok(db.url)
/// }
///
/// let app = App::with_state(Db { url: "postgres://".into() }).handle(where_);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct State<T>(pub T);

impl<S, T> FromContext<S> for State<T>
where
    T: FromRef<S> + Send + 'static,
{
    fn from_context(_ctx: &Context, state: &S) -> Result<Self, Error> {
        Ok(State(T::from_ref(state)))
    }
}

impl<T> Deref for State<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for State<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// A part of the state that handlers can take on its own, as axum's
/// `FromRef`: with `impl FromRef<AppState> for Db`, a handler of an app
/// whose state is `AppState` can take `State<Db>`.
///
/// ```
/// use swill::{App, Error, FromRef, Request, State};
///
/// #[derive(Clone)]
/// struct AppState { db: Db, name: String }
/// #[derive(Clone)]
/// struct Db;
///
/// impl FromRef<AppState> for Db {
///     fn from_ref(state: &AppState) -> Db { state.db.clone() }
/// }
///
/// async fn ping(State(_db): State<Db>, _req: Request<()>) -> Result<(), Error> { Ok(()) }
///
/// let app = App::with_state(AppState { db: Db, name: "x".into() }).handle(ping);
/// ```
pub trait FromRef<S> {
    /// Takes this part out of the state.
    fn from_ref(state: &S) -> Self;
}

impl<T: Clone> FromRef<T> for T {
    fn from_ref(state: &T) -> T {
        state.clone()
    }
}

/// A value a hook attached to the request or its connection (through
/// `RequestHead::extensions` or `Handshake::extensions`), such as the
/// signed-in user.
///
/// When no hook attached one, the call fails with 500 and the log says
/// which type was missing: a wiring mistake, not the client's.
#[derive(Clone, Copy, Debug)]
pub struct Extension<T>(pub T);

impl<S, T> FromContext<S> for Extension<T>
where
    T: Clone + Send + Sync + 'static,
{
    fn from_context(ctx: &Context, _state: &S) -> Result<Self, Error> {
        let found = ctx
            .extensions()
            .get::<T>()
            .or_else(|| ctx.connection().extensions().get::<T>());
        match found {
            Some(value) => Ok(Extension(value.clone())),
            None => {
                tracing::error!(
                    rpc = ctx.rpc(),
                    r#type = std::any::type_name::<T>(),
                    "a handler takes an Extension that no hook attached"
                );
                Err(Error::internal())
            }
        }
    }
}

impl<T> Deref for Extension<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}
