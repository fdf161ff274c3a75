// The swill playground: lists the server's rpcs (swill.introspect), calls
// them with the TypeScript client's browser build (vendor/), and shows
// answers, streamed items, metadata and errors as they arrive. It lists the
// server's topics too (swill.topics): subscribe to one to see its
// publications live, and publish to it.

import init, { Client } from "./vendor/swill_wasm.js";
import { example, fields } from "./schema.js";

const $ = (id) => document.getElementById(id);
const SHAPES = {
  unary: "unary",
  serverStreaming: "server streaming",
  clientStreaming: "client streaming",
  bidirectional: "bidirectional",
};
/** Items kept on the page; a longer stream shows its latest ones. */
const SHOWN_ITEMS = 200;

const state = { client: null, token: null, rpcs: [], selected: null, call: null };
/** The topics listed, the one shown, and its subscription (`watch`). */
const topics = { list: [], selected: null, watch: null };

main().catch((e) => setConnection("disconnected", `cannot start: ${message(e)}`));

async function main() {
  const [config] = await Promise.all([loadConfig(), init()]);
  const params = new URLSearchParams(location.search);
  $("title").textContent = config.title ?? "swill";
  document.title = `${config.title ?? "swill"} playground`;
  if (config.asyncapi) {
    $("asyncapi").href = config.asyncapi;
    $("asyncapi").hidden = false;
  }
  $("url").value = params.get("url") ?? endpoint(config.ws ?? "/ws");
  // The frames' encoding: MessagePack, or JSON text (swill.v1.json) that
  // the browser's devtools show as it is. Changing it reconnects.
  if (params.get("encoding") === "json") $("encoding").value = "json";
  $("encoding").addEventListener("change", () => connect(state.selected?.name));
  $("connect").addEventListener("click", () => connect(params.get("rpc")));
  $("url").addEventListener("keydown", (e) => e.key === "Enter" && connect());
  $("call").addEventListener("click", onCall);
  $("send").addEventListener("click", onSend);
  $("end").addEventListener("click", onEnd);
  $("cancel").addEventListener("click", onCancel);
  $("example").addEventListener("click", () => state.selected && fillExample(state.selected));
  $("subscribe").addEventListener("click", onSubscribe);
  $("unsubscribe").addEventListener("click", () => unsubscribe("unsubscribed"));
  $("publish").addEventListener("click", onPublish);
  $("publish-editor").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) onPublish();
  });
  $("editor").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) (state.selected?.request.streams ? onSend : onCall)();
  });
  await connect(params.get("rpc"));
}

async function loadConfig() {
  try {
    const response = await fetch("config.json");
    if (response.ok) return await response.json();
  } catch {
    // Served by something else than a swill app: the defaults will do.
  }
  return {};
}

/** The WebSocket URL of `path` on the server that served this page. */
function endpoint(path) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

async function connect(rpcName) {
  const token = {};
  state.token = token;
  state.call?.controller.abort("reconnecting");
  unsubscribe("unsubscribed");
  state.client?.close();
  state.client = null;
  setConnection("connecting", "connecting…");
  let client;
  try {
    client = await Client.connect($("url").value.trim(), {
      encoding: $("encoding").value,
      onStateChange: (change) => state.token === token && showConnection(change),
    });
  } catch (e) {
    if (state.token !== token) return;
    setConnection("disconnected", message(e));
    renderList(`No connection: ${message(e)}`);
    renderTopics([], "");
    return;
  }
  if (state.token !== token) return client.close();
  state.client = client;
  setConnection("connected", "connected");
  const listed = listTopics(client, token);
  try {
    state.rpcs = await client.introspect();
    if (state.token !== token) return;
    renderList();
    const wanted = state.rpcs.find((r) => r.name === rpcName) ?? state.rpcs[0];
    if (wanted) select(wanted);
  } catch (e) {
    if (state.token !== token) return;
    state.rpcs = [];
    const off = e?.code === 404;
    renderList(off ? "This server does not describe its rpcs (swill.introspect is off)." : `No rpcs: ${message(e)}`);
  }
  await listed;
}

function showConnection(change) {
  if (change.state === "disconnected") setConnection("disconnected", `disconnected: ${change.reason}`);
  else if (change.state === "connecting") setConnection("connecting", `connecting (attempt ${change.attempt})…`);
  else setConnection("connected", "connected");
}

function setConnection(kind, text) {
  $("connection").dataset.state = kind;
  $("connection").textContent = text;
}

