//! Runs side by side: several workers claiming at once, runs that overlap, a workflow edited or
//! paused while its runs are in flight.

use crate::engine::{LEASE, active, deal, onboarding, post, run_status, step};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use switchyard::engine::{self, Progress};
use switchyard::hooks::Hooks;
use switchyard::run::RunStatus;
use switchyard::schema::{run_steps, runs, things};
use switchyard::sql_text::Sql;
use switchyard::testing::{TestDb, member};
use switchyard::workflow::WorkflowInput;
use switchyard::{Role, Status, verbs};
use time::{Duration, OffsetDateTime};

/// Advances the claimed run step by step until it is no longer `Continue`.
async fn to_the_end(
    conn: &mut switchyard::db::Conn,
    worker: &str,
    claim: &engine::Claim,
    at: OffsetDateTime,
) -> Progress {
    loop {
        let progress = engine::advance(conn, worker, claim, LEASE, at)
            .await
            .expect("step");
        if progress != Progress::Continue {
            return progress;
        }
    }
}

async fn status_of(
    conn: &mut switchyard::db::Conn,
    admin: &switchyard::Member,
    id: &switchyard::WorkflowId,
) -> switchyard::Workflow {
    switchyard::repo::workflow::get(conn, &admin.org.id, id)
        .await
        .expect("workflow")
}

