//! Registering hooks. Each stage runs its hooks in registration order;
//! the stages, and the order in which they fire, are in the guide.

use std::future::Future;
use std::sync::Arc;

use swill_proto::{Metadata, Payload};

use super::App;
use crate::context::{Context, RequestHead};
use crate::error::Error;
use crate::hooks::{Continuation, Handshake, Outcome, Rejection, erase, erase2};
use crate::info::ConnectionInfo;

/// Registering hooks.
impl<S> App<S> {
    /// Before the WebSocket upgrade: sees the HTTP request, can refuse
    /// it with an HTTP status ([`Rejection`]) or attach values to the
    /// connection through [`Handshake::extensions`].
    pub fn before_connection<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Handshake) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Handshake, Rejection>> + Send + 'static,
    {
        self.hooks.before_connection.push(erase(hook));
        self
    }

    /// Once the upgrade is done and the connection is open.
    pub fn after_accept<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Arc<ConnectionInfo>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.hooks.after_accept.push(erase(hook));
        self
    }

    /// When a request opens, before anything else of it: may change its
    /// metadata and extensions, or reject it with an [`Error`].
    pub fn before_request<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(RequestHead) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<RequestHead, Error>> + Send + 'static,
    {
        self.hooks.before_request.push(erase(hook));
        self
    }

    /// When a request arrives with metadata (on its opening MESSAGE or
    /// in an opening METADATA frame), after `before_request`.
    pub fn before_request_metadata<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(RequestHead) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<RequestHead, Error>> + Send + 'static,
    {
        self.hooks.before_request_metadata.push(erase(hook));
        self
    }

    /// For each frame that continues an open request (a later MESSAGE,
    /// or END_OF_STREAM); not for the opening frame.
    pub fn before_request_data<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Context, Continuation) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), Error>> + Send + 'static,
    {
        self.hooks.before_request_data.push(erase2(hook));
        self
    }

    /// For each message from the client, before it is decoded: may
    /// replace it, or reject the request.
    pub fn before_request_message<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Context, Payload) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Payload, Error>> + Send + 'static,
    {
        self.hooks.before_request_message.push(erase2(hook));
        self
    }

    /// Once per request, when its leading metadata goes out (with the
    /// first response frame, or as its own METADATA frame); sees `None`
    /// when the handler set none, and may add some.
    pub fn before_leading_metadata<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Context, Option<Metadata>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Option<Metadata>, Error>> + Send + 'static,
    {
        self.hooks.before_leading_metadata.push(erase2(hook));
        self
    }

    /// For each message to the client, after it is encoded.
    pub fn before_response_message<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Context, Payload) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Payload, Error>> + Send + 'static,
    {
        self.hooks.before_response_message.push(erase2(hook));
        self
    }

    /// Once per request, on its final frame (not on an ERROR).
    pub fn before_trailing_metadata<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Context, Option<Metadata>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Option<Metadata>, Error>> + Send + 'static,
    {
        self.hooks.before_trailing_metadata.push(erase2(hook));
        self
    }

    /// After every request, however it ended: see [`Outcome`].
    pub fn after_request<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Context, Outcome) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.hooks.after_request.push(erase2(hook));
        self
    }

    /// When the connection is gone, after the `after_request` of each
    /// request it still had open.
    pub fn after_connection<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Arc<ConnectionInfo>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.hooks.after_connection.push(erase(hook));
        self
    }
}
