//! `GET /healthz`: the process answers. `GET /readyz`: it can do its work: the database answers
//! within a second, every migration this build knows is applied, and the workers it started are
//! running; 503 otherwise, with the reason only for whoever holds the metrics token (a
//! stranger learns nothing of the database: its host, user or error text). Neither needs a
//! session; each costs at most one short query.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::time::Duration;
use switchyard::db::Pool;

/// What readiness looks at.
#[derive(Clone)]
pub struct Readiness {
    pub pool: Pool,
    pub workers: crate::workers::Liveness,
    /// The metrics token: a request that sends it is told why the server is not ready.
    pub token: Option<String>,
}

pub async fn healthz() -> &'static str {
    "ok\n"
}

/// How many migrations the database still lacks, if it answers.
async fn pending(pool: &Pool) -> Result<i64, String> {
    let mut conn = pool
        .get()
        .await
        .map_err(|e| format!("no database connection: {e}"))?;
    switchyard::db::pending_migrations(&mut conn)
        .await
        .map_err(|e| format!("the database did not answer: {e}"))
}

pub async fn readyz(State(ready): State<Readiness>, headers: HeaderMap) -> Response {
    let problem = match tokio::time::timeout(Duration::from_secs(1), pending(&ready.pool)).await {
        Err(_) => Some("the database did not answer within a second".to_owned()),
        Ok(Err(e)) => Some(e),
        Ok(Ok(n)) if n > 0 => Some(format!(
            "{n} of this build's migrations are not applied yet"
        )),
        Ok(Ok(_)) => {
            let (running, started) = ready.workers.counts();
            (running < started)
                .then(|| format!("{} of {started} workers stopped", started - running))
        }
    };
    match problem {
        None => Json(json!({"status": "ready"})).into_response(),
        Some(reason) => {
            tracing::warn!("not ready: {reason}");
            let operator = ready
                .token
                .as_deref()
                .is_some_and(|token| crate::metrics::authorized(&headers, token));
            let body = if operator {
                json!({"status": "unavailable", "reason": reason})
            } else {
                json!({"status": "unavailable"})
            };
            (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
        }
    }
}
