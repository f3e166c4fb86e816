//! HTTP steps. A step that calls out is done in three moves, so that no database transaction is
//! open while the network is: `prepare` (in the step's transaction) works out the request with
//! every secret a placeholder and lengthens the run's lease to outlast the call; `send` (no
//! transaction) opens the secrets, checks where they go, and makes the call through the egress
//! guard; `super::answered` records the answer in a new transaction, fenced by the run's claim,
//! as the step's outcome. A crash between the call and the record repeats the call with the
//! same `Idempotency-Key` (at-least-once delivery).

use super::plan::Plan;
use super::step::resolve;
use crate::db::Conn;
use crate::definition::{Auth, Body, HTTP_ACTION, Method, Request, SECRET_ROOT, Success};
use crate::egress::call::{CallFailure, Limits};
use crate::egress::{Guard, Inflight};
use crate::id::{OrgId, random_base62};
use crate::mapping::{self, as_text};
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
    let read_in_expressions = request
        .secret_expressions()
        .any(|e| !crate::definition::secret_names(e).is_empty());
    let mut roots = plan.roots.clone();
    roots.push(SECRET_ROOT.to_owned());
    let with_secrets = read_in_expressions.then(|| {
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
        let expr = mapping::parse(source, &roots)
            .map_err(|e| format!("{what} cannot be worked out: {e}"))?;
        let value = expr
            .eval_until(context, plan.deadline)
            .map_err(|e| format!("{what} cannot be worked out: {e}"))?;
        Ok(as_text(&value))
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

/// The secrets a call uses, opened: kept only in memory, for as long as the call takes.
pub struct Opened(Vec<(String, String, Vec<String>)>);

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.0.iter().map(|(n, ..)| n.as_str()).collect();
        write!(f, "Opened({names:?})")
    }
}

/// Makes the call: `open` then `send_opened`.
pub async fn send(conn: &mut Conn, caller: &Caller, call: &Call) -> Sent {
    match open(conn, caller, call).await {
        Ok(opened) => send_opened(caller, call, opened).await,
        Err(sent) => sent,
    }
}

/// Opens the secrets the call uses (one read, no transaction); a secret that is missing or
/// cannot be opened fails the step with nothing sent.
pub async fn open(conn: &mut Conn, caller: &Caller, call: &Call) -> Result<Opened, Sent> {
    let fail = |message: String| Err(call.answered(call.shown(), Err(Failed::never(message))));
    let mut opened: Vec<(String, String, Vec<String>)> = Vec::new();
    for name in &call.secrets {
        match crate::secrets::reveal(conn, caller.key.as_ref(), &call.org, name).await {
            Ok(Some((value, hosts))) => opened.push((name.clone(), value, hosts)),
            Ok(None) => {
                return fail(format!(
                    "There is no secret {name} in this organization: an Admin sets it on Settings. Nothing was sent."
                ));
            }
            Err(e) => return fail(format!("{e} Nothing was sent.")),
        }
    }
    Ok(Opened(opened))
}

