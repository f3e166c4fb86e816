//! Fixing what failed: retries from the start and from the failed step, the preview that
//! foretells them, cancelling, and who may do what.

use crate::engine::{LEASE, active, deal, post, run_status, step, steps_of};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use switchyard::engine::{self, recorded_effects};
use switchyard::engine::{dry_run_input, dry_run_saved};
use switchyard::error::DomainError;
use switchyard::hooks::Hooks;
use switchyard::id::Generate;
use switchyard::id::RunId;
use switchyard::preview::Effect;
use switchyard::retry::{self, RetryFrom};
use switchyard::schema::{events, runs, things};
use switchyard::sql_text::Sql;
use switchyard::testing::{TestDb, member};
use switchyard::workflow::{StepInput, WorkflowInput};
use switchyard::{Member, Role, Workflow, repo, verbs};
use time::OffsetDateTime;

type Conn = switchyard::db::Conn;

fn workflow(steps: Vec<StepInput>, handling: &str) -> WorkflowInput {
    WorkflowInput {
        name: "Onboarding".into(),
        trigger_event: "Deal.won".into(),
        steps,
        error_handling: handling.into(),
        ..Default::default()
    }
}

/// Creates the customer, changes the one the deal names (missing at first), opens a task.
fn onboarding(second: StepInput) -> WorkflowInput {
    workflow(
        vec![
            step("Customer.create", &[("name", "deal.name")]),
            second,
            step("Task.create", &[("subject", "\"Welcome \" + deal.name")]),
        ],
        "Stop",
    )
}

fn broken_update() -> StepInput {
    step(
        "Customer.update",
        &[("$id", "deal.customer"), ("tier", "gold")],
    )
}

fn fixed_update() -> StepInput {
    step(
        "Customer.update",
        &[("$id", "step.0.$id"), ("tier", "gold")],
    )
}

async fn drain(conn: &mut Conn) {
    engine::drain(conn, "w1", LEASE, OffsetDateTime::now_utc())
        .await
        .expect("drain");
}

/// A run of `w` for the deal, taken to its end.
async fn failed_run(conn: &mut Conn, admin: &Member) -> RunId {
    let accepted = post(conn, admin, "Deal.won", deal()).await;
    drain(conn).await;
    accepted.runs[0].clone()
}

async fn save(conn: &mut Conn, admin: &Member, w: &Workflow, input: WorkflowInput) -> Workflow {
    let current = repo::workflow::get(conn, &admin.org.id, &w.id)
        .await
        .expect("workflow");
    verbs::update(
        conn,
        &Hooks::with_defaults(),
        admin,
        &w.id,
        current.version,
        &input,
    )
    .await
    .expect("update")
}

async fn count_things(conn: &mut Conn, noun: &str, name_field: &str, name: &str) -> i64 {
    things::table
        .filter(things::type_.eq(noun))
        .filter(things::data.retrieve_as_text(name_field).eq(name))
        .count()
        .get_result(conn)
        .await
        .expect("count")
}

async fn retry_of(conn: &mut Conn, run: &RunId) -> (Option<String>, Option<i32>, Option<String>) {
    runs::table
        .find(run.sql())
        .select((runs::retry_of, runs::retry_from, runs::requested_by))
        .first(conn)
        .await
        .expect("run")
}

