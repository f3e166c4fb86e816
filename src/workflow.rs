//! The Workflow's editable fields: the raw input a form or the API sends, and the
//! validated, stored form it becomes. Every message names its field and says what is expected.

use crate::mapping;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::str::FromStr;

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

/// What happens when a step fails after its retries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "db", derive(diesel::AsExpression, diesel::FromSqlRow))]
#[cfg_attr(feature = "db", diesel(sql_type = diesel::sql_types::Text))]
pub enum ErrorHandling {
    Stop,
    Continue,
    Fallback,
}

impl ErrorHandling {
    pub const ALL: [ErrorHandling; 3] = [
        ErrorHandling::Stop,
        ErrorHandling::Continue,
        ErrorHandling::Fallback,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorHandling::Stop => "Stop",
            ErrorHandling::Continue => "Continue",
            ErrorHandling::Fallback => "Fallback",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            ErrorHandling::Stop => "Stop the run",
            ErrorHandling::Continue => "Go on with the next step",
            ErrorHandling::Fallback => "Run the step's fallback",
        }
    }
}

impl FromStr for ErrorHandling {
    type Err = crate::status::UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ErrorHandling::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| crate::status::UnknownName {
                kind: "error handling",
                value: s.to_owned(),
            })
    }
}

#[cfg(feature = "db")]
crate::text_sql!(ErrorHandling);

/// One row of a step's mapping: a field of the action and the expression that fills it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingRow {
    #[serde(default)]
    pub field: String,
    #[serde(default)]
    pub expr: String,
}

/// A step as a form edits it: plain text everywhere.
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

/// The validated fields, in the form they are stored (steps and retry policy as JSON text).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkflowFields {
    pub name: String,
    pub description: String,
    pub trigger_event: String,
    pub steps: String,
    pub retry_policy: Option<String>,
    pub error_handling: ErrorHandling,
    pub timeout_ms: Option<i64>,
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

fn is_field_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '$')
        && s.len() <= 100
}

fn parse_integer(
    raw: &str,
    field: &str,
    label: &str,
    min: i64,
    max: i64,
    errors: &mut Vec<FieldError>,
) -> Option<i64> {
    match raw.trim().parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Some(n),
        _ => {
            errors.push(FieldError::new(
                field,
                format!("{label} must be a whole number from {min} to {max}"),
            ));
            None
        }
    }
}

impl WorkflowInput {
    /// Validates every field; either all of them are good or every problem is listed.
    pub fn validate(&self) -> Result<WorkflowFields, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = self.name.trim();
        if name.is_empty() {
            errors.push(FieldError::new("name", "Name is required"));
        } else if name.chars().count() > NAME_MAX {
            errors.push(FieldError::new(
                "name",
                format!("Name must be at most {NAME_MAX} characters"),
            ));
        }
        let description = self.description.trim();
        if description.chars().count() > DESCRIPTION_MAX {
            errors.push(FieldError::new(
                "description",
                format!("Description must be at most {DESCRIPTION_MAX} characters"),
            ));
        }
        let trigger = self.trigger_event.trim();
        if trigger.is_empty() {
            errors.push(FieldError::new(
                "triggerEvent",
                "Trigger event is required, like Deal.won",
            ));
        } else if !is_event_type(trigger) {
            errors.push(FieldError::new(
                "triggerEvent",
                "Trigger event must look like Noun.verb, for example Deal.won or Contact.created",
            ));
        }
        let error_handling = match self.error_handling.trim() {
            "" => ErrorHandling::Stop,
            other => other.parse().unwrap_or_else(|_| {
                errors.push(FieldError::new(
                    "errorHandling",
                    "Error handling must be Stop, Continue or Fallback",
                ));
                ErrorHandling::Stop
            }),
        };
        let timeout_ms = match self.timeout_ms.trim() {
            "" => None,
            raw => parse_integer(
                raw,
                "timeout",
                "Timeout (ms)",
                1,
                TIMEOUT_MAX_MS,
                &mut errors,
            ),
        };
        let retry_policy = self.retry.validate(&mut errors);
        let steps = validate_steps(&self.steps, trigger, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(WorkflowFields {
            name: name.to_owned(),
            description: description.to_owned(),
            trigger_event: trigger.to_owned(),
            steps: steps.to_string(),
            retry_policy: retry_policy.map(|p| p.to_string()),
            error_handling,
            timeout_ms,
        })
    }

