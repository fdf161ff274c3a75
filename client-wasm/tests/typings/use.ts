// Compiled (never run) by test/package.test.ts under two projects that
// check the package's declarations (skipLibCheck: false): a Node project
// without the DOM lib, and a browser project without Node's types.

import { Client, init, SwillError, type CallOptions, type ConnectOptions, type Value, type WasmSource } from "swill-client";
import wasm from "swill-client/wasm";

export async function use(url: string, options: ConnectOptions): Promise<Value> {
  const source: WasmSource = wasm;
  await init(source);
  // A Response is a WasmSource in Node's types and the DOM's alike.
  await init(await fetch(wasm));
  const client = await Client.connect(url, options);
  const call: CallOptions = { timeoutMs: 100 };
  try {
    return await client.call("add", [1, 2], call);
  } catch (e) {
    if (e instanceof SwillError && e.code === SwillError.CANCELLED) return null;
    throw e;
  } finally {
    client.close();
  }
}
