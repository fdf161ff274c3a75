//! `swill.introspect` against the demo: one item per handler, in
//! registration order, in the original's shape plus our item-level keys.

use swill::{App, Code, Error, Request, Value};
use swill_proto::{ErrorBody, ResponseType};
use swill_tests::{DEMO_RPCS as DEMO, Raw, start, start_demo};

/// `map[key]` for a map with string keys.
fn get<'a>(map: &'a Value, key: &str) -> &'a Value {
    let Value::Map(entries) = map else {
        panic!("expected a map, got {map}");
    };
    entries
        .iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no key {key:?} in {map}"))
}

fn keys(map: &Value) -> Vec<&str> {
    let Value::Map(entries) = map else {
        panic!("expected a map, got {map}");
    };
    entries
        .iter()
        .map(|(k, _)| k.as_str().expect("string keys"))
        .collect()
}

/// A Swill type in the wire shape: `{"type": name}` plus `arguments` when
/// there are some, keyed by integers (generics) or names (structs).
fn ty(name: &str) -> Value {
    Value::Map(vec![("type".into(), name.into())])
}

fn generic(name: &str, args: Vec<Value>) -> Value {
    let args = args
        .into_iter()
        .enumerate()
        .map(|(i, a)| (Value::from(i as u64), a))
        .collect();
    Value::Map(vec![
        ("type".into(), name.into()),
        ("arguments".into(), Value::Map(args)),
    ])
}

fn structure(name: &str, fields: &[(&str, Value)]) -> Value {
    let fields = fields
        .iter()
        .map(|(f, t)| (Value::from(*f), t.clone()))
        .collect();
    Value::Map(vec![
        ("type".into(), name.into()),
        ("arguments".into(), Value::Map(fields)),
    ])
}

/// Fetches every item of `swill.introspect`, checking the stream's framing.
async fn introspect(client: &mut Raw) -> Vec<Value> {
    client.call(1, "swill.introspect", ()).await;
    let mut items = Vec::new();
    loop {
        let frame = client.recv().await;
        assert_eq!(frame.seq, 1.into());
        assert_eq!(frame.leading, None);
        assert_eq!(frame.trailing, None);
        match frame.kind {
            ResponseType::Message => items.push(frame.data.to_value().unwrap()),
            ResponseType::EndOfStream => {
                assert!(frame.data.is_nil());
                return items;
            }
            other => panic!("unexpected {other:?}: {frame:?}"),
        }
    }
}

async fn demo_items() -> Vec<Value> {
    let mut client = Raw::connect(start_demo().await).await;
    introspect(&mut client).await
}

fn item<'a>(items: &'a [Value], name: &str) -> &'a Value {
    items
        .iter()
        .find(|i| get(i, "name").as_str() == Some(name))
        .unwrap_or_else(|| panic!("no item for {name}"))
}

/// Checks `streams` and `type` of one side, and that it holds nothing else
/// (old clients expect exactly these two keys).
fn assert_side(item: &Value, side: &str, streams: bool, expected: Value) {
    let name = get(item, "name");
    let desc = get(item, side);
    assert_eq!(keys(desc), ["streams", "type"], "{name} {side}");
    assert_eq!(get(desc, "streams"), &Value::from(streams), "{name} {side}");
    assert_eq!(get(desc, "type"), &expected, "{name} {side} type");
}

#[tokio::test]
async fn every_demo_handler_is_listed_once_in_registration_order_then_end_of_stream() {
    let items = demo_items().await;
    let names: Vec<&str> = items
        .iter()
        .map(|i| get(i, "name").as_str().expect("a string name"))
        .collect();
    assert_eq!(names, DEMO);
    assert!(names.iter().all(|n| !n.starts_with("swill.")));
}

#[tokio::test]
async fn items_have_the_original_keys_plus_ours() {
    for item in demo_items().await {
        assert_eq!(
            keys(&item),
            [
                "name",
                "request",
                "response",
                "description",
                "request_schema",
                "response_schema"
            ],
            "{item}"
        );
    }
}

