//! Modules: rpcs grouped under a prefix, with their own guards, hooks and
//! layers (Flask's blueprints, axum's nested routers).

use std::sync::Arc;

use crate::context::RequestHead;
use crate::error::Error;
use crate::handler::{self, BoxedHandler, Handler};
use crate::hooks::{BeforeRequest, erase};
use crate::router::Route;
use crate::schema::Side;
use crate::service::{HandlerLayer, LayerFn};

/// A group of rpcs under a prefix: `Module::new("users").handle(get)`
/// serves `users.get` once nested with [`App::nest`](crate::App::nest).
///
/// A module has its own `before_request` hooks and guards, which run for
/// its rpcs only (after the app's hooks), its own tower layers, and
/// modules nested inside it (`admin.users.reset`).
///
/// ```
/// use swill::{App, Error, Module, Request, RequestHead};
///
/// /// Resets a user's password.
/// async fn reset(req: Request<String>) -> Result<String, Error> {
///     Ok(format!("reset {}", req.data))
/// }
///
/// let admin = Module::new("admin")
///     // Only from this machine...
///     .guard(|head: &RequestHead| {
///         head.connection.remote_addr().is_some_and(|a| a.ip().is_loopback())
///     })
///     // ...and with the admin token.
///     .before_request(|head: RequestHead| async move {
///         match head.metadata.get_str("token") {
///             Some("admin-secret") => Ok(head),
///             _ => Err(Error::unauthorized("admins only")),
///         }
///     })
///     .handle(reset);
///
/// let app = App::new().nest(admin); // serves `admin.reset`
/// ```
///
/// A module with an empty prefix groups rpcs under a policy without
/// renaming them: the way to guard a single rpc.
///
/// A guard on the peer address trusts the TCP peer: behind a reverse proxy
/// on the same machine, every caller is loopback. Each rpc gets its own
/// copy of a module's layers (a `ConcurrencyLimitLayer` limits each rpc;
/// `GlobalConcurrencyLimitLayer` shares one limit).
pub struct Module<S = ()> {
    prefix: String,
    routes: Vec<Pending<S>>,
    /// Guards and `before_request` hooks, in registration order.
    before_request: Vec<BeforeRequest>,
    layers: Vec<LayerFn>,
}

/// A route waiting for the app's state.
struct Pending<S> {
    name: String,
    description: Option<String>,
    sides: (Side, Side),
    bind: Box<dyn FnOnce(S) -> BoxedHandler + Send>,
    /// The hooks of the modules nested between this route and the one
    /// that holds it, outermost first.
    before_request: Vec<BeforeRequest>,
    /// Layers of those modules, innermost first.
    layers: Vec<LayerFn>,
}

