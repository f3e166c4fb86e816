//! Validation: every field, every message, and the round trip through stored fields.

use super::*;
use crate::definition::RetryPolicy;
use serde_json::{Value, json};

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
    let steps: Value = serde_json::to_value(&fields.steps).expect("json");
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
    assert_eq!(fields.steps.len(), 2);
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
    assert_eq!(RetryPolicy::describe(None), "One attempt, no retry");
    let policy: RetryPolicy = serde_json::from_str(
        r#"{"maxAttempts": 3, "backoff": "exponential", "delayMs": 500, "maxDelayMs": 4000}"#,
    )
    .expect("policy");
    assert_eq!(
        RetryPolicy::describe(Some(&policy)),
        "Up to 3 attempts, waiting 0.5 s, doubling each time, at most 4 s"
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
    let policy: Value = serde_json::to_value(fields.retry_policy.expect("policy")).expect("json");
    assert_eq!(
        policy,
        json!({"maxAttempts": 3, "backoff": "exponential", "delayMs": 500, "maxDelayMs": 4000})
    );
}

#[test]
fn a_step_with_more_than_a_hundred_fields_is_refused_naming_the_step() {
    let mut input = onboarding();
    input.steps[1].mapping = (0..101)
        .map(|i| MappingRow {
            field: format!("f{i}"),
            expr: "1".into(),
        })
        .collect();
    let errors = input.validate().expect_err("too many rows");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].field, "steps.1.mapping");
    assert!(
        errors[0].message.starts_with("Step 2:"),
        "{}",
        errors[0].message
    );
    input.steps[1].mapping.truncate(100);
    assert!(input.validate().is_ok(), "a hundred fields are fine");
}

#[test]
fn an_expression_past_a_limit_is_refused_naming_the_step_and_field() {
    let mut input = onboarding();
    input.steps[1].mapping[0].expr = format!("{}1{}", "(".repeat(40), ")".repeat(40));
    input.steps[0].condition = format!("\"{}\" == deal.name", "x".repeat(3000));
    let errors = input.validate().expect_err("limits");
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["steps.0.condition", "steps.1.mapping.0.expr"]);
    assert!(
        errors[0].message.starts_with("Step 1, its condition:")
            && errors[0].message.contains("at most 2000"),
        "{}",
        errors[0].message
    );
    assert!(
        errors[1].message.starts_with("Step 2, field name:")
            && errors[1].message.contains("32 levels"),
        "{}",
        errors[1].message
    );
}

#[test]
fn stored_fields_read_back_from_a_first_version_snapshot() {
    let fields = onboarding().validate().expect("valid");
    let mut snapshot = serde_json::to_value(&fields).expect("json");
    // The first snapshots kept steps and the retry policy as JSON text.
    snapshot["steps"] = json!(serde_json::to_string(&fields.steps).expect("text"));
    snapshot["retry_policy"] = json!(r#"{"maxAttempts":2,"backoff":"linear","delayMs":10}"#);
    let read: WorkflowFields = serde_json::from_value(snapshot).expect("old snapshot");
    assert_eq!(read.steps, fields.steps);
    assert_eq!(read.retry_policy.map(|p| p.max_attempts), Some(2));
}

fn row(field: &str, expr: &str) -> MappingRow {
    MappingRow {
        field: field.into(),
        expr: expr.into(),
    }
}

fn http_step(request: RequestInput) -> WorkflowInput {
    let mut input = onboarding();
    input.steps = vec![StepInput {
        action: "HTTP.request".into(),
        request,
        ..Default::default()
    }];
    input
}

#[test]
fn an_http_request_is_built_from_the_form_and_round_trips() {
    let request = RequestInput {
        method: "post".into(),
        url: "\"https://crm.example/customers/\" + deal.id".into(),
        query: vec![row("page", "1"), row("", "")],
        headers: vec![row("X-Key", "\"k \" + secret.CRM_KEY")],
        body_kind: "json".into(),
        body: vec![row("name", "deal.name")],
        auth_kind: "bearer".into(),
        auth_secret: "CRM_TOKEN".into(),
        success: "200, 201".into(),
        timeout: "10 s".into(),
        ..Default::default()
    };
    let fields = http_step(request).validate().expect("valid");
    let stored = fields.steps[0].request.clone().expect("a request");
    assert_eq!(stored.method, crate::definition::Method::Post);
    assert_eq!(stored.timeout_ms, Some(10_000));
    assert_eq!(stored.secrets(), ["CRM_TOKEN", "CRM_KEY"]);
    let again = WorkflowInput::from_fields(&fields);
    assert_eq!(again.validate().expect("valid again"), fields);
    assert_eq!(again.steps[0].request.timeout, "10 s");
    assert_eq!(again.steps[0].request.success, "200, 201");
}

#[test]
fn a_bad_http_request_names_every_field_in_error() {
    let request = RequestInput {
        method: "TRACE".into(),
        url: "\"ftp://files.example\"".into(),
        headers: vec![row("Host", "\"x\""), row("bad name", "\"x\"")],
        body_kind: "json".into(),
        // The body may not read secrets: only the URL, query and headers may.
        body: vec![row("token", "secret.CRM_TOKEN")],
        auth_kind: "header".into(),
        auth_secret: "crm token".into(),
        success: "3xx".into(),
        timeout: "10 min".into(),
        ..Default::default()
    };
    let fields = fields_in_error(&http_step(request));
    for field in [
        "steps.0.request.method",
        "steps.0.request.url",
        "steps.0.request.headers.0.field",
        "steps.0.request.headers.1.field",
        "steps.0.request.body.0.expr",
        "steps.0.request.authSecret",
        "steps.0.request.authHeader",
        "steps.0.request.success",
        "steps.0.request.timeout",
    ] {
        assert!(fields.contains(&field.to_owned()), "{field} in {fields:?}");
    }
    let with_user = RequestInput {
        url: "\"https://ops:pw@crm.example/\"".into(),
        ..Default::default()
    };
    assert_eq!(
        fields_in_error(&http_step(with_user)),
        ["steps.0.request.url"]
    );
    let missing = fields_in_error(&http_step(RequestInput::default()));
    assert_eq!(missing, ["steps.0.request.url"]);
}
