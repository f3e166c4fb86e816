//! The run statistics' storage: one row appended per run transaction that starts or ends a
//! run (`append`, in that transaction), folded every few seconds into hourly rollups per
//! workflow and version, into failure groups and into the workflows' counters (`fold`, one
//! transaction, each row once), and read back as rollups plus what is not folded yet (`read`:
//! `series`, `by_version`, `groups`).

mod read;

pub use read::*;

use crate::db::Conn;
use crate::id::{OrgId, RunId, WorkflowId};
use crate::repo::workflow::Folded;
use crate::run::RunStatus;
use crate::schema::run_outcomes;
use crate::sql_text::Sql;
use crate::stats::{Tally, bucket_of, fingerprint};
use crate::store_error::QueryResult;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Timestamptz};
use diesel_async::RunQueryDsl;
use std::collections::BTreeMap;
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
pub struct RunOutcome<'a> {
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

pub use crate::stats::hour_of;

pub async fn append(conn: &mut Conn, o: &RunOutcome<'_>) -> QueryResult<()> {
    let (outcome, duration) = match o.ended {
        Some((status, ms)) => (Some(status), Some(ms)),
        None => (None, None),
    };
    let failure = o.failure.as_ref();
    diesel::insert_into(run_outcomes::table)
        .values((
            run_outcomes::org_id.eq(o.org.sql()),
            run_outcomes::workflow_id.eq(o.workflow.sql()),
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
            run_outcomes::run_id.eq(o.run.sql_nullable()),
            run_outcomes::at.eq(o.at),
        ))
        .execute(conn)
        .await
        .map(drop)
        .map_err(Into::into)
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
    conn.transaction::<_, crate::store_error::StoreError, _>(async |conn| {
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
        let mut org_hours: BTreeMap<(OrgId, OffsetDateTime), Tally> = BTreeMap::new();
        let mut days: BTreeMap<(WorkflowId, i32, OffsetDateTime), (OrgId, Tally)> =
            BTreeMap::new();
        for ((workflow, version, hour), (org, tally)) in &tallies {
            add_stats(conn, org, workflow, *version, *hour, tally).await?;
            org_hours
                .entry((org.clone(), *hour))
                .or_default()
                .add(tally);
            days.entry((workflow.clone(), *version, day_of(*hour)))
                .or_insert_with(|| (org.clone(), Tally::default()))
                .1
                .add(tally);
        }
        for ((org, hour), tally) in &org_hours {
            add_org_stats(conn, org, *hour, tally).await?;
        }
        for ((workflow, version, day), (org, tally)) in &days {
            add_daily_stats(conn, org, workflow, *version, *day, tally).await?;
        }
        for (key, part) in &groups {
            if add_group(conn, key, part).await? {
                opened(conn, key, part).await?;
            }
        }
        for ((key, hour), (org, runs)) in &group_hours {
            diesel::sql_query(
                "INSERT INTO failure_group_hours (key, hour, org_id, runs) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (key, hour) DO UPDATE SET runs = failure_group_hours.runs + excluded.runs",
            )
            .bind::<crate::sql_text::Stored, _>(key)
            .bind::<Timestamptz, _>(hour)
            .bind::<crate::sql_text::Stored, _>(org.as_str())
            .bind::<BigInt, _>(runs)
            .execute(conn)
            .await?;
        }
        // The workflows' counters and last run times, in the order of their ids (as every fold
        // takes them, so that two folds never wait on each other in a circle).
        let mut counters: BTreeMap<&WorkflowId, Folded> = BTreeMap::new();
        for row in &rows {
            let f = counters.entry(&row.workflow_id).or_default();
            if row.started {
                f.started += 1;
                f.last_start = f.last_start.max(Some(row.at));
            }
            match row.outcome {
                Some(RunStatus::Succeeded) => f.succeeded += 1,
                Some(_) => f.failed += 1,
                None => {}
            }
        }
        for (workflow, f) in &counters {
            crate::repo::workflow::add_folded(conn, workflow, f).await?;
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
    .bind::<crate::sql_text::Stored, _>(workflow.as_str())
    .bind::<Integer, _>(version)
    .bind::<Timestamptz, _>(hour)
    .bind::<crate::sql_text::Stored, _>(org.as_str())
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
    .map_err(Into::into)
}

/// The UTC day `at` falls in.
pub fn day_of(at: OffsetDateTime) -> OffsetDateTime {
    at.to_offset(time::UtcOffset::UTC)
        .replace_time(time::Time::MIDNIGHT)
}

async fn add_org_stats(
    conn: &mut Conn,
    org: &OrgId,
    hour: OffsetDateTime,
    t: &Tally,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO run_stats_org (org_id, hour, started, succeeded, failed, timed_out,
             cancelled, duration_ms_sum, durations)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (org_id, hour) DO UPDATE SET
             started = run_stats_org.started + excluded.started,
             succeeded = run_stats_org.succeeded + excluded.succeeded,
             failed = run_stats_org.failed + excluded.failed,
             timed_out = run_stats_org.timed_out + excluded.timed_out,
             cancelled = run_stats_org.cancelled + excluded.cancelled,
             duration_ms_sum = run_stats_org.duration_ms_sum + excluded.duration_ms_sum,
             durations = histogram_add(run_stats_org.durations, excluded.durations)",
    )
    .bind::<crate::sql_text::Stored, _>(org.as_str())
    .bind::<Timestamptz, _>(hour)
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
    .map_err(Into::into)
}

async fn add_daily_stats(
    conn: &mut Conn,
    org: &OrgId,
    workflow: &WorkflowId,
    version: i32,
    day: OffsetDateTime,
    t: &Tally,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO run_stats_daily (workflow_id, version, day, org_id, started, succeeded,
             failed, timed_out, cancelled, duration_ms_sum)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (workflow_id, version, day) DO UPDATE SET
             started = run_stats_daily.started + excluded.started,
             succeeded = run_stats_daily.succeeded + excluded.succeeded,
             failed = run_stats_daily.failed + excluded.failed,
             timed_out = run_stats_daily.timed_out + excluded.timed_out,
             cancelled = run_stats_daily.cancelled + excluded.cancelled,
             duration_ms_sum = run_stats_daily.duration_ms_sum + excluded.duration_ms_sum",
    )
    .bind::<crate::sql_text::Stored, _>(workflow.as_str())
    .bind::<Integer, _>(version)
    .bind::<Timestamptz, _>(day)
    .bind::<crate::sql_text::Stored, _>(org.as_str())
    .bind::<BigInt, _>(t.started)
    .bind::<BigInt, _>(t.succeeded)
    .bind::<BigInt, _>(t.failed)
    .bind::<BigInt, _>(t.timed_out)
    .bind::<BigInt, _>(t.cancelled)
    .bind::<BigInt, _>(t.duration_ms_sum)
    .execute(conn)
    .await
    .map(drop)
    .map_err(Into::into)
}

/// The event a failure group's first failure records (and any webhook endpoint taking it is
/// sent), in the fold's transaction: the workflow, the step, the error and a run of it.
async fn opened(conn: &mut Conn, key: &str, g: &GroupPart) -> QueryResult<()> {
    let event = crate::repo::event::NewEvent {
        subject: Some(g.workflow.to_string()),
        ..crate::repo::event::NewEvent::new(
            OPENED,
            serde_json::json!({
                "group": key, "workflow": g.workflow, "step": g.step, "error": g.error,
                "run": g.sample, "firstSeen": crate::timefmt::rfc3339(g.first),
            }),
            crate::entity::EventSource::Verb,
        )
    };
    crate::repo::event::insert(conn, &g.org, &event)
        .await
        .map(drop)
}

/// The event a new failure group records.
pub const OPENED: &str = "FailureGroup.opened";

#[derive(diesel::QueryableByName)]
struct Upserted {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    inserted: bool,
}

/// Adds a fold's part of a failure group; whether the group is new.
async fn add_group(conn: &mut Conn, key: &str, g: &GroupPart) -> QueryResult<bool> {
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
             versions = ARRAY(SELECT DISTINCT v FROM unnest(failure_groups.versions || excluded.versions) AS v ORDER BY v)
         RETURNING (xmax = 0) AS inserted",
    )
    .bind::<crate::sql_text::Stored, _>(key)
    .bind::<crate::sql_text::Stored, _>(g.org.as_str())
    .bind::<crate::sql_text::Stored, _>(g.workflow.as_str())
    .bind::<Integer, _>(g.step)
    .bind::<crate::sql_text::Stored, _>(&g.fingerprint)
    .bind::<crate::sql_text::Stored, _>(&g.error)
    .bind::<BigInt, _>(g.runs)
    .bind::<Timestamptz, _>(g.first)
    .bind::<Timestamptz, _>(g.last)
    .bind::<Array<Integer>, _>(&g.versions)
    .bind::<crate::sql_text::Stored, _>(&g.sample)
    .get_result::<Upserted>(conn)
    .await
    .map(|u| u.inserted)
    .map_err(Into::into)
}

/// Removes rollups and failure-group hours older than `before`; returns how many rows.
pub async fn prune_before(conn: &mut Conn, before: OffsetDateTime) -> QueryResult<usize> {
    use crate::schema::{failure_group_hours, run_stats, run_stats_daily, run_stats_org};
    let stats = diesel::delete(run_stats::table.filter(run_stats::hour.lt(before)))
        .execute(conn)
        .await?
        + diesel::delete(run_stats_org::table.filter(run_stats_org::hour.lt(before)))
            .execute(conn)
            .await?
        + diesel::delete(run_stats_daily::table.filter(run_stats_daily::day.lt(day_of(before))))
            .execute(conn)
            .await?;
    let hours =
        diesel::delete(failure_group_hours::table.filter(failure_group_hours::hour.lt(before)))
            .execute(conn)
            .await?;
    Ok(stats + hours)
}
