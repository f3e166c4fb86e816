//! HTTP steps. A step that calls out is done in three moves, so that no database transaction is
//! open while the network is: `prepare` (in the step's transaction) works out the request with
//! every secret a placeholder and lengthens the run's lease to outlast the call; `send` (no
//! transaction) opens the secrets, checks where they go, and makes the call through the egress
//! guard; `super::answered` records the answer in a new transaction, fenced by the run's claim,
//! as the step's outcome. A crash between the call and the record repeats the call with the
//! same `Idempotency-Key` (at-least-once delivery).

mod send;
mod words;

pub use send::{Opened, open, send, send_opened};
pub use words::retryable;

use super::plan::Plan;
use super::step::{resolve, work_out_in};
use crate::db::Conn;
use crate::definition::{Auth, Body, Method, Request, SECRET_ROOT, Success};
use crate::egress::call::{CallFailure, Limits};
use crate::egress::{Guard, Inflight};
use crate::id::{OrgId, random_base62};
use crate::mapping::as_text;
use crate::repo::run::{Claim, RunRow};
use crate::secrets::SecretsKey;
use serde_json::{Map, Value, json};
use std::time::Duration;
use time::OffsetDateTime;

/// The longest a `Retry-After` may make a step wait.
pub const RETRY_AFTER_MAX: Duration = Duration::from_secs(600);
/// How long a call waits for a place in flight before its run is set aside; well within the
/// margin its run's lease has over the call.
const PLACE_WAIT: Duration = Duration::from_secs(5);
/// How long a call that found no place in flight (`Inflight`) is set aside.
pub const BUSY_PAUSE: time::Duration = time::Duration::seconds(1);
/// How much longer than its call a run's lease lasts.
const LEASE_MARGIN: time::Duration = time::Duration::seconds(30);

/// What the engine calls out with: the egress guard, the key that opens secrets, and the
/// bounds of calls in flight. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Caller {
    pub guard: Guard,
    pub key: Option<SecretsKey>,
    pub inflight: Inflight,
}

impl Caller {
    /// Calls to public addresses only, with no secrets: what tests drain with.
    pub fn public() -> Caller {
        static PUBLIC: std::sync::OnceLock<Caller> = std::sync::OnceLock::new();
        PUBLIC
            .get_or_init(|| Caller {
                guard: Guard::new(crate::egress::Allowed::default()).expect("an HTTP client"),
                key: None,
                inflight: Inflight::default(),
            })
            .clone()
    }
}

/// A request's body as worked out.
#[derive(Clone, Debug, PartialEq, Eq)]
enum CallBody {
    Json(Value),
    Form(Vec<(String, String)>),
    Text(String),
}

/// A call worked out in the step's transaction, every secret still a placeholder: what
/// `send` makes once the transaction is over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub claim: Claim,
    org: OrgId,
    step: i32,
    attempt: i32,
    method: Method,
    url: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Option<CallBody>,
    auth: Option<Auth>,
    success: Success,
    timeout: Duration,
    key: String,
    nonce: String,
    secrets: Vec<String>,
    prepared_at: OffsetDateTime,
}

/// How a failed call goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Not worth trying again (refused, or a 4xx other than 408, 425 and 429).
    Never,
    /// As the workflow's retry policy says.
    Policy,
    /// As the policy says, but not before this wait (`Retry-After`).
    After(Duration),
}

/// Why a step failed: its message, its answer when there was one, and whether to retry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failed {
    pub message: String,
    pub answer: Option<Value>,
    pub retry: Retry,
}

impl Failed {
    pub fn plain(message: String) -> Failed {
        Failed {
            message,
            answer: None,
            retry: Retry::Policy,
        }
    }

    fn never(message: String) -> Failed {
        Failed {
            retry: Retry::Never,
            ..Failed::plain(message)
        }
    }
}

/// A call made: the request as shown (secrets masked) and its outcome, for `super::answered`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answered {
    pub claim: Claim,
    pub(super) step: i32,
    pub(super) attempt: i32,
    pub(super) prepared_at: OffsetDateTime,
    pub(super) shown: Value,
    pub(super) result: Result<Value, Failed>,
}

/// What `send` did.
#[derive(Debug)]
pub enum Sent {
    Answered(Box<Answered>),
    /// The organization or the host has as many calls in flight as it may: not sent.
    Busy,
}

fn placeholder(nonce: &str, name: &str) -> String {
    format!("\u{2063}{nonce}:{name}\u{2063}")
}

/// `text` with the placeholders of `call` replaced by `with(name)`.
fn fill(call: &Call, text: &str, with: &dyn Fn(&str) -> String) -> String {
    let mut out = text.to_owned();
    for name in &call.secrets {
        let p = placeholder(&call.nonce, name);
        if out.contains(&p) {
            out = out.replace(&p, &with(name));
        }
    }
    out
}

fn masked(name: &str) -> String {
    format!("••••({name})")
}

/// Works out the request of the run's current `HTTP.request` step; an `Err` is the step's
/// message. Nothing is sent and no secret is read: secrets stand as placeholders.
pub(super) fn prepare(
    (run, claim): (&RunRow, &Claim),
    plan: &Plan,
    request: &Request,
    key_run: &str,
    now: OffsetDateTime,
) -> Result<Call, String> {
    let key = format!("{key_run}-{}", run.next_step);
    let at = (
        claim.clone(),
        run.org_id.clone(),
        run.next_step,
        run.attempt,
    );
    work_out(at, plan, request, key, now)
}

