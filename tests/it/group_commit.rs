//! Events sent through the API commit in groups: together, each in its savepoint, answered after
//! the commit.

use crate::engine::{active, onboarding};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use switchyard::Role;
use switchyard::ingest::{GroupCommit, PostedEvent};
use switchyard::schema::{events, runs};
use switchyard::testing::{TestDb, member};

fn deal(i: usize, key: Option<&str>) -> PostedEvent {
    PostedEvent {
        event_type: "Deal.won".into(),
        data: json!({"name": format!("Deal {i}")}),
        id: key.map(str::to_owned),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_events_commit_together_and_a_failing_one_fails_alone() {
    const SENT: usize = 60;
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    active(&mut conn, &admin, onboarding()).await;
    // The database refuses one event, as a broken row would.
    diesel::sql_query(
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS
         $$ BEGIN IF NEW.data->>'name' = 'Deal 7' THEN RAISE EXCEPTION 'disk on fire'; END IF;
                  RETURN NEW; END $$",
    )
    .execute(&mut conn)
    .await
    .expect("function");
    diesel::sql_query(
        "CREATE TRIGGER refuse BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse()",
    )
    .execute(&mut conn)
    .await
    .expect("trigger");
    // One committer: every event sent while it commits waits for its next transaction.
    let group = GroupCommit::start(db.pool.clone(), 1, 64);
    let sends: Vec<_> = (0..SENT)
        .map(|i| {
            let (group, admin) = (group.clone(), admin.clone());
            // Two sends of one key among them: one event, one answer.
            let key = (i == 20 || i == 21).then_some("deal-20");
            tokio::spawn(async move { group.send(&admin, &deal(i, key)).await })
        })
        .collect();
    let mut answers = Vec::new();
    for send in sends {
        answers.push(send.await.expect("task"));
    }
    let error = answers[7].as_ref().expect_err("the refused event");
    assert!(error.to_string().contains("disk on fire"), "{error}");
    assert!(answers.iter().enumerate().all(|(i, a)| i == 7 || a.is_ok()));
    assert_eq!(answers[20], answers[21], "one key, one answer");
    // Every acknowledged event is there, with its run; the refused one is not.
    let recorded: Vec<(String, String)> = events::table
        .filter(events::type_.eq("Deal.won"))
        .select((events::id, sql_xid()))
        .load(&mut conn)
        .await
        .expect("events");
    assert_eq!(
        recorded.len(),
        SENT - 2,
        "all but the refused one and the repeat"
    );
    let queued: i64 = runs::table
        .count()
        .get_result(&mut conn)
        .await
        .expect("runs");
    assert_eq!(queued, (SENT - 2) as i64);
    for answer in answers.iter().flatten() {
        assert!(
            recorded
                .iter()
                .any(|(id, _)| *id == answer.event.to_string())
        );
    }
    let mut transactions: Vec<&str> = recorded.iter().map(|(_, xid)| xid.as_str()).collect();
    transactions.sort();
    transactions.dedup();
    assert!(
        transactions.len() < SENT / 4,
        "{} transactions for {} events",
        transactions.len(),
        recorded.len()
    );
}

fn sql_xid() -> diesel::expression::SqlLiteral<diesel::sql_types::Text> {
    diesel::dsl::sql("xid::text")
}
