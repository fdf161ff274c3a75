// Reconnecting after the server restarts, with the Rust client's backoff.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { EventEmitter, once } from "node:events";
import { test } from "node:test";
import { WebSocket } from "ws";
import { Client, type ConnectionState } from "swill-client";
import { hangGuard, startDemo } from "./helpers.js";

test("calls fail with 503 while the server is down, and work again once it is back", async () => {
  let demo = await startDemo();
  const states: ConnectionState[] = [];
  const changes = new EventEmitter();
  const client = await Client.connect(demo.url, {
    WebSocket,
    reconnect: { initialBackoffMs: 10, maxBackoffMs: 50, maxAttempts: 3, jitter: 0 },
    onStateChange: (state) => {
      states.push(state);
      changes.emit(state.state, state);
    },
  });
  try {
    assert.deepEqual(states, [{ state: "connecting", attempt: 1 }, { state: "connected" }]);
    assert.equal(await client.call<number>("add", [1, 2]), 3);

    // The server shuts down gracefully: the client hears the close.
    const lost = once(changes, "disconnected");
    await demo.stop();
    await hangGuard(lost, 10_000, "the disconnection");

    // Down: the next call tries 3 times, then fails with 503.
    states.length = 0;
    await assert.rejects(client.call("add", [1, 2]), { name: "SwillError", code: 503 });
    assert.deepEqual(
      states.map((s) => (s.state === "connecting" ? `connecting ${s.attempt}` : s.state)),
      ["connecting 1", "disconnected", "connecting 2", "disconnected", "connecting 3", "disconnected"],
    );

    // Back on the same port: the next call reconnects by itself.
    demo = await startDemo(demo.addr);
    states.length = 0;
    assert.equal(await hangGuard(client.call<number>("add", [2, 3])), 5);
    assert.deepEqual(states, [{ state: "connecting", attempt: 1 }, { state: "connected" }]);
    const numbers: number[] = [];
    for await (const n of client.stream<number>("count", 2)) numbers.push(n);
    assert.deepEqual(numbers, [0, 1]);
  } finally {
    client.close();
    await demo.stop();
  }
});

test("calls made while reconnecting share one round of attempts", async () => {
  let demo = await startDemo();
  let attempts = 0;
  const changes = new EventEmitter();
  const client = await Client.connect(demo.url, {
    WebSocket,
    reconnect: { initialBackoffMs: 10, maxAttempts: 2 },
    onStateChange: (state) => {
      if (state.state === "connecting") attempts++;
      changes.emit(state.state);
    },
  });
  try {
    const lost = once(changes, "disconnected");
    await demo.stop();
    await hangGuard(lost);
    demo = await startDemo(demo.addr);
    attempts = 0;
    const sums = await hangGuard(Promise.all([1, 2, 3].map((n) => client.call<number>("add", [n, n]))));
    assert.deepEqual(sums, [2, 4, 6]);
    assert.equal(attempts, 1);
  } finally {
    client.close();
    await demo.stop();
  }
});

test("a call in flight when the connection drops fails with 503", async () => {
  const demo = await startDemo();
  const client = await Client.connect(demo.url, { WebSocket, reconnect: false });
  try {
    const numbers = client.bidi<string, string>("upper");
    await numbers.send("a");
    const it = numbers[Symbol.asyncIterator]();
    assert.deepEqual(await it.next(), { value: "A", done: false });
    // The server dies: the connection drops without a close frame.
    const dying = demo.kill();
    await assert.rejects(hangGuard(it.next()), { code: 503 });
    await dying;
    // reconnect: false never connects again.
    await assert.rejects(client.call("add", [1, 2]), { code: 503 });
  } finally {
    client.close();
    await demo.stop();
  }
});

test("a signal or cancel() ends a call that waits for a reconnection", async () => {
  const demo = await startDemo();
  const changes = new EventEmitter();
  const client = await Client.connect(demo.url, {
    WebSocket,
    // Trying forever: only the signal or cancel() can end these calls.
    reconnect: { initialBackoffMs: 10, maxBackoffMs: 20, maxAttempts: null },
    onStateChange: (state) => changes.emit(state.state, state),
  });
  try {
    const lost = once(changes, "disconnected");
    await demo.stop();
    await hangGuard(lost);

    const controller = new AbortController();
    const call = client.call("add", [1, 2], { signal: controller.signal });
    const stream = client.stream<number>("count", 3, { signal: controller.signal });
    const streamNext = stream[Symbol.asyncIterator]().next();
    const cancelled = client.stream<number>("count", 3);
    const cancelledNext = cancelled[Symbol.asyncIterator]().next();
    // They wait while the client keeps trying.
    await hangGuard(once(changes, "connecting"));
    controller.abort("user left");
    await assert.rejects(hangGuard(call), { name: "SwillError", code: 499, cause: "user left" });
    await assert.rejects(hangGuard(streamNext), { name: "SwillError", code: 499, cause: "user left" });
    await cancelled.cancel();
    assert.deepEqual(await hangGuard(cancelledNext), { value: undefined, done: true });
    // close() ends the wait of the others at once, and says why.
    const waiting = client.call("add", [1, 2]);
    client.close();
    await assert.rejects(hangGuard(waiting), { name: "SwillError", code: 503, message: /the client was closed/ });
  } finally {
    client.close();
    await demo.stop();
  }
});

test("close() during a round of reconnect attempts leaves no timer: Node exits, and no state is reported after", async () => {
  const demo = await startDemo();
  const script = [
    'import { Client } from "swill-client";',
    'import { WebSocket } from "ws";',
    "let closed = false;",
    `const client = await Client.connect(${JSON.stringify(demo.url)}, {`,
    "  WebSocket,",
    // A minute between attempts: only close() can end the round.
    "  reconnect: { initialBackoffMs: 60000, maxBackoffMs: 60000, maxAttempts: null, jitter: 0 },",
    // The round's first attempt is refused, then it pauses for a minute:
    // no event says the pause began, so close() comes 100 ms into it.
    "  onStateChange: (s) => { if (closed) console.log('after close:', s.state); if (s.state === 'disconnected' && s.reason.includes('ECONNREFUSED')) setTimeout(() => { closed = true; client.close(); }, 100); },",
    "});",
    'console.log("connected");',
    'await new Promise((r) => process.stdin.once("data", r));',
    "process.stdin.pause();",
    'await client.call("add", [1, 2]).catch((e) => console.log("rejected", e.code));',
  ].join("\n");
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["pipe", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  try {
    await hangGuard(once(child.stdout, "data"), 10_000, "the child's connection");
    assert.match(out, /connected/);
    await demo.stop();
    child.stdin.end("go\n");
    const [code] = await hangGuard(once(child, "exit"), 10_000, "the child's exit after close()");
    assert.equal(code, 0);
    assert.match(out, /rejected 503/);
    assert.doesNotMatch(out, /after close/);
  } finally {
    child.kill();
    await demo.stop();
  }
});
