use crate::TestApp;
use switchyard::Role;

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn create_org_makes_an_organization_and_an_admin_who_can_sign_in() {
    let app = TestApp::new().await;
    let out = server::cli::create_org(
        &args(&[
            "--slug",
            "globex",
            "--name",
            "Globex Corp",
            "--admin-email",
            "hank@globex.test",
            "--admin-name",
            "Hank",
            "--admin-password",
            "long enough pw",
        ]),
        &app.db.url,
    )
    .await
    .expect("created");
    assert!(
        out.contains("Globex Corp") && out.contains("`globex`") && out.contains("hank@globex.test"),
        "{out}"
    );
    let answer = app
        .call(
            None,
            "login",
            &[
                ("email", "hank@globex.test"),
                ("password", "long enough pw"),
            ],
        )
        .await;
    assert!(answer.status.is_success(), "{}", answer.body);
    let cookie = answer.cookie();
    let me: switchyard::Member = serde_json::from_str(
        &app.call(Some(&cookie), "current_member", &[("org", "globex")])
            .await
            .body,
    )
    .expect("member");
    assert_eq!(me.role, Role::Admin);
}

#[tokio::test(flavor = "multi_thread")]
async fn create_org_refuses_bad_arguments_and_writes_nothing() {
    let app = TestApp::new().await;
    let url = app.db.url.clone();
    let cases: [(&[&str], &str); 5] = [
        (&["--slug", "x"], "--name is required"),
        (&["--slugg", "x"], "unknown argument `--slugg`"),
        (
            &[
                "--slug",
                "Bad Slug",
                "--name",
                "B",
                "--admin-email",
                "a@b.test",
                "--admin-password",
                "long enough pw",
            ],
            "Slug must be",
        ),
        (
            &[
                "--slug",
                "ok",
                "--name",
                "B",
                "--admin-email",
                "not-an-email",
                "--admin-password",
                "long enough pw",
            ],
            "Email must",
        ),
        (
            &[
                "--slug",
                "ok",
                "--name",
                "B",
                "--admin-email",
                "a@b.test",
                "--admin-password",
                "short",
            ],
            "at least 12",
        ),
    ];
    for (list, expected) in cases {
        let err = server::cli::create_org(&args(list), &url)
            .await
            .expect_err("refused");
        assert!(err.to_string().contains(expected), "{list:?}: {err}");
    }
    app.member("acme", Role::Admin).await;
    let again = server::cli::create_org(
        &args(&[
            "--slug",
            "acme",
            "--name",
            "Again",
            "--admin-email",
            "x@y.test",
            "--admin-password",
            "long enough pw",
        ]),
        &url,
    )
    .await;
    assert!(
        again
            .expect_err("taken")
            .to_string()
            .contains("already exists")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn create_api_key_prints_a_key_that_opens_its_organization() {
    let app = TestApp::new().await;
    app.member("acme", Role::Admin).await;
    let out =
        server::cli::create_api_key(&args(&["--org", "acme", "--name", "Zapier"]), &app.db.url)
            .await
            .expect("created");
    let secret = out.lines().nth(1).expect("the key on its own line");
    let mut conn = app.db.conn().await;
    let holder = switchyard::api_key::authenticate(&mut conn, "acme", secret)
        .await
        .expect("auth");
    assert_eq!(holder.map(|h| h.org.slug), Some("acme".to_owned()));
    let err =
        server::cli::create_api_key(&args(&["--org", "nope", "--name", "Zapier"]), &app.db.url)
            .await
            .expect_err("no org");
    assert!(
        err.to_string().contains("no organization with slug `nope`"),
        "{err}"
    );
    let err = server::cli::create_api_key(&args(&["--org", "acme", "--name", " "]), &app.db.url)
        .await
        .expect_err("name");
    assert!(err.to_string().contains("Name is required"), "{err}");
    // The `admin` scope exists; an unknown one is a clear error, not a crash.
    let out = server::cli::create_api_key(
        &args(&[
            "--org",
            "acme",
            "--name",
            "Auditor",
            "--scopes",
            "read,admin",
        ]),
        &app.db.url,
    )
    .await
    .expect("created");
    assert!(out.contains("scopes read, admin"), "{out}");
    let err = server::cli::create_api_key(
        &args(&["--org", "acme", "--name", "Boss", "--scopes", "owner"]),
        &app.db.url,
    )
    .await
    .expect_err("no such scope");
    assert_eq!(
        err.to_string(),
        "--scopes: “owner” is not a scope: choose events:write, read, write or admin"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_rotate_reseals_with_the_new_key_and_says_so() {
    use switchyard::secrets::{self, SecretsKey};
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let old_text = SecretsKey::new_text();
    let old = SecretsKey::parse(&old_text).expect("key");
    let new = SecretsKey::parse(&SecretsKey::new_text()).expect("key");
    let mut conn = app.db.conn().await;
    let input = switchyard::secret::SecretInput {
        name: "CRM_TOKEN".into(),
        value: "rotate-me".into(),
        hosts: "crm.example.com".into(),
    };
    secrets::set(&mut conn, Some(&old), &admin, &input)
        .await
        .expect("set");
    let said = server::cli::rotate_secrets(&app.db.url, &old_text, Some(&new))
        .await
        .expect("rotated");
    assert!(said.starts_with("Re-sealed 1 secret(s)"), "{said}");
    let opened = secrets::reveal(&mut conn, Some(&new), &admin.org.id, "CRM_TOKEN")
        .await
        .expect("opens")
        .expect("there");
    assert_eq!(opened.0, "rotate-me");
    let again = server::cli::rotate_secrets(&app.db.url, &old_text, Some(&new))
        .await
        .expect("nothing to do");
    assert!(
        again.starts_with("No secret is sealed with the old key"),
        "{again}"
    );
    let bad = server::cli::rotate_secrets(&app.db.url, "not a key", Some(&new)).await;
    assert!(bad.is_err());
    let same = server::cli::rotate_secrets(&app.db.url, &old_text, Some(&old)).await;
    assert!(
        same.expect_err("the same key")
            .to_string()
            .contains("the same"),
        "the same key twice is refused"
    );
    let none = server::cli::rotate_secrets(&app.db.url, &old_text, None).await;
    assert!(
        none.expect_err("no new key")
            .to_string()
            .contains("SWITCHYARD_SECRETS_KEY")
    );
}
