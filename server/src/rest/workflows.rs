//! `/~{org}/workflows`: list, create, read, update (a merge, with an optimistic lock), delete,
//! the verbs, and the dry run.

use super::schema::*;
use super::{Api, ApiError, JsonBody, Pairs, accepted, pairs};
use app::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use switchyard::read_model::resource::QueuedRun;
use switchyard::verbs::Posted;
use switchyard::workflow::resource::WorkflowResource;
use switchyard::{DomainError, Workflow, WorkflowId, verbs};

/// The resource with its version as a weak `ETag`.
fn with_etag(status: StatusCode, workflow: &Workflow) -> Response {
    let etag = format!("W/\"{}\"", workflow.version);
    (
        status,
        [(header::ETAG, etag)],
        axum::Json(WorkflowResource::from(workflow)),
    )
        .into_response()
}

/// `GET /~{org}/workflows`: flat filters, `filter`, `q`, `sort`, `limit`, `cursor`;
/// `{results, total, hasMore, cursor}`.
#[utoipa::path(
    get, operation_id = "listWorkflows", path = "/~{org}/workflows", tag = "Workflows",
    summary = "List and search workflows",
    description = "Flat filters on any field (`?status=Activated&triggerEvent=Deal.won`) or `filter`, URL-encoded JSON with `$eq $ne $gt $gte $lt $lte $in $nin $exists $regex $and $or $not`; `q` searches name and description; `sort` takes fields with a leading `-` for descending (default `-$createdAt`); keyset pages with `cursor`.",
    params(("org" = String, Path, description = "The organization's slug"),
        ("filter" = Option<String>, Query, description = "MongoDB-style filter, JSON"),
        ("q" = Option<String>, Query, description = "Text in the name or description"),
        ("sort" = Option<String>, Query, description = "Like `-lastRunAt,name`"),
        ("limit" = Option<i64>, Query, description = "1 to 100, default 25"),
        ("cursor" = Option<String>, Query, description = "The previous page's `cursor`"),
        ("status" = Option<String>, Query, description = "A flat filter; any field works the same way")),
    responses((status = 200, description = "A page of workflows", body = WorkflowPage), (status = 401, description = "No key or session", body = ErrorBody), (status = 403, description = "Not allowed for this key or member", body = ErrorBody), (status = 422, description = "Invalid input, with the field at fault", body = ErrorBody)),
    security(("apiKey" = []), ("session" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Api(caller): Api,
    query: Pairs,
) -> Result<Response, ApiError> {
    let search = switchyard::workflow_search::Search::parse(&pairs(&query))?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let page = switchyard::read_model::workflow::search(&mut conn, &caller, &search).await?;
    Ok(axum::Json(WorkflowPage::from(page)).into_response())
}

/// `POST /~{org}/workflows`: 201 with the new workflow (Draft, version 1) and its `Location`.
#[utoipa::path(
    post, operation_id = "createWorkflow", path = "/~{org}/workflows", tag = "Workflows",
    summary = "Create a workflow (Draft, version 1)",
    params(("org" = String, Path, description = "The organization's slug")), request_body = WorkflowFieldsBody,
    responses((status = 201, description = "Created; `Location` names it", body = WorkflowResource), (status = 401, description = "No key or session", body = ErrorBody), (status = 403, description = "Not allowed for this key or member", body = ErrorBody), (status = 422, description = "Invalid input, with the field at fault", body = ErrorBody)),
    security(("apiKey" = []), ("session" = []))
)]
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
#[utoipa::path(
    get, operation_id = "getWorkflow", path = "/~{org}/workflows/{id}", tag = "Workflows",
    summary = "Read a workflow; its version is the weak `ETag`",
    params(("org" = String, Path, description = "The organization's slug"), ("id" = String, Path, description = "The workflow's `$id`")),
    responses((status = 200, description = "The workflow", body = WorkflowResource), (status = 401, description = "No key or session", body = ErrorBody), (status = 403, description = "Not allowed for this key or member", body = ErrorBody), (status = 404, description = "No such id in this organization", body = ErrorBody)),
    security(("apiKey" = []), ("session" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    Api(caller): Api,
) -> Result<Response, ApiError> {
    let id = WorkflowId::from_path(&id)?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let workflow = switchyard::read_model::workflow::get(&mut conn, &caller, &id).await?;
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
#[utoipa::path(
    put, operation_id = "updateWorkflow", path = "/~{org}/workflows/{id}", tag = "Workflows",
    summary = "Change a workflow's fields (a merge)",
    description = "Send `$version` or `If-Match` for the optimistic lock: a stale one answers 409 with `current`.",
    params(("org" = String, Path, description = "The organization's slug"), ("id" = String, Path, description = "The workflow's `$id`"), ("If-Match" = Option<String>, Header, description = "The `ETag` a read gave")),
    request_body = WorkflowFieldsBody,
    responses((status = 200, description = "The workflow at its new version", body = WorkflowResource), (status = 401, description = "No key or session", body = ErrorBody), (status = 403, description = "Not allowed for this key or member", body = ErrorBody), (status = 404, description = "No such id in this organization", body = ErrorBody),
        (status = 409, description = "Stale version, or a status that allows no update", body = ErrorBody), (status = 422, description = "Invalid input, with the field at fault", body = ErrorBody)),
    security(("apiKey" = []), ("session" = []))
)]
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
#[utoipa::path(
    delete, operation_id = "deleteWorkflow", path = "/~{org}/workflows/{id}", tag = "Workflows",
    summary = "Delete a workflow (the delete verb)",
    params(("org" = String, Path, description = "The organization's slug"), ("id" = String, Path, description = "The workflow's `$id`")),
    responses((status = 204, description = "Deleted"), (status = 401, description = "No key or session", body = ErrorBody), (status = 403, description = "Not allowed for this key or member", body = ErrorBody), (status = 404, description = "No such id in this organization", body = ErrorBody),
        (status = 409, description = "The status does not allow it", body = ErrorBody)),
    security(("apiKey" = []), ("session" = []))
)]
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
#[utoipa::path(
    post, operation_id = "applyVerb", path = "/~{org}/workflows/{id}/{verb}", tag = "Workflows",
    summary = "Apply a verb: activate, pause, archive or trigger",
    description = "activate, pause and archive answer 200 with the workflow; trigger answers 202 with the queued run, the body being its sample payload.",
    params(("org" = String, Path, description = "The organization's slug"), ("id" = String, Path, description = "The workflow's `$id`"), ("verb" = String, Path, description = "activate, pause, archive or trigger")),
    request_body(content = Option<Object>, description = "trigger: the sample payload"),
    responses((status = 200, description = "The workflow as it now is", body = WorkflowResource),
        (status = 202, description = "trigger: the run queued", body = QueuedRun), (status = 401, description = "No key or session", body = ErrorBody), (status = 403, description = "Not allowed for this key or member", body = ErrorBody), (status = 404, description = "No such id in this organization", body = ErrorBody),
        (status = 409, description = "The status does not allow it", body = ErrorBody), (status = 422, description = "Invalid input, with the field at fault", body = ErrorBody)),
    security(("apiKey" = []), ("session" = []))
)]
pub async fn verb(
    State(state): State<AppState>,
    Path((_, id, verb)): Path<(String, String, String)>,
    Api(caller): Api,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let id = WorkflowId::from_path(&id)?;
    let verb = switchyard::Verb::posted(&verb).ok_or_else(ApiError::no_such_verb)?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let posted = verbs::post(&mut conn, &state.hooks, &caller, &id, verb, body.0).await?;
    Ok(posted_answer(posted))
}

