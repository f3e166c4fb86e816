//! `/~{org}/events`: sending an event (what starts workflows), and the feed of recorded ones.

use super::schema::*;
use super::{Api, ApiError, JsonBody, Pairs, pairs};
use app::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use switchyard::ingest::PostedEvent;

/// `POST /~{org}/events`: `{"type": "Deal.won", "data"?: {...}, "id"?: key}`; 202 with the event
/// and the runs it queued. The same `id` records the event once.
#[utoipa::path(
    post, operation_id = "sendEvent", path = "/~{org}/events", tag = "Events",
    summary = "Send an event: every active workflow listening for its type runs",
    params(("org" = String, Path, description = "The organization's slug")), request_body = EventBody,
    responses((status = 202, description = "Recorded, with the runs it queued", body = switchyard::entity::Accepted), (status = 401, description = "No key or session", body = ErrorBody), (status = 403, description = "Not allowed for this key or member", body = ErrorBody), (status = 422, description = "Invalid input, with the field at fault", body = ErrorBody),
        (status = 413, description = "Over 1 MiB", body = ErrorBody)),
    security(("apiKey" = []), ("session" = []))
)]
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
    let accepted = state.events.send(&caller, &posted).await?;
    Ok(super::accepted(accepted))
}

/// `GET /~{org}/events`: `since`, `type`, `limit`, `cursor`; `{results, hasMore, cursor}`, in
/// the order events were recorded. Polling with the cursor never misses an event.
#[utoipa::path(
    get, operation_id = "listEvents", path = "/~{org}/events", tag = "Events",
    summary = "The event feed, in the order events were recorded",
    description = "Poll with the answer's `cursor` to see every event exactly once.",
    params(("org" = String, Path, description = "The organization's slug"),
        ("cursor" = Option<String>, Query, description = "The previous answer's `cursor`"),
        ("since" = Option<String>, Query, description = "Recorded after this time (RFC 3339)"),
        ("type" = Option<String>, Query, description = "Only this type"),
        ("limit" = Option<i64>, Query, description = "1 to 100")),
    responses((status = 200, description = "A page of events", body = EventPage), (status = 401, description = "No key or session", body = ErrorBody), (status = 403, description = "Not allowed for this key or member", body = ErrorBody), (status = 422, description = "Invalid input, with the field at fault", body = ErrorBody)),
    security(("apiKey" = []), ("session" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Api(caller): Api,
    query: Pairs,
) -> Result<Response, ApiError> {
    let query = switchyard::list_query::EventFeedQuery::parse(&pairs(&query))?;
    let mut conn = state.pool.get().await.map_err(ApiError::internal)?;
    let feed = switchyard::read_model::event::feed(&mut conn, &caller, &query).await?;
    Ok(axum::Json(EventPage::from(feed)).into_response())
}
