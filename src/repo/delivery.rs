//! The webhook outbox's deliveries and their attempts: claimed by a sender for a while (a
//! lease), then settled with what the endpoint answered.

use crate::db::Conn;
use crate::id::{DeliveryId, EndpointId, OrgId};
use crate::schema::{webhook_attempts as a, webhook_deliveries as d, webhook_endpoints as ep};
use crate::sql_text::Sql;
use crate::store_error::QueryResult;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use time::OffsetDateTime;

/// A delivery a sender holds until `lease_until`.
#[derive(Clone, Debug, PartialEq)]
pub struct Claimed {
    pub id: DeliveryId,
    pub org: OrgId,
    pub endpoint: EndpointId,
    pub payload: serde_json::Value,
    /// Attempts made since it was last queued.
    pub tries: i32,
    pub lease_until: OffsetDateTime,
}

/// Claims up to `limit` deliveries due at `now` (pending, their time come, no live lease),
/// oldest due first, until `lease_until`. Two senders never claim the same one.
pub async fn claim(
    conn: &mut Conn,
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
    limit: i64,
) -> QueryResult<Vec<Claimed>> {
    let due: Vec<DeliveryId> = d::table
        .filter(d::status.eq("Pending"))
        .filter(d::next_at.le(now))
        .filter(d::lease_until.is_null().or(d::lease_until.lt(now)))
        .order(d::next_at.asc())
        .limit(limit)
        .select(d::id)
        .for_update()
        .skip_locked()
        .load(conn)
        .await?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(DeliveryId, OrgId, EndpointId, serde_json::Value, i32)> =
        diesel::update(d::table.filter(d::id.eq_any(crate::sql_text::all(&due))))
            .set(d::lease_until.eq(lease_until))
            .returning((d::id, d::org_id, d::endpoint_id, d::payload, d::tries))
            .get_results(conn)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(id, org, endpoint, payload, tries)| Claimed {
            id,
            org,
            endpoint,
            payload,
            tries,
            lease_until,
        })
        .collect())
}

/// Where a delivery goes: its endpoint's URL, if the endpoint still takes deliveries (not
/// disabled, not deleted).
pub async fn target(
    conn: &mut Conn,
    org: &OrgId,
    endpoint: &EndpointId,
) -> QueryResult<Option<String>> {
    ep::table
        .filter(ep::org_id.eq(org.sql()))
        .filter(ep::id.eq(endpoint.sql()))
        .filter(ep::disabled_at.is_null())
        .filter(ep::deleted_at.is_null())
        .select(ep::url)
        .first(conn)
        .await
        .optional()
        .map_err(Into::into)
}

/// One attempt, as the log keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct Attempt {
    pub at: OffsetDateTime,
    pub status: Option<i32>,
    pub duration_ms: i32,
    pub answer: String,
}

/// Where a delivery stands after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settled {
    Delivered,
    /// Tried again at this time.
    Again(OffsetDateTime),
    /// No attempt left, or not worth another (410, the endpoint gone).
    Failed,
}

/// Records `attempt` and what it settles, if `claimed` still holds the delivery (a sender that
/// lost its lease writes nothing); whether it did.
pub async fn settle(
    conn: &mut Conn,
    claimed: &Claimed,
    attempt: &Attempt,
    settled: Settled,
) -> QueryResult<bool> {
    let (status, next_at, ended_at) = match settled {
        Settled::Delivered => ("Delivered", None, Some(attempt.at)),
        Settled::Again(at) => ("Pending", Some(at), None),
        Settled::Failed => ("Failed", None, Some(attempt.at)),
    };
    let held = diesel::update(
        d::table
            .filter(d::id.eq(claimed.id.sql()))
            .filter(d::lease_until.eq(claimed.lease_until))
            .filter(d::status.eq("Pending")),
    )
    .set((
        d::status.eq(status),
        d::tries.eq(d::tries + 1),
        d::next_at.eq(next_at),
        d::ended_at.eq(ended_at),
        d::lease_until.eq(None::<OffsetDateTime>),
    ))
    .execute(conn)
    .await?;
    if held == 0 {
        return Ok(false);
    }
    let n: Option<i32> = a::table
        .filter(a::delivery_id.eq(claimed.id.sql()))
        .select(diesel::dsl::max(a::n))
        .first(conn)
        .await?;
    diesel::insert_into(a::table)
        .values((
            a::delivery_id.eq(claimed.id.sql()),
            a::n.eq(n.unwrap_or(0) + 1),
            a::at.eq(attempt.at),
            a::status.eq(attempt.status),
            a::duration_ms.eq(attempt.duration_ms),
            a::answer.eq(&attempt.answer),
        ))
        .execute(conn)
        .await?;
    Ok(true)
}

