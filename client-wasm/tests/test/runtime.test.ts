// Which WebSocket the client uses: one passed in, or the runtime's own.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import { Client, SwillError } from "swill-client";
import { startDemo, type Demo } from "./helpers.js";

let demo: Demo;

before(async () => {
  demo = await startDemo();
});

after(async () => {
  await demo.stop();
});

test("without a WebSocket option, connect uses the global one or says how to pass one", async () => {
  if ("WebSocket" in globalThis) {
    const client = await Client.connect(demo.url);
    assert.equal(await client.call<number>("add", [1, 2]), 3);
    client.close();
    return;
  }
  // Node 20: no global WebSocket.
  await assert.rejects(Client.connect(demo.url), (e: unknown) => {
    assert.ok(e instanceof SwillError);
    assert.equal(e.code, 400);
    assert.match(e.message, /no global WebSocket.*ws/);
    return true;
  });
});

test("with the runtime's WebSocket (Node 22+, or Node 20's --experimental-websocket) no option is needed", async () => {
  const script = `
    const { Client } = await import("swill-client");
    const client = await Client.connect(process.argv[1]);
    const sum = await client.call("add", [20, 22]);
    client.close();
    console.log(JSON.stringify(sum));`;
  const flags = "WebSocket" in globalThis ? [] : ["--experimental-websocket"];
  const run = promisify(execFile)(
    process.execPath,
    [...flags, "--no-warnings", "--input-type=module", "-e", script, demo.url],
    { cwd: new URL("../..", import.meta.url), timeout: 20_000 },
  );
  const { stdout } = await run;
  assert.equal(stdout.trim(), "42");
});

test("the package loads in Node both as an ES module and with require()", async () => {
  const { createRequire } = await import("node:module");
  const required = createRequire(import.meta.url)("swill-client") as typeof import("swill-client");
  assert.equal(required.Client, Client);
});
