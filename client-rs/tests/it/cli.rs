//! The `swill` binary end to end: run it against the demo server, check
//! what it prints and its exit status.

use crate::common::{Server, swill};

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Asserts the exit status and the whole standard output; standard
    /// error is shown when they differ.
    #[track_caller]
    fn expect(&self, code: i32, stdout: &str) {
        assert_eq!(
            (self.code, self.stdout.as_str()),
            (Some(code), stdout),
            "{}",
            self.stderr
        );
    }
}

fn run(args: &[&str]) -> Run {
    run_with_input(args, "")
}

fn run_with_input(args: &[&str], stdin: &str) -> Run {
    let output = swill(args, stdin);
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn call_prints_the_answer() {
    let server = Server::demo();
    let out = run(&["call", &server.url(), "add", "[1, 2]"]);
    out.expect(0, "3\n");
}

#[test]
fn the_json_encoding_gives_the_same_answers() {
    let server = Server::demo();
    let out = run(&["call", &server.url(), "add", "[1, 2]", "--encoding", "json"]);
    out.expect(0, "3\n");
    let out = run(&[
        "call",
        &server.url(),
        "users.get",
        r#"{"id": 2}"#,
        "--encoding",
        "json",
    ]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let user: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(user["email"], "grace@example.com");
    let out = run(&["call", &server.url(), "add", "[1, 2]", "--encoding", "yaml"]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
}

#[test]
fn call_prints_structs_as_json_objects() {
    let server = Server::demo();
    let out = run(&["call", &server.url(), "users.get", r#"{"id": 1}"#]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let user: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(user["email"], "ada@example.com");
}

#[test]
fn a_url_without_scheme_or_path_means_ws_and_slash_ws() {
    let server = Server::demo();
    let out = run(&["call", &server.addr.to_string(), "add", "[2, 2]"]);
    out.expect(0, "4\n");
}

#[test]
fn a_remote_error_exits_1_with_its_code_and_message() {
    let server = Server::demo();
    let failure = r#"{"code": 401, "message": "nope"}"#;
    let out = run(&["call", &server.url(), "fail", failure]);
    assert_eq!(out.code, Some(1));
    assert_eq!(out.stderr.trim(), "error 401: nope");
    assert!(out.stdout.is_empty());

    let out = run(&["call", &server.url(), "nope", "null"]);
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.starts_with("error 404: "), "{}", out.stderr);

    // A message is the server's: a terminal escape in it is shown, not run.
    let failure = r#"{"code": 400, "message": "bad\u001b[2J\ttab \"quoted\""}"#;
    let out = run(&["call", &server.url(), "fail", failure]);
    assert_eq!(out.code, Some(1));
    assert_eq!(
        out.stderr.trim(),
        r#"error 400: bad\u{1b}[2J\ttab "quoted""#
    );
}

#[test]
fn metadata_goes_out_and_verbose_shows_what_comes_back() {
    let server = Server::demo();
    let args = ["call", &server.url(), "echo_meta", r#""hi""#];
    let out = run(&[&args[..], &["-m", "tenant=acme", "-m", "n:=2", "-v"]].concat());
    out.expect(0, "\"hi\"\n");
    let expected = r#"leading metadata: {"tenant":"acme","n":2}"#;
    assert!(out.stderr.contains(expected), "{}", out.stderr);
    assert!(out.stderr.contains("trailing metadata: "), "{}", out.stderr);
}

#[test]
fn a_timeout_exits_1_with_408() {
    let server = Server::demo();
    let out = run(&["call", &server.url(), "sleep", "5000", "--timeout", "100"]);
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.starts_with("error 408: "), "{}", out.stderr);
}

#[test]
fn the_legacy_flag_offers_swill_1() {
    let server = Server::demo();
    let out = run(&["call", &server.url(), "add", "[1, 2]", "--legacy"]);
    out.expect(0, "3\n");
}

#[test]
fn stream_prints_one_line_per_item() {
    let server = Server::demo();
    let out = run(&["stream", &server.url(), "count", "3"]);
    out.expect(0, "0\n1\n2\n");
}

#[test]
fn stream_reads_a_client_stream_from_standard_input() {
    let server = Server::demo();
    let out = run_with_input(&["stream", &server.url(), "total"], "1\n2\n\n3\n");
    out.expect(0, "6\n");
}

#[test]
fn stream_runs_a_bidirectional_call_from_standard_input() {
    let server = Server::demo();
    let out = run_with_input(&["stream", &server.url(), "upper"], "\"a\"\n\"b\"\n");
    let expected = "\"A\"\n\"B\"\n";
    out.expect(0, expected);
}

#[test]
fn a_bad_line_of_input_is_a_usage_error() {
    let server = Server::demo();
    let out = run_with_input(&["stream", &server.url(), "total"], "1\nnot json\n");
    assert_eq!(out.code, Some(2), "{}", out.stderr);
}

#[test]
fn introspect_prints_a_table() {
    let server = Server::demo();
    let out = run(&["introspect", &server.url()]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 11, "a header and 10 rpcs:\n{}", out.stdout);
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        header,
        ["NAME", "SHAPE", "REQUEST", "RESPONSE", "DESCRIPTION"]
    );
    let add: Vec<&str> = lines[1].split("  ").filter(|c| !c.is_empty()).collect();
    let add: Vec<&str> = add.iter().map(|c| c.trim()).collect();
    assert_eq!(
        add,
        [
            "add",
            "unary",
            "tuple[int, int]",
            "int",
            "Adds two numbers."
        ]
    );
    assert!(lines[2].starts_with("count") && lines[2].contains("server stream"));
}

#[test]
fn introspect_json_is_machine_readable() {
    let server = Server::demo();
    let out = run(&["introspect", &server.url(), "--json"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let rpcs: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(rpcs[0]["name"], "add");
    assert_eq!(rpcs[0]["request"]["type"]["type"], "tuple");
    assert_eq!(rpcs[2]["request"]["streams"], true);
}

#[test]
fn an_unreachable_server_exits_3() {
    let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}/ws", unused.local_addr().unwrap());
    drop(unused);
    let out = run(&["call", &url, "add", "[1, 2]"]);
    assert_eq!(out.code, Some(3));
    assert!(out.stderr.starts_with("error 503: "), "{}", out.stderr);
}

#[test]
fn usage_errors_exit_2() {
    let server = Server::demo();
    assert_eq!(run(&["call", &server.url(), "add", "[1,"]).code, Some(2));
    assert_eq!(run(&["call", &server.url()]).code, Some(2));
    assert_eq!(
        run(&["call", &server.url(), "add", "1", "-m", "novalue"]).code,
        Some(2)
    );
    assert_eq!(run(&["frobnicate"]).code, Some(2));
    // The deadline has its own flag; as metadata it is refused here.
    let out = run(&[
        "call",
        &server.url(),
        "add",
        "[1, 2]",
        "-m",
        "swill-timeout=5",
    ]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("--timeout"), "{}", out.stderr);
    let out = run(&[
        "call",
        &server.url(),
        "add",
        "[1, 2]",
        "--connect-timeout",
        "0",
    ]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
}

#[test]
fn publish_prints_the_position_and_subscribe_resumes_after_one() {
    use std::io::{BufRead, BufReader};
    let server = Server::demo();
    let out = run(&["publish", &server.url(), "chat", r#""a""#]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let first: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(first["offset"], 1);
    let epoch = first["epoch"].as_str().expect("an epoch").to_owned();
    for data in [r#""b""#, r#"{"n": 3}"#] {
        assert_eq!(run(&["publish", &server.url(), "chat", data]).code, Some(0));
    }

    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_swill"))
        .args([
            "subscribe",
            &server.url(),
            "chat",
            "--since",
            &format!("{epoch}:1"),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("swill subscribe runs");
    let stdout = child.stdout.take().expect("stdout");
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let next = || {
        received
            .recv_timeout(crate::common::PATIENCE)
            .expect("a line in time")
    };
    let line = |l: String| serde_json::from_str::<serde_json::Value>(&l).unwrap();
    assert_eq!(
        line(next()),
        serde_json::json!({"epoch": epoch, "offset": 2, "data": "b"})
    );
    assert_eq!(
        line(next()),
        serde_json::json!({"epoch": epoch, "offset": 3, "data": {"n": 3}})
    );
    // Live publications follow the recovered ones.
    assert_eq!(run(&["publish", &server.url(), "chat", "4"]).code, Some(0));
    assert_eq!(
        line(next()),
        serde_json::json!({"epoch": epoch, "offset": 4, "data": 4})
    );
    // Ctrl-C is how a subscription ends: exit 0, after closing the
    // connection (the CLI awaits its close handshake).
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(interrupted.success());
    let status = child.wait().expect("swill subscribe exits");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn topics_that_do_not_exist_exit_1() {
    let server = Server::demo();
    let out = run(&["publish", &server.url(), "nope", "1"]);
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.starts_with("error 404: "), "{}", out.stderr);
    let out = run(&["subscribe", &server.url(), "nope"]);
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.starts_with("error 404: "), "{}", out.stderr);
    let out = run(&["publish", &server.url(), "chat", "not json"]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
}

#[test]
fn session_is_printed_last_after_an_error() {
    let server = Server::demo();
    let nope = r#"{"code": 401, "message": "nope"}"#;
    let out = run(&["call", &server.url(), "fail", nope, "--show-session"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", out.stderr);
    assert_eq!(lines[0], "error 401: nope");
    assert!(lines[1].starts_with("session: "), "{}", out.stderr);
}

/// An unwritable standard error loses its lines, not the exit status
/// (`eprintln!` would panic: 101).
#[cfg(target_os = "linux")]
#[test]
fn a_full_standard_error_keeps_the_exit_status() {
    let server = Server::demo();
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full")
    };
    let nope = r#"{"code": 401, "message": "nope"}"#;
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_swill"))
        .args(["call", &server.url(), "fail", nope, "--show-session"])
        .stdout(std::process::Stdio::null())
        .stderr(full())
        .status()
        .expect("swill runs");
    assert_eq!(status.code(), Some(1));
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_swill"))
        .args([
            "call",
            &server.url(),
            "echo_meta",
            r#""hi""#,
            "-v",
            "-m",
            "a=b",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(full())
        .status()
        .expect("swill runs");
    assert_eq!(status.code(), Some(0));
}

/// Ctrl-C cancels the call (the server sees CANCEL, not a lost
/// connection) and exits 130, as a shell reports an interrupted command.
#[tokio::test]
async fn ctrl_c_cancels_the_call_and_exits_130() {
    use std::sync::{Arc, Mutex};
    let (make, mut probe) = crate::common::probe_app();
    let outcomes = Arc::new(Mutex::new(Vec::new()));
    let seen = outcomes.clone();
    let server = Server::start("127.0.0.1:0", move || {
        make().after_request(move |_, outcome| {
            seen.lock().unwrap().push(format!("{outcome:?}"));
            async {}
        })
    });
    for args in [vec!["call", "hold"], vec!["stream", "hold_stream"]] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_swill"))
            .args([args[0], &server.url(), args[1]])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("swill runs");
        assert_eq!(probe.started().await, args[1]);
        let pid = child.id().to_string();
        let interrupted = std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("kill runs");
        assert!(interrupted.success());
        assert_eq!(probe.dropped().await, args[1]);
        let exited = tokio::task::spawn_blocking(move || child.wait());
        let status = crate::common::patiently(exited)
            .await
            .expect("joined")
            .expect("exits");
        assert_eq!(status.code(), Some(130), "{args:?}");
    }
    server.stop().await;
    // Each command asked for the rpcs' shapes first (swill.introspect, Ok).
    assert_eq!(
        *outcomes.lock().unwrap(),
        ["Ok", "Cancelled", "Ok", "Cancelled"]
    );
}

#[test]
fn show_session_prints_the_id_and_session_resumes_it() {
    let server = Server::demo();
    let put = r#"{"key": "theme", "value": "dark"}"#;
    let out = run(&["call", &server.url(), "session.put", put, "--show-session"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let id = out
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("session: "))
        .expect("a `session: ID` line")
        .to_owned();
    assert_eq!(id.len(), 32);
    let out = run(&[
        "call",
        &server.url(),
        "session.get",
        r#""theme""#,
        "--session",
        &id,
    ]);
    assert_eq!(
        (out.code, out.stdout.trim()),
        (Some(0), r#""dark""#),
        "{}",
        out.stderr
    );
    // Without it, a new session: nothing there.
    let out = run(&["call", &server.url(), "session.get", r#""theme""#]);
    assert_eq!(out.stdout.trim(), "null");
}

/// An app whose every rpc, `swill.introspect` included, wants the
/// metadata `authorization=secret`, with `ticks`, a stream that takes no
/// request.
fn guarded_app() -> swill::App {
    use futures::StreamExt;
    swill::App::new()
        .handle_as("ticks", |_req: swill::Request<()>| async {
            futures::stream::iter(0u64..3).map(Ok::<_, swill::Error>)
        })
        .before_request(|head: swill::RequestHead| async move {
            match head.metadata.get_str("authorization") {
                Some("secret") => Ok(head),
                _ => Err(swill::Error::new(swill::Code::UNAUTHORIZED, "who are you")),
            }
        })
}

#[test]
fn stream_of_an_rpc_that_takes_nothing_needs_no_null() {
    let server = Server::start("127.0.0.1:0", guarded_app);
    let out = run(&[
        "stream",
        &server.url(),
        "ticks",
        "-m",
        "authorization=secret",
    ]);
    out.expect(0, "0\n1\n2\n");
}

#[test]
fn a_call_of_a_streaming_rpc_is_a_usage_error_not_a_wait() {
    let server = Server::demo();
    // `total` takes a request stream: `swill stream` is the way.
    let out = run(&["call", &server.url(), "total", "5"]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(
        out.stderr.contains("`total` is a client streaming rpc"),
        "{}",
        out.stderr
    );
}

#[test]
fn introspection_carries_the_metadata_of_the_command() {
    let server = Server::start("127.0.0.1:0", guarded_app);
    let out = run(&[
        "introspect",
        &server.url(),
        "--json",
        "-m",
        "authorization=secret",
    ]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let rpcs: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(rpcs[0]["name"], "ticks");
    let out = run(&["introspect", &server.url()]);
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.starts_with("error 401: "), "{}", out.stderr);
    let out = run(&["asyncapi", &server.url(), "-m", "authorization=secret"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
}

#[test]
fn help_and_version_exit_0() {
    let out = run(&["--help"]);
    assert_eq!(out.code, Some(0));
    assert!(
        out.stdout.contains("Usage: swill <COMMAND>"),
        "{}",
        out.stdout
    );
    let out = run(&["stream", "--help"]);
    assert_eq!(out.code, Some(0));
    assert!(out.stdout.contains("--shape <SHAPE>"), "{}", out.stdout);
    let out = run(&["--version"]);
    assert_eq!(out.stdout, format!("swill {}\n", env!("CARGO_PKG_VERSION")));
}

/// A bare WebSocket server that answers `add` with 3 and anything else with
/// 404, and reports how the client left: the status code of its Close
/// frame, or why there was none.
fn bare_server() -> (String, std::sync::mpsc::Receiver<Result<u16, String>>) {
    use futures::{SinkExt, StreamExt};
    use swill_client::proto::{ErrorBody, Payload, RequestFrame, ResponseFrame};
    use tokio_tungstenite::tungstenite::Message;

    let (report, left) = std::sync::mpsc::channel();
    let url = hand_written_server(|mut ws| async move {
        let outcome = loop {
            match ws.next().await {
                Some(Ok(Message::Binary(bytes))) => {
                    let frame = RequestFrame::decode(bytes).unwrap();
                    let answer = match frame.rpc.as_str() {
                        "add" => ResponseFrame::message(frame.seq, Payload::encode(&3).unwrap()),
                        _ => ResponseFrame::error(
                            frame.seq,
                            &ErrorBody::new(swill_client::Code::NOT_FOUND, "no"),
                        ),
                    };
                    ws.send(Message::Binary(answer.encode().into()))
                        .await
                        .unwrap();
                }
                Some(Ok(Message::Close(Some(close)))) => break Ok(u16::from(close.code)),
                Some(Ok(Message::Close(None))) => {
                    break Err("a Close frame without a status code (1005)".to_owned());
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => break Err(e.to_string()),
                None => break Err("the stream ended without a Close".to_owned()),
            }
        };
        let _ = report.send(outcome);
    });
    (url, left)
}

/// Serves one connection with `serve`, a Swill server written by hand, on
/// a thread of its own; returns its URL.
fn hand_written_server<F, Fut>(serve: F) -> String
where
    F: FnOnce(tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}/ws", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            listener.set_nonblocking(true).unwrap();
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let (tcp, _) = listener.accept().await.unwrap();
            serve(crate::common::accept_swill(tcp).await).await;
        });
    });
    url
}

#[test]
fn every_command_closes_its_connection_with_a_close_handshake() {
    let (url, left) = bare_server();
    let out = run(&["call", &url, "add", "[1, 2]"]);
    out.expect(0, "3\n");
    assert_eq!(left.recv().unwrap(), Ok(1000), "a normal closure");
    let (url, left) = bare_server();
    let out = run(&["call", &url, "nope"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert_eq!(
        left.recv().unwrap(),
        Ok(1000),
        "a failed call closes cleanly too"
    );
}

/// `swill stream ... | head -3`: once the reader is gone the command stops
/// (cancelling the call) and exits 0, instead of reading the whole stream.
#[test]
fn a_stream_stops_when_its_reader_goes_away() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let server = Server::demo();
    let mut child = Command::new(env!("CARGO_BIN_EXE_swill"))
        .args(["stream", &server.url(), "count", "100000000"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the swill binary runs");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    for expected in ["0", "1", "2"] {
        assert_eq!(lines.next().expect("a line").expect("text"), expected);
    }
    drop(lines); // as `head` does after its lines
    let (done, status) = std::sync::mpsc::channel();
    std::thread::spawn(move || done.send(child.wait_with_output()));
    let output = status
        .recv_timeout(crate::common::PATIENCE)
        .expect("swill stopped in time")
        .expect("its status");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Output that cannot be written (a full disk) is a failure, not a silent
/// success; nothing panics.
#[test]
fn output_that_cannot_be_written_exits_1() {
    use std::process::{Command, Stdio};
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return; // not Linux: no device that is always full
    };
    let server = Server::demo();
    for args in [
        vec!["call", &server.url(), "add", "[1, 2]"],
        vec!["introspect", &server.url()],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_swill"))
            .args(&args)
            .stdin(Stdio::null())
            .stdout(full.try_clone().expect("a second handle"))
            .output()
            .expect("the swill binary runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains("cannot write the output"), "{stderr}");
    }
}

/// A --shape the server's introspection contradicts is a usage error: the
/// call would otherwise wait for frames that never come.
#[test]
fn a_shape_the_server_contradicts_is_refused() {
    let server = Server::demo();
    let out = run(&[
        "stream",
        &server.url(),
        "add",
        "[1, 2]",
        "--shape",
        "server",
    ]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("`add` is unary"), "{}", out.stderr);
    // The shape the server gives is accepted as if it were left out.
    let out = run(&["stream", &server.url(), "add", "[1, 2]", "--shape", "unary"]);
    out.expect(0, "3\n");
}

/// A subscription whose stream carries a frame the client cannot read ends
/// with that error, and `swill subscribe` exits with its status rather than
/// 0 (it used to print "skipped a publication" and exit 0, as if it had
/// been interrupted).
#[test]
fn subscribe_exits_1_when_an_unreadable_frame_ends_the_subscription() {
    use futures::{SinkExt, StreamExt};
    use swill_client::proto::{Payload, Position, RequestFrame, ResponseFrame, TopicEvent};
    use tokio_tungstenite::tungstenite::Message;

    let url = hand_written_server(|mut ws| async move {
        while let Some(Ok(message)) = ws.next().await {
            let Message::Binary(bytes) = message else {
                continue;
            };
            let frame = RequestFrame::decode(bytes).unwrap();
            if frame.rpc != "swill.subscribe" {
                continue;
            }
            let seq = frame.seq;
            let items = [
                TopicEvent::encode_subscribed(&Position::new("e1", 0), true),
                TopicEvent::encode_publication(1, &Payload::encode(&"first").unwrap()),
            ];
            for item in items {
                let answer = ResponseFrame::message(seq, item).encode();
                ws.send(Message::Binary(answer.into())).await.unwrap();
            }
            // [seq, "\xff\xfe", MESSAGE]: its seq reads, its str is not UTF-8.
            let seq = u8::try_from(seq.get()).unwrap();
            let bad = vec![0x93, seq, 0xa2, 0xff, 0xfe, 0x00];
            ws.send(Message::Binary(bad.into())).await.unwrap();
        }
    });
    let out = run(&["subscribe", &url, "chat"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "{\"epoch\":\"e1\",\"offset\":1,\"data\":\"first\"}\n"
    );
    assert!(
        out.stderr.contains("skipped a publication"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("error 400"), "{}", out.stderr);
}