    /// The editable input that shows stored fields again (for the edit form).
    pub fn from_fields(fields: &WorkflowFields) -> Self {
        let steps: Vec<Value> = serde_json::from_str(&fields.steps).unwrap_or_default();
        let retry: Value = fields
            .retry_policy
            .as_deref()
            .and_then(|p| serde_json::from_str(p).ok())
            .unwrap_or(Value::Null);
        let number = |key: &str| retry.get(key).map(|v| v.to_string()).unwrap_or_default();
        WorkflowInput {
            name: fields.name.clone(),
            description: fields.description.clone(),
            trigger_event: fields.trigger_event.clone(),
            steps: steps.iter().map(StepInput::from_json).collect(),
            error_handling: fields.error_handling.as_str().to_owned(),
            timeout_ms: fields.timeout_ms.map(|t| t.to_string()).unwrap_or_default(),
            retry: RetryInput {
                max_attempts: number("maxAttempts"),
                backoff: retry
                    .get("backoff")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                delay_ms: number("delayMs"),
                max_delay_ms: number("maxDelayMs"),
            },
        }
    }
}

impl RetryInput {
    fn is_blank(&self) -> bool {
        [
            &self.max_attempts,
            &self.backoff,
            &self.delay_ms,
            &self.max_delay_ms,
        ]
        .iter()
        .all(|s| s.trim().is_empty())
    }

    fn validate(&self, errors: &mut Vec<FieldError>) -> Option<Value> {
        if self.is_blank() {
            return None;
        }
        let attempts = parse_integer(
            if self.max_attempts.trim().is_empty() {
                "1"
            } else {
                &self.max_attempts
            },
            "retryPolicy.maxAttempts",
            "Attempts",
            1,
            10,
            errors,
        );
        let backoff = match self.backoff.trim() {
            "" => "fixed",
            b @ ("fixed" | "linear" | "exponential") => b,
            _ => {
                errors.push(FieldError::new(
                    "retryPolicy.backoff",
                    "Backoff must be fixed, linear or exponential",
                ));
                "fixed"
            }
        };
        let delay = match self.delay_ms.trim() {
            "" => Some(1000),
            raw => parse_integer(
                raw,
                "retryPolicy.delayMs",
                "Delay (ms)",
                0,
                3_600_000,
                errors,
            ),
        };
        let max_delay = match self.max_delay_ms.trim() {
            "" => None,
            raw => parse_integer(
                raw,
                "retryPolicy.maxDelayMs",
                "Longest delay (ms)",
                0,
                86_400_000,
                errors,
            ),
        };
        if let (Some(d), Some(m)) = (delay, max_delay)
            && m < d
        {
            errors.push(FieldError::new(
                "retryPolicy.maxDelayMs",
                "Longest delay must be at least the delay",
            ));
        }
        let mut policy = json!({ "maxAttempts": attempts?, "backoff": backoff, "delayMs": delay? });
        if let Some(m) = max_delay {
            policy["maxDelayMs"] = json!(m);
        }
        Some(policy)
    }
}

