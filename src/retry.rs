//! Fixing what failed: retrying a run (from the start, or from its failed step reusing what
//! succeeded), the plain-words preview that comes first, and cancelling a run. One place for
//! each rule; the run page, the REST API and the MCP tools call these.

use crate::id::{RunId, WorkflowId};
use crate::run::RunStatus;
use serde::{Deserialize, Serialize};
use std::str::FromStr;
#[cfg(feature = "db")]
use {
    crate::db::Conn,
    crate::entity::{Actor, EventSource},
    crate::error::{DomainError, DomainResult},
    crate::repo,
    crate::repo::event::NewEvent,
    crate::repo::run::RetrySource,
    crate::workflow::WorkflowFields,
    diesel_async::AsyncConnection,
    serde_json::json,
};

/// Where a retry begins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RetryFrom {
    /// Every step again, on the workflow's current version.
    Start,
    /// The failed step and those after it; the steps before are reused.
    FailedStep,
}

impl RetryFrom {
    /// As requests and forms spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            RetryFrom::Start => "start",
            RetryFrom::FailedStep => "failed-step",
        }
    }

    /// Where retried runs begin, in the pages' words ("Retry 12 runs from their failed step").
    pub fn place(self) -> &'static str {
        match self {
            RetryFrom::Start => "from the start",
            RetryFrom::FailedStep => "from their failed step",
        }
    }
}

impl FromStr for RetryFrom {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "start" => Ok(RetryFrom::Start),
            "failed-step" => Ok(RetryFrom::FailedStep),
            other => Err(format!(
                "`{other}` is not where a retry can begin: say start or failed-step"
            )),
        }
    }
}

/// Where a retry begins, as a form or a request names it; an unknown name is a field error.
pub fn parse_from(from: &str) -> Result<RetryFrom, crate::error::DomainError> {
    let from = if from.is_empty() { "start" } else { from };
    from.parse()
        .map_err(|message: String| crate::error::DomainError::field("from", message))
}

/// The retries the asker saw, as a form sends it: empty when it does not say.
pub fn parse_based_on(seen: &str) -> Result<Option<i64>, crate::error::DomainError> {
    match seen.trim() {
        "" => Ok(None),
        n => n.parse().map(Some).map_err(|_| {
            crate::error::DomainError::field(
                "based_on",
                format!("`{n}` is not a number of retries"),
            )
        }),
    }
}

/// What one step does to the business's records, as a preview foretells it and as a run's
/// records show it afterwards. In JSON: `{"kind": "Creates", "noun": "Customer"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum Effect {
    /// Not run: the result of the run it repeats is reused.
    Reused,
    /// Makes a new Thing of this type.
    Creates { noun: String },
    /// Changes an existing Thing of this type.
    Changes { noun: String },
    /// Records an event of this type.
    Records { event_type: String },
    /// Its condition does not hold.
    Skipped,
    /// It fails; `stops` when the run ends there.
    Fails { stops: bool },
    /// It fails and its fallback runs in its place.
    Recovered,
    /// An earlier step stops the run first.
    NotReached,
}

impl Effect {
    /// Whether the step would touch the business's records (create, change or record).
    pub fn writes(&self) -> bool {
        matches!(
            self,
            Effect::Creates { .. }
                | Effect::Changes { .. }
                | Effect::Records { .. }
                | Effect::Recovered
        )
    }
}

/// One step of a preview.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepPreview {
    pub index: i32,
    pub label: String,
    pub action: String,
    pub effect: Effect,
    /// The effect in a sentence for people.
    pub words: String,
    /// The condition's result, when the step has one and it could be worked out.
    pub condition: Option<bool>,
    /// The fields the step would fill, with their values, in the mapping's order.
    pub fields: Vec<(String, serde_json::Value)>,
}

/// What a retry of a run would do, before it is asked for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RetryPreview {
    pub run: RunId,
    pub run_status: RunStatus,
    pub workflow: WorkflowId,
    pub workflow_name: String,
    /// The version the run ran, and the one a retry runs (the current one).
    pub ran_version: i32,
    pub version: i32,
    pub from: RetryFrom,
    /// The step the retry begins at (0: the start).
    pub from_step: i32,
    pub steps: Vec<StepPreview>,
    /// The step a retry from the failed step would begin at, when one is offered.
    pub failed_step: Option<i32>,
    /// Why a retry from the failed step is not offered, when the run failed at a step.
    pub failed_step_refused: Option<String>,
    /// Why no retry is possible now (the workflow is paused, the run has not ended), if so.
    pub refused: Option<String>,
    /// The retries queued so far: a retry based on fewer is refused as stale.
    pub retries: i64,
    /// Whether the actor may retry at all (Viewers see the preview only).
    pub may_edit: bool,
}

