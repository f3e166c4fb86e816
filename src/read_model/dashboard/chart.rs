//! A range's chart (every period, with its runs, rates and durations) and failure groups as
//! pages show them.

use {
    super::{Group, Point, without_step},
    crate::db::Conn,
    crate::error::DomainResult,
    crate::repo::{self, stats::Selection},
    crate::stats::Range,
    crate::stats::Tally,
    std::collections::BTreeMap,
    time::OffsetDateTime,
};

/// Every period of the scope (none missing), with its runs and durations.
pub(crate) async fn chart(
    conn: &mut Conn,
    scope: &Selection<'_>,
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

pub(crate) fn group(g: repo::stats::GroupRow, local: &crate::timefmt::Local) -> Group {
    Group {
        key: g.key,
        workflow: g.workflow_id,
        workflow_name: g.workflow_name,
        step: g.step + 1,
        error: without_step(&g.error).to_owned(),
        runs: g.runs,
        runs_all_time: g.runs_all_time,
        first_seen: crate::timefmt::moment(g.first_seen, local),
        last_seen: crate::timefmt::moment(g.last_seen, local),
        versions: g.versions,
        sample_run: g.sample_run,
    }
}
