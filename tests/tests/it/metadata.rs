//! Where metadata travels: request metadata on the opening MESSAGE or on an
//! opening METADATA frame; leading metadata once, on its own METADATA frame
//! or on the first frame out; trailing metadata on the final frame; none on
//! ERROR frames.

use futures::StreamExt;
use swill::{AnyValue, App, Error, Metadata, Request, StreamingRequest, Value};
use swill_proto::{RequestType, ResponseFrame, ResponseType};
use swill_tests::{Gate, Raw, message, start, start_demo, wire};

fn md(pairs: &[(&str, &str)]) -> Metadata {
    pairs.iter().map(|(k, v)| (*k, *v)).collect()
}

fn as_map(metadata: &Metadata) -> AnyValue {
    AnyValue(Value::Map(
        metadata
            .iter()
            .map(|(k, v)| (Value::from(k), v.clone()))
            .collect(),
    ))
}

/// Handlers that report the metadata they received, and handlers that set
/// leading and trailing metadata in each way the protocol allows.
fn app(gate: Gate) -> App {
    App::new()
        .handle(swill_examples::demo::add)
        // Client streaming: answers with its request metadata and how many
        // items it read.
        .handle_as(
            "stream_meta",
            |mut req: StreamingRequest<String>| async move {
                let mut items = 0;
                while req.next().await.is_some() {
                    items += 1;
                }
                Ok::<_, Error>((as_map(req.metadata()), items))
            },
        )
        // Bidi: answers each item with the request metadata.
        .handle_as(
            "stream_meta_bidi",
            |req: StreamingRequest<String>| async move {
                let metadata = as_map(req.metadata());
                req.map(move |_| Ok::<_, Error>(metadata.clone()))
            },
        )
        // Leading set before the stream, a second attempt after the first
        // item, trailing set after the last item through a cloned ctx.
        .handle_as("lead_stream", |req: Request<u64>| async move {
            let ctx = req.ctx.clone();
            ctx.set_leading_metadata(md(&[("lead", "first")]));
            async_stream::stream! {
                for i in 0..req.data {
                    yield Ok::<_, Error>(i);
                    let again = ctx.set_leading_metadata(md(&[("lead", "again")]));
                    assert!(!again, "leading metadata can be set once it went out");
                }
                ctx.set_trailing_metadata(md(&[("trail", "last")]));
            }
        })
        // Leading and trailing on the unary answer, as in the wire file.
        .handle_as("lead_trail", |req: Request<String>| async move {
            req.ctx
                .set_leading_metadata(Metadata::from([("lead", Value::from("hello"))]));
            req.ctx
                .set_trailing_metadata(Metadata::from([("trail", Value::from(1))]));
            Ok::<_, Error>(req.data)
        })
        // Leading sent at once as a METADATA frame, then a stream whose first
        // item waits for the test to open the gate.
        .handle_as("lead_now_stream", move |req: Request<u64>| {
            let gate = gate.clone();
            async move {
                req.ctx
                    .send_leading_metadata(Metadata::from([("lead", Value::from(1))]))
                    .await;
                let ctx = req.ctx.clone();
                async_stream::stream! {
                    gate.pass().await;
                    for i in 0..req.data {
                        yield Ok::<_, Error>(i);
                    }
                    ctx.set_trailing_metadata(Metadata::from([("trail", Value::from(2))]));
                }
            }
        })
        .handle_as("lead_now_unary", |req: Request<u64>| async move {
            req.ctx
                .send_leading_metadata(Metadata::from([("lead", Value::from(1))]))
                .await;
            // Leading already went out: this must not ride on the answer.
            req.ctx.set_leading_metadata(md(&[("lead", "again")]));
            Ok::<_, Error>(req.data)
        })
        // Metadata set, then an error.
        .handle_as("meta_then_fail", |req: Request<()>| async move {
            req.ctx.set_leading_metadata(md(&[("lead", "x")]));
            req.ctx.set_trailing_metadata(md(&[("trail", "y")]));
            Err::<(), _>(Error::forbidden("no"))
        })
        .handle_as("stream_then_fail", |req: Request<()>| async move {
            let ctx = req.ctx.clone();
            ctx.set_leading_metadata(md(&[("lead", "x")]));
            async_stream::stream! {
                yield Ok(1u32);
                ctx.set_trailing_metadata(md(&[("trail", "y")]));
                yield Err(Error::forbidden("no"));
            }
        })
        .handle_as("empty_stream_fails", |req: Request<()>| async move {
            req.ctx.set_leading_metadata(md(&[("lead", "x")]));
            req.ctx.set_trailing_metadata(md(&[("trail", "y")]));
            Err::<futures::stream::Empty<Result<u8, Error>>, _>(Error::forbidden("no"))
        })
}

