//! Advancing a claimed run by one step, in one transaction fenced by the claim: the run's start
//! (with its first step) and its end (with its last) included, so a one-step run is one
//! transaction. The workflow's row is written last, to hold its lock for as short as can be.

use super::call::Answered;
use super::decide::{Decision, decide, past_limit};
use super::plan::{self, Plan};
use super::step::{self, Ctx, Move};
use super::{Claim, Progress, STALLS_MAX};
use crate::db::Conn;
use crate::entity::EventSource;
use crate::error::{DomainError, DomainResult};
use crate::hooks::HIGH_FAILURE_RATE;
use crate::id::WorkflowId;
use crate::ingest::{self, ChainedEvent, Limits};
use crate::repo;
use crate::repo::event::NewEvent;
use crate::repo::run::{End, News, RunRow};
use crate::repo::stats::{Failure, RunOutcome};
use crate::repo::workflow::AlertCheck;
use crate::run::RunStatus;
use crate::store_error::QueryResult;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde_json::{Value, json};
use std::sync::Mutex;
use time::{Duration, OffsetDateTime};

/// The engine's own transactions commit without waiting for the disk. A crash of the database
/// can then lose the last few milliseconds of them, but only whole transactions: a step's
/// record goes with its effects (all in this database), so a lost step is simply done again
/// and never twice. Events posted through the API still wait for the disk before their answer.
async fn relaxed_commit(conn: &mut Conn) -> QueryResult<()> {
    diesel::sql_query("SET LOCAL synchronous_commit = off")
        .execute(conn)
        .await
        .map(drop)
        .map_err(Into::into)
}

pub(super) async fn advance(
    conn: &mut Conn,
    worker: &str,
    claim: &Claim,
    lease: Duration,
    now: OffsetDateTime,
    limits: &Limits,
    answer: Option<&Answered>,
) -> DomainResult<Progress> {
    conn.transaction::<_, crate::store_error::StoreError, _>(async |conn| {
        relaxed_commit(conn).await?;
        let step = (lease, now, limits, answer);
        let (progress, moved) = advance_in(conn, worker, claim, step).await?;
        settle_statuses(conn, moved.as_slice()).await?;
        Ok(progress)
    })
    .await
    .map_err(Into::into)
}

/// Advances each claimed run by one step, all in one transaction, each run in a savepoint of its
/// own: a run the engine fails on is rolled back to where it was and its failed try recorded
/// (`stall`), while the others' steps commit. The ends' status moves come last, the workflows in
/// order of their ids, so the locks they take are held the shortest time and always taken in
/// the same order. One result per claim, in order; an error of the whole (the connection lost)
/// commits nothing, and every run is then taken over once its lease runs out.
pub(super) async fn advance_all(
    conn: &mut Conn,
    worker: &str,
    claims: &[Claim],
    lease: Duration,
    now: OffsetDateTime,
    limits: &Limits,
) -> DomainResult<Vec<DomainResult<Progress>>> {
    conn.transaction::<_, crate::store_error::StoreError, _>(async |conn| {
        relaxed_commit(conn).await?;
        let mut results = Vec::with_capacity(claims.len());
        let mut moved = Vec::new();
        for claim in claims {
            let result = conn
                .transaction::<_, crate::store_error::StoreError, _>(async |conn| {
                    crate::store_error::domain(async {
                        advance_in(conn, worker, claim, (lease, now, limits, None)).await
                    })
                    .await
                })
                .await
                .map_err(DomainError::from);
            let result = match result {
                Ok((progress, moves)) => {
                    moved.extend(moves);
                    Ok(progress)
                }
                Err(error) => {
                    super::stall_in(conn, worker, claim, &error, now).await?;
                    Err(error)
                }
            };
            results.push(result);
        }
        // One move a workflow (its start before its end), in order of workflow id.
        moved.sort_by(|a: &Moved, b| a.workflow.cmp(&b.workflow));
        let mut merged: Vec<Moved> = Vec::with_capacity(moved.len());
        for m in moved {
            match merged.last_mut() {
                Some(last) if last.workflow == m.workflow => {
                    last.started |= m.started;
                    last.ended |= m.ended;
                }
                _ => merged.push(m),
            }
        }
        settle_statuses(conn, &merged).await?;
        Ok(results)
    })
    .await
    .map_err(Into::into)
}

