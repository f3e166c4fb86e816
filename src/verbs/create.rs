//! The `create` verb: a new workflow in Draft at version 1.

use crate::db::Conn;
use crate::entity::{Member, Workflow};
use crate::error::{DomainError, DomainResult};
use crate::hooks::Hooks;
use crate::id::WorkflowId;
use crate::repo;
use crate::status::Verb;
use crate::workflow::WorkflowInput;
use diesel_async::AsyncConnection;

/// Validates `input` and creates the workflow; nothing is written if any field is invalid.
pub async fn create(
    conn: &mut Conn,
    hooks: &Hooks,
    actor: &Member,
    input: &WorkflowInput,
) -> DomainResult<Workflow> {
    super::authorize(actor)?;
    let fields = input.validate().map_err(DomainError::Validation)?;
    conn.transaction::<_, DomainError, _>(async |conn| {
        {
            let id = WorkflowId::generate();
            let created =
                repo::workflow::insert(conn, &actor.org.id, &id, &fields, &actor.user_id).await?;
            // The row exists only inside this transaction, so a veto leaves nothing behind.
            hooks
                .run_before(Verb::Create, &created)
                .map_err(DomainError::Vetoed)?;
            repo::workflow::insert_version(conn, &created, &actor.user_id).await?;
            super::record(conn, hooks, Verb::Create, &created, actor).await?;
            Ok(created)
        }
    })
    .await
}
