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
use switchyard::sql_text::Sql;
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
        .find(run.sql())
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

#[tokio::test(flavor = "multi_thread")]
async fn the_runs_page_retries_a_filtered_list_as_one_batch_and_shows_its_progress() {
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let editor = app.member("acme", Role::Editor).await;
    let (first, _) = failed_run(&app, &admin, 0).await;
    let mut conn = app.db.conn().await;
    post(&mut conn, &admin, "Hooli").await;
    switchyard::engine::drain(
        &mut conn,
        "w",
        time::Duration::seconds(30),
        time::OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    let cookie = app.sign_in(&editor).await;

    let list = app.get(Some(&cookie), "/o/acme/runs?status=Failed").await;
    assert!(
        list.body
            .contains("Retry these failed runs from their failed step"),
        "{}",
        list.body
    );
    let dialog = app
        .get(Some(&cookie), "/o/acme/runs?status=Failed&bulk=start")
        .await;
    assert!(
        dialog.body.contains("Retry 2 failed runs from the start?"),
        "{}",
        dialog.body
    );
    assert!(dialog.body.contains("Creates a Customer named"));
    // As the workflow is now, both would fail again: the fix comes first, and the confirm
    // only after "Retry anyway…", which says how many would fail.
    assert!(
        dialog.body.contains("All 2 runs would fail again at step"),
        "{}",
        dialog.body
    );
    assert!(
        dialog.body.contains(">Fix step 2 first<"),
        "{}",
        dialog.body
    );
    assert!(!dialog.body.contains(r#"name="key""#));
    assert!(
        dialog.body.contains("bulk=start&amp;anyway=1"),
        "{}",
        dialog.body
    );
    let dialog = app
        .get(
            Some(&cookie),
            "/o/acme/runs?status=Failed&bulk=start&anyway=1",
        )
        .await;
    assert!(
        dialog.body.contains("Retry 2 runs anyway"),
        "{}",
        dialog.body
    );
    let key = dialog
        .body
        .split(r#"name="key" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the confirm's key")
        .to_owned();
    let form = [
        ("org", "acme"),
        ("status", "Failed"),
        ("from", "start"),
        ("key", key.as_str()),
    ];
    let done = app
        .post_form(
            Some(&cookie),
            "retry_runs",
            &form,
            "/o/acme/runs?status=Failed&bulk=start",
        )
        .await;
    assert_eq!(done.status, StatusCode::FOUND, "{}", done.body);
    let location = done.location.clone().expect("to the batch");
    assert!(
        location.starts_with("/o/acme/runs?batch=batch_"),
        "{location}"
    );
    // The same confirm again: the same batch, nothing more queued.
    let again = app
        .post_form(Some(&cookie), "retry_runs", &form, "/o/acme/runs")
        .await;
    assert_eq!(again.location, Some(location.clone()));
    assert_eq!(run_count(&app).await, 4);
    let progress = app.get(Some(&cookie), &location).await;
    assert!(
        progress
            .body
            .contains("Bulk retry of 2 runs from the start"),
        "{}",
        progress.body
    );
    assert!(progress.body.contains("0 of 2 ended"));
    // Filtering the batch's runs further keeps the batch.
    assert!(
        progress
            .body
            .contains(r#"type="hidden" name="batch" value="batch_"#),
        "{}",
        progress.body
    );
    assert!(progress.body.contains("run_") && !progress.body.contains(&format!(">{first}<")));

    let batch = location
        .trim_start_matches("/o/acme/runs?batch=")
        .to_owned();
    let viewer = app.member("acme", Role::Viewer).await;
    let watching = app.sign_in(&viewer).await;
    let cancel = [("org", "acme"), ("batch", batch.as_str())];
    assert_eq!(
        app.call(Some(&watching), "cancel_batch", &cancel)
            .await
            .error(),
        AppError::Forbidden
    );
    assert_eq!(
        app.call(
            Some(&watching),
            "retry_runs",
            &[("org", "acme"), ("from", "start"), ("key", "v")]
        )
        .await
        .error(),
        AppError::Forbidden
    );
    let globex = app.member("globex", Role::Admin).await;
    let stranger = app.sign_in(&globex).await;
    for (name, args) in [
        ("cancel_batch", vec![("batch", batch.as_str())]),
        (
            "preview_bulk",
            vec![("from", "start"), ("batch", batch.as_str())],
        ),
    ] {
        let with = |org| {
            let mut a = vec![("org", org)];
            a.extend(args.iter().copied());
            a
        };
        assert_eq!(
            app.call(None, name, &with("acme")).await.error(),
            AppError::Unauthorized,
            "{name}"
        );
        assert_eq!(
            app.call(Some(&stranger), name, &with("acme")).await.error(),
            AppError::NotFound,
            "{name}"
        );
    }
    let theirs = app
        .call(
            Some(&stranger),
            "cancel_batch",
            &[("org", "globex"), ("batch", &batch)],
        )
        .await;
    let missing = app
        .call(
            Some(&stranger),
            "cancel_batch",
            &[("org", "globex"), ("batch", "batch_Missing0")],
        )
        .await;
    assert_eq!((theirs.status, theirs.body), (missing.status, missing.body));
    let page = app
        .get(Some(&stranger), &format!("/o/globex/runs?batch={batch}"))
        .await;
    let control = app
        .get(Some(&stranger), "/o/globex/runs?batch=batch_Missing0")
        .await;
    assert_eq!(page.status, control.status);

    let done = app.call(Some(&cookie), "cancel_batch", &cancel).await;
    assert!(done.status.is_success(), "{}", done.body);
    let progress = app.get(Some(&cookie), &location).await;
    assert!(
        progress
            .body
            .contains("cancelled the runs that had not started"),
        "{}",
        progress.body
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rest_api_retries_a_filter_as_one_batch_once_per_key() {
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    failed_run(&app, &admin, 0).await;
    let acme = key(&app, "acme").await;
    let globex = key(&app, "globex").await;
    let body = r#"{"filter": {"status": "Failed"}, "from": "failed-step", "key": "once"}"#;
    let refused = app
        .send(rest("/~acme/runs/retry", Some(&globex), body))
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let bad = app
        .send(rest(
            "/~acme/runs/retry",
            Some(&acme),
            r#"{"filter": {"status": "Broken"}}"#,
        ))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert_eq!(json_body(&bad)["error"]["field"], "status");
    let first = app.send(rest("/~acme/runs/retry", Some(&acme), body)).await;
    assert_eq!(first.status, StatusCode::ACCEPTED, "{}", first.body);
    let first = json_body(&first);
    assert_eq!(
        (first["queued"].clone(), first["again"].clone()),
        (1.into(), false.into())
    );
    let second = json_body(&app.send(rest("/~acme/runs/retry", Some(&acme), body)).await);
    assert_eq!(second["$id"], first["$id"]);
    assert_eq!(second["again"], true);
    assert_eq!(run_count(&app).await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_trigger_form_previews_with_sample_data_without_running_anything() {
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let workflow = app.workflow(&admin, "Onboarding", 2).await;
    let mut conn = app.db.conn().await;
    switchyard::verbs::activate(&mut conn, &Hooks::with_defaults(), &admin, &workflow.id)
        .await
        .unwrap();
    let id = workflow.id.to_string();
    let cookie = app.sign_in(&admin).await;
    let form = [
        ("org", "acme"),
        ("id", id.as_str()),
        ("payload", r#"{"name": "Globex"}"#),
    ];
    let done = app
        .post_form(
            Some(&cookie),
            "preview_trigger",
            &form,
            &format!("/o/acme/workflows/{id}"),
        )
        .await;
    assert_eq!(done.status, StatusCode::FOUND, "{}", done.body);
    let location = done.location.clone().expect("back to the page");
    assert!(
        location.starts_with(&format!("/o/acme/workflows/{id}?sample=")),
        "{location}"
    );
    let page = app
        .get(Some(&cookie), location.trim_end_matches("#preview"))
        .await;
    assert!(
        page.body.contains("Preview with sample data")
            && page.body.contains("every step would work"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("Creates a Customer named \u{201c}Globex\u{201d}.")
    );
    assert_eq!(run_count(&app).await, 0, "nothing ran");

    let bad = [("org", "acme"), ("id", id.as_str()), ("payload", "{ nope")];
    let refused = app.call(Some(&cookie), "preview_trigger", &bad).await;
    // Refused with the reason for the sample, which the trigger form shows under its textarea.
    let message = refused
        .error()
        .field("sample")
        .expect("a message for the sample");
    assert!(message.contains("JSON"), "{message}");
    assert_eq!(run_count(&app).await, 0);
    // Sample data too long for the page's address: said next to the field, nothing run.
    let long = serde_json::json!({ "name": "x".repeat(7_000) }).to_string();
    let too_long = [
        ("org", "acme"),
        ("id", id.as_str()),
        ("payload", long.as_str()),
    ];
    let refused = app.call(Some(&cookie), "preview_trigger", &too_long).await;
    let message = refused
        .error()
        .field("payload")
        .expect("a message for the sample");
    assert!(message.contains("too long"), "{message}");
    assert_eq!(run_count(&app).await, 0);

    // Strangers and the signed-out.
    let args = |org| vec![("org", org), ("id", id.as_str()), ("sample", "{}")];
    assert_eq!(
        app.call(None, "dry_run_workflow", &args("acme"))
            .await
            .error(),
        AppError::Unauthorized
    );
    let globex = app.member("globex", Role::Admin).await;
    let stranger = app.sign_in(&globex).await;
    assert_eq!(
        app.call(Some(&stranger), "dry_run_workflow", &args("acme"))
            .await
            .error(),
        AppError::NotFound
    );
    let theirs = app
        .call(Some(&stranger), "dry_run_workflow", &args("globex"))
        .await;
    let missing = app
        .call(
            Some(&stranger),
            "dry_run_workflow",
            &[
                ("org", "globex"),
                ("id", "workflow_Missing0"),
                ("sample", "{}"),
            ],
        )
        .await;
    assert_eq!((theirs.status, theirs.body), (missing.status, missing.body));

    // Over REST, the same dry run: the body is the sample data.
    let acme = key(&app, "acme").await;
    let answer = app
        .send(rest(
            &format!("/~acme/workflows/{id}/preview"),
            Some(&acme),
            r#"{"name": "Initech"}"#,
        ))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let body = json_body(&answer);
    assert_eq!(
        body["steps"][0]["effect"],
        serde_json::json!({"kind": "Creates", "noun": "Customer"})
    );
    assert_eq!(body["steps"][0]["fields"][0][1], "Initech");
    let globex_key = key(&app, "globex").await;
    let hidden = app
        .send(rest(
            &format!("/~globex/workflows/{id}/preview"),
            Some(&globex_key),
            "{}",
        ))
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    assert_eq!(run_count(&app).await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_edit_page_previews_the_form_as_typed_without_saving_it() {
    let app = TestApp::new().await;
    let editor = app.member("acme", Role::Editor).await;
    let workflow = app.workflow(&editor, "Onboarding", 1).await;
    let id = workflow.id.to_string();
    let cookie = app.sign_in(&editor).await;
    // The step as typed now reads deal.title; the saved one reads deal.name.
    let form = [
        ("org", "acme"),
        ("id", id.as_str()),
        ("version", "1"),
        ("name", "Onboarding"),
        ("trigger_event", "Deal.won"),
        ("steps[0][action]", "Customer.create"),
        ("steps[0][mapping][0][field]", "name"),
        ("steps[0][mapping][0][expr]", "deal.title + \" Ltd\""),
        ("sample", r#"{"title": "Globex"}"#),
    ];
    let answer = app.call(Some(&cookie), "preview_workflow", &form).await;
    assert!(answer.status.is_success(), "{}", answer.body);
    let kept = app
        .call(
            Some(&cookie),
            "editing_workflow",
            &[("org", "acme"), ("id", &id)],
        )
        .await;
    let (kept, _): (
        Option<app::server_fns::workflows::Editing>,
        switchyard::editor::EditorChoices,
    ) = serde_json::from_str(&kept.body).expect("the previewed form");
    let kept = kept.expect("kept for the form");
    let dry = kept.dry.expect("with its preview");
    assert_eq!(
        dry.steps[0].words,
        "Creates a Customer named \u{201c}Globex Ltd\u{201d}."
    );
    assert_eq!(kept.sample, r#"{"title": "Globex"}"#);
    assert_eq!(kept.input.steps[0].mapping[0].expr, "deal.title + \" Ltd\"");
    // Without JavaScript: back to the edit page, the form as typed with its preview.
    let page = format!("http://localhost/o/acme/workflows/{id}/edit");
    let answer = app
        .post_form(Some(&cookie), "preview_workflow", &form, &page)
        .await;
    let location = answer.location.expect("back to the form");
    let shown = app
        .get(
            Some(&cookie),
            location.trim_start_matches("http://localhost"),
        )
        .await;
    assert!(
        shown.body.contains("Globex Ltd") && shown.body.contains("every step would work"),
        "{}",
        shown.body
    );
    // Bad sample data is a message next to its field, the sample kept as typed; nothing was
    // saved either way.
    let mut bad = form.to_vec();
    bad.retain(|(k, _)| *k != "sample");
    bad.push(("sample", "{ nope"));
    let refused = app
        .call(Some(&cookie), "preview_workflow", &bad)
        .await
        .error();
    assert!(refused.field("sample").is_some(), "{refused:?}");
    assert_eq!(refused.kept("sample").as_deref(), Some("{ nope"));
    let stored = app.stored(&editor, &workflow.id).await.expect("there");
    assert_eq!(stored.version, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_run_leads_to_its_fix_and_the_fix_back_to_the_run() {
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let (run, _) = failed_run(&app, &admin, 0).await;
    let mut conn = app.db.conn().await;
    let workflow: String = runs::table
        .find(run.as_str().sql())
        .select(runs::workflow_id)
        .first::<switchyard::WorkflowId>(&mut conn)
        .await
        .expect("run")
        .to_string();
    let cookie = app.sign_in(&admin).await;

    // The run says which mapping row made the bad value, and leads to it.
    let page = app.get(Some(&cookie), &format!("/o/acme/runs/{run}")).await;
    let said = "Step 2 “Customer.update” got nothing for its field id from the deal's customer.";
    assert!(page.body.contains(said), "{}", page.body);
    let fix = format!("/o/acme/workflows/{workflow}/edit?run={run}#step-2");
    assert!(page.body.contains(&fix) && page.body.contains(">Fix step 2<"));

    // The editor opened from it marks step 2 and its row, with the run's event as the sample.
    let edit = app.get(Some(&cookie), &fix).await;
    assert!(
        edit.body
            .contains("Fixing a failed run (it ran version 1)."),
        "{}",
        edit.body
    );
    assert!(edit.body.contains("The run you are fixing failed here."));
    assert!(
        edit.body
            .contains("The run you are fixing got nothing from this value.")
    );
    assert!(edit.body.contains("&quot;Initech&quot;") || edit.body.contains("\"Initech\""));

    // Another organization's run is a missing one: its editor shows no fix and no sample of it.
    let globex = app.member("globex", Role::Admin).await;
    let theirs = app.workflow(&globex, "Theirs", 1).await;
    let globex_cookie = app.sign_in(&globex).await;
    let edit = app
        .get(
            Some(&globex_cookie),
            &format!("/o/globex/workflows/{}/edit?run={run}", theirs.id),
        )
        .await;
    assert_eq!(edit.status, StatusCode::OK);
    assert!(!edit.body.contains("Fixing a failed run") && !edit.body.contains("Initech"));

    // Saved from the run: back to it, where the runs that failed this way can be retried.
    let w = app
        .stored(&admin, &switchyard::WorkflowId::parse(&workflow).unwrap())
        .await
        .unwrap();
    let version = w.version.to_string();
    let form = [
        ("org", "acme"),
        ("id", workflow.as_str()),
        ("version", version.as_str()),
        ("name", "Onboarding"),
        ("trigger_event", "Deal.won"),
        ("steps[0][action]", "Customer.create"),
        ("steps[0][mapping][0][field]", "name"),
        ("steps[0][mapping][0][expr]", "deal.name"),
        ("steps[1][action]", "Customer.update"),
        ("steps[1][mapping][0][field]", "$id"),
        ("steps[1][mapping][0][expr]", "step.0.$id"),
        ("fixing", run.as_str()),
    ];
    let saved = app
        .post_form(
            Some(&cookie),
            "save_workflow",
            &form,
            &format!("http://localhost{fix}"),
        )
        .await;
    assert_eq!(saved.status, StatusCode::FOUND, "{}", saved.body);
    assert_eq!(
        saved.location.as_deref(),
        Some(format!("/o/acme/runs/{run}?fixed=1").as_str())
    );
    let page = app
        .get(Some(&cookie), &format!("/o/acme/runs/{run}?fixed=1"))
        .await;
    assert!(page.body.contains("Your fix is saved."), "{}", page.body);
    assert!(page.body.contains("status=Failed&amp;group="));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_trigger_form_sends_its_sample_as_fields_and_the_run_gets_them_as_data() {
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let workflow = app.workflow(&admin, "Onboarding", 1).await;
    let mut conn = app.db.conn().await;
    switchyard::verbs::activate(&mut conn, &Hooks::with_defaults(), &admin, &workflow.id)
        .await
        .unwrap();
    let id = workflow.id.to_string();
    let cookie = app.sign_in(&admin).await;
    // The page's form: one row a field of the data, and one to add a field.
    let page = app
        .get(Some(&cookie), &format!("/o/acme/workflows/{id}"))
        .await;
    assert!(
        page.body
            .contains(r#"name="payload_field[0][path]" value="name""#),
        "{}",
        page.body
    );
    assert!(!page.body.contains(r#"<textarea id="payload""#));
    assert!(
        page.body.contains("No Deal.won event has arrived yet"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(r#"value="Example name""#),
        "{}",
        page.body
    );
    let form = [
        ("org", "acme"),
        ("id", id.as_str()),
        ("payload_field[0][path]", "name"),
        ("payload_field[0][value]", "Globex Ltd"),
        ("payload_field[1][path]", "amount"),
        ("payload_field[1][value]", "12"),
        ("payload_field[2][path]", "contact.name"),
        ("payload_field[2][value]", "Ada"),
        ("payload_field[3][path]", ""),
        ("payload_field[3][value]", ""),
    ];
    let done = app
        .post_form(
            Some(&cookie),
            "trigger_workflow",
            &form,
            &format!("/o/acme/workflows/{id}"),
        )
        .await;
    assert_eq!(done.status, StatusCode::FOUND, "{}", done.body);
    let run = done
        .location
        .as_deref()
        .and_then(|l| l.strip_prefix("/o/acme/runs/"))
        .expect("the run's page")
        .to_owned();
    let run = switchyard::id::RunId::parse(&run).expect("a run id");
    let detail = switchyard::read_model::run::detail(&mut conn, &admin, &run)
        .await
        .expect("the run");
    assert_eq!(
        detail.event_data,
        serde_json::json!({"name": "Globex Ltd", "amount": 12, "contact": {"name": "Ada"}})
    );
    // Now that a Deal.won has arrived, the form of another Deal.won workflow starts from it,
    // not from examples.
    let second = app.workflow(&admin, "Second", 1).await;
    switchyard::verbs::activate(&mut conn, &Hooks::with_defaults(), &admin, &second.id)
        .await
        .unwrap();
    let page = app
        .get(Some(&cookie), &format!("/o/acme/workflows/{}", second.id))
        .await;
    assert!(
        page.body
            .contains("These fields come from the latest Deal.won event that arrived"),
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"value="Globex Ltd""#), "{}", page.body);
    assert!(
        !page.body.contains(r#"value="Example name""#),
        "{}",
        page.body
    );
}
