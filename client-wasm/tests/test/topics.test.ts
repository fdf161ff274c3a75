// Topics against the demo server's `chat` (history 1000, open to all):
// subscribe, publish, presence, resuming from a position, lost
// publications, refusals, unsubscribing three ways, and a subscription
// that outlives its server (killed, restarted on the same port).
//
// The tests of this file run one after the other on one demo server; each
// leaves no subscriber behind, and compares offsets with the positions it
// was given rather than with fixed numbers.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { WebSocket } from "ws";
import { Client, SwillError, type Missed, type Position, type Publication, type Subscription } from "swill-client";
import {
  cancelFrame,
  eventually,
  freePort,
  hangGuard,
  opens,
  recordingWebSocket,
  sameBytes,
  seqOf,
  startDemo,
  type Demo,
} from "./helpers.js";

let demo: Demo;
/** Subscribes, in most tests. */
let client: Client;
/** Publishes and asks for presence: another connection. */
let publisher: Client;

before(async () => {
  demo = await startDemo();
  client = await Client.connect(demo.url, { WebSocket });
  publisher = await Client.connect(demo.url, { WebSocket });
});

after(async () => {
  client.close();
  publisher.close();
  await demo.stop();
});

/** Reads `count` publications, then leaves the `for await` (which unsubscribes). */
async function take<T>(sub: Subscription<T>, count: number): Promise<Publication<T>[]> {
  const seen: Publication<T>[] = [];
  if (count === 0) return seen;
  await hangGuard(
    (async () => {
      for await (const p of sub) {
        seen.push(p);
        if (seen.length === count) break;
      }
    })(),
    10_000,
    `reading ${count} publications`,
  );
  return seen;
}

/** Waits until nobody is subscribed to `chat`. */
async function nobodySubscribed(): Promise<void> {
  await eventually(async () => (await publisher.presence("chat")).length === 0, "presence of chat is empty");
}

describe("topics", () => {
  test("publications from another client arrive in order, with their positions", async () => {
    const sub = client.subscribe<string>("chat");
    assert.equal(sub.topic, "chat");
    const start = await hangGuard(sub.ready);
    assert.ok(start && typeof start.epoch === "string" && start.epoch.length > 0);
    assert.deepEqual(sub.position, start);

    const texts = ["one", "two", "three"];
    const positions: Position[] = [];
    for (const text of texts) positions.push(await publisher.publish("chat", text));
    assert.deepEqual(
      positions,
      texts.map((_, i) => ({ epoch: start.epoch, offset: start.offset + 1 + i })),
    );

    const got = await take(sub, 3);
    assert.deepEqual(
      got,
      texts.map((data, i) => ({ ...positions[i]!, data })),
    );
    assert.deepEqual(sub.position, positions[2]);
    assert.equal(sub.missed, 0);
    await nobodySubscribed();
  });

  test("any value travels: objects, bytes, big integers", async () => {
    const sub = client.subscribe("chat");
    await sub.ready;
    const values = [{ user: "ada", text: "hi", tags: ["a"] }, new Uint8Array([1, 2, 3]), 2n ** 60n, null];
    for (const value of values) await publisher.publish("chat", value);
    const got = await take(sub, values.length);
    assert.deepEqual(
      got.map((p) => p.data),
      values,
    );
    await nobodySubscribed();
  });

  test("presence lists the subscriber; break unsubscribes with a CANCEL frame", async () => {
    const wire = recordingWebSocket();
    const own = await Client.connect(demo.url, { WebSocket: wire.WebSocket });
    try {
      const sub = own.subscribe<number>("chat");
      await hangGuard(sub.ready);
      const opening = wire.frames.find((f) => opens(f, "swill.subscribe"));
      assert.ok(opening, "the subscribe frame went out");
      const present = await publisher.presence("chat");
      assert.equal(present.length, 1);
      assert.equal(typeof present[0]!.node, "string");
      assert.equal(typeof present[0]!.connection, "number");

      await publisher.publish("chat", 1);
      const cancel = cancelFrame(seqOf(opening), "swill.subscribe");
      const cancelled = wire.waitFor((f) => f.direction === "sent" && sameBytes(f, cancel));
      assert.deepEqual(
        (await take(sub, 1)).map((p) => p.data),
        [1],
      );
      await hangGuard(cancelled, 10_000, "the CANCEL frame");
      await nobodySubscribed();
      // The iterator is done for good.
      assert.deepEqual(await sub[Symbol.asyncIterator]().next(), { value: undefined, done: true });
    } finally {
      own.close();
    }
  });

  test("unsubscribe() ends a pending next() with done", async () => {
    const sub = client.subscribe("chat");
    await sub.ready;
    const pending = sub[Symbol.asyncIterator]().next();
    sub.unsubscribe();
    assert.deepEqual(await hangGuard(pending), { value: undefined, done: true });
    await nobodySubscribed();
  });

  test("an AbortSignal unsubscribes: the iteration throws 499 with the signal's reason", async () => {
    const controller = new AbortController();
    const sub = client.subscribe("chat", { signal: controller.signal });
    await hangGuard(sub.ready);
    const seen: unknown[] = [];
    const loop = (async () => {
      for await (const p of sub) seen.push(p.data);
    })();
    await publisher.publish("chat", "before");
    await eventually(async () => seen.length === 1, "the first publication arrived");
    controller.abort("enough");
    await assert.rejects(hangGuard(loop), (e: unknown) => {
      assert.ok(e instanceof SwillError);
      assert.equal(e.code, 499);
      assert.equal(e.cause, "enough");
      return true;
    });
    await nobodySubscribed();
    await publisher.publish("chat", "after");
    assert.deepEqual(seen, ["before"]);
  });

  test("an already aborted signal never subscribes", async () => {
    const sub = client.subscribe("chat", { signal: AbortSignal.abort("no") });
    await assert.rejects(sub.ready, { code: 499 });
    const it = sub[Symbol.asyncIterator]();
    await assert.rejects(it.next(), { code: 499, cause: "no" });
    assert.deepEqual(await it.next(), { value: undefined, done: true });
  });

  test("since resumes exactly what was missed", async () => {
    const first = await publisher.publish("chat", "m1");
    const second = await publisher.publish("chat", "m2");
    const third = await publisher.publish("chat", "m3");
    const missed: Missed[] = [];
    const sub = client.subscribe<string>("chat", { since: first, onMissed: (m) => missed.push(m) });
    assert.deepEqual(await take(sub, 2), [
      { ...second, data: "m2" },
      { ...third, data: "m3" },
    ]);
    assert.deepEqual(missed, []);
    await nobodySubscribed();
  });

  test("a position from an unknown epoch calls onMissed, then publications follow", async () => {
    const missed: Missed[] = [];
    const order: string[] = [];
    const since = { epoch: "not-an-epoch", offset: 5 };
    const sub = client.subscribe<string>("chat", {
      since,
      onMissed: (m) => {
        missed.push(m);
        order.push("missed");
      },
    });
    const now = await hangGuard(sub.ready);
    assert.ok(now);
    assert.notEqual(now.epoch, since.epoch);
    assert.deepEqual(missed, [{ last: since, now }]);
    assert.equal(sub.missed, 1);
    const next = await publisher.publish("chat", "fresh");
    for (const p of await take(sub, 1)) order.push(`${p.offset}:${p.data}`);
    assert.deepEqual(order, ["missed", `${next.offset}:fresh`]);
    assert.equal(next.offset, now.offset + 1);
    await nobodySubscribed();
  });

  test("an undeclared topic: the first next() rejects with SwillError 404", async () => {
    const sub = client.subscribe("no-such-topic");
    await assert.rejects(sub.ready, { name: "SwillError", code: 404 });
    await assert.rejects(
      (async () => {
        for await (const _ of sub) assert.fail("no publication");
      })(),
      (e: unknown) => e instanceof SwillError && e.code === 404,
    );
    // Thrown once; then the iteration is over.
    assert.deepEqual(await sub[Symbol.asyncIterator]().next(), { value: undefined, done: true });
    // Straight in a for await, as one would write it.
    await assert.rejects(
      (async () => {
        for await (const _ of client.subscribe("no-such-topic")) assert.fail("no publication");
      })(),
      { code: 404 },
    );
    await assert.rejects(publisher.publish("no-such-topic", 1), { name: "SwillError", code: 404 });
    await assert.rejects(publisher.presence("no-such-topic"), { code: 404 });
  });

  test("malformed options throw at once", () => {
    const bad = (options: unknown) => () => client.subscribe("chat", options as never);
    assert.throws(bad({ since: { epoch: 1, offset: 0 } }), { name: "SwillError", code: 400 });
    assert.throws(bad({ since: { epoch: "e", offset: -1 } }), { code: 400 });
    assert.throws(bad({ onMissed: 42 }), { code: 400 });
    assert.throws(bad({ signal: "stop" }), { code: 400 });
  });

  test("client.close() ends a subscription with 503", async () => {
    const own = await Client.connect(demo.url, { WebSocket });
    const sub = own.subscribe("chat");
    await sub.ready;
    const pending = sub[Symbol.asyncIterator]().next();
    own.close();
    await assert.rejects(hangGuard(pending), { name: "SwillError", code: 503 });
    await nobodySubscribed();
  });
});

