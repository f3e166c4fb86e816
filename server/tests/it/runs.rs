use crate::TestApp;
use app::error::AppError;
use axum::http::StatusCode;
use switchyard::Role;
use switchyard::entity::{EventSource, RunDetail};
use switchyard::ingest::{self, PostedEvent};
use switchyard::read_model::run::RunHistory;
use switchyard::sql_text::Sql;

/// An acme workflow with two steps, activated, and `n` finished runs of it.
async fn with_runs(app: &TestApp, n: usize) -> (switchyard::Workflow, Vec<String>) {
    let admin = app.member("acme", Role::Admin).await;
    let workflow = app.workflow(&admin, "Onboarding", 2).await;
    let mut conn = app.db.conn().await;
    switchyard::verbs::activate(
        &mut conn,
        &switchyard::hooks::Hooks::with_defaults(),
        &admin,
        &workflow.id,
    )
    .await
    .expect("activate");
    let mut runs = Vec::new();
    for i in 0..n {
        let posted = PostedEvent {
            event_type: "Deal.won".into(),
            data: serde_json::json!({"name": format!("Deal {i}")}),
            id: None,
        };
        let accepted = ingest::ingest(&mut conn, &admin.org.id, &posted, EventSource::Api, None)
            .await
            .expect("ingest");
        runs.push(accepted.runs[0].to_string());
    }
    // A moment later, so that the runs just queued are ready: not a minute, which near the end
    // of an hour would start them in the next one, after the dashboard's "now".
    let later = time::OffsetDateTime::now_utc() + time::Duration::seconds(1);
    switchyard::engine::drain(&mut conn, "w", time::Duration::seconds(30), later)
        .await
        .expect("drain");
    (workflow, runs)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_reads_step_by_step() {
    let app = TestApp::new().await;
    let (workflow, runs) = with_runs(&app, 1).await;
    let viewer = app.member("acme", Role::Viewer).await;
    let cookie = app.sign_in(&viewer).await;
    let detail: RunDetail = serde_json::from_str(
        &app.call(
            Some(&cookie),
            "get_run",
            &[("org", "acme"), ("id", &runs[0])],
        )
        .await
        .body,
    )
    .expect("run");
    assert_eq!(detail.run.status, switchyard::run::RunStatus::Succeeded);
    assert_eq!(
        detail
            .steps
            .iter()
            .map(|s| s.status.as_str())
            .collect::<Vec<_>>(),
        ["Succeeded", "Succeeded"]
    );
    assert_eq!(
        detail.steps[0].input.as_ref().expect("input")["name"],
        "Deal 0"
    );
    let page = app
        .get(Some(&cookie), &format!("/o/acme/runs/{}", runs[0]))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Run of Onboarding")
            && page.body.contains("Deal 0")
            && page.body.contains("customer_"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("Show the latest"),
        "a finished run's page has nothing more to show"
    );
    // A run still queued: its page says so and links to the latest (with JavaScript on it
    // follows the run itself); never a meta refresh, which reloads under a screen reader.
    let admin = app.member("acme", Role::Admin).await;
    let mut conn = app.db.conn().await;
    let posted = PostedEvent {
        event_type: "Deal.won".into(),
        data: serde_json::json!({"name": "Later"}),
        id: None,
    };
    let queued = ingest::ingest(&mut conn, &admin.org.id, &posted, EventSource::Api, None)
        .await
        .expect("ingest")
        .runs[0]
        .to_string();
    drop(conn);
    let page = app
        .get(Some(&cookie), &format!("/o/acme/runs/{queued}"))
        .await;
    assert!(
        page.body.contains("Still running") && page.body.contains("Show the latest"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("http-equiv=\"refresh\""));
    let overview = app
        .get(Some(&cookie), &format!("/o/acme/workflows/{}", workflow.id))
        .await;
    assert!(
        overview.body.contains(&format!("/o/acme/runs/{}", runs[0])),
        "the workflow page lists its recent runs"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn run_history_pages_by_position_and_filters_by_status() {
    let app = TestApp::new().await;
    let (workflow, runs) = with_runs(&app, switchyard::read_model::run::PAGE as usize + 3).await;
    let admin = app.member("acme", Role::Admin).await;
    let cookie = app.sign_in(&admin).await;
    let id = workflow.id.to_string();
    let first: RunHistory = serde_json::from_str(
        &app.call(
            Some(&cookie),
            "workflow_runs",
            &[("org", "acme"), ("id", &id)],
        )
        .await
        .body,
    )
    .expect("page");
    assert_eq!(first.runs.len() as i64, switchyard::read_model::run::PAGE);
    let next = first.next.clone().expect("older runs").to_string();
    let rest: RunHistory = serde_json::from_str(
        &app.call(
            Some(&cookie),
            "workflow_runs",
            &[("org", "acme"), ("id", &id), ("before", &next)],
        )
        .await
        .body,
    )
    .expect("page");
    assert_eq!((rest.runs.len(), rest.next.clone()), (3, None));
    let mut seen: Vec<String> = first
        .runs
        .iter()
        .chain(&rest.runs)
        .map(|r| r.id.to_string())
        .collect();
    seen.sort();
    let mut all = runs.clone();
    all.sort();
    assert_eq!(seen, all, "every run once, none twice");
    // Two of the runs failed: the filter shows exactly those, and the others show without them.
    let failed_ids = [runs[3].clone(), runs[7].clone()];
    {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        let mut conn = app.db.conn().await;
        diesel::update(
            switchyard::schema::runs::table.filter(
                switchyard::schema::runs::id.eq_any(switchyard::sql_text::all(&failed_ids)),
            ),
        )
        .set(switchyard::schema::runs::status.eq(switchyard::run::RunStatus::Failed.sql()))
        .execute(&mut conn)
        .await
        .expect("fail two runs");
    }
    let failed: RunHistory = serde_json::from_str(
        &app.call(
            Some(&cookie),
            "workflow_runs",
            &[("org", "acme"), ("id", &id), ("status", "Failed")],
        )
        .await
        .body,
    )
    .expect("page");
    let mut got: Vec<String> = failed.runs.iter().map(|r| r.id.to_string()).collect();
    got.sort();
    let mut want = failed_ids.to_vec();
    want.sort();
    assert_eq!(got, want, "exactly the failed runs");
    assert!(
        failed
            .runs
            .iter()
            .all(|r| r.status == switchyard::run::RunStatus::Failed)
    );
    let succeeded: RunHistory = serde_json::from_str(
        &app.call(
            Some(&cookie),
            "workflow_runs",
            &[("org", "acme"), ("id", &id), ("status", "Succeeded")],
        )
        .await
        .body,
    )
    .expect("page");
    assert_eq!(
        succeeded.runs.len() as i64,
        switchyard::read_model::run::PAGE
    );
    assert!(
        succeeded
            .runs
            .iter()
            .all(|r| !failed_ids.contains(&r.id.to_string())),
        "the failed ones are not among them"
    );
    // A bad filter is named, and left out: the page still lists the runs.
    let bad: RunHistory = serde_json::from_str(
        &app.call(
            Some(&cookie),
            "workflow_runs",
            &[("org", "acme"), ("id", &id), ("status", "Exploded")],
        )
        .await
        .body,
    )
    .expect("the history without the bad filter");
    assert_eq!(bad.matched.problems.len(), 1);
    assert_eq!(bad.matched.problems[0].field, "status");
    assert_eq!(bad.runs.len(), 25);
}

#[tokio::test(flavor = "multi_thread")]
async fn runs_are_closed_to_strangers_and_the_signed_out() {
    let app = TestApp::new().await;
    let (workflow, runs) = with_runs(&app, 1).await;
    let globex = app.member("globex", Role::Admin).await;
    let cookie = app.sign_in(&globex).await;
    let id = workflow.id.to_string();
    for (name, args) in [
        ("get_run", vec![("id", runs[0].as_str())]),
        ("workflow_runs", vec![("id", id.as_str())]),
    ] {
        let mut acme = vec![("org", "acme")];
        acme.extend(args.iter().copied());
        assert_eq!(
            app.call(None, name, &acme).await.error(),
            AppError::Unauthorized,
            "{name}"
        );
        assert_eq!(
            app.call(Some(&cookie), name, &acme).await.error(),
            AppError::NotFound,
            "{name}"
        );
        let mut own = vec![("org", "globex")];
        own.extend(args.iter().copied());
        let theirs = app.call(Some(&cookie), name, &own).await;
        let missing: Vec<(&str, &str)> = own
            .iter()
            .map(|(k, v)| {
                (
                    *k,
                    if *k == "id" {
                        if name == "get_run" {
                            "run_Missing0"
                        } else {
                            "workflow_Missing0"
                        }
                    } else {
                        *v
                    },
                )
            })
            .collect();
        let control = app.call(Some(&cookie), name, &missing).await;
        assert_eq!(
            (theirs.status, theirs.body),
            (control.status, control.body),
            "{name}: like a missing id"
        );
    }
    let page = app
        .get(Some(&cookie), &format!("/o/globex/runs/{}", runs[0]))
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_workflow_runs_by_hand_with_sample_data_and_shows_its_run() {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use switchyard::schema::{events, runs};
    let app = TestApp::new().await;
    let (workflow, _) = with_runs(&app, 0).await;
    let admin = app.member("acme", Role::Admin).await;
    let cookie = app.sign_in(&admin).await;
    let id = workflow.id.to_string();
    let page = app
        .get(Some(&cookie), &format!("/o/acme/workflows/{id}"))
        .await;
    assert!(
        page.body.contains("Trigger now") && page.body.contains("Example name"),
        "the sample comes from what the steps read"
    );

    let bad = app
        .call(
            Some(&cookie),
            "trigger_workflow",
            &[("org", "acme"), ("id", &id), ("payload", "{name: oops")],
        )
        .await
        .error();
    assert!(
        bad.field("payload")
            .is_some_and(|m| m.contains("not valid JSON")),
        "{bad:?}"
    );
    let mut conn = app.db.conn().await;
    let queued: i64 = runs::table
        .count()
        .get_result(&mut conn)
        .await
        .expect("count");
    assert_eq!(queued, 0, "nothing queued for bad data");

    let form = [
        ("org", "acme"),
        ("id", id.as_str()),
        ("payload", r#"{"name": "Globex"}"#),
    ];
    let answer = app
        .post_form(
            Some(&cookie),
            "trigger_workflow",
            &form,
            &format!("http://localhost/o/acme/workflows/{id}"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FOUND);
    let location = answer.location.expect("to the run");
    let run = location
        .strip_prefix("/o/acme/runs/")
        .expect("a run page")
        .to_owned();
    let (event_type, data, source): (String, serde_json::Value, String) = runs::table
        .inner_join(events::table.on(events::id.eq(runs::event_id)))
        .filter(runs::id.eq(run.sql()))
        .select((events::type_, events::data, events::source))
        .first(&mut conn)
        .await
        .expect("run and event");
    assert_eq!(
        (event_type.as_str(), data, source.as_str()),
        ("Deal.won", serde_json::json!({"name": "Globex"}), "manual")
    );

    let viewer = app.member("acme", Role::Viewer).await;
    let viewer = app.sign_in(&viewer).await;
    let args = [("org", "acme"), ("id", id.as_str())];
    assert_eq!(
        app.call(Some(&viewer), "trigger_workflow", &args)
            .await
            .error(),
        AppError::Forbidden
    );
    assert_eq!(
        app.call(None, "trigger_workflow", &args).await.error(),
        AppError::Unauthorized
    );
    let globex = app.member("globex", Role::Admin).await;
    let stranger = app.sign_in(&globex).await;
    assert_eq!(
        app.call(Some(&stranger), "trigger_workflow", &args)
            .await
            .error(),
        AppError::NotFound
    );
    let theirs = app
        .call(
            Some(&stranger),
            "trigger_workflow",
            &[("org", "globex"), ("id", id.as_str())],
        )
        .await;
    let missing = app
        .call(
            Some(&stranger),
            "trigger_workflow",
            &[("org", "globex"), ("id", "workflow_Missing0")],
        )
        .await;
    assert_eq!((theirs.status, theirs.body), (missing.status, missing.body));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_counts_from_the_rollups_and_refuses_a_range_it_does_not_know() {
    let app = TestApp::new().await;
    let (_, runs) = with_runs(&app, 4).await;
    let viewer = app.member("acme", Role::Viewer).await;
    let cookie = app.sign_in(&viewer).await;
    let answer = app
        .call(
            Some(&cookie),
            "get_dashboard",
            &[("org", "acme"), ("range", "24h")],
        )
        .await;
    let (_, dashboard): (
        switchyard::Member,
        switchyard::read_model::dashboard::Dashboard,
    ) = serde_json::from_str(&answer.body).expect("dashboard");
    assert_eq!((dashboard.runs, dashboard.failures), (runs.len() as i64, 0));
    let succeeded: i64 = dashboard.points.iter().map(|p| p.succeeded).sum();
    assert_eq!(succeeded, 4, "the chart adds up to the runs");
    assert_eq!(
        dashboard.points.len(),
        24,
        "one point an hour, none missing"
    );
    let bad = app
        .call(
            Some(&cookie),
            "get_dashboard",
            &[("org", "acme"), ("range", "1y")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.error().field("range").is_some());
    let page = app.get(Some(&cookie), "/o/acme/dashboard?range=24h").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Runs per hour") && page.body.contains("<svg"),
        "{}",
        page.body
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_organizations_runs_filter_by_everything_the_address_says() {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use switchyard::run::RunStatus;
    use switchyard::schema::runs;
    let app = TestApp::new().await;
    let (workflow, ids) = with_runs(&app, 6).await;
    {
        let mut conn = app.db.conn().await;
        diesel::update(runs::table.filter(runs::id.eq_any(switchyard::sql_text::all(&ids[1..3]))))
            .set((
                runs::status.eq(RunStatus::Failed.sql()),
                runs::failed_step.eq(1),
                runs::error.eq("Step 2 (Project.create): boom for customer_a1B2c3D4"),
                runs::failure_group.eq("0123abcd"),
            ))
            .execute(&mut conn)
            .await
            .expect("two failures");
    }
    let viewer = app.member("acme", Role::Viewer).await;
    let cookie = app.sign_in(&viewer).await;
    let count = async |filters: &[(&str, &str)]| -> usize {
        let mut args = vec![("org", "acme")];
        args.extend_from_slice(filters);
        let answer = app.call(Some(&cookie), "list_runs", &args).await;
        let list: switchyard::read_model::run::RunList =
            serde_json::from_str(&answer.body).unwrap_or_else(|e| panic!("{e}: {}", answer.body));
        list.runs.len()
    };
    let id = workflow.id.to_string();
    let cases: [(&[(&str, &str)], usize); 11] = [
        (&[], 6),
        (&[("status", "Failed")], 2),
        (&[("status", "Succeeded")], 4),
        (&[("step", "2")], 2),
        (&[("step", "1")], 0),
        (&[("error", "BOOM")], 2),
        (&[("error", "100%_sure")], 0),
        (&[("group", "0123abcd")], 2),
        (&[("version", "1"), ("workflow", &id), ("range", "24h")], 6),
        (&[("version", "2")], 0),
        (&[("workflow", "workflow_Missing0")], 0),
    ];
    for (filters, expected) in cases {
        assert_eq!(count(filters).await, expected, "{filters:?}");
    }
    // Bad filters are named, each by its field, and the good ones still apply; a step and a
    // version read as the table shows them.
    let bad: switchyard::read_model::run::RunList = serde_json::from_str(
        &app.call(
            Some(&cookie),
            "list_runs",
            &[
                ("org", "acme"),
                ("step", "two"),
                ("range", "1y"),
                ("error", "BOOM"),
            ],
        )
        .await
        .body,
    )
    .expect("the list without the bad filters");
    let fields: Vec<&str> = bad
        .matched
        .problems
        .iter()
        .map(|p| p.field.as_str())
        .collect();
    assert_eq!(fields, ["range", "step"]);
    assert_eq!((bad.runs.len(), bad.matched.count), (2, 2));
    assert_eq!(count(&[("step", "Step 2")]).await, 2);
    assert_eq!(count(&[("version", "v1"), ("step", "2")]).await, 2);
    let page = app
        .get(Some(&cookie), "/o/acme/runs?step=two&error=BOOM")
        .await;
    assert!(
        page.body.contains("“two” is not a step number"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("2 runs<!> match") || page.body.contains("2 runs match"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(r#"aria-label="Remove the filter Error contains “BOOM”""#)
    );
    let page = app
        .get(Some(&cookie), "/o/acme/runs?status=Failed&error=boom")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.body.matches("/o/acme/runs/run_").count(),
        2,
        "two rows, with their links"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_alert_is_acknowledged_from_the_dashboard_and_over_rest_once_per_incident() {
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let workflow = app.workflow(&admin, "Invoice Reminders", 1).await;
    {
        let mut conn = app.db.conn().await;
        for _ in 0..3 {
            let alert = switchyard::repo::event::NewEvent::new(
                switchyard::hooks::HIGH_FAILURE_RATE,
                serde_json::json!({ "workflow": workflow.id, "failureRate": 0.4 }),
                EventSource::Hook,
            );
            switchyard::repo::event::insert(&mut conn, &admin.org.id, &alert)
                .await
                .expect("alert");
        }
    }
    let cookie = app.sign_in(&admin).await;
    let page = app.get(Some(&cookie), "/o/acme/dashboard").await;
    // Three alerts close together are one incident, one line, with one button.
    assert_eq!(
        page.body.matches("Raised 3 times").count(),
        1,
        "{}",
        page.body
    );
    assert_eq!(
        page.body.matches(">Acknowledge<").count(),
        1,
        "{}",
        page.body
    );

    // The button is a plain form: it posts and comes back to the dashboard.
    let posted = app
        .post_form(
            Some(&cookie),
            "acknowledge_alert",
            &[("org", "acme"), ("workflow", workflow.id.as_str())],
            "http://switchyard.test/o/acme/dashboard",
        )
        .await;
    assert_eq!(posted.status, StatusCode::FOUND, "{}", posted.body);
    let page = app.get(Some(&cookie), "/o/acme/dashboard").await;
    assert!(
        page.body
            .contains(&format!("Acknowledged by {}, ", admin.display_name)),
        "{}",
        page.body
    );
    assert!(!page.body.contains(">Acknowledge<"), "{}", page.body);

    // A Viewer sees who acknowledged it, and no button.
    let viewer = app.member("acme", Role::Viewer).await;
    let viewer = app.sign_in(&viewer).await;
    let seen = app.get(Some(&viewer), "/o/acme/dashboard").await;
    assert!(seen.body.contains("Acknowledged by"), "{}", seen.body);
    assert_eq!(
        app.call(
            Some(&viewer),
            "acknowledge_alert",
            &[("org", "acme"), ("workflow", workflow.id.as_str())]
        )
        .await
        .error(),
        AppError::Forbidden
    );

    // Over REST, with a key that may change workflows.
    let key = crate::ingest::key(&app, "acme").await;
    let answer = app
        .send(
            axum::http::Request::post(format!(
                "/~acme/workflows/{}/alerts/acknowledge",
                workflow.id
            ))
            .header("host", "switchyard.test")
            .header("authorization", format!("Bearer {key}"))
            .body(axum::body::Body::empty())
            .expect("request"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let body: serde_json::Value = serde_json::from_str(&answer.body).expect("json");
    assert_eq!(body["workflow"], workflow.id.as_str());
}
