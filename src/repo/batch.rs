//! Batches of retries: one per confirmed bulk retry, keyed by its confirm form so that the
//! same confirm sent twice queues it once; their runs carry `runs.batch_id`.

use crate::db::Conn;
use crate::id::Generate;
use crate::id::{BatchId, EventId, OrgId, RunId, WorkflowId};
use crate::list_query::RunQuery;
use crate::run::RunStatus;
use crate::schema::{run_batches, runs};
use crate::sql_text::Sql;
use crate::store_error::QueryResult;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use diesel_async::RunQueryDsl;
use time::OffsetDateTime;

/// A batch as its progress panel reads it.
#[derive(Queryable, Clone, Debug)]
pub struct BatchRow {
    pub id: BatchId,
    pub requested_by: String,
    pub retry_from: String,
    pub filter: String,
    pub total: i32,
    pub skipped: i32,
    pub created_at: OffsetDateTime,
    pub cancel_requested_by: Option<String>,
}

/// Records a new batch under `key`; `None` when a batch with this key exists already (it is
/// the same confirm, sent again).
pub async fn insert(
    conn: &mut Conn,
    org: &OrgId,
    by: &str,
    (from, filter, key): (&str, &str, &str),
) -> QueryResult<Option<BatchId>> {
    diesel::insert_into(run_batches::table)
        .values((
            run_batches::id.eq(BatchId::generate().sql()),
            run_batches::org_id.eq(org.sql()),
            run_batches::requested_by.eq(by.sql()),
            run_batches::retry_from.eq(from),
            run_batches::filter.eq(filter),
            run_batches::request_key.eq(key),
        ))
        .on_conflict((run_batches::org_id, run_batches::request_key))
        .do_nothing()
        .returning(run_batches::id)
        .get_result(conn)
        .await
        .optional()
        .map_err(Into::into)
}

fn columns() -> (
    run_batches::id,
    run_batches::requested_by,
    run_batches::retry_from,
    run_batches::filter,
    run_batches::total,
    run_batches::skipped,
    run_batches::created_at,
    run_batches::cancel_requested_by,
) {
    (
        run_batches::id,
        run_batches::requested_by,
        run_batches::retry_from,
        run_batches::filter,
        run_batches::total,
        run_batches::skipped,
        run_batches::created_at,
        run_batches::cancel_requested_by,
    )
}

/// The batch of `org` queued under `key`.
pub async fn by_key(conn: &mut Conn, org: &OrgId, key: &str) -> QueryResult<BatchRow> {
    run_batches::table
        .filter(run_batches::org_id.eq(org.sql()))
        .filter(run_batches::request_key.eq(key))
        .select(columns())
        .first(conn)
        .await
        .map_err(Into::into)
}

/// The batch `id` of `org`.
pub async fn get(conn: &mut Conn, org: &OrgId, id: &BatchId) -> QueryResult<BatchRow> {
    run_batches::table
        .filter(run_batches::org_id.eq(org.sql()))
        .filter(run_batches::id.eq(id.sql()))
        .select(columns())
        .first(conn)
        .await
        .map_err(Into::into)
}

/// How many runs of the batch are in each status.
pub async fn progress(
    conn: &mut Conn,
    org: &OrgId,
    id: &BatchId,
) -> QueryResult<Vec<(RunStatus, i64)>> {
    runs::table
        .filter(runs::org_id.eq(org.sql()))
        .filter(runs::batch_id.eq(id.as_str().sql_nullable()))
        .group_by(runs::status)
        .select((runs::status, diesel::dsl::count_star()))
        .load(conn)
        .await
        .map_err(Into::into)
}

/// A run a bulk retry may repeat, with what its retry needs.
#[derive(Queryable, Clone, Debug)]
pub struct Candidate {
    pub id: RunId,
    pub workflow_id: WorkflowId,
    pub workflow_version: i32,
    pub status: RunStatus,
    pub failed_step: Option<i32>,
    pub next_step: i32,
    pub event_id: EventId,
    pub depth: i32,
    pub chain_root: Option<EventId>,
}

