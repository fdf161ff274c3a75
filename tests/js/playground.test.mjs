// The demo's playground in headless Chromium (Debian's, driven by
// playwright-core; never a downloaded browser): it lists every rpc, calls
// them, streams, shows errors and metadata, and cancels streams; it lists
// the topics, subscribes to one and shows what Node publishes to it.
// Screenshots are saved to artifacts/playground.png and
// artifacts/playground-topics.png.

import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { Client } from "swill-client";
import { WebSocket } from "ws";
import { startDemo } from "./lib/demo.mjs";

const DEMO = ["add", "count", "total", "upper", "echo_meta", "fail", "sleep", "users.get", "session.put", "session.get"];
const chromiumPath = process.env.SWILL_CHROMIUM ?? "/usr/bin/chromium";
const artifacts = fileURLToPath(new URL("artifacts/", import.meta.url));

let demo;
let profile;
let context;
let page;
/** Every WebSocket frame the page sent and received, in order. */
const frames = [];
/** Tests waiting for a frame; see `frameSeen`. */
let waiters = [];

function record(frame) {
  frames.push(frame);
  const ready = waiters.filter((w) => w.matches(frame));
  waiters = waiters.filter((w) => !ready.includes(w));
  for (const w of ready) w.resolve(frame);
}
const problems = [];

