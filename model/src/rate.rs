//! The failure rate: failed runs over finished runs, over whatever window is shown (all time
//! for a workflow's counters). The workflow list sorts by it, the `workflow.high_failure_rate`
//! hook fires on it, and every chart draws it; nothing else computes a rate.

/// `failed / finished`, or `None` before any run has finished.
pub fn failure_rate(failed: i64, finished: i64) -> Option<f64> {
    (finished > 0).then(|| failed as f64 / finished as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_is_over_finished_runs_and_absent_before_any() {
        assert_eq!(failure_rate(0, 0), None);
        assert_eq!(failure_rate(1, 4), Some(0.25));
        assert_eq!(failure_rate(3, 3), Some(1.0));
    }
}