/// After a delivery succeeded: the endpoint is not failing.
pub async fn endpoint_answered(conn: &mut Conn, endpoint: &EndpointId) -> QueryResult<()> {
    diesel::update(ep::table.filter(ep::id.eq(endpoint.sql())))
        .set(ep::failing_since.eq(None::<OffsetDateTime>))
        .execute(conn)
        .await?;
    Ok(())
}

/// After a delivery failed: since when the endpoint has been failing (now, if it was not).
pub async fn endpoint_failed(
    conn: &mut Conn,
    endpoint: &EndpointId,
    now: OffsetDateTime,
) -> QueryResult<OffsetDateTime> {
    diesel::update(ep::table.filter(ep::id.eq(endpoint.sql())))
        .set(
            ep::failing_since.eq(diesel::dsl::sql::<
                diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>,
            >("coalesce(failing_since, ")
            .bind::<diesel::sql_types::Timestamptz, _>(now)
            .sql(")")),
        )
        .returning(ep::failing_since)
        .get_result::<Option<OffsetDateTime>>(conn)
        .await
        .map(|since| since.unwrap_or(now))
        .map_err(Into::into)
}

/// Disables an endpoint with `reason`; whether it was taking deliveries until now.
pub async fn disable(
    conn: &mut Conn,
    endpoint: &EndpointId,
    reason: &str,
    now: OffsetDateTime,
) -> QueryResult<bool> {
    let changed = diesel::update(
        ep::table
            .filter(ep::id.eq(endpoint.sql()))
            .filter(ep::disabled_at.is_null()),
    )
    .set((ep::disabled_at.eq(now), ep::disabled_reason.eq(reason)))
    .execute(conn)
    .await?;
    Ok(changed > 0)
}

