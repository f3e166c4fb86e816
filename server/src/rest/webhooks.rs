//! `/~{org}/webhooks`: an organization's webhook endpoints (keys with the `admin` scope,
//! Admins' sessions): add (the secret answered this once), list, read, change, delete, rotate
//! the secret, and each endpoint's deliveries with their attempts, resend and a test event.

use super::schema::*;
use super::{Api, ApiError, JsonBody, Pairs, pairs};
use app::state::AppState;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use switchyard::DomainError;
use switchyard::id::{DeliveryId, EndpointId};
use switchyard::webhook::{DeliveryQuery, DeliveryStatus, EndpointInput};
use switchyard::webhooks::{deliveries, endpoints};

/// The body of an add or a change, as the form types it.
fn input(body: JsonBody) -> Result<EndpointInput, ApiError> {
    let body = body.object()?;
    let text = |key: &str| match body.get(key) {
        Some(serde_json::Value::String(v)) => Ok(v.clone()),
        None | Some(serde_json::Value::Null) => Ok(String::new()),
        Some(_) => Err(DomainError::field(key, format!("{key} must be text"))),
    };
    let events = match body.get("events") {
        Some(serde_json::Value::Array(kinds)) => kinds
            .iter()
            .map(|k| k.as_str().map(str::to_owned))
            .collect::<Option<Vec<String>>>()
            .ok_or_else(|| DomainError::field("events", "events must be a list of event types"))?,
        None => Vec::new(),
        Some(_) => {
            return Err(
                DomainError::field("events", "events must be a list of event types").into(),
            );
        }
    };
    Ok(EndpointInput {
        url: text("url")?,
        events: events.join(","),
        description: text("description")?,
    })
}

fn with_secret(made: endpoints::WithSecret) -> EndpointResource {
    EndpointResource {
        secret: Some(made.secret),
        ..EndpointResource::from(made.endpoint)
    }
}

/// `POST /~{org}/webhooks`: 201 with the endpoint and its secret, answered this once.
#[utoipa::path(
    post, operation_id = "createEndpoint", path = "/~{org}/webhooks", tag = "Webhooks",
    summary = "Add a webhook endpoint (its secret is answered this once)",
    params(("org" = String, Path, description = "The organization's slug")),
    request_body = EndpointBody,
    responses((status = 201, description = "Added, with `secret`", body = EndpointResource), (status = 401, description = "No key or session", body = ErrorBody), (status = 403, description = "Not an Admin or a key with the admin scope", body = ErrorBody),
        (status = 409, description = "The server keeps no secrets (no SWITCHYARD_SECRETS_KEY)", body = ErrorBody), (status = 422, description = "Invalid input, with the field at fault", body = ErrorBody)),
    security(("apiKey" = []), ("session" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    Path(org): Path<String>,
    Api(caller): Api,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let input = input(body)?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let made = endpoints::create(&mut conn, state.secrets_key.as_ref(), &caller, &input).await?;
    let location = format!("/~{org}/webhooks/{}", made.endpoint.id);
    let mut answer = (StatusCode::CREATED, axum::Json(with_secret(made))).into_response();
    if let Ok(location) = location.parse() {
        answer.headers_mut().insert(header::LOCATION, location);
    }
    Ok(answer)
}

/// `GET /~{org}/webhooks`: the endpoints, never their secrets.
#[utoipa::path(
    get, operation_id = "listEndpoints", path = "/~{org}/webhooks", tag = "Webhooks",
    summary = "List the webhook endpoints",
    params(("org" = String, Path, description = "The organization's slug")),
    responses((status = 200, description = "The endpoints", body = EndpointList), (status = 401, description = "No key or session", body = ErrorBody), (status = 403, description = "Not an Admin or a key with the admin scope", body = ErrorBody)),
    security(("apiKey" = []), ("session" = []))
)]
pub async fn list(State(state): State<AppState>, Api(caller): Api) -> Result<Response, ApiError> {
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let results = endpoints::list(&mut conn, &caller)
        .await?
        .into_iter()
        .map(EndpointResource::from)
        .collect();
    Ok(axum::Json(EndpointList { results }).into_response())
}

