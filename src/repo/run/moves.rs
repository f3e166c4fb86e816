//! What a worker does to a run it holds: every write fenced by its claim (the step done, a
//! retry's wait, the end, the hand-back, a failed try), and what it reads before a step.

use super::Claim;
use super::*;
use crate::sql_text::{Sql, Value};
use crate::store_error::QueryResult;
use diesel::dsl;

type ClaimedRun<'a> = dsl::And<
    dsl::And<
        dsl::And<dsl::Eq<runs::id, Value<&'a RunId>>, dsl::Eq<runs::fence, i64>>,
        dsl::Eq<runs::lease_owner, &'a str>,
    >,
    dsl::Eq<runs::status, Value<RunStatus>>,
>;

/// The run `claim` names, while `worker` holds it under that claim: every write of a claimed
/// run is fenced by it.
fn claimed<'a>(worker: &'a str, claim: &'a Claim) -> ClaimedRun<'a> {
    runs::id
        .eq(claim.run.sql())
        .and(runs::fence.eq(claim.fence))
        .and(runs::lease_owner.eq(worker))
        .and(runs::status.eq(RunStatus::Running.sql_owned()))
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
        .map_err(Into::into)
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
    diesel::update(runs::table.find(run.id.sql()))
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
        .map_err(Into::into)
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
    diesel::update(runs::table.find(run.id.sql()))
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
        .map_err(Into::into)
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
    diesel::update(runs::table.find(run.sql()))
        .set((
            runs::failure_group.eq(failure_group),
            runs::events_recorded.eq(end.news.events_recorded),
            runs::notice.eq(&end.news.notice),
            runs::next_step.eq(end.next_step),
            runs::status.eq(end.status.sql()),
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
        .map_err(Into::into)
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
        .map_err(Into::into)
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
            .inner_join(events::table.on(events::id.eq(run.event_id.clone().sql_owned())))
            .inner_join(
                organizations::table.on(organizations::id.eq(run.org_id.clone().sql_owned())),
            )
            .filter(workflow_versions::workflow_id.eq(run.workflow_id.sql()))
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

/// The run whose id an HTTP step's `Idempotency-Key` carries: the run itself, or, for a retry
/// from a step, the run it repeats (and so on up), so that a retry from the step that called
/// sends the same key again. A retry from the start is a new run with keys of its own.
pub async fn call_key_run(conn: &mut Conn, run: &RunRow) -> QueryResult<String> {
    use diesel::sql_types::Text;
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = Text)]
        id: String,
    }
    let found: Option<Found> = diesel::sql_query(
        "WITH RECURSIVE up(id, retry_of, retry_from, n) AS ( \
           SELECT id, retry_of, retry_from, 0 FROM runs WHERE id = $1 AND org_id = $2 \
           UNION ALL \
           SELECT r.id, r.retry_of, r.retry_from, up.n + 1 FROM runs r JOIN up ON r.id = up.retry_of \
           WHERE up.retry_from > 0 AND r.org_id = $2 AND up.n < 100) \
         SELECT id::text AS id FROM up ORDER BY n DESC LIMIT 1",
    )
    .bind::<crate::sql_text::Stored, _>(run.id.as_str())
    .bind::<crate::sql_text::Stored, _>(run.org_id.as_str())
    .get_result(conn)
    .await
    .optional()?;
    Ok(found.map_or_else(|| run.id.to_string(), |f| f.id))
}

/// Lengthens the claimed run's lease to `until`, for a step that calls out.
pub async fn hold_until(conn: &mut Conn, run: &RunRow, until: OffsetDateTime) -> QueryResult<()> {
    diesel::update(runs::table.find(run.id.sql()))
        .set(runs::lease_until.eq(until))
        .execute(conn)
        .await
        .map(drop)
        .map_err(Into::into)
}

/// Hands a claimed run back until `at` (a call that waits for its turn): no attempt counts.
pub async fn set_aside(
    conn: &mut Conn,
    worker: &str,
    claim: &Claim,
    at: OffsetDateTime,
) -> QueryResult<bool> {
    let changed = diesel::update(runs::table.filter(claimed(worker, claim)))
        .set((
            runs::run_at.eq(at),
            runs::lease_owner.eq(None::<String>),
            runs::lease_until.eq(None::<OffsetDateTime>),
        ))
        .execute(conn)
        .await?;
    Ok(changed == 1)
}
