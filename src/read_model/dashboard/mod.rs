//! The dashboard: what an organization's runs did over a range, which workflows fail most and
//! since when, the largest failure groups, and the runs failing now. Every count and rate is
//! read from the run statistics' rollups, never from a scan of the runs.
//!
//! Here: the range, what the page shows, and the read that assembles it; `chart` reads the
//! series of a range and the failure groups as pages show them; `attention` finds the
//! workflows above the threshold and the version since which they fail.

mod attention;
mod chart;

pub use switchyard_model::read_model::dashboard::*;

pub(crate) use attention::failing_since;

pub(crate) use chart::{chart, group};

use crate::id::WorkflowId;
use crate::stats::Range;
use {
    crate::db::Conn,
    crate::entity::Actor,
    crate::error::DomainResult,
    crate::repo::{self, stats::Selection},
    crate::stats::Tally,
    std::collections::BTreeMap,
    time::OffsetDateTime,
};

/// The most failure groups the dashboard reads for a range, largest first.
const GROUPS_READ: i64 = 500;
/// The most workflows failing now that are read (an organization's live workflows).
const FAILING_READ: i64 = 1_000;
/// The most alerts read to make the range's incidents.
const ALERTS_READ: i64 = 500;

/// Reads the dashboard of the actor's organization over `range`, as of `now`.
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
    let scope = Selection {
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
    let before = Selection {
        org,
        workflow: None,
        from: from - (to - from),
        to: from,
    };
    let mut previous = Tally::default();
    for (_, _, _, t) in repo::stats::by_version(conn, &before).await? {
        previous.add(&t);
    }
    let local = crate::timefmt::Local::new(&time_zone, now);
    // Every group of the range, largest first, read once: the list shows the first few, and
    // each workflow that needs attention its largest.
    let all_groups: Vec<Group> = repo::stats::groups(conn, &scope, GROUPS_READ)
        .await?
        .into_iter()
        .map(|g| group(g, &local))
        .collect();
    let mut largest: BTreeMap<WorkflowId, Group> = BTreeMap::new();
    for g in all_groups.iter().rev() {
        largest.insert(g.workflow.clone(), g.clone());
    }
    let groups: Vec<Group> = all_groups.into_iter().take(LISTED).collect();
    let failing = attention::Failing {
        threshold,
        tz: &time_zone,
        local: local.clone(),
        largest,
    };
    let attention = attention::attention(conn, &scope, range, failing).await?;
    // Not of the range: what fails now, whatever range is shown.
    let (failing_now_count, failing_now) =
        repo::run::failing_now(conn, org, FAILING_READ, FAILING_LISTED).await?;
    let alerts = alerts(conn, &scope, &local).await?;
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
        failing_now_count,
        alerts,
    })
}

/// The failure-rate alerts raised over the scope, newest first.
async fn alerts(
    conn: &mut Conn,
    scope: &Selection<'_>,
    local: &crate::timefmt::Local,
) -> DomainResult<Vec<Alert>> {
    use crate::hooks::HIGH_FAILURE_RATE;
    let events =
        repo::event::of_type(conn, scope.org, HIGH_FAILURE_RATE, scope.from, ALERTS_READ).await?;
    let workflow_of = |e: &crate::entity::Event| {
        e.data
            .get("workflow")
            .and_then(|w| w.as_str())
            .and_then(WorkflowId::parse)
    };
    // Names of this organization's workflows only: an event's data says what it likes.
    let ids: Vec<WorkflowId> = events.iter().filter_map(workflow_of).collect();
    let names = repo::workflow::names_of(conn, scope.org, &ids).await?;
    let raised: Vec<Raised> = events
        .iter()
        .map(|e| Raised {
            workflow: workflow_of(e),
            at: e.created_at,
            failure_rate: e.data.get("failureRate").and_then(|r| r.as_f64()),
        })
        .collect();
    let seen = repo::alert::of_org(conn, scope.org).await?;
    let mut out: Vec<Alert> = incidents(&raised)
        .into_iter()
        .take(LISTED)
        .map(|(latest, started, times)| Alert {
            acknowledged: latest
                .workflow
                .as_ref()
                .and_then(|w| seen.get(w))
                .filter(|s| s.through >= latest.at)
                .map(|s| {
                    format!(
                        "Acknowledged by {}, {}.",
                        s.by,
                        crate::timefmt::moment(s.through, local)
                    )
                }),
            name: latest
                .workflow
                .as_ref()
                .and_then(|w| names.get(w).cloned())
                .unwrap_or_default(),
            workflow: latest.workflow,
            failure_rate: latest.failure_rate,
            started: crate::timefmt::moment(started, local),
            at: crate::timefmt::moment(latest.at, local),
            times,
        })
        .collect();
    // What nobody has acknowledged first.
    out.sort_by_key(|a| a.acknowledged.is_some());
    Ok(out)
}
