//! The defences every door shares: changes only from the app's own pages, redirects that stay
//! in the app, the browser's security headers, sessions that end, limits on bodies.

use crate::{Answer, HOST, TestApp, from_the_app};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use switchyard::Role;
use switchyard::sql_text::Sql;

/// A digest of every table's rows: equal before and after means nothing was written.
async fn everything(app: &TestApp) -> Vec<(String, String)> {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        table_name: String,
    }
    #[derive(QueryableByName)]
    struct Digest {
        #[diesel(sql_type = diesel::sql_types::Text)]
        digest: String,
    }
    let mut conn = app.db.conn().await;
    let tables: Vec<Name> = diesel::sql_query(
        "SELECT table_name::text AS table_name FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
    )
    .load(&mut conn)
    .await
    .expect("tables");
    let mut out = Vec::new();
    for Name { table_name } in tables {
        let Digest { digest } = diesel::sql_query(format!(
            "SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) AS digest \
             FROM \"{table_name}\" t"
        ))
        .get_result(&mut conn)
        .await
        .expect("digest");
        out.push((table_name, digest));
    }
    out
}

/// Every route that may change something, from the router's own lists: the server functions
/// it registered and the REST operations its OpenAPI document was generated from, and MCP.
async fn changing_routes(app: &TestApp) -> Vec<(Method, String)> {
    let mut routes: Vec<(Method, String)> = leptos::server_fn::axum::server_fn_paths()
        .filter(|(_, method)| *method != Method::GET)
        .map(|(path, method)| (method, path.to_owned()))
        .collect();
    let answer = app
        .send(
            Request::get("/api/openapi.json")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    let doc: serde_json::Value = serde_json::from_str(&answer.body).expect("document");
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                routes.push((method.to_uppercase().parse().expect("method"), path.clone()));
            }
        }
    }
    routes.push((Method::POST, "/~{org}/mcp".to_owned()));
    routes.sort_by(|a, b| (a.1.as_str(), a.0.as_str()).cmp(&(b.1.as_str(), b.0.as_str())));
    routes
}

fn concrete(path: &str, workflow: &str) -> String {
    path.replace("{org}", "acme")
        .replace("{id}", workflow)
        .replace("{verb}", "activate")
}

