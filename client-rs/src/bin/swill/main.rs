//! `swill`: call swill servers from the command line (like grpcurl, for
//! swill). JSON in, JSON out.
//!
//! ```text
//! swill call ws://127.0.0.1:8000/ws add '[1, 2]'           # prints 3
//! swill stream ws://127.0.0.1:8000/ws count 3             # prints 0, 1, 2, one per line
//! printf '1\n2\n3\n' | swill stream 127.0.0.1:8000 total  # prints 6
//! swill introspect 127.0.0.1:8000                         # a table of the rpcs
//! swill asyncapi 127.0.0.1:8000 > asyncapi.json           # the AsyncAPI 3.0 document
//! swill codegen ts 127.0.0.1:8000 -o api.ts               # a typed TypeScript API
//! swill subscribe 127.0.0.1:8000 chat                     # one JSON line per publication
//! swill publish 127.0.0.1:8000 chat '"hi"'                # prints its position
//! ```
//!
//! Exit status: 0 ok, 1 the server answered an error (printed to standard
//! error as `error CODE: message`), 2 usage error, 3 connection failure,
//! 130 Ctrl-C (the call cancelled, the connection closed).

use std::io::Write;
use std::process::ExitCode;

/// `eprintln!` without its panic: a standard error that cannot be written
/// (a closed pipe, a full disk) loses the line, not the exit status.
macro_rules! note {
    ($($arg:tt)*) => {{
        let _ = std::io::Write::write_fmt(&mut std::io::stderr().lock(), format_args!("{}\n", format_args!($($arg)*)));
    }};
}
pub(crate) use note;

use swill_client::{Client, Error, Metadata, ReconnectPolicy, Response, Value};

mod args;
mod asyncapi;
mod codegen;
mod json;
mod lexer;
mod stream;
mod table;
mod topic;

use args::{Command, ConnectionArgs, Language, Parsed};

/// The client the command connected (each connects once): closed with a
/// close handshake at the end, and its session printed for
/// `--show-session`.
static CONNECTED: std::sync::OnceLock<(Client, bool)> = std::sync::OnceLock::new();

/// Why the tool stops early, which decides its exit status.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The command line (or a JSON input) is malformed: exit 2.
    Usage(String),
    /// The call failed: exit 1, or 3 when the connection is to blame.
    Call(Error),
    /// Standard output could not be written: exit 1; or, when its reader
    /// went away (`| head`), a normal end.
    Output(std::io::Error),
    /// Ctrl-C (SIGINT): the call was cancelled and the connection closed;
    /// exit 130, as a shell reports a command a SIGINT ended.
    Interrupted,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::Call(error)
    }
}

impl Failure {
    fn report(self) -> ExitCode {
        match self {
            Failure::Usage(message) => {
                note!("swill: {message}");
                ExitCode::from(2)
            }
            Failure::Call(Error::Invalid(message)) => Failure::Usage(message).report(),
            // The reader has what it wanted; the call was cancelled by
            // dropping it, as any command that stops early.
            Failure::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Failure::Output(e) => {
                note!("swill: cannot write the output: {e}");
                ExitCode::from(1)
            }
            Failure::Interrupted => ExitCode::from(130),
            Failure::Call(error) => {
                // The message is the server's: its control characters are
                // shown escaped, never sent to the terminal.
                let message = without_controls(&error.message());
                note!("error {}: {message}", error.code().as_i64());
                if let Some(data) = error.data() {
                    note!("data: {}", json::to_json(data));
                }
                ExitCode::from(if error.is_connection() { 3 } else { 1 })
            }
        }
    }
}

