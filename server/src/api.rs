//! The REST API under `/~{org}`, authenticated with an organization's API key. Errors are
//! `{"error": {"code", "message", "field"?}}`; another organization's key opens nothing.

use app::state::AppState;
use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Path, Query, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use leptos::prelude::LeptosOptions;
use serde_json::{Value, json};
use switchyard::entity::{EventSource, KeyHolder};
use switchyard::ingest::{self, PostedEvent};
use switchyard::{DomainError, WorkflowId, api_key, payload};

/// At most this much body per request.
pub const BODY_LIMIT: usize = 1 << 20;

/// An API error in the PRODUCT.md shape.
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }

    fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!("api: {cause}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Something went wrong on our side.",
        )
    }
}

impl From<DomainError> for ApiError {
    /// The domain's one table of answers: its status and code, and the first field's message.
    fn from(err: DomainError) -> Self {
        let status = StatusCode::from_u16(err.kind().http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let (message, field) = match &err {
            DomainError::Validation(fields) => match fields.first() {
                Some(first) => (first.message.clone(), Some(first.field.clone())),
                None => ("invalid input".to_owned(), None),
            },
            DomainError::NotFound => ("not found".to_owned(), None),
            DomainError::Forbidden => ("not allowed".to_owned(), None),
            DomainError::Internal(_) => return ApiError::internal(err),
            other => (other.to_string(), None),
        };
        ApiError {
            status,
            code: err.code(),
            message,
            field,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(field) = self.field {
            error["field"] = json!(field);
        }
        (self.status, axum::Json(json!({ "error": error }))).into_response()
    }
}

pub fn router(state: AppState) -> Router<LeptosOptions> {
    let (ingest_state, list_state, trigger_state) = (state.clone(), state.clone(), state.clone());
    let (retry_state, cancel_state) = (state.clone(), state.clone());
    let (bulk_state, preview_state) = (state.clone(), state.clone());
    let (list_workflows_state, get_workflow_state) = (state.clone(), state);
    Router::new()
        .route(
            "/~{org}/events",
            post(move |Path(org): Path<String>, req: Request| {
                post_event(ingest_state.clone(), org, req)
            })
            .get(
                move |Path(org): Path<String>,
                      headers: HeaderMap,
                      Query(pairs): Query<Vec<(String, String)>>| {
                    list_events(list_state.clone(), org, headers, pairs)
                },
            ),
        )
        .route(
            "/~{org}/workflows/{id}/trigger",
            post(
                move |Path((org, id)): Path<(String, String)>, req: Request| {
                    trigger(trigger_state.clone(), org, id, req)
                },
            ),
        )
        .route(
            "/~{org}/workflows",
            get(
                move |Path(org): Path<String>,
                      headers: HeaderMap,
                      Query(pairs): Query<Vec<(String, String)>>| {
                    list_workflows(list_workflows_state.clone(), org, headers, pairs)
                },
            ),
        )
        .route(
            "/~{org}/workflows/{id}",
            get(
                move |Path((org, id)): Path<(String, String)>, headers: HeaderMap| {
                    get_workflow(get_workflow_state.clone(), org, id, headers)
                },
            ),
        )
        .route(
            "/~{org}/workflows/{id}/preview",
            post(
                move |Path((org, id)): Path<(String, String)>, req: Request| {
                    preview(preview_state.clone(), org, id, req)
                },
            ),
        )
        .route(
            "/~{org}/runs/retry",
            post(move |Path(org): Path<String>, req: Request| {
                retry_bulk(bulk_state.clone(), org, req)
            }),
        )
        .route(
            "/~{org}/runs/{id}/retry",
            post(
                move |Path((org, id)): Path<(String, String)>, req: Request| {
                    retry(retry_state.clone(), org, id, req)
                },
            ),
        )
        .route(
            "/~{org}/runs/{id}/cancel",
            post(
                move |Path((org, id)): Path<(String, String)>, req: Request| {
                    cancel(cancel_state.clone(), org, id, req)
                },
            ),
        )
}

/// The API key the request carries, with its organization, or 401.
async fn authenticate(
    state: &AppState,
    org: &str,
    headers: &HeaderMap,
) -> Result<KeyHolder, ApiError> {
    let unauthorized = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Send an API key of this organization as `Authorization: Bearer <key>`.",
        )
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(unauthorized)?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    api_key::authenticate(&mut conn, org, token.trim())
        .await?
        .ok_or_else(unauthorized)
}

/// The body as JSON, refused unless it says it is JSON, fits `BODY_LIMIT` and nests at most
/// `payload::DEPTH_MAX` levels (and more deeply nested JSON is never built). An empty body
/// is `None`.
async fn read_json(req: Request) -> Result<Option<Value>, ApiError> {
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
        });
    let body: Body = req.into_body();
    let bytes = to_bytes(body, BODY_LIMIT).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "A request may have at most 1 MiB.",
        )
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    if !json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send JSON, with `Content-Type: application/json`.",
        ));
    }
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
        let code = if e.to_string().contains("recursion limit") {
            "too_deep"
        } else {
            "invalid_json"
        };
        ApiError::new(
            StatusCode::BAD_REQUEST,
            code,
            format!("The body is not valid JSON: {e}"),
        )
    })?;
    if payload::depth(&value) > payload::DEPTH_MAX {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "too_deep",
            format!("JSON may nest at most {} levels.", payload::DEPTH_MAX),
        ));
    }
    Ok(Some(value))
}

