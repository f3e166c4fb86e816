//! The engine's workers inside the server process. Each claims ready runs (several in one
//! statement) and takes them to their end (or their next retry), one step of every run it holds
//! per transaction, each run in a savepoint of its own. They wake when PostgreSQL
//! passes on a `NOTIFY` for a new run, and poll as well, so a lost notification or a retry
//! that came due still gets picked up. Several server processes may share one database: the
//! claim's `SKIP LOCKED` keeps them apart. Each worker takes organizations in turn. When the
//! engine fails on a run, the worker records the failed try (a run that keeps failing ends
//! Failed with the reason) and goes on with other runs. Asked to stop, a worker finishes the
//! step in hand and hands its run back, so another process can take it over at once.

use diesel_async::{AsyncConnection, AsyncPgConnection};
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration as StdDuration;
use switchyard::db::Pool;
use switchyard::engine::{self, Claim, Progress, Turn};
use time::{Duration, OffsetDateTime};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

/// How the workers of one process behave.
#[derive(Clone, Debug)]
pub struct WorkerSettings {
    /// How many workers this process runs, each with its own connection.
    pub count: usize,
    /// How many runs a worker advances together: one step of each per transaction.
    pub batch: usize,
    /// How long a claim holds a run without news from its worker; every step renews it.
    pub lease: Duration,
    /// How often an idle worker looks for work without being woken.
    pub poll: StdDuration,
    /// A pause after every step, to watch runs move or to test crashes mid-run.
    pub step_pause: StdDuration,
    /// How HTTP steps call out: the egress allowances, the secrets key, the bounds in flight.
    pub caller: engine::call::Caller,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        WorkerSettings {
            count: 2,
            batch: 16,
            lease: Duration::seconds(30),
            poll: StdDuration::from_secs(1),
            step_pause: StdDuration::ZERO,
            caller: engine::call::Caller::public(),
        }
    }
}

/// Rounds of steps one call of `work` does at most; the runs still held then go back and are
/// claimed again at once, so a worker's connection and its turn among organizations are renewed
/// now and then.
const ROUNDS: usize = 256;
/// While the last look for runs found none, a worker looks again every this many rounds.
const LOOK_EVERY: usize = 8;

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
    settings: &WorkerSettings,
    stop: &watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    start_counted(pool, database_url, settings, stop, &Liveness::default())
}

/// `start`, counting the workers in `liveness`.
pub fn start_counted(
    pool: &Pool,
    database_url: &str,
    settings: &WorkerSettings,
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
            wake: wake.clone(),
        };
        liveness.expected.fetch_add(1, Relaxed);
        liveness.running.fetch_add(1, Relaxed);
        let running = Running(liveness.running.clone());
        tokio::spawn(async move {
            let _running = running;
            worker.run().await;
        })
    }));
    tasks
}