/// The step a retry from the failed step begins at: where the run failed, timed out or was
/// cancelled; `None` for a run that succeeded or has not begun a step.
pub fn resume_step(status: RunStatus, failed_step: Option<i32>, next_step: i32) -> Option<i32> {
    match status {
        RunStatus::Succeeded | RunStatus::Queued | RunStatus::Running => None,
        RunStatus::Failed => failed_step.or(Some(next_step)),
        RunStatus::TimedOut | RunStatus::Cancelled => failed_step.or(Some(next_step)),
    }
}

/// Why a retry from step `at` cannot reuse the steps before it, if it cannot: they must be the
/// same in the version the run ran and the current one.
#[cfg(feature = "db")]
fn reuse_refused(
    at: i32,
    ran: (&WorkflowFields, i32),
    current: (&WorkflowFields, i32),
) -> Option<String> {
    let (ran, ran_version) = ran;
    let (current, version) = current;
    let at = at as usize;
    if ran_version == version {
        return None;
    }
    let before = |f: &WorkflowFields| f.steps.get(..at).map(<[_]>::to_vec);
    match (before(ran), before(current)) {
        (Some(a), Some(b)) if a == b => None,
        _ => {
            let changed = (0..at)
                .find(|i| ran.steps.get(*i) != current.steps.get(*i))
                .map_or(at, |i| i + 1);
            Some(format!(
                "Step {changed} changed since version {ran_version}, which this run ran, so its result cannot be reused: retry from the start."
            ))
        }
    }
}

/// Why the workflow's runs cannot be retried in its status, if they cannot.
#[cfg(feature = "db")]
fn status_refused(status: crate::status::Status) -> Option<String> {
    use crate::status::Status;
    match status {
        s if s.listens() => None,
        Status::Paused => Some(
            "The workflow is paused, so it runs nothing: activate it, then retry.".into(),
        ),
        Status::Draft => Some(
            "The workflow is a draft, so it runs nothing: activate it, then retry.".into(),
        ),
        _ => Some(
            "The workflow is archived, so its runs cannot be retried. Copy its steps into a new workflow to run them again.".into(),
        ),
    }
}

/// What the run page offers for retrying a run: the step a retry from the failed step would
/// begin at, why it is not offered, and why no retry is possible now.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryOptions {
    pub failed_step: Option<i32>,
    pub failed_step_refused: Option<String>,
    pub refused: Option<String>,
}

/// The retry options of a run in `status` (failed at `failed_step`, next at `next_step`)
/// that ran `ran` (version `ran_version`), given its workflow as it is now (`None`: deleted).
#[cfg(feature = "db")]
pub(crate) fn options(
    (status, failed_step, next_step): (RunStatus, Option<i32>, i32),
    (ran, ran_version): (&WorkflowFields, i32),
    current: Option<&crate::Workflow>,
) -> RetryOptions {
    let resume = resume_step(status, failed_step, next_step);
    let Some(current) = current else {
        return RetryOptions {
            refused: Some("The workflow was deleted, so its runs cannot be retried.".into()),
            ..RetryOptions::default()
        };
    };
    let failed_step_refused = match resume {
        Some(at) => reuse_refused(at, (ran, ran_version), (&current.fields(), current.version)),
        None if status == RunStatus::Succeeded => {
            Some("The run succeeded: there is no failed step to begin at.".into())
        }
        None => None,
    };
    let refused = if status.is_in_flight() {
        Some("The run has not ended yet: wait for it to end, or cancel it, then retry.".into())
    } else {
        status_refused(current.status)
    };
    RetryOptions {
        failed_step: resume.filter(|_| failed_step_refused.is_none()),
        failed_step_refused,
        refused,
    }
}

