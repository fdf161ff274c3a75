// Pipelined unary calls per second from Node, in one run: the TypeScript
// client (the npm package swill-client, the Rust client's core compiled to
// WebAssembly, on the `ws` package) against a plain JS client hand-written
// on @msgpack/msgpack and ws (plain-client.mjs), both calling the demo
// server's `add` over one connection each, with a window of N calls in
// flight. Rounds alternate the order of the two clients; each figure is the
// median of its rounds. Goal (issue 15): wasm/plain >= 1.0 for pipelined
// calls (more than one in flight); a window of 1 is a round trip per call,
// shown for the latency.
//
//   cd benches/js && npm ci && npm install --no-save ../../client-wasm/dist/swill-client-*.tgz
//   node bench.mjs [--quick] [--rounds R] [--windows 1,64,256] [--only wasm|plain] [--no-pin]
//                  [--wasm FILE]   (the wasm given to init(): a build with names, for profiling)
//                  [--plain-cork]  (the plain client also holds a turn's frames after the
//                                   first in ws's corked socket, as swill-client does)
//
// The demo server: $SWILL_DEMO_BIN, else target/release/demo (build it with
// `cargo build --release -p swill-examples --bin demo --locked`). With two
// CPUs or more and `taskset`, the server is pinned to CPU 0 and this
// process to CPU 1, as the Rust harness (benches/src/main.rs) places them.

import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { WebSocket } from "ws";
import { canPin, pinSelf, startDemo } from "./demo.mjs";
import { PlainClient } from "./plain-client.mjs";

const { values: opts } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    rounds: { type: "string" },
    windows: { type: "string", default: "1,64,256" },
    only: { type: "string" },
    "no-pin": { type: "boolean", default: false },
    "plain-cork": { type: "boolean", default: false },
    // For profiling: the same wasm with its function names kept, given to
    // the package's init() (see profile.mjs).
    wasm: { type: "string" },
  },
});

const rounds = Number(opts.rounds ?? (opts.quick ? 1 : 5));
const windows = opts.windows.split(",").map(Number);
/** Calls per measured round: fewer for a window of 1 (one round trip each). */
const totalFor = (window) => (opts.quick ? 2_000 : window === 1 ? 20_000 : 100_000);
const kinds = opts.only ? [opts.only] : ["wasm", "plain"];

const demoBin = process.env.SWILL_DEMO_BIN
  ?? fileURLToPath(new URL("../../target/release/demo", import.meta.url));
if (!existsSync(demoBin)) {
  console.error(`no demo server at ${demoBin}: cargo build --release -p swill-examples --bin demo --locked (or set SWILL_DEMO_BIN)`);
  process.exit(2);
}

/**
 * `count` calls of `add`, `window` of them in flight; every sum checked.
 * Returns calls/s, and this process's CPU time (user + system) per call.
 */
async function pipelined(call, window, count) {
  let issued = 0;
  async function lane() {
    while (issued < count) {
      const i = issued++;
      const sum = await call(i, 1);
      if (sum !== i + 1) throw new Error(`add(${i}, 1) answered ${sum}`);
    }
  }
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: Math.min(window, count) }, lane));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  return { rate: count / seconds, cpuUs: (used.user + used.system) / count };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const pin = !opts["no-pin"] && canPin();
const demo = await startDemo(demoBin, pin ? { cpu: 0 } : {});
if (pin) pinSelf(1);

let exitCode = 0;
try {
  const clients = {};
  if (kinds.includes("wasm")) {
    // As the package's README says for Node 20: `ws` passed as the WebSocket.
    const { Client, init } = await import("swill-client");
    if (opts.wasm) await init(await readFile(opts.wasm));
    const client = await Client.connect(demo.url, { WebSocket });
    clients.wasm = { call: (a, b) => client.call("add", [a, b]), close: () => client.close() };
  }
  if (kinds.includes("plain")) {
    const client = await PlainClient.connect(demo.url, { cork: opts["plain-cork"] });
    clients.plain = { call: (a, b) => client.call("add", [a, b]), close: () => client.close() };
  }

  // Warm-up: one round of every window for each client (JIT, wasm tier-up).
  for (const window of windows) {
    for (const kind of kinds) await pipelined(clients[kind].call, window, totalFor(window));
  }

  /** figures[window][kind] = calls/s of each round; cpu[window][kind] = CPU µs per call */
  const figures = Object.fromEntries(windows.map((w) => [w, Object.fromEntries(kinds.map((k) => [k, []]))]));
  const cpu = Object.fromEntries(windows.map((w) => [w, Object.fromEntries(kinds.map((k) => [k, []]))]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? kinds : [...kinds].reverse();
    for (const window of windows) {
      for (const kind of order) {
        const { rate, cpuUs } = await pipelined(clients[kind].call, window, totalFor(window));
        figures[window][kind].push(rate);
        cpu[window][kind].push(cpuUs);
      }
    }
    console.error(`round ${round + 1}/${rounds} done`);
  }
  for (const client of Object.values(clients)) client.close();

  const fmt = (x) => Math.round(x).toString();
  const range = (xs) => `${fmt(Math.min(...xs))}-${fmt(Math.max(...xs))}`;
  const lines = [];
  if (kinds.length === 2) {
    lines.push("| window (calls in flight) | wasm (calls/s) | plain JS (calls/s) | wasm/plain | goal >= 1.0 | Node CPU per call, wasm / plain (µs) |");
    lines.push("|---:|---:|---:|---:|---|---:|");
    for (const window of windows) {
      const wasm = median(figures[window].wasm);
      const plain = median(figures[window].plain);
      const ratio = wasm / plain;
      lines.push(`| ${window} | ${fmt(wasm)} (${range(figures[window].wasm)}) | ${fmt(plain)} (${range(figures[window].plain)}) | ${ratio.toFixed(2)} | ${window === 1 ? "(not pipelined)" : ratio >= 1 ? "met" : "**not met**"} | ${median(cpu[window].wasm).toFixed(1)} / ${median(cpu[window].plain).toFixed(1)} |`);
    }
  } else {
    lines.push(`| window (calls in flight) | ${kinds[0]} (calls/s) | Node CPU per call (µs) |`);
    lines.push("|---:|---:|---:|");
    for (const window of windows) {
      lines.push(`| ${window} | ${fmt(median(figures[window][kinds[0]]))} (${range(figures[window][kinds[0]])}) | ${median(cpu[window][kinds[0]]).toFixed(1)} |`);
    }
  }
  console.log(lines.join("\n"));
  console.log(
    `\nMedian of ${rounds} round(s), ${windows.map((w) => `${totalFor(w)} calls at window ${w}`).join(", ")}; ` +
      `in brackets the slowest and fastest round; CPU per call is this process's user + system time ` +
      `(all its threads) over the round, divided by its calls. Node ${process.version}; ` +
      (pin ? "server pinned to CPU 0, Node to CPU 1." : "not pinned."),
  );
} catch (e) {
  console.error(e);
  exitCode = 1;
} finally {
  await demo.stop();
}
process.exit(exitCode);
