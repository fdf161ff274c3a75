//! Spec first: an AsyncAPI document drives the server, and what goes in and
//! out is checked against its JSON Schemas (feature `spec`).
//!
//! ```
//! use swill::{App, Error, Request};
//!
//! /// Adds two numbers.
//! async fn add(req: Request<(i64, i64)>) -> Result<i64, Error> {
//!     Ok(req.data.0 + req.data.1)
//! }
//!
//! let document = r##"
//! asyncapi: 3.0.0
//! info: { title: Adder, version: 1.0.0 }
//! channels:
//!   swill:
//!     address: /ws
//!     messages:
//!       add.request: { $ref: "#/components/messages/add.request" }
//!       add.response: { $ref: "#/components/messages/add.response" }
//! operations:
//!   add:
//!     action: receive
//!     channel: { $ref: "#/channels/swill" }
//!     messages: [{ $ref: "#/channels/swill/messages/add.request" }]
//!     reply:
//!       channel: { $ref: "#/channels/swill" }
//!       messages: [{ $ref: "#/channels/swill/messages/add.response" }]
//!     x-swill-rpc: add
//!     x-swill-shape: unary
//! components:
//!   messages:
//!     add.request:
//!       payload: { type: array, items: [{ type: integer, maximum: 100 }, { type: integer }] }
//!     add.response:
//!       payload: { type: integer }
//! "##;
//! let app = App::from_asyncapi(document).expect("a valid document").handle_as("add", add);
//! app.check().expect("every operation has its handler");
//! ```
//!
//! - [`App::from_asyncapi`] reads the document (JSON or YAML, AsyncAPI 3.0,
//!   in the mapping swill's own export writes) and compiles its schemas
//!   once. When the server starts, every `receive` operation must have a
//!   handler of the same name and shape and every handler an operation:
//!   [`App::check`] lists every difference, and `serve` refuses to start.
//! - Each incoming message is checked against its operation's request
//!   schema before the handler sees it: ERROR 422 whose data maps the JSON
//!   pointer of each failing value to what it broke. Each answer is checked
//!   against the reply's schema: one outside the spec reaches the caller as
//!   500, and the log names the rule. Code-first apps can turn on the same
//!   answer check against their handlers' own schemas
//!   ([`App::validate_responses`]).
//! - The WebSocket handshake is checked against the channel's `bindings.ws`
//!   (`query` and `headers` schemas): a failure is answered before the
//!   upgrade with HTTP 400 and a body naming the field.

mod document;
mod validators;

use std::sync::Arc;

use serde_json::Value;
use swill_proto::{CallShape, Code, Metadata, Payload};

use crate::app::App;
use crate::context::Context;
use crate::error::Error;
use crate::hooks::{Handshake, Rejection};
use document::Operation;
use validators::{ByRpc, Checks, Violation};

/// A document that cannot be served, with every reason.
#[derive(Clone, PartialEq, Eq)]
pub struct SpecError(pub Vec<String>);

impl std::fmt::Debug for SpecError {
    // Readable from `fn main() -> Result<..>` too, where Debug is printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl SpecError {
    fn one(problem: impl Into<String>) -> SpecError {
        SpecError(vec![problem.into()])
    }
}

