//! The document for small sets of rpcs.

use serde_json::{Value, json};

use super::*;
use crate::introspect::{MessageDesc, TypeDesc};

fn rpc(name: &str, streams: (bool, bool), request: Value, response: Value) -> RpcDescription {
    let side = |streams| MessageDesc {
        streams,
        ty: TypeDesc::named("Any"),
    };
    RpcDescription {
        name: name.into(),
        request: side(streams.0),
        response: side(streams.1),
        description: Some("Does it.\n\nAt length.".into()),
        request_schema: Some(request),
        response_schema: Some(response),
    }
}

#[test]
fn an_rpc_is_an_operation_with_a_reply() {
    let tuple = json!({"type": "array", "prefixItems": [{"type": "integer"}, {"type": "integer"}],
        "minItems": 2, "maxItems": 2});
    let rpcs = [rpc(
        "add",
        (false, false),
        tuple,
        json!({"type": "integer"}),
    )];
    let doc = AsyncApi::new(&rpcs).document();
    let op = &doc["operations"]["add"];
    assert_eq!(op["action"], "receive");
    assert_eq!(op["summary"], "Does it.");
    assert_eq!(op["x-swill-shape"], "unary");
    assert_eq!(
        op["reply"]["messages"],
        json!([
            {"$ref": "#/channels/swill/messages/add.response"},
            {"$ref": "#/channels/swill/messages/swill.error"}
        ])
    );
    let payload = &doc["components"]["messages"]["add.request"]["payload"];
    assert_eq!(
        payload["items"],
        json!([{"type": "integer"}, {"type": "integer"}])
    );
    assert!(doc.get("servers").is_none(), "no host, no servers");
}

#[test]
fn streaming_sides_list_their_end_of_stream() {
    let rpcs = [rpc(
        "upper",
        (true, true),
        json!({"type": "string"}),
        json!(true),
    )];
    let doc = AsyncApi::new(&rpcs).document();
    let op = &doc["operations"]["upper"];
    assert_eq!(op["x-swill-shape"], "bidirectional");
    assert_eq!(
        op["messages"][1]["$ref"],
        "#/channels/swill/messages/swill.requestEnd"
    );
    assert_eq!(
        op["reply"]["messages"][1]["$ref"],
        "#/channels/swill/messages/swill.endOfStream"
    );
    assert_eq!(
        doc["components"]["messages"]["upper.response"]["payload"],
        json!({})
    );
}

#[test]
fn names_become_valid_unique_keys() {
    let names = ["users/get".to_owned(), "users_get".to_owned()];
    assert_eq!(unique_keys(&names), ["users_get", "users_get_2"]);
}

#[test]
fn named_types_move_to_components() {
    let user = json!({"$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "User", "type": "object", "properties": {"id": {"type": "integer"}}});
    let rpcs = [rpc(
        "users.get",
        (false, false),
        json!({"type": "integer"}),
        user,
    )];
    let doc = AsyncApi::new(&rpcs).document();
    assert_eq!(
        doc["components"]["messages"]["users.get.response"]["payload"],
        json!({"$ref": "#/components/schemas/User"})
    );
    assert!(
        doc["components"]["schemas"]["User"]
            .get("$schema")
            .is_none()
    );
}

#[test]
fn operations_of_one_module_share_its_tag() {
    let rpcs = [
        rpc("add", (false, false), json!(true), json!(true)),
        rpc("users.get", (false, false), json!(true), json!(true)),
        rpc("admin.users.ban", (false, false), json!(true), json!(true)),
    ];
    let doc = AsyncApi::new(&rpcs).document();
    let ops = &doc["operations"];
    assert_eq!(ops["add"].get("tags"), None);
    assert_eq!(ops["users.get"]["tags"], json!([{"name": "users"}]));
    assert_eq!(
        ops["admin.users.ban"]["tags"],
        json!([{"name": "admin.users"}])
    );
}
