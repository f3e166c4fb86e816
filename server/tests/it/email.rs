//! Email through the front doors, with a real SMTP server on a socket: Settings' test email
//! (server function and REST), invitations by email, and "Forgot your password?" from the
//! sign-in page to the new password, JavaScript off.

use crate::rest_api::scoped_key;
use crate::{ORIGIN, TestApp};
use app::error::AppError;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use switchyard::Role;
use switchyard::entity::Scope;
use switchyard::testing::PASSWORD;

/// Posts a form of the settings page as a browser without JavaScript does; it goes back there.
async fn from_settings(app: &TestApp, cookie: &str, name: &str, form: &[(&str, &str)]) {
    let referer = format!("{ORIGIN}/o/acme/settings");
    let posted = app.post_form(Some(cookie), name, form, &referer).await;
    assert!(
        posted.status.is_redirection(),
        "{} {}",
        posted.status,
        posted.body
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_sends_a_test_email_from_settings_and_reads_the_answer() {
    let (app, sink) = TestApp::with_mail().await;
    let admin = app.member("acme", Role::Admin).await;
    let editor = app.member("acme", Role::Editor).await;
    let stranger = app.member("globex", Role::Admin).await;
    let args = [("org", "acme"), ("to", "ops@acme.test")];

    assert_eq!(
        app.call(None, "send_test_email", &args).await.error(),
        AppError::Unauthorized
    );
    let theirs = app.sign_in(&stranger).await;
    assert_eq!(
        app.call(Some(&theirs), "send_test_email", &args)
            .await
            .error(),
        AppError::NotFound
    );
    let editing = app.sign_in(&editor).await;
    assert_eq!(
        app.call(Some(&editing), "send_test_email", &args)
            .await
            .error(),
        AppError::Forbidden
    );
    assert!(sink.messages().is_empty());

    // An Admin, JavaScript off: the form posts, Settings shows what the server answered, once.
    let cookie = app.sign_in(&admin).await;
    let page = app.get(Some(&cookie), "/o/acme/settings").await;
    assert!(
        page.body.contains("Email goes out through 127.0.0.1:"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Send a test email to"));
    from_settings(&app, &cookie, "send_test_email", &args).await;
    let got = sink.wait_for(1).await;
    assert_eq!(
        (got[0].to.as_slice(), got[0].subject().as_str()),
        (&["ops@acme.test".to_owned()][..], "Switchyard test email")
    );
    let shown = app.get(Some(&cookie), "/o/acme/settings").await;
    assert!(shown.body.contains("A test email went to ops@acme.test. The mail server answered: 250 2.0.0 Ok: queued as SINK1"), "{}", shown.body);
    let again = app.get(Some(&cookie), "/o/acme/settings").await;
    assert!(!again.body.contains("A test email went to"), "shown once");
    // An Editor sees whether email is on, not the form.
    let editors = app.get(Some(&editing), "/o/acme/settings").await;
    assert!(
        editors.body.contains("Email goes out through")
            && !editors.body.contains("Send a test email to")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rest_sends_a_test_email_for_admin_keys_only() {
    let (app, sink) = TestApp::with_mail().await;
    let admin_key = scoped_key(&app, "acme", &[Scope::Admin]).await;
    let read_key = scoped_key(&app, "acme", &[Scope::Read, Scope::Write]).await;
    let globex_key = scoped_key(&app, "globex", &Scope::ALL).await;
    let post = |key: &str, org: &str, body: serde_json::Value| {
        Request::post(format!("/~{org}/email/test"))
            .header(header::AUTHORIZATION, format!("Bearer {key}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("request")
    };
    let to = serde_json::json!({"to": "ops@acme.test"});
    let sent = app.send(post(&admin_key, "acme", to.clone())).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    let body: serde_json::Value = serde_json::from_str(&sent.body).expect("json");
    assert_eq!(body["to"], "ops@acme.test");
    assert!(
        body["answer"].as_str().unwrap().starts_with("250 "),
        "{body}"
    );
    assert_eq!(sink.wait_for(1).await.len(), 1);

    assert_eq!(
        app.send(post(&read_key, "acme", to.clone())).await.status,
        StatusCode::FORBIDDEN
    );
    let stranger = app.send(post(&globex_key, "acme", to.clone())).await;
    let missing = app.send(post(&globex_key, "nosuchorg", to.clone())).await;
    assert_eq!(
        (stranger.status, stranger.body),
        (missing.status, missing.body)
    );
    let bad = app
        .send(post(&admin_key, "acme", serde_json::json!({"to": "nope"})))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let refused = app
        .send(post(
            &admin_key,
            "acme",
            serde_json::json!({"to": "x@refused.test"}),
        ))
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(refused.body.contains("refused it: 550"), "{}", refused.body);
    assert_eq!(sink.messages().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invitation_is_emailed_and_the_admin_sees_that_not_the_link() {
    let (app, sink) = TestApp::with_mail().await;
    let admin = app.member("acme", Role::Admin).await;
    let cookie = app.sign_in(&admin).await;
    let invitee = [
        ("org", "acme"),
        ("email", "new@acme.test"),
        ("role", "Editor"),
    ];
    from_settings(&app, &cookie, "invite_member", &invitee).await;
    let got = sink.wait_for(1).await;
    assert_eq!(got[0].to, ["new@acme.test"]);
    let link = got[0].link(&format!("{ORIGIN}/invite/")).expect("link");
    let page = app.get(Some(&cookie), "/o/acme/settings").await;
    assert!(
        page.body.contains("Emailed to new@acme.test"),
        "{}",
        page.body
    );
    let token = link.rsplit('/').next().unwrap();
    assert!(
        !page.body.contains(token),
        "the Admin does not see the link"
    );
    let opened = app.get(None, &format!("/invite/{token}")).await;
    assert!(opened.body.contains("Join Org acme"), "{}", opened.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn forgot_your_password_mails_a_link_that_works_once_and_signs_out_everywhere() {
    let (app, sink) = TestApp::with_mail().await;
    let editor = app.member("acme", Role::Editor).await;
    let elsewhere = app.sign_in(&editor).await;
    let before = app.get(Some(&elsewhere), "/account").await;
    assert!(before.body.contains("editor@acme.test"), "{}", before.body);

    let login = app.get(None, "/login").await;
    assert!(
        login
            .body
            .contains(r#"<a href="/forgot">Forgot your password?</a>"#),
        "{}",
        login.body
    );
    let forgot = app.get(None, "/forgot").await;
    assert!(forgot.body.contains("Send me a link"), "{}", forgot.body);
    // The same answer for an address with an account and one without.
    let app = &app;
    let ask = |email: &'static str| async move {
        app.post_form(
            None,
            "forgot_password",
            &[("email", email)],
            &format!("{ORIGIN}/forgot"),
        )
        .await
    };
    let nobody = ask("nobody@acme.test").await;
    let someone = ask("editor@acme.test").await;
    assert_eq!(
        (nobody.status, &nobody.location),
        (someone.status, &someone.location)
    );
    assert_eq!(someone.location.as_deref(), Some("/forgot?sent=1"));
    let sent_page = app.get(None, "/forgot?sent=1").await;
    assert!(
        sent_page
            .body
            .contains("If that address has an account here")
    );
    let got = sink.wait_for(1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].to, ["editor@acme.test"]);
    let link = got[0]
        .link(&format!("{ORIGIN}/reset/"))
        .expect("a link to the configured address");
    let path = link.strip_prefix(ORIGIN).unwrap().to_owned();
    let token = path.rsplit('/').next().unwrap().to_owned();

    let page = app.get(None, &path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Choose a new password") && page.body.contains("For editor@acme.test"),
        "{}",
        page.body
    );
    let weak = app
        .post_form(
            None,
            "reset_password",
            &[
                ("token", &token),
                ("password", "password1234"),
                ("password_again", "password1234"),
            ],
            &link,
        )
        .await;
    assert!(
        weak.location
            .as_deref()
            .is_some_and(|l| l.starts_with(&link)),
        "back to the form: {:?}",
        weak.location
    );
    let new = "a quiet harbour at dawn";
    let done = app
        .post_form(
            None,
            "reset_password",
            &[
                ("token", &token),
                ("password", new),
                ("password_again", new),
            ],
            &link,
        )
        .await;
    assert_eq!(
        done.location.as_deref(),
        Some("/login?reset=1"),
        "{}",
        done.body
    );
    assert!(
        app.get(None, "/login?reset=1")
            .await
            .body
            .contains("Your password is changed")
    );

    // The session signed in before is over; the old password no longer works, the new one does.
    let after = app.get(Some(&elsewhere), "/account").await;
    assert!(
        !after.body.contains("editor@acme.test"),
        "signed out: {} {}",
        after.status,
        after.body
    );
    let old = app
        .call(
            None,
            "login",
            &[("email", "editor@acme.test"), ("password", PASSWORD)],
        )
        .await;
    assert!(!old.status.is_success());
    let signed = app
        .call(
            None,
            "login",
            &[("email", "editor@acme.test"), ("password", new)],
        )
        .await;
    assert!(signed.status.is_success(), "{}", signed.body);
    // Once.
    let used = app.get(None, &path).await;
    assert_eq!(used.status, StatusCode::NOT_FOUND);
    assert!(used.body.contains("This link does not work"));
}

#[tokio::test(flavor = "multi_thread")]
async fn without_email_the_pages_say_it_is_off() {
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let cookie = app.sign_in(&admin).await;
    let settings = app.get(Some(&cookie), "/o/acme/settings").await;
    assert!(
        settings.body.contains("Email is off on this server"),
        "{}",
        settings.body
    );
    let forgot = app.get(None, "/forgot").await;
    assert!(
        forgot.body.contains("This server sends no email"),
        "{}",
        forgot.body
    );
    let asked = app
        .call(None, "forgot_password", &[("email", "admin@acme.test")])
        .await;
    assert!(
        matches!(asked.error(), AppError::Refused(ref m) if m.contains("Email is off")),
        "{}",
        asked.body
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_chooses_who_alerts_are_emailed_to_and_a_member_turns_theirs_off() {
    let (app, _sink) = TestApp::with_mail().await;
    let admin = app.member("acme", Role::Admin).await;
    let editor = app.member("acme", Role::Editor).await;
    let viewer = app.member("acme", Role::Viewer).await;
    let cookie = app.sign_in(&admin).await;
    let page = app.get(Some(&cookie), "/o/acme/settings").await;
    assert!(
        page.body
            .contains("A workflow fails more than the threshold<!> (not chosen yet: the Admins)"),
        "{}",
        page.body
    );
    // Without JavaScript, the checked boxes only: the Editor and the Viewer, not the Admin.
    let (e, v) = (editor.user_id.to_string(), viewer.user_id.to_string());
    let form = [
        ("org", "acme"),
        ("kind", "FailureRate"),
        ("quiet_minutes", "90"),
        ("email_to[1]", e.as_str()),
        ("email_to[2]", v.as_str()),
    ];
    from_settings(&app, &cookie, "save_alert_rule", &form).await;
    let mut conn = app.db.conn().await;
    let settings = switchyard::alerts::rules::settings(&mut conn, &admin)
        .await
        .unwrap();
    let rule = &settings.rules[0];
    assert_eq!(
        (rule.email_to.clone(), rule.quiet_minutes, rule.default),
        (
            vec![editor.user_id.clone(), viewer.user_id.clone()],
            90,
            false
        )
    );
    // The Viewer stops theirs, on their account page.
    let theirs = app.sign_in(&viewer).await;
    let account = app.get(Some(&theirs), "/account").await;
    assert!(
        account.body.contains("You get alert emails from Org acme."),
        "{}",
        account.body
    );
    let posted = app
        .post_form(
            Some(&theirs),
            "set_alert_emails",
            &[("org", "acme"), ("on", "false")],
            &format!("{ORIGIN}/account"),
        )
        .await;
    assert!(posted.status.is_redirection(), "{}", posted.body);
    let account = app.get(Some(&theirs), "/account").await;
    assert!(
        account
            .body
            .contains("You get no alert emails from Org acme."),
        "{}",
        account.body
    );
    let page = app.get(Some(&cookie), "/o/acme/settings").await;
    assert!(page.body.contains("(turned alert emails off)"));
    // An Editor may not choose.
    let editing = app.sign_in(&editor).await;
    assert_eq!(
        app.call(Some(&editing), "save_alert_rule", &form)
            .await
            .error(),
        AppError::Forbidden
    );
}
