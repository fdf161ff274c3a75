// The demo server for the benchmark, and pinning processes to CPUs as the
// Rust harness does.

import { spawnSync } from "node:child_process";
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
 * Starts `bin` on a free port of 127.0.0.1, pinned to `cpu` if given:
 * the self-documentation tests' helper, which has no dependencies.
 */
export { startDemo } from "../../tests/js/lib/demo.mjs";
