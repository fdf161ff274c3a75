//! ERROR frames: unknown rpcs, data of the wrong type, errors returned by
//! handlers, and panics, which fail one call and nothing else.

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use swill::{App, Code, Error, JsonSchema, Request, StreamingRequest, Value};
use swill_proto::{ErrorBody, RequestFrame, RequestType, ResponseType, Seq};
use swill_tests::{Gate, Raw, has_word, message, probe, start, start_demo, wire};

const NOT_FOUND: &str = "No func was found to process this request";
const INTERNAL: &str = "An internal server error occurred";

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
struct Line {
    sku: String,
    qty: u32,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
struct Order {
    lines: Vec<Line>,
}

/// Handlers that fail in every way a handler can.
fn app(gate: Gate, probe: swill_tests::Probe) -> App {
    let held_probe = probe.clone();
    App::new()
        .handle(swill_examples::demo::add)
        .handle_as("teapot", |_req: Request<()>| async {
            Err::<(), _>(
                Error::new(Code::from(418), "teapot")
                    .with_data(serde_json::json!({"brew": "earl grey", "cups": [1, 2]})),
            )
        })
        .handle_as("boom", |_req: Request<()>| async {
            if true {
                panic!("secret detail: the database password is hunter2");
            }
            Ok::<u8, Error>(0)
        })
        .handle_as("boom_stream", |_req: Request<()>| async {
            async_stream::stream! {
                yield Ok::<u32, Error>(0);
                yield Ok(1);
                panic!("secret detail in a stream");
            }
        })
        .handle_as("held", move |req: Request<u32>| {
            let (gate, probe) = (gate.clone(), held_probe.clone());
            async move {
                probe.fire("held started");
                gate.pass().await;
                Ok::<_, Error>(req.data)
            }
        })
        .handle_as("order", |req: Request<Order>| async move {
            Ok::<_, Error>(req.data.lines.len() as u64)
        })
        .handle_as("sum_guarded", move |mut req: StreamingRequest<i64>| {
            let probe = probe.clone();
            async move {
                let _guard = probe.guard("sum_guarded");
                let mut sum = 0;
                while let Some(n) = req.next().await {
                    probe.fire(format!("sum_guarded got {n}"));
                    sum += n;
                }
                Ok::<_, Error>(sum)
            }
        })
}

fn test_app() -> (App, Gate, swill_tests::Events) {
    let gate = Gate::new();
    let (probe, events) = probe();
    (app(gate.clone(), probe), gate, events)
}

#[tokio::test]
async fn an_unknown_rpc_is_404_with_the_original_message() {
    let mut client = Raw::connect(start_demo().await).await;
    client.call(1, "nope", ()).await;
    assert_eq!(
        client.recv_error(1).await,
        ErrorBody::new(Code::NOT_FOUND, NOT_FOUND)
    );
    // Opening by METADATA is opening too.
    client
        .control(2, "users.delete", RequestType::Metadata)
        .await;
    assert_eq!(
        client.recv_error(2).await,
        ErrorBody::new(Code::NOT_FOUND, NOT_FOUND)
    );
    // Names are exact: no case folding, no trimming.
    client.call(3, "Add", (1, 2)).await;
    assert_eq!(client.recv_error(3).await.code, Code::NOT_FOUND);
    client.call(4, "add ", (1, 2)).await;
    assert_eq!(client.recv_error(4).await.code, Code::NOT_FOUND);
    client.assert_next_is_answer_to_add(5).await;
}

#[tokio::test]
async fn a_struct_field_of_the_wrong_type_is_400_naming_the_type_and_the_field() {
    let mut client = Raw::connect(start_demo().await).await;
    client
        .call(1, "users.get", serde_json::json!({"id": "x"}))
        .await;
    let error = client.recv_error(1).await;
    assert_eq!(error.code, Code::BAD_REQUEST);
    assert_eq!(error.data, None);
    assert!(
        has_word(&error.message, "id"),
        "the message names the field: {}",
        error.message
    );
    assert!(
        has_word(&error.message, "UserId") || has_word(&error.message, "int"),
        "the message names the expected type: {}",
        error.message
    );
}

#[tokio::test]
async fn a_missing_struct_field_is_400_naming_the_field() {
    let mut client = Raw::connect(start_demo().await).await;
    client.call(1, "users.get", serde_json::json!({})).await;
    let error = client.recv_error(1).await;
    assert_eq!(error.code, Code::BAD_REQUEST);
    assert!(has_word(&error.message, "id"), "{}", error.message);
}

#[tokio::test]
async fn data_of_the_wrong_shape_is_400_naming_the_expected_tuple_of_ints() {
    let mut client = Raw::connect(start_demo().await).await;
    client.call(1, "add", "x").await;
    let error = client.recv_error(1).await;
    assert_eq!(error.code, Code::BAD_REQUEST);
    assert!(has_word(&error.message, "tuple"), "{}", error.message);
    assert!(has_word(&error.message, "int"), "{}", error.message);

    // One element of the right container of the wrong type.
    client.call(2, "add", (1, "two")).await;
    let error = client.recv_error(2).await;
    assert_eq!(error.code, Code::BAD_REQUEST);
    assert!(has_word(&error.message, "tuple"), "{}", error.message);
    client.assert_next_is_answer_to_add(3).await;
}

#[tokio::test]
async fn a_nested_field_of_the_wrong_type_is_400_with_its_path() {
    let (app, _, _) = test_app();
    let mut client = Raw::connect(start(app).await).await;
    let order = serde_json::json!({"lines": [
        {"sku": "a", "qty": 1},
        {"sku": "b", "qty": "many"},
    ]});
    client.call(1, "order", order).await;
    let error = client.recv_error(1).await;
    assert_eq!(error.code, Code::BAD_REQUEST);
    for part in ["lines", "1", "qty"] {
        assert!(
            has_word(&error.message, part),
            "the path lines[1].qty is in: {}",
            error.message
        );
    }
    assert!(has_word(&error.message, "Order"), "{}", error.message);
}

#[tokio::test]
async fn a_handler_error_keeps_its_code_message_and_data() {
    let (app, _, _) = test_app();
    let mut client = Raw::connect(start(app).await).await;
    client.call(1, "teapot", ()).await;
    let frame = client.recv().await;
    let error = swill_tests::expect_error(&frame, 1);
    assert_eq!(error.code, Code::from(418));
    assert_eq!(error.message, "teapot");
    let data = error.data.expect("the data goes out");
    let data: serde_json::Value = rmpv::ext::from_value(data).unwrap();
    assert_eq!(
        data,
        serde_json::json!({"brew": "earl grey", "cups": [1, 2]})
    );
    // On the wire: a map with keys code, message, data in that order.
    let Value::Map(body) = frame.data.to_value().unwrap() else {
        panic!("an error body is a map");
    };
    let keys: Vec<_> = body.iter().map(|(k, _)| k.as_str().unwrap()).collect();
    assert_eq!(keys, ["code", "message", "data"]);
}

#[tokio::test]
async fn any_error_code_a_handler_chooses_reaches_the_client() {
    let mut client = Raw::connect(start_demo().await).await;
    for (seq, code) in [(1, 401), (2, 403), (3, 422), (4, 12345), (5, -7)] {
        client
            .call(
                seq,
                "fail",
                serde_json::json!({"code": code, "message": format!("m{code}")}),
            )
            .await;
        assert_eq!(
            client.recv_error(seq).await,
            ErrorBody::new(Code::from(code), format!("m{code}")),
            "code {code}"
        );
    }
}

#[tokio::test]
async fn a_panic_is_500_without_detail_and_spares_the_connection_and_other_calls() {
    let (app, gate, mut events) = test_app();
    let mut client = Raw::connect(start(app).await).await;
    // A request already in flight when the panic happens...
    client.call(1, "held", 7).await;
    events.expect("held started").await;

    client.call(2, "boom", ()).await;
    let frame = client.recv().await;
    let error = swill_tests::expect_error(&frame, 2);
    assert_eq!(error, ErrorBody::new(Code::INTERNAL_ERROR, INTERNAL));
    assert_eq!(
        frame.data.as_bytes(),
        &wire(r#"82 a4 "code" cd 01 f4 a7 "message" d9 21 "An internal server error occurred""#)[..],
        "nothing but code and message"
    );

    // ...the same connection still answers new requests...
    client.assert_next_is_answer_to_add(3).await;
    // ...and the request in flight completes.
    gate.open();
    assert_eq!(client.recv_message::<u32>(1).await, 7);
}

/// Panics for rpcs named `extract...`, and for calls whose metadata asks
/// it to (`explode`).
struct Explodes;

impl swill::FromContext<()> for Explodes {
    fn from_context(ctx: &swill::Context, _: &()) -> Result<Self, Error> {
        if ctx.rpc().starts_with("extract") || ctx.metadata().get("explode").is_some() {
            panic!("in an extractor");
        }
        Ok(Explodes)
    }
}

/// User code that runs around a handler rather than in it: an extractor,
/// a module guard, app hooks on the request, the response and after it. A
/// panic in any of them is that call's 500, as in a handler: before, one
/// took the connection down (a unary call is first polled on the
/// connection's task) or left a streaming call unanswered.
#[tokio::test]
async fn a_panic_in_an_extractor_guard_or_hook_is_that_calls_500_alone() {
    let gate = Gate::new();
    let (probe, mut events) = probe();
    let app = app(gate.clone(), probe)
        .before_request(|head: swill::RequestHead| async move {
            if &*head.rpc == "hooked" {
                panic!("in a before_request hook");
            }
            Ok(head)
        })
        .before_response_message(|ctx: swill::Context, payload| async move {
            if ctx.rpc() == "answered" {
                panic!("in a response hook");
            }
            Ok(payload)
        })
        .handle_as("extract", |_: Explodes, _req: Request<()>| async {
            Ok::<u8, Error>(0)
        })
        .handle_as("extract_stream", |_: Explodes, _req: Request<()>| async {
            futures::stream::iter([Ok::<u8, Error>(0)])
        })
        .after_request(|ctx: swill::Context, _| async move {
            if ctx.rpc() == "observed" {
                panic!("in an after_request hook");
            }
        })
        .handle_as("observed", |_req: Request<()>| async { Ok::<u8, Error>(9) })
        .handle_as("hooked", |_req: Request<()>| async { Ok::<u8, Error>(0) })
        .handle_as("answered", |_req: Request<()>| async { Ok::<u8, Error>(0) })
        .nest(
            swill::Module::new("guarded")
                .guard(|_| panic!("in a guard"))
                .handle_as("x", |_req: Request<()>| async { Ok::<u8, Error>(0) }),
        );
    let mut client = Raw::connect(start(app).await).await;
    client.call(1, "held", 7).await;
    events.expect("held started").await;
    let rpcs = [
        "extract",
        "extract_stream",
        "hooked",
        "answered",
        "guarded.x",
    ];
    for (seq, rpc) in (2..).zip(rpcs) {
        client.call(seq, rpc, ()).await;
        assert_eq!(
            client.recv_error(seq).await,
            ErrorBody::new(Code::INTERNAL_ERROR, INTERNAL),
            "{rpc}"
        );
        client.assert_next_is_answer_to_add(100 + seq).await;
    }
    // After the answer, a panicking after_request hook harms nothing.
    client.call(9, "observed", ()).await;
    assert_eq!(client.recv_message::<u8>(9).await, 9);
    client.assert_next_is_answer_to_add(10).await;
    gate.open();
    assert_eq!(client.recv_message::<u32>(1).await, 7);
}

/// A layer may call the handler elsewhere than on the call's task:
/// tower's `Buffer` calls it on its worker. A panic in an extractor there
/// is still that call's 500, and the worker goes on serving the rpc (a
/// panic that reached it would leave every later call a 500).
#[tokio::test]
async fn a_panic_under_a_buffer_layer_is_500_and_the_rpc_goes_on() {
    let app = App::new().handle_layered(
        "echo",
        |_: Explodes, req: Request<u8>| async move { Ok::<u8, Error>(req.data) },
        tower::ServiceBuilder::new().buffer(8),
    );
    let client = swill::testing::TestClient::new(app);
    let explode =
        swill_client::CallOptions::new().metadata(swill::Metadata::from([("explode", 1)]));
    for n in 0..3 {
        let error = client
            .call_with::<u8>("echo", n, explode.clone())
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::INTERNAL_ERROR);
        assert_eq!(client.call::<u8>("echo", n).await.unwrap(), n);
    }
}

/// A layer that answers with a reply of the other shape (`Reply` is
/// public): the client still gets what the rpc's shape promises.
#[tokio::test]
async fn a_layers_reply_of_the_wrong_shape_is_answered_in_the_rpcs_shape() {
    #[derive(Clone)]
    struct Answers<S>(S, bool);
    impl<S> tower::Service<swill::CallInput> for Answers<S> {
        type Response = swill::Reply;
        type Error = Error;
        type Future = std::future::Ready<Result<swill::Reply, Error>>;
        fn poll_ready(
            &mut self,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), Error>> {
            std::task::Poll::Ready(Ok(()))
        }
        fn call(&mut self, _: swill::CallInput) -> Self::Future {
            let payload = || swill::Payload::encode(&5u8).unwrap();
            std::future::ready(Ok(match self.1 {
                true => swill::Reply::Stream(
                    futures::stream::iter([Ok(payload()), Ok(payload())]).boxed(),
                ),
                false => swill::Reply::Unary(Ok(payload())),
            }))
        }
    }
    let app = App::new()
        .handle_layered(
            "streams",
            swill_examples::demo::count,
            tower::layer::layer_fn(|s| Answers(s, false)),
        )
        .handle_layered(
            "unary",
            swill_examples::demo::add,
            tower::layer::layer_fn(|s| Answers(s, true)),
        );
    let client = swill::testing::TestClient::new(app);
    let items: Vec<u8> = client
        .server_stream::<u8>("streams", 3u64)
        .await
        .unwrap()
        .map(|item| item.unwrap())
        .collect()
        .await;
    assert_eq!(
        items,
        [5],
        "one answer becomes a stream of one item, then its end"
    );
    assert_eq!(client.call::<u8>("unary", (1, 2)).await.unwrap(), 5);
}

#[tokio::test]
async fn a_panic_inside_a_response_stream_sends_the_items_then_500() {
    let (app, _, _) = test_app();
    let mut client = Raw::connect(start(app).await).await;
    client.call(1, "boom_stream", ()).await;
    assert_eq!(client.recv_message::<u32>(1).await, 0);
    assert_eq!(client.recv_message::<u32>(1).await, 1);
    assert_eq!(
        client.recv_error(1).await,
        ErrorBody::new(Code::INTERNAL_ERROR, INTERNAL)
    );
    // No END_OF_STREAM after the ERROR.
    client.assert_next_is_answer_to_add(2).await;
}

#[tokio::test]
async fn a_streaming_request_item_of_the_wrong_type_is_400_and_drops_the_handler() {
    let (app, _, mut events) = test_app();
    let mut client = Raw::connect(start(app).await).await;
    client.call(1, "sum_guarded", 1).await;
    events.expect("sum_guarded got 1").await;
    client.call(1, "sum_guarded", "two").await;
    let error = client.recv_error(1).await;
    assert_eq!(error.code, Code::BAD_REQUEST);
    assert!(has_word(&error.message, "int"), "{}", error.message);
    events.expect("sum_guarded dropped").await;
    client.assert_next_is_answer_to_add(2).await;
}

#[tokio::test]
async fn a_bidi_item_of_the_wrong_type_is_400_after_the_good_ones() {
    let mut client = Raw::connect(start_demo().await).await;
    client.call(1, "upper", "a").await;
    assert_eq!(client.recv_message::<String>(1).await, "A");
    client.call(1, "upper", 42).await;
    let error = client.recv_error(1).await;
    assert_eq!(error.code, Code::BAD_REQUEST);
    assert!(has_word(&error.message, "str"), "{}", error.message);
    client.assert_next_is_answer_to_add(2).await;
}

#[tokio::test]
async fn a_unary_request_that_ends_without_a_message_is_400() {
    let mut client = Raw::connect(start_demo().await).await;
    client.control(1, "add", RequestType::Metadata).await;
    client.control(1, "add", RequestType::EndOfStream).await;
    let error = client.recv_error(1).await;
    assert_eq!(error.code, Code::BAD_REQUEST);
    client.assert_next_is_answer_to_add(2).await;
}

#[tokio::test]
async fn a_unary_request_opened_by_metadata_takes_its_message_from_the_next_frame() {
    let mut client = Raw::connect(start_demo().await).await;
    client
        .send_frame(&RequestFrame::control(1, "add", RequestType::Metadata))
        .await;
    client.send_frame(&message(1, "add", (2, 3))).await;
    assert_eq!(client.recv_message::<i64>(1).await, 5);
}

#[tokio::test]
async fn messages_racing_an_early_error_earn_no_second_answer() {
    // The client streams to `total` in one burst; its first item is bad, so
    // the request ends with 400 while the rest are already on the wire.
    // They must not open a new request and earn a second answer.
    let addr = start_demo().await;
    let mut client = Raw::connect(addr).await;
    client
        .send_frame(&message(1, "total", "not a number"))
        .await;
    for n in 0..20 {
        client.send_frame(&message(1, "total", n)).await;
    }
    client
        .send_frame(&RequestFrame::control(1, "total", RequestType::EndOfStream))
        .await;
    let first = client.recv().await;
    assert_eq!(first.seq, Seq::from(1u8));
    assert_eq!(first.kind, ResponseType::Error);
    // The next frame is the answer to a later request: nothing more for seq 1.
    client.send_frame(&message(2, "add", (1, 2))).await;
    let next = client.recv().await;
    assert_eq!(next.seq, Seq::from(2u8), "{next:?}");
    // After its END_OF_STREAM, the seq opens a new request again.
    client.send_frame(&message(1, "total", 5)).await;
    client
        .send_frame(&RequestFrame::control(1, "total", RequestType::EndOfStream))
        .await;
    assert_eq!(client.recv().await.data.decode::<i64>().unwrap(), 5);
}
