//! No workflow can take Switchyard down: chains are capped in breadth as well as depth, a run
//! records a bounded number of events, workers serve organizations in turn, and a run the
//! engine keeps failing on ends Failed instead of being tried for ever.

use crate::engine::{LEASE, active, post, run_status, step};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use switchyard::Role;
use switchyard::engine::{self, Limits, STALLS_MAX};
use switchyard::entity::Member;
use switchyard::ingest;
use switchyard::run::RunStatus;
use switchyard::schema::{events, runs};
use switchyard::sql_text::Sql;
use switchyard::testing::{TestDb, member};
use switchyard::workflow::WorkflowInput;
use time::{Duration, OffsetDateTime};

/// Drains until nothing is left that is due a minute from now (runs queued by steps are due
/// from the database's clock on); returns how many runs ended.
async fn drain_all(conn: &mut switchyard::db::Conn, limits: &Limits) -> usize {
    let mut finished = 0;
    loop {
        let now = OffsetDateTime::now_utc() + Duration::minutes(1);
        let n = engine::drain_within(conn, "w1", LEASE, now, limits)
            .await
            .expect("drain");
        if n == 0 {
            return finished;
        }
        finished += n;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fan_out_stops_at_a_thousand_runs_with_the_reason_on_the_run_and_the_event() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    // Every run starts three more: 1, 3, 9, … 729 runs deep down; 1,093 by the sixth link.
    let ping = || {
        step(
            "Event.create",
            &[("type", "\"Ping.sent\""), ("data", "ping")],
        )
    };
    let fan = WorkflowInput {
        name: "Fan".into(),
        trigger_event: "Ping.sent".into(),
        steps: vec![ping(), ping(), ping()],
        ..Default::default()
    };
    active(&mut conn, &admin, fan).await;
    post(&mut conn, &admin, "Ping.sent", json!({})).await;
    let finished = drain_all(&mut conn, &Limits::DEFAULT).await;
    assert_eq!(finished, 1_000, "the chain's runs in all");
    let count: i64 = runs::table
        .count()
        .get_result(&mut conn)
        .await
        .expect("runs");
    assert_eq!(count, 1_000);
    let succeeded: i64 = runs::table
        .filter(runs::status.eq(RunStatus::Succeeded.sql()))
        .count()
        .get_result(&mut conn)
        .await
        .expect("runs");
    assert_eq!(succeeded, 1_000, "the runs themselves did their work");
    let notes: Vec<Option<String>> = events::table
        .filter(events::type_.eq("Ping.sent"))
        .filter(events::note.is_not_null())
        .select(events::note)
        .load(&mut conn)
        .await
        .expect("events");
    assert!(!notes.is_empty());
    let note = notes[0].clone().expect("note");
    assert!(note.contains("1000 runs, the most one chain may"), "{note}");
    let notices: Vec<Option<String>> = runs::table
        .filter(runs::notice.is_not_null())
        .select(runs::notice)
        .load(&mut conn)
        .await
        .expect("runs");
    assert!(
        !notices.is_empty(),
        "the runs whose events started nothing say so"
    );
    assert!(notices[0].as_deref().is_some_and(|n| n.contains(&note)));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_records_at_most_its_share_of_events_and_the_step_says_so() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let note = || step("Event.create", &[("type", "\"Note.sent\"")]);
    let chatty = WorkflowInput {
        name: "Chatty".into(),
        trigger_event: "Deal.won".into(),
        steps: vec![note(), note(), note()],
        ..Default::default()
    };
    active(&mut conn, &admin, chatty).await;
    let accepted = post(&mut conn, &admin, "Deal.won", json!({})).await;
    let limits = Limits {
        run_events: 2,
        ..Limits::DEFAULT
    };
    assert_eq!(drain_all(&mut conn, &limits).await, 1);
    let (status, error) = run_status(&mut conn, &accepted.runs[0].to_string()).await;
    assert_eq!(status, RunStatus::Failed.as_str());
    assert_eq!(
        error.as_deref(),
        Some(
            "Step 3 (Event.create): Stopped: this run has recorded 2 events, the most one run may; Note.sent was not recorded."
        )
    );
    let sent: i64 = events::table
        .filter(events::type_.eq("Note.sent"))
        .count()
        .get_result(&mut conn)
        .await
        .expect("events");
    assert_eq!(sent, 2);
}

/// A one-step workflow in each organization; `queued` runs of `busy`'s (one posted, the rest
/// copies of it), then one of `calm`'s, which is returned.
async fn backlog(
    conn: &mut switchyard::db::Conn,
    busy: &Member,
    calm: &Member,
    queued: i32,
) -> ingest::Accepted {
    let one_step = |name: &str| WorkflowInput {
        name: name.into(),
        trigger_event: "Deal.won".into(),
        steps: vec![step("Note.create", &[("text", "deal.name")])],
        ..Default::default()
    };
    active(conn, busy, one_step("Busy")).await;
    active(conn, calm, one_step("Calm")).await;
    let first = post(conn, busy, "Deal.won", json!({"name": "one"})).await;
    diesel::sql_query(
        "INSERT INTO runs (id, org_id, workflow_id, workflow_version, event_id, status, depth, chain_root, run_at, queued_at)
         SELECT 'run_b' || lpad(i::text, 7, '0'), org_id, workflow_id, workflow_version, event_id, status, depth, chain_root, run_at, queued_at
         FROM runs, generate_series(1, $2 - 1) AS i WHERE id = $1",
    )
    .bind::<diesel::sql_types::Text, _>(first.runs[0].as_str())
    .bind::<diesel::sql_types::Integer, _>(queued)
    .execute(conn)
    .await
    .expect("backlog");
    post(conn, calm, "Deal.won", json!({"name": "two"})).await
}

#[tokio::test(flavor = "multi_thread")]
async fn one_organizations_backlog_does_not_hold_up_anothers_run() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let busy = member(&mut conn, "busy", Role::Admin).await;
    let calm = member(&mut conn, "calm", Role::Admin).await;
    // Ten thousand queued runs of the busy organization.
    let theirs = backlog(&mut conn, &busy, &calm, 10_000).await;
    let now = OffsetDateTime::now_utc() + Duration::seconds(1);
    // Two claims: the calm organization's run is one of them, whoever comes first.
    let finished = engine::drain_at_most(&mut conn, "w1", LEASE, &|| now, 2)
        .await
        .expect("drain");
    assert_eq!(finished, 2);
    assert_eq!(
        run_status(&mut conn, &theirs.runs[0].to_string()).await.0,
        RunStatus::Succeeded.as_str()
    );
    let waiting: i64 = runs::table
        .filter(runs::status.eq(RunStatus::Queued.sql()))
        .count()
        .get_result(&mut conn)
        .await
        .expect("runs");
    assert_eq!(
        waiting, 9_999,
        "one of the busy organization's runs went meanwhile"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn one_organizations_backlog_does_not_hold_up_anothers_run_in_batches_either() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let one = member(&mut conn, "busy", Role::Admin).await;
    let two = member(&mut conn, "calm", Role::Admin).await;
    // The busy organization comes first by id: claims start there.
    let (busy, calm) = if one.org.id < two.org.id {
        (one, two)
    } else {
        (two, one)
    };
    // A thousand queued runs of the busy organization.
    let theirs = backlog(&mut conn, &busy, &calm, 1_000).await;
    let now = OffsetDateTime::now_utc() + Duration::seconds(1);
    // Two batches of 16: the second starts after the busy organization, with the calm one's run
    // (without turns, the busy one's first 32 runs would fill both).
    let mut turn = engine::Turn::default();
    let mut claimed = Vec::new();
    for _ in 0..2 {
        let batch = engine::claim_batch(&mut conn, "w1", LEASE, now, 16, &mut turn)
            .await
            .expect("claim");
        assert_eq!(batch.len(), 16);
        claimed.extend(batch.into_iter().map(|(claim, _)| claim.run));
    }
    assert!(
        claimed.contains(&theirs.runs[0]),
        "the calm organization's run was claimed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_the_engine_keeps_failing_on_ends_failed_with_the_reason() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let w = active(
        &mut conn,
        &admin,
        WorkflowInput {
            name: "Doomed".into(),
            trigger_event: "Deal.won".into(),
            steps: vec![step("Note.create", &[("text", "deal.name")])],
            ..Default::default()
        },
    )
    .await;
    // Every write of a step fails inside the database, as a full disk would.
    diesel::sql_query(
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS
         $$ BEGIN RAISE EXCEPTION 'disk on fire'; END $$",
    )
    .execute(&mut conn)
    .await
    .expect("function");
    diesel::sql_query(
        "CREATE TRIGGER refuse BEFORE INSERT ON run_steps FOR EACH ROW EXECUTE FUNCTION refuse()",
    )
    .execute(&mut conn)
    .await
    .expect("trigger");
    let accepted = post(&mut conn, &admin, "Deal.won", json!({"name": "Acme"})).await;
    let run = accepted.runs[0].to_string();
    let t0 = OffsetDateTime::now_utc();
    for attempt in 0..STALLS_MAX {
        let at = t0 + engine::STALL_PAUSE * attempt;
        assert_eq!(
            engine::drain(&mut conn, "w1", LEASE, at)
                .await
                .expect("drain"),
            0
        );
        let (status, error): (RunStatus, Option<String>) = runs::table
            .find(run.sql())
            .select((runs::status, runs::error))
            .first(&mut conn)
            .await
            .expect("run");
        assert_eq!(
            status,
            RunStatus::Running,
            "try {attempt}: handed back, not ended"
        );
        assert!(error.is_some_and(|e| e.contains("disk on fire")));
    }
    let at = t0 + engine::STALL_PAUSE * STALLS_MAX;
    assert_eq!(
        engine::drain(&mut conn, "w1", LEASE, at)
            .await
            .expect("drain"),
        1
    );
    let (status, error) = run_status(&mut conn, &run).await;
    assert_eq!(status, RunStatus::Failed.as_str());
    let error = error.expect("error");
    assert!(
        error.starts_with("Switchyard could not carry on with this run: step 1 stopped 3 times")
            && error.contains("disk on fire"),
        "{error}"
    );
    let w = switchyard::repo::workflow::get(&mut conn, &admin.org.id, &w.id)
        .await
        .expect("w");
    assert_eq!(
        (w.run_count, w.failure_count, w.status),
        (1, 1, switchyard::Status::Activated)
    );
    assert_eq!(
        engine::drain(&mut conn, "w1", LEASE, at + Duration::hours(1))
            .await
            .expect("drain"),
        0,
        "and it is not tried again"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_partial_indexes_hold_exactly_the_statuses_their_queries_ask_for() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    #[derive(QueryableByName)]
    struct Index {
        #[diesel(sql_type = diesel::sql_types::Text)]
        indexdef: String,
    }
    let names: Vec<String> = RunStatus::IN_FLIGHT
        .iter()
        .map(|s| format!("'{}'::text", s.as_str()))
        .collect();
    let in_flight = format!("WHERE (status = ANY (ARRAY[{}]))", names.join(", "));
    let running = format!("WHERE (status = '{}'::text)", RunStatus::Running.as_str());
    for (index, predicate) in [("runs_ready", in_flight), ("runs_running", running)] {
        let found: Index =
            diesel::sql_query("SELECT indexdef FROM pg_indexes WHERE indexname = $1")
                .bind::<diesel::sql_types::Text, _>(index)
                .get_result(&mut conn)
                .await
                .expect("index");
        assert!(
            found.indexdef.ends_with(&predicate),
            "{index}: {}",
            found.indexdef
        );
    }
}
