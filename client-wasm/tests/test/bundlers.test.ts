// The package bundled as web developers bundle it, then run in headless
// Chromium (Debian's, driven by playwright-core) against the demo server:
// esbuild as an iife and as an ES module, and Vite, all for an es2020
// target (which refuses a top-level await). Each page connects, calls,
// streams and gets a named error code; the esbuild pages first load the
// wasm from a wrong URL and catch the failure.

import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join, normalize, sep } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import type { Browser } from "playwright-core";
import { build as viteBuild } from "vite";
import type { BundledOutcome } from "../bundlers/scenario.js";
import { launchChromium, serveStatic, type Found } from "./browsers.js";
import { hangGuard, startDemo, type Demo } from "./helpers.js";

// The fixtures' TypeScript sources (the bundlers compile them).
const sources = fileURLToPath(new URL("../../bundlers/", import.meta.url));

/** The files under `root`, an index.html for each folder. */
function under(root: string): (path: string) => Found {
  return (path) => {
    const file = normalize(join(root, path.endsWith("/") ? `${path}index.html` : path));
    return file.startsWith(root + sep) ? file : undefined;
  };
}

const page = (script: string) => `<!doctype html>
<meta charset="utf-8">
<title>swill-client, bundled</title>
${script}
`;

/** esbuild, as its docs say for wasm files: the file loader. */
async function esbuildPage(out: string, format: "iife" | "esm"): Promise<string[]> {
  const result = await esbuild.build({
    entryPoints: [join(sources, "esbuild.ts")],
    bundle: true,
    format,
    target: "es2020",
    platform: "browser",
    loader: { ".wasm": "file" },
    outdir: out,
    entryNames: "main",
    logLevel: "silent",
  });
  assert.deepEqual(result.errors, []);
  const tag = format === "esm" ? `<script type="module" src="main.js"></script>` : `<script src="main.js"></script>`;
  await writeFile(join(out, "index.html"), page(tag));
  return result.warnings.map((w) => w.text);
}

/** Vite, with no configuration for the package. */
async function vitePage(out: string): Promise<void> {
  await viteBuild({
    configFile: false,
    root: sources,
    base: "./",
    logLevel: "silent",
    build: {
      target: "es2020",
      outDir: out,
      emptyOutDir: true,
      rolldownOptions: {
        input: join(sources, "vite.ts"),
        output: { entryFileNames: "main.js" },
      },
    },
  });
  await writeFile(join(out, "index.html"), page(`<script type="module" src="main.js"></script>`));
}

let demo: Demo;
let folder: string;
let site: { server: Server; origin: string };
let browser: Browser;
let esbuildWarnings: Record<string, string[]>;

before(async () => {
  demo = await startDemo();
  folder = await mkdtemp(join(tmpdir(), "swill-bundlers-"));
  esbuildWarnings = {
    iife: await esbuildPage(join(folder, "esbuild-iife"), "iife"),
    esm: await esbuildPage(join(folder, "esbuild-esm"), "esm"),
  };
  await vitePage(join(folder, "vite"));
  site = await serveStatic(under(folder));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  site?.server.close();
  await demo?.stop();
  if (folder) await rm(folder, { recursive: true, force: true });
});

/** Opens a bundled page and runs its scenario; fails on any page error. */
async function run(path: string): Promise<BundledOutcome> {
  const tab = await browser.newPage();
  const problems: string[] = [];
  tab.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  tab.on("console", (m) => {
    // The wrong URL the esbuild pages try first is a 404 the browser logs.
    if (m.type() === "error" && !m.text().includes("404")) problems.push(`console: ${m.text()}`);
  });
  await tab.goto(`${site.origin}/${path}/`);
  await tab.waitForFunction(() => typeof window.bundled === "function", null, { timeout: 15_000 });
  const outcome = await hangGuard(tab.evaluate((url) => window.bundled!(url), demo.url), 20_000, `the ${path} page`);
  await tab.close();
  assert.deepEqual(problems, []);
  return outcome;
}

const served = { sum: 3, counted: [0, 1, 2], notFound: { isSwillError: true, code: 404, named: 404 } };

for (const format of ["iife", "esm"] as const) {
  test(`esbuild (${format}, es2020): the page connects and calls; a wasm that did not load is a SwillError 503 it catches`, async () => {
    const { missing, ...outcome } = await run(`esbuild-${format}`);
    assert.deepEqual(outcome, served);
    assert.equal(missing?.isSwillError, true);
    assert.equal(missing?.code, 503);
    assert.match(missing?.message ?? "", /WebAssembly did not load.*404/);
    assert.match(missing?.message ?? "", /pass its URL to init\(\)/);
    // esbuild says nothing about the package but that an iife has no
    // import.meta (for the default URL, unused once init() has a URL).
    const unexpected = esbuildWarnings[format]!.filter((w) => !w.includes("import.meta"));
    assert.deepEqual(unexpected, []);
  });
}

test("Vite (es2020): the page connects and calls, the wasm shipped by Vite with no configuration", async () => {
  assert.deepEqual(await run("vite"), served);
});
