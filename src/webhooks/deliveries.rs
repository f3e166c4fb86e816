//! An endpoint's delivery log and what Admins do from it: read every delivery with its
//! attempts (filtered by status and event type, a page at a time), resend one, resend every
//! failed one since a moment, and send a test event. Deliveries of another organization's
//! endpoint, or of a deleted one, are missing.

use crate::db::Conn;
use crate::entity::Actor;
use crate::error::{DomainError, DomainResult};
use crate::id::{DeliveryId, EndpointId};
use crate::repo;
use crate::webhook::{DELIVERY_PAGE, DeliveryPage, DeliveryQuery, TEST_EVENT};
use serde_json::json;
use time::OffsetDateTime;

/// The endpoint, if the actor may keep it (an Admin of its organization; not deleted).
async fn endpoint(conn: &mut Conn, actor: &impl Actor, id: &EndpointId) -> DomainResult<()> {
    super::endpoints::get(conn, actor, id).await.map(drop)
}

/// One page of the endpoint's deliveries, newest first, with their attempts.
pub async fn page(
    conn: &mut Conn,
    actor: &impl Actor,
    id: &EndpointId,
    query: &DeliveryQuery,
) -> DomainResult<DeliveryPage> {
    endpoint(conn, actor, id).await?;
    let mut deliveries =
        repo::delivery::page(conn, &actor.org().id, id, query, DELIVERY_PAGE).await?;
    let next_before = (deliveries.len() as i64 > DELIVERY_PAGE)
        .then(|| deliveries[DELIVERY_PAGE as usize - 1].id.clone());
    deliveries.truncate(DELIVERY_PAGE as usize);
    Ok(DeliveryPage {
        deliveries,
        next_before,
    })
}

/// Sends one delivery again (its attempts so far kept in the log), due now. One still pending
/// is on its way already: `Refused`.
pub async fn resend(
    conn: &mut Conn,
    actor: &impl Actor,
    id: &EndpointId,
    delivery: &DeliveryId,
) -> DomainResult<()> {
    endpoint(conn, actor, id).await?;
    let org = &actor.org().id;
    let now = OffsetDateTime::now_utc();
    if repo::delivery::requeue(conn, org, id, Some(delivery), None, now).await? == 1 {
        return Ok(());
    }
    match repo::delivery::exists(conn, org, id, delivery).await? {
        true => Err(DomainError::Refused(
            "This delivery is on its way already: it has attempts left.".to_owned(),
        )),
        false => Err(DomainError::NotFound),
    }
}

/// Sends again every failed delivery of the endpoint made since `since` (`None`: a moment
/// that could not be read, a field error); how many.
pub async fn resend_failed_since(
    conn: &mut Conn,
    actor: &impl Actor,
    id: &EndpointId,
    since: Option<OffsetDateTime>,
) -> DomainResult<usize> {
    endpoint(conn, actor, id).await?;
    let since = since.ok_or_else(|| {
        DomainError::field("since", "since must be a moment like 2026-12-07T00:00:00Z")
    })?;
    let now = OffsetDateTime::now_utc();
    Ok(repo::delivery::requeue(conn, &actor.org().id, id, None, Some(since), now).await?)
}

/// Queues a test event for the endpoint, sent within a second; its delivery's id.
pub async fn send_test(
    conn: &mut Conn,
    actor: &impl Actor,
    id: &EndpointId,
) -> DomainResult<DeliveryId> {
    endpoint(conn, actor, id).await?;
    let now = OffsetDateTime::now_utc();
    let payload = json!({
        "type": TEST_EVENT,
        "timestamp": crate::timefmt::rfc3339(now),
        "data": {"endpoint": id, "message": "A test event from Switchyard: this endpoint receives its deliveries."},
    });
    Ok(repo::delivery::queue_test(conn, &actor.org().id, id, &payload, now).await?)
}
