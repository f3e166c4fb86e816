//! Run statistics: the rollups and what is not folded yet always add up to the runs themselves,
//! whatever the order of appends and folds, and a run taken over after a crash counts once.

use crate::engine::{LEASE, active, deal, onboarding, post, step};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use proptest::prelude::*;
use serde_json::json;
use std::collections::BTreeMap;
use switchyard::engine::{self, Progress};
use switchyard::id::Generate;
use switchyard::id::RunId;
use switchyard::repo::stats::{self, Failure, Period, RunOutcome, Selection};
use switchyard::run::RunStatus;
use switchyard::schema::runs;
use switchyard::sql_text::Sql;
use switchyard::stats::Tally;
use switchyard::testing::{TestDb, member};
use switchyard::workflow::WorkflowInput;
use switchyard::{Role, Workflow};
use time::{Duration, OffsetDateTime};

/// One appended outcome of the generated sequence, and whether a fold of `batch` follows it.
#[derive(Clone, Debug)]
struct Step {
    workflow: usize,
    version: i32,
    hour: i64,
    started: bool,
    ended: Option<(RunStatus, i64)>,
    error: usize,
    fold: Option<i64>,
}

fn outcome_step() -> impl Strategy<Value = Step> {
    let ended = prop_oneof![
        Just(None),
        (
            prop::sample::select(vec![
                RunStatus::Succeeded,
                RunStatus::Failed,
                RunStatus::TimedOut,
                RunStatus::Cancelled,
            ]),
            0i64..400_000
        )
            .prop_map(Some),
    ];
    (
        0usize..3,
        1i32..3,
        0i64..50,
        any::<bool>(),
        ended,
        0usize..3,
        prop::option::of(1i64..6),
    )
        .prop_map(
            |(workflow, version, hour, started, ended, error, fold)| Step {
                workflow,
                version,
                hour,
                started,
                ended,
                error,
                fold,
            },
        )
}

const ERRORS: [&str; 3] = [
    "There is no Customer customer_a1B2c3D4",
    "There is no Customer customer_x9Y8w7V6",
    "Could not save the new Project: disk full",
];

fn base() -> OffsetDateTime {
    stats::hour_of(OffsetDateTime::now_utc()) - Duration::hours(60)
}

async fn check(steps: Vec<Step>) {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let mut workflows: Vec<Workflow> = Vec::new();
    for i in 0..3 {
        workflows.push(crate::create(&mut conn, &admin, &format!("W{i}"), 1).await);
    }
    let mut expected_hours: BTreeMap<OffsetDateTime, Tally> = BTreeMap::new();
    let mut expected_versions: BTreeMap<(usize, i32), Tally> = BTreeMap::new();
    let mut expected_groups: BTreeMap<String, i64> = BTreeMap::new();
    for s in &steps {
        let at = base() + Duration::hours(s.hour) + Duration::minutes(7);
        let workflow = &workflows[s.workflow].id;
        let failure = s.ended.and_then(|(status, _)| {
            matches!(status, RunStatus::Failed | RunStatus::TimedOut).then(|| Failure {
                step: 1,
                error: ERRORS[s.error].into(),
            })
        });
        if let Some(f) = &failure {
            *expected_groups.entry(f.group(workflow)).or_default() += 1;
        }
        let outcome = RunOutcome {
            org: &admin.org.id,
            workflow,
            version: s.version,
            run: &RunId::generate(),
            at,
            started: s.started,
            ended: s.ended,
            failure,
        };
        stats::append(&mut conn, &outcome).await.expect("append");
        expected_hours
            .entry(stats::hour_of(at))
            .or_default()
            .count(s.started, s.ended);
        expected_versions
            .entry((s.workflow, s.version))
            .or_default()
            .count(s.started, s.ended);
        if let Some(batch) = s.fold {
            stats::fold(&mut conn, batch).await.expect("fold");
        }
    }
    let scope = Selection {
        org: &admin.org.id,
        workflow: None,
        from: base(),
        to: base() + Duration::hours(100),
    };
    // Read with part of the outcomes folded and part not, then again with all folded.
    for pass in 0..2 {
        let series = stats::series(&mut conn, &scope, Period::Hour, "UTC")
            .await
            .expect("series");
        let histograms = stats::durations(&mut conn, &scope, Period::Hour, "UTC")
            .await
            .expect("durations");
        let got: BTreeMap<OffsetDateTime, Tally> = series
            .into_iter()
            .map(|(hour, mut t)| {
                t.durations = histograms
                    .get(&hour)
                    .cloned()
                    .unwrap_or_else(|| Tally::default().durations);
                (hour, t)
            })
            .collect();
        assert_eq!(got, expected_hours, "pass {pass}: per hour");
        let versions: BTreeMap<(usize, i32), Tally> = stats::by_version(&mut conn, &scope)
            .await
            .expect("versions")
            .into_iter()
            .map(|(w, v, _, mut t)| {
                let i = workflows.iter().position(|x| x.id == w).expect("ours");
                t.durations = expected_versions[&(i, v)].durations.clone();
                ((i, v), t)
            })
            .collect();
        assert_eq!(versions, expected_versions, "pass {pass}: per version");
        switchyard::housekeeping::fold(&mut conn)
            .await
            .expect("fold all");
    }
    let groups: BTreeMap<String, i64> = stats::groups(&mut conn, &scope, 100)
        .await
        .expect("groups")
        .into_iter()
        .map(|g| (g.key, g.runs))
        .collect();
    assert_eq!(groups, expected_groups, "failure groups");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn rollups_and_unfolded_outcomes_always_equal_a_recount(
        steps in prop::collection::vec(outcome_step(), 1..60)
    ) {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(check(steps));
    }
}

