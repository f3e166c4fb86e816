//! Retry and cancel from the run page and over REST: the preview first, who may, and another
//! organization's runs looking exactly like missing ones.

use crate::TestApp;
use crate::ingest::{json_body, key};
use app::error::AppError;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use switchyard::Role;
use switchyard::entity::{EventSource, Member};
use switchyard::hooks::Hooks;
use switchyard::ingest::{self, PostedEvent};
use switchyard::retry::RetryPreview;
use switchyard::schema::runs;
use switchyard::workflow::{MappingRow, StepInput, WorkflowInput};

fn step(action: &str, rows: &[(&str, &str)]) -> StepInput {
    StepInput {
        action: action.into(),
        mapping: rows
            .iter()
            .map(|(f, e)| MappingRow {
                field: (*f).into(),
                expr: (*e).into(),
            })
            .collect(),
        ..Default::default()
    }
}

/// An activated acme workflow whose second step fails (the deal names no customer), and one
/// failed run of it; `queued` more runs stay queued.
async fn failed_run(app: &TestApp, admin: &Member, queued: usize) -> (String, Vec<String>) {
    let input = WorkflowInput {
        name: "Onboarding".into(),
        trigger_event: "Deal.won".into(),
        steps: vec![
            step("Customer.create", &[("name", "deal.name")]),
            step(
                "Customer.update",
                &[("$id", "deal.customer"), ("tier", "gold")],
            ),
        ],
        error_handling: "Stop".into(),
        ..Default::default()
    };
    let mut conn = app.db.conn().await;
    let hooks = Hooks::with_defaults();
    let w = switchyard::verbs::create(&mut conn, &hooks, admin, &input)
        .await
        .unwrap();
    switchyard::verbs::activate(&mut conn, &hooks, admin, &w.id)
        .await
        .unwrap();
    let failed = post(&mut conn, admin, "Initech").await;
    let now = time::OffsetDateTime::now_utc();
    switchyard::engine::drain(&mut conn, "w", time::Duration::seconds(30), now)
        .await
        .unwrap();
    let mut waiting = Vec::new();
    for i in 0..queued {
        waiting.push(post(&mut conn, admin, &format!("Queued {i}")).await);
    }
    (failed, waiting)
}

async fn post(conn: &mut switchyard::db::Conn, admin: &Member, name: &str) -> String {
    let posted = PostedEvent {
        event_type: "Deal.won".into(),
        data: serde_json::json!({ "name": name }),
        id: None,
    };
    ingest::ingest(conn, &admin.org.id, &posted, EventSource::Api, None)
        .await
        .unwrap()
        .runs[0]
        .to_string()
}

async fn run_count(app: &TestApp) -> i64 {
    let mut conn = app.db.conn().await;
    runs::table.count().get_result(&mut conn).await.unwrap()
}