/// The request a step would send, as people see it (secrets masked), worked out for a
/// preview: nothing is sent, no secret is read.
pub(super) fn preview(plan: &Plan, request: &Request, org: &OrgId) -> Result<Value, String> {
    use crate::id::Generate;
    let claim = Claim {
        run: crate::id::RunId::generate(),
        fence: 0,
    };
    let at = (claim, org.clone(), 0, 0);
    let key = "(the run)-(the step)".to_owned();
    Ok(work_out(at, plan, request, key, OffsetDateTime::now_utc())?.shown())
}

fn work_out(
    (claim, org, step, attempt): (Claim, OrgId, i32, i32),
    plan: &Plan,
    request: &Request,
    key: String,
    now: OffsetDateTime,
) -> Result<Call, String> {
    let nonce = random_base62(12);
    let secrets = request.secrets();
    // The URL, query and header expressions read secrets as `secret.NAME`: placeholders here.
    let mut roots = plan.roots.clone();
    roots.push(SECRET_ROOT.to_owned());
    let with_secrets = (!secrets.is_empty()).then(|| {
        let mut context = plan.context.clone();
        let names: Map<String, Value> = secrets
            .iter()
            .map(|n| (n.clone(), Value::String(placeholder(&nonce, n))))
            .collect();
        context[SECRET_ROOT] = Value::Object(names);
        context
    });
    let context = with_secrets.as_ref().unwrap_or(&plan.context);
    let text = |source: &str, what: &str| -> Result<String, String> {
        work_out_in(source, (&roots, context), plan.deadline)
            .map(|v| as_text(&v))
            .map_err(|e| format!("{what} cannot be worked out: {e}"))
    };
    let url = text(&request.url, "Its URL")?;
    let rows = |rows: &crate::definition::Mapping, what: &str| {
        rows.iter()
            .map(|(name, source)| Ok((name.to_owned(), text(source, &format!("{what} {name}"))?)))
            .collect::<Result<Vec<_>, String>>()
    };
    let query = rows(&request.query, "The query parameter")?;
    let headers = rows(&request.headers, "The header")?;
    let body = match &request.body {
        None => None,
        Some(Body::Json(fields)) => Some(CallBody::Json(Value::Object(resolve(fields, plan)?))),
        Some(Body::Form(fields)) => Some(CallBody::Form(
            resolve(fields, plan)?
                .into_iter()
                .map(|(k, v)| (k, as_text(&v)))
                .collect(),
        )),
        Some(Body::Text(source)) => Some(CallBody::Text(
            super::step::work_out(source, plan)
                .map(|v| as_text(&v))
                .map_err(|e| format!("Its body cannot be worked out: {e}"))?,
        )),
    };
    Ok(Call {
        claim,
        org,
        step,
        attempt,
        method: request.method,
        url,
        query,
        headers,
        body,
        auth: request.auth.clone(),
        success: request.success.clone(),
        timeout: request.timeout(),
        key,
        nonce,
        secrets,
        prepared_at: now,
    })
}

impl Call {
    /// How long the run's lease must last for this call.
    pub(super) fn lease(&self) -> time::Duration {
        time::Duration::try_from(self.timeout).unwrap_or(time::Duration::MINUTE) + LEASE_MARGIN
    }

    /// The headers as sent: the step's, its auth, and the `Idempotency-Key`, filled by `with`.
    fn all_headers(&self, with: &dyn Fn(&str) -> String) -> Vec<(String, String)> {
        let mut headers: Vec<(String, String)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), fill(self, v, with)))
            .collect();
        match &self.auth {
            Some(Auth::Bearer(name)) => {
                headers.push(("Authorization".into(), format!("Bearer {}", with(name))))
            }
            Some(Auth::Basic { user, password }) => {
                use base64::Engine;
                let pair = format!("{user}:{}", with(password));
                let shown = with(password) == masked(password);
                let value = if shown {
                    format!("Basic {pair}")
                } else {
                    format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD.encode(pair)
                    )
                };
                headers.push(("Authorization".into(), value));
            }
            Some(Auth::Header { name, secret }) => headers.push((name.clone(), with(secret))),
            None => {}
        }
        headers.push(("Idempotency-Key".into(), self.key.clone()));
        headers
    }

    /// The request as people see it: every secret reads `••••(NAME)`.
    pub fn shown(&self) -> Value {
        let pairs = |rows: &[(String, String)]| -> Map<String, Value> {
            rows.iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect()
        };
        let url = fill(self, &self.url, &masked);
        let query: Vec<(String, String)> = self
            .query
            .iter()
            .map(|(k, v)| (k.clone(), fill(self, v, &masked)))
            .collect();
        let mut shown = json!({
            "method": self.method.as_str(),
            "url": url,
            "headers": pairs(&self.all_headers(&masked)),
        });
        if !query.is_empty() {
            shown["query"] = Value::Object(pairs(&query));
        }
        match &self.body {
            Some(CallBody::Json(value)) => shown["body"] = value.clone(),
            Some(CallBody::Form(fields)) => shown["form"] = Value::Object(pairs(fields)),
            Some(CallBody::Text(text)) => shown["body"] = Value::String(text.clone()),
            None => {}
        }
        if !self.secrets.is_empty() {
            shown["secrets"] = json!(self.secrets);
        }
        shown
    }

    fn answered(&self, shown: Value, result: Result<Value, Failed>) -> Sent {
        Sent::Answered(Box::new(Answered {
            claim: self.claim.clone(),
            step: self.step,
            attempt: self.attempt,
            prepared_at: self.prepared_at,
            shown,
            result,
        }))
    }
}
