//! The `create` verb: a new workflow in Draft at version 1.

use crate::db::Conn;
use crate::entity::{Actor, Workflow};
use crate::error::{DomainError, DomainResult};
use crate::hooks::Hooks;
use crate::id::Generate;
use crate::id::WorkflowId;
use crate::repo;
use crate::status::Verb;
use crate::workflow::WorkflowInput;
use diesel_async::AsyncConnection;

/// Validates `input` and creates the workflow; nothing is written if any field is invalid.
pub async fn create(
    conn: &mut Conn,
    hooks: &Hooks,
    actor: &impl Actor,
    input: &WorkflowInput,
) -> DomainResult<Workflow> {
    crate::access::edit(actor)?;
    let fields = input.validate().map_err(DomainError::Validation)?;
    conn.transaction::<_, crate::store_error::StoreError, _>(async |conn| {
        let id = WorkflowId::generate();
        let org = &actor.org().id;
        let created = repo::workflow::insert(conn, org, &id, &fields, actor.user()).await?;
        // The row exists only inside this transaction, so a veto leaves nothing behind.
        hooks
            .run_before(Verb::Create, &created)
            .map_err(DomainError::Vetoed)?;
        repo::workflow::insert_version(conn, &created, actor.user(), None).await?;
        super::record(conn, hooks, Verb::Create, &created, actor).await?;
        Ok(created)
    })
    .await
    .map_err(Into::into)
}

/// The REST API's and the MCP tools' create: a workflow from the resource fields of `fields`.
pub async fn create_from(
    conn: &mut Conn,
    hooks: &Hooks,
    actor: &impl Actor,
    fields: &serde_json::Map<String, serde_json::Value>,
) -> DomainResult<Workflow> {
    crate::access::edit(actor)?;
    let input = crate::workflow::resource::new_input(fields).map_err(DomainError::Validation)?;
    create(conn, hooks, actor, &input).await
}
