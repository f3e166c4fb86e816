//! `/~{org}/secrets`: set, list and delete an organization's secrets (keys with the `admin`
//! scope, Admins' sessions); a value is never answered back.

use super::schema::*;
use super::{Api, ApiError, JsonBody};
use app::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use switchyard::DomainError;
use switchyard::secret::SecretInput;

/// `PUT /~{org}/secrets/{name}`: sets (creates or replaces) one; 200 with it, without its value.
#[utoipa::path(
    put, operation_id = "setSecret", path = "/~{org}/secrets/{name}", tag = "Secrets",
    summary = "Set a secret (its value is never answered back)",
    params(("org" = String, Path, description = "The organization's slug"), ("name" = String, Path, description = "Capitals, digits and _, like CRM_TOKEN")),
    request_body = SecretBody,
    responses((status = 200, description = "Set", body = SecretResource), (status = 401, description = "No key or session", body = ErrorBody), (status = 403, description = "Not an Admin or a key with the admin scope", body = ErrorBody),
        (status = 409, description = "The server keeps no secrets (no SWITCHYARD_SECRETS_KEY)", body = ErrorBody), (status = 422, description = "Invalid input, with the field at fault", body = ErrorBody)),
    security(("apiKey" = []), ("session" = []))
)]
pub async fn set(
    State(state): State<AppState>,
    Path((_, name)): Path<(String, String)>,
    Api(caller): Api,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body = body.object()?;
    let value = match body.get("value") {
        Some(serde_json::Value::String(v)) => v.clone(),
        None => String::new(),
        Some(_) => return Err(DomainError::field("value", "value must be text").into()),
    };
    let hosts = match body.get("hosts") {
        Some(serde_json::Value::Array(hosts)) => hosts
            .iter()
            .map(|h| h.as_str().map(str::to_owned))
            .collect::<Option<Vec<String>>>()
            .ok_or_else(|| DomainError::field("hosts", "hosts must be a list of host names"))?,
        None => Vec::new(),
        Some(_) => {
            return Err(DomainError::field("hosts", "hosts must be a list of host names").into());
        }
    };
    let input = SecretInput {
        name,
        value,
        hosts: hosts.join(","),
    };
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let set =
        switchyard::secrets::set(&mut conn, state.secrets_key.as_ref(), &caller, &input).await?;
    Ok((StatusCode::OK, axum::Json(SecretResource::from(set))).into_response())
}

/// `GET /~{org}/secrets`: the names, hosts, who set each and when; never a value.
#[utoipa::path(
    get, operation_id = "listSecrets", path = "/~{org}/secrets", tag = "Secrets",
    summary = "List the secrets (never their values)",
    params(("org" = String, Path, description = "The organization's slug")),
    responses((status = 200, description = "The secrets by name", body = SecretList), (status = 401, description = "No key or session", body = ErrorBody), (status = 403, description = "Not an Admin or a key with the admin scope", body = ErrorBody)),
    security(("apiKey" = []), ("session" = []))
)]
pub async fn list(State(state): State<AppState>, Api(caller): Api) -> Result<Response, ApiError> {
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let listed = switchyard::secrets::list(&mut conn, &caller).await?;
    let results = listed.into_iter().map(SecretResource::from).collect();
    Ok(axum::Json(SecretList { results }).into_response())
}

/// `DELETE /~{org}/secrets/{name}`: 204.
#[utoipa::path(
    delete, operation_id = "deleteSecret", path = "/~{org}/secrets/{name}", tag = "Secrets",
    summary = "Delete a secret",
    params(("org" = String, Path, description = "The organization's slug"), ("name" = String, Path, description = "The secret's name")),
    responses((status = 204, description = "Deleted"), (status = 401, description = "No key or session", body = ErrorBody), (status = 403, description = "Not an Admin or a key with the admin scope", body = ErrorBody), (status = 404, description = "No such secret in this organization", body = ErrorBody)),
    security(("apiKey" = []), ("session" = []))
)]
pub async fn delete(
    State(state): State<AppState>,
    Path((_, name)): Path<(String, String)>,
    Api(caller): Api,
) -> Result<Response, ApiError> {
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    switchyard::secrets::delete(&mut conn, &caller, &name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
