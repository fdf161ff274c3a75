//! The frozen app that connections share: its routes by name, its hooks,
//! settings and pages.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::config::Config;
use crate::handler::BoxedHandler;
use crate::hooks::{BeforeRequest, Hooks};
use crate::schema::Side;
use crate::sessions::Sessions;
use crate::site::Pages;
use crate::topics::Topics;

/// One registered rpc.
pub(crate) struct Route {
    pub(crate) name: Arc<str>,
    pub(crate) description: Option<String>,
    pub(crate) handler: BoxedHandler,
    pub(crate) request: Side,
    pub(crate) response: Side,
    /// A stream that ends only when its client leaves (a subscription):
    /// when the server starts shutting down it is ended at once, with 503,
    /// so that its client moves to another node instead of waiting out
    /// the grace period.
    pub(crate) endless: bool,
    /// The `before_request` hooks and guards of the modules it sits in,
    /// outermost first; they run after the app's own.
    pub(crate) before_request: Option<Arc<[BeforeRequest]>>,
    /// Its request metrics, shared by its calls.
    pub(crate) metrics: Arc<crate::metrics::RouteMetrics>,
}

impl Route {
    pub(crate) fn new(
        name: impl Into<Arc<str>>,
        description: Option<String>,
        handler: BoxedHandler,
        (request, response): (Side, Side),
    ) -> Route {
        Route {
            name: name.into(),
            description,
            handler,
            request,
            response,
            endless: false,
            before_request: None,
            metrics: Arc::default(),
        }
    }
}

/// The frozen app: routes by index and by name.
pub(crate) struct Router {
    routes: Vec<Route>,
    index: HashMap<Arc<str>, usize>,
    pub(crate) config: Config,
    pub(crate) hooks: Arc<Hooks>,
    /// One permit per open connection.
    pub(crate) connections: Arc<Semaphore>,
    /// Answers plain HTTP requests off the WebSocket path.
    pub(crate) pages: Pages,
    pub(crate) topics: Option<Topics>,
    pub(crate) sessions: Option<Sessions>,
}

impl Router {
    pub(crate) fn new(
        routes: Vec<Route>,
        config: Config,
        hooks: Hooks,
        pages: Pages,
        topics: Option<Topics>,
        sessions: Option<Sessions>,
    ) -> Router {
        let index = routes
            .iter()
            .enumerate()
            .map(|(i, r)| (r.name.clone(), i))
            .collect();
        Router {
            routes,
            index,
            connections: Arc::new(Semaphore::new(config.limits.max_connections)),
            config,
            hooks: Arc::new(hooks),
            pages,
            topics,
            sessions,
        }
    }

    /// The route at `index`.
    pub(crate) fn route(&self, index: usize) -> Option<&Route> {
        self.routes.get(index)
    }

    /// The route registered under `rpc`, with its index.
    pub(crate) fn find(&self, rpc: &str) -> Option<(usize, &Route)> {
        let i = *self.index.get(rpc)?;
        Some((i, &self.routes[i]))
    }
}
