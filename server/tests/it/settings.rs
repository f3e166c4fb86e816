use crate::TestApp;
use app::api::settings::SettingsView;
use app::error::AppError;
use switchyard::Role;

fn view(body: &str) -> SettingsView {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_server_functions_refuse_strangers_and_the_signed_out() {
    let app = TestApp::new().await;
    let acme = app.member("acme", Role::Admin).await;
    let globex = app.member("globex", Role::Admin).await;
    let mut conn = app.db.conn().await;
    let (key, _) = switchyard::api_key::create(&mut conn, &acme, "CI")
        .await
        .expect("key");
    let id = key.id.to_string();
    let calls: [(&str, Vec<(&str, &str)>); 3] = [
        ("get_settings", vec![("org", "acme")]),
        ("create_api_key", vec![("org", "acme"), ("name", "Mine")]),
        ("revoke_api_key", vec![("org", "acme"), ("id", &id)]),
    ];
    let cookie = app.sign_in(&globex).await;
    for (name, args) in &calls {
        assert_eq!(
            app.call(None, name, args).await.error(),
            AppError::Unauthorized,
            "{name}"
        );
        assert_eq!(
            app.call(Some(&cookie), name, args).await.error(),
            AppError::NotFound,
            "{name} from globex"
        );
    }
    // Inside its own organization, globex cannot reach acme's key either: exactly like a missing one.
    let theirs = app
        .call(
            Some(&cookie),
            "revoke_api_key",
            &[("org", "globex"), ("id", &id)],
        )
        .await;
    let missing = app
        .call(
            Some(&cookie),
            "revoke_api_key",
            &[("org", "globex"), ("id", "key_Missing0")],
        )
        .await;
    assert_eq!((theirs.status, theirs.body), (missing.status, missing.body));
    let keys = switchyard::api_key::list(&mut conn, &acme)
        .await
        .expect("list");
    assert_eq!(
        (keys.len(), keys[0].revoked_at),
        (1, None),
        "nothing changed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn only_admins_see_and_manage_keys() {
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    for role in [Role::Editor, Role::Viewer] {
        let someone = app.member("acme", role).await;
        let cookie = app.sign_in(&someone).await;
        let seen = view(
            &app.call(Some(&cookie), "get_settings", &[("org", "acme")])
                .await
                .body,
        );
        assert_eq!(seen.settings.keys, None, "{role:?} sees no keys");
        assert!(
            seen.settings.members.iter().any(|m| m.email == admin.email),
            "but sees the members"
        );
        let answer = app
            .call(
                Some(&cookie),
                "create_api_key",
                &[("org", "acme"), ("name", "Mine")],
            )
            .await;
        assert_eq!(answer.error(), AppError::Forbidden, "{role:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_key_is_shown_once_then_only_its_prefix() {
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let cookie = app.sign_in(&admin).await;
    let bad = app
        .call(
            Some(&cookie),
            "create_api_key",
            &[("org", "acme"), ("name", "")],
        )
        .await
        .error();
    assert!(bad.field("name").is_some(), "{bad:?}");
    let created = app
        .call(
            Some(&cookie),
            "create_api_key",
            &[("org", "acme"), ("name", "Zapier")],
        )
        .await;
    assert!(created.status.is_success(), "{}", created.body);
    let first = view(
        &app.call(Some(&cookie), "get_settings", &[("org", "acme")])
            .await
            .body,
    );
    let (name, secret) = first.new_key.expect("shown once");
    assert_eq!(name, "Zapier");
    let keys = first.settings.keys.expect("admin sees keys");
    assert!(secret.starts_with(&keys[0].prefix));
    let second = app.get(Some(&cookie), "/o/acme/settings").await;
    assert!(!second.body.contains(&secret), "not shown again");
    assert!(second.body.contains(&keys[0].prefix), "the prefix is");
    let revoked = app
        .call(
            Some(&cookie),
            "revoke_api_key",
            &[("org", "acme"), ("id", keys[0].id.as_str())],
        )
        .await;
    assert!(revoked.status.is_success(), "{}", revoked.body);
    let mut conn = app.db.conn().await;
    assert_eq!(
        switchyard::api_key::authenticate(&mut conn, "acme", &secret)
            .await
            .expect("auth"),
        None
    );
}
