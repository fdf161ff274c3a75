class BidiStream {
  static __wrap(ptr) {
    const obj = Object.create(BidiStream.prototype);
    obj.__wbg_ptr = ptr;
    BidiStreamFinalization.register(obj, obj.__wbg_ptr, obj);
    return obj;
  }
  __destroy_into_raw() {
    const ptr = this.__wbg_ptr;
    this.__wbg_ptr = 0;
    BidiStreamFinalization.unregister(this);
    return ptr;
  }
  free() {
    const ptr = this.__destroy_into_raw();
    wasm["lb"](ptr, 0);
  }
  /**
   * The iterator for `for await`.
   * @returns {StreamIterator}
   */
  [Symbol.asyncIterator]() {
    const ret = wasm["tb"](this.__wbg_ptr);
    return StreamIterator.__wrap(ret);
  }
  /**
   * Cancels the call: CANCEL goes to the server, both streams end.
   * @returns {Promise<any>}
   */
  cancel() {
    const ret = wasm["ub"](this.__wbg_ptr);
    return ret;
  }
  /**
   * Ends the request stream (END_OF_STREAM); the responses go on.
   * @returns {Promise<any>}
   */
  end() {
    const ret = wasm["vb"](this.__wbg_ptr);
    return ret;
  }
  /**
   * The server's leading metadata, once it has arrived.
   * @returns {any}
   */
  get leadingMetadata() {
    const ret = wasm["wb"](this.__wbg_ptr);
    return ret;
  }
  /**
   * Sends one message of the request stream.
   * @param {any} message
   * @returns {Promise<any>}
   */
  send(message) {
    const ret = wasm["xb"](this.__wbg_ptr, message);
    return ret;
  }
  /**
   * The server's trailing metadata, once the stream has ended.
   * @returns {any}
   */
  get trailingMetadata() {
    const ret = wasm["yb"](this.__wbg_ptr);
    return ret;
  }
}
if (Symbol.dispose) BidiStream.prototype[Symbol.dispose] = BidiStream.prototype.free;
class Client {
  static __wrap(ptr) {
    const obj = Object.create(Client.prototype);
    obj.__wbg_ptr = ptr;
    ClientFinalization.register(obj, obj.__wbg_ptr, obj);
    return obj;
  }
  __destroy_into_raw() {
    const ptr = this.__wbg_ptr;
    this.__wbg_ptr = 0;
    ClientFinalization.unregister(this);
    return ptr;
  }
  free() {
    const ptr = this.__destroy_into_raw();
    wasm["mb"](ptr, 0);
  }
  /**
   * A bidirectional call.
   * @param {any} rpc
   * @param {any} options
   * @returns {BidiStream}
   */
  bidi(rpc, options) {
    const ret = wasm["zb"](this.__wbg_ptr, rpc, options);
    return BidiStream.__wrap(ret);
  }
  /**
   * A unary call answering `{ data, leadingMetadata, trailingMetadata }`.
   * @param {any} rpc
   * @param {any} request
   * @param {any} options
   * @returns {Promise<any>}
   */
  callWithMetadata(rpc, request, options) {
    const ret = wasm["Bb"](this.__wbg_ptr, rpc, request, options);
    return ret;
  }
  /**
   * A unary call (typed in the `Client` interface above).
   * @param {any} rpc
   * @param {any} request
   * @param {any} options
   * @returns {Promise<any>}
   */
  call(rpc, request, options) {
    const ret = wasm["Ab"](this.__wbg_ptr, rpc, request, options);
    return ret;
  }
  /**
   * A client-streaming call.
   * @param {any} rpc
   * @param {any} options
   * @returns {ClientStream}
   */
  clientStream(rpc, options) {
    const ret = wasm["Cb"](this.__wbg_ptr, rpc, options);
    return ClientStream.__wrap(ret);
  }
  /**
   * Closes the connection: calls in flight fail with 503, and so do
   * calls made later.
   */
  close() {
    wasm["Db"](this.__wbg_ptr);
  }
  /**
   * Connects to `url` (e.g. `ws://127.0.0.1:8000/ws`), offering the
   * subprotocol `swill.v1`. One attempt; it fails with a `SwillError`
   * 503 when the server cannot be reached.
   * @param {string | URL} url
   * @param {ConnectOptions | null} [options]
   * @returns {Promise<Client>}
   */
  static connect(url, options) {
    const ret = wasm["Eb"](url, isLikeNone(options) ? 0 : addToExternrefTable0(options));
    return ret;
  }
  /**
   * Describes the server's rpcs (`swill.introspect`), in registration
   * order.
   * @returns {Promise<RpcDescription[]>}
   */
  introspect() {
    const ret = wasm["Fb"](this.__wbg_ptr);
    return ret;
  }
  /**
   * Who is subscribed to a topic.
   * @param {any} topic
   * @param {any} options
   * @returns {Promise<any>}
   */
  presence(topic, options) {
    const ret = wasm["Gb"](this.__wbg_ptr, topic, options);
    return ret;
  }
  /**
   * Publishes to a topic, resolving to the publication's position.
   * @param {any} topic
   * @param {any} data
   * @param {any} options
   * @returns {Promise<any>}
   */
  publish(topic, data, options) {
    const ret = wasm["Hb"](this.__wbg_ptr, topic, data, options);
    return ret;
  }
  /**
   * The id of this client's session on the server, when the app has
   * sessions and the id is known here: in Node with the `ws` package,
   * from the moment it connects; in browsers, which keep it in an
   * HttpOnly cookie, only once the server changed it (after a sign-in
   * or sign-out). Pass it as `session` to `Client.connect` to resume the
   * session later; the client presents it by itself when it reconnects.
   * @returns {string | undefined}
   */
  get session() {
    const ret = wasm["Ib"](this.__wbg_ptr);
    let v1;
    if (ret[0] !== 0) {
      v1 = getStringFromWasm0(ret[0], ret[1]);
      wasm["mc"](ret[0], ret[1] * 1, 1);
    }
    return v1;
  }
  /**
   * A server-streaming call.
   * @param {any} rpc
   * @param {any} request
   * @param {any} options
   * @returns {ServerStream}
   */
  stream(rpc, request, options) {
    const ret = wasm["Jb"](this.__wbg_ptr, rpc, request, options);
    return ServerStream.__wrap(ret);
  }
  /**
   * Subscribes to a topic (typed in the `Client` interface above).
   * @param {any} topic
   * @param {any} options
   * @returns {Subscription}
   */
  subscribe(topic, options) {
    const ret = wasm["Kb"](this.__wbg_ptr, topic, options);
    if (ret[2]) {
      throw takeFromExternrefTable0(ret[1]);
    }
    return Subscription.__wrap(ret[0]);
  }
}
if (Symbol.dispose) Client.prototype[Symbol.dispose] = Client.prototype.free;
class ClientStream {
  static __wrap(ptr) {
    const obj = Object.create(ClientStream.prototype);
    obj.__wbg_ptr = ptr;
    ClientStreamFinalization.register(obj, obj.__wbg_ptr, obj);
    return obj;
  }
  __destroy_into_raw() {
    const ptr = this.__wbg_ptr;
    this.__wbg_ptr = 0;
    ClientStreamFinalization.unregister(this);
    return ptr;
  }
  free() {
    const ptr = this.__destroy_into_raw();
    wasm["nb"](ptr, 0);
  }
  /**
   * Cancels the call: CANCEL goes to the server.
   * @returns {Promise<any>}
   */
  cancel() {
    const ret = wasm["Lb"](this.__wbg_ptr);
    return ret;
  }
  /**
   * Ends the request stream and resolves to the answer (the same
   * promise each time).
   * @returns {Promise<any>}
   */
  finish() {
    const ret = wasm["Mb"](this.__wbg_ptr);
    return ret;
  }
  /**
   * The server's leading metadata, once it has arrived.
   * @returns {any}
   */
  get leadingMetadata() {
    const ret = wasm["Nb"](this.__wbg_ptr);
    return ret;
  }
  /**
   * Sends one message of the request stream.
   * @param {any} message
   * @returns {Promise<any>}
   */
  send(message) {
    const ret = wasm["Ob"](this.__wbg_ptr, message);
    return ret;
  }
  /**
   * The server's trailing metadata, once the answer has arrived.
   * @returns {any}
   */
  get trailingMetadata() {
    const ret = wasm["Pb"](this.__wbg_ptr);
    return ret;
  }
}
if (Symbol.dispose) ClientStream.prototype[Symbol.dispose] = ClientStream.prototype.free;
class ServerStream {
  static __wrap(ptr) {
    const obj = Object.create(ServerStream.prototype);
    obj.__wbg_ptr = ptr;
    ServerStreamFinalization.register(obj, obj.__wbg_ptr, obj);
    return obj;
  }
  __destroy_into_raw() {
    const ptr = this.__wbg_ptr;
    this.__wbg_ptr = 0;
    ServerStreamFinalization.unregister(this);
    return ptr;
  }
  free() {
    const ptr = this.__destroy_into_raw();
    wasm["ob"](ptr, 0);
  }
  /**
   * The iterator for `for await`.
   * @returns {StreamIterator}
   */
  [Symbol.asyncIterator]() {
    const ret = wasm["Qb"](this.__wbg_ptr);
    return StreamIterator.__wrap(ret);
  }
  /**
   * Cancels the call: CANCEL goes to the server, the stream ends.
   * @returns {Promise<any>}
   */
  cancel() {
    const ret = wasm["Rb"](this.__wbg_ptr);
    return ret;
  }
  /**
   * The server's leading metadata, once it has arrived.
   * @returns {any}
   */
  get leadingMetadata() {
    const ret = wasm["Sb"](this.__wbg_ptr);
    return ret;
  }
  /**
   * The server's trailing metadata, once the stream has ended.
   * @returns {any}
   */
  get trailingMetadata() {
    const ret = wasm["Tb"](this.__wbg_ptr);
    return ret;
  }
}
if (Symbol.dispose) ServerStream.prototype[Symbol.dispose] = ServerStream.prototype.free;
class StreamIterator {
  static __wrap(ptr) {
    const obj = Object.create(StreamIterator.prototype);
    obj.__wbg_ptr = ptr;
    StreamIteratorFinalization.register(obj, obj.__wbg_ptr, obj);
    return obj;
  }
  __destroy_into_raw() {
    const ptr = this.__wbg_ptr;
    this.__wbg_ptr = 0;
    StreamIteratorFinalization.unregister(this);
    return ptr;
  }
  free() {
    const ptr = this.__destroy_into_raw();
    wasm["pb"](ptr, 0);
  }
  /**
   * The next message, `{ done: true }` after the end; rejects with the
   * call's failure (once).
   * @returns {Promise<any>}
   */
  next() {
    const ret = wasm["Ub"](this.__wbg_ptr);
    return ret;
  }
  /**
   * Called by `break` (and `return`) in a `for await`: cancels the call.
   * @returns {Promise<any>}
   */
  return() {
    const ret = wasm["Vb"](this.__wbg_ptr);
    return ret;
  }
}
if (Symbol.dispose) StreamIterator.prototype[Symbol.dispose] = StreamIterator.prototype.free;
class Subscription {
  static __wrap(ptr) {
    const obj = Object.create(Subscription.prototype);
    obj.__wbg_ptr = ptr;
    SubscriptionFinalization.register(obj, obj.__wbg_ptr, obj);
    return obj;
  }
  __destroy_into_raw() {
    const ptr = this.__wbg_ptr;
    this.__wbg_ptr = 0;
    SubscriptionFinalization.unregister(this);
    return ptr;
  }
  free() {
    const ptr = this.__destroy_into_raw();
    wasm["qb"](ptr, 0);
  }
  /**
   * The iterator for `for await`.
   * @returns {SubscriptionIterator}
   */
  [Symbol.asyncIterator]() {
    const ret = wasm["Wb"](this.__wbg_ptr);
    return SubscriptionIterator.__wrap(ret);
  }
  /**
   * How many times publications were lost for good (`onMissed` calls).
   * @returns {number}
   */
  get missed() {
    const ret = wasm["Zb"](this.__wbg_ptr);
    return ret >>> 0;
  }
  /**
   * The last position delivered (or subscribed at): subscribe with it
   * as `since` to get what follows. Until the server confirms, it is
   * `since`, or `null` without one.
   * @returns {any}
   */
  get position() {
    const ret = wasm["_b"](this.__wbg_ptr);
    return ret;
  }
  /**
   * Resolves with the position subscribed at once the server has
   * confirmed the subscription; rejects with its refusal.
   * @returns {Promise<any>}
   */
  get ready() {
    const ret = wasm["$b"](this.__wbg_ptr);
    return ret;
  }
  /**
   * The topic followed.
   * @returns {string}
   */
  get topic() {
    let deferred1_0;
    let deferred1_1;
    try {
      const ret = wasm["ac"](this.__wbg_ptr);
      deferred1_0 = ret[0];
      deferred1_1 = ret[1];
      return getStringFromWasm0(ret[0], ret[1]);
    } finally {
      wasm["mc"](deferred1_0, deferred1_1, 1);
    }
  }
  /**
   * Unsubscribes: CANCEL goes to the server, the iteration ends.
   */
  unsubscribe() {
    wasm["bc"](this.__wbg_ptr);
  }
}
if (Symbol.dispose) Subscription.prototype[Symbol.dispose] = Subscription.prototype.free;
class SubscriptionIterator {
  static __wrap(ptr) {
    const obj = Object.create(SubscriptionIterator.prototype);
    obj.__wbg_ptr = ptr;
    SubscriptionIteratorFinalization.register(obj, obj.__wbg_ptr, obj);
    return obj;
  }
  __destroy_into_raw() {
    const ptr = this.__wbg_ptr;
    this.__wbg_ptr = 0;
    SubscriptionIteratorFinalization.unregister(this);
    return ptr;
  }
  free() {
    const ptr = this.__destroy_into_raw();
    wasm["rb"](ptr, 0);
  }
  /**
   * The next publication, `{ done: true }` once unsubscribed; rejects
   * (once) with what ended the subscription.
   * @returns {Promise<any>}
   */
  next() {
    const ret = wasm["cc"](this.__wbg_ptr);
    return ret;
  }
  /**
   * Called by `break` (and `return`) in a `for await`: unsubscribes.
   * @returns {Promise<any>}
   */
  return() {
    const ret = wasm["dc"](this.__wbg_ptr);
    return ret;
  }
}
if (Symbol.dispose) SubscriptionIterator.prototype[Symbol.dispose] = SubscriptionIterator.prototype.free;
class SwillError {
  static __wrap(ptr) {
    const obj = Object.create(SwillError.prototype);
    obj.__wbg_ptr = ptr;
    SwillErrorFinalization.register(obj, obj.__wbg_ptr, obj);
    return obj;
  }
  __destroy_into_raw() {
    const ptr = this.__wbg_ptr;
    this.__wbg_ptr = 0;
    SwillErrorFinalization.unregister(this);
    return ptr;
  }
  free() {
    const ptr = this.__destroy_into_raw();
    wasm["sb"](ptr, 0);
  }
}
if (Symbol.dispose) SwillError.prototype[Symbol.dispose] = SwillError.prototype.free;
function __wbg_get_imports() {
  const import0 = {
    __proto__: null,
    "ta": function(arg0, arg1) {
      const ret = Error(getStringFromWasm0(arg0, arg1));
      return ret;
    },
    "Wa": function(arg0, arg1) {
      const v = arg1;
      const ret = typeof v === "bigint" ? v : void 0;
      getDataViewMemory0().setBigInt64((arg0 >>> 0) + 8 * 1, isLikeNone(ret) ? BigInt(0) : ret, true);
      getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, !isLikeNone(ret), true);
    },
    "Ta": function(arg0) {
      const v = arg0;
      const ret = typeof v === "boolean" ? v : void 0;
      return isLikeNone(ret) ? 16777215 : ret ? 1 : 0;
    },
    "na": function(arg0, arg1) {
      const ret = debugString(arg1);
      const ptr1 = passStringToWasm0(ret, wasm["kc"], wasm["lc"]);
      const len1 = WASM_VECTOR_LEN;
      getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
      getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
    },
    "z": function(arg0) {
      const ret = typeof arg0 === "bigint";
      return ret;
    },
    "Ua": function(arg0) {
      const ret = typeof arg0 === "function";
      return ret;
    },
    "Qa": function(arg0) {
      const ret = arg0 === null;
      return ret;
    },
    "Sa": function(arg0) {
      const val = arg0;
      const ret = typeof val === "object" && val !== null;
      return ret;
    },
    "A": function(arg0) {
      const ret = typeof arg0 === "symbol";
      return ret;
    },
    "Va": function(arg0) {
      const ret = arg0 === void 0;
      return ret;
    },
    "Ra": function(arg0, arg1) {
      const ret = arg0 === arg1;
      return ret;
    },
    "Pa": function(arg0, arg1) {
      const obj = arg1;
      const ret = typeof obj === "number" ? obj : void 0;
      getDataViewMemory0().setFloat64((arg0 >>> 0) + 8 * 1, isLikeNone(ret) ? 0 : ret, true);
      getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, !isLikeNone(ret), true);
    },
    "Oa": function(arg0, arg1) {
      const obj = arg1;
      const ret = typeof obj === "string" ? obj : void 0;
      var ptr1 = isLikeNone(ret) ? 0 : passStringToWasm0(ret, wasm["kc"], wasm["lc"]);
      var len1 = WASM_VECTOR_LEN;
      getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
      getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
    },
    "Xa": function(arg0, arg1) {
      throw new Error(getStringFromWasm0(arg0, arg1));
    },
    "e": function(arg0) {
      const ret = typeof arg0;
      return ret;
    },
    "oa": function(arg0) {
      arg0._wbg_cb_unref();
    },
    "_a": function(arg0) {
      const ret = arg0.aborted;
      return ret;
    },
    "$a": function() {
      return handleError(function(arg0, arg1, arg2, arg3) {
        arg0.addEventListener(getStringFromWasm0(arg1, arg2), arg3);
      }, arguments);
    },
    "Fa": function() {
      return handleError(function(arg0, arg1) {
        const ret = arg0.call(arg1);
        return ret;
      }, arguments);
    },
    "ra": function() {
      return handleError(function(arg0, arg1, arg2) {
        const ret = arg0.call(arg1, arg2);
        return ret;
      }, arguments);
    },
    "_": function() {
      return handleError(function(arg0, arg1, arg2, arg3) {
        const ret = arg0.call(arg1, arg2, arg3);
        return ret;
      }, arguments);
    },
    "pa": function(arg0) {
      clearTimeout(arg0);
    },
    "va": function(arg0) {
      const ret = Client.__wrap(arg0);
      return ret;
    },
    "fa": function() {
      return handleError(function(arg0, arg1, arg2, arg3) {
        arg0.close(arg1, getStringFromWasm0(arg2, arg3));
      }, arguments);
    },
    "Za": function() {
      return handleError(function(arg0) {
        arg0.close();
      }, arguments);
    },
    "ha": function(arg0) {
      const ret = arg0.code;
      return ret;
    },
    "Z": function() {
      return handleError(function(arg0, arg1) {
        const ret = Reflect.construct(arg0, arg1);
        return ret;
      }, arguments);
    },
    "ia": function(arg0) {
      const ret = arg0.data;
      return ret;
    },
    "t": function(arg0, arg1, arg2) {
      const ret = Object.defineProperty(arg0, arg1, arg2);
      return ret;
    },
    "I": function(arg0) {
      const ret = arg0.done;
      return ret;
    },
    "m": function(arg0, arg1) {
      console.error(arg0, arg1);
    },
    "j": function(arg0) {
      const ret = Object.getPrototypeOf(arg0);
      return ret;
    },
    "y": function() {
      return handleError(function(arg0) {
        const ret = Object.getPrototypeOf(arg0);
        return ret;
      }, arguments);
    },
    "Ia": function() {
      return handleError(function(arg0, arg1) {
        const ret = Reflect.get(arg0, arg1);
        return ret;
      }, arguments);
    },
    "K": function(arg0, arg1) {
      const ret = arg0[arg1 >>> 0];
      return ret;
    },
    "wa": function(arg0, arg1) {
      const ret = arg0[arg1 >>> 0];
      return ret;
    },
    "Ha": function(arg0) {
      let result;
      try {
        result = arg0 instanceof ArrayBuffer;
      } catch (_) {
        result = false;
      }
      const ret = result;
      return ret;
    },
    "M": function(arg0) {
      let result;
      try {
        result = arg0 instanceof Boolean;
      } catch (_) {
        result = false;
      }
      const ret = result;
      return ret;
    },
    "Ga": function(arg0) {
      let result;
      try {
        result = arg0 instanceof Error;
      } catch (_) {
        result = false;
      }
      const ret = result;
      return ret;
    },
    "N": function(arg0) {
      let result;
      try {
        result = arg0 instanceof String;
      } catch (_) {
        result = false;
      }
      const ret = result;
      return ret;
    },
    "G": function(arg0) {
      let result;
      try {
        result = arg0 instanceof Map;
      } catch (_) {
        result = false;
      }
      const ret = result;
      return ret;
    },
    "L": function(arg0) {
      let result;
      try {
        result = arg0 instanceof Number;
      } catch (_) {
        result = false;
      }
      const ret = result;
      return ret;
    },
    "da": function(arg0) {
      let result;
      try {
        result = arg0 instanceof Object;
      } catch (_) {
        result = false;
      }
      const ret = result;
      return ret;
    },
    "S": function(arg0) {
      let result;
      try {
        result = arg0 instanceof Promise;
      } catch (_) {
        result = false;
      }
      const ret = result;
      return ret;
    },
    "P": function(arg0) {
      let result;
      try {
        result = arg0 instanceof RegExp;
      } catch (_) {
        result = false;
      }
      const ret = result;
      return ret;
    },
    "O": function(arg0) {
      let result;
      try {
        result = arg0 instanceof Set;
      } catch (_) {
        result = false;
      }
      const ret = result;
      return ret;
    },
    "D": function(arg0) {
      let result;
      try {
        result = arg0 instanceof SharedArrayBuffer;
      } catch (_) {
        result = false;
      }
      const ret = result;
      return ret;
    },
    "Ma": function(arg0) {
      let result;
      try {
        result = arg0 instanceof Uint8Array;
      } catch (_) {
        result = false;
      }
      const ret = result;
      return ret;
    },
    "Q": function(arg0) {
      let result;
      try {
        result = arg0 instanceof WeakMap;
      } catch (_) {
        result = false;
      }
      const ret = result;
      return ret;
    },
    "R": function(arg0) {
      let result;
      try {
        result = arg0 instanceof WeakSet;
      } catch (_) {
        result = false;
      }
      const ret = result;
      return ret;
    },
    "x": function() {
      return handleError(function(arg0) {
        const ret = Array.isArray(arg0);
        return ret;
      }, arguments);
    },
    "ua": function(arg0) {
      const ret = Array.isArray(arg0);
      return ret;
    },
    "E": function(arg0) {
      const ret = ArrayBuffer.isView(arg0);
      return ret;
    },
    "w": function() {
      return handleError(function(arg0) {
        const ret = Object.keys(arg0);
        return ret;
      }, arguments);
    },
    "Da": function(arg0) {
      const ret = arg0.length;
      return ret;
    },
    "v": function(arg0) {
      const ret = arg0.length;
      return ret;
    },
    "l": function(arg0) {
      const ret = arg0.message;
      return ret;
    },
    "C": function(arg0) {
      const ret = new Uint8Array(arg0);
      return ret;
    },
    "b": function() {
      const ret = new Array();
      return ret;
    },
    "r": function() {
      const ret = /* @__PURE__ */ new Map();
      return ret;
    },
    "h": function(arg0, arg1) {
      const ret = new Error(getStringFromWasm0(arg0, arg1));
      return ret;
    },
    "$": function(arg0, arg1) {
      try {
        var state0 = { a: arg0, b: arg1 };
        var cb0 = (arg02, arg12) => {
          const a = state0.a;
          state0.a = 0;
          try {
            return wasm_bindgen__convert__closures_____invoke__h8e57110186c0282a(a, state0.b, arg02, arg12);
          } finally {
            state0.a = a;
          }
        };
        const ret = new Promise(cb0);
        return ret;
      } finally {
        state0.a = 0;
      }
    },
    "a": function() {
      const ret = new Object();
      return ret;
    },
    "q": function(arg0, arg1) {
      const ret = new Uint8Array(getArrayU8FromWasm0(arg0, arg1));
      return ret;
    },
    "sa": function(arg0, arg1) {
      try {
        var state0 = { a: arg0, b: arg1 };
        var cb0 = (arg02, arg12) => {
          const a = state0.a;
          state0.a = 0;
          try {
            return wasm_bindgen__convert__closures_____invoke__h8e57110186c0282a(a, state0.b, arg02, arg12);
          } finally {
            state0.a = a;
          }
        };
        const ret = new Promise(cb0);
        return ret;
      } finally {
        state0.a = 0;
      }
    },
    "F": function(arg0, arg1, arg2) {
      const ret = new Uint8Array(arg0, arg1 >>> 0, arg2 >>> 0);
      return ret;
    },
    "H": function() {
      return handleError(function(arg0) {
        const ret = arg0.next();
        return ret;
      }, arguments);
    },
    "f": function() {
      const ret = Date.now();
      return ret;
    },
    "X": function(arg0) {
      const ret = Array.of(arg0);
      return ret;
    },
    "Y": function(arg0, arg1) {
      const ret = Array.of(arg0, arg1);
      return ret;
    },
    "Na": function(arg0, arg1) {
      const ret = parseFloat(getStringFromWasm0(arg0, arg1));
      return ret;
    },
    "Ea": function(arg0, arg1, arg2) {
      Uint8Array.prototype.set.call(getArrayU8FromWasm0(arg0, arg1), arg2);
    },
    "c": function(arg0, arg1) {
      const ret = arg0.push(arg1);
      return ret;
    },
    "ya": function(arg0) {
      const ret = arg0.queueMicrotask;
      return ret;
    },
    "La": function(arg0) {
      queueMicrotask(arg0);
    },
    "o": function() {
      const ret = Math.random();
      return ret;
    },
    "la": function(arg0) {
      const ret = arg0.readyState;
      return ret;
    },
    "ga": function(arg0, arg1) {
      const ret = arg1.reason;
      const ptr1 = passStringToWasm0(ret, wasm["kc"], wasm["lc"]);
      const len1 = WASM_VECTOR_LEN;
      getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
      getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
    },
    "g": function(arg0) {
      const ret = arg0.reason;
      return ret;
    },
    "xa": function(arg0) {
      const ret = Promise.reject(arg0);
      return ret;
    },
    "qa": function() {
      return handleError(function(arg0, arg1, arg2, arg3) {
        arg0.removeEventListener(getStringFromWasm0(arg1, arg2), arg3);
      }, arguments);
    },
    "p": function(arg0) {
      const ret = Promise.resolve(arg0);
      return ret;
    },
    "ja": function() {
      return handleError(function(arg0, arg1) {
        arg0.send(arg1);
      }, arguments);
    },
    "ka": function() {
      return handleError(function(arg0, arg1, arg2) {
        arg0.send(getStringFromWasm0(arg1, arg2));
      }, arguments);
    },
    "k": function(arg0, arg1) {
      const ret = Object.setPrototypeOf(arg0, arg1);
      return ret;
    },
    "d": function(arg0, arg1) {
      const ret = setTimeout(arg0, arg1);
      return ret;
    },
    "Ja": function() {
      return handleError(function(arg0, arg1, arg2) {
        const ret = Reflect.set(arg0, arg1, arg2);
        return ret;
      }, arguments);
    },
    "s": function(arg0, arg1, arg2) {
      const ret = arg0.set(arg1, arg2);
      return ret;
    },
    "Ya": function(arg0, arg1) {
      arg0.binaryType = __wbindgen_enum_BinaryType[arg1];
    },
    "ca": function(arg0, arg1) {
      arg0.onclose = arg1;
    },
    "ba": function(arg0, arg1) {
      arg0.onerror = arg1;
    },
    "ea": function(arg0, arg1) {
      arg0.onmessage = arg1;
    },
    "aa": function(arg0, arg1) {
      arg0.onopen = arg1;
    },
    "Aa": function() {
      const ret = typeof globalThis === "undefined" ? void 0 : globalThis;
      return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
    },
    "za": function() {
      const ret = typeof global === "undefined" ? void 0 : global;
      return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
    },
    "Ca": function() {
      const ret = typeof self === "undefined" ? void 0 : self;
      return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
    },
    "Ba": function() {
      const ret = typeof window === "undefined" ? void 0 : window;
      return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
    },
    "i": function(arg0) {
      const ret = SwillError.__wrap(arg0);
      return ret;
    },
    "ma": function(arg0, arg1, arg2) {
      const ret = arg0.then(arg1, arg2);
      return ret;
    },
    "Ka": function(arg0, arg1) {
      const ret = arg0.then(arg1);
      return ret;
    },
    "u": function() {
      const ret = Symbol.toStringTag;
      return ret;
    },
    "W": function() {
      return handleError(function(arg0, arg1) {
        const ret = arg0.toString(arg1);
        return ret;
      }, arguments);
    },
    "B": function() {
      return handleError(function(arg0, arg1) {
        const ret = arg0.toString(arg1);
        return ret;
      }, arguments);
    },
    "U": function(arg0) {
      const ret = arg0.valueOf();
      return ret;
    },
    "T": function(arg0) {
      const ret = arg0.valueOf();
      return ret;
    },
    "V": function(arg0) {
      const ret = arg0.valueOf();
      return ret;
    },
    "J": function(arg0) {
      const ret = arg0.value;
      return ret;
    },
    "n": function(arg0) {
      console.warn(arg0);
    },
    "bb": function(arg0, arg1) {
      const ret = makeMutClosure(arg0, arg1, wasm_bindgen__convert__closures_____invoke__hb8eae76d543a9130);
      return ret;
    },
    "cb": function(arg0, arg1) {
      const ret = makeMutClosure(arg0, arg1, wasm_bindgen__convert__closures_____invoke__h332025d848aac39a);
      return ret;
    },
    "db": function(arg0, arg1) {
      const ret = makeMutClosure(arg0, arg1, wasm_bindgen__convert__closures_____invoke__h2138e39351882c42);
      return ret;
    },
    "eb": function(arg0, arg1) {
      const ret = makeMutClosure(arg0, arg1, wasm_bindgen__convert__closures_____invoke__h2138e39351882c42_41);
      return ret;
    },
    "fb": function(arg0, arg1) {
      const ret = makeMutClosure(arg0, arg1, wasm_bindgen__convert__closures_____invoke__ha079092b0046700d);
      return ret;
    },
    "gb": function(arg0) {
      const ret = arg0;
      return ret;
    },
    "hb": function(arg0) {
      const ret = arg0;
      return ret;
    },
    "ib": function(arg0, arg1) {
      const ret = getStringFromWasm0(arg0, arg1);
      return ret;
    },
    "jb": function(arg0) {
      const ret = BigInt.asUintN(64, arg0);
      return ret;
    },
    "ab": function() {
      const table = wasm["pc"];
      table.set(0, void 0);
      table.set(1024, void 0);
      table.set(1025, null);
      table.set(1026, true);
      table.set(1027, false);
    }
  };
  return {
    __proto__: null,
    "a": import0
  };
}
function wasm_bindgen__convert__closures_____invoke__ha079092b0046700d(arg0, arg1) {
  wasm["jc"](arg0, arg1);
}
function wasm_bindgen__convert__closures_____invoke__hb8eae76d543a9130(arg0, arg1, arg2) {
  wasm["ic"](arg0, arg1, arg2);
}
function wasm_bindgen__convert__closures_____invoke__h2138e39351882c42(arg0, arg1, arg2) {
  wasm["gc"](arg0, arg1, arg2);
}
function wasm_bindgen__convert__closures_____invoke__h2138e39351882c42_41(arg0, arg1, arg2) {
  wasm["hc"](arg0, arg1, arg2);
}
function wasm_bindgen__convert__closures_____invoke__h332025d848aac39a(arg0, arg1, arg2) {
  const ret = wasm["ec"](arg0, arg1, arg2);
  if (ret[1]) {
    throw takeFromExternrefTable0(ret[0]);
  }
}
function wasm_bindgen__convert__closures_____invoke__h8e57110186c0282a(arg0, arg1, arg2, arg3) {
  wasm["fc"](arg0, arg1, arg2, arg3);
}
const __wbindgen_enum_BinaryType = ["blob", "arraybuffer"];
const BidiStreamFinalization = typeof FinalizationRegistry === "undefined" ? { register: () => {
}, unregister: () => {
} } : new FinalizationRegistry((ptr) => wasm["lb"](ptr, 1));
const ClientFinalization = typeof FinalizationRegistry === "undefined" ? { register: () => {
}, unregister: () => {
} } : new FinalizationRegistry((ptr) => wasm["mb"](ptr, 1));
const ClientStreamFinalization = typeof FinalizationRegistry === "undefined" ? { register: () => {
}, unregister: () => {
} } : new FinalizationRegistry((ptr) => wasm["nb"](ptr, 1));
const ServerStreamFinalization = typeof FinalizationRegistry === "undefined" ? { register: () => {
}, unregister: () => {
} } : new FinalizationRegistry((ptr) => wasm["ob"](ptr, 1));
const StreamIteratorFinalization = typeof FinalizationRegistry === "undefined" ? { register: () => {
}, unregister: () => {
} } : new FinalizationRegistry((ptr) => wasm["pb"](ptr, 1));
const SubscriptionFinalization = typeof FinalizationRegistry === "undefined" ? { register: () => {
}, unregister: () => {
} } : new FinalizationRegistry((ptr) => wasm["qb"](ptr, 1));
const SubscriptionIteratorFinalization = typeof FinalizationRegistry === "undefined" ? { register: () => {
}, unregister: () => {
} } : new FinalizationRegistry((ptr) => wasm["rb"](ptr, 1));
const SwillErrorFinalization = typeof FinalizationRegistry === "undefined" ? { register: () => {
}, unregister: () => {
} } : new FinalizationRegistry((ptr) => wasm["sb"](ptr, 1));
function addToExternrefTable0(obj) {
  const idx = wasm["oc"]();
  wasm["pc"].set(idx, obj);
  return idx;
}
const CLOSURE_DTORS = typeof FinalizationRegistry === "undefined" ? { register: () => {
}, unregister: () => {
} } : new FinalizationRegistry((state) => wasm["qc"](state.a, state.b));
function debugString(val) {
  switch (typeof val) {
    // primitive types
    case "number":
    case "boolean":
    case "undefined":
      return `${val}`;
    case "string":
      return JSON.stringify(val);
    case "bigint":
      return `${val}n`;
    case "symbol":
      return val.description !== void 0 ? `Symbol(${val.description})` : "Symbol";
    case "function":
      return typeof val.name === "string" && val.name !== "" ? `Function(${val.name})` : "Function";
    case "object": {
      if (val === null) {
        return "null";
      }
      if (Array.isArray(val)) {
        return "[" + Array.from(val, debugString).join(", ") + "]";
      }
      if (val instanceof Error) {
        return `${val.name}: ${val.message}
${val.stack}`;
      }
      const toStringOutput = toString.call(val);
      const className = /\[object ([^\]]+)\]/.exec(toStringOutput)?.[1];
      if (className === void 0) {
        return toStringOutput;
      }
      if (className === "Object") {
        try {
          return "Object(" + JSON.stringify(val) + ")";
        } catch (_) {
          return "Object";
        }
      }
      return className;
    }
  }
}
function getArrayU8FromWasm0(ptr, len) {
  ptr = ptr >>> 0;
  return getUint8ArrayMemory0().subarray(ptr / 1, ptr / 1 + len);
}
let cachedDataViewMemory0 = null;
function getDataViewMemory0() {
  if (cachedDataViewMemory0 === null || cachedDataViewMemory0.buffer.detached === true || cachedDataViewMemory0.buffer.detached === void 0 && cachedDataViewMemory0.buffer !== wasm["kb"].buffer) {
    cachedDataViewMemory0 = new DataView(wasm["kb"].buffer);
  }
  return cachedDataViewMemory0;
}
function getStringFromWasm0(ptr, len) {
  ptr = ptr >>> 0;
  return decodeText(getUint8ArrayMemory0().subarray(ptr, ptr + len));
}
let cachedUint8ArrayMemory0 = null;
function getUint8ArrayMemory0() {
  if (cachedUint8ArrayMemory0 === null || cachedUint8ArrayMemory0.byteLength === 0) {
    cachedUint8ArrayMemory0 = new Uint8Array(wasm["kb"].buffer);
  }
  return cachedUint8ArrayMemory0;
}
function handleError(f, args) {
  try {
    return f.apply(this, args);
  } catch (e) {
    const idx = addToExternrefTable0(e);
    wasm["nc"](idx);
  }
}
function isLikeNone(x) {
  return x === void 0 || x === null;
}
function makeMutClosure(arg0, arg1, f) {
  const state = { a: arg0, b: arg1, cnt: 1 };
  const real = (...args) => {
    state.cnt++;
    const a = state.a;
    state.a = 0;
    try {
      return f(a, state.b, ...args);
    } finally {
      state.a = a;
      real._wbg_cb_unref();
    }
  };
  real._wbg_cb_unref = () => {
    if (--state.cnt === 0) {
      wasm["qc"](state.a, state.b);
      state.a = 0;
      CLOSURE_DTORS.unregister(state);
    }
  };
  CLOSURE_DTORS.register(real, state, state);
  return real;
}
function passStringToWasm0(arg, malloc, realloc) {
  if (realloc === void 0) {
    const buf = cachedTextEncoder.encode(arg);
    const ptr2 = malloc(buf.length, 1) >>> 0;
    getUint8ArrayMemory0().subarray(ptr2, ptr2 + buf.length).set(buf);
    WASM_VECTOR_LEN = buf.length;
    return ptr2;
  }
  let len = arg.length;
  let ptr = malloc(len, 1) >>> 0;
  const mem = getUint8ArrayMemory0();
  let offset = 0;
  for (; offset < len; offset++) {
    const code = arg.charCodeAt(offset);
    if (code > 127) break;
    mem[ptr + offset] = code;
  }
  if (offset !== len) {
    if (offset !== 0) {
      arg = arg.slice(offset);
    }
    ptr = realloc(ptr, len, len = offset + arg.length * 3, 1) >>> 0;
    const view = getUint8ArrayMemory0().subarray(ptr + offset, ptr + len);
    const ret = cachedTextEncoder.encodeInto(arg, view);
    offset += ret.written;
    ptr = realloc(ptr, len, offset, 1) >>> 0;
  }
  WASM_VECTOR_LEN = offset;
  return ptr;
}
function takeFromExternrefTable0(idx) {
  const value = wasm["pc"].get(idx);
  wasm["rc"](idx);
  return value;
}
let cachedTextDecoder = new TextDecoder("utf-8", { ignoreBOM: true });
cachedTextDecoder.decode();
const MAX_SAFARI_DECODE_BYTES = 2146435072;
let numBytesDecoded = 0;
function decodeText(bytes) {
  numBytesDecoded += bytes.length;
  if (numBytesDecoded >= MAX_SAFARI_DECODE_BYTES) {
    cachedTextDecoder = new TextDecoder("utf-8", { ignoreBOM: true });
    cachedTextDecoder.decode();
    numBytesDecoded = bytes.length;
  }
  return cachedTextDecoder.decode(bytes);
}
const cachedTextEncoder = new TextEncoder();
if (!("encodeInto" in cachedTextEncoder)) {
  cachedTextEncoder.encodeInto = function(arg, view) {
    const buf = cachedTextEncoder.encode(arg);
    view.set(buf);
    return {
      read: arg.length,
      written: buf.length
    };
  };
}
let WASM_VECTOR_LEN = 0;
let wasmModule, wasmInstance, wasm;
function __wbg_finalize_init(instance, module) {
  wasmInstance = instance;
  wasm = instance.exports;
  wasmModule = module;
  cachedDataViewMemory0 = null;
  cachedUint8ArrayMemory0 = null;
  wasm["sc"]();
  return wasm;
}
async function __wbg_load(module, imports) {
  if (typeof Response === "function" && module instanceof Response) {
    if (!module.ok) {
      throw new Error(`failed to fetch Wasm: ${module.status} ${module.statusText} fetching '${module.url}'`);
    }
    if (typeof WebAssembly.instantiateStreaming === "function") {
      try {
        return await WebAssembly.instantiateStreaming(module, imports);
      } catch (e) {
        const validResponse = expectedResponseType(module.type);
        if (validResponse && module.headers.get("Content-Type") !== "application/wasm") {
          console.warn("`WebAssembly.instantiateStreaming` failed because your server does not serve Wasm with `application/wasm` MIME type. Falling back to `WebAssembly.instantiate` which is slower. Original error:\n", e);
        } else {
          throw e;
        }
      }
    }
    const bytes = await module.arrayBuffer();
    return await WebAssembly.instantiate(bytes, imports);
  } else {
    const instance = await WebAssembly.instantiate(module, imports);
    if (instance instanceof WebAssembly.Instance) {
      return { instance, module };
    } else {
      return instance;
    }
  }
  function expectedResponseType(type) {
    switch (type) {
      case "basic":
      case "cors":
      case "default":
        return true;
    }
    return false;
  }
}
function initSync(module) {
  if (wasm !== void 0) return wasm;
  if (module !== void 0) {
    if (Object.getPrototypeOf(module) === Object.prototype) {
      ({ module } = module);
    } else {
      console.warn("using deprecated parameters for `initSync()`; pass a single object instead");
    }
  }
  const imports = __wbg_get_imports();
  if (!(module instanceof WebAssembly.Module)) {
    module = new WebAssembly.Module(module);
  }
  const instance = new WebAssembly.Instance(module, imports);
  return __wbg_finalize_init(instance, module);
}
let __wbg_init_promise;
async function __wbg_init(module_or_path) {
  if (wasm !== void 0) return wasm;
  if (__wbg_init_promise === void 0) {
    __wbg_init_promise = __wbg_init_once(module_or_path);
    __wbg_init_promise.catch(() => {
      __wbg_init_promise = void 0;
    });
  }
  return __wbg_init_promise;
}
async function __wbg_init_once(module_or_path) {
  if (module_or_path !== void 0) {
    if (Object.getPrototypeOf(module_or_path) === Object.prototype) {
      ({ module_or_path } = module_or_path);
    } else {
      console.warn("using deprecated parameters for the initialization function; pass a single object instead");
    }
  }
  if (module_or_path === void 0) {
    module_or_path = new URL("swill_wasm_bg.wasm", import.meta.url);
  }
  const imports = __wbg_get_imports();
  if (typeof module_or_path === "string" || typeof Request === "function" && module_or_path instanceof Request || typeof URL === "function" && module_or_path instanceof URL) {
    module_or_path = fetch(module_or_path);
  }
  const { instance, module } = await __wbg_load(await module_or_path, imports);
  return __wbg_finalize_init(instance, module);
}
export {
  BidiStream,
  Client,
  ClientStream,
  ServerStream,
  StreamIterator,
  Subscription,
  SubscriptionIterator,
  SwillError,
  __wbg_init as default,
  initSync
};
