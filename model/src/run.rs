//! Runs and their steps: one execution of one workflow version for one event, and the status
//! of each. These enums are the only place their names are spelled.

use crate::status::{UnknownName, find_name};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Where a run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RunStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Cancelled,
}

impl RunStatus {
    pub const ALL: [RunStatus; 6] = [
        RunStatus::Queued,
        RunStatus::Running,
        RunStatus::Succeeded,
        RunStatus::Failed,
        RunStatus::TimedOut,
        RunStatus::Cancelled,
    ];

    /// The statuses of a run that has not ended: workers claim only these, the partial index
    /// `runs_ready` holds only these, and the run page refreshes itself while its run is in one.
    /// (A workflow is Triggered while one of its runs is `Running`: started, not ended.)
    pub const IN_FLIGHT: [RunStatus; 2] = [RunStatus::Queued, RunStatus::Running];

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "Queued",
            RunStatus::Running => "Running",
            RunStatus::Succeeded => "Succeeded",
            RunStatus::Failed => "Failed",
            RunStatus::TimedOut => "TimedOut",
            RunStatus::Cancelled => "Cancelled",
        }
    }

    /// The words pages use for it.
    pub fn label(self) -> &'static str {
        match self {
            RunStatus::TimedOut => "Timed out",
            other => other.as_str(),
        }
    }

    /// Not ended yet: queued, or held by a worker.
    pub fn is_in_flight(self) -> bool {
        Self::IN_FLIGHT.contains(&self)
    }

    /// Ended without succeeding: counts as a failure in every rate.
    pub fn is_failure(self) -> bool {
        !self.is_in_flight() && self != RunStatus::Succeeded
    }
}

impl FromStr for RunStatus {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        find_name("run status", &Self::ALL, Self::as_str, s)
    }
}

/// Where one step of a run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StepStatus {
    /// Not reached yet, or waiting for its next attempt.
    Pending,
    Running,
    Succeeded,
    Failed,
    /// It failed and its fallback succeeded.
    Recovered,
    /// Its condition did not hold, or an earlier step stopped the run.
    Skipped,
}

impl StepStatus {
    pub const ALL: [StepStatus; 6] = [
        StepStatus::Pending,
        StepStatus::Running,
        StepStatus::Succeeded,
        StepStatus::Failed,
        StepStatus::Recovered,
        StepStatus::Skipped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Pending => "Pending",
            StepStatus::Running => "Running",
            StepStatus::Succeeded => "Succeeded",
            StepStatus::Failed => "Failed",
            StepStatus::Recovered => "Recovered",
            StepStatus::Skipped => "Skipped",
        }
    }
}

impl FromStr for StepStatus {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        find_name("step status", &Self::ALL, Self::as_str, s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for s in RunStatus::ALL {
            assert_eq!(s.as_str().parse::<RunStatus>(), Ok(s));
        }
        for s in StepStatus::ALL {
            assert_eq!(s.as_str().parse::<StepStatus>(), Ok(s));
        }
        assert!("Done".parse::<RunStatus>().is_err());
        assert!("queued".parse::<StepStatus>().is_err());
    }

    #[test]
    fn only_queued_and_running_are_in_flight_and_every_other_end_but_success_fails() {
        let in_flight: Vec<_> = RunStatus::ALL
            .into_iter()
            .filter(|s| s.is_in_flight())
            .collect();
        assert_eq!(in_flight, RunStatus::IN_FLIGHT);
        let failures: Vec<_> = RunStatus::ALL
            .into_iter()
            .filter(|s| s.is_failure())
            .collect();
        assert_eq!(
            failures,
            [RunStatus::Failed, RunStatus::TimedOut, RunStatus::Cancelled]
        );
    }
}