impl std::fmt::Display for SpecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the AsyncAPI document cannot be served:")?;
        for problem in &self.0 {
            write!(f, "\n- {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecError {}

/// A parsed document: its rpcs and compiled checks.
pub(crate) struct Spec {
    /// The document as given, served at the app's AsyncAPI path.
    document: Value,
    operations: Vec<Operation>,
    checks: Arc<ByRpc>,
    handshake: Arc<(Option<jsonschema::Validator>, Option<jsonschema::Validator>)>,
}

impl Spec {
    fn parse(text: &str) -> Result<Spec, SpecError> {
        let doc = document::parse(text)?;
        let operations = document::operations(&doc)?;
        let mut problems = Vec::new();
        let mut checks = ByRpc::new();
        let mut compile = |schema: &Option<Value>, what: &str, rpc: &str| {
            let schema = schema.as_ref()?;
            validators::compile(&doc, schema)
                .map_err(|e| problems.push(format!("`{rpc}`: its {what} schema: {e}")))
                .ok()
        };
        for op in &operations {
            let entry = Checks {
                request: compile(&op.request, "request", &op.rpc),
                response: compile(&op.response, "response", &op.rpc),
            };
            checks.insert(op.rpc.clone(), entry);
        }
        let (query, headers) = document::handshake(&doc);
        let handshake = (
            compile(&query, "handshake query", "bindings.ws"),
            compile(&headers, "handshake headers", "bindings.ws"),
        );
        if !problems.is_empty() {
            return Err(SpecError(problems));
        }
        Ok(Spec {
            document: doc,
            operations,
            checks: Arc::new(checks),
            handshake: Arc::new(handshake),
        })
    }
}

/// Serving from a document.
impl App {
    /// An app that serves the AsyncAPI document `document` (JSON or YAML):
    /// register a handler for each of its operations, as usual; the
    /// document's schemas check every message in and out, and its
    /// `bindings.ws` the handshake. See [`spec`](crate::spec).
    pub fn from_asyncapi(document: &str) -> Result<App, SpecError> {
        App::new().with_asyncapi(document)
    }
}

/// Serving from a document, with state.
impl<S> App<S> {
    /// Serves `document` with this app, as [`from_asyncapi`](App::from_asyncapi)
    /// does with a new one.
    pub fn with_asyncapi(mut self, document: &str) -> Result<App<S>, SpecError> {
        let spec = Spec::parse(document)?;
        let checks = spec.checks.clone();
        let answers = spec.checks.clone();
        let handshake = spec.handshake.clone();
        // What the app publishes is what it enforces.
        self.site.set_fixed(spec.document.clone());
        self.spec = Some(spec);
        Ok(self
            .before_connection(move |h: Handshake| {
                let handshake = handshake.clone();
                async move { check_handshake(&handshake, h) }
            })
            .before_request_message(move |ctx: Context, message: Payload| {
                let checks = checks.clone();
                async move { check_request(&checks, &ctx, message) }
            })
            .before_response_message(move |ctx: Context, message: Payload| {
                let answers = answers.clone();
                async move { check_response(&answers, &ctx, message) }
            }))
    }

    /// Checks answers against the handlers' own schemas (code first): one
    /// that does not fit reaches the caller as 500, and the log names the
    /// rule. Apps made with [`from_asyncapi`](App::from_asyncapi) check
    /// against the document already.
    pub fn validate_responses(mut self) -> Self {
        self.validate_responses = true;
        self
    }

    /// Whether the document and the handlers fit: every operation has a
    /// handler of its name and shape, every handler an operation. `serve`
    /// runs this and refuses to start on any difference.
    pub fn check(&self) -> Result<(), SpecError> {
        let Some(spec) = &self.spec else {
            return Ok(());
        };
        let mut problems = Vec::new();
        for op in &spec.operations {
            match self.routes.iter().find(|r| *r.name == op.rpc) {
                None => problems.push(format!("the operation `{}` has no handler", op.rpc)),
                Some(route) => {
                    let shape = shape_name(route.request.streams, route.response.streams);
                    if let Some(declared) = op.shape.as_deref().filter(|s| *s != shape) {
                        problems.push(format!(
                            "`{}` is {declared} in the document, {shape} in the code",
                            op.rpc
                        ));
                    }
                }
            }
        }
        for route in &self.routes {
            if !spec.operations.iter().any(|op| *op.rpc == *route.name) {
                problems.push(format!("the handler `{}` has no operation", route.name));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(SpecError(problems))
        }
    }

    /// Turns on the code-first answer check, now that every handler is
    /// registered.
    pub(crate) fn with_response_checks(self) -> App<S> {
        if !self.validate_responses || self.spec.is_some() {
            return self;
        }
        let mut checks = ByRpc::new();
        for route in &self.routes {
            match validators::compile_alone(&route.response.schema) {
                Ok(validator) => {
                    let entry = Checks {
                        request: None,
                        response: Some(validator),
                    };
                    checks.insert(route.name.to_string(), entry);
                }
                Err(e) => tracing::warn!(rpc = %route.name, error = %e, "no answer check"),
            }
        }
        let checks = Arc::new(checks);
        self.before_response_message(move |ctx: Context, message: Payload| {
            let checks = checks.clone();
            async move { check_response(&checks, &ctx, message) }
        })
    }
}

fn shape_name(request: bool, response: bool) -> &'static str {
    match CallShape::from_streams(request, response) {
        CallShape::Unary => "unary",
        CallShape::ServerStreaming => "serverStreaming",
        CallShape::ClientStreaming => "clientStreaming",
        CallShape::Bidirectional => "bidirectional",
    }
}

fn check_request(checks: &ByRpc, ctx: &Context, message: Payload) -> Result<Payload, Error> {
    let Some(validator) = checks.get(ctx.rpc()).and_then(|c| c.request.as_ref()) else {
        return Ok(message);
    };
    let violations = validators::check(validator, &message);
    if violations.is_empty() {
        return Ok(message);
    }
    Err(Error::new(
        Code::VALIDATION_ERROR,
        format!("the message does not fit the `{}` schema", ctx.rpc()),
    )
    .with_data(by_pointer(&violations)))
}

fn check_response(checks: &ByRpc, ctx: &Context, message: Payload) -> Result<Payload, Error> {
    let Some(validator) = checks.get(ctx.rpc()).and_then(|c| c.response.as_ref()) else {
        return Ok(message);
    };
    let violations = validators::check(validator, &message);
    if let Some(first) = violations.first() {
        tracing::error!(
            rpc = ctx.rpc(),
            pointer = %first.pointer,
            rule = %first.rule,
            problem = %first.message,
            "an answer does not fit the spec; the caller gets 500"
        );
        return Err(Error::internal());
    }
    Ok(message)
}

/// The handshake's query and headers against `bindings.ws`.
fn check_handshake(
    schemas: &(Option<jsonschema::Validator>, Option<jsonschema::Validator>),
    handshake: Handshake,
) -> Result<Handshake, Rejection> {
    let (query, headers) = schemas;
    let mut problems = Vec::new();
    if let Some(validator) = query {
        let params: serde_json::Map<String, Value> = handshake
            .uri
            .query()
            .map(|q| {
                form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        for v in validators::check_json(validator, &Value::Object(params)) {
            problems.push(format!("query{}: {}", v.pointer, v.message));
        }
    }
    if let Some(validator) = headers {
        let values: serde_json::Map<String, Value> = handshake
            .headers
            .iter()
            .filter_map(|(name, value)| {
                Some((
                    name.as_str().to_owned(),
                    Value::String(value.to_str().ok()?.to_owned()),
                ))
            })
            .collect();
        for v in validators::check_json(validator, &Value::Object(values)) {
            problems.push(format!("headers{}: {}", v.pointer, v.message));
        }
    }
    if problems.is_empty() {
        Ok(handshake)
    } else {
        Err(Rejection::new(
            http::StatusCode::BAD_REQUEST,
            format!(
                "the handshake does not fit the spec: {}",
                problems.join("; ")
            ),
        ))
    }
}

/// 422's data: each failing value's JSON pointer, with what it broke.
fn by_pointer(violations: &[Violation]) -> Metadata {
    let mut data = Metadata::new();
    for v in violations {
        let entry = rmpv::Value::Map(vec![
            ("description".into(), v.message.clone().into()),
            ("rule".into(), v.rule.clone().into()),
        ]);
        match data.remove(&v.pointer) {
            Some(rmpv::Value::Array(mut list)) => {
                list.push(entry);
                data.insert(v.pointer.clone(), rmpv::Value::Array(list));
            }
            _ => {
                data.insert(v.pointer.clone(), rmpv::Value::Array(vec![entry]));
            }
        }
    }
    data
}
