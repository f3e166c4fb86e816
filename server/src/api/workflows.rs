//! `/~{org}/workflows`: list, create, read, update (a merge, with an optimistic lock), delete,
//! the verbs, and the dry run.

use super::{Api, ApiError, JsonBody, Pairs, pairs};
use app::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use switchyard::workflow::resource::to_resource;
use switchyard::{DomainError, Workflow, WorkflowId, verbs};

/// The resource with its version as a weak `ETag`.
fn with_etag(status: StatusCode, workflow: &Workflow) -> Response {
    let etag = format!("W/\"{}\"", workflow.version);
    (
        status,
        [(header::ETAG, etag)],
        axum::Json(to_resource(workflow)),
    )
        .into_response()
}

/// `GET /~{org}/workflows`: flat filters, `filter`, `q`, `sort`, `limit`, `cursor`;
/// `{results, total, hasMore, cursor}`.
pub async fn list(
    State(state): State<AppState>,
    Api(caller): Api,
    query: Pairs,
) -> Result<Response, ApiError> {
    let search = switchyard::search::Search::parse(&pairs(&query))?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let page = switchyard::view::workflow::search(&mut conn, &caller, &search).await?;
    let results: Vec<Value> = page.results.iter().map(to_resource).collect();
    let answer = json!({
        "results": results, "total": page.total, "hasMore": page.has_more, "cursor": page.cursor,
    });
    Ok(axum::Json(answer).into_response())
}

/// `POST /~{org}/workflows`: 201 with the new workflow (Draft, version 1) and its `Location`.
pub async fn create(
    State(state): State<AppState>,
    Path(org): Path<String>,
    Api(caller): Api,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let fields = body.object()?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let workflow = verbs::create_from(&mut conn, &state.hooks, &caller, &fields).await?;
    let mut answer = with_etag(StatusCode::CREATED, &workflow);
    if let Ok(location) = format!("/~{org}/workflows/{}", workflow.id).parse() {
        answer.headers_mut().insert(header::LOCATION, location);
    }
    Ok(answer)
}

/// `GET /~{org}/workflows/{id}`, with its version as a weak `ETag`.
pub async fn get(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    Api(caller): Api,
) -> Result<Response, ApiError> {
    let id = WorkflowId::from_path(&id)?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let workflow = switchyard::view::workflow::get(&mut conn, &caller, &id).await?;
    Ok(with_etag(StatusCode::OK, &workflow))
}

/// The version an `If-Match` header names (`"3"`, `W/"3"`), if it names one.
fn if_match(headers: &HeaderMap) -> Result<Option<i32>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|v| v.parse().ok())
        .map(Some)
        .ok_or_else(|| {
            DomainError::field(
                "If-Match",
                "If-Match must be the ETag a read gave, like W/\"3\"",
            )
            .into()
        })
}

/// `PUT /~{org}/workflows/{id}`: merges the given fields; 200 with the workflow, or 409 with
/// `current` when `If-Match` or `$version` is not its version any more.
pub async fn update(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    Api(caller): Api,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let id = WorkflowId::from_path(&id)?;
    let based_on = if_match(&headers)?;
    let patch = body.object()?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let workflow = verbs::merge(&mut conn, &state.hooks, &caller, &id, based_on, &patch).await?;
    Ok(with_etag(StatusCode::OK, &workflow))
}

/// `DELETE /~{org}/workflows/{id}`: the delete verb; 204.
pub async fn delete(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    Api(caller): Api,
) -> Result<Response, ApiError> {
    let id = WorkflowId::from_path(&id)?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    verbs::delete(&mut conn, &state.hooks, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /~{org}/workflows/{id}/{verb}`: activate, pause and archive answer 200 with the
/// workflow as it now is; trigger answers 202 with the queued run, the body being its sample
/// payload.
pub async fn verb(
    State(state): State<AppState>,
    Path((_, id, verb)): Path<(String, String, String)>,
    Api(caller): Api,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let id = WorkflowId::from_path(&id)?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let (conn, hooks) = (&mut conn, &state.hooks);
    let workflow = match verb.as_str() {
        "activate" => verbs::activate(conn, hooks, &caller, &id).await?,
        "pause" => verbs::pause(conn, hooks, &caller, &id).await?,
        "archive" => verbs::archive(conn, hooks, &caller, &id).await?,
        "trigger" => {
            let payload = body.0.unwrap_or(Value::Null);
            let (workflow, run) = verbs::trigger(conn, hooks, &caller, &id, payload).await?;
            let answer = json!({
                "$id": run,
                "$type": "Run",
                "status": switchyard::run::RunStatus::Queued,
                "workflow": {
                    "$id": workflow.id, "$type": "Workflow", "name": workflow.name,
                    "status": workflow.status, "$version": workflow.version,
                },
            });
            return Ok((StatusCode::ACCEPTED, axum::Json(answer)).into_response());
        }
        _ => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "There is no such verb: use activate, pause, archive or trigger (DELETE deletes, PUT updates).",
            ));
        }
    };
    Ok(with_etag(StatusCode::OK, &workflow))
}

/// The dry run: what each step of the workflow would do with the body as sample data, without
/// running or writing anything; 200 with `{"sample", "steps"}`.
pub async fn preview(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    Api(caller): Api,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let sample = body.0.unwrap_or(Value::Null);
    let id = WorkflowId::from_path(&id)?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let dry =
        switchyard::retry::dry_run_saved(&mut conn, &caller, &id, &sample.to_string()).await?;
    Ok(axum::Json(dry).into_response())
}
