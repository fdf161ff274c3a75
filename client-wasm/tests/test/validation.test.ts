// What a web developer gets wrong gets a clear SwillError (400), not
// silence, a hang or a crashed process.

import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:net";
import { after, before, test } from "node:test";
import { WebSocket } from "ws";
import { Client, SwillError } from "swill-client";
import { startDemo, type Demo } from "./helpers.js";

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

/** Asserts that `promise` rejects with a SwillError 400 whose message matches. */
async function refused(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof SwillError, String(e));
    assert.equal(e.code, 400, e.message);
    assert.match(e.message, message);
    return true;
  });
}

test("a server that accepts TCP but never answers the upgrade: a SwillError, and the process lives", async () => {
  const silent = createServer();
  silent.listen(0, "127.0.0.1");
  await once(silent, "listening");
  const address = silent.address();
  const port = typeof address === "object" && address ? address.port : 0;
  // The client's socket, to see it close: `ws` emits `error` then `close`
  // when a socket is closed before its upgrade, and an `error` nobody
  // listens to would kill the process.
  let closed: Promise<void> | undefined;
  class Watched extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      closed = new Promise((resolve) => this.addEventListener("close", () => resolve()));
    }
  }
  const connecting = Client.connect(`ws://127.0.0.1:${port}/ws`, {
    WebSocket: Watched as unknown as typeof WebSocket,
    connectTimeoutMs: 100,
    reconnect: false,
  });
  await assert.rejects(connecting, (e: unknown) => e instanceof SwillError && /within 100 ms/.test(e.message));
  await closed;
  await new Promise((resolve) => setImmediate(resolve));
  silent.close();
  assert.equal(await client.call<number>("add", [1, 1]), 2);
});

test("call options out of range are refused", async () => {
  await refused(client.call("add", [1, 2], { timeoutMs: -1 }), /timeoutMs/);
  await refused(client.call("add", [1, 2], { timeoutMs: Number.NaN }), /timeoutMs/);
  // Beyond what setTimeout can wait (it would fire at once).
  await refused(client.call("add", [1, 2], { timeoutMs: 3e9 }), /timeoutMs.*2147483647/);
  await refused(client.call("add", [1, 2], { metadata: { "swill-timeout": 5 } }), /reserved.*timeoutMs/);
});

test("options of the wrong type are refused, naming the field", async () => {
  const wrong = <T>(value: unknown) => value as T;
  await refused(client.call("add", [1, 2], { timeoutMs: wrong("5") }), /`timeoutMs` must be a number \(got string\)/);
  await refused(client.call("add", [1, 2], { traceparent: wrong(7) }), /`traceparent` must be a string/);
  await refused(client.call("add", [1, 2], wrong(5)), /bad call options: expected an object/);
  const url = demo.url;
  await refused(Client.connect(url, { WebSocket, onStateChange: wrong(5) }), /`onStateChange` must be a function/);
  await refused(Client.connect(url, { WebSocket, checkShapes: wrong("no") }), /`checkShapes` must be a boolean/);
  await refused(Client.connect(url, { WebSocket, encoding: wrong("xml") }), /encoding.*msgpack.*json/);
  await refused(Client.connect(url, { WebSocket, reconnect: { jitter: wrong("0.1") } }), /`jitter` must be a number/);
  assert.throws(() => client.subscribe("chat", { onMissed: wrong(1) }), /`onMissed` must be a function/);
  await refused(client.call("add", [1, 2], { signal: wrong(5) }), /`signal` must be an AbortSignal/);
  await refused(client.call("add", [1, 2], { tracestate: wrong(5) }), /`tracestate` must be a string/);
  // For these options `null` is the same as leaving them out.
  assert.equal(await client.call<number>("add", [1, 2], { timeoutMs: wrong(null), metadata: wrong(null) }), 3);
});

test("connect options out of range are refused", async () => {
  const url = demo.url;
  await refused(Client.connect(url, { WebSocket, reconnect: { multiplier: -1 } }), /multiplier/);
  await refused(Client.connect(url, { WebSocket, reconnect: { jitter: 2 } }), /jitter/);
  await refused(Client.connect(url, { WebSocket, reconnect: { maxAttempts: 1.5 } }), /maxAttempts/);
  await refused(Client.connect(url, { WebSocket, reconnect: { initialBackoffMs: -5 } }), /initialBackoffMs/);
  await refused(Client.connect(url, { WebSocket, connectTimeoutMs: 0 }), /connectTimeoutMs/);
  await refused(Client.connect(url, { WebSocket, connectTimeoutMs: 1e10 }), /connectTimeoutMs/);
  await refused(Client.connect(url, { WebSocket, reconnect: { maxBackoffMs: 1e23 } }), /maxBackoffMs/);
  // A session id travels as a subprotocol token: refused here, by name.
  await refused(Client.connect(url, { WebSocket, session: "a b" }), /`session`/);
  await refused(
    Client.connect(url, { WebSocket: 42 as unknown as typeof WebSocket }),
    /WebSocket.*class.*number/,
  );
});

