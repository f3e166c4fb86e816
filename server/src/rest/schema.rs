//! The REST API's bodies that are not resources of the domain: pages of results, answers of
//! actions, requests, and the error shape. The OpenAPI document is generated from these and
//! the resources' types, through each handler's `utoipa::path`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use switchyard::read_model::resource::{EventResource, RunResource};
pub use switchyard::webhook::{AttemptResource, DeliveryResource};
use switchyard::workflow::resource::WorkflowResource;
use utoipa::ToSchema;

/// A page of workflows.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowPage {
    pub results: Vec<WorkflowResource>,
    /// How many workflows the filters let through, on every page.
    pub total: i64,
    pub has_more: bool,
    /// Send it back as `cursor` for the next page; null on the last.
    pub cursor: Option<String>,
}

/// A page of runs, newest first.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunPage {
    pub results: Vec<RunResource>,
    pub has_more: bool,
    pub cursor: Option<String>,
}

/// A page of the event feed, in the order events were recorded.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventPage {
    pub results: Vec<EventResource>,
    pub has_more: bool,
    /// Where to continue from: poll with it to see every event once.
    pub cursor: Option<String>,
}

/// The fields of a workflow to create or to change (a merge: fields not sent keep their
/// value). Read-only fields sent back as read are ignored; `status` changes through verbs.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowFieldsBody {
    pub name: Option<String>,
    pub description: Option<String>,
    pub trigger_event: Option<String>,
    #[schema(value_type = Option<Vec<StepBody>>)]
    pub steps: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub retry_policy: Option<Value>,
    pub error_handling: Option<String>,
    pub timeout: Option<i64>,
    /// The version the change is based on (or send `If-Match`); 409 when it is not current.
    #[serde(rename = "$version")]
    pub version_: Option<i32>,
}

/// One step: an action and the fields it fills (each an expression such as `deal.name`), or,
/// for `HTTP.request`, the request it sends.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct StepBody {
    /// `Noun.verb`, like `Customer.create`, or `HTTP.request`.
    pub action: String,
    /// Field name -> expression, in order.
    #[schema(value_type = Option<Object>)]
    pub mapping: Option<Value>,
    /// What an `HTTP.request` step sends.
    pub request: Option<RequestBody>,
    pub name: Option<String>,
    /// The step runs only when this expression holds.
    pub condition: Option<String>,
    /// `{action, mapping}` run in place of the failed step (error handling `Fallback`).
    #[schema(value_type = Option<Object>)]
    pub fallback: Option<Value>,
}

/// An HTTP step's request. Every value is an expression (the URL as text in quotes joined to
/// values with `+`); the URL, query and header expressions may read secrets as `secret.NAME`.
/// Each attempt carries `Idempotency-Key: <run id>-<step index>`.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct RequestBody {
    /// GET, POST (when none is given), PUT, PATCH or DELETE.
    pub method: Option<String>,
    pub url: String,
    /// Name -> expression.
    #[schema(value_type = Option<Object>)]
    pub query: Option<Value>,
    /// Name -> expression.
    #[schema(value_type = Option<Object>)]
    pub headers: Option<Value>,
    /// `{"json": {field: expression}}`, `{"form": {field: expression}}` or `{"text": expression}`.
    #[schema(value_type = Option<Object>)]
    pub body: Option<Value>,
    /// `{"bearer": "SECRET"}`, `{"basic": {"user": "ops", "password": "SECRET"}}` or
    /// `{"header": {"name": "X-Api-Key", "secret": "SECRET"}}`: secrets by name.
    #[schema(value_type = Option<Object>)]
    pub auth: Option<Value>,
    /// `"2xx"` (when none is given) or a list of statuses.
    #[schema(value_type = Option<Object>)]
    pub success: Option<Value>,
    /// One attempt's time limit in ms (30000 when none is given, at most 120000).
    pub timeout_ms: Option<u64>,
}

