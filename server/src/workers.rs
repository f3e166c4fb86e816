//! The engine's workers inside the server process. Each claims ready runs and takes them to
//! their end (or their next retry), one step per transaction. They wake when PostgreSQL
//! passes on a `NOTIFY` for a new run, and poll as well, so a lost notification or a retry
//! that came due still gets picked up. Several server processes may share one database: the
//! claim's `SKIP LOCKED` keeps them apart. Each worker takes organizations in turn. When the
//! engine fails on a run, the worker records the failed try (a run that keeps failing ends
//! Failed with the reason) and goes on with other runs. Asked to stop, a worker finishes the
//! step in hand and hands its run back, so another process can take it over at once.

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration as StdDuration;
use switchyard::db::Pool;
use switchyard::engine::{self, Claim, Progress, Turn};
use switchyard::ingest::RUNS_CHANNEL;
use time::{Duration, OffsetDateTime};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

/// How the workers of one process behave.
#[derive(Clone, Debug)]
pub struct Settings {
    /// How many runs this process advances at the same time.
    pub count: usize,
    /// How long a claim holds a run without news from its worker; every step renews it.
    pub lease: Duration,
    /// How often an idle worker looks for work without being woken.
    pub poll: StdDuration,
    /// A pause after every step, to watch runs move or to test crashes mid-run.
    pub step_pause: StdDuration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            count: 2,
            lease: Duration::seconds(30),
            poll: StdDuration::from_secs(1),
            step_pause: StdDuration::ZERO,
        }
    }
}

/// Runs a worker takes before it waits again.
const BATCH: usize = 64;

/// How many of this process's workers are running: readiness asks it.
#[derive(Clone, Debug, Default)]
pub struct Liveness {
    running: Arc<std::sync::atomic::AtomicUsize>,
    expected: Arc<std::sync::atomic::AtomicUsize>,
}

impl Liveness {
    /// Workers running, and workers started.
    pub fn counts(&self) -> (usize, usize) {
        use std::sync::atomic::AtomicUsize;
        use std::sync::atomic::Ordering::Relaxed;
        (
            AtomicUsize::load(&self.running, Relaxed),
            AtomicUsize::load(&self.expected, Relaxed),
        )
    }
}

