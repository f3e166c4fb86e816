//! Runs: queued by ingest and the trigger verb, claimed and advanced by the engine's workers
//! (every change fenced by the claim), and read back by the run pages (`read`).

mod read;

pub use read::*;

use crate::db::Conn;
use crate::engine::Claim;
use crate::id::{EventId, OrgId, RunId, WorkflowId};
use crate::run::RunStatus;
use crate::schema::{events, runs};
use crate::sql_text::quoted;
use diesel::dsl;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamptz};
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
            runs::id.eq(&run),
            runs::org_id.eq(new.org),
            runs::workflow_id.eq(new.workflow),
            runs::workflow_version.eq(new.version),
            runs::event_id.eq(new.event),
            runs::depth.eq(new.depth),
            runs::chain_root.eq(new.chain_root),
            runs::status.eq(RunStatus::Queued),
        ))
        .execute(conn)
        .await?;
    Ok(run)
}

/// The runs an event queued, in the order they were queued (by workflow).
pub async fn for_event(conn: &mut Conn, event: &EventId) -> QueryResult<Vec<RunId>> {
    runs::table
        .filter(runs::event_id.eq(event))
        .order(runs::workflow_id.asc())
        .select(runs::id)
        .load(conn)
        .await
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

type ClaimedRun<'a> = dsl::And<
    dsl::And<
        dsl::And<dsl::Eq<runs::id, &'a RunId>, dsl::Eq<runs::fence, i64>>,
        dsl::Eq<runs::lease_owner, &'a str>,
    >,
    dsl::Eq<runs::status, RunStatus>,
>;

/// The run `claim` names, while `worker` holds it under that claim: every write of a claimed
/// run is fenced by it.
fn claimed<'a>(worker: &'a str, claim: &'a Claim) -> ClaimedRun<'a> {
    runs::id
        .eq(&claim.run)
        .and(runs::fence.eq(claim.fence))
        .and(runs::lease_owner.eq(worker))
        .and(runs::status.eq(RunStatus::Running))
}

/// The claim, one statement: the oldest ready run of the first organization after `$4` (by
/// id) that has one, else of the first organization of all. Ready means in flight, due, and
/// not held under a live lease. PostgreSQL reads a `WITH` query only as far as its reader asks,
/// so the second look runs only when the first found nothing. Taking over a run whose lease ran
/// out counts as a stall.
static CLAIM: LazyLock<String> = LazyLock::new(|| claim_sql("1"));

fn claim_sql(limit: &str) -> String {
    let ready = format!(
        "SELECT id FROM runs WHERE status IN ({}) AND run_at <= $1
           AND (lease_until IS NULL OR lease_until < $1)",
        quoted(&RunStatus::IN_FLIGHT, RunStatus::as_str)
    );
    format!(
        "WITH after AS ({ready} AND org_id > $4 ORDER BY org_id, run_at LIMIT {limit} FOR UPDATE SKIP LOCKED),
              round AS ({ready} ORDER BY org_id, run_at LIMIT {limit} FOR UPDATE SKIP LOCKED),
              next AS (SELECT id FROM after
                       UNION ALL (SELECT id FROM round WHERE id NOT IN (SELECT id FROM after))
                       LIMIT {limit})
         UPDATE runs r SET status = $5, lease_owner = $2, lease_until = $3, fence = r.fence + 1,
             stalls = r.stalls + CASE WHEN r.lease_until IS NULL THEN 0 ELSE 1 END
         FROM next WHERE r.id = next.id
         RETURNING r.id, r.org_id, r.fence"
    )
}

/// `runs.status = 'Running'`, written from the enum: a constant, which the planner matches to
/// the partial index `runs_running` whatever plan it keeps for the statement.
pub(crate) static IS_RUNNING: LazyLock<String> = LazyLock::new(|| {
    format!(
        "runs.status = {}",
        quoted(&[RunStatus::Running], RunStatus::as_str)
    )
});

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = Text)]
    id: RunId,
    #[diesel(sql_type = Text)]
    org_id: OrgId,
    #[diesel(sql_type = BigInt)]
    fence: i64,
}

/// Claims a ready run for `worker` until `lease_until`, one statement. See `CLAIM`.
pub async fn claim_next(
    conn: &mut Conn,
    worker: &str,
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
    after: Option<&OrgId>,
) -> QueryResult<Option<(Claim, OrgId)>> {
    let claimed: Option<Claimed> = diesel::sql_query(CLAIM.as_str())
        .bind::<Timestamptz, _>(now)
        .bind::<Text, _>(worker)
        .bind::<Timestamptz, _>(lease_until)
        .bind::<Text, _>(after.map_or("", OrgId::as_str))
        .bind::<Text, _>(RunStatus::Running)
        .get_result(conn)
        .await
        .optional()?;
    Ok(claimed.map(|c| {
        (
            Claim {
                run: c.id,
                fence: c.fence,
            },
            c.org_id,
        )
    }))
}

