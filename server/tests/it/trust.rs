//! Issue 24's holes, each tried as the review tried it, against the real router: a `$regex`
//! that holds PostgreSQL, the forged and over-shared audit, a sign-out undone by requests in
//! flight, slow bodies taking every slot, a Viewer's preview, errors read from the address.

use crate::ingest::json_body;
use crate::{HOST, ORIGIN, TestApp};
use app::error::AppError;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use std::time::{Duration, Instant};
use switchyard::Role;
use switchyard::entity::Scope;

async fn key(app: &TestApp, org: &str, scopes: &[Scope]) -> String {
    let admin = app.member(org, Role::Admin).await;
    let mut conn = app.db.conn().await;
    switchyard::api_key::create(
        &mut conn,
        &admin,
        &switchyard::api_key::KeyRequest::new("trust", scopes),
    )
    .await
    .expect("key")
    .1
}

fn with_key(method: &str, path: &str, key: &str, body: Option<serde_json::Value>) -> Request<Body> {
    let builder = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, HOST)
        .header(header::AUTHORIZATION, format!("Bearer {key}"));
    match body {
        Some(body) => builder
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string())),
        None => builder.body(Body::empty()),
    }
    .expect("request")
}

/// Statements still running on the test's database that contain `like`.
async fn running(app: &TestApp, like: &str) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.db.conn().await;
    diesel::sql_query(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() \
         AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE $1",
    )
    .bind::<diesel::sql_types::Text, _>(like)
    .get_result::<Count>(&mut conn)
    .await
    .expect("activity")
    .n
}

