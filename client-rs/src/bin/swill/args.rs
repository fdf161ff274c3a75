//! The command line: its commands, their arguments and flags, their help.
//!
//! Read with the small lexer in `lexer.rs` and the tables below rather
//! than an argument-parsing crate: see `lexer.rs` for why.

use std::collections::HashMap;
use std::time::Duration;

use swill_client::{CallOptions, CallShape, Encoding, Metadata, Position, Subprotocol, Value};

use crate::lexer::{Lexer, Token};

/// What the command line asks for.
#[derive(Debug)]
pub(crate) enum Parsed {
    /// A command to run.
    Run(Command),
    /// Text to print and exit 0: help, the version.
    Print(String),
}

/// A command, with its arguments.
#[derive(Debug)]
pub(crate) enum Command {
    Call {
        url: String,
        rpc: String,
        /// The request; `null` when left out.
        json: Option<String>,
        call: CallArgs,
        connection: ConnectionArgs,
    },
    Stream {
        url: String,
        rpc: String,
        json: Option<String>,
        shape: Option<CallShape>,
        call: CallArgs,
        connection: ConnectionArgs,
    },
    Subscribe {
        url: String,
        topic: String,
        since: Option<Position>,
        connection: ConnectionArgs,
    },
    Publish {
        url: String,
        topic: String,
        json: String,
        connection: ConnectionArgs,
    },
    Introspect {
        url: String,
        json: bool,
        call: CallArgs,
        connection: ConnectionArgs,
    },
    Asyncapi {
        url: String,
        title: String,
        api_version: String,
        call: CallArgs,
        connection: ConnectionArgs,
    },
    Codegen {
        language: Language,
        url: String,
        out: Option<std::path::PathBuf>,
        client_module: String,
        call: CallArgs,
        connection: ConnectionArgs,
    },
}

/// A language `swill codegen` writes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Language {
    /// A TypeScript module over the npm package `swill-client`.
    Ts,
}

/// One flag: its names, the name of its value (none for a switch), its help.
struct Flag {
    long: &'static str,
    short: Option<char>,
    value: Option<&'static str>,
    help: &'static str,
}

const fn flag(long: &'static str, value: Option<&'static str>, help: &'static str) -> Flag {
    Flag {
        long,
        short: None,
        value,
        help,
    }
}

const fn short(c: char, flag: Flag) -> Flag {
    Flag {
        short: Some(c),
        ..flag
    }
}

/// How to connect: every command takes these.
const CONNECTION: &[Flag] = &[
    flag(
        "legacy",
        None,
        "Offer only the legacy `swill/1` subprotocol (original Python Swill servers); \
         without it `swill.v1` is offered, and `swill/1` tried when the server refuses",
    ),
    flag(
        "encoding",
        Some("ENCODING"),
        "How frames travel: `msgpack` (the default) or `json` (JSON text frames, \
         `swill.v1.json`; swill servers only)",
    ),
    flag(
        "ca",
        Some("FILE"),
        "Trust this PEM file's certificates for wss:// (a private CA or a self-signed \
         server), besides the system's roots. Repeatable",
    ),
    short(
        'H',
        flag(
            "header",
            Some("NAME: VALUE"),
            "A header for the upgrade request. Repeatable",
        ),
    ),
    flag(
        "connect-timeout",
        Some("MS"),
        "How long connecting may take, in milliseconds [default: 10000]",
    ),
    flag(
        "session",
        Some("ID"),
        "Resume this session (an id the server issued, as --show-session prints)",
    ),
    flag(
        "show-session",
        None,
        "Print the session id the command ended with, on standard error, as `session: ID`",
    ),
];

/// What a request carries: the commands that call rpcs take these.
const REQUEST: &[Flag] = &[
    short(
        'm',
        flag(
            "metadata",
            Some("KEY=VALUE"),
            "Request metadata: `key=value` for a string, `key:=JSON` for any value. Repeatable",
        ),
    ),
    flag(
        "timeout",
        Some("MS"),
        "The call's deadline in milliseconds (sent as `swill-timeout`, enforced here too)",
    ),
];

const VERBOSE: &[Flag] = &[short(
    'v',
    flag(
        "verbose",
        None,
        "Also print the leading and trailing metadata, to standard error",
    ),
)];

const SHAPE: &[Flag] = &[flag(
    "shape",
    Some("SHAPE"),
    "The rpc's call shape when the server does not describe it: unary, server, client, bidi",
)];