/// The preview of retrying run `id` from `from`, worked out from the run's real event and the
/// workflow's current steps; writes nothing. Any member may read it.
#[cfg(feature = "db")]
pub async fn preview(
    conn: &mut Conn,
    actor: &impl Actor,
    id: &RunId,
    from: RetryFrom,
) -> DomainResult<RetryPreview> {
    crate::access::read(actor)?;
    let org = actor.org();
    let source = repo::run::retry_source(conn, &org.id, id).await?;
    let workflow = repo::workflow::get(conn, &org.id, &source.workflow_id).await?;
    let ran =
        repo::workflow::fields_at(conn, &org.id, &workflow.id, source.workflow_version).await?;
    let state = (source.status, source.failed_step, source.next_step);
    let RetryOptions {
        failed_step,
        failed_step_refused,
        refused,
    } = options(state, (&ran, source.workflow_version), Some(&workflow));
    let from_step = match from {
        RetryFrom::Start => 0,
        RetryFrom::FailedStep => failed_step.unwrap_or(0),
    };
    let from = if from_step == 0 {
        RetryFrom::Start
    } else {
        from
    };
    let earlier = repo::run_step::for_run(conn, &org.id, id).await?;
    let event = crate::engine::EventContext {
        id: source.event_id.as_str(),
        event_type: &source.event_type,
        data: source.event_data.clone(),
        created_at: source.event_created_at,
    };
    let steps = crate::engine::preview(
        conn,
        org,
        (&workflow.id, workflow.version),
        workflow.fields(),
        &event,
        (from_step as usize, &earlier),
    )
    .await?;
    let (_, retries) = repo::run::retries_of(conn, &org.id, id, 0).await?;
    Ok(RetryPreview {
        run: source.id,
        run_status: source.status,
        workflow: workflow.id,
        workflow_name: workflow.name,
        ran_version: source.workflow_version,
        version: workflow.version,
        from,
        from_step,
        steps,
        failed_step,
        failed_step_refused,
        refused,
        retries,
        may_edit: actor.may_edit(),
    })
}

/// Retries run `id` from `from`: a new run of the same event on the workflow's current
/// version, linked to the one it repeats, recorded as `Run.retried` with its actor. From the
/// failed step, the records of the steps before it are copied and not run again.
/// `based_on`: the number of retries the asker saw; when others were queued since, the retry
/// is refused as stale (a second click queues nothing twice). Editors and Admins only.
#[cfg(feature = "db")]
pub async fn retry(
    conn: &mut Conn,
    actor: &impl Actor,
    id: &RunId,
    from: RetryFrom,
    based_on: Option<i64>,
) -> DomainResult<RunId> {
    crate::access::edit(actor)?;
    let org = actor.org();
    conn.transaction::<_, DomainError, _>(async |conn| {
        repo::run::lock(conn, &org.id, id).await?;
        let (newest, retries) = repo::run::retries_of(conn, &org.id, id, 1).await?;
        if let Some(seen) = based_on.filter(|seen| *seen != retries) {
            let latest = newest.first().map(|(r, _)| r.to_string()).unwrap_or_default();
            return Err(DomainError::Refused(format!(
                "This run was retried meanwhile ({retries} retries now, {seen} when you looked; the latest is {latest}). Open the latest retry before retrying again."
            )));
        }
        let source = repo::run::retry_source(conn, &org.id, id).await?;
        let workflow = repo::workflow::get_for_update(conn, &org.id, &source.workflow_id).await?;
        // The same offer the run page and the preview read.
        let ran =
            repo::workflow::fields_at(conn, &org.id, &workflow.id, source.workflow_version).await?;
        let state = (source.status, source.failed_step, source.next_step);
        let offer = options(state, (&ran, source.workflow_version), Some(&workflow));
        if let Some(why) = offer.refused {
            return Err(DomainError::Refused(why));
        }
        let from_step = match (from, offer.failed_step) {
            (RetryFrom::Start, _) => 0,
            (RetryFrom::FailedStep, Some(at)) => at,
            (RetryFrom::FailedStep, None) => {
                let why = offer.failed_step_refused.unwrap_or_else(|| {
                    "This run has no failed step to begin at: retry from the start.".into()
                });
                return Err(DomainError::Refused(why));
            }
        };
        let retry = queue(conn, actor, &source, &workflow, from, from_step).await?;
        crate::ingest::notify_workers(conn).await?;
        Ok(retry)
    })
    .await
}

