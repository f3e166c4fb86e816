//! The workflow list and one workflow's overview.

pub use switchyard_model::read_model::workflow::*;

use crate::entity::Workflow;
use {
    crate::db::Conn,
    crate::entity::Actor,
    crate::error::DomainResult,
    crate::id::WorkflowId,
    crate::list_query::{Page, WorkflowQuery},
    crate::repo,
};

/// Events and runs an overview shows.
const RECENT_EVENTS: i64 = 20;

const RECENT_RUNS: i64 = 5;

/// A page of the organization's workflows.
pub async fn list(
    conn: &mut Conn,
    actor: &impl Actor,
    query: &WorkflowQuery,
) -> DomainResult<Page<Workflow>> {
    crate::access::read(actor)?;
    Ok(repo::workflow::find(conn, &actor.org().id, query).await?)
}

/// The organization's workflows a search lets through (the REST list, the MCP `search`): a page,
/// the total and the next cursor. A `$regex` PostgreSQL cannot read is the filter's error.
pub async fn search(
    conn: &mut Conn,
    actor: &impl Actor,
    search: &crate::workflow_search::Search,
) -> DomainResult<Page<Workflow>> {
    crate::access::read(actor)?;
    repo::workflow::search::search(conn, &actor.org().id, search)
        .await
        .map_err(|e| match &e {
            crate::store_error::StoreError::Database(diesel::result::Error::DatabaseError(
                _,
                info,
            )) if info.message().starts_with("invalid regular expression") => {
                crate::DomainError::field(
                    "filter",
                    format!("A $regex pattern does not read: {}", info.message()),
                )
            }
            _ => e.into(),
        })
}

/// One workflow of the actor's organization, by id.
pub async fn get(conn: &mut Conn, actor: &impl Actor, id: &WorkflowId) -> DomainResult<Workflow> {
    crate::access::read(actor)?;
    Ok(repo::workflow::get(conn, &actor.org().id, id).await?)
}

pub async fn overview(
    conn: &mut Conn,
    actor: &impl Actor,
    id: &WorkflowId,
) -> DomainResult<Overview> {
    crate::access::read(actor)?;
    let org = &actor.org().id;
    let workflow = repo::workflow::get(conn, org, id).await?;
    // The failure-rate alert is the one hook event that is news of its own.
    let hook_kept = crate::hooks::HIGH_FAILURE_RATE;
    let events =
        repo::event::activity(conn, org, id.as_str(), Some(hook_kept), RECENT_EVENTS).await?;
    let actors: Vec<&str> = events.iter().filter_map(|e| e.actor.as_deref()).collect();
    let names = repo::org::actor_names(conn, org, &actors).await?;
    let activity = events
        .iter()
        .map(|e| {
            let by = e.actor.as_ref().and_then(|a| names.get(a).cloned());
            Activity::of(e, by)
        })
        .collect();
    let (runs, _) = repo::run::history(conn, org, id, None, None, RECENT_RUNS).await?;
    let latest_event = super::editor::real_samples(conn, org, &workflow.trigger_event, 1)
        .await?
        .pop();
    Ok(Overview {
        latest_event,
        verbs: crate::verbs::allowed(actor, &workflow),
        may_edit: actor.may_edit(),
        workflow,
        activity,
        runs,
    })
}
