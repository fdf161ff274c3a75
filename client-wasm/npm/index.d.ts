export * from "./web/swill_wasm.js";
