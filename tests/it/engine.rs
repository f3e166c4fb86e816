use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use switchyard::engine::{self, Progress};
use switchyard::entity::{EventSource, Member};
use switchyard::hooks::Hooks;
use switchyard::ingest::{self, PostedEvent};
use switchyard::run::RunStatus;
use switchyard::schema::{events, run_steps, runs, things};
use switchyard::sql_text::Sql;
use switchyard::testing::{TestDb, member};
use switchyard::workflow::{MappingRow, StepInput, WorkflowInput};
use switchyard::{Role, Status, Workflow, verbs};
use time::{Duration, OffsetDateTime};

pub const LEASE: Duration = Duration::seconds(30);

pub fn step(action: &str, rows: &[(&str, &str)]) -> StepInput {
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

pub async fn active(
    conn: &mut switchyard::db::Conn,
    admin: &Member,
    input: WorkflowInput,
) -> Workflow {
    let hooks = Hooks::with_defaults();
    let w = verbs::create(conn, &hooks, admin, &input)
        .await
        .expect("create");
    verbs::activate(conn, &hooks, admin, &w.id)
        .await
        .expect("activate")
}

pub fn onboarding() -> WorkflowInput {
    WorkflowInput {
        name: "Customer Onboarding".into(),
        trigger_event: "Deal.won".into(),
        steps: vec![
            step(
                "Customer.create",
                &[("name", "deal.name"), ("contact", "deal.contact")],
            ),
            step(
                "Subscription.create",
                &[("plan", "deal.plan"), ("customer", "step.0.$id")],
            ),
            step(
                "Project.create",
                &[("name", "\"Onboarding: \" + deal.name")],
            ),
            step(
                "Activity.create",
                &[
                    ("subject", "\"Welcome call with \" + deal.contact.name"),
                    ("type", "Call"),
                ],
            ),
        ],
        error_handling: "Stop".into(),
        ..Default::default()
    }
}

pub async fn post(
    conn: &mut switchyard::db::Conn,
    admin: &Member,
    event_type: &str,
    data: Value,
) -> ingest::Accepted {
    let posted = PostedEvent {
        event_type: event_type.into(),
        data,
        id: None,
    };
    ingest::ingest(conn, &admin.org.id, &posted, EventSource::Api, None)
        .await
        .expect("ingest")
}

pub async fn steps_of(conn: &mut switchyard::db::Conn, run: &str) -> Vec<(String, String, i32)> {
    run_steps::table
        .filter(run_steps::run_id.eq(run.sql()))
        .order(run_steps::idx.asc())
        .select((run_steps::action, run_steps::status, run_steps::attempts))
        .load(conn)
        .await
        .expect("steps")
}

pub async fn run_status(conn: &mut switchyard::db::Conn, run: &str) -> (String, Option<String>) {
    runs::table
        .find(run.sql())
        .select((runs::status, runs::error))
        .first(conn)
        .await
        .expect("run")
}

pub fn deal() -> Value {
    json!({"name": "Acme", "amount": 5000, "plan": "pro", "contact": {"name": "Ada", "email": "ada@acme.test"}})
}

#[tokio::test(flavor = "multi_thread")]
async fn the_spec_example_runs_every_step_and_keeps_the_counters() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let w = active(&mut conn, &admin, onboarding()).await;
    let accepted = post(&mut conn, &admin, "Deal.won", deal()).await;
    let now = OffsetDateTime::now_utc();
    assert_eq!(
        engine::drain(&mut conn, "w1", LEASE, now)
            .await
            .expect("drain"),
        1
    );
    let run = accepted.runs[0].to_string();
    assert_eq!(
        run_status(&mut conn, &run).await,
        (RunStatus::Succeeded.as_str().into(), None)
    );
    let statuses: Vec<String> = steps_of(&mut conn, &run)
        .await
        .into_iter()
        .map(|s| s.1)
        .collect();
    assert_eq!(statuses, ["Succeeded"; 4]);
    let outputs: Vec<Option<Value>> = run_steps::table
        .filter(run_steps::run_id.eq(run.sql()))
        .order(run_steps::idx)
        .select(run_steps::output)
        .load(&mut conn)
        .await
        .expect("o");
    let customer = outputs[0].as_ref().expect("customer")["$id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert!(customer.starts_with("customer_"), "{customer}");
    assert_eq!(
        outputs[1].as_ref().expect("sub")["customer"],
        json!(customer),
        "step.0.$id reaches the next step"
    );
    assert_eq!(
        outputs[2].as_ref().expect("project")["name"],
        "Onboarding: Acme"
    );
    assert_eq!(
        outputs[3].as_ref().expect("activity")["subject"],
        "Welcome call with Ada"
    );
    let made: i64 = things::table
        .filter(things::org_id.eq(admin.org.id.sql()))
        .count()
        .get_result(&mut conn)
        .await
        .expect("things");
    assert_eq!(made, 4);
    let w = switchyard::repo::workflow::get(&mut conn, &admin.org.id, &w.id)
        .await
        .expect("w");
    assert_eq!(
        (w.run_count, w.success_count, w.failure_count, w.status),
        (1, 1, 0, Status::Activated)
    );
    assert!(w.last_run_at.is_some());
    let types: Vec<String> = events::table
        .filter(events::org_id.eq(admin.org.id.sql()))
        .order(events::seq)
        .select(events::type_)
        .load(&mut conn)
        .await
        .expect("events");
    let tail: Vec<&str> = types
        .iter()
        .map(String::as_str)
        .skip_while(|t| *t != "Deal.won")
        .collect();
    assert_eq!(
        tail,
        [
            "Deal.won",
            "Workflow.triggered",
            "Customer.created",
            "Subscription.created",
            "Project.created",
            "Activity.created",
            "Run.succeeded"
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn error_handling_stop_continue_and_fallback() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let failing = step(
        "Contact.assign",
        &[("$id", "\"contact_Missing0\""), ("assignee", "round-robin")],
    );
    let mut with_fallback = failing.clone();
    with_fallback.fallback_action = "Task.create".into();
    with_fallback.fallback_mapping = vec![MappingRow {
        field: "subject".into(),
        expr: "\"Assign \" + deal.name + \" by hand\"".into(),
    }];
    let cases = [
        (
            "Stop",
            failing.clone(),
            RunStatus::Failed,
            vec!["Failed", "Skipped"],
        ),
        (
            "Continue",
            failing,
            RunStatus::Failed,
            vec!["Failed", "Succeeded"],
        ),
        (
            "Fallback",
            with_fallback,
            RunStatus::Succeeded,
            vec!["Recovered", "Succeeded"],
        ),
    ];
    for (handling, first, expected, statuses) in cases {
        let input = WorkflowInput {
            name: handling.into(),
            trigger_event: format!("{handling}.happened"),
            steps: vec![first, step("Note.create", &[("text", "\"after\"")])],
            error_handling: handling.into(),
            ..Default::default()
        };
        let input = WorkflowInput {
            steps: input
                .steps
                .iter()
                .cloned()
                .map(|mut s| {
                    for r in s.mapping.iter_mut().chain(s.fallback_mapping.iter_mut()) {
                        r.expr = r.expr.replace("deal.", "stop.");
                    }
                    s
                })
                .collect(),
            ..input
        };
        let root = switchyard::mapping::root_for_trigger(&input.trigger_event);
        let input = WorkflowInput {
            steps: input
                .steps
                .into_iter()
                .map(|mut s| {
                    for r in s.mapping.iter_mut().chain(s.fallback_mapping.iter_mut()) {
                        r.expr = r.expr.replace("stop.", &format!("{root}."));
                    }
                    s
                })
                .collect(),
            ..input
        };
        active(&mut conn, &admin, input).await;
        let accepted = post(
            &mut conn,
            &admin,
            &format!("{handling}.happened"),
            json!({"name": "Acme"}),
        )
        .await;
        engine::drain(&mut conn, "w1", LEASE, OffsetDateTime::now_utc())
            .await
            .expect("drain");
        let run = accepted.runs[0].to_string();
        let (status, error) = run_status(&mut conn, &run).await;
        assert_eq!(status, expected.as_str(), "{handling}: {error:?}");
        let got: Vec<String> = steps_of(&mut conn, &run)
            .await
            .into_iter()
            .map(|s| s.1)
            .collect();
        assert_eq!(got, statuses, "{handling}");
        if expected == RunStatus::Failed {
            assert!(
                error.as_deref().is_some_and(|e| e.contains("Step 1")),
                "{handling}: the error names the step: {error:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn retries_wait_by_rescheduling_on_the_backoff_schedule() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let mut input = WorkflowInput {
        name: "Flaky".into(),
        trigger_event: "Deal.won".into(),
        steps: vec![step("Contact.assign", &[("$id", "\"contact_Missing0\"")])],
        ..Default::default()
    };
    input.retry.max_attempts = "3".into();
    input.retry.backoff = "exponential".into();
    input.retry.delay_ms = "1000".into();
    active(&mut conn, &admin, input).await;
    let accepted = post(&mut conn, &admin, "Deal.won", deal()).await;
    let run = accepted.runs[0].to_string();
    let t0 = OffsetDateTime::now_utc();
    let claim = engine::claim(&mut conn, "w1", LEASE, t0)
        .await
        .expect("claim")
        .expect("ready");
    assert_eq!(
        engine::advance(&mut conn, "w1", &claim, LEASE, t0)
            .await
            .expect("advance"),
        Progress::Rescheduled(t0 + Duration::seconds(1))
    );
    assert_eq!(
        engine::claim(&mut conn, "w2", LEASE, t0 + Duration::milliseconds(999))
            .await
            .expect("claim"),
        None,
        "not before its time"
    );
    let t1 = t0 + Duration::seconds(1);
    let claim = engine::claim(&mut conn, "w2", LEASE, t1)
        .await
        .expect("claim")
        .expect("ready");
    assert_eq!(
        engine::advance(&mut conn, "w2", &claim, LEASE, t1)
            .await
            .expect("advance"),
        Progress::Rescheduled(t1 + Duration::seconds(2))
    );
    let t2 = t1 + Duration::seconds(2);
    assert_eq!(
        engine::drain(&mut conn, "w3", LEASE, t2)
            .await
            .expect("drain"),
        1
    );
    assert_eq!(run_status(&mut conn, &run).await.0, "Failed");
    assert_eq!(
        steps_of(&mut conn, &run).await,
        vec![("Contact.assign".to_owned(), "Failed".to_owned(), 3)]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_past_its_time_limit_ends_timed_out() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let mut input = onboarding();
    input.timeout_ms = "1000".into();
    let w = active(&mut conn, &admin, input).await;
    let accepted = post(&mut conn, &admin, "Deal.won", deal()).await;
    let t0 = OffsetDateTime::now_utc();
    let claim = engine::claim(&mut conn, "w1", LEASE, t0)
        .await
        .expect("claim")
        .expect("ready");
    assert_eq!(
        engine::advance(&mut conn, "w1", &claim, LEASE, t0)
            .await
            .expect("step"),
        Progress::Continue
    );
    let late = t0 + Duration::seconds(2);
    assert_eq!(
        engine::advance(&mut conn, "w1", &claim, LEASE, late)
            .await
            .expect("step"),
        Progress::Finished(RunStatus::TimedOut)
    );
    let (status, error) = run_status(&mut conn, &accepted.runs[0].to_string()).await;
    assert_eq!(status, "TimedOut");
    assert!(error.expect("error").contains("1000 ms"));
    let w = switchyard::repo::workflow::get(&mut conn, &admin.org.id, &w.id)
        .await
        .expect("w");
    assert_eq!((w.failure_count, w.status), (1, Status::Activated));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_conditions_false_skips_the_step() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let mut input = onboarding();
    input.steps[2].condition = "deal.amount > 10000".into();
    active(&mut conn, &admin, input).await;
    let accepted = post(&mut conn, &admin, "Deal.won", deal()).await;
    engine::drain(&mut conn, "w1", LEASE, OffsetDateTime::now_utc())
        .await
        .expect("drain");
    let got: Vec<String> = steps_of(&mut conn, &accepted.runs[0].to_string())
        .await
        .into_iter()
        .map(|s| s.1)
        .collect();
    assert_eq!(got, ["Succeeded", "Succeeded", "Skipped", "Succeeded"]);
    // The skipped step wrote nothing: no Project, no Project.created; the others did.
    let made: Vec<String> = things::table
        .filter(things::org_id.eq(admin.org.id.sql()))
        .order(things::type_)
        .select(things::type_)
        .load(&mut conn)
        .await
        .expect("things");
    assert_eq!(made, ["Activity", "Customer", "Subscription"]);
    let projects: i64 = events::table
        .filter(events::org_id.eq(admin.org.id.sql()))
        .filter(events::type_.eq("Project.created"))
        .count()
        .get_result(&mut conn)
        .await
        .expect("events");
    assert_eq!(projects, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_taken_over_run_resumes_and_the_stale_worker_writes_nothing() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    active(&mut conn, &admin, onboarding()).await;
    post(&mut conn, &admin, "Deal.won", deal()).await;
    let t0 = OffsetDateTime::now_utc();
    let first = engine::claim(&mut conn, "w1", LEASE, t0)
        .await
        .expect("claim")
        .expect("ready");
    assert_eq!(
        engine::advance(&mut conn, "w1", &first, LEASE, t0)
            .await
            .expect("step"),
        Progress::Continue
    );
    // w1 stops answering; its lease runs out and w2 takes the run over.
    assert_eq!(
        engine::claim(&mut conn, "w2", LEASE, t0 + Duration::seconds(10))
            .await
            .expect("claim"),
        None,
        "still leased"
    );
    let later = t0 + LEASE + Duration::seconds(1);
    let second = engine::claim(&mut conn, "w2", LEASE, later)
        .await
        .expect("claim")
        .expect("taken over");
    assert!(second.fence > first.fence);
    assert_eq!(
        engine::advance(&mut conn, "w1", &first, LEASE, later)
            .await
            .expect("late"),
        Progress::Lost
    );
    let mut progress = Progress::Continue;
    while progress == Progress::Continue {
        progress = engine::advance(&mut conn, "w2", &second, LEASE, later)
            .await
            .expect("step");
    }
    assert_eq!(progress, Progress::Finished(RunStatus::Succeeded));
    let made: i64 = things::table
        .count()
        .get_result(&mut conn)
        .await
        .expect("things");
    assert_eq!(made, 4, "each step ran once");
    let w_count: i64 = events::table
        .filter(events::type_.eq("Workflow.triggered"))
        .count()
        .get_result(&mut conn)
        .await
        .expect("count");
    assert_eq!(w_count, 1, "the take-over is not a new start");
}

#[tokio::test(flavor = "multi_thread")]
async fn chains_of_workflows_are_cut_at_depth_eight() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let looping = WorkflowInput {
        name: "Loop".into(),
        trigger_event: "Ping.sent".into(),
        steps: vec![step(
            "Event.create",
            &[("type", "\"Ping.sent\""), ("data", "ping")],
        )],
        ..Default::default()
    };
    active(&mut conn, &admin, looping).await;
    post(&mut conn, &admin, "Ping.sent", json!({"n": 1})).await;
    let mut finished = 0;
    for _ in 0..20 {
        // Runs queued by steps are ready from the database's clock on: drain a little later.
        let now = OffsetDateTime::now_utc() + Duration::minutes(1);
        let n = engine::drain(&mut conn, "w1", LEASE, now)
            .await
            .expect("drain");
        finished += n;
        if n == 0 {
            break;
        }
    }
    let failed: Vec<Option<String>> = runs::table
        .filter(runs::status.eq(("Failed").sql()))
        .select(runs::error)
        .load(&mut conn)
        .await
        .expect("runs");
    assert_eq!(failed.len(), 1, "exactly one run is cut");
    assert!(
        failed[0].as_deref().is_some_and(|e| e.contains("chain")),
        "{failed:?}"
    );
    // Runs at chain depths 0 to 8: the ninth's step would record a tenth link.
    assert_eq!(finished, 9, "{finished} runs before the cut");
    let pings: i64 = events::table
        .filter(events::type_.eq("Ping.sent"))
        .count()
        .get_result(&mut conn)
        .await
        .expect("count");
    assert_eq!(
        pings, 9,
        "the posted event and one for each of the eight runs that went on"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_verbs_event_starts_the_workflows_listening_for_it() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let watcher = WorkflowInput {
        name: "Tell ops about pauses".into(),
        trigger_event: "Workflow.paused".into(),
        steps: vec![step("Activity.create", &[("subject", "workflow.name")])],
        ..Default::default()
    };
    let watcher = active(&mut conn, &admin, watcher).await;
    let onboarding = active(&mut conn, &admin, onboarding()).await;
    verbs::pause(&mut conn, &Hooks::with_defaults(), &admin, &onboarding.id)
        .await
        .expect("pause");
    let started: Vec<(String, String)> = runs::table
        .inner_join(events::table.on(events::id.eq(runs::event_id)))
        .select((runs::workflow_id, events::type_))
        .load(&mut conn)
        .await
        .expect("runs");
    assert_eq!(
        started,
        [(watcher.id.to_string(), "Workflow.paused".to_owned())]
    );
    assert_eq!(
        engine::drain(&mut conn, "w1", LEASE, OffsetDateTime::now_utc())
            .await
            .expect("drain"),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_runs_events_go_in_with_one_statement_and_start_the_workflows_listening() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let hooks = Hooks::with_defaults();
    let listener = |name: &str, trigger: &str| WorkflowInput {
        name: name.into(),
        trigger_event: trigger.into(),
        steps: vec![step("Activity.create", &[("subject", "\"noted\"")])],
        ..Default::default()
    };
    let welcome = WorkflowInput {
        steps: vec![step("Customer.create", &[("name", "deal.name")])],
        ..listener("Welcome", "Deal.won")
    };
    active(&mut conn, &admin, welcome).await;
    let on_customer = active(
        &mut conn,
        &admin,
        listener("On customer", "Customer.created"),
    )
    .await;
    let on_success = active(&mut conn, &admin, listener("On success", "Run.succeeded")).await;
    let paused = active(&mut conn, &admin, listener("Paused", "Workflow.triggered")).await;
    verbs::pause(&mut conn, &hooks, &admin, &paused.id)
        .await
        .expect("pause");
    let accepted = post(&mut conn, &admin, "Deal.won", deal()).await;
    // From here on, every INSERT statement into events leaves one row here: how many events
    // it recorded, and their types in the order of their sequence numbers.
    for sql in [
        "CREATE TABLE event_statements (n bigint, types text)",
        "CREATE FUNCTION count_statement() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN INSERT INTO event_statements SELECT count(*), string_agg(type, ',' ORDER BY seq) FROM added; RETURN NULL; END $$",
        "CREATE TRIGGER count_statement AFTER INSERT ON events REFERENCING NEW TABLE AS added
         FOR EACH STATEMENT EXECUTE FUNCTION count_statement()",
    ] {
        diesel::sql_query(sql)
            .execute(&mut conn)
            .await
            .expect("statement counter");
    }
    let now = OffsetDateTime::now_utc();
    let claim = engine::claim(&mut conn, "w1", LEASE, now)
        .await
        .expect("claim")
        .expect("the deal's run");
    let progress = engine::advance(&mut conn, "w1", &claim, LEASE, now)
        .await
        .expect("advance");
    assert_eq!(progress, Progress::Finished(RunStatus::Succeeded));
    let statements: Vec<(i64, String)> = diesel::sql_query("SELECT n, types FROM event_statements")
        .load::<Counted>(&mut conn)
        .await
        .expect("statements")
        .into_iter()
        .map(|c| (c.n, c.types))
        .collect();
    assert_eq!(
        statements,
        [(
            3,
            "Workflow.triggered,Customer.created,Run.succeeded".to_owned()
        )],
        "the run's start, its step's event and its end, in one statement and in order"
    );
    // Each event started the workflows listening for it, in the deal's chain.
    let mut queued: Vec<(String, String, Option<String>)> = runs::table
        .inner_join(events::table.on(events::id.eq(runs::event_id)))
        .filter(runs::status.eq((RunStatus::Queued.as_str()).sql()))
        .select((runs::workflow_id, events::type_, runs::chain_root))
        .load(&mut conn)
        .await
        .expect("queued");
    queued.sort();
    let root = accepted.event.to_string();
    let mut expected = vec![
        (
            on_customer.id.to_string(),
            "Customer.created".to_owned(),
            Some(root.clone()),
        ),
        (
            on_success.id.to_string(),
            "Run.succeeded".to_owned(),
            Some(root.clone()),
        ),
    ];
    expected.sort();
    assert_eq!(queued, expected);
    let chain: i32 = switchyard::schema::event_chains::table
        .find(root.sql())
        .select(switchyard::schema::event_chains::runs)
        .first(&mut conn)
        .await
        .expect("chain");
    assert_eq!(chain, 3, "the deal's run and the two it started");
    let ignored: Value = events::table
        .filter(events::type_.eq("Workflow.triggered"))
        .select(events::ignored_by)
        .first(&mut conn)
        .await
        .expect("triggered");
    assert_eq!(ignored, json!([paused.id.to_string()]));
}

#[derive(diesel::QueryableByName)]
struct Counted {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    types: String,
}
