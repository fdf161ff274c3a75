// Which WebSocket the client uses: one passed in, or the runtime's own.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import { Client, SwillError } from "swill-client";
import type { Socket } from "node:net";
import { WebSocket } from "ws";
import { startDemo, type Demo } from "./helpers.js";

let demo: Demo;

before(async () => {
  demo = await startDemo();
});

after(async () => {
  await demo.stop();
});

test("without a WebSocket option, connect uses the global one or says how to pass one", async () => {
  if ("WebSocket" in globalThis) {
    const client = await Client.connect(demo.url);
    assert.equal(await client.call<number>("add", [1, 2]), 3);
    client.close();
    return;
  }
  // Node 20: no global WebSocket.
  await assert.rejects(Client.connect(demo.url), (e: unknown) => {
    assert.ok(e instanceof SwillError);
    assert.equal(e.code, 400);
    assert.match(e.message, /no global WebSocket.*ws/);
    return true;
  });
});

test("with the runtime's WebSocket (Node 22+, or Node 20's --experimental-websocket) no option is needed", async () => {
  const script = `
    const { Client } = await import("swill-client");
    const client = await Client.connect(process.argv[1]);
    const sum = await client.call("add", [20, 22]);
    client.close();
    console.log(JSON.stringify(sum));`;
  const flags = "WebSocket" in globalThis ? [] : ["--experimental-websocket"];
  const run = promisify(execFile)(
    process.execPath,
    [...flags, "--no-warnings", "--input-type=module", "-e", script, demo.url],
    { cwd: new URL("../..", import.meta.url), timeout: 20_000 },
  );
  const { stdout } = await run;
  assert.equal(stdout.trim(), "42");
});

test("the package loads in Node both as an ES module and with require()", async () => {
  const { createRequire } = await import("node:module");
  const required = createRequire(import.meta.url)("swill-client") as typeof import("swill-client");
  assert.equal(required.Client, Client);
});

test("with ws, the frames of one turn go out together, in order, and the socket is released after the turn", async () => {
  const opened: WebSocket[] = [];
  class Kept extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      opened.push(this);
    }
  }
  const client = await Client.connect(demo.url, { WebSocket: Kept });
  try {
    // ws's TCP socket: the client corks it from the second frame of a turn.
    const tcp = (opened[0] as unknown as { _socket: Socket })._socket;
    const sums = Array.from({ length: 64 }, (_, i) => client.call<number>("add", [i, 1]));
    assert.equal(tcp.writableCorked, 1, "the frames after the first wait for the end of the turn");
    const up = client.bidi<string, string>("upper");
    const words = Array.from({ length: 100 }, (_, i) => `w${i}`);
    const sent = words.map((word) => up.send(word)); // not awaited: sent in order all the same
    const ended = up.end();
    await Promise.all([...sent, ended]);
    const answers: string[] = [];
    for await (const answer of up) answers.push(answer);
    assert.deepEqual(answers, words.map((word) => word.toUpperCase()));
    assert.deepEqual(await Promise.all(sums), Array.from({ length: 64 }, (_, i) => i + 1));
    assert.equal(tcp.writableCorked, 0, "nothing is held once the turn is over");
    // A client closed in the turn of its calls: they fail, and nothing
    // throws later from the microtask that ends the turn.
    const calls = [client.call("add", [1, 2]), client.call("add", [3, 4])];
    client.close();
    for (const outcome of await Promise.allSettled(calls)) {
      assert.equal(outcome.status, "rejected");
    }
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(tcp.writableCorked, 0);
  } finally {
    client.close();
  }
});

test("an uncaught SwillError prints a short report, not the whole glue", async () => {
  // Node prints the source line of the error's top frame: the glue keeps
  // its lines short for that.
  const script = [
    'import { Client } from "swill-client";',
    'import { WebSocket } from "ws";',
    'await Client.connect("ws://127.0.0.1:9/ws", { WebSocket, reconnect: false, connectTimeoutMs: 2000 });',
  ].join("\n");
  const run = promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], { cwd: process.cwd() });
  const failed = await run.then(
    () => assert.fail("connecting to a closed port succeeded"),
    (e: { code: number; stderr: string }) => e,
  );
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /SwillError/);
  assert.ok(failed.stderr.length < 4000, `${failed.stderr.length} characters:\n${failed.stderr.slice(0, 400)}`);
});