/// The effects the run's records show, for its own version's steps.
async fn recorded(conn: &mut Conn, admin: &Member, run: &RunId) -> Vec<Effect> {
    let org = &admin.org.id;
    let (summary, _, _) = repo::run::summary(conn, org, run).await.expect("run");
    let fields = repo::workflow::fields_at(conn, org, &summary.workflow, summary.workflow_version)
        .await
        .expect("fields");
    let done = repo::run_step::for_run(conn, org, run)
        .await
        .expect("steps");
    recorded_effects(&fields.steps, &done, fields.error_handling)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_from_the_failed_step_reuses_what_succeeded_and_one_from_the_start_runs_all() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let w = active(&mut conn, &admin, onboarding(broken_update())).await;
    let first = failed_run(&mut conn, &admin).await;
    assert_eq!(run_status(&mut conn, first.as_str()).await.0, "Failed");
    assert_eq!(count_things(&mut conn, "Customer", "name", "Acme").await, 1);

    // The user fixes step 2 and retries from it: step 1 is not run again.
    save(&mut conn, &admin, &w, onboarding(fixed_update())).await;
    let from_failed = retry::retry(&mut conn, &admin, &first, RetryFrom::FailedStep, Some(0))
        .await
        .expect("retry from the failed step");
    drain(&mut conn).await;
    assert_eq!(
        run_status(&mut conn, from_failed.as_str()).await,
        ("Succeeded".into(), None)
    );
    assert_eq!(count_things(&mut conn, "Customer", "name", "Acme").await, 1);
    assert_eq!(
        count_things(&mut conn, "Task", "subject", "Welcome Acme").await,
        1
    );
    let steps = steps_of(&mut conn, from_failed.as_str()).await;
    assert_eq!(steps.len(), 3);
    assert!(steps.iter().all(|(_, status, _)| status == "Succeeded"));
    assert_eq!(
        retry_of(&mut conn, &from_failed).await,
        (
            Some(first.to_string()),
            Some(1),
            Some(admin.user_id.to_string())
        )
    );

    // From the start, every step runs again: a second Customer.
    let from_start = retry::retry(&mut conn, &admin, &first, RetryFrom::Start, Some(1))
        .await
        .expect("retry from the start");
    drain(&mut conn).await;
    assert_eq!(
        run_status(&mut conn, from_start.as_str()).await.0,
        "Succeeded"
    );
    assert_eq!(count_things(&mut conn, "Customer", "name", "Acme").await, 2);
    assert_eq!(retry_of(&mut conn, &from_start).await.1, Some(0));

    // Linked both ways, and each retry recorded with its actor.
    let detail = switchyard::read_model::run::detail(&mut conn, &admin, &first)
        .await
        .expect("detail");
    assert_eq!(detail.retries, 2);
    let linked: Vec<&RunId> = detail.retried_by.iter().map(|(id, _)| id).collect();
    assert_eq!(linked, [&from_start, &from_failed]);
    let retried: Vec<(Value, Option<String>)> = events::table
        .filter(events::type_.eq("Run.retried"))
        .order(events::seq.asc())
        .select((events::data, events::actor))
        .load(&mut conn)
        .await
        .expect("events");
    assert_eq!(retried.len(), 2);
    assert_eq!(retried[0].0["retryOf"], json!(first.to_string()));
    assert_eq!(retried[0].0["from"], json!("failed-step"));
    assert_eq!(retried[1].0["from"], json!("start"));
    assert!(
        retried
            .iter()
            .all(|(_, a)| a.as_deref() == Some(admin.user_id.as_str()))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_preview_foretells_exactly_what_the_retry_then_does() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let mut fallback = broken_update();
    fallback.fallback_action = "Task.create".into();
    fallback.fallback_mapping = step("x", &[("subject", "\"Check the customer\"")]).mapping;
    let mut gated = step("Deal.win", &[("$id", "deal.id")]);
    gated.condition = "deal.amount > 100000".into();
    // Each case: the workflow that fails, the fix (if any), and where the retry begins.
    let cases = [
        (
            onboarding(broken_update()),
            Some(onboarding(fixed_update())),
            RetryFrom::FailedStep,
        ),
        (
            onboarding(broken_update()),
            Some(onboarding(fixed_update())),
            RetryFrom::Start,
        ),
        (onboarding(broken_update()), None, RetryFrom::FailedStep),
        (
            workflow(
                vec![
                    step("Customer.create", &[("name", "deal.name")]),
                    gated,
                    broken_update(),
                    step(
                        "Event.create",
                        &[("type", "\"Welcome.sent\""), ("data", "deal.name")],
                    ),
                ],
                "Continue",
            ),
            None,
            RetryFrom::Start,
        ),
        (
            workflow(
                vec![step("Customer.create", &[("name", "deal.name")]), fallback],
                "Fallback",
            ),
            None,
            RetryFrom::Start,
        ),
    ];
    for (i, (input, fix, from)) in cases.into_iter().enumerate() {
        let mut input = input;
        input.name = format!("Case {i}");
        let w = active(&mut conn, &admin, input).await;
        let first = failed_run(&mut conn, &admin).await;
        if let Some(mut fix) = fix {
            fix.name = format!("Case {i}");
            save(&mut conn, &admin, &w, fix).await;
        }
        let preview = retry::preview(&mut conn, &admin, &first, from)
            .await
            .expect("preview");
        let foretold: Vec<Effect> = preview.steps.iter().map(|s| s.effect.clone()).collect();
        let retried = retry::retry(&mut conn, &admin, &first, from, Some(preview.retries))
            .await
            .expect("retry");
        drain(&mut conn).await;
        assert_eq!(
            foretold,
            recorded(&mut conn, &admin, &retried).await,
            "case {i}"
        );
        // The later cases' workflows must not hear this case's deal again.
        verbs::pause(&mut conn, &Hooks::with_defaults(), &admin, &w.id)
            .await
            .expect("pause");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_preview_says_in_words_what_runs_again_and_what_was_made_before() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let w = active(&mut conn, &admin, onboarding(broken_update())).await;
    let first = failed_run(&mut conn, &admin).await;
    let writes_before = things::table
        .count()
        .get_result::<i64>(&mut conn)
        .await
        .unwrap();

    let preview = retry::preview(&mut conn, &admin, &first, RetryFrom::Start)
        .await
        .expect("preview");
    assert_eq!(preview.failed_step, Some(1));
    let words: Vec<&str> = preview.steps.iter().map(|s| s.words.as_str()).collect();
    assert!(words[0].starts_with("Creates a Customer named \u{201c}Acme\u{201d} again; the Customer made by the first run (customer_"), "{}", words[0]);
    assert!(
        words[1].starts_with("Would fail: The field $id"),
        "{}",
        words[1]
    );
    assert_eq!(words[2], "Not run: step 2 stops the run before it.");

    save(&mut conn, &admin, &w, onboarding(fixed_update())).await;
    let preview = retry::preview(&mut conn, &admin, &first, RetryFrom::FailedStep)
        .await
        .expect("preview");
    assert_eq!(preview.from_step, 1);
    assert!(
        preview.steps[0]
            .words
            .starts_with("Not run again: the first run's result (Customer customer_")
    );
    assert!(
        preview.steps[1]
            .words
            .starts_with("Changes Customer customer_"),
        "{}",
        preview.steps[1].words
    );
    assert!(preview.steps[1].words.ends_with(": sets tier."));
    assert_eq!(
        preview.steps[2].words,
        "Creates a Task named \u{201c}Welcome Acme\u{201d}."
    );
    // Nothing was written, and no run was queued.
    let writes_after = things::table
        .count()
        .get_result::<i64>(&mut conn)
        .await
        .unwrap();
    assert_eq!(writes_before, writes_after);
    assert_eq!(preview.retries, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_step_before_the_failed_one_allows_only_a_retry_from_the_start() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let w = active(&mut conn, &admin, onboarding(broken_update())).await;
    let first = failed_run(&mut conn, &admin).await;
    let mut changed = onboarding(fixed_update());
    changed.steps[0] = step("Customer.create", &[("name", "deal.name + \" Ltd\"")]);
    save(&mut conn, &admin, &w, changed).await;

    let preview = retry::preview(&mut conn, &admin, &first, RetryFrom::FailedStep)
        .await
        .expect("preview");
    let v1 = repo::workflow::fields_at(&mut conn, &admin.org.id, &w.id, 1)
        .await
        .unwrap();
    let v2 = repo::workflow::fields_at(&mut conn, &admin.org.id, &w.id, 2)
        .await
        .unwrap();
    assert_ne!(v1.steps[0], v2.steps[0]);
    assert_eq!(preview.failed_step, None);
    assert_eq!(preview.from, RetryFrom::Start);
    assert_eq!(
        preview.failed_step_refused.as_deref(),
        Some(
            "Step 1 changed since version 1, which this run ran, so its result cannot be reused: retry from the start."
        )
    );
    let refused = retry::retry(&mut conn, &admin, &first, RetryFrom::FailedStep, None).await;
    assert!(
        matches!(refused, Err(DomainError::Refused(ref m)) if m.starts_with("Step 1 changed")),
        "{refused:?}"
    );
    assert_eq!(
        repo::run::retries_of(&mut conn, &admin.org.id, &first, 1)
            .await
            .unwrap()
            .1,
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn retries_are_refused_for_paused_workflows_stale_pages_and_runs_in_flight() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let hooks = Hooks::with_defaults();
    let w = active(&mut conn, &admin, onboarding(broken_update())).await;
    let first = failed_run(&mut conn, &admin).await;

    verbs::pause(&mut conn, &hooks, &admin, &w.id)
        .await
        .expect("pause");
    let paused = retry::retry(&mut conn, &admin, &first, RetryFrom::Start, None).await;
    assert_eq!(
        paused,
        Err(DomainError::Refused(
            "The workflow is paused, so it runs nothing: activate it, then retry.".into()
        ))
    );
    let preview = retry::preview(&mut conn, &admin, &first, RetryFrom::Start)
        .await
        .unwrap();
    assert_eq!(
        preview.refused.as_deref(),
        Some("The workflow is paused, so it runs nothing: activate it, then retry.")
    );
    verbs::activate(&mut conn, &hooks, &admin, &w.id)
        .await
        .expect("activate");

    // A second click on a page that saw no retry queues nothing twice.
    let once = retry::retry(&mut conn, &admin, &first, RetryFrom::Start, Some(0)).await;
    assert!(once.is_ok());
    let twice = retry::retry(&mut conn, &admin, &first, RetryFrom::Start, Some(0)).await;
    assert!(
        matches!(twice, Err(DomainError::Refused(ref m)) if m.starts_with("This run was retried meanwhile")),
        "{twice:?}"
    );
    // The retry has not run yet: it cannot be retried itself.
    let in_flight = retry::retry(&mut conn, &admin, &once.unwrap(), RetryFrom::Start, None).await;
    assert!(
        matches!(in_flight, Err(DomainError::Refused(ref m)) if m.starts_with("The run has not ended yet"))
    );
    assert_eq!(
        runs::table
            .count()
            .get_result::<i64>(&mut conn)
            .await
            .unwrap(),
        2
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_viewer_previews_and_retries_nothing_and_another_organization_sees_no_run() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let viewer = member(&mut conn, "acme", Role::Viewer).await;
    let other = member(&mut conn, "globex", Role::Admin).await;
    active(&mut conn, &admin, onboarding(broken_update())).await;
    let first = failed_run(&mut conn, &admin).await;

    let preview = retry::preview(&mut conn, &viewer, &first, RetryFrom::Start)
        .await
        .unwrap();
    assert!(!preview.may_edit);
    assert_eq!(
        retry::retry(&mut conn, &viewer, &first, RetryFrom::Start, None).await,
        Err(DomainError::Forbidden)
    );
    assert_eq!(
        retry::cancel(&mut conn, &viewer, &first).await,
        Err(DomainError::Forbidden)
    );

    // Another organization's admin: exactly like a run that does not exist.
    let missing = RunId::from_path("run_Missing1").unwrap();
    for id in [&first, &missing] {
        assert_eq!(
            retry::preview(&mut conn, &other, id, RetryFrom::Start)
                .await
                .err(),
            Some(DomainError::NotFound)
        );
        assert_eq!(
            retry::retry(&mut conn, &other, id, RetryFrom::Start, None).await,
            Err(DomainError::NotFound)
        );
        assert_eq!(
            retry::cancel(&mut conn, &other, id).await,
            Err(DomainError::NotFound)
        );
    }
    assert_eq!(
        runs::table
            .count()
            .get_result::<i64>(&mut conn)
            .await
            .unwrap(),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_run_stops_after_the_step_in_hand_and_can_be_retried() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    active(&mut conn, &admin, onboarding(fixed_update())).await;
    let accepted = post(&mut conn, &admin, "Deal.won", deal()).await;
    let run = accepted.runs[0].clone();

    // A worker does step 1; the cancel comes while it holds the run.
    let now = OffsetDateTime::now_utc();
    let claim = engine::claim(&mut conn, "w1", LEASE, now)
        .await
        .unwrap()
        .expect("claim");
    let progress = engine::advance(&mut conn, "w1", &claim, LEASE, now)
        .await
        .unwrap();
    assert_eq!(progress, engine::Progress::Continue);
    retry::cancel(&mut conn, &admin, &run)
        .await
        .expect("cancel");
    retry::cancel(&mut conn, &admin, &run)
        .await
        .expect("asking twice is one request");
    let progress = engine::advance(&mut conn, "w1", &claim, LEASE, now)
        .await
        .unwrap();
    assert_eq!(
        progress,
        engine::Progress::Finished(switchyard::run::RunStatus::Cancelled)
    );
    assert_eq!(
        run_status(&mut conn, run.as_str()).await,
        (
            "Cancelled".into(),
            Some("Cancelled after step 1; the steps after it did not run.".into())
        )
    );
    let steps: Vec<String> = steps_of(&mut conn, run.as_str())
        .await
        .into_iter()
        .map(|s| s.1)
        .collect();
    assert_eq!(steps, ["Succeeded", "Skipped", "Skipped"]);
    assert_eq!(
        count_things(&mut conn, "Task", "subject", "Welcome Acme").await,
        0
    );
    let detail = switchyard::read_model::run::detail(&mut conn, &admin, &run)
        .await
        .unwrap();
    assert_eq!(detail.cancel_requested_by.as_deref(), Some("Admin"));

    // Ended: nothing to cancel. Retried from where it stopped, it finishes.
    let again = retry::cancel(&mut conn, &admin, &run).await;
    assert!(matches!(again, Err(DomainError::Refused(ref m)) if m.contains("already ended")));
    let retried = retry::retry(&mut conn, &admin, &run, RetryFrom::FailedStep, None)
        .await
        .unwrap();
    drain(&mut conn).await;
    assert_eq!(run_status(&mut conn, retried.as_str()).await.0, "Succeeded");
    assert_eq!(count_things(&mut conn, "Customer", "name", "Acme").await, 1);
    assert_eq!(
        count_things(&mut conn, "Task", "subject", "Welcome Acme").await,
        1
    );

    // A queued run that no worker has taken ends before its first step.
    let queued = post(&mut conn, &admin, "Deal.won", json!({"name": "Globex"}))
        .await
        .runs[0]
        .clone();
    retry::cancel(&mut conn, &admin, &queued).await.unwrap();
    drain(&mut conn).await;
    assert_eq!(
        run_status(&mut conn, queued.as_str()).await,
        (
            "Cancelled".into(),
            Some("Cancelled before its first step.".into())
        )
    );
    assert_eq!(
        count_things(&mut conn, "Customer", "name", "Globex").await,
        0
    );
}

/// `n` failed runs of a workflow whose second step fails, taken to their end.
async fn failed_runs(conn: &mut Conn, admin: &Member, n: usize) -> Workflow {
    let w = active(conn, admin, onboarding(broken_update())).await;
    for i in 0..n {
        post(
            conn,
            admin,
            "Deal.won",
            json!({ "name": format!("Deal {i}") }),
        )
        .await;
    }
    drain(conn).await;
    w
}

fn failed_of(w: &Workflow) -> switchyard::list_query::RunQuery {
    switchyard::list_query::RunQuery {
        workflow: Some(w.id.clone()),
        status: Some(switchyard::run::RunStatus::Failed),
        ..Default::default()
    }
}

async fn batch_runs(conn: &mut Conn, batch: &switchyard::id::BatchId) -> Vec<(String, String)> {
    runs::table
        .filter(runs::batch_id.eq((batch.as_str()).sql_nullable()))
        .select((runs::id, runs::status))
        .load(conn)
        .await
        .expect("batch runs")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bulk_retry_of_a_thousand_runs_queues_each_once_even_confirmed_twice_at_once() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let w = failed_runs(&mut conn, &admin, 1_000).await;
    let query = failed_of(&w);

    let preview = retry::bulk_preview(&mut conn, &admin, &query, RetryFrom::FailedStep)
        .await
        .expect("preview");
    assert_eq!((preview.retried, preview.over_limit), (1_000, false));
    assert!(preview.skipped.is_empty());
    let sample = preview.sample.expect("the preview of one");
    assert_eq!(sample.from_step, 1);
    assert_eq!(
        runs::table
            .count()
            .get_result::<i64>(&mut conn)
            .await
            .unwrap(),
        1_000
    );

    // The same confirm, sent twice at the same moment on two connections.
    let (mut one, mut two) = (db.conn().await, db.conn().await);
    let (a, b) = tokio::join!(
        retry::retry_bulk(
            &mut one,
            &admin,
            &query,
            RetryFrom::FailedStep,
            &preview.key
        ),
        retry::retry_bulk(
            &mut two,
            &admin,
            &query,
            RetryFrom::FailedStep,
            &preview.key
        ),
    );
    let (a, b) = (a.expect("first"), b.expect("second"));
    assert_eq!(a.batch, b.batch);
    assert_eq!((a.queued, b.queued), (1_000, 1_000));
    assert!(
        a.again != b.again,
        "one queued it, the other found it queued"
    );
    let queued = batch_runs(&mut conn, &a.batch).await;
    assert_eq!(queued.len(), 1_000);
    let repeated: std::collections::HashSet<Option<String>> = runs::table
        .filter(runs::batch_id.eq((a.batch.as_str()).sql_nullable()))
        .select(runs::retry_of)
        .load(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(repeated.len(), 1_000, "each failed run retried once");

    // Another confirm (a new key) finds nothing left to retry.
    let again = retry::retry_bulk(&mut conn, &admin, &query, RetryFrom::FailedStep, "another")
        .await
        .expect("another batch");
    assert_eq!(again.queued, 0);
    let progress = retry::batch(&mut conn, &admin, &a.batch)
        .await
        .expect("progress");
    assert_eq!(progress.total, 1_000);
    assert_eq!(progress.count(switchyard::run::RunStatus::Queued), 1_000);
    let recorded: i64 = events::table
        .filter(events::type_.eq("RunBatch.queued"))
        .count()
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(recorded, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn cancelling_a_batch_midway_leaves_no_run_half_done() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let w = failed_runs(&mut conn, &admin, 40).await;
    save(&mut conn, &admin, &w, onboarding(fixed_update())).await;
    let queued = retry::retry_bulk(&mut conn, &admin, &failed_of(&w), RetryFrom::Start, "k1")
        .await
        .expect("batch");
    assert_eq!(queued.queued, 40);

    // Ten runs end; one more is half-way (its first step done) when the cancel comes.
    let now = OffsetDateTime::now_utc();
    let finished = engine::drain_at_most(&mut conn, "w1", LEASE, &|| now, 10)
        .await
        .unwrap();
    assert_eq!(finished, 10);
    let claim = engine::claim(&mut conn, "w2", LEASE, now)
        .await
        .unwrap()
        .expect("claim");
    let progress = engine::advance(&mut conn, "w2", &claim, LEASE, now)
        .await
        .unwrap();
    assert_eq!(progress, engine::Progress::Continue);
    let cancelled = retry::cancel_batch(&mut conn, &admin, &queued.batch)
        .await
        .expect("cancel");
    assert_eq!(cancelled, 29);
    while let engine::Progress::Continue = engine::advance(&mut conn, "w2", &claim, LEASE, now)
        .await
        .unwrap()
    {}
    drain(&mut conn).await;

    let ended = batch_runs(&mut conn, &queued.batch).await;
    let count = |status: &str| ended.iter().filter(|(_, s)| s == status).count();
    assert_eq!((count("Succeeded"), count("Cancelled")), (11, 29));
    for (run, status) in &ended {
        let steps: Vec<String> = steps_of(&mut conn, run)
            .await
            .into_iter()
            .map(|s| s.1)
            .collect();
        let expected = if status == "Succeeded" {
            "Succeeded"
        } else {
            "Skipped"
        };
        assert!(
            steps.iter().all(|s| s == expected),
            "{run} {status}: {steps:?}"
        );
    }
    // Each succeeded retry made its Customer and its Task once; the cancelled ones made nothing.
    let tasks: i64 = things::table
        .filter(things::type_.eq("Task"))
        .count()
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(tasks, 11);
    let progress = retry::batch(&mut conn, &admin, &queued.batch)
        .await
        .unwrap();
    assert_eq!(progress.ended(), 40);
    assert_eq!(progress.cancel_requested_by.as_deref(), Some("Admin"));
}

#[tokio::test(flavor = "multi_thread")]
async fn bulk_retries_are_for_editors_and_another_organizations_batch_looks_missing() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let viewer = member(&mut conn, "acme", Role::Viewer).await;
    let other = member(&mut conn, "globex", Role::Admin).await;
    let w = failed_runs(&mut conn, &admin, 3).await;
    let query = failed_of(&w);

    let preview = retry::bulk_preview(&mut conn, &viewer, &query, RetryFrom::Start)
        .await
        .unwrap();
    assert_eq!((preview.retried, preview.may_edit), (3, false));
    assert_eq!(
        retry::retry_bulk(&mut conn, &viewer, &query, RetryFrom::Start, "k").await,
        Err(DomainError::Forbidden)
    );
    // Another organization filtering by acme's workflow sees what a missing workflow shows.
    let theirs = retry::bulk_preview(&mut conn, &other, &query, RetryFrom::Start)
        .await
        .unwrap();
    let missing = switchyard::list_query::RunQuery {
        workflow: Some(switchyard::WorkflowId::generate()),
        ..query.clone()
    };
    let control = retry::bulk_preview(&mut conn, &other, &missing, RetryFrom::Start)
        .await
        .unwrap();
    assert_eq!(
        (theirs.retried, theirs.sample),
        (control.retried, control.sample)
    );
    assert_eq!(theirs.retried, 0);
    let none = retry::retry_bulk(&mut conn, &other, &query, RetryFrom::Start, "k")
        .await
        .unwrap();
    assert_eq!(none.queued, 0);

    let batch = retry::retry_bulk(&mut conn, &admin, &query, RetryFrom::Start, "k")
        .await
        .unwrap();
    assert_eq!(batch.queued, 3);
    let missing_batch = switchyard::id::BatchId::generate();
    for id in [&batch.batch, &missing_batch] {
        assert_eq!(
            retry::batch(&mut conn, &other, id).await.err(),
            Some(DomainError::NotFound)
        );
        assert_eq!(
            retry::cancel_batch(&mut conn, &other, id).await,
            Err(DomainError::NotFound)
        );
    }
    assert_eq!(
        retry::cancel_batch(&mut conn, &viewer, &batch.batch).await,
        Err(DomainError::Forbidden)
    );
    // A paused workflow's failed runs are left out, and the preview says why.
    let hooks = Hooks::with_defaults();
    verbs::pause(&mut conn, &hooks, &admin, &w.id)
        .await
        .unwrap();
    let w2 = failed_runs(&mut conn, &admin, 2).await;
    verbs::pause(&mut conn, &hooks, &admin, &w2.id)
        .await
        .unwrap();
    let paused = retry::bulk_preview(&mut conn, &admin, &failed_of(&w2), RetryFrom::Start)
        .await
        .unwrap();
    assert_eq!(paused.retried, 0);
    assert_eq!(paused.skipped, [("Onboarding is paused".to_owned(), 2)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_shows_conditions_values_and_errors_and_writes_nothing() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let mut gated = step("Task.create", &[("subject", "\"Big deal: \" + deal.name")]);
    gated.condition = "deal.amount > 1000".into();
    let input = workflow(
        vec![
            step("Customer.create", &[("name", "deal.name")]),
            gated,
            step(
                "Customer.update",
                &[("$id", "step.0.$id"), ("tier", "gold")],
            ),
            broken_update(),
        ],
        "Stop",
    );
    let w = active(&mut conn, &admin, input.clone()).await;
    let before = things::table
        .count()
        .get_result::<i64>(&mut conn)
        .await
        .unwrap();
    let events_before = events::table
        .count()
        .get_result::<i64>(&mut conn)
        .await
        .unwrap();

    let dry = dry_run_saved(
        &mut conn,
        &admin,
        &w.id,
        r#"{"name": "Globex", "amount": 5000}"#,
    )
    .await
    .expect("dry run");
    let effects: Vec<&Effect> = dry.steps.iter().map(|s| &s.effect).collect();
    assert_eq!(
        effects,
        [
            &Effect::Creates {
                noun: "Customer".into()
            },
            &Effect::Creates {
                noun: "Task".into()
            },
            &Effect::Changes {
                noun: "Customer".into()
            },
            &Effect::Fails { stops: true },
        ]
    );
    assert_eq!(dry.steps[1].condition, Some(true));
    assert_eq!(
        dry.steps[1].fields,
        [("subject".to_owned(), json!("Big deal: Globex"))]
    );
    assert_eq!(
        dry.steps[2].words,
        "Changes the new Customer of step 1: sets tier."
    );
    assert!(
        dry.steps[3]
            .words
            .starts_with("Would fail: The field $id must say which Customer to change"),
        "{}",
        dry.steps[3].words
    );

    // A small deal skips the gated step; bad sample data is a field error.
    let small = dry_run_saved(
        &mut conn,
        &admin,
        &w.id,
        r#"{"name": "Initech", "amount": 10}"#,
    )
    .await
    .unwrap();
    assert_eq!(
        (small.steps[1].effect.clone(), small.steps[1].condition),
        (Effect::Skipped, Some(false))
    );
    let bad = dry_run_saved(&mut conn, &admin, &w.id, "{ not json").await;
    assert!(
        matches!(bad, Err(DomainError::Validation(ref f)) if f[0].field == "sample"),
        "{bad:?}"
    );

    // The unsaved form: its own errors first, else its steps as typed.
    let mut typed = input.clone();
    typed.steps.truncate(1);
    let form = dry_run_input(
        &mut conn,
        &admin,
        Some(&w.id),
        &typed,
        r#"{"name": "Hooli"}"#,
    )
    .await
    .unwrap();
    assert_eq!(form.steps.len(), 1);
    typed.name.clear();
    let refused = dry_run_input(&mut conn, &admin, None, &typed, "{}").await;
    assert!(
        matches!(refused, Err(DomainError::Validation(ref f)) if f[0].field == "name"),
        "{refused:?}"
    );

    assert_eq!(
        things::table
            .count()
            .get_result::<i64>(&mut conn)
            .await
            .unwrap(),
        before
    );
    assert_eq!(
        events::table
            .count()
            .get_result::<i64>(&mut conn)
            .await
            .unwrap(),
        events_before
    );
    assert_eq!(
        runs::table
            .count()
            .get_result::<i64>(&mut conn)
            .await
            .unwrap(),
        0
    );

    // Another organization's workflow looks missing.
    let other = member(&mut conn, "globex", Role::Admin).await;
    assert_eq!(
        dry_run_saved(&mut conn, &other, &w.id, "{}").await.err(),
        Some(DomainError::NotFound)
    );
}
