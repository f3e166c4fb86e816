//! The defences every request passes through, whichever door it comes in by: changes only from
//! the app's own pages (CSRF), the browser's security headers, sessions that end, and a limit
//! on the requests served at once.

use crate::rest::ApiError;
use app::state::{AppState, USER_KEY};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Duration;
use switchyard::session::{Policy, SEEN_AT_KEY, SIGNED_IN_AT_KEY, Verdict};
use tower_sessions::Session;

/// How the app is served, as far as its defences care.
#[derive(Clone)]
pub struct Web {
    /// Served over HTTPS: the session cookie is `Secure` and `__Host-` prefixed, HSTS is sent.
    pub https: bool,
    /// The origin people reach the app at (`https://switchyard.example`), when configured;
    /// otherwise a change must come from the `Host` the request was sent to.
    pub origin: Option<String>,
    pub sessions: Policy,
    /// At most this many requests are served at once; more wait up to `busy_wait`, then get
    /// 503.
    pub max_concurrent: usize,
    pub busy_wait: Duration,
    /// A request not answered in this time gets 408.
    pub request_timeout: Duration,
    /// How request bodies must arrive.
    pub bodies: crate::bodies::BodyLimits,
    /// Behind a proxy: the client's address is the last `X-Forwarded-For` entry.
    pub trust_proxy: bool,
    /// The engine's workers this process started, for `/readyz`.
    pub workers: crate::workers::Liveness,
    /// The bearer token `/metrics` asks for; without one there is no `/metrics`.
    pub metrics_token: Option<String>,
    /// The workers' connection pool, for `/metrics`.
    pub engine_pool: Option<switchyard::db::Pool>,
    /// Serve the demo's CRM endpoint (`crate::demo_crm`).
    pub demo_crm: bool,
}

impl Default for Web {
    /// Plain HTTP on localhost, the default limits.
    fn default() -> Self {
        Self {
            https: false,
            origin: None,
            sessions: Policy::default(),
            max_concurrent: 256,
            busy_wait: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            bodies: crate::bodies::BodyLimits::default(),
            trust_proxy: false,
            workers: crate::workers::Liveness::default(),
            metrics_token: None,
            engine_pool: None,
            demo_crm: false,
        }
    }
}

impl Web {
    /// The session cookie's name: `__Host-` prefixed when it is `Secure`, so that no
    /// subdomain or plain-HTTP page can set it.
    pub fn cookie_name(&self) -> &'static str {
        if self.https {
            "__Host-switchyard_session"
        } else {
            "switchyard_session"
        }
    }
}

// ---- CSRF ----

/// Whether a request with this method changes nothing (RFC 9110's safe methods).
fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// The origin (`scheme://host[:port]`) a request says it comes from: its `Origin`, or the
/// origin of its `Referer` when a browser sent no `Origin`.
fn source_origin(headers: &HeaderMap) -> Option<url::Url> {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let source = text(header::ORIGIN).or_else(|| text(header::REFERER))?;
    let url = url::Url::parse(source).ok()?;
    matches!(url.scheme(), "http" | "https").then_some(url)
}

/// Whether the request comes from the app's own pages: its origin is the configured one, or,
/// without one, names the host the request was sent to.
pub fn from_own_origin(headers: &HeaderMap, own: Option<&str>) -> bool {
    let Some(source) = source_origin(headers) else {
        return false;
    };
    let source = source.origin().ascii_serialization();
    match own {
        Some(own) => source.eq_ignore_ascii_case(own.trim_end_matches('/')),
        None => {
            let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
            let authority = source
                .strip_prefix("https://")
                .or_else(|| source.strip_prefix("http://"));
            matches!((host, authority), (Some(h), Some(a)) if a.eq_ignore_ascii_case(h))
        }
    }
}

/// Refuses (403, nothing done) a request that would change something unless it comes from the
/// app's own pages: every form and server function, sign-in included (login CSRF). The REST
/// API and MCP under `/~…` are for programs, which send an API key, not an ambient cookie: there
/// only a request that carries the session cookie and no `Authorization` is checked (browsers
/// cannot add that header to another site's request without CORS, which the app never allows).
pub async fn same_origin_changes(
    State(web): State<Arc<Web>>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    let headers = req.headers();
    let program = (path.starts_with("/~") || path == crate::demo_crm::PATH)
        && (headers.contains_key(header::AUTHORIZATION) || !headers.contains_key(header::COOKIE));
    if is_safe(req.method()) || program || from_own_origin(headers, web.origin.as_deref()) {
        return next.run(req).await;
    }
    tracing::warn!(path, "refused a change sent from another origin");
    if path.starts_with("/~") {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_origin",
            "A change made with the session cookie must come from Switchyard's own pages (same Origin); other programs use an API key.",
        )
        .into_response();
    }
    let wants_json = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if wants_json {
        let body = serde_json::to_string(&app::error::AppError::Forbidden).unwrap_or_default();
        return (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response();
    }
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<!DOCTYPE html><html lang=\"en\"><title>Refused · Switchyard</title><main><h1>Refused</h1><p>This form was sent from another site, so Switchyard did nothing. Open Switchyard and send it from there.</p><p><a href=\"/\">Open Switchyard</a></p></main></html>",
    )
        .into_response()
}

