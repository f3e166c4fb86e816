//! The `trigger` verb: runs the workflow by hand, outside its normal event.

use crate::db::Conn;
use crate::entity::{Actor, EventSource, Workflow};
use crate::error::{DomainError, DomainResult};
use crate::hooks::Hooks;
use crate::id::{RunId, WorkflowId};
use crate::repo;
use crate::repo::event::NewEvent;
use crate::status::Verb;
use diesel_async::AsyncConnection;
use serde_json::Value;

/// Moves the workflow to Triggered, records `Workflow.triggered` and a manual event of the
/// workflow's trigger type carrying `payload`, and queues one run of this workflow for it.
/// The workflow goes back to Activated when the run ends.
pub async fn trigger(
    conn: &mut Conn,
    hooks: &Hooks,
    actor: &impl Actor,
    id: &WorkflowId,
    payload: Value,
) -> DomainResult<(Workflow, RunId)> {
    super::authorize(actor)?;
    if !matches!(payload, Value::Object(_) | Value::Null) {
        return Err(DomainError::field(
            "payload",
            "The sample data must be a JSON object, like {\"name\": \"Acme\"}",
        ));
    }
    conn.transaction::<_, DomainError, _>(async |conn| {
        let triggered = super::transition_in(conn, hooks, actor, id, Verb::Trigger).await?;
        let event = NewEvent {
            event_type: triggered.trigger_event.clone(),
            data: if payload.is_null() {
                Value::Object(Default::default())
            } else {
                payload
            },
            source: EventSource::Manual,
            actor: Some(actor.reference()),
            subject: Some(triggered.id.to_string()),
        };
        let event = repo::event::insert(conn, &actor.org().id, &event).await?;
        let run = crate::ingest::queue_run(
            conn,
            &actor.org().id,
            &triggered.id,
            triggered.version,
            &event,
            0,
        )
        .await?;
        crate::ingest::notify_workers(conn).await?;
        Ok((triggered, run))
    })
    .await
}
