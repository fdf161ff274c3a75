//! The application: the registered handlers and their settings.

mod hooks;
mod limits;
mod site;

use std::sync::Arc;

use swill_proto::{MessageDesc, RpcDescription};

use crate::config::Config;
use crate::handler::{self, Handler};
use crate::hooks::Hooks;
use crate::introspect;
use crate::module::Module;
use crate::router::{Route, Router};
use crate::service::HandlerLayer;
use crate::sessions::Sessions;
use crate::site::Site;
use crate::topics::Topics;

/// A swill application: a set of handlers, each under an rpc name, and
/// the state they share.
///
/// ```no_run
/// use swill::{App, Error, Request};
///
/// /// Adds two numbers.
/// async fn add(req: Request<(i64, i64)>) -> Result<i64, Error> {
///     Ok(req.data.0 + req.data.1)
/// }
///
/// # async fn run() -> std::io::Result<()> {
/// let app = App::new()
///     .handle(add)
///     .handle_as("users.count", |_req: Request<()>| async { Ok::<_, Error>(3u64) });
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
/// swill::serve(listener, app).await
/// # }
/// ```
///
/// `S` is the state handlers take with [`State`](crate::State): `()` for
/// [`App::new`], any `Clone` value for [`App::with_state`]. Handlers are
/// listed by `swill.introspect` in registration order.
pub struct App<S = ()> {
    pub(crate) routes: Vec<Route>,
    state: S,
    introspection: bool,
    pub(crate) config: Config,
    pub(crate) hooks: Hooks,
    /// What it serves over plain HTTP: files, AsyncAPI, the playground.
    pub(crate) site: Site,
    topics: Option<Topics>,
    sessions: Option<Sessions>,
    /// The AsyncAPI document the app serves, when spec first.
    #[cfg(feature = "spec")]
    pub(crate) spec: Option<crate::spec::Spec>,
    /// Whether answers are checked against the handlers' schemas.
    #[cfg(feature = "spec")]
    pub(crate) validate_responses: bool,
}

impl Default for App {
    fn default() -> Self {
        App::new()
    }
}

impl App {
    /// The subprotocol tokens the server speaks: `swill.v1` (a valid RFC
    /// 6455 token, usable from browsers), the original's `swill/1`, and
    /// `swill.v1.json` (the same frames as JSON text). The client's order of
    /// preference decides.
    pub const SUBPROTOCOLS: [&'static str; 3] = crate::config::SUBPROTOCOLS;

    /// The default of [`App::read_buffer_size`]: how much is read from the
    /// socket at a time. tungstenite's own default, 128 KiB, is zero-filled
    /// before every read, even one that finds nothing: with small frames
    /// that memset was most of the server's time, and the buffer is
    /// resident memory of every connection. 1 KiB keeps an idle connection
    /// small; larger frames still arrive whole, in more reads.
    pub const DEFAULT_READ_BUFFER_SIZE: usize = crate::config::READ_BUFFER_SIZE;

    /// An app with no handlers and no state, serving on `/ws`,
    /// introspection on, with the default limits (see [`Limits`](crate::Limits)).
    pub fn new() -> Self {
        App::with_state(())
    }
}

impl<S: Clone + Send + Sync + 'static> App<S> {
    /// An app whose handlers share `state` (a pool, a client, settings):
    /// each takes it, or a part of it, with [`State`](crate::State).
    ///
    /// ```
    /// use swill::{App, Error, Request, State};
    ///
    /// #[derive(Clone)]
    /// struct Db { /* a pool */ }
    ///
    /// async fn ping(State(_db): State<Db>, _req: Request<()>) -> Result<&'static str, Error> {
    ///     Ok("pong")
    /// }
    ///
    /// let app = App::with_state(Db {}).handle(ping);
    /// ```
    pub fn with_state(state: S) -> Self {
        App {
            routes: Vec::new(),
            state,
            introspection: true,
            config: Config::default(),
            hooks: Hooks::default(),
            site: Site::default(),
            topics: None,
            sessions: None,
            #[cfg(feature = "spec")]
            spec: None,
            #[cfg(feature = "spec")]
            validate_responses: false,
        }
    }

    /// The app's state: clone it into a hook or a layer that needs it.
    pub fn state(&self) -> &S {
        &self.state
    }

    /// Registers an async fn under its own name: `handle(add)` serves the
    /// rpc `add`. A function marked [`#[swill::rpc]`](crate::rpc) may carry
    /// another name and its doc comment as a description.
    ///
    /// # Panics
    ///
    /// For a closure (it has no name: use [`handle_as`](App::handle_as)),
    /// a name already taken, or one starting with `swill.` (reserved for
    /// the built-ins): programming errors, caught at startup.
    #[track_caller]
    pub fn handle<H: Handler<M, S>, M>(self, handler: H) -> Self {
        let route = handler::route(None, handler, self.state.clone());
        self.add_route(route)
    }