/// An event to record: what starts workflows.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct EventBody {
    /// `Noun.verb`, like `Deal.won`.
    #[serde(rename = "type")]
    pub event_type: String,
    #[schema(value_type = Option<Object>)]
    pub data: Option<Value>,
    /// An idempotency key: the same key records the event once.
    pub id: Option<String>,
}

/// How to retry a run.
#[derive(Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct RetryBody {
    /// `start` or `failed-step` (the default when the run failed at a step).
    pub from: Option<String>,
    /// The number of retries the caller saw: 409 when others were queued since.
    pub expect_retries: Option<i64>,
}

/// A bulk retry: the run filters of `GET /runs`, from where, and an idempotency key.
#[derive(Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct BulkRetryBody {
    /// `status`, `range`, `workflow`, `step`, `error`, `group`, `version`.
    #[schema(value_type = Object)]
    pub filter: Value,
    pub from: Option<String>,
    pub key: Option<String>,
}

/// A bulk retry queued.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct Batch {
    #[serde(rename = "$id")]
    pub id: String,
    #[serde(rename = "$type")]
    pub type_: String,
    pub queued: i64,
    pub skipped: i64,
    /// Whether the same key had queued it before (nothing queued again).
    pub again: bool,
    pub from: String,
}

impl Batch {
    /// The batch a bulk retry `from` queued (or had queued under the same key).
    pub fn queued(
        queued: &switchyard::retry::BatchQueued,
        from: switchyard::retry::RetryFrom,
    ) -> Self {
        Batch {
            id: queued.batch.to_string(),
            type_: "RunBatch".into(),
            queued: queued.queued as i64,
            skipped: queued.skipped as i64,
            again: queued.again,
            from: from.as_str().to_owned(),
        }
    }
}

/// A cancel asked for.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Cancelled {
    #[serde(rename = "$id")]
    pub id: String,
    #[serde(rename = "$type")]
    pub type_: String,
    pub cancel_requested: bool,
}

/// Every error.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
    /// The workflow as it is now, on a 409 for a stale version.
    pub current: Option<WorkflowResource>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// `unauthorized`, `forbidden`, `not_found`, `invalid`, `conflict`, ...
    pub code: String,
    pub message: String,
    /// The field or query parameter at fault (`filter.runCount.$gt`).
    pub field: Option<String>,
}

impl From<switchyard::list_query::Page<switchyard::Workflow>> for WorkflowPage {
    fn from(page: switchyard::list_query::Page<switchyard::Workflow>) -> Self {
        WorkflowPage {
            results: page.results.iter().map(WorkflowResource::from).collect(),
            total: page.total,
            has_more: page.has_more,
            cursor: page.cursor,
        }
    }
}

impl From<switchyard::read_model::event::Feed> for EventPage {
    fn from(feed: switchyard::read_model::event::Feed) -> Self {
        EventPage {
            results: feed
                .events
                .iter()
                .map(switchyard::read_model::resource::event)
                .collect(),
            has_more: feed.has_more,
            cursor: feed.cursor,
        }
    }
}

impl BulkRetryBody {
    /// The key that queues the batch once: the body's, else the `Idempotency-Key` header's,
    /// else a new one (the batch is queued however often the request is repeated).
    pub fn key(&self, headers: &axum::http::HeaderMap) -> String {
        self.key
            .clone()
            .or_else(|| {
                let header = headers.get("idempotency-key")?;
                header.to_str().ok().map(str::to_owned)
            })
            .unwrap_or_else(|| switchyard::id::random_base62(16))
    }
}

/// A webhook endpoint to add or to change: its URL, the event types it is sent, a note.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct EndpointBody {
    pub url: String,
    /// Event types, like `Run.failed` or `Deal.won`.
    pub events: Vec<String>,
    pub description: Option<String>,
}

/// Why an endpoint stopped receiving deliveries.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct Disabled {
    pub at: String,
    pub reason: String,
}

