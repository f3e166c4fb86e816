//! Events in: recording an event and queueing one run per listening workflow is one
//! transaction, and an idempotency key seen before answers with the first answer.

use crate::db::Conn;
use crate::entity::EventSource;
use crate::error::{DomainError, DomainResult};
use crate::id::{EventId, OrgId, RunId, WorkflowId};
use crate::schema::{events, runs, workflows};
use crate::status::Status;
use crate::workflow::{FieldError, is_event_type};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// JSON deeper than this is refused (the API's promise; serde_json itself stops at 128).
pub const MAX_DEPTH: usize = 64;
pub const KEY_MAX: usize = 200;
/// The channel workers listen on for new runs.
pub const RUNS_CHANNEL: &str = "switchyard_runs";

/// An event as a client posts it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PostedEvent {
    #[serde(rename = "type")]
    pub event_type: String,
    #[serde(default)]
    pub data: Value,
    /// The idempotency key.
    #[serde(default)]
    pub id: Option<String>,
}

/// The answer to an ingested event: the same for every repeat of its idempotency key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    #[serde(rename = "$id")]
    pub event: EventId,
    pub runs: Vec<RunId>,
}

/// How deep a JSON value nests (a scalar is 0).
pub fn depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((v, d)) = stack.pop() {
        deepest = deepest.max(d);
        match v {
            Value::Array(items) => stack.extend(items.iter().map(|i| (i, d + 1))),
            Value::Object(map) => stack.extend(map.values().map(|i| (i, d + 1))),
            _ => {}
        }
    }
    deepest
}

