//! The records the pages show: a workflow as stored, a member as signed in, an event as recorded.

use crate::definition::{ErrorHandling, RetryPolicy, Steps};
use crate::id::{ApiKeyId, EventId, OrgId, RunId, UserId, WorkflowId};
use crate::role::Role;
use crate::run::RunStatus;
use crate::status::Status;
use crate::workflow::WorkflowFields;
use crate::workflow::resource::WorkflowResource;

mod actor;

pub use actor::{Actor, Caller, KeyHolder, Scope};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A workflow as stored, with the engine's counters. Read from the database by
/// `repo::workflow` (its `WorkflowRow` adds the runs not folded yet to the counters).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Workflow {
    pub id: WorkflowId,
    pub org_id: OrgId,
    pub name: String,
    pub description: String,
    pub trigger_event: String,
    pub steps: Steps,
    pub retry_policy: Option<RetryPolicy>,
    pub error_handling: ErrorHandling,
    pub timeout_ms: Option<i64>,
    pub status: Status,
    pub version: i32,
    pub last_run_at: Option<OffsetDateTime>,
    pub run_count: i64,
    pub success_count: i64,
    pub failure_count: i64,
    pub created_by: Option<UserId>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub deleted_at: Option<OffsetDateTime>,
}

impl Workflow {
    /// The editable fields, as the edit form and the version snapshots see them.
    pub fn fields(&self) -> WorkflowFields {
        WorkflowFields {
            name: self.name.clone(),
            description: self.description.clone(),
            trigger_event: self.trigger_event.clone(),
            steps: self.steps.clone(),
            retry_policy: self.retry_policy,
            error_handling: self.error_handling,
            timeout_ms: self.timeout_ms,
        }
    }

    /// The number of steps.
    pub fn step_count(&self) -> usize {
        self.steps.len()
    }

    /// Every expression the steps use: mappings, conditions and fallbacks.
    pub fn expressions(&self) -> impl Iterator<Item = &str> {
        self.steps.iter().flat_map(|step| step.expressions())
    }

    /// An example of the trigger event's data for a run by hand, from what the steps read.
    pub fn sample_data(&self) -> serde_json::Value {
        crate::mapping::sample_data(&self.trigger_event, self.expressions())
    }

    /// Failed runs over finished runs, all time (see `rate::failure_rate`).
    pub fn failure_rate(&self) -> Option<f64> {
        crate::rate::failure_rate(self.failure_count, self.success_count + self.failure_count)
    }

    /// Succeeded runs over finished runs: what the failure rate leaves.
    pub fn success_rate(&self) -> Option<f64> {
        self.failure_rate().map(|rate| 1.0 - rate)
    }
}

impl From<&Workflow> for WorkflowResource {
    fn from(w: &Workflow) -> Self {
        WorkflowResource {
            id: w.id.to_string(),
            type_: "Workflow".into(),
            version_: w.version,
            created_at: crate::timefmt::rfc3339(w.created_at),
            updated_at: crate::timefmt::rfc3339(w.updated_at),
            created_by: w.created_by.as_ref().map(ToString::to_string),
            name: w.name.clone(),
            description: w.description.clone(),
            trigger_event: w.trigger_event.clone(),
            steps: serde_json::json!(w.steps),
            retry_policy: serde_json::json!(w.retry_policy),
            error_handling: w.error_handling.as_str().to_owned(),
            timeout: w.timeout_ms,
            status: w.status.as_str().to_owned(),
            version: w.version,
            last_run_at: w.last_run_at.map(crate::timefmt::rfc3339),
            run_count: w.run_count,
            success_count: w.success_count,
            failure_count: w.failure_count,
        }
    }
}

impl Workflow {
    /// The workflow as the REST API and the MCP tools show it, as JSON.
    pub fn to_resource(&self) -> serde_json::Value {
        serde_json::json!(WorkflowResource::from(self))
    }
}

/// An organization a user belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    pub id: OrgId,
    pub slug: String,
    pub name: String,
    /// The IANA time zone its pages show times in ("Europe/Paris"; "UTC" until set).
    pub time_zone: String,
}

/// A signed-in user acting inside one organization: who acts, where, and with which role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub user_id: UserId,
    pub email: String,
    pub display_name: String,
    pub org: Organization,
    pub role: Role,
}

/// Where an event came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventSource {
    Api,
    Verb,
    Step,
    Manual,
    Hook,
}

impl EventSource {
    /// Switchyard's own events: what its verbs and hooks recorded.
    pub const SYSTEM: [EventSource; 2] = [EventSource::Verb, EventSource::Hook];

    pub const ALL: [EventSource; 5] = [
        EventSource::Api,
        EventSource::Verb,
        EventSource::Step,
        EventSource::Manual,
        EventSource::Hook,
    ];