/// The runs of `org` that `query` lets through, ended without succeeding and not retried yet,
/// newest first, at most `limit`.
pub async fn candidates(
    conn: &mut Conn,
    org: &OrgId,
    query: &RunQuery,
    now: OffsetDateTime,
    limit: i64,
) -> QueryResult<Vec<Candidate>> {
    let failures: Vec<RunStatus> = RunStatus::ALL
        .into_iter()
        .filter(|s| s.is_failure())
        .collect();
    super::run::matching(org, query, now)
        .filter(runs::status.eq_any(crate::sql_text::all(&failures)))
        .filter(sql::<Bool>(
            "NOT EXISTS (SELECT 1 FROM runs r2 WHERE r2.retry_of = runs.id)",
        ))
        .order((runs::queued_at.desc(), runs::id.desc()))
        .limit(limit)
        .select((
            runs::id,
            runs::workflow_id,
            runs::workflow_version,
            runs::status,
            runs::failed_step,
            runs::next_step,
            runs::event_id,
            runs::depth,
            runs::chain_root,
        ))
        .load(conn)
        .await
        .map_err(Into::into)
}

/// One retry of a batch, about to be queued.
pub struct Queued<'a> {
    pub id: RunId,
    pub of: &'a Candidate,
    pub version: i32,
    pub from: i32,
}

/// Queues the batch's retries (in chunks, within PostgreSQL's limit on parameters) and copies
/// the reused steps of those that begin past the start; records the batch's counts.
pub async fn queue(
    conn: &mut Conn,
    org: &OrgId,
    batch: &BatchId,
    by: &str,
    retries: &[Queued<'_>],
    skipped: usize,
) -> QueryResult<()> {
    for chunk in retries.chunks(1_000) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|q| {
                (
                    runs::id.eq(q.id.sql()),
                    runs::org_id.eq(org.sql()),
                    runs::workflow_id.eq(q.of.workflow_id.sql()),
                    runs::workflow_version.eq(q.version),
                    runs::event_id.eq(q.of.event_id.sql()),
                    runs::depth.eq(q.of.depth),
                    runs::chain_root
                        .eq((q.of.chain_root.as_ref().unwrap_or(&q.of.event_id)).sql_nullable()),
                    runs::status.eq(RunStatus::Queued.sql()),
                    runs::next_step.eq(q.from),
                    runs::retry_of.eq(q.of.id.sql_nullable()),
                    runs::retry_from.eq(q.from),
                    runs::requested_by.eq(by.sql_nullable()),
                    runs::batch_id.eq(batch.as_str().sql_nullable()),
                )
            })
            .collect();
        diesel::insert_into(runs::table)
            .values(rows)
            .execute(conn)
            .await?;
    }
    diesel::sql_query(
        "INSERT INTO run_steps (run_id, idx, org_id, action, status, input, output, error, attempts,
                                started_at, finished_at, reused_from)
         SELECT r.id, s.idx, s.org_id, s.action, s.status, s.input, s.output, s.error, s.attempts,
                s.started_at, s.finished_at, s.run_id
         FROM runs r JOIN run_steps s ON s.run_id = r.retry_of AND s.idx < r.retry_from
         WHERE r.batch_id = $1 AND r.org_id = $2 AND r.retry_from > 0",
    )
    .bind::<crate::sql_text::Stored, _>(batch)
    .bind::<crate::sql_text::Stored, _>(org)
    .execute(conn)
    .await?;
    diesel::update(run_batches::table.find(batch.sql()))
        .set((
            run_batches::total.eq(retries.len() as i32),
            run_batches::skipped.eq(skipped as i32),
        ))
        .execute(conn)
        .await
        .map(drop)
        .map_err(Into::into)
}

/// Asks the batch's runs that have not started to stop (the started ones finish), and records
/// who asked; returns how many were asked.
pub async fn cancel_unstarted(
    conn: &mut Conn,
    org: &OrgId,
    batch: &BatchId,
    by: &str,
    now: OffsetDateTime,
) -> QueryResult<usize> {
    diesel::update(run_batches::table.find(batch.sql()))
        .filter(run_batches::org_id.eq(org.sql()))
        .set(run_batches::cancel_requested_by.eq(by.sql_nullable()))
        .execute(conn)
        .await?;
    diesel::update(
        runs::table
            .filter(runs::org_id.eq(org.sql()))
            .filter(runs::batch_id.eq(batch.as_str().sql_nullable()))
            .filter(runs::status.eq_any(crate::sql_text::all(&RunStatus::IN_FLIGHT)))
            .filter(runs::started_at.is_null())
            .filter(runs::cancel_requested_by.is_null()),
    )
    .set((
        runs::cancel_requested_by.eq(by.sql_nullable()),
        runs::run_at.eq(now),
    ))
    .execute(conn)
    .await
    .map_err(Into::into)
}