#[tokio::test]
async fn request_metadata_on_the_opening_message_reaches_a_unary_handler() {
    let mut client = Raw::connect(start_demo().await).await;
    let sent = md(&[("tenant", "acme"), ("trace", "t-1")]);
    client
        .send_frame(&message(1, "echo_meta", "hi").with_metadata(sent.clone()))
        .await;
    let frame = client.recv().await;
    assert_eq!(frame.kind, ResponseType::Message);
    assert_eq!(frame.data.decode::<String>().unwrap(), "hi");
    assert_eq!(frame.leading.as_ref(), Some(&sent));
    assert_eq!(frame.trailing.as_ref(), Some(&sent));
}

#[tokio::test]
async fn request_metadata_on_an_opening_metadata_frame_reaches_a_unary_handler() {
    let mut client = Raw::connect(start_demo().await).await;
    let sent = md(&[("k", "v")]);
    client
        .send_frame(
            &swill_proto::RequestFrame::control(1, "echo_meta", RequestType::Metadata)
                .with_metadata(sent.clone()),
        )
        .await;
    client.call(1, "echo_meta", 5).await;
    let frame = client.recv().await;
    assert_eq!(frame.kind, ResponseType::Message);
    assert_eq!(frame.data.decode::<i64>().unwrap(), 5);
    assert_eq!(frame.leading.as_ref(), Some(&sent));
    assert_eq!(frame.trailing.as_ref(), Some(&sent));
}

#[tokio::test]
async fn request_metadata_on_an_opening_metadata_frame_reaches_a_streaming_handler() {
    let mut client = Raw::connect(start(app(Gate::new())).await).await;
    let sent = md(&[("k", "v"), ("user", "ada")]);
    client
        .send_frame(
            &swill_proto::RequestFrame::control(1, "stream_meta", RequestType::Metadata)
                .with_metadata(sent.clone()),
        )
        .await;
    client.call(1, "stream_meta", "a").await;
    client.call(1, "stream_meta", "b").await;
    client
        .control(1, "stream_meta", RequestType::EndOfStream)
        .await;
    let (got, items): (AnyValue, u32) = client.recv_message(1).await;
    assert_eq!(got, as_map(&sent));
    assert_eq!(items, 2, "the METADATA frame is not an item");
}

#[tokio::test]
async fn request_metadata_on_the_opening_message_reaches_a_streaming_handler() {
    let mut client = Raw::connect(start(app(Gate::new())).await).await;
    let sent = md(&[("k", "v")]);
    client
        .send_frame(&message(1, "stream_meta", "a").with_metadata(sent.clone()))
        .await;
    client.call(1, "stream_meta", "b").await;
    client
        .control(1, "stream_meta", RequestType::EndOfStream)
        .await;
    let (got, items): (AnyValue, u32) = client.recv_message(1).await;
    assert_eq!(got, as_map(&sent));
    assert_eq!(items, 2, "the opening MESSAGE is the first item");
}

#[tokio::test]
async fn request_metadata_reaches_a_bidi_handler_opened_by_metadata() {
    let mut client = Raw::connect(start(app(Gate::new())).await).await;
    let sent = md(&[("k", "v")]);
    client
        .send_frame(
            &swill_proto::RequestFrame::control(1, "stream_meta_bidi", RequestType::Metadata)
                .with_metadata(sent.clone()),
        )
        .await;
    client.call(1, "stream_meta_bidi", "a").await;
    assert_eq!(client.recv_message::<AnyValue>(1).await, as_map(&sent));
    client
        .control(1, "stream_meta_bidi", RequestType::EndOfStream)
        .await;
    client.recv_end(1).await;
}

