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
