//! The `trigger` verb: runs the workflow by hand, outside its normal event.

use crate::db::Conn;
use crate::entity::{Member, Workflow};
use crate::error::{DomainError, DomainResult};
use crate::hooks::Hooks;
use crate::id::WorkflowId;
use crate::repo;
use crate::status::{Status, Verb};
use diesel_async::AsyncConnection;

/// Moves the workflow to Triggered and records `Workflow.triggered`. Until the engine runs
/// steps no run stays in flight, so the workflow returns to Activated in the same transaction.
pub async fn trigger(
    conn: &mut Conn,
    hooks: &Hooks,
    actor: &Member,
    id: &WorkflowId,
) -> DomainResult<Workflow> {
    super::authorize(actor)?;
    conn.transaction::<_, DomainError, _>(async |conn| {
        let triggered = super::transition_in(conn, hooks, actor, id, Verb::Trigger).await?;
        let settled = repo::workflow::set_status(
            conn,
            &actor.org.id,
            id,
            Status::Triggered,
            Status::Activated,
        )
        .await?;
        Ok(settled.unwrap_or(triggered))
    })
    .await
}