/// Queues the retry of `source` at `from_step` and records `Run.retried`.
#[cfg(feature = "db")]
async fn queue(
    conn: &mut Conn,
    actor: &impl Actor,
    source: &RetrySource,
    workflow: &crate::Workflow,
    from: RetryFrom,
    from_step: i32,
) -> DomainResult<RunId> {
    let org = &actor.org().id;
    let chain_root = source.chain_root.as_ref().unwrap_or(&source.event_id);
    let by = actor.reference();
    let new = repo::run::NewRetry {
        run: repo::run::NewRun {
            org,
            workflow: &workflow.id,
            version: workflow.version,
            event: &source.event_id,
            depth: source.depth,
            chain_root,
        },
        retry_of: &source.id,
        from: from_step,
        requested_by: &by,
    };
    let retry = repo::run::insert_retry(conn, &new).await?;
    if from_step > 0 {
        repo::run_step::copy_before(conn, org, &source.id, &retry, from_step).await?;
    }
    let data = json!({
        "run": retry, "retryOf": source.id, "workflow": workflow.id, "name": workflow.name,
        "from": from.as_str(), "step": from_step + 1, "version": workflow.version,
    });
    let event = NewEvent {
        actor: Some(by),
        subject: Some(retry.to_string()),
        ..NewEvent::new("Run.retried", data, EventSource::Verb)
    };
    crate::ingest::record_and_queue(conn, org, &event, None, &crate::ingest::Limits::DEFAULT)
        .await?;
    Ok(retry)
}

/// Asks run `id` to stop: it ends Cancelled before its next step (a step in hand finishes
/// first), fenced like every write of the engine, with the actor kept. Asking twice is one
/// request. A run that has ended is refused. Editors and Admins only.
#[cfg(feature = "db")]
pub async fn cancel(conn: &mut Conn, actor: &impl Actor, id: &RunId) -> DomainResult<()> {
    crate::access::edit(actor)?;
    let org = &actor.org().id;
    conn.transaction::<_, DomainError, _>(async |conn| {
        let status = repo::run::lock(conn, org, id).await?;
        if !status.is_in_flight() {
            return Err(DomainError::Refused(format!(
                "The run has already ended ({}): there is nothing to cancel.",
                status.label()
            )));
        }
        let now = time::OffsetDateTime::now_utc();
        if repo::run::request_cancel(conn, org, id, &actor.reference(), now).await? {
            crate::ingest::notify_workers(conn).await?;
        }
        Ok(())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retry_resumes_where_the_run_stopped_and_never_after_a_success() {
        assert_eq!(resume_step(RunStatus::Failed, Some(2), 3), Some(2));
        assert_eq!(resume_step(RunStatus::Cancelled, None, 1), Some(1));
        assert_eq!(resume_step(RunStatus::TimedOut, None, 4), Some(4));
        assert_eq!(resume_step(RunStatus::Succeeded, None, 3), None);
        assert_eq!(resume_step(RunStatus::Running, None, 1), None);
    }

    #[test]
    fn a_batch_waits_until_every_one_of_its_runs_has_ended() {
        let mut batch = BatchProgress {
            id: crate::id::BatchId::parse("batch_abcdefgh").unwrap(),
            from: RetryFrom::Start,
            total: 3,
            skipped: 0,
            requested_by: "Ada".into(),
            created_at: time::OffsetDateTime::UNIX_EPOCH,
            counts: vec![
                (RunStatus::Succeeded, 1),
                (RunStatus::Queued, 1),
                (RunStatus::Running, 1),
            ],
            cancel_requested_by: None,
            may_edit: true,
        };
        assert_eq!((batch.ended(), batch.waiting()), (1, 2));
        batch.counts = vec![
            (RunStatus::Succeeded, 1),
            (RunStatus::Failed, 1),
            (RunStatus::Cancelled, 1),
        ];
        assert_eq!((batch.ended(), batch.waiting()), (3, 0));
        batch.counts.push((RunStatus::TimedOut, 2));
        assert_eq!(batch.failed(), 3, "failed and timed out, not cancelled");
    }

    #[test]
    fn where_a_retry_begins_is_spelled_as_requests_spell_it() {
        for from in [RetryFrom::Start, RetryFrom::FailedStep] {
            assert_eq!(from.as_str().parse::<RetryFrom>(), Ok(from));
        }
        assert!("middle".parse::<RetryFrom>().is_err());
    }
}

/// The most runs one bulk retry queues.
pub const BATCH_MAX: usize = 10_000;

/// What a bulk retry of a filtered run list would do, before it is confirmed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BulkPreview {
    pub from: RetryFrom,
    /// The runs that would be retried (at most `BATCH_MAX`).
    pub retried: usize,
    /// More runs match than one batch takes.
    pub over_limit: bool,
    /// Runs that match but would not be retried, by reason, with how many.
    pub skipped: Vec<(String, usize)>,
    /// The preview of the newest run that would be retried.
    pub sample: Option<RetryPreview>,
    pub may_edit: bool,
    /// The key the confirm form sends back: the same confirm sent twice queues once.
    pub key: String,
}

/// A queued batch: its id, how many it retried and left out, and whether this request found
/// it queued already (the same confirm sent again).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchQueued {
    pub batch: crate::id::BatchId,
    pub queued: usize,
    pub skipped: usize,
    pub again: bool,
}

