//! Runs: queued by ingest, the trigger verb and retries (here, with cancelling, the queue's size
//! and pruning), claimed by the engine's workers (`claim`), advanced by them with every change
//! fenced by the claim (`moves`), and read back by the run pages (`read`).

mod claim;
mod moves;
mod read;

pub use claim::*;
pub use moves::*;
pub use read::*;

use crate::db::Conn;
use crate::id::Generate;
use crate::id::{EventId, OrgId, RunId, WorkflowId};
use crate::run::RunStatus;
use crate::schema::{events, runs};
use crate::sql_text::Sql;
use crate::sql_text::quoted;
use crate::store_error::QueryResult;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use std::sync::LazyLock;
use time::OffsetDateTime;

/// A run about to be queued.
pub struct NewRun<'a> {
    pub org: &'a OrgId,
    pub workflow: &'a WorkflowId,
    pub version: i32,
    pub event: &'a EventId,
    /// Links down its chain of events (0 for a posted event's run).
    pub depth: i32,
    /// The event its chain started from.
    pub chain_root: &'a EventId,
}

/// Queues a run; workers see it once committed.
pub async fn insert(conn: &mut Conn, new: &NewRun<'_>) -> QueryResult<RunId> {
    let run = RunId::generate();
    diesel::insert_into(runs::table)
        .values((
            runs::id.eq(run.sql()),
            runs::org_id.eq(new.org.sql()),
            runs::workflow_id.eq(new.workflow.sql()),
            runs::workflow_version.eq(new.version),
            runs::event_id.eq(new.event.sql()),
            runs::depth.eq(new.depth),
            runs::chain_root.eq(new.chain_root.sql_nullable()),
            runs::status.eq(RunStatus::Queued.sql()),
        ))
        .execute(conn)
        .await?;
    Ok(run)
}

/// The runs an event queued, in the order they were queued (by workflow).
pub async fn for_event(conn: &mut Conn, event: &EventId) -> QueryResult<Vec<RunId>> {
    runs::table
        .filter(runs::event_id.eq(event.sql()))
        .order(runs::workflow_id.asc())
        .select(runs::id)
        .load(conn)
        .await
        .map_err(Into::into)
}

/// A run as the engine holds it.
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = runs, check_for_backend(diesel::pg::Pg))]
pub struct RunRow {
    pub id: RunId,
    pub org_id: OrgId,
    pub workflow_id: WorkflowId,
    pub workflow_version: i32,
    pub event_id: EventId,
    pub next_step: i32,
    pub attempt: i32,
    pub depth: i32,
    pub failed_step: Option<i32>,
    pub started_at: Option<OffsetDateTime>,
    pub chain_root: Option<EventId>,
    pub events_recorded: i32,
    pub stalls: i32,
    pub error: Option<String>,
    pub notice: Option<String>,
    /// Who asked the run to stop: its next move ends it Cancelled.
    pub cancel_requested_by: Option<String>,
}

impl RunRow {
    /// The event its chain started from (runs queued before chains were kept: its own event).
    pub fn chain_root(&self) -> &EventId {
        self.chain_root.as_ref().unwrap_or(&self.event_id)
    }

    /// What the run has recorded so far, before this transaction's step.
    pub fn news(&self) -> News {
        News {
            events_recorded: self.events_recorded,
            notice: self.notice.clone(),
        }
    }
}

/// What a step adds to its run besides moving it: the events its steps recorded, and a notice
/// when some of them started nothing. Written with the run's move, in the same UPDATE: a second
/// update of the row in one transaction would make PostgreSQL check its foreign keys again.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct News {
    pub events_recorded: i32,
    pub notice: Option<String>,
}

/// `runs.status = 'Running'`, written from the enum: a constant, which the planner matches to
/// the partial index `runs_running` whatever plan it keeps for the statement.
pub(crate) static IS_RUNNING: LazyLock<String> = LazyLock::new(|| {
    format!(
        "runs.status = {}",
        quoted(&[RunStatus::Running], RunStatus::as_str)
    )
});