/// Passes every notification on the runs channel to the workers; reconnects after a loss.
async fn listen(url: String, wake: Arc<Notify>, mut stop: watch::Receiver<bool>) {
    while !*stop.borrow() {
        match AsyncPgConnection::establish(&url).await {
            Ok(mut conn) => {
                match switchyard::ingest::listen_for_runs(&mut conn).await {
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
    settings: WorkerSettings,
    stop: watch::Receiver<bool>,
    turn: Turn,
    wake: Arc<Notify>,
}

impl Worker {
    async fn run(mut self) {
        let wake = self.wake.clone();
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

    /// Takes ready runs to their end (or their next retry), up to `settings.batch` at a time:
    /// each round claims what the batch lacks in one statement and advances every run it holds
    /// by one step in one transaction. Returns once it holds nothing and finds nothing, or after
    /// `ROUNDS` rounds; true when it found any run.
    async fn work(&mut self) -> anyhow::Result<bool> {
        let mut conn = self.pool.get().await?;
        let lease = self.settings.lease;
        let mut held: Vec<Held> = Vec::new();
        let mut found = false;
        let mut found_last = false;
        for round in 0..ROUNDS {
            if self.stopping() {
                break;
            }
            // Claims while the last look found runs, and every few rounds otherwise: a lone
            // run's steps need not wait for a look that finds nothing each time.
            let room = self.settings.batch.saturating_sub(held.len());
            let look = round == 0 || found_last || round % LOOK_EVERY == 0;
            if room > 0 && look && round + 1 < ROUNDS {
                let now = OffsetDateTime::now_utc();
                let claimed =
                    engine::claim_batch(&mut conn, &self.name, lease, now, room, &mut self.turn)
                        .await;
                // A failed claim claimed nothing: the runs held still get their step.
                let claimed = claimed.unwrap_or_else(|e| {
                    tracing::warn!(worker = %self.name, "claiming runs failed: {e}");
                    Vec::new()
                });
                found_last = !claimed.is_empty();
                for (claim, org) in claimed {
                    metrics::counter!("switchyard_runs_claimed_total").increment(1);
                    held.push(Held {
                        claim,
                        org: org.to_string(),
                        started: std::time::Instant::now(),
                    });
                }
            }
            if held.is_empty() {
                break;
            }
            found = true;
            held = self.step_all(&mut conn, held).await?;
            if !self.settings.step_pause.is_zero() {
                tokio::select! {
                    _ = tokio::time::sleep(self.settings.step_pause) => {}
                    _ = self.stop.changed() => {}
                }
            }
        }
        // Asked to stop, or out of rounds: the runs still held go back, to be taken at once.
        for h in held {
            engine::release(&mut conn, &self.name, &h.claim).await?;
            if self.stopping() {
                tracing::info!(worker = %self.name, run = %h.claim.run, "handed the run back at shutdown");
            }
        }
        Ok(found)
    }

    /// One step of every run held, in one transaction; returns the runs that go on.
    async fn step_all(
        &mut self,
        conn: &mut switchyard::db::Conn,
        held: Vec<Held>,
    ) -> anyhow::Result<Vec<Held>> {
        let claims: Vec<Claim> = held.iter().map(|h| h.claim.clone()).collect();
        let now = OffsetDateTime::now_utc();
        let step = std::time::Instant::now();
        let results =
            engine::advance_all(conn, &self.name, &claims, self.settings.lease, now).await?;
        let per_run = step.elapsed().as_secs_f64() / claims.len() as f64;
        let mut going_on = Vec::with_capacity(held.len());
        for (h, progress) in held.into_iter().zip(results) {
            metrics::histogram!("switchyard_step_duration_seconds").record(per_run);
            match progress {
                Ok(Progress::Continue) => going_on.push(h),
                Ok(Progress::Finished(status)) => h.ended(status),
                Ok(Progress::Rescheduled(_) | Progress::Lost) => {}
                // The step calls out: the call goes on by itself, so the other runs' steps
                // do not wait for it; the run comes back to a worker once it is recorded.
                Ok(Progress::Call(call)) => self.call_out(*call, h),
                // Rolled back to before the step and recorded as a failed try.
                Err(error) => {
                    tracing::warn!(worker = %self.name, run = %h.claim.run, "the engine failed on a run: {error}");
                }
            }
        }
        Ok(going_on)
    }
}

impl Worker {
    /// Makes an HTTP step's call in a task of its own, with no transaction open, records its
    /// answer fenced by the claim, and hands the run back to be claimed at once.
    fn call_out(&self, call: engine::call::Call, held: Held) {
        let (pool, name, wake) = (self.pool.clone(), self.name.clone(), self.wake.clone());
        let (caller, lease) = (self.settings.caller.clone(), self.settings.lease);
        tokio::spawn(async move {
            let recorded = async {
                use engine::call as http;
                let clock = OffsetDateTime::now_utc;
                // A connection only to open the secrets and to record: none is held during
                // the call.
                let opened = http::open(&mut *pool.get().await?, &caller, &call).await;
                let sent = match opened {
                    Ok(opened) => http::send_opened(&caller, &call, opened).await,
                    Err(sent) => sent,
                };
                let mut conn = pool.get().await?;
                let settled = (lease, clock());
                let progress = engine::settle_call(&mut conn, &name, &call.claim, sent, settled);
                let progress = match progress.await {
                    Err(error) => {
                        engine::stall(&mut conn, &name, &call.claim, &error, clock()).await?;
                        return Err(anyhow::Error::from(error));
                    }
                    Ok(progress) => progress,
                };
                if progress == Progress::Continue {
                    engine::release(&mut conn, &name, &call.claim).await?;
                }
                anyhow::Ok(progress)
            };
            match recorded.await {
                Ok(Progress::Finished(status)) => held.ended(status),
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(worker = %name, run = %held.claim.run, "recording a call failed: {error}");
                }
            }
            wake.notify_waiters();
        });
    }
}

/// A run a worker holds between rounds.
struct Held {
    claim: Claim,
    org: String,
    started: std::time::Instant,
}

impl Held {
    /// Counts and logs the run's end, in a worker's round or after its call.
    fn ended(&self, status: switchyard::run::RunStatus) {
        metrics::counter!("switchyard_runs_ended_total", "status" => status.as_str()).increment(1);
        metrics::histogram!("switchyard_run_duration_seconds")
            .record(self.started.elapsed().as_secs_f64());
        tracing::info!(
            org = self.org,
            run = %self.claim.run,
            status = status.as_str(),
            ms = self.started.elapsed().as_millis() as u64,
            "run ended"
        );
    }
}
