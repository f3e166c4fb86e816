//! Secrets: sealed before they are stored, listed without their values, set and deleted by
//! Admins only, opened only with the operator's key, for their own organization.

use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use switchyard::secret::SecretInput;
use switchyard::secrets::{self, SecretsKey};
use switchyard::testing::{TestDb, member};
use switchyard::{DomainError, Role};

const VALUE: &str = "sk_live_51HyperSecretValue";

fn input(name: &str) -> SecretInput {
    SecretInput {
        name: name.into(),
        value: VALUE.into(),
        hosts: "crm.example.com".into(),
    }
}

/// How many places of the database hold `needle`: every text, JSON, array and byte column of
/// every table, as text and as bytes.
pub async fn occurrences(conn: &mut switchyard::db::Conn, needle: &str) -> i64 {
    #[derive(QueryableByName)]
    struct Column {
        #[diesel(sql_type = diesel::sql_types::Text)]
        table_name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        column_name: String,
    }
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let columns: Vec<Column> = diesel::sql_query(
        "SELECT table_name::text AS table_name, column_name::text AS column_name
         FROM information_schema.columns
         WHERE table_schema = 'public'
           AND data_type IN ('text', 'jsonb', 'json', 'bytea', 'ARRAY', 'character varying')",
    )
    .load(conn)
    .await
    .expect("columns");
    let mut total = 0;
    for c in columns {
        let sql = format!(
            "SELECT count(*) AS n FROM \"{t}\" WHERE \"{c}\"::text LIKE '%' || $1 || '%' OR position(convert_to($1, 'UTF8') IN convert_to(\"{c}\"::text, 'UTF8')) > 0",
            t = c.table_name,
            c = c.column_name
        );
        let count: Count = diesel::sql_query(sql)
            .bind::<diesel::sql_types::Text, _>(needle)
            .get_result(conn)
            .await
            .expect("count");
        total += count.n;
    }
    total
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_is_sealed_listed_without_its_value_and_opened_only_with_the_key() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let key = SecretsKey::parse(&SecretsKey::new_text()).expect("key");

    let set = secrets::set(&mut conn, Some(&key), &admin, &input("CRM_TOKEN"))
        .await
        .expect("set");
    assert_eq!(set.name, "CRM_TOKEN");
    assert_eq!(set.hosts, ["crm.example.com"]);
    assert_eq!(set.set_by, admin.display_name);
    assert_eq!(
        occurrences(&mut conn, VALUE).await,
        0,
        "the value is stored nowhere in clear"
    );
    assert!(
        occurrences(&mut conn, "CRM_TOKEN").await > 0,
        "the search finds what is there"
    );

    let listed = secrets::list(&mut conn, &admin).await.expect("list");
    assert_eq!(listed, std::slice::from_ref(&set));
    assert!(!format!("{listed:?}").contains(VALUE));

    let (value, hosts) = secrets::reveal(&mut conn, Some(&key), &admin.org.id, "CRM_TOKEN")
        .await
        .expect("reveal")
        .expect("there");
    assert_eq!(
        (value.as_str(), hosts.as_slice()),
        (VALUE, &["crm.example.com".to_owned()][..])
    );
    // Another key does not open it, and says why.
    let other = SecretsKey::parse(&SecretsKey::new_text()).expect("key");
    let refused = secrets::reveal(&mut conn, Some(&other), &admin.org.id, "CRM_TOKEN").await;
    assert!(
        matches!(&refused, Err(DomainError::Refused(m)) if m.contains("another key")),
        "{refused:?}"
    );

    // Setting it again replaces it; deleting it removes it.
    let again = SecretInput {
        hosts: "api.crm.example.com".into(),
        ..input("CRM_TOKEN")
    };
    secrets::set(&mut conn, Some(&key), &admin, &again)
        .await
        .expect("set again");
    let listed = secrets::list(&mut conn, &admin).await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].hosts, ["api.crm.example.com"]);
    secrets::delete(&mut conn, &admin, "CRM_TOKEN")
        .await
        .expect("delete");
    assert!(
        secrets::list(&mut conn, &admin)
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(
        secrets::delete(&mut conn, &admin, "CRM_TOKEN").await,
        Err(DomainError::NotFound)
    );
    assert_eq!(occurrences(&mut conn, VALUE).await, 0, "nor in the events");
}

