export * from "./types.js";

/**
 * A compiled `WebAssembly.Module`, in projects that have the WebAssembly
 * types (the DOM library); elsewhere there is none to name. (`Response`
 * needs no such care: @types/node declares it too.)
 */
type CompiledModule = typeof globalThis extends { WebAssembly: { Module: abstract new (...args: never[]) => infer M } }
    ? M
    : never;

/**
 * Where the WebAssembly is: its URL (e.g. what `import wasm from
 * "swill-client/wasm"` gives a bundler that loads `.wasm` files as files;
 * in Node, a file path or `file:` URL, read from disk), its bytes, a
 * `Response` (a `fetch` of it), or a compiled `WebAssembly.Module`.
 */
export type WasmSource = string | URL | ArrayBuffer | ArrayBufferView | Response | CompiledModule;

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
