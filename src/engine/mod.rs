//! The engine: workers claim ready runs (`FOR UPDATE SKIP LOCKED`, a lease and a fencing
//! token) and advance them one step per transaction, so that a completed step is never run
//! twice and a worker that lost its lease can no longer write. Workers take organizations in
//! turn, so one organization's backlog does not hold up another's runs. A run the engine
//! cannot advance (its worker died with it, or a step's transaction failed) is tried again a
//! few times and then ends Failed with the reason. Time comes in as an argument: tests move
//! it instead of sleeping.
//!
//! `claim` takes a run, `advance` (in `advance.rs`) does one step of it with `step.rs`
//! reading the run's `plan.rs`, `release` hands it back, `stall` records a failed try.

mod action;
mod advance;
pub mod call;
mod decide;
mod dry_run;
mod plan;
mod preview;
mod step;
mod stop;

pub use crate::definition::{Backoff, RetryPolicy};
pub use crate::ingest::Limits;
pub use action::past_tense;
pub use dry_run::{DryRun, dry_run_form, dry_run_input, dry_run_saved};
pub use plan::EventContext;
pub use preview::recorded_effects;

use crate::db::Conn;
use crate::error::{DomainError, DomainResult};
use crate::id::OrgId;
use crate::repo;
use crate::run::RunStatus;
use time::{Duration, OffsetDateTime};

/// Tries without progress after which a run ends Failed.
pub const STALLS_MAX: i32 = 3;
/// How long a run that stalled waits before it is tried again.
pub const STALL_PAUSE: Duration = Duration::seconds(5);

pub use crate::repo::run::Claim;

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
    /// The step calls out: make the call (`call_out`) with no transaction open. The run's
    /// lease was lengthened to outlast it.
    Call(Box<call::Call>),
}

/// A worker's place in the round of organizations: the one it served last.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Turn {
    last: Option<OrgId>,
}

impl Turn {
    /// The organization served last (the one of the run claimed last).
    pub fn last(&self) -> Option<&OrgId> {
        self.last.as_ref()
    }
}

/// Claims the oldest ready run of the organization that comes first by id: queued, waiting
/// for a retry, or held by a worker whose lease ran out. One statement; the run starts
/// (counters, status, `Workflow.triggered`) in the same transaction as its first step.
pub async fn claim(
    conn: &mut Conn,
    worker: &str,
    lease: Duration,
    now: OffsetDateTime,
) -> DomainResult<Option<Claim>> {
    claim_in_turn(conn, worker, lease, now, &mut Turn::default()).await
}

/// Claims a ready run of the next organization after the one `turn` served last (going round
/// to the first), so that every organization with ready runs gets one claim a round.
pub async fn claim_in_turn(
    conn: &mut Conn,
    worker: &str,
    lease: Duration,
    now: OffsetDateTime,
    turn: &mut Turn,
) -> DomainResult<Option<Claim>> {
    let until = now + lease;
    let claimed = repo::run::claim_next(conn, worker, now, until, turn.last.as_ref()).await?;
    Ok(claimed.map(|(claim, org)| {
        turn.last = Some(org);
        claim
    }))
}

/// Advances the claimed run by one step (see `advance.rs`), within the default limits.
pub async fn advance(
    conn: &mut Conn,
    worker: &str,
    claim: &Claim,
    lease: Duration,
    now: OffsetDateTime,
) -> DomainResult<Progress> {
    advance::advance(conn, worker, claim, lease, now, &Limits::DEFAULT, None).await
}

/// Makes the call a step asked for (`Progress::Call`) with no transaction open, then settles it
/// (`settle_call`). Holds `conn` through the call: workers open the secrets and settle on
/// connections of their own instead, and hold none while the call is made.
pub async fn call_out(
    conn: &mut Conn,
    worker: &str,
    caller: &call::Caller,
    prepared: &call::Call,
    lease: Duration,
    clock: &(dyn Fn() -> OffsetDateTime + Sync),
) -> DomainResult<Progress> {
    let sent = call::send(conn, caller, prepared).await;
    settle_call(conn, worker, &prepared.claim, sent, (lease, clock())).await
}

/// Records what became of a call: its answer as its step's outcome, in a transaction fenced by
/// the claim (a worker that lost the run meanwhile writes nothing: `Progress::Lost`); or, when
/// it found no place in flight, the run set aside for `call::BUSY_PAUSE`
/// (`Progress::Rescheduled`), no attempt counted.
pub async fn settle_call(
    conn: &mut Conn,
    worker: &str,
    claim: &Claim,
    sent: call::Sent,
    (lease, now): (Duration, OffsetDateTime),
) -> DomainResult<Progress> {
    let answered = match sent {
        call::Sent::Answered(answered) => answered,
        call::Sent::Busy => {
            let at = now + call::BUSY_PAUSE;
            let kept = repo::run::set_aside(conn, worker, claim, at).await?;
            return Ok(if kept {
                Progress::Rescheduled(at)
            } else {
                Progress::Lost
            });
        }
    };
    let limits = &Limits::DEFAULT;
    advance::advance(conn, worker, claim, lease, now, limits, Some(&answered)).await
}

/// Hands a claimed run back (a worker stopping between steps): the next claim takes it at
/// once and resumes after its last completed step. False when the claim was already lost.
pub async fn release(conn: &mut Conn, worker: &str, claim: &Claim) -> DomainResult<bool> {
    Ok(repo::run::release(conn, worker, claim).await?)
}