describe("a subscription outlives its server", () => {
  test("killed and restarted on the same port: onMissed (a new epoch), then new publications", async () => {
    const port = await freePort();
    let server = await startDemo(`127.0.0.1:${port}`);
    const own = await Client.connect(server.url, {
      WebSocket,
      reconnect: { initialBackoffMs: 20, maxBackoffMs: 200, maxAttempts: 200, jitter: 0 },
    });
    try {
      const order: string[] = [];
      let sawMissed!: (m: Missed) => void;
      const missedOnce = new Promise<Missed>((resolve) => (sawMissed = resolve));
      const sub = own.subscribe<string>("chat", {
        onMissed: (m) => {
          order.push("missed");
          sawMissed(m);
        },
      });
      const it = sub[Symbol.asyncIterator]();
      await hangGuard(sub.ready);
      const before = await own.publish("chat", "before");
      const first = await hangGuard(it.next());
      assert.deepEqual(first, { value: { ...before, data: "before" }, done: false });

      // A next() is waiting when the server dies without a close frame.
      const waiting = it.next();
      await server.kill();
      server = await startDemo(`127.0.0.1:${port}`);

      // The subscription reconnects and resubscribes from its position by
      // itself; the restarted in-memory engine has a new epoch, so what
      // came before cannot be recovered: onMissed says so.
      const missed = await hangGuard(missedOnce, 20_000, "onMissed after the restart");
      assert.deepEqual(missed.last, before);
      assert.notEqual(missed.now.epoch, before.epoch);
      assert.equal(sub.missed, 1);

      const other = await Client.connect(server.url, { WebSocket });
      try {
        const after = await other.publish("chat", "after");
        assert.equal(after.epoch, missed.now.epoch);
        const next = await hangGuard(waiting);
        order.push("publication");
        assert.deepEqual(next, { value: { ...after, data: "after" }, done: false });
        assert.deepEqual(order, ["missed", "publication"]);
        assert.equal((await other.presence("chat")).length, 1);
      } finally {
        other.close();
      }
      assert.equal((await it.return!()).done, true);
    } finally {
      own.close();
      await server.stop();
    }
  });
});