const SINCE: &[Flag] = &[flag(
    "since",
    Some("EPOCH:OFFSET"),
    "Resume after this position, as printed: the publications since come first, \
     from the topic's history",
)];

const JSON: &[Flag] = &[flag(
    "json",
    None,
    "Print the descriptions as JSON instead of a table",
)];

const DOCUMENT: &[Flag] = &[
    flag(
        "title",
        Some("TITLE"),
        "The API's title (`info.title`) [default: swill API]",
    ),
    flag(
        "api-version",
        Some("VERSION"),
        "The API's version (`info.version`) [default: 0.1.0]",
    ),
];

const CODEGEN: &[Flag] = &[
    short(
        'o',
        flag(
            "out",
            Some("FILE"),
            "Write to this file instead of standard output",
        ),
    ),
    flag(
        "client-module",
        Some("NAME"),
        "The module the generated code imports the client from [default: swill-client]",
    ),
];

/// The URL argument, the same for every command.
const URL: (&str, &str) = (
    "<URL>",
    "The server: ws://HOST:PORT/PATH (`ws://` and `/ws` are assumed when left out)",
);

/// One command: its name, what it does, its arguments and flags.
struct Spec {
    name: &'static str,
    about: &'static str,
    /// `<NAME>` is required, `[NAME]` optional.
    args: &'static [(&'static str, &'static str)],
    flags: &'static [&'static [Flag]],
    example: &'static str,
}

const COMMANDS: &[Spec] = &[
    Spec {
        name: "call",
        about: "Calls a unary rpc and prints the answer as JSON.",
        args: &[
            URL,
            ("<RPC>", "The rpc name, e.g. `add` or `users.get`"),
            ("[JSON]", "The request, as JSON [default: null]"),
        ],
        flags: &[REQUEST, VERBOSE, CONNECTION],
        example: "swill call ws://127.0.0.1:8000/ws add '[1, 2]'",
    },
    Spec {
        name: "stream",
        about: "Calls a streaming rpc and prints one JSON line per answer.\n\n\
                A server-streaming rpc takes its request as the JSON argument (null when left \
                out and the rpc takes none); a client-streaming or bidirectional one reads its \
                requests from standard input, one JSON value per line. The shape is found with \
                introspection (with the same metadata), or given with --shape.",
        args: &[
            URL,
            ("<RPC>", "The rpc name"),
            ("[JSON]", "The request of a server-streaming rpc, as JSON"),
        ],
        flags: &[SHAPE, REQUEST, VERBOSE, CONNECTION],
        example: "printf '1\\n2\\n' | swill stream ws://127.0.0.1:8000/ws total",
    },
    Spec {
        name: "subscribe",
        about: "Subscribes to a topic and prints one JSON line per publication.\n\n\
                Each line is {\"epoch\": \"...\", \"offset\": N, \"data\": ...}. Runs until interrupted. After a lost connection it subscribes again and resumes \
                after the last publication printed; publications that could not be recovered \
                are reported on standard error.",
        args: &[URL, ("<TOPIC>", "The topic's name")],
        flags: &[SINCE, CONNECTION],
        example: "swill subscribe ws://127.0.0.1:8000/ws chat --since x8Kd2a:41",
    },
    Spec {
        name: "publish",
        about: "Publishes a JSON value to a topic through the server and prints its position.\n\n\
                The position is printed as {\"epoch\": \"...\", \"offset\": N}.",
        args: &[
            URL,
            ("<TOPIC>", "The topic's name"),
            ("<JSON>", "The value to publish, as JSON"),
        ],
        flags: &[CONNECTION],
        example: "swill publish ws://127.0.0.1:8000/ws chat '{\"text\": \"hi\"}'",
    },
    Spec {
        name: "introspect",
        about: "Lists the server's rpcs, as a table or (--json) as JSON.",
        args: &[URL],
        flags: &[JSON, REQUEST, CONNECTION],
        example: "swill introspect 127.0.0.1:8000 -m authorization=secret",
    },
    Spec {
        name: "asyncapi",
        about: "Prints the AsyncAPI 3.0 document of the server's API, from its introspection.",
        args: &[URL],
        flags: &[DOCUMENT, REQUEST, CONNECTION],
        example: "swill asyncapi ws://127.0.0.1:8000/ws > asyncapi.json",
    },
    Spec {
        name: "codegen",
        about: "Writes typed client code for the server's API, from its introspection.\n\n\
                `ts`: a TypeScript module with the request and response types of every rpc and \
                `api(client)`, a typed wrapper over the npm package `swill-client`.",
        args: &[("<LANGUAGE>", "The language to write: ts"), URL],
        flags: &[CODEGEN, REQUEST, CONNECTION],
        example: "swill codegen ts ws://127.0.0.1:8000/ws -o src/api.ts",
    },
];

