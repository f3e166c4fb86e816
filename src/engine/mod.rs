//! The engine: workers claim ready runs (`FOR UPDATE SKIP LOCKED`, a lease and a fencing
//! token) and advance them one step per transaction, so that a completed step is never run
//! twice and a worker that lost its lease can no longer write. Time comes in as an argument:
//! tests move it instead of sleeping.

mod action;
mod retry;

pub use action::past_tense;
pub use retry::{Backoff, RetryPolicy};

use crate::db::Conn;
use crate::entity::EventSource;
use crate::error::{DomainError, DomainResult};
use crate::id::{EventId, OrgId, RunId, WorkflowId};
use crate::ingest::record_and_queue;
use crate::mapping;
use crate::repo::event::NewEvent;
use crate::run::RunStatus;
use crate::schema::{events, organizations, run_steps, runs, workflow_versions};
use crate::workflow::{ErrorHandling, MappingRow, StepInput, WorkflowFields, steps_from_json};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text, Timestamptz};
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime};

/// A run a worker holds, with the fencing token of its claim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    pub run: RunId,
    pub fence: i64,
}

/// What one call to `advance` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Progress {
    /// A step was done (or skipped); call again.
    Continue,
    /// The step failed and will be tried again at this time; the lease is handed back.
    Rescheduled(OffsetDateTime),
    /// The run ended.
    Finished(RunStatus),
    /// The lease was lost to another worker: nothing was written.
    Lost,
}

/// The engine's own transactions commit without waiting for the disk. A crash of the database
/// can then lose the last few milliseconds of them, but only whole transactions: a step's
/// record goes with its effects (all in this database), so a lost step is simply done again
/// and never twice. Events posted through the API still wait for the disk before their answer.
async fn relaxed_commit(conn: &mut Conn) -> QueryResult<()> {
    diesel::sql_query("SET LOCAL synchronous_commit = off")
        .execute(conn)
        .await
        .map(drop)
}

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = BigInt)]
    fence: i64,
}

/// Claims the oldest ready run: queued, waiting for a retry, or held by a worker whose lease
/// ran out. One statement; the run starts (counters, status, `Workflow.triggered`) in the
/// same transaction as its first step.
pub async fn claim(
    conn: &mut Conn,
    worker: &str,
    lease: Duration,
    now: OffsetDateTime,
) -> DomainResult<Option<Claim>> {
    let claimed: Option<Claimed> = diesel::sql_query(
        "WITH next AS (
            SELECT id FROM runs
            WHERE status IN ('Queued', 'Running') AND run_at <= $1 AND (lease_until IS NULL OR lease_until < $1)
            ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED)
         UPDATE runs r SET status = 'Running', lease_owner = $2, lease_until = $3, fence = r.fence + 1
         FROM next WHERE r.id = next.id
         RETURNING r.id, r.fence",
    )
    .bind::<Timestamptz, _>(now)
    .bind::<Text, _>(worker)
    .bind::<Timestamptz, _>(now + lease)
    .get_result(conn)
    .await
    .optional()?;
    let Some(claimed) = claimed else {
        return Ok(None);
    };
    let run = RunId::parse(&claimed.id)
        .ok_or_else(|| DomainError::Internal(format!("bad run id {}", claimed.id)))?;
    Ok(Some(Claim {
        run,
        fence: claimed.fence,
    }))
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = runs, check_for_backend(diesel::pg::Pg))]
struct RunRow {
    id: RunId,
    org_id: OrgId,
    workflow_id: WorkflowId,
    workflow_version: i32,
    event_id: EventId,
    next_step: i32,
    attempt: i32,
    depth: i32,
    failed_step: Option<i32>,
    started_at: Option<OffsetDateTime>,
}

/// What a run needs to know about its workflow version, event and organization.
struct Plan {
    fields: WorkflowFields,
    steps: Vec<StepInput>,
    /// The names a mapping may start with, for this trigger event.
    roots: Vec<String>,
    context: Value,
    /// The event came from the trigger verb, which recorded `Workflow.triggered` itself.
    manual: bool,
}

