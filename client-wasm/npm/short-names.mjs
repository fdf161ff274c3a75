// Build step (run by build.sh, not shipped): gives the glue the wasm's
// short import and export names.
//
// wasm-bindgen names each import after the JavaScript it calls plus a hash
// (`__wbg_new_with_byte_offset_and_length_3cd32055a417f095`), and the 160
// of them were 7 KB of the wasm that gzip could not shrink: hashes do not
// compress. wasm-opt's `--minify-imports-and-exports-and-modules` renames
// them (`a`, `b`, ...; the module `./swill_wasm_bg.js` becomes `a`) and
// prints the map, which this applies to the glue, as emscripten does.
//
//   node short-names.mjs MAP.json GLUE.js
//
// Every name must be found where wasm-bindgen writes it (an import is a key
// of the imports object, an export is read as `wasm.NAME`), or the build
// fails: a glue that still used an old name would fail only when called.

import { readFileSync, writeFileSync } from "node:fs";

const [mapFile, glueFile] = process.argv.slice(2);
const map = JSON.parse(readFileSync(mapFile, "utf8"));
let glue = readFileSync(glueFile, "utf8");

const fail = (why) => {
  throw new Error(`${glueFile}: ${why}; has wasm-bindgen's output changed?`);
};
const escape = (name) => name.replace(/[$]/g, "\\$");

const modules = new Set(map.imports.map(([module]) => module));
if (modules.size !== 1) fail(`imports from ${[...modules].join(", ")}, not one module`);
const [module] = modules;
const quoted = JSON.stringify(module);
if (!glue.includes(`${quoted}: import0`)) fail(`no ${quoted}: import0`);
glue = glue.replace(`${quoted}: import0`, `"a": import0`);

for (const [, name, short] of map.imports) {
  // A key of the imports object: `        NAME: function(`.
  const key = new RegExp(`^(\\s+)${escape(name)}:`, "m");
  if (!key.test(glue)) fail(`the import ${name} is not a key of the imports object`);
  glue = glue.replace(key, `$1${JSON.stringify(short)}:`);
}

// Exports wasm-bindgen adds for other loaders; this glue never reads them.
const unread = new Set(["__abort_handler", "__instance_terminated"]);
for (const [name, short] of map.exports) {
  const uses = new RegExp(`\\bwasm\\.${escape(name)}\\b`, "g");
  if (!uses.test(glue) && !unread.has(name)) fail(`the export ${name} is never read`);
  glue = glue.replace(uses, `wasm[${JSON.stringify(short)}]`);
}

writeFileSync(glueFile, glue);
