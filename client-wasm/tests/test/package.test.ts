// The package as a user meets it in Node: the wasm loads on demand (a
// failure is a rejected promise, and the next attempt loads it), the error
// codes have names, objects need no free(), the runtime's own WebSocket is
// used when there is one, and the declarations compile in strict projects
// that check libraries (skipLibCheck: false) with or without the DOM.
//
// The load-failure test comes first: node --test runs this file in a
// process of its own, and nothing has loaded the wasm before it.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import { WebSocket } from "ws";
import { Client, init, SwillError } from "swill-client";
import { startDemo, type Demo } from "./helpers.js";

const run = promisify(execFile);
const tests = fileURLToPath(new URL("../..", import.meta.url)); // client-wasm/tests

let demo: Demo;

before(async () => {
  demo = await startDemo();
});

after(async () => {
  await demo.stop();
});

test("a wasm that does not load rejects init() with a SwillError 503; connect then loads the package's own", async () => {
  const failed = await init(new Uint8Array([0, 1, 2, 3])).then(
    () => assert.fail("garbage loaded as WebAssembly"),
    (e: unknown) => e,
  );
  assert.ok(failed instanceof SwillError);
  assert.ok(failed instanceof Error);
  assert.equal(failed.code, SwillError.UNAVAILABLE);
  assert.match(failed.message, /WebAssembly did not load/);
  assert.ok(failed.cause instanceof Error);

  const client = await Client.connect(demo.url, { WebSocket });
  assert.equal(await client.call<number>("add", [1, 2]), 3);
  client.close();
  // Loaded: init() resolves at once, whatever it is given.
  await init(new Uint8Array([0]));
});

test("in Node, init() reads a wasm given as a file path or a file: URL", async () => {
  const wasm = fileURLToPath(import.meta.resolve("swill-client/wasm"));
  for (const given of [JSON.stringify(wasm), `new URL(${JSON.stringify(pathToFileURL(wasm).href)})`]) {
    const script = [
      'import { Client, init } from "swill-client";',
      'import { WebSocket } from "ws";',
      `await init(${given});`,
      `const client = await Client.connect(${JSON.stringify(demo.url)}, { WebSocket });`,
      'console.log(await client.call("add", [1, 2]));',
      "client.close();",
    ].join("\n");
    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script]);
    assert.equal(stdout.trim(), "3", given);
  }
});

test("error codes have names: SwillError.NOT_FOUND, .CANCELLED, ...", async () => {
  const named = {
    BAD_REQUEST: 400,
    UNAUTHORIZED: 401,
    FORBIDDEN: 403,
    NOT_FOUND: 404,
    DEADLINE_EXCEEDED: 408,
    LAGGED: 409,
    MESSAGE_TOO_LARGE: 413,
    VALIDATION_ERROR: 422,
    TOO_MANY_REQUESTS: 429,
    CANCELLED: 499,
    INTERNAL_ERROR: 500,
    INVALID_RPC: 501,
    UNAVAILABLE: 503,
  };
  for (const [name, code] of Object.entries(named)) {
    assert.equal((SwillError as unknown as Record<string, number>)[name], code, name);
  }
  const client = await Client.connect(demo.url, { WebSocket });
  try {
    const failure = (call: Promise<unknown>) =>
      call.then(
        () => assert.fail("the call answered"),
        (e: unknown) => e as SwillError,
      );
    const missing = await failure(client.call("nope"));
    assert.equal(missing.code, SwillError.NOT_FOUND);
    const ctl = new AbortController();
    ctl.abort("stop");
    const cancelled = await failure(client.call("add", [1, 2], { signal: ctl.signal }));
    assert.equal(cancelled.code, SwillError.CANCELLED);
    const late = await failure(client.call("sleep", 10_000, { timeoutMs: 1 }));
    assert.equal(late.code, SwillError.DEADLINE_EXCEEDED);
  } finally {
    client.close();
  }
});

test("objects have no free(): the garbage collector releases their Rust side", async () => {
  const client = await Client.connect(demo.url, { WebSocket });
  for (const object of [client, client.stream("count", 1), client.bidi("upper"), client.clientStream("total"), client.subscribe("chat")]) {
    assert.equal("free" in object, false);
    assert.equal(Symbol.dispose in object, false);
  }
  client.close();

  // In a process with --expose-gc, count the cleanups that wasm-bindgen's
  // FinalizationRegistry runs for 100 dropped streams.
  const script = `
    let cleaned = 0;
    const Registry = globalThis.FinalizationRegistry;
    globalThis.FinalizationRegistry = class extends Registry {
      constructor(cleanup) { super((held) => { cleaned++; cleanup(held); }); }
    };
    const { Client } = await import("swill-client");
    const { WebSocket } = await import("ws");
    const client = await Client.connect(process.argv[1], { WebSocket });
    for (let i = 0; i < 100; i++) for await (const n of client.stream("count", 1)) void n;
    // Collections until the registry has run (each cleanup is a task of its own).
    for (let i = 0; i < 1000 && cleaned < 100; i++) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    client.close();
    console.log(cleaned);`;
  const { stdout } = await run(process.execPath, ["--expose-gc", "--input-type=module", "-e", script, demo.url], {
    cwd: tests,
    timeout: 60_000,
  });
  assert.ok(Number(stdout.trim()) >= 100, `only ${stdout.trim()} of 100 dropped streams were released`);
});