fn main() -> ExitCode {
    let args: Result<Vec<String>, _> = std::env::args_os()
        .skip(1)
        .map(|a| a.into_string())
        .collect();
    let parsed = args
        .map_err(|a| format!("an argument is not UTF-8: {}", a.to_string_lossy()))
        .and_then(args::parse);
    let command = match parsed {
        Ok(Parsed::Run(command)) => command,
        Ok(Parsed::Print(text)) => {
            return match print_text(&text) {
                Ok(()) => ExitCode::SUCCESS,
                Err(failure) => failure.report(),
            };
        }
        Err(message) => return Failure::Usage(message).report(),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return Failure::Usage(format!("cannot start: {e}")).report(),
    };
    // Ctrl-C is how a subscription ends (exit 0), once it is one; any
    // other command, or a subscription still connecting, is interrupted
    // (130).
    let subscribing = matches!(command, Command::Subscribe { .. });
    let interrupted = move || match subscribing && topic::subscribed() {
        true => Ok(()),
        false => Err(Failure::Interrupted),
    };
    let (outcome, session) = runtime.block_on(async {
        let outcome = tokio::select! {
            outcome = run(command) => outcome,
            // Dropping the command's future cancels its call (CANCEL). No
            // handler (an error) disables this branch, not the command.
            Ok(()) = tokio::signal::ctrl_c() => interrupted(),
        };
        let mut session = None;
        if let Some((client, show_session)) = CONNECTED.get() {
            // A clean close, not a reset in the server's log; a second
            // Ctrl-C stops waiting for it.
            tokio::select! {
                () = client.close() => {}
                Ok(()) = tokio::signal::ctrl_c() => {}
            }
            // The id the session ended with (it changes when the server
            // regenerates it), for a script to pass to --session next time.
            session = client.session().filter(|_| *show_session);
        }
        (outcome, session)
    });
    // A read of standard input may still be pending on a blocking thread.
    runtime.shutdown_background();
    let status = match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    };
    // Last, after the output and any error, as the help says.
    if let Some(id) = session {
        note!("session: {id}");
    }
    status
}

async fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Call {
            url,
            rpc,
            json,
            call,
            connection,
        } => {
            let request = parse_json(json.as_deref().unwrap_or("null"), "the request")?;
            let options = call.options().map_err(Failure::Usage)?;
            let client = connect_with(&url, &connection, ReconnectPolicy::none(), true).await?;
            let response: Response<Value> = match client.call_with(&rpc, &request, options).await {
                Ok(response) => response,
                // A call of the wrong shape, as the client's core words it
                // for a library user; here the answer is another command.
                Err(Error::Invalid(message)) => {
                    let hint = "`swill stream` makes calls of every shape";
                    return Err(Failure::Usage(format!("{message} ({hint})")));
                }
                Err(e) => return Err(e.into()),
            };
            print_metadata("leading", &response.leading, call.verbose);
            print_line(&serde_json::to_string_pretty(&json::to_json(
                &response.data,
            )))?;
            print_metadata("trailing", &response.trailing, call.verbose);
            Ok(())
        }
        Command::Stream {
            url,
            rpc,
            json,
            shape,
            call,
            connection,
        } => {
            let request = json
                .as_deref()
                .map(|j| parse_json(j, "the request"))
                .transpose()?;
            let client = connect(&url, &connection).await?;
            stream::run(&client, &rpc, request, shape, &call).await
        }
        Command::Subscribe {
            url,
            topic,
            since,
            connection,
        } => {
            let policy = ReconnectPolicy::default();
            let client = connect_with(&url, &connection, policy, false).await?;
            topic::subscribe(&client, &topic, since).await
        }
        Command::Publish {
            url,
            topic,
            json,
            connection,
        } => {
            let data = parse_json(&json, "the data")?;
            let client = connect(&url, &connection).await?;
            let position = client.publish(&topic, &json::to_msgpack(&data)).await?;
            print_line(&serde_json::to_string(&position))?;
            Ok(())
        }
        Command::Introspect {
            url,
            json,
            call,
            connection,
        } => {
            let options = call.options().map_err(Failure::Usage)?;
            let client = connect(&url, &connection).await?;
            let rpcs = client.introspect_with(options).await?;
            if json {
                print_line(&serde_json::to_string_pretty(&rpcs))
            } else {
                print_text(&table::render(&rpcs))
            }
        }
        Command::Asyncapi {
            url,
            title,
            api_version,
            call,
            connection,
        } => {
            let options = call.options().map_err(Failure::Usage)?;
            let client = connect(&url, &connection).await?;
            let rpcs = client.introspect_with(options).await?;
            let topics = client.topics().await?;
            let doc = asyncapi::document(&rpcs, &topics, &url, &title, &api_version);
            print_line(&serde_json::to_string_pretty(&doc))
        }
        Command::Codegen {
            language: Language::Ts,
            url,
            out,
            client_module,
            call,
            connection,
        } => {
            let options = call.options().map_err(Failure::Usage)?;
            let client = connect(&url, &connection).await?;
            let rpcs = client.introspect_with(options).await?;
            let module = codegen::typescript(&rpcs, &client_module);
            match out {
                Some(path) => std::fs::write(&path, module)
                    .map_err(|e| Failure::Usage(format!("cannot write {}: {e}", path.display()))),
                None => print_text(&module),
            }
        }
    }
}

