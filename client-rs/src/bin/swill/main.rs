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
//! error as `error CODE: message`), 2 usage error, 3 connection failure.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use swill_client::{Client, Error, Metadata, ReconnectPolicy, Response, Value};

mod args;
mod asyncapi;
mod codegen;
mod json;
mod stream;
mod table;
mod topic;

use args::{Cli, Command, ConnectionArgs, Language};

/// The client whose session `--show-session` prints at the end.
static SHOWN: std::sync::OnceLock<Client> = std::sync::OnceLock::new();

/// Why the tool stops early, which decides its exit status.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The command line (or a JSON input) is malformed: exit 2.
    Usage(String),
    /// The call failed: exit 1, or 3 when the connection is to blame.
    Call(Error),
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
                eprintln!("swill: {message}");
                ExitCode::from(2)
            }
            Failure::Call(Error::Invalid(message)) => Failure::Usage(message).report(),
            Failure::Call(error) => {
                eprintln!("error {}: {}", error.code().as_i64(), error.message());
                if let Some(data) = error.data() {
                    eprintln!("data: {}", json::to_json(data));
                }
                ExitCode::from(if error.is_connection() { 3 } else { 1 })
            }
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return Failure::Usage(format!("cannot start: {e}")).report(),
    };
    let outcome = runtime.block_on(run(cli));
    // The id the session ended with (it changes when the server regenerates
    // it), for a script to pass to the next command's --session.
    if let Some(id) = SHOWN.get().and_then(Client::session) {
        eprintln!("session: {id}");
    }
    // A read of standard input may still be pending on a blocking thread.
    runtime.shutdown_background();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Call {
            url,
            rpc,
            json,
            call,
            connection,
        } => {
            let request = parse_json(&json, "the request")?;
            let options = call.options().map_err(Failure::Usage)?;
            let client = connect(&url, &connection).await?;
            let response: Response<Value> = client.call_with(&rpc, &request, options).await?;
            print_metadata("leading", &response.leading, call.verbose);
            print_line(&serde_json::to_string_pretty(&json::to_json(
                &response.data,
            )));
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
            stream::run(&client, &rpc, request, shape.map(Into::into), &call).await
        }
        Command::Subscribe {
            url,
            topic,
            since,
            connection,
        } => {
            let client = connect_with(&url, &connection, ReconnectPolicy::default()).await?;
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
            print_line(&serde_json::to_string(&position));
            Ok(())
        }
        Command::Introspect {
            url,
            json,
            connection,
        } => {
            let client = connect(&url, &connection).await?;
            let rpcs = client.introspect().await?;
            if json {
                print_line(&serde_json::to_string_pretty(&rpcs));
            } else {
                print!("{}", table::render(&rpcs));
            }
            Ok(())
        }
        Command::Asyncapi {
            url,
            title,
            api_version,
            connection,
        } => {
            let client = connect(&url, &connection).await?;
            let rpcs = client.introspect().await?;
            let topics = client.topics().await?;
            let doc = asyncapi::document(&rpcs, &topics, &url, &title, &api_version);
            print_line(&serde_json::to_string_pretty(&doc));
            Ok(())
        }
        Command::Codegen {
            language: Language::Ts,
            url,
            out,
            client_module,
            connection,
        } => {
            let client = connect(&url, &connection).await?;
            let rpcs = client.introspect().await?;
            let module = codegen::typescript(&rpcs, &client_module);
            match out {
                Some(path) => std::fs::write(&path, module)
                    .map_err(|e| Failure::Usage(format!("cannot write {}: {e}", path.display()))),
                None => {
                    print!("{module}");
                    Ok(())
                }
            }
        }
    }
}

/// Connects once, without reconnecting: a command line fails fast.
async fn connect(url: &str, args: &ConnectionArgs) -> Result<Client, Failure> {
    connect_with(url, args, ReconnectPolicy::none()).await
}

async fn connect_with(
    url: &str,
    args: &ConnectionArgs,
    reconnect: ReconnectPolicy,
) -> Result<Client, Failure> {
    let mut builder = Client::builder(url)
        .subprotocol(args.subprotocol())
        .encoding(args.encoding())
        .connect_timeout(args.connect_timeout())
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
        builder = builder.root_certificates_pem(pem);
    }
    let client = builder.connect().await?;
    if args.show_session {
        let _ = SHOWN.set(client.clone());
    }
    Ok(client)
}

pub(crate) fn parse_json(text: &str, what: &str) -> Result<serde_json::Value, Failure> {
    serde_json::from_str(text).map_err(|e| Failure::Usage(format!("{what} is not JSON: {e}")))
}

/// Prints a line to standard output; a closed pipe (`| head`) is not an error.
pub(crate) fn print_line(line: &serde_json::Result<String>) {
    if let Ok(line) = line {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}").and_then(|()| out.flush());
    }
}

pub(crate) fn print_metadata(which: &str, metadata: &Metadata, verbose: bool) {
    if verbose && !metadata.is_empty() {
        let map = Value::Map(
            metadata
                .iter()
                .map(|(k, v)| (Value::from(k), v.clone()))
                .collect(),
        );
        eprintln!("{which} metadata: {}", json::to_json(&map));
    }
}
