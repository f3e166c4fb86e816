//! Restoring an older version: an update that copies its fields (version + 1), recorded with
//! the version it was restored from. A restore based on a stale version is refused like any
//! stale save.

use crate::db::Conn;
use crate::entity::{Actor, Workflow};
use crate::error::{DomainError, DomainResult};
use crate::hooks::Hooks;
use crate::id::WorkflowId;
use crate::repo;
use crate::workflow::WorkflowInput;

/// Makes `version`'s fields the workflow's again, if it is still at `based_on`.
pub async fn restore(
    conn: &mut Conn,
    hooks: &Hooks,
    actor: &impl Actor,
    id: &WorkflowId,
    based_on: i32,
    version: i32,
) -> DomainResult<Workflow> {
    crate::access::edit(actor)?;
    let current = repo::workflow::get(conn, &actor.org().id, id).await?;
    if version == current.version && based_on == current.version {
        return Err(DomainError::field(
            "version",
            format!("Version {version} is the current one: there is nothing to restore"),
        ));
    }
    let fields = repo::workflow::fields_at(conn, &actor.org().id, id, version).await?;
    let input = WorkflowInput::from_fields(&fields);
    super::update::update_restoring(conn, hooks, actor, id, based_on, &input, Some(version)).await
}
