//! What the engine keeps of each step of a run: written once per attempt that ends, read by
//! later steps (their outputs) and by the run page.

use crate::db::Conn;
use crate::id::{OrgId, RunId};
use crate::run::StepStatus;
use crate::schema::run_steps;
use crate::sql_text::Sql;
use crate::store_error::QueryResult;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::Value;
use time::OffsetDateTime;

/// One step's record, as the engine writes it.
#[derive(Clone, Debug, PartialEq)]
pub struct StepRecord<'a> {
    pub idx: i32,
    pub action: &'a str,
    pub status: StepStatus,
    pub input: Option<Value>,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub attempts: i32,
}

impl<'a> StepRecord<'a> {
    /// A step passed over: its condition did not hold, or an earlier step stopped the run.
    pub fn skipped(idx: i32, action: &'a str) -> Self {
        StepRecord {
            idx,
            action,
            status: StepStatus::Skipped,
            input: None,
            output: None,
            error: None,
            attempts: 0,
        }
    }
}

/// Writes (or rewrites, for a later attempt) one step of `run`.
pub async fn write(
    conn: &mut Conn,
    run: &RunId,
    org: &OrgId,
    s: &StepRecord<'_>,
    now: OffsetDateTime,
) -> QueryResult<()> {
    diesel::insert_into(run_steps::table)
        .values((
            run_steps::run_id.eq(run.sql()),
            run_steps::idx.eq(s.idx),
            run_steps::org_id.eq(org.sql()),
            run_steps::action.eq(s.action),
            run_steps::status.eq(s.status.sql()),
            run_steps::input.eq(&s.input),
            run_steps::output.eq(&s.output),
            run_steps::error.eq(&s.error),
            run_steps::attempts.eq(s.attempts),
            run_steps::started_at.eq(now),
            run_steps::finished_at.eq(now),
        ))
        .on_conflict((run_steps::run_id, run_steps::idx))
        .do_update()
        .set((
            run_steps::status.eq(s.status.sql()),
            run_steps::input.eq(&s.input),
            run_steps::output.eq(&s.output),
            run_steps::error.eq(&s.error),
            run_steps::attempts.eq(s.attempts),
            run_steps::finished_at.eq(now),
        ))
        .execute(conn)
        .await
        .map(drop)
        .map_err(Into::into)
}

/// The outputs of the run's steps so far, in order (`None` for a step with none).
pub async fn outputs(conn: &mut Conn, run: &RunId) -> QueryResult<Vec<Option<Value>>> {
    run_steps::table
        .filter(run_steps::run_id.eq(run.sql()))
        .order(run_steps::idx.asc())
        .select(run_steps::output)
        .load(conn)
        .await
        .map_err(Into::into)
}

/// A recorded step as the run page reads it.
#[derive(Queryable, Clone, Debug, PartialEq)]
pub struct StoredStep {
    pub idx: i32,
    pub action: String,
    pub status: StepStatus,
    pub input: Option<Value>,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub attempts: i32,
    pub finished_at: Option<OffsetDateTime>,
    /// The run this step's record was copied from, when a retry reused it.
    pub reused_from: Option<RunId>,
}

/// Every recorded step of a run of `org`, in order.
pub async fn for_run(conn: &mut Conn, org: &OrgId, run: &RunId) -> QueryResult<Vec<StoredStep>> {
    run_steps::table
        .filter(run_steps::run_id.eq(run.sql()))
        .filter(run_steps::org_id.eq(org.sql()))
        .order(run_steps::idx.asc())
        .select((
            run_steps::idx,
            run_steps::action,
            run_steps::status,
            run_steps::input,
            run_steps::output,
            run_steps::error,
            run_steps::attempts,
            run_steps::finished_at,
            run_steps::reused_from,
        ))
        .load(conn)
        .await
        .map_err(Into::into)
}

/// Copies the records of the steps before `before` of run `from` to run `to` (a retry from
/// the failed step reuses them), marked as reused from `from`. One statement.
pub async fn copy_before(
    conn: &mut Conn,
    org: &OrgId,
    from: &RunId,
    to: &RunId,
    before: i32,
) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO run_steps (run_id, idx, org_id, action, status, input, output, error, attempts,
                                started_at, finished_at, reused_from)
         SELECT $1, idx, org_id, action, status, input, output, error, attempts, started_at,
                finished_at, run_id
         FROM run_steps WHERE run_id = $2 AND org_id = $3 AND idx < $4",
    )
    .bind::<crate::sql_text::Stored, _>(to)
    .bind::<crate::sql_text::Stored, _>(from)
    .bind::<crate::sql_text::Stored, _>(org)
    .bind::<diesel::sql_types::Integer, _>(before)
    .execute(conn)
    .await.map_err(Into::into)
}
