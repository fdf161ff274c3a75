import init from "./web/swill_wasm.js";
await init();
export * from "./web/swill_wasm.js";
