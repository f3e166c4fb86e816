//! `POST /~{org}/workflows/{id}/trigger`: the trigger verb for other systems, with the body
//! as the run's sample payload.

use crate::TestApp;
use crate::ingest::{json_body, key, workflows};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use switchyard::id::Generate;
use switchyard::schema::{events, runs};
use switchyard::sql_text::Sql;

fn trigger(org: &str, id: &str, key: Option<&str>, body: &str) -> Request<Body> {
    let mut request = Request::post(format!("/~{org}/workflows/{id}/trigger"));
    if !body.is_empty() {
        request = request.header("content-type", "application/json");
    }
    if let Some(key) = key {
        request = request.header("authorization", format!("Bearer {key}"));
    }
    request.body(Body::from(body.to_owned())).expect("request")
}

async fn run_count(app: &TestApp) -> i64 {
    let mut conn = app.db.conn().await;
    runs::table
        .count()
        .get_result(&mut conn)
        .await
        .expect("count")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_triggers_a_run_with_its_body_as_the_sample_data() {
    let app = TestApp::new().await;
    let made = workflows(&app).await;
    let acme = key(&app, "acme").await;
    let listening = made[0].id.to_string();

    let answer = app
        .send(trigger(
            "acme",
            &listening,
            Some(&acme),
            r#"{"name": "Initech"}"#,
        ))
        .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
    let body = json_body(&answer);
    assert_eq!(body["$type"], "Run");
    assert_eq!(body["workflow"]["status"], "Triggered");
    let run = body["$id"].as_str().expect("run id").to_owned();

    let mut conn = app.db.conn().await;
    let (workflow, event): (String, String) = runs::table
        .find(run.sql())
        .select((runs::workflow_id, runs::event_id))
        .first(&mut conn)
        .await
        .expect("the run is queued");
    assert_eq!(workflow, listening);
    let (data, source, actor): (serde_json::Value, String, Option<String>) = events::table
        .find(event.sql())
        .select((events::data, events::source, events::actor))
        .first(&mut conn)
        .await
        .expect("its event");
    assert_eq!(data, json!({"name": "Initech"}));
    assert_eq!(source, "manual");
    assert!(
        actor.is_some_and(|a| a.starts_with("key_")),
        "the key acted"
    );

    // The workflow is Triggered until its run ends: a second trigger is refused meanwhile.
    let again = app.send(trigger("acme", &listening, Some(&acme), "")).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert_eq!(json_body(&again)["error"]["code"], "invalid_transition");
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_triggers_get_a_4xx_in_the_error_shape_and_queue_nothing() {
    let app = TestApp::new().await;
    let made = workflows(&app).await;
    let acme = key(&app, "acme").await;
    let globex = key(&app, "globex").await;
    let (listening, paused) = (made[0].id.to_string(), made[1].id.to_string());
    let missing = switchyard::WorkflowId::generate().to_string();

    let cases = [
        (
            trigger("acme", &listening, None, ""),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            trigger("acme", &listening, Some(&globex), ""),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            trigger("acme", &paused, Some(&acme), ""),
            StatusCode::CONFLICT,
            "invalid_transition",
        ),
        (
            trigger("acme", &listening, Some(&acme), "{"),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        // Well-formed JSON the domain refuses: invalid input, 422 with the field.
        (
            trigger("acme", &listening, Some(&acme), "[1]"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            trigger("acme", "not-an-id", Some(&acme), ""),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ];
    for (request, status, code) in cases {
        let uri = request.uri().clone();
        let answer = app.send(request).await;
        assert_eq!(answer.status, status, "{uri}: {}", answer.body);
        assert_eq!(json_body(&answer)["error"]["code"], code, "{uri}");
    }
    // Another organization's workflow answers exactly like a missing one.
    let theirs = app
        .send(trigger("globex", &listening, Some(&globex), ""))
        .await;
    let nothing = app
        .send(trigger("globex", &missing, Some(&globex), ""))
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!((theirs.status, theirs.body), (nothing.status, nothing.body));
    assert_eq!(run_count(&app).await, 0, "nothing was queued");
    let answer = app.send(trigger("acme", &listening, Some(&acme), "")).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
    assert_eq!(run_count(&app).await, 1);
}
