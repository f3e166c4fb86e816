//! Outbound webhooks as Admins set them up and read them: an endpoint (a URL and the event
//! types it is sent), what is delivered to it, and the schedule a failed delivery is tried
//! again on. Deliveries are signed as the Standard Webhooks specification says.

use crate::workflow::FieldError;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// The longest URL and description, and the most event types one endpoint takes.
pub const URL_MAX: usize = 2_000;
pub const DESCRIPTION_MAX: usize = 200;
pub const EVENTS_MAX: usize = 50;

/// The event types Switchyard records about runs, workflows and endpoints, with how the pages
/// name them. Endpoints may also take any `Noun.verb` of the organization's own events.
pub const WELL_KNOWN: &[(&str, &str)] = &[
    ("Run.failed", "A run failed"),
    ("Run.succeeded", "A run succeeded"),
    (
        "workflow.high_failure_rate",
        "A workflow's failure rate went above the threshold",
    ),
    ("FailureGroup.opened", "A new failure group"),
    ("Workflow.activated", "A workflow was activated"),
    ("Workflow.paused", "A workflow was paused"),
    ("Endpoint.disabled", "A webhook endpoint was disabled"),
];

/// The endpoint form's checkbox of each well-known event type, by the form field it posts.
pub const CHOICES: [(&str, &str); 7] = [
    ("run_failed", "Run.failed"),
    ("run_succeeded", "Run.succeeded"),
    ("high_failure_rate", "workflow.high_failure_rate"),
    ("failure_group_opened", "FailureGroup.opened"),
    ("workflow_activated", "Workflow.activated"),
    ("workflow_paused", "Workflow.paused"),
    ("endpoint_disabled", "Endpoint.disabled"),
];

/// The event types as the endpoint form posts them: a box per well-known type (checked boxes
/// are sent, others are not) and any other `Noun.verb` typed in.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventChoice {
    #[serde(default)]
    pub run_failed: Option<String>,
    #[serde(default)]
    pub run_succeeded: Option<String>,
    #[serde(default)]
    pub high_failure_rate: Option<String>,
    #[serde(default)]
    pub failure_group_opened: Option<String>,
    #[serde(default)]
    pub workflow_activated: Option<String>,
    #[serde(default)]
    pub workflow_paused: Option<String>,
    #[serde(default)]
    pub endpoint_disabled: Option<String>,
    /// Other event types, separated by commas or spaces (`Deal.won, Contact.created`).
    #[serde(default)]
    pub other_events: String,
}

impl EventChoice {
    /// The checked types and the typed ones, as `EndpointInput::events` takes them.
    pub fn events_text(&self) -> String {
        let checked = [
            &self.run_failed,
            &self.run_succeeded,
            &self.high_failure_rate,
            &self.failure_group_opened,
            &self.workflow_activated,
            &self.workflow_paused,
            &self.endpoint_disabled,
        ];
        let mut events: Vec<&str> = CHOICES
            .iter()
            .zip(checked)
            .filter(|(_, on)| on.is_some())
            .map(|((_, kind), _)| *kind)
            .collect();
        events.push(self.other_events.as_str());
        events.join(",")
    }
}

/// When a delivery that failed is tried again, after each failed attempt: the first attempt is
/// made at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h later (8 attempts in all),
/// each wait drawn within ±10% (`jittered`) so that many deliveries do not come back at once.
pub const SCHEDULE: [Duration; 7] = [
    Duration::seconds(5),
    Duration::minutes(5),
    Duration::minutes(30),
    Duration::hours(2),
    Duration::hours(5),
    Duration::hours(10),
    Duration::hours(10),
];

/// How many attempts a delivery gets.
pub const ATTEMPTS: usize = SCHEDULE.len() + 1;

/// An endpoint that has failed every delivery for this long is disabled, and its Admins told.
pub const FAILING_FOR: Duration = Duration::days(5);

/// The wait before attempt `attempt + 1` after `attempt` attempts failed (1-based), with
/// `draw` in [0, 1) placing it within ±10%; `None` once every attempt is spent.
pub fn next_wait(attempt: usize, draw: f64) -> Option<Duration> {
    let base = *SCHEDULE.get(attempt.checked_sub(1)?)?;
    let spread = base.as_seconds_f64() * 0.2 * (draw.clamp(0.0, 1.0) - 0.5);
    Some(base + Duration::seconds_f64(spread))
}

