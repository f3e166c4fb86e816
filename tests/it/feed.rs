//! The REST event feed: in the order events were recorded, and a client continuing from its
//! cursor sees every event exactly once, even one whose transaction commits after later ones.

use diesel_async::AsyncConnection;
use serde_json::json;
use std::collections::HashSet;
use std::time::Duration;
use switchyard::entity::EventSource;
use switchyard::error::DomainError;
use switchyard::list_query::EventFeedQuery;
use switchyard::repo::event::NewEvent;
use switchyard::testing::{TestDb, member};
use switchyard::{Role, ingest};

#[tokio::test(flavor = "multi_thread")]
async fn the_cursor_walks_every_event_once_even_one_committed_late() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let org = admin.org.id.clone();

    // A transaction that records its event first and commits last.
    let mut slow_conn = db.conn().await;
    let slow_org = org.clone();
    let (recorded_tx, recorded_rx) = tokio::sync::oneshot::channel();
    let slow = tokio::spawn(async move {
        slow_conn
            .transaction::<_, switchyard::store_error::StoreError, _>(async |c| {
                let event = NewEvent::new("Slow.recorded", json!({}), EventSource::Api);
                let recorded = switchyard::repo::event::insert(c, &slow_org, &event)
                    .await?
                    .expect("recorded");
                let _ = recorded_tx.send(());
                tokio::time::sleep(Duration::from_millis(800)).await;
                Ok(recorded.to_string())
            })
            .await
            .expect("slow")
    });
    recorded_rx.await.expect("the slow event is recorded");

    // Quick writers, committing meanwhile.
    let mut writer_conn = db.conn().await;
    let writer_org = org.clone();
    let writer = tokio::spawn(async move {
        let mut ids = Vec::new();
        for i in 0..20 {
            let posted = ingest::PostedEvent {
                event_type: "Deal.won".into(),
                data: json!({ "n": i }),
                id: None,
            };
            let accepted = ingest::ingest(
                &mut writer_conn,
                &writer_org,
                &posted,
                EventSource::Api,
                None,
            )
            .await
            .expect("ingest");
            ids.push(accepted.event.to_string());
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
        ids
    });

    // A client polling with the cursor, three at a time.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut idle_rounds = 0;
    while idle_rounds < 5 {
        let mut pairs = vec![("limit", "3")];
        if let Some(c) = &cursor {
            pairs.push(("cursor", c.as_str()));
        }
        let query = EventFeedQuery::parse(&pairs).expect("query");
        let page = switchyard::read_model::event::feed(&mut conn, &admin, &query)
            .await
            .expect("feed");
        assert!(page.events.len() <= 3);
        seen.extend(page.events.iter().map(|e| e.id.to_string()));
        cursor = page.cursor.or(cursor);
        let done = slow.is_finished() && writer.is_finished();
        if page.events.is_empty() && done {
            idle_rounds += 1;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let mut written = writer.await.expect("writer");
    written.push(slow.await.expect("slow"));
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no event twice: {seen:?}");
    let written: HashSet<&String> = written.iter().collect();
    assert_eq!(unique, written, "every event once");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_cursor_is_refused_by_name() {
    match EventFeedQuery::parse(&[("cursor", "not a cursor")]) {
        Err(DomainError::Validation(fields)) => assert_eq!(fields[0].field, "cursor"),
        other => panic!("{other:?}"),
    }
}
