//! `/~{org}/events`: sending an event (what starts workflows), and the feed of recorded ones.

use super::{Api, ApiError, JsonBody, Pairs, pairs};
use app::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use switchyard::ingest::{self, PostedEvent};

/// `POST /~{org}/events`: `{"type": "Deal.won", "data"?: {...}, "id"?: key}`; 202 with the event
/// and the runs it queued. The same `id` records the event once.
pub async fn post(
    State(state): State<AppState>,
    Api(caller): Api,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let shape = "The body must be {\"type\", \"data\"?, \"id\"?}";
    let value = body
        .0
        .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "invalid", format!("{shape}.")))?;
    let posted: PostedEvent = serde_json::from_value(value)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid", format!("{shape}: {e}")))?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let accepted = ingest::send(&mut conn, &caller, &posted).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(accepted)).into_response())
}

/// `GET /~{org}/events`: `since`, `type`, `limit`, `cursor`; `{results, hasMore, cursor}`, in
/// the order events were recorded. Polling with the cursor never misses an event.
pub async fn list(
    State(state): State<AppState>,
    Api(caller): Api,
    query: Pairs,
) -> Result<Response, ApiError> {
    let query = switchyard::query::EventFeedQuery::parse(&pairs(&query))?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let feed = switchyard::view::event::feed(&mut conn, &caller, &query).await?;
    let results: Vec<Value> = feed
        .events
        .iter()
        .map(switchyard::view::resource::event)
        .collect();
    let answer = json!({ "results": results, "hasMore": feed.has_more, "cursor": feed.cursor });
    Ok(axum::Json(answer).into_response())
}
