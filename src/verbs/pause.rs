//! The `pause` verb.

use crate::db::Conn;
use crate::entity::{Actor, Workflow};
use crate::error::DomainResult;
use crate::hooks::Hooks;
use crate::id::WorkflowId;
use crate::status::Verb;

/// Applies `pause` through the transition table, its hooks and its event.
pub async fn pause(
    conn: &mut Conn,
    hooks: &Hooks,
    actor: &impl Actor,
    id: &WorkflowId,
) -> DomainResult<Workflow> {
    super::transition(conn, hooks, actor, id, Verb::Pause).await
}