/// A posted verb's answer: 200 with the workflow as it now is, or 202 with the run queued.
fn posted_answer(posted: Posted) -> Response {
    match posted {
        Posted::Moved(workflow) => with_etag(StatusCode::OK, &workflow),
        Posted::Queued(workflow, run) => accepted(QueuedRun::triggered(&run, &workflow)),
    }
}

/// The dry run: what each step of the workflow would do with the body as sample data, without
/// running or writing anything; 200 with `{"sample", "steps"}`.
#[utoipa::path(
    post, operation_id = "previewWorkflow", path = "/~{org}/workflows/{id}/preview", tag = "Workflows",
    summary = "Dry run: what each step would do with sample data",
    params(("org" = String, Path, description = "The organization's slug"), ("id" = String, Path, description = "The workflow's `$id`")), request_body(content = Option<Object>, description = "The sample data"),
    responses((status = 200, description = "Each step's outcome; nothing runs or is written", body = switchyard::preview::DryRun), (status = 401, description = "No key or session", body = ErrorBody), (status = 403, description = "Not allowed for this key or member", body = ErrorBody), (status = 404, description = "No such id in this organization", body = ErrorBody), (status = 422, description = "Invalid input, with the field at fault", body = ErrorBody)),
    security(("apiKey" = []), ("session" = []))
)]
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
        switchyard::engine::dry_run_saved(&mut conn, &caller, &id, &sample.to_string()).await?;
    Ok(axum::Json(dry).into_response())
}

/// `POST /~{org}/workflows/{id}/alerts/acknowledge`: the workflow's failure-rate alerts raised
/// so far are seen; 200 with the moment they are acknowledged through.
#[utoipa::path(
    post, operation_id = "acknowledgeAlerts", path = "/~{org}/workflows/{id}/alerts/acknowledge", tag = "Workflows",
    summary = "Acknowledge a workflow's failure-rate alerts",
    description = "The alerts raised so far show as acknowledged on the dashboard, by whom and when; a later alert asks for attention again.",
    params(("org" = String, Path, description = "The organization's slug"), ("id" = String, Path, description = "The workflow's `$id`")),
    responses((status = 200, description = "Acknowledged", body = switchyard::read_model::resource::AcknowledgedAlerts),
        (status = 401, description = "No key or session", body = ErrorBody), (status = 403, description = "Not allowed for this key or member", body = ErrorBody), (status = 404, description = "No such id in this organization", body = ErrorBody)),
    security(("apiKey" = []), ("session" = []))
)]
pub async fn acknowledge_alerts(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    Api(caller): Api,
) -> Result<Response, ApiError> {
    let id = WorkflowId::from_path(&id)?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let acknowledged = switchyard::alerts::acknowledge(&mut conn, &caller, &id).await?;
    Ok((StatusCode::OK, axum::Json(acknowledged)).into_response())
}
