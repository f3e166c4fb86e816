use crate::TestApp;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;
use switchyard::Role;

#[tokio::test(flavor = "multi_thread")]
async fn the_servers_workers_wake_on_notify_run_a_posted_event_and_stop_when_asked() {
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let workflow = app.workflow(&admin, "Onboarding", 2).await;
    let mut conn = app.db.conn().await;
    switchyard::verbs::activate(
        &mut conn,
        &switchyard::hooks::Hooks::with_defaults(),
        &admin,
        &workflow.id,
    )
    .await
    .expect("activate");
    let (_, key) = switchyard::api_key::create(
        &mut conn,
        &admin,
        &switchyard::api_key::KeyRequest::new("test", &switchyard::entity::Scope::ALL),
    )
    .await
    .expect("key");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    // Polling once a minute: only the NOTIFY sent at commit can wake them in time.
    let settings = server::workers::WorkerSettings {
        poll: std::time::Duration::from_secs(60),
        ..Default::default()
    };
    let workers = server::workers::start(&app.db.pool, &app.db.url, &settings, &stopped);
    // The first run may be found when the listener starts; the second only by its NOTIFY.
    for customer in ["Acme", "Globex"] {
        let request = Request::post("/~acme/events")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {key}"))
            .body(Body::from(
                json!({"type": "Deal.won", "data": {"name": customer}}).to_string(),
            ))
            .expect("request");
        let answer = app.send(request).await;
        assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
        let run: String =
            serde_json::from_str::<serde_json::Value>(&answer.body).expect("json")["runs"][0]
                .as_str()
                .expect("run")
                .to_owned();
        assert_eq!(
            app.succeeded(&run).await,
            "Succeeded",
            "the run for {customer}"
        );
    }
    stop.send(true).expect("stop");
    for worker in workers {
        tokio::time::timeout(std::time::Duration::from_secs(5), worker)
            .await
            .expect("stops")
            .expect("joins");
    }
}
