// The esbuild recipe (iife or esm): esbuild does not ship the wasm by
// itself, so the page imports its URL (`--loader:.wasm=file` copies the
// file next to the bundle) and passes it to init(). First it tries a wrong
// URL: the failure must be a rejected promise the app can catch.

import { init, SwillError } from "swill-client";
import wasm from "swill-client/wasm";
import { scenario } from "./scenario.js";

window.bundled = async (url: string) => {
  const missing = await init("./no-such-file.wasm").then(
    () => undefined,
    (e: unknown) => ({
      isSwillError: e instanceof SwillError,
      code: (e as SwillError).code,
      message: (e as SwillError).message,
    }),
  );
  await init(wasm);
  return { ...(await scenario(url)), ...(missing && { missing }) };
};
