// Build step (run by build.sh, not shipped): the package's types.d.ts from
// the declarations wasm-bindgen wrote, without what a user must not see or
// cannot compile. `free()` and `[Symbol.dispose]()` go (weak references
// free the memory; Symbol.dispose needs a lib few projects have), and so do
// the init internals (InitInput, initSync, ...: index.d.ts declares the
// package's own `init`), which name DOM-only types (RequestInfo,
// WebAssembly) that a Node project without the DOM lib does not have.
//
//   node typings.mjs IN.d.ts OUT.d.ts

import { readFileSync, writeFileSync } from "node:fs";

const [input, output] = process.argv.slice(2);
let text = readFileSync(input, "utf8");
const internals = text.indexOf("\nexport type InitInput");
if (internals < 0) throw new Error(`${input}: no InitInput section; has wasm-bindgen's output changed?`);
text = text.slice(0, internals + 1);
text = text.replace(/^ *(free\(\): void|\[Symbol\.dispose\]\(\): void);\n/gm, "");
for (const unwanted of ["free()", "Symbol.dispose", "WebAssembly.", "RequestInfo", "BufferSource", "initSync"]) {
  if (text.includes(unwanted)) throw new Error(`${input}: '${unwanted}' is still declared`);
}
writeFileSync(output, text);
