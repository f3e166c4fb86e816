//! The dashboard: what an organization's runs did over a range, which workflows fail most and
//! since when, the largest failure groups, and the runs failing now. Every count and rate is
//! read from the run statistics' rollups, never from a scan of the runs.

use crate::entity::RunSummary;
use crate::id::WorkflowId;
use serde::{Deserialize, Serialize};
use std::str::FromStr;
#[cfg(feature = "db")]
use {
    crate::db::Conn,
    crate::entity::Actor,
    crate::error::DomainResult,
    crate::repo::{self, stats::Scope},
    crate::stats::Tally,
    std::collections::BTreeMap,
    time::{Duration, OffsetDateTime},
};

/// The span a dashboard or a chart covers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Range {
    Day,
    #[default]
    Week,
    Month,
    Quarter,
}

impl Range {
    pub const ALL: [Range; 4] = [Range::Day, Range::Week, Range::Month, Range::Quarter];

    /// The range as addresses name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Range::Day => "24h",
            Range::Week => "7d",
            Range::Month => "30d",
            Range::Quarter => "90d",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Range::Day => "Last 24 hours",
            Range::Week => "Last 7 days",
            Range::Month => "Last 30 days",
            Range::Quarter => "Last 90 days",
        }
    }

    /// How long it is, in hours.
    pub fn hours(self) -> i64 {
        match self {
            Range::Day => 24,
            Range::Week => 7 * 24,
            Range::Month => 30 * 24,
            Range::Quarter => 90 * 24,
        }
    }

    /// Whether its charts count per hour (else per day).
    pub fn hourly(self) -> bool {
        matches!(self, Range::Day | Range::Week)
    }

    /// Where it starts when it ends at `now`: whole hours back from the current one for an
    /// hourly range (the current hour is its last point), the same time of day for a daily one.
    #[cfg(feature = "db")]
    pub fn start(self, now: OffsetDateTime) -> OffsetDateTime {
        if self.hourly() {
            repo::stats::hour_of(now) - Duration::hours(self.hours() - 1)
        } else {
            now - Duration::hours(self.hours())
        }
    }
}

impl Range {
    /// Reads an address's `range`: empty is the default week, anything unknown a field error.
    pub fn parse_param(text: &str) -> crate::error::DomainResult<Range> {
        match text.trim() {
            "" => Ok(Range::default()),
            other => other.parse().map_err(|_| {
                crate::error::DomainError::field(
                    "range",
                    format!("`{other}` is not a range: use 24h, 7d, 30d or 90d"),
                )
            }),
        }
    }
}

impl FromStr for Range {
    type Err = crate::status::UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crate::status::find_name("range", &Range::ALL, Range::as_str, s)
    }
}

/// One period of a chart: its label and its runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// When it starts, as the organization's clock reads it ("Nov 27" or "Nov 27, 14:00").
    pub label: String,
    pub succeeded: i64,
    /// Runs that ended without succeeding.
    pub failed: i64,
    /// Failed over finished, when any finished.
    pub failure_rate: Option<f64>,
    /// The duration under which half and 95% of them ended, to the histogram's bucket.
    pub p50_ms: Option<i64>,
    pub p95_ms: Option<i64>,
}

/// A version saved during a chart's range: where the chart marks it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VersionMark {
    pub version: i32,
    /// The point of the chart it falls in.
    pub index: usize,
    pub by: Option<String>,
    pub at: String,
}

/// A failure group as pages show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub key: String,
    pub workflow: WorkflowId,
    pub workflow_name: String,
    /// The step, counted from 1 as pages do.
    pub step: i32,
    pub error: String,
    /// Failures in the range.
    pub runs: i64,
    pub runs_all_time: i64,
    pub first_seen: String,
    pub last_seen: String,
    pub versions: Vec<i32>,
    pub sample_run: String,
}

/// A workflow above the failure threshold over the range.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attention {
    pub workflow: WorkflowId,
    pub name: String,
    pub failure_rate: f64,
    pub failures: i64,
    pub finished: i64,
    /// Its failure rate per period of the range (none where nothing finished).
    pub sparkline: Vec<Option<f64>>,
    /// "Failing since version N": the version whose rate stands out from the one before.
    pub since: Option<VersionMark>,
    pub largest_group: Option<Group>,
}

/// A `workflow.high_failure_rate` alert raised in the range.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub workflow: Option<WorkflowId>,
    pub name: String,
    pub failure_rate: Option<f64>,
    pub at: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub range: Range,
    pub threshold: f64,
    pub time_zone: String,
    pub points: Vec<Point>,
    pub runs: i64,
    pub failures: i64,
    pub failure_rate: Option<f64>,
    /// The failure rate of the range before, for the change.
    pub previous_failure_rate: Option<f64>,
    pub attention: Vec<Attention>,
    pub groups: Vec<Group>,
    pub failing_now: Vec<RunSummary>,
    pub alerts: Vec<Alert>,
}