/// `GET /~{org}/webhooks/{id}`.
#[utoipa::path(
    get, operation_id = "getEndpoint", path = "/~{org}/webhooks/{id}", tag = "Webhooks",
    summary = "Read a webhook endpoint",
    params(("org" = String, Path, description = "The organization's slug"), ("id" = String, Path, description = "The endpoint's `$id`")),
    responses((status = 200, description = "The endpoint", body = EndpointResource), (status = 401, description = "No key or session", body = ErrorBody), (status = 403, description = "Not an Admin or a key with the admin scope", body = ErrorBody), (status = 404, description = "No such endpoint in this organization", body = ErrorBody)),
    security(("apiKey" = []), ("session" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    Api(caller): Api,
) -> Result<Response, ApiError> {
    let id = EndpointId::from_path(&id)?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let found = endpoints::get(&mut conn, &caller, &id).await?;
    Ok(axum::Json(EndpointResource::from(found)).into_response())
}

/// `PUT /~{org}/webhooks/{id}`: a new URL, event types and description; the secret stays.
#[utoipa::path(
    put, operation_id = "updateEndpoint", path = "/~{org}/webhooks/{id}", tag = "Webhooks",
    summary = "Change a webhook endpoint",
    params(("org" = String, Path, description = "The organization's slug"), ("id" = String, Path, description = "The endpoint's `$id`")),
    request_body = EndpointBody,
    responses((status = 200, description = "Changed", body = EndpointResource), (status = 401, description = "No key or session", body = ErrorBody), (status = 403, description = "Not an Admin or a key with the admin scope", body = ErrorBody), (status = 404, description = "No such endpoint in this organization", body = ErrorBody), (status = 422, description = "Invalid input, with the field at fault", body = ErrorBody)),
    security(("apiKey" = []), ("session" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    Api(caller): Api,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let id = EndpointId::from_path(&id)?;
    let input = input(body)?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let changed = endpoints::update(&mut conn, &caller, &id, &input).await?;
    Ok(axum::Json(EndpointResource::from(changed)).into_response())
}

/// `DELETE /~{org}/webhooks/{id}`: 204.
#[utoipa::path(
    delete, operation_id = "deleteEndpoint", path = "/~{org}/webhooks/{id}", tag = "Webhooks",
    summary = "Delete a webhook endpoint",
    params(("org" = String, Path, description = "The organization's slug"), ("id" = String, Path, description = "The endpoint's `$id`")),
    responses((status = 204, description = "Deleted"), (status = 401, description = "No key or session", body = ErrorBody), (status = 403, description = "Not an Admin or a key with the admin scope", body = ErrorBody), (status = 404, description = "No such endpoint in this organization", body = ErrorBody)),
    security(("apiKey" = []), ("session" = []))
)]
pub async fn delete(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    Api(caller): Api,
) -> Result<Response, ApiError> {
    let id = EndpointId::from_path(&id)?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    endpoints::delete(&mut conn, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /~{org}/webhooks/{id}/rotate`: a new secret, answered this once; the one before
/// signs too for 24 hours.
#[utoipa::path(
    post, operation_id = "rotateEndpointSecret", path = "/~{org}/webhooks/{id}/rotate", tag = "Webhooks",
    summary = "Rotate an endpoint's secret (both sign for 24 hours)",
    params(("org" = String, Path, description = "The organization's slug"), ("id" = String, Path, description = "The endpoint's `$id`")),
    responses((status = 200, description = "Rotated, with the new `secret`", body = EndpointResource), (status = 401, description = "No key or session", body = ErrorBody), (status = 403, description = "Not an Admin or a key with the admin scope", body = ErrorBody), (status = 404, description = "No such endpoint in this organization", body = ErrorBody)),
    security(("apiKey" = []), ("session" = []))
)]
pub async fn rotate(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    Api(caller): Api,
) -> Result<Response, ApiError> {
    let id = EndpointId::from_path(&id)?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let rotated = endpoints::rotate(&mut conn, state.secrets_key.as_ref(), &caller, &id).await?;
    Ok(axum::Json(with_secret(rotated)).into_response())
}

/// `GET /~{org}/webhooks/{id}/deliveries`: `status`, `type`, `cursor`; newest first.
#[utoipa::path(
    get, operation_id = "listDeliveries", path = "/~{org}/webhooks/{id}/deliveries", tag = "Webhooks",
    summary = "An endpoint's deliveries with their attempts, newest first",
    params(("org" = String, Path, description = "The organization's slug"), ("id" = String, Path, description = "The endpoint's `$id`"),
        ("status" = Option<String>, Query, description = "Pending, Delivered or Failed"),
        ("type" = Option<String>, Query, description = "An event type"),
        ("cursor" = Option<String>, Query, description = "The previous page's `cursor`")),
    responses((status = 200, description = "A page of deliveries", body = DeliveryPageBody), (status = 401, description = "No key or session", body = ErrorBody), (status = 403, description = "Not an Admin or a key with the admin scope", body = ErrorBody), (status = 404, description = "No such endpoint in this organization", body = ErrorBody), (status = 422, description = "Invalid input, with the field at fault", body = ErrorBody)),
    security(("apiKey" = []), ("session" = []))
)]
pub async fn deliveries(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    Api(caller): Api,
    query: Pairs,
) -> Result<Response, ApiError> {
    let id = EndpointId::from_path(&id)?;
    let mut filters = DeliveryQuery::default();
    for (key, value) in pairs(&query) {
        match key {
            "status" if !value.is_empty() => {
                filters.status = Some(DeliveryStatus::parse(value).ok_or_else(|| {
                    DomainError::field("status", "status is Pending, Delivered or Failed")
                })?);
            }
            "type" => filters.event_type = Some(value.to_owned()),
            "cursor" => filters.before = Some(value.to_owned()),
            _ => {}
        }
    }
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let page = deliveries::page(&mut conn, &caller, &id, &filters).await?;
    Ok(axum::Json(DeliveryPageBody {
        has_more: page.next_before.is_some(),
        cursor: page.next_before,
        results: page.deliveries.into_iter().map(Into::into).collect(),
    })
    .into_response())
}

/// `POST /~{org}/webhooks/{id}/deliveries/{delivery}/resend`: 202.
#[utoipa::path(
    post, operation_id = "resendDelivery", path = "/~{org}/webhooks/{id}/deliveries/{delivery}/resend", tag = "Webhooks",
    summary = "Send a delivery again (same webhook-id)",
    params(("org" = String, Path, description = "The organization's slug"), ("id" = String, Path, description = "The endpoint's `$id`"), ("delivery" = String, Path, description = "The delivery's `$id`")),
    responses((status = 202, description = "Queued", body = Queued), (status = 401, description = "No key or session", body = ErrorBody), (status = 403, description = "Not an Admin or a key with the admin scope", body = ErrorBody), (status = 404, description = "No such delivery of this endpoint", body = ErrorBody), (status = 409, description = "It is on its way already", body = ErrorBody)),
    security(("apiKey" = []), ("session" = []))
)]
pub async fn resend(
    State(state): State<AppState>,
    Path((_, id, delivery)): Path<(String, String, String)>,
    Api(caller): Api,
) -> Result<Response, ApiError> {
    let id = EndpointId::from_path(&id)?;
    let delivery = DeliveryId::from_path(&delivery)?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    deliveries::resend(&mut conn, &caller, &id, &delivery).await?;
    let queued = Queued {
        queued: 1,
        delivery: Some(delivery.to_string()),
    };
    Ok((StatusCode::ACCEPTED, axum::Json(queued)).into_response())
}

/// `POST /~{org}/webhooks/{id}/deliveries/resend` `{"since"}`: every failed one since; 202.
#[utoipa::path(
    post, operation_id = "resendFailedDeliveries", path = "/~{org}/webhooks/{id}/deliveries/resend", tag = "Webhooks",
    summary = "Send again every failed delivery made since a moment",
    params(("org" = String, Path, description = "The organization's slug"), ("id" = String, Path, description = "The endpoint's `$id`")),
    request_body = ResendBody,
    responses((status = 202, description = "Queued", body = Queued), (status = 401, description = "No key or session", body = ErrorBody), (status = 403, description = "Not an Admin or a key with the admin scope", body = ErrorBody), (status = 404, description = "No such endpoint in this organization", body = ErrorBody), (status = 422, description = "Invalid input, with the field at fault", body = ErrorBody)),
    security(("apiKey" = []), ("session" = []))
)]
pub async fn resend_failed(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    Api(caller): Api,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let id = EndpointId::from_path(&id)?;
    let body = body.object()?;
    // A moment that cannot be read is the domain's to refuse, once it has checked the caller.
    let since = body.get("since").and_then(|s| s.as_str()).and_then(|s| {
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
    });
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let queued = deliveries::resend_failed_since(&mut conn, &caller, &id, since).await?;
    let queued = Queued {
        queued,
        delivery: None,
    };
    Ok((StatusCode::ACCEPTED, axum::Json(queued)).into_response())
}

/// `POST /~{org}/webhooks/{id}/test`: a test event, sent within a second; 202.
#[utoipa::path(
    post, operation_id = "sendTestEvent", path = "/~{org}/webhooks/{id}/test", tag = "Webhooks",
    summary = "Send a test event to an endpoint",
    params(("org" = String, Path, description = "The organization's slug"), ("id" = String, Path, description = "The endpoint's `$id`")),
    responses((status = 202, description = "Queued", body = Queued), (status = 401, description = "No key or session", body = ErrorBody), (status = 403, description = "Not an Admin or a key with the admin scope", body = ErrorBody), (status = 404, description = "No such endpoint in this organization", body = ErrorBody)),
    security(("apiKey" = []), ("session" = []))
)]
pub async fn test(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    Api(caller): Api,
) -> Result<Response, ApiError> {
    let id = EndpointId::from_path(&id)?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let delivery = deliveries::send_test(&mut conn, &caller, &id).await?;
    let queued = Queued {
        queued: 1,
        delivery: Some(delivery.to_string()),
    };
    Ok((StatusCode::ACCEPTED, axum::Json(queued)).into_response())
}