#[tokio::test]
async fn leading_metadata_rides_on_the_first_item_only_and_trailing_on_end_of_stream() {
    let mut client = Raw::connect(start(app(Gate::new())).await).await;
    client.call(1, "lead_stream", 3).await;
    let first = client.recv().await;
    assert_eq!(first.kind, ResponseType::Message);
    assert_eq!(first.data.decode::<u64>().unwrap(), 0);
    assert_eq!(first.leading, Some(md(&[("lead", "first")])));
    assert_eq!(first.trailing, None);
    for i in 1..3u64 {
        let item = client.recv().await;
        assert_eq!(item.kind, ResponseType::Message);
        assert_eq!(item.data.decode::<u64>().unwrap(), i);
        assert_eq!(item.leading, None, "leading metadata is never repeated");
        assert_eq!(item.trailing, None);
    }
    let end = client.recv().await;
    assert_eq!(
        end,
        ResponseFrame::end_of_stream(1).with_trailing(Some(md(&[("trail", "last")])))
    );
}

#[tokio::test]
async fn leading_metadata_of_an_empty_stream_rides_on_end_of_stream() {
    let mut client = Raw::connect(start(app(Gate::new())).await).await;
    client.call(1, "lead_stream", 0).await;
    let end = client.recv().await;
    assert_eq!(
        end,
        ResponseFrame::end_of_stream(1)
            .with_leading(Some(md(&[("lead", "first")])))
            .with_trailing(Some(md(&[("trail", "last")])))
    );
}

#[tokio::test]
async fn leading_and_trailing_metadata_on_the_unary_answer_match_the_wire_file() {
    let mut client = Raw::connect(start(app(Gate::new())).await).await;
    client.call(1, "lead_trail", "hi").await;
    assert_eq!(
        client.recv_bytes().await,
        wire(r#"95 01 a2 68 69 00 81 a4 "lead" a5 "hello" 81 a5 "trail" 01"#)
    );
}

#[tokio::test]
async fn sent_leading_metadata_goes_out_at_once_before_the_first_item() {
    let gate = Gate::new();
    let mut client = Raw::connect(start(app(gate.clone())).await).await;
    client.call(1, "lead_now_stream", 2).await;
    // The first item cannot exist yet (it waits for the gate), so receiving
    // the METADATA frame now proves that it went out at once.
    assert_eq!(
        client.recv_bytes().await,
        wire(r#"95 01 c0 02 81 a4 "lead" 01 c0"#)
    );
    gate.open();
    for i in 0..2u64 {
        let item = client.recv().await;
        assert_eq!(item, ResponseFrame::message(1, encode(i)), "item {i}");
    }
    assert_eq!(
        client.recv_bytes().await,
        wire(r#"95 01 c0 01 c0 81 a5 "trail" 02"#)
    );
}

#[tokio::test]
async fn sent_leading_metadata_before_a_unary_answer_is_not_repeated_on_it() {
    let mut client = Raw::connect(start(app(Gate::new())).await).await;
    client.call(1, "lead_now_unary", 9).await;
    assert_eq!(
        client.recv_bytes().await,
        wire(r#"95 01 c0 02 81 a4 "lead" 01 c0"#)
    );
    assert_eq!(client.recv().await, ResponseFrame::message(1, encode(9u64)));
}

#[tokio::test]
async fn error_frames_carry_no_metadata() {
    let mut client = Raw::connect(start(app(Gate::new())).await).await;

    client.call(1, "meta_then_fail", ()).await;
    assert_eq!(
        client.recv_bytes().await,
        wire(r#"95 01 82 a4 "code" cd 01 93 a7 "message" a2 "no" 03 c0 c0"#)
    );

    // The leading metadata rides on the first item; the ERROR after it
    // carries neither it nor the trailing metadata set before the error.
    client.call(2, "stream_then_fail", ()).await;
    let item = client.recv().await;
    assert_eq!(
        item,
        ResponseFrame::message(2, encode(1u32)).with_leading(Some(md(&[("lead", "x")])))
    );
    assert_eq!(
        client.recv_bytes().await,
        wire(r#"95 02 82 a4 "code" cd 01 93 a7 "message" a2 "no" 03 c0 c0"#)
    );

    // A stream that fails before its first item: leading metadata was set
    // but nothing carries it, the ERROR included.
    client.call(3, "empty_stream_fails", ()).await;
    assert_eq!(
        client.recv_bytes().await,
        wire(r#"95 03 82 a4 "code" cd 01 93 a7 "message" a2 "no" 03 c0 c0"#)
    );
    client.assert_next_is_answer_to_add(4).await;
}

fn encode<T: serde::Serialize>(value: T) -> swill_proto::Payload {
    swill_proto::Payload::encode(&value).unwrap()
}
