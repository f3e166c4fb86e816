//! The run statistics' storage: one row appended per run transaction that starts or ends a
//! run (`append`, in that transaction), folded every few seconds into hourly rollups per
//! workflow and version and into failure groups (`fold`, one transaction, each row once), and
//! read back as rollups plus what is not folded yet (`series`, `by_version`, `groups`).

use crate::db::Conn;
use crate::id::{OrgId, RunId, WorkflowId};
use crate::run::RunStatus;
use crate::schema::{failure_groups, run_outcomes};
use crate::sql_text::quoted;
use crate::stats::{BUCKETS, Tally, bucket_of, fingerprint};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use std::collections::BTreeMap;
use std::sync::LazyLock;
use time::OffsetDateTime;

/// A failed run's place in its failure group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub step: i32,
    pub error: String,
}

impl Failure {
    /// The group's key: a digest of the workflow, the step and the error's fingerprint.
    pub fn group(&self, workflow: &WorkflowId) -> String {
        use blake2::{Blake2b512, Digest};
        let text = format!("{workflow}\n{}\n{}", self.step, fingerprint(&self.error));
        Blake2b512::digest(text.as_bytes())[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// One run's start and (or) end, as its transaction appends it.
pub struct Outcome<'a> {
    pub org: &'a OrgId,
    pub workflow: &'a WorkflowId,
    pub version: i32,
    pub run: &'a RunId,
    pub at: OffsetDateTime,
    pub started: bool,
    /// How it ended and after how long, when it ended in this transaction.
    pub ended: Option<(RunStatus, i64)>,
    pub failure: Option<Failure>,
}

/// The hour `at` falls in.
pub fn hour_of(at: OffsetDateTime) -> OffsetDateTime {
    at.replace_minute(0)
        .and_then(|t| t.replace_second(0))
        .and_then(|t| t.replace_nanosecond(0))
        .unwrap_or(at)
}

pub async fn append(conn: &mut Conn, o: &Outcome<'_>) -> QueryResult<()> {
    let (outcome, duration) = match o.ended {
        Some((status, ms)) => (Some(status), Some(ms)),
        None => (None, None),
    };
    let failure = o.failure.as_ref();
    diesel::insert_into(run_outcomes::table)
        .values((
            run_outcomes::org_id.eq(o.org),
            run_outcomes::workflow_id.eq(o.workflow),
            run_outcomes::version.eq(o.version),
            run_outcomes::hour.eq(hour_of(o.at)),
            run_outcomes::started.eq(o.started),
            run_outcomes::outcome.eq(outcome),
            run_outcomes::duration_ms.eq(duration),
            run_outcomes::duration_bucket.eq(duration.map(|ms| bucket_of(ms) as i16)),
            run_outcomes::failure_group.eq(failure.map(|f| f.group(o.workflow))),
            run_outcomes::failed_step.eq(failure.map(|f| f.step)),
            run_outcomes::fingerprint.eq(failure.map(|f| fingerprint(&f.error))),
            run_outcomes::error.eq(failure.map(|f| f.error.as_str())),
            run_outcomes::run_id.eq(o.run),
            run_outcomes::at.eq(o.at),
        ))
        .execute(conn)
        .await
        .map(drop)
}

#[derive(Queryable, Clone, Debug)]
struct Row {
    id: i64,
    org_id: OrgId,
    workflow_id: WorkflowId,
    version: i32,
    hour: OffsetDateTime,
    started: bool,
    outcome: Option<RunStatus>,
    duration_ms: Option<i64>,
    failure_group: Option<String>,
    failed_step: Option<i32>,
    fingerprint: Option<String>,
    error: Option<String>,
    run_id: Option<String>,
    at: OffsetDateTime,
}

/// A failure group's part of one fold.
struct GroupPart {
    org: OrgId,
    workflow: WorkflowId,
    step: i32,
    fingerprint: String,
    error: String,
    runs: i64,
    first: OffsetDateTime,
    last: OffsetDateTime,
    versions: Vec<i32>,
    sample: String,
}

/// Folds up to `batch` appended rows into the rollups and the failure groups, and removes
/// them, in one transaction: each row is counted once, whichever process folds it. Returns how
/// many rows it folded.
pub async fn fold(conn: &mut Conn, batch: i64) -> QueryResult<usize> {
    use diesel_async::AsyncConnection;
    conn.transaction::<_, diesel::result::Error, _>(async |conn| {
        let rows: Vec<Row> = run_outcomes::table
            .order(run_outcomes::id.asc())
            .limit(batch)
            .for_update()
            .skip_locked()
            .select((
                run_outcomes::id,
                run_outcomes::org_id,
                run_outcomes::workflow_id,
                run_outcomes::version,
                run_outcomes::hour,
                run_outcomes::started,
                run_outcomes::outcome,
                run_outcomes::duration_ms,
                run_outcomes::failure_group,
                run_outcomes::failed_step,
                run_outcomes::fingerprint,
                run_outcomes::error,
                run_outcomes::run_id,
                run_outcomes::at,
            ))
            .load(conn)
            .await?;
        let mut tallies: BTreeMap<(WorkflowId, i32, OffsetDateTime), (OrgId, Tally)> =
            BTreeMap::new();
        let mut groups: BTreeMap<String, GroupPart> = BTreeMap::new();
        let mut group_hours: BTreeMap<(String, OffsetDateTime), (OrgId, i64)> = BTreeMap::new();
        for row in &rows {
            let key = (row.workflow_id.clone(), row.version, row.hour);
            let (_, tally) = tallies
                .entry(key)
                .or_insert_with(|| (row.org_id.clone(), Tally::default()));
            let ended = row.outcome.map(|s| (s, row.duration_ms.unwrap_or(0)));
            tally.count(row.started, ended);
            let Some(group) = &row.failure_group else {
                continue;
            };
            let part = groups.entry(group.clone()).or_insert_with(|| GroupPart {
                org: row.org_id.clone(),
                workflow: row.workflow_id.clone(),
                step: row.failed_step.unwrap_or(0),
                fingerprint: row.fingerprint.clone().unwrap_or_default(),
                error: String::new(),
                runs: 0,
                first: row.at,
                last: row.at,
                versions: Vec::new(),
                sample: String::new(),
            });
            part.runs += 1;
            part.first = part.first.min(row.at);
            if row.at >= part.last || part.error.is_empty() {
                part.last = row.at;
                part.error = row.error.clone().unwrap_or_default();
                part.sample = row.run_id.clone().unwrap_or_default();
            }
            if !part.versions.contains(&row.version) {
                part.versions.push(row.version);
            }
            let hour = group_hours
                .entry((group.clone(), row.hour))
                .or_insert_with(|| (row.org_id.clone(), 0));
            hour.1 += 1;
        }
        for ((workflow, version, hour), (org, tally)) in &tallies {
            add_stats(conn, org, workflow, *version, *hour, tally).await?;
        }
        for (key, part) in &groups {
            add_group(conn, key, part).await?;
        }
        for ((key, hour), (org, runs)) in &group_hours {
            diesel::sql_query(
                "INSERT INTO failure_group_hours (key, hour, org_id, runs) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (key, hour) DO UPDATE SET runs = failure_group_hours.runs + excluded.runs",
            )
            .bind::<Text, _>(key)
            .bind::<Timestamptz, _>(hour)
            .bind::<Text, _>(org.as_str())
            .bind::<BigInt, _>(runs)
            .execute(conn)
            .await?;
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        diesel::delete(run_outcomes::table.filter(run_outcomes::id.eq_any(&ids)))
            .execute(conn)
            .await?;
        Ok(rows.len())
    })
    .await
}

async fn add_stats(
    conn: &mut Conn,
    org: &OrgId,
    workflow: &WorkflowId,
    version: i32,
    hour: OffsetDateTime,
    t: &Tally,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO run_stats (workflow_id, version, hour, org_id, started, succeeded, failed,
             timed_out, cancelled, duration_ms_sum, durations)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (workflow_id, version, hour) DO UPDATE SET
             started = run_stats.started + excluded.started,
             succeeded = run_stats.succeeded + excluded.succeeded,
             failed = run_stats.failed + excluded.failed,
             timed_out = run_stats.timed_out + excluded.timed_out,
             cancelled = run_stats.cancelled + excluded.cancelled,
             duration_ms_sum = run_stats.duration_ms_sum + excluded.duration_ms_sum,
             durations = ARRAY(SELECT a + b FROM unnest(run_stats.durations, excluded.durations)
                 WITH ORDINALITY AS d(a, b, i) ORDER BY i)",
    )
    .bind::<Text, _>(workflow.as_str())
    .bind::<Integer, _>(version)
    .bind::<Timestamptz, _>(hour)
    .bind::<Text, _>(org.as_str())
    .bind::<BigInt, _>(t.started)
    .bind::<BigInt, _>(t.succeeded)
    .bind::<BigInt, _>(t.failed)
    .bind::<BigInt, _>(t.timed_out)
    .bind::<BigInt, _>(t.cancelled)
    .bind::<BigInt, _>(t.duration_ms_sum)
    .bind::<Array<BigInt>, _>(&t.durations)
    .execute(conn)
    .await
    .map(drop)
}

async fn add_group(conn: &mut Conn, key: &str, g: &GroupPart) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO failure_groups (key, org_id, workflow_id, step, fingerprint, error, runs,
             first_seen, last_seen, versions, sample_run)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (key) DO UPDATE SET
             runs = failure_groups.runs + excluded.runs,
             first_seen = LEAST(failure_groups.first_seen, excluded.first_seen),
             error = CASE WHEN excluded.last_seen >= failure_groups.last_seen
                 THEN excluded.error ELSE failure_groups.error END,
             sample_run = CASE WHEN excluded.last_seen >= failure_groups.last_seen
                 THEN excluded.sample_run ELSE failure_groups.sample_run END,
             last_seen = GREATEST(failure_groups.last_seen, excluded.last_seen),
             versions = ARRAY(SELECT DISTINCT v FROM unnest(failure_groups.versions || excluded.versions) AS v ORDER BY v)",
    )
    .bind::<Text, _>(key)
    .bind::<Text, _>(g.org.as_str())
    .bind::<Text, _>(g.workflow.as_str())
    .bind::<Integer, _>(g.step)
    .bind::<Text, _>(&g.fingerprint)
    .bind::<Text, _>(&g.error)
    .bind::<BigInt, _>(g.runs)
    .bind::<Timestamptz, _>(g.first)
    .bind::<Timestamptz, _>(g.last)
    .bind::<Array<Integer>, _>(&g.versions)
    .bind::<Text, _>(&g.sample)
    .execute(conn)
    .await
    .map(drop)
}

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

