//! Reading the run statistics: the rollups plus the rows not folded yet, per period, per
//! version, as duration histograms, and the failure groups; and the periods of a range in a
//! time zone.

use crate::db::Conn;
use crate::id::{OrgId, WorkflowId};
use crate::run::RunStatus;
use crate::schema::failure_groups;
use crate::sql_text::Sql;
use crate::sql_text::quoted;
use crate::stats::{BUCKETS, Tally};
use crate::store_error::QueryResult;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Timestamptz};
use diesel_async::RunQueryDsl;
use std::collections::BTreeMap;
use std::sync::LazyLock;
use time::OffsetDateTime;

/// How long one point of a series spans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    Hour,
    Day,
}

impl Period {
    fn sql(self) -> &'static str {
        match self {
            Period::Hour => "hour",
            Period::Day => "day",
        }
    }
}

/// An outcome's counts as a row of the rollups: `outcome = 'Succeeded'` as 0 or 1, and so on.
/// Outcome names come from `RunStatus`.
fn outcome_columns() -> String {
    let is = |s: RunStatus| {
        format!(
            "COALESCE(outcome = {}, false)::int::int8",
            quoted(&[s], RunStatus::as_str)
        )
    };
    format!(
        "started::int::int8, {}, {}, {}, {}, COALESCE(duration_ms, 0)",
        is(RunStatus::Succeeded),
        is(RunStatus::Failed),
        is(RunStatus::TimedOut),
        is(RunStatus::Cancelled),
    )
}

/// The rollups and the rows not folded yet, as one set of hourly counts (`$1` org, `$2` from,
/// `$3` to, `$4` a workflow or none): a workflow's from `run_stats`, the whole organization's
/// from `run_stats_org`.
static COUNTS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT workflow_id, version, hour, started, succeeded, failed, timed_out, cancelled,
                duration_ms_sum
         FROM run_stats
         WHERE org_id = $1 AND hour >= $2 AND hour < $3 AND ($4::text IS NULL OR workflow_id = $4)
         UNION ALL
         SELECT workflow_id, version, hour, {}
         FROM run_outcomes
         WHERE org_id = $1 AND hour >= $2 AND hour < $3 AND ($4::text IS NULL OR workflow_id = $4)",
        outcome_columns()
    )
});

static ORG_COUNTS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT hour, started, succeeded, failed, timed_out, cancelled, duration_ms_sum
         FROM run_stats_org
         WHERE org_id = $1 AND hour >= $2 AND hour < $3 AND $4::text IS NULL
         UNION ALL
         SELECT hour, {}
         FROM run_outcomes
         WHERE org_id = $1 AND hour >= $2 AND hour < $3",
        outcome_columns()
    )
});

/// Counts per workflow and version over `[$2, $3)`: whole UTC days `[$5, $6)` from the daily
/// rollups, the hours at either end from the hourly ones, and the rows not folded yet.
static VERSION_COUNTS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT workflow_id, version, hour, started, succeeded, failed, timed_out, cancelled,
                duration_ms_sum
         FROM run_stats
         WHERE org_id = $1 AND ($4::text IS NULL OR workflow_id = $4)
           AND ((hour >= $2 AND hour < LEAST($5, $3)) OR (hour >= GREATEST($6, $2) AND hour < $3))
         UNION ALL
         SELECT workflow_id, version, day, started, succeeded, failed, timed_out, cancelled,
                duration_ms_sum
         FROM run_stats_daily
         WHERE org_id = $1 AND ($4::text IS NULL OR workflow_id = $4) AND day >= $5 AND day < $6
         UNION ALL
         SELECT workflow_id, version, hour, {}
         FROM run_outcomes
         WHERE org_id = $1 AND hour >= $2 AND hour < $3 AND ($4::text IS NULL OR workflow_id = $4)",
        outcome_columns()
    )
});

#[derive(QueryableByName)]
struct Point {
    #[diesel(sql_type = Timestamptz)]
    start: OffsetDateTime,
    #[diesel(sql_type = BigInt)]
    started: i64,
    #[diesel(sql_type = BigInt)]
    succeeded: i64,
    #[diesel(sql_type = BigInt)]
    failed: i64,
    #[diesel(sql_type = BigInt)]
    timed_out: i64,
    #[diesel(sql_type = BigInt)]
    cancelled: i64,
    #[diesel(sql_type = BigInt)]
    duration_ms_sum: i64,
}

impl Point {
    fn tally(&self) -> Tally {
        Tally {
            started: self.started,
            succeeded: self.succeeded,
            failed: self.failed,
            timed_out: self.timed_out,
            cancelled: self.cancelled,
            duration_ms_sum: self.duration_ms_sum,
            durations: vec![0; BUCKETS],
        }
    }
}