impl<S: Clone + Send + Sync + 'static> Module<S> {
    /// An empty module whose rpcs are named `prefix.name`.
    ///
    /// # Panics
    ///
    /// When the prefix starts or ends with a dot.
    #[track_caller]
    pub fn new(prefix: impl Into<String>) -> Self {
        let prefix = prefix.into();
        assert!(
            !prefix.starts_with('.') && !prefix.ends_with('.'),
            "`{prefix}`: a module prefix neither starts nor ends with a dot"
        );
        Module {
            prefix,
            routes: Vec::new(),
            before_request: Vec::new(),
            layers: Vec::new(),
        }
    }

    /// Registers an async fn under its own name (or the one
    /// `#[swill::rpc]` gave it), below the prefix. See [`App::handle`](crate::App::handle).
    #[track_caller]
    pub fn handle<H: Handler<M, S>, M>(self, handler: H) -> Self {
        self.push(None, handler, None)
    }

    /// Registers a handler under `name`, below the prefix.
    #[track_caller]
    pub fn handle_as<H: Handler<M, S>, M>(self, name: &str, handler: H) -> Self {
        self.push(Some(name), handler, None)
    }

    /// Registers a handler wrapped in a tower layer, below the prefix. See
    /// [`App::handle_layered`](crate::App::handle_layered).
    #[track_caller]
    pub fn handle_layered<H, M, L>(self, name: &str, handler: H, layer: L) -> Self
    where
        H: Handler<M, S>,
        L: HandlerLayer,
    {
        self.push(Some(name), handler, Some(layer.erase().0))
    }

    #[track_caller]
    fn push<H: Handler<M, S>, M>(
        mut self,
        name: Option<&str>,
        handler: H,
        layer: Option<LayerFn>,
    ) -> Self {
        // Named now, so that a closure without a name fails where it is
        // registered.
        let (name, description) = handler::naming::<H>(name);
        assert!(
            !name.is_empty() && !name.starts_with('.') && !name.ends_with('.'),
            "`{name}`: an rpc name in a module is neither empty nor starts or ends with a dot"
        );
        self.routes.push(Pending {
            name,
            description,
            sides: H::describe(),
            bind: Box::new(move |state| handler::boxed(handler, state)),
            before_request: Vec::new(),
            layers: layer.into_iter().collect(),
        });
        self
    }

    /// Wraps every rpc of the module (nested modules' included) in a tower
    /// layer, outside the layers given to single rpcs.
    pub fn layer<L: HandlerLayer>(mut self, layer: L) -> Self {
        self.layers.push(layer.erase().0);
        self
    }

    /// A hook for the module's requests only, run after the app's
    /// `before_request` hooks: may change the request's metadata and
    /// extensions, or reject it (an auth check, say).
    pub fn before_request<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(RequestHead) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<RequestHead, Error>> + Send + 'static,
    {
        self.before_request.push(erase(hook));
        self
    }

    /// Restricts the module's rpcs to the requests `allow` accepts (it
    /// sees the connection: remote address, headers, query, and the
    /// request's metadata); the others are refused with 403.
    pub fn guard<F>(mut self, allow: F) -> Self
    where
        F: Fn(&RequestHead) -> bool + Send + Sync + 'static,
    {
        let allow = Arc::new(allow);
        self.before_request.push(erase(move |head: RequestHead| {
            let allowed = allow(&head);
            async move {
                if allowed {
                    Ok(head)
                } else {
                    Err(Error::forbidden(format!(
                        "`{}` is not available to this caller",
                        head.rpc
                    )))
                }
            }
        }));
        self
    }

    /// Nests `module` inside this one: its rpcs are named
    /// `prefix.inner.name`, and this module's guards, hooks and layers
    /// apply to them too (outside the inner module's).
    pub fn nest(mut self, module: Module<S>) -> Self {
        let Module {
            prefix,
            routes,
            before_request,
            layers,
        } = module;
        for mut route in routes {
            route.name = join(&prefix, &route.name);
            route
                .before_request
                .splice(0..0, before_request.iter().cloned());
            route.layers.extend(layers.iter().cloned());
            self.routes.push(route);
        }
        self
    }

    /// The module's routes, bound to the app's state, named in full.
    pub(crate) fn into_routes(self, state: &S) -> Vec<Route> {
        let Module {
            prefix,
            routes,
            before_request,
            layers,
        } = self;
        routes
            .into_iter()
            .map(|pending| {
                let mut handler = (pending.bind)(state.clone());
                for layer in pending.layers.iter().chain(&layers) {
                    handler = layer(handler);
                }
                let hooks: Vec<BeforeRequest> = before_request
                    .iter()
                    .chain(&pending.before_request)
                    .cloned()
                    .collect();
                let mut route = Route::new(
                    join(&prefix, &pending.name),
                    pending.description,
                    handler,
                    pending.sides,
                );
                route.before_request = (!hooks.is_empty()).then(|| hooks.into());
                route
            })
            .collect()
    }
}

/// `prefix.name`, or `name` under an empty prefix.
fn join(prefix: &str, name: &str) -> String {
    match prefix {
        "" => name.to_owned(),
        prefix => format!("{prefix}.{name}"),
    }
}