/** Marks the rpc or the topic shown in the list. */
function markCurrent(rpcName, topicName) {
  for (const button of document.querySelectorAll("#rpcs button")) {
    button.setAttribute("aria-current", String(button.dataset.rpc === rpcName));
  }
  for (const button of document.querySelectorAll("#topics button")) {
    button.setAttribute("aria-current", String(button.dataset.topic === topicName));
  }
}

/** The module an rpc belongs to: its name up to the last dot ("" for none). */
function moduleOf(name) {
  const dot = name.lastIndexOf(".");
  return dot < 0 ? "" : name.slice(0, dot);
}

function renderList(problem) {
  const list = $("rpcs");
  // Rpcs keep the server's order; each module's run gets a heading.
  const items = [];
  let current = "";
  for (const rpc of state.rpcs) {
    const module = moduleOf(rpc.name);
    // Top-level rpcs listed after a module's get a heading of their own,
    // so that they do not read as that module's.
    if (module !== current && (module !== "" || items.length > 0)) {
      items.push(el("li", { class: "module" }, [module || "(no module)"]));
    }
    current = module;
    const button = el("button", { type: "button", "data-rpc": rpc.name, title: rpc.description ?? "" }, [
      el("span", { class: "name" }, [rpc.name]),
      el("span", { class: "shape", "data-shape": rpc.shape }, [SHAPES[rpc.shape] ?? rpc.shape]),
    ]);
    button.addEventListener("click", () => select(rpc));
    items.push(el("li", {}, [button]));
  }
  list.replaceChildren(...items);
  $("rpcs-empty").hidden = !problem && state.rpcs.length > 0;
  $("rpcs-empty").textContent = problem ?? "This server has no rpcs.";
  if (problem) {
    $("detail").hidden = true;
    $("output").hidden = true;
  }
}

function select(rpc) {
  if (state.call && !state.call.done) onCancel();
  unsubscribe("unsubscribed");
  state.selected = rpc;
  topics.selected = null;
  markCurrent(rpc.name, null);
  $("topic").hidden = true;
  $("detail").hidden = false;
  $("rpc-name").textContent = rpc.name;
  $("rpc-shape").textContent = SHAPES[rpc.shape] ?? rpc.shape;
  $("rpc-shape").dataset.shape = rpc.shape;
  $("rpc-description").textContent = rpc.description ?? "";
  describeSide("request", rpc.request, rpc.requestSchema);
  describeSide("response", rpc.response, rpc.responseSchema);
  const streams = rpc.request.streams;
  $("editor-label").textContent = streams ? "Next message of the request stream (JSON)" : "Request (JSON)";
  $("call").hidden = streams;
  $("send").hidden = !streams;
  $("end").hidden = !streams;
  $("end").textContent = rpc.shape === "clientStreaming" ? "Finish" : "End stream";
  fillExample(rpc);
  resetOutput();
  $("output").hidden = true;
  updateButtons();
}

function describeSide(side, message, schema) {
  $(`${side}-type`).textContent = message.type.text;
  $(`${side}-streams`).textContent = message.streams ? "a stream of these" : "";
  $(`${side}-schema`).textContent = schema ? JSON.stringify(schema, null, 2) : "(not described)";
  const rows = fields(schema);
  $(`${side}-fields`).replaceChildren(
    ...(rows.length === 0
      ? []
      : [
          el("table", { class: "fields" }, [
            el("thead", {}, [el("tr", {}, ["field", "type", "description"].map((h) => el("th", {}, [h])))]),
            el(
              "tbody",
              {},
              rows.map((f) =>
                el("tr", {}, [
                  el("td", {}, [el("code", {}, [f.name + (f.required ? "" : "?")])]),
                  el("td", {}, [el("code", {}, [f.type])]),
                  el("td", {}, [f.description]),
                ]),
              ),
            ),
          ]),
        ]),
  );
}

function fillExample(rpc) {
  const value = example(rpc.requestSchema ?? true);
  const compact = JSON.stringify(value);
  $("editor").value = compact.length <= 60 ? compact : JSON.stringify(value, null, 2);
  $("editor-error").textContent = "";
}

// ---- calls -------------------------------------------------------------

/** Reads a textarea as JSON; `undefined` (and a message shown) when it is not. */
function readJson(id, what, empty, errorId = "editor-error") {
  const text = $(id).value.trim();
  if (text === "" && empty !== undefined) return { value: empty };
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    $(errorId).textContent = `${what} is not JSON: ${e.message}`;
    return undefined;
  }
}

