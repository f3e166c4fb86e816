//! The engine's benchmark (a benchmark, not a test): `scripts/bench-engine.sh` runs it.
//!
//! It starts the release server on a fresh database, then
//! 1. posts `Deal.won` events for a fixed time at a fixed concurrency against one workflow
//!    with one `Customer.create` step (as fast as the server takes them), and reports
//!    ingested events/s, completed runs/s, ingest latency and event-to-run-completed latency;
//! 2. posts again, paced at 1,000 events/s (half the target rate) and then at half the
//!    completed-runs rate of 1, and reports the same;
//! 3. sends one event at a time through a workflow of 40 sequential light steps, then starts
//!    a second process (`switchyard work`, as many workers) and posts as fast as in 1;
//! 4. runs `pgbench -N` against the same PostgreSQL, for the ratio;
//! 5. adds a million runs to one workflow and times the run history's pages.
//!
//! Settings: `DATABASE_URL` (a server where it may create databases), `BENCH_SECONDS` (10),
//! `BENCH_CONNECTIONS` (16), `BENCH_WORKERS` (the server's `SWITCHYARD_WORKERS`, 4).

use anyhow::{Context, bail};
use diesel::sql_types::{Double, Text};
use diesel::{QueryableByName, sql_query};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use switchyard::hooks::Hooks;
use switchyard::run::RunStatus;
use switchyard::testing::with_database;
use switchyard::workflow::{MappingRow, StepInput, WorkflowInput};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const DB: &str = "sy_bench_engine";
const PGBENCH_DB: &str = "sy_bench_pgbench";

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let base = std::env::var("DATABASE_URL").context("DATABASE_URL is not set")?;
    let seconds = setting("BENCH_SECONDS", 10);
    let connections = setting("BENCH_CONNECTIONS", 16) as usize;
    let workers = setting("BENCH_WORKERS", 4);
    let url = with_database(&base, DB);
    let mut admin_conn = AsyncPgConnection::establish(&base).await?;
    for db in [DB, PGBENCH_DB] {
        sql_query(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
            .execute(&mut admin_conn)
            .await?;
        sql_query(format!("CREATE DATABASE {db}"))
            .execute(&mut admin_conn)
            .await?;
    }
    switchyard::db::migrate(&url).await?;
    let pool = switchyard::db::pool(&url, 4)?;
    let mut conn = pool.get().await?;
    let admin = switchyard::setup::create_org(
        &mut conn,
        &switchyard::setup::NewOrg {
            slug: "bench".into(),
            name: "Bench".into(),
            admin_email: "admin@bench.test".into(),
            admin_name: "Admin".into(),
            admin_password: "bench-password".into(),
        },
    )
    .await?;
    let (_, key) = switchyard::api_key::create_for(
        &mut conn,
        &admin.org.id,
        &switchyard::api_key::KeyRequest::new("bench", &switchyard::entity::Scope::ALL),
        None,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let one = workflow(&mut conn, &admin, "One step", "Deal.won", 1).await?;
    workflow(&mut conn, &admin, "Forty steps", "Order.placed", 40).await?;
    drop(conn);

    let port = free_port();
    let server = Server::start(&url, port, workers)?;
    server.ready().await?;
    let mut report = Report::default();
    report.push(format!(
        "machine: {} cores; {connections} connections for {seconds} s; {workers} workers",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    ));

    let before = Cpu::now(server.0.id());
    let full = load(port, &key, connections, Duration::from_secs(seconds), None).await?;
    let full_runs = settle(&url, &full).await?;
    let cpu = Cpu::now(server.0.id()).since(&before);
    report.push(full.line("as fast as it takes", &full_runs));
    report.push(format!(
        "CPU time from the first event to the last run's end: PostgreSQL {:.1} s, server {:.1} s, this load generator {:.1} s ({:.2} ms of PostgreSQL and {:.2} ms of server per run, ingest included)",
        cpu.postgres,
        cpu.server,
        cpu.client,
        cpu.postgres * 1000.0 / full_runs.count.max(1) as f64,
        cpu.server * 1000.0 / full_runs.count.max(1) as f64,
    ));

    // Half the target of 2,000 runs/s, for the ingest latency; then half of what the workers
    // completed above, where they keep up, for the latency from event to completed run.
    let measured_half = (full_runs.runs_per_second / 2.0).max(1.0);
    for rate in [1000.0, measured_half] {
        let duration = Duration::from_secs(seconds);
        let paced = load(port, &key, connections, duration, Some(rate)).await?;
        let paced_runs = settle(&url, &paced).await?;
        report.push(paced.line(&format!("paced at {rate:.0} events/s"), &paced_runs));
    }

    report.push(forty_steps(&url, port, &key).await?);

    // Scale out: a second process on the same database, running workflows only.
    let second = Server::work(&url, workers)?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = Cpu::now(server.0.id());
    let two = load(port, &key, connections, Duration::from_secs(seconds), None).await?;
    let two_runs = settle(&url, &two).await?;
    let cpu = Cpu::now(server.0.id()).since(&before);
    report.push(two.line(
        &format!("two processes (serve and work, {workers} workers each), as fast as it takes"),
        &two_runs,
    ));
    report.push(format!(
        "CPU time with two processes: PostgreSQL {:.2} ms per run",
        cpu.postgres * 1000.0 / two_runs.count.max(1) as f64,
    ));
    drop(second);
    drop(server);

    let pgbench = pgbench(&base, connections, seconds)?;
    report.push(format!(
        "pgbench -N -c {connections} -j 2 -T {seconds}: {pgbench:.0} tps; completed runs/s over pgbench tps: {:.3}",
        full_runs.runs_per_second / pgbench
    ));

    report.push(million_runs(&url, &one).await?);
    println!("\n{}", report.0.join("\n"));
    Ok(())
}

/// The figures so far, each shown as soon as it is known.
#[derive(Default)]
struct Report(Vec<String>);

impl Report {
    fn push(&mut self, line: String) {
        eprintln!("bench: {line}");
        self.0.push(line);
    }
}

async fn workflow(
    conn: &mut AsyncPgConnection,
    admin: &switchyard::Member,
    name: &str,
    trigger: &str,
    steps: usize,
) -> anyhow::Result<switchyard::WorkflowId> {
    let root = switchyard::mapping::root_for_trigger(trigger);
    let input = WorkflowInput {
        name: name.into(),
        trigger_event: trigger.into(),
        steps: (0..steps)
            .map(|_| StepInput {
                action: "Customer.create".into(),
                mapping: vec![MappingRow {
                    field: "name".into(),
                    expr: format!("{root}.name"),
                }],
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    let hooks = Hooks::with_defaults();
    let made = switchyard::verbs::create(conn, &hooks, admin, &input)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    switchyard::verbs::activate(conn, &hooks, admin, &made.id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(made.id)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(3300)
}

/// The release server, stopped when dropped.
struct Server(Child, u16);

impl Server {
    fn start(url: &str, port: u16, workers: u64) -> anyhow::Result<Self> {
        let child = Command::new(env!("CARGO_BIN_EXE_switchyard"))
            .arg("serve")
            .env("DATABASE_URL", url)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("SWITCHYARD_WORKERS", workers.to_string())
            .env("SWITCHYARD_DB_POOL_SIZE", (workers + 16).to_string())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .context("starting the server")?;
        Ok(Server(child, port))
    }

    /// `switchyard work`: workflows only, beside the server.
    fn work(url: &str, workers: u64) -> anyhow::Result<Self> {
        let child = Command::new(env!("CARGO_BIN_EXE_switchyard"))
            .arg("work")
            .env("DATABASE_URL", url)
            .env("SWITCHYARD_WORKERS", workers.to_string())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .context("starting the worker process")?;
        Ok(Server(child, 0))
    }

    async fn ready(&self) -> anyhow::Result<()> {
        for _ in 0..200 {
            if TcpStream::connect(("127.0.0.1", self.1)).await.is_ok() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("the server did not start")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

/// One keep-alive HTTP/1.1 connection that posts events.
struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    async fn connect(port: u16) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(("127.0.0.1", port)).await?;
        stream.set_nodelay(true)?;
        Ok(Client {
            stream,
            buf: Vec::with_capacity(4096),
        })
    }

    /// Posts and reads the answer; its status code.
    async fn post(&mut self, path: &str, key: &str, body: &str) -> anyhow::Result<u16> {
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.stream.write_all(request.as_bytes()).await?;
        self.buf.clear();
        let (head_end, length) = loop {
            let mut chunk = [0u8; 4096];
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                bail!("the server closed the connection");
            }
            self.buf.extend_from_slice(&chunk[..n]);
            if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buf[..end]).to_ascii_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                break (end + 4, length);
            }
        };
        while self.buf.len() < head_end + length {
            let mut chunk = [0u8; 4096];
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                bail!("the server closed the connection");
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
        let status = std::str::from_utf8(&self.buf[9..12])?.parse()?;
        Ok(status)
    }
}

/// What one load phase saw from the client's side.
struct Load {
    started: time::OffsetDateTime,
    elapsed: Duration,
    latencies: Vec<Duration>,
    refused: usize,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

impl Load {
    fn line(&self, what: &str, runs: &Runs) -> String {
        format!(
            "{what}: ingested {:.0} events/s ({} refused); ingest p50 {:.1} ms, p99 {:.1} ms; completed {:.0} runs/s ({} succeeded, {} failed); event to run completed p50 {:.0} ms, p99 {:.0} ms",
            self.latencies.len() as f64 / self.elapsed.as_secs_f64(),
            self.refused,
            percentile(&self.latencies, 0.5),
            percentile(&self.latencies, 0.99),
            runs.runs_per_second,
            runs.count,
            runs.failed,
            runs.p50_ms,
            runs.p99_ms,
        )
    }
}

/// Posts events from `connections` clients for `duration`: back to back, or spread evenly at
/// `rate` events/s in all.
async fn load(
    port: u16,
    key: &str,
    connections: usize,
    duration: Duration,
    rate: Option<f64>,
) -> anyhow::Result<Load> {
    let started = time::OffsetDateTime::now_utc();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..connections {
        let key = key.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut client = Client::connect(port).await?;
            let mut latencies = Vec::new();
            let mut refused = 0;
            let interval = rate.map(|r| Duration::from_secs_f64(connections as f64 / r));
            let mut n = 0u32;
            while start.elapsed() < duration {
                if let Some(interval) = interval {
                    let due = start + interval * n + interval * c as u32 / connections as u32;
                    tokio::time::sleep_until(due.into()).await;
                }
                n += 1;
                let body = format!(r#"{{"type":"Deal.won","data":{{"name":"Customer {c}-{n}"}}}}"#);
                let sent = Instant::now();
                match client.post("/~bench/events", &key, &body).await? {
                    202 => latencies.push(sent.elapsed()),
                    _ => refused += 1,
                }
            }
            anyhow::Ok((latencies, refused))
        }));
    }
    let mut all = Vec::new();
    let mut refused = 0;
    for task in tasks {
        let (latencies, r) = task.await??;
        all.extend(latencies);
        refused += r;
    }
    all.sort();
    Ok(Load {
        started,
        elapsed: start.elapsed(),
        latencies: all,
        refused,
    })
}

/// The runs of one phase, measured in the database once all of them ended.
struct Runs {
    /// Runs that succeeded: the only ones counted as completed.
    count: i64,
    failed: i64,
    runs_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
}

#[derive(QueryableByName)]
struct RunFigures {
    #[diesel(sql_type = Double)]
    count: f64,
    #[diesel(sql_type = Double)]
    failed: f64,
    #[diesel(sql_type = Double)]
    span: f64,
    #[diesel(sql_type = Double)]
    p50: f64,
    #[diesel(sql_type = Double)]
    p99: f64,
    #[diesel(sql_type = Double)]
    open: f64,
}

async fn settle(url: &str, load: &Load) -> anyhow::Result<Runs> {
    let mut conn = AsyncPgConnection::establish(url).await?;
    let since = load
        .started
        .format(&time::format_description::well_known::Rfc3339)?;
    // Only runs that succeeded count as completed; failed ones are reported beside them.
    let query = format!(
        "SELECT count(*) FILTER (WHERE r.status = '{succeeded}')::float8 AS count,
            count(*) FILTER (WHERE r.finished_at IS NOT NULL AND r.status <> '{succeeded}')::float8 AS failed,
            COALESCE(extract(epoch FROM max(r.finished_at) - min(e.created_at)), 0)::float8 AS span,
            COALESCE(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.finished_at - e.created_at)), 0)::float8 * 1000 AS p50,
            COALESCE(percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM r.finished_at - e.created_at)), 0)::float8 * 1000 AS p99,
            count(*) FILTER (WHERE r.finished_at IS NULL)::float8 AS open
         FROM runs r JOIN events e ON e.id = r.event_id
         WHERE e.source = '{api}' AND e.type = 'Deal.won' AND e.created_at >= $1::timestamptz",
        succeeded = RunStatus::Succeeded.as_str(),
        api = switchyard::entity::EventSource::Api.as_str(),
    );
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let figures: RunFigures = sql_query(&query)
            .bind::<Text, _>(&since)
            .get_result(&mut conn)
            .await?;
        if figures.open == 0.0 {
            return Ok(Runs {
                count: figures.count as i64,
                failed: figures.failed as i64,
                runs_per_second: if figures.span > 0.0 {
                    figures.count / figures.span
                } else {
                    0.0
                },
                p50_ms: figures.p50,
                p99_ms: figures.p99,
            });
        }
        if Instant::now() > deadline {
            bail!("{} runs did not end within ten minutes", figures.open);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// One event at a time through the forty-step workflow: from the event's record to the run's end.
async fn forty_steps(url: &str, port: u16, key: &str) -> anyhow::Result<String> {
    let mut client = Client::connect(port).await?;
    let mut conn = AsyncPgConnection::establish(url).await?;
    let mut times = Vec::new();
    for n in 0..10 {
        let body = format!(r#"{{"type":"Order.placed","data":{{"name":"Order {n}"}}}}"#);
        let sent = Instant::now();
        let status = client.post("/~bench/events", key, &body).await?;
        anyhow::ensure!(status == 202, "the event was refused: {status}");
        loop {
            #[derive(QueryableByName)]
            struct Open {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                open: i64,
            }
            let open: Open = sql_query(
                "SELECT count(*) AS open FROM runs r JOIN events e ON e.id = r.event_id
                 WHERE e.type = 'Order.placed' AND r.finished_at IS NULL",
            )
            .get_result(&mut conn)
            .await?;
            if open.open == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
            anyhow::ensure!(
                sent.elapsed() < Duration::from_secs(60),
                "40 steps took a minute"
            );
        }
        times.push(sent.elapsed());
    }
    #[derive(QueryableByName)]
    struct Steps {
        #[diesel(sql_type = Double)]
        p50: f64,
        #[diesel(sql_type = Double)]
        max: f64,
        #[diesel(sql_type = Double)]
        steps: f64,
    }
    let db: Steps = sql_query(format!(
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.finished_at - e.created_at))::float8 * 1000 AS p50,
                max(extract(epoch FROM r.finished_at - e.created_at))::float8 * 1000 AS max,
                (SELECT count(*) FROM run_steps s JOIN runs r2 ON r2.id = s.run_id JOIN events e2 ON e2.id = r2.event_id
                  WHERE e2.type = 'Order.placed' AND s.status = '{step_succeeded}')::float8 AS steps
         FROM runs r JOIN events e ON e.id = r.event_id
         WHERE e.type = 'Order.placed' AND r.status = '{succeeded}'",
        step_succeeded = switchyard::run::StepStatus::Succeeded.as_str(),
        succeeded = RunStatus::Succeeded.as_str(),
    ))
    .get_result(&mut conn)
    .await?;
    times.sort();
    Ok(format!(
        "40 sequential steps, one event at a time (10 events, {:.0} steps succeeded): event recorded to run completed p50 {:.0} ms, max {:.0} ms; post to seen completed p50 {:.0} ms",
        db.steps,
        db.p50,
        db.max,
        percentile(&times, 0.5)
    ))
}

