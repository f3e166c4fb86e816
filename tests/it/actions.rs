//! What steps do besides creating: updates, custom verbs, another organization's records,
//! expressions that fail only at run time, fallbacks that fail, retries that succeed later.

use crate::engine::{LEASE, active, post, run_status, step, steps_of};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use switchyard::Role;
use switchyard::engine;
use switchyard::run::RunStatus;
use switchyard::schema::{events, things};
use switchyard::sql_text::Sql;
use switchyard::testing::{TestDb, member};
use switchyard::workflow::{MappingRow, WorkflowInput};
use time::{Duration, OffsetDateTime};

/// A Thing of `org`, made directly in the database.
async fn thing(conn: &mut switchyard::db::Conn, org: &switchyard::OrgId, id: &str, noun: &str) {
    diesel::insert_into(things::table)
        .values((
            things::id.eq(id.sql()),
            things::org_id.eq(org.sql()),
            things::type_.eq(noun),
            things::data.eq(json!({"name": "Before"})),
        ))
        .execute(conn)
        .await
        .expect("thing");
}

async fn data_of(conn: &mut switchyard::db::Conn, id: &str) -> Value {
    things::table
        .find(id.sql())
        .select(things::data)
        .first(conn)
        .await
        .expect("thing")
}

fn workflow(trigger: &str, steps: Vec<switchyard::workflow::StepInput>) -> WorkflowInput {
    WorkflowInput {
        name: trigger.into(),
        trigger_event: trigger.into(),
        steps,
        ..Default::default()
    }
}

