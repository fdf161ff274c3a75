// `swill codegen ts` against the demo: the module it writes is the one the
// Rust snapshot test expects, a program using it compiles under `strict`
// and runs, and programs with wrong types do not compile.

import assert from "node:assert/strict";
import { mkdir, readdir, readFile } from "node:fs/promises";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { run, startDemo, swill } from "./lib/demo.mjs";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const tsc = here("node_modules/typescript/bin/tsc");
const snapshot = here("../../client-rs/tests/snapshots/demo-api.ts");
const generated = here("generated/demo-api.ts");

let demo;

before(async () => {
  demo = await startDemo();
  await mkdir(here("generated"), { recursive: true });
  await swill("codegen", "ts", demo.url, "-o", generated);
});

after(() => demo?.stop());

test("the generated module is the snapshot the Rust test checks", async () => {
  const [written, expected] = await Promise.all([readFile(generated, "utf8"), readFile(snapshot, "utf8")]);
  assert.equal(written, expected);
  assert.match(written, /add\(request: AddRequest, options\?: CallOptions\): Promise<AddResponse>;/);
  assert.match(written, /export type AddRequest = \[number, number\];/);
});

test("a strict program compiles against the module and runs against the demo", async () => {
  const compiled = await run(process.execPath, [tsc, "-p", here("tsconfig.json")], { cwd: here(".") });
  assert.equal(compiled.code, 0, compiled.stdout + compiled.stderr);
  const ran = await run(process.execPath, [here("dist/programs/ok.js"), demo.url]);
  assert.equal(ran.code, 0, ran.stderr);
  assert.deepEqual(JSON.parse(ran.stdout), {
    sum: 3,
    counted: [0, 1, 2],
    total: 6,
    shouted: ["A", "B"],
    name: "Ada Lovelace",
    failed: 403,
  });
});

test("programs with a wrong type fail to compile, where expected", async () => {
  const dir = here("programs/wrong");
  const files = (await readdir(dir)).filter((f) => f.endsWith(".ts")).sort();
  assert.ok(files.length >= 1);
  for (const file of files) {
    const path = `${dir}/${file}`;
    const lines = (await readFile(path, "utf8")).split("\n");
    const marker = lines.findIndex((l) => l.startsWith("// expect TS"));
    assert.ok(marker >= 0, `${file} says which error it expects`);
    const code = lines[marker].slice("// expect ".length).trim();
    const flags = ["--noEmit", "--strict", "--target", "es2022", "--module", "nodenext"];
    flags.push("--moduleResolution", "nodenext", "--types", "node", "--lib", "es2022,dom");
    const compiled = await run(process.execPath, [tsc, ...flags, path], { cwd: here(".") });
    assert.notEqual(compiled.code, 0, `${file} must not compile`);
    const errors = compiled.stdout.split("\n").filter((l) => / error TS\d+:/.test(l));
    assert.equal(errors.length, 1, `${file}: exactly one error:\n${compiled.stdout}`);
    // The error is on the line after the marker (tsc counts from 1).
    assert.match(errors[0], new RegExp(`${file}\\(${marker + 2},\\d+\\): error ${code}:`), compiled.stdout);
  }
});
