//! Topics: `client.subscribe()` (a `Subscription`, an async iterable of
//! publications that resubscribes by itself), `publish` and `presence`.
//!
//! The wasm twin of the Rust client's `Subscription`
//! (`client-rs/src/subscription.rs`). What each item of a `swill.subscribe`
//! stream means (a position, a publication, a duplicate, a gap) and which
//! failures are worth resubscribing after is decided by the Rust client's
//! sans-I/O [`Cursor`]; this module only drives it over this client's
//! calls and reconnects:
//!
//! - the first subscription starts at once (so publications made after
//!   `subscribe()` returns are received); its refusal is thrown by the
//!   first `next()`, and rejects `ready`;
//! - a failure [`Cursor::resumes_after`] accepts (a lost connection, 503,
//!   409) makes it subscribe again from the cursor's position, through the
//!   connector (which reconnects per the [`ReconnectPolicy`]); a
//!   resubscription refused before its position arrived waits first, by
//!   the same policy's backoff;
//! - any other failure (403, 404, a reconnect that gave up, a closed
//!   client) ends it, thrown once by `next()`;
//! - an item that is not a topic event, or a publication whose data does
//!   not decode, is logged and skipped (the Rust client yields the error
//!   and reads on; a `for await` would stop at a throw);
//! - `return()` (`break`), `unsubscribe()` or the `AbortSignal` end it
//!   here: the call is cancelled (CANCEL).
//!
//! [`ReconnectPolicy`]: swill_client::ReconnectPolicy

use std::cell::{Cell, RefCell};
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;

