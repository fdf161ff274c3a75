// Must not compile: `add` answers a number, not a string.
import { Client } from "swill-client";
import { api } from "../../generated/demo-api.js";

const demo = api(await Client.connect("ws://127.0.0.1:1/ws"));
// expect TS2322
const text: string = await demo.add([1, 2]);
console.log(text);
