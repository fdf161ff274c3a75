//! The figures of one run, and their rendering as docs/benchmarks.md.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

use crate::servers::Kind;

/// What profiling found and what remains: prose kept beside the code that
/// produced the figures, appended to every report.
const FINDINGS: &str = include_str!("../findings.md");

/// How long and how large the run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Seconds in all: a smoke test, figures indicative only.
    Quick,
    /// The run whose figures go in the docs.
    Full,
}

pub struct Params {
    pub warmup: Duration,
    pub time: Duration,
    pub items: u64,
    pub idle: usize,
}

impl Mode {
    pub fn params(self) -> Params {
        match self {
            Mode::Quick => Params {
                warmup: Duration::from_millis(100),
                time: Duration::from_millis(300),
                items: 20_000,
                idle: 200,
            },
            Mode::Full => Params {
                warmup: Duration::from_secs(1),
                time: Duration::from_secs(5),
                items: 1_000_000,
                idle: 10_000,
            },
        }
    }
}

/// One server's figures.
pub struct Row {
    pub deep: f64,
    pub wide: f64,
    pub stream: f64,
    pub latency: [f64; 3],
    pub per_conn: Option<f64>,
}

/// tonic's figures: unary 1x64 calls/s and stream items/s.
pub struct Peer {
    pub deep: f64,
    pub stream: f64,
}

#[derive(Default)]
pub struct Figures(BTreeMap<&'static str, Row>, Option<Peer>);

impl Figures {
    pub fn push(&mut self, kind: Kind, row: Row) {
        self.0.insert(kind.name(), row);
    }

    pub fn push_tonic(&mut self, peer: Peer) {
        self.1 = Some(peer);
    }

    fn get(&self, kind: Kind) -> Option<&Row> {
        self.0.get(kind.name())
    }
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.2}", a / b)
    } else {
        "-".to_owned()
    }
}

fn command_output(cmd: &str, args: &[&str]) -> String {
    std::process::Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    format!(
        "{} CPUs ({cpu}), {}, {}",
        command_output("nproc", &["--all"]),
        command_output("uname", &["-sr"]),
        command_output("rustc", &["-V"]),
    )
}