before(async () => {
  demo = await startDemo();
  profile = await mkdtemp(join(tmpdir(), "swill-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  context.setDefaultTimeout(15_000);
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  page.on("websocket", (ws) => {
    ws.on("framesent", (f) => record({ sent: true, bytes: Buffer.from(f.payload) }));
    ws.on("framereceived", (f) => record({ sent: false, bytes: Buffer.from(f.payload) }));
  });
  await page.goto(`${demo.origin}/`);
});

after(async () => {
  await context?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
  await demo?.stop();
});

/** Selects `rpc`, types `request` into the editor. */
async function choose(rpc, request) {
  await page.click(`#rpcs button[data-rpc="${rpc}"]`);
  await page.waitForSelector(`#rpc-name:text-is("${rpc}")`);
  if (request !== undefined) await page.fill("#editor", request);
}

/** Waits until the call's status is `state`; returns the status text. */
async function outcome(state) {
  await page.waitForSelector(`#call-status[data-state="${state}"]`);
  return page.textContent("#call-status");
}

const items = () => page.$$eval("#items li", (lis) => lis.map((li) => li.textContent));
const text = (selector) => page.textContent(selector);

/** Resolves with the first frame, seen from now on, that `matches`. */
function frameSeen(matches) {
  return new Promise((resolve) => waiters.push({ matches, resolve }));
}

/** Whether `bytes` is the CANCEL frame `[seq, nil, rpc, 3]` of `rpc`. */
function isCancel(bytes, rpc) {
  const name = Buffer.from(rpc);
  const tail = Buffer.concat([Buffer.from([0xa0 + name.length]), name, Buffer.from([0x03])]);
  return bytes[0] === 0x94 && bytes.subarray(bytes.length - tail.length).equals(tail);
}

test("the page lists every rpc of the demo", async () => {
  await page.waitForSelector("#connection[data-state='connected']");
  await page.waitForSelector(`#rpcs button[data-rpc="users.get"]`);
  const listed = await page.$$eval("#rpcs button", (bs) => bs.map((b) => b.dataset.rpc));
  assert.deepEqual(listed, DEMO);
  // Module rpcs sit under a heading of their module.
  const modules = await page.$$eval("#rpcs li.module", (h) => h.map((e) => e.textContent));
  assert.deepEqual(modules, ["users", "session"]);
  const shapes = await page.$$eval("#rpcs .shape", (s) => s.map((e) => e.textContent));
  assert.deepEqual(shapes.slice(0, 4), ["unary", "server streaming", "client streaming", "bidirectional"]);
  assert.equal(await page.title(), "swill demo playground");
});

test("an rpc shows its description, its types and an example request", async () => {
  await choose("users.get");
  assert.equal(await text("#rpc-description"), "Fetches a user by id.");
  assert.equal(await text("#request-type"), "UserId");
  assert.equal(await text("#response-type"), "User");
  const fields = await page.$$eval("#response-fields td:first-child", (tds) => tds.map((t) => t.textContent));
  assert.deepEqual(fields, ["id", "name", "email"]);
  assert.equal(await page.inputValue("#editor"), '{"id":1}', "the example respects minimum: 1");
  await page.click("#call");
  await outcome("done");
  assert.match(await text("#result pre"), /"name": "Ada Lovelace"/);
});

test("add with [1, 2] shows 3", async () => {
  await choose("add", "[1, 2]");
  await page.click("#call");
  await outcome("done");
  assert.match(await text("#elapsed"), /^[\d.]+ m?s$/);
  assert.equal(await text("#result pre"), "3");
});

test("count streams its items", async () => {
  await choose("count", "5");
  await page.click("#call");
  await outcome("done");
  assert.deepEqual(await items(), ["0", "1", "2", "3", "4"]);
  assert.equal(await text("#item-count"), "5 items");
});

test("fail shows its error code and message", async () => {
  await choose("fail", '{"code": 403, "message": "not for you"}');
  await page.click("#call");
  await outcome("error");
  assert.equal(await text("#error-code"), "403");
  assert.equal(await page.getAttribute("#error", "data-code"), "403");
  assert.match(await text("#error pre"), /not for you/);
});

test("metadata goes out and comes back, leading and trailing", async () => {
  await choose("echo_meta", '"hi"');
  await page.click(".options summary");
  await page.fill("#metadata", '{"tenant": "acme"}');
  await page.click("#call");
  await outcome("done");
  assert.equal(await text("#result pre"), '"hi"');
  assert.deepEqual(JSON.parse(await text("#leading pre")), { tenant: "acme" });
  assert.deepEqual(JSON.parse(await text("#trailing pre")), { tenant: "acme" });
  await page.fill("#metadata", "");
});

test("a client stream sends messages, then finishes with the answer", async () => {
  await choose("total");
  for (const n of ["1", "2", "3"]) {
    await page.fill("#editor", n);
    await page.click("#send");
    await page.waitForSelector(`#call-status:text-matches("${n} sent")`);
  }
  await page.click("#end");
  await outcome("done");
  assert.equal(await text("#result pre"), "6");
});

test("cancel stops a bidirectional stream that is still open", async () => {
  await choose("upper", '"a"');
  await page.click("#send");
  await page.waitForSelector('#items li:text-is("\\"A\\"")');
  assert.equal(await page.getAttribute("#call-status", "data-state"), "running");
  const cancelSent = frameSeen((f) => f.sent && isCancel(f.bytes, "upper"));
  await page.click("#cancel");
  await outcome("cancelled");
  await cancelSent;
  assert.equal(await page.isDisabled("#cancel"), true);
  // The connection goes on: the next call is answered, and nothing else
  // arrives for the cancelled stream.
  const before = frames.length;
  await choose("add", "[2, 2]");
  await page.click("#call");
  await outcome("done");
  assert.equal(await text("#result pre"), "4");
  assert.equal(frames.slice(before).filter((f) => !f.sent).length, 1, "only the answer to add");
});

test("the page lists the demo's topics", async () => {
  await page.waitForSelector(`#topics button[data-topic="chat"]`);
  const listed = await page.$$eval("#topics button", (bs) => bs.map((b) => b.dataset.topic));
  assert.deepEqual(listed, ["chat"]);
});

test("a topic: subscribe in the page, publish from Node and from the page, unsubscribe", async () => {
  const node = await Client.connect(demo.url, { WebSocket });
  try {
    await page.click(`#topics button[data-topic="chat"]`);
    await page.waitForSelector(`#topic-name:text-is("chat")`);
    assert.equal(await page.isHidden("#detail"), true);
    assert.match(await text("#topic-description"), /chat room/);
    assert.equal(await text("#topic-facts"), "message: Any · history: the last 1000 publications of 1 h");
    await page.click("#subscribe");
    await page.waitForSelector(`#subscription-status[data-state="subscribed"]`);
    assert.equal((await node.presence("chat")).length, 1, "the page is subscribed");

    // From Node, with the swill-client package.
    const first = await node.publish("chat", { user: "node", text: "hello from Node" });
    const second = await node.publish("chat", [1, 2, 3]);
    const shown = (p) => `#publications li[data-position="${p.epoch}:${p.offset}"]`;
    await page.waitForSelector(shown(second));
    const rows = () =>
      page.$$eval("#publications li", (lis) =>
        lis.map((li) => [li.querySelector(".position")?.textContent, li.querySelector(".data")?.textContent]),
      );
    assert.deepEqual(await rows(), [
      [`${first.epoch}:${first.offset}`, '{"user":"node","text":"hello from Node"}'],
      [`${second.epoch}:${second.offset}`, "[1,2,3]"],
    ]);
    assert.equal(await text("#publication-count"), "2 received");

    // From the page itself.
    await page.fill("#publish-editor", '"hi from the page"');
    await page.click("#publish");
    await page.waitForSelector(`#publish-result[data-state="done"]`);
    const third = { epoch: first.epoch, offset: second.offset + 1 };
    assert.equal(await text("#publish-result"), `published at ${third.epoch}:${third.offset}`);
    await page.waitForSelector(shown(third));
    assert.equal(await text(`${shown(third)} .data`), '"hi from the page"');

    await mkdir(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, "playground-topics.png"), fullPage: true });

    // Unsubscribing reaches the server: presence drops to nobody.
    await page.click("#unsubscribe");
    await page.waitForSelector(`#subscription-status[data-state="idle"]`);
    let present = 1;
    for (let i = 0; i < 200 && present !== 0; i++) {
      present = (await node.presence("chat")).length;
      if (present !== 0) await new Promise((r) => setTimeout(r, 25));
    }
    assert.equal(present, 0, "nobody subscribed after unsubscribing");
    await node.publish("chat", "after");
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    assert.equal((await rows()).length, 3, "nothing arrives after unsubscribing");

    // A value that is not JSON is refused before it is sent.
    await page.fill("#publish-editor", "{nope");
    await page.click("#publish");
    assert.match(await text("#publish-error"), /not JSON/);
  } finally {
    node.close();
  }
});

