//! Retrying one run (from the start, or from its failed step reusing the steps that
//! succeeded), its plain-words preview, and cancelling a run in flight.

use super::{RetryFrom, RetryPreview, resume_step};
use crate::db::Conn;
use crate::entity::{Actor, EventSource, RetryOptions};
use crate::error::{DomainError, DomainResult};
use crate::id::RunId;
use crate::repo;
use crate::repo::event::NewEvent;
use crate::repo::run::RetrySource;
use crate::run::RunStatus;
use crate::workflow::WorkflowFields;
use diesel_async::AsyncConnection;
use serde_json::json;

/// Why a retry from step `at` cannot reuse the steps before it, if it cannot: they must be the
/// same in the version the run ran and the current one.
fn reuse_refused(
    at: i32,
    ran: (&WorkflowFields, i32),
    current: (&WorkflowFields, i32),
) -> Option<String> {
    let (ran, ran_version) = ran;
    let (current, version) = current;
    let at = at as usize;
    if ran_version == version {
        return None;
    }
    let before = |f: &WorkflowFields| f.steps.get(..at).map(<[_]>::to_vec);
    match (before(ran), before(current)) {
        (Some(a), Some(b)) if a == b => None,
        _ => {
            let changed = (0..at)
                .find(|i| ran.steps.get(*i) != current.steps.get(*i))
                .map_or(at, |i| i + 1);
            Some(format!(
                "Step {changed} changed since version {ran_version}, which this run ran, so its result cannot be reused: retry from the start."
            ))
        }
    }
}

/// Why the workflow's runs cannot be retried in its status, if they cannot.
fn status_refused(status: crate::status::Status) -> Option<String> {
    use crate::status::Status;
    match status {
        s if s.listens() => None,
        Status::Paused => Some(
            "The workflow is paused, so it runs nothing: activate it, then retry.".into(),
        ),
        Status::Draft => Some(
            "The workflow is a draft, so it runs nothing: activate it, then retry.".into(),
        ),
        _ => Some(
            "The workflow is archived, so its runs cannot be retried. Copy its steps into a new workflow to run them again.".into(),
        ),
    }
}

/// The retry options of a run in `status` (failed at `failed_step`, next at `next_step`)
/// that ran `ran` (version `ran_version`), given its workflow as it is now (`None`: deleted).
pub(crate) fn options(
    (status, failed_step, next_step): (RunStatus, Option<i32>, i32),
    (ran, ran_version): (&WorkflowFields, i32),
    current: Option<&crate::Workflow>,
) -> RetryOptions {
    let resume = resume_step(status, failed_step, next_step);
    let Some(current) = current else {
        return RetryOptions {
            refused: Some("The workflow was deleted, so its runs cannot be retried.".into()),
            ..RetryOptions::default()
        };
    };
    let failed_step_refused = match resume {
        Some(at) => reuse_refused(at, (ran, ran_version), (&current.fields(), current.version)),
        None if status == RunStatus::Succeeded => {
            Some("The run succeeded: there is no failed step to begin at.".into())
        }
        None => None,
    };
    let refused = if status.is_in_flight() {
        Some("The run has not ended yet: wait for it to end, or cancel it, then retry.".into())
    } else {
        status_refused(current.status)
    };
    RetryOptions {
        failed_step: resume.filter(|_| failed_step_refused.is_none()),
        failed_step_refused,
        refused,
    }
}

/// The preview of retrying run `id` from `from`, worked out from the run's real event and the
/// workflow's current steps; writes nothing. Any member may read it.
pub async fn preview(
    conn: &mut Conn,
    actor: &impl Actor,
    id: &RunId,
    from: RetryFrom,
) -> DomainResult<RetryPreview> {
    crate::access::read(actor)?;
    let org = actor.org();
    let source = repo::run::retry_source(conn, &org.id, id).await?;
    let workflow = repo::workflow::get(conn, &org.id, &source.workflow_id).await?;
    let ran =
        repo::workflow::fields_at(conn, &org.id, &workflow.id, source.workflow_version).await?;
    let state = (source.status, source.failed_step, source.next_step);
    let RetryOptions {
        failed_step,
        failed_step_refused,
        refused,
    } = options(state, (&ran, source.workflow_version), Some(&workflow));
    let from_step = match from {
        RetryFrom::Start => 0,
        RetryFrom::FailedStep => failed_step.unwrap_or(0),
    };
    let from = if from_step == 0 {
        RetryFrom::Start
    } else {
        from
    };
    let earlier = repo::run_step::for_run(conn, &org.id, id).await?;
    let event = crate::engine::EventContext {
        id: source.event_id.as_str(),
        event_type: &source.event_type,
        data: source.event_data.clone(),
        created_at: source.event_created_at,
    };
    let steps = crate::engine::preview(
        conn,
        org,
        (&workflow.id, workflow.version),
        workflow.fields(),
        &event,
        (from_step as usize, &earlier),
    )
    .await?;
    let (_, retries) = repo::run::retries_of(conn, &org.id, id, 0).await?;
    Ok(RetryPreview {
        run: source.id,
        run_status: source.status,
        workflow: workflow.id,
        workflow_name: workflow.name,
        ran_version: source.workflow_version,
        version: workflow.version,
        from,
        from_step,
        steps,
        failed_step,
        failed_step_refused,
        refused,
        retries,
        may_edit: actor.may_edit(),
    })
}

