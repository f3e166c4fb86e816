//! Stored webhook endpoints: their URL, event types, sealed secrets (the current one, and the
//! one before a rotation while it still signs), and whether they are disabled.

use crate::db::Conn;
use crate::id::{EndpointId, OrgId};
use crate::schema::webhook_endpoints as ep;
use crate::sql_text::Sql;
use crate::store_error::QueryResult;
use crate::webhook::{Endpoint, EndpointSummary};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use time::OffsetDateTime;

/// A sealed secret: nonce, ciphertext, and the id of the key that sealed it.
pub type SealedSecret = (Vec<u8>, Vec<u8>, String);

type SummaryRow = (
    EndpointId,
    String,
    Vec<String>,
    String,
    OffsetDateTime,
    Option<OffsetDateTime>,
    Option<String>,
    Option<OffsetDateTime>,
);

fn summary_columns() -> (
    ep::id,
    ep::url,
    ep::events,
    ep::description,
    ep::created_at,
    ep::disabled_at,
    ep::disabled_reason,
    ep::previous_until,
) {
    (
        ep::id,
        ep::url,
        ep::events,
        ep::description,
        ep::created_at,
        ep::disabled_at,
        ep::disabled_reason,
        ep::previous_until,
    )
}

fn summary(row: SummaryRow) -> EndpointSummary {
    let (id, url, events, description, created_at, disabled_at, reason, previous_until) = row;
    EndpointSummary {
        id: id.to_string(),
        url,
        events,
        description,
        created_at,
        disabled: disabled_at.map(|at| (at, reason.unwrap_or_default())),
        previous_secret_until: previous_until.filter(|until| *until > OffsetDateTime::now_utc()),
    }
}