/// Records that advancing the claimed run failed with `error`: the claim is handed back and
/// the run tried again after `STALL_PAUSE`; after `STALLS_MAX` tries it ends Failed with the
/// error on its page.
pub async fn stall(
    conn: &mut Conn,
    worker: &str,
    claim: &Claim,
    error: &DomainError,
    now: OffsetDateTime,
) -> DomainResult<()> {
    stall_in(conn, worker, claim, error, now).await
}

/// `stall`, in the caller's transaction.
async fn stall_in(
    conn: &mut Conn,
    worker: &str,
    claim: &Claim,
    error: &DomainError,
    now: OffsetDateTime,
) -> DomainResult<()> {
    let message = match error {
        DomainError::Internal(internal) => internal.message.clone(),
        other => other.to_string(),
    };
    repo::run::stall(conn, worker, claim, &message, now + STALL_PAUSE).await?;
    Ok(())
}

/// Claims up to `max` ready runs in one statement, starting with the organizations after the one
/// `turn` served last (going round to the first): the batch a worker advances together.
pub async fn claim_batch(
    conn: &mut Conn,
    worker: &str,
    lease: Duration,
    now: OffsetDateTime,
    max: usize,
    turn: &mut Turn,
) -> DomainResult<Vec<(Claim, OrgId)>> {
    let claimed =
        repo::run::claim_many(conn, worker, now, now + lease, turn.last.as_ref(), max).await?;
    // The next batch starts after the organizations this one served.
    let after: Option<&OrgId> = claimed
        .iter()
        .map(|(_, org)| org)
        .filter(|org| turn.last.as_ref().is_none_or(|last| *org > last))
        .max()
        .or_else(|| claimed.iter().map(|(_, org)| org).max());
    if let Some(org) = after {
        turn.last = Some(org.clone());
    }
    Ok(claimed)
}

/// Advances each claimed run by one step, all in one transaction and each run in a savepoint of
/// its own (see `advance.rs`); one result per claim, in order. A run the engine failed on has
/// its failed try recorded, as `stall` does.
pub async fn advance_all(
    conn: &mut Conn,
    worker: &str,
    claims: &[Claim],
    lease: Duration,
    now: OffsetDateTime,
) -> DomainResult<Vec<DomainResult<Progress>>> {
    advance::advance_all(conn, worker, claims, lease, now, &Limits::DEFAULT).await
}

/// Works out, without writing anything, what running `fields` (version `version` of
/// `workflow`) for `event` would do from step `from` on; the steps before are reused from
/// `earlier`, the records of the run being repeated.
pub(crate) async fn preview(
    conn: &mut Conn,
    org: &crate::entity::Organization,
    (workflow, version): (&crate::id::WorkflowId, i32),
    fields: crate::workflow::WorkflowFields,
    event: &EventContext<'_>,
    (from, earlier): (usize, &[repo::run_step::StoredStep]),
) -> DomainResult<Vec<crate::preview::StepPreview>> {
    let mut plan = plan::build(
        fields,
        event,
        (workflow.as_str(), version),
        (org.id.as_str(), &org.name),
        Vec::new(),
    );
    plan.deadline = Some(std::time::Instant::now() + preview::TIME_BUDGET);
    let start = preview::Start {
        org: &org.id,
        from,
        earlier,
    };
    preview::simulate(conn, &mut plan, &start).await
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

/// Like `drain`, within the given limits.
pub async fn drain_within(
    conn: &mut Conn,
    worker: &str,
    lease: Duration,
    now: OffsetDateTime,
    limits: &Limits,
) -> DomainResult<usize> {
    let caller = call::Caller::public();
    drain_with(conn, worker, lease, &|| now, usize::MAX, (limits, &caller)).await
}

/// Like `drain`, making HTTP steps' calls with `caller` (its egress allowances and key).
pub async fn drain_calling(
    conn: &mut Conn,
    worker: &str,
    lease: Duration,
    now: OffsetDateTime,
    caller: &call::Caller,
) -> DomainResult<usize> {
    let limits = &Limits::DEFAULT;
    drain_with(conn, worker, lease, &|| now, usize::MAX, (limits, caller)).await
}

/// Claims at most `max` ready runs, organizations in turn, and takes each to its end or its
/// next retry, reading the time from `clock` before every claim and step; returns how many
/// runs ended.
pub async fn drain_at_most(
    conn: &mut Conn,
    worker: &str,
    lease: Duration,
    clock: &(dyn Fn() -> OffsetDateTime + Sync),
    max: usize,
) -> DomainResult<usize> {
    let caller = call::Caller::public();
    drain_with(conn, worker, lease, clock, max, (&Limits::DEFAULT, &caller)).await
}

async fn drain_with(
    conn: &mut Conn,
    worker: &str,
    lease: Duration,
    clock: &(dyn Fn() -> OffsetDateTime + Sync),
    max: usize,
    (limits, caller): (&Limits, &call::Caller),
) -> DomainResult<usize> {
    let mut finished = 0;
    let mut turn = Turn::default();
    for _ in 0..max {
        let Some(claim) = claim_in_turn(conn, worker, lease, clock(), &mut turn).await? else {
            break;
        };
        loop {
            let stepped =
                advance::advance(conn, worker, &claim, lease, clock(), limits, None).await;
            let stepped = match stepped {
                Ok(Progress::Call(prepared)) => {
                    call_out(conn, worker, caller, &prepared, lease, clock).await
                }
                other => other,
            };
            match stepped {
                Ok(Progress::Continue) => continue,
                Ok(Progress::Finished(_)) => finished += 1,
                Ok(Progress::Rescheduled(_) | Progress::Lost | Progress::Call(_)) => {}
                Err(error) => stall(conn, worker, &claim, &error, clock()).await?,
            }
            break;
        }
    }
    Ok(finished)
}
