// swill-client for Node: the WebAssembly is read from the package folder
// on the first Client.connect (or init()), never at import, so that a
// failure is a rejected promise and require() works (no top-level await).

import { readFile } from "node:fs/promises";
import load from "./swill_wasm.js";
import { entry } from "./common.js";

export { BidiStream, Client, ClientStream, ServerStream, Subscription, SwillError } from "./common.js";

export const init = entry(async (wasm) =>
  load({ module_or_path: wasm ?? (await readFile(new URL("./swill_wasm_bg.wasm", import.meta.url))) }),
);
