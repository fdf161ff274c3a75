// A program written against the generated module (`swill codegen ts`),
// compiled under `strict` and run against the demo: its types are checked
// at compile time, its answers at run time. Usage: node dist/programs/ok.js URL

import { Client, SwillError } from "swill-client";
import { WebSocket } from "ws";
import { api, type Api, type User } from "../generated/demo-api.js";

/** True only when A and B are the same type (`any` is not `number`). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | void {}

assertType<Equal<ReturnType<Api["add"]>, Promise<number>>>();
assertType<Equal<Parameters<Api["add"]>[0], [number, number]>>();
assertType<Equal<ReturnType<Api["users"]["get"]>, Promise<User>>>();
assertType<Equal<Parameters<Api["fail"]>[0], { code: number; message: string }>>();

const url = process.argv[2];
if (!url) throw new Error("usage: ok.js URL");
const client = await Client.connect(url, { WebSocket });
const demo = api(client);

const sum: number = await demo.add([1, 2]);
const counted: number[] = [];
const stream: AsyncIterable<number> = demo.count(3);
for await (const n of stream) counted.push(n);

const totals = demo.total();
for (const n of [1, 2, 3]) await totals.send(n);
const total: number = await totals.finish();

const upper = demo.upper();
await upper.send("a");
await upper.send("b");
await upper.end();
const shouted: string[] = [];
for await (const s of upper) shouted.push(s);

const user: User = await demo.users.get({ id: 1 });
const name: string = user.name;

let failed: number | undefined;
try {
  await demo.fail({ code: 403, message: "nope" });
} catch (e) {
  failed = e instanceof SwillError ? e.code : undefined;
}

client.close();
console.log(JSON.stringify({ sum, counted, total, shouted, name, failed }));