/// A batch's progress.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchProgress {
    pub id: crate::id::BatchId,
    pub from: RetryFrom,
    pub total: i32,
    pub skipped: i32,
    pub requested_by: String,
    pub created_at: time::OffsetDateTime,
    /// How many of its runs are in each status.
    pub counts: Vec<(RunStatus, i64)>,
    pub cancel_requested_by: Option<String>,
    pub may_edit: bool,
}

impl BatchProgress {
    /// Runs of the batch that have ended.
    pub fn ended(&self) -> i64 {
        self.counts
            .iter()
            .filter(|(s, _)| !s.is_in_flight())
            .map(|(_, n)| n)
            .sum()
    }

    /// Runs of the batch that have not ended yet; while there are, its page follows it.
    pub fn waiting(&self) -> i64 {
        i64::from(self.total) - self.ended()
    }

    pub fn count(&self, status: RunStatus) -> i64 {
        self.counts
            .iter()
            .find(|(s, _)| *s == status)
            .map_or(0, |(_, n)| *n)
    }

    /// Runs of the batch that ended as failures of their own (failed or timed out); the ones
    /// cancelled, which `RunStatus::is_failure` also counts, are told apart.
    pub fn failed(&self) -> i64 {
        self.counts
            .iter()
            .filter(|(s, _)| s.is_failure() && *s != RunStatus::Cancelled)
            .map(|(_, n)| n)
            .sum()
    }
}

