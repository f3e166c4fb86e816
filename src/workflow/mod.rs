//! The Workflow's editable fields: the raw input a form or the API sends (`input`), the rules
//! that turn it into the typed, stored fields (`validate`), and those fields. Every message
//! names its field and says what is expected.

mod input;
pub mod resource;
mod validate;

pub use crate::definition::ErrorHandling;
pub use input::{MappingRow, RetryInput, StepInput, WorkflowInput};

use crate::definition::{RetryPolicy, Steps, from_json_or_text};
use serde::{Deserialize, Serialize};

pub const NAME_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 2000;
pub const STEPS_MAX: usize = 50;
pub const TIMEOUT_MAX_MS: i64 = 86_400_000;

/// One field's problem, keyed like `name`, `triggerEvent` or `steps.1.mapping.0.expr`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The validated fields, typed: what a version snapshot keeps and what the engine runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkflowFields {
    pub name: String,
    pub description: String,
    pub trigger_event: String,
    /// Written as the array's JSON text, as the spec's `steps` is: a snapshot is stored as
    /// `jsonb`, which would sort each mapping's fields and lose the order they were written in.
    #[serde(serialize_with = "as_json_text")]
    pub steps: Steps,
    #[serde(default, deserialize_with = "from_json_or_text")]
    pub retry_policy: Option<RetryPolicy>,
    pub error_handling: ErrorHandling,
    pub timeout_ms: Option<i64>,
}

fn as_json_text<S: serde::Serializer>(steps: &Steps, serializer: S) -> Result<S::Ok, S::Error> {
    use serde::ser::Error;
    let text = serde_json::to_string(steps).map_err(S::Error::custom)?;
    serializer.serialize_str(&text)
}

/// Whether `s` has the form `Noun.verb` (`Deal.won`, `Contact.created`).
pub fn is_event_type(s: &str) -> bool {
    let Some((noun, verb)) = s.split_once('.') else {
        return false;
    };
    let mut noun_chars = noun.chars();
    let mut verb_chars = verb.chars();
    noun_chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && noun_chars.all(|c| c.is_ascii_alphanumeric())
        && verb_chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && verb_chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && s.len() <= 100
}

/// Whether `s` names an action: `Noun.verb` with a capitalised noun (`Customer.create`).
pub fn is_action(s: &str) -> bool {
    is_event_type(s) && s.starts_with(|c: char| c.is_ascii_uppercase())
}

#[cfg(test)]
mod tests;
