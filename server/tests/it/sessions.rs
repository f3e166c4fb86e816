use crate::TestApp;
use switchyard::Role;
use switchyard::sql_text::Sql;

#[tokio::test(flavor = "multi_thread")]
async fn behind_https_the_cookie_is_secure_and_host_prefixed_and_hsts_is_sent() {
    let app = TestApp::with_secure_cookies().await;
    let editor = app.member("acme", Role::Editor).await;
    let answer = app
        .call(
            None,
            "login",
            &[
                ("email", &editor.email),
                ("password", switchyard::testing::PASSWORD),
            ],
        )
        .await;
    assert!(answer.status.is_success(), "{}", answer.body);
    let set_cookie = answer.set_cookie.expect("cookie");
    let attributes: Vec<&str> = set_cookie.split(';').map(str::trim).collect();
    assert!(attributes.contains(&"Secure"), "{set_cookie}");
    assert!(attributes.contains(&"HttpOnly"), "{set_cookie}");
    assert!(attributes.contains(&"SameSite=Lax"), "{set_cookie}");
    assert!(attributes.contains(&"Path=/"), "{set_cookie}");
    assert!(!set_cookie.contains("Domain"), "{set_cookie}");
    assert!(
        set_cookie.starts_with("__Host-switchyard_session="),
        "{set_cookie}"
    );
    let response = {
        use tower::ServiceExt;
        app.router()
            .oneshot(
                axum::http::Request::get("/login")
                    .body(axum::body::Body::empty())
                    .expect("request"),
            )
            .await
            .expect("answer")
    };
    let hsts = response
        .headers()
        .get("strict-transport-security")
        .and_then(|v| v.to_str().ok());
    assert!(hsts.is_some_and(|v| v.contains("max-age=")), "{hsts:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_session_cookie_is_http_only_lax_and_its_id_changes_at_sign_in() {
    let app = TestApp::new().await;
    let editor = app.member("acme", Role::Editor).await;
    // A visit before signing in that stores nothing sets no cookie; sign in sets a fresh one.
    let answer = app
        .call(
            None,
            "login",
            &[
                ("email", &editor.email),
                ("password", switchyard::testing::PASSWORD),
            ],
        )
        .await;
    let set_cookie = answer.set_cookie.expect("cookie");
    assert!(
        set_cookie.starts_with("switchyard_session="),
        "{set_cookie}"
    );
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    assert!(
        !set_cookie.contains("Secure"),
        "not over plain http: {set_cookie}"
    );
    let first = set_cookie.split(';').next().expect("pair").to_owned();
    // Signing in again with the old cookie gives a new id; the old one stops working.
    let mut request = crate::from_the_app(axum::http::Request::post("/api/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .header("cookie", &first);
    request = request.header("x-test", "1");
    let body = format!(
        "email={}&password={}",
        editor.email.replace('@', "%40"),
        switchyard::testing::PASSWORD.replace(' ', "+")
    );
    let again = app
        .send(request.body(axum::body::Body::from(body)).expect("request"))
        .await;
    let second = again.cookie();
    assert_ne!(first, second);
    assert!(
        app.call(Some(&second), "my_orgs", &[])
            .await
            .status
            .is_success()
    );
    assert_eq!(
        app.call(Some(&first), "my_orgs", &[]).await.error(),
        app::error::AppError::Unauthorized
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_out_deletes_the_session() {
    let app = TestApp::new().await;
    let editor = app.member("acme", Role::Editor).await;
    let cookie = app.sign_in(&editor).await;
    assert!(
        app.call(Some(&cookie), "my_orgs", &[])
            .await
            .status
            .is_success()
    );
    let id = cookie.split_once('=').expect("name=value").1;
    let rows = async || {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use switchyard::schema::sessions;
        let mut conn = app.db.conn().await;
        sessions::table
            .filter(sessions::id.eq((switchyard::repo::session::stored_id(id)).sql()))
            .count()
            .get_result::<i64>(&mut conn)
            .await
            .expect("count")
    };
    assert_eq!(rows().await, 1, "the session's row is there");
    app.call(Some(&cookie), "logout", &[]).await;
    assert_eq!(rows().await, 0, "and gone after signing out");
    assert_eq!(
        app.call(Some(&cookie), "my_orgs", &[]).await.error(),
        app::error::AppError::Unauthorized
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_sessions_are_neither_loaded_nor_kept() {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use switchyard::schema::sessions;
    let app = TestApp::new().await;
    let editor = app.member("acme", Role::Editor).await;
    let cookie = app.sign_in(&editor).await;
    let mut conn = app.db.conn().await;
    diesel::update(sessions::table)
        .set(sessions::expires_at.eq(time::OffsetDateTime::now_utc() - time::Duration::minutes(1)))
        .execute(&mut conn)
        .await
        .expect("expire");
    assert_eq!(
        app.call(Some(&cookie), "my_orgs", &[]).await.error(),
        app::error::AppError::Unauthorized
    );
    let store = server::session_store::DieselStore::new(app.db.pool.clone());
    assert_eq!(store.delete_expired().await.expect("delete"), 1);
    let left: i64 = sessions::table
        .count()
        .get_result(&mut conn)
        .await
        .expect("count");
    assert_eq!(left, 0);
}
