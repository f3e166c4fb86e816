//! A workflow's versions: who saved each, when, and what changed, in a line; and any two side
//! by side in plain words (fields, and steps as the editor shows them, never JSON).

use crate::definition::{RetryPolicy, Step};
use crate::entity::Workflow;
use crate::mapping::in_words;
use crate::workflow::WorkflowFields;
use serde::{Deserialize, Serialize};

/// One version in the history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VersionRow {
    pub version: i32,
    pub saved: String,
    pub by: Option<String>,
    /// What changed from the version before, in a line.
    pub summary: String,
    pub current: bool,
}

/// Versions a page of the history shows.
pub const PAGE: usize = 20;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Versions {
    pub workflow: Workflow,
    /// Whether the actor may restore a version (Editors and Admins, while the status allows).
    pub may_restore: bool,
    /// One page of the history, newest first.
    pub versions: Vec<VersionRow>,
    /// How many versions there are in all.
    pub total: usize,
    /// The page of older versions starts below this version, if there is one.
    pub older: Option<i32>,
    /// The page of newer versions, if this is not the first: `Some(None)` is the first page.
    pub newer: Option<Option<i32>>,
    pub comparison: Option<Comparison>,
}

/// One field of two versions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldRow {
    pub label: String,
    pub a: String,
    pub b: String,
    pub changed: bool,
}

/// One step of two versions, as lines the editor would show, and what changed in words.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepRow {
    pub number: usize,
    pub a: Vec<String>,
    pub b: Vec<String>,
    pub changed: bool,
    /// "Step 2 “type” changed from the fixed text “Reminder.sent” to the invoice's channel."
    pub changes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub a: i32,
    pub b: i32,
    pub fields: Vec<FieldRow>,
    pub steps: Vec<StepRow>,
}

impl Comparison {
    /// Every difference from `a` to `b` in words, fields first: "Name changed from “a” to
    /// “b”.", "Step 2 “type” changed from the fixed text “Reminder.sent” to the invoice's
    /// channel."
    pub fn sentences(&self) -> Vec<String> {
        self.fields
            .iter()
            .filter(|f| f.changed)
            .map(|f| format!("{} changed from “{}” to “{}”.", f.label, f.a, f.b))
            .chain(self.steps.iter().flat_map(|s| s.changes.iter().cloned()))
            .collect()
    }
}

/// A step in plain lines: its action and label, each field it fills, its gate, its fallback.
pub fn step_lines(step: &Step) -> Vec<String> {
    let mut lines = vec![match &step.name {
        Some(name) => format!("{} ({name})", step.action),
        None => step.action.clone(),
    }];
    lines.extend(step.mapping.iter().map(|(f, e)| format!("{f} ← {e}")));
    if let Some(c) = &step.condition {
        lines.push(format!("Only when {}", c.0));
    }
    if let Some(f) = &step.fallback {
        lines.push(format!("If it fails: {}", f.action));
        lines.extend(f.mapping.iter().map(|(k, e)| format!("  {k} ← {e}")));
    }
    lines
}

fn field_rows(a: &WorkflowFields, b: &WorkflowFields) -> Vec<FieldRow> {
    let timeout = |f: &WorkflowFields| {
        f.timeout_ms
            .map_or_else(|| "None".to_owned(), crate::timefmt::length_text)
    };
    let rows = [
        ("Name", a.name.clone(), b.name.clone()),
        ("Description", a.description.clone(), b.description.clone()),
        (
            "Trigger event",
            a.trigger_event.clone(),
            b.trigger_event.clone(),
        ),
        (
            "If a step fails",
            a.error_handling.label().to_owned(),
            b.error_handling.label().to_owned(),
        ),
        ("Time limit", timeout(a), timeout(b)),
        (
            "Retries",
            RetryPolicy::describe(a.retry_policy.as_ref()),
            RetryPolicy::describe(b.retry_policy.as_ref()),
        ),
    ];
    rows.into_iter()
        .map(|(label, a, b)| FieldRow {
            label: label.to_owned(),
            changed: a != b,
            a,
            b,
        })
        .collect()
}

