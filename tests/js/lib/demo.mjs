// The demo server and the `swill` tool, as the tests run them: the
// workspace's debug builds, or $SWILL_DEMO_BIN and $SWILL_BIN.

import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

const target = (name) => fileURLToPath(new URL(`../../../target/debug/${name}`, import.meta.url));

/** The demo server binary. */
export const demoBin = process.env.SWILL_DEMO_BIN ?? target("demo");
/** The `swill` command-line tool. */
export const swillBin = process.env.SWILL_BIN ?? target("swill");

/**
 * Starts the demo (`bin`, the workspace's debug build by default) on a free
 * port of 127.0.0.1, pinned to `cpu` with taskset if given (the benchmark
 * does). Resolves to its WebSocket URL (`ws://127.0.0.1:PORT/ws`), its HTTP
 * origin, and `stop()`.
 */
export async function startDemo(bin = demoBin, { cpu } = {}) {
  const args = ["--listen", "127.0.0.1:0"];
  const options = { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, RUST_LOG: "warn" } };
  const child = cpu === undefined
    ? spawn(bin, args, options)
    : spawn("taskset", ["-c", String(cpu), bin, ...args], options);
  const exited = once(child, "exit");
  const url = await new Promise((resolve, reject) => {
    let seen = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
      seen += chunk;
      const match = /listening on (ws:\/\/\S+)/.exec(seen);
      if (match) resolve(match[1]);
    });
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`${bin} exited (${code}) before listening: ${seen}`)));
  });
  child.stdout.resume();
  const origin = `http://${new URL(url).host}`;
  return {
    url,
    origin,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}

/** Runs a program; resolves to its exit code, stdout and stderr. */
export function run(file, args, options = {}) {
  return new Promise((resolve) => {
    execFile(file, args, { maxBuffer: 16 << 20, ...options }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs `swill` with `args`; fails the test unless it exits 0. */
export async function swill(...args) {
  const result = await run(swillBin, args);
  if (result.code !== 0) {
    throw new Error(`swill ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
  }
  return result.stdout;
}
