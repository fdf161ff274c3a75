//! The trait that turns a plain async fn into a handler.

use std::future::Future;
use std::sync::Arc;

use futures::FutureExt;
use futures::future::BoxFuture;

use crate::extract::FromContext;
use crate::reply::{IntoReply, Reply};
use crate::request::{CallInput, FromCall};
use crate::router::Route;
use crate::schema::Side;

/// A function the app can call for an rpc.
///
/// Implemented for every `async fn` (and closure) whose last argument is
/// [`Request<T>`](crate::Request) or [`StreamingRequest<T>`](crate::StreamingRequest),
/// after up to three extractors such as [`State`](crate::State), and
/// whose return type is one of the [`IntoReply`] forms. The types choose
/// the call shape: a streaming argument makes the request side stream, a
/// returned stream makes the response side stream. `S` is the app's
/// state; `M` only tells the impls apart.
///
/// ```
/// use swill::{App, Error, Request, State};
///
/// /// Counts the users.
/// async fn count(State(users): State<Vec<String>>, _req: Request<()>) -> Result<usize, Error> {
///     Ok(users.len())
/// }
///
/// let app = App::with_state(vec!["ada".to_owned()]).handle(count);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a swill handler",
    label = "not an async fn taking extractors then a `Request<T>` or `StreamingRequest<T>`",
    note = "a handler is an `async fn` whose arguments are up to three extractors (`State<T>`, `Extension<T>`) and then `Request<T>` or `StreamingRequest<T>`, with `T: serde::Deserialize + JsonSchema`",
    note = "it returns `T`, `Result<T, E>` with `E: Into<swill::Error>`, or a `Stream` of `Result<T, E>`, with `T: serde::Serialize + JsonSchema`; the future must be `Send`",
    note = "a `State<T>` extractor needs the app's state to be `T` (or `T: FromRef<S>`): `App::with_state`"
)]
pub trait Handler<M, S = ()>: Clone + Send + Sync + 'static {
    /// Runs the handler for one call. Internal.
    #[doc(hidden)]
    fn call(&self, input: CallInput, state: &S) -> BoxFuture<'static, Reply>;

    /// The request and response sides, for introspection. Internal.
    #[doc(hidden)]
    fn describe() -> (Side, Side);
}

/// One impl per number of extractors before the request argument.
macro_rules! handler_impl {
    ($($part:ident),*) => {
        #[allow(non_snake_case, unused_variables)]
        impl<F, Fut, S, $($part,)* A, R, MA, MR> Handler<(MA, MR, ($($part,)*), A, R), S> for F
        where
            F: Fn($($part,)* A) -> Fut + Clone + Send + Sync + 'static,
            Fut: Future<Output = R> + Send + 'static,
            S: Send + Sync + 'static,
            $($part: FromContext<S>,)*
            A: FromCall<MA>,
            R: IntoReply<MR>,
            MA: 'static,
            MR: 'static,
        {
            fn call(&self, input: CallInput, state: &S) -> BoxFuture<'static, Reply> {
                // Extractors read the state here, so that the future owns
                // what it needs and the state is borrowed for no longer.
                $(
                    let $part = match $part::from_context(&input.ctx, state) {
                        Ok(part) => part,
                        Err(e) => return futures::future::ready(Reply::Unary(Err(e))).boxed(),
                    };
                )*
                let handler = self.clone();
                async move {
                    match A::from_call(input).await {
                        Ok(arg) => handler($($part,)* arg).await.into_reply(),
                        Err(e) => Reply::Unary(Err(e)),
                    }
                }
                .boxed()
            }

            fn describe() -> (Side, Side) {
                (A::describe(), R::describe())
            }
        }
    };
}

handler_impl!();
handler_impl!(P1);
handler_impl!(P1, P2);
handler_impl!(P1, P2, P3);

/// A handler with its types and state erased, as the router stores it.
pub(crate) type BoxedHandler = Arc<dyn Fn(CallInput) -> BoxFuture<'static, Reply> + Send + Sync>;

/// Erases a handler, binding it to the state it will run with.
pub(crate) fn boxed<H, M, S>(handler: H, state: S) -> BoxedHandler
where
    H: Handler<M, S>,
    S: Send + Sync + 'static,
{
    Arc::new(move |input| handler.call(input, &state))
}

