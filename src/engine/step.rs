//! One step of a run: its condition, its mapping worked out, its action in a savepoint, and
//! what happens when it fails (a retry, the next step, its fallback, or the end of the run).

use super::action;
use super::call::{self, Answered, Call, Failed, Retry};
use super::plan::Plan;
use crate::blame::the_field;
use crate::db::Conn;
use crate::definition::{ErrorHandling, Mapping, RetryPolicy, Step};
use crate::error::DomainError;
use crate::ingest::{ChainedEvent, Limits};
use crate::mapping::{self, VALUE_MAX_BYTES};
use crate::repo;
use crate::repo::event::NewEvent;
use crate::repo::run::{Claim, News, RunRow};
use crate::repo::run_step::StepRecord;
use crate::run::{RunStatus, StepStatus};
use crate::store_error::{QueryResult, StoreError};
use diesel_async::AsyncConnection;
use serde_json::{Map, Value};
use std::sync::Mutex;
use time::OffsetDateTime;

/// Where the run goes after this transaction's step.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Move {
    /// Past the step; `failed` when it failed and the run goes on (errorHandling Continue).
    Next { failed: bool },
    /// The step waits for its next attempt at `at`, the claim handed back meanwhile.
    Retry { at: OffsetDateTime, attempts: i32 },
    /// The step calls out: the call is made once the transaction is over (`super::call`).
    Call(Box<Call>),
    /// The run ends now.
    End {
        status: RunStatus,
        error: Option<String>,
        failed_step: Option<i32>,
    },
}

/// What a step runs with: the run, its plan, the engine's limits and the time; and what the
/// step adds to the run, written with the run's move: its news and its events, which are
/// recorded together in one statement before the run's row (`super::advance`).
pub(super) struct Ctx<'a> {
    pub run: &'a RunRow,
    pub plan: &'a Plan,
    pub limits: &'a Limits,
    pub now: OffsetDateTime,
    pub news: Mutex<News>,
    pub events: Mutex<Vec<ChainedEvent>>,
    /// The claim the step runs under, and the answer of its call once it was made.
    pub claim: &'a Claim,
    pub answer: Option<&'a Answered>,
}

impl Ctx<'_> {
    async fn write(&self, conn: &mut Conn, record: &StepRecord<'_>) -> QueryResult<()> {
        repo::run_step::write(conn, &self.run.id, &self.run.org_id, record, self.now).await
    }
}

/// Works out one expression; the error says why, for the step's message.
pub(super) fn work_out(source: &str, plan: &Plan) -> Result<Value, String> {
    work_out_in(source, (&plan.roots, &plan.context), plan.deadline)
}

/// Works out one expression with these roots against this context, until `deadline`.
pub(super) fn work_out_in(
    source: &str,
    (roots, context): (&[String], &Value),
    deadline: Option<std::time::Instant>,
) -> Result<Value, String> {
    let expr = mapping::parse(source, roots).map_err(|e| e.to_string())?;
    expr.eval_until(context, deadline)
        .map_err(|e| format!("{e}"))
}

/// Resolves a step's mapping; the error names the field.
pub(super) fn resolve(rows: &Mapping, plan: &Plan) -> Result<Map<String, Value>, String> {
    if rows.len() > mapping::ROWS_MAX {
        return Err(format!(
            "The step fills {} fields; at most {} are allowed",
            rows.len(),
            mapping::ROWS_MAX
        ));
    }
    let mut input = Map::new();
    let mut total = 0;
    for (field, expr) in rows.iter() {
        let value = work_out(expr, plan)
            .map_err(|e| format!("{} cannot be worked out: {e}", the_field(field)))?;
        total += mapping::json_size(&value, VALUE_MAX_BYTES).ok_or_else(|| {
            format!(
                "{} cannot be worked out: its value would be larger than 1 MiB",
                the_field(field)
            )
        })?;
        if total > VALUE_MAX_BYTES {
            return Err("The step's fields together come to more than 1 MiB".into());
        }
        input.insert(field.to_owned(), value);
    }
    Ok(input)
}