/// How many workflows, groups and failing runs the dashboard lists.
pub const LISTED: usize = 8;
/// The most failure groups the dashboard reads for a range, largest first.
#[cfg(feature = "db")]
const GROUPS_READ: i64 = 500;

/// What the "needs attention" list is worked out with.
#[cfg(feature = "db")]
struct Failing<'a> {
    threshold: f64,
    tz: &'a str,
    offset: i32,
    /// Each workflow's largest failure group over the range.
    largest: BTreeMap<WorkflowId, Group>,
}

/// Reads the dashboard of the actor's organization over `range`, as of `now`.
#[cfg(feature = "db")]
pub async fn dashboard(
    conn: &mut Conn,
    actor: &impl Actor,
    range: Range,
    now: OffsetDateTime,
) -> DomainResult<Dashboard> {
    let org = &actor.org().id;
    let (threshold, time_zone) = repo::org::preferences(conn, org).await?;
    let to = now;
    let from = range.start(now);
    let scope = Scope {
        org,
        workflow: None,
        from,
        to,
    };
    let points = chart(conn, &scope, range, &time_zone).await?;
    let mut total = Tally::default();
    for (_, _, t) in &points {
        total.add(t);
    }
    let before = Scope {
        org,
        workflow: None,
        from: from - (to - from),
        to: from,
    };
    let mut previous = Tally::default();
    for (_, _, _, t) in repo::stats::by_version(conn, &before).await? {
        previous.add(&t);
    }
    let offset = repo::stats::utc_offset(conn, &time_zone).await?;
    // Every group of the range, largest first, read once: the list shows the first few, and
    // each workflow that needs attention its largest.
    let all_groups: Vec<Group> = repo::stats::groups(conn, &scope, GROUPS_READ)
        .await?
        .into_iter()
        .map(|g| group(g, offset))
        .collect();
    let mut largest: BTreeMap<WorkflowId, Group> = BTreeMap::new();
    for g in all_groups.iter().rev() {
        largest.insert(g.workflow.clone(), g.clone());
    }
    let groups: Vec<Group> = all_groups.into_iter().take(LISTED).collect();
    let failing = Failing {
        threshold,
        tz: &time_zone,
        offset,
        largest,
    };
    let attention = attention(conn, &scope, range, failing).await?;
    let failing_now = repo::run::latest_failures(conn, org, from, LISTED as i64).await?;
    let alerts = alerts(conn, &scope, offset).await?;
    Ok(Dashboard {
        range,
        threshold,
        time_zone,
        points: points.into_iter().map(|(_, p, _)| p).collect(),
        runs: total.started,
        failures: total.failures(),
        failure_rate: total.failure_rate(),
        previous_failure_rate: previous.failure_rate(),
        attention,
        groups,
        failing_now,
        alerts,
    })
}

/// The failure-rate alerts raised over the scope, newest first.
#[cfg(feature = "db")]
async fn alerts(conn: &mut Conn, scope: &Scope<'_>, offset: i32) -> DomainResult<Vec<Alert>> {
    use crate::hooks::HIGH_FAILURE_RATE;
    let events = repo::event::of_type(
        conn,
        scope.org,
        HIGH_FAILURE_RATE,
        scope.from,
        LISTED as i64,
    )
    .await?;
    let mut out = Vec::with_capacity(events.len());
    for e in events {
        let workflow = e
            .data
            .get("workflow")
            .and_then(|w| w.as_str())
            .and_then(WorkflowId::parse);
        let name = match &workflow {
            Some(w) => repo::workflow::name_of(conn, w).await.unwrap_or_default(),
            None => String::new(),
        };
        out.push(Alert {
            workflow,
            name,
            failure_rate: e.data.get("failureRate").and_then(|r| r.as_f64()),
            at: crate::timefmt::moment(e.created_at, offset),
        });
    }
    Ok(out)
}