fn step_rows(a: &WorkflowFields, b: &WorkflowFields) -> Vec<StepRow> {
    let n = a.steps.len().max(b.steps.len());
    (0..n)
        .map(|i| {
            let changes = step_changes(
                i + 1,
                (a.steps.get(i), &a.trigger_event),
                (b.steps.get(i), &b.trigger_event),
            );
            let lines = |f: &WorkflowFields| f.steps.get(i).map(step_lines).unwrap_or_default();
            let (a, b) = (lines(a), lines(b));
            StepRow {
                number: i + 1,
                changed: a != b,
                a,
                b,
                changes,
            }
        })
        .collect()
}

/// What changed in step `number` from `a` to `b` (each with its workflow's trigger, for the
/// words of its expressions; a missing step was added or removed), one sentence a change.
pub fn step_changes(
    number: usize,
    (a, a_trigger): (Option<&Step>, &str),
    (b, b_trigger): (Option<&Step>, &str),
) -> Vec<String> {
    let (a, b) = match (a, b) {
        (None, None) => return Vec::new(),
        (None, Some(b)) => return vec![format!("Step {number} was added: {}.", b.label())],
        (Some(a), None) => return vec![format!("Step {number} ({}) was removed.", a.label())],
        (Some(a), Some(b)) => (a, b),
    };
    let (was, now) = (
        |e: &str| in_words(e, a_trigger),
        |e: &str| in_words(e, b_trigger),
    );
    let mut out = Vec::new();
    if a.action != b.action {
        out.push(format!(
            "Step {number} now does {} instead of {}.",
            b.action, a.action
        ));
    }
    if a.name != b.name {
        out.push(format!("Step {number} is now called “{}”.", b.label()));
    }
    for (field, expr) in b.mapping.iter() {
        match a.mapping.get(field) {
            Some(before) if before == expr => {}
            Some(before) => out.push(format!(
                "Step {number} “{field}” changed from {} to {}.",
                was(before),
                now(expr)
            )),
            None => out.push(format!(
                "Step {number} now fills “{field}” with {}.",
                now(expr)
            )),
        }
    }
    for (field, _) in a.mapping.iter().filter(|(f, _)| b.mapping.get(f).is_none()) {
        out.push(format!("Step {number} no longer fills “{field}”."));
    }
    match (&a.condition, &b.condition) {
        (x, y) if x == y => {}
        (_, Some(c)) => {
            let when = now(&c.0);
            let when = when.strip_prefix("whether ").unwrap_or(&when);
            out.push(format!("Step {number} now runs only when {when}."))
        }
        (_, None) => out.push(format!("Step {number} now always runs.")),
    }
    if a.fallback != b.fallback {
        out.push(match &b.fallback {
            Some(f) => format!("Step {number}'s fallback is now {}.", f.action),
            None => format!("Step {number} no longer has a fallback."),
        });
    }
    out
}

/// Two versions side by side.
pub fn compare(a: (i32, &WorkflowFields), b: (i32, &WorkflowFields)) -> Comparison {
    Comparison {
        a: a.0,
        b: b.0,
        fields: field_rows(a.1, b.1),
        steps: step_rows(a.1, b.1),
    }
}

