// The scenario the browser test runs inside headless Chromium: the page
// imports the package's browser build (index.js, which awaits the wasm).

import { Client, SwillError } from "swill-client";

/** What the scenario saw, as plain JSON for the test to check. */
export interface Outcome {
  sum: number;
  counted: number[];
  upper: string[];
  metadata: { data: string; leading: unknown; trailing: unknown };
  total: number;
  error: { isSwillError: boolean; isError: boolean; name: string; code: number; message: string };
  aborted: { code: number; cause: unknown };
  afterBreak: number[];
  afterAbort: number;
}

async function scenario(url: string): Promise<Outcome> {
  const client = await Client.connect(url);
  try {
    const sum = await client.call<number>("add", [1, 2]);

    const counted: number[] = [];
    for await (const n of client.stream<number>("count", 3)) counted.push(n);

    const up = client.bidi<string, string>("upper");
    await up.send("a");
    await up.end();
    const upper: string[] = [];
    for await (const s of up) upper.push(s);

    const r = await client.callWithMetadata<string>("echo_meta", "hi", { metadata: { x: "1" } });
    const metadata = { data: r.data, leading: r.leadingMetadata, trailing: r.trailingMetadata };

    const tot = client.clientStream<number, number>("total");
    await tot.send(1);
    await tot.send(2);
    const total = await tot.finish();

    const failed = await client.call("nope").catch((e: unknown) => e);
    const error = {
      isSwillError: failed instanceof SwillError,
      isError: failed instanceof Error,
      name: (failed as SwillError).name,
      code: (failed as SwillError).code,
      message: (failed as SwillError).message,
    };

    // The sleep goes out before the add on the same connection, so once
    // the add has answered, the server has the sleep: then abort it.
    const ctl = new AbortController();
    const sleeping = client.call("sleep", 10_000, { signal: ctl.signal }).then(
      () => Promise.reject(new Error("the aborted call answered")),
      (e: unknown) => e as SwillError,
    );
    await client.call("add", [0, 0]);
    ctl.abort("stop");
    const abortError = await sleeping;
    const aborted = { code: abortError.code, cause: abortError.cause };

    const afterBreak: number[] = [];
    for await (const n of client.stream<number>("count", 1_000_000)) {
      afterBreak.push(n);
      if (n === 1) break;
    }
    const afterAbort = await client.call<number>("add", [20, 22]);
    return { sum, counted, upper, metadata, total, error, aborted, afterBreak, afterAbort };
  } finally {
    client.close();
  }
}

/** What the topics scenario saw. */
export interface TopicsOutcome {
  /** The publications received, as `offset:data`, and whether their offsets follow the ones published. */
  received: string[];
  inOrder: boolean;
  /** Subscribers before and after `break`. */
  presentBefore: number;
  presentAfter: number;
  /** The code of subscribing to an undeclared topic. */
  refused: number;
}

/** Subscribes with one client, publishes with another, breaks out; then a refusal. */
async function topics(url: string): Promise<TopicsOutcome> {
  const subscriber = await Client.connect(url);
  const publisher = await Client.connect(url);
  try {
    const sub = subscriber.subscribe<string>("chat");
    await sub.ready;
    const presentBefore = (await publisher.presence("chat")).length;
    const published = [];
    for (const text of ["x", "y"]) published.push(await publisher.publish("chat", text));
    const received: string[] = [];
    let inOrder = true;
    for await (const p of sub) {
      inOrder &&= p.offset === published[received.length]?.offset && p.epoch === published[0]?.epoch;
      received.push(`${p.offset - published[0]!.offset}:${p.data}`);
      if (received.length === 2) break;
    }
    let presentAfter = -1;
    for (let i = 0; i < 200 && presentAfter !== 0; i++) {
      presentAfter = (await publisher.presence("chat")).length;
      if (presentAfter !== 0) await new Promise((r) => setTimeout(r, 25));
    }
    let refused = 0;
    try {
      for await (const _ of subscriber.subscribe("no-such-topic")) break;
    } catch (e) {
      refused = e instanceof SwillError ? e.code : -1;
    }
    return { received, inOrder, presentBefore, presentAfter, refused };
  } finally {
    subscriber.close();
    publisher.close();
  }
}

declare global {
  interface Window {
    scenario?: typeof scenario;
    topics?: typeof topics;
  }
}

window.scenario = scenario;
window.topics = topics;
