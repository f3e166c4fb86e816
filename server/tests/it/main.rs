//! The real router (pages, server functions, sessions) against a fresh database per test.
//! Every server function is called signed out, from another organization, and as a Viewer.

mod api_trigger;
mod assets;
mod backup;
mod cli;
mod email;
mod health;
mod ingest;
mod limits;
mod mcp;
mod members;
mod openapi;
mod pages;
mod process;
mod registry;
mod rest_api;
mod rest_workflows;
mod retries;
mod runs;
mod security;
mod server_fns;
mod sessions;
mod settings;
mod trust;
mod webhooks;
mod workers;

use app::error::AppError;
use app::state::AppState;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use leptos::prelude::LeptosOptions;
use switchyard::hooks::Hooks;
use switchyard::sql_text::Sql;
use switchyard::testing::{PASSWORD, TestDb, member};
use switchyard::{Member, Role};
use tower::ServiceExt;

/// The app served over TCP on a port of its own (`TestApp::serve_tcp`), as `serve` serves it.
pub struct Served {
    pub address: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<()>,
}

impl Served {
    /// Stops accepting, gives requests in hand a second, and waits for the server to end.
    pub async fn stop(self) {
        self.stop.send(()).expect("stop");
        self.server.await.expect("server");
    }
}

pub struct TestApp {
    pub db: TestDb,
    /// The clock sessions are judged by: `advance` it to see them expire.
    pub clock: switchyard::clock::Clock,
    router: Router,
}

/// The host the test app is reached at, and its origin: the app's own pages send it.
pub const HOST: &str = "switchyard.test";
pub const ORIGIN: &str = "http://switchyard.test";

/// `request` as the app's own pages send it: to `HOST`, from `ORIGIN`.
pub fn from_the_app(request: axum::http::request::Builder) -> axum::http::request::Builder {
    request
        .header(header::HOST, HOST)
        .header(header::ORIGIN, ORIGIN)
}

/// What the router answered.
pub struct Answer {
    pub status: StatusCode,
    pub location: Option<String>,
    pub set_cookie: Option<String>,
    pub etag: Option<String>,
    pub body: String,
}

impl Answer {
    /// The session cookie it set, as `name=value`.
    pub fn cookie(&self) -> String {
        let set_cookie = self.set_cookie.as_deref().expect("a session cookie");
        set_cookie.split(';').next().expect("name=value").to_owned()
    }

    /// The error a server function answered with.
    pub fn error(&self) -> AppError {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not an AppError ({e}): {} {}", self.status, self.body))
    }
}