const EXIT_STATUS: &str = "Exit status: 0 ok, 1 the call failed (an ERROR from the server, \
                           a timeout), 2 usage error, 3 connection failure, 130 Ctrl-C.";

/// Reads the command line (without the program's name).
pub(crate) fn parse(args: Vec<String>) -> Result<Parsed, String> {
    let mut lexer = Lexer::new(args);
    let name = match lexer.next_token()? {
        Some(Token::Value(name)) if name == "help" => {
            return match lexer.next_token()? {
                Some(Token::Value(name)) => Ok(Parsed::Print(spec(&name)?.help())),
                _ => Ok(Parsed::Print(overview())),
            };
        }
        Some(Token::Value(name)) => name,
        Some(Token::Short('V')) => return Ok(Parsed::Print(version())),
        Some(Token::Long(long)) if long == "version" => return Ok(Parsed::Print(version())),
        Some(Token::Short('h')) | None => return Ok(Parsed::Print(overview())),
        Some(Token::Long(long)) if long == "help" => return Ok(Parsed::Print(overview())),
        Some(Token::Short(c)) => return Err(format!("unknown flag -{c}; see swill --help")),
        Some(Token::Long(long)) => return Err(format!("unknown flag --{long}; see swill --help")),
    };
    let spec = spec(&name)?;
    let mut found = Found::default();
    while let Some(token) = lexer.next_token()? {
        let long = match token {
            Token::Value(value) => {
                found.args.push(value);
                continue;
            }
            Token::Short('h') => return Ok(Parsed::Print(spec.help())),
            Token::Long(long) if long == "help" => return Ok(Parsed::Print(spec.help())),
            Token::Short(c) => spec.short(c)?.long,
            Token::Long(long) => spec.long(&long)?.long,
        };
        let flag = spec.long(long)?;
        let value = match flag.value {
            Some(_) => lexer.value(&format!("--{long}"))?,
            None => String::new(),
        };
        found.flags.entry(long).or_default().push(value);
    }
    spec.build(found).map(Parsed::Run)
}

fn spec(name: &str) -> Result<&'static Spec, String> {
    COMMANDS
        .iter()
        .find(|spec| spec.name == name)
        .ok_or_else(|| format!("unknown command `{name}`; see swill --help"))
}

fn version() -> String {
    format!("swill {}\n", env!("CARGO_PKG_VERSION"))
}

fn overview() -> String {
    let mut text = String::from(
        "Talks to swill servers from the command line: JSON in, JSON out.\n\n\
         Usage: swill <COMMAND> [ARGS] [OPTIONS]\n\nCommands:\n",
    );
    for spec in COMMANDS {
        let first = spec.about.split('\n').next().unwrap_or_default();
        text += &format!("  {:<11} {first}\n", spec.name);
    }
    text += "  help        Prints a command's help: swill help call\n\n";
    text += "Options:\n  -h, --help     Print help\n  -V, --version  Print the version\n\n";
    text += EXIT_STATUS;
    text.push('\n');
    text
}

/// What the command line held, before it is checked against the command.
#[derive(Default)]
struct Found {
    args: Vec<String>,
    flags: HashMap<&'static str, Vec<String>>,
}

impl Found {
    fn switch(&self, long: &str) -> bool {
        self.flags.contains_key(long)
    }

    /// A flag given at most once.
    fn one(&mut self, long: &str) -> Result<Option<String>, String> {
        match self.flags.remove(long) {
            Some(mut values) if values.len() == 1 => Ok(values.pop()),
            Some(_) => Err(format!("--{long} was given more than once")),
            None => Ok(None),
        }
    }

    fn all(&mut self, long: &str) -> Vec<String> {
        self.flags.remove(long).unwrap_or_default()
    }

    fn number(&mut self, long: &str) -> Result<Option<u64>, String> {
        self.one(long)?
            .map(|v| {
                v.parse()
                    .map_err(|_| format!("--{long} {v}: expected a number of milliseconds"))
            })
            .transpose()
    }

