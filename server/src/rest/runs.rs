//! `/~{org}/runs` and `/~{org}/workflows/{id}/runs`: run lists (newest first, keyset pages),
//! one run with its steps, retry, cancel, and the bulk retry.

use super::schema::*;
use super::{Api, ApiError, Pairs, Typed, pairs};
use app::state::AppState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use switchyard::entity::RunSummary;
use switchyard::id::RunId;
use switchyard::list_query::RunQuery;
use switchyard::read_model::resource;
use switchyard::read_model::resource::{QueuedRun, RunDetailResource};
use switchyard::{DomainError, WorkflowId};

/// The run filters of the query string; `cursor` is the previous page's, as `before` is.
fn run_query(query: &[(String, String)]) -> Result<RunQuery, ApiError> {
    let renamed: Vec<(&str, &str)> = pairs(query)
        .into_iter()
        .map(|(k, v)| (if k == "cursor" { "before" } else { k }, v))
        .collect();
    RunQuery::parse(&renamed).map_err(|e| match e {
        DomainError::Validation(mut fields) => {
            for f in &mut fields {
                if f.field == "before" {
                    f.field = "cursor".into();
                    f.message = "cursor must be the `cursor` of an earlier page".into();
                }
            }
            DomainError::Validation(fields).into()
        }
        other => other.into(),
    })
}

fn page(runs: &[RunSummary], next: Option<RunId>) -> Response {
    let answer = RunPage {
        results: runs.iter().map(resource::run).collect(),
        has_more: next.is_some(),
        cursor: next.map(|id| id.to_string()),
    };
    axum::Json(answer).into_response()
}

/// `GET /~{org}/runs`: `status`, `range`, `workflow`, `step`, `error`, `group`, `version`,
/// `batch`, `cursor`; `{results, hasMore, cursor}`.
#[utoipa::path(
    get, operation_id = "listRuns", path = "/~{org}/runs", tag = "Runs",
    summary = "The organization's runs, newest first",
    params(("org" = String, Path, description = "The organization's slug"),
        ("status" = Option<String>, Query, description = "Queued, Running, Succeeded, Failed, TimedOut, Cancelled"),
        ("range" = Option<String>, Query, description = "24h, 7d, 30d or 90d"),
        ("workflow" = Option<String>, Query, description = "A workflow's `$id`"),
        ("step" = Option<i32>, Query, description = "The step failed at, from 1"),
        ("error" = Option<String>, Query, description = "Text in the error"),
        ("group" = Option<String>, Query, description = "A failure group"),
        ("version" = Option<i32>, Query, description = "The workflow version"),
        ("cursor" = Option<String>, Query, description = "The previous page's `cursor`")),
    responses((status = 200, description = "A page of runs", body = RunPage), (status = 401, description = "No key or session", body = ErrorBody), (status = 403, description = "Not allowed for this key or member", body = ErrorBody), (status = 422, description = "Invalid input, with the field at fault", body = ErrorBody)),
    security(("apiKey" = []), ("session" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Api(caller): Api,
    query: Pairs,
) -> Result<Response, ApiError> {
    let query = run_query(&query)?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let list = switchyard::read_model::run::search(&mut conn, &caller, &query).await?;
    Ok(page(&list.runs, list.next))
}

/// `GET /~{org}/workflows/{id}/runs`: the workflow's runs, with the same filters.
#[utoipa::path(
    get, operation_id = "listWorkflowRuns", path = "/~{org}/workflows/{id}/runs", tag = "Runs",
    summary = "A workflow's runs, newest first (the run filters apply)",
    params(("org" = String, Path, description = "The organization's slug"), ("id" = String, Path, description = "The workflow's `$id`"), ("cursor" = Option<String>, Query, description = "The previous page's `cursor`")),
    responses((status = 200, description = "A page of runs", body = RunPage), (status = 401, description = "No key or session", body = ErrorBody), (status = 403, description = "Not allowed for this key or member", body = ErrorBody), (status = 404, description = "No such id in this organization", body = ErrorBody), (status = 422, description = "Invalid input, with the field at fault", body = ErrorBody)),
    security(("apiKey" = []), ("session" = []))
)]
pub async fn of_workflow(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    Api(caller): Api,
    query: Pairs,
) -> Result<Response, ApiError> {
    let id = WorkflowId::from_path(&id)?;
    let query = run_query(&query)?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let history = switchyard::read_model::run::history(&mut conn, &caller, &id, &query).await?;
    Ok(page(&history.runs, history.next))
}

