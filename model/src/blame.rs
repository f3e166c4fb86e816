//! Why a failed step failed, told from the mapping row that made its bad value: "Step 2
//! “Create an event” got “email reminder” for its field type from the invoice's channel."
//! The run page says it and leads to that row in the editor.

use crate::definition::Mapping;
use crate::mapping::{as_text, field_words, in_words};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A failed step, the field it failed on and where that field's value came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blame {
    /// The step, counted from 0.
    pub step: i32,
    /// The field the error names, when it names one.
    pub field: Option<String>,
    /// The value the field got, as text, when the step worked it out.
    pub value: Option<String>,
    /// What happened, in words.
    pub words: String,
    /// The failure group of the runs that failed this way (the runs list's `group`), as the
    /// engine filed the run.
    pub group: Option<String>,
    /// Whether the workflow changed since the version this run ran: a retry runs the new one.
    pub changed_since: bool,
}

/// How a step's error message names the field it is about: "The field type". The engine
/// writes its messages with it, and `named_field` reads them back.
pub fn the_field(field: &str) -> String {
    format!("{FIELD_PREFIX}{field}")
}

const FIELD_PREFIX: &str = "The field ";

/// The field a step's error message names: `The field type must be …` is `type`.
pub fn named_field(error: &str) -> Option<&str> {
    let (_, rest) = error.split_once(FIELD_PREFIX)?;
    let end = rest
        .find(|c: char| c.is_whitespace() || c == ':' || c == ',')
        .unwrap_or(rest.len());
    Some(&rest[..end]).filter(|f| !f.is_empty())
}

/// What a failed step did wrong, in words: `index` counted from 0, `label` what pages call
/// it, `input` the values it worked out (none when working them out failed).
pub fn words(
    index: i32,
    label: &str,
    error: &str,
    mapping: &Mapping,
    input: Option<&Value>,
    trigger_event: &str,
) -> (Option<String>, Option<String>, String) {
    let step = format!("Step {} “{label}”", index + 1);
    let Some(field) = named_field(error) else {
        return (None, None, format!("{step} failed."));
    };
    let name = field_words(field);
    let Some(expr) = mapping.get(field) else {
        return (
            Some(field.to_owned()),
            None,
            format!("{step} does not fill its field {name}: add a field {field} to it."),
        );
    };
    let from = in_words(expr, trigger_event);
    let value = input.and_then(|i| i.get(field));
    let words = match value {
        Some(Value::Null) | None if input.is_some() => {
            format!("{step} got nothing for its field {name} from {from}.")
        }
        Some(v) => format!(
            "{step} got “{}” for its field {name} from {from}.",
            as_text(v)
        ),
        None => format!("{step} could not work out its field {name} from {from}."),
    };
    let value = value.filter(|v| !v.is_null()).map(as_text);
    (Some(field.to_owned()), value, words)
}

#[cfg(test)]
mod tests {
    use super::{named_field, the_field, words};
    use crate::definition::Mapping;
    use serde_json::json;

    #[test]
    fn the_error_names_its_field() {
        let error =
            "Step 2 (Event.create): The field type must be an event type like Deal.won, not \"x\"";
        assert_eq!(named_field(error), Some("type"));
        assert_eq!(
            named_field("Step 1 (Task.update): The field $id must say which Task"),
            Some("$id")
        );
        assert_eq!(
            named_field("Step 1 (Task.create): The field name cannot be worked out: …"),
            Some("name")
        );
        assert_eq!(named_field("There is no Task task_1"), None);
        // What the engine writes with `the_field` reads back.
        let written = format!(
            "Step 3 (Task.update): {} must say which Task",
            the_field("$id")
        );
        assert_eq!(named_field(&written), Some("$id"));
    }

    #[test]
    fn the_mapping_row_is_told_in_words() {
        let mapping = Mapping(vec![("type".into(), "invoice.channel".into())]);
        let error = "Step 2 (Event.create): The field type must be an event type like Deal.won, not \"email reminder\"";
        let input = json!({ "type": "email reminder" });
        let (field, value, said) = words(
            1,
            "Create an event",
            error,
            &mapping,
            Some(&input),
            "Invoice.sent",
        );
        assert_eq!(field.as_deref(), Some("type"));
        assert_eq!(value.as_deref(), Some("email reminder"));
        assert_eq!(
            said,
            "Step 2 “Create an event” got “email reminder” for its field type from the invoice's channel."
        );
        let (_, _, said) = words(
            1,
            "Create an event",
            error,
            &mapping,
            Some(&json!({})),
            "Invoice.sent",
        );
        assert_eq!(
            said,
            "Step 2 “Create an event” got nothing for its field type from the invoice's channel."
        );
        let (_, _, said) = words(1, "Create an event", error, &mapping, None, "Invoice.sent");
        assert_eq!(
            said,
            "Step 2 “Create an event” could not work out its field type from the invoice's channel."
        );
        let (_, _, said) = words(
            0,
            "Task.update",
            "The field $id must say which Task",
            &Mapping::default(),
            None,
            "Invoice.sent",
        );
        assert_eq!(
            said,
            "Step 1 “Task.update” does not fill its field id: add a field $id to it."
        );
    }
}