/// One step of a claimed run, in the caller's transaction; with the progress, how the run
/// moves its workflow's status (done in `settle_statuses`), if it started or ended.
async fn advance_in(
    conn: &mut Conn,
    worker: &str,
    claim: &Claim,
    (lease, now, limits, answer): (Duration, OffsetDateTime, &Limits, Option<&Answered>),
) -> DomainResult<(Progress, Option<Moved>)> {
    let Some(run) = repo::run::held(conn, worker, claim).await? else {
        return Ok((Progress::Lost, None));
    };
    // An answer for another step or attempt than the run's (it moved on meanwhile): stale.
    if answer.is_some_and(|a| a.step != run.next_step || a.attempt != run.attempt) {
        return Ok((Progress::Lost, None));
    }
    let progress = if run.cancel_requested_by.is_some() {
        super::stop::cancelled(conn, &run, now).await?
    } else if run.stalls >= STALLS_MAX {
        super::stop::give_up(conn, &run, now).await?
    } else {
        let plan = plan::load(conn, &run).await?;
        let held = Held { run: &run, claim };
        one_step(conn, held, &plan, (lease, now, limits, answer)).await?
    };
    let started = run.started_at.is_none() && !matches!(progress, Progress::Call(_));
    let ended = matches!(progress, Progress::Finished(_));
    let moved = (started || ended).then(|| Moved {
        workflow: run.workflow_id.clone(),
        started,
        ended,
    });
    Ok((progress, moved))
}

/// How the runs of one transaction move a workflow's status: one of them started, one ended.
#[derive(Clone, Debug)]
struct Moved {
    workflow: WorkflowId,
    started: bool,
    ended: bool,
}

/// Moves the status of the workflows whose runs started or ended in this transaction, last in
/// it and in order of workflow id, so that the row locks and advisory locks this takes are
/// held the shortest time and always taken in one order (see `repo::workflow::run_started` and
/// `run_ended`).
async fn settle_statuses(conn: &mut Conn, moved: &[Moved]) -> QueryResult<()> {
    for m in moved {
        if m.started {
            repo::workflow::run_started(conn, &m.workflow).await?;
        }
        if m.ended {
            repo::workflow::run_ended(conn, &m.workflow).await?;
        }
    }
    Ok(())
}

/// The run a worker holds, and the claim it holds it under.
struct Held<'a> {
    run: &'a RunRow,
    claim: &'a Claim,
}

/// One step of the run (or its end), in the caller's transaction: works out and performs the
/// step, `decide`s where the run goes, and writes it. A step that calls out writes nothing but
/// a longer lease: the call is made after the transaction, its answer recorded in the next.
async fn one_step(
    conn: &mut Conn,
    Held { run, claim }: Held<'_>,
    plan: &Plan,
    (lease, now, limits, answer): (Duration, OffsetDateTime, &Limits, Option<&Answered>),
) -> DomainResult<Progress> {
    // A run whose first step called out started when the call was worked out.
    let started = run
        .started_at
        .or(answer.map(|a| a.prepared_at))
        .unwrap_or(now);
    let idx = run.next_step;
    let steps = &plan.fields.steps;
    let timed_out = past_limit(plan.fields.timeout_ms, started, now);
    // A run's start is recorded before its first step's events.
    let fresh = run.started_at.is_none();
    let mut events = Vec::new();
    if fresh && !plan.manual {
        let data = json!({ "workflow": run.workflow_id, "name": plan.fields.name, "run": run.id, "version": run.workflow_version });
        events.push(run_event(run, "Workflow.triggered", data));
    }
    let step = steps.get(idx as usize).filter(|_| timed_out.is_none());
    let ctx = Ctx {
        run,
        plan,
        limits,
        now,
        news: Mutex::new(run.news()),
        events: Mutex::new(events),
        claim,
        answer,
    };
    let performed = match step {
        Some(step) => Some(step::perform(conn, &ctx, step).await?),
        None => None,
    };
    let performed = match performed {
        Some(Move::Call(call)) => {
            repo::run::hold_until(conn, run, now + call.lease()).await?;
            return Ok(Progress::Call(call));
        }
        other => other,
    };
    let Decision {
        mv,
        failed_step,
        next_step,
    } = decide(performed, timed_out, idx, steps.len(), run.failed_step);
    let news = ctx.news.into_inner().unwrap_or_else(|e| e.into_inner());
    let events = ctx.events.into_inner().unwrap_or_else(|e| e.into_inner());
    let decided = Decision {
        mv,
        failed_step,
        next_step,
    };
    let written = Written {
        news,
        events,
        started,
        lease_until: now + lease,
    };
    write(conn, run, plan, decided, written, now).await
}

