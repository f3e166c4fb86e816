//! The Workflow's fields as a search names them, with the columns that hold them.

use super::{Kind, Lit};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A field of the resource, with the column that holds it.
#[derive(Debug, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub column: &'static str,
    pub kind: Kind,
    pub nullable: bool,
}

const fn field(name: &'static str, column: &'static str, kind: Kind, nullable: bool) -> Field {
    Field {
        name,
        column,
        kind,
        nullable,
    }
}

/// The Workflow's fields, as its resource names them.
pub static WORKFLOW_FIELDS: [Field; 18] = [
    field("$id", "id", Kind::Text, false),
    field("$version", "version", Kind::Int, false),
    field("$createdAt", "created_at", Kind::Time, false),
    field("$updatedAt", "updated_at", Kind::Time, false),
    field("$createdBy", "created_by", Kind::Text, true),
    field("name", "name", Kind::Text, false),
    field("description", "description", Kind::Text, false),
    field("triggerEvent", "trigger_event", Kind::Text, false),
    field("steps", "steps", Kind::Text, false),
    field("retryPolicy", "retry_policy", Kind::Text, true),
    field("errorHandling", "error_handling", Kind::Text, false),
    field("timeout", "timeout_ms", Kind::Int, true),
    field("status", "status", Kind::Text, false),
    field("version", "version", Kind::Int, false),
    field("lastRunAt", "last_run_at", Kind::Time, true),
    field("runCount", "run_count", Kind::Int, false),
    field("successCount", "success_count", Kind::Int, false),
    field("failureCount", "failure_count", Kind::Int, false),
];

impl Field {
    /// The values a field of names may hold (`status`, `errorHandling`), if it is one.
    pub(super) fn one_of(&self) -> Option<Vec<&'static str>> {
        match self.name {
            "status" => Some(
                crate::status::Status::ALL
                    .iter()
                    .map(|s| s.as_str())
                    .collect(),
            ),
            "errorHandling" => Some(
                crate::definition::ErrorHandling::ALL
                    .iter()
                    .map(|e| e.as_str())
                    .collect(),
            ),
            _ => None,
        }
    }
}

pub(super) fn find_field(name: &str) -> Option<&'static Field> {
    WORKFLOW_FIELDS.iter().find(|f| f.name == name)
}

pub(super) fn field_names() -> String {
    WORKFLOW_FIELDS
        .iter()
        .map(|f| f.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The resource's value of `field` in `resource` (a workflow as `to_resource` shows it).
pub fn value_of(resource: &Map<String, Value>, field: &Field) -> Lit {
    let value = resource.get(field.name).unwrap_or(&Value::Null);
    match (field.kind, value) {
        (_, Value::Null) => Lit::Null,
        (Kind::Int, v) => v.as_i64().map_or(Lit::Null, Lit::Int),
        (Kind::Time, Value::String(s)) => {
            OffsetDateTime::parse(s, &Rfc3339).map_or(Lit::Null, Lit::Time)
        }
        (Kind::Text, Value::String(s)) => Lit::Text(s.clone()),
        (Kind::Text, other) => Lit::Text(other.to_string()),
        _ => Lit::Null,
    }
}
