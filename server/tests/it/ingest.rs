use crate::{Answer, TestApp};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use switchyard::Role;
use switchyard::entity::EventSource;
use switchyard::schema::{events, runs};
use switchyard::sql_text::Sql;

fn post(org: &str, key: Option<&str>, content_type: &str, body: impl Into<Body>) -> Request<Body> {
    let mut request = Request::post(format!("/~{org}/events")).header("content-type", content_type);
    if let Some(key) = key {
        request = request.header("authorization", format!("Bearer {key}"));
    }
    request.body(body.into()).expect("request")
}

pub(crate) fn json_body(answer: &Answer) -> Value {
    serde_json::from_str(&answer.body).unwrap_or_else(|e| panic!("{e}: {}", answer.body))
}

pub(crate) async fn key(app: &TestApp, org: &str) -> String {
    let admin = app.member(org, Role::Admin).await;
    let mut conn = app.db.conn().await;
    switchyard::api_key::create(
        &mut conn,
        &admin,
        &switchyard::api_key::KeyRequest::new("test", &switchyard::entity::Scope::ALL),
    )
    .await
    .expect("key")
    .1
}

/// Events and runs written through the API so far.
async fn written(app: &TestApp) -> (i64, i64) {
    let mut conn = app.db.conn().await;
    let posted: i64 = events::table
        .filter(events::source.eq(("api").sql()))
        .count()
        .get_result(&mut conn)
        .await
        .expect("count");
    let queued: i64 = runs::table
        .count()
        .get_result(&mut conn)
        .await
        .expect("count");
    (posted, queued)
}

