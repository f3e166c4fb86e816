//! The REST API's doors: API keys and their scopes and expiry, the session cookie with its
//! Origin check, create / update / delete / verbs, runs, and strangers kept out.

use crate::ingest::{json_body, workflows};
use crate::{Answer, TestApp};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use switchyard::Role;
use switchyard::api_key::KeyRequest;
use switchyard::entity::Scope;
use switchyard::schema::{api_keys, events, workflows as workflows_table};

/// Every route of the REST API, as PRODUCT.md lists them.
pub(crate) const ROUTES: &[(&str, &str)] = &[
    ("GET", "/~{org}/workflows"),
    ("POST", "/~{org}/workflows"),
    ("GET", "/~{org}/workflows/{w}"),
    ("PUT", "/~{org}/workflows/{w}"),
    ("DELETE", "/~{org}/workflows/{w}"),
    ("POST", "/~{org}/workflows/{w}/activate"),
    ("POST", "/~{org}/workflows/{w}/pause"),
    ("POST", "/~{org}/workflows/{w}/archive"),
    ("POST", "/~{org}/workflows/{w}/trigger"),
    ("POST", "/~{org}/workflows/{w}/preview"),
    ("POST", "/~{org}/workflows/{w}/alerts/acknowledge"),
    ("GET", "/~{org}/secrets"),
    ("PUT", "/~{org}/secrets/{name}"),
    ("DELETE", "/~{org}/secrets/{name}"),
    ("POST", "/~{org}/email/test"),
    ("GET", "/~{org}/alerts"),
    ("PUT", "/~{org}/alerts/{k}"),
    ("GET", "/~{org}/webhooks"),
    ("POST", "/~{org}/webhooks"),
    ("GET", "/~{org}/webhooks/{e}"),
    ("PUT", "/~{org}/webhooks/{e}"),
    ("DELETE", "/~{org}/webhooks/{e}"),
    ("POST", "/~{org}/webhooks/{e}/rotate"),
    ("POST", "/~{org}/webhooks/{e}/test"),
    ("GET", "/~{org}/webhooks/{e}/deliveries"),
    ("POST", "/~{org}/webhooks/{e}/deliveries/resend"),
    ("POST", "/~{org}/webhooks/{e}/deliveries/{d}/resend"),
    ("GET", "/~{org}/workflows/{w}/runs"),
    ("GET", "/~{org}/runs"),
    ("GET", "/~{org}/runs/{r}"),
    ("POST", "/~{org}/runs/{r}/retry"),
    ("POST", "/~{org}/runs/{r}/cancel"),
    ("POST", "/~{org}/runs/retry"),
    ("GET", "/~{org}/events"),
    ("POST", "/~{org}/events"),
];

/// How a request proves who sends it.
#[derive(Clone, Copy)]
enum Auth<'a> {
    None,
    Key(&'a str),
    /// The session cookie, with the `Origin` the browser would send (if any).
    Cookie(&'a str, Option<&'a str>),
}

const HOST: &str = "switchyard.test";

fn request(method: Method, path: &str, auth: Auth, body: Option<&Value>) -> Request<Body> {
    let mut r = Request::builder()
        .method(method)
        .uri(path)
        .header("host", HOST);
    match auth {
        Auth::None => {}
        Auth::Key(key) => r = r.header("authorization", format!("Bearer {key}")),
        Auth::Cookie(cookie, origin) => {
            r = r.header("cookie", cookie);
            if let Some(origin) = origin {
                r = r.header("origin", origin);
            }
        }
    }
    match body {
        Some(b) => r
            .header("content-type", "application/json")
            .body(Body::from(b.to_string())),
        None => r.body(Body::empty()),
    }
    .expect("request")
}

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    auth: Auth<'_>,
    body: Option<Value>,
) -> Answer {
    app.send(request(method, path, auth, body.as_ref())).await
}

