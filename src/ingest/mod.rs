//! Events in: recording an event and queueing one run per listening workflow is one
//! transaction, and an idempotency key seen before answers with the first answer. Events
//! that runs record continue their chain, which is capped in depth and in breadth. Events sent
//! through the API are committed together with the others sent at the same time (`group`).

mod group;

pub use group::GroupCommit;

use crate::db::Conn;
use crate::entity::EventSource;
use crate::error::{DomainError, DomainResult};
use crate::id::{EventId, OrgId, RunId, WorkflowId};
use crate::repo;
use crate::repo::event::NewEvent;
use crate::store_error::QueryResult;
use crate::workflow::{FieldError, is_event_type};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const KEY_MAX: usize = 200;
/// The channel workers listen on for new runs.
pub const RUNS_CHANNEL: &str = "switchyard_runs";

/// How far one event's chain of workflows starting each other may reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Links: an event this deep starts no more runs.
    pub chain_depth: i32,
    /// Runs one chain may start in all, counting the first event's own.
    pub chain_runs: i32,
    /// Events one run's steps may record.
    pub run_events: i32,
}

impl Limits {
    pub const DEFAULT: Limits = Limits {
        chain_depth: 8,
        chain_runs: 1_000,
        run_events: 100,
    };
}

/// Chains of events stop here: an event this deep starts no more runs.
pub const MAX_CHAIN: i32 = Limits::DEFAULT.chain_depth;

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

pub use crate::entity::Accepted;

impl PostedEvent {
    /// Checks the type, the data and the key; nothing is written when any is wrong. Returns
    /// the data to record.
    pub fn validate(&self) -> DomainResult<Value> {
        if !is_event_type(&self.event_type) {
            return Err(DomainError::field(
                "type",
                "type must look like Noun.verb, for example Deal.won",
            ));
        }
        if let Some(reserved) = crate::workflow::reserved_event(&self.event_type) {
            return Err(DomainError::field("type", reserved));
        }
        let data = crate::payload::check("data", self.data.clone())?;
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
        Ok(data)
    }
}

/// An event sent by `actor` through the API: recorded and queued like `ingest`, if the actor
/// may send events.
pub async fn send(
    conn: &mut Conn,
    actor: &impl crate::entity::Actor,
    posted: &PostedEvent,
) -> DomainResult<Accepted> {
    let event = sent_event(actor, posted)?;
    conn.transaction::<_, crate::store_error::StoreError, _>(async |conn| {
        ingest_in(conn, &actor.org().id, &event).await
    })
    .await
    .map_err(Into::into)
}

/// An event `actor` sends through the API, checked: that the actor may send events, and the
/// event itself. `send` and the group commit (`GroupCommit::send`) both start here.
pub(crate) fn sent_event(
    actor: &impl crate::entity::Actor,
    posted: &PostedEvent,
) -> DomainResult<NewEvent> {
    crate::access::send_events(actor)?;
    new_event(posted, EventSource::Api, Some(&actor.reference()))
}

/// Records the event and queues a run for every workflow of `org` listening for its type.
pub async fn ingest(
    conn: &mut Conn,
    org: &OrgId,
    posted: &PostedEvent,
    source: EventSource,
    actor: Option<&str>,
) -> DomainResult<Accepted> {
    let event = new_event(posted, source, actor)?;
    conn.transaction::<_, crate::store_error::StoreError, _>(async |conn| {
        ingest_in(conn, org, &event).await
    })
    .await
    .map_err(Into::into)
}

/// The event a client posted, checked, as it is recorded.
fn new_event(
    posted: &PostedEvent,
    source: EventSource,
    actor: Option<&str>,
) -> DomainResult<NewEvent> {
    let data = posted.validate()?;
    Ok(NewEvent {
        actor: actor.map(str::to_owned),
        idempotency_key: posted.id.clone(),
        ..NewEvent::new(posted.event_type.clone(), data, source)
    })
}

/// `ingest`'s work, in the caller's transaction: records the event and queues its runs, or
/// answers a key seen before with its first answer.
async fn ingest_in(conn: &mut Conn, org: &OrgId, event: &NewEvent) -> QueryResult<Accepted> {
    let Some(recorded) = record_and_queue(conn, org, event, None, &Limits::DEFAULT).await? else {
        // Seen before: the first answer, whatever the workflows are now.
        let key = event.idempotency_key.as_deref().unwrap_or_default();
        let event = repo::event::by_key(conn, org, key).await?;
        let runs = repo::run::for_event(conn, &event).await?;
        return Ok(Accepted { event, runs });
    };
    Ok(Accepted {
        event: recorded.event,
        runs: recorded.runs,
    })
}

/// What recording an event did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    pub event: EventId,
    /// The runs it queued, by workflow id.
    pub runs: Vec<RunId>,
    /// Why it started fewer workflows than listen for it, when it did.
    pub note: Option<String>,
}

/// Records `new` and starts the workflows of `org` listening for it: one run each, unless the
/// chain it continues (from the event `root`; `None` starts a chain) is already as deep or as
/// broad as `limits` allow, which the event's note then says. Paused workflows ignore it and
/// are named on it. `None` when its idempotency key was seen before.
pub async fn record_and_queue(
    conn: &mut Conn,
    org: &OrgId,
    new: &NewEvent,
    root: Option<&EventId>,
    limits: &Limits,
) -> QueryResult<Option<Recorded>> {
    let Some(event) = repo::event::insert(conn, org, new).await? else {
        return Ok(None);
    };
    let (listening, ignored) = repo::workflow::listening(conn, org, &new.event_type).await?;
    let chain = root.unwrap_or(&event);
    let queued = Queue {
        org,
        event: &event,
        new,
        chain,
        limits,
        counted: root.is_some(),
    };
    let (runs, note) = queued.runs(conn, &listening, &ignored).await?;
    if !runs.is_empty() {
        notify_workers(conn).await?;
    }
    Ok(Some(Recorded { event, runs, note }))
}

