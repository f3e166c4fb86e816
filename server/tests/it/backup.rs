//! `switchyard backup` and `restore`: a backup taken while events arrive restores, into a new
//! database, every workflow, run and event acknowledged before it began.

use crate::TestApp;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use switchyard::Role;

/// The ids of `table`'s rows in the database at `url`, sorted.
async fn ids(url: &str, table: &str) -> Vec<String> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    let mut conn = AsyncPgConnection::establish(url).await.expect("connect");
    diesel::sql_query(format!("SELECT id FROM {table} ORDER BY id"))
        .load::<Id>(&mut conn)
        .await
        .expect("ids")
        .into_iter()
        .map(|row| row.id)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_taken_while_events_arrive_restores_what_was_acknowledged_before_it() {
    let app = Arc::new(TestApp::new().await);
    let admin = app.member("acme", Role::Admin).await;
    let workflow = app.workflow(&admin, "Onboarding", 2).await;
    app.activate(&admin, &workflow.id).await;
    let key = crate::ingest::key(&app, "acme").await;
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let poster = {
        let (app, acknowledged, stop) = (app.clone(), acknowledged.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0;
            while !AtomicBool::load(&stop, Ordering::SeqCst) {
                n += 1;
                let answer = app
                    .send(
                        Request::post("/~acme/events")
                            .header(header::AUTHORIZATION, format!("Bearer {key}"))
                            .header(header::CONTENT_TYPE, "application/json")
                            .body(Body::from(format!(
                                r#"{{"type":"Deal.won","data":{{"name":"Deal {n}"}}}}"#
                            )))
                            .expect("request"),
                    )
                    .await;
                assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
                let id =
                    serde_json::from_str::<serde_json::Value>(&answer.body).expect("json")["$id"]
                        .as_str()
                        .expect("id")
                        .to_owned();
                acknowledged.lock().expect("lock").push(id);
            }
        })
    };
    while acknowledged.lock().expect("lock").len() < 20 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let before: Vec<String> = acknowledged.lock().expect("lock").clone();
    let workflows_before = ids(&app.db.url, "workflows").await;
    let file = std::env::temp_dir().join(format!(
        "switchyard-backup-{}.dump",
        switchyard::id::random_base62(8)
    ));
    let said = server::backup::backup(&app.db.url, &file)
        .await
        .expect("backup");
    assert!(said.contains("Backed up"), "{said}");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).expect("file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "readable by its owner only: {mode:o}");
    }
    stop.store(true, Ordering::SeqCst);
    poster.await.expect("poster");
    let after = acknowledged.lock().expect("lock").len();
    assert!(after > before.len(), "events kept arriving: {after}");

    // Not over a database in use.
    let refused = server::backup::restore(&app.db.url, &file)
        .await
        .expect_err("not empty");
    assert!(refused.to_string().contains("not empty"), "{refused}");

    // Into a new, empty database.
    let name = format!(
        "sy_test_restore_{}",
        switchyard::id::random_base62(8).to_lowercase()
    );
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let mut admin_conn = AsyncPgConnection::establish(&base).await.expect("connect");
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut admin_conn)
        .await
        .expect("create");
    let restored = switchyard::testing::with_database(&base, &name);
    server::backup::restore(&restored, &file)
        .await
        .expect("restore");
    let events_restored = ids(&restored, "events").await;
    for id in &before {
        assert!(
            events_restored.binary_search(id).is_ok(),
            "event {id} was acknowledged before the backup"
        );
    }
    assert_eq!(ids(&restored, "workflows").await, workflows_before);
    let runs_restored = ids(&restored, "runs").await;
    assert!(
        runs_restored.len() >= before.len(),
        "{} runs",
        runs_restored.len()
    );
    // The restored database is one the app runs on.
    switchyard::db::migrate(&restored)
        .await
        .expect("migrations are all there");
    let mut conn = AsyncPgConnection::establish(&restored)
        .await
        .expect("connect");
    assert_eq!(
        switchyard::db::pending_migrations(&mut conn)
            .await
            .expect("pending"),
        0
    );
    drop(conn);
    diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut admin_conn)
        .await
        .expect("drop");
    let _ = std::fs::remove_file(&file);
}
