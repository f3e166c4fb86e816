//! Who calls: an API key (`Authorization: Bearer sy_…`) of the organization in the path, or a
//! member signed in to the app's pages.

use super::ApiError;
use app::state::{AppState, USER_KEY};
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
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
        // A change with the cookie came from the app's own pages: `security::same_origin_changes`
        // refused the others before they got here.
        let user = user.ok_or_else(unauthorized)?;
        let member = switchyard::repo::org::member(&mut conn, &user, &org)
            .await
            .map_err(ApiError::internal)?
            .ok_or(switchyard::DomainError::NotFound)?;
        Ok(Api(Caller::Member(member)))
    }
}
