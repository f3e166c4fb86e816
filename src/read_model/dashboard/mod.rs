//! The dashboard: what an organization's runs did over a range, which workflows fail most and
//! since when, the largest failure groups, and the runs failing now. Every count and rate is
//! read from the run statistics' rollups, never from a scan of the runs.
//!
//! Here: the range, what the page shows, and the read that assembles it; `chart` reads the
//! series of a range and the failure groups as pages show them; `attention` finds the
//! workflows above the threshold and the version since which they fail.

mod attention;
mod chart;

#[cfg(feature = "db")]
pub(crate) use attention::failing_since;
pub use attention::stands_out;
pub use chart::without_step;
#[cfg(feature = "db")]
pub(crate) use chart::{chart, group};

use crate::entity::RunSummary;
use crate::id::WorkflowId;
use crate::stats::Range;
use serde::{Deserialize, Serialize};
#[cfg(feature = "db")]
use {
    crate::db::Conn,
    crate::entity::Actor,
    crate::error::DomainResult,
    crate::repo::{self, stats::Scope},
    crate::stats::Tally,
    std::collections::BTreeMap,
    time::OffsetDateTime,
};

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

/// Reads the dashboard of the actor's organization over `range`, as of `now`.
#[cfg(feature = "db")]
pub async fn dashboard(
    conn: &mut Conn,
    actor: &impl Actor,
    range: Range,
    now: OffsetDateTime,
) -> DomainResult<Dashboard> {
    crate::access::read(actor)?;
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
    let failing = attention::Failing {
        threshold,
        tz: &time_zone,
        offset,
        largest,
    };
    let attention = attention::attention(conn, &scope, range, failing).await?;
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
    let workflow_of = |e: &crate::entity::Event| {
        e.data
            .get("workflow")
            .and_then(|w| w.as_str())
            .and_then(WorkflowId::parse)
    };
    // Names of this organization's workflows only: an event's data says what it likes.
    let ids: Vec<WorkflowId> = events.iter().filter_map(workflow_of).collect();
    let names = repo::workflow::names_of(conn, scope.org, &ids).await?;
    let mut out = Vec::with_capacity(events.len());
    for e in events {
        let workflow = workflow_of(&e);
        let name = workflow
            .as_ref()
            .and_then(|w| names.get(w).cloned())
            .unwrap_or_default();
        out.push(Alert {
            workflow,
            name,
            failure_rate: e.data.get("failureRate").and_then(|r| r.as_f64()),
            at: crate::timefmt::moment(e.created_at, offset),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_read_from_their_names() {
        for r in Range::ALL {
            assert_eq!(r.as_str().parse::<Range>(), Ok(r));
        }
        assert!("1y".parse::<Range>().is_err());
    }
}