test("a call in flight when its client is collected rejects with 503 instead of hanging", async () => {
  // Nothing but the connection holds a unary call's promise: when the
  // client that owns the connection is collected, the call must fail, not
  // wait forever (its deadline went with it).
  const script = `
    const { Client } = await import("swill-client");
    const { WebSocket } = await import("ws");
    let outcome = "pending";
    {
      const client = await Client.connect(process.argv[1], { WebSocket });
      client.call("sleep", 600000).then(
        () => { outcome = "answered"; },
        (e) => { outcome = e.code + " " + e.message; },
      );
    }
    for (let i = 0; i < 1000 && outcome === "pending"; i++) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    console.log(outcome);
    process.exit(0);`;
  const { stdout } = await run(process.execPath, ["--expose-gc", "--input-type=module", "-e", script, demo.url], {
    cwd: tests,
    timeout: 60_000,
  });
  assert.match(stdout.trim(), /^503 /, stdout);
});

test("without a WebSocket option, the runtime's global WebSocket is used (as Node 22 has)", async () => {
  const had = Object.getOwnPropertyDescriptor(globalThis, "WebSocket");
  let made = 0;
  // Node 20 has none: a global one made of `ws`, as Node 22's would be.
  class GlobalWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      made++;
    }
  }
  Object.defineProperty(globalThis, "WebSocket", { value: GlobalWebSocket, configurable: true, writable: true });
  try {
    const client = await Client.connect(demo.url);
    assert.equal(await client.call<number>("add", [20, 22]), 42);
    client.close();
    assert.equal(made, 1);
    // An explicit option still wins.
    const explicit = await Client.connect(demo.url, { WebSocket });
    explicit.close();
    assert.equal(made, 1);
  } finally {
    if (had) Object.defineProperty(globalThis, "WebSocket", had);
    else delete (globalThis as { WebSocket?: unknown }).WebSocket;
  }
});

test("the declarations compile with skipLibCheck: false, in a Node project without the DOM and in a browser project without Node", async () => {
  const tsc = fileURLToPath(new URL("../../node_modules/typescript/bin/tsc", import.meta.url));
  for (const project of ["typings/node", "typings/dom"]) {
    await run(process.execPath, [tsc, "-p", project], { cwd: tests, timeout: 60_000 }).catch(
      (e: { stdout?: string }) => assert.fail(`${project}: ${e.stdout ?? e}`),
    );
  }
});

test("the sizes the READMEs and the guide give are the package's, as built", async () => {
  // The repository, from client-wasm/tests/dist/test/.
  const file = (path: string) => readFile(new URL(`../../../../${path}`, import.meta.url), "utf8");
  // What build.sh measured: "wasm: N bytes (M gzipped)", "tarball: T bytes; ...".
  const sizes = await file("client-wasm/dist/sizes.txt");
  const built = {
    wasm: Number(/wasm: (\d+) bytes/.exec(sizes)?.[1]),
    gzipped: Number(/\((\d+) gzipped\)/.exec(sizes)?.[1]),
    tarball: Number(/tarball: (\d+) bytes/.exec(sizes)?.[1]),
  };
  assert.ok(built.wasm > 0 && built.gzipped > 0 && built.tarball > 0, sizes);
  const number = (text: string) => Number(text.replace(/,/g, ""));
  const kib = (text: string) => Number(text) * 1024;
  const stated = [
    ["README.md", /The wasm is ([\d.]+) KiB \(([\d.]+) KiB gzipped\)[^;]*; the tarball ([\d.]+) KiB/, kib],
    ["client-wasm/npm/README.md", /([\d,]+) bytes \(([\d,]+) gzipped\); the package tarball\s+([\d,]+) bytes/, number],
    ["docs/guide.md", /wasm` \(one for Node and browsers\) \| ([\d,]+) \| ([\d,]+) \|\n\| the tarball `swill-client-[\d.]+\.tgz` \| ([\d,]+) \|/, number],
  ] as const;
  for (const [path, pattern, parse] of stated) {
    const found = pattern.exec(await file(path));
    assert.ok(found, `${path} states the sizes`);
    const doc = { wasm: parse(found[1] ?? ""), gzipped: parse(found[2] ?? ""), tarball: parse(found[3] ?? "") };
    // Within 2%: a stale figure, not a byte of drift between machines.
    for (const name of ["wasm", "gzipped", "tarball"] as const) {
      assert.ok(Math.abs(doc[name] - built[name]) <= built[name] * 0.02, `${path}: ${name} is ${doc[name]}, built ${built[name]}`);
    }
  }
});
