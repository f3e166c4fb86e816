//! Recorded events: every event (posted, a verb's, a hook's, a step's, a run's) is inserted by
//! `insert` or `insert_all`, which write the webhook outbox in the same statement's
//! transaction (`repo::webhook::queue`), and read back as `Event` through `columns` and
//! `to_event`.

use crate::db::Conn;
use crate::entity::{Event, EventSource};
use crate::id::Generate;
use crate::id::{EventId, OrgId};
use crate::schema::events;
use crate::sql_text::{Sql, Value as Bound};
use crate::store_error::QueryResult;
use diesel::dsl::Eq;
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
    /// A client's idempotency key (posted events only).
    pub idempotency_key: Option<String>,
    /// Links down the chain of events that caused it (0: not caused by another event).
    pub depth: i32,
}

impl NewEvent {
    /// An event with no key, at the head of its own chain.
    pub fn new(event_type: impl Into<String>, data: Value, source: EventSource) -> Self {
        NewEvent {
            event_type: event_type.into(),
            data,
            source,
            actor: None,
            subject: None,
            idempotency_key: None,
            depth: 0,
        }
    }
}

/// The row of a new event, as `insert` and `insert_all` write it.
type Values<'a> = (
    Eq<events::id, Bound<&'a EventId>>,
    Eq<events::org_id, Bound<&'a OrgId>>,
    Eq<events::type_, &'a String>,
    Eq<events::data, &'a Value>,
    Eq<events::source, Bound<&'a EventSource>>,
    Eq<events::actor, &'a Option<String>>,
    Eq<events::subject, &'a Option<String>>,
    Eq<events::idempotency_key, &'a Option<String>>,
    Eq<events::depth, i32>,
);

fn values<'a>(id: &'a EventId, org: &'a OrgId, event: &'a NewEvent) -> Values<'a> {
    (
        events::id.eq(id.sql()),
        events::org_id.eq(org.sql()),
        events::type_.eq(&event.event_type),
        events::data.eq(&event.data),
        events::source.eq(event.source.sql()),
        events::actor.eq(&event.actor),
        events::subject.eq(&event.subject),
        events::idempotency_key.eq(&event.idempotency_key),
        events::depth.eq(event.depth),
    )
}

/// Records the event. `None` when its idempotency key was seen before (nothing is written).
pub async fn insert(
    conn: &mut Conn,
    org: &OrgId,
    event: &NewEvent,
) -> QueryResult<Option<EventId>> {
    let id = EventId::generate();
    let recorded: Option<EventId> = diesel::insert_into(events::table)
        .values(values(&id, org, event))
        .on_conflict_do_nothing()
        .returning(events::id)
        .get_result(conn)
        .await
        .optional()?;
    if let Some(id) = &recorded {
        crate::repo::webhook::queue(conn, &[id]).await?;
    }
    Ok(recorded)
}

/// Records `events` (none with an idempotency key) in one statement, their sequence numbers in
/// the order given; their ids in that order.
pub async fn insert_all(
    conn: &mut Conn,
    org: &OrgId,
    events: &[&NewEvent],
) -> QueryResult<Vec<EventId>> {
    let ids: Vec<EventId> = events.iter().map(|_| EventId::generate()).collect();
    let rows: Vec<_> = ids
        .iter()
        .zip(events)
        .map(|(id, event)| values(id, org, event))
        .collect();
    diesel::insert_into(events::table)
        .values(rows)
        .execute(conn)
        .await?;
    crate::repo::webhook::queue(conn, &ids.iter().collect::<Vec<_>>()).await?;
    Ok(ids)
}

/// The event an idempotency key recorded first.
pub async fn by_key(conn: &mut Conn, org: &OrgId, key: &str) -> QueryResult<EventId> {
    events::table
        .filter(events::org_id.eq(org.sql()))
        .filter(events::idempotency_key.eq(key))
        .select(events::id)
        .first(conn)
        .await
        .map_err(Into::into)
}

/// Notes on the event why it started fewer workflows than listen for it, and which paused
/// workflows ignored it.
pub async fn annotate(
    conn: &mut Conn,
    event: &EventId,
    note: Option<&str>,
    ignored_by: &[crate::id::WorkflowId],
) -> QueryResult<()> {
    let ignored = Value::from(
        ignored_by
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
    );
    diesel::update(events::table.find(event.sql()))
        .set((events::note.eq(note), events::ignored_by.eq(ignored)))
        .execute(conn)
        .await
        .map(drop)
        .map_err(Into::into)
}

/// An event row as `columns()` reads it.
pub(crate) type Row = (
    EventId,
    String,
    Value,
    EventSource,
    Option<String>,
    OffsetDateTime,
    Option<String>,
);

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
        events::note,
    )
}

pub(crate) fn to_event((id, event_type, data, source, actor, created_at, note): Row) -> Event {
    Event {
        id,
        event_type,
        data,
        source,
        actor,
        created_at,
        note,
    }
}

/// The newest events about one subject (a workflow id), newest first.
pub async fn for_subject(
    conn: &mut Conn,
    org: &OrgId,
    subject: &str,
    limit: i64,
) -> QueryResult<Vec<Event>> {
    activity(conn, org, subject, None, limit).await
}

/// What hooks record: left out of a subject's activity but for the one type kept.
const HOOKS: [EventSource; 1] = [EventSource::Hook];