/// The route for `handler`, named `name` or after the function.
///
/// # Panics
///
/// For a closure registered without a name.
#[track_caller]
pub(crate) fn route<H, M, S>(name: Option<&str>, handler: H, state: S) -> Route
where
    H: Handler<M, S>,
    S: Send + Sync + 'static,
{
    let (name, description) = naming::<H>(name);
    Route::new(name, description, boxed(handler, state), H::describe())
}

/// The rpc name and description of a handler registered as `H`, under
/// `name` when one is given.
///
/// # Panics
///
/// For a closure registered without a name.
#[track_caller]
pub(crate) fn naming<H>(name: Option<&str>) -> (String, Option<String>) {
    let (recorded, description) = registered::<H>();
    let name = match (name, recorded) {
        (Some(name), _) => name.to_owned(),
        (None, Some(name)) => name,
        (None, None) => panic!(
            "`{}` has no name to serve it under (a closure, or not a plain fn): \
             register it with handle_as(\"name\", handler)",
            std::any::type_name::<H>()
        ),
    };
    (name, description.map(str::to_owned))
}

/// What `#[swill::rpc]` records about a function, found again by
/// [`registered`] when the function is registered. Internal.
#[doc(hidden)]
pub struct RpcInfo {
    /// The function's type name, for a function without generics: the
    /// record is then matched exactly.
    pub type_name: Option<fn() -> &'static str>,
    /// `module_path!()` where the function is defined.
    pub module: &'static str,
    /// The function's own name.
    pub function: &'static str,
    /// The rpc name: the function's, or the attribute's `name = "..."`.
    pub name: &'static str,
    /// The doc comment, if any.
    pub description: Option<&'static str>,
}

inventory::collect!(RpcInfo);

/// The name and description a handler is registered with.
///
/// A handler is a function item, whose type name is its path
/// (`my_service::users::get`): the rpc is named after its last segment,
/// unless `#[swill::rpc]` recorded another name (or a description) for that
/// very function. Closures, and anything else that is not a plain
/// function, have no name.
///
/// The format of `type_name` is not specified by Rust, but it has been the
/// item's path since 1.0 and the handler tests pin the names it gives.
fn registered<H>() -> (Option<String>, Option<&'static str>) {
    let full = std::any::type_name::<H>();
    let records = || inventory::iter::<RpcInfo>.into_iter();
    if let Some(info) = records().find(|info| info.type_name.is_some_and(|name| name() == full)) {
        return (Some(info.name.to_owned()), info.description);
    }
    // `<T as Trait>::f` and the like: not a plain function.
    if full.starts_with('<') {
        return (None, None);
    }
    // Generic functions (and methods of generic types) print their
    // parameters: `f<u32>`, `Svc<u8>::get`.
    let path = without_generics(full);
    let Some((module, function)) = path.rsplit_once("::") else {
        return (None, None);
    };
    let is_name = !function.is_empty()
        && !function.starts_with(|c: char| c.is_ascii_digit())
        && function.chars().all(|c| c.is_alphanumeric() || c == '_');
    if !is_name {
        return (None, None);
    }
    // A generic function's record cannot hold its type name: the closest
    // module wins.
    let recorded = records()
        .filter(|info| info.type_name.is_none() && info.function == function)
        .filter(|info| within(module, info.module))
        .max_by_key(|info| info.module.len());
    match recorded {
        Some(info) => (Some(info.name.to_owned()), info.description),
        None => (Some(function.to_owned()), None),
    }
}

/// `path` without its `<...>` groups, balanced.
fn without_generics(path: &str) -> String {
    let mut depth = 0usize;
    path.chars()
        .filter(|c| {
            match c {
                '<' => depth += 1,
                '>' => depth = depth.saturating_sub(1),
                _ => return depth == 0,
            }
            false
        })
        .collect()
}

/// Whether `path` is the module `module` or inside it (a fn body in it).
fn within(path: &str, module: &str) -> bool {
    path.strip_prefix(module)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
}

#[cfg(test)]
mod tests {
    use super::without_generics;

    #[test]
    fn generics_are_taken_out_of_paths() {
        assert_eq!(
            without_generics("app::users<Db>::{{closure}}"),
            "app::users::{{closure}}"
        );
        assert_eq!(without_generics("app::Svc<Vec<u8>>::get"), "app::Svc::get");
        assert_eq!(without_generics("app::get"), "app::get");
    }
}