/// `pgbench -N`'s transactions per second on a fresh database of the same server.
fn pgbench(base: &str, connections: usize, seconds: u64) -> anyhow::Result<f64> {
    let url = with_database(base, PGBENCH_DB);
    let init = Command::new("pgbench")
        .args(["-i", "-q", "-s", "10", &url])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .context("pgbench is not installed")?;
    anyhow::ensure!(init.success(), "pgbench -i failed");
    let out = Command::new("pgbench")
        .args([
            "-N",
            "-c",
            &connections.to_string(),
            "-j",
            "2",
            "-T",
            &seconds.to_string(),
            &url,
        ])
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("no tps in pgbench's output: {text}"))
}

/// A million runs on one workflow; the run history's first page, a page deep in, and the
/// first page of a rare status, each read through the page's own query.
async fn million_runs(url: &str, workflow: &switchyard::WorkflowId) -> anyhow::Result<String> {
    let pool = switchyard::db::pool(url, 2)?;
    let mut conn = pool.get().await?;
    let filled = Instant::now();
    sql_query(format!(
        "INSERT INTO runs (id, org_id, workflow_id, workflow_version, event_id, status, next_step, run_at, fence, queued_at, started_at, finished_at, attempt, depth, failed_step, error)
         SELECT 'run_m' || lpad(i::text, 7, '0'), r.org_id, r.workflow_id, r.workflow_version, r.event_id,
                CASE WHEN i % 1000 = 0 THEN '{failed}' ELSE '{succeeded}' END, 1, r.run_at, 1,
                now() - i * interval '1 second', now() - i * interval '1 second', now() - i * interval '1 second' + interval '20 milliseconds',
                0, 0, CASE WHEN i % 1000 = 0 THEN 0 END, CASE WHEN i % 1000 = 0 THEN 'Step 1 failed' END
         FROM generate_series(1, 1000000) AS i, (SELECT * FROM runs WHERE workflow_id = $1 LIMIT 1) r",
        failed = RunStatus::Failed.as_str(),
        succeeded = RunStatus::Succeeded.as_str(),
    ))
    .bind::<Text, _>(workflow.as_str())
    .execute(&mut conn)
    .await?;
    sql_query("ANALYZE runs").execute(&mut conn).await?;
    let fill = filled.elapsed();
    let org: String = {
        #[derive(QueryableByName)]
        struct Org {
            #[diesel(sql_type = Text)]
            org_id: String,
        }
        sql_query("SELECT org_id FROM workflows WHERE id = $1")
            .bind::<Text, _>(workflow.as_str())
            .get_result::<Org>(&mut conn)
            .await?
            .org_id
    };
    let org = switchyard::OrgId::parse(&org).context("org id")?;
    let timed = |label: &'static str| (label, Instant::now());
    let mut lines = Vec::new();
    let (label, t) = timed("first page");
    let mut cursor = history_page(&mut conn, &org, workflow, None, None).await?;
    lines.push(format!(
        "{label} {:.1} ms",
        t.elapsed().as_secs_f64() * 1000.0
    ));
    for _ in 0..400 {
        cursor = history_page(&mut conn, &org, workflow, None, cursor.as_ref()).await?;
    }
    let (label, t) = timed("page 402 (10,000 runs in)");
    history_page(&mut conn, &org, workflow, None, cursor.as_ref()).await?;
    lines.push(format!(
        "{label} {:.1} ms",
        t.elapsed().as_secs_f64() * 1000.0
    ));
    let (label, t) = timed("first page of Failed (1 run in 1,000)");
    let failed_cursor =
        history_page(&mut conn, &org, workflow, Some(RunStatus::Failed), None).await?;
    lines.push(format!(
        "{label} {:.1} ms",
        t.elapsed().as_secs_f64() * 1000.0
    ));
    let (label, t) = timed("second page of Failed");
    history_page(
        &mut conn,
        &org,
        workflow,
        Some(RunStatus::Failed),
        failed_cursor.as_ref(),
    )
    .await?;
    lines.push(format!(
        "{label} {:.1} ms",
        t.elapsed().as_secs_f64() * 1000.0
    ));
    Ok(format!(
        "run history with 1,000,000 runs of one workflow (inserted in {:.0} s): {}",
        fill.as_secs_f64(),
        lines.join(", ")
    ))
}