    /// Registers any handler (an async fn or closure) under an explicit
    /// name; dotted names such as `users.get` are fine.
    ///
    /// # Panics
    ///
    /// When the name is taken, empty, or starts with `swill.`.
    #[track_caller]
    pub fn handle_as<H: Handler<M, S>, M>(self, name: &str, handler: H) -> Self {
        let route = handler::route(Some(name), handler, self.state.clone());
        self.add_route(route)
    }

    /// Adds a module's rpcs, each under the module's prefix, with the
    /// module's guards, hooks and layers. See [`Module`](crate::Module).
    ///
    /// # Panics
    ///
    /// When one of its names is taken (or reserved).
    #[track_caller]
    pub fn nest(mut self, module: Module<S>) -> Self {
        for route in module.into_routes(&self.state) {
            self = self.add_route(route);
        }
        self
    }

    /// Wraps every rpc registered so far (nested modules' included) in a
    /// tower layer, outside their own layers, as axum's `Router::layer`
    /// does: rpcs registered after this call are not wrapped. The
    /// built-in `swill.` rpcs never are. Each rpc gets its own instance of
    /// the layer's service, so a `ConcurrencyLimitLayer` limits each rpc
    /// apart, not the app as a whole. A layer that fails with a
    /// [`swill::Error`](crate::Error) answers with it; see
    /// [`handle_layered`](App::handle_layered) for the others.
    ///
    /// ```
    /// use std::time::Duration;
    /// use swill::{App, Error, Request};
    ///
    /// async fn add(req: Request<(i64, i64)>) -> Result<i64, Error> {
    ///     Ok(req.data.0 + req.data.1)
    /// }
    ///
    /// let app = App::new()
    ///     .handle(add)
    ///     .layer(tower::timeout::TimeoutLayer::new(Duration::from_secs(5)));
    /// ```
    pub fn layer<L: HandlerLayer>(mut self, layer: L) -> Self {
        let wrap = layer.erase().0;
        for route in &mut self.routes {
            route.handler = wrap(route.handler.clone());
        }
        self
    }

    /// Adds a route, with the checks every way of registering shares.
    #[track_caller]
    pub(crate) fn add_route(mut self, route: Route) -> Self {
        let name = &*route.name;
        assert!(!name.is_empty(), "an rpc name cannot be empty");
        assert!(
            !name.starts_with("swill."),
            "`{name}`: rpc names starting with `swill.` are reserved"
        );
        assert!(
            self.routes.iter().all(|r| &*r.name != name),
            "`{name}` is registered twice"
        );
        self.routes.push(route);
        self
    }
}

impl<S> App<S> {
    /// Turns `swill.introspect` on (the default) or off; off, it answers
    /// 404 like any unknown rpc.
    pub fn introspection(mut self, enabled: bool) -> Self {
        self.introspection = enabled;
        self
    }

    /// Serves topics to clients: `swill.subscribe`, `swill.publish`,
    /// `swill.presence` and `swill.topics`, and lets handlers publish
    /// through [`Context::publish`](crate::Context::publish). See
    /// [`topics`](crate::topics).
    pub fn topics(mut self, topics: Topics) -> Self {
        self.topics = Some(topics);
        self
    }

    /// Keeps a session per client across reconnections (see
    /// [`sessions`](crate::sessions)): handlers reach it through
    /// [`Context::session`](crate::Context::session).
    pub fn sessions(mut self, sessions: Sessions) -> Self {
        self.sessions = Some(sessions);
        self
    }

    /// A handle that publishes to the app's topics from anywhere in the
    /// process (a clone of what [`App::topics`] was given).
    pub fn publisher(&self) -> Option<Topics> {
        self.topics.clone()
    }

    /// The descriptions `swill.introspect` streams, in registration order.
    pub fn descriptions(&self) -> Vec<RpcDescription> {
        self.routes.iter().map(describe).collect()
    }

    /// Freezes the app into the form connections share.
    pub(crate) fn into_router(self) -> Arc<Router> {
        #[cfg(feature = "spec")]
        let app = self.with_response_checks();
        #[cfg(not(feature = "spec"))]
        let app = self;
        app.freeze()
    }

    fn freeze(self) -> Arc<Router> {
        let mut routes = self.routes;
        let descriptions: Vec<RpcDescription> = routes.iter().map(describe).collect();
        let topics = self.topics.as_ref().map(Topics::descriptions);
        let pages = self
            .site
            .freeze(&descriptions, topics.unwrap_or_default(), &self.config.path);
        if self.introspection {
            routes.push(introspect::route(descriptions));
        }
        if let Some(topics) = &self.topics {
            routes.extend(crate::topics::routes(topics));
        }
        Arc::new(Router::new(
            routes,
            self.config,
            self.hooks,
            pages,
            self.topics,
            self.sessions,
        ))
    }
}

fn describe(route: &Route) -> RpcDescription {
    RpcDescription {
        name: route.name.to_string(),
        request: MessageDesc {
            streams: route.request.streams,
            ty: route.request.type_desc(),
        },
        response: MessageDesc {
            streams: route.response.streams,
            ty: route.response.type_desc(),
        },
        description: route.description.clone(),
        request_schema: Some(route.request.schema.clone()),
        response_schema: Some(route.response.schema.clone()),
    }
}
