//! The topics benchmark: one topic fanned out to many subscribers, swill
//! against socketioxide's broadcast (the Rust socket.io server) in the same
//! run, the same across three swill nodes through Redis, and the memory of
//! idle subscribers.
//!
//! Run with: `cargo run --release -p swill-bench --bin bench -- topics --full`

mod load;
mod servers;

use std::fmt::Write;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use load::{Protocol, Tally};

use crate::Server;
use crate::report::Mode;

pub use servers::run as serve;

/// The size of each published message: a string of this many bytes.
const SIZE: usize = 64;

struct Params {
    subscribers: usize,
    messages: u32,
}

fn params(mode: Mode) -> Params {
    match mode {
        Mode::Quick => Params {
            subscribers: 100,
            messages: 100,
        },
        Mode::Full => Params {
            subscribers: 1000,
            messages: 2000,
        },
    }
}

/// Runs every topics workload and returns the report section.
pub async fn run(mode: Mode) -> std::io::Result<String> {
    let p = params(mode);
    // Large enough that nothing is dropped for lack of room: both servers
    // must deliver every message for the figure to count.
    let queue = p.messages as usize + 64;

    eprintln!("[topics] swill, one node, {} subscribers", p.subscribers);
    let swill = Server::spawn(
        "swill",
        local(18_600),
        &serve_args("swill", 18_600, None, queue),
    )?;
    let one_node = fan_out(Protocol::Swill, &[swill.addr], &p).await?;
    eprintln!("[topics]   {one_node:.0} deliveries/s");
    drop(swill);

    eprintln!("[topics] socketioxide, {} sockets in a room", p.subscribers);
    let socketio = Server::spawn(
        "socketio",
        local(18_601),
        &serve_args("socketio", 18_601, None, queue),
    )?;
    let peer = fan_out(Protocol::SocketIo, &[socketio.addr], &p).await?;
    eprintln!("[topics]   {peer:.0} deliveries/s");
    drop(socketio);

    let three_nodes = match Redis::start(18_610) {
        Some(redis) => {
            eprintln!("[topics] swill, three nodes through Redis");
            let nodes = (0..3)
                .map(|i| {
                    let port = 18_611 + i;
                    let args = serve_args("swill", port, Some(&redis.url()), queue);
                    Server::spawn("swill node", local(port), &args)
                })
                .collect::<std::io::Result<Vec<_>>>()?;
            let addrs: Vec<SocketAddr> = nodes.iter().map(|n| n.addr).collect();
            let rate = fan_out(Protocol::Swill, &addrs, &p).await?;
            eprintln!("[topics]   {rate:.0} deliveries/s");
            Some(rate)
        }
        None => {
            eprintln!("[topics] no redis-server here: the three-node row is skipped");
            None
        }
    };

    eprintln!("[topics] memory of {} idle subscribers", p.subscribers);
    let memory = idle_memory(&p, queue).await?;
    Ok(render(mode, &p, one_node, peer, three_nodes, &memory))
}

fn local(port: u16) -> SocketAddr {
    ([127, 0, 0, 1], port).into()
}

fn serve_args(kind: &str, port: u16, redis: Option<&str>, queue: usize) -> Vec<String> {
    let mut args = vec![
        "serve-topics".to_owned(),
        kind.to_owned(),
        "--listen".to_owned(),
        local(port).to_string(),
        "--queue".to_owned(),
        queue.to_string(),
    ];
    if let Some(url) = redis {
        args.extend(["--redis".to_owned(), url.to_owned()]);
    }
    args
}

/// Subscribers spread over `nodes`; a warm-up blast, then the measured
/// one, published through the first node.
async fn fan_out(protocol: Protocol, nodes: &[SocketAddr], p: &Params) -> std::io::Result<f64> {
    let tally = Arc::new(Tally::default());
    let mut readers = Vec::new();
    for i in 0..p.subscribers {
        let node = nodes[i % nodes.len()];
        readers.push(load::subscriber(protocol, node, tally.clone()).await?);
    }
    let subscribers = p.subscribers as u64;
    load::blast(
        protocol,
        nodes[0],
        &tally,
        subscribers,
        p.messages / 10,
        SIZE,
    )
    .await?;
    let rate = load::blast(protocol, nodes[0], &tally, subscribers, p.messages, SIZE).await?;
    for reader in readers {
        reader.abort();
    }
    Ok(rate)
}

/// Bytes of server memory per idle subscriber (its connection included),
/// and for swill per extra subscription on a connection.
struct Memory {
    swill_subscriber: Option<f64>,
    swill_subscription: Option<f64>,
    socketio_subscriber: Option<f64>,
}

