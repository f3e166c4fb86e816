//! The Workflow's editable fields: the raw input a form or the API sends (`input`), the rules
//! that turn it into the typed, stored fields (`validate`), and those fields. Every message
//! names its field and says what is expected.

mod input;
mod request_input;
pub mod resource;
mod validate;

pub use crate::definition::ErrorHandling;
pub use input::{MappingRow, RetryInput, StepInput, WorkflowInput};
pub use request_input::RequestInput;

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

/// The nouns whose events Switchyard records itself: the audit is made of them, so no key,
/// member or step may record one (`Member.signedIn`, `ApiKey.created`, `Run.failed`,
/// `workflow.high_failure_rate`), and no step acts on a Thing of such a noun. Workflows may
/// still start on them.
pub const SERVER_NOUNS: &[&str] = &[
    "Member",
    "ApiKey",
    "Invitation",
    "Session",
    "Organization",
    "Org",
    "Workflow",
    "Run",
    "RunBatch",
    "FailureGroup",
    "Secret",
    "Webhook",
    "Endpoint",
    "Email",
];

/// The nouns of the events only Admins, and keys with the `admin` scope, may read: sign-ins
/// and their addresses and browsers, invitations and the addresses invited, API keys, secrets,
/// and the test emails sent and to whom.
pub const PRIVATE_NOUNS: &[&str] = &[
    "Member",
    "ApiKey",
    "Invitation",
    "Session",
    "Secret",
    "Email",
];

/// Whether an event of this type is for Admins only (see `PRIVATE_NOUNS`).
pub fn is_private_event(event_type: &str) -> bool {
    let noun = event_type
        .split_once('.')
        .map_or(event_type, |(noun, _)| noun);
    PRIVATE_NOUNS.iter().any(|n| n.eq_ignore_ascii_case(noun))
}

/// The server's noun `s` (an event type or an action) starts with, whatever its case, if any.
pub fn server_noun(s: &str) -> Option<&'static str> {
    let noun = s.split_once('.').map_or(s, |(noun, _)| noun);
    SERVER_NOUNS
        .iter()
        .find(|n| n.eq_ignore_ascii_case(noun))
        .copied()
}

/// Why no one but Switchyard may record `event_type`, in words, if that is so.
pub fn reserved_event(event_type: &str) -> Option<String> {
    server_noun(event_type).map(|noun| {
        format!("{noun} events are recorded by Switchyard itself; send events of your own nouns, like Deal.won")
    })
}

/// Whether `s` names an action: `Noun.verb` with a capitalised noun (`Customer.create`).
pub fn is_action(s: &str) -> bool {
    is_event_type(s) && s.starts_with(|c: char| c.is_ascii_uppercase())
}

#[cfg(test)]
mod tests;