/// Which runs a read counts: one organization's, over `[from, to)`, of one workflow or all.
pub struct Selection<'a> {
    pub org: &'a OrgId,
    pub workflow: Option<&'a WorkflowId>,
    pub from: OffsetDateTime,
    pub to: OffsetDateTime,
}

/// Counts per period (hours, or days in the time zone `tz`), oldest first; periods without
/// runs are absent. Durations are read by `durations`.
pub async fn series(
    conn: &mut Conn,
    scope: &Selection<'_>,
    period: Period,
    tz: &str,
) -> QueryResult<Vec<(OffsetDateTime, Tally)>> {
    let sql = format!(
        "SELECT date_trunc('{}', hour, $5) AS start, sum(started)::int8 AS started,
                sum(succeeded)::int8 AS succeeded, sum(failed)::int8 AS failed,
                sum(timed_out)::int8 AS timed_out, sum(cancelled)::int8 AS cancelled,
                sum(duration_ms_sum)::int8 AS duration_ms_sum
         FROM ({}) counts GROUP BY 1 ORDER BY 1",
        period.sql(),
        if scope.workflow.is_some() {
            COUNTS.as_str()
        } else {
            ORG_COUNTS.as_str()
        }
    );
    let points: Vec<Point> = diesel::sql_query(sql)
        .bind::<crate::sql_text::Stored, _>(scope.org.as_str())
        .bind::<Timestamptz, _>(scope.from)
        .bind::<Timestamptz, _>(scope.to)
        .bind::<diesel::sql_types::Nullable<crate::sql_text::Stored>, _>(
            scope.workflow.map(WorkflowId::as_str),
        )
        .bind::<crate::sql_text::Stored, _>(tz)
        .load(conn)
        .await?;
    Ok(points.into_iter().map(|p| (p.start, p.tally())).collect())
}

#[derive(QueryableByName)]
struct VersionPoint {
    #[diesel(sql_type = crate::sql_text::Stored)]
    workflow_id: WorkflowId,
    #[diesel(sql_type = Integer)]
    version: i32,
    #[diesel(sql_type = Timestamptz)]
    start: OffsetDateTime,
    #[diesel(sql_type = BigInt)]
    started: i64,
    #[diesel(sql_type = BigInt)]
    succeeded: i64,
    #[diesel(sql_type = BigInt)]
    failed: i64,
    #[diesel(sql_type = BigInt)]
    timed_out: i64,
    #[diesel(sql_type = BigInt)]
    cancelled: i64,
    #[diesel(sql_type = BigInt)]
    duration_ms_sum: i64,
}

/// Counts per workflow and version over the scope, with the first hour each version ran.
pub async fn by_version(
    conn: &mut Conn,
    scope: &Selection<'_>,
) -> QueryResult<Vec<(WorkflowId, i32, OffsetDateTime, Tally)>> {
    let sql = format!(
        "SELECT workflow_id, version, min(hour) AS start, sum(started)::int8 AS started,
                sum(succeeded)::int8 AS succeeded, sum(failed)::int8 AS failed,
                sum(timed_out)::int8 AS timed_out, sum(cancelled)::int8 AS cancelled,
                sum(duration_ms_sum)::int8 AS duration_ms_sum
         FROM ({}) counts GROUP BY 1, 2 ORDER BY 1, 2",
        VERSION_COUNTS.as_str()
    );
    // The whole UTC days inside the scope (none when it is shorter than a day).
    let first_day =
        super::day_of(scope.from - time::Duration::nanoseconds(1)) + time::Duration::days(1);
    let last_day = super::day_of(scope.to).max(first_day);
    let points: Vec<VersionPoint> = diesel::sql_query(sql)
        .bind::<crate::sql_text::Stored, _>(scope.org.as_str())
        .bind::<Timestamptz, _>(scope.from)
        .bind::<Timestamptz, _>(scope.to)
        .bind::<diesel::sql_types::Nullable<crate::sql_text::Stored>, _>(
            scope.workflow.map(WorkflowId::as_str),
        )
        .bind::<Timestamptz, _>(first_day)
        .bind::<Timestamptz, _>(last_day)
        .load(conn)
        .await?;
    Ok(points
        .into_iter()
        .map(|p| {
            let tally = Tally {
                started: p.started,
                succeeded: p.succeeded,
                failed: p.failed,
                timed_out: p.timed_out,
                cancelled: p.cancelled,
                duration_ms_sum: p.duration_ms_sum,
                durations: vec![0; BUCKETS],
            };
            (p.workflow_id, p.version, p.start, tally)
        })
        .collect())
}

