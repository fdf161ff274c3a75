//! The benchmark harness: each workload against each server, in one run.
//!
//! Run with: `cargo run --release -p swill-bench --bin bench -- run --quick`
//! (seconds, a smoke test) or `-- run --full --out docs/benchmarks.md`.
//!
//! Servers run as separate processes (`bench serve KIND --listen ADDR`),
//! pinned to CPU 0 with `taskset` when it exists; the load generator pins
//! itself to CPU 1. Figures are throughput of the server under a client
//! that has a core of its own.

mod grpc;
mod load;
mod report;
mod servers;
mod topics;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitCode, Stdio};

use report::{Figures, Mode};
use servers::Kind;

const USAGE: &str = "usage: bench run [--quick | --full] [--only KIND] [--out FILE]
       bench topics [--quick | --full] [--out FILE]
       bench serve KIND --listen ADDR   (KIND: b0, b2, swill, jsonrpsee, tonic)
       bench serve-topics KIND --listen ADDR --queue N [--redis URL]   (KIND: swill, socketio)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = |threads| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
    };
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["serve", "tonic", "--listen", addr] => match addr.parse() {
            Ok(addr) => runtime(1).and_then(|rt| rt.block_on(grpc::serve(addr))),
            Err(_) => return usage(),
        },
        ["serve", kind, "--listen", addr] => match (Kind::parse(kind), addr.parse()) {
            (Some(kind), Ok(addr)) => {
                runtime(1).and_then(|rt| rt.block_on(servers::run(kind, addr)))
            }
            _ => return usage(),
        },
        [
            "serve-topics",
            kind,
            "--listen",
            addr,
            "--queue",
            queue,
            ref rest @ ..,
        ] => {
            let redis = match rest {
                [] => None,
                ["--redis", url] => Some(url.to_string()),
                _ => return usage(),
            };
            match (addr.parse(), queue.parse()) {
                (Ok(addr), Ok(queue)) => {
                    runtime(1).and_then(|rt| rt.block_on(topics::serve(kind, addr, redis, queue)))
                }
                _ => return usage(),
            }
        }
        ["topics", ref rest @ ..] => {
            let Some(RunArgs {
                mode,
                out,
                only: None,
            }) = RunArgs::parse(rest)
            else {
                return usage();
            };
            pin_self(1);
            runtime(1).and_then(|rt| {
                let text = rt.block_on(topics::run(mode))?;
                println!("{text}");
                match out {
                    Some(path) => {
                        let document = std::fs::read_to_string(&path).unwrap_or_default();
                        std::fs::write(path, topics::splice(&document, &text))
                    }
                    None => Ok(()),
                }
            })
        }
        ["run", ref rest @ ..] => {
            let Some(RunArgs { mode, out, only }) = RunArgs::parse(rest) else {
                return usage();
            };
            pin_self(1);
            runtime(1).and_then(|rt| rt.block_on(run(mode, out, only)))
        }
        _ => return usage(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The options of `run` and `topics`.
struct RunArgs {
    mode: Mode,
    out: Option<String>,
    only: Option<Kind>,
}

impl RunArgs {
    fn parse(args: &[&str]) -> Option<RunArgs> {
        let mut parsed = RunArgs {
            mode: Mode::Quick,
            out: None,
            only: None,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match *arg {
                "--quick" => parsed.mode = Mode::Quick,
                "--full" => parsed.mode = Mode::Full,
                "--out" => parsed.out = Some(args.next()?.to_string()),
                "--only" => parsed.only = Some(Kind::parse(args.next()?)?),
                _ => return None,
            }
        }
        Some(parsed)
    }
}

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(2)
}

