//! Webhook endpoints: kept by Admins only, their secrets sealed and shown once, rotated with
//! both secrets signing for a day, and another organization's answering like a missing id.

use crate::secrets::occurrences;
use switchyard::id::EndpointId;
use switchyard::secrets::SecretsKey;
use switchyard::testing::{TestDb, member};
use switchyard::webhook::EndpointInput;
use switchyard::webhooks::{endpoints, sign};
use switchyard::{DomainError, Role};

fn input(url: &str, events: &str) -> EndpointInput {
    EndpointInput {
        url: url.into(),
        events: events.into(),
        description: "The CRM's inbox".into(),
    }
}

fn key() -> SecretsKey {
    SecretsKey::parse(&SecretsKey::new_text()).expect("key")
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_adds_an_endpoint_whose_secret_is_shown_once_and_stored_sealed() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let key = key();
    let made = endpoints::create(
        &mut conn,
        Some(&key),
        &admin,
        &input("https://hooks.example.com/in", "Run.failed, Deal.won"),
    )
    .await
    .expect("created");
    assert!(made.secret.starts_with(sign::PREFIX), "{}", made.secret);
    assert!(
        !format!("{made:?}").contains(&made.secret),
        "not in debug prints"
    );
    assert_eq!(made.endpoint.events, ["Run.failed", "Deal.won"]);
    assert_eq!(
        occurrences(&mut conn, &made.secret).await,
        0,
        "sealed at rest"
    );
    let id = EndpointId::parse(&made.endpoint.id).expect("id");
    let listed = endpoints::list(&mut conn, &admin).await.expect("list");
    assert_eq!(listed, std::slice::from_ref(&made.endpoint));
    let signing = endpoints::signing_secrets(&mut conn, Some(&key), &admin.org.id, &id)
        .await
        .expect("secrets");
    assert_eq!(signing, std::slice::from_ref(&made.secret));

    // Rotation: a new secret, shown once; both sign for a day.
    let rotated = endpoints::rotate(&mut conn, Some(&key), &admin, &id)
        .await
        .expect("rotated");
    assert_ne!(rotated.secret, made.secret);
    assert!(rotated.endpoint.previous_secret_until.is_some());
    let signing = endpoints::signing_secrets(&mut conn, Some(&key), &admin.org.id, &id)
        .await
        .expect("secrets");
    assert_eq!(signing, [rotated.secret.clone(), made.secret.clone()]);

    // A change keeps the secret; a bad one changes nothing and names the field.
    let changed = endpoints::update(
        &mut conn,
        &admin,
        &id,
        &input("https://hooks.example.com/v2", "Run.failed"),
    )
    .await
    .expect("updated");
    assert_eq!(
        (changed.url.as_str(), changed.events.len()),
        ("https://hooks.example.com/v2", 1)
    );
    let bad = endpoints::update(&mut conn, &admin, &id, &input("ftp://x", "")).await;
    let Err(DomainError::Validation(fields)) = bad else {
        panic!("{bad:?}")
    };
    let fields: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["url", "events"]);
    assert_eq!(
        endpoints::get(&mut conn, &admin, &id).await.expect("get"),
        changed
    );

    endpoints::delete(&mut conn, &admin, &id)
        .await
        .expect("deleted");
    assert_eq!(
        endpoints::get(&mut conn, &admin, &id).await,
        Err(DomainError::NotFound)
    );
    assert!(
        endpoints::list(&mut conn, &admin)
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(
        endpoints::delete(&mut conn, &admin, &id).await,
        Err(DomainError::NotFound)
    );

    // Without the operator's key there are no signed webhooks, and it says why.
    let refused = endpoints::create(
        &mut conn,
        None,
        &admin,
        &input("https://x.example/", "Run.failed"),
    )
    .await;
    assert!(
        matches!(refused, Err(DomainError::Refused(ref m)) if m.contains("SWITCHYARD_SECRETS_KEY")),
        "{refused:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn only_admins_keep_endpoints_and_another_organizations_look_missing() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let editor = member(&mut conn, "acme", Role::Editor).await;
    let viewer = member(&mut conn, "acme", Role::Viewer).await;
    let stranger = member(&mut conn, "globex", Role::Admin).await;
    let key = key();
    let made = endpoints::create(
        &mut conn,
        Some(&key),
        &admin,
        &input("https://hooks.example.com/in", "Run.failed"),
    )
    .await
    .expect("created");
    let id = EndpointId::parse(&made.endpoint.id).unwrap();
    let missing = EndpointId::parse("endpoint_Missing0").unwrap();
    let good = input("https://evil.example/", "Run.failed");

    for someone in [&editor, &viewer] {
        assert_eq!(
            endpoints::list(&mut conn, someone).await,
            Err(DomainError::Forbidden)
        );
        assert_eq!(
            endpoints::get(&mut conn, someone, &id).await,
            Err(DomainError::Forbidden)
        );
        assert_eq!(
            endpoints::rotate(&mut conn, Some(&key), someone, &id)
                .await
                .map(|w| w.secret),
            Err(DomainError::Forbidden)
        );
        assert_eq!(
            endpoints::create(&mut conn, Some(&key), someone, &good)
                .await
                .map(|w| w.secret),
            Err(DomainError::Forbidden)
        );
    }
    for target in [&id, &missing] {
        assert_eq!(
            endpoints::get(&mut conn, &stranger, target).await,
            Err(DomainError::NotFound)
        );
        assert_eq!(
            endpoints::update(&mut conn, &stranger, target, &good).await,
            Err(DomainError::NotFound)
        );
        assert_eq!(
            endpoints::rotate(&mut conn, Some(&key), &stranger, target)
                .await
                .map(|w| w.secret),
            Err(DomainError::NotFound)
        );
        assert_eq!(
            endpoints::enable(&mut conn, &stranger, target).await,
            Err(DomainError::NotFound)
        );
        assert_eq!(
            endpoints::delete(&mut conn, &stranger, target).await,
            Err(DomainError::NotFound)
        );
    }
    assert!(
        endpoints::list(&mut conn, &stranger)
            .await
            .expect("list")
            .is_empty()
    );
    // Untouched by all of it.
    assert_eq!(
        endpoints::get(&mut conn, &admin, &id).await.expect("get"),
        made.endpoint
    );
    let signing = endpoints::signing_secrets(&mut conn, Some(&key), &admin.org.id, &id)
        .await
        .expect("secrets");
    assert_eq!(signing, [made.secret]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_operators_key_rotation_reseals_endpoint_secrets_too() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let (old, new) = (key(), key());
    let made = endpoints::create(
        &mut conn,
        Some(&old),
        &admin,
        &input("https://hooks.example.com/in", "Run.failed"),
    )
    .await
    .expect("created");
    let id = EndpointId::parse(&made.endpoint.id).unwrap();
    let rotated = endpoints::rotate(&mut conn, Some(&old), &admin, &id)
        .await
        .expect("rotated");
    assert_eq!(
        switchyard::secrets::rotate(&mut conn, &old, &new).await,
        Ok(2),
        "the current and the previous secret"
    );
    let signing = endpoints::signing_secrets(&mut conn, Some(&new), &admin.org.id, &id)
        .await
        .expect("opens with the new key");
    assert_eq!(signing, [rotated.secret, made.secret]);
    assert!(
        endpoints::signing_secrets(&mut conn, Some(&old), &admin.org.id, &id)
            .await
            .is_err()
    );
    assert_eq!(
        switchyard::secrets::rotate(&mut conn, &old, &new).await,
        Ok(0),
        "nothing left to do"
    );
}

async fn post(
    conn: &mut switchyard::db::Conn,
    admin: &switchyard::Member,
    event_type: &str,
) -> String {
    let posted = switchyard::ingest::PostedEvent {
        event_type: event_type.into(),
        data: serde_json::json!({"name": "Globex", "amount": 1200}),
        id: None,
    };
    switchyard::ingest::send(conn, admin, &posted)
        .await
        .expect("sent")
        .event
        .to_string()
}

/// The outbox's rows: (endpoint, event, type, payload).
async fn outbox(
    conn: &mut switchyard::db::Conn,
) -> Vec<(String, Option<String>, String, serde_json::Value)> {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use switchyard::schema::webhook_deliveries as d;
    d::table
        .order(d::created_at)
        .select((d::endpoint_id, d::event_id, d::event_type, d::payload))
        .load::<(
            EndpointId,
            Option<switchyard::id::EventId>,
            String,
            serde_json::Value,
        )>(conn)
        .await
        .expect("outbox")
        .into_iter()
        .map(|(e, ev, t, p)| (e.to_string(), ev.map(|e| e.to_string()), t, p))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_writes_a_delivery_for_each_endpoint_that_takes_it_in_its_own_transaction() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let globex = member(&mut conn, "globex", Role::Admin).await;
    let key = key();
    let deals = endpoints::create(
        &mut conn,
        Some(&key),
        &admin,
        &input("https://a.example/", "Deal.won"),
    )
    .await
    .expect("created");
    let runs = endpoints::create(
        &mut conn,
        Some(&key),
        &admin,
        &input("https://b.example/", "Run.failed Deal.won"),
    )
    .await
    .expect("created");
    endpoints::create(
        &mut conn,
        Some(&key),
        &globex,
        &input("https://c.example/", "Deal.won"),
    )
    .await
    .expect("globex's");
    let gone = endpoints::create(
        &mut conn,
        Some(&key),
        &admin,
        &input("https://d.example/", "Deal.won"),
    )
    .await
    .expect("created");
    endpoints::delete(
        &mut conn,
        &admin,
        &EndpointId::parse(&gone.endpoint.id).unwrap(),
    )
    .await
    .expect("deleted");
    assert!(
        outbox(&mut conn).await.is_empty(),
        "the endpoints' own events are not sent to them"
    );

    let event = post(&mut conn, &admin, "Deal.won").await;
    post(&mut conn, &admin, "Deal.lost").await;
    let queued = outbox(&mut conn).await;
    let mut to: Vec<&str> = queued.iter().map(|q| q.0.as_str()).collect();
    to.sort();
    let mut expected = vec![deals.endpoint.id.as_str(), runs.endpoint.id.as_str()];
    expected.sort();
    assert_eq!(
        to, expected,
        "acme's live endpoints taking Deal.won, not globex's or a deleted one"
    );
    assert!(
        queued
            .iter()
            .all(|q| q.1.as_deref() == Some(event.as_str()) && q.2 == "Deal.won")
    );
    let payload = &queued[0].3;
    assert_eq!(payload["type"], "Deal.won");
    assert_eq!(payload["data"]["name"], "Globex");
    assert!(
        payload["timestamp"].as_str().unwrap().ends_with('Z'),
        "{payload}"
    );

    // An event whose transaction rolls back leaves no delivery behind.
    use diesel_async::AsyncConnection;
    let rolled: Result<(), switchyard::store_error::StoreError> = conn
        .transaction(async |conn| {
            let event = switchyard::repo::event::NewEvent::new(
                "Deal.won",
                serde_json::json!({}),
                switchyard::entity::EventSource::Api,
            );
            switchyard::repo::event::insert(conn, &admin.org.id, &event).await?;
            Err(switchyard::store_error::StoreError::Domain(
                DomainError::NotFound,
            ))
        })
        .await;
    assert!(rolled.is_err());
    assert_eq!(outbox(&mut conn).await.len(), 2);
}

/// Verifies a delivery as a receiver would, by the Standard Webhooks specification, with code
/// of its own (not the signer's): HMAC-SHA256 of `id.timestamp.body` under the secret's
/// decoded key, one of the space-separated `v1,` signatures equal to it.
fn verifies(secret: &str, received: &crate::http_steps::Received) -> bool {
    use base64::Engine as _;
    use hmac::{KeyInit, Mac};
    let b64 = base64::engine::general_purpose::STANDARD;
    let key = b64
        .decode(secret.trim_start_matches("whsec_"))
        .expect("key");
    let id = received.header("webhook-id").expect("webhook-id");
    let timestamp = received
        .header("webhook-timestamp")
        .expect("webhook-timestamp");
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).expect("hmac");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(&received.body);
    let expected = format!("v1,{}", b64.encode(mac.finalize().into_bytes()));
    received
        .header("webhook-signature")
        .expect("webhook-signature")
        .split(' ')
        .any(|s| s == expected)
}

async fn attempts(conn: &mut switchyard::db::Conn) -> Vec<(Option<i32>, String)> {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use switchyard::schema::webhook_attempts as a;
    a::table
        .order((a::at, a::n))
        .select((a::status, a::answer))
        .load(conn)
        .await
        .expect("attempts")
}

fn sender(
    clock: &switchyard::clock::Clock,
    key: &SecretsKey,
) -> switchyard::webhooks::deliver::Sender {
    use switchyard::egress::{Allowed, Guard};
    let guard = Guard::new(Allowed::parse("127.0.0.1").expect("allow")).expect("guard");
    switchyard::webhooks::deliver::Sender::new(&guard, Some(key.clone()), clock.clone())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_receiver_gets_the_same_signed_delivery_on_the_schedule_until_it_answers_2xx() {
    use crate::http_steps::{Endpoint, Reply};
    use switchyard::webhooks::deliver::send_due;
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let key = key();
    let receiver = Endpoint::start(|_, before| {
        Reply::json(
            if before < 3 { 500 } else { 200 },
            serde_json::json!({"seen": before}),
        )
    })
    .await;
    let made = endpoints::create(
        &mut conn,
        Some(&key),
        &admin,
        &input(&receiver.url("/hooks"), "Deal.won"),
    )
    .await
    .expect("created");
    let clock = switchyard::clock::Clock::default();
    let sender = sender(&clock, &key);
    post(&mut conn, &admin, "Deal.won").await;

    assert_eq!(send_due(&db.pool, &sender, 10).await, Ok(1), "at once");
    assert_eq!(
        send_due(&db.pool, &sender, 10).await,
        Ok(0),
        "not due again yet"
    );
    // 5 s later (within a tenth), then 5 min, then 30 min.
    for (early, due) in [
        (4_400, 5_600),
        (4 * 60_000 + 25_000, 5 * 60_000 + 35_000),
        (26 * 60_000, 34 * 60_000),
    ] {
        clock.advance(time::Duration::milliseconds(early));
        assert_eq!(
            send_due(&db.pool, &sender, 10).await,
            Ok(0),
            "not before {early} ms"
        );
        clock.advance(time::Duration::milliseconds(due - early));
        assert_eq!(send_due(&db.pool, &sender, 10).await, Ok(1), "by {due} ms");
    }
    let tried = attempts(&mut conn).await;
    let statuses: Vec<Option<i32>> = tried.iter().map(|t| t.0).collect();
    assert_eq!(statuses, [Some(500), Some(500), Some(500), Some(200)]);
    assert_eq!(
        tried[3].1, r#"{"seen":3}"#,
        "the start of the answer is kept"
    );
    clock.advance(time::Duration::hours(11));
    assert_eq!(
        send_due(&db.pool, &sender, 10).await,
        Ok(0),
        "delivered once"
    );

    let received = receiver.received();
    assert_eq!(received.len(), 4);
    let id = received[0].header("webhook-id").unwrap().to_owned();
    assert!(id.starts_with("msg_"), "{id}");
    for r in &received {
        assert_eq!(
            r.header("webhook-id"),
            Some(id.as_str()),
            "the same id on every attempt"
        );
        assert!(
            verifies(&made.secret, r),
            "signed with the endpoint's secret"
        );
        assert!(!verifies(&sign::new_secret(), r), "and not with any other");
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            (body["type"].as_str(), body["data"]["name"].as_str()),
            (Some("Deal.won"), Some("Globex"))
        );
    }
    let stamps: Vec<i64> = received
        .iter()
        .map(|r| r.header("webhook-timestamp").unwrap().parse().unwrap())
        .collect();
    assert!(
        stamps.windows(2).all(|w| w[1] > w[0]),
        "each attempt signed at its own time: {stamps:?}"
    );
    let endpoint = endpoints::get(
        &mut conn,
        &admin,
        &EndpointId::parse(&made.endpoint.id).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(endpoint.disabled, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_410_disables_the_endpoint_and_says_so_and_a_redirect_is_a_failure() {
    use crate::http_steps::{Endpoint, Reply};
    use switchyard::webhooks::deliver::send_due;
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let key = key();
    let gone = Endpoint::start(|_, _| Reply::json(410, serde_json::json!({}))).await;
    let moved = Endpoint::start(|_, _| Reply {
        status: 301,
        headers: vec![("location", "http://127.0.0.1:9/elsewhere".into())],
        body: Vec::new(),
        pause: std::time::Duration::ZERO,
    })
    .await;
    let first = endpoints::create(
        &mut conn,
        Some(&key),
        &admin,
        &input(&gone.url("/"), "Deal.won"),
    )
    .await
    .expect("created");
    endpoints::create(
        &mut conn,
        Some(&key),
        &admin,
        &input(&moved.url("/"), "Deal.won"),
    )
    .await
    .expect("created");
    let watcher = Endpoint::start(|_, _| Reply::json(204, serde_json::json!(null))).await;
    endpoints::create(
        &mut conn,
        Some(&key),
        &admin,
        &input(&watcher.url("/"), "Endpoint.disabled"),
    )
    .await
    .expect("created");
    let clock = switchyard::clock::Clock::default();
    let sender = sender(&clock, &key);
    post(&mut conn, &admin, "Deal.won").await;
    assert_eq!(send_due(&db.pool, &sender, 10).await, Ok(2));

    let id = EndpointId::parse(&first.endpoint.id).unwrap();
    let disabled = endpoints::get(&mut conn, &admin, &id)
        .await
        .unwrap()
        .disabled;
    let (_, reason) = disabled.expect("disabled by the 410");
    assert!(reason.contains("410 Gone"), "{reason}");
    let mut statuses: Vec<Option<i32>> = attempts(&mut conn).await.iter().map(|t| t.0).collect();
    statuses.sort();
    assert_eq!(
        statuses,
        [Some(301), Some(410)],
        "the redirect was not followed"
    );
    assert_eq!(moved.received().len(), 1);
    // The disabling is an event other endpoints may take: the watcher gets it.
    assert_eq!(send_due(&db.pool, &sender, 10).await, Ok(1));
    let told = watcher.received();
    let body: serde_json::Value = serde_json::from_slice(&told[0].body).unwrap();
    assert_eq!(body["type"], "Endpoint.disabled");
    assert_eq!(body["data"]["endpoint"], first.endpoint.id.as_str());
    // Nothing more is queued for the disabled endpoint; enabled again, it takes events again.
    post(&mut conn, &admin, "Deal.won").await;
    assert_eq!(gone.received().len(), 1);
    clock.advance(time::Duration::seconds(10));
    send_due(&db.pool, &sender, 10).await.unwrap();
    assert_eq!(gone.received().len(), 1);
    endpoints::enable(&mut conn, &admin, &id)
        .await
        .expect("enabled");
    post(&mut conn, &admin, "Deal.won").await;
    send_due(&db.pool, &sender, 10).await.unwrap();
    assert_eq!(gone.received().len(), 2);
}

/// Sends what is due until every pending delivery's attempts are spent.
async fn spend(
    pool: &switchyard::db::Pool,
    sender: &switchyard::webhooks::deliver::Sender,
    clock: &switchyard::clock::Clock,
) {
    for _ in 0..9 {
        switchyard::webhooks::deliver::send_due(pool, sender, 10)
            .await
            .unwrap();
        clock.advance(time::Duration::hours(11));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_delivery_log_filters_resends_and_sends_a_test_event_for_admins_of_its_organization_only()
 {
    use crate::http_steps::{Endpoint, Reply};
    use switchyard::webhook::{DeliveryQuery, DeliveryStatus, TEST_EVENT};
    use switchyard::webhooks::deliver::send_due;
    use switchyard::webhooks::deliveries;
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let viewer = member(&mut conn, "acme", Role::Viewer).await;
    let stranger = member(&mut conn, "globex", Role::Admin).await;
    let key = key();
    // Deal.won fails for good (400 then a 410 would disable: use 400 until told otherwise).
    let healthy = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = healthy.clone();
    let receiver = Endpoint::start(move |r, _| {
        let ok = flag.load(std::sync::atomic::Ordering::SeqCst)
            || r.body.windows(9).any(|w| w == b"Deal.lost");
        Reply::json(if ok { 200 } else { 400 }, serde_json::json!({"ok": ok}))
    })
    .await;
    let made = endpoints::create(
        &mut conn,
        Some(&key),
        &admin,
        &input(&receiver.url("/"), "Deal.won Deal.lost"),
    )
    .await
    .expect("created");
    let id = EndpointId::parse(&made.endpoint.id).unwrap();
    let clock = switchyard::clock::Clock::default();
    let sender = sender(&clock, &key);
    post(&mut conn, &admin, "Deal.won").await;
    post(&mut conn, &admin, "Deal.lost").await;
    spend(&db.pool, &sender, &clock).await;
    let log = deliveries::page(&mut conn, &admin, &id, &DeliveryQuery::default())
        .await
        .expect("log");
    assert_eq!(log.deliveries.len(), 2);
    let failed = log
        .deliveries
        .iter()
        .find(|d| d.event_type == "Deal.won")
        .unwrap();
    assert_eq!(failed.status, DeliveryStatus::Failed);
    assert_eq!(failed.attempts.len(), 8, "eight attempts in all");
    assert_eq!(failed.attempts[0].status, Some(400), "newest first");
    let only_failed = DeliveryQuery {
        status: Some(DeliveryStatus::Failed),
        ..Default::default()
    };
    let filtered = deliveries::page(&mut conn, &admin, &id, &only_failed)
        .await
        .unwrap();
    assert_eq!(
        filtered
            .deliveries
            .iter()
            .map(|d| d.event_type.as_str())
            .collect::<Vec<_>>(),
        ["Deal.won"]
    );
    let lost = DeliveryQuery {
        event_type: Some("Deal.lost".into()),
        ..Default::default()
    };
    let filtered = deliveries::page(&mut conn, &admin, &id, &lost)
        .await
        .unwrap();
    assert_eq!(filtered.deliveries[0].status, DeliveryStatus::Delivered);
    assert_eq!(filtered.deliveries.len(), 1);

    // Resend: the same delivery (same webhook-id), due now, its schedule from the start.
    healthy.store(true, std::sync::atomic::Ordering::SeqCst);
    let delivery = switchyard::id::DeliveryId::parse(&failed.id).unwrap();
    for (someone, refused) in [
        (&viewer, DomainError::Forbidden),
        (&stranger, DomainError::NotFound),
    ] {
        assert_eq!(
            deliveries::resend(&mut conn, someone, &id, &delivery).await,
            Err(refused.clone())
        );
        assert_eq!(
            deliveries::page(&mut conn, someone, &id, &DeliveryQuery::default())
                .await
                .map(|p| p.deliveries.len()),
            Err(refused.clone())
        );
        assert_eq!(
            deliveries::send_test(&mut conn, someone, &id)
                .await
                .map(|d| d.to_string()),
            Err(refused.clone())
        );
        let since = time::OffsetDateTime::now_utc() - time::Duration::days(1);
        assert_eq!(
            deliveries::resend_failed_since(&mut conn, someone, &id, Some(since)).await,
            Err(refused)
        );
    }
    deliveries::resend(&mut conn, &admin, &id, &delivery)
        .await
        .expect("resent");
    assert!(
        matches!(
            deliveries::resend(&mut conn, &admin, &id, &delivery).await,
            Err(DomainError::Refused(_))
        ),
        "on its way already"
    );
    send_due(&db.pool, &sender, 10).await.unwrap();
    let received = receiver.received();
    let last = received.last().unwrap();
    assert_eq!(last.header("webhook-id"), Some(failed.id.as_str()));
    let log = deliveries::page(&mut conn, &admin, &id, &DeliveryQuery::default())
        .await
        .unwrap();
    let again = log.deliveries.iter().find(|d| d.id == failed.id).unwrap();
    assert_eq!(
        (again.status, again.attempts.len()),
        (DeliveryStatus::Delivered, 9)
    );

    // Many at once: every failed one since a moment (not one before it).
    healthy.store(false, std::sync::atomic::Ordering::SeqCst);
    post(&mut conn, &admin, "Deal.won").await;
    spend(&db.pool, &sender, &clock).await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let since = time::OffsetDateTime::now_utc();
    post(&mut conn, &admin, "Deal.won").await;
    post(&mut conn, &admin, "Deal.won").await;
    spend(&db.pool, &sender, &clock).await;
    assert_eq!(
        deliveries::page(&mut conn, &admin, &id, &only_failed)
            .await
            .unwrap()
            .deliveries
            .len(),
        3
    );
    // Failing since the first of these, more than five days by the clock: disabled, and said why.
    let (_, reason) = endpoints::get(&mut conn, &admin, &id)
        .await
        .unwrap()
        .disabled
        .expect("disabled after 5 days of failures");
    assert_eq!(reason, "Every delivery failed for 5 days");
    endpoints::enable(&mut conn, &admin, &id)
        .await
        .expect("enabled");
    healthy.store(true, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        deliveries::resend_failed_since(&mut conn, &admin, &id, Some(since)).await,
        Ok(2),
        "the two since, not the older one"
    );
    send_due(&db.pool, &sender, 10).await.unwrap();
    let failed_now = deliveries::page(&mut conn, &admin, &id, &only_failed)
        .await
        .unwrap();
    assert_eq!(
        failed_now.deliveries.len(),
        1,
        "the older one is still failed"
    );

    // A test event: signed like any delivery, logged with its type.
    let test = deliveries::send_test(&mut conn, &admin, &id)
        .await
        .expect("queued");
    send_due(&db.pool, &sender, 10).await.unwrap();
    let last = receiver.received().last().cloned().unwrap();
    assert_eq!(last.header("webhook-id"), Some(test.as_str()));
    assert!(verifies(&made.secret, &last));
    let body: serde_json::Value = serde_json::from_slice(&last.body).unwrap();
    assert_eq!(body["type"], TEST_EVENT);
    let missing = switchyard::id::DeliveryId::parse("msg_0000000000000000").unwrap();
    assert_eq!(
        deliveries::resend(&mut conn, &admin, &id, &missing).await,
        Err(DomainError::NotFound)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn mcp_search_lists_an_endpoints_deliveries_for_admins_of_its_organization() {
    use switchyard::mcp_tools;
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let viewer = member(&mut conn, "acme", Role::Viewer).await;
    let stranger = member(&mut conn, "globex", Role::Admin).await;
    let made = endpoints::create(
        &mut conn,
        Some(&key()),
        &admin,
        &input("https://hooks.example.com/", "Deal.won"),
    )
    .await
    .expect("created");
    post(&mut conn, &admin, "Deal.won").await;
    let args = serde_json::json!({"type": "Delivery", "filter": {"endpoint": made.endpoint.id, "status": "Pending"}});
    let found = mcp_tools::search(&mut conn, &admin, &args)
        .await
        .expect("found");
    assert_eq!(found["results"][0]["eventType"], "Deal.won");
    assert_eq!(found["results"][0]["status"], "Pending");
    assert!(
        found["results"][0]["$id"]
            .as_str()
            .unwrap()
            .starts_with("msg_")
    );
    assert_eq!(
        mcp_tools::search(&mut conn, &viewer, &args).await,
        Err(DomainError::Forbidden)
    );
    assert_eq!(
        mcp_tools::search(&mut conn, &stranger, &args).await,
        Err(DomainError::NotFound)
    );
    let unnamed =
        mcp_tools::search(&mut conn, &admin, &serde_json::json!({"type": "Delivery"})).await;
    assert!(
        matches!(unnamed, Err(DomainError::Validation(ref f)) if f[0].field == "filter"),
        "{unnamed:?}"
    );
}
