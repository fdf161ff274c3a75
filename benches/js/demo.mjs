// Starts the demo server (examples/src/bin/demo.rs) as a child process on a
// free port, as client-wasm/tests do: `--listen 127.0.0.1:0`, then the URL
// from its line `swill demo listening on ws://ADDR/ws`.

import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { availableParallelism } from "node:os";

/** Whether `taskset` is there to pin processes to CPUs. */
export function canPin() {
  return availableParallelism() >= 2 && spawnSync("taskset", ["-V"]).status === 0;
}

/** Pins this process (all its threads) to `cpu`. */
export function pinSelf(cpu) {
  spawnSync("taskset", ["-a", "-p", "-c", String(cpu), String(process.pid)], { stdio: "ignore" });
}

/**
 * Starts `bin` listening on a free port of 127.0.0.1, pinned to `cpu` if
 * given; resolves with `{ url, stop() }` once it listens.
 */
export async function startDemo(bin, { cpu } = {}) {
  const args = ["--listen", "127.0.0.1:0"];
  const child = cpu === undefined
    ? spawn(bin, args, { stdio: ["ignore", "pipe", "ignore"], env: { ...process.env, RUST_LOG: "warn" } })
    : spawn("taskset", ["-c", String(cpu), bin, ...args], {
        stdio: ["ignore", "pipe", "ignore"],
        env: { ...process.env, RUST_LOG: "warn" },
      });
  const exited = once(child, "exit");
  const url = await new Promise((resolve, reject) => {
    let seen = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
      seen += chunk;
      const match = /listening on (wss?:\/\/\S+)/.exec(seen);
      if (match) resolve(match[1]);
    });
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`${bin} exited (${code}) before listening: ${seen}`)));
  });
  child.stdout.resume();
  return {
    url,
    pid: child.pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}
