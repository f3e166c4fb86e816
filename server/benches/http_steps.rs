//! HTTP steps' benchmark (a benchmark, not a test): `scripts/bench-http.sh` runs it.
//!
//! On a fresh database, one organization has a workflow of one `HTTP.request` step calling a
//! local endpoint that answers after 50 ms; another has a workflow of one light step
//! (`Customer.create`). `BENCH_RUNS` events of each (1,000) are queued, then the server's
//! workers (`BENCH_WORKERS`, 4) start with the calls in flight bounded per organization and
//! per host (`BENCH_HTTP_IN_FLIGHT`, 64, and then the server's defaults, 8 and 4). It reports
//! completed HTTP runs/s, and when the light runs ended meanwhile: that calls in flight do not
//! hold up other runs.
//!
//! Settings: `DATABASE_URL` (a server where it may create databases).

use anyhow::Context;
use diesel::sql_types::BigInt;
use diesel::{QueryableByName, sql_query};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use switchyard::egress::{Allowed, Guard, Inflight};
use switchyard::engine::call::Caller;
use switchyard::entity::{EventSource, Member};
use switchyard::hooks::Hooks;
use switchyard::ingest::{self, PostedEvent};
use switchyard::testing::with_database;
use switchyard::workflow::{MappingRow, RequestInput, StepInput, WorkflowInput};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const DB: &str = "sy_bench_http";

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// An endpoint on 127.0.0.1 answering every request `201 {"id": …}` after 50 ms; counts them.
async fn endpoint(calls: Arc<AtomicUsize>) -> anyhow::Result<u16> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let calls = Arc::clone(&calls);
            tokio::spawn(async move {
                let mut read = Vec::new();
                let mut buf = [0u8; 4096];
                while !read.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => read.extend_from_slice(&buf[..n]),
                    }
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                calls.fetch_add(1, Ordering::Relaxed);
                let body = r#"{"id":"crm_1"}"#;
                let answer = format!(
                    "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    Ok(port)
}

async fn org(conn: &mut switchyard::db::Conn, slug: &str) -> anyhow::Result<Member> {
    let new = switchyard::setup::NewOrg {
        slug: slug.into(),
        name: slug.into(),
        admin_email: format!("admin@{slug}.test"),
        admin_name: "Admin".into(),
        admin_password: "bench-password".into(),
    };
    switchyard::setup::create_org(conn, &new).await
}

async fn active(
    conn: &mut switchyard::db::Conn,
    admin: &Member,
    input: WorkflowInput,
) -> anyhow::Result<()> {
    let hooks = Hooks::with_defaults();
    let w = switchyard::verbs::create(conn, &hooks, admin, &input)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    switchyard::verbs::activate(conn, &hooks, admin, &w.id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Runs of `org` that ended.
async fn ended(conn: &mut AsyncPgConnection, org: &str) -> anyhow::Result<i64> {
    let count: Count = sql_query(
        "SELECT count(*) AS n FROM runs WHERE org_id = $1 AND status IN ('Succeeded', 'Failed', 'TimedOut', 'Cancelled')",
    )
    .bind::<diesel::sql_types::Text, _>(org)
    .get_result(conn)
    .await?;
    Ok(count.n)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let base = std::env::var("DATABASE_URL").context("DATABASE_URL is not set")?;
    let runs = setting("BENCH_RUNS", 1000) as i64;
    let workers = setting("BENCH_WORKERS", 4) as usize;
    let in_flight = setting("BENCH_HTTP_IN_FLIGHT", 64) as usize;
    println!(
        "machine: {} cores; {runs} HTTP runs and {runs} light runs; {workers} workers",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    for (per_org, per_host) in [(in_flight, in_flight), (8, 4)] {
        let line = round(&base, runs, workers, (per_org, per_host)).await?;
        println!("{line}");
    }
    Ok(())
}

async fn round(
    base: &str,
    runs: i64,
    workers: usize,
    (per_org, per_host): (usize, usize),
) -> anyhow::Result<String> {
    let url = with_database(base, DB);
    let mut admin_conn = AsyncPgConnection::establish(base).await?;
    sql_query(format!("DROP DATABASE IF EXISTS {DB} WITH (FORCE)"))
        .execute(&mut admin_conn)
        .await?;
    sql_query(format!("CREATE DATABASE {DB}"))
        .execute(&mut admin_conn)
        .await?;
    switchyard::db::migrate(&url).await?;
    let pool = switchyard::db::pool(&url, workers + 8)?;
    let mut conn = pool.get().await?;
    let calls = Arc::new(AtomicUsize::new(0));
    let port = endpoint(Arc::clone(&calls)).await?;
    let http_org = org(&mut conn, "calling").await?;
    let light_org = org(&mut conn, "light").await?;
    let row = |field: &str, expr: &str| MappingRow {
        field: field.into(),
        expr: expr.into(),
    };
    active(
        &mut conn,
        &http_org,
        WorkflowInput {
            name: "To the CRM".into(),
            trigger_event: "Deal.won".into(),
            steps: vec![StepInput {
                action: "HTTP.request".into(),
                request: RequestInput {
                    url: format!("\"http://127.0.0.1:{port}/customers\""),
                    body_kind: "json".into(),
                    body: vec![row("name", "deal.name")],
                    ..Default::default()
                },
                ..Default::default()
            }],
            ..Default::default()
        },
    )
    .await?;
    active(
        &mut conn,
        &light_org,
        WorkflowInput {
            name: "Light".into(),
            trigger_event: "Deal.won".into(),
            steps: vec![StepInput {
                action: "Customer.create".into(),
                mapping: vec![row("name", "deal.name")],
                ..Default::default()
            }],
            ..Default::default()
        },
    )
    .await?;
    for n in 0..runs {
        for member in [&http_org, &light_org] {
            let event = PostedEvent {
                event_type: "Deal.won".into(),
                data: json!({"name": format!("Deal {n}")}),
                id: None,
            };
            ingest::ingest(&mut conn, &member.org.id, &event, EventSource::Api, None)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    }
    drop(conn);

    let caller = Caller {
        guard: Guard::new(Allowed::parse("127.0.0.1").map_err(anyhow::Error::msg)?)?,
        key: None,
        inflight: Inflight::new(per_org, per_host),
    };
    let settings = server::workers::WorkerSettings {
        count: workers,
        caller,
        ..Default::default()
    };
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    let tasks = server::workers::start(&pool, &url, &settings, &stop_rx);
    let mut watch = AsyncPgConnection::establish(&url).await?;
    let (mut light_done, mut http_done) = (None, None);
    while http_done.is_none() || light_done.is_none() {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if light_done.is_none() && ended(&mut watch, light_org.org.id.as_str()).await? >= runs {
            light_done = Some(started.elapsed());
        }
        if http_done.is_none() && ended(&mut watch, http_org.org.id.as_str()).await? >= runs {
            http_done = Some(started.elapsed());
        }
        if started.elapsed() > Duration::from_secs(600) {
            anyhow::bail!("the runs did not end within 10 minutes");
        }
    }
    let _ = stop_tx.send(true);
    for task in tasks {
        let _ = task.await;
    }
    let http = http_done.unwrap_or_default().as_secs_f64();
    let light = light_done.unwrap_or_default().as_secs_f64();
    Ok(format!(
        "at most {per_org} calls in flight per organization and {per_host} per host: {runs} HTTP runs (50 ms endpoint, {} calls) ended in {http:.2} s = {:.0} runs/s; meanwhile {runs} light runs of another organization ended in {light:.2} s = {:.0} runs/s",
        AtomicUsize::load(&calls, Ordering::Relaxed),
        runs as f64 / http,
        runs as f64 / light,
    ))
}