#[derive(QueryableByName)]
struct BucketCount {
    #[diesel(sql_type = Timestamptz)]
    start: OffsetDateTime,
    #[diesel(sql_type = Integer)]
    bucket: i32,
    #[diesel(sql_type = BigInt)]
    runs: i64,
}

/// The duration histogram per period, rollups and rows not folded yet.
pub async fn durations(
    conn: &mut Conn,
    scope: &Selection<'_>,
    period: Period,
    tz: &str,
) -> QueryResult<BTreeMap<OffsetDateTime, Vec<i64>>> {
    let (table, workflow) = if scope.workflow.is_some() {
        ("run_stats", "s.workflow_id = $4")
    } else {
        ("run_stats_org", "$4::text IS NULL")
    };
    let sql = format!(
        "SELECT date_trunc('{0}', hour, $5) AS start, bucket, sum(runs)::int8 AS runs FROM (
             SELECT s.hour, (d.i - 1)::int4 AS bucket, d.n AS runs
             FROM {table} s, unnest(s.durations) WITH ORDINALITY AS d(n, i)
             WHERE s.org_id = $1 AND s.hour >= $2 AND s.hour < $3
               AND {workflow} AND d.n > 0
             UNION ALL
             SELECT hour, duration_bucket::int4, 1 FROM run_outcomes
             WHERE org_id = $1 AND hour >= $2 AND hour < $3
               AND ($4::text IS NULL OR workflow_id = $4) AND duration_bucket IS NOT NULL
         ) b GROUP BY 1, 2",
        period.sql()
    );
    let counts: Vec<BucketCount> = diesel::sql_query(sql)
        .bind::<crate::sql_text::Stored, _>(scope.org.as_str())
        .bind::<Timestamptz, _>(scope.from)
        .bind::<Timestamptz, _>(scope.to)
        .bind::<diesel::sql_types::Nullable<crate::sql_text::Stored>, _>(
            scope.workflow.map(WorkflowId::as_str),
        )
        .bind::<crate::sql_text::Stored, _>(tz)
        .load(conn)
        .await?;
    let mut out: BTreeMap<OffsetDateTime, Vec<i64>> = BTreeMap::new();
    for c in counts {
        let histogram = out.entry(c.start).or_insert_with(|| vec![0; BUCKETS]);
        if let Some(slot) = histogram.get_mut(c.bucket as usize) {
            *slot += c.runs;
        }
    }
    Ok(out)
}

/// A failure group as pages show it.
#[derive(QueryableByName, Clone, Debug, PartialEq)]
pub struct GroupRow {
    #[diesel(sql_type = crate::sql_text::Stored)]
    pub key: String,
    #[diesel(sql_type = crate::sql_text::Stored)]
    pub workflow_id: WorkflowId,
    #[diesel(sql_type = crate::sql_text::Stored)]
    pub workflow_name: String,
    #[diesel(sql_type = Integer)]
    pub step: i32,
    #[diesel(sql_type = crate::sql_text::Stored)]
    pub error: String,
    /// Failures in the scope.
    #[diesel(sql_type = BigInt)]
    pub runs: i64,
    #[diesel(sql_type = BigInt)]
    pub runs_all_time: i64,
    #[diesel(sql_type = Timestamptz)]
    pub first_seen: OffsetDateTime,
    #[diesel(sql_type = Timestamptz)]
    pub last_seen: OffsetDateTime,
    #[diesel(sql_type = Array<Integer>)]
    pub versions: Vec<i32>,
    #[diesel(sql_type = crate::sql_text::Stored)]
    pub sample_run: String,
}

/// The largest failure groups of the scope, by failures in it; folded groups only (a group
/// appears within seconds of its first failure).
pub async fn groups(
    conn: &mut Conn,
    scope: &Selection<'_>,
    limit: i64,
) -> QueryResult<Vec<GroupRow>> {
    diesel::sql_query(
        "SELECT g.key, g.workflow_id, w.name AS workflow_name, g.step, g.error, h.runs,
                g.runs AS runs_all_time, g.first_seen, g.last_seen, g.versions, g.sample_run
         FROM (SELECT key, sum(runs)::int8 AS runs FROM failure_group_hours
               WHERE org_id = $1 AND hour >= $2 AND hour < $3 GROUP BY key) h
         JOIN failure_groups g ON g.key = h.key AND g.org_id = $1
         JOIN workflows w ON w.id = g.workflow_id AND w.org_id = $1
         WHERE ($4::text IS NULL OR g.workflow_id = $4)
         ORDER BY h.runs DESC, g.last_seen DESC LIMIT $5",
    )
    .bind::<crate::sql_text::Stored, _>(scope.org.as_str())
    .bind::<Timestamptz, _>(scope.from)
    .bind::<Timestamptz, _>(scope.to)
    .bind::<diesel::sql_types::Nullable<crate::sql_text::Stored>, _>(
        scope.workflow.map(WorkflowId::as_str),
    )
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await
    .map_err(Into::into)
}

