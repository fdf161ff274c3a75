// The Vite recipe: nothing to do. Vite follows the package's
// `new URL("swill_wasm_bg.wasm", import.meta.url)`, ships the file, and
// Client.connect loads it.

import { scenario } from "./scenario.js";

window.bundled = scenario;
