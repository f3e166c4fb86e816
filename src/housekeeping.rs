//! What the server does in the background besides running workflows: folding the run
//! statistics every few seconds, and removing what is past its retention.

use crate::db::Conn;
use crate::error::DomainResult;
use crate::repo;
use time::{Duration, OffsetDateTime};

/// Rows one fold transaction takes.
pub const FOLD_BATCH: i64 = 5_000;
/// Runs one pruning transaction removes.
pub const PRUNE_BATCH: i64 = 1_000;
/// How long rollups are kept: the charts beyond the runs' retention read them.
pub const ROLLUPS_KEPT: Duration = Duration::days(2 * 366);

/// Folds every appended run outcome into the rollups; returns how many.
pub async fn fold(conn: &mut Conn) -> DomainResult<usize> {
    let mut folded = 0;
    loop {
        let n = repo::stats::fold(conn, FOLD_BATCH).await?;
        folded += n;
        if (n as i64) < FOLD_BATCH {
            return Ok(folded);
        }
    }
}

/// What one pruning removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    pub runs: usize,
    pub rollups: usize,
}

/// Removes runs (and their steps) that ended more than `retention` ago, batch by batch, and
/// rollups older than two years.
pub async fn prune(
    conn: &mut Conn,
    now: OffsetDateTime,
    retention: Duration,
) -> DomainResult<Pruned> {
    let mut pruned = Pruned::default();
    loop {
        let n = repo::run::prune_ended_before(conn, now - retention, PRUNE_BATCH).await?;
        pruned.runs += n;
        if (n as i64) < PRUNE_BATCH {
            break;
        }
    }
    pruned.rollups = repo::stats::prune_before(conn, now - ROLLUPS_KEPT).await?;
    Ok(pruned)
}