function readOptions(signal) {
  const metadata = readJson("metadata", "The metadata", null);
  if (!metadata) return undefined;
  const options = { signal };
  if (metadata.value !== null) options.metadata = metadata.value;
  const timeout = $("timeout").value.trim();
  if (timeout !== "") options.timeoutMs = Number(timeout);
  return options;
}

/** A new call of the selected rpc, replacing the one before. */
function startCall() {
  $("editor-error").textContent = "";
  const controller = new AbortController();
  const options = readOptions(controller.signal);
  if (!options || !state.client) return undefined;
  if (state.call && !state.call.done) onCancel();
  const call = { rpc: state.selected, controller, options, started: performance.now(), done: false };
  call.items = 0;
  call.pending = [];
  state.call = call;
  resetOutput();
  $("output").hidden = false;
  setStatus("running", "running…");
  call.ticker = setInterval(() => showElapsed(call), 100);
  updateButtons();
  return call;
}

async function onCall() {
  const request = readJson("editor", "The request");
  if (!request) return;
  const call = startCall();
  if (!call) return;
  const { name, shape } = call.rpc;
  try {
    if (shape === "unary") {
      const answer = await state.client.callWithMetadata(name, request.value, call.options);
      if (call.done) return;
      showMetadata("leading", answer.leadingMetadata);
      showBlock("result", answer.data);
      showMetadata("trailing", answer.trailingMetadata);
    } else {
      call.handle = state.client.stream(name, request.value, call.options);
      await drain(call);
    }
    finish(call, "done");
  } catch (e) {
    fail(call, e);
  }
}

async function onSend() {
  const request = readJson("editor", "The message");
  if (!request) return;
  let call = state.call;
  if (!call || call.done || call.rpc !== state.selected) {
    call = startCall();
    if (!call) return;
    const { name, shape } = call.rpc;
    call.sent = 0;
    if (shape === "bidirectional") {
      call.handle = state.client.bidi(name, call.options);
      drain(call).then(() => finish(call, "done"), (e) => fail(call, e));
    } else {
      call.handle = state.client.clientStream(name, call.options);
    }
    updateButtons();
  }
  try {
    await call.handle.send(request.value);
    call.sent += 1;
    if (!call.done) setStatus("running", `running… ${call.sent} sent`);
  } catch (e) {
    fail(call, e);
  }
}

async function onEnd() {
  const call = state.call;
  if (!call || call.done || !call.handle) return;
  try {
    if (call.rpc.shape === "clientStreaming") {
      const answer = await call.handle.finish();
      if (call.done) return;
      showMetadata("leading", call.handle.leadingMetadata);
      showBlock("result", answer);
      showMetadata("trailing", call.handle.trailingMetadata);
      finish(call, "done");
    } else {
      await call.handle.end();
      if (!call.done) setStatus("running", `running… ${call.sent} sent, request stream ended`);
    }
  } catch (e) {
    fail(call, e);
  }
}

function onCancel() {
  const call = state.call;
  if (!call || call.done) return;
  call.controller.abort("cancelled in the playground");
  finish(call, "cancelled");
}

/** Shows the items of a response stream as they arrive. */
async function drain(call) {
  $("stream").hidden = false;
  for await (const item of call.handle) {
    if (call.done) return;
    if (!call.leadingShown && call.handle.leadingMetadata) {
      call.leadingShown = true;
      showMetadata("leading", call.handle.leadingMetadata);
    }
    call.items += 1;
    call.pending.push(item);
    if (call.pending.length === 1) requestAnimationFrame(() => flush(call));
  }
  if (call.done) return;
  flush(call);
  if (!call.leadingShown) showMetadata("leading", call.handle.leadingMetadata);
  showMetadata("trailing", call.handle.trailingMetadata);
}

/** Puts the items received since the last frame on the page. */
function flush(call) {
  if (state.call !== call || call.pending.length === 0) return;
  const list = $("items");
  const first = call.items - call.pending.length;
  const fresh = call.pending.slice(-SHOWN_ITEMS);
  const skipped = call.pending.length - fresh.length;
  list.append(...fresh.map((item, i) => el("li", { value: String(first + skipped + i) }, [show(item)])));
  while (list.children.length > SHOWN_ITEMS) list.firstElementChild.remove();
  call.pending = [];
  $("item-count").textContent = `${call.items} item${call.items === 1 ? "" : "s"}`;
}

