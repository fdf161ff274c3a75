// Introspection: typed descriptions of the server's rpcs.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { WebSocket } from "ws";
import { Client, type RpcDescription } from "swill-client";
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

test("introspect lists every rpc in registration order, with its shape", async () => {
  const rpcs: RpcDescription[] = await client.introspect();
  assert.deepEqual(
    rpcs.map((r) => [r.name, r.shape]),
    [
      ["add", "unary"],
      ["count", "serverStreaming"],
      ["total", "clientStreaming"],
      ["upper", "bidirectional"],
      ["echo_meta", "unary"],
      ["fail", "unary"],
      ["sleep", "unary"],
      ["users.get", "unary"],
      ["session.put", "unary"],
      ["session.get", "unary"],
    ],
  );
});

test("types come in Python notation, with their arguments and fields", async () => {
  const rpcs = await client.introspect();
  const add = rpcs.find((r) => r.name === "add")!;
  assert.equal(add.description, "Adds two numbers.");
  assert.deepEqual(add.request, {
    streams: false,
    type: {
      name: "tuple",
      text: "tuple[int, int]",
      arguments: [
        { name: "int", text: "int" },
        { name: "int", text: "int" },
      ],
    },
  });
  assert.deepEqual(add.response, { streams: false, type: { name: "int", text: "int" } });

  const users = rpcs.find((r) => r.name === "users.get")!;
  assert.deepEqual(
    users.response.type.fields?.map((f) => [f.name, f.type.text]),
    [
      ["id", "int"],
      ["name", "str"],
      ["email", "str"],
    ],
  );
  assert.equal(rpcs.find((r) => r.name === "count")!.response.streams, true);
});

test("JSON Schemas arrive as plain objects", async () => {
  const users = (await client.introspect()).find((r) => r.name === "users.get")!;
  const schema = users.responseSchema!;
  assert.equal(Object.getPrototypeOf(schema), Object.prototype);
  assert.equal(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
  assert.ok(JSON.stringify(schema).includes("email"));
});