use js_sys::{Function, Object, Promise, Reflect};
use rmpv::Value;
use swill_client::Error;
use swill_client::topic::{Cursor, Step};
use swill_proto::{
    CallShape, DataError, PRESENCE_RPC, PUBLISH_RPC, Payload, Position, PublishRequest,
    SUBSCRIBE_RPC,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

use crate::call::{AbortListener, Handle};
use crate::connector::Connector;
use crate::latch::Latch;
use crate::open::{self, Settings as CallSettings};
use crate::options::Fields;
use crate::{error, timer};
use swill_client::driver::Next;

/// A topic's publications, from `client.subscribe()`. Its TypeScript
/// declaration is in `lib.rs` (it is generic).
#[wasm_bindgen(skip_typescript)]
pub struct Subscription {
    follower: Rc<Follower>,
}

/// The async iterator of a [`Subscription`].
#[wasm_bindgen(skip_typescript)]
pub struct SubscriptionIterator {
    follower: Rc<Follower>,
}

/// What `subscribe` reads from its options.
pub(crate) struct SubscribeSettings {
    since: Option<Position>,
    signal: Option<AbortSignal>,
    on_missed: Option<Function>,
}

impl SubscribeSettings {
    /// Reads `{ since, signal, onMissed }` (all optional).
    pub(crate) fn from_js(options: &JsValue) -> Result<SubscribeSettings, Error> {
        let fields = Fields::of(options, "subscribe options")?;
        let since = match fields.value("since")? {
            Some(since) => Some(position_from_js(&since).map_err(|why| fields.invalid(why))?),
            None => None,
        };
        Ok(SubscribeSettings {
            since,
            signal: fields.signal()?,
            on_missed: fields.instance("onMissed", "a function")?,
        })
    }
}

/// Subscribes to `topic`: the subscription starts at once.
pub(crate) fn subscribe(
    connector: &Rc<Connector>,
    topic: String,
    settings: SubscribeSettings,
) -> Subscription {
    let follower = Rc::new(Follower {
        connector: connector.clone(),
        cursor: RefCell::new(Cursor::new(topic, settings.since)),
        call: RefCell::new(None),
        confirmed: Rc::new(Latch::default()),
        stopped: Latch::default(),
        ended: Cell::new(false),
        failure: RefCell::new(None),
        refusals: Cell::new(0),
        missed: Cell::new(0),
        on_missed: settings.on_missed,
        abort: RefCell::new(None),
        last_next: RefCell::new(None),
    });
    match settings.signal {
        Some(signal) if signal.aborted() => {
            follower.stop(Some(error::aborted(&signal.reason())));
            follower.confirmed.set(Err(follower.failure_or_cancel()));
        }
        signal => {
            if let Some(signal) = signal {
                let weak = Rc::downgrade(&follower);
                let listener = AbortListener::new(signal, move |reason| {
                    if let Some(follower) = weak.upgrade() {
                        follower.stop(Some(error::aborted(&reason)));
                    }
                });
                *follower.abort.borrow_mut() = Some(listener);
            }
            crate::bridge::spawn(follower.clone().confirm());
        }
    }
    Subscription { follower }
}

#[wasm_bindgen]
impl Subscription {
    /// The iterator for `for await`.
    #[wasm_bindgen(js_name = "[Symbol.asyncIterator]")]
    pub fn iterator(&self) -> SubscriptionIterator {
        SubscriptionIterator {
            follower: self.follower.clone(),
        }
    }

    /// Resolves with the position subscribed at once the server has
    /// confirmed the subscription; rejects with its refusal.
    #[wasm_bindgen(getter)]
    pub fn ready(&self) -> Promise {
        let confirmed = self.follower.confirmed.clone();
        crate::bridge::promise(async move { confirmed.get().await })
    }

    /// The last position delivered (or subscribed at): subscribe with it
    /// as `since` to get what follows. Until the server confirms, it is
    /// `since`, or `null` without one.
    #[wasm_bindgen(getter)]
    pub fn position(&self) -> JsValue {
        let cursor = self.follower.cursor.borrow();
        cursor.position().map_or(JsValue::NULL, position_to_js)
    }

    /// How many times publications were lost for good (`onMissed` calls).
    #[wasm_bindgen(getter)]
    pub fn missed(&self) -> u32 {
        self.follower.missed.get()
    }

    /// The topic followed.
    #[wasm_bindgen(getter)]
    pub fn topic(&self) -> String {
        self.follower.cursor.borrow().topic().to_owned()
    }

    /// Unsubscribes: CANCEL goes to the server, the iteration ends.
    pub fn unsubscribe(&self) {
        self.follower.stop(None);
    }
}

#[wasm_bindgen]
impl SubscriptionIterator {
    /// The next publication, `{ done: true }` once unsubscribed; rejects
    /// (once) with what ended the subscription.
    pub fn next(&self) -> Promise {
        // One at a time, in order: a `next()` called before the one before
        // settled waits for it.
        let before = self.follower.last_next.borrow_mut().take();
        let follower = self.follower.clone();
        let promise = crate::bridge::promise(async move {
            if let Some(before) = before {
                let _ = JsFuture::from(before).await;
            }
            follower.next_result().await
        });
        *self.follower.last_next.borrow_mut() = Some(promise.clone());
        promise
    }

    /// Called by `break` (and `return`) in a `for await`: unsubscribes.
    #[wasm_bindgen(js_name = "return")]
    pub fn return_(&self) -> Promise {
        self.follower.stop(None);
        Promise::resolve(&iterator_result(JsValue::UNDEFINED, true))
    }
}

/// A subscription's state, shared by its JavaScript objects and the tasks
/// that drive it.
struct Follower {
    connector: Rc<Connector>,
    cursor: RefCell<Cursor>,
    /// The current `swill.subscribe` call; dropping it cancels it.
    call: RefCell<Option<Current>>,
    /// The first subscription's outcome: the position subscribed at, or
    /// the error that refused it.
    confirmed: Rc<Latch<Result<JsValue, JsValue>>>,
    /// Set once the subscription is over here.
    stopped: Latch<()>,
    ended: Cell<bool>,
    /// What ended it, for `next()` to throw once: a failure, an abort.
    failure: RefCell<Option<JsValue>>,
    /// Resubscriptions refused in a row, for the backoff.
    refusals: Cell<u32>,
    missed: Cell<u32>,
    on_missed: Option<Function>,
    abort: RefCell<Option<AbortListener>>,
    /// The promise of the last `next()`, which the next one waits for.
    last_next: RefCell<Option<Promise>>,
}

/// A `swill.subscribe` call, and whether its position has arrived.
struct Current {
    handle: Handle,
    confirmed: bool,
}

/// One item of the stream, once the cursor has read it.
enum Read {
    /// A publication for the application.
    Deliver(Position, Payload),
    /// The item was for the cursor only (a position, a duplicate).
    Nothing,
    /// The item was not a topic event.
    Malformed(DataError),
    /// The call failed or ended.
    Failed(Error),
}

impl Follower {
    /// Opens the first subscription and waits for its position.
    async fn confirm(self: Rc<Self>) {
        let outcome = match self.subscribe().await {
            Ok(()) => match self.read().await {
                Read::Nothing => Ok(()),
                Read::Failed(e) => Err(e),
                Read::Malformed(e) => Err(Error::Decode(e)),
                // The cursor refuses a publication before a position.
                Read::Deliver(..) => Err(Error::Decode(DataError {
                    path: String::new(),
                    message: "the subscription did not start with a position".into(),
                })),
            },
            Err(e) => Err(e),
        };
        match outcome {
            Ok(()) => {
                let position = self.cursor.borrow().position().map(position_to_js);
                self.confirmed.set(Ok(position.unwrap_or(JsValue::NULL)));
            }
            Err(e) => {
                self.stop(Some(error::to_js(&e)));
                self.confirmed.set(Err(self.failure_or_cancel()));
            }
        }
    }

    /// What `next()` answers.
    async fn next_result(self: Rc<Self>) -> Result<JsValue, JsValue> {
        if self.confirmed.get().await.is_err() || self.ended.get() {
            return self.finished();
        }
        match self.advance().await {
            Ok(Some((position, data))) => Ok(iterator_result(publication(&position, data), false)),
            Ok(None) => self.finished(),
            Err(e) => {
                self.stop(Some(error::to_js(&e)));
                self.finished()
            }
        }
    }

    /// The next publication, resubscribing as needed; `None` once stopped
    /// here. As the Rust client's `Follower::next`.
    async fn advance(&self) -> Result<Option<(Position, JsValue)>, Error> {
        loop {
            if self.ended.get() {
                return Ok(None);
            }
            if self.call.borrow().is_none() {
                match self.subscribe().await {
                    Ok(()) => {}
                    Err(e) if self.resumes_after(&e) => self.back_off().await,
                    Err(e) => return Err(e),
                }
                continue;
            }
            let error = match self.read().await {
                Read::Deliver(position, data) => match open::decode(&data) {
                    Ok(data) => return Ok(Some((position, data))),
                    Err(e) => {
                        self.skipped(&e.message());
                        continue;
                    }
                },
                Read::Nothing => continue,
                Read::Malformed(e) => {
                    self.skipped(&e.to_string());
                    continue;
                }
                Read::Failed(e) => e,
            };
            if self.ended.get() {
                return Ok(None);
            }
            if !self.resumes_after(&error) {
                return Err(error);
            }
            // A refusal (the server up, its topic engine not) waits before
            // asking again; a subscription that was going waits only for
            // the connection, which the connector paces.
            let refused = self.call.take().is_some_and(|current| !current.confirmed);
            self.cursor.borrow_mut().restart();
            if refused {
                self.back_off().await;
            }
        }
    }

    /// Opens a `swill.subscribe` call from the cursor's position.
    async fn subscribe(&self) -> Result<(), Error> {
        if self.ended.get() {
            return Ok(());
        }
        let request = self.cursor.borrow().request();
        let since = request.since.map_or(Value::Nil, |since| {
            Value::Map(vec![
                ("epoch".into(), since.epoch.into()),
                ("offset".into(), since.offset.into()),
            ])
        });
        let data = Payload::from(Value::Map(vec![
            ("topic".into(), request.topic.into()),
            ("since".into(), since),
        ]));
        let shape = CallShape::ServerStreaming;
        let opened = open::open_bare(&self.connector, SUBSCRIBE_RPC, shape, data);
        match self.until_stopped(opened).await {
            Some(Ok(call)) => {
                let current = Current {
                    handle: Handle(call),
                    confirmed: false,
                };
                // Dropped (cancelled) at once if the subscription ended meanwhile.
                if !self.ended.get() {
                    *self.call.borrow_mut() = Some(current);
                }
                Ok(())
            }
            Some(Err(e)) => Err(e),
            None => Ok(()),
        }
    }

    /// Reads the current call's next item through the cursor.
    async fn read(&self) -> Read {
        let call = self.call.borrow().as_ref().map(|c| c.handle.0.clone());
        let Some(call) = call else {
            return Read::Failed(Error::Cancelled);
        };
        let item = match call.next().await {
            Ok(Next::Item(item) | Next::Answer(item)) => item,
            Ok(Next::End) if self.ended.get() => return Read::Failed(Error::Cancelled),
            // Subscriptions end with an error; END_OF_STREAM means the
            // server stopped serving it: subscribe again.
            Ok(Next::End) => {
                return Read::Failed(Error::Disconnected {
                    reason: "the subscription stream ended".into(),
                });
            }
            Err(e) => return Read::Failed(e),
        };
        let step = self.cursor.borrow_mut().on_item(&item);
        match step {
            Ok(Step::Deliver(position, data)) => Read::Deliver(position, data),
            Ok(Step::Missed { last, now }) => {
                self.confirmed_now();
                self.report_missed(last.as_ref(), &now);
                Read::Nothing
            }
            Ok(Step::Skip) => {
                self.confirmed_now();
                Read::Nothing
            }
            Err(e) => Read::Malformed(e),
        }
    }

    /// Notes that the current call's position has arrived: the server
    /// accepted it, so refusals in a row start over.
    fn confirmed_now(&self) {
        if let Some(current) = self.call.borrow_mut().as_mut() {
            current.confirmed = true;
        }
        self.refusals.set(0);
    }

    /// An item that is not a topic event, or data that did not decode: as
    /// the Rust client, which reports it and reads on; an iterator that
    /// throws is over, so here it is logged.
    fn skipped(&self, why: &str) {
        let topic = self.cursor.borrow().topic().to_owned();
        let warning = format!("swill-client: skipped an item of topic `{topic}`: {why}");
        web_sys::console::warn_1(&warning.into());
    }

    /// Calls `onMissed` (no borrow is held: it may unsubscribe).
    fn report_missed(&self, last: Option<&Position>, now: &Position) {
        self.missed.set(self.missed.get().saturating_add(1));
        let Some(callback) = &self.on_missed else {
            return;
        };
        let missed = Object::new();
        let last = last.map_or(JsValue::NULL, position_to_js);
        let _ = Reflect::set(&missed, &"last".into(), &last);
        let _ = Reflect::set(&missed, &"now".into(), &position_to_js(now));
        if let Err(e) = callback.call1(&JsValue::NULL, &missed) {
            web_sys::console::error_2(&"swill-client: onMissed threw".into(), &e);
        }
    }

    /// Whether to subscribe again after `error`: the cursor's judgement,
    /// unless the client was closed.
    fn resumes_after(&self, error: &Error) -> bool {
        !self.connector.is_closed() && self.cursor.borrow().resumes_after(error)
    }

    /// Waits before subscribing again after a refusal, per the client's
    /// reconnect policy's pacing; cut short by an unsubscribe.
    async fn back_off(&self) {
        let refusals = self.refusals.get().saturating_add(1);
        self.refusals.set(refusals);
        let pause = self
            .connector
            .policy()
            .backoff(refusals, js_sys::Math::random());
        let _ = timer::within(Some(pause.as_secs_f64() * 1000.0), self.stopped.get()).await;
    }

    /// Runs `future` unless the subscription ends first (`None`).
    async fn until_stopped<F: Future>(&self, future: F) -> Option<F::Output> {
        let mut future = pin!(future);
        let mut stopped = pin!(self.stopped.get());
        poll_fn(|cx| {
            if let Poll::Ready(output) = future.as_mut().poll(cx) {
                return Poll::Ready(Some(output));
            }
            stopped.as_mut().poll(cx).map(|()| None)
        })
        .await
    }

    /// Ends the subscription here, once: cancels the current call and
    /// keeps `failure` for `next()` to throw.
    fn stop(&self, failure: Option<JsValue>) {
        if self.ended.replace(true) {
            return;
        }
        *self.failure.borrow_mut() = failure;
        let current = self.call.take();
        let abort = self.abort.take();
        drop((current, abort));
        self.stopped.set(());
    }

    /// `{ done: true }`, or the failure that ended the subscription
    /// (thrown once).
    fn finished(&self) -> Result<JsValue, JsValue> {
        match self.failure.take() {
            Some(failure) => Err(failure),
            None => Ok(iterator_result(JsValue::UNDEFINED, true)),
        }
    }

    fn failure_or_cancel(&self) -> JsValue {
        let failure = self.failure.borrow().clone();
        failure.unwrap_or_else(|| error::to_js(&Error::Cancelled))
    }
}

/// `client.publish()`: the position of the publication.
pub(crate) async fn publish(
    connector: Rc<Connector>,
    topic: String,
    data: Result<Payload, Error>,
    settings: Result<CallSettings, Error>,
) -> Result<JsValue, JsValue> {
    let (data, settings) = (
        data.map_err(|e| error::to_js(&e))?,
        settings.map_err(|e| error::to_js(&e))?,
    );
    let request = PublishRequest { topic, data }.encode();
    let (answer, call) = open::answer(&connector, PUBLISH_RPC, request, settings).await?;
    // Already `{ epoch, offset }`: decoded as any answer is, which keeps
    // serde's code for these types out of the wasm.
    open::decode(&answer).map_err(|e| open::reject(&call, call.fail(e)))
}

/// `client.presence()`: who is subscribed to a topic.
pub(crate) async fn presence(
    connector: Rc<Connector>,
    topic: String,
    settings: Result<CallSettings, Error>,
) -> Result<JsValue, JsValue> {
    let settings = settings.map_err(|e| error::to_js(&e))?;
    let request = Payload::from(Value::Map(vec![("topic".into(), topic.into())]));
    let (answer, call) = open::answer(&connector, PRESENCE_RPC, request, settings).await?;
    // Already `[{ node, connection }]`.
    open::decode(&answer).map_err(|e| open::reject(&call, call.fail(e)))
}

/// `{ epoch, offset }`.
fn position_to_js(position: &Position) -> JsValue {
    let object = Object::new();
    let _ = Reflect::set(&object, &"epoch".into(), &position.epoch.as_str().into());
    let offset = JsValue::from_f64(position.offset as f64);
    let _ = Reflect::set(&object, &"offset".into(), &offset);
    object.into()
}

/// Reads `{ epoch: string, offset: number | bigint }`.
fn position_from_js(value: &JsValue) -> Result<Position, String> {
    let get = |key: &str| Reflect::get(value, &key.into()).unwrap_or_default();
    let epoch = get("epoch")
        .as_string()
        .ok_or("`since.epoch` must be a string")?;
    let offset = get("offset");
    let offset = match offset.as_f64() {
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0 => n as u64,
        Some(_) => return Err("`since.offset` must be a whole number, 0 or more".into()),
        None => u64::try_from(offset).map_err(|_| "`since.offset` must be a number".to_owned())?,
    };
    Ok(Position::new(epoch, offset))
}

/// `{ epoch, offset, data }`.
fn publication(position: &Position, data: JsValue) -> JsValue {
    let object = position_to_js(position);
    let _ = Reflect::set(&object, &"data".into(), &data);
    object
}

/// An `IteratorResult`.
fn iterator_result(value: JsValue, done: bool) -> JsValue {
    let object = Object::new();
    let _ = Reflect::set(&object, &"value".into(), &value);
    let _ = Reflect::set(&object, &"done".into(), &JsValue::from_bool(done));
    object.into()
}
