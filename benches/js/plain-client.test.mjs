// The plain JS client of the benchmark is a correct Swill v1 peer: its
// frames are the protocol's bytes, pipelined calls get the right sums, and
// ERROR frames reach the caller. Against the demo server: $SWILL_DEMO_BIN,
// else target/debug/demo.
//
//   cd benches/js && npm ci && node --test plain-client.test.mjs

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Encoder } from "@msgpack/msgpack";
import { startDemo } from "./demo.mjs";
import { PlainClient, SwillError } from "./plain-client.mjs";

const demoBin = process.env.SWILL_DEMO_BIN
  ?? fileURLToPath(new URL("../../target/debug/demo", import.meta.url));

let demo;
let client;
before(async () => {
  demo = await startDemo(demoBin);
  client = await PlainClient.connect(demo.url);
});
after(async () => {
  client?.close();
  await demo?.stop();
});

const hex = (bytes) => Buffer.from(bytes).toString("hex");

test("requests are the protocol's bytes (docs/protocol.md 3.4, 6.1)", () => {
  const encoder = new Encoder();
  assert.equal(hex(encoder.encode([1, [1, 2], "add"])), "9301920102a3616464");
  assert.equal(
    hex(encoder.encode([1, [1, 2], "add", 0, { "swill-timeout": 1500 }])),
    "9501920102a3616464" + "0081ad" + Buffer.from("swill-timeout").toString("hex") + "cd05dc",
  );
});

test("the server selected the subprotocol swill.v1", () => {
  assert.equal(client.ws.protocol, "swill.v1");
});

test("one call, then many pipelined calls, each with its own sum", async () => {
  assert.equal(await client.call("add", [1, 2]), 3);
  const n = 2000;
  const sums = await Promise.all(Array.from({ length: n }, (_, i) => client.call("add", [i, i * 2])));
  assert.deepEqual(sums, Array.from({ length: n }, (_, i) => i * 3));
  assert.equal(client.pending.size, 0);
});

test("with cork, the calls of one turn share a write and each gets its own sum", async () => {
  const corked = await PlainClient.connect(demo.url, { cork: true });
  try {
    const sums = Array.from({ length: 100 }, (_, i) => corked.call("add", [i, 2]));
    assert.equal(corked.ws._socket.writableCorked, 1);
    assert.deepEqual(await Promise.all(sums), Array.from({ length: 100 }, (_, i) => i + 2));
    assert.equal(corked.ws._socket.writableCorked, 0);
  } finally {
    corked.close();
  }
});

test("ERROR frames reject the call with the server's code and message", async () => {
  await assert.rejects(client.call("nope", null), (e) => {
    assert.ok(e instanceof SwillError);
    assert.equal(e.code, 404);
    assert.equal(e.message, "No func was found to process this request");
    return true;
  });
  await assert.rejects(client.call("fail", { code: 401, message: "nope" }), { code: 401, message: "nope" });
  await assert.rejects(client.call("add", [2 ** 53, "x"]), { code: 400 });
  // An error does not disturb the calls around it.
  const [a, failed, b] = await Promise.allSettled([
    client.call("add", [20, 1]),
    client.call("fail", { code: 422, message: "bad" }),
    client.call("add", [40, 2]),
  ]);
  assert.deepEqual([a.value, failed.reason.code, b.value], [21, 422, 42]);
  assert.equal(client.pending.size, 0);
});

test("request metadata travels; the answer is the MESSAGE's data", async () => {
  assert.equal(await client.call("echo_meta", "hi", { x: "hello" }), "hi");
});

test("closing fails the calls in flight with 503", async () => {
  const other = await PlainClient.connect(demo.url);
  const slow = other.call("sleep", 60_000);
  other.close();
  await assert.rejects(slow, { code: 503 });
});