/// What a transaction's step leaves to write with the run's move.
struct Written {
    news: News,
    events: Vec<ChainedEvent>,
    started: OffsetDateTime,
    lease_until: OffsetDateTime,
}

/// Writes what `decide` said: the step's events and the run's next position, its retry, or its
/// end; and, for a run that started here and goes on, its workflow's start.
async fn write(
    conn: &mut Conn,
    run: &RunRow,
    plan: &Plan,
    decided: Decision,
    written: Written,
    now: OffsetDateTime,
) -> DomainResult<Progress> {
    let Decision {
        mv,
        failed_step,
        next_step,
    } = decided;
    let Written {
        mut news,
        events,
        started,
        lease_until,
    } = written;
    let fresh = run.started_at.is_none();
    let progress = match mv {
        Move::Next { .. } => {
            record_events(conn, run, &events, &mut news).await?;
            let position = (next_step, failed_step);
            repo::run::step_done(conn, run, position, lease_until, started, &news).await?;
            Progress::Continue
        }
        Move::Retry { at, attempts } => {
            record_events(conn, run, &events, &mut news).await?;
            repo::run::reschedule(conn, run, attempts, at, started, &news).await?;
            Progress::Rescheduled(at)
        }
        Move::End {
            status,
            error,
            failed_step,
        } => {
            let end = End {
                news,
                status,
                next_step,
                started,
                finished: now,
                error: error.as_deref(),
                failed_step,
            };
            finish(conn, run, &plan.fields.name, end, events).await?;
            Progress::Finished(status)
        }
        // `one_step` returns before writing a step that calls out.
        Move::Call(call) => return Ok(Progress::Call(call)),
    };
    if fresh && !matches!(progress, Progress::Finished(_)) {
        let start = Settle {
            started: true,
            ended: None,
            failure: None,
            alert: true,
        };
        settle_workflow(conn, run, start, now).await?;
    }
    Ok(progress)
}

/// Ends the run: its `Run.succeeded` or `Run.failed` event (recorded with the transaction's
/// other `events`), its row, and its workflow; a run that ends at its first step also starts
/// here, and its start may raise the failure-rate alert.
pub(super) async fn finish(
    conn: &mut Conn,
    run: &RunRow,
    name: &str,
    mut end: End<'_>,
    mut events: Vec<ChainedEvent>,
) -> QueryResult<()> {
    let failure = failure_of(run, &end);
    let group = failure.as_ref().map(|f| f.group(&run.workflow_id));
    let succeeded = end.status == RunStatus::Succeeded;
    let duration = (end.finished - end.started).whole_milliseconds() as i64;
    let event_type = if succeeded {
        "Run.succeeded"
    } else {
        "Run.failed"
    };
    let data = json!({ "workflow": run.workflow_id, "name": name, "run": run.id, "status": end.status, "duration": duration, "error": end.error });
    events.push(run_event(run, event_type, data));
    record_events(conn, run, &events, &mut end.news).await?;
    repo::run::end(conn, &run.id, &end, group.as_deref()).await?;
    let fresh = run.started_at.is_none();
    let settle = Settle {
        started: fresh,
        ended: Some((end.status, duration)),
        failure,
        alert: fresh,
    };
    settle_workflow(conn, run, settle, end.finished).await
}