/// The review's pattern: a back-reference PostgreSQL matches in exponential time (minutes
/// against 61 characters). Twelve at once took the pool from every organization.
#[tokio::test(flavor = "multi_thread")]
async fn twelve_back_reference_searches_leave_another_organizations_page_answering() {
    let app = TestApp::new().await;
    let acme = app.member("acme", Role::Admin).await;
    let globex = app.member("globex", Role::Admin).await;
    app.workflow(&globex, "Globex onboarding", 1).await;
    let slow = {
        let mut conn = app.db.conn().await;
        let mut input = switchyard::workflow::WorkflowInput {
            name: "r".into(),
            trigger_event: "Deal.won".into(),
            description: "a".repeat(61),
            ..Default::default()
        };
        input.steps.clear();
        switchyard::verbs::create(
            &mut conn,
            &switchyard::hooks::Hooks::with_defaults(),
            &acme,
            &input,
        )
        .await
        .expect("create")
    };
    assert_eq!(slow.description.len(), 61);
    let read = key(&app, "acme", &[Scope::Read]).await;
    let filter = app::urlencode(r#"{"description":{"$regex":"^((a+)\\2)+$"}}"#);
    let path = format!("/~acme/workflows?filter={filter}");
    let searches: Vec<_> = (0..12)
        .map(|_| {
            let router = app.router();
            let request = with_key("GET", &path, &read, None);
            tokio::spawn(async move {
                use tower::ServiceExt;
                let response = router.oneshot(request).await.expect("answer");
                let status = response.status();
                let body = http_body_util::BodyExt::collect(response.into_body())
                    .await
                    .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
                    .unwrap_or_default();
                (status, body)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let cookie = app.sign_in(&globex).await;
    let started = Instant::now();
    let page = app.get(Some(&cookie), "/o/globex/workflows").await;
    let took = started.elapsed();
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Globex onboarding"));
    assert!(took < Duration::from_secs(1), "globex waited {took:?}");
    for search in searches {
        let (status, body) = search.await.expect("search");
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let error: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert!(
            error["error"]["field"]
                .as_str()
                .is_some_and(|f| f.starts_with("filter")),
            "{body}"
        );
        assert!(
            error["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("refer back")),
            "{body}"
        );
    }
    assert_eq!(
        running(&app, "%~%").await,
        0,
        "no query outlived its request"
    );
    // A pattern without back-references still searches.
    let plain = app::urlencode(r#"{"description":{"$regex":"^a+$"}}"#);
    let found = app
        .send(with_key(
            "GET",
            &format!("/~acme/workflows?filter={plain}"),
            &read,
            None,
        ))
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    assert_eq!(json_body(&found)["total"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_or_a_member_cannot_forge_the_audit_and_reading_it_takes_the_admin_scope() {
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let editor = app.member("acme", Role::Editor).await;
    let viewer = app.member("acme", Role::Viewer).await;
    let sender = key(&app, "acme", &[Scope::EventsWrite]).await;
    let forged = json!({"type": "Member.signedIn", "data": {"address": "203.0.113.66"}});
    let answer = app
        .send(with_key(
            "POST",
            "/~acme/events",
            &sender,
            Some(forged.clone()),
        ))
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.body
    );
    assert_eq!(json_body(&answer)["error"]["field"], "type");
    let role = json!({"type": "Member.roleChanged", "data": {"from": "Viewer", "to": "Admin"}});
    let answer = app
        .send(with_key("POST", "/~acme/events", &sender, Some(role)))
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A member's cookie, from the app's own pages, is refused the same way.
    let cookie = app.sign_in(&editor).await;
    let answer = app
        .send(
            Request::post("/~acme/events")
                .header(header::HOST, HOST)
                .header(header::ORIGIN, ORIGIN)
                .header(header::COOKIE, &cookie)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(forged.to_string()))
                .expect("request"),
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.body
    );
    let audit_cookie = app.sign_in(&admin).await;
    let audit = app.get(Some(&audit_cookie), "/o/acme/audit").await;
    assert!(
        !audit.body.contains("203.0.113.66"),
        "no forged sign-in shown"
    );

    // A key with the `admin` scope reads sign-in records, with the address and browser (the
    // feed shows an event once every older transaction on the server has ended: wait for it).
    let admin_key = key(&app, "acme", &[Scope::Admin]).await;
    let mut results = Vec::new();
    for _ in 0..100 {
        let feed = app
            .send(with_key(
                "GET",
                "/~acme/events?type=Member.signedIn",
                &admin_key,
                None,
            ))
            .await;
        assert_eq!(feed.status, StatusCode::OK, "{}", feed.body);
        results = json_body(&feed)["results"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if results.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(results.len() >= 2, "{results:?}");
    assert!(
        results.iter().all(|e| e["data"]["browser"].is_string()),
        "{results:?}"
    );
    // Not a `read` key, nor a Viewer's events page.
    let read = key(&app, "acme", &[Scope::Read]).await;
    let feed = app
        .send(with_key(
            "GET",
            "/~acme/events?type=Member.signedIn",
            &read,
            None,
        ))
        .await;
    assert_eq!(feed.status, StatusCode::OK);
    assert_eq!(json_body(&feed)["results"], json!([]), "{}", feed.body);
    let viewer_cookie = app.sign_in(&viewer).await;
    let log = app
        .call(
            Some(&viewer_cookie),
            "event_log",
            &[("org", "acme"), ("event_type", "Member.signedIn")],
        )
        .await;
    assert!(log.status.is_success(), "{}", log.body);
    assert!(!log.body.contains("Member.signedIn"), "{}", log.body);
    let admins_log = app
        .call(
            Some(&audit_cookie),
            "event_log",
            &[("org", "acme"), ("event_type", "Member.signedIn")],
        )
        .await;
    assert!(
        admins_log.body.contains("Member.signedIn"),
        "{}",
        admins_log.body
    );
}

/// The review's race: requests still running when the session is deleted wrote it back, which
/// undid sign-out (and "end my other sessions", and a password change's ending of sessions).
#[tokio::test(flavor = "multi_thread")]
async fn a_sign_out_stays_signed_out_whatever_requests_were_in_flight() {
    let app = TestApp::new().await;
    let viewer = app.member("acme", Role::Viewer).await;
    let cookie = app.sign_in(&viewer).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let busy: Vec<_> = (0..8)
        .map(|_| {
            let (router, cookie, stop) = (app.router(), cookie.clone(), stop.clone());
            tokio::spawn(async move {
                use tower::ServiceExt;
                let mut answered = 0;
                while !std::sync::atomic::AtomicBool::load(
                    &stop,
                    std::sync::atomic::Ordering::Relaxed,
                ) {
                    // The settings page changes the session (it takes one-time secrets out).
                    let request = Request::get("/o/acme/settings")
                        .header(header::HOST, HOST)
                        .header(header::COOKIE, &cookie)
                        .body(Body::empty())
                        .expect("request");
                    let _ = router.clone().oneshot(request).await;
                    answered += 1;
                }
                answered
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let out = app.call(Some(&cookie), "logout", &[]).await;
    assert!(
        out.status.is_success() || out.status.is_redirection(),
        "{}",
        out.status
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut total = 0;
    for task in busy {
        total += task.await.expect("task");
    }
    assert!(total >= 8, "requests were in flight: {total}");
    let after = app.get(Some(&cookie), "/o/acme/dashboard").await;
    assert_eq!(after.status, StatusCode::SEE_OTHER, "still signed out");
    assert!(
        after
            .location
            .as_deref()
            .is_some_and(|l| l.starts_with("/login")),
        "{:?}",
        after.location
    );
    let mut conn = app.db.conn().await;
    let kept = switchyard::account::sessions(&mut conn, &viewer.user_id, None)
        .await
        .expect("sessions");
    assert!(kept.is_empty(), "{kept:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn session_ids_are_stored_as_digests_and_a_sign_in_starts_empty() {
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let other_admin = {
        let mut conn = app.db.conn().await;
        switchyard::setup::add_user(
            &mut conn,
            &admin.org,
            "second@acme.test",
            "Second",
            switchyard::testing::PASSWORD,
            Role::Admin,
        )
        .await
        .expect("second admin")
    };
    let cookie = app.sign_in(&admin).await;
    let id = cookie.split_once('=').expect("name=value").1.to_owned();
    let stored: Vec<String> = {
        let mut conn = app.db.conn().await;
        switchyard::schema::sessions::table
            .select(switchyard::schema::sessions::id)
            .load(&mut conn)
            .await
            .expect("sessions")
    };
    assert!(!stored.contains(&id), "the cookie's id is not stored");
    assert!(stored.contains(&switchyard::repo::session::stored_id(&id)));
    // A key made and not shown yet (the Admin never opened Settings after)...
    let made = app
        .call(
            Some(&cookie),
            "create_api_key",
            &[("org", "acme"), ("name", "Zapier"), ("read", "on")],
        )
        .await;
    assert!(made.status.is_success(), "{}", made.body);
    // ...is not shown to the next person who signs in on that browser.
    let next = app
        .call(
            Some(&cookie),
            "login",
            &[
                ("email", other_admin.email.as_str()),
                ("password", switchyard::testing::PASSWORD),
            ],
        )
        .await;
    assert!(next.status.is_success(), "{}", next.body);
    let theirs = next.cookie();
    assert_ne!(theirs, cookie);
    let settings = app.get(Some(&theirs), "/o/acme/settings").await;
    assert!(settings.body.contains("Zapier"), "the key is listed");
    assert!(
        !settings.body.contains("id=\"new-key\""),
        "its secret is not shown: {}",
        settings.body
    );
}

/// The review's slow-body attack: a few hundred connections sending a byte every few seconds
/// held every slot of the concurrency limit while their bodies trickled in.
#[tokio::test(flavor = "multi_thread")]
async fn three_hundred_slow_bodies_leave_a_signed_in_page_answering() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::new().await;
    let viewer = app.member("acme", Role::Viewer).await;
    let cookie = app.sign_in(&viewer).await;
    let served = app.serve_tcp(Duration::from_secs(10)).await;
    let address = served.address;
    let head = format!(
        "POST /api/login HTTP/1.1\r\nHost: {HOST}\r\nOrigin: {ORIGIN}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 15000\r\n\r\n"
    );
    let mut slow = Vec::new();
    for _ in 0..300 {
        let mut stream = tokio::net::TcpStream::connect(address)
            .await
            .expect("connect");
        stream.write_all(head.as_bytes()).await.expect("head");
        stream.write_all(b"e").await.expect("a byte");
        slow.push(stream);
    }
    let trickle = tokio::spawn(async move {
        for _ in 0..4 {
            tokio::time::sleep(Duration::from_secs(1)).await;
            for stream in &mut slow {
                let _ = stream.write_all(b"m").await;
            }
        }
        slow
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    let mut client = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    client
        .write_all(
            format!(
                "GET /o/acme/dashboard HTTP/1.1\r\nHost: {HOST}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .expect("send");
    let mut answer = Vec::new();
    client.read_to_end(&mut answer).await.expect("read");
    let took = started.elapsed();
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer[..answer.len().min(300)])
    );
    assert!(took < Duration::from_secs(2), "the page took {took:?}");
    let mut slow = trickle.await.expect("trickle");
    // The slow ones were refused or cut off, each with an answer.
    let mut statuses = std::collections::BTreeMap::new();
    for stream in slow.iter_mut().take(20) {
        let mut bytes = vec![0; 64];
        let n = tokio::time::timeout(Duration::from_secs(15), stream.read(&mut bytes))
            .await
            .map(|r| r.unwrap_or(0))
            .unwrap_or(0);
        let line = String::from_utf8_lossy(&bytes[..n])
            .chars()
            .take(12)
            .collect::<String>();
        *statuses.entry(line).or_insert(0) += 1;
    }
    assert!(
        statuses
            .keys()
            .all(|l| l.starts_with("HTTP/1.1 429") || l.starts_with("HTTP/1.1 408")),
        "{statuses:?}"
    );
    drop(slow);
    served.stop().await;
}

/// The review's preview: a Viewer could have the server work out whatever steps and sample
/// it sent (the evaluator's time budget is tested in `mapping::eval`).
#[tokio::test(flavor = "multi_thread")]
async fn a_viewer_cannot_preview_unsaved_steps_and_an_editor_can() {
    let app = TestApp::new().await;
    let viewer = app.member("acme", Role::Viewer).await;
    let editor = app.member("acme", Role::Editor).await;
    let heavy = format!("({}==0)", ["deal.b"; 8].join("+"));
    let heavy = [heavy.as_str(); 8].join("+");
    let sample = json!({"b": "x".repeat(120_000)}).to_string();
    let mut form: Vec<(String, String)> = vec![
        ("org".into(), "acme".into()),
        ("name".into(), "Heavy".into()),
        ("trigger_event".into(), "Deal.won".into()),
        ("error_handling".into(), "Continue".into()),
        ("sample".into(), sample),
    ];
    for step in 0..12 {
        form.push((format!("steps[{step}][action]"), "Customer.create".into()));
        for row in 0..30 {
            form.push((
                format!("steps[{step}][mapping][{row}][field]"),
                format!("f{row}"),
            ));
            form.push((
                format!("steps[{step}][mapping][{row}][expr]"),
                heavy.clone(),
            ));
        }
    }
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let cookie = app.sign_in(&viewer).await;
    let refused = app.call(Some(&cookie), "preview_workflow", &pairs).await;
    assert_eq!(
        refused.status,
        StatusCode::FORBIDDEN,
        "{}",
        &refused.body[..refused.body.len().min(300)]
    );
    assert_eq!(refused.error(), AppError::Forbidden);

    let cookie = app.sign_in(&editor).await;
    let answer = app.call(Some(&cookie), "preview_workflow", &pairs).await;
    assert!(answer.status.is_success(), "{}", answer.status);
    let kept = app
        .call(Some(&cookie), "editing_workflow", &[("org", "acme")])
        .await;
    let (kept, _): (
        Option<app::server_fns::workflows::Editing>,
        switchyard::editor::EditorChoices,
    ) = serde_json::from_str(&kept.body).expect("the previewed form");
    let dry = kept.and_then(|k| k.dry).expect("its preview");
    assert_eq!(dry.steps.len(), 12);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_error_written_into_an_address_is_never_shown() {
    use base64::Engine;
    let app = TestApp::new().await;
    let viewer = app.member("acme", Role::Viewer).await;
    let forged = base64::engine::general_purpose::URL_SAFE.encode(
        serde_json::to_string(&AppError::SignIn(
            "Password expired: reset at https://evil.example".into(),
        ))
        .expect("json"),
    );
    let page = app
        .get(None, &format!("/login?__path=/api/login&__err={forged}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("Password expired"), "{}", page.body);
    // A real error comes back to the browser that made it, and to no other.
    let form = [
        ("email", viewer.email.as_str()),
        ("password", "wrong password"),
    ];
    let failed = app
        .post_form(None, "login", &form, "http://switchyard.test/login")
        .await;
    let back = failed.location.clone().expect("back to the page");
    assert!(
        back.contains("__flash=") && !back.contains("__err"),
        "{back}"
    );
    let elsewhere = app.get(None, &back).await;
    assert!(!elsewhere.body.contains("do not match"), "another browser");
    let shown = app.get(Some(&failed.cookie()), &back).await;
    assert!(shown.body.contains("do not match"), "{}", shown.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_versions_page_reads_twenty_versions_a_page() {
    let app = TestApp::new().await;
    let editor = app.member("acme", Role::Editor).await;
    let workflow = app.workflow(&editor, "Versioned", 1).await;
    {
        let mut conn = app.db.conn().await;
        let hooks = switchyard::hooks::Hooks::with_defaults();
        let mut input = switchyard::workflow::WorkflowInput::from_fields(&workflow.fields());
        for version in 1..45 {
            input.description = format!("Saved {version} times");
            switchyard::verbs::save(
                &mut conn,
                &hooks,
                &editor,
                Some((&workflow.id, version)),
                &input,
            )
            .await
            .expect("save");
        }
    }
    let cookie = app.sign_in(&editor).await;
    let base = format!("/o/acme/workflows/{}/versions", workflow.id);
    let first = app.get(Some(&cookie), &base).await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(
        first.body.contains("Versions 26–45 of 45"),
        "{}",
        first.body
    );
    assert!(first.body.contains(&format!("{base}?before=26")));
    assert!(!first.body.contains("Newer versions"));
    let second = app.get(Some(&cookie), &format!("{base}?before=26")).await;
    assert!(
        second.body.contains("Versions 6–25 of 45"),
        "{}",
        second.body
    );
    assert!(
        second.body.contains(&format!("href=\"{base}\"")),
        "back to the newest"
    );
    let last = app.get(Some(&cookie), &format!("{base}?before=6")).await;
    assert!(last.body.contains("Versions 1–5 of 45"), "{}", last.body);
    assert!(last.body.contains("Created"));
    assert!(!last.body.contains("Older versions"));
    // Any two still compare, whatever page they are on.
    let compared = app.get(Some(&cookie), &format!("{base}?a=2&b=44")).await;
    assert!(
        compared.body.contains("Version 2 and version 44"),
        "{}",
        compared.body
    );
}
