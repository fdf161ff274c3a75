// Sessions from TypeScript, in Node with `ws`: the client learns the id the
// server issues, resumes a saved one, and keeps its session when it
// reconnects to another node sharing the same Redis.

import assert from "node:assert/strict";
import { test } from "node:test";
import { WebSocket } from "ws";
import { Client, SwillError } from "swill-client";
import { freePort, hangGuard, startDemo, startRedis } from "./helpers.js";

test("the client learns its session id and a new client resumes it", async () => {
  const demo = await startDemo();
  try {
    const first = await Client.connect(demo.url, { WebSocket });
    const id = first.session;
    assert.match(id ?? "", /^[0-9a-f]{32}$/);
    await first.call("session.put", { key: "theme", value: "dark" });
    first.close();
    const again = await Client.connect(demo.url, { WebSocket, session: id! });
    assert.equal(await again.call<string | null>("session.get", "theme"), "dark");
    assert.equal(again.session, id);
    again.close();
    // A forged id is a new, empty session, not an error.
    const forged = await Client.connect(demo.url, { WebSocket, session: "0123456789abcdef0123456789abcdef" });
    assert.equal(await forged.call<string | null>("session.get", "theme"), null);
    assert.notEqual(forged.session, "0123456789abcdef0123456789abcdef");
    forged.close();
  } finally {
    await demo.stop();
  }
});

test("reconnecting to another node keeps the session", async () => {
  const redis = await startRedis();
  const port = await freePort();
  let node = await startDemo(`127.0.0.1:${port}`, ["--redis", redis.url, "--node", "one"]);
  try {
    const client = await Client.connect(node.url, {
      WebSocket,
      reconnect: { initialBackoffMs: 20, maxBackoffMs: 200, maxAttempts: 200, jitter: 0 },
    });
    await client.call("session.put", { key: "cart", value: [1, 2] });
    await node.kill();
    node = await startDemo(`127.0.0.1:${port}`, ["--redis", redis.url, "--node", "two"]);
    // A call on the dead connection fails (the client says so); the next
    // one reconnects, to the other node, presenting the session's id.
    const get = () => client.call<number[] | null>("session.get", "cart");
    const cart = await hangGuard(
      get().catch((e: unknown) => {
        if (e instanceof SwillError && e.code === 503) return get();
        throw e;
      }),
    );
    assert.deepEqual(cart, [1, 2]);
    client.close();
  } finally {
    await node.stop();
    await redis.stop();
  }
});
