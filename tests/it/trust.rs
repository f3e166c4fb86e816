//! Issue 24's holes at the domain's doors: the audit only the server writes and only Admins
//! read, and statements that cannot outlive their limits or their request.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use switchyard::auth::{self, Attempt};
use switchyard::entity::{Caller, EventSource, KeyHolder, Scope};
use switchyard::id::Generate;
use switchyard::ingest::PostedEvent;
use switchyard::list_query::{EventFeedQuery, EventQuery};
use switchyard::sql_text::Sql;
use switchyard::testing::{PASSWORD, TestDb, member};
use switchyard::{DomainError, Role, mcp_tools};

fn key(admin: &switchyard::Member, scopes: &[Scope]) -> Caller {
    Caller::Key(KeyHolder {
        org: admin.org.clone(),
        key: switchyard::id::ApiKeyId::generate(),
        scopes: scopes.to_vec(),
    })
}

fn posted(event_type: &str) -> PostedEvent {
    PostedEvent {
        event_type: event_type.into(),
        data: json!({"address": "203.0.113.66", "from": "Viewer", "to": "Admin"}),
        id: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_key_member_or_step_records_an_event_of_the_servers_own_nouns() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let editor = member(&mut conn, "acme", Role::Editor).await;
    let sender = key(&admin, &[Scope::EventsWrite]);
    for event_type in [
        "Member.signedIn",
        "Member.roleChanged",
        "member.signedIn",
        "ApiKey.created",
        "Workflow.activated",
        "Run.failed",
        "RunBatch.queued",
        "workflow.high_failure_rate",
    ] {
        for refused in [
            switchyard::ingest::send(&mut conn, &sender, &posted(event_type)).await,
            switchyard::ingest::send(&mut conn, &editor, &posted(event_type)).await,
        ] {
            assert!(
                matches!(&refused, Err(DomainError::Validation(f)) if f[0].field == "type" && f[0].message.contains("recorded by Switchyard itself")),
                "{event_type}: {refused:?}"
            );
        }
    }
    let sent = switchyard::ingest::send(&mut conn, &sender, &posted("Deal.won")).await;
    assert!(sent.is_ok(), "{sent:?}");

    // A step may not record one, nor act on a Thing of such a noun.
    let mut input = crate::input("Forger", 1);
    input.steps[0].action = "Event.create".into();
    input.steps[0].mapping = vec![
        switchyard::workflow::MappingRow {
            field: "type".into(),
            expr: "\"Member.signedIn\"".into(),
        },
        switchyard::workflow::MappingRow {
            field: "data".into(),
            expr: "deal".into(),
        },
    ];
    let refused = input.validate().expect_err("refused");
    assert_eq!(refused[0].field, "steps.0.action");
    let mut input = crate::input("Member maker", 1);
    input.steps[0].action = "Member.create".into();
    assert_eq!(
        input.validate().expect_err("refused")[0].field,
        "steps.0.action"
    );
    let forged: i64 = switchyard::schema::events::table
        .filter(switchyard::schema::events::type_.ilike("member.%"))
        .count()
        .get_result(&mut conn)
        .await
        .expect("count");
    assert_eq!(forged, 0, "nothing recorded");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_reads_only_what_the_server_recorded() {
    use switchyard::read_model::audit::{self, AuditQuery};
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let editor = member(&mut conn, "acme", Role::Editor).await;
    // What a key or a step may have stored before types were refused.
    for source in [EventSource::Api, EventSource::Step, EventSource::Manual] {
        let forged = switchyard::repo::event::NewEvent {
            actor: Some(editor.user_id.to_string()),
            ..switchyard::repo::event::NewEvent::new(
                "Member.signedIn",
                json!({"address": "203.0.113.66"}),
                source,
            )
        };
        switchyard::repo::event::insert(&mut conn, &admin.org.id, &forged)
            .await
            .expect("forged");
    }
    let attempt = Attempt {
        email: "editor@acme.test",
        password: PASSWORD,
        address: Some("198.51.100.4"),
        agent: "Firefox",
    };
    auth::sign_in(&db.pool, &attempt).await.expect("sign in");
    let page = audit::page(&mut conn, &admin, &AuditQuery::default())
        .await
        .expect("audit");
    let seen: Vec<(&str, &str)> = page
        .entries
        .iter()
        .map(|e| (e.kind.as_str(), e.what.as_str()))
        .collect();
    assert_eq!(seen, [("Member.signedIn", "From 198.51.100.4")]);
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_records_invitations_and_keys_events_are_for_admins_and_admin_keys_only() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let editor = member(&mut conn, "acme", Role::Editor).await;
    let viewer = member(&mut conn, "acme", Role::Viewer).await;
    let attempt = Attempt {
        email: "viewer@acme.test",
        password: PASSWORD,
        address: Some("198.51.100.4"),
        agent: "Firefox",
    };
    auth::sign_in(&db.pool, &attempt).await.expect("sign in");
    switchyard::members::invite(&mut conn, &admin, "ada@newcomer.test", "Editor")
        .await
        .expect("invite");
    let reader = key(&admin, &[Scope::Read]);
    switchyard::ingest::send(
        &mut conn,
        &key(&admin, &[Scope::Write]),
        &posted("Deal.won"),
    )
    .await
    .expect("deal");
    let signed_in: switchyard::id::EventId = switchyard::schema::events::table
        .filter(switchyard::schema::events::org_id.eq(admin.org.id.sql()))
        .filter(switchyard::schema::events::type_.eq("Member.signedIn"))
        .select(switchyard::schema::events::id)
        .first(&mut conn)
        .await
        .expect("the sign-in's record");

    // The feed shows an event once every transaction older than it has ended, on the whole
    // server (other tests' included): read until the newest one is there.
    let feed_types = async |conn: &mut switchyard::db::Conn, caller: &Caller| -> Vec<String> {
        let query = EventFeedQuery {
            since: None,
            event_type: None,
            limit: 100,
            after: None,
        };
        let mut types = Vec::new();
        for _ in 0..100 {
            types = switchyard::read_model::event::feed(conn, caller, &query)
                .await
                .expect("feed")
                .events
                .into_iter()
                .map(|e| e.event_type)
                .collect::<Vec<String>>();
            if types.iter().any(|t| t == "Deal.won") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        types
    };
    let page_types = async |conn: &mut switchyard::db::Conn, member: &switchyard::Member| {
        // Switchyard's own events asked for too: private ones stay hidden even then.
        let everything = EventQuery {
            system: true,
            ..EventQuery::default()
        };
        let page = switchyard::read_model::event::page(conn, member, &everything)
            .await
            .expect("page");
        page.entries
            .into_iter()
            .map(|e| e.event.event_type)
            .collect::<Vec<String>>()
    };
    let private = |types: &[String]| {
        types
            .iter()
            .filter(|t| t.starts_with("Member.") || t.starts_with("ApiKey."))
            .count()
    };
    // A `read` key, and a `write` one: the feed has the deal, none of the private events.
    for caller in [&reader, &key(&admin, &[Scope::Read, Scope::Write])] {
        let types = feed_types(&mut conn, caller).await;
        assert!(types.contains(&"Deal.won".to_owned()), "{types:?}");
        assert_eq!(private(&types), 0, "{types:?}");
        assert_eq!(
            switchyard::read_model::event::get(&mut conn, caller, &signed_in)
                .await
                .map(|e| e.id),
            Err(DomainError::NotFound),
            "one of them by id looks missing"
        );
        let found = mcp_tools::search(
            &mut conn,
            caller,
            &json!({"type": "Event", "filter": {"type": "Member.signedIn"}}),
        )
        .await
        .expect("search");
        assert_eq!(found["results"].as_array().map(Vec::len), Some(0));
        assert!(
            mcp_tools::fetch(
                &mut conn,
                caller,
                &json!({"type": "Event", "id": signed_in})
            )
            .await
            .is_err()
        );
    }
    for member in [&editor, &viewer] {
        assert_eq!(private(&page_types(&mut conn, member).await), 0);
    }
    // An Admin and an `admin` key read them.
    let admin_key = key(&admin, &[Scope::Admin]);
    let types = feed_types(&mut conn, &admin_key).await;
    assert!(types.contains(&"Member.signedIn".to_owned()), "{types:?}");
    assert!(types.contains(&"Member.invited".to_owned()), "{types:?}");
    assert!(private(&page_types(&mut conn, &admin).await) >= 2);
    let found = mcp_tools::fetch(
        &mut conn,
        &admin_key,
        &json!({"type": "Event", "id": signed_in}),
    )
    .await
    .expect("fetch");
    assert_eq!(found["type"], "Member.signedIn");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_statement_over_its_pools_limit_is_cancelled_and_the_connection_goes_on() {
    let db = TestDb::new().await;
    let pool = switchyard::db::pool_with(
        &db.url,
        1,
        switchyard::db::Timeouts {
            statement: std::time::Duration::from_millis(300),
        },
    )
    .expect("pool");
    let mut conn = pool.get().await.expect("connection");
    let started = std::time::Instant::now();
    let slow = diesel::sql_query("SELECT pg_sleep(5)")
        .execute(&mut conn)
        .await;
    let message = slow.expect_err("cancelled").to_string();
    assert!(message.contains("statement timeout"), "{message}");
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
    let one: i32 = diesel::select(1.into_sql::<diesel::sql_types::Integer>())
        .get_result(&mut conn)
        .await
        .expect("the connection still works");
    assert_eq!(one, 1);
}

/// What runs now on the test's database, apart from the asking connection.
async fn running(conn: &mut switchyard::db::Conn, like: &str) -> i64 {
    diesel::sql_query(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() \
         AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE $1",
    )
    .bind::<diesel::sql_types::Text, _>(like)
    .get_result::<Count>(conn)
    .await
    .expect("activity")
    .n
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_given_up_cancels_its_statement_and_its_connection_is_not_reused() {
    let db = TestDb::new().await;
    let pool =
        switchyard::db::pool_with(&db.url, 2, switchyard::db::Timeouts::ENGINE).expect("pool");
    let request = {
        let pool = pool.clone();
        switchyard::db::until_dropped(switchyard::db::Abandonment::default(), async move {
            let mut conn = pool.get().await.expect("connection");
            diesel::sql_query("SELECT pg_sleep(30) /* given up */")
                .execute(&mut conn)
                .await
        })
    };
    // The request's time runs out: its future is dropped while the statement runs.
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(500), request)
            .await
            .is_err()
    );
    let mut watcher = db.conn().await;
    let mut left = i64::MAX;
    for _ in 0..40 {
        left = running(&mut watcher, "%given up%").await;
        if left == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(left, 0, "the statement outlived its request");
    // The pool hands out working connections after.
    let mut conn = pool.get().await.expect("connection");
    let one: i32 = diesel::select(1.into_sql::<diesel::sql_types::Integer>())
        .get_result(&mut conn)
        .await
        .expect("query");
    assert_eq!(one, 1);
    // A request that ends as it should gives its connection back.
    let answered = switchyard::db::until_dropped(switchyard::db::Abandonment::default(), {
        let pool = pool.clone();
        async move {
            let mut conn = pool.get().await.expect("connection");
            diesel::sql_query("SELECT 1").execute(&mut conn).await
        }
    })
    .await;
    assert!(answered.is_ok());
    assert_eq!(pool.status().size, 2, "no connection was thrown away");
}