/// The rollups and the rows not folded yet, as one set of hourly counts (`$1` org, `$2` from,
/// `$3` to, `$4` a workflow or none). Outcome names come from `RunStatus`.
static COUNTS: LazyLock<String> = LazyLock::new(|| {
    let is = |s: RunStatus| {
        format!(
            "COALESCE(outcome = {}, false)::int::int8",
            quoted(&[s], RunStatus::as_str)
        )
    };
    format!(
        "SELECT workflow_id, version, hour, started, succeeded, failed, timed_out, cancelled,
                duration_ms_sum
         FROM run_stats
         WHERE org_id = $1 AND hour >= $2 AND hour < $3 AND ($4::text IS NULL OR workflow_id = $4)
         UNION ALL
         SELECT workflow_id, version, hour, started::int::int8, {}, {}, {}, {},
                COALESCE(duration_ms, 0)
         FROM run_outcomes
         WHERE org_id = $1 AND hour >= $2 AND hour < $3 AND ($4::text IS NULL OR workflow_id = $4)",
        is(RunStatus::Succeeded),
        is(RunStatus::Failed),
        is(RunStatus::TimedOut),
        is(RunStatus::Cancelled),
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
pub struct Scope<'a> {
    pub org: &'a OrgId,
    pub workflow: Option<&'a WorkflowId>,
    pub from: OffsetDateTime,
    pub to: OffsetDateTime,
}

/// Counts per period (hours, or days in the time zone `tz`), oldest first; periods without
/// runs are absent. Durations are read by `durations`.
pub async fn series(
    conn: &mut Conn,
    scope: &Scope<'_>,
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
        COUNTS.as_str()
    );
    let points: Vec<Point> = diesel::sql_query(sql)
        .bind::<Text, _>(scope.org.as_str())
        .bind::<Timestamptz, _>(scope.from)
        .bind::<Timestamptz, _>(scope.to)
        .bind::<Nullable<Text>, _>(scope.workflow.map(WorkflowId::as_str))
        .bind::<Text, _>(tz)
        .load(conn)
        .await?;
    Ok(points.into_iter().map(|p| (p.start, p.tally())).collect())
}

#[derive(QueryableByName)]
struct VersionPoint {
    #[diesel(sql_type = Text)]
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
    scope: &Scope<'_>,
) -> QueryResult<Vec<(WorkflowId, i32, OffsetDateTime, Tally)>> {
    let sql = format!(
        "SELECT workflow_id, version, min(hour) AS start, sum(started)::int8 AS started,
                sum(succeeded)::int8 AS succeeded, sum(failed)::int8 AS failed,
                sum(timed_out)::int8 AS timed_out, sum(cancelled)::int8 AS cancelled,
                sum(duration_ms_sum)::int8 AS duration_ms_sum
         FROM ({}) counts GROUP BY 1, 2 ORDER BY 1, 2",
        COUNTS.as_str()
    );
    let points: Vec<VersionPoint> = diesel::sql_query(sql)
        .bind::<Text, _>(scope.org.as_str())
        .bind::<Timestamptz, _>(scope.from)
        .bind::<Timestamptz, _>(scope.to)
        .bind::<Nullable<Text>, _>(scope.workflow.map(WorkflowId::as_str))
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
    scope: &Scope<'_>,
    period: Period,
    tz: &str,
) -> QueryResult<BTreeMap<OffsetDateTime, Vec<i64>>> {
    let sql = format!(
        "SELECT date_trunc('{0}', hour, $5) AS start, bucket, sum(runs)::int8 AS runs FROM (
             SELECT s.hour, (d.i - 1)::int4 AS bucket, d.n AS runs
             FROM run_stats s, unnest(s.durations) WITH ORDINALITY AS d(n, i)
             WHERE s.org_id = $1 AND s.hour >= $2 AND s.hour < $3
               AND ($4::text IS NULL OR s.workflow_id = $4) AND d.n > 0
             UNION ALL
             SELECT hour, duration_bucket::int4, 1 FROM run_outcomes
             WHERE org_id = $1 AND hour >= $2 AND hour < $3
               AND ($4::text IS NULL OR workflow_id = $4) AND duration_bucket IS NOT NULL
         ) b GROUP BY 1, 2",
        period.sql()
    );
    let counts: Vec<BucketCount> = diesel::sql_query(sql)
        .bind::<Text, _>(scope.org.as_str())
        .bind::<Timestamptz, _>(scope.from)
        .bind::<Timestamptz, _>(scope.to)
        .bind::<Nullable<Text>, _>(scope.workflow.map(WorkflowId::as_str))
        .bind::<Text, _>(tz)
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
    #[diesel(sql_type = Text)]
    pub key: String,
    #[diesel(sql_type = Text)]
    pub workflow_id: WorkflowId,
    #[diesel(sql_type = Text)]
    pub workflow_name: String,
    #[diesel(sql_type = Integer)]
    pub step: i32,
    #[diesel(sql_type = Text)]
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
    #[diesel(sql_type = Text)]
    pub sample_run: String,
}