test("the encoding switch reconnects over JSON text frames, readable as they are", async () => {
  // The answer to add, `[seq,42,0,null,null]`, as the text on the wire.
  const answered = frameSeen((f) => !f.sent && /^\[\d+,42,0,null,null\]$/.test(f.bytes.toString()));
  await page.selectOption("#encoding", "json");
  await page.waitForSelector("#connection[data-state='connected']");
  await page.waitForSelector(`#rpcs button[data-rpc="add"]`);
  await choose("add", "[20, 22]");
  await page.click("#call");
  await outcome("done");
  assert.equal(await text("#result pre"), "42");
  await answered;
  // Back to MessagePack for the tests that follow (they read binary frames).
  await page.selectOption("#encoding", "msgpack");
  await page.waitForSelector("#connection[data-state='connected']");
  await page.waitForSelector(`#rpcs button[data-rpc="add"]`);
});

test("the page works without errors; a screenshot is saved", async () => {
  await choose("users.get", '{"id": 2}');
  await page.click("#call");
  await outcome("done");
  await mkdir(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, "playground.png"), fullPage: true });
  assert.deepEqual(problems, []);
});

// Last: a stream at full speed leaves a backlog of frames in the browser
// that keeps the page busy for a while after the cancel.
test("cancel stops an endless server stream", async () => {
  await choose("count", "1000000000000");
  // Found before the stream starts: a stream at full speed keeps the page
  // too busy for playwright's actionability checks, not for a mouse click.
  const cancel = await page.locator("#cancel").boundingBox();
  const cancelSent = frameSeen((f) => f.sent && isCancel(f.bytes, "count"));
  await page.click("#call");
  const busy = { timeout: 60_000, polling: 100 };
  await page.waitForFunction(() => parseInt(document.querySelector("#item-count").textContent, 10) > 100, null, busy);
  await page.mouse.click(cancel.x + cancel.width / 2, cancel.y + cancel.height / 2);
  await cancelSent;
  await page.waitForFunction(() => document.querySelector("#call-status").dataset.state === "cancelled", null, busy);
  const shown = await text("#item-count");
  // Frames still in flight are dropped: the count stays where it stopped.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  assert.equal(await text("#item-count"), shown);
  assert.ok(parseInt(shown, 10) > 100, shown);
  assert.equal(await page.isDisabled("#cancel"), true);
});
