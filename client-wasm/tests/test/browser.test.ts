// The core scenario and a topics scenario in headless Chromium (Debian's, driven by
// playwright-core), from a page served on 127.0.0.1 that loads the
// package's browser build.

import assert from "node:assert/strict";
import type { Server } from "node:http";
import { join, normalize } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import type { Outcome, TopicsOutcome } from "../browser/page.js";
import { launchChromium, serveStatic, type Found } from "./browsers.js";
import { hangGuard, startDemo, type Demo } from "./helpers.js";

const root = fileURLToPath(new URL("../..", import.meta.url)); // client-wasm/tests
const routes: Record<string, string> = {
  "/pkg/": join(root, "node_modules", "swill-client"),
  "/browser/": join(root, "dist", "browser"),
};
const page = `<!doctype html>
<meta charset="utf-8">
<title>swill-client in a browser</title>
<script type="importmap">{ "imports": { "swill-client": "/pkg/index.js" } }</script>
<script type="module" src="/browser/page.js"></script>
`;

/** The page, the package (`/pkg/`) and the compiled page script. */
function find(path: string): Found {
  if (path === "/") return { html: page };
  if (path === "/favicon.ico") return { status: 204 };
  const prefix = Object.keys(routes).find((p) => path.startsWith(p));
  const file = prefix && normalize(join(routes[prefix]!, path.slice(prefix.length)));
  return prefix && file && file.startsWith(routes[prefix]!) ? file : undefined;
}

let demo: Demo;
let site: { server: Server; origin: string };
let browser: Browser;

before(async () => {
  demo = await startDemo();
  site = await serveStatic(find);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  site?.server.close();
  await demo?.stop();
});

test("call, stream, bidi, metadata, client stream, an error, abort and break in Chromium", async () => {
  const tab = await browser.newPage();
  const problems: string[] = [];
  tab.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  tab.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  await tab.goto(site.origin + "/");
  await tab.waitForFunction(() => typeof window.scenario === "function", null, { timeout: 15_000 });
  const outcome: Outcome = await hangGuard(
    tab.evaluate((url) => window.scenario!(url), demo.url),
    20_000,
    "the browser scenario",
  );
  assert.deepEqual(problems, []);
  assert.equal(outcome.sum, 3);
  assert.deepEqual(outcome.counted, [0, 1, 2]);
  assert.deepEqual(outcome.upper, ["A"]);
  assert.deepEqual(outcome.metadata, { data: "hi", leading: { x: "1" }, trailing: { x: "1" } });
  assert.equal(outcome.total, 3);
  assert.deepEqual(outcome.error, {
    isSwillError: true,
    isError: true,
    name: "SwillError",
    code: 404,
    message: "No func was found to process this request",
  });
  assert.deepEqual(outcome.aborted, { code: 499, cause: "stop" });
  assert.deepEqual(outcome.afterBreak, [0, 1]);
  assert.equal(outcome.afterAbort, 42);
});

test("subscribe, publish, presence, break and a refusal in Chromium", async () => {
  const tab = await browser.newPage();
  const problems: string[] = [];
  tab.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  tab.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  await tab.goto(site.origin + "/");
  await tab.waitForFunction(() => typeof window.topics === "function", null, { timeout: 15_000 });
  const outcome: TopicsOutcome = await hangGuard(
    tab.evaluate((url) => window.topics!(url), demo.url),
    20_000,
    "the browser topics scenario",
  );
  assert.deepEqual(problems, []);
  assert.deepEqual(outcome, {
    received: ["0:x", "1:y"],
    inOrder: true,
    presentBefore: 1,
    presentAfter: 0,
    refused: 404,
  });
});
