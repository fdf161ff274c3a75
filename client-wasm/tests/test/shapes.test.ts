// The four call shapes, metadata and values, against the demo server.

import assert from "node:assert/strict";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { WebSocket, WebSocketServer } from "ws";
import { Client, SwillError, type CallResult, type Metadata, type Value } from "swill-client";
import { hangGuard, startDemo, type Demo } from "./helpers.js";

let demo: Demo;
let client: Client;

before(async () => {
  demo = await startDemo();
  client = await Client.connect(demo.url, { WebSocket });
});

after(async () => {
  client.close();
  await demo.stop();
});

describe("call shapes", () => {
  test("a unary call answers", async () => {
    const sum = await client.call<number>("add", [1, 2]);
    assert.equal(sum, 3);
  });

  test("a server stream yields every item, then ends", async () => {
    const numbers: number[] = [];
    for await (const n of client.stream<number>("count", 3)) numbers.push(n);
    assert.deepEqual(numbers, [0, 1, 2]);
  });

  test("an empty server stream ends at once", async () => {
    const numbers: number[] = [];
    for await (const n of client.stream<number>("count", 0)) numbers.push(n);
    assert.deepEqual(numbers, []);
  });

  test("a bidirectional call answers while its requests still flow", async () => {
    const up = client.bidi<string, string>("upper");
    const answers = up[Symbol.asyncIterator]();
    await up.send("a");
    assert.deepEqual(await hangGuard(answers.next()), { value: "A", done: false });
    await up.send("b");
    await up.end();
    assert.deepEqual(await answers.next(), { value: "B", done: false });
    assert.deepEqual(await answers.next(), { value: undefined, done: true });
  });

  test("a bidirectional call as in the README", async () => {
    const up = client.bidi<string, string>("upper");
    await up.send("a");
    await up.end();
    const seen: string[] = [];
    for await (const s of up) seen.push(s);
    assert.deepEqual(seen, ["A"]);
  });

  test("a client stream sends its requests and finishes with the answer", async () => {
    const tot = client.clientStream<number, number>("total");
    await tot.send(1);
    await tot.send(2);
    assert.equal(await tot.finish(), 3);
  });

  test("finish() twice gives the same answer", async () => {
    const tot = client.clientStream<number, number>("total");
    await tot.send(4);
    const [first, second] = await Promise.all([tot.finish(), tot.finish()]);
    assert.equal(first, 4);
    assert.equal(second, 4);
    assert.equal(await tot.finish(), 4);
  });

  test("after end(), a bidirectional call takes no more requests", async () => {
    const up = client.bidi<string, string>("upper");
    await up.send("a");
    await up.end();
    await up.end(); // once is enough; again is harmless
    await assert.rejects(up.send("b"), { name: "SwillError", code: 499 });
    const seen: string[] = [];
    for await (const s of up) seen.push(s);
    assert.deepEqual(seen, ["A"]);
  });

  test("a client stream with no request answers too", async () => {
    const tot = client.clientStream<number, number>("total");
    assert.equal(await tot.finish(), 0);
  });

  test("many calls are in flight at once on one connection", async () => {
    const sums = await Promise.all(Array.from({ length: 200 }, (_, i) => client.call<number>("add", [i, i])));
    assert.deepEqual(sums, Array.from({ length: 200 }, (_, i) => 2 * i));
  });

  test("requests sent before the call is open keep their order", async () => {
    const up = client.bidi<string, string>("upper");
    const sends = ["a", "b", "c", "d"].map((s) => up.send(s));
    await Promise.all(sends);
    await up.end();
    const seen: string[] = [];
    for await (const s of up) seen.push(s);
    assert.deepEqual(seen, ["A", "B", "C", "D"]);
  });
});

