// What both entry points (index.js for browsers and bundlers, node.js for
// Node) share: loading the WebAssembly on demand instead of with a
// top-level `await` (which es2020 targets and iife bundles refuse), and
// the classes as TypeScript declares them.

import {
  BidiStream,
  Client,
  ClientStream,
  ServerStream,
  StreamIterator,
  Subscription,
  SubscriptionIterator,
  SwillError,
} from "./swill_wasm.js";

export { BidiStream, Client, ClientStream, ServerStream, Subscription, SwillError };

// The Swill error codes, by name (as swill-proto's `Code` names them).
// Defined here, not in Rust, so that they can be compared before the
// WebAssembly has loaded.
const CODES = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  DEADLINE_EXCEEDED: 408,
  LAGGED: 409,
  MESSAGE_TOO_LARGE: 413,
  VALIDATION_ERROR: 422,
  TOO_MANY_REQUESTS: 429,
  CANCELLED: 499,
  INTERNAL_ERROR: 500,
  INVALID_RPC: 501,
  UNAVAILABLE: 503,
};
for (const [name, code] of Object.entries(CODES)) {
  Object.defineProperty(SwillError, name, { value: code, enumerable: true });
}

// A SwillError is a real Error: the Rust side chains the prototype too, on
// its first error, but a failure to load the WebAssembly happens before.
Object.setPrototypeOf(SwillError.prototype, Error.prototype);
Object.defineProperty(SwillError.prototype, "name", { value: "SwillError", writable: true, configurable: true });

// The Rust memory behind these objects is released when JavaScript
// collects them (wasm-bindgen's weak references). An explicit free() would
// only leave an object that fails with "null pointer passed to rust", so
// there is none (nor Symbol.dispose, which wasm-bindgen points at it).
for (const cls of [BidiStream, Client, ClientStream, ServerStream, StreamIterator, Subscription, SubscriptionIterator, SwillError]) {
  delete cls.prototype.free;
  if (typeof Symbol.dispose === "symbol") delete cls.prototype[Symbol.dispose];
}

/** The SwillError 503 for a WebAssembly that did not load. */
function loadFailed(cause) {
  const reason = cause instanceof Error ? cause.message : String(cause);
  // A bundler that does not ship the file (esbuild) fails here first.
  const hint = "if your bundler does not ship swill_wasm_bg.wasm, pass its URL to init()";
  const error = new Error(`swill-client: the WebAssembly did not load: ${reason} (${hint})`);
  Object.setPrototypeOf(error, SwillError.prototype);
  error.code = CODES.UNAVAILABLE;
  error.cause = cause;
  return error;
}

/**
 * The `init` function of an entry point, which loads the WebAssembly with
 * `load(wasm)`: once, shared by every caller; after a failure (rejected
 * with a SwillError 503), the next call tries again. `Client.connect`
 * calls it first, so that nothing else has to.
 */
export function entry(load) {
  let loading = null;
  function init(wasm) {
    if (!loading) loading = Promise.resolve()
      .then(() => load(wasm))
      .then(
        () => undefined,
        (cause) => {
          loading = null;
          throw loadFailed(cause);
        },
      );
    return loading;
  }
  const connect = Client.connect;
  Client.connect = async function (url, options) {
    await init();
    return connect.call(Client, url, options);
  };
  return init;
}
