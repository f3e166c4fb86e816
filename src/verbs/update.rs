//! The `update` verb: new fields, version + 1, a snapshot per version, and an optimistic lock.

use crate::db::Conn;
use crate::entity::{Actor, Workflow};
use crate::error::{DomainError, DomainResult};
use crate::hooks::Hooks;
use crate::id::WorkflowId;
use crate::repo;
use crate::status::Verb;
use crate::workflow::{WorkflowInput, resource};
use diesel_async::AsyncConnection;

/// Saves `input` over the workflow if it is still at `based_on` (the version the editor loaded).
pub async fn update(
    conn: &mut Conn,
    hooks: &Hooks,
    actor: &impl Actor,
    id: &WorkflowId,
    based_on: i32,
    input: &WorkflowInput,
) -> DomainResult<Workflow> {
    update_restoring(conn, hooks, actor, id, based_on, input, None).await
}

/// The REST API's and the MCP tools' update: the resource fields of `patch` merged over the
/// workflow as it is now (fields not sent keep their value), saved if the workflow is still
/// at `based_on`, else at the patch's `$version`; with neither, at whatever version it is.
pub async fn merge(
    conn: &mut Conn,
    hooks: &Hooks,
    actor: &impl Actor,
    id: &WorkflowId,
    based_on: Option<i32>,
    patch: &serde_json::Map<String, serde_json::Value>,
) -> DomainResult<Workflow> {
    crate::access::edit(actor)?;
    let current = repo::workflow::get(conn, &actor.org().id, id).await?;
    let based_on =
        match (based_on, patch.get("$version")) {
            (Some(v), _) => Some(v),
            (None, None | Some(serde_json::Value::Null)) => None,
            (None, Some(v)) => Some(v.as_i64().and_then(|v| i32::try_from(v).ok()).ok_or_else(
                || DomainError::field("$version", "`$version` must be a whole number"),
            )?),
        };
    if based_on.is_some_and(|v| v != current.version) {
        return Err(DomainError::Conflict {
            current: Box::new(current),
        });
    }
    let input = resource::merge(
        WorkflowInput::from_fields(&current.fields()),
        patch,
        Some(current.status),
    )
    .map_err(DomainError::Validation)?;
    update(
        conn,
        hooks,
        actor,
        id,
        based_on.unwrap_or(current.version),
        &input,
    )
    .await
}

/// `update`, recording on the new version the older one it restores, if any.
pub(super) async fn update_restoring(
    conn: &mut Conn,
    hooks: &Hooks,
    actor: &impl Actor,
    id: &WorkflowId,
    based_on: i32,
    input: &WorkflowInput,
    restored_from: Option<i32>,
) -> DomainResult<Workflow> {
    crate::access::edit(actor)?;
    let fields = input.validate().map_err(DomainError::Validation)?;
    conn.transaction::<_, crate::store_error::StoreError, _>(async |conn| {
        crate::store_error::domain(async {
            let org = &actor.org().id;
            let current = repo::workflow::get_for_update(conn, org, id).await?;
            if current.status.apply(Verb::Update).is_none() {
                return Err(DomainError::InvalidTransition {
                    from: current.status,
                    verb: Verb::Update,
                });
            }
            if current.version != based_on {
                return Err(DomainError::Conflict {
                    current: Box::new(current),
                });
            }
            let mut proposed = current.clone();
            let f = fields.clone();
            (proposed.name, proposed.description, proposed.trigger_event) =
                (f.name, f.description, f.trigger_event);
            (proposed.steps, proposed.retry_policy) = (f.steps, f.retry_policy);
            (proposed.error_handling, proposed.timeout_ms) = (f.error_handling, f.timeout_ms);
            hooks
                .run_before(Verb::Update, &proposed)
                .map_err(DomainError::Vetoed)?;
            let Some(updated) =
                repo::workflow::update_fields(conn, org, id, based_on, &fields).await?
            else {
                return Err(DomainError::Conflict {
                    current: Box::new(current),
                });
            };
            repo::workflow::insert_version(conn, &updated, actor.user(), restored_from).await?;
            super::record(conn, hooks, Verb::Update, &updated, actor).await?;
            Ok(updated)
        })
        .await
    })
    .await
    .map_err(Into::into)
}
