//! `GET /metrics` in the Prometheus text format, for a bearer token from
//! `SWITCHYARD_METRICS_TOKEN` (without one, there is no such page). Counters and histograms are
//! recorded where things happen (requests, sign-in failures, steps, run ends); the queue and
//! the connection pools are read when the page is asked for.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use switchyard::db::Pool;

/// Seconds a request, a step or a run may take, bucketed.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed on first use (before anything is recorded: the router
/// asks for it when it is built).
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
            .expect("static buckets are valid")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may be there already (a test process builds many routers).
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// What `/metrics` needs.
#[derive(Clone)]
pub struct Scrape {
    pub token: Option<String>,
    pub pool: Pool,
    pub engine_pool: Option<Pool>,
}

/// Whether the request sends `token` as its bearer token (compared in constant time).
pub fn authorized(headers: &HeaderMap, token: &str) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .trim();
    // Compared in full whatever the first difference, so timing tells nothing.
    given.len() == token.len()
        && given
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

fn pool_gauges(name: &'static str, pool: &Pool) {
    let status = pool.status();
    let in_use = status.size.saturating_sub(status.available);
    metrics::gauge!("switchyard_db_pool_connections", "pool" => name, "state" => "in_use")
        .set(in_use as f64);
    metrics::gauge!("switchyard_db_pool_connections", "pool" => name, "state" => "idle")
        .set(status.available as f64);
    metrics::gauge!("switchyard_db_pool_max", "pool" => name).set(status.max_size as f64);
    metrics::gauge!("switchyard_db_pool_waiting", "pool" => name).set(status.waiting as f64);
}

pub async fn metrics(State(scrape): State<Scrape>, headers: HeaderMap) -> Response {
    let Some(token) = scrape.token.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if !authorized(&headers, token) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "Send the metrics token as Authorization: Bearer <token>.\n",
        )
            .into_response();
    }
    pool_gauges("app", &scrape.pool);
    if let Some(engine) = &scrape.engine_pool {
        pool_gauges("engine", engine);
    }
    match scrape.pool.get().await {
        Ok(mut conn) => {
            match switchyard::repo::run::queue(&mut conn, time::OffsetDateTime::now_utc()).await {
                Ok((queued, waited)) => {
                    metrics::gauge!("switchyard_runs_queued").set(queued as f64);
                    metrics::gauge!("switchyard_runs_oldest_queued_seconds").set(waited);
                }
                Err(e) => tracing::warn!("metrics: the queue could not be read: {e}"),
            }
        }
        Err(e) => tracing::warn!("metrics: no connection for the queue: {e}"),
    }
    let handle = handle();
    handle.run_upkeep();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
        .into_response()
}

/// What kind of request a path is, for the request metrics (a few values, never an id).
pub fn kind(method: &axum::http::Method, path: &str) -> &'static str {
    if path.starts_with("/pkg/") {
        "asset"
    } else if path == "/healthz" || path == "/readyz" || path == "/metrics" {
        "operations"
    } else if path.starts_with("/~")
        && path.ends_with("/events")
        && method == axum::http::Method::POST
    {
        "ingest"
    } else if path.starts_with("/~") && path.ends_with("/mcp") {
        "mcp"
    } else if path.starts_with("/~") {
        "rest"
    } else if path.starts_with("/api/") {
        "server_function"
    } else {
        "page"
    }
}

/// Records one answered request.
pub fn request(kind: &'static str, path: &str, status: u16, seconds: f64) {
    let class = match status {
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    metrics::counter!("switchyard_http_requests_total", "kind" => kind, "status" => class)
        .increment(1);
    metrics::histogram!("switchyard_http_request_duration_seconds", "kind" => kind).record(seconds);
    if path == "/api/login" && status == 401 {
        metrics::counter!("switchyard_sign_in_failures_total").increment(1);
    }
}