/// An event a run records, with the limits its chain is held to.
#[derive(Clone, Debug)]
pub struct ChainedEvent {
    pub event: NewEvent,
    pub limits: Limits,
}

/// Records the events one run's transaction made (none with an idempotency key) in one
/// statement, looks up the workflows listening for any of them in one more, and queues their
/// runs in the chain started by `root`, as `record_and_queue` does for each. One `Recorded`
/// per event, in order; their sequence numbers follow the order given.
pub async fn record_run_events(
    conn: &mut Conn,
    org: &OrgId,
    root: &EventId,
    events: &[ChainedEvent],
) -> QueryResult<Vec<Recorded>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let news: Vec<&NewEvent> = events.iter().map(|e| &e.event).collect();
    let ids = repo::event::insert_all(conn, org, &news).await?;
    let types: Vec<&str> = news.iter().map(|e| e.event_type.as_str()).collect();
    let by_type = repo::workflow::listening_any(conn, org, &types).await?;
    let mut recorded = Vec::with_capacity(events.len());
    for (id, ChainedEvent { event, limits }) in ids.into_iter().zip(events) {
        let (listening, ignored) = by_type
            .get(&event.event_type)
            .map(|(l, i)| (l.as_slice(), i.as_slice()))
            .unwrap_or_default();
        let queued = Queue {
            org,
            event: &id,
            new: event,
            chain: root,
            limits,
            counted: true,
        };
        let (runs, note) = queued.runs(conn, listening, ignored).await?;
        recorded.push(Recorded {
            event: id,
            runs,
            note,
        });
    }
    if recorded.iter().any(|r| !r.runs.is_empty()) {
        notify_workers(conn).await?;
    }
    Ok(recorded)
}

/// One recorded event about to start the workflows listening for it.
struct Queue<'a> {
    org: &'a OrgId,
    event: &'a EventId,
    new: &'a NewEvent,
    /// The event its chain started from (the event itself at a chain's head).
    chain: &'a EventId,
    limits: &'a Limits,
    /// The chain's runs are counted (not at its head, whose runs are all it has).
    counted: bool,
}

impl Queue<'_> {
    /// Queues one run of each workflow in `listening`, as far as the chain's limits allow, and
    /// notes on the event why it started fewer and which paused workflows ignored it.
    async fn runs(
        &self,
        conn: &mut Conn,
        listening: &[(WorkflowId, i32)],
        ignored: &[WorkflowId],
    ) -> QueryResult<(Vec<RunId>, Option<String>)> {
        let (new, limits) = (self.new, self.limits);
        let wanted = listening.len();
        let allowed = if wanted == 0 || new.depth > limits.chain_depth {
            0
        } else if self.counted {
            repo::chain::take_runs(conn, self.org, self.chain, wanted as i32, limits.chain_runs)
                .await? as usize
        } else {
            wanted
        };
        let note = (allowed < wanted).then(|| shortfall(new.depth, limits, allowed, wanted));
        let mut runs = Vec::with_capacity(allowed);
        for (workflow, version) in listening.iter().take(allowed) {
            let run = repo::run::NewRun {
                org: self.org,
                workflow,
                version: *version,
                event: self.event,
                depth: new.depth,
                chain_root: self.chain,
            };
            runs.push(repo::run::insert(conn, &run).await?);
        }
        if note.is_some() || !ignored.is_empty() {
            repo::event::annotate(conn, self.event, note.as_deref(), ignored).await?;
        }
        Ok((runs, note))
    }
}

/// Why an event started `allowed` of the `wanted` workflows listening for it.
fn shortfall(depth: i32, limits: &Limits, allowed: usize, wanted: usize) -> String {
    let started = match allowed {
        0 => format!("Started none of the {wanted} workflows listening for it"),
        n => format!("Started {n} of the {wanted} workflows listening for it"),
    };
    if depth > limits.chain_depth {
        format!(
            "{started}: it is event {} in a chain of workflows starting each other, and a chain stops after {}. Check for a loop.",
            depth + 1,
            limits.chain_depth + 1
        )
    } else {
        format!(
            "{started}: its chain of workflows starting each other has started {} runs, the most one chain may. Check for workflows that start each other.",
            limits.chain_runs
        )
    }
}

/// Tells listening workers, at commit, that runs were queued.
pub async fn notify_workers(conn: &mut Conn) -> QueryResult<()> {
    use diesel_async::RunQueryDsl;
    diesel::sql_query(format!("NOTIFY {RUNS_CHANNEL}"))
        .execute(conn)
        .await
        .map(drop)
        .map_err(Into::into)
}

/// Makes `conn` hear `notify_workers` (its notifications stream then yields one per call).
pub async fn listen_for_runs(conn: &mut Conn) -> QueryResult<()> {
    use diesel_async::RunQueryDsl;
    diesel::sql_query(format!("LISTEN {RUNS_CHANNEL}"))
        .execute(conn)
        .await
        .map(drop)
        .map_err(Into::into)
}
