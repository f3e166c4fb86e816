//! The rules that turn a typed-in workflow into its stored fields: all of them are checked
//! and every problem is listed, or the fields are good and typed.

use super::input::{MappingRow, RetryInput, StepInput, WorkflowInput};
use super::{
    DESCRIPTION_MAX, ErrorHandling, FieldError, NAME_MAX, STEPS_MAX, TIMEOUT_MAX_MS,
    WorkflowFields, is_action, is_event_type,
};
use crate::definition::retry::{ATTEMPTS_MAX, DELAY_MAX_MS, MAX_DELAY_MAX_MS};
use crate::definition::{Backoff, Condition, Fallback, Mapping, RetryPolicy, Step, Steps};
use crate::mapping;

fn is_field_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '$')
        && s.len() <= 100
}

/// Why a step may not take `action` with `mapping`: it acts on a noun Switchyard keeps itself,
/// or records one of its events with a type written out in quotes (a type worked out at run
/// time is checked then).
fn server_action(action: &str, mapping: &[MappingRow]) -> Option<String> {
    if let Some(noun) = super::server_noun(action) {
        return Some(format!(
            "{noun} is kept by Switchyard itself: a step cannot create or change one"
        ));
    }
    if action != "Event.create" {
        return None;
    }
    let row = mapping.iter().find(|r| r.field.trim() == "type")?;
    let literal = row.expr.trim().trim_matches(|c| c == '"' || c == '\'');
    super::reserved_event(literal)
}

/// `read` when it is from `min` to `max`; else `message` for `field` among the errors.
fn within(
    read: Option<i64>,
    (min, max): (i64, i64),
    field: &str,
    message: impl FnOnce() -> String,
    errors: &mut Vec<FieldError>,
) -> Option<i64> {
    let n = read.filter(|n| (min..=max).contains(n));
    if n.is_none() {
        errors.push(FieldError::new(field, message()));
    }
    n
}

fn parse_integer(
    raw: &str,
    field: &str,
    label: &str,
    min: i64,
    max: i64,
    errors: &mut Vec<FieldError>,
) -> Option<i64> {
    let message = || format!("{label} must be a whole number from {min} to {max}");
    within(raw.trim().parse().ok(), (min, max), field, message, errors)
}

/// A length of time as typed (`timefmt::parse_length_ms`), from `min` to `max` milliseconds.
fn parse_length(
    raw: &str,
    field: &str,
    label: &str,
    min: i64,
    max: i64,
    errors: &mut Vec<FieldError>,
) -> Option<i64> {
    use crate::timefmt::length_text;
    let message = || {
        format!(
            "{label} must be a length of time like 30 s or 2 min, from {} to {} (a number alone counts milliseconds)",
            length_text(min),
            length_text(max)
        )
    };
    let read = crate::timefmt::parse_length_ms(raw);
    within(read, (min, max), field, message, errors)
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
            "" => ErrorHandling::default(),
            other => other.parse().unwrap_or_else(|_| {
                let names: Vec<&str> = ErrorHandling::ALL.iter().map(|e| e.as_str()).collect();
                errors.push(FieldError::new(
                    "errorHandling",
                    format!("Error handling must be {}", or_list(&names)),
                ));
                ErrorHandling::default()
            }),
        };
        let timeout_ms = match self.timeout_ms.trim() {
            "" => None,
            raw => parse_length(
                raw,
                "timeout",
                "The time limit",
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
            steps,
            retry_policy,
            error_handling,
            timeout_ms,
        })
    }
}

/// `a, b or c`.
fn or_list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

impl RetryInput {
    fn validate(&self, errors: &mut Vec<FieldError>) -> Option<RetryPolicy> {
        if self.is_blank() {
            return None;
        }
        let attempts = match self.max_attempts.trim() {
            "" => Some(1),
            raw => parse_integer(
                raw,
                "retryPolicy.maxAttempts",
                "Attempts",
                1,
                i64::from(ATTEMPTS_MAX),
                errors,
            ),
        };
        let backoff = match self.backoff.trim() {
            "" => Some(Backoff::default()),
            raw => raw.parse::<Backoff>().ok().or_else(|| {
                let names: Vec<&str> = Backoff::ALL.iter().map(|b| b.as_str()).collect();
                errors.push(FieldError::new(
                    "retryPolicy.backoff",
                    format!("Backoff must be {}", or_list(&names)),
                ));
                None
            }),
        };
        let delay = match self.delay_ms.trim() {
            "" => Some(1000),
            raw => parse_length(
                raw,
                "retryPolicy.delayMs",
                "The first wait",
                0,
                DELAY_MAX_MS,
                errors,
            ),
        };
        let max_delay = match self.max_delay_ms.trim() {
            "" => None,
            raw => Some(parse_length(
                raw,
                "retryPolicy.maxDelayMs",
                "The longest wait",
                0,
                MAX_DELAY_MAX_MS,
                errors,
            )?),
        };
        if let (Some(d), Some(m)) = (delay, max_delay)
            && m < d
        {
            errors.push(FieldError::new(
                "retryPolicy.maxDelayMs",
                "The longest wait must be at least the first wait",
            ));
        }
        Some(RetryPolicy {
            max_attempts: i32::try_from(attempts?).ok()?,
            backoff: backoff?,
            delay_ms: delay?,
            max_delay_ms: max_delay,
        })
    }
}

