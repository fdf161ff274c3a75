// Summarizes a V8 CPU profile (`node --cpu-prof`) of bench.mjs: self time
// by group (the wasm, wasm-bindgen's glue, ws, @msgpack/msgpack, Node's
// own code, the garbage collector, ...) and the functions with the most
// self time.
//
// For names of wasm functions, profile the same wasm with its name section
// kept (build.sh removes it): client-wasm/build.sh's wasm-bindgen and
// wasm-opt steps without --remove-name-section, and with wasm-opt -g:
//
//   w=target/wasm32-unknown-unknown/wasm-release/swill_wasm.wasm
//   wasm-bindgen $w --target web --weak-refs --out-dir /tmp/named
//   client-wasm/.tools/node_modules/.bin/wasm-opt -Oz -g /tmp/named/swill_wasm_bg.wasm \
//     -o /tmp/named.wasm --strip-target-features --enable-reference-types \
//     --enable-bulk-memory --enable-bulk-memory-opt --enable-nontrapping-float-to-int \
//     --enable-sign-ext --enable-mutable-globals --enable-multivalue
//   cd benches/js
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bench.mjs --only wasm --windows 256 --wasm /tmp/named.wasm
//   node profile.mjs /tmp/prof/*.cpuprofile [--top 30]

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values: opts, positionals: files } = parseArgs({
  allowPositionals: true,
  options: { top: { type: "string", default: "30" } },
});

function group(frame) {
  const { functionName: name, url } = frame;
  if (name === "(garbage collector)") return "garbage collector";
  if (name === "(idle)") return "idle (waiting for the network)";
  if (name === "(program)") return "(program): V8 and native code outside JS";
  if (name === "(root)") return "root";
  if (url.startsWith("wasm://") || /^(\$|wasm-function)/.test(name)) return "wasm";
  if (url.includes("swill_wasm.js")) return "wasm-bindgen glue (JS)";
  if (url.includes("/ws/")) return "ws";
  if (url.includes("@msgpack")) return "@msgpack/msgpack";
  if (url.startsWith("node:")) return "Node's own JS (streams, net, events, timers)";
  if (url === "") return "native (builtins, no script)";
  return "bench script and other JS";
}

for (const file of files) {
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map(); // id -> µs
  const { samples, timeDeltas } = profile;
  // Each sample's time is the delta to the next sample.
  for (let i = 0; i < samples.length; i++) {
    const dt = timeDeltas[i + 1] ?? 0;
    self.set(samples[i], (self.get(samples[i]) ?? 0) + dt);
  }
  let total = 0;
  let busy = 0;
  const groups = new Map();
  const functions = new Map();
  for (const [id, us] of self) {
    const frame = byId.get(id).callFrame;
    const g = group(frame);
    total += us;
    if (!g.startsWith("idle")) busy += us;
    groups.set(g, (groups.get(g) ?? 0) + us);
    const where = frame.url ? `${frame.url.split("/").slice(-2).join("/")}:${frame.lineNumber + 1}` : "";
    const key = `${frame.functionName || "(anonymous)"} ${where}`.trim();
    const f = functions.get(key) ?? { us: 0, group: g };
    f.us += us;
    functions.set(key, f);
  }
  const pct = (us, of) => `${((100 * us) / of).toFixed(1)}%`;
  console.log(`## ${file}\n\n${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy (not idle)\n`);
  console.log("| group | self time | of busy |\n|---|---:|---:|");
  for (const [g, us] of [...groups].sort((a, b) => b[1] - a[1])) {
    console.log(`| ${g} | ${(us / 1e3).toFixed(0)} ms | ${g.startsWith("idle") ? "-" : pct(us, busy)} |`);
  }
  console.log(`\n| function | group | self, of busy |\n|---|---|---:|`);
  const top = [...functions].filter(([, f]) => !f.group.startsWith("idle")).sort((a, b) => b[1].us - a[1].us);
  for (const [key, f] of top.slice(0, Number(opts.top))) {
    console.log(`| \`${key}\` | ${f.group} | ${pct(f.us, busy)} |`);
  }
  console.log();
}
