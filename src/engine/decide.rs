//! Where a run goes after one transaction's step: on to the next step, to a retry later, or to
//! its end (succeeded, failed, timed out). Pure, and unit-tested on its own; `advance` performs
//! the step before and writes the decision after.

use super::step::Move;
use crate::run::RunStatus;
use time::{Duration, OffsetDateTime};

/// Where a run goes after one transaction, decided from what its step did (`performed`, or
/// `None` when it had no step to do: past its last, or out of time), its time limit if it is
/// past it, and where it stood: the step index `at`, the workflow's `steps` count, the step it
/// first failed at. Pure: `one_step` writes what it says.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Decision {
    pub mv: Move,
    /// The first step that failed, once the run went on past it (errorHandling Continue).
    pub failed_step: Option<i32>,
    pub next_step: i32,
}

pub(super) fn decide(
    performed: Option<Move>,
    past_limit: Option<i64>,
    at: i32,
    steps: usize,
    failed_before: Option<i32>,
) -> Decision {
    if let Some(limit) = past_limit {
        return Decision {
            mv: Move::End {
                status: RunStatus::TimedOut,
                error: Some(format!(
                    "The run took longer than its time limit of {limit} ms."
                )),
                failed_step: failed_before,
            },
            failed_step: failed_before,
            next_step: at,
        };
    }
    let stepped = performed.is_some();
    let mv = performed.unwrap_or(Move::Next { failed: false });
    let failed_step = match mv {
        Move::Next { failed: true } => failed_before.or(Some(at)),
        _ => failed_before,
    };
    // Past the last step, the run ends with this transaction.
    let mv = match mv {
        Move::Next { .. } if !stepped || at as usize + 1 >= steps => Move::End {
            status: if failed_step.is_some() {
                RunStatus::Failed
            } else {
                RunStatus::Succeeded
            },
            error: failed_step
                .map(|i| format!("Step {} failed; the steps after it still ran.", i + 1)),
            failed_step,
        },
        other => other,
    };
    Decision {
        mv,
        failed_step,
        next_step: if stepped { at + 1 } else { at },
    }
}

/// The run's time limit in ms, if it is past it at `now` (it started at `started`).
pub(super) fn past_limit(
    timeout_ms: Option<i64>,
    started: OffsetDateTime,
    now: OffsetDateTime,
) -> Option<i64> {
    timeout_ms.filter(|limit| now - started > Duration::milliseconds(*limit))
}

#[cfg(test)]
mod tests {
    use super::{Decision, Move, decide};
    use crate::run::RunStatus;

    fn ended(status: RunStatus, error: Option<&str>, failed_step: Option<i32>) -> Move {
        Move::End {
            status,
            error: error.map(str::to_owned),
            failed_step,
        }
    }

    #[test]
    fn a_step_that_went_well_moves_on_and_the_last_one_ends_the_run() {
        let next = Move::Next { failed: false };
        assert_eq!(
            decide(Some(next.clone()), None, 0, 3, None),
            Decision {
                mv: next.clone(),
                failed_step: None,
                next_step: 1
            }
        );
        assert_eq!(
            decide(Some(next), None, 2, 3, None),
            Decision {
                mv: ended(RunStatus::Succeeded, None, None),
                failed_step: None,
                next_step: 3
            }
        );
    }

    #[test]
    fn a_run_that_went_on_past_a_failure_remembers_the_first_and_ends_failed() {
        let failed = Move::Next { failed: true };
        let went_on = decide(Some(failed.clone()), None, 1, 4, None);
        assert_eq!((went_on.failed_step, went_on.next_step), (Some(1), 2));
        assert_eq!(went_on.mv, failed);
        let again = decide(Some(failed), None, 2, 4, Some(1));
        assert_eq!(again.failed_step, Some(1), "the first failure stays");
        let last = decide(Some(Move::Next { failed: false }), None, 3, 4, Some(1));
        assert_eq!(
            last.mv,
            ended(
                RunStatus::Failed,
                Some("Step 2 failed; the steps after it still ran."),
                Some(1)
            )
        );
    }

    #[test]
    fn out_of_time_the_run_ends_where_it_stands() {
        let decided = decide(None, Some(5_000), 2, 4, Some(0));
        assert_eq!(
            decided,
            Decision {
                mv: ended(
                    RunStatus::TimedOut,
                    Some("The run took longer than its time limit of 5000 ms."),
                    Some(0)
                ),
                failed_step: Some(0),
                next_step: 2,
            }
        );
    }

    #[test]
    fn a_retry_or_an_end_the_step_asked_for_is_kept() {
        let at = time::macros::datetime!(2026-12-07 10:00 UTC);
        let retry = Move::Retry { at, attempts: 2 };
        assert_eq!(decide(Some(retry.clone()), None, 3, 4, None).mv, retry);
        let stop = ended(RunStatus::Failed, Some("Step 1 failed"), Some(0));
        assert_eq!(decide(Some(stop.clone()), None, 0, 4, None).mv, stop);
        // Nothing left to do (a workflow whose steps were all done): the run ends.
        assert_eq!(
            decide(None, None, 4, 4, None).mv,
            ended(RunStatus::Succeeded, None, None)
        );
    }
}
