//! HTTP steps against a real server on this machine that records what it receives: the
//! mapping builds what it gets, its answer reaches the next step, failures say what it said,
//! retries carry one Idempotency-Key, time and size are bounded, secrets go only where they
//! may and are kept nowhere, and a worker that lost its run during a call writes nothing.

use crate::engine::{LEASE, active, deal, post, run_status, steps_of};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;
use switchyard::Role;
use switchyard::egress::{Allowed, Guard, Inflight};
use switchyard::engine::{self, Progress, call::Caller};
use switchyard::schema::{run_steps, things};
use switchyard::secret::SecretInput;
use switchyard::secrets::{self, SecretsKey};
use switchyard::sql_text::Sql;
use switchyard::testing::{TestDb, member};
use switchyard::workflow::{MappingRow, RequestInput, RetryInput, StepInput, WorkflowInput};
use time::{Duration, OffsetDateTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A request as the endpoint read it.
#[derive(Clone, Debug)]
pub struct Received {
    pub line: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the endpoint answers: a status, headers, a body, after a pause.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    pub pause: StdDuration,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            headers: vec![("content-type", "application/json".into())],
            body: body.to_string().into_bytes(),
            pause: StdDuration::ZERO,
        }
    }
}

type Script = dyn Fn(&Received, usize) -> Reply + Send + Sync;

/// An HTTP/1.1 server on 127.0.0.1 that records every request and answers with `script`
/// (given the request and how many came before it).
pub struct Endpoint {
    pub port: u16,
    pub received: Arc<Mutex<Vec<Received>>>,
}

