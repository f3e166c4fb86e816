//! Runs and events as the REST API and the MCP tools show them: the spec's style of names
//! (camelCase, `$id`, `$type`), times in RFC 3339, steps counted from 1 where a person reads
//! them (`failedStep`) and from 0 where an expression does (`step.0.$id`, a step's `index`).

use crate::entity::{Event, RunDetail, RunSummary};
use crate::timefmt::rfc3339;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A workflow as a run names it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkflowRef {
    #[serde(rename = "$id")]
    pub id: String,
    #[serde(rename = "$type")]
    pub type_: String,
    pub name: String,
}

/// A run just queued, as the REST API and the MCP tools answer a trigger or a retry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct QueuedRun {
    #[serde(rename = "$id")]
    pub id: String,
    /// Always `Run`.
    #[serde(rename = "$type")]
    pub type_: String,
    /// `Queued`.
    pub status: String,
    /// The run it retries, for a retry.
    pub retry_of: Option<String>,
    /// `start` or `failed-step`, for a retry.
    pub from: Option<String>,
    /// The workflow as the trigger left it, for a trigger.
    pub workflow: Option<TriggeredWorkflow>,
}

/// The workflow a trigger queued a run of, as it is just after.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TriggeredWorkflow {
    #[serde(rename = "$id")]
    pub id: String,
    #[serde(rename = "$type")]
    pub type_: String,
    pub name: String,
    /// `Triggered` while the run is in flight.
    pub status: String,
    #[serde(rename = "$version")]
    pub version: i32,
}

impl QueuedRun {
    fn queued(run: &crate::id::RunId) -> Self {
        QueuedRun {
            id: run.to_string(),
            type_: "Run".into(),
            status: crate::run::RunStatus::Queued.as_str().into(),
            retry_of: None,
            from: None,
            workflow: None,
        }
    }

    /// The run a trigger of `workflow` queued.
    pub fn triggered(run: &crate::id::RunId, workflow: &crate::entity::Workflow) -> Self {
        QueuedRun {
            workflow: Some(TriggeredWorkflow {
                id: workflow.id.to_string(),
                type_: "Workflow".into(),
                name: workflow.name.clone(),
                status: workflow.status.as_str().into(),
                version: workflow.version,
            }),
            ..Self::queued(run)
        }
    }

    /// The run a retry of `of` queued, from `from` (`start` or `failed-step`).
    pub fn retried(run: &crate::id::RunId, of: &crate::id::RunId, from: &str) -> Self {
        QueuedRun {
            retry_of: Some(of.to_string()),
            from: Some(from.to_owned()),
            ..Self::queued(run)
        }
    }
}

/// A workflow's failure-rate alerts acknowledged: those raised up to `acknowledgedThrough`
/// are seen; a later one asks for attention again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AcknowledgedAlerts {
    /// The workflow's `$id`.
    pub workflow: String,
    /// RFC 3339, UTC.
    pub acknowledged_through: String,
}

/// A run as lists show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RunResource {
    /// `run_` and 12 letters or digits.
    #[serde(rename = "$id")]
    pub id: String,
    /// Always `Run`.
    #[serde(rename = "$type")]
    pub type_: String,
    pub workflow: WorkflowRef,
    pub workflow_version: i32,
    /// `Queued`, `Running`, `Succeeded`, `Failed`, `TimedOut` or `Cancelled`.
    pub status: String,
    pub event_type: String,
    pub queued_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub duration_ms: Option<i64>,
    pub error: Option<String>,
    /// The step it failed at, counted from 1.
    pub failed_step: Option<i32>,
    pub notice: Option<String>,
}

/// One step of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RunStepResource {
    /// Counted from 0, as `step.0.$id` counts.
    pub index: i32,
    pub name: String,
    pub action: String,
    /// `Pending`, `Running`, `Succeeded`, `Failed`, `Skipped`, ...
    pub status: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub input: Option<Value>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub output: Option<Value>,
    pub error: Option<String>,
    pub attempts: i32,
    pub finished_at: Option<String>,
    /// Copied from the run this one retries, not run again.
    pub reused: bool,
}

/// The event that started a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunEvent {
    #[serde(rename = "$id")]
    pub id: String,
    #[serde(rename = "$type")]
    pub type_: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: Value,
}

/// The run this one retries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RetryOf {
    #[serde(rename = "$id")]
    pub id: String,
    /// The step it started from, counted from 1.
    pub from_step: i32,
    pub by: String,
}

/// A run with its event and every step of its workflow version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RunDetailResource {
    #[serde(flatten)]
    pub run: RunResource,
    pub event: RunEvent,
    pub steps: Vec<RunStepResource>,
    pub retry_of: Option<RetryOf>,
    pub retries: i64,
    pub cancel_requested_by: Option<String>,
}

/// An event as the event log keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventResource {
    /// `evt_` and 12 letters or digits.
    #[serde(rename = "$id")]
    pub id: String,
    /// Always `Event`.
    #[serde(rename = "$type")]
    pub type_: String,
    /// `Noun.verb`, like `Deal.won`.
    #[serde(rename = "type")]
    pub event_type: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: Value,
    /// `api`, `verb`, `step`, `manual` or `hook`.
    pub source: String,
    /// The user or API key that sent or caused it.
    pub actor: Option<String>,
    pub note: Option<String>,
    #[serde(rename = "$createdAt")]
    pub created_at: String,
}

fn text<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// A run as lists show it.
pub fn run(r: &RunSummary) -> RunResource {
    RunResource {
        id: r.id.to_string(),
        type_: "Run".into(),
        workflow: WorkflowRef {
            id: r.workflow.to_string(),
            type_: "Workflow".into(),
            name: r.workflow_name.clone(),
        },
        workflow_version: r.workflow_version,
        status: text(&r.status),
        event_type: r.event_type.clone(),
        queued_at: rfc3339(r.queued_at),
        started_at: r.started_at.map(rfc3339),
        finished_at: r.finished_at.map(rfc3339),
        duration_ms: r.duration_ms(),
        error: r.error.clone(),
        failed_step: r.failed_step.map(|i| i + 1),
        notice: r.notice.clone(),
    }
}

/// A run with its event and every step of its workflow version.
pub fn run_detail(d: &RunDetail) -> RunDetailResource {
    RunDetailResource {
        run: run(&d.run),
        event: RunEvent {
            id: d.event_id.to_string(),
            type_: "Event".into(),
            data: d.event_data.clone(),
        },
        steps: d
            .steps
            .iter()
            .map(|s| RunStepResource {
                index: s.index,
                name: s.label.clone(),
                action: s.action.clone(),
                status: text(&s.status),
                input: s.input.clone(),
                output: s.output.clone(),
                error: s.error.clone(),
                attempts: s.attempts,
                finished_at: s.finished_at.map(rfc3339),
                reused: s.reused,
            })
            .collect(),
        retry_of: d.retry_of.as_ref().map(|(id, from, by)| RetryOf {
            id: id.to_string(),
            from_step: from + 1,
            by: by.clone(),
        }),
        retries: d.retries,
        cancel_requested_by: d.cancel_requested_by.clone(),
    }
}

/// An event as the event log keeps it.
pub fn event(e: &Event) -> EventResource {
    EventResource {
        id: e.id.to_string(),
        type_: "Event".into(),
        event_type: e.event_type.clone(),
        data: e.data.clone(),
        source: e.source.as_str().to_owned(),
        actor: e.actor.clone(),
        note: e.note.clone(),
        created_at: rfc3339(e.created_at),
    }
}
