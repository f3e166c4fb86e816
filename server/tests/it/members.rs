//! The members' server functions, the invitation page and "Your account": signed out, another
//! organization, each role; and the command line's member commands.

use crate::TestApp;
use app::error::AppError;
use axum::http::StatusCode;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use switchyard::Role;
use switchyard::id::Generate;
use switchyard::schema::{events, invitations, memberships, sessions};
use switchyard::sql_text::Sql;

const NEW_PASSWORD: &str = "a quiet harbour at dawn";

/// What changes when members are managed: roles, invitations, member events.
async fn snapshot(app: &TestApp) -> (Vec<(String, String, String)>, i64, i64) {
    let mut conn = app.db.conn().await;
    let roles = memberships::table
        .select((memberships::org_id, memberships::user_id, memberships::role))
        .order((memberships::org_id, memberships::user_id))
        .load(&mut conn)
        .await
        .expect("roles");
    let invitations: i64 = invitations::table
        .count()
        .get_result(&mut conn)
        .await
        .expect("invitations");
    let events: i64 = events::table
        .filter(events::type_.like("Member.%"))
        .filter(events::type_.ne_all(["Member.signedIn", "Member.signInFailed"]))
        .count()
        .get_result(&mut conn)
        .await
        .expect("events");
    (roles, invitations, events)
}