#[tokio::test(flavor = "multi_thread")]
async fn only_admins_touch_secrets_and_another_organization_finds_none() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let editor = member(&mut conn, "acme", Role::Editor).await;
    let viewer = member(&mut conn, "acme", Role::Viewer).await;
    let stranger = member(&mut conn, "globex", Role::Admin).await;
    let key = SecretsKey::parse(&SecretsKey::new_text()).expect("key");
    secrets::set(&mut conn, Some(&key), &admin, &input("CRM_TOKEN"))
        .await
        .expect("set");

    for who in [&editor, &viewer] {
        assert_eq!(
            secrets::set(&mut conn, Some(&key), who, &input("MINE")).await,
            Err(DomainError::Forbidden)
        );
        assert_eq!(
            secrets::list(&mut conn, who).await,
            Err(DomainError::Forbidden)
        );
        assert_eq!(
            secrets::delete(&mut conn, who, "CRM_TOKEN").await,
            Err(DomainError::Forbidden)
        );
    }
    // Globex's admin sees none of acme's, cannot delete one, and cannot open one by name.
    assert!(
        secrets::list(&mut conn, &stranger)
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(
        secrets::delete(&mut conn, &stranger, "CRM_TOKEN").await,
        secrets::delete(&mut conn, &stranger, "NO_SUCH").await
    );
    assert_eq!(
        secrets::reveal(&mut conn, Some(&key), &stranger.org.id, "CRM_TOKEN")
            .await
            .expect("reveal"),
        None
    );
    assert_eq!(
        secrets::list(&mut conn, &admin).await.expect("list").len(),
        1,
        "acme's secret is still there"
    );

    // A server without a key keeps no secrets, and says so; a bad input is named field by field.
    let refused = secrets::set(&mut conn, None, &admin, &input("OTHER")).await;
    assert!(
        matches!(&refused, Err(DomainError::Refused(m)) if m.contains("SWITCHYARD_SECRETS_KEY")),
        "{refused:?}"
    );
    let bad = SecretInput {
        name: "crm token".into(),
        value: String::new(),
        hosts: String::new(),
    };
    let Err(DomainError::Validation(errors)) =
        secrets::set(&mut conn, Some(&key), &admin, &bad).await
    else {
        panic!("invalid input accepted");
    };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["name", "value", "hosts"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rotation_reseals_every_organizations_secrets_with_the_new_key() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let acme = member(&mut conn, "acme", Role::Admin).await;
    let globex = member(&mut conn, "globex", Role::Admin).await;
    let old = SecretsKey::parse(&SecretsKey::new_text()).expect("key");
    let new = SecretsKey::parse(&SecretsKey::new_text()).expect("key");
    for admin in [&acme, &globex] {
        secrets::set(&mut conn, Some(&old), admin, &input("CRM_TOKEN"))
            .await
            .expect("set");
    }
    assert_eq!(secrets::rotate(&mut conn, &old, &new).await, Ok(2));
    for admin in [&acme, &globex] {
        let opened = secrets::reveal(&mut conn, Some(&new), &admin.org.id, "CRM_TOKEN")
            .await
            .expect("opens with the new key")
            .expect("there");
        assert_eq!(opened.0, VALUE);
        assert!(
            secrets::reveal(&mut conn, Some(&old), &admin.org.id, "CRM_TOKEN")
                .await
                .is_err()
        );
    }
    assert_eq!(
        secrets::rotate(&mut conn, &old, &new).await,
        Ok(0),
        "nothing left to do"
    );
    assert_eq!(occurrences(&mut conn, VALUE).await, 0);
}
