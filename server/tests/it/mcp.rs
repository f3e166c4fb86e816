//! The MCP endpoint's door: only an API key of the organization in the path gets in; the
//! protocol itself is driven by the official TypeScript client in end2end/tests/mcp.spec.ts.

use crate::TestApp;
use crate::ingest::{json_body, key};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;

fn initialize(org: &str, key: Option<&str>) -> Request<Body> {
    let mut r = Request::post(format!("/~{org}/mcp"))
        .header("host", "switchyard.test")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream");
    if let Some(key) = key {
        r = r.header("authorization", format!("Bearer {key}"));
    }
    let body = json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": { "name": "test", "version": "1" },
        },
    });
    r.body(Body::from(body.to_string())).expect("request")
}

#[tokio::test(flavor = "multi_thread")]
async fn only_a_key_of_the_organization_opens_its_mcp_server() {
    let app = TestApp::new().await;
    let acme = key(&app, "acme").await;
    let globex = key(&app, "globex").await;
    for (org, key) in [
        ("acme", None),
        ("acme", Some(globex.as_str())),
        ("acme", Some("sy_wrong")),
    ] {
        let refused = app.send(initialize(org, key)).await;
        assert_eq!(
            refused.status,
            StatusCode::UNAUTHORIZED,
            "{key:?}: {}",
            refused.body
        );
        assert_eq!(json_body(&refused)["error"]["code"], "unauthorized");
    }
    let opened = app.send(initialize("acme", Some(&acme))).await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.body);
    assert!(opened.body.contains("\"serverInfo\""), "{}", opened.body);
    assert!(opened.body.contains("switchyard"), "{}", opened.body);
}
