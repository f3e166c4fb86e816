use super::{create, events, input};
use switchyard::hooks::Hooks;
use switchyard::repo;
use switchyard::sql_text::Sql;
use switchyard::testing::{TestDb, member};
use switchyard::{DomainError, Role, Status, Verb, verbs as v};

#[tokio::test(flavor = "multi_thread")]
async fn create_starts_in_draft_at_version_one_with_its_event_and_snapshot() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let editor = member(&mut conn, "acme", Role::Editor).await;
    let workflow = create(&mut conn, &editor, "Onboarding", 2).await;
    assert_eq!((workflow.status, workflow.version), (Status::Draft, 1));
    assert_eq!(workflow.created_by.as_ref(), Some(&editor.user_id));
    assert_eq!(
        events(&mut conn, &workflow).await,
        vec![("Workflow.created".into(), Some(editor.user_id.to_string()))]
    );
    assert_eq!(
        repo::workflow::versions(&mut conn, &editor.org.id, &workflow.id)
            .await
            .expect("versions"),
        vec![1]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn activate_is_vetoed_without_steps_and_nothing_changes() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let workflow = create(&mut conn, &admin, "Empty", 0).await;
    let err = v::activate(&mut conn, &Hooks::with_defaults(), &admin, &workflow.id)
        .await
        .expect_err("veto");
    assert_eq!(
        err,
        DomainError::Vetoed("At least one step is required".into())
    );
    let again = repo::workflow::get(&mut conn, &admin.org.id, &workflow.id)
        .await
        .expect("get");
    assert_eq!(again.status, Status::Draft);
    assert_eq!(
        events(&mut conn, &workflow).await.len(),
        1,
        "only Workflow.created"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn activate_records_its_event_and_the_hooks_workflow_activated() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let workflow = create(&mut conn, &admin, "Onboarding", 1).await;
    let active = v::activate(&mut conn, &Hooks::with_defaults(), &admin, &workflow.id)
        .await
        .expect("activate");
    assert_eq!(active.status, Status::Activated);
    let types: Vec<String> = events(&mut conn, &workflow)
        .await
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(
        types,
        vec![
            "Workflow.created",
            "Workflow.activated",
            "workflow.activated"
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn pause_archive_and_delete_follow_the_table() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let hooks = Hooks::with_defaults();
    let workflow = create(&mut conn, &admin, "Onboarding", 1).await;
    v::activate(&mut conn, &hooks, &admin, &workflow.id)
        .await
        .expect("activate");
    let err = v::archive(&mut conn, &hooks, &admin, &workflow.id)
        .await
        .expect_err("not from Activated");
    assert_eq!(
        err,
        DomainError::InvalidTransition {
            from: Status::Activated,
            verb: Verb::Archive
        }
    );
    assert!(
        err.to_string()
            .contains("Allowed now: update, pause, trigger."),
        "{err}"
    );
    assert_eq!(
        v::pause(&mut conn, &hooks, &admin, &workflow.id)
            .await
            .expect("pause")
            .status,
        Status::Paused
    );
    assert_eq!(
        v::archive(&mut conn, &hooks, &admin, &workflow.id)
            .await
            .expect("archive")
            .status,
        Status::Archived
    );
    let err = v::update(
        &mut conn,
        &hooks,
        &admin,
        &workflow.id,
        1,
        &input("Renamed", 1),
    )
    .await
    .expect_err("read-only");
    assert_eq!(
        err,
        DomainError::InvalidTransition {
            from: Status::Archived,
            verb: Verb::Update
        }
    );
    v::delete(&mut conn, &hooks, &admin, &workflow.id)
        .await
        .expect("delete");
    let types: Vec<String> = events(&mut conn, &workflow)
        .await
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(
        types,
        vec![
            "Workflow.created",
            "Workflow.activated",
            "workflow.activated",
            "Workflow.paused",
            "Workflow.archived",
            "Workflow.deleted"
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_is_soft_hides_the_workflow_and_keeps_its_events() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let workflow = create(&mut conn, &admin, "Gone", 0).await;
    v::delete(&mut conn, &Hooks::with_defaults(), &admin, &workflow.id)
        .await
        .expect("delete");
    let err = repo::workflow::get(&mut conn, &admin.org.id, &workflow.id)
        .await
        .expect_err("hidden");
    assert!(matches!(
        err,
        switchyard::store_error::StoreError::Database(diesel::result::Error::NotFound)
    ));
    let page = repo::workflow::find(&mut conn, &admin.org.id, &Default::default())
        .await
        .expect("find");
    assert_eq!(page.total, 0);
    assert_eq!(
        events(&mut conn, &workflow).await.len(),
        2,
        "created and deleted are kept"
    );
    let err = v::delete(&mut conn, &Hooks::with_defaults(), &admin, &workflow.id)
        .await
        .expect_err("already gone");
    assert_eq!(err, DomainError::NotFound);
}

#[tokio::test(flavor = "multi_thread")]
async fn trigger_queues_a_run_stays_triggered_until_it_ends_and_warns_on_failures() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let hooks = Hooks::with_defaults();
    let workflow = create(&mut conn, &admin, "Onboarding", 1).await;
    let err = v::trigger(
        &mut conn,
        &hooks,
        &admin,
        &workflow.id,
        serde_json::Value::Null,
    )
    .await
    .expect_err("draft");
    assert_eq!(
        err,
        DomainError::InvalidTransition {
            from: Status::Draft,
            verb: Verb::Trigger
        }
    );
    v::activate(&mut conn, &hooks, &admin, &workflow.id)
        .await
        .expect("activate");
    // Counters belong to the engine; set them as if 10 runs had ended, 2 of them failed.
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use switchyard::schema::workflows;
    diesel::update(workflows::table.find(workflow.id.sql()))
        .set((
            workflows::run_count.eq(10),
            workflows::success_count.eq(8),
            workflows::failure_count.eq(2),
        ))
        .execute(&mut conn)
        .await
        .expect("counters");
    let mut seen = Vec::new();
    let mut spy = Hooks::with_defaults();
    let probe = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = probe.clone();
    spy.after(Verb::Trigger, move |w, _| {
        sink.lock().expect("lock").push(w.status)
    });
    let sample = serde_json::json!({"name": "Acme"});
    let (after, _run) = v::trigger(&mut conn, &spy, &admin, &workflow.id, sample.clone())
        .await
        .expect("trigger");
    seen.extend(probe.lock().expect("lock").iter().copied());
    assert_eq!(
        seen,
        vec![Status::Triggered],
        "AFTER hooks see the transient status"
    );
    assert_eq!(
        after.status,
        Status::Triggered,
        "while its run is in flight"
    );
    let err = v::trigger(
        &mut conn,
        &hooks,
        &admin,
        &workflow.id,
        serde_json::Value::Null,
    )
    .await
    .expect_err("busy");
    assert_eq!(
        err,
        DomainError::InvalidTransition {
            from: Status::Triggered,
            verb: Verb::Trigger
        }
    );
    let types: Vec<String> = events(&mut conn, &workflow)
        .await
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(
        &types[3..],
        ["Workflow.triggered", "Deal.won"],
        "the manual event carries the sample"
    );
    let later = time::OffsetDateTime::now_utc() + time::Duration::minutes(1);
    assert_eq!(
        switchyard::engine::drain(&mut conn, "w1", time::Duration::seconds(30), later)
            .await
            .expect("drain"),
        1
    );
    let done = switchyard::repo::workflow::get(&mut conn, &admin.org.id, &workflow.id)
        .await
        .expect("get");
    assert_eq!(
        (done.status, done.run_count, done.success_count),
        (Status::Activated, 11, 9)
    );
    let types: Vec<String> = events(&mut conn, &workflow)
        .await
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(
        types.iter().filter(|t| *t == "Workflow.triggered").count(),
        1,
        "one start event for a run by hand"
    );
    // Its start raised the alert, once, with the organization's threshold: the engine's rule,
    // the only one (a hook on the trigger verb used a fixed 10 % before).
    let alerts: Vec<serde_json::Value> =
        switchyard::repo::event::for_subject(&mut conn, &admin.org.id, workflow.id.as_str(), 100)
            .await
            .expect("events")
            .into_iter()
            .filter(|e| e.event_type == "workflow.high_failure_rate")
            .map(|e| e.data)
            .collect();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["threshold"], 0.1);
    // 2 failed of the 11 finished once this run has ended (it started and ended in one step).
    assert_eq!(alerts[0]["failureRate"].as_f64(), Some(2.0 / 11.0));
}

#[tokio::test(flavor = "multi_thread")]
async fn update_bumps_the_version_keeps_a_snapshot_and_refuses_an_old_base() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let editor = member(&mut conn, "acme", Role::Editor).await;
    let hooks = Hooks::with_defaults();
    let workflow = create(&mut conn, &editor, "Onboarding", 1).await;
    let updated = v::update(
        &mut conn,
        &hooks,
        &editor,
        &workflow.id,
        1,
        &input("Onboarding v2", 2),
    )
    .await
    .expect("update");
    assert_eq!(
        (updated.version, updated.name.as_str(), updated.step_count()),
        (2, "Onboarding v2", 2)
    );
    let err = v::update(
        &mut conn,
        &hooks,
        &editor,
        &workflow.id,
        1,
        &input("Stale edit", 1),
    )
    .await
    .expect_err("conflict");
    assert!(
        matches!(&err, DomainError::Conflict { current } if current.version == 2),
        "{err:?}"
    );
    let current = repo::workflow::get(&mut conn, &editor.org.id, &workflow.id)
        .await
        .expect("get");
    assert_eq!(
        current.name, "Onboarding v2",
        "the stale edit wrote nothing"
    );
    assert_eq!(
        repo::workflow::versions(&mut conn, &editor.org.id, &workflow.id)
            .await
            .expect("versions"),
        vec![2, 1]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_input_is_refused_field_by_field_and_writes_nothing() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let editor = member(&mut conn, "acme", Role::Editor).await;
    let mut bad = input("", 1);
    bad.trigger_event = "deal won".into();
    bad.steps[0].mapping[0].expr = "deal..name".into();
    let err = v::create(&mut conn, &Hooks::with_defaults(), &editor, &bad)
        .await
        .expect_err("invalid");
    let DomainError::Validation(fields) = err else {
        panic!("{err:?}")
    };
    let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(
        names,
        vec!["name", "triggerEvent", "steps.0.mapping.0.expr"]
    );
    let page = repo::workflow::find(&mut conn, &editor.org.id, &Default::default())
        .await
        .expect("find");
    assert_eq!(page.total, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_before_hook_veto_reaches_the_caller_verbatim_and_rolls_back() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let mut hooks = Hooks::with_defaults();
    hooks.before(Verb::Create, |w| {
        if w.name.contains("Friday") {
            Err("No launches on Fridays".into())
        } else {
            Ok(())
        }
    });
    let err = v::create(&mut conn, &hooks, &admin, &input("Friday launch", 1))
        .await
        .expect_err("veto");
    assert_eq!(err, DomainError::Vetoed("No launches on Fridays".into()));
    let page = repo::workflow::find(&mut conn, &admin.org.id, &Default::default())
        .await
        .expect("find");
    assert_eq!(page.total, 0, "the vetoed insert was rolled back");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_viewer_changes_nothing() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let viewer = member(&mut conn, "acme", Role::Viewer).await;
    let hooks = Hooks::with_defaults();
    let workflow = create(&mut conn, &admin, "Onboarding", 1).await;
    assert_eq!(
        v::create(&mut conn, &hooks, &viewer, &input("Mine", 1))
            .await
            .expect_err("viewer"),
        DomainError::Forbidden
    );
    assert_eq!(
        v::update(
            &mut conn,
            &hooks,
            &viewer,
            &workflow.id,
            1,
            &input("Mine", 1)
        )
        .await
        .expect_err("viewer"),
        DomainError::Forbidden
    );
    for verb in [Verb::Activate, Verb::Delete, Verb::Archive] {
        assert_eq!(
            v::apply(&mut conn, &hooks, &viewer, &workflow.id, verb)
                .await
                .expect_err("viewer"),
            DomainError::Forbidden
        );
    }
    assert_eq!(events(&mut conn, &workflow).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn another_organizations_workflow_is_not_found() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let acme = member(&mut conn, "acme", Role::Admin).await;
    let globex = member(&mut conn, "globex", Role::Admin).await;
    let hooks = Hooks::with_defaults();
    let workflow = create(&mut conn, &acme, "Acme only", 1).await;
    for verb in [
        Verb::Activate,
        Verb::Pause,
        Verb::Trigger,
        Verb::Archive,
        Verb::Delete,
    ] {
        assert_eq!(
            v::apply(&mut conn, &hooks, &globex, &workflow.id, verb)
                .await
                .expect_err("other org"),
            DomainError::NotFound
        );
    }
    assert_eq!(
        v::update(&mut conn, &hooks, &globex, &workflow.id, 1, &input("x", 1))
            .await
            .expect_err("other"),
        DomainError::NotFound
    );
    assert!(
        repo::workflow::get(&mut conn, &globex.org.id, &workflow.id)
            .await
            .is_err()
    );
    assert_eq!(
        repo::workflow::find(&mut conn, &globex.org.id, &Default::default())
            .await
            .expect("find")
            .total,
        0
    );
    let untouched = repo::workflow::get(&mut conn, &acme.org.id, &workflow.id)
        .await
        .expect("get");
    assert_eq!((untouched.status, untouched.version), (Status::Draft, 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn restore_copies_an_old_version_and_a_stale_one_is_refused() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let editor = member(&mut conn, "acme", Role::Editor).await;
    let viewer = member(&mut conn, "acme", Role::Viewer).await;
    let hooks = Hooks::with_defaults();
    let workflow = create(&mut conn, &editor, "Onboarding", 1).await;
    v::update(
        &mut conn,
        &hooks,
        &editor,
        &workflow.id,
        1,
        &input("Onboarding v2", 3),
    )
    .await
    .expect("v2");
    let restored = v::restore(&mut conn, &hooks, &editor, &workflow.id, 2, 1)
        .await
        .expect("restore 1");
    assert_eq!(restored.version, 3);
    let v1 = repo::workflow::fields_at(&mut conn, &editor.org.id, &workflow.id, 1)
        .await
        .expect("v1");
    assert_eq!(restored.fields(), v1, "version 3 equals version 1's fields");
    let history = repo::workflow::version_history(&mut conn, &editor.org.id, &workflow.id)
        .await
        .expect("history");
    assert_eq!(history.last().map(|h| h.restored_from), Some(Some(1)));
    let stale = v::restore(&mut conn, &hooks, &editor, &workflow.id, 2, 1)
        .await
        .expect_err("based on version 2, now at 3");
    assert!(
        matches!(&stale, DomainError::Conflict { current } if current.version == 3),
        "{stale:?}"
    );
    assert_eq!(
        v::restore(&mut conn, &hooks, &viewer, &workflow.id, 3, 2)
            .await
            .expect_err("viewer"),
        DomainError::Forbidden
    );
    let now = repo::workflow::get(&mut conn, &editor.org.id, &workflow.id)
        .await
        .expect("get");
    assert_eq!(now.version, 3, "nothing else was written");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_version_keeps_the_order_its_fields_were_written_in() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let editor = member(&mut conn, "acme", Role::Editor).await;
    let mut written = input("Ordered", 1);
    written.steps[0].mapping = ["zeta", "alpha", "mid"]
        .iter()
        .map(|f| switchyard::workflow::MappingRow {
            field: (*f).into(),
            expr: "deal.name".into(),
        })
        .collect();
    let workflow = v::create(&mut conn, &Hooks::with_defaults(), &editor, &written)
        .await
        .expect("create");
    let kept = repo::workflow::fields_at(&mut conn, &editor.org.id, &workflow.id, 1)
        .await
        .expect("snapshot");
    let order: Vec<&str> = kept.steps[0].mapping.iter().map(|(f, _)| f).collect();
    assert_eq!(
        order,
        ["zeta", "alpha", "mid"],
        "not sorted by the database"
    );
}