/// Where a run that did not succeed failed, for its failure group: the step and the error.
fn failure_of(run: &RunRow, end: &End<'_>) -> Option<Failure> {
    let failed = matches!(end.status, RunStatus::Failed | RunStatus::TimedOut);
    failed.then(|| Failure {
        step: end.failed_step.unwrap_or(run.next_step),
        error: end.error.unwrap_or_default().to_owned(),
    })
}

/// An event about the run's workflow, one link further down the run's chain.
fn run_event(run: &RunRow, event_type: &str, data: Value) -> ChainedEvent {
    let event = NewEvent {
        subject: Some(run.workflow_id.to_string()),
        depth: run.depth + 1,
        ..NewEvent::new(event_type, data, EventSource::Verb)
    };
    ChainedEvent {
        event,
        limits: Limits::DEFAULT,
    }
}

/// Records the events of the run's transaction, in one statement with their order kept (see
/// `ingest::record_run_events`). When an event of the run's steps started fewer workflows than
/// listen for it, the first such note goes on the run.
async fn record_events(
    conn: &mut Conn,
    run: &RunRow,
    events: &[ChainedEvent],
    news: &mut News,
) -> QueryResult<()> {
    let recorded = ingest::record_run_events(conn, &run.org_id, run.chain_root(), events).await?;
    for (event, recorded) in events.iter().zip(&recorded) {
        if event.event.source == super::action::SOURCE
            && let Some(note) = &recorded.note
        {
            news.notice.get_or_insert_with(|| {
                format!("An event of this run started no workflows. {note}")
            });
        }
    }
    Ok(())
}

/// Records a run's start and end: its outcome row (the statistics and, once folded, the
/// workflow's counters and `lastRunAt`), and may raise the failure-rate alert at a start. The
/// status moves come at the end of the transaction (`settle_statuses`).
async fn settle_workflow(
    conn: &mut Conn,
    run: &RunRow,
    settle: Settle,
    now: OffsetDateTime,
) -> QueryResult<()> {
    let Settle {
        started,
        ended,
        failure,
        alert,
    } = settle;
    let outcome = RunOutcome {
        org: &run.org_id,
        workflow: &run.workflow_id,
        version: run.workflow_version,
        run: &run.id,
        at: now,
        started,
        ended,
        failure,
    };
    repo::stats::append(conn, &outcome).await?;
    if alert
        && let Some(health) =
            repo::workflow::health_if_alerting(conn, &run.workflow_id, now).await?
    {
        raise_alert(conn, run, &health, now).await?;
    }
    Ok(())
}

/// What a transaction does to a run's workflow: a start, an end, or both.
struct Settle {
    started: bool,
    ended: Option<(RunStatus, i64)>,
    failure: Option<Failure>,
    /// A start of a run (from an event or by hand): it may raise the failure-rate alert.
    alert: bool,
}

/// The spec's `workflow.high_failure_rate` when a run starts, by any path, and the workflow's
/// failure rate is above its organization's threshold: at most once an hour while it stays
/// above. The one place the alert is raised. Like any event it can start a workflow.
async fn raise_alert(
    conn: &mut Conn,
    run: &RunRow,
    health: &AlertCheck,
    now: OffsetDateTime,
) -> QueryResult<()> {
    let finished = health.succeeded + health.failed;
    let rate = crate::rate::failure_rate(health.failed, finished).unwrap_or_default();
    let data = json!({
        "workflow": run.workflow_id, "failureRate": rate, "runCount": finished,
        "threshold": health.threshold, "run": run.id,
    });
    let event = NewEvent {
        subject: Some(run.workflow_id.to_string()),
        depth: run.depth + 1,
        ..NewEvent::new(HIGH_FAILURE_RATE, data, EventSource::Hook)
    };
    ingest::record_and_queue(
        conn,
        &run.org_id,
        &event,
        Some(run.chain_root()),
        &Limits::DEFAULT,
    )
    .await?;
    repo::workflow::alerted(conn, &run.workflow_id, now).await
}