/// The largest failure groups of the scope, by failures in it; folded groups only (a group
/// appears within seconds of its first failure).
pub async fn groups(conn: &mut Conn, scope: &Scope<'_>, limit: i64) -> QueryResult<Vec<GroupRow>> {
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
    .bind::<Text, _>(scope.org.as_str())
    .bind::<Timestamptz, _>(scope.from)
    .bind::<Timestamptz, _>(scope.to)
    .bind::<Nullable<Text>, _>(scope.workflow.map(WorkflowId::as_str))
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await
}

/// One failure group of `org`, by its key.
pub async fn group(
    conn: &mut Conn,
    org: &OrgId,
    key: &str,
) -> QueryResult<Option<(WorkflowId, i32, String)>> {
    failure_groups::table
        .filter(failure_groups::key.eq(key))
        .filter(failure_groups::org_id.eq(org))
        .select((
            failure_groups::workflow_id,
            failure_groups::step,
            failure_groups::error,
        ))
        .first(conn)
        .await
        .optional()
}

/// Removes rollups and failure-group hours older than `before`; returns how many rows.
pub async fn prune_before(conn: &mut Conn, before: OffsetDateTime) -> QueryResult<usize> {
    use crate::schema::{failure_group_hours, run_stats};
    let stats = diesel::delete(run_stats::table.filter(run_stats::hour.lt(before)))
        .execute(conn)
        .await?;
    let hours =
        diesel::delete(failure_group_hours::table.filter(failure_group_hours::hour.lt(before)))
            .execute(conn)
            .await?;
    Ok(stats + hours)
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
        #[diesel(sql_type = Text)]
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
        .bind::<Text, _>(tz)
        .load(conn)
        .await?;
    Ok(starts.into_iter().map(|s| (s.start, s.local)).collect())
}

/// How far the time zone `tz`'s clock is ahead of UTC now, in seconds.
pub async fn utc_offset(conn: &mut Conn, tz: &str) -> QueryResult<i32> {
    #[derive(QueryableByName)]
    struct Offset {
        #[diesel(sql_type = Integer)]
        seconds: i32,
    }
    let offset: Offset = diesel::sql_query(
        "SELECT extract(epoch FROM (now() AT TIME ZONE $1) - (now() AT TIME ZONE 'UTC'))::int4 AS seconds",
    )
    .bind::<Text, _>(tz)
    .get_result(conn)
    .await?;
    Ok(offset.seconds)
}

/// Whether PostgreSQL knows the time zone `tz` (`Europe/Paris`, `UTC`).
pub async fn is_time_zone(conn: &mut Conn, tz: &str) -> QueryResult<bool> {
    diesel::select(
        diesel::dsl::sql::<diesel::sql_types::Bool>(
            "EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = ",
        )
        .bind::<Text, _>(tz)
        .sql(")"),
    )
    .get_result(conn)
    .await
}