/// Every period of the scope (none missing), with its runs and durations.
#[cfg(feature = "db")]
pub(crate) async fn chart(
    conn: &mut Conn,
    scope: &Scope<'_>,
    range: Range,
    tz: &str,
) -> DomainResult<Vec<(OffsetDateTime, Point, Tally)>> {
    use repo::stats::Period;
    let period = if range.hourly() {
        Period::Hour
    } else {
        Period::Day
    };
    let periods = repo::stats::periods(conn, scope.from, scope.to, period, tz).await?;
    let counts: BTreeMap<OffsetDateTime, Tally> = repo::stats::series(conn, scope, period, tz)
        .await?
        .into_iter()
        .collect();
    let durations = repo::stats::durations(conn, scope, period, tz).await?;
    Ok(periods
        .into_iter()
        .map(|(start, local)| {
            let mut tally = counts.get(&start).cloned().unwrap_or_default();
            if let Some(histogram) = durations.get(&start) {
                tally.durations = histogram.clone();
            }
            let point = Point {
                label: crate::timefmt::period_label(&local, range.hourly()),
                succeeded: tally.succeeded,
                failed: tally.failures(),
                failure_rate: tally.failure_rate(),
                p50_ms: tally.percentile_ms(0.5),
                p95_ms: tally.percentile_ms(0.95),
            };
            (start, point, tally)
        })
        .collect())
}

#[cfg(feature = "db")]
pub(crate) fn group(g: repo::stats::GroupRow, offset: i32) -> Group {
    Group {
        key: g.key,
        workflow: g.workflow_id,
        workflow_name: g.workflow_name,
        step: g.step + 1,
        error: without_step(&g.error).to_owned(),
        runs: g.runs,
        runs_all_time: g.runs_all_time,
        first_seen: crate::timefmt::moment(g.first_seen, offset),
        last_seen: crate::timefmt::moment(g.last_seen, offset),
        versions: g.versions,
        sample_run: g.sample_run,
    }
}

/// An error without the "Step 2 (Event.create): " it starts with, where the page says the step.
pub fn without_step(error: &str) -> &str {
    let Some(rest) = error.strip_prefix("Step ") else {
        return error;
    };
    match rest.split_once("): ") {
        Some((head, tail)) if head.contains(" (") && !head.contains(':') => tail,
        _ => error,
    }
}

/// The workflows above the threshold over the scope, worst first: the rate weighted by how
/// many runs it is about.
#[cfg(feature = "db")]
async fn attention(
    conn: &mut Conn,
    scope: &Scope<'_>,
    range: Range,
    failing_with: Failing<'_>,
) -> DomainResult<Vec<Attention>> {
    let Failing {
        threshold,
        tz,
        offset,
        mut largest,
    } = failing_with;
    let in_range = repo::stats::by_version(conn, scope).await?;
    let mut per_workflow: BTreeMap<WorkflowId, Tally> = BTreeMap::new();
    for (workflow, _, _, t) in &in_range {
        per_workflow.entry(workflow.clone()).or_default().add(t);
    }
    let mut failing: Vec<(WorkflowId, Tally, f64)> = per_workflow
        .into_iter()
        .filter_map(|(w, t)| {
            let rate = t.failure_rate()?;
            (rate > threshold).then_some((w, t, rate))
        })
        .collect();
    let weight = |t: &Tally, rate: f64| rate * ((1 + t.finished()) as f64).ln();
    failing.sort_by(|a, b| weight(&b.1, b.2).total_cmp(&weight(&a.1, a.2)));
    failing.truncate(LISTED);
    if failing.is_empty() {
        return Ok(Vec::new());
    }
    // Everything the list shows, a few queries for all of it: the sparklines, the versions'
    // rates over 90 days and the names.
    let ids: Vec<WorkflowId> = failing.iter().map(|(w, _, _)| w.clone()).collect();
    let period = if range.hourly() {
        repo::stats::Period::Hour
    } else {
        repo::stats::Period::Day
    };
    let periods = repo::stats::periods(conn, scope.from, scope.to, period, tz).await?;
    let mut counts: BTreeMap<(WorkflowId, OffsetDateTime), Tally> = BTreeMap::new();
    for (workflow, start, tally) in repo::stats::series_of(conn, scope, &ids, period, tz).await? {
        counts.insert((workflow, start), tally);
    }
    let wide = Scope {
        workflow: None,
        from: scope.to - Duration::days(90),
        ..*scope
    };
    // Over 90 days already when the range is 90 days.
    let by_version = if scope.from == wide.from {
        in_range
    } else {
        repo::stats::by_version(conn, &wide).await?
    };
    let mut rates: BTreeMap<WorkflowId, Vec<(i32, f64)>> = BTreeMap::new();
    for (workflow, version, _, t) in by_version {
        if let (true, Some(rate)) = (t.finished() >= 3, t.failure_rate()) {
            rates.entry(workflow).or_default().push((version, rate));
        }
    }
    let names: BTreeMap<WorkflowId, String> = repo::workflow::names(conn, scope.org)
        .await?
        .into_iter()
        .map(|w| (w.id, w.name))
        .collect();
    let mut out = Vec::with_capacity(failing.len());
    for (workflow, tally, rate) in failing {
        let sparkline = periods
            .iter()
            .map(|(start, _)| {
                counts
                    .get(&(workflow.clone(), *start))
                    .and_then(Tally::failure_rate)
            })
            .collect();
        let stood_out = rates.get(&workflow).and_then(|r| stands_out(r, threshold));
        let since = match stood_out {
            Some(version) => version_mark(conn, scope.org, &workflow, version, offset).await?,
            None => None,
        };
        let name = match names.get(&workflow) {
            Some(name) => name.clone(),
            None => repo::workflow::name_of(conn, &workflow).await?,
        };
        out.push(Attention {
            largest_group: largest.remove(&workflow),
            workflow,
            name,
            failure_rate: rate,
            failures: tally.failures(),
            finished: tally.finished(),
            sparkline,
            since,
        });
    }
    Ok(out)
}