impl StepInput {
    fn from_json(step: &Value) -> Self {
        let text = |v: &Value, key: &str| {
            v.get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let rows = |v: &Value| -> Vec<MappingRow> {
            v.get("mapping")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(field, expr)| MappingRow {
                            field: field.clone(),
                            expr: expr
                                .as_str()
                                .map(str::to_owned)
                                .unwrap_or_else(|| expr.to_string()),
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let fallback = step.get("fallback").cloned().unwrap_or(Value::Null);
        StepInput {
            name: text(step, "name"),
            action: text(step, "action"),
            condition: text(step, "condition"),
            mapping: rows(step),
            fallback_action: text(&fallback, "action"),
            fallback_mapping: rows(&fallback),
        }
    }

    fn is_blank(&self) -> bool {
        self.name.trim().is_empty()
            && self.action.trim().is_empty()
            && self.condition.trim().is_empty()
            && self.fallback_action.trim().is_empty()
            && self.mapping.iter().all(MappingRow::is_blank)
            && self.fallback_mapping.iter().all(MappingRow::is_blank)
    }
}

impl MappingRow {
    fn is_blank(&self) -> bool {
        self.field.trim().is_empty() && self.expr.trim().is_empty()
    }
}

/// Checks an expression; with no roots (the trigger event is itself invalid) any root is let through.
fn check_expr(source: &str, roots: Option<&[String]>) -> Result<(), mapping::MappingError> {
    match roots {
        Some(roots) => mapping::parse(source, roots).map(drop),
        None => mapping::parse_any_root(source).map(drop),
    }
}

fn validate_mapping(
    rows: &[MappingRow],
    prefix: &str,
    roots: Option<&[String]>,
    errors: &mut Vec<FieldError>,
) -> Map<String, Value> {
    let mut mapping = Map::new();
    for (index, row) in rows.iter().enumerate().filter(|(_, r)| !r.is_blank()) {
        let field = row.field.trim();
        let key = format!("{prefix}.{index}");
        if !is_field_name(field) {
            errors.push(FieldError::new(
                format!("{key}.field"),
                "Field must be a name like customer or first-name",
            ));
        } else if mapping.contains_key(field) {
            errors.push(FieldError::new(
                format!("{key}.field"),
                format!("`{field}` is filled twice in this step"),
            ));
        }
        if let Err(err) = check_expr(&row.expr, roots) {
            errors.push(FieldError::new(format!("{key}.expr"), err.to_string()));
        }
        mapping.insert(field.to_owned(), Value::String(row.expr.trim().to_owned()));
    }
    mapping
}

fn validate_steps(steps: &[StepInput], trigger: &str, errors: &mut Vec<FieldError>) -> Value {
    let known = mapping::known_roots(trigger);
    let roots = is_event_type(trigger).then_some(known.as_slice());
    let steps: Vec<(usize, &StepInput)> = steps
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.is_blank())
        .collect();
    if steps.len() > STEPS_MAX {
        errors.push(FieldError::new(
            "steps",
            format!("A workflow can have at most {STEPS_MAX} steps"),
        ));
    }
    let mut out = Vec::new();
    for (index, step) in steps {
        let key = format!("steps.{index}");
        let action = step.action.trim();
        if !is_action(action) {
            errors.push(FieldError::new(
                format!("{key}.action"),
                "Action must look like Noun.verb, for example Customer.create",
            ));
        }
        let mut json = json!({ "action": action });
        json["mapping"] = Value::Object(validate_mapping(
            &step.mapping,
            &format!("{key}.mapping"),
            roots,
            errors,
        ));
        if !step.name.trim().is_empty() {
            json["name"] = json!(step.name.trim());
        }
        if !step.condition.trim().is_empty() {
            if let Err(err) = check_expr(&step.condition, roots) {
                errors.push(FieldError::new(format!("{key}.condition"), err.to_string()));
            }
            json["condition"] = json!(step.condition.trim());
        }
        let fallback_action = step.fallback_action.trim();
        if !fallback_action.is_empty() || step.fallback_mapping.iter().any(|r| !r.is_blank()) {
            if !is_action(fallback_action) {
                errors.push(FieldError::new(
                    format!("{key}.fallbackAction"),
                    "Fallback action must look like Noun.verb, for example Task.create",
                ));
            }
            let mapping = validate_mapping(
                &step.fallback_mapping,
                &format!("{key}.fallbackMapping"),
                roots,
                errors,
            );
            json["fallback"] = json!({ "action": fallback_action, "mapping": mapping });
        }
        out.push(json);
    }
    Value::Array(out)
}

/// The retry policy in words, for people: "Up to 3 attempts, 500 ms apart, doubling, at most 4000 ms".
pub fn describe_retry_policy(policy: Option<&str>) -> String {
    let Some(policy) = policy.and_then(|p| serde_json::from_str::<Value>(p).ok()) else {
        return "One attempt, no retry".to_owned();
    };
    let number = |key: &str| policy.get(key).and_then(Value::as_i64);
    let attempts = number("maxAttempts").unwrap_or(1);
    if attempts <= 1 {
        return "One attempt, no retry".to_owned();
    }
    let delay = number("delayMs").unwrap_or(0);
    let growth = match policy.get("backoff").and_then(Value::as_str) {
        Some("linear") => ", longer each time",
        Some("exponential") => ", doubling each time",
        _ => "",
    };
    let cap = number("maxDelayMs")
        .map(|m| format!(", at most {m} ms"))
        .unwrap_or_default();
    format!("Up to {attempts} attempts, waiting {delay} ms{growth}{cap}")
}

/// Reads a stored steps column into inputs, for callers that only have the JSON text.
pub fn steps_from_json(text: &str) -> Result<Vec<StepInput>, FieldError> {
    let steps: Vec<Value> = serde_json::from_str(text)
        .map_err(|_| FieldError::new("steps", "Steps must be a JSON array of steps"))?;
    Ok(steps.iter().map(StepInput::from_json).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn onboarding() -> WorkflowInput {
        WorkflowInput {
            name: "Customer Onboarding".into(),
            trigger_event: "Deal.won".into(),
            steps: vec![
                StepInput {
                    action: "Customer.create".into(),
                    mapping: vec![
                        MappingRow {
                            field: "name".into(),
                            expr: "deal.name".into(),
                        },
                        MappingRow {
                            field: "contact".into(),
                            expr: "deal.contact".into(),
                        },
                    ],
                    ..Default::default()
                },
                StepInput {
                    action: "Project.create".into(),
                    mapping: vec![MappingRow {
                        field: "name".into(),
                        expr: "\"Onboarding: \" + deal.name".into(),
                    }],
                    ..Default::default()
                },
            ],
            error_handling: "Fallback".into(),
            timeout_ms: "30000".into(),
            ..Default::default()
        }
    }

    fn fields_in_error(input: &WorkflowInput) -> Vec<String> {
        input
            .validate()
            .expect_err("invalid")
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn the_spec_example_is_valid_and_round_trips() {
        let fields = onboarding().validate().expect("valid");
        assert_eq!(fields.timeout_ms, Some(30000));
        let steps: Value = serde_json::from_str(&fields.steps).expect("json");
        assert_eq!(steps[0]["mapping"]["name"], "deal.name");
        assert_eq!(steps[1]["action"], "Project.create");
        let again = WorkflowInput::from_fields(&fields)
            .validate()
            .expect("still valid");
        assert_eq!(again, fields);
    }

    #[test]
    fn empty_and_overlong_names_are_refused() {
        let mut input = onboarding();
        input.name = "   ".into();
        assert_eq!(fields_in_error(&input), vec!["name"]);
        input.name = "x".repeat(NAME_MAX + 1);
        assert_eq!(fields_in_error(&input), vec!["name"]);
        input.name = "é".repeat(NAME_MAX);
        assert!(input.validate().is_ok(), "200 characters, not bytes");
    }

    #[test]
    fn malformed_trigger_events_are_refused() {
        for bad in [
            "",
            "Deal",
            "Deal.",
            ".won",
            "Deal won",
            "Deal.Won",
            "Deal.won.now",
        ] {
            let mut input = onboarding();
            input.trigger_event = bad.into();
            assert_eq!(fields_in_error(&input), vec!["triggerEvent"], "{bad:?}");
        }
    }

    #[test]
    fn invalid_steps_are_named_by_position() {
        let mut input = onboarding();
        input.steps[0].action = "create customer".into();
        input.steps[1].mapping[0].expr = "dael.name".into();
        input.steps[1].mapping.push(MappingRow {
            field: "name".into(),
            expr: "Follow up".into(),
        });
        assert_eq!(
            fields_in_error(&input),
            vec![
                "steps.0.action",
                "steps.1.mapping.0.expr",
                "steps.1.mapping.1.field",
                "steps.1.mapping.1.expr"
            ]
        );
    }

    #[test]
    fn blank_step_rows_are_dropped_not_refused() {
        let mut input = onboarding();
        input.steps.push(StepInput {
            mapping: vec![MappingRow::default()],
            ..Default::default()
        });
        let fields = input.validate().expect("valid");
        assert_eq!(steps_from_json(&fields.steps).expect("steps").len(), 2);
    }

    #[test]
    fn numbers_and_enums_are_checked() {
        let mut input = onboarding();
        input.timeout_ms = "soon".into();
        input.error_handling = "Panic".into();
        input.retry.max_attempts = "11".into();
        input.retry.backoff = "random".into();
        assert_eq!(
            fields_in_error(&input),
            vec![
                "errorHandling",
                "timeout",
                "retryPolicy.maxAttempts",
                "retryPolicy.backoff"
            ]
        );
    }

    #[test]
    fn retry_policies_read_as_words() {
        assert_eq!(describe_retry_policy(None), "One attempt, no retry");
        let policy =
            r#"{"maxAttempts": 3, "backoff": "exponential", "delayMs": 500, "maxDelayMs": 4000}"#;
        assert_eq!(
            describe_retry_policy(Some(policy)),
            "Up to 3 attempts, waiting 500 ms, doubling each time, at most 4000 ms"
        );
    }

    #[test]
    fn mapping_rows_keep_their_order() {
        let mut input = onboarding();
        input.steps[0].mapping.reverse();
        let fields = input.validate().expect("valid");
        let again = WorkflowInput::from_fields(&fields);
        let order: Vec<&str> = again.steps[0]
            .mapping
            .iter()
            .map(|r| r.field.as_str())
            .collect();
        assert_eq!(order, ["contact", "name"]);
    }

    #[test]
    fn a_retry_policy_is_stored_as_json() {
        let mut input = onboarding();
        input.retry = RetryInput {
            max_attempts: "3".into(),
            backoff: "exponential".into(),
            delay_ms: "500".into(),
            max_delay_ms: "4000".into(),
        };
        let fields = input.validate().expect("valid");
        let policy: Value =
            serde_json::from_str(fields.retry_policy.as_deref().expect("policy")).expect("json");
        assert_eq!(
            policy,
            json!({"maxAttempts": 3, "backoff": "exponential", "delayMs": 500, "maxDelayMs": 4000})
        );
    }
}
