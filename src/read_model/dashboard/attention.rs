//! "Needs attention": the workflows above the failure threshold over a range, worst first, each
//! with its sparkline, its largest failure group and the version since which it fails.

use {
    super::{Attention, Group, LISTED, VersionMark, stands_out},
    crate::db::Conn,
    crate::error::DomainResult,
    crate::id::WorkflowId,
    crate::repo::{self, stats::Selection},
    crate::stats::Range,
    crate::stats::Tally,
    std::collections::BTreeMap,
    time::{Duration, OffsetDateTime},
};

/// What the "needs attention" list is worked out with.
pub(super) struct Failing<'a> {
    pub threshold: f64,
    pub tz: &'a str,
    pub local: crate::timefmt::Local,
    /// Each workflow's largest failure group over the range.
    pub largest: BTreeMap<WorkflowId, Group>,
}

/// The workflows above the threshold over the scope, worst first: the rate weighted by how
/// many runs it is about.
pub(super) async fn attention(
    conn: &mut Conn,
    scope: &Selection<'_>,
    range: Range,
    failing_with: Failing<'_>,
) -> DomainResult<Vec<Attention>> {
    let Failing {
        threshold,
        tz,
        local,
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
    let wide = Selection {
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
    let names = repo::workflow::names_of(conn, scope.org, &ids).await?;
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
            Some(version) => version_mark(conn, scope.org, &workflow, version, &local).await?,
            None => None,
        };
        let name = names.get(&workflow).cloned().unwrap_or_default();
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
async fn version_mark(
    conn: &mut Conn,
    org: &crate::id::OrgId,
    workflow: &WorkflowId,
    version: i32,
    local: &crate::timefmt::Local,
) -> DomainResult<Option<VersionMark>> {
    let history = repo::workflow::version_history(conn, org, workflow).await?;
    Ok(history
        .into_iter()
        .find(|h| h.version == version)
        .map(|h| VersionMark {
            version,
            index: 0,
            by: h.created_by,
            at: crate::timefmt::moment(h.created_at, local),
        }))
}

/// The version since which a workflow fails: the latest version, among those that ran in the
/// last 90 days, whose failure rate is above `threshold` and at least twice the rate of the
/// version before it. Versions with fewer than three finished runs say nothing.
pub(crate) async fn failing_since(
    conn: &mut Conn,
    scope: &Selection<'_>,
    threshold: f64,
    local: &crate::timefmt::Local,
) -> DomainResult<Option<VersionMark>> {
    let wide = Selection {
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
    version_mark(conn, scope.org, workflow, version, local).await
}
