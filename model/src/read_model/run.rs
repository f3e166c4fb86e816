//! Reading runs back: a workflow's history (keyset pages that stay fast with many runs) and one
//! run step by step. Always inside the actor's organization.

use crate::entity::RunSummary;
use crate::id::RunId;
use crate::stats::thousands;
use serde::{Deserialize, Serialize};

pub const PAGE: i64 = 25;
/// The most runs a list counts: past it, a list says "more than".
pub const COUNT_MAX: i64 = 10_000;

/// How a list of runs is filtered and how many match, for its header and its filter form.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Matched {
    /// Runs that match the filters, counted up to `COUNT_MAX` (one more means "more than").
    pub count: i64,
    /// The most steps and the latest version of the workflows listed: the filters' choices.
    pub steps: i32,
    pub versions: i32,
    /// Filters of the address that could not be used, each with why; the others still apply.
    pub problems: Vec<crate::workflow::FieldError>,
    /// The filters as applied: without those that could not be used, numbers as read ("Step
    /// 2" is 2).
    pub applied: crate::list_query::RunQuery,
}

impl Matched {
    /// "1 run", "240 runs", "More than 10,000 runs".
    pub fn words(&self) -> String {
        match self.count {
            1 => "1 run".to_owned(),
            n if n > COUNT_MAX => format!("More than {} runs", thousands(COUNT_MAX)),
            n => format!("{} runs", thousands(n)),
        }
    }
}

/// A page of a workflow's run history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunHistory {
    pub workflow_name: String,
    pub runs: Vec<RunSummary>,
    pub matched: Matched,
    /// The run to continue after, for the next (older) page.
    pub next: Option<RunId>,
}

/// A page of the organization's runs, with what its filters need.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunList {
    pub runs: Vec<RunSummary>,
    pub matched: Matched,
    pub next: Option<RunId>,
    /// The organization's workflows, by name, to filter by.
    pub workflows: Vec<crate::entity::NamedWorkflow>,
    /// The failure group filtered by, in words: its workflow, step and error.
    pub group: Option<String>,
    /// The bulk retry filtered by, with its progress.
    pub batch: Option<crate::retry::BatchProgress>,
}

#[cfg(test)]
mod tests {
    use super::{COUNT_MAX, Matched};

    #[test]
    fn a_count_reads_in_words() {
        let words = |count| {
            Matched {
                count,
                ..Default::default()
            }
            .words()
        };
        assert_eq!(words(1), "1 run");
        assert_eq!(words(0), "0 runs");
        assert_eq!(words(1234), "1,234 runs");
        assert_eq!(words(COUNT_MAX + 1), "More than 10,000 runs");
    }
}