describe("metadata", () => {
  test("request metadata comes back as leading and trailing metadata", async () => {
    const metadata = { x: "1", attempt: 2, tags: ["a", "b"] };
    const r: CallResult<string> = await client.callWithMetadata<string>("echo_meta", "hi", { metadata });
    assert.equal(r.data, "hi");
    assert.deepEqual(r.leadingMetadata, metadata);
    assert.deepEqual(r.trailingMetadata, metadata);
  });

  test("the issue's example: metadata, a timeout and a signal together", async () => {
    const ctl = new AbortController();
    const r = await client.callWithMetadata("echo_meta", "hi", {
      metadata: { x: "1" },
      timeoutMs: 500,
      signal: ctl.signal,
    });
    assert.equal(r.data, "hi");
    assert.equal(r.leadingMetadata["x"], "1");
    assert.equal(r.trailingMetadata["x"], "1");
    // The deadline travels as the reserved key `swill-timeout`, in milliseconds.
    assert.equal(r.leadingMetadata["swill-timeout"], 500);
  });

  test("a traceparent travels as W3C trace context metadata", async () => {
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const r = await client.callWithMetadata("echo_meta", "hi", { traceparent, tracestate: "vendor=1" });
    assert.equal(r.trailingMetadata["traceparent"], traceparent);
    assert.equal(r.trailingMetadata["tracestate"], "vendor=1");
    await assert.rejects(client.call("add", [1, 2], { traceparent: "not-a-trace" }), (e: SwillError) => {
      assert.equal(e.code, 400);
      assert.match(e.message, /traceparent/);
      return true;
    });
  });

  test("no metadata comes back as empty objects", async () => {
    const r = await client.callWithMetadata<number>("add", [2, 3]);
    assert.deepEqual(r, { data: 5, leadingMetadata: {}, trailingMetadata: {} });
  });

  test("streams expose their metadata once they have ended", async () => {
    const numbers = client.stream<number>("count", 2, { metadata: { tenant: "acme" } });
    assert.equal(numbers.trailingMetadata, undefined);
    const seen: number[] = [];
    for await (const n of numbers) seen.push(n);
    assert.deepEqual(seen, [0, 1]);
    assert.deepEqual(numbers.leadingMetadata, {});
    assert.deepEqual(numbers.trailingMetadata, {});
  });

  test("a client stream exposes the metadata of its answer", async () => {
    const tot = client.clientStream<number, number>("total", { metadata: { k: "v" } });
    await tot.send(5);
    assert.equal(await tot.finish(), 5);
    const empty: Metadata = {};
    assert.deepEqual(tot.leadingMetadata, empty);
    assert.deepEqual(tot.trailingMetadata, empty);
  });

  test("metadata must be an object with string keys", async () => {
    await assert.rejects(client.call("add", [1, 2], { metadata: new Map([[1, "x"]]) as never }), {
      name: "SwillError",
      code: 400,
    });
  });
});

describe("values", () => {
  const echo = (value: unknown) => client.call("echo_meta", value);

  test("JSON-like values make the round trip unchanged", async () => {
    const value = {
      int: 42,
      negative: -7,
      float: 1.5,
      text: "héllo ✓",
      yes: true,
      nothing: null,
      list: [1, "two", [3], { four: 4 }],
      nested: { a: { b: { c: [] } } },
    };
    assert.deepEqual(await echo(value), value);
  });

  test("-0 keeps its sign (a float, where other integral numbers travel as ints)", async () => {
    assert.ok(Object.is(await echo(-0), -0));
    assert.ok(Object.is(await echo(0), 0));
  });

  test("Uint8Array travels as bin and comes back as Uint8Array", async () => {
    const bytes = new Uint8Array([0, 1, 2, 254, 255]);
    const back = await echo({ bytes, buffer: Buffer.from("hi") });
    assert.deepEqual(back, { bytes, buffer: new Uint8Array([104, 105]) });
  });

  test("integers beyond 2^53 come back as bigint, within it as number", async () => {
    const back = await echo([2n ** 60n, -(2n ** 62n), 2n ** 64n - 1n, 12n, Number.MAX_SAFE_INTEGER]);
    assert.deepEqual(back, [2n ** 60n, -(2n ** 62n), 2n ** 64n - 1n, 12, Number.MAX_SAFE_INTEGER]);
  });

  test("a bigint beyond 64 bits cannot be sent", async () => {
    await assert.rejects(echo(2n ** 64n), { name: "SwillError", code: 400 });
  });

  test("undefined properties are left out, as JSON does; undefined alone is nil", async () => {
    assert.deepEqual(await echo({ a: 1, b: undefined }), { a: 1 });
    assert.equal(await echo(undefined), null);
  });

  test("a map with non-string keys comes back as a Map", async () => {
    const map = new Map<Value, Value>([
      [1, "one"],
      [2, "two"],
    ]);
    assert.deepEqual(await echo(map), map);
    assert.deepEqual(await echo(new Map([["k", 1]])), { k: 1 });
  });

  test("dates go as their ISO string, like JSON", async () => {
    const when = new Date(Date.UTC(2024, 0, 2, 3, 4, 5));
    assert.equal(await echo(when), "2024-01-02T03:04:05.000Z");
  });

  test("a key named __proto__ stays an ordinary key", async () => {
    const back = (await echo(JSON.parse('{"__proto__": {"polluted": true}}'))) as Record<string, Value>;
    assert.deepEqual(Object.keys(back), ["__proto__"]);
    assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
  });

  test("functions and cyclic values cannot be sent", async () => {
    await assert.rejects(echo({ f: () => 1 }), { code: 400 });
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    await assert.rejects(echo(cyclic), { code: 400 });
  });

  test("structs arrive as objects keyed by field name", async () => {
    interface User {
      id: number;
      name: string;
      email: string;
    }
    const user = await client.call<User>("users.get", { id: 1 });
    assert.deepEqual(user, { id: 1, name: "Ada Lovelace", email: "ada@example.com" });
  });
});