pub(crate) async fn scoped_key(app: &TestApp, org: &str, scopes: &[Scope]) -> String {
    let admin = app.member(org, Role::Admin).await;
    let mut conn = app.db.conn().await;
    switchyard::api_key::create(&mut conn, &admin, &KeyRequest::new("scoped", scopes))
        .await
        .expect("key")
        .1
}

/// Everything a client can change, counted: workflows with their versions and statuses, and
/// events.
async fn snapshot(app: &TestApp) -> (Vec<(String, i32, String)>, i64) {
    let mut conn = app.db.conn().await;
    let rows: Vec<(String, i32, String)> = workflows_table::table
        .select((
            workflows_table::id,
            workflows_table::version,
            workflows_table::status,
        ))
        .order(workflows_table::id)
        .load(&mut conn)
        .await
        .expect("workflows");
    let events: i64 = events::table
        .count()
        .get_result(&mut conn)
        .await
        .expect("events");
    (rows, events)
}

fn error_code(answer: &Answer) -> String {
    json_body(answer)["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code: {} {}", answer.status, answer.body))
        .to_owned()
}

/// The Lead Assignment workflow of the spec's SDK example, as written there.
fn lead_assignment() -> Value {
    json!({
        "name": "Lead Assignment",
        "triggerEvent": "Lead.created",
        "steps": [
            { "action": "Contact.assign", "mapping": { "assignee": "round-robin" } },
            { "action": "Activity.create", "mapping": { "subject": "\"Follow up: \" + lead.name", "type": "Task" } },
        ],
        "errorHandling": "Continue",
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn create_read_update_and_delete_with_the_optimistic_lock() {
    let app = TestApp::new().await;
    let key = scoped_key(&app, "acme", &[Scope::Write]).await;

    let created = call(
        &app,
        Method::POST,
        "/~acme/workflows",
        Auth::Key(&key),
        Some(lead_assignment()),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let body = json_body(&created);
    let id = body["$id"].as_str().expect("$id").to_owned();
    assert!(id.starts_with("workflow_"), "{id}");
    assert_eq!(
        created.location.as_deref(),
        Some(format!("/~acme/workflows/{id}").as_str())
    );
    assert_eq!(created.etag.as_deref(), Some("W/\"1\""));
    assert_eq!(body["status"], "Draft");
    assert_eq!(body["$version"], 1);
    assert_eq!(
        body["steps"][1]["mapping"]["subject"],
        "\"Follow up: \" + lead.name"
    );
    assert_eq!(body["errorHandling"], "Continue");

    // A merge: only the name changes; the steps stay.
    let path = format!("/~acme/workflows/{id}");
    let renamed = call(
        &app,
        Method::PUT,
        &path,
        Auth::Key(&key),
        Some(json!({"name": "Lead routing", "$version": 1})),
    )
    .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    let body = json_body(&renamed);
    assert_eq!(
        (body["name"].as_str(), body["$version"].as_i64()),
        (Some("Lead routing"), Some(2))
    );
    assert_eq!(
        body["steps"].as_array().map(Vec::len),
        Some(2),
        "steps kept"
    );
    assert_eq!(renamed.etag.as_deref(), Some("W/\"2\""));

    // Stale, by header and by body: 409 with the workflow as it is, nothing written.
    let before = snapshot(&app).await;
    let mut stale = request(
        Method::PUT,
        &path,
        Auth::Key(&key),
        Some(&json!({"name": "Lost"})),
    );
    stale
        .headers_mut()
        .insert("if-match", "W/\"1\"".parse().expect("header"));
    let stale = app.send(stale).await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert_eq!(json_body(&stale)["current"]["name"], "Lead routing");
    assert_eq!(json_body(&stale)["current"]["$version"], 2);
    let stale = call(
        &app,
        Method::PUT,
        &path,
        Auth::Key(&key),
        Some(json!({"name": "Lost", "$version": 1})),
    )
    .await;
    assert_eq!(
        (stale.status, error_code(&stale).as_str()),
        (StatusCode::CONFLICT, "conflict")
    );
    assert_eq!(snapshot(&app).await, before);

    // Reading what was written, ETag included, and writing it back as read changes nothing
    // but the version.
    let read = call(&app, Method::GET, &path, Auth::Key(&key), None).await;
    assert_eq!(read.etag.as_deref(), Some("W/\"2\""));
    let back = call(
        &app,
        Method::PUT,
        &path,
        Auth::Key(&key),
        Some(json_body(&read)),
    )
    .await;
    assert_eq!(
        back.status,
        StatusCode::OK,
        "a resource as read can be sent back: {}",
        back.body
    );

    // The verbs, then delete.
    let activated = call(
        &app,
        Method::POST,
        &format!("{path}/activate"),
        Auth::Key(&key),
        None,
    )
    .await;
    assert_eq!(activated.status, StatusCode::OK, "{}", activated.body);
    assert_eq!(json_body(&activated)["status"], "Activated");
    let again = call(
        &app,
        Method::POST,
        &format!("{path}/activate"),
        Auth::Key(&key),
        None,
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    let unknown = call(
        &app,
        Method::POST,
        &format!("{path}/explode"),
        Auth::Key(&key),
        None,
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let paused = call(
        &app,
        Method::POST,
        &format!("{path}/pause"),
        Auth::Key(&key),
        None,
    )
    .await;
    assert_eq!(json_body(&paused)["status"], "Paused", "{}", paused.body);
    let deleted = call(&app, Method::DELETE, &path, Auth::Key(&key), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    assert_eq!(deleted.body, "");
    let gone = call(&app, Method::GET, &path, Auth::Key(&key), None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_a_4xx_in_the_error_shape_and_writes_nothing() {
    let app = TestApp::new().await;
    let made = workflows(&app).await;
    let key = scoped_key(&app, "acme", &[Scope::Write]).await;
    let path = format!("/~acme/workflows/{}", made[2].id);
    let before = snapshot(&app).await;
    let cases: Vec<(Method, String, Value, &str)> = vec![
        (
            Method::POST,
            "/~acme/workflows".into(),
            json!({"name": "x", "triggerEvent": "Deal.won", "colour": "red"}),
            "colour",
        ),
        (
            Method::POST,
            "/~acme/workflows".into(),
            json!({"name": 5, "triggerEvent": "Deal.won"}),
            "name",
        ),
        (
            Method::POST,
            "/~acme/workflows".into(),
            json!({"name": "x", "triggerEvent": "not an event"}),
            "triggerEvent",
        ),
        (
            Method::POST,
            "/~acme/workflows".into(),
            json!({"name": "x".repeat(201), "triggerEvent": "Deal.won"}),
            "name",
        ),
        (
            Method::POST,
            "/~acme/workflows".into(),
            json!({"name": "x", "triggerEvent": "Deal.won", "steps": [{"mapping": {}}]}),
            "steps",
        ),
        (
            Method::POST,
            "/~acme/workflows".into(),
            json!({"name": "x", "triggerEvent": "Deal.won", "timeout": "soon"}),
            "timeout",
        ),
        (
            Method::POST,
            "/~acme/workflows".into(),
            json!({"name": "x", "triggerEvent": "Deal.won", "status": "Activated"}),
            "status",
        ),
        (
            Method::PUT,
            path.clone(),
            json!({"steps": "not json"}),
            "steps",
        ),
        (
            Method::PUT,
            path.clone(),
            json!({"retryPolicy": {"maxAttempts": "three"}}),
            "retryPolicy",
        ),
        (
            Method::PUT,
            path.clone(),
            json!({"$version": "one"}),
            "$version",
        ),
        (
            Method::PUT,
            path.clone(),
            json!({"runCount": 5, "status": "Archived"}),
            "status",
        ),
    ];
    for (method, path, body, field) in cases {
        let answer = call(
            &app,
            method.clone(),
            &path,
            Auth::Key(&key),
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{method} {body}: {}",
            answer.body
        );
        let error = &json_body(&answer)["error"];
        assert_eq!(error["code"], "invalid", "{body}: {error}");
        assert_eq!(error["field"], field, "{body}: {error}");
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let not_object = call(
        &app,
        Method::PUT,
        &path,
        Auth::Key(&key),
        Some(json!([1, 2])),
    )
    .await;
    assert_eq!(not_object.status, StatusCode::BAD_REQUEST);
    let mut not_json = request(Method::POST, "/~acme/workflows", Auth::Key(&key), None);
    *not_json.body_mut() = Body::from("{\"name\": ");
    not_json
        .headers_mut()
        .insert("content-type", "application/json".parse().expect("h"));
    let not_json = app.send(not_json).await;
    assert_eq!(
        (not_json.status, error_code(&not_json).as_str()),
        (StatusCode::BAD_REQUEST, "invalid_json")
    );
    let bad_id = call(
        &app,
        Method::GET,
        "/~acme/workflows/workflow_%27%3B",
        Auth::Key(&key),
        None,
    )
    .await;
    assert_eq!(bad_id.status, StatusCode::NOT_FOUND, "{}", bad_id.body);
    let bad_cursor = call(
        &app,
        Method::GET,
        "/~acme/runs?cursor=nonsense",
        Auth::Key(&key),
        None,
    )
    .await;
    assert_eq!(
        bad_cursor.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad_cursor.body
    );
    assert_eq!(json_body(&bad_cursor)["error"]["field"], "cursor");
    assert_eq!(snapshot(&app).await, before, "nothing written");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_does_what_its_scopes_allow_and_nothing_more() {
    let app = TestApp::new().await;
    let made = workflows(&app).await;
    let events_only = scoped_key(&app, "acme", &[Scope::EventsWrite]).await;
    let read = scoped_key(&app, "acme", &[Scope::Read]).await;
    let write = scoped_key(&app, "acme", &[Scope::Write]).await;
    let one = format!("/~acme/workflows/{}", made[0].id);
    let event = json!({"type": "Deal.won", "data": {"name": "Initech"}});

    // Reads: `read` and `write` may, `events:write` may not.
    for path in [
        "/~acme/workflows",
        one.as_str(),
        "/~acme/runs",
        "/~acme/events",
    ] {
        let refused = call(&app, Method::GET, path, Auth::Key(&events_only), None).await;
        assert_eq!(
            (refused.status, error_code(&refused).as_str()),
            (StatusCode::FORBIDDEN, "forbidden"),
            "{path}"
        );
        for key in [&read, &write] {
            let answer = call(&app, Method::GET, path, Auth::Key(key), None).await;
            assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.body);
        }
    }

    // Writes: only `write`; a refused one changes nothing.
    let before = snapshot(&app).await;
    let writes: Vec<(Method, String, Option<Value>)> = vec![
        (
            Method::POST,
            "/~acme/workflows".into(),
            Some(lead_assignment()),
        ),
        (Method::PUT, one.clone(), Some(json!({"name": "renamed"}))),
        (Method::POST, format!("{one}/pause"), None),
        (
            Method::POST,
            format!("{one}/trigger"),
            Some(json!({"name": "Initech"})),
        ),
        (Method::DELETE, one.clone(), None),
    ];
    for (method, path, body) in &writes {
        for key in [&events_only, &read] {
            let answer = call(&app, method.clone(), path, Auth::Key(key), body.clone()).await;
            assert_eq!(
                answer.status,
                StatusCode::FORBIDDEN,
                "{method} {path}: {}",
                answer.body
            );
        }
    }
    let refused = call(
        &app,
        Method::POST,
        "/~acme/events",
        Auth::Key(&read),
        Some(event.clone()),
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::FORBIDDEN,
        "read may not send events"
    );
    assert_eq!(
        snapshot(&app).await,
        before,
        "nothing written by refused calls"
    );

    // Sending events: `events:write` and `write`.
    for key in [&events_only, &write] {
        let sent = call(
            &app,
            Method::POST,
            "/~acme/events",
            Auth::Key(key),
            Some(event.clone()),
        )
        .await;
        assert_eq!(sent.status, StatusCode::ACCEPTED, "{}", sent.body);
    }
    let renamed = call(
        &app,
        Method::PUT,
        &one,
        Auth::Key(&write),
        Some(json!({"name": "renamed"})),
    )
    .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_or_revoked_key_opens_nothing() {
    let app = TestApp::new().await;
    let key = scoped_key(&app, "acme", &[Scope::Read]).await;
    let ok = call(&app, Method::GET, "/~acme/workflows", Auth::Key(&key), None).await;
    assert_eq!(ok.status, StatusCode::OK);
    let mut conn = app.db.conn().await;
    diesel::update(api_keys::table)
        .set(api_keys::expires_at.eq(time::OffsetDateTime::now_utc() - time::Duration::seconds(1)))
        .execute(&mut conn)
        .await
        .expect("expire");
    let expired = call(&app, Method::GET, "/~acme/workflows", Auth::Key(&key), None).await;
    assert_eq!(
        (expired.status, error_code(&expired).as_str()),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
    diesel::update(api_keys::table)
        .set((
            api_keys::expires_at.eq(None::<time::OffsetDateTime>),
            api_keys::revoked_at.eq(time::OffsetDateTime::now_utc()),
        ))
        .execute(&mut conn)
        .await
        .expect("revoke");
    let revoked = call(&app, Method::GET, "/~acme/workflows", Auth::Key(&key), None).await;
    assert_eq!(revoked.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_session_cookie_reads_and_writes_only_from_the_apps_own_origin() {
    let app = TestApp::new().await;
    let made = workflows(&app).await;
    let admin = app.member("acme", Role::Admin).await;
    let cookie = app.sign_in(&admin).await;
    let one = format!("/~acme/workflows/{}", made[0].id);
    let listed = call(
        &app,
        Method::GET,
        "/~acme/workflows",
        Auth::Cookie(&cookie, None),
        None,
    )
    .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    assert_eq!(json_body(&listed)["total"], 3);

    let before = snapshot(&app).await;
    let own = format!("http://{HOST}");
    for origin in [None, Some("https://evil.example"), Some("null")] {
        let refused = call(
            &app,
            Method::PUT,
            &one,
            Auth::Cookie(&cookie, origin),
            Some(json!({"name": "x"})),
        )
        .await;
        assert_eq!(
            (refused.status, error_code(&refused).as_str()),
            (StatusCode::FORBIDDEN, "cross_origin"),
            "{origin:?}"
        );
    }
    assert_eq!(snapshot(&app).await, before);
    let renamed = call(
        &app,
        Method::PUT,
        &one,
        Auth::Cookie(&cookie, Some(&own)),
        Some(json!({"name": "renamed"})),
    )
    .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);

    // A Viewer reads, and may not write even from the app's own pages.
    let viewer = app.member("acme", Role::Viewer).await;
    let viewer_cookie = app.sign_in(&viewer).await;
    let read = call(
        &app,
        Method::GET,
        &one,
        Auth::Cookie(&viewer_cookie, None),
        None,
    )
    .await;
    assert_eq!(read.status, StatusCode::OK);
    let before = snapshot(&app).await;
    let refused = call(
        &app,
        Method::POST,
        &format!("{one}/pause"),
        Auth::Cookie(&viewer_cookie, Some(&own)),
        None,
    )
    .await;
    assert_eq!(
        (refused.status, error_code(&refused).as_str()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    assert_eq!(snapshot(&app).await, before);

    // A member of acme only is not let into globex's routes: like a missing organization.
    let theirs = call(
        &app,
        Method::GET,
        "/~globex/workflows",
        Auth::Cookie(&cookie, None),
        None,
    )
    .await;
    let missing = call(
        &app,
        Method::GET,
        "/~nobody/workflows",
        Auth::Cookie(&cookie, None),
        None,
    )
    .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(theirs.body, missing.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_route_refuses_the_signed_out_and_hides_another_organizations_ids() {
    let app = TestApp::new().await;
    let made = workflows(&app).await;
    let acme = scoped_key(&app, "acme", &Scope::ALL).await;
    let globex = scoped_key(&app, "globex", &Scope::ALL).await;
    // A real run of acme's to ask for.
    let sent = call(
        &app,
        Method::POST,
        &format!("/~acme/workflows/{}/trigger", made[0].id),
        Auth::Key(&acme),
        Some(json!({"name": "Initech"})),
    )
    .await;
    assert_eq!(sent.status, StatusCode::ACCEPTED, "{}", sent.body);
    let run = json_body(&sent)["$id"].as_str().expect("run").to_owned();
    let workflow = made[0].id.to_string();
    let routes: Vec<(Method, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.parse().expect("method"), (*p).to_owned()))
        .collect();
    let fill = |path: &str, org: &str, w: &str, r: &str| {
        path.replace("{org}", org)
            .replace("{w}", w)
            .replace("{r}", r)
            .replace("{name}", "CRM_TOKEN")
            .replace("{e}", "endpoint_Missing0")
            .replace("{d}", "msg_0000000000000000")
            .replace("{k}", "FailureRate")
    };
    let before = snapshot(&app).await;
    for (method, path) in &routes {
        let body = Some(json!({"type": "Deal.won"}));
        let signed_out = call(
            &app,
            method.clone(),
            &fill(path, "acme", &workflow, &run),
            Auth::None,
            body.clone(),
        )
        .await;
        assert_eq!(
            signed_out.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path}"
        );
        assert_eq!(error_code(&signed_out), "unauthorized");
        let wrong_org_key = call(
            &app,
            method.clone(),
            &fill(path, "acme", &workflow, &run),
            Auth::Key(&globex),
            body.clone(),
        )
        .await;
        assert_eq!(
            wrong_org_key.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path}: globex's key at acme"
        );
        if path.contains("{w}") || path.contains("{r}") {
            let theirs = call(
                &app,
                method.clone(),
                &fill(path, "globex", &workflow, &run),
                Auth::Key(&globex),
                None,
            )
            .await;
            let missing = call(
                &app,
                method.clone(),
                &fill(path, "globex", "workflow_AAAAAAAA", "run_AAAAAAAAAAAA"),
                Auth::Key(&globex),
                None,
            )
            .await;
            assert_eq!(
                theirs.status,
                StatusCode::NOT_FOUND,
                "{method} {path}: {}",
                theirs.body
            );
            assert_eq!(
                theirs.body, missing.body,
                "{method} {path}: acme's id looks missing"
            );
        }
    }
    assert_eq!(snapshot(&app).await, before, "nothing written by strangers");
}

#[tokio::test(flavor = "multi_thread")]
async fn runs_are_listed_newest_first_and_read_step_by_step() {
    let app = TestApp::new().await;
    let made = workflows(&app).await;
    let key = scoped_key(&app, "acme", &Scope::ALL).await;
    let mut queued = Vec::new();
    for name in ["One", "Two", "Three"] {
        let sent = call(
            &app,
            Method::POST,
            "/~acme/events",
            Auth::Key(&key),
            Some(json!({"type": "Deal.won", "data": {"name": name}})),
        )
        .await;
        queued.push(
            json_body(&sent)["runs"][0]
                .as_str()
                .expect("run")
                .to_owned(),
        );
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let all = loop {
        let path = match &cursor {
            Some(c) => format!("/~acme/workflows/{}/runs?cursor={c}", made[0].id),
            None => format!("/~acme/workflows/{}/runs", made[0].id),
        };
        let page = json_body(&call(&app, Method::GET, &path, Auth::Key(&key), None).await);
        for r in page["results"].as_array().expect("results") {
            seen.push(r["$id"].as_str().expect("id").to_owned());
            assert_eq!(r["$type"], "Run");
            assert_eq!(r["workflow"]["$id"], made[0].id.as_str());
        }
        match page["cursor"].as_str() {
            Some(c) if page["hasMore"] == true => cursor = Some(c.to_owned()),
            _ => break seen,
        }
    };
    queued.reverse();
    assert_eq!(all, queued, "newest first, each once");
    let org_runs = json_body(
        &call(
            &app,
            Method::GET,
            "/~acme/runs?status=Queued",
            Auth::Key(&key),
            None,
        )
        .await,
    );
    assert_eq!(org_runs["results"].as_array().map(Vec::len), Some(3));
    let one = call(
        &app,
        Method::GET,
        &format!("/~acme/runs/{}", queued[0]),
        Auth::Key(&key),
        None,
    )
    .await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    let one = json_body(&one);
    assert_eq!(one["event"]["data"]["name"], "Three");
    assert_eq!(one["steps"][0]["action"], "Customer.create");
    assert_eq!(one["steps"][0]["status"], "Pending");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_list_takes_mongodb_style_filters_and_refuses_bad_ones_by_name() {
    let app = TestApp::new().await;
    workflows(&app).await;
    let key = scoped_key(&app, "acme", &[Scope::Read]).await;
    let filter = app::urlencode(r#"{"$or": [{"status": "Paused"}, {"name": {"$regex": "^dr"}}]}"#);
    let answer = call(
        &app,
        Method::GET,
        &format!("/~acme/workflows?filter={filter}&sort=-name"),
        Auth::Key(&key),
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let body = json_body(&answer);
    let names: Vec<&str> = body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|w| w["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["paused", "draft"]);
    assert_eq!(body["total"], 2);
    for (query, field) in [
        (
            "filter=%7B%22runCount%22%3A%7B%22%24near%22%3A5%7D%7D",
            "filter.runCount.$near",
        ),
        ("filter=%7B", "filter"),
        ("colour=red", "colour"),
        ("sort=colour", "sort"),
        ("limit=1000", "limit"),
        ("cursor=bm9wZQ", "cursor"),
    ] {
        let refused = call(
            &app,
            Method::GET,
            &format!("/~acme/workflows?{query}"),
            Auth::Key(&key),
            None,
        )
        .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            refused.body
        );
        assert_eq!(json_body(&refused)["error"]["field"], field, "{query}");
    }
}

/// The scope a route needs: secrets and the test email `admin`, reads and the dry run `read`, sending events
/// `events:write`, everything else `write`.
fn needs(method: &str, path: &str) -> Scope {
    match (method, path) {
        (_, p)
            if p.starts_with("/~{org}/secrets")
                || p.starts_with("/~{org}/webhooks")
                || p.starts_with("/~{org}/alerts")
                || p == "/~{org}/email/test" =>
        {
            Scope::Admin
        }
        ("POST", "/~{org}/events") => Scope::EventsWrite,
        ("GET", _) | ("POST", "/~{org}/workflows/{w}/preview") => Scope::Read,
        _ => Scope::Write,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn on_every_route_a_key_without_the_scope_and_a_viewer_are_refused_and_change_nothing() {
    let app = TestApp::new().await;
    let made = workflows(&app).await;
    let all = scoped_key(&app, "acme", &Scope::ALL).await;
    let sent = call(
        &app,
        Method::POST,
        &format!("/~acme/workflows/{}/trigger", made[0].id),
        Auth::Key(&all),
        Some(json!({"name": "Initech"})),
    )
    .await;
    let run = json_body(&sent)["$id"].as_str().expect("run").to_owned();
    let keys = [
        (
            Scope::EventsWrite,
            scoped_key(&app, "acme", &[Scope::EventsWrite]).await,
        ),
        (Scope::Read, scoped_key(&app, "acme", &[Scope::Read]).await),
    ];
    let viewer = app.member("acme", Role::Viewer).await;
    let cookie = app.sign_in(&viewer).await;
    let own = format!("http://{HOST}");
    let before = snapshot(&app).await;
    let mut refused = 0;
    for (method, path) in ROUTES {
        let needed = needs(method, path);
        let concrete = path
            .replace("{org}", "acme")
            .replace("{w}", made[0].id.as_str())
            .replace("{r}", &run)
            .replace("{name}", "CRM_TOKEN")
            .replace("{e}", "endpoint_Missing0")
            .replace("{d}", "msg_0000000000000000")
            .replace("{k}", "FailureRate");
        let method: Method = method.parse().expect("method");
        let body = Some(json!({"type": "Deal.won"}));
        for (scope, key) in &keys {
            if *scope == needed {
                continue;
            }
            let answer = call(
                &app,
                method.clone(),
                &concrete,
                Auth::Key(key),
                body.clone(),
            )
            .await;
            assert_eq!(
                answer.status,
                StatusCode::FORBIDDEN,
                "{method} {path} with {scope:?}: {}",
                answer.body
            );
            assert_eq!(error_code(&answer), "forbidden");
            refused += 1;
        }
        if needed != Scope::Read {
            let answer = call(
                &app,
                method.clone(),
                &concrete,
                Auth::Cookie(&cookie, Some(&own)),
                body.clone(),
            )
            .await;
            assert_eq!(
                answer.status,
                StatusCode::FORBIDDEN,
                "{method} {path} as a Viewer: {}",
                answer.body
            );
            refused += 1;
        } else {
            let answer = call(
                &app,
                method.clone(),
                &concrete,
                Auth::Cookie(&cookie, Some(&own)),
                body.clone(),
            )
            .await;
            assert!(
                answer.status.is_success(),
                "{method} {path} as a Viewer reads: {}",
                answer.body
            );
        }
    }
    assert!(refused >= ROUTES.len() * 2, "{refused} refusals");
    assert_eq!(
        snapshot(&app).await,
        before,
        "nothing written by refused calls"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_workflow_with_an_http_step_is_created_and_read_back_through_rest() {
    let app = TestApp::new().await;
    let key = scoped_key(&app, "acme", &[Scope::Read, Scope::Write]).await;
    let workflow = json!({
        "name": "Deal to CRM",
        "triggerEvent": "Deal.won",
        "steps": [{
            "action": "HTTP.request",
            "name": "Create the customer in the CRM",
            "request": {
                "method": "POST",
                "url": "\"https://crm.example/customers/\" + deal.id",
                "headers": {"X-Source": "\"switchyard\""},
                "body": {"json": {"name": "deal.name"}},
                "auth": {"bearer": "CRM_TOKEN"},
                "success": [200, 201]
            }
        }]
    });
    let created = call(
        &app,
        Method::POST,
        "/~acme/workflows",
        Auth::Key(&key),
        Some(workflow.clone()),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = json_body(&created)["$id"].as_str().expect("$id").to_owned();
    let read = call(
        &app,
        Method::GET,
        &format!("/~acme/workflows/{id}"),
        Auth::Key(&key),
        None,
    )
    .await;
    let body = json_body(&read);
    assert_eq!(body["steps"][0]["request"], workflow["steps"][0]["request"]);

    // A request that would send a user name in its URL is refused, with the field named.
    let mut bad = workflow.clone();
    bad["name"] = json!("Bad");
    bad["steps"][0]["request"]["url"] = json!("\"https://ops:pw@crm.example/\"");
    let refused = call(
        &app,
        Method::POST,
        "/~acme/workflows",
        Auth::Key(&key),
        Some(bad),
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("steps.0.request.url"),
        "{}",
        refused.body
    );
}
