//! `swill stream`: every call shape, printing one JSON line per answer and
//! reading streamed requests as JSON lines from standard input.

use std::pin::pin;

use futures::StreamExt;
use serde_json::Value as Json;
use swill_client::{
    CallOptions, CallShape, Client, Code, Error, RequestSender, ResponseStream, Value,
};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::args::CallArgs;
use crate::{Failure, json, print_line, print_metadata};

pub(crate) async fn run(
    client: &Client,
    rpc: &str,
    request: Option<Json>,
    shape: Option<CallShape>,
    args: &CallArgs,
) -> Result<(), Failure> {
    let options = args.options().map_err(Failure::Usage)?;
    // Asked even with --shape: a shape the server contradicts would leave
    // the call waiting for frames that never come.
    let described = described_shape(client, rpc, &options).await?;
    let guessed = shape.is_none() && described.is_none();
    let called = call(client, rpc, request, shape, described, args, options).await;
    match called {
        // The guess was wrong, and the server said so.
        Err(Failure::Call(Error::Invalid(message))) if guessed => Err(Failure::Usage(format!(
            "{message}; the server does not describe `{rpc}`: give its shape with \
             --shape unary|server|client|bidi"
        ))),
        called => called,
    }
}

async fn call(
    client: &Client,
    rpc: &str,
    request: Option<Json>,
    shape: Option<CallShape>,
    described: Option<(CallShape, bool)>,
    args: &CallArgs,
    options: CallOptions,
) -> Result<(), Failure> {
    let (shape, takes_nothing) = match (shape, described) {
        (Some(given), Some((described, _))) if given != described => {
            return Err(Failure::Usage(format!(
                "`{rpc}` is {described}, not {given}, says the server: leave --shape out"
            )));
        }
        (Some(given), described) => (given, described.is_some_and(|(_, nothing)| nothing)),
        (None, Some(described)) => described,
        // Not described: a request given means one request, else a stream.
        (None, None) if request.is_some() => (CallShape::ServerStreaming, false),
        (None, None) => (CallShape::Bidirectional, false),
    };
    // An rpc that takes nothing needs no `null` typed out.
    let request = request.or_else(|| takes_nothing.then_some(Json::Null));
    match (shape, request) {
        (CallShape::Unary, Some(request)) => {
            let response = client.call_with::<Value>(rpc, &request, options).await?;
            print_metadata("leading", &response.leading, args.verbose);
            print_item(&response.data)?;
            print_metadata("trailing", &response.trailing, args.verbose);
            Ok(())
        }
        (CallShape::ServerStreaming, Some(request)) => {
            let stream = client.server_stream_with(rpc, &request, options).await?;
            print_stream(stream, args.verbose).await
        }
        (CallShape::Unary | CallShape::ServerStreaming, None) => Err(Failure::Usage(format!(
            "`{rpc}` takes one request: give it as a JSON argument"
        ))),
        (CallShape::ClientStreaming, None) => {
            let (sender, answer) = client
                .client_stream_with::<Value, Json>(rpc, options)
                .await?;
            let mut pump = pin!(pump(sender));
            let mut answer = pin!(answer);
            let response = loop {
                tokio::select! {
                    done = &mut pump => done?,
                    response = &mut answer => break response?,
                }
            };
            print_metadata("leading", &response.leading, args.verbose);
            print_item(&response.data)?;
            print_metadata("trailing", &response.trailing, args.verbose);
            Ok(())
        }
        (CallShape::Bidirectional, None) => {
            let (sender, stream) = client.bidi_with::<Value, Json>(rpc, options).await?;
            let mut pump = pin!(pump(sender));
            let mut print = pin!(print_stream(stream, args.verbose));
            loop {
                tokio::select! {
                    done = &mut pump => done?,
                    done = &mut print => return done,
                }
            }
        }
        (CallShape::ClientStreaming | CallShape::Bidirectional, Some(_)) => {
            Err(Failure::Usage(format!(
                "`{rpc}` takes a stream of requests: give them as JSON lines on standard input"
            )))
        }
    }
}

/// The rpc's shape from introspection (asked with the call's metadata, for
/// a server that authenticates by it), and whether its request is nothing
/// (`NoneType`); `None` when the server does not describe it.
async fn described_shape(
    client: &Client,
    rpc: &str,
    options: &CallOptions,
) -> Result<Option<(CallShape, bool)>, Failure> {
    match client.introspect_with(options.clone()).await {
        Ok(rpcs) => Ok(rpcs
            .iter()
            .find(|d| d.name == rpc)
            .map(|d| (d.shape(), d.request.ty.name == "NoneType"))),
        Err(Error::Remote(body)) if body.code == Code::NOT_FOUND => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Sends each line of standard input as one message, then END_OF_STREAM.
/// Once the call is over, it stops reading (the answer tells why); after
/// the end of input it waits for the answer, never returning.
async fn pump(sender: RequestSender<Json>) -> Result<(), Failure> {
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        let line = match lines.next_line().await {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(e) => return Err(Failure::Usage(format!("cannot read standard input: {e}"))),
        };
        if line.trim().is_empty() {
            continue;
        }
        let item = crate::parse_json(&line, "a line of standard input")?;
        if sender.send(&item).await.is_err() {
            break;
        }
    }
    // Ctrl-C in a shell pipeline (`producer | swill stream ...`) ends the
    // producer too, and its end of input may come first: waiting a moment
    // lets the interrupt cancel the call instead of this END_OF_STREAM
    // completing it.
    tokio::time::sleep(INTERRUPT_GRACE).await;
    sender.finish();
    std::future::pending().await
}

/// How long the end of standard input waits for a Ctrl-C that caused it.
const INTERRUPT_GRACE: std::time::Duration = std::time::Duration::from_millis(50);

async fn print_stream(mut stream: ResponseStream<Value>, verbose: bool) -> Result<(), Failure> {
    let mut leading_shown = false;
    while let Some(item) = stream.next().await {
        if !leading_shown && let Some(leading) = stream.leading() {
            print_metadata("leading", leading, verbose);
            leading_shown = true;
        }
        print_item(&item?)?;
    }
    if let Some(trailing) = stream.trailing() {
        print_metadata("trailing", trailing, verbose);
    }
    Ok(())
}

fn print_item(value: &Value) -> Result<(), Failure> {
    print_line(&serde_json::to_string(&json::to_json(value)))
}