async fn cancel_requested(app: &TestApp, run: &str) -> Option<String> {
    let mut conn = app.db.conn().await;
    runs::table
        .find(run)
        .select(runs::cancel_requested_by)
        .first(&mut conn)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_run_page_previews_a_retry_in_words_and_an_editor_confirms_it() {
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let editor = app.member("acme", Role::Editor).await;
    let (failed, _) = failed_run(&app, &admin, 0).await;
    let cookie = app.sign_in(&editor).await;

    let page = app
        .get(Some(&cookie), &format!("/o/acme/runs/{failed}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Retry from step 2") && page.body.contains("Retry from the start"),
        "{}",
        page.body
    );
    let page = app
        .get(
            Some(&cookie),
            &format!("/o/acme/runs/{failed}?retry=failed-step"),
        )
        .await;
    assert!(page.body.contains("Retry from step 2?"), "{}", page.body);
    assert!(page.body.contains("Not run again: the first run"));
    assert!(page.body.contains("Would fail: The field $id"));

    let preview: RetryPreview = serde_json::from_str(
        &app.call(
            Some(&cookie),
            "preview_retry",
            &[("org", "acme"), ("id", &failed), ("from", "start")],
        )
        .await
        .body,
    )
    .expect("preview");
    assert_eq!(preview.from_step, 0);
    assert_eq!(run_count(&app).await, 1, "a preview queues nothing");

    // Without JavaScript the form posts and the browser follows to the new run.
    let form = [
        ("org", "acme"),
        ("id", failed.as_str()),
        ("from", "start"),
        ("based_on", "0"),
    ];
    let done = app
        .post_form(
            Some(&cookie),
            "retry_run",
            &form,
            &format!("/o/acme/runs/{failed}?retry=start"),
        )
        .await;
    assert_eq!(done.status, StatusCode::FOUND, "{}", done.body);
    let location = done.location.clone().expect("a redirect");
    assert!(
        location.starts_with("/o/acme/runs/run_") && !location.contains(&failed),
        "{location}"
    );
    // The same form again (a second click) is stale: nothing more is queued.
    let again = app.call(Some(&cookie), "retry_run", &form).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert_eq!(run_count(&app).await, 2);
    let retried = app.get(Some(&cookie), &location).await;
    assert!(retried.body.contains("A retry of"), "{}", retried.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_viewer_reads_the_preview_and_changes_nothing() {
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let viewer = app.member("acme", Role::Viewer).await;
    let (failed, queued) = failed_run(&app, &admin, 1).await;
    let cookie = app.sign_in(&viewer).await;
    let page = app
        .get(Some(&cookie), &format!("/o/acme/runs/{failed}?retry=start"))
        .await;
    assert!(
        page.body.contains("Your role lets you read this preview"),
        "{}",
        page.body
    );
    assert!(!page.body.contains(r#"name="based_on""#));
    let retry = [("org", "acme"), ("id", failed.as_str()), ("from", "start")];
    assert_eq!(
        app.call(Some(&cookie), "retry_run", &retry).await.error(),
        AppError::Forbidden
    );
    let cancel = [("org", "acme"), ("id", queued[0].as_str())];
    assert_eq!(
        app.call(Some(&cookie), "cancel_run", &cancel).await.error(),
        AppError::Forbidden
    );
    assert_eq!(run_count(&app).await, 2);
    assert_eq!(cancel_requested(&app, &queued[0]).await, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_and_cancel_are_closed_to_strangers_and_the_signed_out() {
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let (failed, queued) = failed_run(&app, &admin, 1).await;
    let globex = app.member("globex", Role::Admin).await;
    let cookie = app.sign_in(&globex).await;
    for (name, run, extra) in [
        ("preview_retry", failed.as_str(), Some(("from", "start"))),
        ("retry_run", failed.as_str(), Some(("from", "start"))),
        ("cancel_run", queued[0].as_str(), None),
    ] {
        let args = |org, id| {
            let mut args = vec![("org", org), ("id", id)];
            args.extend(extra);
            args
        };
        assert_eq!(
            app.call(None, name, &args("acme", run)).await.error(),
            AppError::Unauthorized,
            "{name}"
        );
        assert_eq!(
            app.call(Some(&cookie), name, &args("acme", run))
                .await
                .error(),
            AppError::NotFound,
            "{name}"
        );
        let theirs = app.call(Some(&cookie), name, &args("globex", run)).await;
        let missing = app
            .call(Some(&cookie), name, &args("globex", "run_Missing0"))
            .await;
        assert_eq!(
            (theirs.status, theirs.body),
            (missing.status, missing.body),
            "{name}: like a missing id"
        );
    }
    let page = app
        .get(
            Some(&cookie),
            &format!("/o/globex/runs/{failed}?retry=start"),
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert_eq!(run_count(&app).await, 2);
    assert_eq!(cancel_requested(&app, &queued[0]).await, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_editor_cancels_a_queued_run_after_confirming() {
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let editor = app.member("acme", Role::Editor).await;
    let (_, queued) = failed_run(&app, &admin, 1).await;
    let cookie = app.sign_in(&editor).await;
    let page = app
        .get(Some(&cookie), &format!("/o/acme/runs/{}", queued[0]))
        .await;
    assert!(page.body.contains("Cancel this run"), "{}", page.body);
    let confirm = app
        .get(
            Some(&cookie),
            &format!("/o/acme/runs/{}?cancel=1", queued[0]),
        )
        .await;
    assert!(confirm.body.contains("Cancel this run?") && confirm.body.contains("Keep it running"));
    let done = app
        .call(
            Some(&cookie),
            "cancel_run",
            &[("org", "acme"), ("id", &queued[0])],
        )
        .await;
    assert!(done.status.is_success(), "{}", done.body);
    assert_eq!(
        cancel_requested(&app, &queued[0]).await,
        Some(editor.user_id.to_string())
    );
    let page = app
        .get(Some(&cookie), &format!("/o/acme/runs/{}", queued[0]))
        .await;
    assert!(
        page.body.contains("asked to cancel this run"),
        "{}",
        page.body
    );
}

fn rest(path: &str, key: Option<&str>, body: &str) -> Request<Body> {
    let mut request = Request::post(path).header("content-type", "application/json");
    if let Some(key) = key {
        request = request.header("authorization", format!("Bearer {key}"));
    }
    request.body(Body::from(body.to_owned())).expect("request")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rest_api_retries_and_cancels_with_the_same_rules() {
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let (failed, queued) = failed_run(&app, &admin, 1).await;
    let acme = key(&app, "acme").await;
    let globex = key(&app, "globex").await;
    let retry = format!("/~acme/runs/{failed}/retry");
    let cancel = format!("/~acme/runs/{}/cancel", queued[0]);

    let refused = [
        (
            rest(&retry, None, "{}"),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            rest(&retry, Some(&globex), "{}"),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            rest(&retry, Some(&acme), r#"{"from": "middle"}"#),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            rest(
                &retry,
                Some(&acme),
                r#"{"from": "start", "expectRetries": 3}"#,
            ),
            StatusCode::CONFLICT,
            "refused",
        ),
        (
            rest("/~acme/runs/run_Missing0/retry", Some(&acme), "{}"),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            rest(&format!("/~acme/runs/{failed}/cancel"), Some(&acme), ""),
            StatusCode::CONFLICT,
            "refused",
        ),
    ];
    for (request, status, code) in refused {
        let answer = app.send(request).await;
        assert_eq!(answer.status, status, "{}", answer.body);
        assert_eq!(json_body(&answer)["error"]["code"], code, "{}", answer.body);
    }
    assert_eq!(run_count(&app).await, 2);

    let answer = app
        .send(rest(
            &retry,
            Some(&acme),
            r#"{"from": "failed-step", "expectRetries": 0}"#,
        ))
        .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
    let body = json_body(&answer);
    assert_eq!(body["$type"], "Run");
    assert_eq!(body["retryOf"], failed.as_str());
    assert_eq!(body["from"], "failed-step");
    let answer = app.send(rest(&cancel, Some(&acme), "")).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
    assert!(
        cancel_requested(&app, &queued[0])
            .await
            .is_some_and(|by| by.starts_with("key_"))
    );
}
