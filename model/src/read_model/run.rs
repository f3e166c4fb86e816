//! Reading runs back: a workflow's history (keyset pages that stay fast with many runs) and one
//! run step by step. Always inside the actor's organization.

use crate::entity::RunSummary;
use crate::id::RunId;
use serde::{Deserialize, Serialize};

pub const PAGE: i64 = 25;

/// A page of a workflow's run history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunHistory {
    pub workflow_name: String,
    pub runs: Vec<RunSummary>,
    /// The run to continue after, for the next (older) page.
    pub next: Option<RunId>,
}

/// A page of the organization's runs, with what its filters need.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunList {
    pub runs: Vec<RunSummary>,
    pub next: Option<RunId>,
    /// The organization's workflows, by name, to filter by.
    pub workflows: Vec<crate::entity::NamedWorkflow>,
    /// The failure group filtered by, in words: its workflow, step and error.
    pub group: Option<String>,
    /// The bulk retry filtered by, with its progress.
    pub batch: Option<crate::retry::BatchProgress>,
}