describe("the JSON encoding", () => {
  test("every call shape, metadata and errors work over swill.v1.json", async () => {
    const json = await Client.connect(demo.url, { WebSocket, encoding: "json" });
    try {
      assert.equal(await json.call<number>("add", [1, 2]), 3);
      const numbers: number[] = [];
      for await (const n of json.stream<number>("count", 3)) numbers.push(n);
      assert.deepEqual(numbers, [0, 1, 2]);
      const tot = json.clientStream<number, number>("total");
      await tot.send(40);
      await tot.send(2);
      assert.equal(await tot.finish(), 42);
      const r = await json.callWithMetadata("echo_meta", "hi", { metadata: { k: "v" } });
      assert.deepEqual(r, { data: "hi", leadingMetadata: { k: "v" }, trailingMetadata: { k: "v" } });
      // Integers travel exactly, even beyond 2^53.
      assert.equal(await json.call("echo_meta", 2n ** 60n + 1n), 2n ** 60n + 1n);
      // Floats come back to the last bit, strings to the last character
      // (escapes, control characters, astral planes), as over MessagePack.
      const values = {
        floats: [0.1, -2.5e-7, 3.141592653589793, 1.7976931348623157e308, 5e-324, 123456.789e3],
        text: 'q"uote \\ back/slash \n\t\u0001 é € 😀',
        nested: { "": [null, true, false, [], {}], "k\u0000": -(2 ** 53) + 1 },
      };
      assert.deepEqual(await json.call("echo_meta", values), values);
      assert.deepEqual(await json.call("echo_meta", values), await client.call("echo_meta", values));
      await assert.rejects(json.call("fail", { code: 418, message: "teapot" }), (e: SwillError) => {
        assert.equal(e.code, 418);
        assert.equal(e.message, "teapot");
        return true;
      });
    } finally {
      json.close();
    }
  });

  test("over JSON, a number beyond a float64 ends the connection with why; one below it reads as 0", async () => {
    // A hand-written server, since ours never writes such numbers: the
    // wasm parses JSON floats with JavaScript's parseFloat, and these are
    // its two edges.
    const server = new WebSocketServer({ host: "127.0.0.1", port: 0, handleProtocols: () => "swill.v1.json" });
    await once(server, "listening");
    const answers = ["1e400", "1e-400", "-0.0"];
    server.on("connection", (socket) => {
      socket.on("message", (data) => {
        const [seq] = JSON.parse(String(data)) as [number];
        socket.send(`[${seq},${answers.shift()},0,null,null]`);
      });
    });
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`;
    const json = await Client.connect(url, { WebSocket, encoding: "json", checkShapes: false });
    try {
      await assert.rejects(json.call("x"), (e: SwillError) => {
        assert.equal(e.code, SwillError.UNAVAILABLE);
        assert.match(e.message, /not JSON.*too large for a float/);
        return true;
      });
      // The next call connects again.
      assert.equal(await json.call("x"), 0);
      assert.ok(Object.is(await json.call("x"), -0));
    } finally {
      json.close();
      server.close();
    }
  });

  test("an unknown encoding is refused", async () => {
    await assert.rejects(
      Client.connect(demo.url, { WebSocket, encoding: "xml" as "json" }),
      (e: SwillError) => {
        assert.equal(e.code, 400);
        assert.match(e.message, /encoding/);
        return true;
      },
    );
  });
});

describe("a call with the wrong shape", () => {
  // Each would wait forever without the check: a unary answer looks like a
  // stream's first item with no end to follow, and an rpc that takes a
  // request stream waits for more after a unary call's one message. The
  // hang guard makes a regression a failure, not a stuck run.
  const wrong = async (promise: Promise<unknown>): Promise<SwillError> => {
    const error = await hangGuard(promise.then(() => assert.fail("expected a SwillError"), (e: unknown) => e));
    assert.ok(error instanceof SwillError, `not a SwillError: ${String(error)}`);
    return error;
  };

  test("a stream of a unary rpc fails with 400, naming its shape", async () => {
    const items = async () => {
      for await (const _ of client.stream<number>("add", [1, 2])) {
        // A call made before the server's shapes arrived may see the answer
        // as an item first; the error follows.
      }
    };
    const e = await wrong(items());
    assert.equal(e.code, SwillError.BAD_REQUEST);
    assert.match(e.message, /`add` is a unary rpc/);
  });

  test("a unary call of a client-streaming rpc fails with 400", async () => {
    const e = await wrong(client.call("total", 5));
    assert.equal(e.code, 400);
    assert.match(e.message, /`total` is a client streaming rpc/);
  });

  test("the connection is fine afterwards", async () => {
    assert.equal(await client.call<number>("add", [2, 3]), 5);
  });
});

test("checkShapes: false leaves the wrong shape to the deadline", async () => {
  const unchecked = await Client.connect(demo.url, { WebSocket, checkShapes: false });
  try {
    const items: number[] = [];
    const run = async () => {
      for await (const n of unchecked.stream<number>("add", [1, 2], { timeoutMs: 300 })) items.push(n);
    };
    const e = await hangGuard(run().then(() => assert.fail("expected a SwillError"), (e: unknown) => e));
    assert.ok(e instanceof SwillError);
    assert.equal(e.code, SwillError.DEADLINE_EXCEEDED);
    assert.deepEqual(items, [3], "the unary answer arrived as an item");
  } finally {
    unchecked.close();
  }
});
