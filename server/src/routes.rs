//! The axum router: Leptos pages, server functions, sessions, and the sign-in guard.

use crate::security::{self, Web};
use crate::session_store::DieselStore;
use app::state::{AppState, USER_KEY};
use app::{App, shell};
use axum::Router;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use leptos::prelude::*;
use leptos_axum::{
    AxumRouteListing, LeptosRoutes, generate_route_list, handle_server_fns_with_context,
};
use std::sync::Arc;
use switchyard::UserId;
use tower_http::compression::CompressionLayer;
use tower_http::timeout::TimeoutLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};

/// The session cookie's name over plain HTTP (over HTTPS it is `__Host-` prefixed).
pub const SESSION_COOKIE: &str = "switchyard_session";

/// At most this much body in any request (`crate::bodies::read_body`); sign-in takes at most
/// `SIGN_IN_BODY_LIMIT`.
pub const BODY_LIMIT: usize = 1 << 20;
pub const SIGN_IN_BODY_LIMIT: usize = 16 << 10;

/// The pages' routes. Generating them renders the app with resources held back, process-wide
/// (leptos-rs/leptos#4773): a page rendered meanwhile would wait for ever. Generate them once,
/// before serving anything.
pub fn page_routes() -> Vec<AxumRouteListing> {
    generate_route_list(App)
}

/// Builds the whole application.
pub fn router(state: AppState, options: LeptosOptions, web: Web) -> Router {
    router_with(state, options, web, page_routes())
}

/// Builds the whole application around routes generated beforehand (tests build many routers
/// in one process, and must not generate routes while another test renders a page).
pub fn router_with(
    state: AppState,
    options: LeptosOptions,
    web: Web,
    routes: Vec<AxumRouteListing>,
) -> Router {
    let sessions = SessionManagerLayer::new(DieselStore::new(state.pool.clone()))
        .with_name(web.cookie_name())
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(web.https)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(web.sessions.idle));
    let web = Arc::new(web);
    let gate = (
        Arc::new(tokio::sync::Semaphore::new(web.max_concurrent.max(1))),
        web.busy_wait,
    );
    let fn_state = state.clone();
    let server_fns = move |req: Request<Body>| {
        let state = fn_state.clone();
        async move {
            handle_server_fns_with_context(
                move || app::state::provide_request_context(state.clone()),
                req,
            )
            .await
        }
    };
    let page_context = {
        let state = state.clone();
        move || {
            app::state::provide_request_context(state.clone());
            security::provide_page_csp();
        }
    };
    crate::metrics::handle();
    let scrape = crate::metrics::Scrape {
        token: web.metrics_token.clone(),
        pool: state.pool.clone(),
        engine_pool: web.engine_pool.clone(),
    };
    let readiness = crate::health::Readiness {
        pool: state.pool.clone(),
        workers: web.workers.clone(),
        token: web.metrics_token.clone(),
    };
    let demo = if web.demo_crm {
        Router::new().route(crate::demo_crm::PATH, post(crate::demo_crm::orders))
    } else {
        Router::new()
    };
    Router::new()
        .merge(demo)
        .route("/healthz", get(crate::health::healthz))
        .route("/readyz", get(crate::health::readyz).with_state(readiness))
        .route("/metrics", get(crate::metrics::metrics).with_state(scrape))
        .route("/api/{*fn_name}", post(server_fns.clone()).get(server_fns))
        .merge(crate::rest::router(
            state.clone(),
            crate::assets::stylesheet_href(&options),
        ))
        .leptos_routes_with_context(&options, routes, page_context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context(
            page_context,
            shell,
        ))
        .layer(middleware::from_fn(server_fn_status))
        .layer(middleware::from_fn(crate::form_errors::keep_in_session))
        .layer(middleware::from_fn(require_sign_in))
        .layer(middleware::from_fn(clean_referer))
        .layer(middleware::from_fn_with_state(
            (web.clone(), state.clone()),
            security::session_limits,
        ))
        .layer(sessions)
        .layer(middleware::from_fn_with_state(
            web.clone(),
            security::remember_client,
        ))
        .layer(middleware::from_fn_with_state(
            web.clone(),
            security::same_origin_changes,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        // Inside the time limit: a request it cuts off cancels its statements.
        .layer(middleware::from_fn(security::give_up_when_dropped))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            web.request_timeout,
        ))
        // Brotli or gzip as the browser asks; never event streams (MCP), which must flow.
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn_with_state(
            web.clone(),
            security::security_headers,
        ))
        .layer(middleware::from_fn_with_state(
            gate,
            security::limit_concurrency,
        ))
        // Outside the limit on requests served at once: waiting for a slow body takes no slot.
        .layer(middleware::from_fn_with_state(
            (web.clone(), crate::bodies::Readers::default()),
            crate::bodies::read_body,
        ))
        .layer(middleware::from_fn(security::log_request))
        .with_state(options)
}

/// Organization pages need a signed-in user: others go to `/login` and come back after.
async fn require_sign_in(session: Session, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path.starts_with("/o/") || path == "/orgs" || path == "/account" || path == "/" {
        let signed_in = session
            .get::<UserId>(USER_KEY)
            .await
            .ok()
            .flatten()
            .is_some();
        if !signed_in {
            let wanted = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            let next = app::urlencode(wanted);
            return Redirect::to(&format!("/login?next={next}")).into_response();
        }
    }
    next.run(req).await
}

/// A server function's error answers with the status of the one table of answers (`AppError::
/// status`, the domain's for domain errors) instead of the 500 every error gets by default. A
/// form posted without JavaScript is redirected back to its page, so it is not an error here.
async fn server_fn_status(req: Request, next: Next) -> Response {
    let server_fn = req.uri().path().starts_with("/api/");
    let response = next.run(req).await;
    if !server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(error) = serde_json::from_slice::<app::error::AppError>(&bytes)
        && let Ok(status) = StatusCode::from_u16(error.status())
    {
        parts.status = status;
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// A form posted without JavaScript comes back to its page; an error from an earlier post
/// must not stay in that page's address (server functions append theirs, they do not replace).
async fn clean_referer(mut req: Request, next: Next) -> Response {
    if req.uri().path().starts_with("/api/")
        && let Some(cleaned) = req
            .headers()
            .get(header::REFERER)
            .and_then(|v| v.to_str().ok())
            .and_then(strip_error_params)
        && let Ok(value) = HeaderValue::from_str(&cleaned)
    {
        req.headers_mut().insert(header::REFERER, value);
    }
    next.run(req).await
}

/// The URL without `__path`, `__err` and `__flash`, when it had them.
fn strip_error_params(url: &str) -> Option<String> {
    let (base, query) = url.split_once('?')?;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| {
            !p.starts_with("__path=") && !p.starts_with("__err=") && !p.starts_with("__flash=")
        })
        .collect();
    if kept.len() == query.split('&').count() {
        return None;
    }
    Some(if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    })
}

#[cfg(test)]
mod tests {
    use super::strip_error_params;

    #[test]
    fn error_params_are_stripped_and_others_kept() {
        assert_eq!(
            strip_error_params("http://h/p?a=1&__path=/api/x&__err=abc"),
            Some("http://h/p?a=1".into())
        );
        assert_eq!(
            strip_error_params("http://h/p?__path=/api/x&__err=abc"),
            Some("http://h/p".into())
        );
        assert_eq!(strip_error_params("http://h/p?a=1"), None);
        assert_eq!(strip_error_params("http://h/p"), None);
    }
}
