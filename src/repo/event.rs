//! Recorded events: inserted by verbs, hooks and (later) the API and the engine.

use crate::db::Conn;
use crate::entity::{Event, EventSource};
use crate::id::{EventId, OrgId};
use crate::schema::events;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::Value;
use time::OffsetDateTime;

/// An event about to be recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    pub event_type: String,
    pub data: Value,
    pub source: EventSource,
    pub actor: Option<String>,
    pub subject: Option<String>,
}

pub async fn insert(conn: &mut Conn, org: &OrgId, event: &NewEvent) -> QueryResult<EventId> {
    insert_at_depth(conn, org, event, 0).await
}

/// Records an event `depth` links down a chain of events (0: not caused by another event).
pub async fn insert_at_depth(
    conn: &mut Conn,
    org: &OrgId,
    event: &NewEvent,
    depth: i32,
) -> QueryResult<EventId> {
    let id = EventId::generate();
    diesel::insert_into(events::table)
        .values((
            events::id.eq(&id),
            events::org_id.eq(org),
            events::type_.eq(&event.event_type),
            events::data.eq(&event.data),
            events::source.eq(event.source.as_str()),
            events::actor.eq(&event.actor),
            events::subject.eq(&event.subject),
            events::depth.eq(depth),
        ))
        .execute(conn)
        .await?;
    Ok(id)
}

/// An event row as `columns()` reads it.
pub(crate) type Row = (
    EventId,
    String,
    Value,
    String,
    Option<String>,
    OffsetDateTime,
);

/// The newest events about one subject (a workflow id), newest first.
pub async fn for_subject(
    conn: &mut Conn,
    org: &OrgId,
    subject: &str,
    limit: i64,
) -> QueryResult<Vec<Event>> {
    let rows: Vec<Row> = events::table
        .filter(events::org_id.eq(org))
        .filter(events::subject.eq(subject))
        .order(events::seq.desc())
        .limit(limit)
        .select(columns())
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(to_event).collect())
}

/// The columns an `Event` is read from, in `Row`'s order.
#[diesel::dsl::auto_type]
pub(crate) fn columns() -> _ {
    (
        events::id,
        events::type_,
        events::data,
        events::source,
        events::actor,
        events::created_at,
    )
}

pub(crate) fn to_event((id, event_type, data, source, actor, created_at): Row) -> Event {
    Event {
        id,
        event_type,
        data,
        source: source.parse().unwrap_or(EventSource::Api),
        actor,
        created_at,
    }
}

/// The organization's events, newest first, optionally after `since` and of one type.
/// Returns one more than `limit` when there are more.
pub async fn list(
    conn: &mut Conn,
    org: &OrgId,
    since: Option<OffsetDateTime>,
    event_type: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<Event>> {
    let mut q = events::table.filter(events::org_id.eq(org)).into_boxed();
    if let Some(since) = since {
        q = q.filter(events::created_at.gt(since));
    }
    if let Some(t) = event_type {
        q = q.filter(events::type_.eq(t));
    }
    let rows: Vec<Row> = q
        .order(events::seq.desc())
        .limit(limit + 1)
        .select(columns())
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(to_event).collect())
}
