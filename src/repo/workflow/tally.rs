//! What runs do to their workflow's row, and how its counters are read.
//!
//! No run writes the counters (`runCount`, `successCount`, `failureCount`) or `lastRunAt`: each
//! run's start and end is a row appended to `run_outcomes` (`repo::stats::append`), the fold
//! adds those rows onto the workflow every few seconds (`fold`), and every read adds what is not
//! folded yet, in the same statement (`Workflow`'s select expressions: `RUN_COUNT_SQL` and the
//! rest). A busy workflow's row is then written once a fold, not once a run.
//!
//! The status still moves with runs (`Triggered` while one is in flight): a start writes the
//! row only when the status changes, and an end only when it was the last run in flight. Ends
//! take a per-workflow advisory lock (in memory, no row written) so that of two runs ending
//! together the second sees the first's end.

use crate::db::Conn;
use crate::id::WorkflowId;
use crate::run::RunStatus;
use crate::schema::workflows;
use crate::sql_text::Sql;
use crate::status::{Cause, Status};
use crate::store_error::QueryResult;
use diesel::dsl::sql;
use diesel::expression::SqlLiteral;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, Timestamptz};
use diesel_async::RunQueryDsl;
use std::sync::LazyLock;
use time::OffsetDateTime;

/// Outcomes of a workflow's runs not folded yet, matching `$cond`.
fn pending(what: &str, cond: &str) -> String {
    format!("(SELECT {what} FROM run_outcomes o WHERE o.workflow_id = workflows.id AND {cond})")
}

fn succeeded() -> String {
    format!("o.outcome = '{}'", RunStatus::Succeeded.as_str())
}

/// A run that ended any other way than Succeeded counts as a failure (cancelled and timed out
/// included), as the counters always have.
fn failed() -> String {
    format!("o.outcome <> '{}'", RunStatus::Succeeded.as_str())
}

/// `runCount`: the row's folded count plus the starts not folded yet.
pub static RUN_COUNT_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "(workflows.run_count + {})",
        pending("count(*)", "o.started")
    )
});
pub static SUCCESS_COUNT_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "(workflows.success_count + {})",
        pending("count(*)", &succeeded())
    )
});
pub static FAILURE_COUNT_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "(workflows.failure_count + {})",
        pending("count(*)", &failed())
    )
});
/// `lastRunAt`: the latest start, folded or not.
pub static LAST_RUN_AT_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "GREATEST(workflows.last_run_at, {})",
        pending("max(o.at)", "o.started")
    )
});

/// A workflow's row as it is read: the model's `Workflow`, field for field (Diesel's traits
/// cannot be given to the model's own type here; `Workflow::from` makes one of it).
#[derive(diesel::Queryable)]
pub struct WorkflowRow {
    pub id: crate::id::WorkflowId,
    pub org_id: crate::id::OrgId,
    pub name: String,
    pub description: String,
    pub trigger_event: String,
    pub steps: crate::definition::Steps,
    pub retry_policy: Option<crate::definition::RetryPolicy>,
    pub error_handling: crate::definition::ErrorHandling,
    pub timeout_ms: Option<i64>,
    pub status: Status,
    pub version: i32,
    pub last_run_at: Option<OffsetDateTime>,
    pub run_count: i64,
    pub success_count: i64,
    pub failure_count: i64,
    pub created_by: Option<crate::id::UserId>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub deleted_at: Option<OffsetDateTime>,
}

impl From<WorkflowRow> for crate::entity::Workflow {
    fn from(row: WorkflowRow) -> Self {
        crate::entity::Workflow {
            id: row.id,
            org_id: row.org_id,
            name: row.name,
            description: row.description,
            trigger_event: row.trigger_event,
            steps: row.steps,
            retry_policy: row.retry_policy,
            error_handling: row.error_handling,
            timeout_ms: row.timeout_ms,
            status: row.status,
            version: row.version,
            last_run_at: row.last_run_at,
            run_count: row.run_count,
            success_count: row.success_count,
            failure_count: row.failure_count,
            created_by: row.created_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
            deleted_at: row.deleted_at,
        }
    }
}

