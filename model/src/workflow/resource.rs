//! A workflow as the REST API and the MCP tools show it and take it: the spec's field names
//! (`triggerEvent`, `retryPolicy`, `errorHandling`, `timeout`, `lastRunAt`, `runCount`, ...)
//! and `$id`, `$type`, `$version`, `$createdAt`, `$updatedAt`, `$createdBy`. `steps` and
//! `retryPolicy` are shown as JSON values and taken as values or as their JSON text, which is
//! what the spec's `string` type holds.

use super::{FieldError, RetryInput, StepInput, WorkflowInput};
use crate::definition::{RetryPolicy, Steps};
use serde_json::{Map, Value};

/// The fields a client may write.
pub const WRITABLE: [&str; 7] = [
    "name",
    "description",
    "triggerEvent",
    "steps",
    "retryPolicy",
    "errorHandling",
    "timeout",
];

/// The fields a client may send back as it read them, which change nothing (`status` changes
/// through verbs, and is refused when it differs).
pub const READ_ONLY: [&str; 11] = [
    "$id",
    "$type",
    "$version",
    "$createdAt",
    "$updatedAt",
    "$createdBy",
    "version",
    "lastRunAt",
    "runCount",
    "successCount",
    "failureCount",
];

/// A workflow as the REST API and the MCP tools show it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WorkflowResource {
    /// `workflow_` and 8 letters or digits.
    #[serde(rename = "$id")]
    pub id: String,
    /// Always `Workflow`.
    #[serde(rename = "$type")]
    pub type_: String,
    /// The version its fields are at; send it back (or `If-Match`) to update safely.
    #[serde(rename = "$version")]
    pub version_: i32,
    #[serde(rename = "$createdAt")]
    pub created_at: String,
    #[serde(rename = "$updatedAt")]
    pub updated_at: String,
    /// The user who created it, if a person did.
    #[serde(rename = "$createdBy")]
    pub created_by: Option<String>,
    pub name: String,
    pub description: String,
    /// The event that starts it, `Noun.verb` (`Deal.won`).
    pub trigger_event: String,
    /// The steps, each `{"action", "mapping"?, "name"?, "condition"?, "fallback"?}`; taken
    /// as an array or as its JSON text.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub steps: Value,
    /// `{"maxAttempts", "backoff"?, "delayMs"?, "maxDelayMs"?}`, or null.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub retry_policy: Value,
    /// `Stop`, `Continue` or `Fallback`.
    pub error_handling: String,
    /// Milliseconds a run may take, or null.
    pub timeout: Option<i64>,
    /// `Draft`, `Activated`, `Paused`, `Triggered`, `Archived` (or the legacy `Active`).
    pub status: String,
    pub version: i32,
    pub last_run_at: Option<String>,
    pub run_count: i64,
    pub success_count: i64,
    pub failure_count: i64,
}

fn text(field: &str, value: &Value, errors: &mut Vec<FieldError>) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Null if field == "description" => Some(String::new()),
        _ => {
            errors.push(FieldError::new(field, format!("`{field}` must be text")));
            None
        }
    }
}

/// `base` with the fields of `patch` written over it (a merge: fields not sent keep their
/// value). Every problem is listed: unknown fields, wrong types, steps or a retry policy that
/// do not read, a different `status`. The result still has to pass `WorkflowInput::validate`.
pub fn merge(
    mut base: WorkflowInput,
    patch: &Map<String, Value>,
    status: Option<crate::status::Status>,
) -> Result<WorkflowInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    for (field, value) in patch {
        match field.as_str() {
            "name" => base.name = text(field, value, &mut errors).unwrap_or_default(),
            "description" => {
                base.description = text(field, value, &mut errors).unwrap_or_default();
            }
            "triggerEvent" => {
                base.trigger_event = text(field, value, &mut errors).unwrap_or_default();
            }
            "errorHandling" => {
                base.error_handling = text(field, value, &mut errors).unwrap_or_default();
            }
            "timeout" => match value {
                Value::Null => base.timeout_ms = String::new(),
                Value::Number(n) if n.is_i64() => base.timeout_ms = n.to_string(),
                _ => errors.push(FieldError::new(
                    "timeout",
                    "`timeout` must be a whole number of milliseconds, or null",
                )),
            },
            "steps" => match value {
                Value::Null => base.steps = Vec::new(),
                _ => match serde_json::from_value::<Steps>(value.clone()) {
                    Ok(steps) => base.steps = steps.iter().map(StepInput::from).collect(),
                    Err(e) => errors.push(FieldError::new(
                        "steps",
                        format!(
                            "`steps` must be an array of {{\"action\", \"mapping\"?, \"request\"?, \"name\"?, \"condition\"?, \"fallback\"?}} (or its JSON text): {e}"
                        ),
                    )),
                },
            },
            "retryPolicy" => match value {
                Value::Null => base.retry = RetryInput::default(),
                _ => match crate::definition::from_json_value::<RetryPolicy>(value) {
                    Ok(p) => {
                        base.retry = RetryInput {
                            max_attempts: p.max_attempts.to_string(),
                            backoff: p.backoff.as_str().to_owned(),
                            delay_ms: p.delay_ms.to_string(),
                            max_delay_ms: p.max_delay_ms.map(|n| n.to_string()).unwrap_or_default(),
                        }
                    }
                    Err(e) => errors.push(FieldError::new(
                        "retryPolicy",
                        format!(
                            "`retryPolicy` must be {{\"maxAttempts\", \"backoff\"?, \"delayMs\"?, \"maxDelayMs\"?}} (or its JSON text), or null: {e}"
                        ),
                    )),
                },
            },
            "status" => {
                let same = status.is_some_and(|s| value.as_str() == Some(s.as_str()));
                if !same {
                    errors.push(FieldError::new(
                        "status",
                        "`status` changes through a verb: POST …/workflows/{id}/activate, pause, archive",
                    ));
                }
            }
            other if READ_ONLY.contains(&other) => {}
            other => errors.push(FieldError::new(
                other,
                format!(
                    "`{other}` is not a field of Workflow; the fields are {}",
                    WRITABLE.join(", ")
                ),
            )),
        }
    }
    if errors.is_empty() {
        Ok(base)
    } else {
        Err(errors)
    }
}

/// A new workflow's input from a resource.
pub fn new_input(fields: &Map<String, Value>) -> Result<WorkflowInput, Vec<FieldError>> {
    merge(
        WorkflowInput::default(),
        fields,
        Some(crate::status::Status::Draft),
    )
}
