//! The dashboard's "Failing now": the live workflows whose latest finished run failed, counted
//! whole (not a capped list), and of the actor's organization only.

use crate::engine::{LEASE, active, post, step};
use serde_json::json;
use switchyard::Role;
use switchyard::engine;
use switchyard::hooks::Hooks;
use switchyard::stats::Range;
use switchyard::testing::{TestDb, member};
use switchyard::workflow::WorkflowInput;
use time::OffsetDateTime;

/// A workflow on `trigger` that records the event its data's `kind` names: it fails when the
/// kind is not an event type.
fn recorder(trigger: &str) -> WorkflowInput {
    let root = switchyard::mapping::root_for_trigger(trigger);
    WorkflowInput {
        name: trigger.into(),
        trigger_event: trigger.into(),
        steps: vec![step("Event.create", &[("type", &format!("{root}.kind"))])],
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn failing_now_counts_every_workflow_whose_latest_run_failed_and_no_other() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let other = member(&mut conn, "globex", Role::Admin).await;
    let hooks = Hooks::with_defaults();
    let drain = async |conn: &mut switchyard::db::Conn| {
        engine::drain(conn, "w1", LEASE, OffsetDateTime::now_utc())
            .await
            .expect("drain");
    };
    // Each workflow's runs, oldest first: true succeeds, false fails.
    let history: [(&str, &[bool]); 12] = [
        ("A0.seen", &[true, false]),
        ("A1.seen", &[false]),
        ("A2.seen", &[false, false]),
        ("A3.seen", &[true, false]),
        ("A4.seen", &[false]),
        ("A5.seen", &[false]),
        ("A6.seen", &[false]),
        ("A7.seen", &[false]),
        ("A8.seen", &[false]),
        ("B.seen", &[false, true]),
        ("C.seen", &[true]),
        ("D.seen", &[false]),
    ];
    let mut expected = Vec::new();
    for (trigger, runs) in history {
        let w = active(&mut conn, &admin, recorder(trigger)).await;
        for ok in runs {
            let kind = if *ok {
                "Thing.happened"
            } else {
                "not an event"
            };
            post(&mut conn, &admin, trigger, json!({ "kind": kind })).await;
            drain(&mut conn).await;
        }
        if trigger == "D.seen" {
            // A deleted workflow fails no more.
            switchyard::verbs::pause(&mut conn, &hooks, &admin, &w.id)
                .await
                .expect("pause");
            switchyard::verbs::archive(&mut conn, &hooks, &admin, &w.id)
                .await
                .expect("archive");
            switchyard::verbs::delete(&mut conn, &hooks, &admin, &w.id)
                .await
                .expect("delete");
        } else if runs.last() == Some(&false) {
            expected.push(w.id);
        }
    }
    // Another organization's failing workflow is not ours.
    active(&mut conn, &other, recorder("G.seen")).await;
    post(&mut conn, &other, "G.seen", json!({ "kind": "no" })).await;
    drain(&mut conn).await;

    let d = switchyard::read_model::dashboard::dashboard(
        &mut conn,
        &admin,
        Range::Day,
        OffsetDateTime::now_utc(),
    )
    .await
    .expect("dashboard");
    assert_eq!(expected.len(), 9);
    assert_eq!(
        d.failing_now_count,
        expected.len(),
        "more than the 8 a list once held"
    );
    let mut listed: Vec<_> = d.failing_now.iter().map(|r| r.workflow.clone()).collect();
    listed.sort();
    expected.sort();
    assert_eq!(listed, expected);
}