/// Workflows on Deal.won in every status that matters, in acme; one in globex.
pub(crate) async fn workflows(app: &TestApp) -> Vec<switchyard::Workflow> {
    use switchyard::verbs;
    let admin = app.member("acme", Role::Admin).await;
    let hooks = switchyard::hooks::Hooks::with_defaults();
    let mut made = Vec::new();
    for (name, verbs_to_apply) in [
        ("listening", &["activate"][..]),
        ("paused", &["activate", "pause"]),
        ("draft", &[]),
    ] {
        let w = app.workflow(&admin, name, 1).await;
        let mut conn = app.db.conn().await;
        for verb in verbs_to_apply {
            verbs::apply(
                &mut conn,
                &hooks,
                &admin,
                &w.id,
                verb.parse().expect("verb"),
            )
            .await
            .expect("verb");
        }
        made.push(w);
    }
    let globex = app.member("globex", Role::Admin).await;
    let theirs = app.workflow(&globex, "globex listening", 1).await;
    let mut conn = app.db.conn().await;
    verbs::activate(&mut conn, &hooks, &globex, &theirs.id)
        .await
        .expect("activate");
    made
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_queues_one_run_per_listening_workflow_of_its_organization() {
    let app = TestApp::new().await;
    let made = workflows(&app).await;
    let key = key(&app, "acme").await;
    let body = json!({"type": "Deal.won", "data": {"name": "Acme", "amount": 5000}}).to_string();
    let answer = app
        .send(post("acme", Some(&key), "application/json", body))
        .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
    let accepted = json_body(&answer);
    assert!(
        accepted["$id"]
            .as_str()
            .is_some_and(|id| id.starts_with("evt_"))
    );
    assert_eq!(
        accepted["runs"].as_array().map(Vec::len),
        Some(1),
        "only the listening workflow of acme"
    );
    let mut conn = app.db.conn().await;
    let run_for: String = runs::table
        .select(runs::workflow_id)
        .first(&mut conn)
        .await
        .expect("run");
    assert_eq!(run_for, made[0].id.to_string());
    let ignored: Value = events::table
        .filter(events::source.eq(("api").sql()))
        .select(events::ignored_by)
        .first(&mut conn)
        .await
        .expect("event");
    assert_eq!(
        ignored,
        json!([made[1].id.to_string()]),
        "the paused workflow is on record as ignoring it"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_requests_get_a_4xx_in_the_error_shape_and_write_nothing() {
    let app = TestApp::new().await;
    workflows(&app).await;
    let acme = key(&app, "acme").await;
    let globex = key(&app, "globex").await;
    let good = json!({"type": "Deal.won", "data": {}}).to_string();
    let mut deep = json!(1);
    for _ in 0..65 {
        deep = json!([deep]);
    }
    let too_big = json!({"type": "Deal.won", "data": {"blob": "x".repeat(1 << 20)}}).to_string();
    let cases: Vec<(Request<Body>, StatusCode, &str)> = vec![
        (
            post("acme", None, "application/json", good.clone()),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            post("acme", Some(&globex), "application/json", good.clone()),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            post(
                "acme",
                Some("sy_notakeyatall"),
                "application/json",
                good.clone(),
            ),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            post("acme", Some(&acme), "text/plain", good.clone()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            post("acme", Some(&acme), "application/json", "{\"type\": "),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        // A well-formed event the domain refuses: invalid input, 422 with the field.
        (
            post(
                "acme",
                Some(&acme),
                "application/json",
                json!({"type": "deal won"}).to_string(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            post(
                "acme",
                Some(&acme),
                "application/json",
                json!({"data": {}}).to_string(),
            ),
            StatusCode::BAD_REQUEST,
            "invalid",
        ),
        (
            post(
                "acme",
                Some(&acme),
                "application/json",
                json!({"type": "Deal.won", "data": deep}).to_string(),
            ),
            StatusCode::BAD_REQUEST,
            "too_deep",
        ),
        (
            post("acme", Some(&acme), "application/json", too_big),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
    ];
    for (request, status, code) in cases {
        let answer = app.send(request).await;
        assert_eq!(answer.status, status, "{code}: {}", answer.body);
        let body = json_body(&answer);
        assert_eq!(body["error"]["code"], code, "{}", answer.body);
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    let answer = app
        .send(post(
            "acme",
            Some(&acme),
            "application/json",
            json!({"type": "deal won"}).to_string(),
        ))
        .await;
    assert_eq!(json_body(&answer)["error"]["field"], "type");
    assert_eq!(written(&app).await, (0, 0));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_idempotency_key_queues_nothing_new_and_gets_the_first_answer() {
    let app = TestApp::new().await;
    workflows(&app).await;
    let key = key(&app, "acme").await;
    let body =
        json!({"type": "Deal.won", "data": {"name": "Acme"}, "id": "deal-42-won"}).to_string();
    let first = app
        .send(post("acme", Some(&key), "application/json", body.clone()))
        .await;
    let again = app
        .send(post("acme", Some(&key), "application/json", body))
        .await;
    assert_eq!(first.status, StatusCode::ACCEPTED);
    assert_eq!(
        (again.status, again.body.clone()),
        (first.status, first.body.clone())
    );
    assert_eq!(written(&app).await, (1, 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_repeats_of_one_key_make_exactly_one_set_of_runs() {
    let app = std::sync::Arc::new(TestApp::new().await);
    workflows(&app).await;
    let key = key(&app, "acme").await;
    let body = json!({"type": "Deal.won", "data": {}, "id": "same-key"}).to_string();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (app, key, body) = (app.clone(), key.clone(), body.clone());
            tokio::spawn(async move {
                app.send(post("acme", Some(&key), "application/json", body))
                    .await
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("task"));
    }
    for answer in &answers {
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (answers[0].status, answers[0].body.as_str())
        );
    }
    assert_eq!(
        answers[0].status,
        StatusCode::ACCEPTED,
        "{}",
        answers[0].body
    );
    assert_eq!(written(&app).await, (1, 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_event_list_filters_and_is_closed_to_other_keys() {
    let app = TestApp::new().await;
    let acme = key(&app, "acme").await;
    let globex = key(&app, "globex").await;
    for t in ["Deal.won", "Lead.created", "Deal.won"] {
        let body = json!({"type": t, "data": {}}).to_string();
        assert_eq!(
            app.send(post("acme", Some(&acme), "application/json", body))
                .await
                .status,
            StatusCode::ACCEPTED
        );
    }
    let get = |path: &str, key: &str| {
        Request::get(path)
            .header("authorization", format!("Bearer {key}"))
            .body(Body::empty())
            .expect("request")
    };
    // The feed shows an event once every transaction older than it has ended, in any database
    // of the cluster (other tests run beside this one): wait for them.
    let mut all = Value::Null;
    for _ in 0..200 {
        all = json_body(&app.send(get("/~acme/events?type=Deal.won", &acme)).await);
        if all["results"].as_array().map(Vec::len) == Some(2) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(all["results"].as_array().map(Vec::len), Some(2));
    assert_eq!(all["results"][0]["type"], "Deal.won");
    let one = json_body(&app.send(get("/~acme/events?limit=1", &acme)).await);
    assert_eq!(
        (
            one["results"].as_array().map(Vec::len),
            one["hasMore"].clone()
        ),
        (Some(1), json!(true))
    );
    let later = json_body(
        &app.send(get("/~acme/events?since=2999-01-01T00:00:00Z", &acme))
            .await,
    );
    assert_eq!(later["results"], json!([]));
    // A limit out of range is invalid input: 422 with the field.
    let bad = app.send(get("/~acme/events?limit=500", &acme)).await;
    assert_eq!(
        (bad.status, json_body(&bad)["error"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("limit"))
    );
    let stranger = app.send(get("/~acme/events", &globex)).await;
    assert_eq!(stranger.status, StatusCode::UNAUTHORIZED);
    assert!(!stranger.body.contains("Lead.created"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_event_log_shows_what_an_event_started_and_who_ignored_it() {
    let app = TestApp::new().await;
    let made = workflows(&app).await;
    let key = key(&app, "acme").await;
    let body = json!({"type": "Deal.won", "data": {"name": "Acme"}}).to_string();
    assert_eq!(
        app.send(post("acme", Some(&key), "application/json", body))
            .await
            .status,
        StatusCode::ACCEPTED
    );

    let viewer = app.member("acme", Role::Viewer).await;
    let cookie = app.sign_in(&viewer).await;
    let answer = app
        .call(
            Some(&cookie),
            "event_log",
            &[("org", "acme"), ("event_type", "Deal.won")],
        )
        .await;
    let page: switchyard::entity::EventLogPage =
        serde_json::from_str(&answer.body).expect(&answer.body);
    assert_eq!(page.entries.len(), 1);
    let entry = &page.entries[0];
    assert_eq!(
        entry
            .triggered
            .iter()
            .map(|r| r.workflow_name.as_str())
            .collect::<Vec<_>>(),
        ["listening"]
    );
    assert_eq!(
        entry.triggered[0].status,
        switchyard::run::RunStatus::Queued
    );
    assert_eq!(
        entry.ignored.iter().map(|w| &w.id).collect::<Vec<_>>(),
        [&made[1].id]
    );
    // Switchyard's own events (the workflows made and activated) are left out unless asked.
    let sources = |body: &str| {
        let page: switchyard::entity::EventLogPage = serde_json::from_str(body).expect(body);
        page.entries
            .iter()
            .map(|e| (e.event.event_type.clone(), e.event.source))
            .collect::<Vec<_>>()
    };
    let people = sources(
        &app.call(Some(&cookie), "event_log", &[("org", "acme")])
            .await
            .body,
    );
    assert_eq!(people, [("Deal.won".to_owned(), EventSource::Api)]);
    let all = sources(
        &app.call(
            Some(&cookie),
            "event_log",
            &[("org", "acme"), ("system", "1")],
        )
        .await
        .body,
    );
    assert!(
        all.len() > 1
            && all
                .iter()
                .any(|(t, s)| t.starts_with("Workflow.") && *s == EventSource::Verb),
        "{all:?}"
    );
    let html = app.get(Some(&cookie), "/o/acme/events").await;
    assert_eq!(html.status, StatusCode::OK);
    assert!(!html.body.contains("Workflow.activated"), "{}", html.body);
    assert!(
        html.body.contains("Sent through the API") && html.body.contains(">paused<"),
        "{}",
        html.body
    );

    // Signed out, and from another organization: refused like a missing org.
    assert_eq!(
        app.call(None, "event_log", &[("org", "acme")])
            .await
            .error(),
        app::error::AppError::Unauthorized
    );
    let globex = app.member("globex", Role::Admin).await;
    let stranger = app.sign_in(&globex).await;
    assert_eq!(
        app.call(Some(&stranger), "event_log", &[("org", "acme")])
            .await
            .error(),
        app::error::AppError::NotFound
    );
    let theirs = app
        .call(
            Some(&stranger),
            "event_log",
            &[("org", "globex"), ("event_type", "Deal.won")],
        )
        .await;
    let page: switchyard::entity::EventLogPage =
        serde_json::from_str(&theirs.body).expect(&theirs.body);
    assert!(page.entries.is_empty(), "globex never sees acme's events");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_event_log_pages_back_by_position() {
    let app = TestApp::new().await;
    let key = key(&app, "acme").await;
    for i in 0..(switchyard::read_model::event::PAGE + 5) {
        let body = json!({"type": "Tick.happened", "data": {"i": i}}).to_string();
        app.send(post("acme", Some(&key), "application/json", body))
            .await;
    }
    let admin = app.member("acme", Role::Admin).await;
    let cookie = app.sign_in(&admin).await;
    let first: switchyard::entity::EventLogPage = serde_json::from_str(
        &app.call(
            Some(&cookie),
            "event_log",
            &[("org", "acme"), ("event_type", "Tick.happened")],
        )
        .await
        .body,
    )
    .expect("page");
    assert_eq!(
        first.entries.len() as i64,
        switchyard::read_model::event::PAGE
    );
    assert_eq!(
        first.entries[0].event.data["i"],
        json!(switchyard::read_model::event::PAGE + 4),
        "newest first"
    );
    let before = first.before.expect("more").to_string();
    let rest: switchyard::entity::EventLogPage = serde_json::from_str(
        &app.call(
            Some(&cookie),
            "event_log",
            &[
                ("org", "acme"),
                ("event_type", "Tick.happened"),
                ("before", &before),
            ],
        )
        .await
        .body,
    )
    .expect("page");
    assert_eq!((rest.entries.len(), rest.before), (5, None));
    assert_eq!(rest.entries[4].event.data["i"], json!(0));
    let bad = app
        .call(
            Some(&cookie),
            "event_log",
            &[("org", "acme"), ("before", "yesterday")],
        )
        .await
        .error();
    assert!(bad.field("before").is_some());
}