function finish(call, outcome) {
  if (call.done) return;
  call.done = true;
  clearInterval(call.ticker);
  flush(call);
  showElapsed(call);
  setStatus(outcome, { done: "done", cancelled: "cancelled", error: "failed" }[outcome]);
  updateButtons();
}

function fail(call, error) {
  if (call.done || state.call !== call) return;
  if (error?.code === 499) return finish(call, "cancelled");
  const code = error?.code ?? "?";
  $("error-code").textContent = String(code);
  $("error").dataset.code = String(code);
  const data = error?.data === undefined ? "" : `\n${show(error.data)}`;
  $("error").querySelector("pre").textContent = `${message(error)}${data}`;
  $("error").hidden = false;
  finish(call, "error");
}

function updateButtons() {
  const running = state.call && !state.call.done;
  $("cancel").disabled = !running;
  $("end").disabled = !running || !state.call.handle;
}

// ---- topics ------------------------------------------------------------

/** Lists the server's topics (`swill.topics`); a server without topics answers 404. */
async function listTopics(client, token) {
  try {
    const list = [];
    for await (const topic of client.stream("swill.topics", null)) list.push(topic);
    if (state.token === token) renderTopics(list);
  } catch (e) {
    if (state.token === token) renderTopics([], e?.code === 404 ? undefined : `No topics: ${message(e)}`);
  }
}

function renderTopics(list, problem) {
  topics.list = list;
  $("topics").replaceChildren(
    ...list.map((topic) => {
      const button = el("button", { type: "button", "data-topic": topic.name, title: topic.description ?? "" }, [
        el("span", { class: "name" }, [topic.name]),
        el("span", { class: "shape", "data-shape": "topic" }, ["topic"]),
      ]);
      button.addEventListener("click", () => selectTopic(topic));
      return el("li", {}, [button]);
    }),
  );
  $("topics-empty").hidden = list.length > 0;
  $("topics-empty").textContent = problem ?? "This server has no topics.";
  if (topics.selected && !list.some((t) => t.name === topics.selected.name)) $("topic").hidden = true;
}

function selectTopic(topic) {
  if (state.call && !state.call.done) onCancel();
  unsubscribe("unsubscribed");
  state.selected = null;
  topics.selected = topic;
  markCurrent(null, topic.name);
  $("detail").hidden = true;
  $("output").hidden = true;
  $("topic").hidden = false;
  $("topic-name").textContent = topic.name;
  $("topic-description").textContent = topic.description ?? "";
  $("topic-facts").textContent = facts(topic);
  const value = topic.schema ? example(topic.schema) : { text: "hello" };
  $("publish-editor").value = JSON.stringify(value);
  $("publish-error").textContent = "";
  $("publish-result").textContent = "";
  $("publications").replaceChildren();
  $("publication-count").textContent = "0 received";
  setSubscription("idle", "not subscribed");
}

/** A line about a topic: its message type and its history. */
function facts(topic) {
  const history =
    topic.history > 0
      ? `history: the last ${topic.history} publications${topic.history_ttl_ms ? ` of ${duration(topic.history_ttl_ms)}` : ""}`
      : "no history";
  return `message: ${typeText(topic.message)} · ${history}`;
}

/** A wire type description (`{type, arguments}`) as Python writes it. */
function typeText(desc) {
  if (!desc || typeof desc !== "object") return "Any";
  const args = desc.arguments instanceof Map ? [...desc.arguments.values()] : [];
  return args.length ? `${desc.type}[${args.map(typeText).join(", ")}]` : String(desc.type ?? "Any");
}

