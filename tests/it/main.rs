//! Database tests of the domain crate: every verb with its hooks, event and actor, the
//! version conflict, the veto, soft delete, the list, and signing in. Each test has its own
//! database cloned from a migrated template.

mod actions;
mod alert_emails;
mod api_keys;
mod auth;
mod concurrency;
mod editor;
mod egress;
mod engine;
mod failing;
mod feed;
mod group_commit;
mod http_steps;
mod limits;
mod list;
mod mail;
mod members;
mod retries;
mod search;
mod secrets;
mod stats;
mod tools;
mod trust;
mod verbs;
mod webhooks;

use switchyard::entity::Member;
use switchyard::hooks::Hooks;
use switchyard::workflow::{MappingRow, StepInput, WorkflowInput};
use switchyard::{Workflow, verbs as v};

/// A valid workflow with `steps` steps on `Deal.won`.
pub fn input(name: &str, steps: usize) -> WorkflowInput {
    WorkflowInput {
        name: name.into(),
        trigger_event: "Deal.won".into(),
        steps: (0..steps)
            .map(|i| StepInput {
                action: "Customer.create".into(),
                mapping: vec![MappingRow {
                    field: "name".into(),
                    expr: format!("deal.name + \" {i}\""),
                }],
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

pub async fn create(
    conn: &mut switchyard::db::Conn,
    actor: &Member,
    name: &str,
    steps: usize,
) -> Workflow {
    v::create(conn, &Hooks::with_defaults(), actor, &input(name, steps))
        .await
        .expect("create")
}

/// The types of the events recorded about `workflow`, oldest first, with their actors.
pub async fn events(
    conn: &mut switchyard::db::Conn,
    workflow: &Workflow,
) -> Vec<(String, Option<String>)> {
    let mut events =
        switchyard::repo::event::for_subject(conn, &workflow.org_id, workflow.id.as_str(), 100)
            .await
            .expect("events");
    events.reverse();
    events
        .into_iter()
        .map(|e| (e.event_type, e.actor))
        .collect()
}
