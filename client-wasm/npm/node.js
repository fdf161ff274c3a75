// swill-client for Node: the WebAssembly is read from the package folder
// on the first Client.connect (or init()), never at import, so that a
// failure is a rejected promise and require() works (no top-level await).

import { readFile } from "node:fs/promises";
import load from "./swill_wasm.js";
import { entry } from "./common.js";

export { BidiStream, Client, ClientStream, ServerStream, Subscription, SwillError } from "./common.js";

export const init = entry(async (wasm) => load({ module_or_path: await source(wasm) }));

/** What to hand wasm-bindgen: a file (a path, a `file:` URL) read here,
 * since Node's `fetch` reads no files; anything else as given. */
async function source(wasm) {
  if (wasm === undefined) return readFile(new URL("./swill_wasm_bg.wasm", import.meta.url));
  // A scheme of one letter is a Windows drive: a path.
  const url = wasm instanceof URL ? wasm : typeof wasm === "string" && /^[a-z][a-z0-9+.-]+:/i.test(wasm) ? new URL(wasm) : null;
  if (url === null) return typeof wasm === "string" ? readFile(wasm) : wasm;
  return url.protocol === "file:" ? readFile(url) : url;
}