/// Version `version` of `workflow` as a mark: who saved it and when.
#[cfg(feature = "db")]
async fn version_mark(
    conn: &mut Conn,
    org: &crate::id::OrgId,
    workflow: &WorkflowId,
    version: i32,
    offset: i32,
) -> DomainResult<Option<VersionMark>> {
    let history = repo::workflow::version_history(conn, org, workflow).await?;
    Ok(history
        .into_iter()
        .find(|h| h.version == version)
        .map(|h| VersionMark {
            version,
            index: 0,
            by: h.created_by,
            at: crate::timefmt::moment(h.created_at, offset),
        }))
}

/// The version since which a workflow fails: the latest version, among those that ran in the
/// last 90 days, whose failure rate is above `threshold` and at least twice the rate of the
/// version before it. Versions with fewer than three finished runs say nothing.
#[cfg(feature = "db")]
pub(crate) async fn failing_since(
    conn: &mut Conn,
    scope: &Scope<'_>,
    threshold: f64,
    offset: i32,
) -> DomainResult<Option<VersionMark>> {
    let wide = Scope {
        from: scope.to - Duration::days(90),
        ..*scope
    };
    let rates: Vec<(i32, f64)> = repo::stats::by_version(conn, &wide)
        .await?
        .into_iter()
        .filter(|(_, _, _, t)| t.finished() >= 3)
        .filter_map(|(_, v, _, t)| Some((v, t.failure_rate()?)))
        .collect();
    let Some(version) = stands_out(&rates, threshold) else {
        return Ok(None);
    };
    let Some(workflow) = scope.workflow else {
        return Ok(None);
    };
    version_mark(conn, scope.org, workflow, version, offset).await
}

/// Of `(version, failure rate)` pairs by version, the latest version above `threshold` whose
/// rate is at least twice the previous version's, while the latest version still fails.
pub fn stands_out(rates: &[(i32, f64)], threshold: f64) -> Option<i32> {
    if rates.last()?.1 <= threshold {
        return None;
    }
    rates
        .windows(2)
        .rev()
        .find(|w| w[1].1 > threshold && w[1].1 >= 2.0 * w[0].1)
        .map(|w| w[1].0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_stands_out_when_it_fails_far_more_than_the_one_before() {
        assert_eq!(stands_out(&[(5, 0.01), (6, 0.02), (7, 0.4)], 0.1), Some(7));
        assert_eq!(
            stands_out(&[(6, 0.3), (7, 0.35)], 0.1),
            None,
            "always failing"
        );
        assert_eq!(stands_out(&[(7, 0.4)], 0.1), None, "nothing before it");
        assert_eq!(
            stands_out(&[(6, 0.0), (7, 0.05)], 0.1),
            None,
            "under the threshold"
        );
        assert_eq!(
            stands_out(&[(5, 0.0), (6, 0.5), (7, 0.45)], 0.1),
            Some(6),
            "still failing since 6"
        );
        assert_eq!(
            stands_out(&[(5, 0.0), (6, 0.5), (7, 0.0)], 0.1),
            None,
            "fixed by 7"
        );
    }

    #[test]
    fn a_groups_error_reads_without_the_step_it_names_anyway() {
        assert_eq!(
            without_step("Step 2 (Event.create): The field type must be an event type"),
            "The field type must be an event type"
        );
        assert_eq!(
            without_step("Step 2 failed; the steps after it still ran."),
            "Step 2 failed; the steps after it still ran."
        );
        assert_eq!(without_step("disk on fire"), "disk on fire");
    }

    #[test]
    fn ranges_read_from_their_names() {
        for r in Range::ALL {
            assert_eq!(r.as_str().parse::<Range>(), Ok(r));
        }
        assert!("1y".parse::<Range>().is_err());
    }
}
