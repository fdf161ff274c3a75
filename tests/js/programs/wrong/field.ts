// Must not compile: `users.get` takes `{ id: number }`.
import { Client } from "swill-client";
import { api } from "../../generated/demo-api.js";

const demo = api(await Client.connect("ws://127.0.0.1:1/ws"));
// expect TS2353
await demo.users.get({ user: 1 });
