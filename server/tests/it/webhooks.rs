//! Webhook endpoints and their deliveries through REST: an Admin key adds one (its secret
//! answered once), reads, changes, rotates, reads deliveries, sends a test event and resends;
//! other keys and organizations are kept out.

use crate::TestApp;
use crate::ingest::json_body;
use crate::rest_api::scoped_key;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use std::time::Duration;
use switchyard::entity::Scope;

async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> crate::Answer {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .header(header::CONTENT_TYPE, "application/json");
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    app.send(request.body(body).expect("request")).await
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_key_keeps_endpoints_and_reads_their_deliveries() {
    let app = TestApp::new().await;
    let admin = scoped_key(&app, "acme", &[Scope::Admin]).await;
    let events = scoped_key(&app, "acme", &[Scope::EventsWrite]).await;
    let reader = scoped_key(&app, "acme", &[Scope::Read, Scope::Write]).await;
    let globex = scoped_key(&app, "globex", &Scope::ALL).await;

    let made = call(&app, "POST", "/~acme/webhooks", &admin, Some(json!({"url": "https://hooks.example.com/in", "events": ["Deal.won", "Run.failed"], "description": "CRM"}))).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let made = json_body(&made);
    let id = made["$id"].as_str().expect("id").to_owned();
    let secret = made["secret"]
        .as_str()
        .expect("the secret, this once")
        .to_owned();
    assert!(secret.starts_with("whsec_"));
    assert_eq!(made["events"], json!(["Deal.won", "Run.failed"]));

    let listed = call(&app, "GET", "/~acme/webhooks", &admin, None).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert!(
        !listed.body.contains(&secret) && !listed.body.contains("\"secret\""),
        "{}",
        listed.body
    );
    let one = call(&app, "GET", &format!("/~acme/webhooks/{id}"), &admin, None).await;
    assert_eq!(json_body(&one)["url"], "https://hooks.example.com/in");
    assert!(!one.body.contains(&secret));

    let bad = call(
        &app,
        "POST",
        "/~acme/webhooks",
        &admin,
        Some(json!({"url": "ftp://x", "events": ["Member.signedIn"]})),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert_eq!(json_body(&bad)["error"]["field"], "url");

    let changed = call(
        &app,
        "PUT",
        &format!("/~acme/webhooks/{id}"),
        &admin,
        Some(json!({"url": "https://hooks.example.com/v2", "events": ["Deal.won"]})),
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(json_body(&changed)["events"], json!(["Deal.won"]));
    let rotated = call(
        &app,
        "POST",
        &format!("/~acme/webhooks/{id}/rotate"),
        &admin,
        None,
    )
    .await;
    let rotated = json_body(&rotated);
    assert!(rotated["secret"].as_str().is_some_and(|s| s != secret));
    assert!(rotated["previousSecretUntil"].is_string());

    // An event: its delivery is in the log at once, waiting for the sender.
    let sent = call(
        &app,
        "POST",
        "/~acme/events",
        &events,
        Some(json!({"type": "Deal.won", "data": {"name": "Globex"}})),
    )
    .await;
    assert!(sent.status.is_success(), "{}", sent.body);
    let test = call(
        &app,
        "POST",
        &format!("/~acme/webhooks/{id}/test"),
        &admin,
        None,
    )
    .await;
    assert_eq!(test.status, StatusCode::ACCEPTED, "{}", test.body);
    let log = call(
        &app,
        "GET",
        &format!("/~acme/webhooks/{id}/deliveries"),
        &admin,
        None,
    )
    .await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.body);
    let log = json_body(&log);
    let kinds: Vec<&str> = log["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["eventType"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["Endpoint.test", "Deal.won"], "newest first");
    assert_eq!(log["results"][1]["status"], "Pending");
    let only = call(
        &app,
        "GET",
        &format!("/~acme/webhooks/{id}/deliveries?type=Deal.won&status=Pending"),
        &admin,
        None,
    )
    .await;
    assert_eq!(json_body(&only)["results"].as_array().unwrap().len(), 1);
    let wrong = call(
        &app,
        "GET",
        &format!("/~acme/webhooks/{id}/deliveries?status=Lost"),
        &admin,
        None,
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let delivery = log["results"][1]["$id"].as_str().unwrap();
    let pending = call(
        &app,
        "POST",
        &format!("/~acme/webhooks/{id}/deliveries/{delivery}/resend"),
        &admin,
        None,
    )
    .await;
    assert_eq!(
        pending.status,
        StatusCode::CONFLICT,
        "on its way already: {}",
        pending.body
    );
    let since = call(
        &app,
        "POST",
        &format!("/~acme/webhooks/{id}/deliveries/resend"),
        &admin,
        Some(json!({"since": "2026-01-01T00:00:00Z"})),
    )
    .await;
    assert_eq!(json_body(&since)["queued"], 0, "nothing failed");

    // Other keys: refused; another organization's: exactly like a missing id.
    for path in [
        format!("/~acme/webhooks/{id}"),
        format!("/~acme/webhooks/{id}/deliveries"),
        "/~acme/webhooks".to_owned(),
    ] {
        assert_eq!(
            call(&app, "GET", &path, &reader, None).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    for (method, path) in [
        ("GET", format!("/~globex/webhooks/{id}")),
        ("PUT", format!("/~globex/webhooks/{id}")),
        ("DELETE", format!("/~globex/webhooks/{id}")),
        ("POST", format!("/~globex/webhooks/{id}/rotate")),
        ("POST", format!("/~globex/webhooks/{id}/test")),
        ("GET", format!("/~globex/webhooks/{id}/deliveries")),
        (
            "POST",
            format!("/~globex/webhooks/{id}/deliveries/{delivery}/resend"),
        ),
    ] {
        let body = Some(json!({"url": "https://evil.example/", "events": ["Deal.won"]}));
        let theirs = call(&app, method, &path, &globex, body.clone()).await;
        let missing = call(
            &app,
            method,
            &path.replace(&id, "endpoint_Missing0"),
            &globex,
            body,
        )
        .await;
        assert_eq!(
            theirs.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            theirs.body
        );
        assert_eq!(
            (theirs.status, theirs.body),
            (missing.status, missing.body),
            "{method} {path}"
        );
    }
    let gone = call(
        &app,
        "DELETE",
        &format!("/~acme/webhooks/{id}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    assert_eq!(
        call(&app, "GET", &format!("/~acme/webhooks/{id}"), &admin, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// A receiver on `port` answering 200 to every request; the `webhook-id` of each it got.
async fn receiver(port: u16) -> std::sync::Arc<std::sync::Mutex<Vec<String>>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let got: std::sync::Arc<std::sync::Mutex<Vec<String>>> = Default::default();
    let kept = got.clone();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("listen");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let kept = kept.clone();
            tokio::spawn(async move {
                let mut read = Vec::new();
                let mut buf = [0u8; 4096];
                while !read.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => read.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&read).to_lowercase();
                let id = head
                    .lines()
                    .find_map(|l| l.strip_prefix("webhook-id:"))
                    .unwrap_or_default()
                    .trim()
                    .to_owned();
                kept.lock().unwrap().push(id);
                let _ = socket
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    got
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delivery_survives_a_sigkill_of_the_server_and_is_delivered_once_after_the_restart() {
    use crate::process::{free_port, serve_at, wait_for};
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use switchyard::schema::{webhook_attempts as a, webhook_deliveries as d};
    let app = TestApp::new().await;
    let admin = app.member("acme", switchyard::Role::Admin).await;
    let key_text = switchyard::secrets::SecretsKey::new_text();
    let key = switchyard::secrets::SecretsKey::parse(&key_text).unwrap();
    let port = free_port();
    let mut conn = app.db.conn().await;
    let input = switchyard::webhook::EndpointInput {
        url: format!("http://127.0.0.1:{port}/hook"),
        events: "Deal.won".into(),
        description: String::new(),
    };
    switchyard::webhooks::endpoints::create(&mut conn, Some(&key), &admin, &input)
        .await
        .expect("endpoint");
    let env = [
        ("SWITCHYARD_SECRETS_KEY", key_text.as_str()),
        ("SWITCHYARD_EGRESS_ALLOW", "127.0.0.1"),
    ];
    // The receiver is not up yet: the first attempt finds nobody, and the next is due in 5 s.
    let first = serve_at(&app.db.url, free_port(), &env);
    let posted = switchyard::ingest::PostedEvent {
        event_type: "Deal.won".into(),
        data: json!({"name": "Globex"}),
        id: None,
    };
    switchyard::ingest::send(&mut conn, &admin, &posted)
        .await
        .expect("event");
    let db = &app.db;
    let tried = async || {
        let mut conn = db.conn().await;
        a::table.count().get_result::<i64>(&mut conn).await.unwrap() >= 1
    };
    wait_for("a first attempt", Duration::from_secs(30), tried).await;
    drop(first); // SIGKILL
    let got = receiver(port).await;
    let second = serve_at(&app.db.url, free_port(), &env);
    let delivered = async || {
        let mut conn = db.conn().await;
        let status: String = d::table.select(d::status).first(&mut conn).await.unwrap();
        status == "Delivered"
    };
    wait_for(
        "the delivery after the restart",
        Duration::from_secs(30),
        delivered,
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    drop(second);
    let ids = got.lock().unwrap().clone();
    assert_eq!(ids.len(), 1, "delivered once: {ids:?}");
    let id: String = d::table
        .select(d::id)
        .first::<switchyard::id::DeliveryId>(&mut conn)
        .await
        .unwrap()
        .to_string();
    assert_eq!(ids[0], id.to_lowercase(), "its webhook-id");
    let attempts: Vec<Option<i32>> = a::table
        .order(a::n)
        .select(a::status)
        .load(&mut conn)
        .await
        .unwrap();
    assert_eq!(attempts, [None, Some(200)], "nobody there, then delivered");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_key_reads_and_sets_who_alerts_are_emailed_to() {
    let app = TestApp::new().await;
    let admin = scoped_key(&app, "acme", &[Scope::Admin]).await;
    let reader = scoped_key(&app, "acme", &[Scope::Read, Scope::Write]).await;
    let editor = app.member("acme", switchyard::Role::Editor).await;
    let read = call(&app, "GET", "/~acme/alerts", &admin, None).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    let read = json_body(&read);
    assert_eq!(read["results"].as_array().unwrap().len(), 3);
    assert_eq!(read["results"][0]["chosen"], false);
    assert!(
        read["members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["email"] == "editor@acme.test")
    );
    let body = json!({"emailTo": [editor.user_id.to_string()], "quietMinutes": 30});
    let set = call(
        &app,
        "PUT",
        "/~acme/alerts/FailureGroup",
        &admin,
        Some(body.clone()),
    )
    .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    assert_eq!(json_body(&set)["quietMinutes"], 30);
    assert_eq!(json_body(&set)["chosen"], true);
    let unknown = call(
        &app,
        "PUT",
        "/~acme/alerts/Sunspots",
        &admin,
        Some(body.clone()),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let bad = call(
        &app,
        "PUT",
        "/~acme/alerts/FailureGroup",
        &admin,
        Some(json!({"emailTo": ["user_Nobody00"], "quietMinutes": 1})),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert_eq!(
        call(&app, "GET", "/~acme/alerts", &reader, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(
            &app,
            "PUT",
            "/~acme/alerts/FailureGroup",
            &reader,
            Some(body)
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
}
