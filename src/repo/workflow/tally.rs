//! What a run writes onto its workflow's row: the counters, the last run time, the status, and
//! when the failure-rate alert was raised.

use crate::db::Conn;
use crate::id::{RunId, WorkflowId};
use crate::schema::workflows;
use crate::status::Status;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Double;
use diesel_async::RunQueryDsl;
use time::OffsetDateTime;

/// Locks the workflow's row for the rest of the transaction; its status and last run time.
/// The lock is `FOR NO KEY UPDATE`, what the counters' update needs: a stronger one would wait
/// for every transaction holding a key-share lock from a foreign-key check, and two runs
/// ending together would deadlock.
pub async fn lock_for_run(
    conn: &mut Conn,
    id: &WorkflowId,
) -> QueryResult<(Status, Option<OffsetDateTime>)> {
    workflows::table
        .find(id)
        .select((workflows::status, workflows::last_run_at))
        .for_no_key_update()
        .first(conn)
        .await
}

/// What one run changes on its workflow's row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunTally<'a> {
    pub run: &'a RunId,
    /// The run started: one more run.
    pub started: bool,
    /// The run ended: one more success (true) or failure (false).
    pub ended: Option<bool>,
    /// The status when no other run of the workflow is running.
    pub status: Status,
    /// The status while another run of it is still running.
    pub status_while_others_run: Status,
    pub last_run_at: Option<OffsetDateTime>,
}

/// A workflow's health after a run's tally: its counters, when it last raised the failure-rate
/// alert, and its organization's threshold.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Health {
    pub succeeded: i64,
    pub failed: i64,
    pub alerted_at: Option<OffsetDateTime>,
    pub threshold: f64,
}

/// Writes a run's start and end onto its workflow: the counters, the last run time and the
/// status the transition table gave, the one or the other as another run of the workflow is
/// still `Running` or not. Called with the row locked (`lock_for_run`), so that this statement's
/// look at the other runs sees every run that ended before it.
pub async fn tally_run(
    conn: &mut Conn,
    id: &WorkflowId,
    tally: RunTally<'_>,
) -> QueryResult<Health> {
    use crate::schema::runs;
    let (count, successes, failures) = (
        i64::from(tally.started),
        i64::from(tally.ended == Some(true)),
        i64::from(tally.ended == Some(false)),
    );
    let others_running = diesel::dsl::exists(
        runs::table
            .filter(runs::workflow_id.eq(id))
            .filter(sql::<diesel::sql_types::Bool>(
                &crate::repo::run::IS_RUNNING,
            ))
            .filter(runs::id.ne(tally.run))
            .select(runs::id),
    );
    let status = diesel::dsl::case_when::<_, _, diesel::sql_types::Text>(
        others_running,
        tally.status_while_others_run,
    )
    .otherwise(tally.status);
    diesel::update(workflows::table.find(id))
        .set((
            workflows::run_count.eq(workflows::run_count + count),
            workflows::success_count.eq(workflows::success_count + successes),
            workflows::failure_count.eq(workflows::failure_count + failures),
            workflows::status.eq(status),
            workflows::last_run_at.eq(tally.last_run_at),
        ))
        .returning((
            workflows::success_count,
            workflows::failure_count,
            workflows::alerted_at,
            sql::<Double>(
                "(SELECT o.failure_threshold FROM organizations o WHERE o.id = workflows.org_id)",
            ),
        ))
        .get_result(conn)
        .await
        .map(|(succeeded, failed, alerted_at, threshold)| Health {
            succeeded,
            failed,
            alerted_at,
            threshold,
        })
}

/// Notes that the workflow raised the failure-rate alert at `at`.
pub async fn alerted(conn: &mut Conn, id: &WorkflowId, at: OffsetDateTime) -> QueryResult<()> {
    diesel::update(workflows::table.find(id))
        .set(workflows::alerted_at.eq(at))
        .execute(conn)
        .await
        .map(drop)
}
