use crate::TestApp;
use app::error::AppError;
use app::server_fns::settings::SettingsView;
use switchyard::Role;
use switchyard::entity::Scope;

fn view(body: &str) -> SettingsView {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_server_functions_refuse_strangers_and_the_signed_out() {
    let app = TestApp::new().await;
    let acme = app.member("acme", Role::Admin).await;
    let globex = app.member("globex", Role::Admin).await;
    let mut conn = app.db.conn().await;
    let (key, _) = switchyard::api_key::create(
        &mut conn,
        &acme,
        &switchyard::api_key::KeyRequest::new("CI", &switchyard::entity::Scope::ALL),
    )
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
    assert!(bad.field("scopes").is_some(), "no scope chosen: {bad:?}");
    let past = app
        .call(
            Some(&cookie),
            "create_api_key",
            &[
                ("org", "acme"),
                ("name", "Old"),
                ("read", "on"),
                ("expires_on", "2020-01-01"),
            ],
        )
        .await
        .error();
    assert!(past.field("expires_on").is_some(), "{past:?}");
    let created = app
        .call(
            Some(&cookie),
            "create_api_key",
            &[
                ("org", "acme"),
                ("name", "Zapier"),
                ("read", "on"),
                ("events_write", "on"),
                ("expires_on", "2999-12-31"),
            ],
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
    assert_eq!(keys.len(), 1, "the refused ones made nothing");
    assert!(secret.starts_with(&keys[0].prefix));
    assert_eq!(keys[0].scopes, [Scope::EventsWrite, Scope::Read]);
    assert_eq!(
        keys[0].expires_at.map(|t| t.date().to_string()),
        Some("3000-01-01".to_owned()),
        "it works through its last day"
    );
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

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_sets_the_threshold_and_time_zone_and_nobody_else_can() {
    use axum::http::StatusCode;
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let editor = app.member("acme", Role::Editor).await;
    let stranger = app.member("globex", Role::Admin).await;
    let cookie = app.sign_in(&admin).await;
    let save = |threshold: &'static str, zone: &'static str| {
        vec![
            ("org", "acme"),
            ("failure_threshold", threshold),
            ("time_zone", zone),
        ]
    };
    let bad = app
        .call(
            Some(&cookie),
            "save_preferences",
            &save("150", "Mars/Olympus"),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let error = bad.error();
    assert!(error.field("failureThreshold").is_some() && error.field("timeZone").is_some());
    let ok = app
        .call(
            Some(&cookie),
            "save_preferences",
            &save("25", "Europe/Paris"),
        )
        .await;
    assert!(ok.status.is_success(), "{}", ok.body);
    let seen: app::server_fns::settings::SettingsView = serde_json::from_str(
        &app.call(Some(&cookie), "get_settings", &[("org", "acme")])
            .await
            .body,
    )
    .expect("settings");
    assert_eq!(
        (seen.settings.threshold, seen.settings.time_zone.as_str()),
        (0.25, "Europe/Paris")
    );
    let editing = app.sign_in(&editor).await;
    let refused = app
        .call(Some(&editing), "save_preferences", &save("50", "UTC"))
        .await;
    assert_eq!(refused.error(), AppError::Forbidden);
    let signed_out = app.call(None, "save_preferences", &save("50", "UTC")).await;
    assert_eq!(signed_out.error(), AppError::Unauthorized);
    let theirs = app.sign_in(&stranger).await;
    let other = app
        .call(Some(&theirs), "save_preferences", &save("50", "UTC"))
        .await;
    let mut missing_org = save("50", "UTC");
    missing_org[0] = ("org", "initech");
    let control = app
        .call(Some(&theirs), "save_preferences", &missing_org)
        .await;
    assert_eq!(other.error(), AppError::NotFound);
    assert_eq!((other.status, other.body), (control.status, control.body));
    let after: app::server_fns::settings::SettingsView = serde_json::from_str(
        &app.call(Some(&cookie), "get_settings", &[("org", "acme")])
            .await
            .body,
    )
    .expect("settings");
    assert_eq!(after.settings.threshold, 0.25, "nobody else changed it");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_sets_a_secret_on_the_page_and_over_rest_and_its_value_never_comes_back() {
    const VALUE: &str = "sk_live_PageAndRestValue42";
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let cookie = app.sign_in(&admin).await;
    let settings = "http://switchyard.test/o/acme/settings";

    // A mistake comes back named, with the name and hosts as typed, and never the value.
    let bad = app
        .post_form(
            Some(&cookie),
            "set_secret",
            &[
                ("org", "acme"),
                ("name", "crm token"),
                ("value", VALUE),
                ("hosts", "crm.example.com"),
            ],
            settings,
        )
        .await;
    let back = bad.location.clone().expect("back to the page");
    let page = app.get(Some(&cookie), &back).await;
    assert!(
        page.body.contains("A secret&#x27;s name is capitals")
            || page.body.contains("A secret's name is capitals"),
        "{}",
        page.body
    );
    assert!(page.body.contains("crm token"), "the name as typed");
    assert!(!page.body.contains(VALUE), "the value is not sent back");

    // Set from the page (a plain form): listed by name and hosts, never the value.
    let set = app
        .post_form(
            Some(&cookie),
            "set_secret",
            &[
                ("org", "acme"),
                ("name", "CRM_TOKEN"),
                ("value", VALUE),
                ("hosts", "crm.example.com"),
            ],
            settings,
        )
        .await;
    assert_eq!(set.status, axum::http::StatusCode::FOUND, "{}", set.body);
    let page = app.get(Some(&cookie), "/o/acme/settings").await;
    assert!(page.body.contains("CRM_TOKEN") && page.body.contains("crm.example.com"));
    assert!(!page.body.contains(VALUE));

    // An Editor sees no secret.
    let editor = app.member("acme", Role::Editor).await;
    let editor = app.sign_in(&editor).await;
    let theirs = app.get(Some(&editor), "/o/acme/settings").await;
    assert!(
        theirs
            .body
            .contains("Only Admins of this organization see and set its secrets.")
    );
    assert!(!theirs.body.contains("CRM_TOKEN"));

    // Over REST with an admin key: set another, list both, never a value.
    let key = crate::ingest::key(&app, "acme").await;
    let rest = |method: &str, path: &str, body: Option<serde_json::Value>, key: &str| {
        axum::http::Request::builder()
            .method(method)
            .uri(path)
            .header("host", "switchyard.test")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {key}"))
            .body(axum::body::Body::from(
                body.map(|b| b.to_string()).unwrap_or_default(),
            ))
            .expect("request")
    };
    let put = app
        .send(rest(
            "PUT",
            "/~acme/secrets/API_KEY",
            Some(serde_json::json!({"value": VALUE, "hosts": ["api.example.com"]})),
            &key,
        ))
        .await;
    assert_eq!(put.status, axum::http::StatusCode::OK, "{}", put.body);
    assert!(!put.body.contains(VALUE));
    let listed = app.send(rest("GET", "/~acme/secrets", None, &key)).await;
    let names: Vec<String> = serde_json::from_str::<serde_json::Value>(&listed.body).expect("json")
        ["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|s| s["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(names, ["API_KEY", "CRM_TOKEN"]);
    assert!(!listed.body.contains(VALUE));

    // Another organization's admin key: acme's secret looks like a missing one.
    let globex = crate::ingest::key(&app, "globex").await;
    let theirs = app
        .send(rest("DELETE", "/~globex/secrets/CRM_TOKEN", None, &globex))
        .await;
    let missing = app
        .send(rest("DELETE", "/~globex/secrets/NO_SUCH", None, &globex))
        .await;
    assert_eq!(theirs.status, axum::http::StatusCode::NOT_FOUND);
    assert_eq!(theirs.body, missing.body);
    let deleted = app
        .send(rest("DELETE", "/~acme/secrets/CRM_TOKEN", None, &key))
        .await;
    assert_eq!(deleted.status, axum::http::StatusCode::NO_CONTENT);
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_show_times_in_the_organizations_time_zone_with_the_exact_time_on_hover() {
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let workflow = app.workflow(&admin, "Onboarding", 1).await;
    let cookie = app.sign_in(&admin).await;
    let page = format!("/o/acme/workflows/{}", workflow.id);
    let before = app.get(Some(&cookie), &page).await;
    assert!(before.body.contains("<time datetime="), "{}", before.body);
    assert!(before.body.contains(" UTC (UTC+00:00)"), "{}", before.body);

    let saved = app
        .call(
            Some(&cookie),
            "save_preferences",
            &[
                ("org", "acme"),
                ("failure_threshold", "10"),
                ("time_zone", "Europe/Paris"),
            ],
        )
        .await;
    assert!(saved.status.is_success(), "{}", saved.body);
    let after = app.get(Some(&cookie), &page).await;
    // The hover names the zone and its offset on that day (+01:00 in winter, +02:00 in summer).
    assert!(
        after.body.contains(" Europe/Paris (UTC+0"),
        "{}",
        after.body
    );
    assert!(!after.body.contains(" UTC (UTC+00:00)"), "{}", after.body);
}