/// Removes up to `batch` runs that ended before `before`, with their steps; returns how many.
/// Small batches, so that housekeeping never holds many locks for long.
pub async fn prune_ended_before(
    conn: &mut Conn,
    before: OffsetDateTime,
    batch: i64,
) -> QueryResult<usize> {
    use crate::schema::run_steps;
    use diesel_async::AsyncConnection;
    conn.transaction::<_, crate::store_error::StoreError, _>(async |conn| {
        let old: Vec<RunId> = runs::table
            .filter(runs::finished_at.lt(before))
            .order(runs::finished_at.asc())
            .limit(batch)
            .select(runs::id)
            .for_update()
            .skip_locked()
            .load(conn)
            .await?;
        diesel::delete(
            run_steps::table.filter(run_steps::run_id.eq_any(crate::sql_text::all(&old))),
        )
        .execute(conn)
        .await?;
        diesel::delete(runs::table.filter(runs::id.eq_any(crate::sql_text::all(&old))))
            .execute(conn)
            .await
            .map_err(Into::into)
    })
    .await
}

/// A retry about to be queued: the run it repeats and where it begins.
pub struct NewRetry<'a> {
    pub run: NewRun<'a>,
    pub retry_of: &'a RunId,
    /// The step it begins at; the ones before are copied from `retry_of`.
    pub from: i32,
    pub requested_by: &'a str,
}

/// Queues a retry; workers see it once committed.
pub async fn insert_retry(conn: &mut Conn, new: &NewRetry<'_>) -> QueryResult<RunId> {
    let run = RunId::generate();
    let r = &new.run;
    diesel::insert_into(runs::table)
        .values((
            runs::id.eq(run.sql()),
            runs::org_id.eq(r.org.sql()),
            runs::workflow_id.eq(r.workflow.sql()),
            runs::workflow_version.eq(r.version),
            runs::event_id.eq(r.event.sql()),
            runs::depth.eq(r.depth),
            runs::chain_root.eq(r.chain_root.sql_nullable()),
            runs::status.eq(RunStatus::Queued.sql()),
            runs::next_step.eq(new.from),
            runs::retry_of.eq(new.retry_of.sql_nullable()),
            runs::retry_from.eq(new.from),
            runs::requested_by.eq(new.requested_by.sql_nullable()),
        ))
        .execute(conn)
        .await?;
    Ok(run)
}

/// Asks run `id` of `org` to stop: its next move ends it Cancelled. A run waiting (queued, or
/// for its next attempt) is made due now, so that a worker ends it at once. False when the
/// run has ended or was asked already.
pub async fn request_cancel(
    conn: &mut Conn,
    org: &OrgId,
    id: &RunId,
    by: &str,
    now: OffsetDateTime,
) -> QueryResult<bool> {
    let changed = diesel::update(
        runs::table
            .filter(runs::id.eq(id.sql()))
            .filter(runs::org_id.eq(org.sql()))
            .filter(runs::status.eq_any(crate::sql_text::all(&RunStatus::IN_FLIGHT)))
            .filter(runs::cancel_requested_by.is_null()),
    )
    .set((
        runs::cancel_requested_by.eq(by.sql_nullable()),
        runs::run_at.eq(now),
    ))
    .execute(conn)
    .await?;
    Ok(changed == 1)
}

/// Runs waiting for a worker in every organization: how many are queued, and how long the
/// oldest has waited (seconds), for the operator's metrics.
pub async fn queue(conn: &mut Conn, now: OffsetDateTime) -> QueryResult<(i64, f64)> {
    let (queued, oldest): (i64, Option<OffsetDateTime>) = runs::table
        .filter(runs::status.eq(crate::run::RunStatus::Queued.sql()))
        .select((diesel::dsl::count_star(), diesel::dsl::min(runs::queued_at)))
        .first(conn)
        .await?;
    let waited = oldest.map_or(0.0, |t| (now - t).as_seconds_f64().max(0.0));
    Ok((queued, waited))
}