/// Sends the call with its secrets `opened`, after checking that each may go to the URL's
/// host, unless the organization or the host is at its bound (`Sent::Busy`), through the
/// guard within the step's limits. Needs no database. Every message and the answer are masked.
pub async fn send_opened(caller: &Caller, call: &Call, opened: Opened) -> Sent {
    let shown = call.shown();
    let fail = |failed: Failed| call.answered(shown.clone(), Err(failed));
    let opened = opened.0;
    let value_of = |name: &str| {
        opened
            .iter()
            .find(|(n, ..)| n == name)
            .map(|(_, v, _)| v.clone())
            .unwrap_or_default()
    };
    let values: Vec<(&str, &str)> = opened
        .iter()
        .map(|(n, v, _)| (n.as_str(), v.as_str()))
        .collect();
    let mask = |text: &str| crate::secrets::mask::mask(text, &values);
    let shown_url = fill(call, &call.url, &masked);
    let Ok(url) = reqwest::Url::parse(&fill(call, &call.url, &value_of)) else {
        return fail(Failed::never(format!(
            "“{shown_url}” is not a web address like https://crm.example/customers. Nothing was sent."
        )));
    };
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    for (name, _, hosts) in &opened {
        if !hosts.iter().any(|h| h.eq_ignore_ascii_case(&host)) {
            return fail(Failed::never(format!(
                "The secret {name} may be sent only to {}; this request goes to {host}. Nothing was sent.",
                hosts.join(", ")
            )));
        }
    }
    let place = caller
        .inflight
        .wait_for(call.org.as_str(), &host, PLACE_WAIT);
    let Some(_ticket) = place.await else {
        return Sent::Busy;
    };
    let guard = if opened.is_empty() {
        caller.guard.clone()
    } else {
        caller.guard.keeping_host()
    };
    let method = reqwest::Method::from_bytes(call.method.as_str().as_bytes())
        .unwrap_or(reqwest::Method::POST);
    let builder = match guard.request(method, url) {
        Ok(builder) => builder,
        Err(refused) => return fail(Failed::never(format!("{refused}. Nothing was sent."))),
    };
    let query: Vec<(String, String)> = call
        .query
        .iter()
        .map(|(k, v)| (k.clone(), fill(call, v, &value_of)))
        .collect();
    let mut builder = builder.query(&query);
    for (name, value) in call.all_headers(&value_of) {
        builder = builder.header(name, value);
    }
    builder = match &call.body {
        Some(CallBody::Json(value)) => builder
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(serde_json::to_vec(value).unwrap_or_default()),
        Some(CallBody::Form(fields)) => builder.form(fields),
        Some(CallBody::Text(text)) => builder
            .header(reqwest::header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(text.clone()),
        None => builder,
    };
    let request = match builder.build() {
        Ok(request) => request,
        Err(_) => {
            return fail(Failed::never(
                "A header or query value holds characters a request cannot carry (such as a line break). Nothing was sent.".into(),
            ));
        }
    };
    let limits = Limits {
        timeout: call.timeout,
        ..Limits::STEP
    };
    let result = match crate::egress::call::call(&guard, request, limits).await {
        Ok(answer) => {
            let mut headers = Map::new();
            for (k, v) in &answer.headers {
                headers.insert(k.clone(), Value::String(v.clone()));
            }
            let kept = json!({
                "status": answer.status,
                "headers": headers,
                "body": answer.body,
                "truncated": answer.truncated,
                "ms": answer.elapsed.as_millis() as u64,
            });
            let kept = crate::secrets::mask::mask_json(&kept, &values);
            if call.success.accepts(answer.status) {
                Ok(kept)
            } else {
                let retry_after = answer
                    .headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
                    .and_then(|(_, v)| v.trim().parse::<u64>().ok())
                    .map(|s| Duration::from_secs(s).min(RETRY_AFTER_MAX));
                let retry = match (retryable(answer.status), retry_after) {
                    (false, _) => Retry::Never,
                    (true, Some(wait)) => Retry::After(wait),
                    (true, None) => Retry::Policy,
                };
                Err(Failed {
                    message: mask(&answered_words(&host, answer.status, &kept["body"])),
                    answer: Some(kept),
                    retry,
                })
            }
        }
        Err(CallFailure::Refused(refused)) => Err(Failed::never(mask(&format!(
            "{refused}. Nothing was sent."
        )))),
        Err(failure @ CallFailure::BodyTooLarge { .. }) => {
            Err(Failed::never(format!("{failure}. Nothing was sent.")))
        }
        Err(CallFailure::TimedOut(limit)) => Err(Failed::plain(format!(
            "{host} did not answer within {}",
            crate::timefmt::length_text(limit.as_millis() as i64)
        ))),
        Err(CallFailure::Http(e)) => Err(Failed::plain(mask(&http_words(&host, &e)))),
    };
    call.answered(shown, result)
}

/// Statuses worth another attempt: 408, 425, 429 and 5xx.
pub fn retryable(status: u16) -> bool {
    matches!(status, 408 | 425 | 429) || status >= 500
}

/// "crm.example answered 422 Unprocessable Entity: name is required".
fn answered_words(host: &str, status: u16, body: &Value) -> String {
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let said = match body {
        Value::Object(map) => ["message", "error", "detail", "title", "description"]
            .iter()
            .find_map(|k| map.get(*k).and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_else(|| body.to_string()),
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let said: String = said.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut start: String = said.chars().take(200).collect();
    if start.len() < said.len() {
        start.push('…');
    }
    let head = format!("{host} answered {status} {reason}")
        .trim_end()
        .to_owned();
    if start.is_empty() {
        head
    } else {
        format!("{head}: {start}")
    }
}

fn http_words(host: &str, e: &reqwest::Error) -> String {
    if e.is_connect() {
        format!("Could not connect to {host}")
    } else if e.is_timeout() {
        format!("{host} did not answer in time")
    } else if e.is_redirect() {
        format!("{host} redirected too often")
    } else {
        let cause = std::error::Error::source(e)
            .map(|s| s.to_string())
            .unwrap_or_else(|| "the connection failed".into());
        format!("The call to {host} failed: {cause}")
    }
}

/// Whether `action` is the HTTP step's.
pub fn is_http(action: &str) -> bool {
    action == HTTP_ACTION
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_reads_as_its_host_status_and_the_start_of_its_body() {
        let body = json!({"message": "name is required", "code": 7});
        assert_eq!(
            answered_words("crm.example", 422, &body),
            "crm.example answered 422 Unprocessable Entity: name is required"
        );
        assert_eq!(
            answered_words("crm.example", 503, &Value::Null),
            "crm.example answered 503 Service Unavailable"
        );
        let long = Value::String("x ".repeat(300));
        assert!(answered_words("a.example", 500, &long).ends_with('…'));
        assert!(retryable(503) && retryable(429) && retryable(408));
        assert!(!retryable(422) && !retryable(404));
    }
}
