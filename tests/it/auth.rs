use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use switchyard::auth::{self, Attempt, SignInError};
use switchyard::db::Pool;
use switchyard::repo;
use switchyard::schema::{events, sign_in_failures};
use switchyard::sql_text::Sql;
use switchyard::testing::{PASSWORD, TestDb, member};
use switchyard::{Role, UserId};

fn attempt<'a>(email: &'a str, password: &'a str, address: &'a str) -> Attempt<'a> {
    Attempt {
        email,
        password,
        address: Some(address),
        agent: "test browser",
    }
}

async fn try_sign_in(pool: &Pool, email: &str, password: &str) -> Result<UserId, SignInError> {
    auth::sign_in(pool, &attempt(email, password, "192.0.2.1"))
        .await
        .map(|signed_in| signed_in.user)
}

#[tokio::test(flavor = "multi_thread")]
async fn passwords_are_argon2id_with_owasp_parameters() {
    let hash = auth::hash_password("hunter22").await.expect("hash");
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_accepts_the_password_any_email_case_and_nothing_else() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let editor = member(&mut conn, "acme", Role::Editor).await;
    let id = try_sign_in(&db.pool, "Editor@ACME.test", PASSWORD)
        .await
        .expect("sign in");
    assert_eq!(id, editor.user_id);
    assert_eq!(
        try_sign_in(&db.pool, "editor@acme.test", "wrong").await,
        Err(SignInError::Mismatch)
    );
    assert_eq!(
        try_sign_in(&db.pool, "nobody@acme.test", PASSWORD).await,
        Err(SignInError::Mismatch)
    );
    let orgs = repo::org::memberships_of(&mut conn, &id)
        .await
        .expect("memberships");
    assert_eq!(
        orgs.iter()
            .map(|m| (m.org.slug.as_str(), m.role))
            .collect::<Vec<_>>(),
        vec![("acme", Role::Editor)]
    );
    // Where to land: their only organization; with a second one, none in particular.
    let signed_in = auth::sign_in(
        &db.pool,
        &attempt("editor@acme.test", PASSWORD, "192.0.2.1"),
    )
    .await
    .expect("sign in");
    assert_eq!(signed_in.only_org.as_deref(), Some("acme"));
    let other = member(&mut conn, "globex", Role::Viewer).await;
    repo::org::add_member(&mut conn, &editor.user_id, &other.org.id, Role::Viewer)
        .await
        .expect("a second membership");
    let signed_in = auth::sign_in(
        &db.pool,
        &attempt("editor@acme.test", PASSWORD, "192.0.2.1"),
    )
    .await
    .expect("sign in");
    assert_eq!(signed_in.only_org, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_ins_are_recorded_in_each_organization_with_address_and_browser() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let editor = member(&mut conn, "acme", Role::Editor).await;
    try_sign_in(&db.pool, "editor@acme.test", PASSWORD)
        .await
        .expect("in");
    let _ = try_sign_in(&db.pool, "editor@acme.test", "wrong").await;
    let _ = try_sign_in(&db.pool, "ghost@acme.test", "wrong").await;
    let recorded: Vec<(String, Option<String>, serde_json::Value)> = events::table
        .filter(events::org_id.eq(editor.org.id.sql()))
        .filter(events::type_.eq_any(["Member.signedIn", "Member.signInFailed"]))
        .order(events::seq)
        .select((events::type_, events::actor, events::data))
        .load(&mut conn)
        .await
        .expect("events");
    let kinds: Vec<&str> = recorded.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(kinds, ["Member.signedIn", "Member.signInFailed"]);
    for (_, actor, data) in &recorded {
        assert_eq!(actor.as_deref(), Some(editor.user_id.as_str()));
        assert_eq!(data["address"], "192.0.2.1");
        assert_eq!(data["browser"], "test browser");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_email_takes_as_long_as_a_wrong_password() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    member(&mut conn, "acme", Role::Editor).await;
    auth::warm_up();
    // Both paths run one Argon2 verification (about 50 ms); without the decoy an unknown email
    // would answer in about 1 ms. Medians of a few tries, with room for a busy machine.
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..5 {
        let t = std::time::Instant::now();
        let wrong = try_sign_in(&db.pool, "editor@acme.test", "wrong").await;
        known.push(t.elapsed());
        let t = std::time::Instant::now();
        let ghost = try_sign_in(&db.pool, "ghost@acme.test", "wrong").await;
        unknown.push(t.elapsed());
        let (wrong, ghost) = (wrong.expect_err("refused"), ghost.expect_err("refused"));
        assert_eq!(wrong.to_string(), ghost.to_string());
        assert!(!matches!(wrong, SignInError::Internal(_)), "{wrong}");
    }
    known.sort();
    unknown.sort();
    let (k, u) = (known[2].as_secs_f64(), unknown[2].as_secs_f64());
    assert!(
        u > k * 0.3 && u < k * 3.0,
        "known {k:.3}s vs unknown {u:.3}s"
    );
}

async fn fail(conn: &mut switchyard::db::Conn, email: &str, address: &str, times: i64) {
    let rows: Vec<_> = (0..times)
        .map(|_| {
            (
                sign_in_failures::email.eq(email.to_owned()),
                sign_in_failures::address.eq(Some(address.to_owned())),
            )
        })
        .collect();
    diesel::insert_into(sign_in_failures::table)
        .values(&rows)
        .execute(conn)
        .await
        .expect("failures");
}

/// The review's attack: twenty wrong passwords from anywhere locked any account, the last
/// Admin's included, for an hour. Now they slow down the network that sends them only.
#[tokio::test(flavor = "multi_thread")]
async fn wrong_passwords_slow_the_network_sending_them_and_lock_no_one_out() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    member(&mut conn, "acme", Role::Admin).await;
    fail(&mut conn, "admin@acme.test", "198.51.100.7", 20).await;
    let from = |address| attempt("admin@acme.test", PASSWORD, address);
    let slowed = auth::sign_in(&db.pool, &from("198.51.100.7")).await;
    assert!(
        matches!(slowed, Err(SignInError::Slowed(wait)) if wait > time::Duration::minutes(14)),
        "{slowed:?}"
    );
    assert!(
        slowed
            .expect_err("slowed")
            .to_string()
            .starts_with("Too many wrong passwords from your network: wait 15 minutes"),
    );
    assert!(
        auth::sign_in(&db.pool, &from("203.0.113.5")).await.is_ok(),
        "the Admin still signs in from their own network"
    );
    // A client of one IPv6 network cannot dodge the wait by changing its address.
    for n in 1..=auth::FREE_TRIES {
        let address = format!("2001:db8:1:2::{n}");
        let wrong = auth::sign_in(&db.pool, &attempt("admin@acme.test", "wrong", &address)).await;
        assert_eq!(wrong, Err(SignInError::Mismatch), "try {n}");
    }
    assert!(matches!(
        auth::sign_in(&db.pool, &from("2001:db8:1:2:ffff::99")).await,
        Err(SignInError::Slowed(_))
    ));
    // The Admins are told how many tries were made, from how many networks.
    let flooded = auth::flooded(&mut conn, &["Admin@acme.test".to_owned()])
        .await
        .expect("floods");
    assert_eq!(flooded, vec![("admin@acme.test".to_owned(), 25, 2)]);
    // Waiting long enough is all it takes.
    diesel::update(sign_in_failures::table)
        .set(
            sign_in_failures::failed_at
                .eq(time::OffsetDateTime::now_utc() - time::Duration::minutes(16)),
        )
        .execute(&mut conn)
        .await
        .expect("age");
    assert!(auth::sign_in(&db.pool, &from("198.51.100.7")).await.is_ok());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_address_with_many_failures_is_throttled_whichever_account_it_tries() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    member(&mut conn, "acme", Role::Editor).await;
    fail(
        &mut conn,
        "someone@else.test",
        "203.0.113.9",
        auth::FAILURES_PER_ADDRESS,
    )
    .await;
    let from = |address| attempt("editor@acme.test", PASSWORD, address);
    assert_eq!(
        auth::sign_in(&db.pool, &from("203.0.113.9")).await,
        Err(SignInError::Throttled)
    );
    assert!(
        auth::sign_in(&db.pool, &from("203.0.113.10")).await.is_ok(),
        "another address signs in"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn no_database_connection_is_held_while_a_password_is_checked() {
    let db = TestDb::new().await;
    {
        let mut conn = db.conn().await;
        member(&mut conn, "acme", Role::Editor).await;
    }
    auth::warm_up();
    // One connection for everything: sign-ins that held it through Argon2 would make the
    // query below wait for all of them.
    let pool = switchyard::db::pool(&db.url, 1).expect("pool");
    let all = std::time::Instant::now();
    let tries: Vec<_> = (0..8)
        .map(|n| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let address = format!("192.0.2.{n}");
                auth::sign_in(&pool, &attempt("editor@acme.test", "wrong", &address)).await
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let started = std::time::Instant::now();
    let mut conn = pool.get().await.expect("connection");
    let _: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>("1::bigint"))
        .get_result(&mut conn)
        .await
        .expect("query");
    let waited = started.elapsed();
    drop(conn);
    for t in tries {
        assert_eq!(t.await.expect("task"), Err(SignInError::Mismatch));
    }
    let total = all.elapsed();
    // Eight checks on two password threads take four checks' time. Held through the checks,
    // the one connection would come free only after nearly all of them; free, the query waits
    // only for the short queries around a check.
    assert!(waited * 2 < total, "waited {waited:?} of {total:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn old_failures_are_pruned_and_recent_ones_kept() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let old = time::OffsetDateTime::now_utc() - time::Duration::minutes(61);
    diesel::insert_into(sign_in_failures::table)
        .values(vec![
            (
                sign_in_failures::email.eq("a@x.test"),
                sign_in_failures::failed_at.eq(old),
            ),
            (
                sign_in_failures::email.eq("b@x.test"),
                sign_in_failures::failed_at.eq(time::OffsetDateTime::now_utc()),
            ),
        ])
        .execute(&mut conn)
        .await
        .expect("insert");
    assert_eq!(auth::prune_failures(&mut conn).await.expect("prune"), 1);
    let left: Vec<String> = sign_in_failures::table
        .select(sign_in_failures::email)
        .load(&mut conn)
        .await
        .expect("load");
    assert_eq!(left, vec!["b@x.test".to_owned()]);
}
