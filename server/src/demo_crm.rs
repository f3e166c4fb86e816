//! The demo's CRM: a small endpoint the demo serves itself, so that its HTTP step has
//! something to call offline. `POST /demo/crm/orders` answers 201 after 50 ms with an id and
//! what it received; a body asking for `"fail": true` gets 422 with a reason. Only mounted
//! when the demo organization is seeded (`SWITCHYARD_SEED_DEMO`).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// How long the demo CRM takes to answer, as a real one might.
pub const ANSWER_AFTER: std::time::Duration = std::time::Duration::from_millis(50);
/// Where it is served.
pub const PATH: &str = "/demo/crm/orders";

pub async fn orders(body: axum::body::Bytes) -> Response {
    tokio::time::sleep(ANSWER_AFTER).await;
    let received: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if received["fail"] == json!(true) {
        let said = json!({"message": "the order was refused: its customer is on hold"});
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(said)).into_response();
    }
    let id = format!("crm_{}", switchyard::id::random_base62(6));
    let answer = json!({"id": id, "status": "created", "received": received});
    (StatusCode::CREATED, Json(answer)).into_response()
}
