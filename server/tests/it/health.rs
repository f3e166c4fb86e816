//! `/healthz`, `/readyz` and compressed answers.

use crate::TestApp;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tower::ServiceExt;

/// A TCP relay to PostgreSQL that can be cut (every connection dropped, new ones refused)
/// and mended: the database "stopped" and "back", as far as the app can tell.
struct Relay {
    port: u16,
    open: Arc<AtomicBool>,
    cut: tokio::sync::watch::Sender<u64>,
}

impl Relay {
    async fn to(target: std::net::SocketAddr) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("listen");
        let port = listener.local_addr().expect("address").port();
        let open = Arc::new(AtomicBool::new(true));
        let (cut, cuts) = tokio::sync::watch::channel(0u64);
        let accepting = open.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !accepting.load(Ordering::SeqCst) {
                    continue;
                }
                let mut cuts = cuts.clone();
                // Only cuts from now on end this connection.
                cuts.borrow_and_update();
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cuts.changed() => {}
                    }
                });
            }
        });
        Relay { port, open, cut }
    }

    fn stop(&self) {
        self.open.store(false, Ordering::SeqCst);
        self.cut.send_modify(|n| *n += 1);
    }

    fn start(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

/// The metrics token the readiness of these tests is given.
const OPERATOR: &str = "operator-token";

/// Readiness as the operator asks it (with the metrics token): with the reason.
async fn ready(readiness: &server::health::Readiness) -> (StatusCode, String) {
    ready_as(readiness, Some(OPERATOR)).await
}

async fn ready_as(
    readiness: &server::health::Readiness,
    token: Option<&str>,
) -> (StatusCode, String) {
    let mut headers = axum::http::HeaderMap::new();
    if let Some(token) = token {
        headers.insert(
            axum::http::header::AUTHORIZATION,
            format!("Bearer {token}").parse().expect("header"),
        );
    }
    let response = server::health::readyz(State(readiness.clone()), headers).await;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn health_and_readiness_answer_without_a_session() {
    let app = TestApp::new().await;
    for (path, expected) in [("/healthz", "ok"), ("/readyz", "ready")] {
        let answer = app.get(None, path).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        assert!(answer.body.contains(expected), "{path}: {}", answer.body);
        assert!(answer.set_cookie.is_none(), "{path} makes no session");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn readiness_follows_the_database_going_away_and_coming_back() {
    let app = TestApp::new().await;
    let url = url::Url::parse(&app.db.url).expect("url");
    let target = format!(
        "{}:{}",
        url.host_str().expect("host"),
        url.port().unwrap_or(5432)
    )
    .parse()
    .expect("address");
    let relay = Relay::to(target).await;
    let mut relayed = url.clone();
    relayed.set_host(Some("127.0.0.1")).expect("host");
    relayed.set_port(Some(relay.port)).expect("port");
    let readiness = server::health::Readiness {
        pool: switchyard::db::pool(relayed.as_str(), 2).expect("pool"),
        workers: Default::default(),
        token: Some(OPERATOR.into()),
    };
    assert_eq!(ready(&readiness).await.0, StatusCode::OK);

    relay.stop();
    let (status, body) = ready(&readiness).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.contains("database"), "{body}");
    // A stranger, or a wrong token, is told only that it is not ready: nothing of the
    // database's host, user or error.
    for token in [None, Some("guess")] {
        let (status, body) = ready_as(&readiness, token).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body, r#"{"status":"unavailable"}"#, "{token:?}");
    }

    // Back, and ready again without a restart (a connection broken meanwhile is replaced).
    relay.start();
    let mut last = (StatusCode::SERVICE_UNAVAILABLE, String::new());
    for _ in 0..20 {
        last = ready(&readiness).await;
        if last.0 == StatusCode::OK {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(last.0, StatusCode::OK, "{}", last.1);
}

#[tokio::test(flavor = "multi_thread")]
async fn readiness_wants_every_migration_and_the_workers_it_started() {
    use diesel_async::RunQueryDsl;
    let app = TestApp::new().await;
    let (liveness, workers) = Workers::start(&app);
    let readiness = server::health::Readiness {
        pool: app.db.pool.clone(),
        workers: liveness,
        token: Some(OPERATOR.into()),
    };
    assert_eq!(ready(&readiness).await.0, StatusCode::OK);

    #[derive(diesel::QueryableByName)]
    struct Version {
        #[diesel(sql_type = diesel::sql_types::Text)]
        version: String,
    }
    let mut conn = app.db.conn().await;
    let Version { version } = diesel::sql_query(
        "DELETE FROM __diesel_schema_migrations WHERE version = (SELECT max(version) FROM __diesel_schema_migrations) RETURNING version",
    )
    .get_result(&mut conn)
    .await
    .expect("forget the last migration");
    let (status, body) = ready(&readiness).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("1 of this build's migrations"), "{body}");
    diesel::sql_query("INSERT INTO __diesel_schema_migrations (version) VALUES ($1)")
        .bind::<diesel::sql_types::Text, _>(&version)
        .execute(&mut conn)
        .await
        .expect("remember it");
    assert_eq!(ready(&readiness).await.0, StatusCode::OK);

    workers.stop().await;
    let (status, body) = ready(&readiness).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("2 of 2 workers stopped"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn answers_are_compressed_as_the_browser_asks() {
    let app = TestApp::new().await;
    for (accepts, expected) in [
        (Some("br, gzip"), Some("br")),
        (Some("gzip"), Some("gzip")),
        (None, None),
    ] {
        let mut request = Request::get("/login");
        if let Some(accepts) = accepts {
            request = request.header(header::ACCEPT_ENCODING, accepts);
        }
        let response = app
            .router()
            .oneshot(request.body(Body::empty()).expect("request"))
            .await
            .expect("answer");
        assert_eq!(response.status(), StatusCode::OK);
        let encoding = response
            .headers()
            .get(header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok());
        assert_eq!(encoding, expected, "{accepts:?}");
    }
}

/// The value of one series in a Prometheus text page (0 when it is not there yet).
fn value(page: &str, series: &str) -> f64 {
    page.lines()
        .find_map(|line| {
            line.strip_prefix(series)?
                .strip_prefix(' ')?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0.0)
}

async fn scrape(app: &TestApp, token: Option<&str>) -> crate::Answer {
    let mut request = Request::get("/metrics");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    app.send(request.body(Body::empty()).expect("request"))
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_need_their_token_and_count_runs_requests_and_sign_in_failures() {
    use switchyard::Role;
    const TOKEN: &str = "metrics-token-for-the-test";
    let without = TestApp::new().await;
    assert_eq!(
        scrape(&without, Some(TOKEN)).await.status,
        StatusCode::NOT_FOUND,
        "no token configured, no page"
    );

    let app = TestApp::with_web(server::security::Web {
        metrics_token: Some(TOKEN.into()),
        ..Default::default()
    })
    .await;
    assert_eq!(scrape(&app, None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        scrape(&app, Some("metrics-token-for-the-tesT"))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let before = scrape(&app, Some(TOKEN)).await;
    assert_eq!(before.status, StatusCode::OK);
    for series in [
        "switchyard_db_pool_connections{pool=\"app\",state=\"idle\"}",
        "switchyard_runs_queued",
        "switchyard_runs_oldest_queued_seconds",
    ] {
        assert!(
            before.body.lines().any(|l| l.starts_with(series)),
            "{series} in {}",
            before.body
        );
    }

    let admin = app.member("acme", Role::Admin).await;
    let workflow = app.workflow(&admin, "Onboarding", 2).await;
    app.activate(&admin, &workflow.id).await;
    let _ = app
        .call(
            None,
            "login",
            &[
                ("email", "admin@acme.test"),
                ("password", "not the password"),
            ],
        )
        .await;
    let key = crate::ingest::key(&app, "acme").await;
    let (_, workers) = Workers::start(&app);
    let run = app.deal_won(&key).await;
    assert_eq!(app.succeeded(&run).await, "Succeeded");
    workers.stop().await;
    let after = scrape(&app, Some(TOKEN)).await;
    for series in [
        "switchyard_runs_ended_total{status=\"Succeeded\"}",
        "switchyard_runs_claimed_total",
        "switchyard_step_duration_seconds_count",
        "switchyard_run_duration_seconds_count",
        "switchyard_sign_in_failures_total",
        "switchyard_http_requests_total{kind=\"ingest\",status=\"2xx\"}",
        "switchyard_http_request_duration_seconds_count{kind=\"ingest\"}",
    ] {
        assert!(
            value(&after.body, series) > value(&before.body, series),
            "{series} moved: {}",
            after.body
        );
    }
}

/// Workers as the server starts them, counted in the `Liveness` they return with.
struct Workers {
    stop: tokio::sync::watch::Sender<bool>,
    handles: Vec<tokio::task::JoinHandle<()>>,
}

impl Workers {
    fn start(app: &TestApp) -> (server::workers::Liveness, Self) {
        let liveness = server::workers::Liveness::default();
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let handles = server::workers::start_counted(
            &app.db.pool,
            &app.db.url,
            &server::workers::WorkerSettings::default(),
            &stopped,
            &liveness,
        );
        (liveness, Self { stop, handles })
    }

    /// Stops them and waits until every one has handed its run back.
    async fn stop(self) {
        self.stop.send(true).expect("stop");
        for worker in self.handles {
            worker.await.expect("worker");
        }
    }
}
