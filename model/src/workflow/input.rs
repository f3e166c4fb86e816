//! A workflow as a form edits it: plain text everywhere, so that nothing typed is lost when
//! the form comes back with errors. `validate` turns it into `WorkflowFields`; `from_fields`
//! turns stored fields back into it.

use super::WorkflowFields;
use crate::definition::{Mapping, Step};
use serde::{Deserialize, Serialize};

/// One row of a step's mapping: a field of the action and the expression that fills it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingRow {
    #[serde(default)]
    pub field: String,
    #[serde(default)]
    pub expr: String,
}

/// A step as a form edits it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub condition: String,
    #[serde(default)]
    pub mapping: Vec<MappingRow>,
    #[serde(default)]
    pub fallback_action: String,
    #[serde(default)]
    pub fallback_mapping: Vec<MappingRow>,
    /// What the step sends, when its action is `HTTP.request`.
    #[serde(default)]
    pub request: super::RequestInput,
}

/// The retry policy as a form edits it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryInput {
    #[serde(default)]
    pub max_attempts: String,
    #[serde(default)]
    pub backoff: String,
    #[serde(default)]
    pub delay_ms: String,
    #[serde(default)]
    pub max_delay_ms: String,
}

/// Every editable field of a workflow, as typed by a person.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub trigger_event: String,
    #[serde(default)]
    pub steps: Vec<StepInput>,
    #[serde(default)]
    pub error_handling: String,
    #[serde(default)]
    pub timeout_ms: String,
    #[serde(default)]
    pub retry: RetryInput,
}

/// A mapping as the form's rows.
pub(super) fn rows(mapping: &Mapping) -> Vec<MappingRow> {
    mapping
        .iter()
        .map(|(field, expr)| MappingRow {
            field: field.to_owned(),
            expr: expr.to_owned(),
        })
        .collect()
}

impl From<&Step> for StepInput {
    fn from(step: &Step) -> Self {
        let fallback = step.fallback.clone().unwrap_or_default();
        StepInput {
            name: step.name.clone().unwrap_or_default(),
            action: step.action.clone(),
            condition: step
                .condition
                .as_ref()
                .map(|c| c.0.clone())
                .unwrap_or_default(),
            mapping: rows(&step.mapping),
            fallback_action: fallback.action,
            fallback_mapping: rows(&fallback.mapping),
            request: step
                .request
                .as_ref()
                .map(super::RequestInput::from)
                .unwrap_or_default(),
        }
    }
}

impl WorkflowInput {
    /// The editable input that shows stored fields again (for the edit form).
    pub fn from_fields(fields: &WorkflowFields) -> Self {
        let length = |n: Option<i64>| n.map(crate::timefmt::length_text).unwrap_or_default();
        let retry = fields.retry_policy.map(|p| RetryInput {
            max_attempts: p.max_attempts.to_string(),
            backoff: p.backoff.as_str().to_owned(),
            delay_ms: crate::timefmt::length_text(p.delay_ms),
            max_delay_ms: length(p.max_delay_ms),
        });
        WorkflowInput {
            name: fields.name.clone(),
            description: fields.description.clone(),
            trigger_event: fields.trigger_event.clone(),
            steps: fields.steps.iter().map(StepInput::from).collect(),
            error_handling: fields.error_handling.as_str().to_owned(),
            timeout_ms: length(fields.timeout_ms),
            retry: retry.unwrap_or_default(),
        }
    }
}

impl RetryInput {
    pub(super) fn is_blank(&self) -> bool {
        [
            &self.max_attempts,
            &self.backoff,
            &self.delay_ms,
            &self.max_delay_ms,
        ]
        .iter()
        .all(|s| s.trim().is_empty())
    }
}

impl StepInput {
    pub(super) fn is_blank(&self) -> bool {
        self.name.trim().is_empty()
            && self.action.trim().is_empty()
            && self.condition.trim().is_empty()
            && self.fallback_action.trim().is_empty()
            && self.mapping.iter().all(MappingRow::is_blank)
            && self.fallback_mapping.iter().all(MappingRow::is_blank)
            && self.request.is_blank()
    }
}

impl MappingRow {
    pub(super) fn is_blank(&self) -> bool {
        self.field.trim().is_empty() && self.expr.trim().is_empty()
    }
}