#[tokio::test(flavor = "multi_thread")]
async fn several_workers_claiming_at_once_run_each_run_once() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let w = active(&mut conn, &admin, onboarding()).await;
    let mut queued = Vec::new();
    for i in 0..40 {
        let accepted = post(
            &mut conn,
            &admin,
            "Deal.won",
            json!({"name": format!("Deal {i}")}),
        )
        .await;
        queued.extend(accepted.runs);
    }
    drop(conn);
    let now = OffsetDateTime::now_utc();
    let workers: Vec<_> = (0..4)
        .map(|n| {
            let pool = db.pool.clone();
            tokio::spawn(async move {
                let mut conn = pool.get().await.expect("connection");
                engine::drain(&mut conn, &format!("w{n}"), LEASE, now)
                    .await
                    .expect("drain")
            })
        })
        .collect();
    let mut finished = 0;
    for worker in workers {
        finished += worker.await.expect("worker");
    }
    assert_eq!(finished, 40, "every run finished by exactly one worker");
    let mut conn = db.conn().await;
    let made: i64 = things::table
        .count()
        .get_result(&mut conn)
        .await
        .expect("things");
    assert_eq!(made, 40 * 4, "each step of each run ran once");
    let attempts: Vec<i32> = run_steps::table
        .select(run_steps::attempts)
        .load(&mut conn)
        .await
        .expect("steps");
    assert_eq!(attempts.len(), 160);
    assert!(attempts.iter().all(|a| *a == 1), "no step was tried twice");
    let succeeded: i64 = runs::table
        .filter(runs::status.eq(RunStatus::Succeeded.sql()))
        .count()
        .get_result(&mut conn)
        .await
        .expect("runs");
    assert_eq!(succeeded, 40);
    let w = status_of(&mut conn, &admin, &w.id).await;
    assert_eq!(
        (w.run_count, w.success_count, w.status),
        (40, 40, Status::Activated)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_keeps_the_version_it_was_queued_with_while_the_workflow_is_edited() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let input = WorkflowInput {
        name: "Versioned".into(),
        trigger_event: "Deal.won".into(),
        steps: vec![step(
            "Note.create",
            &[("text", "\"version one: \" + deal.name")],
        )],
        ..Default::default()
    };
    let w = active(&mut conn, &admin, input.clone()).await;
    let accepted = post(&mut conn, &admin, "Deal.won", deal()).await;
    let mut edited = input;
    edited.steps = vec![
        step("Note.create", &[("text", "\"version two: \" + deal.name")]),
        step("Task.create", &[("subject", "\"more\"")]),
    ];
    let hooks = Hooks::with_defaults();
    let updated = verbs::update(&mut conn, &hooks, &admin, &w.id, w.version, &edited)
        .await
        .expect("edit while queued");
    assert_eq!(updated.version, w.version + 1);
    engine::drain(&mut conn, "w1", LEASE, OffsetDateTime::now_utc())
        .await
        .expect("drain");
    let run = accepted.runs[0].to_string();
    let (version, status): (i32, RunStatus) = runs::table
        .find(run.sql())
        .select((runs::workflow_version, runs::status))
        .first(&mut conn)
        .await
        .expect("run");
    assert_eq!((version, status), (w.version, RunStatus::Succeeded));
    let outputs: Vec<Option<serde_json::Value>> = run_steps::table
        .filter(run_steps::run_id.eq(run.sql()))
        .order(run_steps::idx)
        .select(run_steps::output)
        .load(&mut conn)
        .await
        .expect("steps");
    assert_eq!(outputs.len(), 1, "the queued version had one step");
    assert_eq!(
        outputs[0].as_ref().expect("note")["text"],
        "version one: Acme"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn overlapping_runs_keep_the_workflow_triggered_until_the_last_one_ends() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let w = active(&mut conn, &admin, onboarding()).await;
    post(&mut conn, &admin, "Deal.won", deal()).await;
    post(&mut conn, &admin, "Deal.won", deal()).await;
    let t = OffsetDateTime::now_utc();
    let a = engine::claim(&mut conn, "wa", LEASE, t)
        .await
        .expect("claim")
        .expect("a");
    let b = engine::claim(&mut conn, "wb", LEASE, t)
        .await
        .expect("claim")
        .expect("b");
    assert_ne!(a.run, b.run);
    // Both start; the workflow is Triggered.
    for (worker, claim) in [("wa", &a), ("wb", &b)] {
        let progress = engine::advance(&mut conn, worker, claim, LEASE, t)
            .await
            .expect("step");
        assert_eq!(progress, Progress::Continue);
    }
    assert_eq!(
        status_of(&mut conn, &admin, &w.id).await.status,
        Status::Triggered
    );
    // A ends while B is still in flight: still Triggered.
    let progress = to_the_end(&mut conn, "wa", &a, t).await;
    assert_eq!(progress, Progress::Finished(RunStatus::Succeeded));
    let now = status_of(&mut conn, &admin, &w.id).await;
    assert_eq!((now.status, now.success_count), (Status::Triggered, 1));
    // B ends, the last in flight: back to Activated.
    to_the_end(&mut conn, "wb", &b, t).await;
    let now = status_of(&mut conn, &admin, &w.id).await;
    assert_eq!(
        (now.status, now.run_count, now.success_count),
        (Status::Activated, 2, 2)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_workflow_paused_mid_run_stays_paused_when_the_run_ends() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let w = active(&mut conn, &admin, onboarding()).await;
    let accepted = post(&mut conn, &admin, "Deal.won", deal()).await;
    let t = OffsetDateTime::now_utc();
    let claim = engine::claim(&mut conn, "w1", LEASE, t)
        .await
        .expect("claim")
        .expect("run");
    assert_eq!(
        engine::advance(&mut conn, "w1", &claim, LEASE, t)
            .await
            .expect("step"),
        Progress::Continue
    );
    assert_eq!(
        status_of(&mut conn, &admin, &w.id).await.status,
        Status::Triggered
    );
    let paused = verbs::pause(&mut conn, &Hooks::with_defaults(), &admin, &w.id)
        .await
        .expect("pause mid-run");
    assert_eq!(paused.status, Status::Paused);
    let progress = to_the_end(&mut conn, "w1", &claim, t + Duration::seconds(1)).await;
    assert_eq!(progress, Progress::Finished(RunStatus::Succeeded));
    assert_eq!(
        run_status(&mut conn, &accepted.runs[0].to_string()).await.0,
        RunStatus::Succeeded.as_str()
    );
    let after = status_of(&mut conn, &admin, &w.id).await;
    assert_eq!(
        (after.status, after.run_count, after.success_count),
        (Status::Paused, 1, 1),
        "the run's end counts, and the pause stays"
    );
}

/// The version of the workflow's row as stored (PostgreSQL's `xmin`): every update of the row
/// writes a new version.
async fn row_version(conn: &mut switchyard::db::Conn, id: &switchyard::WorkflowId) -> String {
    use diesel::dsl::sql;
    use diesel::sql_types::Text;
    switchyard::schema::workflows::table
        .find(id.sql())
        .select(sql::<Text>("xmin::text"))
        .first(conn)
        .await
        .expect("xmin")
}

#[tokio::test(flavor = "multi_thread")]
async fn runs_of_a_busy_workflow_do_not_write_its_row_and_its_counters_read_exactly() {
    use switchyard::schema::workflows;
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let w = active(&mut conn, &admin, onboarding()).await;
    for _ in 0..3 {
        post(&mut conn, &admin, "Deal.won", deal()).await;
    }
    // Whole seconds: PostgreSQL keeps microseconds.
    let t = (OffsetDateTime::now_utc() + Duration::minutes(1))
        .replace_nanosecond(0)
        .expect("time");
    // One run stays in flight: the workflow is Triggered while the others start and end.
    let held = engine::claim(&mut conn, "wa", LEASE, t)
        .await
        .expect("claim")
        .expect("a run");
    let progress = engine::advance(&mut conn, "wa", &held, LEASE, t)
        .await
        .expect("step");
    assert_eq!(progress, Progress::Continue);
    let before = row_version(&mut conn, &w.id).await;
    let finished = engine::drain(&mut conn, "wb", LEASE, t + Duration::seconds(1))
        .await
        .expect("drain");
    assert_eq!(finished, 2);
    assert_eq!(
        row_version(&mut conn, &w.id).await,
        before,
        "two runs started and ended without writing the workflow's row"
    );
    let stored: (i64, i64, Option<OffsetDateTime>) = workflows::table
        .find(w.id.sql())
        .select((
            workflows::run_count,
            workflows::success_count,
            workflows::last_run_at,
        ))
        .first(&mut conn)
        .await
        .expect("row");
    assert_eq!(stored, (0, 0, None), "nothing folded yet");
    let read = status_of(&mut conn, &admin, &w.id).await;
    assert_eq!(
        (
            read.status,
            read.run_count,
            read.success_count,
            read.failure_count
        ),
        (Status::Triggered, 3, 2, 0),
        "the reads add what is not folded"
    );
    assert_eq!(read.last_run_at, Some(t + Duration::seconds(1)));
    // The fold moves the counts onto the row; the reads stay the same.
    switchyard::housekeeping::fold(&mut conn)
        .await
        .expect("fold");
    let stored: (i64, i64, Option<OffsetDateTime>) = workflows::table
        .find(w.id.sql())
        .select((
            workflows::run_count,
            workflows::success_count,
            workflows::last_run_at,
        ))
        .first(&mut conn)
        .await
        .expect("row");
    assert_eq!(stored, (3, 2, Some(t + Duration::seconds(1))));
    let folded = status_of(&mut conn, &admin, &w.id).await;
    assert_eq!(folded, read, "the same workflow before and after the fold");
    // The last run in flight ends: back to Activated, and the counters go on from the row.
    let progress = to_the_end(&mut conn, "wa", &held, t + Duration::seconds(2)).await;
    assert_eq!(progress, Progress::Finished(RunStatus::Succeeded));
    let last = status_of(&mut conn, &admin, &w.id).await;
    assert_eq!(
        (last.status, last.run_count, last.success_count),
        (Status::Activated, 3, 3)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_with_one_failing_run_commits_the_others_steps_once() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let w = active(&mut conn, &admin, onboarding()).await;
    let mut queued = Vec::new();
    for _ in 0..3 {
        queued.extend(post(&mut conn, &admin, "Deal.won", deal()).await.runs);
    }
    let doomed = queued[1].to_string();
    // Every step record of the middle run fails inside the database, as a broken row would.
    diesel::sql_query(format!(
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS
         $$ BEGIN IF NEW.run_id = '{doomed}' THEN RAISE EXCEPTION 'disk on fire'; END IF;
                  RETURN NEW; END $$"
    ))
    .execute(&mut conn)
    .await
    .expect("function");
    diesel::sql_query(
        "CREATE TRIGGER refuse BEFORE INSERT ON run_steps FOR EACH ROW EXECUTE FUNCTION refuse()",
    )
    .execute(&mut conn)
    .await
    .expect("trigger");
    let t = OffsetDateTime::now_utc() + Duration::minutes(1);
    let mut turn = engine::Turn::default();
    let claimed = engine::claim_batch(&mut conn, "w1", LEASE, t, 10, &mut turn)
        .await
        .expect("claim");
    let mut claims: Vec<engine::Claim> = claimed.into_iter().map(|(claim, _)| claim).collect();
    assert_eq!(claims.len(), 3, "one statement claimed the three runs");
    // The first round: the doomed run fails alone, the others take their first step.
    let results = engine::advance_all(&mut conn, "w1", &claims, LEASE, t)
        .await
        .expect("batch");
    for (claim, result) in claims.iter().zip(&results) {
        if claim.run.to_string() == doomed {
            let error = result.as_ref().expect_err("the doomed run fails");
            assert!(error.to_string().contains("disk on fire"), "{error}");
        } else {
            assert_eq!(result.as_ref().ok(), Some(&Progress::Continue));
        }
    }
    claims.retain(|c| c.run.to_string() != doomed);
    let mut rounds = 1;
    loop {
        let results = engine::advance_all(&mut conn, "w1", &claims, LEASE, t)
            .await
            .expect("batch");
        rounds += 1;
        let finished = results
            .iter()
            .all(|r| *r == Ok(Progress::Finished(RunStatus::Succeeded)));
        if finished {
            break;
        }
        assert!(results.iter().all(|r| *r == Ok(Progress::Continue)));
        assert!(rounds < 10, "the runs end");
    }
    assert_eq!(rounds, 4, "four steps, one a round");
    for run in &queued {
        let run = run.to_string();
        let steps: Vec<i32> = run_steps::table
            .filter(run_steps::run_id.eq(run.sql()))
            .select(run_steps::attempts)
            .load(&mut conn)
            .await
            .expect("steps");
        if run == doomed {
            assert!(steps.is_empty(), "the failed run's step was rolled back");
        } else {
            assert_eq!(steps, [1, 1, 1, 1], "each step of {run} done once");
        }
    }
    let made: i64 = things::table
        .count()
        .get_result(&mut conn)
        .await
        .expect("things");
    assert_eq!(made, 2 * 4, "no effect of the failed run's step was kept");
    let (stalls, error, owner): (i32, Option<String>, Option<String>) = runs::table
        .find(doomed.sql())
        .select((runs::stalls, runs::error, runs::lease_owner))
        .first(&mut conn)
        .await
        .expect("run");
    assert_eq!(stalls, 1, "the failed try is recorded");
    assert!(error.is_some_and(|e| e.contains("disk on fire")));
    assert_eq!(owner, None, "and the run handed back");
    let read = status_of(&mut conn, &admin, &w.id).await;
    assert_eq!(
        (read.run_count, read.success_count, read.status),
        (2, 2, Status::Triggered),
        "the doomed run's start was rolled back, and it is still in flight"
    );
}