/// The runs a bulk retry takes from `candidates`, each with the step it begins at, and the
/// ones it leaves out by reason. One rule for the preview and the queueing.
#[cfg(feature = "db")]
async fn sort_out<'c>(
    conn: &mut Conn,
    org: &crate::OrgId,
    candidates: &'c [repo::batch::Candidate],
    from: RetryFrom,
) -> DomainResult<(
    Vec<(&'c repo::batch::Candidate, i32, i32)>,
    Vec<(String, usize)>,
)> {
    use std::collections::{BTreeMap, HashMap};
    let mut workflows: HashMap<crate::WorkflowId, Option<crate::Workflow>> = HashMap::new();
    let mut versions: HashMap<(crate::WorkflowId, i32), WorkflowFields> = HashMap::new();
    let mut taken = Vec::new();
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    for c in candidates {
        if !workflows.contains_key(&c.workflow_id) {
            let found = match repo::workflow::get(conn, org, &c.workflow_id).await {
                Ok(w) => Some(w),
                Err(diesel::result::Error::NotFound) => None,
                Err(e) => return Err(e.into()),
            };
            workflows.insert(c.workflow_id.clone(), found);
        }
        let Some(workflow) = workflows[&c.workflow_id].clone() else {
            *skipped
                .entry("its workflow was deleted".into())
                .or_default() += 1;
            continue;
        };
        if !workflow.status.listens() {
            let why = format!(
                "{} is {}",
                workflow.name,
                workflow.status.as_str().to_lowercase()
            );
            *skipped.entry(why).or_default() += 1;
            continue;
        }
        let from_step = match from {
            RetryFrom::Start => 0,
            RetryFrom::FailedStep => {
                let key = (c.workflow_id.clone(), c.workflow_version);
                if !versions.contains_key(&key) {
                    let fields =
                        repo::workflow::fields_at(conn, org, &c.workflow_id, c.workflow_version)
                            .await?;
                    versions.insert(key.clone(), fields);
                }
                let ran = (&versions[&key], c.workflow_version);
                let state = (c.status, c.failed_step, c.next_step);
                match options(state, ran, Some(&workflow)).failed_step {
                    Some(at) => at,
                    None => {
                        let why = "steps before the failed one changed since".to_owned();
                        *skipped.entry(why).or_default() += 1;
                        continue;
                    }
                }
            }
        };
        taken.push((c, workflow.version, from_step));
    }
    Ok((taken, skipped.into_iter().collect()))
}

/// What retrying the runs `query` lets through (ended without succeeding, not retried yet)
/// would do: how many, which are left out and why, and the preview of the newest one.
#[cfg(feature = "db")]
pub async fn bulk_preview(
    conn: &mut Conn,
    actor: &impl Actor,
    query: &crate::query::RunQuery,
    from: RetryFrom,
) -> DomainResult<BulkPreview> {
    crate::access::read(actor)?;
    let org = &actor.org().id;
    let now = time::OffsetDateTime::now_utc();
    let mut candidates =
        repo::batch::candidates(conn, org, query, now, BATCH_MAX as i64 + 1).await?;
    let over_limit = candidates.len() > BATCH_MAX;
    candidates.truncate(BATCH_MAX);
    let (taken, skipped) = sort_out(conn, org, &candidates, from).await?;
    let sample = match taken.first() {
        Some((c, _, _)) => Some(preview(conn, actor, &c.id, from).await?),
        None => None,
    };
    Ok(BulkPreview {
        from,
        retried: taken.len(),
        over_limit,
        skipped,
        sample,
        may_edit: actor.may_edit(),
        key: crate::id::random_base62(16),
    })
}

/// Retries the runs `query` lets through as one batch (at most `BATCH_MAX`), recorded with its
/// actor and `RunBatch.queued`. `key` names the confirm: a batch already queued under it is
/// answered again, and nothing more is queued. Editors and Admins only.
#[cfg(feature = "db")]
pub async fn retry_bulk(
    conn: &mut Conn,
    actor: &impl Actor,
    query: &crate::query::RunQuery,
    from: RetryFrom,
    key: &str,
) -> DomainResult<BatchQueued> {
    crate::access::edit(actor)?;
    let key = key.trim();
    if key.is_empty() || key.len() > 64 {
        return Err(DomainError::field(
            "key",
            "The confirm's key is missing or damaged: open the bulk retry again",
        ));
    }
    let org = &actor.org().id;
    let by = actor.reference();
    let filter = query
        .pairs()
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    conn.transaction::<_, DomainError, _>(async |conn| {
        let Some(batch) =
            repo::batch::insert(conn, org, &by, (from.as_str(), &filter, key)).await?
        else {
            let found = repo::batch::by_key(conn, org, key).await?;
            return Ok(BatchQueued {
                batch: found.id,
                queued: found.total as usize,
                skipped: found.skipped as usize,
                again: true,
            });
        };
        let now = time::OffsetDateTime::now_utc();
        let candidates = repo::batch::candidates(conn, org, query, now, BATCH_MAX as i64).await?;
        let (taken, skipped) = sort_out(conn, org, &candidates, from).await?;
        let retries: Vec<repo::batch::Queued> = taken
            .iter()
            .map(|(c, version, from_step)| repo::batch::Queued {
                id: RunId::generate(),
                of: c,
                version: *version,
                from: *from_step,
            })
            .collect();
        let left_out: usize = skipped.iter().map(|(_, n)| n).sum();
        repo::batch::queue(conn, org, &batch, &by, &retries, left_out).await?;
        let data = json!({
            "batch": batch, "runs": retries.len(), "skipped": left_out,
            "from": from.as_str(), "filter": filter,
        });
        let event = NewEvent {
            actor: Some(by.clone()),
            subject: Some(batch.to_string()),
            ..NewEvent::new("RunBatch.queued", data, EventSource::Verb)
        };
        let limits = crate::ingest::Limits::DEFAULT;
        crate::ingest::record_and_queue(conn, org, &event, None, &limits).await?;
        crate::ingest::notify_workers(conn).await?;
        Ok(BatchQueued {
            batch,
            queued: retries.len(),
            skipped: left_out,
            again: false,
        })
    })
    .await
}

/// A batch's progress: its runs by status, who queued it and who asked to cancel it.
#[cfg(feature = "db")]
pub async fn batch(
    conn: &mut Conn,
    actor: &impl Actor,
    id: &crate::id::BatchId,
) -> DomainResult<BatchProgress> {
    crate::access::read(actor)?;
    let org = &actor.org().id;
    let row = repo::batch::get(conn, org, id).await?;
    let counts = repo::batch::progress(conn, org, id).await?;
    let requested_by = repo::org::who(conn, org, &row.requested_by).await?;
    let cancel_requested_by = match &row.cancel_requested_by {
        Some(by) => Some(repo::org::who(conn, org, by).await?),
        None => None,
    };
    Ok(BatchProgress {
        id: row.id,
        from: parse_from(&row.retry_from)?,
        total: row.total,
        skipped: row.skipped,
        requested_by,
        created_at: row.created_at,
        counts,
        cancel_requested_by,
        may_edit: actor.may_edit(),
    })
}

/// Cancels the batch's runs that have not started; the started ones finish, so that no run
/// is left half-done. Returns how many were cancelled. Editors and Admins only.
#[cfg(feature = "db")]
pub async fn cancel_batch(
    conn: &mut Conn,
    actor: &impl Actor,
    id: &crate::id::BatchId,
) -> DomainResult<usize> {
    crate::access::edit(actor)?;
    let org = &actor.org().id;
    conn.transaction::<_, DomainError, _>(async |conn| {
        repo::batch::get(conn, org, id).await?;
        let now = time::OffsetDateTime::now_utc();
        let asked = repo::batch::cancel_unstarted(conn, org, id, &actor.reference(), now).await?;
        if asked > 0 {
            crate::ingest::notify_workers(conn).await?;
        }
        Ok(asked)
    })
    .await
}

/// What each step of a workflow would do with sample data, worked out without running or
/// writing anything: the dry run of the trigger form and the edit page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DryRun {
    /// The sample data as it was read.
    pub sample: serde_json::Value,
    pub steps: Vec<StepPreview>,
}