/// `GET /~{org}/runs/{id}`: the run with its event and every step.
#[utoipa::path(
    get, operation_id = "getRun", path = "/~{org}/runs/{id}", tag = "Runs",
    summary = "A run with its event and every step",
    params(("org" = String, Path, description = "The organization's slug"), ("id" = String, Path, description = "The run's `$id`")),
    responses((status = 200, description = "The run", body = RunDetailResource), (status = 401, description = "No key or session", body = ErrorBody), (status = 403, description = "Not allowed for this key or member", body = ErrorBody), (status = 404, description = "No such id in this organization", body = ErrorBody)),
    security(("apiKey" = []), ("session" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    Api(caller): Api,
) -> Result<Response, ApiError> {
    let id = RunId::from_path(&id)?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let detail = switchyard::read_model::run::detail(&mut conn, &caller, &id).await?;
    Ok(axum::Json(resource::run_detail(&detail)).into_response())
}

/// Retries a run: `{"from": "start" | "failed-step", "expectRetries"?: n}`; 202 with the new
/// run. `expectRetries` refuses the retry (409) when others were queued since the caller
/// looked.
#[utoipa::path(
    post, operation_id = "retryRun", path = "/~{org}/runs/{id}/retry", tag = "Runs",
    summary = "Retry a run from the start or from its failed step",
    params(("org" = String, Path, description = "The organization's slug"), ("id" = String, Path, description = "The run's `$id`")), request_body = RetryBody,
    responses((status = 202, description = "The new run", body = QueuedRun), (status = 401, description = "No key or session", body = ErrorBody), (status = 403, description = "Not allowed for this key or member", body = ErrorBody), (status = 404, description = "No such id in this organization", body = ErrorBody),
        (status = 409, description = "Not retryable now, or retried since", body = ErrorBody), (status = 422, description = "Invalid input, with the field at fault", body = ErrorBody)),
    security(("apiKey" = []), ("session" = []))
)]
pub async fn retry(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    Api(caller): Api,
    Typed(body): Typed<RetryBody>,
) -> Result<Response, ApiError> {
    let from = switchyard::retry::parse_from(body.from.as_deref().unwrap_or_default())?;
    let id = RunId::from_path(&id)?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let based_on = body.expect_retries;
    let run = switchyard::retry::retry(&mut conn, &caller, &id, from, based_on).await?;
    let answer = QueuedRun::retried(&run, &id, from.as_str());
    Ok(super::accepted(answer))
}

/// Asks a run to stop; 202. It ends Cancelled before its next step.
#[utoipa::path(
    post, operation_id = "cancelRun", path = "/~{org}/runs/{id}/cancel", tag = "Runs",
    summary = "Ask a run to stop before its next step",
    params(("org" = String, Path, description = "The organization's slug"), ("id" = String, Path, description = "The run's `$id`")),
    responses((status = 202, description = "Asked", body = Cancelled), (status = 401, description = "No key or session", body = ErrorBody), (status = 403, description = "Not allowed for this key or member", body = ErrorBody), (status = 404, description = "No such id in this organization", body = ErrorBody),
        (status = 409, description = "It has ended", body = ErrorBody)),
    security(("apiKey" = []), ("session" = []))
)]
pub async fn cancel(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    Api(caller): Api,
) -> Result<Response, ApiError> {
    let id = RunId::from_path(&id)?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    switchyard::retry::cancel(&mut conn, &caller, &id).await?;
    let answer = Cancelled {
        id: id.to_string(),
        type_: "Run".into(),
        cancel_requested: true,
    };
    Ok(super::accepted(answer))
}

/// Retries the runs a filter lets through as one batch: `{"filter": {"status", "range",
/// "workflow", "step", "error", "group", "version"}, "from", "key"?}` (or an
/// `Idempotency-Key` header); 202 with the batch. The same key queues the batch once.
#[utoipa::path(
    post, operation_id = "retryRuns", path = "/~{org}/runs/retry", tag = "Runs",
    summary = "Retry every run a filter lets through, as one batch",
    params(("org" = String, Path, description = "The organization's slug"), ("Idempotency-Key" = Option<String>, Header, description = "Queues the batch once")),
    request_body = BulkRetryBody,
    responses((status = 202, description = "The batch", body = Batch), (status = 401, description = "No key or session", body = ErrorBody), (status = 403, description = "Not allowed for this key or member", body = ErrorBody), (status = 422, description = "Invalid input, with the field at fault", body = ErrorBody)),
    security(("apiKey" = []), ("session" = []))
)]
pub async fn retry_bulk(
    State(state): State<AppState>,
    Api(caller): Api,
    headers: HeaderMap,
    Typed(body): Typed<BulkRetryBody>,
) -> Result<Response, ApiError> {
    let query = RunQuery::from_filter(&body.filter)?;
    let from = switchyard::retry::parse_from(body.from.as_deref().unwrap_or_default())?;
    let key = body.key(&headers);
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let queued = switchyard::retry::retry_bulk(&mut conn, &caller, &query, from, &key).await?;
    let answer = Batch::queued(&queued, from);
    Ok(super::accepted(answer))
}
