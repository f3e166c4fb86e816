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