/// Retries run `id` from `from`: a new run of the same event on the workflow's current
/// version, linked to the one it repeats, recorded as `Run.retried` with its actor. From the
/// failed step, the records of the steps before it are copied and not run again.
/// `based_on`: the number of retries the asker saw; when others were queued since, the retry
/// is refused as stale (a second click queues nothing twice). Editors and Admins only.
pub async fn retry(
    conn: &mut Conn,
    actor: &impl Actor,
    id: &RunId,
    from: RetryFrom,
    based_on: Option<i64>,
) -> DomainResult<RunId> {
    crate::access::edit(actor)?;
    let org = actor.org();
    conn.transaction::<_, crate::store_error::StoreError, _>(async |conn| { crate::store_error::domain(async {
        repo::run::lock(conn, &org.id, id).await?;
        let (newest, retries) = repo::run::retries_of(conn, &org.id, id, 1).await?;
        if let Some(seen) = based_on.filter(|seen| *seen != retries) {
            let latest = newest.first().map(|(r, _)| r.to_string()).unwrap_or_default();
            return Err(DomainError::Refused(format!(
                "This run was retried meanwhile ({retries} retries now, {seen} when you looked; the latest is {latest}). Open the latest retry before retrying again."
            )));
        }
        let source = repo::run::retry_source(conn, &org.id, id).await?;
        let workflow = repo::workflow::get_for_update(conn, &org.id, &source.workflow_id).await?;
        // The same offer the run page and the preview read.
        let ran =
            repo::workflow::fields_at(conn, &org.id, &workflow.id, source.workflow_version).await?;
        let state = (source.status, source.failed_step, source.next_step);
        let offer = options(state, (&ran, source.workflow_version), Some(&workflow));
        if let Some(why) = offer.refused {
            return Err(DomainError::Refused(why));
        }
        let from_step = match (from, offer.failed_step) {
            (RetryFrom::Start, _) => 0,
            (RetryFrom::FailedStep, Some(at)) => at,
            (RetryFrom::FailedStep, None) => {
                let why = offer.failed_step_refused.unwrap_or_else(|| {
                    "This run has no failed step to begin at: retry from the start.".into()
                });
                return Err(DomainError::Refused(why));
            }
        };
        let retry = queue(conn, actor, &source, &workflow, from, from_step).await?;
        crate::ingest::notify_workers(conn).await?;
        Ok(retry)
    }).await })
    .await.map_err(Into::into)
}

/// Queues the retry of `source` at `from_step` and records `Run.retried`.
async fn queue(
    conn: &mut Conn,
    actor: &impl Actor,
    source: &RetrySource,
    workflow: &crate::Workflow,
    from: RetryFrom,
    from_step: i32,
) -> DomainResult<RunId> {
    let org = &actor.org().id;
    let chain_root = source.chain_root.as_ref().unwrap_or(&source.event_id);
    let by = actor.reference();
    let new = repo::run::NewRetry {
        run: repo::run::NewRun {
            org,
            workflow: &workflow.id,
            version: workflow.version,
            event: &source.event_id,
            depth: source.depth,
            chain_root,
        },
        retry_of: &source.id,
        from: from_step,
        requested_by: &by,
    };
    let retry = repo::run::insert_retry(conn, &new).await?;
    if from_step > 0 {
        repo::run_step::copy_before(conn, org, &source.id, &retry, from_step).await?;
    }
    let data = json!({
        "run": retry, "retryOf": source.id, "workflow": workflow.id, "name": workflow.name,
        "from": from.as_str(), "step": from_step + 1, "version": workflow.version,
    });
    let event = NewEvent {
        actor: Some(by),
        subject: Some(retry.to_string()),
        ..NewEvent::new("Run.retried", data, EventSource::Verb)
    };
    crate::ingest::record_and_queue(conn, org, &event, None, &crate::ingest::Limits::DEFAULT)
        .await?;
    Ok(retry)
}

/// Asks run `id` to stop: it ends Cancelled before its next step (a step in hand finishes
/// first), fenced like every write of the engine, with the actor kept. Asking twice is one
/// request. A run that has ended is refused. Editors and Admins only.
pub async fn cancel(conn: &mut Conn, actor: &impl Actor, id: &RunId) -> DomainResult<()> {
    crate::access::edit(actor)?;
    let org = &actor.org().id;
    conn.transaction::<_, crate::store_error::StoreError, _>(async |conn| {
        crate::store_error::domain(async {
            let status = repo::run::lock(conn, org, id).await?;
            if !status.is_in_flight() {
                return Err(DomainError::Refused(format!(
                    "The run has already ended ({}): there is nothing to cancel.",
                    status.label()
                )));
            }
            let now = time::OffsetDateTime::now_utc();
            if repo::run::request_cancel(conn, org, id, &actor.reference(), now).await? {
                crate::ingest::notify_workers(conn).await?;
            }
            Ok(())
        })
        .await
    })
    .await
    .map_err(Into::into)
}