async fn run_once(
    conn: &mut switchyard::db::Conn,
    admin: &switchyard::Member,
    event: &str,
    data: Value,
) -> String {
    let accepted = post(conn, admin, event, data).await;
    engine::drain(conn, "w1", LEASE, OffsetDateTime::now_utc())
        .await
        .expect("drain");
    accepted.runs[0].to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_update_and_a_custom_verb_change_the_thing_and_record_their_events() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    thing(&mut conn, &admin.org.id, "contact_Ada00001", "Contact").await;
    let steps = vec![
        step(
            "Contact.update",
            &[("$id", "lead.contact"), ("name", "\"Ada\"")],
        ),
        step("Contact.assign", &[("assignee", "round-robin")]),
    ];
    active(&mut conn, &admin, workflow("Lead.created", steps)).await;
    let run = run_once(
        &mut conn,
        &admin,
        "Lead.created",
        json!({"contact": "contact_Ada00001"}),
    )
    .await;
    assert_eq!(
        run_status(&mut conn, &run).await,
        (RunStatus::Succeeded.as_str().into(), None)
    );
    assert_eq!(
        data_of(&mut conn, "contact_Ada00001").await,
        json!({"name": "Ada", "assignee": "round-robin"}),
        "the update merged its field; the verb with no $id acted on the lead's contact"
    );
    let types: Vec<String> = events::table
        .filter(events::subject.eq(&run))
        .order(events::seq)
        .select(events::type_)
        .load(&mut conn)
        .await
        .expect("events");
    assert_eq!(types, ["Contact.updated", "Contact.assigned"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn another_organizations_thing_is_refused_like_a_missing_one() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let globex = member(&mut conn, "globex", Role::Admin).await;
    thing(&mut conn, &globex.org.id, "customer_Globex01", "Customer").await;
    let steps = vec![step(
        "Customer.update",
        &[("$id", "deal.customer"), ("name", "\"Stolen\"")],
    )];
    active(&mut conn, &admin, workflow("Deal.won", steps)).await;
    let theirs = run_once(
        &mut conn,
        &admin,
        "Deal.won",
        json!({"customer": "customer_Globex01"}),
    )
    .await;
    let missing = run_once(
        &mut conn,
        &admin,
        "Deal.won",
        json!({"customer": "customer_Nobody01"}),
    )
    .await;
    let (status, error) = run_status(&mut conn, &theirs).await;
    assert_eq!(status, RunStatus::Failed.as_str());
    assert_eq!(
        error.as_deref(),
        Some("Step 1 (Customer.update): There is no Customer customer_Globex01")
    );
    let (_, missing_error) = run_status(&mut conn, &missing).await;
    assert_eq!(
        missing_error.map(|e| e.replace("Nobody01", "Globex01")),
        error,
        "the same words as for an id that does not exist"
    );
    assert_eq!(
        data_of(&mut conn, "customer_Globex01").await,
        json!({"name": "Before"}),
        "globex's customer is untouched"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expression_that_fails_at_run_time_fails_its_step_with_the_field() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let steps = vec![
        step("Note.create", &[("text", "deal.half + deal.half")]),
        step("Task.create", &[("subject", "\"never\"")]),
    ];
    active(&mut conn, &admin, workflow("Deal.won", steps)).await;
    let half = "x".repeat(switchyard::mapping::VALUE_MAX_BYTES / 2 + 1);
    let run = run_once(&mut conn, &admin, "Deal.won", json!({"half": half})).await;
    let (status, error) = run_status(&mut conn, &run).await;
    assert_eq!(status, RunStatus::Failed.as_str());
    let error = error.expect("error");
    assert!(
        error.starts_with("Step 1 (Note.create): The field text cannot be worked out")
            && error.contains("1 MiB"),
        "{error}"
    );
    let steps: Vec<String> = steps_of(&mut conn, &run)
        .await
        .into_iter()
        .map(|s| s.1)
        .collect();
    assert_eq!(steps, ["Failed", "Skipped"]);
    let notes: i64 = things::table
        .count()
        .get_result(&mut conn)
        .await
        .expect("things");
    assert_eq!(notes, 0, "nothing was made");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fallback_that_fails_too_ends_the_run_with_both_reasons() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let mut first = step("Contact.assign", &[("$id", "\"contact_Missing0\"")]);
    first.fallback_action = "Owner.notify".into();
    first.fallback_mapping = vec![MappingRow {
        field: "$id".into(),
        expr: "\"owner_Missing00\"".into(),
    }];
    let mut input = workflow(
        "Deal.won",
        vec![first, step("Task.create", &[("subject", "\"after\"")])],
    );
    input.error_handling = "Fallback".into();
    active(&mut conn, &admin, input).await;
    let run = run_once(&mut conn, &admin, "Deal.won", json!({})).await;
    let (status, error) = run_status(&mut conn, &run).await;
    assert_eq!(status, RunStatus::Failed.as_str());
    assert_eq!(
        error.as_deref(),
        Some(
            "Step 1 (Contact.assign): There is no Contact contact_Missing0; its fallback Owner.notify failed too: There is no Owner owner_Missing00"
        )
    );
    let steps: Vec<String> = steps_of(&mut conn, &run)
        .await
        .into_iter()
        .map(|s| s.1)
        .collect();
    assert_eq!(steps, ["Failed", "Skipped"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_that_succeeds_on_a_later_attempt_ends_the_run_succeeded() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let mut input = workflow(
        "Deal.won",
        vec![step(
            "Customer.update",
            &[("$id", "deal.customer"), ("plan", "deal.plan")],
        )],
    );
    input.retry.max_attempts = "3".into();
    input.retry.delay_ms = "1000".into();
    let w = active(&mut conn, &admin, input).await;
    let accepted = post(
        &mut conn,
        &admin,
        "Deal.won",
        json!({"customer": "customer_Late0001", "plan": "pro"}),
    )
    .await;
    let run = accepted.runs[0].to_string();
    let t0 = OffsetDateTime::now_utc();
    assert_eq!(
        engine::drain(&mut conn, "w1", LEASE, t0)
            .await
            .expect("drain"),
        0
    );
    assert_eq!(
        steps_of(&mut conn, &run).await,
        [("Customer.update".to_owned(), "Pending".to_owned(), 1)]
    );
    // The customer the step waits for appears before the second attempt.
    thing(&mut conn, &admin.org.id, "customer_Late0001", "Customer").await;
    let t1 = t0 + Duration::seconds(1);
    assert_eq!(
        engine::drain(&mut conn, "w1", LEASE, t1)
            .await
            .expect("drain"),
        1
    );
    assert_eq!(
        run_status(&mut conn, &run).await,
        (RunStatus::Succeeded.as_str().into(), None)
    );
    assert_eq!(
        steps_of(&mut conn, &run).await,
        [("Customer.update".to_owned(), "Succeeded".to_owned(), 2)]
    );
    assert_eq!(data_of(&mut conn, "customer_Late0001").await["plan"], "pro");
    let w = switchyard::repo::workflow::get(&mut conn, &admin.org.id, &w.id)
        .await
        .expect("w");
    assert_eq!((w.run_count, w.success_count, w.failure_count), (1, 1, 0));
}