impl Endpoint {
    pub async fn start(script: impl Fn(&Received, usize) -> Reply + Send + Sync + 'static) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("address").port();
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let kept = Arc::clone(&received);
        let script: Arc<Script> = Arc::new(script);
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (kept, script) = (Arc::clone(&kept), Arc::clone(&script));
                tokio::spawn(async move {
                    let Some(request) = read_request(&mut socket).await else {
                        return;
                    };
                    let before = {
                        let mut all = kept.lock().expect("lock");
                        all.push(request.clone());
                        all.len() - 1
                    };
                    let reply = script(&request, before);
                    tokio::time::sleep(reply.pause).await;
                    let mut head = format!(
                        "HTTP/1.1 {} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                        reply.status,
                        reply.body.len()
                    );
                    for (k, v) in &reply.headers {
                        head.push_str(&format!("{k}: {v}\r\n"));
                    }
                    head.push_str("\r\n");
                    let _ = socket.write_all(head.as_bytes()).await;
                    let _ = socket.write_all(&reply.body).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        Endpoint { port, received }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Received> {
    let mut read = Vec::new();
    let mut buf = [0u8; 4096];
    let end = loop {
        if let Some(at) = read.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => read.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&read[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let line = lines.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = read[end + 4..].to_vec();
    while body.len() < length {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&buf[..n]),
        }
    }
    Some(Received {
        line,
        headers,
        body,
    })
}

/// A caller allowed to reach this machine (as an operator allows an internal CRM), opening
/// secrets with `key`.
pub fn local_caller(key: Option<SecretsKey>) -> Caller {
    Caller {
        guard: Guard::new(Allowed::parse("127.0.0.1").expect("allow")).expect("guard"),
        key,
        inflight: Inflight::default(),
    }
}

fn rows(pairs: &[(&str, &str)]) -> Vec<MappingRow> {
    pairs
        .iter()
        .map(|(f, e)| MappingRow {
            field: (*f).into(),
            expr: (*e).into(),
        })
        .collect()
}

/// Takes every ready run to its end or next retry at `at`, calling out with `caller`.
async fn drain_at(conn: &mut switchyard::db::Conn, caller: &Caller, at: OffsetDateTime) {
    engine::drain_calling(conn, "w", LEASE, at, caller)
        .await
        .expect("drain");
}

pub fn http_step(request: RequestInput) -> StepInput {
    StepInput {
        action: "HTTP.request".into(),
        name: "Create the customer in the CRM".into(),
        request,
        ..Default::default()
    }
}

/// Deal won -> POST the deal to `url` -> an Activity from the answer's `id`.
fn to_crm(url: &str, request: RequestInput, attempts: u32) -> WorkflowInput {
    WorkflowInput {
        name: "Deal to CRM".into(),
        trigger_event: "Deal.won".into(),
        steps: vec![
            http_step(RequestInput {
                method: "POST".into(),
                url: format!("\"{url}\""),
                body_kind: "json".into(),
                body: rows(&[("name", "deal.name"), ("amount", "deal.amount")]),
                headers: rows(&[("X-Source", "\"switchyard\"")]),
                ..request
            }),
            crate::engine::step(
                "Activity.create",
                &[("subject", "\"CRM customer \" + step.0.body.id")],
            ),
        ],
        error_handling: "Stop".into(),
        retry: RetryInput {
            max_attempts: attempts.to_string(),
            backoff: "fixed".into(),
            delay_ms: "1 s".into(),
            ..Default::default()
        },
        ..Default::default()
    }
}

async fn step_record(conn: &mut switchyard::db::Conn, run: &str, idx: i32) -> (Value, Value) {
    let (input, output): (Option<Value>, Option<Value>) = run_steps::table
        .filter(run_steps::run_id.eq(run.sql()))
        .filter(run_steps::idx.eq(idx))
        .select((run_steps::input, run_steps::output))
        .first(conn)
        .await
        .expect("step");
    (input.unwrap_or_default(), output.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_mapping_builds_the_body_and_the_answer_reaches_the_next_step() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let crm = Endpoint::start(|_, _| Reply::json(201, json!({"id": "crm_42"}))).await;
    active(
        &mut conn,
        &admin,
        to_crm(&crm.url("/customers"), RequestInput::default(), 1),
    )
    .await;
    let run = post(&mut conn, &admin, "Deal.won", deal()).await.runs[0].clone();
    let now = OffsetDateTime::now_utc();
    let caller = local_caller(None);
    drain_at(&mut conn, &caller, now).await;

    let got = crm.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].line, "POST /customers HTTP/1.1");
    let body: Value = serde_json::from_slice(&got[0].body).expect("json");
    assert_eq!(body, json!({"name": "Acme", "amount": 5000}));
    assert_eq!(got[0].header("content-type"), Some("application/json"));
    assert_eq!(got[0].header("x-source"), Some("switchyard"));
    assert_eq!(
        got[0].header("idempotency-key"),
        Some(format!("{run}-0").as_str())
    );

    assert_eq!(run_status(&mut conn, run.as_str()).await.0, "Succeeded");
    let (input, output) = step_record(&mut conn, run.as_str(), 0).await;
    assert_eq!(input["method"], "POST");
    assert_eq!(input["url"], crm.url("/customers"));
    assert_eq!(input["body"]["name"], "Acme");
    assert_eq!(output["status"], 201);
    assert_eq!(output["body"]["id"], "crm_42");
    let subject: Value = things::table
        .filter(things::org_id.eq(admin.org.id.sql()))
        .filter(things::type_.eq("Activity"))
        .select(things::data)
        .first(&mut conn)
        .await
        .expect("activity");
    assert_eq!(subject["subject"], "CRM customer crm_42");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_4xx_fails_at_once_with_what_the_server_said() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let crm =
        Endpoint::start(|_, _| Reply::json(422, json!({"message": "name is required"}))).await;
    active(
        &mut conn,
        &admin,
        to_crm(&crm.url("/customers"), RequestInput::default(), 3),
    )
    .await;
    let run = post(&mut conn, &admin, "Deal.won", deal()).await.runs[0].clone();
    let caller = local_caller(None);
    let now = OffsetDateTime::now_utc();
    drain_at(&mut conn, &caller, now).await;
    let (status, error) = run_status(&mut conn, run.as_str()).await;
    assert_eq!(status, "Failed");
    let error = error.expect("error");
    assert!(
        error.contains("127.0.0.1 answered 422 Unprocessable Entity: name is required"),
        "{error}"
    );
    assert_eq!(crm.received().len(), 1, "a 422 is not tried again");
    let (_, output) = step_record(&mut conn, run.as_str(), 0).await;
    assert_eq!(
        output["status"], 422,
        "the answer is kept with the failed step"
    );
    assert_eq!(steps_of(&mut conn, run.as_str()).await[0].2, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_503_then_a_200_succeeds_on_the_second_attempt_with_the_same_key() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let crm = Endpoint::start(|_, before| match before {
        0 => Reply::json(503, json!({"error": "busy"})),
        _ => Reply::json(200, json!({"id": "crm_7"})),
    })
    .await;
    active(
        &mut conn,
        &admin,
        to_crm(&crm.url("/customers"), RequestInput::default(), 3),
    )
    .await;
    let run = post(&mut conn, &admin, "Deal.won", deal()).await.runs[0].clone();
    let caller = local_caller(None);
    let now = OffsetDateTime::now_utc();
    drain_at(&mut conn, &caller, now).await;
    assert_eq!(run_status(&mut conn, run.as_str()).await.0, "Running");
    drain_at(&mut conn, &caller, now + Duration::seconds(5)).await;
    assert_eq!(run_status(&mut conn, run.as_str()).await.0, "Succeeded");
    let got = crm.received();
    assert_eq!(got.len(), 2);
    let keys: Vec<_> = got.iter().map(|r| r.header("idempotency-key")).collect();
    assert_eq!(keys[0], Some(format!("{run}-0").as_str()));
    assert_eq!(keys[0], keys[1], "one key for every attempt");
    assert_eq!(steps_of(&mut conn, run.as_str()).await[0].2, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_answer_times_out_and_a_huge_one_is_cut() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let slow = Endpoint::start(|_, _| Reply {
        pause: StdDuration::from_secs(5),
        ..Reply::json(200, json!({"id": "late"}))
    })
    .await;
    let timeout = RequestInput {
        timeout: "1 s".into(),
        ..Default::default()
    };
    active(&mut conn, &admin, to_crm(&slow.url("/slow"), timeout, 1)).await;
    let run = post(&mut conn, &admin, "Deal.won", deal()).await.runs[0].clone();
    let caller = local_caller(None);
    let started = std::time::Instant::now();
    drain_at(&mut conn, &caller, OffsetDateTime::now_utc()).await;
    assert!(
        started.elapsed() < StdDuration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    let (status, error) = run_status(&mut conn, run.as_str()).await;
    assert_eq!(status, "Failed");
    assert!(
        error
            .as_deref()
            .is_some_and(|e| e.contains("did not answer within 1 s")),
        "{error:?}"
    );

    // 10 MiB of text: read up to 5 MiB, kept up to 64 KiB, marked.
    let admin2 = member(&mut conn, "globex", Role::Admin).await;
    let huge = Endpoint::start(|_, _| Reply {
        status: 200,
        headers: vec![("content-type", "text/plain".into())],
        body: vec![b'x'; 10 * 1024 * 1024],
        pause: StdDuration::ZERO,
    })
    .await;
    let mut input = to_crm(&huge.url("/huge"), RequestInput::default(), 1);
    input.steps.truncate(1);
    active(&mut conn, &admin2, input).await;
    let run = post(&mut conn, &admin2, "Deal.won", deal()).await.runs[0].clone();
    drain_at(&mut conn, &caller, OffsetDateTime::now_utc()).await;
    assert_eq!(run_status(&mut conn, run.as_str()).await.0, "Succeeded");
    let (_, output) = step_record(&mut conn, run.as_str(), 0).await;
    assert_eq!(output["truncated"], true);
    assert!(
        output["body"]
            .as_str()
            .is_some_and(|b| b.len() <= 64 * 1024 && b.len() > 60_000)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn with_no_allowance_a_local_address_is_refused_and_not_tried_again() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let crm = Endpoint::start(|_, _| Reply::json(200, json!({"id": "x"}))).await;
    active(
        &mut conn,
        &admin,
        to_crm(&crm.url("/customers"), RequestInput::default(), 3),
    )
    .await;
    let run = post(&mut conn, &admin, "Deal.won", deal()).await.runs[0].clone();
    // `drain` calls out as a server with SWITCHYARD_EGRESS_ALLOW unset does.
    engine::drain(&mut conn, "w", LEASE, OffsetDateTime::now_utc())
        .await
        .expect("drain");
    let (status, error) = run_status(&mut conn, run.as_str()).await;
    assert_eq!(status, "Failed");
    let error = error.expect("error");
    assert!(
        error.contains("loopback") || error.contains("Switchyard does not call it"),
        "{error}"
    );
    assert!(error.contains("Nothing was sent"), "{error}");
    assert_eq!(crm.received().len(), 0);
    assert_eq!(
        steps_of(&mut conn, run.as_str()).await[0].2,
        1,
        "not retried"
    );
}

const VALUE: &str = "sk_live_crm_value_93f1";

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_goes_only_to_its_hosts_and_is_kept_nowhere() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let key = SecretsKey::parse(&SecretsKey::new_text()).expect("key");
    for (name, hosts) in [("CRM_TOKEN", "127.0.0.1"), ("ELSEWHERE", "crm.example.com")] {
        let input = SecretInput {
            name: name.into(),
            value: VALUE.into(),
            hosts: hosts.into(),
        };
        secrets::set(&mut conn, Some(&key), &admin, &input)
            .await
            .expect("set");
    }
    let crm = Endpoint::start(|_, _| Reply::json(200, json!({"id": "crm_1", "echo": VALUE}))).await;
    let bearer = RequestInput {
        auth_kind: "bearer".into(),
        auth_secret: "CRM_TOKEN".into(),
        headers: rows(&[("X-Key", "\"k=\" + secret.CRM_TOKEN")]),
        ..Default::default()
    };
    let mut input = to_crm(&crm.url("/customers"), bearer, 1);
    input.steps[0].request.headers = rows(&[("X-Key", "\"k=\" + secret.CRM_TOKEN")]);
    active(&mut conn, &admin, input).await;
    let run = post(&mut conn, &admin, "Deal.won", deal()).await.runs[0].clone();
    let caller = local_caller(Some(key.clone()));
    drain_at(&mut conn, &caller, OffsetDateTime::now_utc()).await;
    assert_eq!(run_status(&mut conn, run.as_str()).await.0, "Succeeded");
    let got = crm.received();
    assert_eq!(
        got[0].header("authorization"),
        Some(format!("Bearer {VALUE}").as_str())
    );
    assert_eq!(got[0].header("x-key"), Some(format!("k={VALUE}").as_str()));
    let (input, output) = step_record(&mut conn, run.as_str(), 0).await;
    assert_eq!(input["headers"]["Authorization"], "Bearer ••••(CRM_TOKEN)");
    assert_eq!(input["headers"]["X-Key"], "k=••••(CRM_TOKEN)");
    assert_eq!(
        output["body"]["echo"], "••••(CRM_TOKEN)",
        "an echo is masked too"
    );
    assert_eq!(
        crate::secrets::occurrences(&mut conn, VALUE).await,
        0,
        "the value is in no column of any table, events included"
    );

    // Settings say where each secret is used.
    let listed = secrets::list(&mut conn, &admin).await.expect("list");
    let used: Vec<(&str, Vec<&str>)> = listed
        .iter()
        .map(|s| {
            (
                s.name.as_str(),
                s.used_by.iter().map(|(_, n)| n.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        used,
        [("CRM_TOKEN", vec!["Deal to CRM"]), ("ELSEWHERE", vec![])]
    );

    // A secret whose hosts do not include the URL's: nothing is sent.
    let elsewhere = RequestInput {
        auth_kind: "header".into(),
        auth_header: "X-Api-Key".into(),
        auth_secret: "ELSEWHERE".into(),
        ..Default::default()
    };
    let mut input = to_crm(&crm.url("/customers"), elsewhere, 3);
    input.name = "Elsewhere".into();
    input.trigger_event = "Deal.lost".into();
    active(&mut conn, &admin, input).await;
    let run = post(&mut conn, &admin, "Deal.lost", deal()).await.runs[0].clone();
    drain_at(&mut conn, &caller, OffsetDateTime::now_utc()).await;
    let (status, error) = run_status(&mut conn, run.as_str()).await;
    assert_eq!(status, "Failed");
    let error = error.expect("error");
    assert!(
        error.contains("ELSEWHERE may be sent only to crm.example.com; this request goes to 127.0.0.1. Nothing was sent."),
        "{error}"
    );
    assert_eq!(crm.received().len(), 1, "the server received nothing more");

    // Another organization cannot use the name.
    let other = member(&mut conn, "globex", Role::Admin).await;
    let bearer = RequestInput {
        auth_kind: "bearer".into(),
        auth_secret: "CRM_TOKEN".into(),
        ..Default::default()
    };
    active(&mut conn, &other, to_crm(&crm.url("/customers"), bearer, 1)).await;
    let run = post(&mut conn, &other, "Deal.won", deal()).await.runs[0].clone();
    drain_at(&mut conn, &caller, OffsetDateTime::now_utc()).await;
    let error = run_status(&mut conn, run.as_str()).await.1.expect("error");
    assert!(error.contains("There is no secret CRM_TOKEN"), "{error}");
    assert_eq!(crm.received().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_that_lost_its_run_during_a_slow_call_records_nothing() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let crm = Endpoint::start(|_, _| Reply::json(200, json!({"id": "crm_9"}))).await;
    let mut input = to_crm(&crm.url("/customers"), RequestInput::default(), 1);
    input.steps.truncate(1);
    active(&mut conn, &admin, input).await;
    let run = post(&mut conn, &admin, "Deal.won", deal()).await.runs[0].clone();
    let caller = local_caller(None);
    let now = OffsetDateTime::now_utc();

    // Worker A claims the run and works out the call.
    let a = engine::claim(&mut conn, "a", LEASE, now)
        .await
        .expect("claim")
        .expect("a run");
    let Progress::Call(call_a) = engine::advance(&mut conn, "a", &a, LEASE, now)
        .await
        .expect("advance")
    else {
        panic!("the step calls out");
    };
    // A's call is slow: its lease (the call's time limit and a margin) runs out, B takes over.
    let later = now + Duration::minutes(5);
    let b = engine::claim(&mut conn, "b", LEASE, later)
        .await
        .expect("claim")
        .expect("taken over");
    assert!(b.fence > a.fence);
    let Progress::Call(call_b) = engine::advance(&mut conn, "b", &b, LEASE, later)
        .await
        .expect("advance")
    else {
        panic!("the step calls out");
    };
    let done_b = engine::call_out(&mut conn, "b", &caller, &call_b, LEASE, &|| later)
        .await
        .expect("b records");
    assert_eq!(
        done_b,
        Progress::Finished(switchyard::run::RunStatus::Succeeded)
    );
    // A's answer arrives last: it writes nothing.
    let done_a = engine::call_out(&mut conn, "a", &caller, &call_a, LEASE, &|| later)
        .await
        .expect("a tries");
    assert_eq!(done_a, Progress::Lost);
    assert_eq!(
        steps_of(&mut conn, run.as_str()).await.len(),
        1,
        "one record of the step"
    );
    assert_eq!(run_status(&mut conn, run.as_str()).await.0, "Succeeded");
    let got = crm.received();
    assert_eq!(got.len(), 2, "at-least-once: the call was made by both");
    assert_eq!(
        got[0].header("idempotency-key"),
        got[1].header("idempotency-key")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_from_the_step_sends_the_same_key_and_a_preview_sends_nothing() {
    use switchyard::preview::Effect;
    use switchyard::retry::{self, RetryFrom};
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let crm = Endpoint::start(|_, before| match before {
        0 => Reply::json(502, json!({"error": "down"})),
        _ => Reply::json(200, json!({"id": "crm_5"})),
    })
    .await;
    // The call is step 2: a retry from it reuses step 1; a retry from the start runs both.
    let mut input = to_crm(&crm.url("/customers"), RequestInput::default(), 1);
    input.steps.truncate(1);
    input.steps.insert(
        0,
        crate::engine::step("Customer.create", &[("name", "deal.name")]),
    );
    let w = active(&mut conn, &admin, input).await;
    let first = post(&mut conn, &admin, "Deal.won", deal()).await.runs[0].clone();
    let caller = local_caller(None);
    let now = OffsetDateTime::now_utc();
    drain_at(&mut conn, &caller, now).await;
    let (status, error) = run_status(&mut conn, first.as_str()).await;
    assert_eq!(status, "Failed");
    assert!(error.is_some_and(|e| e.contains("502 Bad Gateway")));

    // The retry preview says what would be sent and what the last attempt got; it sends nothing.
    let preview = retry::preview(&mut conn, &admin, &first, RetryFrom::FailedStep)
        .await
        .expect("preview");
    let call = &preview.steps[1];
    assert_eq!(
        call.effect,
        Effect::Calls {
            host: format!("127.0.0.1:{}", crm.port)
        }
    );
    assert!(
        call.words.starts_with(&format!(
            "Would send POST to 127.0.0.1:{}/customers with 2 fields. A preview sends nothing. The last attempt got 502 Bad Gateway after",
            crm.port
        )),
        "{}",
        call.words
    );
    // So does the dry run of the workflow.
    let dry = engine::dry_run_saved(&mut conn, &admin, &w.id, &deal().to_string())
        .await
        .expect("dry run");
    assert!(
        dry.steps[1].words.starts_with("Would send POST to"),
        "{}",
        dry.steps[1].words
    );
    assert_eq!(crm.received().len(), 1, "previews sent nothing");

    // A retry from the failed step is the same request: the same key.
    let again = retry::retry(&mut conn, &admin, &first, RetryFrom::FailedStep, Some(0))
        .await
        .expect("retry");
    drain_at(&mut conn, &caller, OffsetDateTime::now_utc()).await;
    assert_eq!(run_status(&mut conn, again.as_str()).await.0, "Succeeded");
    // A retry from the start is a new run with a key of its own.
    let fresh = retry::retry(&mut conn, &admin, &first, RetryFrom::Start, Some(1))
        .await
        .expect("retry from the start");
    drain_at(&mut conn, &caller, OffsetDateTime::now_utc()).await;
    let keys: Vec<String> = crm
        .received()
        .iter()
        .map(|r| r.header("idempotency-key").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        keys,
        [
            format!("{first}-1"),
            format!("{first}-1"),
            format!("{fresh}-1")
        ]
    );
}
