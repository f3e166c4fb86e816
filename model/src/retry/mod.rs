//! Fixing what failed, as the pages, REST and MCP show it: where a retry begins, what it would
//! do (`RetryPreview`), and a bulk retry's preview, queueing and progress (`batch`). Retrying
//! itself is the domain crate's (`switchyard::retry`).
mod batch;

pub use crate::preview::StepPreview;
pub use batch::{BATCH_MAX, BatchProgress, BatchQueued, BulkPreview};

use crate::id::{RunId, WorkflowId};
use crate::run::RunStatus;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

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

impl RetryPreview {
    /// The step (counted from 0) at which the retry would fail again, as the workflow is now.
    pub fn fails_at(&self) -> Option<i32> {
        self.steps
            .iter()
            .find(|s| matches!(s.effect, crate::preview::Effect::Fails { .. }))
            .map(|s| s.index)
    }
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
