//! The workflow's verbs. Each runs in one transaction: load and authorize, BEFORE hooks,
//! the guarded change, the verb's event with its actor, AFTER hooks (and their events).

mod activate;
mod archive;
mod create;
mod delete;
mod pause;
mod trigger;
mod update;

pub use activate::activate;
pub use archive::archive;
pub use create::create;
pub use delete::delete;
pub use pause::pause;
pub use trigger::trigger;
pub use update::update;

use crate::db::Conn;
use crate::entity::{Actor, EventSource, Workflow};
use crate::error::{DomainError, DomainResult};
use crate::hooks::Hooks;
use crate::id::WorkflowId;
use crate::repo;
use crate::repo::event::NewEvent;
use crate::status::Verb;
use diesel_async::AsyncConnection;
use serde_json::json;

/// Refuses members whose role only reads.
pub(crate) fn authorize(actor: &impl Actor) -> DomainResult<()> {
    if actor.may_edit() {
        Ok(())
    } else {
        Err(DomainError::Forbidden)
    }
}

/// Records `Workflow.<verb in past tense>` and then whatever the AFTER hooks ask for.
pub(crate) async fn record(
    conn: &mut Conn,
    hooks: &Hooks,
    verb: Verb,
    workflow: &Workflow,
    actor: &impl Actor,
) -> DomainResult<()> {
    let verb_event = (
        EventSource::Verb,
        format!("Workflow.{}", verb.past_tense()),
        json!({
            "workflow": workflow.id,
            "name": workflow.name,
            "status": workflow.status,
            "version": workflow.version,
        }),
    );
    let hook_events = hooks
        .run_after(verb, workflow)
        .into_iter()
        .map(|(t, d)| (EventSource::Hook, t, d));
    for (source, event_type, data) in std::iter::once(verb_event).chain(hook_events) {
        let event = NewEvent {
            event_type,
            data,
            source,
            actor: Some(actor.reference()),
            subject: Some(workflow.id.to_string()),
        };
        // Verbs' events start the workflows listening for them, like posted ones.
        crate::ingest::record_and_queue(conn, &workflow.org_id, &event, 0).await?;
    }
    Ok(())
}

/// The shape every status verb shares (delete, activate, pause, trigger, archive), in one transaction.
pub(crate) async fn transition(
    conn: &mut Conn,
    hooks: &Hooks,
    actor: &impl Actor,
    id: &WorkflowId,
    verb: Verb,
) -> DomainResult<Workflow> {
    authorize(actor)?;
    conn.transaction::<_, DomainError, _>(async |conn| {
        transition_in(conn, hooks, actor, id, verb).await
    })
    .await
}

/// The body of `transition`, for verbs that add to the same transaction.
pub(crate) async fn transition_in(
    conn: &mut Conn,
    hooks: &Hooks,
    actor: &impl Actor,
    id: &WorkflowId,
    verb: Verb,
) -> DomainResult<Workflow> {
    {
        {
            let current = repo::workflow::get_for_update(conn, &actor.org().id, id).await?;
            let next = current
                .status
                .next(verb)
                .ok_or(DomainError::InvalidTransition {
                    from: current.status,
                    verb,
                })?;
            hooks
                .run_before(verb, &current)
                .map_err(DomainError::Vetoed)?;
            let changed = if verb == Verb::Delete {
                repo::workflow::soft_delete(conn, &actor.org().id, id, current.status).await?
            } else {
                repo::workflow::set_status(conn, &actor.org().id, id, current.status, next).await?
            };
            let changed = changed.ok_or(DomainError::Conflict {
                current_version: current.version,
            })?;
            record(conn, hooks, verb, &changed, actor).await?;
            Ok(changed)
        }
    }
}

/// Applies a verb by name (the buttons of the workflow page). `create` and `update` have forms of their own.
pub async fn apply(
    conn: &mut Conn,
    hooks: &Hooks,
    actor: &impl Actor,
    id: &WorkflowId,
    verb: Verb,
) -> DomainResult<Workflow> {
    match verb {
        Verb::Delete => delete(conn, hooks, actor, id).await,
        Verb::Activate => activate(conn, hooks, actor, id).await,
        Verb::Pause => pause(conn, hooks, actor, id).await,
        Verb::Trigger => trigger(conn, hooks, actor, id, serde_json::Value::Null)
            .await
            .map(|(w, _)| w),
        Verb::Archive => archive(conn, hooks, actor, id).await,
        Verb::Create | Verb::Update => Err(DomainError::field(
            "verb",
            format!("{verb} needs the workflow form"),
        )),
    }
}