/// Connects once, without reconnecting: a command line fails fast.
///
/// Only `swill call` has the client check rpcs' shapes (a unary call of
/// a streaming rpc fails instead of waiting); the other commands ask the
/// server themselves or need no shape, and save that request.
async fn connect(url: &str, args: &ConnectionArgs) -> Result<Client, Failure> {
    connect_with(url, args, ReconnectPolicy::none(), false).await
}

async fn connect_with(
    url: &str,
    args: &ConnectionArgs,
    reconnect: ReconnectPolicy,
    check_shapes: bool,
) -> Result<Client, Failure> {
    let mut builder = Client::builder(url)
        .subprotocol(args.subprotocol())
        .encoding(args.encoding())
        .connect_timeout(args.connect_timeout())
        .check_shapes(check_shapes)
        .reconnect(reconnect);
    if let Some(id) = &args.session {
        builder = builder.session(id);
    }
    for (name, value) in args.headers().map_err(Failure::Usage)? {
        builder = builder.header(name, value);
    }
    for path in &args.ca {
        let pem = std::fs::read(path)
            .map_err(|e| Failure::Usage(format!("--ca {}: {e}", path.display())))?;
        // The common mistake (a key, a DER file, the wrong file) named by
        // its file here: the library sees only bytes.
        if !pem.windows(CERTIFICATE.len()).any(|w| w == CERTIFICATE) {
            let path = path.display();
            return Err(Failure::Usage(format!(
                "--ca {path}: holds no PEM certificate ({})",
                String::from_utf8_lossy(CERTIFICATE)
            )));
        }
        builder = builder.root_certificates_pem(pem);
    }
    let client = builder.connect().await?;
    let _ = CONNECTED.set((client.clone(), args.show_session));
    Ok(client)
}

/// The line that starts a PEM certificate.
const CERTIFICATE: &[u8] = b"-----BEGIN CERTIFICATE-----";

/// `text` with its control characters (a terminal's escape sequences
/// among them) written as escapes.
fn without_controls(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    for c in text.chars() {
        match c.is_control() {
            true => shown.extend(c.escape_default()),
            false => shown.push(c),
        }
    }
    shown
}

pub(crate) fn parse_json(text: &str, what: &str) -> Result<serde_json::Value, Failure> {
    serde_json::from_str(text).map_err(|e| Failure::Usage(format!("{what} is not JSON: {e}")))
}

/// Prints a line to standard output, flushed at once (a stream's items
/// show as they come). A write that fails stops the command: see
/// [`Failure::Output`].
pub(crate) fn print_line(line: &serde_json::Result<String>) -> Result<(), Failure> {
    match line {
        Ok(line) => write_out(|out| writeln!(out, "{line}")),
        // JSON values built here always serialize.
        Err(_) => Ok(()),
    }
}

/// Writes `text` to standard output as is, and flushes it.
pub(crate) fn print_text(text: &str) -> Result<(), Failure> {
    write_out(|out| out.write_all(text.as_bytes()))
}

fn write_out(
    write: impl FnOnce(&mut std::io::StdoutLock<'static>) -> std::io::Result<()>,
) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    write(&mut out)
        .and_then(|()| out.flush())
        .map_err(Failure::Output)
}

pub(crate) fn print_metadata(which: &str, metadata: &Metadata, verbose: bool) {
    if verbose && !metadata.is_empty() {
        let map = Value::Map(
            metadata
                .iter()
                .map(|(k, v)| (Value::from(k), v.clone()))
                .collect(),
        );
        note!("{which} metadata: {}", json::to_json(&map));
    }
}
