//! The engine's workers inside the server process. Each claims ready runs and takes them to
//! their end (or their next retry). New runs are found by polling every quarter second; several
//! server processes may share one database, the claim's SKIP LOCKED keeps them apart.

use switchyard::db::Pool;
use switchyard::engine;
use time::{Duration, OffsetDateTime};
use tokio::sync::watch;

/// How long a claim holds a run without news from its worker.
pub const LEASE: Duration = Duration::seconds(30);
/// Runs a worker takes before it looks whether the server is stopping.
const BATCH: usize = 16;
const IDLE: std::time::Duration = std::time::Duration::from_millis(250);

/// Starts `count` workers; they stop between runs once `stop` turns true.
pub fn start(
    pool: &Pool,
    count: usize,
    stop: &watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let host = std::process::id();
    (0..count)
        .map(|n| {
            let (pool, mut stop) = (pool.clone(), stop.clone());
            let name = format!("worker-{host}-{n}-{}", switchyard::id::random_base62(4));
            tokio::spawn(async move {
                while !*stop.borrow() {
                    let busy = match pool.get().await {
                        Ok(mut conn) => match engine::drain_at_most(
                            &mut conn,
                            &name,
                            LEASE,
                            &OffsetDateTime::now_utc,
                            BATCH,
                        )
                        .await
                        {
                            Ok(finished) => finished > 0,
                            Err(e) => {
                                tracing::warn!(worker = %name, "a run could not be advanced: {e}");
                                false
                            }
                        },
                        Err(e) => {
                            tracing::warn!(worker = %name, "no database connection: {e}");
                            false
                        }
                    };
                    if !busy {
                        tokio::select! {
                            _ = tokio::time::sleep(IDLE) => {}
                            _ = stop.changed() => {}
                        }
                    }
                }
            })
        })
        .collect()
}
