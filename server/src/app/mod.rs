//! The application: the registered handlers and their settings.

mod hooks;
mod limits;
mod site;

use std::sync::Arc;

use swill_proto::{MessageDesc, RpcDescription};

use crate::config::Config;
use crate::handler::{self, BoxedHandler, Handler};
use crate::hooks::Hooks;
use crate::introspect;
use crate::router::{Route, Router};
use crate::schema::Side;
use crate::sessions::Sessions;
use crate::site::Site;
use crate::topics::Topics;

/// A swill application: a set of handlers, each under an rpc name.
///
/// ```no_run
/// use swill::{App, Error, Request};
///
/// /// Adds two numbers.
/// #[swill::rpc]
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
/// Handlers are listed by `swill.introspect` in registration order.
pub struct App {
    pub(crate) routes: Vec<Route>,
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

/// Implemented by the marker types `#[swill::rpc]` generates, so that
/// `App::handle(add)` registers `add` under its name, with its docs.
pub trait Rpc {
    /// Adds this rpc to the app.
    fn register(self, app: App) -> App;
}

impl Default for App {
    fn default() -> Self {
        App::new()
    }
}

impl App {
    /// An app with no handlers, serving on `/ws`, introspection on, with
    /// the default limits (see the setters in the limits section).
    pub fn new() -> Self {
        App {
            routes: Vec::new(),
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

    /// Registers a function marked `#[swill::rpc]`, under its name.
    pub fn handle<R: Rpc>(self, rpc: R) -> Self {
        rpc.register(self)
    }

    /// Registers any handler (an async fn or closure) under an explicit
    /// name; dotted names such as `users.get` are fine.
    ///
    /// # Panics
    ///
    /// When the name is taken, empty, or starts with `swill.` (reserved for
    /// the built-ins): a programming error, caught at startup.
    pub fn handle_as<H: Handler<M>, M>(self, name: &str, handler: H) -> Self {
        self.handle_described(name, None, handler)
    }

    /// Registers a handler with a description. Used by `#[swill::rpc]`.
    #[doc(hidden)]
    pub fn handle_described<H: Handler<M>, M>(
        self,
        name: &str,
        description: Option<&str>,
        handler: H,
    ) -> Self {
        assert!(!name.is_empty(), "an rpc name cannot be empty");
        assert!(
            !name.starts_with("swill."),
            "`{name}`: rpc names starting with `swill.` are reserved"
        );
        assert!(
            self.routes.iter().all(|r| &*r.name != name),
            "`{name}` is registered twice"
        );
        let (request, response) = H::describe();
        self.push_route(
            name,
            description,
            handler::boxed(handler),
            request,
            response,
        )
    }

    pub(crate) fn push_route(
        mut self,
        name: &str,
        description: Option<&str>,
        handler: BoxedHandler,
        request: Side,
        response: Side,
    ) -> Self {
        self.routes.push(Route {
            name: name.into(),
            description: description.map(str::to_owned),
            handler,
            request,
            response,
            endless: false,
        });
        self
    }

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