/// The newest events about one subject, newest first; with `hooks_but`, without what hooks
/// recorded (it repeats what the verb's own event says) except events of that type.
pub async fn activity(
    conn: &mut Conn,
    org: &OrgId,
    subject: &str,
    hooks_but: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<Event>> {
    let mut q = events::table
        .filter(events::org_id.eq(org.sql()))
        .filter(events::subject.eq(subject))
        .into_boxed();
    if let Some(kept) = hooks_but {
        q = q.filter(
            events::source
                .ne_all(crate::sql_text::all(&HOOKS))
                .or(events::type_.eq(kept.to_owned())),
        );
    }
    let rows: Vec<Row> = q
        .order(events::seq.desc())
        .limit(limit)
        .select(columns())
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(to_event).collect())
}

/// One event of the organization, or `NotFound` (also for another organization's id).
pub async fn get(conn: &mut Conn, org: &OrgId, id: &EventId) -> QueryResult<Event> {
    let row: Row = events::table
        .filter(events::org_id.eq(org.sql()))
        .filter(events::id.eq(id.sql()))
        .select(columns())
        .first(conn)
        .await?;
    Ok(to_event(row))
}

/// `q` without the events only Admins may read (`workflow::PRIVATE_NOUNS`).
pub fn without_private<'a>(
    mut q: events::BoxedQuery<'a, diesel::pg::Pg>,
) -> events::BoxedQuery<'a, diesel::pg::Pg> {
    for noun in crate::workflow::PRIVATE_NOUNS {
        q = q.filter(events::type_.not_ilike(format!("{noun}.%")));
    }
    q
}

/// The organization's events in the order their transactions were recorded, after `after`
/// and `since`, of one type when asked, those for Admins only `with_private`; each with its
/// feed position. Only events older than
/// every transaction still running are shown, so none can appear later before a position
/// already given out. Returns one more than `limit` when there are more.
pub async fn feed(
    conn: &mut Conn,
    org: &OrgId,
    query: &crate::list_query::EventFeedQuery,
    with_private: bool,
) -> QueryResult<Vec<(Event, crate::list_query::FeedPosition)>> {
    use diesel::dsl::sql;
    use diesel::sql_types::{BigInt, Bool, Text};
    let mut q = events::table
        .filter(events::org_id.eq(org.sql()))
        .filter(sql::<Bool>("xid < pg_snapshot_xmin(pg_current_snapshot())"))
        .into_boxed();
    if !with_private {
        q = without_private(q);
    }
    if let Some(since) = query.since {
        q = q.filter(events::created_at.gt(since));
    }
    if let Some(t) = &query.event_type {
        q = q.filter(events::type_.eq(t.clone()));
    }
    if let Some(after) = &query.after {
        q = q.filter(
            sql::<Bool>("(xid, seq) > (")
                .bind::<diesel::sql_types::Text, _>(after.xid.to_string())
                .sql("::xid8, ")
                .bind::<BigInt, _>(after.seq)
                .sql(")"),
        );
    }
    let rows: Vec<(Row, String, i64)> = q
        .order((sql::<Text>("xid").asc(), events::seq.asc()))
        .limit(query.limit + 1)
        .select((columns(), sql::<Text>("xid::text"), events::seq))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(row, xid, seq)| {
            let position = crate::list_query::FeedPosition {
                xid: xid.parse().unwrap_or_default(),
                seq,
            };
            (to_event(row), position)
        })
        .collect())
}

/// The organization's newest events of one type recorded at or after `since`.
pub async fn of_type(
    conn: &mut Conn,
    org: &OrgId,
    event_type: &str,
    since: OffsetDateTime,
    limit: i64,
) -> QueryResult<Vec<Event>> {
    let rows: Vec<Row> = events::table
        .filter(events::org_id.eq(org.sql()))
        .filter(events::type_.eq(event_type))
        .filter(events::created_at.ge(since))
        .order(events::seq.desc())
        .limit(limit)
        .select(columns())
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(to_event).collect())
}

/// The event types the organization has recorded, in order, at most `limit`: a skip scan of
/// `events_org_type` that reads one row a type, however many events there are.
pub async fn types(conn: &mut Conn, org: &OrgId, limit: i64) -> QueryResult<Vec<String>> {
    #[derive(QueryableByName)]
    struct Type {
        #[diesel(sql_type = diesel::sql_types::Text)]
        t: String,
    }
    let rows: Vec<Type> = diesel::sql_query(
        "WITH RECURSIVE types(t) AS (
           (SELECT type FROM events WHERE org_id = $1 ORDER BY type LIMIT 1)
           UNION ALL
           SELECT (SELECT e.type FROM events e WHERE e.org_id = $1 AND e.type > types.t
                   ORDER BY e.type LIMIT 1)
           FROM types WHERE types.t IS NOT NULL)
         SELECT t FROM types WHERE t IS NOT NULL LIMIT $2",
    )
    .bind::<crate::sql_text::Stored, _>(org.as_str())
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.t).collect())
}

/// The data of the organization's newest `limit` events of one type, newest first.
pub async fn latest_data(
    conn: &mut Conn,
    org: &OrgId,
    event_type: &str,
    limit: i64,
) -> QueryResult<Vec<Value>> {
    events::table
        .filter(events::org_id.eq(org.sql()))
        .filter(events::type_.eq(event_type))
        .order(events::seq.desc())
        .limit(limit)
        .select(events::data)
        .load(conn)
        .await
        .map_err(Into::into)
}
