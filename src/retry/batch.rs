//! Bulk retries: a filtered run list retried as one batch, its preview first, its progress
//! after, and the cancel of its runs not started yet.

use super::{BATCH_MAX, BatchProgress, BatchQueued, BulkPreview, RetryFrom};
use crate::id::Generate;
use {
    super::{options, parse_from, preview},
    crate::db::Conn,
    crate::entity::{Actor, EventSource},
    crate::error::{DomainError, DomainResult},
    crate::id::RunId,
    crate::repo,
    crate::repo::event::NewEvent,
    crate::workflow::WorkflowFields,
    diesel_async::AsyncConnection,
    serde_json::json,
};

/// The runs a bulk retry takes from `candidates`, each with the step it begins at, and the
/// ones it leaves out by reason. One rule for the preview and the queueing.
async fn sort_out<'c>(
    conn: &mut Conn,
    org: &crate::OrgId,
    candidates: &'c [repo::batch::Candidate],
    from: RetryFrom,
) -> DomainResult<(
    Vec<(&'c repo::batch::Candidate, i32, i32)>,
    Vec<(String, usize)>,
)> {
    use std::collections::{BTreeMap, HashMap};
    let mut workflows: HashMap<crate::WorkflowId, Option<crate::Workflow>> = HashMap::new();
    let mut versions: HashMap<(crate::WorkflowId, i32), WorkflowFields> = HashMap::new();
    let mut taken = Vec::new();
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    for c in candidates {
        if !workflows.contains_key(&c.workflow_id) {
            let found = match repo::workflow::get(conn, org, &c.workflow_id).await {
                Ok(w) => Some(w),
                Err(crate::store_error::StoreError::Database(diesel::result::Error::NotFound)) => {
                    None
                }
                Err(e) => return Err(e.into()),
            };
            workflows.insert(c.workflow_id.clone(), found);
        }
        let Some(workflow) = workflows[&c.workflow_id].clone() else {
            *skipped
                .entry("its workflow was deleted".into())
                .or_default() += 1;
            continue;
        };
        if !workflow.status.listens() {
            let why = format!(
                "{} is {}",
                workflow.name,
                workflow.status.as_str().to_lowercase()
            );
            *skipped.entry(why).or_default() += 1;
            continue;
        }
        let from_step = match from {
            RetryFrom::Start => 0,
            RetryFrom::FailedStep => {
                let key = (c.workflow_id.clone(), c.workflow_version);
                if !versions.contains_key(&key) {
                    let fields =
                        repo::workflow::fields_at(conn, org, &c.workflow_id, c.workflow_version)
                            .await?;
                    versions.insert(key.clone(), fields);
                }
                let ran = (&versions[&key], c.workflow_version);
                let state = (c.status, c.failed_step, c.next_step);
                match options(state, ran, Some(&workflow)).failed_step {
                    Some(at) => at,
                    None => {
                        let why = "steps before the failed one changed since".to_owned();
                        *skipped.entry(why).or_default() += 1;
                        continue;
                    }
                }
            }
        };
        taken.push((c, workflow.version, from_step));
    }
    Ok((taken, skipped.into_iter().collect()))
}

/// What retrying the runs `query` lets through (ended without succeeding, not retried yet)
/// would do: how many, which are left out and why, and the preview of the newest one.
pub async fn bulk_preview(
    conn: &mut Conn,
    actor: &impl Actor,
    query: &crate::list_query::RunQuery,
    from: RetryFrom,
) -> DomainResult<BulkPreview> {
    crate::access::read(actor)?;
    let org = &actor.org().id;
    let now = time::OffsetDateTime::now_utc();
    let mut candidates =
        repo::batch::candidates(conn, org, query, now, BATCH_MAX as i64 + 1).await?;
    let over_limit = candidates.len() > BATCH_MAX;
    candidates.truncate(BATCH_MAX);
    let (taken, skipped) = sort_out(conn, org, &candidates, from).await?;
    // The newest few are previewed one by one: how many would fail again as the workflow is now.
    let mut sample = None;
    let (mut checked, mut fail_again) = (0, 0);
    for (c, _, _) in taken.iter().take(PREVIEWED) {
        let previewed = preview(conn, actor, &c.id, from).await?;
        checked += 1;
        fail_again += usize::from(previewed.fails_at().is_some());
        sample.get_or_insert(previewed);
    }
    Ok(BulkPreview {
        from,
        checked,
        fail_again,
        retried: taken.len(),
        over_limit,
        skipped,
        sample,
        may_edit: actor.may_edit(),
        key: crate::id::random_base62(16),
    })
}

/// How many of a bulk retry's runs its preview works out one by one.
const PREVIEWED: usize = 20;

/// Retries the runs `query` lets through as one batch (at most `BATCH_MAX`), recorded with its
/// actor and `RunBatch.queued`. `key` names the confirm: a batch already queued under it is
/// answered again, and nothing more is queued. Editors and Admins only.
pub async fn retry_bulk(
    conn: &mut Conn,
    actor: &impl Actor,
    query: &crate::list_query::RunQuery,
    from: RetryFrom,
    key: &str,
) -> DomainResult<BatchQueued> {
    crate::access::edit(actor)?;
    let key = key.trim();
    if key.is_empty() || key.len() > 64 {
        return Err(DomainError::field(
            "key",
            "The confirm's key is missing or damaged: open the bulk retry again",
        ));
    }
    let org = &actor.org().id;
    let by = actor.reference();
    let filter = query
        .pairs()
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    conn.transaction::<_, crate::store_error::StoreError, _>(async |conn| {
        let Some(batch) =
            repo::batch::insert(conn, org, &by, (from.as_str(), &filter, key)).await?
        else {
            let found = repo::batch::by_key(conn, org, key).await?;
            return Ok(BatchQueued {
                batch: found.id,
                queued: found.total as usize,
                skipped: found.skipped as usize,
                again: true,
            });
        };
        let now = time::OffsetDateTime::now_utc();
        let candidates = repo::batch::candidates(conn, org, query, now, BATCH_MAX as i64).await?;
        let (taken, skipped) = sort_out(conn, org, &candidates, from).await?;
        let retries: Vec<repo::batch::Queued> = taken
            .iter()
            .map(|(c, version, from_step)| repo::batch::Queued {
                id: RunId::generate(),
                of: c,
                version: *version,
                from: *from_step,
            })
            .collect();
        let left_out: usize = skipped.iter().map(|(_, n)| n).sum();
        repo::batch::queue(conn, org, &batch, &by, &retries, left_out).await?;
        let data = json!({
            "batch": batch, "runs": retries.len(), "skipped": left_out,
            "from": from.as_str(), "filter": filter,
        });
        let event = NewEvent {
            actor: Some(by.clone()),
            subject: Some(batch.to_string()),
            ..NewEvent::new("RunBatch.queued", data, EventSource::Verb)
        };
        let limits = crate::ingest::Limits::DEFAULT;
        crate::ingest::record_and_queue(conn, org, &event, None, &limits).await?;
        crate::ingest::notify_workers(conn).await?;
        Ok(BatchQueued {
            batch,
            queued: retries.len(),
            skipped: left_out,
            again: false,
        })
    })
    .await
    .map_err(Into::into)
}

/// A batch's progress: its runs by status, who queued it and who asked to cancel it.
pub async fn batch(
    conn: &mut Conn,
    actor: &impl Actor,
    id: &crate::id::BatchId,
) -> DomainResult<BatchProgress> {
    crate::access::read(actor)?;
    let org = &actor.org().id;
    let row = repo::batch::get(conn, org, id).await?;
    let counts = repo::batch::progress(conn, org, id).await?;
    let requested_by = repo::org::who(conn, org, &row.requested_by).await?;
    let cancel_requested_by = match &row.cancel_requested_by {
        Some(by) => Some(repo::org::who(conn, org, by).await?),
        None => None,
    };
    Ok(BatchProgress {
        id: row.id,
        from: parse_from(&row.retry_from)?,
        total: row.total,
        skipped: row.skipped,
        requested_by,
        created_at: row.created_at,
        counts,
        cancel_requested_by,
        may_edit: actor.may_edit(),
    })
}

/// Cancels the batch's runs that have not started; the started ones finish, so that no run
/// is left half-done. Returns how many were cancelled. Editors and Admins only.
pub async fn cancel_batch(
    conn: &mut Conn,
    actor: &impl Actor,
    id: &crate::id::BatchId,
) -> DomainResult<usize> {
    crate::access::edit(actor)?;
    let org = &actor.org().id;
    conn.transaction::<_, crate::store_error::StoreError, _>(async |conn| {
        repo::batch::get(conn, org, id).await?;
        let now = time::OffsetDateTime::now_utc();
        let asked = repo::batch::cancel_unstarted(conn, org, id, &actor.reference(), now).await?;
        if asked > 0 {
            crate::ingest::notify_workers(conn).await?;
        }
        Ok(asked)
    })
    .await
    .map_err(Into::into)
}