/// The versions of the crates that decide the figures, from Cargo.lock.
fn versions() -> String {
    let lock = std::fs::read_to_string("Cargo.lock").unwrap_or_default();
    let version = |name: &str| {
        let header = format!("name = \"{name}\"\nversion = \"");
        lock.split("[[package]]\n")
            .find_map(|p| {
                p.strip_prefix(&header)?
                    .split('"')
                    .next()
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| "?".to_owned())
    };
    [
        "swill",
        "tokio",
        "tokio-tungstenite",
        "hyper",
        "rmp-serde",
        "jsonrpsee",
        "tonic",
    ]
    .map(|name| format!("{name} {}", version(name)))
    .join(", ")
}

pub fn render(f: &Figures, mode: Mode) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Benchmarks\n");
    let _ = writeln!(
        s,
        "Measured in one run, on the same machine, by the load program in `benches/`:\n\n\
         ```sh\ncargo run --release -p swill-bench --bin bench -- run --{} --out docs/benchmarks.md\n```\n",
        if mode == Mode::Full { "full" } else { "quick" }
    );
    let _ = writeln!(s, "- Machine: {}", machine());
    let _ = writeln!(s, "- Versions: {}", versions());
    let _ = writeln!(
        s,
        "- Mode: {} ({}).",
        if mode == Mode::Full { "full" } else { "quick" },
        if mode == Mode::Full {
            "1 s warm-up, 5 s per figure, 1 000 000 streamed items, 10 000 idle connections"
        } else {
            "0.3 s per figure; indicative only"
        }
    );
    let _ = writeln!(
        s,
        "- Placement: each server is its own process pinned to CPU 0 (one tokio worker); \
         the load program is pinned to CPU 1 (one tokio worker).\n\
         - Servers: **B0** raw tokio-tungstenite (echo; for the stream, ready-made frames), \
         batched writes; **B2** B0 plus decoding and encoding the Swill envelope \
         (swill-proto) and nothing else; **swill** the demo app (`echo_meta` for echo, plus an \
         `items` stream of 64-byte `bin` items); **jsonrpsee** 0.26 over WebSocket with an `echo` \
         method and an `items` subscription (JSON text frames); **swill-json** the swill server \
         again, spoken in JSON text frames (`swill.v1.json`); **tonic** 0.14 (gRPC over \
         HTTP/2, prost) with an `Echo` and an `Items` server stream, measured for unary 1x64 \
         (64 calls in flight on one HTTP/2 connection) and the stream only.\n\
         - Latency: open loop at half the server's own unary 1x64 maximum, on one connection; \
         a dedicated thread paces the requests (it sleeps to each due time and hands the due \
         ids to the writer), and each latency counts from when its request was due.\n\
         - Payloads: echo data is 16 bytes; stream items carry 64 bytes.\n"
    );
    let _ = writeln!(s, "## Figures\n");
    let _ = writeln!(
        s,
        "| server | unary 1x64 (calls/s) | unary 256x1 (calls/s) | stream (items/s) | p50 (µs) | p99 (µs) | p99.9 (µs) | RSS per idle connection |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for kind in Kind::ALL {
        if let Some(r) = f.get(kind) {
            let mem = r
                .per_conn
                .map(|b| format!("{:.1} KiB", b / 1024.0))
                .unwrap_or_else(|| "-".to_owned());
            let _ = writeln!(
                s,
                "| {} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {mem} |",
                kind.name(),
                r.deep,
                r.wide,
                r.stream,
                r.latency[0],
                r.latency[1],
                r.latency[2]
            );
        }
    }
    if let Some(t) = &f.1 {
        let _ = writeln!(
            s,
            "| tonic | {:.0} | - | {:.0} | - | - | - | - |",
            t.deep, t.stream
        );
    }
    let (Some(ours), Some(b0), Some(b2), Some(j)) = (
        f.get(Kind::Swill),
        f.get(Kind::B0),
        f.get(Kind::B2),
        f.get(Kind::Jsonrpsee),
    ) else {
        return s;
    };
    let _ = writeln!(s, "\n## Ratios and targets\n");
    let _ = writeln!(
        s,
        "| figure | ours/B2 | ours/B0 | ours/jsonrpsee | target | met |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---|---|");
    let met = |ok: bool| if ok { "yes" } else { "**no**" };
    /// A throughput row: its name, the figure, the target and whether it is met.
    type Target<'a> = (&'a str, fn(&Row) -> f64, &'a str, bool);
    let throughput: [Target; 3] = [
        (
            "unary 1x64",
            |r| r.deep,
            ">= 0.85 of B2",
            ours.deep >= 0.85 * b2.deep,
        ),
        (
            "unary 256x1",
            |r| r.wide,
            ">= 0.90 of B2; >= 2x jsonrpsee",
            ours.wide >= 0.9 * b2.wide && ours.wide >= 2.0 * j.wide,
        ),
        (
            "stream items/s",
            |r| r.stream,
            ">= 0.95 of B2",
            ours.stream >= 0.95 * b2.stream,
        ),
    ];
    for (name, figure, target, ok) in throughput {
        let _ = writeln!(
            s,
            "| {name} | {} | {} | {} | {target} | {} |",
            ratio(figure(ours), figure(b2)),
            ratio(figure(ours), figure(b0)),
            ratio(figure(ours), figure(j)),
            met(ok)
        );
    }
    for (i, name) in ["p50", "p99", "p99.9"].into_iter().enumerate() {
        let added = ours.latency[i] - b2.latency[i];
        let _ = writeln!(
            s,
            "| {name} at 50% load | {added:+.0} µs over B2 | | | within 50 µs of B2 | {} |",
            met(added <= 50.0)
        );
    }
    if let Some(mem) = ours.per_conn {
        let _ = writeln!(
            s,
            "| RSS per idle connection | {:.1} KiB | | | <= 5 KiB | {} |",
            mem / 1024.0,
            met(mem <= 5.0 * 1024.0)
        );
    }
    if let Some(json) = f.get(Kind::SwillJson) {
        let _ = writeln!(
            s,
            "| JSON encoding, unary 1x64 | {}x MessagePack | | {} | (no target: a readable encoding) | - |",
            ratio(json.deep, ours.deep),
            ratio(json.deep, j.deep),
        );
        let _ = writeln!(
            s,
            "| JSON encoding, stream | {}x MessagePack | | {} | (no target) | - |",
            ratio(json.stream, ours.stream),
            ratio(json.stream, j.stream),
        );
    }
    if let Some(t) = &f.1 {
        let _ = writeln!(
            s,
            "| unary 1x64 against tonic | {}x tonic | | | >= 2x tonic | {} |",
            ratio(ours.deep, t.deep),
            met(ours.deep >= 2.0 * t.deep)
        );
        let _ = writeln!(
            s,
            "| stream against tonic | {}x tonic | | | >= 2x tonic | {} |",
            ratio(ours.stream, t.stream),
            met(ours.stream >= 2.0 * t.stream)
        );
    }
    let _ = writeln!(s, "\n{}", FINDINGS.trim());
    s
}
