//! Alerts by email: the failure rate and a new failure group reach the people the rule names
//! (the Admins until one is chosen), once per alert and workflow in the quiet time, not those
//! who turned alert emails off, with the workflow, the rate and links in the letter.

use crate::engine::{LEASE, active, post, step};
use serde_json::json;
use switchyard::alerts::{notify, rules};
use switchyard::engine;
use switchyard::mail::{Mail, Settings};
use switchyard::testing::smtp::SmtpSink;
use switchyard::testing::{TestDb, member};
use switchyard::workflow::WorkflowInput;
use switchyard::{DomainError, Role};
use time::{Duration, OffsetDateTime};

const BASE: &str = "https://switchyard.acme.test";

/// Ticks until the mailer has read every alert recorded so far (one committed while another
/// transaction of the cluster was still running shows only once that ends); the letters sent.
async fn tick(db: &TestDb, mail: &Mail, now: OffsetDateTime) -> usize {
    use diesel::QueryableByName;
    use diesel_async::RunQueryDsl;
    #[derive(QueryableByName)]
    struct Left {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut sent = 0;
    for _ in 0..400 {
        sent += notify::tick(&db.pool, mail, Some(BASE), now)
            .await
            .expect("tick");
        let mut conn = db.conn().await;
        let left: Left = diesel::sql_query(
            "SELECT count(*) AS n FROM events e, alert_cursor c
             WHERE e.type IN ('workflow.high_failure_rate', 'FailureGroup.opened', 'Endpoint.disabled')
               AND (e.xid, e.seq) > (c.xid, c.seq)",
        )
        .get_result(&mut conn)
        .await
        .expect("left");
        if left.n == 0 {
            return sent;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the mailer never read every alert");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_workflow_emails_its_people_once_per_quiet_time_and_not_those_who_opted_out() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let editor = member(&mut conn, "acme", Role::Editor).await;
    let viewer = member(&mut conn, "acme", Role::Viewer).await;
    member(&mut conn, "globex", Role::Admin).await;
    let sink = SmtpSink::start().await;
    let mail =
        Mail::new(Settings::parse(&sink.url(), "Switchyard <s@acme.test>").unwrap()).unwrap();
    let failing = WorkflowInput {
        name: "Failing".into(),
        trigger_event: "Deal.won".into(),
        steps: vec![step("Customer.update", &[("$id", "\"customer_Nope0000\"")])],
        ..Default::default()
    };
    active(&mut conn, &admin, failing).await;
    // A webhook endpoint taking the same alert.
    let key = switchyard::secrets::SecretsKey::parse(&switchyard::secrets::SecretsKey::new_text())
        .unwrap();
    let hook = switchyard::webhook::EndpointInput {
        url: "https://hooks.example.com/alerts".into(),
        events: "workflow.high_failure_rate".into(),
        description: String::new(),
    };
    switchyard::webhooks::endpoints::create(&mut conn, Some(&key), &admin, &hook)
        .await
        .expect("endpoint");
    let deliveries = async |conn: &mut switchyard::db::Conn| -> i64 {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use switchyard::schema::webhook_deliveries as d;
        d::table.count().get_result(conn).await.expect("count")
    };
    let t0 = OffsetDateTime::now_utc() + Duration::minutes(1);
    for _ in 0..3 {
        post(&mut conn, &admin, "Deal.won", json!({})).await;
        engine::drain(&mut conn, "w1", LEASE, t0)
            .await
            .expect("drain");
    }
    switchyard::housekeeping::fold(&mut conn)
        .await
        .expect("fold");

    // No rule chosen: the Admins, for the failure rate and the new failure group.
    let now = OffsetDateTime::now_utc();
    assert_eq!(tick(&db, &mail, now).await, 2);
    let got = sink.wait_for(2).await;
    assert!(
        got.iter().all(|m| m.to == ["admin@acme.test"]),
        "{:?}",
        got.iter().map(|m| &m.to).collect::<Vec<_>>()
    );
    let rate = got
        .iter()
        .find(|m| m.subject().contains("fails"))
        .expect("the failure rate's");
    assert!(
        rate.subject()
            .starts_with("[Org acme] Failing fails 100% of its runs"),
        "{}",
        rate.subject()
    );
    let body = rate.body();
    assert!(body.contains("above Org acme's threshold of"), "{body}");
    assert!(
        body.contains("Its largest failure group in the last 7 days: step 1"),
        "{body}"
    );
    assert!(
        body.contains(&format!("The dashboard: {BASE}/o/acme/dashboard")),
        "{body}"
    );
    assert!(
        body.contains(&format!("{BASE}/o/acme/runs?workflow=")) && body.contains("&group="),
        "{body}"
    );
    let group = got
        .iter()
        .find(|m| m.subject().contains("A new failure in Failing at step 1"))
        .expect("the group's");
    assert!(
        group.body().contains("There is no Customer"),
        "{}",
        group.body()
    );
    assert_eq!(tick(&db, &mail, now).await, 0, "each alert once");

    // The Admin chooses the Editor and the Viewer, two hours apart at most; the Viewer opts out.
    let ids = [editor.user_id.to_string(), viewer.user_id.to_string()];
    assert_eq!(
        rules::save(&mut conn, &editor, "FailureRate", &ids, "120")
            .await
            .map(|r| r.quiet_minutes),
        Err(DomainError::Forbidden)
    );
    let bad = rules::save(
        &mut conn,
        &admin,
        "FailureRate",
        &["user_Nobody00".into()],
        "2",
    )
    .await;
    let Err(DomainError::Validation(fields)) = bad else {
        panic!("{bad:?}")
    };
    assert_eq!(
        fields.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(),
        ["email_to", "quiet_minutes"]
    );
    rules::save(&mut conn, &admin, "FailureRate", &ids, "120")
        .await
        .expect("saved");
    rules::set_own_emails(&mut conn, &viewer, false)
        .await
        .expect("opted out");
    let settings = rules::settings(&mut conn, &admin).await.expect("settings");
    assert!(
        settings
            .members
            .iter()
            .any(|m| m.user == viewer.user_id && m.opted_out)
    );

    // Still failing an hour later: the engine raises it again, inside the two hours: no email.
    post(&mut conn, &admin, "Deal.won", json!({})).await;
    engine::drain(&mut conn, "w1", LEASE, t0 + Duration::minutes(61))
        .await
        .expect("drain");
    assert_eq!(tick(&db, &mail, now + Duration::minutes(61)).await, 0);
    // After the quiet time: the Editor, not the Viewer who opted out, nor the Admin.
    post(&mut conn, &admin, "Deal.won", json!({})).await;
    engine::drain(&mut conn, "w1", LEASE, t0 + Duration::minutes(125))
        .await
        .expect("drain");
    assert_eq!(tick(&db, &mail, now + Duration::minutes(125)).await, 1);
    let got = sink.wait_for(3).await;
    assert_eq!(got[2].to, ["editor@acme.test"]);
    assert_eq!(
        deliveries(&mut conn).await,
        3,
        "each time the engine raised it, one webhook"
    );
    assert!(
        got.iter()
            .all(|m| !m.to.iter().any(|t| t.contains("globex")))
    );

    // Email off: alerts are passed over, not kept for later.
    post(&mut conn, &admin, "Deal.won", json!({})).await;
    engine::drain(&mut conn, "w1", LEASE, t0 + Duration::minutes(250))
        .await
        .expect("drain");
    assert_eq!(
        tick(&db, &Mail::off(), now + Duration::minutes(250)).await,
        0
    );
    assert_eq!(tick(&db, &mail, now + Duration::minutes(250)).await, 0);
    assert_eq!(sink.messages().len(), 3);
}