    /// Where it came from, in the event log's words.
    pub fn label(self) -> &'static str {
        match self {
            EventSource::Api => "Sent through the API",
            EventSource::Verb => "A change in Switchyard",
            EventSource::Step => "A workflow step",
            EventSource::Manual => "Triggered by hand",
            EventSource::Hook => "A workflow rule",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EventSource::Api => "api",
            EventSource::Verb => "verb",
            EventSource::Step => "step",
            EventSource::Manual => "manual",
            EventSource::Hook => "hook",
        }
    }
}

impl std::str::FromStr for EventSource {
    type Err = crate::status::UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crate::status::find_name("event source", &Self::ALL, Self::as_str, s)
    }
}

/// One recorded event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: EventId,
    pub event_type: String,
    pub data: serde_json::Value,
    pub source: EventSource,
    pub actor: Option<String>,
    pub created_at: OffsetDateTime,
    /// Why it started fewer workflows than listen for it (a chain's limits), when it did.
    pub note: Option<String>,
}

/// An organization's API key as lists show it: never the secret, only its first characters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub name: String,
    pub prefix: String,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
    pub scopes: Vec<Scope>,
    pub expires_at: Option<OffsetDateTime>,
}

/// One member of an organization, for the settings page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRow {
    pub display_name: String,
    pub email: String,
    pub role: Role,
}

/// A run an event started, as the event log shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggeredRun {
    pub run: RunId,
    pub workflow: WorkflowId,
    pub workflow_name: String,
    pub status: RunStatus,
}

/// A workflow named by the event log (one that ignored an event while paused).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedWorkflow {
    pub id: WorkflowId,
    pub name: String,
}

/// One event of the log, with what it triggered and which paused workflows ignored it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventLogEntry {
    pub event: Event,
    pub seq: i64,
    pub triggered: Vec<TriggeredRun>,
    pub ignored: Vec<NamedWorkflow>,
}

/// A page of the event log, newest first; `before` fetches the next (older) page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventLogPage {
    pub entries: Vec<EventLogEntry>,
    pub before: Option<i64>,
}

/// A run as lists show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub id: RunId,
    pub workflow: WorkflowId,
    pub workflow_name: String,
    pub workflow_version: i32,
    pub status: RunStatus,
    pub event_type: String,
    pub queued_at: OffsetDateTime,
    pub started_at: Option<OffsetDateTime>,
    pub finished_at: Option<OffsetDateTime>,
    pub error: Option<String>,
    pub failed_step: Option<i32>,
    /// What happened beside its outcome (some of its events started no workflows).
    pub notice: Option<String>,
}

impl RunSummary {
    /// How long it ran, once it has ended.
    pub fn duration_ms(&self) -> Option<i64> {
        Some((self.finished_at? - self.started_at?).whole_milliseconds() as i64)
    }
}

/// One step of a run, done or still to come.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunStepView {
    pub index: i32,
    pub label: String,
    pub action: String,
    pub status: crate::run::StepStatus,
    pub input: Option<serde_json::Value>,
    pub output: Option<serde_json::Value>,
    pub error: Option<String>,
    pub attempts: i32,
    pub finished_at: Option<OffsetDateTime>,
    /// Copied from the run this one retries, not run again.
    pub reused: bool,
}

/// A run step by step, with the event that started it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunDetail {
    pub run: RunSummary,
    pub event_id: EventId,
    pub event_data: serde_json::Value,
    pub steps: Vec<RunStepView>,
    /// The run this one retries, from which step (0: the start), and who asked.
    pub retry_of: Option<(RunId, i32, String)>,
    /// The retries of this run, newest first (a few), and how many there are.
    pub retried_by: Vec<(RunId, crate::run::RunStatus)>,
    pub retries: i64,
    /// Who asked the run to stop, while it has not stopped yet or once it has.
    pub cancel_requested_by: Option<String>,
    /// Whether the actor may retry or cancel it.
    pub may_edit: bool,
    /// What retrying it would offer.
    pub retry: RetryOptions,
    /// The mapping row that made a failed step's bad value, in words.
    pub blame: Option<crate::blame::Blame>,
}

/// What the run page offers for retrying a run: the step a retry from the failed step would
/// begin at, why it is not offered, and why no retry is possible now.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryOptions {
    pub failed_step: Option<i32>,
    pub failed_step_refused: Option<String>,
    pub refused: Option<String>,
}

/// An event recorded, and the runs it queued: the same answer for every repeat of its
/// idempotency key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Accepted {
    #[serde(rename = "$id")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub event: EventId,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub runs: Vec<RunId>,
}