/// Every member server function, with arguments that would work for an Admin of `org`.
fn calls<'a>(
    org: &'a str,
    user: &'a str,
    invitation: &'a str,
) -> Vec<(&'static str, Vec<(&'static str, &'a str)>)> {
    vec![
        (
            "invite_member",
            vec![
                ("org", org),
                ("email", "new@person.test"),
                ("role", "Editor"),
            ],
        ),
        (
            "change_member_role",
            vec![("org", org), ("user", user), ("role", "Viewer")],
        ),
        ("revoke_invitation", vec![("org", org), ("id", invitation)]),
        ("remove_member", vec![("org", org), ("user", user)]),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn only_an_admin_of_the_organization_manages_its_members() {
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let editor = app.member("acme", Role::Editor).await;
    let viewer = app.member("acme", Role::Viewer).await;
    let stranger = app.member("globex", Role::Admin).await;
    let invitation = {
        let mut conn = app.db.conn().await;
        switchyard::members::invite(&mut conn, &admin, "waiting@person.test", "Viewer")
            .await
            .expect("invite");
        switchyard::members::list(&mut conn, &admin)
            .await
            .expect("list")
            .invitations[0]
            .id
            .to_string()
    };
    let before = snapshot(&app).await;
    let user = editor.user_id.to_string();
    let acme_calls = calls("acme", &user, &invitation);

    for (name, args) in &acme_calls {
        assert_eq!(
            app.call(None, name, args).await.error(),
            AppError::Unauthorized,
            "{name}"
        );
    }
    for role_member in [&editor, &viewer] {
        let cookie = app.sign_in(role_member).await;
        for (name, args) in &acme_calls {
            let answer = app.call(Some(&cookie), name, args).await;
            assert_eq!(
                answer.status,
                StatusCode::FORBIDDEN,
                "{name} as {:?}",
                role_member.role
            );
            assert_eq!(answer.error(), AppError::Forbidden, "{name}");
        }
    }
    // An Admin of another organization: acme does not exist for them, nor acme's people
    // and invitations in their own.
    let cookie = app.sign_in(&stranger).await;
    for (name, args) in &acme_calls {
        assert_eq!(
            app.call(Some(&cookie), name, args).await.error(),
            AppError::NotFound,
            "{name}"
        );
    }
    let missing_user = switchyard::UserId::generate().to_string();
    let missing_invitation = switchyard::id::InvitationId::generate().to_string();
    for ((name, theirs), (_, missing)) in calls("globex", &user, &invitation)
        .into_iter()
        .zip(calls("globex", &missing_user, &missing_invitation))
        .filter(|((name, _), _)| *name != "invite_member")
    {
        let theirs = app.call(Some(&cookie), name, &theirs).await;
        let missing = app.call(Some(&cookie), name, &missing).await;
        assert_eq!(theirs.error(), AppError::NotFound, "{name}");
        assert_eq!(
            (theirs.status, theirs.body),
            (missing.status, missing.body),
            "{name}"
        );
    }
    assert_eq!(snapshot(&app).await, before, "nothing changed");

    // The Admin of acme does all of it.
    let cookie = app.sign_in(&admin).await;
    for (name, args) in &acme_calls {
        let answer = app.call(Some(&cookie), name, args).await;
        assert!(
            answer.status.is_success(),
            "{name}: {} {}",
            answer.status,
            answer.body
        );
    }
    let (roles, _, events) = snapshot(&app).await;
    assert!(!roles.iter().any(|(_, u, _)| *u == user), "removed");
    assert_eq!(events, before.2 + 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_invitation_link_is_shown_once_and_the_last_admin_is_kept() {
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let cookie = app.sign_in(&admin).await;
    let answer = app
        .call(
            Some(&cookie),
            "invite_member",
            &[
                ("org", "acme"),
                ("email", "ada@newcomer.test"),
                ("role", "Editor"),
            ],
        )
        .await;
    assert!(answer.status.is_success(), "{}", answer.body);
    let page = app.get(Some(&cookie), "/o/acme/settings").await;
    let link = page
        .body
        .split("http://switchyard.test/invite/")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_else(|| panic!("the link: {}", page.body))
        .to_owned();
    assert_eq!(link.len(), 40, "{link}");
    let again = app.get(Some(&cookie), "/o/acme/settings").await;
    assert!(!again.body.contains(&link), "shown once");
    assert!(
        again.body.contains("ada@newcomer.test"),
        "listed as waiting"
    );

    // The last Admin: refused with a reason, nothing changed.
    let answer = app
        .call(
            Some(&cookie),
            "change_member_role",
            &[
                ("org", "acme"),
                ("user", admin.user_id.as_str()),
                ("role", "Editor"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert!(answer.error().to_string().contains("last Admin"));
}

#[tokio::test(flavor = "multi_thread")]
async fn joining_by_the_link_signs_the_person_in_with_their_role() {
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let token = {
        let mut conn = app.db.conn().await;
        switchyard::members::invite(&mut conn, &admin, "ada@newcomer.test", "Viewer")
            .await
            .expect("invite")
            .token
    };
    let page = app.get(None, &format!("/invite/{token}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Join Org acme"), "{}", page.body);
    let bad = app.get(None, "/invite/nothing-like-a-token").await;
    assert_eq!(bad.status, StatusCode::NOT_FOUND);
    assert!(bad.body.contains("does not work"));

    // A weak password: the form says why, without JavaScript too, and nothing is made.
    let refused = app
        .post_form(
            None,
            "accept_invitation",
            &[
                ("token", &token),
                ("display_name", "Ada"),
                ("password", "password1234"),
                ("password_again", "password1234"),
            ],
            &format!("http://switchyard.test/invite/{token}"),
        )
        .await;
    let back = refused.location.clone().expect("back to the page");
    let shown = app.get(Some(&refused.cookie()), &back).await;
    assert!(shown.body.contains("too common"), "{}", shown.body);

    let joined = app
        .call(
            None,
            "accept_invitation",
            &[
                ("token", &token),
                ("display_name", "Ada Lovelace"),
                ("password", NEW_PASSWORD),
                ("password_again", NEW_PASSWORD),
            ],
        )
        .await;
    assert!(joined.status.is_success(), "{}", joined.body);
    let cookie = joined.cookie();
    let me = app
        .call(Some(&cookie), "current_member", &[("org", "acme")])
        .await;
    assert!(
        me.body.contains("\"Viewer\"") && me.body.contains("Ada Lovelace"),
        "{}",
        me.body
    );
    let used = app
        .call(
            None,
            "accept_invitation",
            &[
                ("token", &token),
                ("display_name", "Eve"),
                ("password", NEW_PASSWORD),
                ("password_again", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(used.error(), AppError::NotFound);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_existing_account_joins_by_signing_in_and_saying_yes() {
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let invited = app.member("globex", Role::Editor).await;
    let someone_else = app.member("globex", Role::Viewer).await;
    let stranger = app.member("initech", Role::Admin).await;
    let token = {
        let mut conn = app.db.conn().await;
        switchyard::members::invite(&mut conn, &admin, &invited.email, "Viewer")
            .await
            .expect("invite")
            .token
    };
    let before = snapshot(&app).await;
    // Signed out: asked to sign in; the link alone joins no one.
    let page = app.get(None, &format!("/invite/{token}")).await;
    assert!(
        page.body.contains("Sign in to answer") && page.body.contains("Make my account and join"),
        "{}",
        page.body
    );
    for name in ["join_invitation", "decline_invitation"] {
        assert_eq!(
            app.call(None, name, &[("token", &token)]).await.error(),
            AppError::Unauthorized,
            "{name}"
        );
    }
    // Signed in as another account, of this instance or of the inviting organization's
    // neighbour: refused, with whose invitation it is.
    for other in [&someone_else, &stranger] {
        let cookie = app.sign_in(other).await;
        let page = app.get(Some(&cookie), &format!("/invite/{token}")).await;
        assert!(
            page.body
                .contains(&format!("You are signed in as {}", other.email)),
            "{}",
            page.body
        );
        for name in ["join_invitation", "decline_invitation"] {
            let answer = app.call(Some(&cookie), name, &[("token", &token)]).await;
            assert_eq!(answer.status, StatusCode::CONFLICT, "{name}");
            assert!(
                answer.error().to_string().contains(&invited.email),
                "{}",
                answer.body
            );
        }
    }
    assert_eq!(snapshot(&app).await, before, "nothing changed");
    // The invited account says yes, and lands in the organization.
    let cookie = app.sign_in(&invited).await;
    let page = app.get(Some(&cookie), &format!("/invite/{token}")).await;
    assert!(page.body.contains("Join Org acme"), "{}", page.body);
    let answer = app
        .post_form(
            Some(&cookie),
            "join_invitation",
            &[("token", &token)],
            &format!("http://switchyard.test/invite/{token}"),
        )
        .await;
    assert_eq!(answer.location.as_deref(), Some("/o/acme/dashboard"));
    let me = app
        .call(Some(&cookie), "current_member", &[("org", "acme")])
        .await;
    assert!(me.body.contains("\"Viewer\""), "{}", me.body);
    let used = app
        .call(Some(&cookie), "join_invitation", &[("token", &token)])
        .await;
    assert_eq!(used.error(), AppError::NotFound, "the link works once");
}

#[tokio::test(flavor = "multi_thread")]
async fn your_account_changes_the_password_and_ends_the_other_sessions() {
    let app = TestApp::new().await;
    let editor = app.member("acme", Role::Editor).await;
    let other = app.member("acme", Role::Viewer).await;
    for (name, args) in [
        ("get_account", vec![]),
        (
            "change_password",
            vec![("current_password", switchyard::testing::PASSWORD)],
        ),
        ("end_session", vec![("all", "on")]),
    ] {
        assert_eq!(
            app.call(None, name, &args).await.error(),
            AppError::Unauthorized,
            "{name}"
        );
    }
    let page = app.get(None, "/account").await;
    assert_eq!(page.location.as_deref(), Some("/login?next=/account"));

    let here = app.sign_in(&editor).await;
    let phone = app.sign_in(&editor).await;
    let theirs = app.sign_in(&other).await;
    let page = app.get(Some(&here), "/account").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("This browser") && page.body.contains("End session"),
        "{}",
        page.body
    );

    // Another person's session cannot be ended by its handle.
    let their_handle = {
        let mut conn = app.db.conn().await;
        switchyard::account::sessions(&mut conn, &other.user_id, None)
            .await
            .expect("sessions")[0]
            .handle
            .clone()
    };
    let answer = app
        .call(Some(&here), "end_session", &[("handle", &their_handle)])
        .await;
    assert_eq!(answer.error(), AppError::NotFound);
    assert!(
        app.call(Some(&theirs), "my_orgs", &[])
            .await
            .status
            .is_success()
    );

    let refused = app
        .call(
            Some(&here),
            "change_password",
            &[
                ("current_password", "not my password"),
                ("new_password", NEW_PASSWORD),
                ("new_password_again", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        refused.error().field("current_password").as_deref(),
        Some("This is not your current password")
    );
    let changed = app
        .call(
            Some(&here),
            "change_password",
            &[
                ("current_password", switchyard::testing::PASSWORD),
                ("new_password", NEW_PASSWORD),
                ("new_password_again", NEW_PASSWORD),
            ],
        )
        .await;
    assert!(changed.status.is_success(), "{}", changed.body);
    assert!(
        app.call(Some(&here), "my_orgs", &[])
            .await
            .status
            .is_success(),
        "still signed in here"
    );
    assert_eq!(
        app.call(Some(&phone), "my_orgs", &[]).await.error(),
        AppError::Unauthorized
    );
    assert!(
        app.call(Some(&theirs), "my_orgs", &[])
            .await
            .status
            .is_success(),
        "others untouched"
    );
    let mut conn = app.db.conn().await;
    let left: i64 = sessions::table
        .filter(sessions::user_id.eq((editor.user_id.as_str()).sql_nullable()))
        .count()
        .get_result(&mut conn)
        .await
        .expect("count");
    assert_eq!(left, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_command_line_invites_changes_roles_and_removes() {
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    app.member("acme", Role::Editor).await;
    let url = &app.db.url;
    let args = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let printed = server::cli::members(
        "invite",
        &args(&[
            "--org",
            "acme",
            "--email",
            "ada@newcomer.test",
            "--role",
            "Viewer",
        ]),
        url,
    )
    .await
    .expect("invite");
    assert!(
        printed.contains("/invite/") && printed.contains("as Viewer"),
        "{printed}"
    );
    let printed = server::cli::members(
        "set-role",
        &args(&[
            "--org",
            "acme",
            "--email",
            "editor@acme.test",
            "--role",
            "Admin",
        ]),
        url,
    )
    .await
    .expect("set-role");
    assert!(printed.contains("now Admin"), "{printed}");
    server::cli::members(
        "remove-member",
        &args(&["--org", "acme", "--email", "admin@acme.test"]),
        url,
    )
    .await
    .expect("remove");
    let refused = server::cli::members(
        "remove-member",
        &args(&["--org", "acme", "--email", "editor@acme.test"]),
        url,
    )
    .await
    .expect_err("the last Admin");
    assert!(refused.to_string().contains("last Admin"), "{refused}");
    let refused = server::cli::members(
        "set-role",
        &args(&[
            "--org",
            "acme",
            "--email",
            "editor@acme.test",
            "--role",
            "Boss",
        ]),
        url,
    )
    .await
    .expect_err("no such role");
    assert!(refused.to_string().contains("--role"), "{refused}");
    let mut conn = app.db.conn().await;
    assert!(
        switchyard::repo::org::member(&mut conn, &admin.user_id, "acme")
            .await
            .expect("member")
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_page_is_for_the_organizations_admins() {
    let app = TestApp::new().await;
    let admin = app.member("acme", Role::Admin).await;
    let editor = app.member("acme", Role::Editor).await;
    let viewer = app.member("acme", Role::Viewer).await;
    let stranger = app.member("globex", Role::Admin).await;
    let args = [("org", "acme")];
    assert_eq!(
        app.call(None, "get_audit", &args).await.error(),
        AppError::Unauthorized
    );
    for member in [&editor, &viewer] {
        let cookie = app.sign_in(member).await;
        assert_eq!(
            app.call(Some(&cookie), "get_audit", &args).await.error(),
            AppError::Forbidden
        );
        assert_eq!(
            app.get(Some(&cookie), "/o/acme/audit").await.status,
            StatusCode::FORBIDDEN
        );
    }
    let cookie = app.sign_in(&stranger).await;
    let theirs = app.call(Some(&cookie), "get_audit", &args).await;
    let missing = app
        .call(Some(&cookie), "get_audit", &[("org", "nosuchorg")])
        .await;
    assert_eq!(theirs.error(), AppError::NotFound);
    assert_eq!((theirs.status, theirs.body), (missing.status, missing.body));
    assert_eq!(
        app.get(Some(&cookie), "/o/acme/audit").await.status,
        StatusCode::NOT_FOUND
    );

    let cookie = app.sign_in(&admin).await;
    let page = app
        .get(Some(&cookie), "/o/acme/audit?kind=Member.signedIn")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    // An entry's cells, not the filter's options: what happened, and who (without the
    // hydration markers, `<!>`, that Leptos puts after a dynamic text).
    let cells = page.body.replace("<!>", "");
    assert!(
        cells.contains(">Signed in</td>") && cells.contains(">Editor</td>"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("globex"),
        "another organization's entries never show"
    );
}
