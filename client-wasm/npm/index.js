// swill-client for browsers and bundlers. The WebAssembly loads on the
// first Client.connect (or init()), from next to the glue code: bundlers
// that follow `new URL(..., import.meta.url)` (Vite, webpack) ship it;
// with others (esbuild), import its URL from "swill-client/wasm" and pass
// it to init().

import load from "./swill_wasm.js";
import { entry } from "./common.js";

export { BidiStream, Client, ClientStream, ServerStream, Subscription, SwillError } from "./common.js";

export const init = entry((wasm) => load(wasm === undefined ? undefined : { module_or_path: wasm }));
