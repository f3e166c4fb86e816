use switchyard::auth::{self, SignInError};
use switchyard::repo;
use switchyard::testing::{PASSWORD, TestDb, member};
use switchyard::{Role, UserId};

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
    let id: UserId = auth::sign_in(&mut conn, "Editor@ACME.test", PASSWORD)
        .await
        .expect("sign in");
    assert_eq!(id, editor.user_id);
    assert_eq!(
        auth::sign_in(&mut conn, "editor@acme.test", "wrong").await,
        Err(SignInError::Mismatch)
    );
    assert_eq!(
        auth::sign_in(&mut conn, "nobody@acme.test", PASSWORD).await,
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
        let wrong = auth::sign_in(&mut conn, "editor@acme.test", "wrong").await;
        known.push(t.elapsed());
        let t = std::time::Instant::now();
        let ghost = auth::sign_in(&mut conn, "ghost@acme.test", "wrong").await;
        unknown.push(t.elapsed());
        // What is timed is the refusal itself, the same for both.
        let (wrong, ghost) = (wrong.expect_err("refused"), ghost.expect_err("refused"));
        assert_eq!(wrong.to_string(), ghost.to_string());
        assert!(!matches!(wrong, auth::SignInError::Internal(_)), "{wrong}");
    }
    known.sort();
    unknown.sort();
    let (k, u) = (known[2].as_secs_f64(), unknown[2].as_secs_f64());
    assert!(
        u > k * 0.3 && u < k * 3.0,
        "known {k:.3}s vs unknown {u:.3}s"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_sign_ins_are_throttled_per_account() {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use switchyard::schema::sign_in_failures;
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    member(&mut conn, "acme", Role::Editor).await;
    member(&mut conn, "acme", Role::Viewer).await;
    // 99 failures in the last hour: one more try is still checked.
    let rows: Vec<_> = (0..auth::FAILURES_PER_HOUR - 1)
        .map(|_| sign_in_failures::email.eq("editor@acme.test"))
        .collect();
    diesel::insert_into(sign_in_failures::table)
        .values(&rows)
        .execute(&mut conn)
        .await
        .expect("failures");
    assert_eq!(
        auth::sign_in(&mut conn, "editor@acme.test", "wrong").await,
        Err(SignInError::Mismatch)
    );
    assert_eq!(
        auth::sign_in(&mut conn, "editor@acme.test", PASSWORD).await,
        Err(SignInError::Throttled),
        "even the right password"
    );
    assert!(
        auth::sign_in(&mut conn, "viewer@acme.test", PASSWORD)
            .await
            .is_ok(),
        "other accounts are not affected"
    );
    // Failures older than an hour no longer count.
    diesel::update(sign_in_failures::table)
        .set(
            sign_in_failures::failed_at
                .eq(time::OffsetDateTime::now_utc() - time::Duration::minutes(61)),
        )
        .execute(&mut conn)
        .await
        .expect("age");
    assert!(
        auth::sign_in(&mut conn, "editor@acme.test", PASSWORD)
            .await
            .is_ok()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn old_failures_are_pruned_and_recent_ones_kept() {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use switchyard::schema::sign_in_failures;
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
