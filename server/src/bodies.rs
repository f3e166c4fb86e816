//! Request bodies, read whole before a request is served: within a time limit and at a
//! minimum rate, with few slow ones at once per client network, and within the size limits. A
//! client that sends slowly waits on its own instead of holding one of the places of the limit
//! on requests served at once (`security::limit_concurrency`).

use crate::rest::ApiError;
use crate::security::Web;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Duration;

/// How request bodies must arrive: whole within `timeout`, at least `min_rate` bytes a
/// second after the first `GRACE`, and, of those still arriving after `SLOW_AFTER`, at most
/// `per_client` at once from one client's network. They are read before a request takes one of
/// the `max_concurrent` slots, so clients that send slowly wait on their own, not in the place
/// of others.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimits {
    pub timeout: Duration,
    pub min_rate: u64,
    pub per_client: usize,
}

impl Default for BodyLimits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            min_rate: 1024,
            per_client: 4,
        }
    }
}

/// The first seconds of a body, before its rate counts (a client's first packets, a
/// connection warming up).
const GRACE: Duration = Duration::from_secs(2);
/// A body still arriving after this long is a slow one (see `BodyLimits::per_client`).
const SLOW_AFTER: Duration = Duration::from_millis(500);

/// The bodies being read now, per client network.
#[derive(Clone, Default)]
pub struct Readers(Arc<std::sync::Mutex<std::collections::HashMap<String, usize>>>);

impl Readers {
    /// A place to read a body from `network`, if it has fewer than `most` being read.
    fn enter(&self, network: String, most: usize) -> Option<Reading> {
        let mut readers = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let count = readers.entry(network.clone()).or_default();
        if *count >= most {
            return None;
        }
        *count += 1;
        Some(Reading {
            readers: self.clone(),
            network,
        })
    }
}

/// One body being read; its place is given back when dropped.
struct Reading {
    readers: Readers,
    network: String,
}

impl Drop for Reading {
    fn drop(&mut self) {
        let mut readers = self.readers.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = readers.get_mut(&self.network) {
            *count -= 1;
            if *count == 0 {
                readers.remove(&self.network);
            }
        }
    }
}

/// An answer refusing the request before it was handled: JSON for the REST API and MCP, text
/// elsewhere.
fn refusal(path: &str, status: StatusCode, code: &'static str, message: String) -> Response {
    if path.starts_with("/~") {
        return ApiError::new(status, code, message).into_response();
    }
    (status, message).into_response()
}

/// Reads a request's whole body before the request is served (see `BodyLimits`): over
/// `routes::BODY_LIMIT` (`SIGN_IN_BODY_LIMIT` for sign-in) is 413, at once when its length
/// says so; too slow is 408; a slow body from a client network already sending `per_client`
/// slow ones gets 429.
pub async fn read_body(
    State((web, readers)): State<(Arc<Web>, Readers)>,
    req: Request,
    next: Next,
) -> Response {
    use http_body_util::BodyExt;
    let path = req.uri().path().to_owned();
    let limit = if path == "/api/login" {
        crate::routes::SIGN_IN_BODY_LIMIT
    } else {
        crate::routes::BODY_LIMIT
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .or_else(|| axum::body::HttpBody::size_hint(req.body()).exact());
    let too_large = || {
        let size = if limit >= 1 << 20 {
            format!("{} MiB", limit >> 20)
        } else {
            format!("{} KiB", limit >> 10)
        };
        let message = format!("A request here may have at most {size}.");
        refusal(
            &path,
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            message,
        )
    };
    if declared.is_some_and(|length| length > limit as u64) {
        return too_large();
    }
    if declared == Some(0) {
        return next.run(req).await;
    }
    let network =
        switchyard::auth::network(crate::serve::client_address(&req, web.trust_proxy).as_deref());
    let (parts, mut body) = req.into_parts();
    let started = tokio::time::Instant::now();
    let deadline = started + web.bodies.timeout;
    let mut bytes = Vec::with_capacity(declared.unwrap_or(0).min(limit as u64) as usize);
    // A body still arriving after `SLOW_AFTER` takes one of its network's places for slow
    // bodies; fast ones never need one.
    let mut place = None;
    loop {
        // The moment by which the next bytes must come: when the rate since `GRACE` would
        // fall under the minimum, and never after the deadline.
        let due = match web.bodies.min_rate {
            0 => deadline,
            rate => {
                let owed = Duration::from_secs_f64(bytes.len() as f64 / rate as f64);
                (started + GRACE + owed).min(deadline)
            }
        };
        let wait_until = match place {
            None => due.min(started + SLOW_AFTER),
            Some(_) => due,
        };
        match tokio::time::timeout_at(wait_until, body.frame()).await {
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    if bytes.len() + data.len() > limit {
                        return too_large();
                    }
                    bytes.extend_from_slice(&data);
                }
            }
            Ok(None) => break,
            Ok(Some(Err(_))) => {
                return refusal(
                    &path,
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    "The request's body could not be read.".into(),
                );
            }
            Err(_) if tokio::time::Instant::now() >= due => {
                return refusal(
                    &path,
                    StatusCode::REQUEST_TIMEOUT,
                    "request_timeout",
                    "The request's body came too slowly; send it again.".into(),
                );
            }
            Err(_) => match readers.enter(network.clone(), web.bodies.per_client) {
                Some(taken) => place = Some(taken),
                None => {
                    return refusal(
                        &path,
                        StatusCode::TOO_MANY_REQUESTS,
                        "too_many_requests",
                        "Your network is sending several requests slowly at once already; try again when they are done.".into(),
                    );
                }
            },
        }
    }
    drop(place);
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}
