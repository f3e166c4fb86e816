//! The workflow list and one workflow's overview.

use crate::entity::{Event, RunSummary, Workflow};
use crate::status::Verb;
use serde::{Deserialize, Serialize};
#[cfg(feature = "db")]
use {
    crate::db::Conn,
    crate::entity::Actor,
    crate::error::DomainResult,
    crate::id::WorkflowId,
    crate::list_query::{Page, WorkflowQuery},
    crate::repo,
};

/// Events and runs an overview shows.
#[cfg(feature = "db")]
const RECENT_EVENTS: i64 = 20;
#[cfg(feature = "db")]
const RECENT_RUNS: i64 = 5;

/// A page of the organization's workflows.
#[cfg(feature = "db")]
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
#[cfg(feature = "db")]
pub async fn search(
    conn: &mut Conn,
    actor: &impl Actor,
    search: &crate::workflow_search::Search,
) -> DomainResult<Page<Workflow>> {
    crate::access::read(actor)?;
    repo::workflow::search::search(conn, &actor.org().id, search)
        .await
        .map_err(|e| match &e {
            diesel::result::Error::DatabaseError(_, info)
                if info.message().starts_with("invalid regular expression") =>
            {
                crate::DomainError::field(
                    "filter",
                    format!("A $regex pattern does not read: {}", info.message()),
                )
            }
            _ => e.into(),
        })
}

/// One workflow of the actor's organization, by id.
#[cfg(feature = "db")]
pub async fn get(conn: &mut Conn, actor: &impl Actor, id: &WorkflowId) -> DomainResult<Workflow> {
    crate::access::read(actor)?;
    Ok(repo::workflow::get(conn, &actor.org().id, id).await?)
}

/// One workflow with what its page shows around it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub workflow: Workflow,
    /// The verbs the status allows and the actor may apply, in the table's order.
    pub verbs: Vec<Verb>,
    /// Whether the actor may change workflows at all (a Viewer may not).
    pub may_edit: bool,
    /// The newest events about it, newest first.
    pub events: Vec<Event>,
    /// The latest runs, newest first.
    pub runs: Vec<RunSummary>,
}

#[cfg(feature = "db")]
pub async fn overview(
    conn: &mut Conn,
    actor: &impl Actor,
    id: &WorkflowId,
) -> DomainResult<Overview> {
    crate::access::read(actor)?;
    let org = &actor.org().id;
    let workflow = repo::workflow::get(conn, org, id).await?;
    let events = repo::event::for_subject(conn, org, id.as_str(), RECENT_EVENTS).await?;
    let (runs, _) = repo::run::history(conn, org, id, None, None, RECENT_RUNS).await?;
    Ok(Overview {
        verbs: crate::verbs::allowed(actor, &workflow),
        may_edit: actor.may_edit(),
        workflow,
        events,
        runs,
    })
}