/// Adds an endpoint with its sealed secret.
pub async fn insert(
    conn: &mut Conn,
    org: &OrgId,
    id: &EndpointId,
    endpoint: &Endpoint,
    secret: &SealedSecret,
    by: &str,
) -> QueryResult<()> {
    diesel::insert_into(ep::table)
        .values((
            ep::id.eq(id.sql()),
            ep::org_id.eq(org.sql()),
            ep::url.eq(&endpoint.url),
            ep::description.eq(&endpoint.description),
            ep::events.eq(&endpoint.events),
            ep::nonce.eq(&secret.0),
            ep::ciphertext.eq(&secret.1),
            ep::key_id.eq(&secret.2),
            ep::created_by.eq(by),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The organization's endpoints (not deleted), oldest first.
pub async fn list(conn: &mut Conn, org: &OrgId) -> QueryResult<Vec<EndpointSummary>> {
    let rows: Vec<SummaryRow> = ep::table
        .filter(ep::org_id.eq(org.sql()))
        .filter(ep::deleted_at.is_null())
        .order((ep::created_at.asc(), ep::id.asc()))
        .select(summary_columns())
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(summary).collect())
}

/// One endpoint of the organization; another's, a deleted one and a missing one are `None`.
pub async fn get(
    conn: &mut Conn,
    org: &OrgId,
    id: &EndpointId,
) -> QueryResult<Option<EndpointSummary>> {
    let row: Option<SummaryRow> = ep::table
        .filter(ep::org_id.eq(org.sql()))
        .filter(ep::id.eq(id.sql()))
        .filter(ep::deleted_at.is_null())
        .select(summary_columns())
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(summary))
}

/// Changes an endpoint's URL, event types and description; whether it had one to change.
pub async fn update(
    conn: &mut Conn,
    org: &OrgId,
    id: &EndpointId,
    endpoint: &Endpoint,
) -> QueryResult<bool> {
    let changed = diesel::update(
        ep::table
            .filter(ep::org_id.eq(org.sql()))
            .filter(ep::id.eq(id.sql()))
            .filter(ep::deleted_at.is_null()),
    )
    .set((
        ep::url.eq(&endpoint.url),
        ep::events.eq(&endpoint.events),
        ep::description.eq(&endpoint.description),
        ep::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await?;
    Ok(changed > 0)
}

/// Marks an endpoint deleted; whether it had one.
pub async fn delete(conn: &mut Conn, org: &OrgId, id: &EndpointId) -> QueryResult<bool> {
    let changed = diesel::update(
        ep::table
            .filter(ep::org_id.eq(org.sql()))
            .filter(ep::id.eq(id.sql()))
            .filter(ep::deleted_at.is_null()),
    )
    .set(ep::deleted_at.eq(diesel::dsl::now))
    .execute(conn)
    .await?;
    Ok(changed > 0)
}

/// Puts `secret` in place, the current one signing too until `until`; whether it had one.
pub async fn rotate(
    conn: &mut Conn,
    org: &OrgId,
    id: &EndpointId,
    secret: &SealedSecret,
    until: OffsetDateTime,
) -> QueryResult<bool> {
    let changed = diesel::update(
        ep::table
            .filter(ep::org_id.eq(org.sql()))
            .filter(ep::id.eq(id.sql()))
            .filter(ep::deleted_at.is_null()),
    )
    .set((
        ep::previous_nonce.eq(ep::nonce.nullable()),
        ep::previous_ciphertext.eq(ep::ciphertext.nullable()),
        ep::previous_key_id.eq(ep::key_id.nullable()),
        ep::previous_until.eq(until),
        ep::nonce.eq(&secret.0),
        ep::ciphertext.eq(&secret.1),
        ep::key_id.eq(&secret.2),
        ep::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await?;
    Ok(changed > 0)
}

/// Sends to a disabled endpoint again; whether it had one.
pub async fn enable(conn: &mut Conn, org: &OrgId, id: &EndpointId) -> QueryResult<bool> {
    let changed = diesel::update(
        ep::table
            .filter(ep::org_id.eq(org.sql()))
            .filter(ep::id.eq(id.sql()))
            .filter(ep::deleted_at.is_null()),
    )
    .set((
        ep::disabled_at.eq(None::<OffsetDateTime>),
        ep::disabled_reason.eq(None::<String>),
        ep::failing_since.eq(None::<OffsetDateTime>),
        ep::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await?;
    Ok(changed > 0)
}

/// The secrets that sign for an endpoint now: the current one, and the one before a rotation
/// until its time is up.
pub async fn secrets(
    conn: &mut Conn,
    org: &OrgId,
    id: &EndpointId,
) -> QueryResult<Option<(SealedSecret, Option<SealedSecret>)>> {
    type Row = (
        Vec<u8>,
        Vec<u8>,
        String,
        Option<Vec<u8>>,
        Option<Vec<u8>>,
        Option<String>,
        Option<OffsetDateTime>,
    );
    let row: Option<Row> = ep::table
        .filter(ep::org_id.eq(org.sql()))
        .filter(ep::id.eq(id.sql()))
        .select((
            ep::nonce,
            ep::ciphertext,
            ep::key_id,
            ep::previous_nonce,
            ep::previous_ciphertext,
            ep::previous_key_id,
            ep::previous_until,
        ))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(|(n, c, k, pn, pc, pk, until)| {
        let still = until.is_some_and(|u| u > OffsetDateTime::now_utc());
        let previous = match (pn, pc, pk) {
            (Some(n), Some(c), Some(k)) if still => Some((n, c, k)),
            _ => None,
        };
        ((n, c, k), previous)
    }))
}

/// Every endpoint with a secret (current, or still signing from before a rotation) sealed with
/// the key `key_id`, locked for the rest of the transaction: what a key rotation re-seals. The
/// secrets sealed with another key are `None`.
pub async fn sealed_with(
    conn: &mut Conn,
    key_id: &str,
) -> QueryResult<
    Vec<(
        OrgId,
        EndpointId,
        Option<SealedSecret>,
        Option<SealedSecret>,
    )>,
> {
    type Row = (
        OrgId,
        EndpointId,
        Vec<u8>,
        Vec<u8>,
        String,
        Option<Vec<u8>>,
        Option<Vec<u8>>,
        Option<String>,
    );
    let rows: Vec<Row> = ep::table
        .filter(ep::key_id.eq(key_id).or(ep::previous_key_id.eq(key_id)))
        .select((
            ep::org_id,
            ep::id,
            ep::nonce,
            ep::ciphertext,
            ep::key_id,
            ep::previous_nonce,
            ep::previous_ciphertext,
            ep::previous_key_id,
        ))
        .for_update()
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(org, id, n, c, k, pn, pc, pk)| {
            let current = (k == key_id).then_some((n, c, k));
            let previous = match (pn, pc, pk) {
                (Some(n), Some(c), Some(k)) if k == key_id => Some((n, c, k)),
                _ => None,
            };
            (org, id, current, previous)
        })
        .collect())
}

/// Replaces an endpoint's sealed secrets (those given), keeping everything else.
pub async fn reseal(
    conn: &mut Conn,
    id: &EndpointId,
    current: Option<&SealedSecret>,
    previous: Option<&SealedSecret>,
) -> QueryResult<()> {
    let row = ep::table.filter(ep::id.eq(id.sql()));
    if let Some((n, c, k)) = current {
        diesel::update(row)
            .set((ep::nonce.eq(n), ep::ciphertext.eq(c), ep::key_id.eq(k)))
            .execute(conn)
            .await?;
    }
    if let Some((n, c, k)) = previous {
        diesel::update(row)
            .set((
                ep::previous_nonce.eq(n),
                ep::previous_ciphertext.eq(c),
                ep::previous_key_id.eq(k),
            ))
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Writes the outbox: a delivery, due now, of each of `events` to each endpoint of its
/// organization that takes its type and is neither disabled nor deleted. Called by
/// `repo::event` in the transaction that records the events, so a delivery exists exactly when
/// its event does. Each delivery's id (its `webhook-id`) is drawn here, from PostgreSQL's
/// random UUIDs.
pub async fn queue(conn: &mut Conn, events: &[&crate::id::EventId]) -> QueryResult<usize> {
    let ids: Vec<&str> = events.iter().map(|e| e.as_str()).collect();
    diesel::sql_query(
        "INSERT INTO webhook_deliveries (id, org_id, endpoint_id, event_id, event_type, payload, next_at)
         SELECT 'msg_' || substr(replace(gen_random_uuid()::text, '-', ''), 1, 16), e.org_id, w.id,
                e.id, e.type,
                jsonb_build_object(
                    'type', e.type,
                    'timestamp', to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),
                    'data', e.data),
                now()
         FROM events e
         JOIN webhook_endpoints w
           ON w.org_id = e.org_id AND e.type = ANY (w.events)
          AND w.disabled_at IS NULL AND w.deleted_at IS NULL
         WHERE e.id = ANY ($1)",
    )
    .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(ids)
    .execute(conn)
    .await
    .map_err(Into::into)
}