/// The dry run of `fields` (the saved version `version` of `workflow`, or an unsaved form)
/// for `sample_text`, sample data typed as JSON (a field error when it is not).
#[cfg(feature = "db")]
async fn dry_run(
    conn: &mut Conn,
    actor: &impl Actor,
    (workflow, version): (&WorkflowId, i32),
    fields: WorkflowFields,
    sample_text: &str,
) -> DomainResult<DryRun> {
    crate::access::read(actor)?;
    let sample = crate::payload::from_text("sample", sample_text)?;
    let event_type = fields.trigger_event.clone();
    let event = crate::engine::EventContext {
        id: "evt_preview",
        event_type: &event_type,
        data: sample.clone(),
        created_at: time::OffsetDateTime::now_utc(),
    };
    let steps = crate::engine::preview(
        conn,
        actor.org(),
        (workflow, version),
        fields,
        &event,
        (0, &[]),
    )
    .await?;
    Ok(DryRun { sample, steps })
}

/// The dry run of the saved workflow `id` with `sample_text`. Any member may read it.
#[cfg(feature = "db")]
pub async fn dry_run_saved(
    conn: &mut Conn,
    actor: &impl Actor,
    id: &WorkflowId,
    sample_text: &str,
) -> DomainResult<DryRun> {
    let workflow = repo::workflow::get(conn, &actor.org().id, id).await?;
    let fields = workflow.fields();
    dry_run(
        conn,
        actor,
        (&workflow.id, workflow.version),
        fields,
        sample_text,
    )
    .await
}

/// The dry run of the workflow form as typed (not saved) with `sample_text`: the form's own
/// field errors first, as saving would give them. Steps nobody saved are an editor's to try:
/// Viewers may not (the preview works out whatever expressions it is given).
#[cfg(feature = "db")]
pub async fn dry_run_input(
    conn: &mut Conn,
    actor: &impl Actor,
    id: Option<&WorkflowId>,
    input: &crate::workflow::WorkflowInput,
    sample_text: &str,
) -> DomainResult<DryRun> {
    crate::access::edit(actor)?;
    let fields = input.validate().map_err(DomainError::Validation)?;
    let (workflow, version) = match id {
        Some(id) => {
            let saved = repo::workflow::get(conn, &actor.org().id, id).await?;
            (saved.id, saved.version + 1)
        }
        None => (WorkflowId::generate(), 1),
    };
    dry_run(conn, actor, (&workflow, version), fields, sample_text).await
}
