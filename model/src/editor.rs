//! What the workflow editor offers to pick from (trigger events, actions, each action's
//! fields, the values the trigger event carries) and the plain remarks it makes on what was
//! typed instead ("No workflow has used Task.creat before. Did you mean Task.create?"). Typing
//! anything stays allowed: records are open-ended.

use crate::definition::{Mapping, Steps};
use crate::mapping::{as_text, field_words, root_for_trigger};
use crate::workflow::WorkflowInput;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The actions of the specification's examples.
pub const SPEC_ACTIONS: [&str; 8] = [
    "Customer.create",
    "Subscription.create",
    "Project.create",
    "Activity.create",
    "Contact.assign",
    "Task.create",
    "Event.create",
    crate::definition::HTTP_ACTION,
];

/// The trigger events of the specification's examples.
pub const SPEC_EVENTS: [&str; 8] = [
    "Deal.won",
    "Contact.created",
    "Contact.qualified",
    "Lead.created",
    "Lead.converted",
    "Subscription.created",
    "Payment.failed",
    "Ticket.created",
];

/// How many paths of the trigger event's data the editor offers at most.
pub const VALUES_MAX: usize = 60;
/// How deep into the trigger event's data the offered paths go.
const DEPTH_MAX: usize = 4;

/// A value a mapping can use: its expression, in words, with an example.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueChoice {
    pub expr: String,
    pub words: String,
    pub example: String,
}

/// What the editor offers. Every list is bounded; the domain fills them from the organization's
/// events, records and workflows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditorChoices {
    /// Event types the organization has received or its workflows record.
    pub triggers: Vec<String>,
    /// Actions as `Noun.verb`.
    pub actions: Vec<String>,
    /// Each noun with the fields its records and its workflows' steps have.
    pub fields: Vec<(String, Vec<String>)>,
    /// The trigger event's data, from its latest real events.
    pub values: Vec<ValueChoice>,
    /// The latest real event of the trigger type's data: the preview's sample.
    pub latest: Option<Value>,
    /// The organization's secrets, by name and the hosts each may go to: what an HTTP step's
    /// authentication may pick.
    pub secrets: Vec<(String, Vec<String>)>,
}

impl EditorChoices {
    /// What to offer, from the organization's recorded event types (`received`), its
    /// workflows' triggers and steps, its records' `(noun, field)` pairs and the data of its
    /// newest events of `trigger_event`, newest first. Admin-only events are never offered.
    pub fn assemble(
        received: Vec<String>,
        workflows: &[(String, Steps)],
        record_fields: Vec<(String, String)>,
        trigger_event: &str,
        latest: Vec<Value>,
    ) -> Self {
        let mut triggers: Vec<String> = SPEC_EVENTS.iter().map(|e| e.to_string()).collect();
        triggers.extend(received);
        let mut actions: Vec<String> = SPEC_ACTIONS.iter().map(|a| a.to_string()).collect();
        // An event step fills its type and its data.
        let mut fields = record_fields;
        fields.extend(["type", "data"].map(|f| ("Event".to_owned(), f.to_owned())));
        for (trigger, steps) in workflows {
            triggers.push(trigger.clone());
            for step in &steps.0 {
                let fallback = step.fallback.iter().map(|f| (&f.action, &f.mapping));
                for (action, mapping) in
                    std::iter::once((&step.action, &step.mapping)).chain(fallback)
                {
                    actions.push(action.clone());
                    triggers.extend(records(action, mapping));
                    let noun = action.split('.').next().unwrap_or_default();
                    fields.extend(
                        mapping
                            .iter()
                            .filter(|(f, _)| !f.starts_with('$') && noun != "Event")
                            .map(|(f, _)| (noun.to_owned(), f.to_owned())),
                    );
                }
            }
        }
        let mut nouns: Vec<String> = fields.iter().map(|(n, _)| n.clone()).collect();
        nouns.sort();
        nouns.dedup();
        actions.extend(
            nouns
                .iter()
                .flat_map(|n| [format!("{n}.create"), format!("{n}.update")]),
        );
        triggers
            .retain(|t| crate::workflow::is_event_type(t) && !crate::workflow::is_private_event(t));
        for list in [&mut triggers, &mut actions] {
            list.sort();
            list.dedup();
        }
        let fields = nouns
            .into_iter()
            .map(|noun| {
                let mut of: Vec<String> = fields
                    .iter()
                    .filter(|(n, _)| *n == noun)
                    .map(|(_, f)| f.clone())
                    .collect();
                of.sort();
                of.dedup();
                of.truncate(200);
                (noun, of)
            })
            .collect();
        EditorChoices {
            triggers,
            actions,
            fields,
            values: value_choices(trigger_event, &latest),
            latest: latest.into_iter().next(),
            secrets: Vec::new(),
        }
    }

