//! The command line, as clap parses it.

use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use swill_client::{CallOptions, CallShape, Encoding, Metadata, Position, Subprotocol, Value};

/// Talks to swill servers from the command line: JSON in, JSON out.
#[derive(Debug, Parser)]
#[command(name = "swill", version)]
#[command(
    after_help = "Exit status: 0 ok, 1 the call failed (an ERROR from the server, \
                        a timeout), 2 usage error, 3 connection failure."
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Calls a unary rpc and prints the answer as JSON.
    ///
    /// Example: swill call ws://127.0.0.1:8000/ws add '[1, 2]'
    Call {
        /// The server: ws://HOST:PORT/PATH (`ws://` and `/ws` are assumed when left out).
        url: String,
        /// The rpc name, e.g. `add` or `users.get`.
        rpc: String,
        /// The request, as JSON.
        json: String,
        #[command(flatten)]
        call: CallArgs,
        #[command(flatten)]
        connection: ConnectionArgs,
    },
    /// Calls a streaming rpc and prints one JSON line per answer.
    ///
    /// A server-streaming rpc takes its request as the JSON argument; a
    /// client-streaming or bidirectional one reads its requests from
    /// standard input, one JSON value per line. The shape is found with
    /// introspection, or given with --shape.
    ///
    /// Example: printf '1\n2\n' | swill stream ws://127.0.0.1:8000/ws total
    Stream {
        /// The server: ws://HOST:PORT/PATH (`ws://` and `/ws` are assumed when left out).
        url: String,
        /// The rpc name.
        rpc: String,
        /// The request of a server-streaming rpc, as JSON.
        json: Option<String>,
        /// The rpc's call shape, when the server cannot be asked (introspection off).
        #[arg(long, value_enum)]
        shape: Option<Shape>,
        #[command(flatten)]
        call: CallArgs,
        #[command(flatten)]
        connection: ConnectionArgs,
    },
    /// Subscribes to a topic and prints one JSON line per publication:
    /// {"epoch": "...", "offset": N, "data": ...}.
    ///
    /// Runs until interrupted. After a lost connection it subscribes again
    /// and resumes after the last publication printed; publications that
    /// could not be recovered are reported on standard error.
    ///
    /// Example: swill subscribe ws://127.0.0.1:8000/ws chat --since x8Kd2a:41
    Subscribe {
        /// The server: ws://HOST:PORT/PATH (`ws://` and `/ws` are assumed when left out).
        url: String,
        /// The topic's name.
        topic: String,
        /// Resume after this position (EPOCH:OFFSET, as printed): the
        /// publications since come first, from the topic's history.
        #[arg(long, value_name = "EPOCH:OFFSET")]
        since: Option<Position>,
        #[command(flatten)]
        connection: ConnectionArgs,
    },
    /// Publishes a JSON value to a topic through the server and prints its
    /// position, {"epoch": "...", "offset": N}.
    ///
    /// Example: swill publish ws://127.0.0.1:8000/ws chat '{"text": "hi"}'
    Publish {
        /// The server: ws://HOST:PORT/PATH (`ws://` and `/ws` are assumed when left out).
        url: String,
        /// The topic's name.
        topic: String,
        /// The value to publish, as JSON.
        json: String,
        #[command(flatten)]
        connection: ConnectionArgs,
    },
    /// Lists the server's rpcs, as a table or (--json) as JSON.
    Introspect {
        /// The server: ws://HOST:PORT/PATH (`ws://` and `/ws` are assumed when left out).
        url: String,
        /// Print the descriptions as JSON instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        connection: ConnectionArgs,
    },
    /// Prints the AsyncAPI 3.0 document of the server's API, from its introspection.
    ///
    /// Example: swill asyncapi ws://127.0.0.1:8000/ws > asyncapi.json
    Asyncapi {
        /// The server: ws://HOST:PORT/PATH (`ws://` and `/ws` are assumed when left out).
        url: String,
        /// The API's title (`info.title`).
        #[arg(long, default_value = "swill API")]
        title: String,
        /// The API's version (`info.version`).
        #[arg(long, value_name = "VERSION", default_value = "0.1.0")]
        api_version: String,
        #[command(flatten)]
        connection: ConnectionArgs,
    },
    /// Writes typed client code for the server's API, from its introspection.
    ///
    /// `ts`: a TypeScript module with the request and response types of every
    /// rpc and `api(client)`, a typed wrapper over the npm package `swill-client`.
    ///
    /// Example: swill codegen ts ws://127.0.0.1:8000/ws -o src/api.ts
    Codegen {
        /// The language to write.
        #[arg(value_enum)]
        language: Language,
        /// The server: ws://HOST:PORT/PATH (`ws://` and `/ws` are assumed when left out).
        url: String,
        /// Write to this file instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        out: Option<std::path::PathBuf>,
        /// The module the generated code imports the client from.
        #[arg(long, value_name = "NAME", default_value = "swill-client")]
        client_module: String,
        #[command(flatten)]
        connection: ConnectionArgs,
    },
}