/// Counts per workflow of `workflows` and period over the scope's range (its workflow is
/// ignored), one query: the dashboard's sparklines.
pub async fn series_of(
    conn: &mut Conn,
    scope: &Selection<'_>,
    workflows: &[WorkflowId],
    period: Period,
    tz: &str,
) -> QueryResult<Vec<(WorkflowId, OffsetDateTime, Tally)>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = crate::sql_text::Stored)]
        workflow_id: WorkflowId,
        #[diesel(embed)]
        point: Point,
    }
    let ids: Vec<&str> = workflows.iter().map(WorkflowId::as_str).collect();
    let sql = format!(
        "SELECT workflow_id, date_trunc('{}', hour, $5) AS start, sum(started)::int8 AS started,
                sum(succeeded)::int8 AS succeeded, sum(failed)::int8 AS failed,
                sum(timed_out)::int8 AS timed_out, sum(cancelled)::int8 AS cancelled,
                sum(duration_ms_sum)::int8 AS duration_ms_sum
         FROM (SELECT workflow_id, hour, started, succeeded, failed, timed_out, cancelled,
                      duration_ms_sum
               FROM run_stats
               WHERE org_id = $1 AND hour >= $2 AND hour < $3 AND workflow_id = ANY($4)
               UNION ALL
               SELECT workflow_id, hour, {}
               FROM run_outcomes
               WHERE org_id = $1 AND hour >= $2 AND hour < $3 AND workflow_id = ANY($4)) counts
         GROUP BY 1, 2 ORDER BY 1, 2",
        period.sql(),
        outcome_columns()
    );
    let rows: Vec<Row> = diesel::sql_query(sql)
        .bind::<crate::sql_text::Stored, _>(scope.org.as_str())
        .bind::<Timestamptz, _>(scope.from)
        .bind::<Timestamptz, _>(scope.to)
        .bind::<diesel::sql_types::Array<crate::sql_text::Stored>, _>(ids)
        .bind::<crate::sql_text::Stored, _>(tz)
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.workflow_id, r.point.start, r.point.tally()))
        .collect())
}

/// One failure group of `org`, by its key.
pub async fn group(
    conn: &mut Conn,
    org: &OrgId,
    key: &str,
) -> QueryResult<Option<(WorkflowId, i32, String)>> {
    failure_groups::table
        .filter(failure_groups::key.eq(key))
        .filter(failure_groups::org_id.eq(org.sql()))
        .select((
            failure_groups::workflow_id,
            failure_groups::step,
            failure_groups::error,
        ))
        .first(conn)
        .await
        .optional()
        .map_err(Into::into)
}

/// Every period of `[from, to)` in the time zone `tz`, oldest first: its start, and its start
/// as the zone's clock reads it (`YYYY-MM-DD HH:MM`).
pub async fn periods(
    conn: &mut Conn,
    from: OffsetDateTime,
    to: OffsetDateTime,
    period: Period,
    tz: &str,
) -> QueryResult<Vec<(OffsetDateTime, String)>> {
    #[derive(QueryableByName)]
    struct Start {
        #[diesel(sql_type = Timestamptz)]
        start: OffsetDateTime,
        #[diesel(sql_type = crate::sql_text::Stored)]
        local: String,
    }
    let sql = format!(
        "SELECT p.start, to_char(p.start AT TIME ZONE $3, 'YYYY-MM-DD HH24:MI') AS local
         FROM (SELECT DISTINCT date_trunc('{}', g, $3) AS start
               FROM (SELECT generate_series($1::timestamptz, $2::timestamptz, interval '1 hour')
                     UNION ALL SELECT $2::timestamptz - interval '1 microsecond') AS s(g)
               WHERE g < $2) p
         ORDER BY 1",
        period.sql()
    );
    let starts: Vec<Start> = diesel::sql_query(sql)
        .bind::<Timestamptz, _>(from)
        .bind::<Timestamptz, _>(to)
        .bind::<crate::sql_text::Stored, _>(tz)
        .load(conn)
        .await?;
    Ok(starts.into_iter().map(|s| (s.start, s.local)).collect())
}

/// Whether PostgreSQL knows the time zone `tz` (`Europe/Paris`, `UTC`).
pub async fn is_time_zone(conn: &mut Conn, tz: &str) -> QueryResult<bool> {
    diesel::select(
        diesel::dsl::sql::<diesel::sql_types::Bool>(
            "EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = ",
        )
        .bind::<diesel::sql_types::Text, _>(tz)
        .sql(")"),
    )
    .get_result(conn)
    .await
    .map_err(Into::into)
}