// ---- Headers ----

/// The Content-Security-Policy: scripts only from here and with the page's nonce (Leptos puts
/// it on its hydration and resource scripts), WebAssembly allowed to compile, nothing framed,
/// forms posted only here.
pub fn content_security_policy(nonce: Option<&str>) -> String {
    let script = match nonce {
        Some(nonce) => format!("script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'"),
        None => "script-src 'self' 'wasm-unsafe-eval'".to_owned(),
    };
    format!(
        "default-src 'self'; {script}; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Sets the page's CSP with its nonce; called in the Leptos context of every rendered page.
pub fn provide_page_csp() {
    use leptos::prelude::use_context;
    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) && let Ok(value) = HeaderValue::from_str(&content_security_policy(Some(&nonce)))
    {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// The security headers of every answer: the CSP (a page's own, with its nonce, or one
/// without), no framing, no sniffing, no referrer outside the app, nothing stored by caches
/// except the build's assets (see `assets::cache_control`), and HSTS over HTTPS.
pub async fn security_headers(State(web): State<Arc<Web>>, req: Request, next: Next) -> Response {
    let asset = req
        .uri()
        .path()
        .starts_with("/pkg/")
        .then(|| crate::assets::cache_control(req.uri().path()));
    let mut response = next.run(req).await;
    let found = response.status() == StatusCode::OK;
    let headers = response.headers_mut();
    let mut set = |name: HeaderName, value: &str| {
        if !headers.contains_key(&name)
            && let Ok(value) = HeaderValue::from_str(value)
        {
            headers.insert(name, value);
        }
    };
    set(
        header::CONTENT_SECURITY_POLICY,
        &content_security_policy(None),
    );
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    // The pages' forms come back to the page they were sent from by its Referer, so the app
    // keeps it for itself and gives no other site any.
    set(header::REFERRER_POLICY, "same-origin");
    set(
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    match asset {
        // The same address answers brotli, gzip or neither: caches must keep them apart.
        Some(policy) if found => {
            set(header::CACHE_CONTROL, policy);
            set(header::VARY, "accept-encoding");
        }
        _ => set(header::CACHE_CONTROL, "no-store"),
    }
    if web.https {
        set(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000");
    }
    response
}

// ---- Sessions ----

/// Ends a signed-in session that has been idle or alive too long (the request then goes on
/// signed out), and writes down the use of one that goes on (which extends its cookie).
pub async fn session_limits(
    State((web, state)): State<(Arc<Web>, AppState)>,
    req: Request,
    next: Next,
) -> Response {
    if let Some(session) = req.extensions().get::<Session>().cloned()
        && let Err(e) = judge(&session, &web.sessions, state.clock.now()).await
    {
        tracing::error!("session limits: {e}");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    next.run(req).await
}

async fn judge(
    session: &Session,
    policy: &Policy,
    now: time::OffsetDateTime,
) -> Result<(), tower_sessions::session::Error> {
    if session.get::<serde_json::Value>(USER_KEY).await?.is_none() {
        return Ok(());
    }
    let at = |seconds: Option<i64>| {
        seconds
            .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
    };
    let signed_in_at = at(session.get::<i64>(SIGNED_IN_AT_KEY).await?);
    let seen_at = at(session.get::<i64>(SEEN_AT_KEY).await?);
    match policy.judge(signed_in_at, seen_at, now) {
        Verdict::Ended => session.flush().await,
        Verdict::Touch => session.insert(SEEN_AT_KEY, now.unix_timestamp()).await,
        Verdict::Keep => Ok(()),
    }
}

// ---- Logs ----

/// The path as logs show it: no query string, and the secret of an invitation's or a
/// password reset's link left out.
pub fn loggable_path(path: &str) -> String {
    for secret in ["/invite/", "/reset/"] {
        if path.starts_with(secret) {
            return format!("{secret}…");
        }
    }
    path.to_owned()
}

/// The organization a path is about (`/o/{org}/…`, `/~{org}/…`), for the log line.
fn org_of(path: &str) -> &str {
    path.strip_prefix("/o/")
        .or_else(|| path.strip_prefix("/~"))
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("")
}

/// One line per request: method, path, status, time taken, organization (from the path, or
/// for a server function the one it looked its member up in). Never the query, a header, a
/// cookie or a body.
pub async fn log_request(mut req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let started = std::time::Instant::now();
    let kind = crate::metrics::kind(&method, &path);
    let acted_for = app::state::RequestOrg::default();
    req.extensions_mut().insert(acted_for.clone());
    let response = next.run(req).await;
    crate::metrics::request(
        kind,
        &path,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    tracing::info!(
        target: "switchyard::requests",
        method = %method,
        path = %loggable_path(&path),
        status = response.status().as_u16(),
        ms = started.elapsed().as_micros() as f64 / 1000.0,
        org = Some(org_of(&path))
            .filter(|org| !org.is_empty())
            .or(acted_for.get())
            .unwrap_or(""),
        "request"
    );
    response
}

// ---- Load ----

/// Runs the request so that, if it is dropped before it is answered (its time ran out, its
/// client went away), the statements of the connections it holds are cancelled
/// (`switchyard::db::until_dropped`). Its pages' resources, which run apart, find the same
/// `Abandonment` among the request's extensions.
pub async fn give_up_when_dropped(mut req: Request, next: Next) -> Response {
    let abandonment = switchyard::db::Abandonment::default();
    req.extensions_mut().insert(abandonment.clone());
    switchyard::db::until_dropped(abandonment, next.run(req)).await
}

/// Tells the rest of the request who sends it (`app::state::ClientAddress`): sign-in throttles
/// and records by it.
pub async fn remember_client(
    State(web): State<Arc<Web>>,
    mut req: Request,
    next: Next,
) -> Response {
    if let Some(address) = crate::serve::client_address(&req, web.trust_proxy) {
        req.extensions_mut()
            .insert(app::state::ClientAddress(address));
    }
    next.run(req).await
}

/// Serves at most `max_concurrent` requests at once; a request that waits longer than
/// `busy_wait` for its turn gets 503 with `Retry-After`, instead of piling up.
pub async fn limit_concurrency(
    State(gate): State<(Arc<tokio::sync::Semaphore>, Duration)>,
    req: Request,
    next: Next,
) -> Response {
    let (semaphore, wait) = gate;
    match tokio::time::timeout(wait, semaphore.acquire_owned()).await {
        Ok(Ok(_permit)) => next.run(req).await,
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "5")],
            "Switchyard is busy; try again in a few seconds.",
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::from_own_origin;
    use axum::http::{HeaderMap, HeaderValue, header};

    fn headers(host: &str, origin: Option<&str>, referer: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_str(host).expect("host"));
        if let Some(o) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_str(o).expect("origin"));
        }
        if let Some(r) = referer {
            h.insert(header::REFERER, HeaderValue::from_str(r).expect("referer"));
        }
        h
    }

    #[test]
    fn only_the_apps_own_origin_may_change_things() {
        let ok = |host, origin, referer| from_own_origin(&headers(host, origin, referer), None);
        assert!(ok(
            "app.example:3000",
            Some("http://app.example:3000"),
            None
        ));
        assert!(ok("app.example", Some("https://app.example"), None));
        assert!(ok(
            "app.example",
            None,
            Some("https://app.example/o/acme/x?y=1")
        ));
        assert!(!ok("app.example", Some("https://evil.example"), None));
        assert!(!ok("app.example", Some("https://app.example.evil"), None));
        assert!(!ok("app.example", Some("https://app.example:444"), None));
        assert!(!ok("app.example", Some("null"), None));
        assert!(!ok("app.example", None, None));
        assert!(!ok(
            "app.example",
            None,
            Some("https://evil.example/app.example")
        ));
        // The Origin decides when both are there.
        assert!(!ok(
            "app.example",
            Some("https://evil.example"),
            Some("https://app.example/")
        ));
    }

    #[test]
    fn a_configured_origin_must_match_exactly() {
        let own = Some("https://switchyard.example");
        let ok = |origin| from_own_origin(&headers("internal:3000", Some(origin), None), own);
        assert!(ok("https://switchyard.example"));
        assert!(ok("https://SwitchYard.example"));
        assert!(!ok("http://switchyard.example"));
        assert!(!ok("http://internal:3000"));
    }
}
