//! The workflow list and one workflow's overview.

use crate::entity::{Event, RunSummary, Workflow};
use crate::status::Verb;
use serde::{Deserialize, Serialize};

/// One workflow with what its page shows around it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub workflow: Workflow,
    /// The verbs the status allows and the actor may apply, in the table's order.
    pub verbs: Vec<Verb>,
    /// Whether the actor may change workflows at all (a Viewer may not).
    pub may_edit: bool,
    /// The newest events about it, newest first.
    pub events: Vec<Event>,
    /// The latest runs, newest first.
    pub runs: Vec<RunSummary>,
    /// The data of the latest event of its trigger type that arrived (none for events only
    /// Admins may read), for "Trigger by hand" to start from.
    pub latest_event: Option<serde_json::Value>,
}