/// One page of the run history, as the page reads it; the cursor of the next.
async fn history_page(
    conn: &mut switchyard::db::Conn,
    org: &switchyard::OrgId,
    workflow: &switchyard::WorkflowId,
    status: Option<RunStatus>,
    before: Option<&switchyard::id::RunId>,
) -> anyhow::Result<Option<switchyard::id::RunId>> {
    let (runs, more) =
        switchyard::repo::run::history(conn, org, workflow, status, before, 25).await?;
    Ok(more.then(|| runs.last().map(|r| r.id.clone())).flatten())
}

/// CPU seconds used so far by PostgreSQL's processes, the server and this process, from /proc.
struct Cpu {
    postgres: f64,
    server: f64,
    client: f64,
}

impl Cpu {
    fn now(server: u32) -> Cpu {
        let tick = 100.0; // USER_HZ on Linux
        let mut cpu = Cpu {
            postgres: 0.0,
            server: 0.0,
            client: 0.0,
        };
        let me = std::process::id();
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            let Some((head, rest)) = stat.rsplit_once(") ") else {
                continue;
            };
            let fields: Vec<&str> = rest.split_whitespace().collect();
            // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
            let used = fields
                .get(11..13)
                .map(|f| f.iter().filter_map(|v| v.parse::<f64>().ok()).sum::<f64>())
                .unwrap_or(0.0)
                / tick;
            if pid == server {
                cpu.server += used;
            } else if pid == me {
                cpu.client += used;
            } else if head.ends_with("(postgres") {
                cpu.postgres += used;
            }
        }
        cpu
    }

    fn since(&self, before: &Cpu) -> Cpu {
        Cpu {
            postgres: self.postgres - before.postgres,
            server: self.server - before.server,
            client: self.client - before.client,
        }
    }
}
