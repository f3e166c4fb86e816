use super::create;
use switchyard::hooks::Hooks;
use switchyard::list_query::{Sort, WorkflowQuery};
use switchyard::repo;
use switchyard::sql_text::Sql;
use switchyard::testing::{TestDb, member};
use switchyard::{Role, Status, verbs as v};

fn names(page: &switchyard::list_query::Page<switchyard::Workflow>) -> Vec<&str> {
    page.results.iter().map(|w| w.name.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn filters_by_status_trigger_and_text() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let hooks = Hooks::with_defaults();
    let onboarding = create(&mut conn, &admin, "Customer Onboarding", 1).await;
    create(&mut conn, &admin, "Renewal reminder", 1).await;
    let mut lead = super::input("Lead assignment", 1);
    lead.trigger_event = "Lead.created".into();
    lead.steps[0].mapping[0].expr = "lead.name".into();
    lead.description = "round-robin for new leads".into();
    v::create(&mut conn, &hooks, &admin, &lead)
        .await
        .expect("create");
    v::activate(&mut conn, &hooks, &admin, &onboarding.id)
        .await
        .expect("activate");

    let q = |f: fn(&mut WorkflowQuery)| {
        let mut q = WorkflowQuery {
            sort: Sort::Name,
            ..Default::default()
        };
        f(&mut q);
        q
    };
    let org = &admin.org.id;
    let page = repo::workflow::find(&mut conn, org, &q(|q| q.status = Some(Status::Activated)))
        .await
        .expect("find");
    assert_eq!(names(&page), vec!["Customer Onboarding"]);
    let page = repo::workflow::find(
        &mut conn,
        org,
        &q(|q| q.trigger_event = Some("Lead.created".into())),
    )
    .await
    .expect("find");
    assert_eq!(names(&page), vec!["Lead assignment"]);
    let page = repo::workflow::find(&mut conn, org, &q(|q| q.text = Some("ROUND-robin".into())))
        .await
        .expect("find");
    assert_eq!(
        names(&page),
        vec!["Lead assignment"],
        "text searches the description, any case"
    );
    let page = repo::workflow::find(&mut conn, org, &q(|q| q.text = Some("%".into())))
        .await
        .expect("find");
    assert_eq!(page.total, 0, "% is matched literally");
}

#[tokio::test(flavor = "multi_thread")]
async fn sorts_and_pages_with_a_cursor() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    for name in ["delta", "Alpha", "charlie", "bravo", "echo"] {
        create(&mut conn, &admin, name, 0).await;
    }
    let org = &admin.org.id;
    let mut query = WorkflowQuery {
        sort: Sort::Name,
        limit: Some(2),
        ..Default::default()
    };
    let first = repo::workflow::find(&mut conn, org, &query)
        .await
        .expect("find");
    assert_eq!(
        (names(&first), first.total, first.has_more),
        (vec!["Alpha", "bravo"], 5, true)
    );
    query.cursor = first.cursor.clone();
    let second = repo::workflow::find(&mut conn, org, &query)
        .await
        .expect("find");
    assert_eq!(names(&second), vec!["charlie", "delta"]);
    query.cursor = second.cursor.clone();
    let last = repo::workflow::find(&mut conn, org, &query)
        .await
        .expect("find");
    assert_eq!(
        (names(&last), last.has_more, last.cursor.clone()),
        (vec!["echo"], false, None)
    );

    let newest = repo::workflow::find(&mut conn, org, &WorkflowQuery::default())
        .await
        .expect("find");
    assert_eq!(
        names(&newest),
        vec!["echo", "bravo", "charlie", "Alpha", "delta"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sorts_by_failure_rate_and_last_run_with_never_run_last() {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use switchyard::schema::workflows;
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let counters = [
        ("never", 0, 0, None),
        ("flaky", 6, 4, Some(2)),
        ("solid", 10, 0, Some(1)),
        ("broken", 0, 3, Some(3)),
    ];
    for (name, ok, failed, hours_ago) in counters {
        let w = create(&mut conn, &admin, name, 0).await;
        let last = hours_ago.map(|h| time::OffsetDateTime::now_utc() - time::Duration::hours(h));
        diesel::update(workflows::table.find(w.id.sql()))
            .set((
                workflows::run_count.eq(ok + failed),
                workflows::success_count.eq(ok),
                workflows::failure_count.eq(failed),
                workflows::last_run_at.eq(last),
            ))
            .execute(&mut conn)
            .await
            .expect("counters");
    }
    let org = &admin.org.id;
    let by = |sort| WorkflowQuery {
        sort,
        ..Default::default()
    };
    let page = repo::workflow::find(&mut conn, org, &by(Sort::FailureRate))
        .await
        .expect("find");
    assert_eq!(names(&page), vec!["broken", "flaky", "solid", "never"]);
    let page = repo::workflow::find(&mut conn, org, &by(Sort::LastRun))
        .await
        .expect("find");
    assert_eq!(names(&page), vec!["solid", "flaky", "broken", "never"]);
}

/// Every sort, 3 to a page: forward to the end then back to the start gives every workflow once,
/// in the order of one unpaged read, with the positions a reader sees ("4–6 of 8"); ties (equal
/// failure rates, equal and missing last runs) are broken by the id, so none is skipped.
#[tokio::test(flavor = "multi_thread")]
async fn pages_forward_and_back_by_keyset_in_every_sort() {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use switchyard::schema::workflows;
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let at = time::OffsetDateTime::now_utc();
    // (name, succeeded, failed, last run hours ago)
    let rows = [
        ("golf", 1, 1, Some(1)),
        ("Alpha", 1, 1, Some(1)),
        ("echo", 0, 0, None),
        ("bravo", 3, 1, Some(2)),
        ("delta", 0, 0, None),
        ("hotel", 0, 2, Some(3)),
        ("charlie", 1, 1, Some(5)),
        ("foxtrot", 0, 0, None),
    ];
    for (name, ok, failed, hours) in rows {
        let w = create(&mut conn, &admin, name, 0).await;
        diesel::update(workflows::table.find(w.id.sql()))
            .set((
                workflows::run_count.eq(ok + failed),
                workflows::success_count.eq(ok),
                workflows::failure_count.eq(failed),
                workflows::last_run_at.eq(hours.map(|h| at - time::Duration::hours(h))),
            ))
            .execute(&mut conn)
            .await
            .expect("counters");
    }
    let org = &admin.org.id;
    for sort in Sort::ALL {
        let all = repo::workflow::find(
            &mut conn,
            org,
            &WorkflowQuery {
                sort,
                ..Default::default()
            },
        )
        .await
        .expect("find");
        let all: Vec<String> = all.results.iter().map(|w| w.name.clone()).collect();
        assert_eq!(all.len(), 8);
        let mut query = WorkflowQuery {
            sort,
            limit: Some(3),
            ..Default::default()
        };
        let mut forward = Vec::new();
        let mut seen = Vec::new();
        loop {
            let page = repo::workflow::find(&mut conn, org, &query)
                .await
                .expect("find");
            seen.push((page.offset, page.previous.is_some(), page.has_more));
            forward.extend(names(&page).into_iter().map(str::to_owned));
            match page.cursor {
                Some(next) => query.cursor = Some(next),
                None => {
                    query.cursor = page.previous;
                    break;
                }
            }
        }
        assert_eq!(forward, all, "{sort:?} forward");
        assert_eq!(
            seen,
            [(0, false, true), (3, true, true), (6, true, false)],
            "{sort:?} positions"
        );
        let mut back = Vec::new();
        while let Some(cursor) = query.cursor.take() {
            query.cursor = Some(cursor);
            let page = repo::workflow::find(&mut conn, org, &query)
                .await
                .expect("find");
            back.push((page.offset, names(&page).join(",")));
            query.cursor = page.previous;
        }
        assert_eq!(
            back,
            [(3, all[3..6].join(",")), (0, all[..3].join(","))],
            "{sort:?} back"
        );
    }
}

/// A cursor somebody edited (a key that is not a time) starts from the top instead of failing.
#[tokio::test(flavor = "multi_thread")]
async fn an_edited_cursor_starts_from_the_top() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    for name in ["one", "two", "three"] {
        create(&mut conn, &admin, name, 0).await;
    }
    let query = WorkflowQuery::default();
    let edited = WorkflowQuery {
        cursor: Some(query.cursor_at("not a time'); DROP TABLE workflows; --", "x", 10, false)),
        ..WorkflowQuery::default()
    };
    let page = repo::workflow::find(&mut conn, &admin.org.id, &edited)
        .await
        .expect("an edited cursor is not an error");
    assert_eq!((page.offset, page.results.len()), (0, 3));
}
