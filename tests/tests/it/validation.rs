//! Constraint validation: data that decodes but breaks a rule gets 422 with
//! the field paths and their problems, in the original Swill's shape.

use swill_proto::{Code, ErrorBody, Payload, RequestFrame, ResponseType};
use swill_tests::{Raw, start_demo};

#[tokio::test]
async fn a_broken_constraint_is_422_with_field_paths() {
    let addr = start_demo().await;
    let mut client = Raw::connect(addr).await;
    let request = Payload::encode(&serde_json::json!({"id": 0})).unwrap();
    client
        .send_frame(&RequestFrame::message(1, "users.get", request))
        .await;
    let answer = client.recv().await;
    assert_eq!(answer.kind, ResponseType::Error);
    let error = ErrorBody::from_payload(&answer.data).unwrap();
    assert_eq!(error.code, Code::VALIDATION_ERROR);
    let data = serde_json::to_value(error.data.expect("field problems")).unwrap();
    assert_eq!(
        data,
        serde_json::json!({"id": [{"description": "lower than 1"}]})
    );

    // A valid id passes the same check.
    let request = Payload::encode(&serde_json::json!({"id": 1})).unwrap();
    client
        .send_frame(&RequestFrame::message(2, "users.get", request))
        .await;
    let user: serde_json::Value = client.recv().await.data.decode().unwrap();
    assert_eq!(user["name"], "Ada Lovelace");
}