/// Claims up to `max` ready runs for `worker` until `lease_until`, one statement: the oldest
/// ready runs of the organizations after `after`, then (when those are fewer) of the first
/// organizations. One commit for a batch.
pub async fn claim_many(
    conn: &mut Conn,
    worker: &str,
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
    after: Option<&OrgId>,
    max: usize,
) -> QueryResult<Vec<(Claim, OrgId)>> {
    // The limit is written into the statement (one prepared statement per batch size): as a
    // parameter, PostgreSQL planned the statement again at every claim (1.3 ms).
    let claimed: Vec<Claimed> = diesel::sql_query(claim_sql(&max.clamp(1, 1_000).to_string()))
        .bind::<Timestamptz, _>(now)
        .bind::<Text, _>(worker)
        .bind::<Timestamptz, _>(lease_until)
        .bind::<Text, _>(after.map_or("", OrgId::as_str))
        .bind::<Text, _>(RunStatus::Running)
        .load(conn)
        .await?;
    Ok(claimed
        .into_iter()
        .map(|c| {
            let claim = Claim {
                run: c.id,
                fence: c.fence,
            };
            (claim, c.org_id)
        })
        .collect())
}

/// The claimed run, locked for the transaction, if `worker` still holds it under `claim`.
pub async fn held(conn: &mut Conn, worker: &str, claim: &Claim) -> QueryResult<Option<RunRow>> {
    runs::table
        .filter(claimed(worker, claim))
        .select(RunRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

/// Past a step: the next one is due now, under a renewed lease.
pub async fn step_done(
    conn: &mut Conn,
    run: &RunRow,
    (next_step, failed_step): (i32, Option<i32>),
    lease_until: OffsetDateTime,
    started: OffsetDateTime,
    news: &News,
) -> QueryResult<()> {
    diesel::update(runs::table.find(&run.id))
        .set((
            runs::events_recorded.eq(news.events_recorded),
            runs::notice.eq(&news.notice),
            runs::next_step.eq(next_step),
            runs::attempt.eq(0),
            runs::stalls.eq(0),
            runs::error.eq(None::<String>),
            runs::failed_step.eq(failed_step),
            runs::lease_until.eq(lease_until),
            runs::started_at.eq(started),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// The step waits for its next attempt at `at`; the claim is handed back meanwhile.
pub async fn reschedule(
    conn: &mut Conn,
    run: &RunRow,
    attempts: i32,
    at: OffsetDateTime,
    started: OffsetDateTime,
    news: &News,
) -> QueryResult<()> {
    diesel::update(runs::table.find(&run.id))
        .set((
            runs::events_recorded.eq(news.events_recorded),
            runs::notice.eq(&news.notice),
            runs::attempt.eq(attempts),
            runs::stalls.eq(0),
            runs::error.eq(None::<String>),
            runs::run_at.eq(at),
            runs::lease_owner.eq(None::<String>),
            runs::lease_until.eq(None::<OffsetDateTime>),
            runs::started_at.eq(started),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// How a run ended.
pub struct End<'a> {
    pub news: News,
    pub status: RunStatus,
    pub next_step: i32,
    pub started: OffsetDateTime,
    pub finished: OffsetDateTime,
    pub error: Option<&'a str>,
    pub failed_step: Option<i32>,
}

/// Ends the run; `failure_group` names the group of a failed one.
pub async fn end(
    conn: &mut Conn,
    run: &RunId,
    end: &End<'_>,
    failure_group: Option<&str>,
) -> QueryResult<()> {
    diesel::update(runs::table.find(run))
        .set((
            runs::failure_group.eq(failure_group),
            runs::events_recorded.eq(end.news.events_recorded),
            runs::notice.eq(&end.news.notice),
            runs::next_step.eq(end.next_step),
            runs::status.eq(end.status),
            runs::started_at.eq(end.started),
            runs::finished_at.eq(end.finished),
            runs::error.eq(end.error),
            runs::failed_step.eq(end.failed_step),
            runs::lease_owner.eq(None::<String>),
            runs::lease_until.eq(None::<OffsetDateTime>),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Hands a claimed run back: the next claim takes it at once. False when the claim was lost.
pub async fn release(conn: &mut Conn, worker: &str, claim: &Claim) -> QueryResult<bool> {
    let released = diesel::update(runs::table.filter(claimed(worker, claim)))
        .set((
            runs::lease_owner.eq(None::<String>),
            runs::lease_until.eq(None::<OffsetDateTime>),
        ))
        .execute(conn)
        .await?;
    Ok(released == 1)
}

/// Records that the engine failed on the claimed run: the error is kept, the claim handed
/// back, and the run is due again at `retry_at`. Returns the stalls so far, `None` when the
/// claim was lost meanwhile.
pub async fn stall(
    conn: &mut Conn,
    worker: &str,
    claim: &Claim,
    error: &str,
    retry_at: OffsetDateTime,
) -> QueryResult<Option<i32>> {
    diesel::update(runs::table.filter(claimed(worker, claim)))
        .set((
            runs::stalls.eq(runs::stalls + 1),
            runs::error.eq(error),
            runs::run_at.eq(retry_at),
            runs::lease_owner.eq(None::<String>),
            runs::lease_until.eq(None::<OffsetDateTime>),
        ))
        .returning(runs::stalls)
        .get_result(conn)
        .await
        .optional()
}

/// What the engine reads about a run before a step, in one query.
pub struct PlanInputs {
    /// Its workflow version's fields, as the version's snapshot kept them.
    pub snapshot: serde_json::Value,
    pub event_type: String,
    pub event_data: serde_json::Value,
    pub event_created_at: OffsetDateTime,
    pub event_source: crate::entity::EventSource,
    pub org_name: String,
}

pub async fn plan_inputs(conn: &mut Conn, run: &RunRow) -> QueryResult<PlanInputs> {
    use crate::schema::{organizations, workflow_versions};
    let (snapshot, event_type, event_data, event_created_at, event_source, org_name) =
        workflow_versions::table
            .inner_join(events::table.on(events::id.eq(run.event_id.clone())))
            .inner_join(organizations::table.on(organizations::id.eq(run.org_id.clone())))
            .filter(workflow_versions::workflow_id.eq(run.workflow_id.clone()))
            .filter(workflow_versions::version.eq(run.workflow_version))
            .select((
                workflow_versions::snapshot,
                events::type_,
                events::data,
                events::created_at,
                events::source,
                organizations::name,
            ))
            .first(conn)
            .await?;
    Ok(PlanInputs {
        snapshot,
        event_type,
        event_data,
        event_created_at,
        event_source,
        org_name,
    })
}

/// Removes up to `batch` runs that ended before `before`, with their steps; returns how many.
/// Small batches, so that housekeeping never holds many locks for long.
pub async fn prune_ended_before(
    conn: &mut Conn,
    before: OffsetDateTime,
    batch: i64,
) -> QueryResult<usize> {
    use crate::schema::run_steps;
    use diesel_async::AsyncConnection;
    conn.transaction::<_, diesel::result::Error, _>(async |conn| {
        let old: Vec<RunId> = runs::table
            .filter(runs::finished_at.lt(before))
            .order(runs::finished_at.asc())
            .limit(batch)
            .select(runs::id)
            .for_update()
            .skip_locked()
            .load(conn)
            .await?;
        diesel::delete(run_steps::table.filter(run_steps::run_id.eq_any(&old)))
            .execute(conn)
            .await?;
        diesel::delete(runs::table.filter(runs::id.eq_any(&old)))
            .execute(conn)
            .await
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
            runs::id.eq(&run),
            runs::org_id.eq(r.org),
            runs::workflow_id.eq(r.workflow),
            runs::workflow_version.eq(r.version),
            runs::event_id.eq(r.event),
            runs::depth.eq(r.depth),
            runs::chain_root.eq(r.chain_root),
            runs::status.eq(RunStatus::Queued),
            runs::next_step.eq(new.from),
            runs::retry_of.eq(new.retry_of),
            runs::retry_from.eq(new.from),
            runs::requested_by.eq(new.requested_by),
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
            .filter(runs::id.eq(id))
            .filter(runs::org_id.eq(org))
            .filter(runs::status.eq_any(RunStatus::IN_FLIGHT))
            .filter(runs::cancel_requested_by.is_null()),
    )
    .set((runs::cancel_requested_by.eq(by), runs::run_at.eq(now)))
    .execute(conn)
    .await?;
    Ok(changed == 1)
}

/// Runs waiting for a worker in every organization: how many are queued, and how long the
/// oldest has waited (seconds), for the operator's metrics.
pub async fn queue(conn: &mut Conn, now: OffsetDateTime) -> QueryResult<(i64, f64)> {
    let (queued, oldest): (i64, Option<OffsetDateTime>) = runs::table
        .filter(runs::status.eq(crate::run::RunStatus::Queued))
        .select((diesel::dsl::count_star(), diesel::dsl::min(runs::queued_at)))
        .first(conn)
        .await?;
    let waited = oldest.map_or(0.0, |t| (now - t).as_seconds_f64().max(0.0));
    Ok((queued, waited))
}
