//! `/~{org}/alerts`: who the organization's alerts are emailed to (keys with the `admin`
//! scope, Admins' sessions).

use super::schema::*;
use super::{Api, ApiError, JsonBody};
use app::state::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};

/// `GET /~{org}/alerts`: each kind's rule, and the members.
#[utoipa::path(
    get, operation_id = "getAlerts", path = "/~{org}/alerts", tag = "Alerts",
    summary = "Who the alerts are emailed to",
    params(("org" = String, Path, description = "The organization's slug")),
    responses((status = 200, description = "The rules and the members", body = AlertSettingsBody), (status = 401, description = "No key or session", body = ErrorBody), (status = 403, description = "Not an Admin or a key with the admin scope", body = ErrorBody)),
    security(("apiKey" = []), ("session" = []))
)]
pub async fn get(State(state): State<AppState>, Api(caller): Api) -> Result<Response, ApiError> {
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let settings = switchyard::alerts::rules::settings(&mut conn, &caller).await?;
    let members = settings
        .members
        .into_iter()
        .map(|m| AlertMember {
            id: m.user.to_string(),
            name: m.name,
            email: m.email,
            opted_out: m.opted_out,
        })
        .collect();
    let results = settings.rules.into_iter().map(Into::into).collect();
    Ok(axum::Json(AlertSettingsBody { results, members }).into_response())
}

/// `PUT /~{org}/alerts/{kind}`: who one kind of alert goes to, and how often at most.
#[utoipa::path(
    put, operation_id = "setAlertRule", path = "/~{org}/alerts/{kind}", tag = "Alerts",
    summary = "Choose who one kind of alert is emailed to",
    params(("org" = String, Path, description = "The organization's slug"), ("kind" = String, Path, description = "FailureRate, FailureGroup or EndpointDisabled")),
    request_body = AlertRuleBody,
    responses((status = 200, description = "Saved", body = AlertRuleResource), (status = 401, description = "No key or session", body = ErrorBody), (status = 403, description = "Not an Admin or a key with the admin scope", body = ErrorBody), (status = 404, description = "No such kind of alert", body = ErrorBody), (status = 422, description = "Invalid input, with the field at fault", body = ErrorBody)),
    security(("apiKey" = []), ("session" = []))
)]
pub async fn set(
    State(state): State<AppState>,
    Path((_, kind)): Path<(String, String)>,
    Api(caller): Api,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body = body.object()?;
    let email_to: Vec<String> = match body.get("emailTo") {
        Some(serde_json::Value::Array(ids)) => ids
            .iter()
            .map(|id| id.as_str().unwrap_or("not a member").to_owned())
            .collect(),
        None => Vec::new(),
        Some(_) => vec!["not a member".to_owned()],
    };
    let quiet = body
        .get("quietMinutes")
        .map(|q| q.to_string())
        .unwrap_or_else(|| switchyard::alert_rule::QUIET_DEFAULT.to_string());
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let saved =
        switchyard::alerts::rules::save(&mut conn, &caller, &kind, &email_to, &quiet).await?;
    Ok(axum::Json(AlertRuleResource::from(saved)).into_response())
}