/// Pins this process to one CPU, so the client and the server do not share.
fn pin_self(cpu: usize) {
    let pid = std::process::id().to_string();
    let _ = Command::new("taskset")
        .args(["-a", "-p", "-c", &cpu.to_string(), &pid])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// A server process, killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(kind: Kind, port: u16) -> std::io::Result<Server> {
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let args = ["serve", kind.name(), "--listen", &addr.to_string()].map(str::to_owned);
        Server::spawn(kind.name(), addr, &args)
    }

    /// Runs this program with `args` as a server on `addr`, pinned to CPU 0,
    /// and returns once it prints `ready`.
    fn spawn(name: &str, addr: SocketAddr, args: &[String]) -> std::io::Result<Server> {
        let exe = std::env::current_exe()?;
        let mut command = if Command::new("taskset").arg("-V").output().is_ok() {
            let mut c = Command::new("taskset");
            c.args(["-c", "0"]).arg(exe).args(args);
            c
        } else {
            let mut c = Command::new(exe);
            c.args(args);
            c
        };
        let mut child = command.stdout(Stdio::piped()).spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| std::io::Error::other("no stdout"))?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        if line.trim() != "ready" {
            let _ = child.kill();
            return Err(std::io::Error::other(format!("{name} did not start")));
        }
        Ok(Server { child, addr })
    }

    /// Resident memory, from /proc.
    fn rss_bytes(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn run(mode: Mode, out: Option<String>, only: Option<Kind>) -> std::io::Result<()> {
    let p = mode.params();
    let mut figures = Figures::default();
    for (i, kind) in Kind::ALL.into_iter().enumerate() {
        if only.is_some_and(|o| o != kind) {
            continue;
        }
        let port = 18_400 + i as u16;
        eprintln!("[{}] starting the server on 127.0.0.1:{port}", kind.name());
        let server = Server::start(kind, port)?;
        let addr = server.addr;

        eprintln!("[{}] unary, 1 connection x 64 in flight", kind.name());
        let deep = load::unary(kind, addr, 1, 64, p.warmup, p.time).await?;
        eprintln!("[{}]   {deep:.0} calls/s", kind.name());
        eprintln!("[{}] unary, 256 connections x 1 in flight", kind.name());
        let wide = load::unary(kind, addr, 256, 1, p.warmup, p.time).await?;
        eprintln!("[{}]   {wide:.0} calls/s", kind.name());
        eprintln!("[{}] server stream of 64 B items", kind.name());
        let _ = load::stream(kind, addr, p.items / 10).await?;
        let stream = load::stream(kind, addr, p.items).await?;
        eprintln!("[{}]   {stream:.0} items/s", kind.name());
        let rate = deep / 2.0;
        eprintln!(
            "[{}] latency at {rate:.0} calls/s (50% of its maximum)",
            kind.name()
        );
        let latency = load::latency(kind, addr, rate, p.time).await?;
        eprintln!(
            "[{}]   p50 {} us, p99 {} us, p99.9 {} us",
            kind.name(),
            latency[0],
            latency[1],
            latency[2]
        );

        drop(server);
        // Memory on a fresh process, so that what the load phases freed
        // cannot absorb the idle connections' allocations.
        let server = Server::start(kind, port + 100)?;
        let addr = server.addr;
        eprintln!("[{}] memory of {} idle connections", kind.name(), p.idle);
        let warm = load::idle(kind, addr, 1).await?;
        let before = server.rss_bytes();
        let idle = load::idle(kind, addr, p.idle).await?;
        let after = server.rss_bytes();
        let per_conn = match (before, after) {
            (Some(b), Some(a)) => Some(a.saturating_sub(b) as f64 / p.idle as f64),
            _ => None,
        };
        drop(idle);
        drop(warm);
        if let Some(bytes) = per_conn {
            eprintln!("[{}]   {:.0} bytes per idle connection", kind.name(), bytes);
        }
        figures.push(
            kind,
            report::Row {
                deep,
                wide,
                stream,
                latency,
                per_conn,
            },
        );
        drop(server);
    }
    if only.is_none() {
        let port = 18_450;
        eprintln!("[tonic] starting the server on 127.0.0.1:{port}");
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let args = ["serve", "tonic", "--listen", &addr.to_string()].map(str::to_owned);
        let server = Server::spawn("tonic", addr, &args)?;
        eprintln!("[tonic] unary, 1 connection x 64 in flight");
        let deep = grpc::unary(server.addr, 64, p.warmup, p.time).await?;
        eprintln!("[tonic]   {deep:.0} calls/s");
        eprintln!("[tonic] server stream of 64 B items");
        let _ = grpc::stream(server.addr, p.items / 10).await?;
        let stream = grpc::stream(server.addr, p.items).await?;
        eprintln!("[tonic]   {stream:.0} items/s");
        figures.push_tonic(report::Peer { deep, stream });
    }
    let text = report::render(&figures, mode);
    println!("{text}");
    if let Some(path) = out {
        // The topics section (`bench topics`) is kept as it was.
        let previous = std::fs::read_to_string(&path).unwrap_or_default();
        let text = match previous.find(topics::HEADING) {
            Some(start) => topics::splice(&text, &previous[start..]),
            None => text,
        };
        std::fs::write(&path, &text)?;
        eprintln!("written to {path}");
    }
    Ok(())
}
