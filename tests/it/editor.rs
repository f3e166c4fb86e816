//! From a failed run to its fix: the run names the mapping row that made its bad value, and
//! the editor offers what the organization's events, records and workflows have (and nothing
//! of another organization's).

use crate::engine::{LEASE, active, post, step};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use switchyard::Role;
use switchyard::engine;
use switchyard::hooks::Hooks;
use switchyard::id::RunId;
use switchyard::schema::{runs, things};
use switchyard::sql_text::Sql;
use switchyard::testing::{TestDb, member};
use switchyard::workflow::WorkflowInput;
use time::OffsetDateTime;

fn invoices(type_expr: &str) -> WorkflowInput {
    WorkflowInput {
        name: "Invoice reminders".into(),
        trigger_event: "Invoice.sent".into(),
        steps: vec![
            step("Customer.update", &[("note", "\"reminded\"")]),
            step("Event.create", &[("type", type_expr), ("data", "invoice")]),
        ],
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_run_names_the_mapping_row_that_made_its_bad_value() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    diesel::insert_into(things::table)
        .values((
            things::id.eq("customer_Ada00001".sql()),
            things::org_id.eq(admin.org.id.sql()),
            things::type_.eq("Customer"),
            things::data.eq(json!({"name": "Ada"})),
        ))
        .execute(&mut conn)
        .await
        .expect("customer");
    let w = active(&mut conn, &admin, invoices("invoice.channel")).await;
    let data = json!({"customer": "customer_Ada00001", "channel": "email reminder"});
    let accepted = post(&mut conn, &admin, "Invoice.sent", data).await;
    engine::drain(&mut conn, "w1", LEASE, OffsetDateTime::now_utc())
        .await
        .expect("drain");
    let run: &RunId = &accepted.runs[0];
    let detail = switchyard::read_model::run::detail(&mut conn, &admin, run)
        .await
        .expect("detail");
    let blame = detail.blame.expect("the failed step is blamed");
    assert_eq!(blame.step, 1);
    assert_eq!(blame.field.as_deref(), Some("type"));
    assert_eq!(blame.value.as_deref(), Some("email reminder"));
    assert_eq!(
        blame.words,
        "Step 2 “Event.create” got “email reminder” for its field type from the invoice's channel."
    );
    assert!(!blame.changed_since);
    // The group the run page leads to is the one the engine filed the run under.
    let group: Option<String> = runs::table
        .find(run.sql())
        .select(runs::failure_group)
        .first(&mut conn)
        .await
        .expect("run");
    assert_eq!(group, blame.group);
    assert!(group.is_some());

    let hooks = Hooks::with_defaults();
    switchyard::verbs::update(
        &mut conn,
        &hooks,
        &admin,
        &w.id,
        w.version,
        &invoices("\"Reminder.sent\""),
    )
    .await
    .expect("the fix");
    let detail = switchyard::read_model::run::detail(&mut conn, &admin, run)
        .await
        .expect("detail");
    assert!(detail.blame.expect("still blamed").changed_since);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_editor_offers_what_the_organization_has_and_nothing_of_another() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let other = member(&mut conn, "globex", Role::Admin).await;
    for (org, noun, data) in [
        (
            &admin.org.id,
            "Customer",
            json!({"name": "Ada", "plan": "pro"}),
        ),
        (&other.org.id, "Vault", json!({"code": "1234"})),
    ] {
        diesel::insert_into(things::table)
            .values((
                things::id.eq(format!("{}_1", noun.to_lowercase()).sql()),
                things::org_id.eq(org.sql()),
                things::type_.eq(noun),
                things::data.eq(data),
            ))
            .execute(&mut conn)
            .await
            .expect("thing");
    }
    post(
        &mut conn,
        &admin,
        "Deal.won",
        json!({"name": "Older", "amount": 5}),
    )
    .await;
    let newest = json!({"name": "Acme", "contact": {"email": "ada@acme.test"}});
    post(&mut conn, &admin, "Deal.won", newest.clone()).await;
    post(&mut conn, &other, "Vault.opened", json!({"password": "x"})).await;
    post(&mut conn, &other, "Deal.won", json!({"password": "x"})).await;
    let steps = vec![step("Task.create", &[("title", "deal.name")])];
    let w = active(
        &mut conn,
        &admin,
        WorkflowInput {
            name: "Deals".into(),
            trigger_event: "Deal.won".into(),
            steps,
            ..Default::default()
        },
    )
    .await;

    let choices = switchyard::read_model::editor::choices(&mut conn, &admin, Some(&w.id), None)
        .await
        .expect("choices");
    assert!(choices.triggers.contains(&"Deal.won".to_owned()));
    assert!(
        choices.triggers.contains(&"Task.created".to_owned()),
        "{:?}",
        choices.triggers
    );
    assert!(!choices.triggers.contains(&"Vault.opened".to_owned()));
    for action in ["Task.create", "Customer.create", "Customer.update"] {
        assert!(choices.actions.contains(&action.to_owned()), "{action}");
    }
    assert!(!choices.actions.iter().any(|a| a.starts_with("Vault")));
    assert_eq!(choices.fields_of("Customer.update"), ["name", "plan"]);
    assert_eq!(choices.fields_of("Task.create"), ["title"]);
    let values: Vec<(&str, &str)> = choices
        .values
        .iter()
        .map(|v| (v.expr.as_str(), v.example.as_str()))
        .collect();
    assert_eq!(
        values,
        [
            ("deal.name", "Acme"),
            ("deal.contact.email", "ada@acme.test"),
            ("deal.amount", "5")
        ]
    );
    assert_eq!(choices.latest, Some(newest));

    // What is typed wins over what is saved; another organization's types give nothing.
    let typed = switchyard::read_model::editor::choices(
        &mut conn,
        &admin,
        Some(&w.id),
        Some("Vault.opened"),
    )
    .await
    .expect("choices");
    assert!(typed.values.is_empty() && typed.latest.is_none());
    // Another organization's workflow id is a missing one.
    let err = switchyard::read_model::editor::choices(&mut conn, &other, Some(&w.id), None)
        .await
        .expect_err("another organization's workflow");
    assert!(matches!(err, switchyard::DomainError::NotFound), "{err:?}");
}
