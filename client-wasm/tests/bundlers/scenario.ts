// What each bundled page runs in Chromium (see test/bundlers.test.ts):
// connect to the demo server, make calls, report.

import { Client, SwillError } from "swill-client";

/** What a bundled page saw, as plain JSON for the test to check. */
export interface BundledOutcome {
  sum: number;
  counted: number[];
  /** The code of a call to an rpc that does not exist, and its name. */
  notFound: { isSwillError: boolean; code: number; named: number };
  /** How loading the wasm from a wrong URL failed, if the page tried. */
  missing?: { isSwillError: boolean; code: number; message: string };
}

export async function scenario(url: string): Promise<BundledOutcome> {
  const client = await Client.connect(url);
  try {
    const sum = await client.call<number>("add", [1, 2]);
    const counted: number[] = [];
    for await (const n of client.stream<number>("count", 3)) counted.push(n);
    const failed = await client.call("nope").catch((e: unknown) => e);
    const notFound = {
      isSwillError: failed instanceof SwillError,
      code: (failed as SwillError).code,
      named: SwillError.NOT_FOUND,
    };
    return { sum, counted, notFound };
  } finally {
    client.close();
  }
}

declare global {
  interface Window {
    bundled?: (url: string) => Promise<BundledOutcome>;
  }
}
