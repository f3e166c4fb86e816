//! The workflow's verbs. Each runs in one transaction: load and authorize, BEFORE hooks,
//! the guarded change, the verb's event with its actor, AFTER hooks (and their events).

mod activate;
mod archive;
mod create;
mod delete;
mod pause;
mod restore;
mod trigger;
mod update;

pub use activate::activate;
pub use archive::archive;
pub use create::{create, create_from};
pub use delete::delete;
pub use pause::pause;
pub use restore::restore;
pub use trigger::{trigger, trigger_with_text};
pub use update::{merge, update};

use crate::db::Conn;
use crate::entity::{Actor, EventSource, Workflow};
use crate::error::{DomainError, DomainResult};
use crate::hooks::Hooks;
use crate::id::WorkflowId;
use crate::ingest::{self, Limits};
use crate::repo;
use crate::repo::event::NewEvent;
use crate::status::Verb;
use crate::workflow::WorkflowInput;
use diesel_async::AsyncConnection;
use serde_json::json;

/// The verbs `actor` may apply to `workflow` now: those its status allows, if the actor may
/// change workflows at all; in the table's order.
pub fn allowed(actor: &impl Actor, workflow: &Workflow) -> Vec<Verb> {
    if actor.may_edit() {
        workflow.status.allowed_verbs()
    } else {
        Vec::new()
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
            actor: Some(actor.reference()),
            subject: Some(workflow.id.to_string()),
            ..NewEvent::new(event_type, data, source)
        };
        // Verbs' events start the workflows listening for them, like posted ones.
        ingest::record_and_queue(conn, &workflow.org_id, &event, None, &Limits::DEFAULT).await?;
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
    crate::access::edit(actor)?;
    conn.transaction::<_, crate::store_error::StoreError, _>(async |conn| {
        crate::store_error::domain(async { transition_in(conn, hooks, actor, id, verb).await })
            .await
    })
    .await
    .map_err(Into::into)
}

/// The body of `transition`, for verbs that add to the same transaction.
pub(crate) async fn transition_in(
    conn: &mut Conn,
    hooks: &Hooks,
    actor: &impl Actor,
    id: &WorkflowId,
    verb: Verb,
) -> DomainResult<Workflow> {
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
    let Some(changed) = changed else {
        return Err(DomainError::Conflict {
            current: Box::new(current),
        });
    };
    record(conn, hooks, verb, &changed, actor).await?;
    Ok(changed)
}

/// Applies a verb by name (the buttons of the workflow page, `POST .../{verb}`). `create` and
/// `update` have forms of their own; `trigger` runs with no sample data.
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

/// Saves the workflow form: creates a workflow when there is no id, else updates the one
/// with this id if it is still at `based_on`.
pub async fn save(
    conn: &mut Conn,
    hooks: &Hooks,
    actor: &impl Actor,
    existing: Option<(&WorkflowId, i32)>,
    input: &WorkflowInput,
) -> DomainResult<Workflow> {
    match existing {
        None => create(conn, hooks, actor, input).await,
        Some((id, based_on)) => update(conn, hooks, actor, id, based_on, input).await,
    }
}

/// `save` as the edit form sends it: no `id` creates a workflow; an id updates that one if it
/// is still at `version`, the version the form was loaded at.
pub async fn save_form(
    conn: &mut Conn,
    hooks: &Hooks,
    actor: &impl Actor,
    id: &str,
    version: &str,
    input: &WorkflowInput,
) -> DomainResult<Workflow> {
    if id.is_empty() {
        return save(conn, hooks, actor, None, input).await;
    }
    let id = WorkflowId::from_path(id)?;
    let version = version.parse::<i32>().map_err(|_| {
        DomainError::field(
            "version",
            "The form lost track of the version: reload and try again",
        )
    })?;
    save(conn, hooks, actor, Some((&id, version)), input).await
}

/// What a verb posted to a workflow's own address did: the workflow moved, or (trigger) a run
/// was queued.
pub enum Posted {
    Moved(Workflow),
    Queued(Workflow, crate::id::RunId),
}

/// A verb posted to a workflow's own address (`Verb::posted`: activate, pause, archive, or
/// trigger with `payload` as the event's data, `null` when absent), for the REST API.
pub async fn post(
    conn: &mut Conn,
    hooks: &Hooks,
    actor: &impl Actor,
    id: &WorkflowId,
    verb: Verb,
    payload: Option<serde_json::Value>,
) -> DomainResult<Posted> {
    if verb == Verb::Trigger {
        let payload = payload.unwrap_or(serde_json::Value::Null);
        let (workflow, run) = trigger(conn, hooks, actor, id, payload).await?;
        return Ok(Posted::Queued(workflow, run));
    }
    apply(conn, hooks, actor, id, verb).await.map(Posted::Moved)
}

/// `apply` with the verb as a request names it (`activate`); an unknown name is a field error.
pub async fn apply_named(
    conn: &mut Conn,
    hooks: &Hooks,
    actor: &impl Actor,
    id: &WorkflowId,
    verb: &str,
) -> DomainResult<Workflow> {
    let verb: Verb = verb
        .parse()
        .map_err(|_| DomainError::field("verb", format!("`{verb}` is not a verb")))?;
    apply(conn, hooks, actor, id, verb).await
}
