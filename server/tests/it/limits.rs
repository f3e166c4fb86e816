//! The mapping language's limits, through the real server process: expressions that would
//! once have overflowed the stack are refused at save time with a message, fail their step at
//! run time, and the process goes on answering.

use crate::TestApp;
use crate::process::{free_port, serve_at, wait_for};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use std::time::Duration;
use switchyard::Role;
use switchyard::run::RunStatus;
use switchyard::schema::{runs, workflows};
use switchyard::sql_text::Sql;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One HTTP/1.1 request to the server on `port`: its status and body.
async fn http(port: u16, head: &str, body: &str) -> (u16, String, String) {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let request = format!(
        "{head}\r\nHost: 127.0.0.1\r\nOrigin: http://127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head[9..12].parse().expect("status");
    (status, head.to_owned(), body.to_owned())
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", app::urlencode(k), app::urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[tokio::test(flavor = "multi_thread")]
async fn expressions_past_the_limits_are_refused_and_fail_their_step_and_the_server_goes_on() {
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let (key_row, key) = {
        let mut conn = app.db.conn().await;
        switchyard::api_key::create(
            &mut conn,
            &admin,
            &switchyard::api_key::KeyRequest::new("limits", &switchyard::entity::Scope::ALL),
        )
        .await
        .expect("key")
    };
    drop(key_row);
    let port = free_port();
    let _served = serve_at(&app.db.url, port, &[]);
    wait_for("the server", Duration::from_secs(60), async || {
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
    })
    .await;

    // Saving: refused with a message next to the field, nothing written.
    let (status, head, _) = http(
        port,
        "POST /api/login HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nAccept: application/json",
        &form(&[("email", &admin.email), ("password", switchyard::testing::PASSWORD)]),
    )
    .await;
    assert_eq!(status, 200, "{head}");
    let cookie = head
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, value)| value.trim())
        .and_then(|c| c.split(';').next())
        .expect("session cookie")
        .to_owned();
    let brackets = format!("{}1", "(".repeat(100_000));
    let terms = vec!["deal.big"; 10_000].join(" + ");
    for expr in [&brackets, &terms] {
        let body = form(&[
            ("org", "acme"),
            ("name", "Too much"),
            ("trigger_event", "Deal.won"),
            ("steps[0][action]", "Note.create"),
            ("steps[0][mapping][0][field]", "text"),
            ("steps[0][mapping][0][expr]", expr),
        ]);
        let (status, _, body) = http(
            port,
            &format!("POST /api/save_workflow HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\nCookie: {cookie}"),
            &body,
        )
        .await;
        assert_eq!(status, 422, "{body}");
        let error: app::error::AppError = serde_json::from_str(&body).expect("an AppError");
        let message = error
            .field("steps.0.mapping.0.expr")
            .expect("the field's message");
        assert!(
            message.starts_with("Step 1, field text:") && message.contains("2000"),
            "{message}"
        );
    }

    // Running: the same expressions stored without the form fail their step, with the field.
    let stored: Vec<String> = {
        let mut conn = app.db.conn().await;
        let mut ids = Vec::new();
        for (name, expr) in [("Brackets", &brackets), ("Terms", &terms)] {
            let w = app.workflow(&admin, name, 1).await;
            let steps = json!([{"action": "Note.create", "mapping": {"text": expr}}]).to_string();
            let snapshot = json!({
                "name": name, "description": "", "trigger_event": "Deal.won", "steps": steps,
                "retry_policy": null, "error_handling": "Stop", "timeout_ms": null
            });
            diesel::sql_query("UPDATE workflow_versions SET snapshot = $1 WHERE workflow_id = $2")
                .bind::<diesel::sql_types::Jsonb, _>(snapshot)
                .bind::<diesel::sql_types::Text, _>(w.id.as_str())
                .execute(&mut conn)
                .await
                .expect("snapshot");
            diesel::update(workflows::table.find(w.id.sql()))
                .set((
                    workflows::steps.eq(steps.sql()),
                    workflows::status.eq(switchyard::Status::Activated.sql()),
                ))
                .execute(&mut conn)
                .await
                .expect("activate");
            ids.push(w.id.to_string());
        }
        ids
    };
    let big = "x".repeat((1 << 20) - 200);
    let event = json!({"type": "Deal.won", "data": {"big": big}}).to_string();
    let (status, _, body) = http(
        port,
        &format!("POST /~acme/events HTTP/1.1\r\nContent-Type: application/json\r\nAuthorization: Bearer {key}"),
        &event,
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let accepted: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(accepted["runs"].as_array().map(Vec::len), Some(2));
    let ended = async || {
        let mut conn = app.db.conn().await;
        let statuses: Vec<RunStatus> = runs::table
            .filter(runs::workflow_id.eq_any(switchyard::sql_text::all(&stored)))
            .select(runs::status)
            .load(&mut conn)
            .await
            .expect("runs");
        statuses.len() == 2 && statuses.iter().all(|s| !s.is_in_flight())
    };
    wait_for("both runs to end", Duration::from_secs(30), ended).await;
    let mut conn = app.db.conn().await;
    let errors: Vec<(RunStatus, Option<String>)> = runs::table
        .filter(runs::workflow_id.eq_any(switchyard::sql_text::all(&stored)))
        .select((runs::status, runs::error))
        .load(&mut conn)
        .await
        .expect("runs");
    for (status, error) in errors {
        assert_eq!(status, RunStatus::Failed);
        let error = error.expect("error");
        assert!(
            error.starts_with("Step 1 (Note.create): The field text cannot be worked out")
                && error.contains("at most 2000"),
            "{error}"
        );
    }

    // And the same process still answers pages and runs workflows.
    let (status, _, _) = http(port, "GET /login HTTP/1.1", "").await;
    assert_eq!(status, 200);
}