function duration(ms) {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** Subscribes to the topic shown, and shows its publications as they arrive. */
async function onSubscribe() {
  const topic = topics.selected;
  if (!topic || !state.client) return;
  unsubscribe("unsubscribed");
  const watch = { topic, received: 0, pending: [], done: false };
  watch.sub = state.client.subscribe(topic.name, { onMissed: (missed) => queue(watch, { missed }) });
  topics.watch = watch;
  $("publications").replaceChildren();
  $("publication-count").textContent = "0 received";
  setSubscription("subscribing", "subscribing…");
  updateTopicButtons();
  try {
    const at = await watch.sub.ready;
    if (watch.done) return;
    setSubscription("subscribed", `subscribed at ${position(at)}`);
    for await (const publication of watch.sub) {
      if (watch.done) return;
      queue(watch, publication);
    }
  } catch (e) {
    if (watch.done) return;
    watch.done = true;
    flushPublications(watch);
    setSubscription("error", `${e?.code ?? "?"} ${message(e)}`);
    updateTopicButtons();
  }
}

/** Ends the subscription shown, if any. */
function unsubscribe(why) {
  const watch = topics.watch;
  if (!watch || watch.done) return;
  watch.done = true;
  watch.sub.unsubscribe();
  flushPublications(watch);
  setSubscription("idle", why);
  updateTopicButtons();
}

async function onPublish() {
  const topic = topics.selected;
  $("publish-error").textContent = "";
  const value = readJson("publish-editor", "The value", undefined, "publish-error");
  if (!value || !topic || !state.client) return;
  const result = $("publish-result");
  result.dataset.state = "running";
  result.textContent = "publishing…";
  try {
    const at = await state.client.publish(topic.name, value.value);
    if (topics.selected !== topic) return;
    result.dataset.state = "done";
    result.textContent = `published at ${position(at)}`;
  } catch (e) {
    if (topics.selected !== topic) return;
    result.dataset.state = "error";
    result.textContent = `${e?.code ?? "?"} ${message(e)}`;
  }
}

/** Shows a publication (or a loss) at the next frame, with the others that came meanwhile. */
function queue(watch, entry) {
  watch.pending.push(entry);
  if (watch.pending.length === 1) requestAnimationFrame(() => flushPublications(watch));
}

function flushPublications(watch) {
  if (topics.watch !== watch || watch.pending.length === 0) return;
  const list = $("publications");
  const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
  list.append(...watch.pending.slice(-SHOWN_ITEMS).map(entryElement));
  while (list.children.length > SHOWN_ITEMS) list.firstElementChild.remove();
  if (atBottom) list.scrollTop = list.scrollHeight;
  watch.received += watch.pending.filter((entry) => !entry.missed).length;
  watch.pending = [];
  $("publication-count").textContent = `${watch.received} received`;
}

function entryElement(entry) {
  if (entry.missed) {
    const { last, now } = entry.missed;
    const lost = last ? `publications after ${position(last)} were lost` : "publications were lost";
    return el("li", { class: "missed" }, [`${lost}; going on after ${position(now)}`]);
  }
  const at = position(entry);
  return el("li", { "data-position": at }, [
    el("code", { class: "position" }, [at]),
    el("span", { class: "data" }, [show(entry.data, 0)]),
  ]);
}

function position(p) {
  return `${p.epoch}:${p.offset}`;
}

function setSubscription(kind, text) {
  $("subscription-status").dataset.state = kind;
  $("subscription-status").textContent = text;
}

function updateTopicButtons() {
  const on = topics.watch && !topics.watch.done;
  $("subscribe").disabled = Boolean(on);
  $("unsubscribe").disabled = !on;
}

// ---- output ------------------------------------------------------------

function resetOutput() {
  for (const id of ["leading", "result", "stream", "error", "trailing"]) $(id).hidden = true;
  $("items").replaceChildren();
  $("item-count").textContent = "0 items";
  $("elapsed").textContent = "";
  delete $("error").dataset.code;
  setStatus("idle", "idle");
}

function setStatus(kind, text) {
  $("call-status").dataset.state = kind;
  $("call-status").textContent = text;
}

function showElapsed(call) {
  const ms = performance.now() - call.started;
  $("elapsed").textContent = ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

function showMetadata(which, metadata) {
  if (metadata && Object.keys(metadata).length > 0) showBlock(which, metadata);
}

function showBlock(id, value) {
  $(id).querySelector("pre").textContent = show(value);
  $(id).hidden = false;
}

/** A value as JSON text: big integers as numbers, bytes as arrays, maps as objects. */
function show(value, indent = 2) {
  const text = JSON.stringify(toJson(value), null, indent);
  return text === undefined ? "undefined" : text.replace(/"\\u0000bigint:(-?\d+)"/g, "$1");
}

function toJson(value) {
  if (typeof value === "bigint") return `\u0000bigint:${value}`;
  if (value instanceof Uint8Array) return Array.from(value);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), toJson(v)]));
  if (Array.isArray(value)) return value.map(toJson);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  }
  return value;
}

function message(error) {
  return error?.message ?? String(error);
}

function el(tag, attributes, children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}