/// How a workflow is read: its columns, with the counters and the last run time of what the
/// fold put on its row plus the runs not folded yet, in the same statement (see the module's
/// text). In the order of `WorkflowRow`'s fields, which it is read into.
impl diesel::Selectable<diesel::pg::Pg> for WorkflowRow {
    type SelectExpression = (
        workflows::id,
        workflows::org_id,
        workflows::name,
        workflows::description,
        workflows::trigger_event,
        workflows::steps,
        workflows::retry_policy,
        workflows::error_handling,
        workflows::timeout_ms,
        workflows::status,
        workflows::version,
        SqlLiteral<Nullable<Timestamptz>>,
        SqlLiteral<BigInt>,
        SqlLiteral<BigInt>,
        SqlLiteral<BigInt>,
        workflows::created_by,
        workflows::created_at,
        workflows::updated_at,
        workflows::deleted_at,
    );

    fn construct_selection() -> Self::SelectExpression {
        (
            workflows::id,
            workflows::org_id,
            workflows::name,
            workflows::description,
            workflows::trigger_event,
            workflows::steps,
            workflows::retry_policy,
            workflows::error_handling,
            workflows::timeout_ms,
            workflows::status,
            workflows::version,
            last_run_at(),
            run_count(),
            success_count(),
            failure_count(),
            workflows::created_by,
            workflows::created_at,
            workflows::updated_at,
            workflows::deleted_at,
        )
    }
}

pub fn run_count() -> SqlLiteral<BigInt> {
    sql(&RUN_COUNT_SQL)
}
pub fn success_count() -> SqlLiteral<BigInt> {
    sql(&SUCCESS_COUNT_SQL)
}
pub fn failure_count() -> SqlLiteral<BigInt> {
    sql(&FAILURE_COUNT_SQL)
}
pub fn last_run_at() -> SqlLiteral<Nullable<Timestamptz>> {
    sql(&LAST_RUN_AT_SQL)
}

/// The statuses a cause moves, each with where it moves to, as SQL: `CASE status WHEN ... END`
/// and the list for the `WHERE`. Built from the transition table, so that it stays the one rule.
fn moves(cause: Cause) -> Vec<(Status, Status)> {
    Status::ALL
        .into_iter()
        .map(|from| (from, from.after_run(cause)))
        .filter(|(from, to)| from != to)
        .collect()
}

fn case_of(moves: &[(Status, Status)]) -> (String, String) {
    let whens: String = moves
        .iter()
        .map(|(from, to)| format!(" WHEN '{}' THEN '{}'", from.as_str(), to.as_str()))
        .collect();
    let froms: Vec<String> = moves
        .iter()
        .map(|(from, _)| format!("'{}'", from.as_str()))
        .collect();
    (format!("CASE status{whens} END"), froms.join(", "))
}

/// A run started: the status moves as the table says for `RunStarted`, written only when it
/// changes (under load the workflow is already `Triggered`, and nothing is written).
static STARTED: LazyLock<String> = LazyLock::new(|| {
    let (case, froms) = case_of(&moves(Cause::RunStarted));
    format!("UPDATE workflows SET status = {case} WHERE id = $1 AND status IN ({froms})")
});

/// The last run in flight ended: the status moves as the table says for `LastRunEnded`, when no
/// other run of the workflow is running. Written only when it changes.
static LAST_ENDED: LazyLock<String> = LazyLock::new(|| {
    let (case, froms) = case_of(&moves(Cause::LastRunEnded));
    format!(
        "UPDATE workflows SET status = {case} WHERE id = $1 AND status IN ({froms})
           AND NOT EXISTS (SELECT 1 FROM runs WHERE runs.workflow_id = $1 AND {})",
        *crate::repo::run::IS_RUNNING
    )
});

/// Moves the workflow's status for a run that started.
pub async fn run_started(conn: &mut Conn, id: &WorkflowId) -> QueryResult<()> {
    diesel::sql_query(STARTED.as_str())
        .bind::<crate::sql_text::Stored, _>(id.as_str())
        .execute(conn)
        .await
        .map(drop)
        .map_err(Into::into)
}

/// Moves the workflow's status after runs of it ended in this transaction, if no other run of
/// it is running. The advisory lock (held to the end of the transaction) orders the ends of one
/// workflow's runs: the statement after it sees every end committed before, so the last one to
/// end moves it. Called last in its transaction, to hold the lock the shortest time.
pub async fn run_ended(conn: &mut Conn, id: &WorkflowId) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended('workflow_runs:' || $1, 0))")
        .bind::<crate::sql_text::Stored, _>(id.as_str())
        .execute(conn)
        .await?;
    diesel::sql_query(LAST_ENDED.as_str())
        .bind::<crate::sql_text::Stored, _>(id.as_str())
        .execute(conn)
        .await
        .map(drop)
        .map_err(Into::into)
}

