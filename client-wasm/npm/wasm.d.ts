/**
 * The URL of the client's WebAssembly file, for bundlers that import
 * `.wasm` files as files (esbuild with `--loader:.wasm=file`): pass it to
 * `init()`.
 */
declare const url: string;
export default url;
