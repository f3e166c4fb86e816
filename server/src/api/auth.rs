//! Who calls: an API key (`Authorization: Bearer sy_…`) of the organization in the path, or a
//! member signed in to the app's pages, whose writes must come from the app's own origin.

use super::ApiError;
use app::state::{AppState, USER_KEY};
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use switchyard::entity::Caller;
use switchyard::{UserId, api_key};
use tower_sessions::Session;

/// The authenticated caller of a request to `/~{org}/…`.
pub struct Api(pub Caller);

pub(crate) fn unauthorized() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "Send an API key of this organization as `Authorization: Bearer <key>`.",
    )
}

/// The API key of an `Authorization: Bearer <key>` header: `None` without the header,
/// `Some(Err)` when it is there but not a bearer token.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<Result<&str, ApiError>> {
    let value = headers.get(header::AUTHORIZATION)?;
    Some(
        value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(unauthorized),
    )
}

/// Whether the request's `Origin` is this server (scheme aside: a proxy may end TLS).
fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    match (host, origin) {
        (Some(host), Some(origin)) => origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"))
            .is_some_and(|authority| authority.eq_ignore_ascii_case(host)),
        _ => false,
    }
}

impl FromRequestParts<AppState> for Api {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(ApiError::internal)?;
        let org = params
            .iter()
            .find(|(k, _)| *k == "org")
            .map(|(_, v)| v.to_owned())
            .ok_or_else(|| ApiError::internal("route without {org}"))?;
        let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
        if let Some(token) = bearer(&parts.headers) {
            let holder = api_key::authenticate(&mut conn, &org, token?)
                .await?
                .ok_or_else(unauthorized)?;
            return Ok(Api(Caller::Key(holder)));
        }
        let user = match parts.extensions.get::<Session>() {
            Some(session) => session
                .get::<UserId>(USER_KEY)
                .await
                .map_err(ApiError::internal)?,
            None => None,
        };
        let user = user.ok_or_else(unauthorized)?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe && !same_origin(&parts.headers) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "cross_origin",
                "A change made with the session cookie must come from Switchyard's own pages (same Origin); other programs use an API key.",
            ));
        }
        let member = switchyard::repo::org::member(&mut conn, &user, &org)
            .await
            .map_err(ApiError::internal)?
            .ok_or(switchyard::DomainError::NotFound)?;
        Ok(Api(Caller::Member(member)))
    }
}

#[cfg(test)]
mod tests {
    use super::same_origin;
    use axum::http::{HeaderMap, HeaderValue, header};

    fn headers(host: &str, origin: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_str(host).expect("host"));
        if let Some(o) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_str(o).expect("origin"));
        }
        h
    }

    #[test]
    fn only_the_servers_own_origin_is_the_same_origin() {
        assert!(same_origin(&headers(
            "app.example:3000",
            Some("http://app.example:3000")
        )));
        assert!(same_origin(&headers(
            "app.example",
            Some("https://app.example")
        )));
        assert!(!same_origin(&headers(
            "app.example",
            Some("https://evil.example")
        )));
        assert!(!same_origin(&headers(
            "app.example",
            Some("https://app.example.evil")
        )));
        assert!(!same_origin(&headers("app.example", Some("null"))));
        assert!(!same_origin(&headers("app.example", None)));
    }
}
