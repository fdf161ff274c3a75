// Errors, deadlines, AbortSignal and cancelling streams.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Client, SwillError } from "swill-client";
import {
  cancelFrame,
  hangGuard,
  opens,
  recordingWebSocket,
  sameBytes,
  seqOf,
  startDemo,
  type Demo,
} from "./helpers.js";

let demo: Demo;
let client: Client;
const wire = recordingWebSocket();

before(async () => {
  demo = await startDemo();
  client = await Client.connect(demo.url, { WebSocket: wire.WebSocket });
});

after(async () => {
  client.close();
  await demo.stop();
});

/** The error a promise rejects with, which must be a SwillError. */
async function failure(promise: Promise<unknown>): Promise<SwillError> {
  const error = await hangGuard(promise.then(() => assert.fail("expected a SwillError"), (e: unknown) => e));
  assert.ok(error instanceof SwillError, `not a SwillError: ${String(error)}`);
  return error;
}

describe("errors", () => {
  test("an unknown rpc is a SwillError 404, an Error too", async () => {
    const e = await failure(client.call("nope", null));
    assert.equal(e.code, 404);
    assert.equal(e.message, "No func was found to process this request");
    assert.equal(e.name, "SwillError");
    assert.ok(e instanceof Error);
    assert.match(e.stack ?? "", /SwillError|No func/);
    assert.equal(e.data, undefined);
  });

  test("a handler's error keeps its code and message", async () => {
    const e = await failure(client.call("fail", { code: 401, message: "nope" }));
    assert.equal(e.code, 401);
    assert.equal(e.message, "nope");
  });

  test("a validation error carries its data", async () => {
    const e = await failure(client.call("users.get", { id: 0 }));
    assert.equal(e.code, 422);
    assert.ok(e.data !== null && typeof e.data === "object" && "id" in e.data, `data: ${JSON.stringify(e.data)}`);
  });

  test("request data of the wrong type is a 400", async () => {
    const e = await failure(client.call("add", "not numbers"));
    assert.equal(e.code, 400);
  });

  test("a stream's error is thrown by the loop", async () => {
    const seen: unknown[] = [];
    const e = await failure(
      (async () => {
        for await (const n of client.stream("count", "three")) seen.push(n);
      })(),
    );
    assert.equal(e.code, 400);
    assert.deepEqual(seen, []);
  });

  test("a failed client stream rejects finish()", async () => {
    const tot = client.clientStream<bigint, number>("total");
    await tot.send(2n ** 62n);
    await tot.send(2n ** 62n);
    const e = await failure(tot.finish());
    assert.equal(e.code, 400);
    assert.match(e.message, /overflows/);
  });

  test("an error of one call leaves the others alone", async () => {
    const [bad, good] = await Promise.allSettled([client.call("nope"), client.call<number>("add", [2, 2])]);
    assert.equal(bad.status, "rejected");
    assert.deepEqual(good, { status: "fulfilled", value: 4 });
  });
});

describe("deadlines", () => {
  test("a call past its timeoutMs fails with 408", async () => {
    const started = Date.now();
    const e = await failure(client.call("sleep", 10_000, { timeoutMs: 100 }));
    assert.equal(e.code, 408);
    assert.ok(Date.now() - started < 5_000, "the deadline was not enforced");
    assert.equal(await client.call<number>("add", [1, 1]), 2);
  });

  test("a stream past its timeoutMs fails with 408", async () => {
    const up = client.bidi("upper", { timeoutMs: 100 });
    const e = await failure((async () => { for await (const _ of up) { /* nothing comes */ } })());
    assert.equal(e.code, 408);
  });

  test("a call within its deadline answers", async () => {
    assert.equal(await client.call("sleep", 1, { timeoutMs: 5_000 }), "done");
  });
});

describe("cancel", () => {
  test("an AbortSignal cancels a call: 499, CANCEL sent, the server drops the handler", async () => {
    const ctl = new AbortController();
    const mark = wire.frames.length;
    const aborted = client.call("sleep", 300, { signal: ctl.signal });
    const opening = await hangGuard(wire.waitFor((f) => opens(f, "sleep"), mark));
    const seq = seqOf(opening);
    ctl.abort("changed my mind");
    const e = await failure(aborted);
    assert.equal(e.code, 499);
    assert.equal(e.cause, "changed my mind");
    await hangGuard(wire.waitFor((f) => f.direction === "sent" && sameBytes(f, cancelFrame(seq, "sleep")), mark));
    // A longer sleep, started later on the same connection, answers after
    // the cancelled one would have: had the server kept that handler, its
    // answer would have come first.
    assert.equal(await client.call("sleep", 600), "done");
    const late = wire.frames.slice(mark).filter((f) => f.direction === "received" && seqOf(f) === seq);
    assert.deepEqual(late, [], "the server answered a cancelled call");
  });

  test("an already aborted signal fails at once, and nothing is sent", async () => {
    const sent = wire.frames.length;
    const e = await failure(client.call("add", [1, 2], { signal: AbortSignal.abort() }));
    assert.equal(e.code, 499);
    assert.equal(wire.frames.length, sent);
  });

  test("an AbortSignal cancels a stream being read", async () => {
    const ctl = new AbortController();
    const up = client.bidi<string, string>("upper", { signal: ctl.signal });
    await up.send("a");
    const seen: string[] = [];
    const e = await failure(
      (async () => {
        for await (const s of up) {
          seen.push(s);
          ctl.abort();
        }
      })(),
    );
    assert.equal(e.code, 499);
    assert.deepEqual(seen, ["A"]);
    await assert.rejects(up.send("b"), { code: 499 });
  });

  test("break in a for await cancels the stream", async () => {
    const seen: number[] = [];
    const mark = wire.frames.length;
    for await (const n of client.stream<number>("count", 1_000_000)) {
      seen.push(n);
      if (n === 2) break;
    }
    assert.deepEqual(seen, [0, 1, 2]);
    const opening = await wire.waitFor((f) => opens(f, "count"), mark);
    await hangGuard(wire.waitFor((f) => sameBytes(f, cancelFrame(seqOf(opening), "count")), mark));
    assert.equal(await client.call<number>("add", [3, 4]), 7);
  });

  test("cancel() ends a stream and sends CANCEL", async () => {
    const mark = wire.frames.length;
    const numbers = client.stream<number>("count", 1_000_000);
    const it = numbers[Symbol.asyncIterator]();
    assert.deepEqual(await it.next(), { value: 0, done: false });
    await numbers.cancel();
    assert.deepEqual(await it.next(), { value: undefined, done: true });
    const opening = await wire.waitFor((f) => opens(f, "count"), mark);
    await hangGuard(wire.waitFor((f) => sameBytes(f, cancelFrame(seqOf(opening), "count")), mark));
  });
});

describe("closing", () => {
  test("close() fails the calls in flight and later calls with 503", async () => {
    const own = await Client.connect(demo.url, { WebSocket: wire.WebSocket });
    const mark = wire.frames.length;
    const pending = own.call("sleep", 10_000);
    await hangGuard(wire.waitFor((f) => opens(f, "sleep"), mark));
    own.close();
    assert.equal((await failure(pending)).code, 503);
    assert.equal((await failure(own.call("add", [1, 2]))).code, 503);
  });

  test("connecting to a port nobody listens on fails with 503", async () => {
    const e = await failure(Client.connect("ws://127.0.0.1:1/ws", { WebSocket: wire.WebSocket }));
    assert.equal(e.code, 503);
  });
});