type PlanRow = (Value, String, Value, OffsetDateTime, String, String);

async fn plan(conn: &mut Conn, run: &RunRow) -> DomainResult<Plan> {
    let (snapshot, event_type, data, created_at, source, org_name): PlanRow =
        workflow_versions::table
            .inner_join(events::table.on(events::id.eq(run.event_id.clone())))
            .inner_join(organizations::table.on(organizations::id.eq(run.org_id.clone())))
            .filter(workflow_versions::workflow_id.eq(run.workflow_id.clone()))
            .filter(workflow_versions::version.eq(run.workflow_version))
            .select((
                workflow_versions::snapshot,
                events::type_,
                events::data,
                events::created_at,
                events::source,
                organizations::name,
            ))
            .first(conn)
            .await?;
    let fields: WorkflowFields = serde_json::from_value(snapshot)
        .map_err(|e| DomainError::Internal(format!("snapshot: {e}")))?;
    let steps = steps_from_json(&fields.steps).unwrap_or_default();
    let outputs: Vec<Option<Value>> = if run.next_step > 0 {
        run_steps::table
            .filter(run_steps::run_id.eq(&run.id))
            .order(run_steps::idx.asc())
            .select(run_steps::output)
            .load(conn)
            .await?
    } else {
        Vec::new()
    };
    let stamp = created_at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let mut context = json!({
        "event": { "id": run.event_id, "type": event_type, "data": data, "createdAt": stamp },
        "step": outputs.into_iter().map(|o| o.unwrap_or(Value::Null)).collect::<Vec<_>>(),
        "workflow": { "id": run.workflow_id, "name": fields.name, "version": run.workflow_version },
        "org": { "id": run.org_id, "name": org_name },
    });
    let root = mapping::root_for_trigger(&fields.trigger_event);
    if !root.is_empty() && context.get(&root).is_none() {
        context[root] = data;
    }
    Ok(Plan {
        roots: mapping::known_roots(&fields.trigger_event),
        fields,
        steps,
        context,
        manual: source == EventSource::Manual.as_str(),
    })
}

/// Resolves a step's mapping; the error names the field.
fn resolve(rows: &[MappingRow], plan: &Plan) -> Result<Map<String, Value>, String> {
    let mut input = Map::new();
    for MappingRow { field, expr } in rows {
        let parsed = mapping::parse(expr, &plan.roots)
            .map_err(|e| format!("The field {field} cannot be worked out: {e}"))?;
        input.insert(field.clone(), parsed.eval(&plan.context));
    }
    Ok(input)
}

fn truthy(v: &Value) -> bool {
    !matches!(v, Value::Null | Value::Bool(false))
}

/// Runs one action in a savepoint: a failed action leaves nothing behind.
async fn attempt(
    conn: &mut Conn,
    run: &RunRow,
    action: &str,
    input: &Map<String, Value>,
) -> Result<Value, String> {
    let result = conn
        .transaction::<_, DomainError, _>(async |conn| {
            let done = match action::perform(conn, &run.org_id, action, input).await {
                Ok(done) => done,
                Err(message) => return Ok(Err(message)),
            };
            if let Some((event_type, data)) = done.event {
                if run.depth + 1 > crate::ingest::MAX_CHAIN {
                    return Err(DomainError::Vetoed(format!(
                        "Stopped: this is the {}th event in a chain of workflows starting each other (at most {}). Check for a loop.",
                        run.depth + 1,
                        crate::ingest::MAX_CHAIN
                    )));
                }
                let event = NewEvent { event_type, data, source: action::SOURCE, actor: None, subject: Some(run.id.to_string()) };
                record_and_queue(conn, &run.org_id, &event, run.depth + 1).await?;
            }
            Ok(Ok(done.output))
        })
        .await;
    match result {
        Ok(outcome) => outcome,
        Err(DomainError::Vetoed(message)) => Err(message),
        Err(other) => Err(format!("The step could not be saved: {other}")),
    }
}