    fn call_args(&mut self) -> Result<CallArgs, String> {
        Ok(CallArgs {
            metadata: self.all("metadata"),
            timeout: self.number("timeout")?,
            verbose: self.switch("verbose"),
        })
    }

    fn connection_args(&mut self) -> Result<ConnectionArgs, String> {
        let encoding = match self.one("encoding")?.as_deref() {
            None | Some("msgpack") => Encoding::MessagePack,
            Some("json") => Encoding::Json,
            Some(other) => {
                return Err(format!("--encoding {other}: expected `msgpack` or `json`"));
            }
        };
        Ok(ConnectionArgs {
            legacy: self.switch("legacy"),
            encoding,
            ca: self.all("ca").into_iter().map(Into::into).collect(),
            headers: self.all("header"),
            connect_timeout: match self.number("connect-timeout")? {
                // No attempt could succeed in no time.
                Some(0) => return Err("--connect-timeout 0: give at least 1 ms".to_owned()),
                ms => ms.unwrap_or(10_000),
            },
            session: self.one("session")?,
            show_session: self.switch("show-session"),
        })
    }
}

impl Spec {
    fn flags(&self) -> impl Iterator<Item = &'static Flag> + use<> {
        self.flags.iter().flat_map(|group| group.iter())
    }

    fn long(&self, long: &str) -> Result<&'static Flag, String> {
        self.flags().find(|f| f.long == long).ok_or_else(|| {
            format!(
                "unknown flag --{long} for `swill {}`; see swill {} --help",
                self.name, self.name
            )
        })
    }

    fn short(&self, c: char) -> Result<&'static Flag, String> {
        self.flags().find(|f| f.short == Some(c)).ok_or_else(|| {
            format!(
                "unknown flag -{c} for `swill {}`; see swill {} --help",
                self.name, self.name
            )
        })
    }

    /// Checks the arguments' count and the flags' values, and builds the
    /// command.
    fn build(&self, mut found: Found) -> Result<Command, String> {
        let required = self.args.iter().filter(|(a, _)| a.starts_with('<')).count();
        if found.args.len() < required || found.args.len() > self.args.len() {
            let names: Vec<&str> = self.args.iter().map(|(name, _)| *name).collect();
            return Err(format!(
                "usage: swill {} {} [OPTIONS]; see swill {} --help",
                self.name,
                names.join(" "),
                self.name
            ));
        }
        // The optional JSON of `call` and `stream` is the third argument:
        // given (even as '', which is then not JSON) or not.
        let json_given = found.args.len() > 2;
        let mut args = std::mem::take(&mut found.args).into_iter();
        let mut arg = || args.next().unwrap_or_default();
        Ok(match self.name {
            "call" => Command::Call {
                url: arg(),
                rpc: arg(),
                json: json_given.then(&mut arg),
                call: found.call_args()?,
                connection: found.connection_args()?,
            },
            "stream" => Command::Stream {
                url: arg(),
                rpc: arg(),
                json: json_given.then(&mut arg),
                shape: found.one("shape")?.map(|s| shape(&s)).transpose()?,
                call: found.call_args()?,
                connection: found.connection_args()?,
            },
            "subscribe" => Command::Subscribe {
                url: arg(),
                topic: arg(),
                since: found
                    .one("since")?
                    .map(|s| s.parse().map_err(|e| format!("--since {s}: {e}")))
                    .transpose()?,
                connection: found.connection_args()?,
            },
            "publish" => Command::Publish {
                url: arg(),
                topic: arg(),
                json: arg(),
                connection: found.connection_args()?,
            },
            "introspect" => Command::Introspect {
                url: arg(),
                json: found.switch("json"),
                call: found.call_args()?,
                connection: found.connection_args()?,
            },
            "asyncapi" => Command::Asyncapi {
                url: arg(),
                title: found.one("title")?.unwrap_or_else(|| "swill API".into()),
                api_version: found.one("api-version")?.unwrap_or_else(|| "0.1.0".into()),
                call: found.call_args()?,
                connection: found.connection_args()?,
            },
            _ => Command::Codegen {
                language: match arg().as_str() {
                    "ts" => Language::Ts,
                    other => return Err(format!("unknown language `{other}`: expected ts")),
                },
                url: arg(),
                out: found.one("out")?.map(Into::into),
                client_module: found
                    .one("client-module")?
                    .unwrap_or_else(|| "swill-client".into()),
                call: found.call_args()?,
                connection: found.connection_args()?,
            },
        })
    }

    /// The command's `--help`.
    fn help(&self) -> String {
        let names: Vec<&str> = self.args.iter().map(|(name, _)| *name).collect();
        let mut text = format!(
            "{}\n\nUsage: swill {} [OPTIONS] {}\n\nArguments:\n",
            self.about,
            self.name,
            names.join(" ")
        );
        for (name, help) in self.args {
            text += &format!("  {name:<14} {help}\n");
        }
        text += "\nOptions:\n";
        for flag in self.flags() {
            let short = flag.short.map(|c| format!("-{c}, ")).unwrap_or_default();
            let value = flag.value.map(|v| format!(" <{v}>")).unwrap_or_default();
            text += &format!("  {short}--{}{value}\n          {}\n", flag.long, flag.help);
        }
        text += &format!(
            "  -h, --help\n          Print help\n\nExample: {}\n\n{EXIT_STATUS}\n",
            self.example
        );
        text
    }
}