/// Checks an expression; with no roots (the trigger event is itself invalid) any root is let through.
pub(super) fn check_expr(
    source: &str,
    roots: Option<&[String]>,
) -> Result<(), mapping::MappingError> {
    match roots {
        Some(roots) => mapping::parse(source, roots).map(drop),
        None => mapping::parse_any_root(source).map(drop),
    }
}

/// The message for an expression's error: a limit names the step and field it was met in.
pub(super) fn expr_message(err: &mapping::MappingError, step: usize, field: &str) -> String {
    if err.is_limit() {
        format!("Step {}, {field}: {err}", step + 1)
    } else {
        err.to_string()
    }
}

fn validate_mapping(
    rows: &[MappingRow],
    step: usize,
    (key_name, label): (&str, &str),
    roots: Option<&[String]>,
    errors: &mut Vec<FieldError>,
) -> Mapping {
    let prefix = format!("steps.{step}.{key_name}");
    let rows: Vec<(usize, &MappingRow)> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.is_blank())
        .collect();
    if rows.len() > mapping::ROWS_MAX {
        errors.push(FieldError::new(
            prefix.clone(),
            format!(
                "Step {}: {label} can fill at most {} fields; this one fills {}",
                step + 1,
                mapping::ROWS_MAX,
                rows.len()
            ),
        ));
    }
    let mut mapping: Vec<(String, String)> = Vec::new();
    for (index, row) in rows {
        let field = row.field.trim();
        let key = format!("{prefix}.{index}");
        if !is_field_name(field) {
            errors.push(FieldError::new(
                format!("{key}.field"),
                "Field must be a name like customer or first-name",
            ));
        } else if mapping.iter().any(|(f, _)| f == field) {
            errors.push(FieldError::new(
                format!("{key}.field"),
                format!("`{field}` is filled twice in this step"),
            ));
        }
        if let Err(err) = check_expr(&row.expr, roots) {
            let message = expr_message(&err, step, &format!("field {field}"));
            errors.push(FieldError::new(format!("{key}.expr"), message));
        }
        mapping.push((field.to_owned(), row.expr.trim().to_owned()));
    }
    Mapping(mapping)
}

fn validate_step(
    index: usize,
    step: &StepInput,
    roots: Option<&[String]>,
    errors: &mut Vec<FieldError>,
) -> Step {
    let key = format!("steps.{index}");
    let action = step.action.trim();
    if !is_action(action) {
        errors.push(FieldError::new(
            format!("{key}.action"),
            "Action must look like Noun.verb, for example Customer.create",
        ));
    } else if let Some(problem) = server_action(action, &step.mapping) {
        errors.push(FieldError::new(format!("{key}.action"), problem));
    }
    let http = action == crate::definition::HTTP_ACTION;
    let request = http.then(|| step.request.validate(index, roots, errors));
    if http && step.mapping.iter().any(|r| !r.is_blank()) {
        errors.push(FieldError::new(
            format!("{key}.mapping"),
            "An HTTP request fills no fields: put them in its body",
        ));
    }
    let mapping = validate_mapping(&step.mapping, index, ("mapping", "a step"), roots, errors);
    let condition = Some(step.condition.trim()).filter(|c| !c.is_empty());
    if let Some(condition) = condition
        && let Err(err) = check_expr(condition, roots)
    {
        let message = expr_message(&err, index, "its condition");
        errors.push(FieldError::new(format!("{key}.condition"), message));
    }
    let fallback_action = step.fallback_action.trim();
    let fallback = (!fallback_action.is_empty()
        || step.fallback_mapping.iter().any(|r| !r.is_blank()))
    .then(|| {
        if !is_action(fallback_action) {
            errors.push(FieldError::new(
                format!("{key}.fallbackAction"),
                "Fallback action must look like Noun.verb, for example Task.create",
            ));
        } else if fallback_action == crate::definition::HTTP_ACTION {
            errors.push(FieldError::new(
                format!("{key}.fallbackAction"),
                "A fallback cannot call out: make the call a step of its own",
            ));
        } else if let Some(problem) = server_action(fallback_action, &step.fallback_mapping) {
            errors.push(FieldError::new(format!("{key}.fallbackAction"), problem));
        }
        Fallback {
            action: fallback_action.to_owned(),
            mapping: validate_mapping(
                &step.fallback_mapping,
                index,
                ("fallbackMapping", "a fallback"),
                roots,
                errors,
            ),
        }
    });
    Step {
        action: action.to_owned(),
        mapping,
        request,
        name: Some(step.name.trim().to_owned()).filter(|n| !n.is_empty()),
        condition: condition.map(|c| Condition(c.to_owned())),
        fallback,
    }
}

fn validate_steps(steps: &[StepInput], trigger: &str, errors: &mut Vec<FieldError>) -> Steps {
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
    Steps(
        steps
            .into_iter()
            .map(|(index, step)| validate_step(index, step, roots, errors))
            .collect(),
    )
}