impl PostedEvent {
    /// Checks the type, the data and the key; nothing is written when any is wrong.
    pub fn validate(&self) -> DomainResult<()> {
        if !is_event_type(&self.event_type) {
            return Err(DomainError::field(
                "type",
                "type must look like Noun.verb, for example Deal.won",
            ));
        }
        if !matches!(self.data, Value::Object(_) | Value::Null) {
            return Err(DomainError::field("data", "data must be a JSON object"));
        }
        if depth(&self.data) >= MAX_DEPTH {
            return Err(DomainError::field(
                "data",
                format!("data nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        if self
            .id
            .as_ref()
            .is_some_and(|key| key.is_empty() || key.chars().count() > KEY_MAX)
        {
            return Err(DomainError::Validation(vec![FieldError::new(
                "id",
                format!("id must have 1 to {KEY_MAX} characters"),
            )]));
        }
        Ok(())
    }
}

/// Records the event and queues a run for every workflow of `org` listening for its type.
pub async fn ingest(
    conn: &mut Conn,
    org: &OrgId,
    posted: &PostedEvent,
    source: EventSource,
    actor: Option<&str>,
) -> DomainResult<Accepted> {
    posted.validate()?;
    let data = if posted.data.is_null() {
        Value::Object(Default::default())
    } else {
        posted.data.clone()
    };
    conn.transaction::<_, DomainError, _>(async |conn| {
        let event_id = EventId::generate();
        let inserted: Option<EventId> = diesel::insert_into(events::table)
            .values((
                events::id.eq(&event_id),
                events::org_id.eq(org),
                events::type_.eq(&posted.event_type),
                events::data.eq(&data),
                events::source.eq(source.as_str()),
                events::actor.eq(actor),
                events::idempotency_key.eq(&posted.id),
            ))
            .on_conflict_do_nothing()
            .returning(events::id)
            .get_result(conn)
            .await
            .optional()?;
        let Some(event) = inserted else {
            // Seen before: the first answer, whatever the workflows are now.
            return first_answer(conn, org, posted.id.as_deref().unwrap_or_default()).await;
        };
        let (runs, _) = queue_runs(conn, org, &event, &posted.event_type, 0).await?;
        Ok(Accepted { event, runs })
    })
    .await
}

/// Chains of events stop here: an event this deep starts no more runs.
pub const MAX_CHAIN: i32 = 8;

/// Queues a run for each workflow of `org` listening for `event_type`, for an event already
/// recorded at chain depth `depth` (0 for a posted one). Returns the runs and the paused
/// workflows that ignored it.
pub async fn queue_runs(
    conn: &mut Conn,
    org: &OrgId,
    event: &EventId,
    event_type: &str,
    depth: i32,
) -> QueryResult<(Vec<RunId>, Vec<WorkflowId>)> {
    let listening: Vec<(WorkflowId, i32, Status)> = workflows::table
        .filter(workflows::org_id.eq(org))
        .filter(workflows::deleted_at.is_null())
        .filter(workflows::trigger_event.eq(event_type))
        .filter(workflows::status.eq_any([
            Status::Active,
            Status::Activated,
            Status::Triggered,
            Status::Paused,
        ]))
        .order(workflows::id.asc())
        .select((workflows::id, workflows::version, workflows::status))
        .load(conn)
        .await?;
    let mut queued = Vec::new();
    let mut ignored = Vec::new();
    for (workflow, version, status) in listening {
        if !status.listens() {
            ignored.push(workflow);
            continue;
        }
        queued.push(queue_run(conn, org, &workflow, version, event, depth).await?);
    }
    if !ignored.is_empty() {
        let ids = Value::from(ignored.iter().map(ToString::to_string).collect::<Vec<_>>());
        diesel::update(events::table.find(event))
            .set(events::ignored_by.eq(ids))
            .execute(conn)
            .await?;
    }
    if !queued.is_empty() {
        notify_workers(conn).await?;
    }
    Ok((queued, ignored))
}

/// Queues one run of `workflow` at `version` for `event`; workers see it once committed.
pub async fn queue_run(
    conn: &mut Conn,
    org: &OrgId,
    workflow: &WorkflowId,
    version: i32,
    event: &EventId,
    depth: i32,
) -> QueryResult<RunId> {
    let run = RunId::generate();
    diesel::insert_into(runs::table)
        .values((
            runs::id.eq(&run),
            runs::org_id.eq(org),
            runs::workflow_id.eq(workflow),
            runs::workflow_version.eq(version),
            runs::event_id.eq(event),
            runs::depth.eq(depth),
        ))
        .execute(conn)
        .await?;
    Ok(run)
}

/// Tells listening workers, at commit, that runs were queued.
pub async fn notify_workers(conn: &mut Conn) -> QueryResult<()> {
    diesel::sql_query(format!("NOTIFY {RUNS_CHANNEL}"))
        .execute(conn)
        .await
        .map(drop)
}

/// Records an event that Switchyard itself produces (a step's, a run's) and starts the
/// workflows listening for it, unless the chain is already `MAX_CHAIN` deep.
pub async fn record_and_queue(
    conn: &mut Conn,
    org: &OrgId,
    new: &crate::repo::event::NewEvent,
    depth: i32,
) -> QueryResult<(EventId, Vec<RunId>)> {
    let event = crate::repo::event::insert_at_depth(conn, org, new, depth).await?;
    if depth > MAX_CHAIN {
        return Ok((event, Vec::new()));
    }
    let (runs, _) = queue_runs(conn, org, &event, &new.event_type, depth).await?;
    Ok((event, runs))
}

async fn first_answer(conn: &mut Conn, org: &OrgId, key: &str) -> DomainResult<Accepted> {
    let event: EventId = events::table
        .filter(events::org_id.eq(org))
        .filter(events::idempotency_key.eq(key))
        .select(events::id)
        .first(conn)
        .await?;
    let runs: Vec<RunId> = runs::table
        .filter(runs::event_id.eq(&event))
        // The order they were queued in: by workflow, as `ingest` walks them.
        .order(runs::workflow_id.asc())
        .select(runs::id)
        .load(conn)
        .await?;
    Ok(Accepted { event, runs })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_nesting_without_recursion() {
        assert_eq!(depth(&serde_json::json!(1)), 0);
        assert_eq!(depth(&serde_json::json!({"a": [1, {"b": 2}]})), 3);
        let mut deep = Value::Null;
        for _ in 0..10_000 {
            deep = Value::Array(vec![deep]);
        }
        assert_eq!(depth(&deep), 10_000);
        // Dropping a deep value recurses in serde_json; let it go without running the drop.
        std::mem::forget(deep);
    }
}