async fn send_from(
    app: &TestApp,
    method: Method,
    path: &str,
    cookie: &str,
    origin: Option<&str>,
    referer: Option<&str>,
) -> Answer {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, HOST)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json");
    if let Some(origin) = origin {
        request = request.header(header::ORIGIN, origin);
    }
    if let Some(referer) = referer {
        request = request.header(header::REFERER, referer);
    }
    app.send(
        request
            .body(Body::from("name=Forged&email=x%40evil.test&password=x"))
            .expect("request"),
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_from_another_origin_is_refused_on_every_route_and_changes_nothing() {
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let workflow = app.workflow(&admin, "Onboarding", 1).await;
    let cookie = app.sign_in(&admin).await;
    let routes = changing_routes(&app).await;
    assert!(routes.len() > 30, "the router's lists are read: {routes:?}");
    assert!(routes.iter().any(|(_, p)| p == "/api/login"));
    let before = everything(&app).await;
    for (method, path) in &routes {
        let path = concrete(path, workflow.id.as_str());
        for (origin, referer) in [
            (Some("https://evil.example"), None),
            (Some("null"), None),
            (None, Some("https://evil.example/switchyard.test")),
            (None, None),
            (Some("http://switchyard.test.evil.example"), None),
        ] {
            let answer = send_from(&app, method.clone(), &path, &cookie, origin, referer).await;
            assert_eq!(
                answer.status,
                StatusCode::FORBIDDEN,
                "{method} {path} from {origin:?} / {referer:?}: {}",
                answer.body
            );
        }
    }
    assert_eq!(everything(&app).await, before, "nothing was written");

    // The same change from the app's own pages goes through: with its Origin, or with only
    // a Referer of the app (a browser that sends no Origin).
    let answer = app
        .call(
            Some(&cookie),
            "apply_verb",
            &[
                ("org", "acme"),
                ("id", workflow.id.as_str()),
                ("verb", "activate"),
            ],
        )
        .await;
    assert!(
        answer.status.is_success(),
        "{} {}",
        answer.status,
        answer.body
    );
    let stored = app.stored(&admin, &workflow.id).await.expect("stored");
    assert_eq!(stored.status, switchyard::Status::Activated);
    let answer = send_from(
        &app,
        Method::POST,
        "/api/logout",
        &cookie,
        None,
        Some("http://switchyard.test/o/acme/dashboard"),
    )
    .await;
    assert!(
        answer.status.is_success(),
        "{} {}",
        answer.status,
        answer.body
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_form_from_another_site_gets_a_page_that_says_so_and_a_key_is_not_a_cookie() {
    let app = TestApp::new().await;
    let editor = app.member("acme", Role::Editor).await;
    // Login CSRF: another site's form signing the visitor in to an account of its choosing.
    let answer = app
        .send(
            Request::post("/api/login")
                .header(header::HOST, HOST)
                .header(header::ORIGIN, "https://evil.example")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ACCEPT, "text/html")
                .body(Body::from(format!(
                    "email={}&password={}",
                    app::urlencode(&editor.email),
                    app::urlencode(switchyard::testing::PASSWORD)
                )))
                .expect("request"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.set_cookie.is_none(), "no session was made");
    assert!(
        answer.body.contains("sent from another site"),
        "{}",
        answer.body
    );

    // A program with an API key sends no Origin and needs none.
    let key = crate::ingest::key(&app, "acme").await;
    let answer = app
        .send(
            Request::post("/~acme/events")
                .header(header::HOST, HOST)
                .header(header::AUTHORIZATION, format!("Bearer {key}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(r#"{"type":"Deal.won","data":{}}"#))
                .expect("request"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
}

/// Known ways of writing a redirect to another site so that a naive check lets it through.
const OPEN_REDIRECTS: &[&str] = &[
    "https://evil.example/",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    "/%09/evil.example",
    "/%5Cevil.example",
    "/%2F%2Fevil.example",
    "/.//evil.example",
    "/..//evil.example",
    "/./\\evil.example",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http:evil.example",
    "/@evil.example",
    "/\u{3000}/evil.example",
    "/%E3%80%80/evil.example",
    "/login?next=//evil.example",
    "/o/acme/dashboard\r\nSet-Cookie: planted=1",
];

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_sends_people_only_to_paths_of_this_app_whatever_next_says() {
    let app = TestApp::new().await;
    let editor = app.member("acme", Role::Editor).await;
    let base = url::Url::parse("http://switchyard.test/").expect("base");
    for next in OPEN_REDIRECTS {
        let form = [
            ("email", editor.email.as_str()),
            ("password", switchyard::testing::PASSWORD),
            ("next", next),
        ];
        let answer = app
            .post_form(None, "login", &form, "http://switchyard.test/login")
            .await;
        assert_eq!(
            answer.status,
            StatusCode::FOUND,
            "{next:?}: {}",
            answer.body
        );
        let location = answer.location.expect("a redirect");
        let target = base.join(&location).expect("a URL");
        assert_eq!(
            target.origin(),
            base.origin(),
            "{next:?} sent to {location}"
        );
        assert!(
            location.starts_with('/') && !location.starts_with("//"),
            "{next:?} sent to {location}"
        );
        assert!(
            !location.contains(['\r', '\n', '\\']),
            "{next:?}: {location:?}"
        );
    }
    // A path of the app is kept, query and all.
    let form = [
        ("email", editor.email.as_str()),
        ("password", switchyard::testing::PASSWORD),
        ("next", "/o/acme/workflows?status=Draft"),
    ];
    let answer = app
        .post_form(None, "login", &form, "http://switchyard.test/login")
        .await;
    assert_eq!(
        answer.location.as_deref(),
        Some("/o/acme/workflows?status=Draft")
    );
}

pub(crate) fn header_of<'a>(
    response: &'a axum::http::Response<Body>,
    name: &str,
) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test(flavor = "multi_thread")]
async fn every_answer_carries_the_security_headers_and_pages_a_nonce_for_their_scripts() {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let app = TestApp::new().await;
    let editor = app.member("acme", Role::Editor).await;
    let cookie = app.sign_in(&editor).await;
    for (path, signed_in) in [
        ("/login", false),
        ("/o/acme/dashboard", true),
        ("/o/acme/workflows", true),
        ("/o/acme/settings", true),
        ("/api/docs", false),
        ("/api/openapi.json", false),
        ("/no/such/page", false),
    ] {
        let mut request = Request::get(path).header(header::ACCEPT, "text/html");
        if signed_in {
            request = request.header(header::COOKIE, &cookie);
        }
        let response = app
            .router()
            .oneshot(request.body(Body::empty()).expect("request"))
            .await
            .expect("answer");
        let csp = header_of(&response, "content-security-policy")
            .unwrap_or_else(|| panic!("{path}: no CSP"))
            .to_owned();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("object-src 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(
            header_of(&response, "x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            header_of(&response, "x-frame-options"),
            Some("DENY"),
            "{path}"
        );
        assert_eq!(
            header_of(&response, "referrer-policy"),
            Some("same-origin"),
            "{path}"
        );
        assert_eq!(
            header_of(&response, "cache-control"),
            Some("no-store"),
            "{path}"
        );
        assert_eq!(
            header_of(&response, "strict-transport-security"),
            None,
            "{path}: not over HTTPS"
        );
        let is_page =
            header_of(&response, "content-type").is_some_and(|t| t.starts_with("text/html"));
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let body = String::from_utf8_lossy(&body);
        let scripts = body.matches("<script").count();
        if is_page && scripts > 0 {
            let nonce = csp
                .split("'nonce-")
                .nth(1)
                .and_then(|rest| rest.split('\'').next())
                .unwrap_or_else(|| panic!("{path}: scripts but no nonce in {csp}"));
            assert_eq!(
                body.matches(&format!("nonce=\"{nonce}\"")).count(),
                scripts,
                "{path}: every script carries the page's nonce"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_ends_after_thirty_idle_minutes_and_twelve_hours_however_used() {
    let app = TestApp::new().await;
    let editor = app.member("acme", Role::Editor).await;
    let signed_in = |answer: Answer| answer.status.is_success();

    // Idle: 29 minutes is fine, and extends it; then 30 minutes unused ends it.
    let cookie = app.sign_in(&editor).await;
    app.clock.advance(time::Duration::minutes(29));
    assert!(signed_in(app.call(Some(&cookie), "my_orgs", &[]).await));
    app.clock.advance(time::Duration::minutes(29));
    assert!(
        signed_in(app.call(Some(&cookie), "my_orgs", &[]).await),
        "58 minutes after signing in, 29 unused"
    );
    app.clock.advance(time::Duration::minutes(30));
    assert_eq!(
        app.call(Some(&cookie), "my_orgs", &[]).await.error(),
        app::error::AppError::Unauthorized
    );
    let page = app.get(Some(&cookie), "/o/acme/dashboard").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "to sign-in");

    // Absolute: used every 20 minutes, it still ends 12 hours after signing in.
    let cookie = app.sign_in(&editor).await;
    for _ in 0..(12 * 3 - 1) {
        app.clock.advance(time::Duration::minutes(20));
        assert!(signed_in(app.call(Some(&cookie), "my_orgs", &[]).await));
    }
    app.clock.advance(time::Duration::minutes(20));
    assert_eq!(
        app.call(Some(&cookie), "my_orgs", &[]).await.error(),
        app::error::AppError::Unauthorized
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_removed_members_session_stops_working_on_the_next_request() {
    use switchyard::schema::memberships;
    let app = TestApp::new().await;
    let editor = app.member("acme", Role::Editor).await;
    let cookie = app.sign_in(&editor).await;
    assert_eq!(
        app.get(Some(&cookie), "/o/acme/workflows").await.status,
        StatusCode::OK
    );
    let mut conn = app.db.conn().await;
    diesel::delete(memberships::table.filter(memberships::user_id.eq(editor.user_id.sql())))
        .execute(&mut conn)
        .await
        .expect("remove");
    assert_eq!(
        app.call(Some(&cookie), "current_member", &[("org", "acme")])
            .await
            .error(),
        app::error::AppError::NotFound
    );
    assert_eq!(
        app.get(Some(&cookie), "/o/acme/workflows").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bodies_over_the_limits_are_refused() {
    let app = TestApp::new().await;
    let big = |n: usize| format!("email=a%40b.test&password={}", "x".repeat(n));
    let send = |path: &str, body: String| {
        from_the_app(Request::post(path))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .body(Body::from(body))
            .expect("request")
    };
    let answer = app.send(send("/api/login", big(32 << 10))).await;
    assert_eq!(
        answer.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        answer.body
    );
    let answer = app.send(send("/api/save_workflow", big(2 << 20))).await;
    assert_eq!(
        answer.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        answer.body
    );
    // A body without a length is cut off as it is read.
    let chunks = futures_util::stream::iter(
        (0..40).map(|_| Ok::<_, std::io::Error>(axum::body::Bytes::from(vec![b'x'; 64 << 10]))),
    );
    let answer = app
        .send(
            from_the_app(Request::post("/api/save_workflow"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ACCEPT, "application/json")
                .body(Body::from_stream(chunks))
                .expect("request"),
        )
        .await;
    assert!(
        answer.status.is_client_error(),
        "{} {}",
        answer.status,
        answer.body
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_of_wrong_sign_ins_leaves_pages_and_runs_answering() {
    let app = std::sync::Arc::new(TestApp::new().await);
    let admin = app.member("acme", Role::Admin).await;
    let editor = app.member("acme", Role::Editor).await;
    let cookie = app.sign_in(&editor).await;
    let workflow = app.workflow(&editor, "Onboarding", 1).await;
    let draft = app.workflow(&editor, "Draft", 1).await;
    let key = crate::ingest::key(&app, "acme").await;
    app.activate(&admin, &workflow.id).await;
    // The engine's workers, on a pool of their own as `serve` gives them.
    let engine_pool = switchyard::db::pool(&app.db.url, 3).expect("pool");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let workers = server::workers::start(
        &engine_pool,
        &app.db.url,
        &server::workers::WorkerSettings::default(),
        &stopped,
    );
    let flood: Vec<_> = (0..200)
        .map(|n| {
            let app = app.clone();
            tokio::spawn(async move {
                let email = format!("user{}@acme.test", n % 7);
                app.call(
                    None,
                    "login",
                    &[("email", &email), ("password", "wrong guess")],
                )
                .await
                .status
            })
        })
        .collect();
    // While they are checked, a signed-in page, a change and a run still answer.
    let page = app.get(Some(&cookie), "/o/acme/workflows").await;
    assert_eq!(page.status, StatusCode::OK);
    let changed = app
        .call(
            Some(&cookie),
            "apply_verb",
            &[
                ("org", "acme"),
                ("id", draft.id.as_str()),
                ("verb", "activate"),
            ],
        )
        .await;
    assert!(
        changed.status.is_success(),
        "{} {}",
        changed.status,
        changed.body
    );
    let run = app.deal_won(&key).await;
    assert_eq!(app.succeeded(&run).await, "Succeeded");
    let unfinished = flood.iter().filter(|t| !t.is_finished()).count();
    for attempt in flood {
        assert_eq!(attempt.await.expect("task"), StatusCode::UNAUTHORIZED);
    }
    stop.send(true).expect("stop");
    for worker in workers {
        worker.await.expect("worker");
    }
    // Not a timing: the page, the change and the run were answered while sign-ins still waited
    // for the password threads.
    assert!(unfinished > 0, "the flood was still going on");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_that_does_not_send_its_headers_in_time_is_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::new().await;
    let served = app.serve_tcp(std::time::Duration::from_millis(300)).await;
    let address = served.address;
    // A slow client: half a request's headers, then nothing.
    let mut slow = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    slow.write_all(b"GET /login HTTP/1.1\r\nHost: switchyard.test\r\n")
        .await
        .expect("send");
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        slow.read_to_end(&mut rest),
    )
    .await;
    assert!(closed.is_ok(), "the server closed the connection");
    // Whole requests are still answered.
    let mut client = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    client
        .write_all(b"GET /login HTTP/1.1\r\nHost: switchyard.test\r\nConnection: close\r\n\r\n")
        .await
        .expect("send");
    let mut answer = Vec::new();
    client.read_to_end(&mut answer).await.expect("read");
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer[..answer.len().min(200)])
    );
    served.stop().await;
}