struct StepRecord<'a> {
    idx: i32,
    action: &'a str,
    status: &'a str,
    input: Option<Value>,
    output: Option<Value>,
    error: Option<String>,
    attempts: i32,
}

impl<'a> StepRecord<'a> {
    /// A step passed over: its condition did not hold, or an earlier step stopped the run.
    fn skipped(idx: i32, action: &'a str) -> Self {
        StepRecord {
            idx,
            action,
            status: "Skipped",
            input: None,
            output: None,
            error: None,
            attempts: 0,
        }
    }
}

async fn write_step(
    conn: &mut Conn,
    run: &RunRow,
    s: StepRecord<'_>,
    now: OffsetDateTime,
) -> QueryResult<()> {
    diesel::insert_into(run_steps::table)
        .values((
            run_steps::run_id.eq(&run.id),
            run_steps::idx.eq(s.idx),
            run_steps::org_id.eq(&run.org_id),
            run_steps::action.eq(s.action),
            run_steps::status.eq(s.status),
            run_steps::input.eq(&s.input),
            run_steps::output.eq(&s.output),
            run_steps::error.eq(&s.error),
            run_steps::attempts.eq(s.attempts),
            run_steps::started_at.eq(now),
            run_steps::finished_at.eq(now),
        ))
        .on_conflict((run_steps::run_id, run_steps::idx))
        .do_update()
        .set((
            run_steps::status.eq(s.status),
            run_steps::input.eq(&s.input),
            run_steps::output.eq(&s.output),
            run_steps::error.eq(&s.error),
            run_steps::attempts.eq(s.attempts),
            run_steps::finished_at.eq(now),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Where the run goes after this transaction's step.
enum Move {
    /// Past the step; `failed` when it failed and the run goes on (errorHandling Continue).
    Next { failed: bool },
    /// The step waits for its next attempt at `at`, the claim handed back meanwhile.
    Retry { at: OffsetDateTime, attempts: i32 },
    /// The run ends now.
    End {
        status: RunStatus,
        error: Option<String>,
        failed_step: Option<i32>,
    },
}

/// Advances the claimed run by one step, in one transaction fenced by the claim: the run's
/// start (with its first step) and its end (with its last) included, so a one-step run is one
/// transaction. The workflow's row is written last, to hold its lock for as short as can be.
pub async fn advance(
    conn: &mut Conn,
    worker: &str,
    claim: &Claim,
    lease: Duration,
    now: OffsetDateTime,
) -> DomainResult<Progress> {
    conn.transaction::<_, DomainError, _>(async |conn| {
        relaxed_commit(conn).await?;
        let held: Option<RunRow> = runs::table
            .filter(runs::id.eq(&claim.run))
            .filter(runs::fence.eq(claim.fence))
            .filter(runs::lease_owner.eq(worker))
            .filter(runs::status.eq(RunStatus::Running.as_str()))
            .select(RunRow::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?;
        let Some(run) = held else {
            return Ok(Progress::Lost);
        };
        let plan = plan(conn, &run).await?;
        let started = run.started_at.unwrap_or(now);
        let idx = run.next_step;
        let timed_out = plan
            .fields
            .timeout_ms
            .filter(|limit| now - started > Duration::milliseconds(*limit));
        // A run's start is recorded before its first step's events.
        let fresh = run.started_at.is_none();
        if fresh && !plan.manual {
            let data = json!({ "workflow": run.workflow_id, "name": plan.fields.name, "run": run.id, "version": run.workflow_version });
            record_run_event(conn, &run, "Workflow.triggered", data).await?;
        }
        let step = plan.steps.get(idx as usize).filter(|_| timed_out.is_none());
        let mv = match (timed_out, step) {
            (Some(limit), _) => Move::End {
                status: RunStatus::TimedOut,
                error: Some(format!("The run took longer than its time limit of {limit} ms.")),
                failed_step: run.failed_step,
            },
            (None, Some(step)) => perform_step(conn, &run, &plan, step, now).await?,
            (None, None) => Move::Next { failed: false },
        };
        let failed_step = match mv {
            Move::Next { failed: true } => run.failed_step.or(Some(idx)),
            _ => run.failed_step,
        };
        // Past the last step, the run ends with this transaction.
        let mv = match mv {
            Move::Next { .. } if step.is_none() || idx as usize + 1 >= plan.steps.len() => {
                Move::End {
                    status: if failed_step.is_some() {
                        RunStatus::Failed
                    } else {
                        RunStatus::Succeeded
                    },
                    error: failed_step
                        .map(|i| format!("Step {} failed; the steps after it still ran.", i + 1)),
                    failed_step,
                }
            }
            other => other,
        };
        let next_step = if step.is_some() { idx + 1 } else { idx };
        let progress = match &mv {
            Move::Next { .. } => {
                diesel::update(runs::table.find(&run.id))
                    .set((
                        runs::next_step.eq(next_step),
                        runs::attempt.eq(0),
                        runs::failed_step.eq(failed_step),
                        runs::lease_until.eq(now + lease),
                        runs::started_at.eq(started),
                    ))
                    .execute(conn)
                    .await?;
                Progress::Continue
            }
            Move::Retry { at, attempts } => {
                diesel::update(runs::table.find(&run.id))
                    .set((
                        runs::attempt.eq(attempts),
                        runs::run_at.eq(at),
                        runs::lease_owner.eq(None::<String>),
                        runs::lease_until.eq(None::<OffsetDateTime>),
                        runs::started_at.eq(started),
                    ))
                    .execute(conn)
                    .await?;
                Progress::Rescheduled(*at)
            }
            Move::End {
                status,
                error,
                failed_step,
            } => {
                diesel::update(runs::table.find(&run.id))
                    .set((
                        runs::next_step.eq(next_step),
                        runs::status.eq(status.as_str()),
                        runs::started_at.eq(started),
                        runs::finished_at.eq(now),
                        runs::error.eq(error),
                        runs::failed_step.eq(failed_step),
                        runs::lease_owner.eq(None::<String>),
                        runs::lease_until.eq(None::<OffsetDateTime>),
                    ))
                    .execute(conn)
                    .await?;
                Progress::Finished(*status)
            }
        };
        let ended = match &mv {
            Move::End { status, error, .. } => {
                let duration = (now - started).whole_milliseconds() as i64;
                let succeeded = *status == RunStatus::Succeeded;
                let event_type = if succeeded { "Run.succeeded" } else { "Run.failed" };
                let data = json!({ "workflow": run.workflow_id, "name": plan.fields.name, "run": run.id, "status": status, "duration": duration, "error": error });
                record_run_event(conn, &run, event_type, data).await?;
                Some(succeeded)
            }
            _ => None,
        };
        if fresh || ended.is_some() {
            count(conn, &run, fresh, ended, now).await?;
        }
        Ok(progress)
    })
    .await
}

/// Records an event about the run's workflow, one link further down the run's chain.
async fn record_run_event(
    conn: &mut Conn,
    run: &RunRow,
    event_type: &str,
    data: Value,
) -> QueryResult<()> {
    let event = NewEvent {
        event_type: event_type.into(),
        data,
        source: EventSource::Verb,
        actor: None,
        subject: Some(run.workflow_id.to_string()),
    };
    record_and_queue(conn, &run.org_id, &event, run.depth + 1)
        .await
        .map(drop)
}

/// The workflow's counters and status: a run's start sets `lastRunAt`, adds to `runCount` and
/// moves an Activated workflow to Triggered; its end adds to `successCount` or `failureCount`
/// and moves it back once no other run of it is running.
async fn count(
    conn: &mut Conn,
    run: &RunRow,
    started: bool,
    ended: Option<bool>,
    now: OffsetDateTime,
) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE workflows SET
            last_run_at = CASE WHEN $1 THEN $2 ELSE last_run_at END,
            run_count = run_count + CASE WHEN $1 THEN 1 ELSE 0 END,
            success_count = success_count + CASE WHEN $3 THEN 1 ELSE 0 END,
            failure_count = failure_count + CASE WHEN $4 THEN 1 ELSE 0 END,
            status = CASE
                WHEN ($3 OR $4) AND (status = 'Triggered' OR ($1 AND status IN ('Active', 'Activated')))
                    THEN CASE WHEN EXISTS (SELECT 1 FROM runs r WHERE r.workflow_id = $5 AND r.status = 'Running' AND r.id <> $6)
                        THEN 'Triggered' ELSE 'Activated' END
                WHEN $1 AND status IN ('Active', 'Activated') THEN 'Triggered'
                ELSE status END
         WHERE id = $5",
    )
    .bind::<Bool, _>(started)
    .bind::<Timestamptz, _>(now)
    .bind::<Bool, _>(ended == Some(true))
    .bind::<Bool, _>(ended == Some(false))
    .bind::<Text, _>(run.workflow_id.as_str())
    .bind::<Text, _>(run.id.as_str())
    .execute(conn)
    .await
    .map(drop)
}

/// Does the run's current step (or skips it, when its condition does not hold), records it,
/// and says where the run goes.
async fn perform_step(
    conn: &mut Conn,
    run: &RunRow,
    plan: &Plan,
    step: &StepInput,
    now: OffsetDateTime,
) -> DomainResult<Move> {
    let idx = run.next_step;
    let action = step.action.as_str();
    let condition = step.condition.trim();
    if !condition.is_empty() {
        let holds = mapping::parse(condition, &plan.roots)
            .map(|e| truthy(&e.eval(&plan.context)))
            .unwrap_or(false);
        if !holds {
            write_step(conn, run, StepRecord::skipped(idx, action), now).await?;
            return Ok(Move::Next { failed: false });
        }
    }
    let attempts = run.attempt + 1;
    let (input, result) = match resolve(&step.mapping, plan) {
        Ok(input) => (
            Some(Value::Object(input.clone())),
            attempt(conn, run, action, &input).await,
        ),
        Err(message) => (None, Err(message)),
    };
    match result {
        Ok(output) => {
            let record = StepRecord {
                idx,
                action,
                status: "Succeeded",
                input,
                output: Some(output),
                error: None,
                attempts,
            };
            write_step(conn, run, record, now).await?;
            Ok(Move::Next { failed: false })
        }
        Err(message) => fail_step(conn, run, plan, step, input, message, attempts, now).await,
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "one step's whole failure path, kept in one place"
)]
async fn fail_step(
    conn: &mut Conn,
    run: &RunRow,
    plan: &Plan,
    step: &StepInput,
    input: Option<Value>,
    message: String,
    attempts: i32,
    now: OffsetDateTime,
) -> DomainResult<Move> {
    let idx = run.next_step;
    let action = step.action.as_str();
    let policy = RetryPolicy::from_json(plan.fields.retry_policy.as_deref());
    let error = format!("Step {} ({action}): {message}", idx + 1);
    if attempts < policy.max_attempts {
        let record = StepRecord {
            idx,
            action,
            status: "Pending",
            input,
            output: None,
            error: Some(error),
            attempts,
        };
        write_step(conn, run, record, now).await?;
        let at = now + policy.delay_after(attempts);
        return Ok(Move::Retry { at, attempts });
    }
    match plan.fields.error_handling {
        ErrorHandling::Continue => {
            let record = StepRecord {
                idx,
                action,
                status: "Failed",
                input,
                output: None,
                error: Some(error),
                attempts,
            };
            write_step(conn, run, record, now).await?;
            Ok(Move::Next { failed: true })
        }
        ErrorHandling::Fallback if !step.fallback_action.trim().is_empty() => {
            let fallback_action = step.fallback_action.as_str();
            let recovered = match resolve(&step.fallback_mapping, plan) {
                Ok(fallback_input) => attempt(conn, run, fallback_action, &fallback_input).await,
                Err(m) => Err(m),
            };
            match recovered {
                Ok(output) => {
                    let note = Some(format!(
                        "{error} — recovered by its fallback {fallback_action}"
                    ));
                    let record = StepRecord {
                        idx,
                        action,
                        status: "Recovered",
                        input,
                        output: Some(output),
                        error: note,
                        attempts,
                    };
                    write_step(conn, run, record, now).await?;
                    Ok(Move::Next { failed: false })
                }
                Err(fallback_error) => {
                    let error = format!(
                        "{error}; its fallback {fallback_action} failed too: {fallback_error}"
                    );
                    stop(conn, run, plan, action, input, error, attempts, now).await
                }
            }
        }
        ErrorHandling::Stop | ErrorHandling::Fallback => {
            stop(conn, run, plan, action, input, error, attempts, now).await
        }
    }
}

/// Ends the run Failed at its current step; the steps after it are Skipped.
#[expect(clippy::too_many_arguments, reason = "mirrors fail_step")]
async fn stop(
    conn: &mut Conn,
    run: &RunRow,
    plan: &Plan,
    action: &str,
    input: Option<Value>,
    error: String,
    attempts: i32,
    now: OffsetDateTime,
) -> DomainResult<Move> {
    let idx = run.next_step;
    let record = StepRecord {
        idx,
        action,
        status: "Failed",
        input,
        output: None,
        error: Some(error.clone()),
        attempts,
    };
    write_step(conn, run, record, now).await?;
    for (later, step) in plan.steps.iter().enumerate().skip(idx as usize + 1) {
        write_step(
            conn,
            run,
            StepRecord::skipped(later as i32, &step.action),
            now,
        )
        .await?;
    }
    Ok(Move::End {
        status: RunStatus::Failed,
        error: Some(error),
        failed_step: Some(idx),
    })
}

/// Hands a claimed run back (a worker stopping between steps): the next claim takes it at
/// once and resumes after its last completed step. False when the claim was already lost.
pub async fn release(conn: &mut Conn, worker: &str, claim: &Claim) -> DomainResult<bool> {
    let released = diesel::update(
        runs::table
            .filter(runs::id.eq(&claim.run))
            .filter(runs::fence.eq(claim.fence))
            .filter(runs::lease_owner.eq(worker))
            .filter(runs::status.eq(RunStatus::Running.as_str())),
    )
    .set((
        runs::lease_owner.eq(None::<String>),
        runs::lease_until.eq(None::<OffsetDateTime>),
    ))
    .execute(conn)
    .await?;
    Ok(released == 1)
}

/// Claims and advances runs until none is ready at `now`; returns how many it finished.
/// The test suite's worker: time stands still at `now`.
pub async fn drain(
    conn: &mut Conn,
    worker: &str,
    lease: Duration,
    now: OffsetDateTime,
) -> DomainResult<usize> {
    drain_at_most(conn, worker, lease, &|| now, usize::MAX).await
}

/// Claims at most `max` ready runs and takes each to its end or its next retry, reading the
/// time from `clock` before every claim and step; returns how many runs ended.
pub async fn drain_at_most(
    conn: &mut Conn,
    worker: &str,
    lease: Duration,
    clock: &(dyn Fn() -> OffsetDateTime + Sync),
    max: usize,
) -> DomainResult<usize> {
    let mut finished = 0;
    for _ in 0..max {
        let Some(claim) = claim(conn, worker, lease, clock()).await? else {
            break;
        };
        loop {
            match advance(conn, worker, &claim, lease, clock()).await? {
                Progress::Continue => continue,
                Progress::Finished(_) => finished += 1,
                Progress::Rescheduled(_) | Progress::Lost => {}
            }
            break;
        }
    }
    Ok(finished)
}