async fn read_event(req: Request) -> Result<PostedEvent, ApiError> {
    let value = read_json(req).await?.ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid",
            "The body must be {\"type\", \"data\"?, \"id\"?}.",
        )
    })?;
    serde_json::from_value(value).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid",
            format!("The body must be {{\"type\", \"data\"?, \"id\"?}}: {e}"),
        )
    })
}

async fn post_event(state: AppState, org: String, req: Request) -> Result<Response, ApiError> {
    let holder = authenticate(&state, &org, req.headers()).await?;
    let posted = read_event(req).await?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let accepted =
        ingest::ingest(&mut conn, &holder.org.id, &posted, EventSource::Api, None).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(accepted)).into_response())
}

async fn list_events(
    state: AppState,
    org: String,
    headers: HeaderMap,
    pairs: Vec<(String, String)>,
) -> Result<Response, ApiError> {
    let holder = authenticate(&state, &org, &headers).await?;
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let query = switchyard::query::EventFeedQuery::parse(&pairs)?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let (events, has_more) = switchyard::view::event::feed(&mut conn, &holder, &query).await?;
    let results: Vec<Value> = events
        .into_iter()
        .map(|e| {
            json!({
                "$id": e.id,
                "$type": "Event",
                "type": e.event_type,
                "data": e.data,
                "source": e.source.as_str(),
                "$createdAt": e.created_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            })
        })
        .collect();
    Ok(axum::Json(json!({ "results": results, "hasMore": has_more })).into_response())
}

/// The trigger verb: one run of the workflow now, with the body as its sample payload.
async fn trigger(
    state: AppState,
    org: String,
    id: String,
    req: Request,
) -> Result<Response, ApiError> {
    let holder = authenticate(&state, &org, req.headers()).await?;
    let payload = read_json(req).await?.unwrap_or(Value::Null);
    let id = WorkflowId::from_path(&id)?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let (workflow, run) =
        switchyard::verbs::trigger(&mut conn, &state.hooks, &holder, &id, payload).await?;
    let answer = json!({
        "$id": run,
        "$type": "Run",
        "status": switchyard::run::RunStatus::Queued,
        "workflow": { "$id": workflow.id, "$type": "Workflow", "name": workflow.name, "status": workflow.status, "$version": workflow.version },
    });
    Ok((StatusCode::ACCEPTED, axum::Json(answer)).into_response())
}

/// Retries a run: `{"from": "start" | "failed-step", "expectRetries"?: n}`; 202 with the new
/// run. `expectRetries` refuses the retry (409) when others were queued since the caller
/// looked.
async fn retry(
    state: AppState,
    org: String,
    id: String,
    req: Request,
) -> Result<Response, ApiError> {
    let holder = authenticate(&state, &org, req.headers()).await?;
    let body = read_json(req).await?.unwrap_or(Value::Null);
    let from = switchyard::retry::parse_from(body["from"].as_str().unwrap_or_default())?;
    let based_on = match &body["expectRetries"] {
        Value::Null => None,
        seen => Some(seen.as_i64().ok_or_else(|| {
            switchyard::DomainError::field("expectRetries", "must be a whole number of retries")
        })?),
    };
    let id = switchyard::id::RunId::from_path(&id)?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let run = switchyard::retry::retry(&mut conn, &holder, &id, from, based_on).await?;
    let answer = json!({
        "$id": run, "$type": "Run", "status": switchyard::run::RunStatus::Queued,
        "retryOf": id, "from": from.as_str(),
    });
    Ok((StatusCode::ACCEPTED, axum::Json(answer)).into_response())
}

