//! The workflow list and one workflow's overview.

use crate::entity::{Event, RunSummary, Workflow};
use crate::status::Verb;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// One workflow with what its page shows around it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub workflow: Workflow,
    /// The verbs the status allows and the actor may apply, in the table's order.
    pub verbs: Vec<Verb>,
    /// Whether the actor may change workflows at all (a Viewer may not).
    pub may_edit: bool,
    /// What happened to it lately, newest first, in words.
    pub activity: Vec<Activity>,
    /// The latest runs, newest first.
    pub runs: Vec<RunSummary>,
    /// The data of the latest event of its trigger type that arrived (none for events only
    /// Admins may read), for "Trigger by hand" to start from.
    pub latest_event: Option<serde_json::Value>,
}

/// One thing that happened to a workflow, as its page says it: "Activated", "A run failed",
/// with who did it (a person's or a key's name) and the run it names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    pub words: String,
    pub by: Option<String>,
    pub run: Option<String>,
    pub at: OffsetDateTime,
}

impl Activity {
    /// `event` in words, done by `by`.
    pub fn of(event: &Event, by: Option<String>) -> Activity {
        let data = &event.data;
        let version = data["version"].as_i64();
        let words = match event.event_type.as_str() {
            "Workflow.created" => "Created".to_owned(),
            "Workflow.updated" => match version {
                Some(v) => format!("Saved as version {v}"),
                None => "Saved".to_owned(),
            },
            "Workflow.activated" => "Activated".to_owned(),
            "Workflow.paused" => "Paused".to_owned(),
            "Workflow.archived" => "Archived".to_owned(),
            "Workflow.deleted" => "Deleted".to_owned(),
            "Workflow.restored" => match version {
                Some(v) => format!("An earlier version restored, as version {v}"),
                None => "An earlier version restored".to_owned(),
            },
            "Workflow.triggered" => "A run started".to_owned(),
            "Workflow.alertsAcknowledged" => "Its alerts acknowledged".to_owned(),
            "workflow.high_failure_rate" => match data["failureRate"].as_f64() {
                Some(rate) => format!(
                    "Alert: {:.1}% of its runs failed, above the threshold",
                    rate * 100.0
                ),
                None => "Alert: too many of its runs failed".to_owned(),
            },
            "Run.succeeded" => "A run succeeded".to_owned(),
            "Run.failed" => match data["error"].as_str() {
                Some(error) => format!("A run failed: {error}"),
                None => "A run failed".to_owned(),
            },
            other => other.to_owned(),
        };
        Activity {
            words,
            by,
            run: data["run"].as_str().map(str::to_owned),
            at: event.created_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Activity;
    use crate::entity::{Event, EventSource};
    use crate::id::EventId;
    use serde_json::json;

    fn event(event_type: &str, data: serde_json::Value) -> Event {
        Event {
            id: EventId::parse("evt_AAAAAAAAAAAA").expect("id"),
            event_type: event_type.into(),
            data,
            source: EventSource::Verb,
            actor: None,
            created_at: time::OffsetDateTime::UNIX_EPOCH,
            note: None,
        }
    }

    #[test]
    fn what_happened_to_a_workflow_reads_in_words() {
        let words = |t: &str, data| Activity::of(&event(t, data), None).words;
        assert_eq!(
            words("Workflow.updated", json!({"version": 3})),
            "Saved as version 3"
        );
        assert_eq!(words("Workflow.activated", json!({})), "Activated");
        assert_eq!(
            words("workflow.high_failure_rate", json!({"failureRate": 0.25})),
            "Alert: 25.0% of its runs failed, above the threshold"
        );
        let failed = Activity::of(
            &event(
                "Run.failed",
                json!({"run": "run_a", "error": "Step 2 failed"}),
            ),
            Some("Ada".into()),
        );
        assert_eq!(failed.words, "A run failed: Step 2 failed");
        assert_eq!(failed.run.as_deref(), Some("run_a"));
        assert_eq!(failed.by.as_deref(), Some("Ada"));
        assert_eq!(words("Deal.won", json!({})), "Deal.won");
    }
}
