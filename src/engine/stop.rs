//! The ends of a run that are not a step's: one someone asked to stop, and one the engine gave
//! up on after it stalled `STALLS_MAX` times.

use super::advance::finish;
use super::{Progress, STALLS_MAX, plan};
use crate::db::Conn;
use crate::error::DomainResult;
use crate::repo;
use crate::repo::run::{End, RunRow};
use crate::repo::run_step::StepRecord;
use crate::run::RunStatus;
use time::OffsetDateTime;

/// Ends a run that stalled `STALLS_MAX` times (its worker died, or the engine failed on it)
/// as Failed, with the last problem on its page. Reads nothing that could fail again.
pub(super) async fn give_up(
    conn: &mut Conn,
    run: &RunRow,
    now: OffsetDateTime,
) -> DomainResult<Progress> {
    let cause = run
        .error
        .clone()
        .unwrap_or_else(|| "the worker running it stopped each time".into());
    let error = format!(
        "Switchyard could not carry on with this run: step {} stopped {STALLS_MAX} times without finishing. The last problem: {cause}",
        run.next_step + 1
    );
    let name = repo::workflow::name_of(conn, &run.workflow_id).await?;
    let end = End {
        news: run.news(),
        status: RunStatus::Failed,
        next_step: run.next_step,
        started: run.started_at.unwrap_or(now),
        finished: now,
        error: Some(&error),
        failed_step: Some(run.next_step),
    };
    finish(conn, run, &name, end, Vec::new()).await?;
    Ok(Progress::Finished(RunStatus::Failed))
}

/// Ends a run someone asked to stop, before its next step: the steps done stay done, the
/// ones not reached are Skipped.
pub(super) async fn cancelled(
    conn: &mut Conn,
    run: &RunRow,
    now: OffsetDateTime,
) -> DomainResult<Progress> {
    let name = repo::workflow::name_of(conn, &run.workflow_id).await?;
    let fields = plan::load(conn, run).await?.fields;
    for (i, step) in fields.steps.iter().enumerate().skip(run.next_step as usize) {
        let record = StepRecord::skipped(i as i32, &step.action);
        repo::run_step::write(conn, &run.id, &run.org_id, &record, now).await?;
    }
    let error = match run.next_step {
        0 => "Cancelled before its first step.".to_owned(),
        n => format!("Cancelled after step {n}; the steps after it did not run."),
    };
    let end = End {
        news: run.news(),
        status: RunStatus::Cancelled,
        next_step: run.next_step,
        started: run.started_at.unwrap_or(now),
        finished: now,
        error: Some(&error),
        failed_step: None,
    };
    finish(conn, run, &name, end, Vec::new()).await?;
    Ok(Progress::Finished(RunStatus::Cancelled))
}