    /// The fields known for `action`'s noun.
    pub fn fields_of(&self, action: &str) -> &[String] {
        let noun = action.split('.').next().unwrap_or_default();
        self.fields
            .iter()
            .find(|(n, _)| n == noun)
            .map_or(&[], |(_, f)| f.as_slice())
    }

    /// Remarks on what the form holds that nobody has used before, keyed as its field errors
    /// are (`triggerEvent`, `steps.1.action`, `steps.1.mapping.0.field`).
    pub fn notes(&self, input: &WorkflowInput) -> Vec<(String, String)> {
        let mut notes = Vec::new();
        let trigger = input.trigger_event.trim();
        if !trigger.is_empty() && !self.triggers.iter().any(|t| t == trigger) {
            let mean = did_you_mean(trigger, self.triggers.iter().map(String::as_str));
            notes.push((
                "triggerEvent".to_owned(),
                format!(
                    "No {trigger} event has arrived here yet, and no workflow records one.{mean}"
                ),
            ));
        }
        for (i, step) in input.steps.iter().enumerate() {
            let action = step.action.trim();
            if action.is_empty() {
                continue;
            }
            if !self.actions.iter().any(|a| a == action) {
                let mean = did_you_mean(action, self.actions.iter().map(String::as_str));
                notes.push((
                    format!("steps.{i}.action"),
                    format!("No workflow has used {action} before.{mean}"),
                ));
            }
            let known = self.fields_of(action);
            let noun = action.split('.').next().unwrap_or_default();
            for (j, row) in step.mapping.iter().enumerate() {
                let field = row.field.trim();
                if known.is_empty() || field.is_empty() || field.starts_with('$') {
                    continue;
                }
                if !known.iter().any(|f| f == field) {
                    let mean = did_you_mean(field, known.iter().map(String::as_str));
                    notes.push((
                        format!("steps.{i}.mapping.{j}.field"),
                        format!("No {noun} has a field {field} yet.{mean}"),
                    ));
                }
            }
        }
        notes
    }
}

/// The events a step records, when its mapping says: `Event.create` with a fixed type,
/// `Noun.create` (`Noun.created`), `Noun.update` (`Noun.updated`).
fn records(action: &str, mapping: &Mapping) -> Option<String> {
    match action.split_once('.')? {
        ("Event", "create") => serde_json::from_str::<String>(mapping.get("type")?.trim()).ok(),
        (noun, "create") => Some(format!("{noun}.created")),
        (noun, "update") => Some(format!("{noun}.updated")),
        _ => None,
    }
}

/// " Did you mean X?" for the known word nearest `typed`, when one is near enough.
fn did_you_mean<'a>(typed: &str, known: impl Iterator<Item = &'a str>) -> String {
    closest(typed, known).map_or_else(String::new, |k| format!(" Did you mean {k}?"))
}

