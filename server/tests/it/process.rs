//! The real server process: killed with SIGKILL mid-run, or stopped with SIGTERM, and started
//! again. The run must end with each of its steps done exactly once.

use crate::TestApp;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use switchyard::Role;
use switchyard::entity::EventSource;
use switchyard::id::RunId;
use switchyard::ingest::{self, PostedEvent};
use switchyard::schema::{run_steps, runs, things};
use switchyard::sql_text::Sql;

const STEPS: usize = 8;

/// A port nobody listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A server process, killed if the test ends early, so none outlives a failed test.
pub struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `switchyard serve` on the test's database with one worker.
fn serve(url: &str, env: &[(&str, &str)]) -> Served {
    serve_at(url, free_port(), env)
}

/// Starts `switchyard serve` on the test's database with one worker, listening on `port`.
pub fn serve_at(url: &str, port: u16, env: &[(&str, &str)]) -> Served {
    start("serve", url, port, Stdio::null(), env)
}

/// Starts `switchyard COMMAND` on the test's database (one worker, polling every 100 ms, logging
/// warnings) with its standard output to `stdout`; `env` adds to or overrides that.
fn start(command_name: &str, url: &str, port: u16, stdout: Stdio, env: &[(&str, &str)]) -> Served {
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchyard"));
    command
        .arg(command_name)
        .env("DATABASE_URL", url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("SWITCHYARD_WORKERS", "1")
        .env("SWITCHYARD_POLL_MS", "100")
        .env("RUST_LOG", "warn")
        .stdout(stdout)
        .stderr(Stdio::inherit());
    for (name, value) in env {
        command.env(name, value);
    }
    Served(command.spawn().expect("the server starts"))
}

/// An activated workflow of `STEPS` `Customer.create` steps and one event for it.
async fn queued_run(app: &TestApp) -> RunId {
    let admin = app.member("acme", Role::Admin).await;
    let workflow = app.workflow(&admin, "Onboarding", STEPS).await;
    let mut conn = app.db.conn().await;
    let hooks = switchyard::hooks::Hooks::with_defaults();
    switchyard::verbs::activate(&mut conn, &hooks, &admin, &workflow.id)
        .await
        .expect("activate");
    let posted = PostedEvent {
        event_type: "Deal.won".into(),
        data: json!({"name": "Acme"}),
        id: None,
    };
    let accepted = ingest::ingest(&mut conn, &admin.org.id, &posted, EventSource::Api, None)
        .await
        .expect("ingest");
    accepted.runs.into_iter().next().expect("one run")
}

async fn steps_done(app: &TestApp, run: &RunId) -> i64 {
    let mut conn = app.db.conn().await;
    run_steps::table
        .filter(run_steps::run_id.eq(run.sql()))
        .filter(run_steps::status.eq(("Succeeded").sql()))
        .count()
        .get_result(&mut conn)
        .await
        .expect("count")
}

/// Waits until `done` holds, at most `limit`.
pub async fn wait_for(what: &str, limit: Duration, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done().await {
        assert!(Instant::now() < deadline, "waited {limit:?} for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The run's status and lease holder.
async fn state(app: &TestApp, run: &RunId) -> (String, Option<String>, i64) {
    let mut conn = app.db.conn().await;
    runs::table
        .find(run.sql())
        .select((runs::status, runs::lease_owner, runs::fence))
        .first(&mut conn)
        .await
        .expect("run")
}

/// Every step succeeded once, each on its first attempt, and made exactly one customer.
async fn assert_each_step_done_once(app: &TestApp, run: &RunId) {
    let mut conn = app.db.conn().await;
    let steps: Vec<(i32, String, i32)> = run_steps::table
        .filter(run_steps::run_id.eq(run.sql()))
        .order(run_steps::idx.asc())
        .select((run_steps::idx, run_steps::status, run_steps::attempts))
        .load(&mut conn)
        .await
        .expect("steps");
    let expected: Vec<(i32, String, i32)> = (0..STEPS as i32)
        .map(|i| (i, "Succeeded".to_owned(), 1))
        .collect();
    assert_eq!(steps, expected);
    let customers: i64 = things::table
        .filter(things::type_.eq("Customer"))
        .count()
        .get_result(&mut conn)
        .await
        .expect("count");
    assert_eq!(customers, STEPS as i64, "a step ran twice or not at all");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_killed_mid_run_is_taken_over_and_no_step_runs_twice() {
    let app = TestApp::new().await;
    let run = queued_run(&app).await;
    let mut first = serve(
        &app.db.url,
        &[
            ("SWITCHYARD_STEP_PAUSE_MS", "250"),
            ("SWITCHYARD_LEASE_MS", "1500"),
        ],
    );
    wait_for("two steps", Duration::from_secs(60), async || {
        steps_done(&app, &run).await >= 2
    })
    .await;
    first.0.kill().expect("SIGKILL");
    first.0.wait().expect("the killed server is gone");
    let done_before = steps_done(&app, &run).await;
    let (status, owner, fence) = state(&app, &run).await;
    assert!(done_before < STEPS as i64, "the run ended before the kill");
    assert_eq!(status, "Running");
    assert!(owner.is_some(), "the killed worker still holds the lease");

    let second = serve(&app.db.url, &[]);
    let finished = async || state(&app, &run).await.0 == "Succeeded";
    wait_for("the run to finish", Duration::from_secs(60), finished).await;
    drop(second);
    let (_, owner, fence_after) = state(&app, &run).await;
    assert_eq!(owner, None);
    assert!(fence_after > fence, "another claim took the run over");
    assert_each_step_done_once(&app, &run).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_asked_to_stop_hands_its_run_back_for_the_next_to_finish_at_once() {
    let app = TestApp::new().await;
    let run = queued_run(&app).await;
    // A lease far longer than the test: only a handed-back run can be taken over in time.
    let long_lease = [
        ("SWITCHYARD_STEP_PAUSE_MS", "250"),
        ("SWITCHYARD_LEASE_MS", "600000"),
    ];
    let mut first = serve(&app.db.url, &long_lease);
    wait_for("two steps", Duration::from_secs(60), async || {
        steps_done(&app, &run).await >= 2
    })
    .await;
    let term = Command::new("kill")
        .args(["-TERM", &first.0.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(term.success());
    let exit = first.0.wait().expect("the server stops");
    assert!(exit.success(), "a clean stop: {exit:?}");
    let (status, owner, _) = state(&app, &run).await;
    assert!(
        steps_done(&app, &run).await < STEPS as i64,
        "the run ended before the stop"
    );
    assert_eq!((status.as_str(), owner), ("Running", None), "handed back");

    let second = serve(&app.db.url, &long_lease);
    let finished = async || state(&app, &run).await.0 == "Succeeded";
    wait_for("the run to finish", Duration::from_secs(60), finished).await;
    drop(second);
    assert_each_step_done_once(&app, &run).await;
}

/// Sends a plain HTTP/1.1 request over `stream` and reads the answer to the end.
fn answer_of(stream: &mut std::net::TcpStream) -> String {
    use std::io::Read;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("the answer");
    answer
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_in_flight_at_sigterm_is_answered_and_new_ones_are_refused() {
    use std::io::Write;
    use std::net::TcpStream;
    let app = TestApp::new().await;
    let port = free_port();
    let mut served = serve_at(&app.db.url, port, &[("SWITCHYARD_SHUTDOWN_SECS", "20")]);
    let address = format!("127.0.0.1:{port}");
    wait_for(
        "the server to listen",
        Duration::from_secs(60),
        async || {
            TcpStream::connect(&address).is_ok_and(|mut s| {
                s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .is_ok()
                    && answer_of(&mut s).starts_with("HTTP/1.1 200")
            })
        },
    )
    .await;

    // A sign-in whose body is only half sent when the server is asked to stop.
    let body = "email=nobody%40example.test&password=not-the-password";
    let (first, rest) = body.split_at(20);
    let mut stream = TcpStream::connect(&address).expect("connect");
    write!(
        stream,
        "POST /api/login HTTP/1.1\r\nHost: {address}\r\nOrigin: http://{address}\r\n\
         Accept: application/json\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{first}",
        body.len()
    )
    .expect("the first half");
    stream.flush().expect("flush");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let term = Command::new("kill")
        .args(["-TERM", &served.0.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(term.success());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        served.0.try_wait().expect("the process").is_none(),
        "the server waits for the request in flight"
    );
    assert!(
        TcpStream::connect(&address).is_err(),
        "a stopping server accepts no new connection"
    );

    stream.write_all(rest.as_bytes()).expect("the rest");
    let answer = answer_of(&mut stream);
    assert!(
        answer.starts_with("HTTP/1.1 401"),
        "the request in flight is answered (a wrong password): {answer}"
    );
    let exit = served.0.wait().expect("the server stops");
    assert!(exit.success(), "a clean stop: {exit:?}");
}

/// Starts `switchyard COMMAND` with its log (one line per run end) written to `log`.
fn start_logged(
    command_name: &str,
    url: &str,
    log: &std::path::Path,
    env: &[(&str, &str)],
) -> Served {
    let file = std::fs::File::create(log).expect("log file");
    let mut env = env.to_vec();
    env.push(("RUST_LOG", "info"));
    start(command_name, url, free_port(), file.into(), &env)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_and_a_worker_process_share_ten_thousand_runs_and_each_ends_once() {
    const EVENTS: usize = 10_000;
    const TWO_STEPS: usize = 2;
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let workflow = app.workflow(&admin, "Onboarding", TWO_STEPS).await;
    let mut conn = app.db.conn().await;
    let hooks = switchyard::hooks::Hooks::with_defaults();
    switchyard::verbs::activate(&mut conn, &hooks, &admin, &workflow.id)
        .await
        .expect("activate");
    for i in 0..EVENTS {
        let posted = PostedEvent {
            event_type: "Deal.won".into(),
            data: json!({"name": format!("Deal {i}")}),
            id: None,
        };
        ingest::ingest(&mut conn, &admin.org.id, &posted, EventSource::Api, None)
            .await
            .expect("ingest");
    }
    let logs = [0, 1].map(|n| {
        std::env::temp_dir().join(format!("switchyard-scale-{}-{n}.log", std::process::id()))
    });
    // One process serving the app and running workflows, one running workflows only.
    let env = [("SWITCHYARD_WORKERS", "2"), ("SWITCHYARD_FOLD_MS", "500")];
    let servers = [
        start_logged("serve", &app.db.url, &logs[0], &env),
        start_logged("work", &app.db.url, &logs[1], &env),
    ];
    let in_flight = async || -> i64 {
        let mut conn = app.db.conn().await;
        runs::table
            .filter(runs::status.eq_any(switchyard::sql_text::all(
                &switchyard::run::RunStatus::IN_FLIGHT,
            )))
            .count()
            .get_result(&mut conn)
            .await
            .expect("count")
    };
    wait_for("every run to end", Duration::from_secs(600), async || {
        in_flight().await == 0
    })
    .await;
    drop(servers);

    // Each process ended some of the runs, and together each run once.
    let ended: Vec<usize> = logs
        .iter()
        .map(|log| {
            let text = std::fs::read_to_string(log).expect("log");
            let _ = std::fs::remove_file(log);
            text.lines().filter(|l| l.contains("run ended")).count()
        })
        .collect();
    assert!(
        ended.iter().all(|n| *n > 0),
        "both shared the work: {ended:?}"
    );
    assert_eq!(ended.iter().sum::<usize>(), EVENTS, "{ended:?}");
    let statuses: Vec<(String, i64)> = runs::table
        .group_by(runs::status)
        .select((runs::status, diesel::dsl::count_star()))
        .load(&mut conn)
        .await
        .expect("statuses");
    assert_eq!(statuses, [("Succeeded".to_owned(), EVENTS as i64)]);
    // Each step done once, on its first attempt, with one customer each.
    let attempts: Vec<(i32, i64)> = run_steps::table
        .group_by(run_steps::attempts)
        .select((run_steps::attempts, diesel::dsl::count_star()))
        .load(&mut conn)
        .await
        .expect("steps");
    assert_eq!(attempts, [(1, (EVENTS * TWO_STEPS) as i64)]);
    let customers: i64 = things::table
        .filter(things::type_.eq("Customer"))
        .count()
        .get_result(&mut conn)
        .await
        .expect("count");
    assert_eq!(customers, (EVENTS * TWO_STEPS) as i64);
    // The counters equal a recount, before and after every outcome is folded, and the last
    // run to end moved the workflow back to Activated.
    for fold in [false, true] {
        if fold {
            switchyard::housekeeping::fold(&mut conn)
                .await
                .expect("fold");
        }
        let w = switchyard::repo::workflow::get(&mut conn, &admin.org.id, &workflow.id)
            .await
            .expect("workflow");
        assert_eq!(
            (w.run_count, w.success_count, w.failure_count, w.status),
            (
                EVENTS as i64,
                EVENTS as i64,
                0,
                switchyard::Status::Activated
            ),
            "folded: {fold}"
        );
    }
}
