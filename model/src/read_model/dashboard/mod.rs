//! The dashboard: what an organization's runs did over a range, which workflows fail most and
//! since when, the largest failure groups, and the runs failing now. Every count and rate is
//! read from the run statistics' rollups, never from a scan of the runs.
//!
//! Here: the range, what the page shows, and the read that assembles it; `chart` reads the
//! series of a range and the failure groups as pages show them; `attention` finds the
//! workflows above the threshold and the version since which they fail.

mod attention;
mod chart;

pub use attention::stands_out;
pub use chart::without_step;

use crate::entity::RunSummary;
use crate::id::WorkflowId;
use crate::stats::Range;
use serde::{Deserialize, Serialize};

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

/// An incident: a workflow's `workflow.high_failure_rate` alerts raised in the range, no two
/// further apart than `INCIDENT_GAP`, as one line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub workflow: Option<WorkflowId>,
    pub name: String,
    /// The failure rate the latest alert saw.
    pub failure_rate: Option<f64>,
    /// When the first alert of the incident and its latest were raised.
    pub started: String,
    pub at: String,
    /// How many alerts the incident holds.
    pub times: usize,
    /// Who acknowledged it and when ("Acknowledged by Ana, Dec 7, 14:30"), unless a later alert
    /// asks for attention again.
    pub acknowledged: Option<String>,
}

/// Alerts of one workflow further apart than this are two incidents.
pub const INCIDENT_GAP: time::Duration = time::Duration::hours(6);

/// One alert as raised: its workflow, when, the failure rate it saw.
#[derive(Clone, Debug, PartialEq)]
pub struct Raised {
    pub workflow: Option<WorkflowId>,
    pub at: time::OffsetDateTime,
    pub failure_rate: Option<f64>,
}

/// Alerts (newest first) as incidents, newest first: each with its latest alert, when it
/// started and how many alerts it holds.
pub fn incidents(raised: &[Raised]) -> Vec<(Raised, time::OffsetDateTime, usize)> {
    let mut out: Vec<(Raised, time::OffsetDateTime, usize)> = Vec::new();
    for alert in raised {
        // The incident this older alert belongs to: its workflow's last one, if close enough.
        let open = out
            .iter_mut()
            .filter(|(latest, _, _)| latest.workflow == alert.workflow)
            .last()
            .filter(|(_, started, _)| *started - alert.at <= INCIDENT_GAP);
        match open {
            Some((_, started, times)) => {
                *started = alert.at;
                *times += 1;
            }
            None => out.push((alert.clone(), alert.at, 1)),
        }
    }
    out
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
    /// The workflows failing now (their latest finished run failed), each with that run,
    /// newest first: the first `FAILING_LISTED` of `failing_now_count`.
    pub failing_now: Vec<RunSummary>,
    pub failing_now_count: usize,
    pub alerts: Vec<Alert>,
}

/// How many workflows, groups and failing runs the dashboard lists.
pub const LISTED: usize = 8;
/// The workflows failing now that the dashboard lists; the count says how many there are.
pub const FAILING_LISTED: usize = 25;

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

#[cfg(test)]
mod incident_tests {
    use super::{Raised, incidents};
    use crate::id::WorkflowId;
    use time::{Duration, OffsetDateTime};

    #[test]
    fn alerts_of_one_workflow_close_together_are_one_incident() {
        let now = OffsetDateTime::UNIX_EPOCH + Duration::days(100);
        let a = WorkflowId::parse("workflow_AAAAAAAA");
        let b = WorkflowId::parse("workflow_BBBBBBBB");
        let raised = |w: &Option<WorkflowId>, hours_ago: i64| Raised {
            workflow: w.clone(),
            at: now - Duration::hours(hours_ago),
            failure_rate: Some(0.5),
        };
        // Newest first: a's 8 alerts an hour apart, b's one, then a's a day before.
        let mut all: Vec<Raised> = (0..8).map(|h| raised(&a, h)).collect();
        all.insert(3, raised(&b, 3));
        all.push(raised(&a, 40));
        let found = incidents(&all);
        let summary: Vec<(Option<WorkflowId>, i64, usize)> = found
            .iter()
            .map(|(latest, started, times)| {
                (
                    latest.workflow.clone(),
                    (now - *started).whole_hours(),
                    *times,
                )
            })
            .collect();
        assert_eq!(summary, [(a.clone(), 7, 8), (b, 3, 1), (a, 40, 1)]);
    }
}