/// A language `swill codegen` writes.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum Language {
    /// A TypeScript module over the npm package `swill-client`.
    Ts,
}

/// A call shape, as named on the command line.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum Shape {
    /// One request, one answer.
    Unary,
    /// One request, a stream of answers.
    Server,
    /// A stream of requests, one answer.
    Client,
    /// Streams both ways.
    Bidi,
}

impl From<Shape> for CallShape {
    fn from(shape: Shape) -> Self {
        match shape {
            Shape::Unary => CallShape::Unary,
            Shape::Server => CallShape::ServerStreaming,
            Shape::Client => CallShape::ClientStreaming,
            Shape::Bidi => CallShape::Bidirectional,
        }
    }
}

/// Options of one call.
#[derive(Debug, Args)]
pub(crate) struct CallArgs {
    /// Request metadata: `key=value` for a string, `key:=JSON` for any value. Repeatable.
    #[arg(short = 'm', long = "metadata", value_name = "KEY=VALUE")]
    metadata: Vec<String>,
    /// The call's deadline in milliseconds (sent as `swill-timeout`, enforced here too).
    #[arg(long, value_name = "MS")]
    timeout: Option<u64>,
    /// Also print the leading and trailing metadata, to standard error.
    #[arg(short, long)]
    pub(crate) verbose: bool,
}

impl CallArgs {
    /// The call options, or why a metadata argument is malformed.
    pub(crate) fn options(&self) -> Result<CallOptions, String> {
        let mut options = CallOptions::new();
        if !self.metadata.is_empty() {
            let mut metadata = Metadata::new();
            for entry in &self.metadata {
                let (key, value) = metadata_entry(entry)?;
                metadata.insert(key, value);
            }
            options = options.metadata(metadata);
        }
        if let Some(ms) = self.timeout {
            options = options.timeout(Duration::from_millis(ms));
        }
        Ok(options)
    }
}

fn metadata_entry(entry: &str) -> Result<(&str, Value), String> {
    if let Some((key, json)) = entry.split_once(":=") {
        let value: serde_json::Value = serde_json::from_str(json)
            .map_err(|e| format!("-m {entry}: the value is not JSON: {e}"))?;
        return Ok((key, crate::json::to_msgpack(&value)));
    }
    match entry.split_once('=') {
        Some((key, value)) => Ok((key, Value::from(value))),
        None => Err(format!("-m {entry}: expected KEY=VALUE or KEY:=JSON")),
    }
}

/// How to connect.
#[derive(Debug, Args)]
pub(crate) struct ConnectionArgs {
    /// Offer only the legacy `swill/1` subprotocol (original Python Swill
    /// servers). Without it, `swill.v1` is offered, and `swill/1` tried
    /// when the server refuses.
    #[arg(long)]
    legacy: bool,
    /// How frames travel: `msgpack` (binary MessagePack, the default) or
    /// `json` (JSON text frames, subprotocol `swill.v1.json`; swill servers
    /// only).
    #[arg(long, value_name = "ENCODING", default_value = "msgpack", value_parser = ["msgpack", "json"])]
    encoding: String,
    /// Trust this PEM file's certificates for wss:// (a private CA or a
    /// self-signed server), besides the system's roots. Repeatable.
    #[arg(long = "ca", value_name = "FILE")]
    pub(crate) ca: Vec<std::path::PathBuf>,
    /// A header for the upgrade request, `NAME: VALUE`. Repeatable.
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// How long connecting may take, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    connect_timeout: u64,
    /// Resume this session (an id the server issued, as --show-session prints).
    #[arg(long, value_name = "ID")]
    pub(crate) session: Option<String>,
    /// Print the session id the command ended with, on standard error, as
    /// one line `session: ID`.
    #[arg(long)]
    pub(crate) show_session: bool,
}

impl ConnectionArgs {
    pub(crate) fn subprotocol(&self) -> Subprotocol {
        if self.legacy {
            Subprotocol::Legacy
        } else {
            Subprotocol::Auto
        }
    }

    pub(crate) fn encoding(&self) -> Encoding {
        match self.encoding.as_str() {
            "json" => Encoding::Json,
            _ => Encoding::MessagePack,
        }
    }

    pub(crate) fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.connect_timeout)
    }

    /// The headers as (name, value) pairs, or why one is malformed.
    pub(crate) fn headers(&self) -> Result<Vec<(&str, &str)>, String> {
        self.headers
            .iter()
            .map(|h| {
                h.split_once(':')
                    .map(|(name, value)| (name.trim(), value.trim()))
                    .ok_or_else(|| format!("-H {h}: expected `NAME: VALUE`"))
            })
            .collect()
    }
}