fn shape(name: &str) -> Result<CallShape, String> {
    Ok(match name {
        "unary" => CallShape::Unary,
        "server" => CallShape::ServerStreaming,
        "client" => CallShape::ClientStreaming,
        "bidi" => CallShape::Bidirectional,
        other => {
            return Err(format!(
                "--shape {other}: expected unary, server, client or bidi"
            ));
        }
    })
}

/// Options of one call.
#[derive(Debug)]
pub(crate) struct CallArgs {
    metadata: Vec<String>,
    timeout: Option<u64>,
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
                // The server would answer 400; the flag says what it means.
                if key == Metadata::TIMEOUT {
                    return Err(format!(
                        "-m {entry}: `{key}` is reserved: give the deadline with --timeout MS"
                    ));
                }
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
#[derive(Debug)]
pub(crate) struct ConnectionArgs {
    legacy: bool,
    encoding: Encoding,
    pub(crate) ca: Vec<std::path::PathBuf>,
    headers: Vec<String>,
    connect_timeout: u64,
    pub(crate) session: Option<String>,
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
        self.encoding
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_words(line: &str) -> Result<Parsed, String> {
        parse(line.split(' ').map(String::from).collect())
    }

    #[test]
    fn a_call_with_flags_anywhere() {
        let Ok(Parsed::Run(Command::Call {
            url,
            rpc,
            json,
            call,
            connection,
        })) = parse_words("call -m k=v ws://h/ws add --timeout=50 [1,2] -mx:=1 --legacy")
        else {
            panic!("a call");
        };
        assert_eq!((url.as_str(), rpc.as_str()), ("ws://h/ws", "add"));
        assert_eq!(json.as_deref(), Some("[1,2]"));
        assert_eq!(call.metadata, ["k=v", "x:=1"]);
        assert_eq!(call.timeout, Some(50));
        assert_eq!(connection.subprotocol(), Subprotocol::Legacy);
    }

    #[test]
    fn mistakes_are_named() {
        let error = |line| parse_words(line).unwrap_err();
        assert!(error("call u add --nope").contains("--nope"));
        assert!(error("call u").contains("usage: swill call <URL> <RPC> [JSON]"));
        assert!(error("publish u t 1 -v").contains("-v for `swill publish`"));
        assert!(error("call u add --timeout soon").contains("milliseconds"));
        assert!(error("stream u x --shape sideways").contains("--shape sideways"));
        assert!(error("call u add --encoding yaml").contains("msgpack"));
        assert!(error("frobnicate").contains("unknown command"));
        // An empty JSON argument is given, and is then not JSON (not null).
        let empty = ["call", "u", "add", ""].map(String::from).to_vec();
        let Ok(Parsed::Run(Command::Call { json, .. })) = parse(empty) else {
            panic!("a call");
        };
        assert_eq!(json.as_deref(), Some(""));
    }

    #[test]
    fn help_for_every_command() {
        for spec in COMMANDS {
            let Ok(Parsed::Print(help)) = parse_words(&format!("{} --help", spec.name)) else {
                panic!("help for {}", spec.name);
            };
            assert!(help.contains("--connect-timeout"), "{help}");
            assert!(help.contains(spec.example), "{help}");
        }
        let Ok(Parsed::Print(overview)) = parse(vec![]) else {
            panic!("the overview");
        };
        assert!(COMMANDS.iter().all(|spec| overview.contains(spec.name)));
    }
}