/// A webhook endpoint: never its secret, except `secret` in the answer that adds it or
/// rotates it.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct EndpointResource {
    #[serde(rename = "$id")]
    pub id: String,
    #[serde(rename = "$type")]
    pub type_: String,
    pub url: String,
    pub events: Vec<String>,
    pub description: String,
    #[serde(rename = "$createdAt")]
    pub created_at: String,
    pub disabled: Option<Disabled>,
    /// Until when the secret before the last rotation still signs too.
    #[serde(rename = "previousSecretUntil")]
    pub previous_secret_until: Option<String>,
    /// `whsec_…`: only in the answer that adds the endpoint or rotates its secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl From<switchyard::webhook::EndpointSummary> for EndpointResource {
    fn from(e: switchyard::webhook::EndpointSummary) -> Self {
        use switchyard::timefmt::rfc3339;
        EndpointResource {
            id: e.id,
            type_: "Endpoint".into(),
            url: e.url,
            events: e.events,
            description: e.description,
            created_at: rfc3339(e.created_at),
            disabled: e.disabled.map(|(at, reason)| Disabled {
                at: rfc3339(at),
                reason,
            }),
            previous_secret_until: e.previous_secret_until.map(rfc3339),
            secret: None,
        }
    }
}

/// The organization's webhook endpoints.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct EndpointList {
    pub results: Vec<EndpointResource>,
}

/// A page of an endpoint's deliveries, newest first.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryPageBody {
    pub results: Vec<DeliveryResource>,
    pub has_more: bool,
    /// Send it back as `cursor` for the next page.
    pub cursor: Option<String>,
}

/// Resend every failed delivery made since a moment.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ResendBody {
    /// RFC 3339, like `2026-12-07T00:00:00Z`.
    pub since: String,
}

/// How many deliveries were queued again, or the test event's delivery.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct Queued {
    pub queued: usize,
    /// The delivery made (a test event, a single resend).
    pub delivery: Option<String>,
}

/// Who one kind of alert is emailed to.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertRuleResource {
    /// FailureRate, FailureGroup or EndpointDisabled.
    pub kind: String,
    /// The members emailed, by user id.
    pub email_to: Vec<String>,
    /// At most one email per workflow (or endpoint) in this many minutes.
    pub quiet_minutes: i32,
    /// False until an Admin chose: the organization's Admins, hourly.
    pub chosen: bool,
}

impl From<switchyard::alert_rule::AlertRule> for AlertRuleResource {
    fn from(r: switchyard::alert_rule::AlertRule) -> Self {
        AlertRuleResource {
            kind: r.kind.as_str().into(),
            email_to: r.email_to.iter().map(ToString::to_string).collect(),
            quiet_minutes: r.quiet_minutes,
            chosen: !r.default,
        }
    }
}

/// A member who may be emailed alerts.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertMember {
    pub id: String,
    pub name: String,
    pub email: String,
    /// They turned this organization's alert emails off.
    pub opted_out: bool,
}

/// The organization's alert rules, and its members.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct AlertSettingsBody {
    pub results: Vec<AlertRuleResource>,
    pub members: Vec<AlertMember>,
}

/// Who one kind of alert goes to.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertRuleBody {
    pub email_to: Vec<String>,
    pub quiet_minutes: i32,
}

/// Where to send a test email.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct TestEmailBody {
    pub to: String,
}

/// A secret to set: its value (never answered back) and the hosts it may be sent to.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct SecretBody {
    pub value: String,
    /// Host names, like `crm.example.com`.
    pub hosts: Vec<String>,
}

/// A secret as listed: never its value.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretResource {
    /// Capitals, digits and `_`, like `CRM_TOKEN`.
    pub name: String,
    pub hosts: Vec<String>,
    /// Who set it last, by name.
    pub set_by: String,
    /// RFC 3339, UTC.
    pub set_at: String,
}

impl From<switchyard::secret::SecretSummary> for SecretResource {
    fn from(s: switchyard::secret::SecretSummary) -> Self {
        SecretResource {
            name: s.name,
            hosts: s.hosts,
            set_by: s.set_by,
            set_at: switchyard::timefmt::rfc3339(s.set_at),
        }
    }
}

/// The organization's secrets, by name.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct SecretList {
    pub results: Vec<SecretResource>,
}
