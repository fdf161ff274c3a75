// The package's TypeScript declarations: precise where a type exists.
// This file is mostly checked by `tsc --strict`; `@ts-expect-error` lines
// fail the build if the declarations ever accept them.

import assert from "node:assert/strict";
import { test } from "node:test";
import { WebSocket } from "ws";
import type {
  BidiStream,
  CallOptions,
  CallResult,
  Client,
  ClientStream,
  ConnectOptions,
  ConnectionState,
  Metadata,
  Missed,
  Position,
  PresenceEntry,
  Publication,
  RpcDescription,
  ServerStream,
  SubscribeOptions,
  Subscription,
  SwillError,
  TypeDescription,
  Value,
} from "swill-client";

// Compiled, never run: it only has to type-check.
export async function declarations(client: Client): Promise<void> {
  const sum: number = await client.call<number>("add", [1, 2]);
  const any: Value = await client.call("add", [1, 2]);
  const result: CallResult<string> = await client.callWithMetadata<string>("echo_meta", "hi");
  const lead: Metadata = result.leadingMetadata;
  const numbers: ServerStream<number> = client.stream<number>("count", 3);
  for await (const n of numbers) n.toFixed();
  const up: BidiStream<string, string> = client.bidi<string, string>("upper");
  await up.send("a");
  // @ts-expect-error a bidi stream of strings takes strings
  await up.send(1);
  const tot: ClientStream<number, number> = client.clientStream<number, number>("total");
  const total: number = await tot.finish();
  const trailing: Metadata | undefined = tot.trailingMetadata;
  const rpcs: RpcDescription[] = await client.introspect();
  const shape: "unary" | "serverStreaming" | "clientStreaming" | "bidirectional" = rpcs[0]!.shape;
  const type: TypeDescription = rpcs[0]!.request.type;
  const options: CallOptions = { metadata: { x: "1", n: 2, b: new Uint8Array(1) }, timeoutMs: 500, signal: AbortSignal.timeout(10) };
  // @ts-expect-error timeoutMs is a number of milliseconds
  const badTimeout: CallOptions = { timeoutMs: "1s" };
  // What converts: a Date (by toJSON), undefined (left out).
  const converted: CallOptions = { metadata: { when: new Date(0), gone: undefined, bytes: new Uint16Array(1) } };
  // @ts-expect-error metadata values are MessagePack values, not functions
  const badMetadata: CallOptions = { metadata: { f: () => 1 } };
  // @ts-expect-error there is no such option
  const unknownOption: CallOptions = { retries: 3 };
  const connect: ConnectOptions = {
    WebSocket,
    connectTimeoutMs: 1000,
    reconnect: { initialBackoffMs: 10, maxAttempts: null },
    onStateChange: (state: ConnectionState) => {
      if (state.state === "connecting") state.attempt.toFixed();
      if (state.state === "disconnected") state.reason.toUpperCase();
    },
  };
  const never: ConnectOptions = { reconnect: false };
  try {
    await client.call("nope");
  } catch (e) {
    const error = e as SwillError;
    const code: number = error.code;
    const data: Value | undefined = error.data;
    const message: string = error.message;
    void [code, data, message];
  }
  // @ts-expect-error rpc names are strings
  await client.call(42);
  const chat: Subscription<{ text: string }> = client.subscribe<{ text: string }>("chat", {
    since: { epoch: "e", offset: 3 },
    signal: AbortSignal.timeout(10),
    onMissed: (missed: Missed) => missed.now.offset.toFixed(),
  });
  for await (const p of chat) {
    const publication: Publication<{ text: string }> = p;
    const at: Position = { epoch: p.epoch, offset: p.offset };
    p.data.text.toUpperCase();
    void [publication, at];
  }
  const saved: Position | null = null;
  const anything: Subscription = client.subscribe("chat", { since: saved });
  for await (const p of anything) {
    const value: Value = p.data;
    void value;
  }
  const confirmed: Position = await chat.ready;
  const resumeFrom: Position | null = chat.position;
  const missedCount: number = chat.missed;
  chat.unsubscribe();
  const published: Position = await client.publish("chat", { text: "hi" }, { timeoutMs: 500 });
  const present: PresenceEntry[] = await client.presence("chat");
  present[0]?.node.toUpperCase();
  // @ts-expect-error an offset is a number
  const badSince: SubscribeOptions = { since: { epoch: "e", offset: "3" } };
  // @ts-expect-error onMissed is told what was missed, not a number
  const badMissed: SubscribeOptions = { onMissed: (n: number) => n };
  // @ts-expect-error topics are named by strings
  client.subscribe(7);
  void [sum, any, lead, total, trailing, shape, type, options, badTimeout, converted, badMetadata, unknownOption, connect, never];
  void [confirmed, resumeFrom, missedCount, published, badSince, badMissed];
}

test("the declarations type-check (see tsc) and match the exports", async () => {
  const exports = await import("swill-client");
  for (const name of ["Client", "SwillError", "ServerStream", "BidiStream", "ClientStream", "Subscription"]) {
    assert.equal(typeof (exports as Record<string, unknown>)[name], "function", name);
  }
  assert.equal(typeof declarations, "function");
});
