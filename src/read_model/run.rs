//! Reading runs back: a workflow's history (keyset pages that stay fast with many runs) and one
//! run step by step. Always inside the actor's organization.

pub use switchyard_model::read_model::run::*;

use crate::id::RunId;
use {
    crate::db::Conn,
    crate::entity::{Actor, RunDetail, RunStepView},
    crate::error::DomainResult,
    crate::id::WorkflowId,
    crate::list_query::RunQuery,
    crate::repo,
    crate::run::StepStatus,
};

/// A workflow's runs, newest first, filtered and paged by `query`.
pub async fn history(
    conn: &mut Conn,
    actor: &impl Actor,
    workflow: &WorkflowId,
    query: &RunQuery,
) -> DomainResult<RunHistory> {
    crate::access::read(actor)?;
    let org = &actor.org().id;
    let found = repo::workflow::get(conn, org, workflow).await?;
    let query = RunQuery {
        workflow: Some(workflow.clone()),
        ..query.clone()
    };
    let now = time::OffsetDateTime::now_utc();
    let (runs, more) = repo::run::search(conn, org, &query, now, PAGE).await?;
    let next = more.then(|| runs.last().map(|r| r.id.clone())).flatten();
    let mut matched = matched(conn, org, &query, now).await?;
    // The page's own workflow is not one of its filters.
    matched.applied.workflow = None;
    Ok(RunHistory {
        workflow_name: found.name,
        runs,
        matched,
        next,
    })
}

/// The organization's runs, newest first, filtered and paged by `query`.
pub async fn search(
    conn: &mut Conn,
    actor: &impl Actor,
    query: &RunQuery,
) -> DomainResult<RunList> {
    crate::access::read(actor)?;
    let org = &actor.org().id;
    let now = time::OffsetDateTime::now_utc();
    let (runs, more) = repo::run::search(conn, org, query, now, PAGE).await?;
    let next = more.then(|| runs.last().map(|r| r.id.clone())).flatten();
    let matched = matched(conn, org, query, now).await?;
    let workflows = repo::workflow::names(conn, org).await?;
    let group = match &query.group {
        Some(key) => repo::stats::group(conn, org, key)
            .await?
            .map(|(workflow, step, error)| {
                let name = workflows
                    .iter()
                    .find(|w| w.id == workflow)
                    .map_or_else(String::new, |w| w.name.clone());
                let error = super::dashboard::without_step(&error);
                format!("{name}, step {}: {error}", step + 1)
            }),
        None => None,
    };
    let batch = match &query.batch {
        Some(id) => Some(crate::retry::batch(conn, actor, id).await?),
        None => None,
    };
    Ok(RunList {
        runs,
        matched,
        next,
        workflows,
        group,
        batch,
    })
}

/// How many runs match `query`, and what its step and version filters offer.
async fn matched(
    conn: &mut Conn,
    org: &crate::id::OrgId,
    query: &RunQuery,
    now: time::OffsetDateTime,
) -> DomainResult<Matched> {
    let count = repo::run::count(conn, org, query, now, COUNT_MAX + 1).await?;
    let (steps, versions) = repo::workflow::bounds(conn, org, query.workflow.as_ref()).await?;
    Ok(Matched {
        count,
        steps,
        versions,
        problems: Vec::new(),
        applied: RunQuery {
            before: None,
            ..query.clone()
        },
    })
}

/// One run with every step of its workflow version: done ones as recorded, the rest Pending.
pub async fn detail(conn: &mut Conn, actor: &impl Actor, id: &RunId) -> DomainResult<RunDetail> {
    crate::access::read(actor)?;
    let org = &actor.org().id;
    let (run, event_id, event_data) = repo::run::summary(conn, org, id).await?;
    let fields = repo::workflow::fields_at(conn, org, &run.workflow, run.workflow_version).await?;
    let done = repo::run_step::for_run(conn, org, id).await?;
    let steps: Vec<RunStepView> = fields
        .steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let label = step.label().to_owned();
            match done.iter().find(|d| d.idx == i as i32) {
                Some(d) => RunStepView {
                    index: d.idx,
                    label,
                    action: d.action.clone(),
                    status: d.status,
                    input: d.input.clone(),
                    output: d.output.clone(),
                    error: d.error.clone(),
                    attempts: d.attempts,
                    finished_at: d.finished_at,
                    reused: d.reused_from.is_some(),
                },
                None => RunStepView {
                    index: i as i32,
                    label,
                    action: step.action.clone(),
                    // A run that ended never reached it.
                    status: if run.status.is_in_flight() {
                        StepStatus::Pending
                    } else {
                        StepStatus::Skipped
                    },
                    input: None,
                    output: None,
                    error: None,
                    attempts: 0,
                    finished_at: None,
                    reused: false,
                },
            }
        })
        .collect();
    let lineage = repo::run::lineage(conn, org, id).await?;
    let (lineage_next_step, group) = (lineage.next_step, lineage.failure_group.clone());
    let retry_of = match (lineage.retry_of, lineage.requested_by) {
        (Some(of), Some(by)) => {
            let who = repo::org::who(conn, org, &by).await?;
            Some((of, lineage.retry_from.unwrap_or(0), who))
        }
        _ => None,
    };
    let cancel_requested_by = match lineage.cancel_requested_by {
        Some(by) => Some(repo::org::who(conn, org, &by).await?),
        None => None,
    };
    let (retried_by, retries) = repo::run::retries_of(conn, org, id, 5).await?;
    let current = match repo::workflow::get(conn, org, &run.workflow).await {
        Ok(workflow) => Some(workflow),
        Err(crate::store_error::StoreError::Database(diesel::result::Error::NotFound)) => None,
        Err(other) => return Err(other.into()),
    };
    let state = (run.status, run.failed_step, lineage_next_step);
    let retry = crate::retry::options(state, (&fields, run.workflow_version), current.as_ref());
    let blame = blame(&run, &fields, &steps, group, current.as_ref());
    Ok(RunDetail {
        run,
        event_id,
        event_data,
        steps,
        retry_of,
        retried_by,
        retries,
        cancel_requested_by,
        may_edit: actor.may_edit(),
        retry,
        blame,
    })
}

/// The mapping row that made the failed step's bad value, for the run page's "Fix step N";
/// `group` is the failure group the engine filed the run under.
fn blame(
    run: &crate::entity::RunSummary,
    fields: &crate::workflow::WorkflowFields,
    steps: &[RunStepView],
    group: Option<String>,
    current: Option<&crate::Workflow>,
) -> Option<crate::blame::Blame> {
    let failed = steps.iter().find(|s| s.status == StepStatus::Failed)?;
    let error = failed.error.as_deref()?;
    let step = fields.steps.get(failed.index as usize)?;
    let (field, value, words) = crate::blame::words(
        failed.index,
        step.label(),
        error,
        &step.mapping,
        failed.input.as_ref(),
        &fields.trigger_event,
    );
    Some(crate::blame::Blame {
        step: failed.index,
        field,
        value,
        words,
        group,
        changed_since: current.is_some_and(|w| w.version != run.workflow_version),
    })
}