pub(super) fn truthy(v: &Value) -> bool {
    !matches!(v, Value::Null | Value::Bool(false))
}

/// Runs one action in a savepoint: a failed action leaves nothing behind. Its event, one link
/// further down the run's chain and within the chain's and the run's limits, joins the
/// transaction's events once the savepoint holds.
async fn attempt(
    conn: &mut Conn,
    ctx: &Ctx<'_>,
    action: &str,
    input: &Map<String, Value>,
) -> Result<Value, String> {
    let (run, limits) = (ctx.run, ctx.limits);
    let recorded_so_far = ctx.news.lock().map_or(0, |n| n.events_recorded);
    let result = conn
        .transaction::<_, crate::store_error::StoreError, _>(async |conn| {
            let event = &ctx.plan.context["event"];
            let trigger = action::Trigger {
                event_type: event["type"].as_str().unwrap_or_default(),
                data: &event["data"],
            };
            let done = match action::perform(conn, &run.org_id, action, input, &trigger).await {
                Ok(done) => done,
                Err(message) => return Ok(Err(message)),
            };
            let Some((event_type, data)) = done.event else {
                return Ok(Ok((done.output, None)));
            };
            let depth = run.depth + 1;
            if depth > limits.chain_depth {
                return Err(StoreError::Domain(DomainError::Vetoed(format!(
                    "Stopped: this is the {}th event in a chain of workflows starting each other (at most {}). Check for a loop.",
                    depth, limits.chain_depth
                ))));
            }
            if recorded_so_far >= limits.run_events {
                return Err(StoreError::Domain(DomainError::Vetoed(format!(
                    "Stopped: this run has recorded {} events, the most one run may; {event_type} was not recorded.",
                    limits.run_events
                ))));
            }
            let event = NewEvent {
                subject: Some(run.id.to_string()),
                depth,
                ..NewEvent::new(event_type, data, action::SOURCE)
            };
            Ok(Ok((done.output, Some(event))))
        })
        .await;
    match result {
        Ok(Ok((output, event))) => {
            // The savepoint held: its event counts, and is recorded with the run's others.
            if let Some(event) = event {
                let mut news = ctx.news.lock().unwrap_or_else(|e| e.into_inner());
                news.events_recorded += 1;
                let mut events = ctx.events.lock().unwrap_or_else(|e| e.into_inner());
                events.push(ChainedEvent {
                    event,
                    limits: *limits,
                });
            }
            Ok(output)
        }
        Ok(Err(message)) => Err(message),
        Err(StoreError::Domain(DomainError::Vetoed(message))) => Err(message),
        Err(other) => Err(format!("The step could not be saved: {other}")),
    }
}

/// Does the run's current step (or skips it, when its condition does not hold), records it,
/// and says where the run goes. An HTTP step without its answer yet says `Move::Call`.
pub(super) async fn perform(conn: &mut Conn, ctx: &Ctx<'_>, step: &Step) -> QueryResult<Move> {
    let idx = ctx.run.next_step;
    let action = step.action.as_str();
    if let Some(condition) = &step.condition {
        match work_out(&condition.0, ctx.plan) {
            Ok(holds) if truthy(&holds) => {}
            Ok(_) => {
                ctx.write(conn, &StepRecord::skipped(idx, action)).await?;
                return Ok(Move::Next { failed: false });
            }
            Err(e) => {
                let message = format!("Its condition cannot be worked out: {e}");
                let failed = Failed::plain(message);
                return fail(conn, ctx, step, None, failed, ctx.run.attempt + 1).await;
            }
        }
    }
    let attempts = ctx.run.attempt + 1;
    let (input, result) = match (step.http_request(), ctx.answer) {
        (Some(_), Some(answered)) => (Some(answered.shown.clone()), answered.result.clone()),
        (Some(request), None) => {
            let key_run = repo::run::call_key_run(conn, ctx.run).await?;
            let now = ctx.now;
            match call::prepare((ctx.run, ctx.claim), ctx.plan, request, &key_run, now) {
                Ok(prepared) => return Ok(Move::Call(Box::new(prepared))),
                Err(message) => (None, Err(Failed::plain(message))),
            }
        }
        _ => match resolve(&step.mapping, ctx.plan) {
            Ok(input) => (
                Some(Value::Object(input.clone())),
                attempt(conn, ctx, action, &input)
                    .await
                    .map_err(Failed::plain),
            ),
            Err(message) => (None, Err(Failed::plain(message))),
        },
    };
    match result {
        Ok(output) => {
            let record = StepRecord {
                idx,
                action,
                status: StepStatus::Succeeded,
                input,
                output: Some(output),
                error: None,
                attempts,
            };
            ctx.write(conn, &record).await?;
            Ok(Move::Next { failed: false })
        }
        Err(failed) => fail(conn, ctx, step, input, failed, attempts).await,
    }
}

