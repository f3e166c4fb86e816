//! A workflow's health over a range: runs, failure rate and durations per period, each version
//! saved meanwhile marked where it falls, the version it fails since, and its failure groups.

pub use switchyard_model::read_model::health::*;

use super::dashboard::VersionMark;
use crate::stats::Range;
use {
    super::dashboard::{LISTED, chart, failing_since, group},
    crate::db::Conn,
    crate::entity::Actor,
    crate::error::DomainResult,
    crate::id::WorkflowId,
    crate::repo::{self, stats::Selection},
    time::OffsetDateTime,
};

pub async fn workflow_charts(
    conn: &mut Conn,
    actor: &impl Actor,
    workflow: &WorkflowId,
    range: Range,
    now: OffsetDateTime,
) -> DomainResult<WorkflowCharts> {
    crate::access::read(actor)?;
    let org = &actor.org().id;
    repo::workflow::get(conn, org, workflow).await?;
    let (threshold, time_zone) = repo::org::preferences(conn, org).await?;
    let scope = Selection {
        org,
        workflow: Some(workflow),
        from: range.start(now),
        to: now,
    };
    let charted = chart(conn, &scope, range, &time_zone).await?;
    let local = crate::timefmt::Local::new(&time_zone, now);
    let marks = repo::workflow::version_history(conn, org, workflow)
        .await?
        .into_iter()
        .filter(|v| v.version > 1 && v.created_at >= scope.from && v.created_at < scope.to)
        .map(|v| VersionMark {
            version: v.version,
            index: charted
                .iter()
                .rposition(|(start, _, _)| *start <= v.created_at)
                .unwrap_or(0),
            by: v.created_by,
            at: crate::timefmt::moment(v.created_at, &local),
        })
        .collect();
    let since = failing_since(conn, &scope, threshold, &local).await?;
    let groups = repo::stats::groups(conn, &scope, LISTED as i64).await?;
    Ok(WorkflowCharts {
        range,
        threshold,
        time_zone,
        points: charted.into_iter().map(|(_, p, _)| p).collect(),
        marks,
        since,
        groups: groups.into_iter().map(|g| group(g, &local)).collect(),
    })
}
