//! `/~{org}/runs` and `/~{org}/workflows/{id}/runs`: run lists (newest first, keyset pages),
//! one run with its steps, retry, cancel, and the bulk retry.

use super::{Api, ApiError, JsonBody, Pairs, pairs};
use app::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use switchyard::entity::RunSummary;
use switchyard::id::RunId;
use switchyard::query::RunQuery;
use switchyard::view::resource;
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
    let results: Vec<Value> = runs.iter().map(resource::run).collect();
    axum::Json(json!({ "results": results, "hasMore": next.is_some(), "cursor": next }))
        .into_response()
}

/// `GET /~{org}/runs`: `status`, `range`, `workflow`, `step`, `error`, `group`, `version`,
/// `batch`, `cursor`; `{results, hasMore, cursor}`.
pub async fn list(
    State(state): State<AppState>,
    Api(caller): Api,
    query: Pairs,
) -> Result<Response, ApiError> {
    let query = run_query(&query)?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let list = switchyard::view::run::search(&mut conn, &caller, &query).await?;
    Ok(page(&list.runs, list.next))
}

/// `GET /~{org}/workflows/{id}/runs`: the workflow's runs, with the same filters.
pub async fn of_workflow(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    Api(caller): Api,
    query: Pairs,
) -> Result<Response, ApiError> {
    let id = WorkflowId::from_path(&id)?;
    let query = run_query(&query)?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let history = switchyard::view::run::history(&mut conn, &caller, &id, &query).await?;
    Ok(page(&history.runs, history.next))
}

/// `GET /~{org}/runs/{id}`: the run with its event and every step.
pub async fn get(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    Api(caller): Api,
) -> Result<Response, ApiError> {
    let id = RunId::from_path(&id)?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let detail = switchyard::view::run::detail(&mut conn, &caller, &id).await?;
    Ok(axum::Json(resource::run_detail(&detail)).into_response())
}

/// Retries a run: `{"from": "start" | "failed-step", "expectRetries"?: n}`; 202 with the new
/// run. `expectRetries` refuses the retry (409) when others were queued since the caller
/// looked.
pub async fn retry(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    Api(caller): Api,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body = body.0.unwrap_or(Value::Null);
    let from = switchyard::retry::parse_from(body["from"].as_str().unwrap_or_default())?;
    let based_on = match &body["expectRetries"] {
        Value::Null => None,
        seen => Some(seen.as_i64().ok_or_else(|| {
            DomainError::field("expectRetries", "must be a whole number of retries")
        })?),
    };
    let id = RunId::from_path(&id)?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let run = switchyard::retry::retry(&mut conn, &caller, &id, from, based_on).await?;
    let answer = json!({
        "$id": run, "$type": "Run", "status": switchyard::run::RunStatus::Queued,
        "retryOf": id, "from": from.as_str(),
    });
    Ok((StatusCode::ACCEPTED, axum::Json(answer)).into_response())
}

/// Asks a run to stop; 202. It ends Cancelled before its next step.
pub async fn cancel(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    Api(caller): Api,
) -> Result<Response, ApiError> {
    let id = RunId::from_path(&id)?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    switchyard::retry::cancel(&mut conn, &caller, &id).await?;
    let answer = json!({ "$id": id, "$type": "Run", "cancelRequested": true });
    Ok((StatusCode::ACCEPTED, axum::Json(answer)).into_response())
}

/// Retries the runs a filter lets through as one batch: `{"filter": {"status", "range",
/// "workflow", "step", "error", "group", "version"}, "from", "key"?}` (or an
/// `Idempotency-Key` header); 202 with the batch. The same key queues the batch once.
pub async fn retry_bulk(
    State(state): State<AppState>,
    Api(caller): Api,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let header_key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = body.0.unwrap_or(Value::Null);
    let filter = match &body["filter"] {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                )
            })
            .collect::<Vec<_>>(),
        Value::Null => Vec::new(),
        _ => {
            return Err(DomainError::field("filter", "must be an object of run filters").into());
        }
    };
    let query = RunQuery::parse(&pairs(&filter))?;
    let from = switchyard::retry::parse_from(body["from"].as_str().unwrap_or_default())?;
    let key = body["key"]
        .as_str()
        .map(str::to_owned)
        .or(header_key)
        .unwrap_or_else(|| switchyard::id::random_base62(16));
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let queued = switchyard::retry::retry_bulk(&mut conn, &caller, &query, from, &key).await?;
    let answer = json!({
        "$id": queued.batch, "$type": "RunBatch", "queued": queued.queued,
        "skipped": queued.skipped, "again": queued.again, "from": from.as_str(),
    });
    Ok((StatusCode::ACCEPTED, axum::Json(answer)).into_response())
}
