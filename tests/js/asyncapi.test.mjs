// The demo's AsyncAPI document, validated by the official parser
// (@asyncapi/parser): as served at /asyncapi.json and as printed by
// `swill asyncapi`. Broken copies must be rejected, so the check can fail.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Parser } from "@asyncapi/parser";
import { startDemo, swill } from "./lib/demo.mjs";

/** The demo's rpcs, in registration order. */
const DEMO = ["add", "count", "total", "upper", "echo_meta", "fail", "sleep", "users.get", "session.put", "session.get"];
const SEVERITY = ["error", "warning", "information", "hint"];

const parser = new Parser();
let demo;
let served;

before(async () => {
  demo = await startDemo();
  const response = await fetch(`${demo.origin}/asyncapi.json`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "application/json");
  served = await response.json();
});

after(() => demo?.stop());

/** Parses a document; returns the model and the problems by severity. */
async function parse(doc) {
  const { document, diagnostics } = await parser.parse(JSON.stringify(doc));
  const problems = (severity) =>
    diagnostics
      .filter((d) => SEVERITY[d.severity] === severity)
      .map((d) => `${d.code}: ${d.message} at ${d.path.join(".")}`);
  return { document, errors: problems("error"), warnings: problems("warning") };
}

test("the served document is valid AsyncAPI 3.0 with no warnings", async () => {
  const { document, errors, warnings } = await parse(served);
  assert.deepEqual(errors, []);
  assert.deepEqual(warnings, []);
  assert.ok(document, "the parser returns a document");
  assert.equal(document.version(), "3.0.0");
  assert.equal(document.info().title(), "swill demo");
});

test("every rpc is an operation the server receives, with a reply on the WebSocket channel", async () => {
  const { document } = await parse(served);
  const operations = document.operations().all().filter((o) => o.action() === "receive");
  assert.deepEqual(operations.map((o) => o.id()), DEMO);
  for (const op of operations) {
    assert.equal(op.action(), "receive", op.id());
    assert.ok(op.reply(), `${op.id()} has a reply`);
    assert.equal(op.reply().channel().address(), "/ws", op.id());
    const replies = op.reply().messages().all().map((m) => m.id());
    assert.ok(replies.includes(`${op.id()}.response`), `${op.id()}: ${replies}`);
    assert.ok(replies.includes("swill.error"), `${op.id()}: ${replies}`);
  }
  const server = document.servers().get("swill");
  assert.equal(server.protocol(), "ws");
  assert.equal(server.host(), new URL(demo.url).host);
  const channel = document.channels().get("swill");
  assert.deepEqual(channel.extensions().get("x-swill-subprotocols").value(), ["swill.v1", "swill/1", "swill.v1.json"]);
  assert.equal(channel.bindings().get("ws").value().method, "GET");
});

test("every topic is an operation the server sends, with its publication message", async () => {
  const { document } = await parse(served);
  const chat = document.operations().get("topic.chat");
  assert.equal(chat.action(), "send");
  assert.equal(chat.extensions().get("x-swill-topic").value(), "chat");
  const messages = chat.messages().all().map((m) => m.id());
  assert.deepEqual(messages, ["topic.chat"]);
  const payload = document.messages().all().find((m) => m.id() === "topic.chat").payload();
  assert.deepEqual(Object.keys(payload.properties()), ["offset", "data"]);
});

test("shapes, payload schemas and the envelope are stated", async () => {
  const { document } = await parse(served);
  const shape = (id) => document.operations().get(id).extensions().get("x-swill-shape").value();
  assert.deepEqual(
    ["add", "count", "total", "upper"].map(shape),
    ["unary", "serverStreaming", "clientStreaming", "bidirectional"],
  );
  const count = document.operations().get("count");
  assert.ok(count.reply().messages().all().some((m) => m.id() === "swill.endOfStream"));
  const add = document.messages().all().find((m) => m.id() === "add.request");
  assert.equal(add.payload().type(), "array");
  assert.deepEqual(add.payload().items().map((i) => i.type()), ["integer", "integer"]);
  assert.equal(add.correlationId().location(), "$message.header#/seq");
  const user = document.messages().all().find((m) => m.id() === "users.get.response").payload();
  assert.deepEqual(Object.keys(user.properties()), ["id", "name", "email"]);
  assert.equal(user.properties().email.description(), "Their email address.");
  const envelope = document.channels().get("swill").extensions().get("x-swill-envelope").value();
  assert.deepEqual(envelope.request, ["seq", "data", "rpc", "type", "metadata"]);
});

test("`swill asyncapi` prints the same document from the server's introspection", async () => {
  const printed = JSON.parse(await swill("asyncapi", demo.url, "--title", "swill demo"));
  assert.deepEqual(printed, served);
  const { errors } = await parse(printed);
  assert.deepEqual(errors, []);
});

test("broken copies are rejected", async () => {
  const broken = {
    "an unknown AsyncAPI version": [(d) => (d.asyncapi = "9.9.9"), /asyncapi-is-asyncapi/],
    "a reply on a channel that does not exist": [
      (d) => (d.operations.add.reply.channel = { $ref: "#/channels/nowhere" }),
      /invalid-ref: '#\/channels\/nowhere' does not exist/,
    ],
    "an operation message missing from its channel": [
      (d) => delete d.channels.swill.messages["add.request"],
      /invalid-ref: '#\/channels\/swill\/messages\/add.request' does not exist/,
    ],
    "an action that is neither send nor receive": [
      (d) => (d.operations.count.action = "call"),
      /"action" property must be equal to one of the allowed values/,
    ],
    "a payload of an unknown type": [
      (d) => (d.components.messages["add.request"].payload = { type: "tuple" }),
      /"type" property must be equal to one of the allowed values/,
    ],
  };
  for (const [what, [breakIt, expected]] of Object.entries(broken)) {
    const copy = structuredClone(served);
    breakIt(copy);
    const { document, errors } = await parse(copy);
    assert.equal(document, undefined, `${what}: no document`);
    assert.ok(errors.some((e) => expected.test(e)), `${what}: ${errors.join("\n")}`);
  }
});