test("names that are not strings are a SwillError 400, never a crash in the wasm", async () => {
  const wrong = <T>(value: unknown) => value as T;
  await refused(client.call(wrong(5), 1), /rpc name must be a string, not a number/);
  await refused(client.callWithMetadata(wrong(null), 1), /rpc name must be a string/);
  await refused(client.publish(wrong({}), 1), /topic name must be a string/);
  await refused(client.presence(wrong(5)), /topic name must be a string/);
  await refused(client.stream(wrong(5), 1)[Symbol.asyncIterator]().next(), /rpc name must be a string/);
  assert.throws(() => client.subscribe(wrong(5)), /topic name must be a string/);
  await refused(Client.connect(wrong(5), { WebSocket }), /URL must be a string or a URL object/);
  // A URL object is a URL.
  const byUrl = await Client.connect(new URL(demo.url), { WebSocket });
  assert.equal(await byUrl.call<number>("add", [1, 2]), 3);
  byUrl.close();
  // The client is still fine.
  assert.equal(await client.call<number>("add", [2, 2]), 4);
});

test("options that cannot be read or are not what they claim are refused", async () => {
  const wrong = <T>(value: unknown) => value as T;
  const throwing = {
    get timeoutMs(): number {
      throw new Error("boom");
    },
  };
  await refused(client.call("add", [1, 2], throwing), /reading `timeoutMs` threw: boom/);
  await refused(client.call("add", [1, 2], { signal: wrong({}) }), /`signal` must be an AbortSignal/);
  await refused(Client.connect(demo.url, { WebSocket, reconnect: wrong("no") }), /`reconnect` must be reconnect options or false/);
  await refused(Client.connect(demo.url, { WebSocket: wrong(class {}), reconnect: false }), /WebSocket.*no `send`/);
});

test("values: a getter or toJSON that throws is a 400 that says so; wrapped primitives travel as their value", async () => {
  const getter = {
    get x(): number {
      throw new Error("boom");
    },
  };
  await refused(client.call("echo_meta", getter), /reading `x` threw: boom/);
  const toJson = {
    toJSON(): never {
      throw new Error("bad date");
    },
  };
  await refused(client.call("echo_meta", toJson), /toJSON\(\) threw: bad date$/);
  // eslint-disable-next-line no-new-wrappers
  const wrapped = [new Number(5), new String("s"), new Boolean(false)];
  assert.deepEqual(await client.call("echo_meta", wrapped), [5, "s", false]);
});

test("values: a Proxy whose traps throw, or a revoked one, is a 400 from a promise, not a throw out of call()", async () => {
  const keysThrow = new Proxy({}, {
    ownKeys(): never {
      throw new Error("no keys");
    },
  });
  // Each call returns a promise (no synchronous throw), which rejects.
  const calls = [
    () => client.call("echo_meta", keysThrow),
    () => client.call("echo_meta", [1, keysThrow]),
    () => client.call("echo_meta", 1, { metadata: keysThrow as Record<string, never> }),
  ];
  for (const call of calls) {
    const promise = call();
    assert.ok(promise instanceof Promise);
    await refused(promise, /threw: no keys/);
  }
  const prototypeThrows = new Proxy({}, {
    getPrototypeOf(): never {
      throw new Error("no prototype");
    },
  });
  await refused(client.call("echo_meta", prototypeThrows), /reading the value threw: no prototype/);
  // A Proxy of a Map passes instanceof, then Map's methods refuse it.
  await refused(client.call("echo_meta", new Proxy(new Map([[1, 2]]), {})), /reading the Map threw/);
  // Proxies whose traps work travel as what they stand for.
  assert.deepEqual(await client.call("echo_meta", new Proxy([1, { a: 2 }], {})), [1, { a: 2 }]);
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  await refused(client.call("echo_meta", proxy), /reading the value threw: .*revoked/);
  // The client is unharmed.
  assert.equal(await client.call<number>("add", [1, 2]), 3);
});

test("a built-in rpc called with the wrong method fails at once", async () => {
  // swill.introspect streams; introspection does not list itself.
  await refused(client.call("swill.introspect"), /server streaming rpc/);
});

test("values that would travel as {} are refused", async () => {
  await refused(client.call("echo_meta", new Set([1, 2])), /Set/);
  await refused(client.call("echo_meta", { pattern: /a+/ }), /RegExp/);
  await refused(client.call("echo_meta", new Error("boom")), /Error/);
  // Host objects name themselves (Symbol.toStringTag) and keep their contents elsewhere.
  await refused(client.call("echo_meta", new Blob(["x"])), /a Blob cannot be sent/);
  await refused(client.call("echo_meta", { q: new URLSearchParams("a=1") }), /a URLSearchParams cannot be sent/);
  // One that says how to travel (toJSON) does; so does a class of one's own.
  assert.equal(await client.call("echo_meta", new URL("http://h/p")), "http://h/p");
  class Point {
    x = 1;
    get [Symbol.toStringTag](): string {
      return "Point";
    }
  }
  assert.deepEqual(await client.call("echo_meta", new Point()), { x: 1 });
  // What can travel still does.
  assert.deepEqual(await client.call("echo_meta", { list: [...new Set([1, 2])] }), { list: [1, 2] });
});

test("an onStateChange that throws is reported on the console, and the client works on", async () => {
  const logged: unknown[][] = [];
  const error = console.error;
  console.error = (...args: unknown[]) => void logged.push(args);
  try {
    const c = await Client.connect(demo.url, {
      WebSocket,
      onStateChange: () => {
        throw new Error("my bug");
      },
    });
    assert.equal(await c.call<number>("add", [1, 2]), 3);
    c.close();
  } finally {
    console.error = error;
  }
  assert.ok(logged.some(([what, e]) => String(what).includes("onStateChange threw") && String(e).includes("my bug")), String(logged));
});
