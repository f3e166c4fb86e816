//! Bulk retries: a filtered run list retried as one batch, its preview first, its progress
//! after, and the cancel of its runs not started yet.

use super::{RetryFrom, RetryPreview};
use crate::run::RunStatus;
use serde::{Deserialize, Serialize};

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
    /// How many of the newest runs were previewed one by one, and how many of those would
    /// fail again as the workflow is now.
    pub checked: usize,
    pub fail_again: usize,
    pub may_edit: bool,
    /// The key the confirm form sends back: the same confirm sent twice queues once.
    pub key: String,
}

impl BulkPreview {
    /// How many of the runs would fail again at `step` (counted from 1), as a sentence, when
    /// any would: the newest `checked` were previewed one by one, the rest are not counted.
    pub fn failing_again(&self, step: i32) -> Option<String> {
        let (f, c, n) = (self.fail_again, self.checked, self.retried);
        let at = format!("would fail again at step {step}, as the workflow is now");
        match (f, c) {
            (0, _) => None,
            (1, 1) if n == 1 => Some(format!("The run {at}")),
            (f, c) if c == n && f == c => Some(format!("All {c} runs {at}")),
            (f, c) if c == n => Some(format!("{f} of the {c} runs {at}")),
            (f, c) if f == c => Some(format!(
                "The newest {c} of the {n} runs {at} (the rest were not worked out)"
            )),
            (f, c) => Some(format!(
                "{f} of the newest {c} of the {n} runs {at} (the rest were not worked out)"
            )),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::{BulkPreview, RetryFrom};

    fn preview(retried: usize, checked: usize, fail_again: usize) -> BulkPreview {
        BulkPreview {
            from: RetryFrom::FailedStep,
            retried,
            over_limit: false,
            skipped: Vec::new(),
            sample: None,
            checked,
            fail_again,
            may_edit: true,
            key: String::new(),
        }
    }

    #[test]
    fn runs_that_would_fail_again_are_counted_in_words() {
        let at = "would fail again at step 2, as the workflow is now";
        assert_eq!(preview(3, 3, 0).failing_again(2), None);
        assert_eq!(
            preview(1, 1, 1).failing_again(2),
            Some(format!("The run {at}"))
        );
        assert_eq!(
            preview(12, 12, 12).failing_again(2),
            Some(format!("All 12 runs {at}"))
        );
        assert_eq!(
            preview(12, 12, 5).failing_again(2),
            Some(format!("5 of the 12 runs {at}"))
        );
        assert_eq!(
            preview(36, 20, 20).failing_again(2),
            Some(format!(
                "The newest 20 of the 36 runs {at} (the rest were not worked out)"
            ))
        );
    }
}
