use switchyard::api_key::{self, KeyRequest};
use switchyard::entity::Scope;
use switchyard::testing::{TestDb, member};
use switchyard::{DomainError, Role};

#[tokio::test(flavor = "multi_thread")]
async fn a_key_is_shown_once_stored_hashed_and_opens_its_own_organization_only() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    member(&mut conn, "globex", Role::Admin).await;
    let (key, secret) = api_key::create(
        &mut conn,
        &admin,
        &KeyRequest::new("  Zapier ", &Scope::ALL),
    )
    .await
    .expect("create");
    assert!(secret.starts_with("sy_") && secret.len() == 43, "{secret}");
    assert_eq!(
        (key.name.as_str(), key.prefix.as_str()),
        ("Zapier", &secret[..12])
    );
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use switchyard::schema::api_keys;
    let stored: String = api_keys::table
        .select(api_keys::hash)
        .first(&mut conn)
        .await
        .expect("hash");
    assert!(!stored.contains(&secret[3..]), "the secret is not stored");

    let holder = api_key::authenticate(&mut conn, "acme", &secret)
        .await
        .expect("auth")
        .expect("acme");
    assert_eq!(holder.org.id, admin.org.id);
    assert_eq!(holder.key, key.id);
    assert_eq!(
        api_key::authenticate(&mut conn, "globex", &secret)
            .await
            .expect("auth"),
        None,
        "another org"
    );
    let mut wrong = secret.clone();
    wrong.replace_range(42.., if secret.ends_with('a') { "b" } else { "a" });
    assert_eq!(
        api_key::authenticate(&mut conn, "acme", &wrong)
            .await
            .expect("auth"),
        None,
        "same prefix, wrong secret"
    );
    assert_eq!(
        api_key::authenticate(&mut conn, "acme", "nonsense")
            .await
            .expect("auth"),
        None
    );
    let listed = api_key::list(&mut conn, &admin).await.expect("list");
    assert!(listed[0].last_used_at.is_some(), "use is recorded");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_key_opens_nothing_and_revoking_is_for_own_keys() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let other = member(&mut conn, "globex", Role::Admin).await;
    let (key, secret) = api_key::create(&mut conn, &admin, &KeyRequest::new("CI", &Scope::ALL))
        .await
        .expect("create");
    assert_eq!(
        api_key::revoke(&mut conn, &other, &key.id)
            .await
            .expect_err("other org"),
        DomainError::NotFound
    );
    assert!(
        api_key::authenticate(&mut conn, "acme", &secret)
            .await
            .expect("auth")
            .is_some()
    );
    let revoked = api_key::revoke(&mut conn, &admin, &key.id)
        .await
        .expect("revoke");
    assert!(revoked.revoked_at.is_some());
    assert_eq!(
        api_key::authenticate(&mut conn, "acme", &secret)
            .await
            .expect("auth"),
        None
    );
    let again = api_key::revoke(&mut conn, &admin, &key.id)
        .await
        .expect("again");
    assert_eq!(
        again.revoked_at, revoked.revoked_at,
        "revoking twice changes nothing"
    );
    let audit = switchyard::repo::event::for_subject(&mut conn, &admin.org.id, key.id.as_str(), 10)
        .await
        .expect("events");
    let types: Vec<&str> = audit.iter().rev().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["ApiKey.created", "ApiKey.revoked"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn only_admins_manage_keys_and_names_are_checked() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    for role in [Role::Editor, Role::Viewer] {
        let someone = member(&mut conn, "acme", role).await;
        assert_eq!(
            api_key::create(&mut conn, &someone, &KeyRequest::new("Mine", &Scope::ALL))
                .await
                .expect_err("role"),
            DomainError::Forbidden
        );
        assert_eq!(
            api_key::list(&mut conn, &someone).await.expect_err("role"),
            DomainError::Forbidden
        );
    }
    for bad in ["", "   ", &"x".repeat(101)] {
        let err = api_key::create(&mut conn, &admin, &KeyRequest::new(bad, &Scope::ALL))
            .await
            .expect_err("name");
        assert!(
            matches!(&err, DomainError::Validation(f) if f[0].field == "name"),
            "{err:?}"
        );
    }
    assert!(
        api_key::list(&mut conn, &admin)
            .await
            .expect("list")
            .is_empty(),
        "nothing was written"
    );
}