#[tokio::test]
async fn call_shapes_and_types_of_the_demo_handlers() {
    let items = demo_items().await;
    let int = || ty("int");

    let add = item(&items, "add");
    assert_side(add, "request", false, generic("tuple", vec![int(), int()]));
    assert_side(add, "response", false, int());

    let count = item(&items, "count");
    assert_side(count, "request", false, int());
    assert_side(count, "response", true, int());

    let total = item(&items, "total");
    assert_side(total, "request", true, int());
    assert_side(total, "response", false, int());

    let upper = item(&items, "upper");
    assert_side(upper, "request", true, ty("str"));
    assert_side(upper, "response", true, ty("str"));

    let echo = item(&items, "echo_meta");
    assert_side(echo, "request", false, ty("Any"));
    assert_side(echo, "response", false, ty("Any"));

    let fail = item(&items, "fail");
    assert_side(
        fail,
        "request",
        false,
        structure("Failure", &[("code", int()), ("message", ty("str"))]),
    );
    assert_side(fail, "response", false, ty("NoneType"));

    let sleep = item(&items, "sleep");
    assert_side(sleep, "request", false, int());
    assert_side(sleep, "response", false, ty("str"));

    let get_user = item(&items, "users.get");
    assert_side(
        get_user,
        "request",
        false,
        structure("UserId", &[("id", int())]),
    );
    assert_side(
        get_user,
        "response",
        false,
        structure(
            "User",
            &[("id", int()), ("name", ty("str")), ("email", ty("str"))],
        ),
    );
}

#[tokio::test]
async fn descriptions_are_the_doc_comments() {
    let items = demo_items().await;
    let expected = [
        ("add", "Adds two numbers."),
        ("count", "Streams the integers from 0 to n - 1."),
        ("total", "Sums a stream of integers."),
        (
            "upper",
            "Upper-cases each string of a stream, as it arrives.",
        ),
        (
            "echo_meta",
            "Returns its data; copies the request metadata into the leading and the\ntrailing metadata.",
        ),
        ("fail", "Fails with the given code and message."),
        (
            "sleep",
            "Sleeps for the given number of milliseconds, then answers \"done\".",
        ),
        ("users.get", "Fetches a user by id."),
    ];
    for (name, description) in expected {
        assert_eq!(
            get(item(&items, name), "description").as_str(),
            Some(description),
            "{name}"
        );
    }
}

#[tokio::test]
async fn schemas_are_json_schema_maps() {
    let items = demo_items().await;
    for item in &items {
        let name = get(item, "name");
        for key in ["request_schema", "response_schema"] {
            let schema = get(item, key);
            assert!(matches!(schema, Value::Map(_)), "{name} {key}: {schema}");
            assert_eq!(
                get(schema, "$schema").as_str(),
                Some("https://json-schema.org/draft/2020-12/schema"),
                "{name} {key}"
            );
        }
    }
    // One message's schema, even for a streaming side.
    let count = item(&items, "count");
    assert_eq!(
        get(get(count, "response_schema"), "type").as_str(),
        Some("integer")
    );
    let get_user = item(&items, "users.get");
    let schema = get(get_user, "response_schema");
    assert_eq!(get(schema, "type").as_str(), Some("object"));
    assert_eq!(
        keys(get(schema, "properties")),
        ["id", "name", "email"],
        "{schema}"
    );
}

#[tokio::test]
async fn introspection_can_run_again_and_beside_other_calls() {
    let mut client = Raw::connect(start_demo().await).await;
    let first = introspect(&mut client).await;
    client.assert_next_is_answer_to_add(2).await;
    assert_eq!(introspect(&mut client).await, first);
}

#[tokio::test]
async fn an_app_with_introspection_off_answers_404() {
    let app = App::new()
        .handle(swill_examples::demo::add)
        .introspection(false);
    let mut client = Raw::connect(start(app).await).await;
    client.call(1, "swill.introspect", ()).await;
    assert_eq!(
        client.recv_error(1).await,
        ErrorBody::new(Code::NOT_FOUND, "No func was found to process this request")
    );
    client.assert_next_is_answer_to_add(2).await;
}

#[tokio::test]
async fn a_custom_app_lists_only_its_handlers() {
    let app = App::new()
        .handle_as("b.second", |_req: Request<()>| async {
            Ok::<_, Error>(1u8)
        })
        .handle_as("a.first", |req: Request<Vec<Option<String>>>| async move {
            Ok::<_, Error>(req.data.len() as u32)
        });
    let mut client = Raw::connect(start(app).await).await;
    let items = introspect(&mut client).await;
    let names: Vec<_> = items.iter().map(|i| get(i, "name").as_str()).collect();
    assert_eq!(names, [Some("b.second"), Some("a.first")]);
    // No doc comment, no description key.
    assert!(!keys(&items[0]).contains(&"description"));
    assert_side(
        &items[1],
        "request",
        false,
        generic(
            "list",
            vec![generic("Union", vec![ty("str"), ty("NoneType")])],
        ),
    );
    assert_side(&items[0], "request", false, ty("NoneType"));
}