async fn idle_memory(p: &Params, queue: usize) -> std::io::Result<Memory> {
    let n = p.subscribers;
    let per = |before: Option<u64>, after: Option<u64>, count: usize| match (before, after) {
        (Some(b), Some(a)) => Some(a.saturating_sub(b) as f64 / count as f64),
        _ => None,
    };
    let mut memory = Memory {
        swill_subscriber: None,
        swill_subscription: None,
        socketio_subscriber: None,
    };
    for protocol in [Protocol::Swill, Protocol::SocketIo] {
        let (kind, port) = match protocol {
            Protocol::Swill => ("swill", 18_620),
            Protocol::SocketIo => ("socketio", 18_621),
        };
        let server = Server::spawn(kind, local(port), &serve_args(kind, port, None, queue))?;
        let tally = Arc::new(Tally::default());
        // One subscriber first, so that what every server allocates once
        // is not counted per subscriber.
        let warm = load::subscriber(protocol, server.addr, tally.clone()).await?;
        let before = server.rss_bytes();
        let mut held = Vec::new();
        for _ in 0..n {
            held.push(load::subscriber(protocol, server.addr, tally.clone()).await?);
        }
        let after = server.rss_bytes();
        match protocol {
            Protocol::Swill => {
                memory.swill_subscriber = per(before, after, n);
                // As many connections again, with eleven subscriptions each:
                // what is beyond the first subscriber's cost is the ten
                // extra subscriptions.
                for _ in 0..n {
                    held.push(load::subscriber_of(protocol, server.addr, tally.clone(), 11).await?);
                }
                let more = server.rss_bytes();
                memory.swill_subscription = match (before, after, more) {
                    (Some(b), Some(a), Some(m)) => {
                        let extra = m.saturating_sub(a) as f64 - a.saturating_sub(b) as f64;
                        Some(extra / (10 * n) as f64)
                    }
                    _ => None,
                };
            }
            Protocol::SocketIo => memory.socketio_subscriber = per(before, after, n),
        }
        warm.abort();
        for h in held {
            h.abort();
        }
        drop(server);
    }
    Ok(memory)
}

fn render(
    mode: Mode,
    p: &Params,
    one_node: f64,
    peer: f64,
    three_nodes: Option<f64>,
    memory: &Memory,
) -> String {
    let mut out = String::new();
    let deliveries = p.subscribers as u64 * u64::from(p.messages);
    let _ = writeln!(
        out,
        "{HEADING} ({} run)\n",
        match mode {
            Mode::Quick => "quick",
            Mode::Full => "full",
        }
    );
    let _ = writeln!(
        out,
        "One topic, {} subscribers, {} messages of {SIZE} B published as fast as the \
         server takes them ({deliveries} deliveries), every one counted by the load \
         generator; servers pinned to CPU 0, the load generator to CPU 1.\n",
        p.subscribers, p.messages
    );
    let _ = writeln!(out, "| workload | swill | socketioxide | ratio | goal |");
    let _ = writeln!(out, "|---|---:|---:|---:|---|");
    let ratio = one_node / peer;
    let _ = writeln!(
        out,
        "| one node: deliveries/s | {one_node:.0} | {peer:.0} | {ratio:.2}x | >= 2x: {} |",
        if ratio >= 2.0 { "met" } else { "not met" }
    );
    if let Some(rate) = three_nodes {
        let _ = writeln!(
            out,
            "| three nodes through Redis: deliveries/s | {rate:.0} | (no Redis adapter run) | {:.2}x of one node | - |",
            rate / one_node
        );
    }
    let bytes = |v: Option<f64>| v.map_or("n/a".to_owned(), |b| format!("{b:.0} B"));
    let _ = writeln!(
        out,
        "| memory per idle subscriber (its connection included) | {} | {} | | |",
        bytes(memory.swill_subscriber),
        bytes(memory.socketio_subscriber)
    );
    let _ = writeln!(
        out,
        "| memory per extra subscription on an open connection | {} | | | |",
        bytes(memory.swill_subscription)
    );
    out.push('\n');
    out.push_str(FINDINGS);
    out
}

/// The heading that starts the topics section of docs/benchmarks.md.
pub const HEADING: &str = "## Topics: fan-out";

/// Puts `section` (which starts with [`HEADING`]) in place of the topics
/// section of `document`, or at its end: each command of the harness
/// rewrites its own part of the one report.
pub fn splice(document: &str, section: &str) -> String {
    let Some(start) = document.find(HEADING) else {
        return format!("{}\n\n{section}", document.trim_end());
    };
    let rest = &document[start + HEADING.len()..];
    let end = rest
        .find("\n## ")
        .map_or(document.len(), |i| start + HEADING.len() + i + 1);
    let (before, after) = (&document[..start], &document[end..]);
    let section = section.trim_end();
    if after.is_empty() {
        return format!("{before}{section}\n");
    }
    // The next section keeps its blank line before it.
    format!("{before}{section}\n\n{after}")
}

/// What profiling found, kept beside the code (benches/topics-findings.md).
const FINDINGS: &str = include_str!("../../topics-findings.md");

/// A redis-server for the three-node run, if one is installed.
struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    fn start(port: u16) -> Option<Redis> {
        use std::io::{BufRead, BufReader};
        let mut child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--logfile", ""])
            .stdout(Stdio::piped())
            .spawn()
            .ok()?;
        let mut lines = BufReader::new(child.stdout.take()?).lines();
        let ready = lines
            .by_ref()
            .map_while(Result::ok)
            .any(|line| line.contains("Ready to accept connections"));
        // Keep reading its log, so that it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        if !ready {
            let _ = child.kill();
            return None;
        }
        Some(Redis { child, port })
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_is_replaced_in_place_or_appended() {
        let section = format!("{HEADING} (full run)\n\nnew\n");
        let before = format!("# Report\n\n{HEADING} (quick run)\n\nold\n\n## What remains\n\nx\n");
        let after = splice(&before, &section);
        assert_eq!(
            after,
            format!("# Report\n\n{section}\n## What remains\n\nx\n")
        );
        assert_eq!(
            splice("# Report\n", &section),
            format!("# Report\n\n{section}")
        );
        let at_end = splice(&format!("# R\n\n{HEADING} old\n"), &section);
        assert_eq!(at_end, format!("# R\n\n{section}"));
    }
}