/// The known word nearest `typed`, ignoring case, within a third of its length in edits.
pub fn closest<'a>(typed: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let typed: Vec<char> = typed.to_lowercase().chars().take(64).collect();
    let reach = typed.len().div_ceil(3).clamp(1, 3);
    known
        .filter_map(|k| {
            let lower: Vec<char> = k.to_lowercase().chars().take(64).collect();
            let d = distance(&typed, &lower);
            (d <= reach).then_some((d, k))
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Edits (insert, delete, replace) from `a` to `b`; both at most 64 characters.
fn distance(a: &[char], b: &[char]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The paths of `events` (the trigger event's data, newest first) under the trigger's root,
/// each with the newest example value: `deal.name` "the deal's name", "Acme".
pub fn value_choices(trigger_event: &str, events: &[Value]) -> Vec<ValueChoice> {
    let root = root_for_trigger(trigger_event);
    let mut out: Vec<ValueChoice> = Vec::new();
    for data in events {
        leaves(&root, data, 0, &mut |path, value| {
            if out.len() < VALUES_MAX && !out.iter().any(|c| c.expr == path) {
                let words = crate::mapping::in_words(path, trigger_event);
                let example = as_text(value).chars().take(40).collect();
                out.push(ValueChoice {
                    expr: path.to_owned(),
                    words,
                    example,
                });
            }
        });
    }
    out
}

fn leaves(path: &str, value: &Value, depth: usize, found: &mut dyn FnMut(&str, &Value)) {
    match value {
        Value::Object(map) if depth < DEPTH_MAX => {
            for (key, inner) in map.iter().take(VALUES_MAX) {
                let plain = key
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '$');
                if plain && !key.is_empty() {
                    leaves(&format!("{path}.{key}"), inner, depth + 1, found);
                }
            }
        }
        _ if depth > 0 => found(path, value),
        _ => {}
    }
}

/// What earlier steps make, for step `index`'s values: `step.0.$id` "step 1's id".
pub fn step_outputs(input: &WorkflowInput, index: usize) -> Vec<ValueChoice> {
    let mut out = Vec::new();
    for (i, step) in input.steps.iter().enumerate().take(index) {
        let label = if step.name.trim().is_empty() {
            step.action.trim().to_owned()
        } else {
            step.name.trim().to_owned()
        };
        let mut add = |field: &str| {
            out.push(ValueChoice {
                expr: format!("step.{i}.{field}"),
                words: format!("step {}'s {}", i + 1, field_words(field)),
                example: label.clone(),
            })
        };
        if step.action.trim() != "Event.create" {
            add("$id");
        }
        step.mapping
            .iter()
            .map(|r| r.field.trim())
            .filter(|f| !f.is_empty() && !f.starts_with('$'))
            .for_each(&mut add);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::{MappingRow, StepInput};
    use serde_json::json;

    fn choices() -> EditorChoices {
        EditorChoices {
            triggers: vec!["Deal.won".into()],
            actions: vec!["Task.create".into(), "Customer.create".into()],
            fields: vec![("Task".into(), vec!["title".into(), "due".into()])],
            ..Default::default()
        }
    }

    #[test]
    fn a_typo_is_said_plainly_with_its_likely_meaning() {
        let input = WorkflowInput {
            trigger_event: "Deal.wn".into(),
            steps: vec![StepInput {
                action: "Task.creat".into(),
                mapping: vec![MappingRow {
                    field: "titel".into(),
                    expr: "deal.name".into(),
                }],
                ..Default::default()
            }],
            ..Default::default()
        };
        let notes = choices().notes(&input);
        assert_eq!(
            notes,
            vec![
                (
                    "triggerEvent".to_owned(),
                    "No Deal.wn event has arrived here yet, and no workflow records one. Did you mean Deal.won?".to_owned()
                ),
                (
                    "steps.0.action".to_owned(),
                    "No workflow has used Task.creat before. Did you mean Task.create?".to_owned()
                ),
                (
                    "steps.0.mapping.0.field".to_owned(),
                    "No Task has a field titel yet. Did you mean title?".to_owned()
                ),
            ]
        );
        let known = WorkflowInput {
            trigger_event: "Deal.won".into(),
            steps: vec![StepInput {
                action: "Task.create".into(),
                mapping: vec![MappingRow {
                    field: "titel".into(),
                    expr: "deal.name".into(),
                }],
                ..Default::default()
            }],
            ..Default::default()
        };
        assert_eq!(
            choices().notes(&known),
            vec![(
                "steps.0.mapping.0.field".to_owned(),
                "No Task has a field titel yet. Did you mean title?".to_owned()
            )]
        );
        assert_eq!(closest("Zebra.walk", ["Task.create"].into_iter()), None);
    }

    #[test]
    fn the_trigger_data_becomes_paths_with_examples() {
        let events = [
            json!({"name": "Acme", "contact": {"email": "a@acme.test"}, "bad key": 1}),
            json!({"name": "Older", "amount": 5}),
        ];
        let values = value_choices("Deal.won", &events);
        let exprs: Vec<&str> = values.iter().map(|v| v.expr.as_str()).collect();
        assert_eq!(exprs, ["deal.name", "deal.contact.email", "deal.amount"]);
        assert_eq!(values[0].words, "the deal's name");
        assert_eq!(values[0].example, "Acme");
    }

    #[test]
    fn earlier_steps_offer_what_they_make() {
        let input = WorkflowInput {
            steps: vec![
                StepInput {
                    action: "Customer.create".into(),
                    mapping: vec![MappingRow {
                        field: "name".into(),
                        expr: "deal.name".into(),
                    }],
                    ..Default::default()
                },
                StepInput::default(),
            ],
            ..Default::default()
        };
        let outputs = step_outputs(&input, 1);
        let exprs: Vec<&str> = outputs.iter().map(|v| v.expr.as_str()).collect();
        assert_eq!(exprs, ["step.0.$id", "step.0.name"]);
        assert_eq!(outputs[0].words, "step 1's id");
        assert!(step_outputs(&input, 0).is_empty());
    }
}
