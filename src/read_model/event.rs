//! The event log: an organization's events, newest first, each with the runs it started and
//! the paused workflows that ignored it. Three queries a page, whatever its length.

use crate::db::Conn;
use crate::entity::{Actor, EventLogEntry, EventLogPage, EventSource, NamedWorkflow, TriggeredRun};
use crate::error::DomainResult;
use crate::id::{EventId, OrgId, RunId, WorkflowId};
use crate::list_query::EventQuery;
use crate::run::RunStatus;
use crate::schema::{events, runs, workflows};
use crate::sql_text::Sql;
use crate::store_error::QueryResult;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::Value;
use std::collections::HashMap;

pub const PAGE: i64 = 50;

type Row = (i64, crate::repo::event::Row, Value);

/// A page of the REST event feed: events in the order they were recorded, whether more are
/// ready, and the cursor to continue from (the one given when nothing new is ready yet).
#[derive(Clone, Debug, PartialEq)]
pub struct Feed {
    pub events: Vec<crate::entity::Event>,
    pub has_more: bool,
    pub cursor: Option<String>,
}

/// The actor's organization's events after the query's cursor (or `since`), of one type when
/// asked, at most `limit`. A client that continues from the cursor sees every event once.
pub async fn feed(
    conn: &mut Conn,
    actor: &impl Actor,
    query: &crate::list_query::EventFeedQuery,
) -> DomainResult<Feed> {
    crate::access::read(actor)?;
    let mut rows =
        crate::repo::event::feed(conn, &actor.org().id, query, actor.may_administer()).await?;
    let has_more = rows.len() as i64 > query.limit;
    rows.truncate(query.limit as usize);
    let cursor = rows
        .last()
        .map(|(_, position)| position.clone())
        .or_else(|| query.after.clone())
        .map(|p| p.cursor());
    Ok(Feed {
        events: rows.into_iter().map(|(event, _)| event).collect(),
        has_more,
        cursor,
    })
}

/// One event of the actor's organization, by id.
pub async fn get(
    conn: &mut Conn,
    actor: &impl Actor,
    id: &EventId,
) -> DomainResult<crate::entity::Event> {
    crate::access::read(actor)?;
    let event = crate::repo::event::get(conn, &actor.org().id, id).await?;
    // An Admin's event asked for by anyone else looks exactly like a missing one.
    if crate::workflow::is_private_event(&event.event_type) && !actor.may_administer() {
        return Err(crate::DomainError::NotFound);
    }
    Ok(event)
}

/// One page of the actor's organization's log, older than `query.before` (a `seq`) when
/// given, of one type when given.
pub async fn page(
    conn: &mut Conn,
    actor: &impl Actor,
    query: &EventQuery,
) -> DomainResult<EventLogPage> {
    crate::access::read(actor)?;
    Ok(read_page(conn, &actor.org().id, query, actor.may_administer()).await?)
}

async fn read_page(
    conn: &mut Conn,
    org: &OrgId,
    query: &EventQuery,
    with_private: bool,
) -> QueryResult<EventLogPage> {
    let (event_type, before) = (query.event_type.as_deref(), query.before);
    let mut q = events::table
        .filter(events::org_id.eq(org.sql()))
        .into_boxed();
    if !with_private {
        q = crate::repo::event::without_private(q);
    }
    if let Some(t) = event_type {
        q = q.filter(events::type_.eq(t));
    }
    // Asking for one type shows it, whoever recorded it.
    if !query.system && event_type.is_none() {
        q = q.filter(events::source.ne_all(crate::sql_text::all(&EventSource::SYSTEM)));
    }
    if let Some(before) = before {
        q = q.filter(events::seq.lt(before));
    }
    let mut rows: Vec<Row> = q
        .order(events::seq.desc())
        .limit(PAGE + 1)
        .select((
            events::seq,
            crate::repo::event::columns(),
            events::ignored_by,
        ))
        .load(conn)
        .await?;
    let more = rows.len() as i64 > PAGE;
    rows.truncate(PAGE as usize);
    let ids: Vec<&EventId> = rows.iter().map(|r| &r.1.0).collect();
    let started: Vec<(EventId, RunId, WorkflowId, String, RunStatus)> = runs::table
        .inner_join(workflows::table.on(workflows::id.eq(runs::workflow_id)))
        .filter(runs::org_id.eq(org.sql()))
        .filter(runs::event_id.eq_any(crate::sql_text::all(&ids)))
        .order((runs::event_id, workflows::name))
        .select((
            runs::event_id,
            runs::id,
            runs::workflow_id,
            workflows::name,
            runs::status,
        ))
        .load(conn)
        .await?;
    let mut triggered: HashMap<EventId, Vec<TriggeredRun>> = HashMap::new();
    for (event, run, workflow, workflow_name, status) in started {
        triggered.entry(event).or_default().push(TriggeredRun {
            run,
            workflow,
            workflow_name,
            status,
        });
    }
    let ignoring: Vec<String> = rows
        .iter()
        .flat_map(|r| {
            r.2.as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
        })
        .collect();
    let names: HashMap<String, String> = workflows::table
        .filter(workflows::org_id.eq(org.sql()))
        .filter(workflows::id.eq_any(crate::sql_text::all(&ignoring)))
        .select((workflows::id, workflows::name))
        .load::<(String, String)>(conn)
        .await?
        .into_iter()
        .collect();
    let before = more.then(|| rows.last().map(|r| r.0)).flatten();
    let entries = rows
        .into_iter()
        .map(|(seq, row, ignored_by)| {
            let event = crate::repo::event::to_event(row);
            let ignored = ignored_by
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str())
                .filter_map(|w| {
                    Some(NamedWorkflow {
                        id: WorkflowId::parse(w)?,
                        name: names.get(w)?.clone(),
                    })
                })
                .collect();
            EventLogEntry {
                triggered: triggered.remove(&event.id).unwrap_or_default(),
                event,
                seq,
                ignored,
            }
        })
        .collect();
    Ok(EventLogPage { entries, before })
}
