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
/// workflow's trigger type carrying `payload` (checked like any event's data), and queues one
/// run of this workflow for it. The workflow goes back to Activated when the run ends.
pub async fn trigger(
    conn: &mut Conn,
    hooks: &Hooks,
    actor: &impl Actor,
    id: &WorkflowId,
    payload: Value,
) -> DomainResult<(Workflow, RunId)> {
    crate::access::edit(actor)?;
    let data = crate::payload::check("payload", payload)?;
    conn.transaction::<_, crate::store_error::StoreError, _>(async |conn| {
        let triggered = super::transition_in(conn, hooks, actor, id, Verb::Trigger).await?;
        let event = NewEvent {
            actor: Some(actor.reference()),
            subject: Some(triggered.id.to_string()),
            ..NewEvent::new(triggered.trigger_event.clone(), data, EventSource::Manual)
        };
        let event = repo::event::insert(conn, &actor.org().id, &event)
            .await?
            .ok_or_else(|| DomainError::internal("a manual event without a key was refused"))?;
        let new = repo::run::NewRun {
            org: &actor.org().id,
            workflow: &triggered.id,
            version: triggered.version,
            event: &event,
            depth: 0,
            chain_root: &event,
        };
        let run = repo::run::insert(conn, &new).await?;
        crate::ingest::notify_workers(conn).await?;
        Ok((triggered, run))
    })
    .await
    .map_err(Into::into)
}

/// `trigger` with sample data typed as JSON text (the trigger form): the same limits, and a
/// message next to the field when the text is not JSON.
pub async fn trigger_with_text(
    conn: &mut Conn,
    hooks: &Hooks,
    actor: &impl Actor,
    id: &WorkflowId,
    payload: &str,
) -> DomainResult<(Workflow, RunId)> {
    let payload = crate::payload::from_text("payload", payload)?;
    trigger(conn, hooks, actor, id, payload).await
}