fn encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", app::urlencode(k), app::urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl TestApp {
    /// The app as served on plain HTTP to localhost: session cookies without `Secure`.
    pub async fn new() -> Self {
        Self::build(false).await
    }

    /// The app as served behind HTTPS: session cookies marked `Secure`.
    pub async fn with_secure_cookies() -> Self {
        Self::build(true).await
    }

    async fn build(https: bool) -> Self {
        Self::with_web(server::security::Web {
            https,
            ..Default::default()
        })
        .await
    }

    /// The app served with these defences.
    pub async fn with_web(web: server::security::Web) -> Self {
        Self::with_site(web, "target/site").await
    }

    /// The app served with these defences, its browser bundle from `site_root`.
    pub async fn with_site(web: server::security::Web, site_root: &str) -> Self {
        Self::with_parts(web, site_root, switchyard::mail::Mail::off()).await
    }

    /// The app with email on, through a test SMTP server, configured to be reached at `ORIGIN`
    /// (the address links in emails start with).
    pub async fn with_mail() -> (Self, switchyard::testing::smtp::SmtpSink) {
        let sink = switchyard::testing::smtp::SmtpSink::start().await;
        let settings =
            switchyard::mail::Settings::parse(&sink.url(), "Switchyard <switchyard@acme.test>")
                .expect("settings");
        let web = server::security::Web {
            origin: Some(ORIGIN.to_owned()),
            ..Default::default()
        };
        let mail = switchyard::mail::Mail::new(settings).expect("mail");
        (Self::with_parts(web, "target/site", mail).await, sink)
    }

    async fn with_parts(
        web: server::security::Web,
        site_root: &str,
        mail: switchyard::mail::Mail,
    ) -> Self {
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter("warn")
            .try_init();
        let db = TestDb::new().await;
        let clock = switchyard::clock::Clock::default();
        let state = AppState {
            public_url: web.origin.clone(),
            pool: db.pool.clone(),
            events: switchyard::ingest::GroupCommit::start(db.pool.clone(), 2, 64),
            hooks: Hooks::with_defaults(),
            clock: clock.clone(),
            secrets_key:
                Some(
                    switchyard::secrets::SecretsKey::parse(
                        &switchyard::secrets::SecretsKey::new_text(),
                    )
                    .expect("a key"),
                ),
            mail,
        };
        let options = LeptosOptions::builder()
            .output_name("switchyard")
            .site_root(site_root)
            .build();
        // Generated once for the whole process: see `page_routes`.
        static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
            std::sync::OnceLock::new();
        let routes = ROUTES.get_or_init(server::routes::page_routes).clone();
        let router = server::routes::router_with(state, options, web, routes);
        TestApp { db, clock, router }
    }

    /// A member of `org` with `role` (the org is created on first use).
    pub async fn member(&self, org: &str, role: Role) -> Member {
        let mut conn = self.db.conn().await;
        member(&mut conn, org, role).await
    }

    /// The router served over TCP, with this header read timeout.
    pub async fn serve_tcp(&self, header_timeout: std::time::Duration) -> Served {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("listen");
        let address = listener.local_addr().expect("address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(server::serve::serve(
            listener,
            self.router(),
            header_timeout,
            std::time::Duration::from_secs(1),
            async {
                let _ = stopped.await;
            },
        ));
        Served {
            address,
            stop,
            server,
        }
    }

    /// The router itself, for a test that reads the whole response.
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    pub async fn send(&self, request: Request<Body>) -> Answer {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router answers");
        let (status, location, set_cookie, etag) = {
            let header = |name| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            (
                response.status(),
                header(header::LOCATION),
                header(header::SET_COOKIE),
                header(header::ETAG),
            )
        };
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        Answer {
            status,
            location,
            set_cookie,
            etag,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, cookie: Option<&str>, path: &str) -> Answer {
        let mut request = Request::get(path).header(header::ACCEPT, "text/html");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::empty()).expect("request"))
            .await
    }

    /// Calls a server function as the hydrated app does (JSON back, no redirect).
    pub async fn call(&self, cookie: Option<&str>, name: &str, form: &[(&str, &str)]) -> Answer {
        let mut request = from_the_app(Request::post(format!("/api/{name}")))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::from(encode(form))).expect("request"))
            .await
    }

    /// Posts a form as a browser without JavaScript does.
    pub async fn post_form(
        &self,
        cookie: Option<&str>,
        name: &str,
        form: &[(&str, &str)],
        referer: &str,
    ) -> Answer {
        let mut request = from_the_app(Request::post(format!("/api/{name}")))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .header(header::REFERER, referer);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::from(encode(form))).expect("request"))
            .await
    }

    /// Signs `member` in and returns the session cookie (`name=value`).
    pub async fn sign_in(&self, member: &Member) -> String {
        let answer = self
            .call(
                None,
                "login",
                &[("email", &member.email), ("password", PASSWORD)],
            )
            .await;
        assert!(
            answer.status.is_success(),
            "sign in: {} {}",
            answer.status,
            answer.body
        );
        answer.cookie()
    }

    /// Creates a workflow through the domain, as `member`.
    pub async fn workflow(
        &self,
        member: &Member,
        name: &str,
        steps: usize,
    ) -> switchyard::Workflow {
        use switchyard::workflow::{MappingRow, StepInput, WorkflowInput};
        let input = WorkflowInput {
            name: name.into(),
            trigger_event: "Deal.won".into(),
            steps: (0..steps)
                .map(|_| StepInput {
                    action: "Customer.create".into(),
                    mapping: vec![MappingRow {
                        field: "name".into(),
                        expr: "deal.name".into(),
                    }],
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        let mut conn = self.db.conn().await;
        switchyard::verbs::create(&mut conn, &Hooks::with_defaults(), member, &input)
            .await
            .expect("create")
    }

    /// Activates `workflow` as `member`, through the domain.
    pub async fn activate(&self, member: &Member, workflow: &switchyard::WorkflowId) {
        let mut conn = self.db.conn().await;
        switchyard::verbs::apply(
            &mut conn,
            &Hooks::with_defaults(),
            member,
            workflow,
            switchyard::Verb::Activate,
        )
        .await
        .expect("activate");
    }

    /// Posts a `Deal.won` event to acme's ingest with `key`; the id of the one run it started.
    pub async fn deal_won(&self, key: &str) -> String {
        let answer = self
            .send(
                Request::post("/~acme/events")
                    .header(header::AUTHORIZATION, format!("Bearer {key}"))
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(r#"{"type":"Deal.won","data":{"name":"Acme"}}"#))
                    .expect("request"),
            )
            .await;
        assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
        let runs: serde_json::Value = serde_json::from_str(&answer.body).expect("json");
        runs["runs"][0].as_str().expect("run").to_owned()
    }

    /// The run's status once it is `Succeeded`, or the last one seen after 20 seconds.
    pub async fn succeeded(&self, run: &str) -> String {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use switchyard::schema::runs;
        let mut conn = self.db.conn().await;
        let mut status = String::new();
        for _ in 0..400 {
            status = runs::table
                .find(run.sql())
                .select(runs::status)
                .first(&mut conn)
                .await
                .expect("run");
            if status == "Succeeded" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        status
    }

    pub async fn stored(
        &self,
        member: &Member,
        id: &switchyard::WorkflowId,
    ) -> Option<switchyard::Workflow> {
        let mut conn = self.db.conn().await;
        switchyard::repo::workflow::get(&mut conn, &member.org.id, id)
            .await
            .ok()
    }
}
