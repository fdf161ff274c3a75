export * from "./types.js";

/**
 * Where the WebAssembly is: its URL (e.g. what `import wasm from
 * "swill-client/wasm"` gives a bundler that loads `.wasm` files as files),
 * or its bytes. A `Response` or a compiled `WebAssembly.Module` is taken too.
 */
export type WasmSource = string | URL | ArrayBuffer | ArrayBufferView;

/**
 * Loads the client's WebAssembly; `Client.connect` calls it by itself, so
 * call it only to say where the file is (a bundler that does not ship it
 * next to the package's code, such as esbuild) or to load it early.
 *
 * Without `wasm`: browsers fetch `swill_wasm_bg.wasm` from next to the
 * package's code, Node reads it from the package folder. It loads once;
 * later calls return the same promise. A failure rejects with a
 * `SwillError` 503 (`cause` says why), and the next call tries again.
 */
export function init(wasm?: WasmSource): Promise<void>;