/// A page of an endpoint's deliveries, newest first, with their attempts (newest first):
/// of `status` and `event_type` when given, older than the delivery `before` when given.
/// At most `limit` + 1 (the caller tells from the extra one that there is a next page).
pub async fn page(
    conn: &mut Conn,
    org: &OrgId,
    endpoint: &EndpointId,
    query: &crate::webhook::DeliveryQuery,
    limit: i64,
) -> QueryResult<Vec<crate::webhook::DeliveryView>> {
    use crate::webhook::{AttemptView, DeliveryStatus, DeliveryView};
    let mut q = d::table
        .filter(d::org_id.eq(org.sql()))
        .filter(d::endpoint_id.eq(endpoint.sql()))
        .into_boxed();
    if let Some(status) = query.status {
        q = q.filter(d::status.eq(status.as_str()));
    }
    if let Some(kind) = query.event_type.as_deref().filter(|k| !k.is_empty()) {
        q = q.filter(d::event_type.eq(kind.to_owned()));
    }
    if let Some(before) = query.before.as_deref().and_then(DeliveryId::parse) {
        let at: Option<OffsetDateTime> = d::table
            .filter(d::id.eq(before.sql()))
            .filter(d::org_id.eq(org.sql()))
            .select(d::created_at)
            .first(conn)
            .await
            .optional()?;
        if let Some(at) = at {
            q = q.filter(
                d::created_at
                    .lt(at)
                    .or(d::created_at.eq(at).and(d::id.lt(before.sql_owned()))),
            );
        }
    }
    type Row = (
        DeliveryId,
        String,
        Option<crate::id::EventId>,
        String,
        OffsetDateTime,
        Option<OffsetDateTime>,
    );
    let rows: Vec<Row> = q
        .order((d::created_at.desc(), d::id.desc()))
        .limit(limit + 1)
        .select((
            d::id,
            d::event_type,
            d::event_id,
            d::status,
            d::created_at,
            d::next_at,
        ))
        .load(conn)
        .await?;
    let ids: Vec<&DeliveryId> = rows.iter().map(|r| &r.0).collect();
    let tried: Vec<(DeliveryId, OffsetDateTime, Option<i32>, i32, String)> = a::table
        .filter(a::delivery_id.eq_any(crate::sql_text::all(&ids)))
        .order((a::delivery_id, a::n.desc()))
        .select((a::delivery_id, a::at, a::status, a::duration_ms, a::answer))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, event_type, event_id, status, created_at, next_at)| {
            let attempts = tried
                .iter()
                .filter(|t| t.0 == id)
                .map(|(_, at, status, duration_ms, answer)| AttemptView {
                    at: *at,
                    status: *status,
                    duration_ms: *duration_ms,
                    answer: answer.clone(),
                })
                .collect();
            DeliveryView {
                id: id.to_string(),
                event_type,
                event_id: event_id.map(|e| e.to_string()),
                status: DeliveryStatus::parse(&status).unwrap_or(DeliveryStatus::Failed),
                created_at,
                next_at,
                attempts,
            }
        })
        .collect())
}

/// Queues deliveries of the endpoint again, due now, with their schedule from the start: the
/// one named by `one`, or every failed one made since `since`; how many.
pub async fn requeue(
    conn: &mut Conn,
    org: &OrgId,
    endpoint: &EndpointId,
    one: Option<&DeliveryId>,
    since: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> QueryResult<usize> {
    let mut q = diesel::update(d::table)
        .filter(d::org_id.eq(org.sql()))
        .filter(d::endpoint_id.eq(endpoint.sql()))
        .filter(d::status.ne("Pending"))
        .into_boxed();
    if let Some(one) = one {
        q = q.filter(d::id.eq(one.clone().sql_owned()));
    }
    if let Some(since) = since {
        q = q
            .filter(d::status.eq("Failed"))
            .filter(d::created_at.ge(since));
    }
    q.set((
        d::status.eq("Pending"),
        d::tries.eq(0),
        d::next_at.eq(now),
        d::ended_at.eq(None::<OffsetDateTime>),
        d::lease_until.eq(None::<OffsetDateTime>),
    ))
    .execute(conn)
    .await
    .map_err(Into::into)
}

/// Queues a test event for the endpoint, due now; its delivery id.
pub async fn queue_test(
    conn: &mut Conn,
    org: &OrgId,
    endpoint: &EndpointId,
    payload: &serde_json::Value,
    now: OffsetDateTime,
) -> QueryResult<DeliveryId> {
    use crate::id::Generate;
    let id = DeliveryId::generate();
    diesel::insert_into(d::table)
        .values((
            d::id.eq(id.sql()),
            d::org_id.eq(org.sql()),
            d::endpoint_id.eq(endpoint.sql()),
            d::event_type.eq(crate::webhook::TEST_EVENT),
            d::payload.eq(payload),
            d::next_at.eq(now),
        ))
        .execute(conn)
        .await?;
    Ok(id)
}

/// Whether the endpoint has the delivery `id` (of any status).
pub async fn exists(
    conn: &mut Conn,
    org: &OrgId,
    endpoint: &EndpointId,
    id: &DeliveryId,
) -> QueryResult<bool> {
    let count: i64 = d::table
        .filter(d::org_id.eq(org.sql()))
        .filter(d::endpoint_id.eq(endpoint.sql()))
        .filter(d::id.eq(id.sql()))
        .count()
        .get_result(conn)
        .await?;
    Ok(count > 0)
}
