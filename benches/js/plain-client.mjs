// A plain JavaScript Swill v1 client for unary calls, hand-written on
// @msgpack/msgpack and ws, as a JS developer would write one: the peer the
// wasm client (swill-client) is measured against in bench.mjs.
//
// The wire (docs/protocol.md): one binary WebSocket frame per MessagePack
// value; the subprotocol `swill.v1`; a request is `[seq, data, rpc]` (type
// MESSAGE and nil metadata left out) or `[seq, data, rpc, 0, metadata]`; the
// answer is `[seq, data, type, leading, trailing]` (2 to 5 elements; type
// 0 MESSAGE, 2 METADATA, 3 ERROR with data `{code, message, data?}`).
// Responses carry only the seq: one counter per connection, from 1, never
// reused, and a Map of the calls in flight by seq.

import { Decoder, Encoder } from "@msgpack/msgpack";
import { WebSocket } from "ws";

const MESSAGE = 0;
const END_OF_STREAM = 1;
const METADATA = 2;
const ERROR = 3;

/** A failed call: the server's ERROR, or 503 for a lost connection. */
export class SwillError extends Error {
  constructor(code, message, data) {
    super(message);
    this.name = "SwillError";
    this.code = code;
    this.data = data;
  }
}

export class PlainClient {
  /**
   * Opens one WebSocket to `url` (`ws://HOST:PORT/ws`) offering `swill.v1`.
   * With `cork`, the frames after the first of a turn of the event loop are
   * held in ws's TCP socket until the turn's microtasks have run, as
   * swill-client does with ws (for a like-for-like run: `bench.mjs --plain-cork`).
   */
  static connect(url, { cork = false } = {}) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, "swill.v1");
      const fail = (e) => reject(e instanceof Error ? e : new Error(`cannot connect to ${url}`));
      ws.once("error", fail);
      ws.once("open", () => {
        ws.off("error", fail);
        resolve(new PlainClient(ws, cork));
      });
    });
  }

  constructor(ws, cork = false) {
    this.ws = ws;
    this.cork = cork;
    /** 0: nothing sent this turn; 1: one frame sent; 2: the socket corked */
    this.turn = 0;
    this.seq = 0;
    /** seq -> { resolve, reject } of each call in flight */
    this.pending = new Map();
    this.encoder = new Encoder();
    this.decoder = new Decoder();
    ws.on("message", (data, isBinary) => {
      if (isBinary) this.receive(data);
    });
    ws.on("close", (code) => this.failAll(new SwillError(503, `the connection closed (${code})`)));
    ws.on("error", () => {}); // the close event that follows fails the calls
  }

  /** A unary call: resolves with the answer, rejects with a SwillError. */
  call(rpc, data, metadata) {
    if (this.ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(new SwillError(503, "the connection is closed"));
    }
    const seq = ++this.seq;
    const frame = metadata == null
      ? this.encoder.encode([seq, data, rpc])
      : this.encoder.encode([seq, data, rpc, MESSAGE, metadata]);
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      this.send(frame);
    });
  }

  send(frame) {
    if (this.cork && this.turn === 0) {
      this.turn = 1;
      queueMicrotask(() => {
        if (this.turn === 2) this.ws._socket.uncork();
        this.turn = 0;
      });
    } else if (this.cork && this.turn === 1) {
      this.ws._socket.cork();
      this.turn = 2;
    }
    this.ws.send(frame);
  }

  receive(bytes) {
    let frame;
    try {
      frame = this.decoder.decode(bytes);
    } catch {
      return; // not one MessagePack value: nothing to route it by
    }
    if (!Array.isArray(frame) || frame.length < 2) return;
    const seq = frame[0];
    const call = this.pending.get(seq);
    if (call === undefined) return; // a call no longer waited for
    const type = frame.length > 2 ? frame[2] : MESSAGE;
    switch (type) {
      case MESSAGE:
        this.pending.delete(seq);
        call.resolve(frame[1]);
        return;
      case ERROR: {
        this.pending.delete(seq);
        const e = frame[1] ?? {};
        call.reject(new SwillError(e.code ?? 500, e.message ?? "", e.data));
        return;
      }
      case METADATA:
        return; // leading metadata alone: the answer follows
      case END_OF_STREAM:
      default:
        this.pending.delete(seq);
        call.reject(new SwillError(400, `unexpected frame type ${type} for a unary call`));
    }
  }

  failAll(error) {
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const call of calls) call.reject(error);
  }

  close() {
    this.ws.close(1000);
    this.failAll(new SwillError(503, "the client was closed"));
  }
}