/// An endpoint as an Admin types it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointInput {
    pub url: String,
    /// Event types, separated by commas, spaces or lines.
    pub events: String,
    #[serde(default)]
    pub description: String,
}

/// An endpoint ready to store: its URL, event types and description, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub url: String,
    pub events: Vec<String>,
    pub description: String,
}

impl EndpointInput {
    /// Checks every field; each mistake names its field and says what is expected.
    pub fn validate(&self) -> Result<Endpoint, Vec<FieldError>> {
        let mut errors = Vec::new();
        let url = self.url.trim();
        if let Some(problem) = url_problem(url) {
            errors.push(FieldError::new("url", problem));
        }
        let mut events: Vec<String> = Vec::new();
        for kind in self
            .events
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|k| !k.is_empty())
        {
            if !events.iter().any(|e| e == kind) {
                events.push(kind.to_owned());
            }
        }
        if events.is_empty() {
            errors.push(FieldError::new(
                "events",
                "Choose at least one event type to send",
            ));
        } else if events.len() > EVENTS_MAX {
            errors.push(FieldError::new(
                "events",
                format!("An endpoint takes at most {EVENTS_MAX} event types"),
            ));
        } else if let Some(bad) = events.iter().find(|e| !crate::workflow::is_event_type(e)) {
            errors.push(FieldError::new(
                "events",
                format!("{bad} is not an event type: write Noun.verb, like Deal.won"),
            ));
        } else if let Some(private) = events.iter().find(|e| crate::workflow::is_private_event(e)) {
            errors.push(FieldError::new(
                "events",
                format!("{private} is for Admins on this server only and is not sent out"),
            ));
        }
        let description = self.description.trim();
        if description.chars().count() > DESCRIPTION_MAX {
            errors.push(FieldError::new(
                "description",
                format!("At most {DESCRIPTION_MAX} characters"),
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Endpoint {
            url: url.to_owned(),
            events,
            description: description.to_owned(),
        })
    }
}

/// What is wrong with an endpoint's URL as written, if anything. Where it may be sent (no
/// private address) is the egress guard's to say when it is sent.
fn url_problem(url: &str) -> Option<String> {
    if url.is_empty() {
        return Some("The URL is required, like https://example.com/hooks/switchyard".into());
    }
    if url.len() > URL_MAX {
        return Some(format!("At most {URL_MAX} characters"));
    }
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    let Some(rest) = rest else {
        return Some("The URL must start with https:// (or http://)".into());
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || url.contains(char::is_whitespace) {
        return Some("Write a whole address, like https://example.com/hooks/switchyard".into());
    }
    if authority.contains('@') {
        return Some(
            "Leave user and password out of the URL: each delivery is signed instead".into(),
        );
    }
    None
}

/// An endpoint as listed: never its secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EndpointSummary {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub description: String,
    pub created_at: OffsetDateTime,
    /// When and why it stopped receiving deliveries (410 Gone, failing for 5 days, an Admin).
    pub disabled: Option<(OffsetDateTime, String)>,
    /// Until when the secret before the last rotation still signs too.
    pub previous_secret_until: Option<OffsetDateTime>,
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliveryStatus {
    /// Waiting for its first attempt or its next one.
    Pending,
    Delivered,
    /// Every attempt spent, or the endpoint gone (410, disabled, deleted).
    Failed,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 3] = [Self::Pending, Self::Delivered, Self::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Delivered => "Delivered",
            Self::Failed => "Failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
    }
}

/// One attempt at a delivery, as the log shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptView {
    pub at: OffsetDateTime,
    /// The HTTP status; `None` when no answer came.
    pub status: Option<i32>,
    pub duration_ms: i32,
    /// The start of the answer, or why none came.
    pub answer: String,
}

/// A delivery with its attempts, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeliveryView {
    /// Its `webhook-id`, the same on every attempt.
    pub id: String,
    pub event_type: String,
    /// The event delivered; `None` for a test event.
    pub event_id: Option<String>,
    pub status: DeliveryStatus,
    pub created_at: OffsetDateTime,
    /// When the next attempt is due, while pending.
    pub next_at: Option<OffsetDateTime>,
    pub attempts: Vec<AttemptView>,
}

/// The filters of an endpoint's delivery log.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryQuery {
    pub status: Option<DeliveryStatus>,
    pub event_type: Option<String>,
    /// Older than this delivery (the next page).
    pub before: Option<String>,
}

/// One page of an endpoint's deliveries, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeliveryPage {
    pub deliveries: Vec<DeliveryView>,
    /// The `before` of the next page, when there is one.
    pub next_before: Option<String>,
}