/// Counts a worker as running for as long as its task lives, panics included.
struct Running(Arc<std::sync::atomic::AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Starts the listener and `settings.count` workers; all stop once `stop` turns true.
pub fn start(
    pool: &Pool,
    database_url: &str,
    settings: &Settings,
    stop: &watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    start_counted(pool, database_url, settings, stop, &Liveness::default())
}

/// `start`, counting the workers in `liveness`.
pub fn start_counted(
    pool: &Pool,
    database_url: &str,
    settings: &Settings,
    stop: &watch::Receiver<bool>,
    liveness: &Liveness,
) -> Vec<JoinHandle<()>> {
    use std::sync::atomic::Ordering::Relaxed;
    let wake = Arc::new(Notify::new());
    let mut tasks = vec![tokio::spawn(listen(
        database_url.to_owned(),
        wake.clone(),
        stop.clone(),
    ))];
    let host = std::process::id();
    tasks.extend((0..settings.count).map(|n| {
        let worker = Worker {
            name: format!("worker-{host}-{n}-{}", switchyard::id::random_base62(4)),
            pool: pool.clone(),
            settings: settings.clone(),
            stop: stop.clone(),
            turn: Turn::default(),
        };
        liveness.expected.fetch_add(1, Relaxed);
        liveness.running.fetch_add(1, Relaxed);
        let running = Running(liveness.running.clone());
        let wake = wake.clone();
        tokio::spawn(async move {
            let _running = running;
            worker.run(wake).await;
        })
    }));
    tasks
}

/// Passes every notification on the runs channel to the workers; reconnects after a loss.
async fn listen(url: String, wake: Arc<Notify>, mut stop: watch::Receiver<bool>) {
    while !*stop.borrow() {
        match AsyncPgConnection::establish(&url).await {
            Ok(mut conn) => {
                match diesel::sql_query(format!("LISTEN {RUNS_CHANNEL}"))
                    .execute(&mut conn)
                    .await
                {
                    Ok(_) => {
                        // Runs queued while nobody listened: look now.
                        wake.notify_waiters();
                        let mut notifications = std::pin::pin!(conn.notifications_stream());
                        loop {
                            tokio::select! {
                                next = notifications.next() => match next {
                                    Some(Ok(_)) => wake.notify_waiters(),
                                    Some(Err(e)) => {
                                        tracing::warn!("listening for new runs failed: {e}");
                                        break;
                                    }
                                    None => break,
                                },
                                _ = stop.changed() => return,
                            }
                        }
                    }
                    Err(e) => tracing::warn!("cannot listen for new runs: {e}"),
                }
            }
            Err(e) => tracing::warn!("no connection to listen for new runs: {e}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(StdDuration::from_secs(1)) => {}
            _ = stop.changed() => return,
        }
    }
}

struct Worker {
    name: String,
    pool: Pool,
    settings: Settings,
    stop: watch::Receiver<bool>,
    turn: Turn,
}

impl Worker {
    async fn run(mut self, wake: Arc<Notify>) {
        while !self.stopping() {
            // Armed before looking, so a notification sent while busy is not missed.
            let woken = wake.notified();
            let mut woken = std::pin::pin!(woken);
            woken.as_mut().enable();
            let busy = match self.work().await {
                Ok(claimed) => claimed,
                Err(e) => {
                    tracing::warn!(worker = %self.name, "a run could not be advanced: {e}");
                    false
                }
            };
            if !busy {
                tokio::select! {
                    _ = tokio::time::sleep(self.settings.poll) => {}
                    _ = woken => {}
                    changed = self.stop.changed() => if changed.is_err() { return },
                }
            }
        }
    }

    fn stopping(&self) -> bool {
        *self.stop.borrow()
    }

    /// Takes up to `BATCH` ready runs to their end; true when it found any.
    async fn work(&mut self) -> anyhow::Result<bool> {
        let mut conn = self.pool.get().await?;
        let mut found = false;
        for _ in 0..BATCH {
            if self.stopping() {
                break;
            }
            let now = OffsetDateTime::now_utc();
            let lease = self.settings.lease;
            let Some(claim) =
                engine::claim_in_turn(&mut conn, &self.name, lease, now, &mut self.turn).await?
            else {
                break;
            };
            found = true;
            metrics::counter!("switchyard_runs_claimed_total").increment(1);
            let org = self
                .turn
                .last()
                .map(ToString::to_string)
                .unwrap_or_default();
            self.advance(&mut conn, &claim, &org).await?;
        }
        Ok(found)
    }

    /// Advances one claimed run until it ends, waits for a retry, is lost, or the process stops.
    async fn advance(
        &mut self,
        conn: &mut switchyard::db::Conn,
        claim: &Claim,
        org: &str,
    ) -> anyhow::Result<()> {
        let lease = self.settings.lease;
        let started = std::time::Instant::now();
        loop {
            let now = OffsetDateTime::now_utc();
            let step = std::time::Instant::now();
            let progress = engine::advance(conn, &self.name, claim, lease, now).await;
            metrics::histogram!("switchyard_step_duration_seconds")
                .record(step.elapsed().as_secs_f64());
            match progress {
                Ok(Progress::Continue) => {}
                Ok(Progress::Finished(status)) => {
                    metrics::counter!("switchyard_runs_ended_total", "status" => status.as_str())
                        .increment(1);
                    metrics::histogram!("switchyard_run_duration_seconds")
                        .record(started.elapsed().as_secs_f64());
                    tracing::info!(
                        org,
                        run = %claim.run,
                        status = status.as_str(),
                        ms = started.elapsed().as_millis() as u64,
                        "run ended"
                    );
                    return Ok(());
                }
                Ok(Progress::Rescheduled(_) | Progress::Lost) => return Ok(()),
                Err(error) => {
                    tracing::warn!(worker = %self.name, run = %claim.run, "the engine failed on a run: {error}");
                    engine::stall(conn, &self.name, claim, &error, now).await?;
                    return Ok(());
                }
            }
            if !self.settings.step_pause.is_zero() {
                tokio::select! {
                    _ = tokio::time::sleep(self.settings.step_pause) => {}
                    _ = self.stop.changed() => {}
                }
            }
            if self.stopping() {
                engine::release(conn, &self.name, claim).await?;
                tracing::info!(worker = %self.name, run = %claim.run, "handed the run back at shutdown");
                return Ok(());
            }
        }
    }
}