/// What changed from `before` to `after`, in a line: "Changed the name and step 2; added step 3".
pub fn summary(before: &WorkflowFields, after: &WorkflowFields) -> String {
    let mut changed: Vec<String> = field_rows(before, after)
        .into_iter()
        .filter(|r| r.changed)
        .map(|r| format!("the {}", r.label.to_lowercase()))
        .collect();
    let mut added = Vec::new();
    let mut removed = Vec::new();
    let rows = step_rows(before, after);
    // One change to one step, and nothing else: the sentence that says it.
    let sentences: Vec<&String> = rows.iter().flat_map(|r| &r.changes).collect();
    if changed.is_empty() && sentences.len() == 1 {
        return sentences[0].clone();
    }
    for row in rows.into_iter().filter(|r| r.changed) {
        match (row.a.is_empty(), row.b.is_empty()) {
            (true, _) => added.push(format!("step {}", row.number)),
            (_, true) => removed.push(format!("step {}", row.number)),
            _ => changed.push(format!("step {}", row.number)),
        }
    }
    let mut parts = Vec::new();
    for (verb, list) in [("Changed", changed), ("added", added), ("removed", removed)] {
        if !list.is_empty() {
            parts.push(format!("{verb} {}", and_list(&list)));
        }
    }
    if parts.is_empty() {
        return "Saved without changes".to_owned();
    }
    let line = parts.join("; ");
    let mut chars = line.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or(line)
}

fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::{MappingRow, StepInput, WorkflowInput};

    fn fields(name: &str, steps: &[(&str, &str)]) -> WorkflowFields {
        WorkflowInput {
            name: name.into(),
            trigger_event: "Deal.won".into(),
            steps: steps
                .iter()
                .map(|(action, expr)| StepInput {
                    action: (*action).into(),
                    mapping: vec![MappingRow {
                        field: "name".into(),
                        expr: (*expr).into(),
                    }],
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
        .validate()
        .expect("valid")
    }

    #[test]
    fn a_summary_says_what_changed_in_words() {
        let v1 = fields("Onboarding", &[("Customer.create", "deal.name")]);
        let v2 = fields(
            "Customer onboarding",
            &[
                ("Customer.create", "deal.title"),
                ("Task.create", "\"Call\""),
            ],
        );
        assert_eq!(
            summary(&v1, &v2),
            "Changed the name and step 1; added step 2"
        );
        assert_eq!(
            summary(&v2, &v1),
            "Changed the name and step 1; removed step 2"
        );
        assert_eq!(summary(&v1, &v1), "Saved without changes");
    }

    #[test]
    fn a_comparison_reads_steps_as_the_editor_shows_them() {
        let v1 = fields("Onboarding", &[("Customer.create", "deal.name")]);
        let v2 = fields("Onboarding", &[("Customer.create", "deal.title")]);
        let c = compare((1, &v1), (2, &v2));
        assert!(c.fields.iter().all(|f| !f.changed));
        assert_eq!(c.steps.len(), 1);
        assert!(c.steps[0].changed);
        assert_eq!(c.steps[0].a, ["Customer.create", "name ← deal.name"]);
        assert_eq!(c.steps[0].b, ["Customer.create", "name ← deal.title"]);
        assert!(
            c.steps
                .iter()
                .flat_map(|s| s.a.iter().chain(&s.b))
                .all(|line| !line.contains('{')),
            "no JSON"
        );
        assert_eq!(
            c.steps[0].changes,
            ["Step 1 “name” changed from the deal's name to the deal's title."]
        );
    }

    #[test]
    fn each_change_to_a_step_is_a_sentence() {
        let v1 = fields("Reminders", &[("Event.create", "\"Reminder.sent\"")]);
        let v2 = fields(
            "Reminders",
            &[
                ("Event.create", "deal.channel"),
                ("Task.create", "deal.name"),
            ],
        );
        let c = compare((1, &v1), (2, &v2));
        assert_eq!(
            c.steps[0].changes,
            ["Step 1 “name” changed from the fixed text “Reminder.sent” to the deal's channel."]
        );
        assert_eq!(c.steps[1].changes, ["Step 2 was added: Task.create."]);
        let renamed = fields("Chasers", &[("Event.create", "\"Reminder.sent\"")]);
        assert_eq!(
            compare((1, &v1), (2, &renamed)).sentences(),
            ["Name changed from “Reminders” to “Chasers”."]
        );
        let v3 = fields("Reminders", &[("Event.create", "deal.channel")]);
        assert_eq!(
            summary(&v1, &v3),
            "Step 1 “name” changed from the fixed text “Reminder.sent” to the deal's channel."
        );
    }
}