/// A failed attempt: another one later, or the workflow's error handling.
async fn fail(
    conn: &mut Conn,
    ctx: &Ctx<'_>,
    step: &Step,
    input: Option<Value>,
    failed: Failed,
    attempts: i32,
) -> QueryResult<Move> {
    let idx = ctx.run.next_step;
    let action = step.action.as_str();
    let policy = RetryPolicy::or_default(ctx.plan.fields.retry_policy.as_ref());
    let Failed {
        message,
        answer,
        retry,
    } = failed;
    let error = format!("Step {} ({action}): {message}", idx + 1);
    // A call's answer is kept with the step, failed or not, for the run page.
    let record = |status, output: Option<Value>, error| StepRecord {
        idx,
        action,
        status,
        input: input.clone(),
        output: output.or_else(|| answer.clone()),
        error: Some(error),
        attempts,
    };
    if attempts < policy.max_attempts && retry != Retry::Never {
        ctx.write(conn, &record(StepStatus::Pending, None, error))
            .await?;
        let wait = policy.delay_after(attempts);
        let wait = match retry {
            Retry::After(asked) => wait.max(time::Duration::try_from(asked).unwrap_or(wait)),
            _ => wait,
        };
        return Ok(Move::Retry {
            at: ctx.now + wait,
            attempts,
        });
    }
    match (ctx.plan.fields.error_handling, &step.fallback) {
        (ErrorHandling::Continue, _) => {
            ctx.write(conn, &record(StepStatus::Failed, None, error))
                .await?;
            Ok(Move::Next { failed: true })
        }
        (ErrorHandling::Fallback, Some(fallback)) => {
            let recovered = match resolve(&fallback.mapping, ctx.plan) {
                Ok(fallback_input) => attempt(conn, ctx, &fallback.action, &fallback_input).await,
                Err(m) => Err(m),
            };
            let name = &fallback.action;
            match recovered {
                Ok(output) => {
                    let note = format!("{error} — recovered by its fallback {name}");
                    ctx.write(conn, &record(StepStatus::Recovered, Some(output), note))
                        .await?;
                    Ok(Move::Next { failed: false })
                }
                Err(fallback_error) => {
                    let error =
                        format!("{error}; its fallback {name} failed too: {fallback_error}");
                    stop(
                        conn,
                        ctx,
                        record(StepStatus::Failed, None, error.clone()),
                        error,
                    )
                    .await
                }
            }
        }
        (ErrorHandling::Stop | ErrorHandling::Fallback, _) => {
            stop(
                conn,
                ctx,
                record(StepStatus::Failed, None, error.clone()),
                error,
            )
            .await
        }
    }
}

/// Ends the run Failed at its current step; the steps after it are Skipped.
async fn stop(
    conn: &mut Conn,
    ctx: &Ctx<'_>,
    failed: StepRecord<'_>,
    error: String,
) -> QueryResult<Move> {
    let idx = ctx.run.next_step;
    ctx.write(conn, &failed).await?;
    let later = ctx
        .plan
        .fields
        .steps
        .iter()
        .enumerate()
        .skip(idx as usize + 1);
    for (i, step) in later {
        ctx.write(conn, &StepRecord::skipped(i as i32, &step.action))
            .await?;
    }
    Ok(Move::End {
        status: RunStatus::Failed,
        error: Some(error),
        failed_step: Some(idx),
    })
}