/// One attempt at a delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AttemptResource {
    pub at: String,
    /// The HTTP status; null when no answer came.
    pub status: Option<i32>,
    pub duration_ms: i32,
    /// The start of the answer (1 KiB), or why none came.
    pub answer: String,
}

/// A delivery of an event to an endpoint, with its attempts, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DeliveryResource {
    /// Its `webhook-id`, the same on every attempt.
    #[serde(rename = "$id")]
    pub id: String,
    pub event_type: String,
    /// The event delivered; null for a test event.
    pub event: Option<String>,
    /// Pending, Delivered or Failed.
    pub status: String,
    #[serde(rename = "$createdAt")]
    pub created_at: String,
    pub next_attempt_at: Option<String>,
    pub attempts: Vec<AttemptResource>,
}

impl From<DeliveryView> for DeliveryResource {
    fn from(d: DeliveryView) -> Self {
        use crate::timefmt::rfc3339;
        DeliveryResource {
            id: d.id,
            event_type: d.event_type,
            event: d.event_id,
            status: d.status.as_str().into(),
            created_at: rfc3339(d.created_at),
            next_attempt_at: d.next_at.map(rfc3339),
            attempts: d
                .attempts
                .into_iter()
                .map(|a| AttemptResource {
                    at: rfc3339(a.at),
                    status: a.status,
                    duration_ms: a.duration_ms,
                    answer: a.answer,
                })
                .collect(),
        }
    }
}

/// Deliveries on one page of the log.
pub const DELIVERY_PAGE: i64 = 25;

/// The event type of a test event.
pub const TEST_EVENT: &str = "Endpoint.test";

#[cfg(test)]
mod tests {
    use super::*;

    fn input(url: &str, events: &str) -> EndpointInput {
        EndpointInput {
            url: url.into(),
            events: events.into(),
            description: String::new(),
        }
    }

    fn fields(i: EndpointInput) -> Vec<String> {
        i.validate()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn an_endpoint_needs_a_url_and_event_types_it_may_send() {
        let ok = input(
            " https://hooks.example.com/in ",
            "Run.failed, Deal.won\nRun.failed",
        )
        .validate()
        .unwrap();
        assert_eq!(ok.url, "https://hooks.example.com/in");
        assert_eq!(ok.events, ["Run.failed", "Deal.won"]);
        assert_eq!(fields(input("", "Run.failed")), ["url"]);
        assert_eq!(fields(input("ftp://x.example/", "Run.failed")), ["url"]);
        assert_eq!(
            fields(input("https://u:p@x.example/", "Run.failed")),
            ["url"]
        );
        assert_eq!(fields(input("https://x.example/", "")), ["events"]);
        assert_eq!(fields(input("https://x.example/", "deal won")), ["events"]);
        assert_eq!(
            fields(input("https://x.example/", "Member.signedIn")),
            ["events"]
        );
        let many = (0..51)
            .map(|i| format!("Deal.v{i}"))
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(fields(input("https://x.example/", &many)), ["events"]);
    }

    #[test]
    fn the_forms_boxes_and_typed_types_make_the_event_list() {
        let choice = EventChoice {
            run_failed: Some("on".into()),
            endpoint_disabled: Some("on".into()),
            other_events: "Deal.won Contact.created".into(),
            ..Default::default()
        };
        let input = EndpointInput {
            url: "https://x.example/".into(),
            events: choice.events_text(),
            description: String::new(),
        };
        assert_eq!(
            input.validate().unwrap().events,
            [
                "Run.failed",
                "Endpoint.disabled",
                "Deal.won",
                "Contact.created"
            ]
        );
    }

    #[test]
    fn retries_follow_the_schedule_within_a_tenth() {
        assert_eq!(next_wait(1, 0.5), Some(Duration::seconds(5)));
        assert_eq!(next_wait(2, 0.5), Some(Duration::minutes(5)));
        assert_eq!(next_wait(7, 0.5), Some(Duration::hours(10)));
        assert_eq!(next_wait(8, 0.5), None, "eight attempts in all");
        assert_eq!(next_wait(0, 0.5), None);
        let low = next_wait(3, 0.0).unwrap();
        let high = next_wait(3, 1.0).unwrap();
        assert_eq!(low, Duration::minutes(27));
        assert_eq!(high, Duration::minutes(33));
        assert_eq!(ATTEMPTS, 8);
    }
}
