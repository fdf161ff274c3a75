// Must not compile: `upper` streams strings in.
import { Client } from "swill-client";
import { api } from "../../generated/demo-api.js";

const demo = api(await Client.connect("ws://127.0.0.1:1/ws"));
// expect TS2345
await demo.upper().send(42);