/// A workflow's health for the failure-rate alert: its counters (folded and not), when it last
/// raised the alert, and its organization's threshold.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AlertCheck {
    pub succeeded: i64,
    pub failed: i64,
    pub alerted_at: Option<OffsetDateTime>,
    pub threshold: f64,
}

impl AlertCheck {
    /// Whether the alert is due now: above the threshold and not raised in the last hour.
    pub fn alert_due(&self, now: OffsetDateTime) -> bool {
        let quiet = self
            .alerted_at
            .is_some_and(|at| now - at < time::Duration::hours(1));
        let rate = crate::rate::failure_rate(self.failed, self.succeeded + self.failed);
        !quiet && rate.is_some_and(|rate| rate > self.threshold)
    }
}

type AlertCheckRow = (i64, i64, Option<OffsetDateTime>, f64);

fn alert_check_of((succeeded, failed, alerted_at, threshold): AlertCheckRow) -> AlertCheck {
    AlertCheck {
        succeeded,
        failed,
        alerted_at,
        threshold,
    }
}

/// The workflow's health if the failure-rate alert may be due at `now`, else `None`: read every
/// start of a run from an event, so it first looks at what is cheap to count (the folded
/// counters and the failures not folded yet; the successes not folded yet can only lower the
/// rate) and counts exactly only when that bound is above the threshold.
pub async fn health_if_alerting(
    conn: &mut Conn,
    id: &WorkflowId,
    now: OffsetDateTime,
) -> QueryResult<Option<AlertCheck>> {
    let threshold_sql =
        "(SELECT o.failure_threshold FROM organizations o WHERE o.id = workflows.org_id)";
    let bound: AlertCheckRow = workflows::table
        .find(id.sql())
        .select((
            workflows::success_count,
            sql::<BigInt>(&FAILURE_COUNT_SQL),
            workflows::alerted_at,
            sql::<Double>(threshold_sql),
        ))
        .first(conn)
        .await?;
    if !alert_check_of(bound).alert_due(now) {
        return Ok(None);
    }
    let exact: AlertCheckRow = workflows::table
        .find(id.sql())
        .select((
            sql::<BigInt>(&SUCCESS_COUNT_SQL),
            sql::<BigInt>(&FAILURE_COUNT_SQL),
            workflows::alerted_at,
            sql::<Double>(threshold_sql),
        ))
        .first(conn)
        .await?;
    let health = alert_check_of(exact);
    Ok(health.alert_due(now).then_some(health))
}

/// Notes that the workflow raised the failure-rate alert at `at`.
pub async fn alerted(conn: &mut Conn, id: &WorkflowId, at: OffsetDateTime) -> QueryResult<()> {
    diesel::update(workflows::table.find(id.sql()))
        .set(workflows::alerted_at.eq(at))
        .execute(conn)
        .await
        .map(drop)
        .map_err(Into::into)
}

/// What one fold adds onto a workflow's row: the runs started, succeeded and failed among the
/// folded outcomes, and the latest start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Folded {
    pub started: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub last_start: Option<OffsetDateTime>,
}

/// Adds a fold's counts onto the workflow's row, in the fold's transaction (which removes the
/// outcomes it counted): a read before sees them as not folded, a read after on the row.
pub async fn add_folded(conn: &mut Conn, id: &WorkflowId, f: &Folded) -> QueryResult<()> {
    diesel::update(workflows::table.find(id.sql()))
        .set((
            workflows::run_count.eq(workflows::run_count + f.started),
            workflows::success_count.eq(workflows::success_count + f.succeeded),
            workflows::failure_count.eq(workflows::failure_count + f.failed),
            workflows::last_run_at.eq(sql::<Nullable<Timestamptz>>("GREATEST(last_run_at, ")
                .bind::<Nullable<Timestamptz>, _>(f.last_start)
                .sql(")")),
        ))
        .execute(conn)
        .await
        .map(drop)
        .map_err(Into::into)
}
