// The demo server, started by the tests themselves, and a WebSocket that
// records the frames the client sends and receives; a free port, and a
// bounded poll.

import { spawn, type ChildProcess } from "node:child_process";
import { once, EventEmitter } from "node:events";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { WebSocket } from "ws";

/** The demo server binary: $SWILL_DEMO_BIN, or the workspace's debug build. */
export const demoBin =
  process.env["SWILL_DEMO_BIN"] ?? fileURLToPath(new URL("../../../../target/debug/demo", import.meta.url));

/** A running demo server. */
export interface Demo {
  /** `ws://127.0.0.1:PORT/ws` (`wss://` when served with TLS) */
  url: string;
  /** `127.0.0.1:PORT` */
  addr: string;
  /** Stops it with SIGTERM (a graceful shutdown) and waits for it to exit. */
  stop(): Promise<void>;
  /** Kills it (SIGKILL): its connections drop without a close frame. */
  kill(): Promise<void>;
}

/** Starts the demo server on `addr` (a free port by default), with `args`. */
export async function startDemo(addr = "127.0.0.1:0", args: string[] = []): Promise<Demo> {
  const child = spawn(demoBin, ["--listen", addr, ...args], {
    stdio: ["ignore", "pipe", "ignore"],
    env: { ...process.env, RUST_LOG: "warn" },
  });
  const url = await listeningUrl(child);
  const exited = once(child, "exit");
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      await exited;
    }
  };
  return {
    url,
    addr: new URL(url).host,
    stop: () => end("SIGTERM"),
    kill: () => end("SIGKILL"),
  };
}

/** Reads `swill demo listening on ws://ADDR/ws` from the server's stdout. */
function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = "";
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => {
      seen += chunk;
      const match = /listening on (wss?:\/\/\S+)/.exec(seen);
      if (match?.[1]) resolve(match[1]);
    });
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the demo server exited (${code}) before listening: ${seen}`)));
  });
}

/** A frame seen by a {@link recordingWebSocket}. */
export interface Frame {
  direction: "sent" | "received";
  bytes: Uint8Array;
}

/**
 * A `ws` WebSocket class that records every frame, and emits `frame` for
 * each, so that a test can wait for one instead of sleeping.
 */
export function recordingWebSocket() {
  const frames: Frame[] = [];
  const events = new EventEmitter();
  const record = (frame: Frame) => {
    frames.push(frame);
    events.emit("frame", frame);
  };
  class RecordingWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      this.addEventListener("message", (event) => {
        const data = event.data;
        if (data instanceof ArrayBuffer) record({ direction: "received", bytes: new Uint8Array(data) });
      });
    }
    override send(data: Uint8Array): void {
      record({ direction: "sent", bytes: new Uint8Array(data) });
      super.send(data);
    }
  }
  /**
   * Resolves with the first frame from index `from` on (already seen, or
   * to come) that `match` accepts.
   */
  function waitFor(match: (frame: Frame) => boolean, from = 0): Promise<Frame> {
    const seen = frames.slice(from).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const listener = (frame: Frame) => {
        if (match(frame)) {
          events.off("frame", listener);
          resolve(frame);
        }
      };
      events.on("frame", listener);
    });
  }
  return { WebSocket: RecordingWebSocket, frames, waitFor };
}

const text = (s: string) => [...new TextEncoder().encode(s)];

/** Whether `frame` is a request opening `rpc` (MESSAGE or METADATA); its seq must be below 128. */
export function opens(frame: Frame, rpc: string): boolean {
  const b = frame.bytes;
  if (frame.direction !== "sent" || b[1]! >= 0x80) return false;
  // [seq, data, rpc, ...]: find the rpc string right after the data.
  const needle = [0xa0 + rpc.length, ...text(rpc)];
  for (let i = 2; i + needle.length <= b.length; i++) {
    if (needle.every((x, j) => b[i + j] === x)) return b[i + needle.length] !== 0x03 && b[i + needle.length] !== 0x01;
  }
  return false;
}

/** The CANCEL frame for (rpc, seq), exactly as the protocol writes it: `[seq, nil, rpc, 3]`. */
export function cancelFrame(seq: number, rpc: string): number[] {
  return [0x94, seq, 0xc0, 0xa0 + rpc.length, ...text(rpc), 0x03];
}

export function sameBytes(frame: Frame, bytes: number[]): boolean {
  return frame.bytes.length === bytes.length && bytes.every((x, i) => frame.bytes[i] === x);
}

/** The seq of a frame whose seq is a positive fixint. */
export function seqOf(frame: Frame): number {
  return frame.bytes[1]!;
}

/** Rejects after `ms`: a guard against hanging, never a way to wait. */
export function hangGuard<T>(promise: Promise<T>, ms = 10_000, what = "the operation"): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

/** A TCP port of 127.0.0.1 that is free now (to start a server on it, and again after it died). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Polls `check` every `everyMs` until it returns true, at most `times`
 * times; fails with `what` if it never does.
 */
export async function eventually(check: () => Promise<boolean>, what: string, times = 200, everyMs = 25): Promise<void> {
  for (let i = 0; i < times; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`${what}: still not so after ${times} checks`);
}

/** A redis-server of the test's own, on a free port; `stop()` kills it. */
export async function startRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--logfile", ""], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  await new Promise<void>((resolve, reject) => {
    let seen = "";
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => {
      seen += chunk;
      if (seen.includes("Ready to accept connections")) resolve();
    });
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`redis-server exited (${code}): ${seen}`)));
  });
  const exited = once(child, "exit");
  return {
    url: `redis://127.0.0.1:${port}/`,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
    },
  };
}