/// Asks a run to stop; 202. It ends Cancelled before its next step.
async fn cancel(
    state: AppState,
    org: String,
    id: String,
    req: Request,
) -> Result<Response, ApiError> {
    let holder = authenticate(&state, &org, req.headers()).await?;
    let id = switchyard::id::RunId::from_path(&id)?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    switchyard::retry::cancel(&mut conn, &holder, &id).await?;
    let answer = json!({ "$id": id, "$type": "Run", "cancelRequested": true });
    Ok((StatusCode::ACCEPTED, axum::Json(answer)).into_response())
}

/// Retries the runs a filter lets through as one batch: `{"filter": {"status", "range",
/// "workflow", "step", "error", "group", "version"}, "from", "key"?}` (or an
/// `Idempotency-Key` header); 202 with the batch. The same key queues the batch once.
async fn retry_bulk(state: AppState, org: String, req: Request) -> Result<Response, ApiError> {
    let holder = authenticate(&state, &org, req.headers()).await?;
    let header_key = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = read_json(req).await?.unwrap_or(Value::Null);
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
            return Err(switchyard::DomainError::field(
                "filter",
                "must be an object of run filters",
            )
            .into());
        }
    };
    let pairs: Vec<(&str, &str)> = filter
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let query = switchyard::query::RunQuery::parse(&pairs)?;
    let from = switchyard::retry::parse_from(body["from"].as_str().unwrap_or_default())?;
    let key = body["key"]
        .as_str()
        .map(str::to_owned)
        .or(header_key)
        .unwrap_or_else(|| switchyard::id::random_base62(16));
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let queued = switchyard::retry::retry_bulk(&mut conn, &holder, &query, from, &key).await?;
    let answer = json!({
        "$id": queued.batch, "$type": "RunBatch", "queued": queued.queued,
        "skipped": queued.skipped, "again": queued.again, "from": from.as_str(),
    });
    Ok((StatusCode::ACCEPTED, axum::Json(answer)).into_response())
}

/// The dry run: what each step of the workflow would do with the body as sample data, without
/// running or writing anything; 200 with `{"sample", "steps"}`.
async fn preview(
    state: AppState,
    org: String,
    id: String,
    req: Request,
) -> Result<Response, ApiError> {
    let holder = authenticate(&state, &org, req.headers()).await?;
    let sample = read_json(req).await?.unwrap_or(Value::Null);
    let id = WorkflowId::from_path(&id)?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let dry =
        switchyard::retry::dry_run_saved(&mut conn, &holder, &id, &sample.to_string()).await?;
    Ok(axum::Json(dry).into_response())
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A workflow as the REST API shows it: the spec's field names, and `$id`, `$type`,
/// `$version`, `$createdAt`, `$updatedAt`, `$createdBy`.
fn workflow_resource(w: &switchyard::Workflow) -> Value {
    json!({
        "$id": w.id, "$type": "Workflow", "$version": w.version,
        "$createdAt": rfc3339(w.created_at), "$updatedAt": rfc3339(w.updated_at),
        "$createdBy": w.created_by,
        "name": w.name, "description": w.description, "triggerEvent": w.trigger_event,
        "steps": w.steps, "retryPolicy": w.retry_policy, "errorHandling": w.error_handling,
        "timeout": w.timeout_ms, "status": w.status, "version": w.version,
        "lastRunAt": w.last_run_at.map(rfc3339), "runCount": w.run_count,
        "successCount": w.success_count, "failureCount": w.failure_count,
    })
}

/// `GET /~{org}/workflows`: flat filters (`status`, `triggerEvent`), `q`, `sort`, `limit` and
/// `cursor`; `{results, total, hasMore, cursor}`.
async fn list_workflows(
    state: AppState,
    org: String,
    headers: HeaderMap,
    pairs: Vec<(String, String)>,
) -> Result<Response, ApiError> {
    let holder = authenticate(&state, &org, &headers).await?;
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let query = switchyard::query::WorkflowQuery::parse(&pairs)?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let page = switchyard::view::workflow::list(&mut conn, &holder, &query).await?;
    let results: Vec<Value> = page.results.iter().map(workflow_resource).collect();
    let answer = json!({
        "results": results, "total": page.total, "hasMore": page.has_more, "cursor": page.cursor,
    });
    Ok(axum::Json(answer).into_response())
}

/// `GET /~{org}/workflows/{id}`, with its version as a weak `ETag`.
async fn get_workflow(
    state: AppState,
    org: String,
    id: String,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let holder = authenticate(&state, &org, &headers).await?;
    let id = WorkflowId::from_path(&id)?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let workflow = switchyard::view::workflow::get(&mut conn, &holder, &id).await?;
    let etag = format!("W/\"{}\"", workflow.version);
    Ok((
        [(header::ETAG, etag)],
        axum::Json(workflow_resource(&workflow)),
    )
        .into_response())
}