/// The data of every `FailureGroup.opened` event.
async fn opened_groups(conn: &mut switchyard::db::Conn) -> Vec<serde_json::Value> {
    use switchyard::schema::events;
    events::table
        .filter(events::type_.eq("FailureGroup.opened"))
        .select(events::data)
        .load::<serde_json::Value>(conn)
        .await
        .expect("events")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rollups_of_real_runs_equal_a_recount_of_the_runs() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let w = active(&mut conn, &admin, onboarding()).await;
    let flaky = WorkflowInput {
        name: "Flaky".into(),
        trigger_event: "Deal.won".into(),
        steps: vec![step("Customer.update", &[("$id", "deal.customer")])],
        ..Default::default()
    };
    let f = active(&mut conn, &admin, flaky).await;
    for i in 0..6 {
        let data = if i % 3 == 0 {
            json!({"name": "Acme", "customer": format!("customer_Nope{i:04}")})
        } else {
            deal()
        };
        post(&mut conn, &admin, "Deal.won", data).await;
    }
    let now = OffsetDateTime::now_utc();
    engine::drain(&mut conn, "w1", LEASE, now)
        .await
        .expect("drain");
    switchyard::housekeeping::fold(&mut conn)
        .await
        .expect("fold");
    let scope = Selection {
        org: &admin.org.id,
        workflow: None,
        from: now - Duration::hours(2),
        to: now + Duration::hours(2),
    };
    let mut total = Tally::default();
    for (_, t) in stats::series(&mut conn, &scope, Period::Day, "UTC")
        .await
        .expect("series")
    {
        total.add(&t);
    }
    let recount: Vec<(RunStatus, i64)> = runs::table
        .group_by(runs::status)
        .select((runs::status, diesel::dsl::count_star()))
        .load(&mut conn)
        .await
        .expect("recount");
    let of = |s: RunStatus| recount.iter().find(|(x, _)| *x == s).map_or(0, |(_, n)| *n);
    assert_eq!(total.started, 12);
    assert_eq!(
        (total.succeeded, total.failed),
        (of(RunStatus::Succeeded), of(RunStatus::Failed))
    );
    // Onboarding succeeds six times; Flaky fails six: twice on customers that do not exist
    // (two ids, one group), four times for want of a customer at all (another group).
    assert_eq!((total.succeeded, total.failed), (6, 6));
    let groups = stats::groups(&mut conn, &scope, 10).await.expect("groups");
    let sizes: Vec<(i64, bool)> = groups
        .iter()
        .map(|g| (g.runs, g.error.contains("There is no Customer")))
        .collect();
    assert_eq!(sizes, [(4, false), (2, true)], "largest first: {groups:?}");
    assert!(groups.iter().all(|g| g.workflow_id == f.id && g.step == 0));
    let grouped: i64 = runs::table
        .filter(runs::failure_group.eq(&groups[1].key))
        .count()
        .get_result(&mut conn)
        .await
        .expect("grouped");
    assert_eq!(grouped, 2, "the failed runs carry their group");
    // Each new group recorded FailureGroup.opened once, naming it; more of the same open none.
    let first = opened_groups(&mut conn).await;
    let mut named: Vec<&str> = first.iter().map(|d| d["group"].as_str().unwrap()).collect();
    named.sort();
    let mut keys: Vec<&str> = groups.iter().map(|g| g.key.as_str()).collect();
    keys.sort();
    assert_eq!(named, keys);
    assert!(first.iter().all(|d| d["workflow"] == f.id.as_str()
        && d["run"].as_str().is_some_and(|r| r.starts_with("run_"))));
    let w_total = stats::by_version(
        &mut conn,
        &Selection {
            workflow: Some(&w.id),
            ..scope
        },
    )
    .await
    .expect("one workflow");
    assert_eq!(w_total.len(), 1);
    assert_eq!(w_total[0].3.succeeded, 6);
    post(
        &mut conn,
        &admin,
        "Deal.won",
        json!({"name": "Acme", "customer": "customer_Nope9999"}),
    )
    .await;
    engine::drain(&mut conn, "w1", LEASE, OffsetDateTime::now_utc())
        .await
        .expect("drain");
    switchyard::housekeeping::fold(&mut conn)
        .await
        .expect("fold");
    assert_eq!(
        opened_groups(&mut conn).await.len(),
        2,
        "no new group, no new event"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_taken_over_after_a_crash_counts_once() {
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
    // w1 dies; w2 takes the run over after the lease and ends it.
    let later = t0 + LEASE + Duration::seconds(1);
    let second = engine::claim(&mut conn, "w2", LEASE, later)
        .await
        .expect("claim")
        .expect("taken over");
    let mut progress = Progress::Continue;
    while progress == Progress::Continue {
        progress = engine::advance(&mut conn, "w2", &second, LEASE, later)
            .await
            .expect("step");
    }
    assert_eq!(progress, Progress::Finished(RunStatus::Succeeded));
    switchyard::housekeeping::fold(&mut conn)
        .await
        .expect("fold");
    let scope = Selection {
        org: &admin.org.id,
        workflow: None,
        from: t0 - Duration::hours(1),
        to: later + Duration::hours(1),
    };
    let mut total = Tally::default();
    for (_, t) in stats::series(&mut conn, &scope, Period::Day, "UTC")
        .await
        .expect("series")
    {
        total.add(&t);
    }
    assert_eq!(
        (total.started, total.succeeded, total.failures()),
        (1, 1, 0),
        "started once and ended once"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn event_driven_runs_raise_the_failure_rate_alert_at_most_once_an_hour() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let failing = WorkflowInput {
        name: "Failing".into(),
        trigger_event: "Deal.won".into(),
        steps: vec![step("Customer.update", &[("$id", "\"customer_Nope0000\"")])],
        ..Default::default()
    };
    active(&mut conn, &admin, failing).await;
    // A workflow that answers the alert, as any event can start one.
    let pager = WorkflowInput {
        name: "Pager".into(),
        trigger_event: "workflow.high_failure_rate".into(),
        steps: vec![step(
            "Task.create",
            &[("subject", "\"Look at \" + event.data.workflow")],
        )],
        ..Default::default()
    };
    let pager = active(&mut conn, &admin, pager).await;
    let alerts = async |conn: &mut switchyard::db::Conn| -> i64 {
        use switchyard::schema::events;
        events::table
            .filter(events::type_.eq(switchyard::hooks::HIGH_FAILURE_RATE))
            .count()
            .get_result(conn)
            .await
            .expect("count")
    };
    let t0 = OffsetDateTime::now_utc() + Duration::minutes(1);
    for _ in 0..3 {
        post(&mut conn, &admin, "Deal.won", json!({})).await;
        engine::drain(&mut conn, "w1", LEASE, t0)
            .await
            .expect("drain");
    }
    // The first start had nothing finished to rate; the second raised it; the third is quiet.
    assert_eq!(alerts(&mut conn).await, 1);
    let paged: i64 = runs::table
        .filter(runs::workflow_id.eq(pager.id.sql()))
        .count()
        .get_result(&mut conn)
        .await
        .expect("runs");
    assert_eq!(paged, 1, "the alert started the workflow listening for it");
    post(&mut conn, &admin, "Deal.won", json!({})).await;
    engine::drain(&mut conn, "w1", LEASE, t0 + Duration::minutes(61))
        .await
        .expect("drain");
    assert_eq!(
        alerts(&mut conn).await,
        2,
        "an hour later, still failing: again"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_alert_naming_another_organizations_workflow_shows_no_name_of_it() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let other = member(&mut conn, "globex", Role::Admin).await;
    let ours = crate::create(&mut conn, &admin, "Ours", 1).await;
    let theirs = crate::create(&mut conn, &other, "Globex secret", 1).await;
    for workflow in [&ours.id, &theirs.id] {
        let event = switchyard::repo::event::NewEvent::new(
            switchyard::hooks::HIGH_FAILURE_RATE,
            json!({ "workflow": workflow, "failureRate": 0.5 }),
            switchyard::entity::EventSource::Api,
        );
        switchyard::repo::event::insert(&mut conn, &admin.org.id, &event)
            .await
            .expect("event");
    }
    let now = OffsetDateTime::now_utc() + Duration::minutes(1);
    let dashboard = switchyard::read_model::dashboard::dashboard(
        &mut conn,
        &admin,
        switchyard::stats::Range::Day,
        now,
    )
    .await
    .expect("dashboard");
    let mut names: Vec<&str> = dashboard.alerts.iter().map(|a| a.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["", "Ours"], "globex's name never reaches acme");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_acknowledged_incident_says_who_saw_it_until_a_new_alert_comes() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let viewer = member(&mut conn, "acme", Role::Viewer).await;
    let stranger = member(&mut conn, "globex", Role::Admin).await;
    let seen = crate::create(&mut conn, &admin, "Seen", 1).await;
    let unseen = crate::create(&mut conn, &admin, "Unseen", 1).await;
    let raise = async |conn: &mut switchyard::db::Conn, workflow: &switchyard::WorkflowId| {
        let event = switchyard::repo::event::NewEvent::new(
            switchyard::hooks::HIGH_FAILURE_RATE,
            json!({ "workflow": workflow, "failureRate": 0.5 }),
            switchyard::entity::EventSource::Hook,
        );
        switchyard::repo::event::insert(conn, &admin.org.id, &event)
            .await
            .expect("event");
    };
    // The one acknowledged first was raised first, so it is listed second only once seen.
    raise(&mut conn, &seen.id).await;
    raise(&mut conn, &unseen.id).await;
    let alerts = async |conn: &mut switchyard::db::Conn| {
        let now = OffsetDateTime::now_utc() + Duration::minutes(1);
        switchyard::read_model::dashboard::dashboard(
            conn,
            &admin,
            switchyard::stats::Range::Day,
            now,
        )
        .await
        .expect("dashboard")
        .alerts
        .into_iter()
        .map(|a| (a.name, a.acknowledged))
        .collect::<Vec<_>>()
    };
    assert_eq!(
        alerts(&mut conn).await,
        [("Unseen".to_owned(), None), ("Seen".to_owned(), None)]
    );

    // A Viewer may not; another organization's admin finds nothing, as for a missing id.
    assert_eq!(
        switchyard::alerts::acknowledge(&mut conn, &viewer, &seen.id).await,
        Err(switchyard::DomainError::Forbidden)
    );
    let missing = switchyard::WorkflowId::parse("workflow_Missing0").expect("id");
    assert_eq!(
        switchyard::alerts::acknowledge(&mut conn, &stranger, &seen.id).await,
        switchyard::alerts::acknowledge(&mut conn, &stranger, &missing).await,
    );
    assert_eq!(
        switchyard::alerts::acknowledge(&mut conn, &stranger, &seen.id).await,
        Err(switchyard::DomainError::NotFound)
    );
    assert_eq!(alerts(&mut conn).await[1].1, None, "nobody has seen it yet");

    let done = switchyard::alerts::acknowledge(&mut conn, &admin, &seen.id)
        .await
        .expect("acknowledged");
    assert_eq!(done.workflow, seen.id.to_string());
    let listed = alerts(&mut conn).await;
    assert_eq!(
        listed[0],
        ("Unseen".to_owned(), None),
        "what nobody saw comes first"
    );
    assert_eq!(listed[1].0, "Seen");
    let words = listed[1].1.clone().expect("acknowledged");
    assert!(
        words.starts_with(&format!("Acknowledged by {}, ", admin.display_name)),
        "{words}"
    );
    // The audit keeps who did it.
    let recorded: i64 = switchyard::schema::events::table
        .filter(switchyard::schema::events::type_.eq(switchyard::alerts::ACKNOWLEDGED))
        .filter(switchyard::schema::events::actor.eq(admin.user_id.to_string()))
        .count()
        .get_result(&mut conn)
        .await
        .expect("count");
    assert_eq!(recorded, 1);

    // A new alert asks for attention again.
    raise(&mut conn, &seen.id).await;
    assert!(
        alerts(&mut conn)
            .await
            .iter()
            .all(|(_, seen)| seen.is_none())
    );
}
