use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use switchyard::auth::{self, Attempt};
use switchyard::forms::PasswordChange;
use switchyard::id::Generate;
use switchyard::members::{self, Invited, Manager};
use switchyard::schema::{events, invitations, memberships, sessions, sign_in_failures};
use switchyard::sql_text::Sql;
use switchyard::testing::{PASSWORD, TestDb, member};
use switchyard::{DomainError, Member, Role};

const NEW_PASSWORD: &str = "a quiet harbour at dawn";

/// The organization's members and their roles, by email.
async fn roles(conn: &mut switchyard::db::Conn, org: &Member) -> Vec<(String, Role)> {
    let team = members::list(conn, org).await.expect("list");
    let mut out: Vec<(String, Role)> = team
        .members
        .into_iter()
        .map(|m| (m.email, m.role))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The types and actors of the member events of `org`, oldest first.
async fn member_events(
    conn: &mut switchyard::db::Conn,
    org: &Member,
) -> Vec<(String, Option<String>)> {
    events::table
        .filter(events::org_id.eq(org.org.id.sql()))
        .filter(events::type_.like("Member.%"))
        .filter(events::type_.ne_all(["Member.signedIn", "Member.signInFailed"]))
        .order(events::seq)
        .select((events::type_, events::actor))
        .load(conn)
        .await
        .expect("events")
}

fn token(invited: Invited) -> String {
    invited.token
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invitation_link_makes_an_account_once_with_the_role_it_names() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let invited = members::invite(&mut conn, &admin, " ada@newcomer.test ", "Editor")
        .await
        .expect("invite");
    let Invited {
        ref email,
        role,
        expires_at,
        ..
    } = invited;
    assert_eq!((email.as_str(), role), ("ada@newcomer.test", Role::Editor));
    let days = (expires_at - time::OffsetDateTime::now_utc()).whole_hours();
    assert!((167..=168).contains(&days), "{days} hours");
    let token = token(invited);
    let stored: String = invitations::table
        .select(invitations::token_hash)
        .first(&mut conn)
        .await
        .expect("stored");
    assert_ne!(stored, token, "only a hash is kept");

    let view = members::invitation(&mut conn, &token).await.expect("open");
    assert_eq!((view.org.slug.as_str(), view.role), ("acme", Role::Editor));

    // Bad answers change nothing, and say what to fix, every field at once.
    let refused = members::accept(&mut conn, &token, " ", "password1234", "password1234").await;
    let Err(DomainError::Validation(fields)) = refused else {
        panic!("{refused:?}");
    };
    let named: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(named, ["display_name", "password"]);
    let refused = members::accept(&mut conn, &token, "Ada", NEW_PASSWORD, "a quiet harbour").await;
    assert!(
        matches!(refused, Err(DomainError::Validation(ref f)) if f[0].field == "password_again")
    );
    assert!(
        members::invitation(&mut conn, &token).await.is_ok(),
        "still usable"
    );

    let joined = members::accept(
        &mut conn,
        &token,
        " Ada Lovelace ",
        NEW_PASSWORD,
        NEW_PASSWORD,
    )
    .await
    .expect("accept");
    assert_eq!(
        (
            joined.display_name.as_str(),
            joined.role,
            joined.org.id.clone()
        ),
        ("Ada Lovelace", Role::Editor, admin.org.id.clone())
    );
    let attempt = Attempt {
        email: "ada@newcomer.test",
        password: NEW_PASSWORD,
        address: None,
        agent: "",
    };
    assert_eq!(
        auth::sign_in(&db.pool, &attempt)
            .await
            .map(|signed_in| signed_in.user),
        Ok(joined.user_id.clone())
    );
    assert!(
        roles(&mut conn, &admin)
            .await
            .contains(&("ada@newcomer.test".to_owned(), Role::Editor)),
        "a member now"
    );

    // The link works once.
    assert_eq!(
        members::invitation(&mut conn, &token).await,
        Err(DomainError::NotFound)
    );
    assert_eq!(
        members::accept(&mut conn, &token, "Eve", NEW_PASSWORD, NEW_PASSWORD)
            .await
            .map(|m| m.user_id),
        Err(DomainError::NotFound)
    );
    assert_eq!(
        member_events(&mut conn, &admin).await,
        vec![
            ("Member.invited".to_owned(), Some(admin.user_id.to_string())),
            ("Member.joined".to_owned(), Some(joined.user_id.to_string())),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn withdrawn_and_expired_links_open_nothing() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let first = token(
        members::invite(&mut conn, &admin, "a@x.test", "Viewer")
            .await
            .expect("a"),
    );
    let second = token(
        members::invite(&mut conn, &admin, "b@x.test", "Viewer")
            .await
            .expect("b"),
    );
    let team = members::list(&mut conn, &admin).await.expect("list");
    assert_eq!(team.invitations.len(), 2);
    let a = team
        .invitations
        .iter()
        .find(|i| i.email == "a@x.test")
        .expect("a");
    members::revoke_invitation(&mut conn, &admin, &a.id)
        .await
        .expect("withdraw");
    assert_eq!(
        members::invitation(&mut conn, &first).await,
        Err(DomainError::NotFound)
    );
    assert!(
        members::invitation(&mut conn, &second).await.is_ok(),
        "only that one is withdrawn"
    );
    assert_eq!(
        members::list(&mut conn, &admin)
            .await
            .expect("list")
            .invitations
            .iter()
            .map(|i| i.email.as_str())
            .collect::<Vec<_>>(),
        ["b@x.test"]
    );
    assert_eq!(
        members::revoke_invitation(&mut conn, &admin, &a.id).await,
        Err(DomainError::NotFound),
        "withdrawn once"
    );
    diesel::update(invitations::table)
        .set(
            invitations::expires_at
                .eq(time::OffsetDateTime::now_utc() - time::Duration::seconds(1)),
        )
        .execute(&mut conn)
        .await
        .expect("expire");
    assert_eq!(
        members::invitation(&mut conn, &second).await,
        Err(DomainError::NotFound)
    );
    assert!(
        members::list(&mut conn, &admin)
            .await
            .expect("list")
            .invitations
            .is_empty()
    );
    assert_eq!(
        members::invitation(&mut conn, "not a token").await,
        Err(DomainError::NotFound)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn someone_with_an_account_joins_only_by_saying_yes_while_signed_in_as_it() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let acme_editor = member(&mut conn, "acme", Role::Editor).await;
    let other = member(&mut conn, "globex", Role::Editor).await;
    let before = roles(&mut conn, &admin).await;
    // Inviting answers alike whether or not the address has an account somewhere.
    let known = members::invite(&mut conn, &admin, "EDITOR@globex.test", "Viewer")
        .await
        .expect("invite");
    let unknown = members::invite(&mut conn, &admin, "nobody@nowhere.test", "Viewer")
        .await
        .expect("invite");
    assert_eq!((known.role, unknown.role), (Role::Viewer, Role::Viewer));
    assert_eq!(known.token.len(), unknown.token.len());
    assert_eq!(
        roles(&mut conn, &admin).await,
        before,
        "nobody joined by being invited"
    );
    let token = known.token;
    // The link cannot make a second account for the address.
    let made = members::accept(&mut conn, &token, "Someone", NEW_PASSWORD, NEW_PASSWORD).await;
    assert!(matches!(made, Err(DomainError::Refused(_))), "{made:?}");
    // Its page tells who opened it apart: nobody, another account, the invited one.
    use switchyard::team::Visitor;
    for (user, visitor) in [
        (None, Visitor::SignedOut),
        (
            Some(&acme_editor.user_id),
            Visitor::Other(acme_editor.email.clone()),
        ),
        (Some(&other.user_id), Visitor::Invited),
    ] {
        let page = members::invitation_page(&mut conn, &token, user)
            .await
            .expect("page");
        assert_eq!(page.visitor, visitor);
    }
    // Nor can another account take it.
    let taken = members::join(&mut conn, &token, &acme_editor.user_id).await;
    assert!(
        matches!(taken, Err(DomainError::Refused(ref m)) if m.contains("EDITOR@globex.test")),
        "{taken:?}"
    );
    assert_eq!(roles(&mut conn, &admin).await, before);
    // The invited account says yes.
    let joined = members::join(&mut conn, &token, &other.user_id)
        .await
        .expect("join");
    assert_eq!(
        (joined.org.slug.as_str(), joined.role),
        ("acme", Role::Viewer)
    );
    assert!(
        roles(&mut conn, &admin)
            .await
            .contains(&(other.email.clone(), Role::Viewer))
    );
    assert_eq!(
        members::join(&mut conn, &token, &other.user_id)
            .await
            .map(|m| m.role),
        Err(DomainError::NotFound),
        "the link works once"
    );
    let again = members::invite(&mut conn, &admin, "editor@globex.test", "Editor").await;
    assert!(
        matches!(again, Err(DomainError::Validation(ref f)) if f[0].field == "email"),
        "{again:?}"
    );
    // Saying no: the link stops working and nobody joins.
    let declined =
        token_of(members::invite(&mut conn, &admin, "admin@globex.test", "Editor").await);
    let globex_admin = switchyard::repo::org::user_by_email(&mut conn, "admin@globex.test")
        .await
        .expect("q")
        .expect("admin");
    members::decline(&mut conn, &declined, &globex_admin)
        .await
        .expect("decline");
    assert_eq!(
        members::invitation(&mut conn, &declined).await,
        Err(DomainError::NotFound)
    );
    assert!(
        !roles(&mut conn, &admin)
            .await
            .iter()
            .any(|(email, _)| email == "admin@globex.test")
    );
    for (email, role, field) in [
        ("not an email", "Editor", "email"),
        ("a@b.test", "Owner", "role"),
    ] {
        let refused = members::invite(&mut conn, &admin, email, role).await;
        assert!(
            matches!(refused, Err(DomainError::Validation(ref f)) if f[0].field == field),
            "{refused:?}"
        );
    }
}

fn token_of(invited: Result<Invited, DomainError>) -> String {
    invited.expect("invite").token
}

/// The review's attack: an Admin of one organization makes an account for someone else's
/// address through their own link, choosing its password, and waits for another organization
/// to invite that address. Before, the second invitation added the account at once and the
/// first Admin signed in to the second organization.
#[tokio::test(flavor = "multi_thread")]
async fn an_account_made_through_one_organizations_link_cannot_take_another_organizations_invitation()
 {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let acme_admin = member(&mut conn, "acme", Role::Admin).await;
    let globex_admin = member(&mut conn, "globex", Role::Admin).await;
    let planted =
        token_of(members::invite(&mut conn, &acme_admin, "cfo@globex.test", "Viewer").await);
    // Acme's Admin opens their own link and chooses the password.
    let cfo = members::accept(&mut conn, &planted, "CFO", NEW_PASSWORD, NEW_PASSWORD)
        .await
        .expect("the planted account");
    // Globex invites its CFO; the link goes to the real person, not to Acme's Admin.
    let real =
        token_of(members::invite(&mut conn, &globex_admin, "cfo@globex.test", "Admin").await);
    let attempt = Attempt {
        email: "cfo@globex.test",
        password: NEW_PASSWORD,
        address: Some("203.0.113.66"),
        agent: "curl",
    };
    let signed_in = auth::sign_in(&db.pool, &attempt).await.expect("sign in");
    let orgs: Vec<String> = switchyard::repo::org::memberships_of(&mut conn, &signed_in.user)
        .await
        .expect("orgs")
        .into_iter()
        .map(|m| m.org.slug)
        .collect();
    assert_eq!(orgs, ["acme"], "Acme's Admin reaches Acme only");
    assert!(
        switchyard::repo::org::member(&mut conn, &cfo.user_id, "globex")
            .await
            .expect("q")
            .is_none()
    );
    // The sign-in is recorded where the account is a member, not in Globex.
    let globex_sign_ins: i64 = events::table
        .filter(events::org_id.eq(globex_admin.org.id.sql()))
        .filter(events::type_.like("Member.sign%"))
        .filter(events::actor.eq(cfo.user_id.as_str()))
        .count()
        .get_result(&mut conn)
        .await
        .expect("events");
    assert_eq!(globex_sign_ins, 0);
    // The real person holds Globex's link but cannot make the account again.
    let remade = members::accept(
        &mut conn,
        &real,
        "CFO",
        "another long passphrase",
        "another long passphrase",
    )
    .await;
    assert!(matches!(remade, Err(DomainError::Refused(_))), "{remade:?}");
    assert!(
        members::invitation(&mut conn, &real).await.is_ok(),
        "still usable by its owner"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_last_admin_can_be_neither_demoted_nor_removed() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let editor = member(&mut conn, "acme", Role::Editor).await;
    for refused in [
        members::change_role(&mut conn, &admin, &admin.user_id, "Editor").await,
        members::remove(&mut conn, &admin, &admin.user_id).await,
    ] {
        assert!(
            matches!(refused, Err(DomainError::Refused(ref m)) if m.contains("last Admin")),
            "{refused:?}"
        );
    }
    members::change_role(&mut conn, &admin, &editor.user_id, "Admin")
        .await
        .expect("promote");
    members::change_role(&mut conn, &admin, &admin.user_id, "Viewer")
        .await
        .expect("step down");
    let editor_now = switchyard::repo::org::member(&mut conn, &editor.user_id, "acme")
        .await
        .expect("member")
        .expect("there");
    assert_eq!(
        roles(&mut conn, &editor_now).await,
        vec![
            ("admin@acme.test".to_owned(), Role::Viewer),
            ("editor@acme.test".to_owned(), Role::Admin)
        ]
    );
    members::remove(&mut conn, &editor_now, &admin.user_id)
        .await
        .expect("remove");
    assert_eq!(
        roles(&mut conn, &editor_now).await,
        vec![("editor@acme.test".to_owned(), Role::Admin)]
    );
    assert_eq!(
        member_events(&mut conn, &admin).await,
        vec![
            (
                "Member.roleChanged".to_owned(),
                Some(admin.user_id.to_string())
            ),
            (
                "Member.roleChanged".to_owned(),
                Some(admin.user_id.to_string())
            ),
            (
                "Member.removed".to_owned(),
                Some(editor.user_id.to_string())
            ),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_admins_demoting_each_other_at_once_leave_one_admin() {
    let db = TestDb::new().await;
    let (a, b) = {
        let mut conn = db.conn().await;
        let a = member(&mut conn, "acme", Role::Admin).await;
        let b = switchyard::setup::add_user(
            &mut conn,
            &a.org,
            "second@acme.test",
            "Second",
            PASSWORD,
            Role::Admin,
        )
        .await
        .expect("second admin");
        (a, b)
    };
    for _ in 0..5 {
        let (mut c1, mut c2) = (db.conn().await, db.conn().await);
        let (r1, r2) = tokio::join!(
            members::change_role(&mut c1, &a, &b.user_id, "Editor"),
            members::change_role(&mut c2, &b, &a.user_id, "Editor"),
        );
        let mut conn = db.conn().await;
        let admins: i64 = memberships::table
            .filter(memberships::org_id.eq(a.org.id.sql()))
            .filter(memberships::role.eq(Role::Admin.sql()))
            .count()
            .get_result(&mut conn)
            .await
            .expect("count");
        assert_eq!(admins, 1, "{r1:?} {r2:?}");
        // Put both back for the next round.
        let operator = Manager::command_line(a.org.clone());
        members::change_role(&mut conn, &operator, &a.user_id, "Admin")
            .await
            .expect("a");
        members::change_role(&mut conn, &operator, &b.user_id, "Admin")
            .await
            .expect("b");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn only_admins_manage_and_another_organizations_people_look_missing() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let editor = member(&mut conn, "acme", Role::Editor).await;
    let viewer = member(&mut conn, "acme", Role::Viewer).await;
    let stranger = member(&mut conn, "globex", Role::Editor).await;
    let before = roles(&mut conn, &admin).await;
    for actor in [&editor, &viewer] {
        assert_eq!(
            members::list(&mut conn, actor).await.map(|_| ()),
            Err(DomainError::Forbidden)
        );
        assert_eq!(
            members::invite(&mut conn, actor, "x@y.test", "Admin")
                .await
                .map(|_| ()),
            Err(DomainError::Forbidden)
        );
        assert_eq!(
            members::change_role(&mut conn, actor, &actor.user_id, "Admin").await,
            Err(DomainError::Forbidden)
        );
        assert_eq!(
            members::remove(&mut conn, actor, &admin.user_id).await,
            Err(DomainError::Forbidden)
        );
    }
    // A member of another organization, and an id that names no one, answer alike.
    let nobody = switchyard::UserId::generate();
    for user in [&stranger.user_id, &nobody] {
        assert_eq!(
            members::change_role(&mut conn, &admin, user, "Viewer").await,
            Err(DomainError::NotFound)
        );
        assert_eq!(
            members::remove(&mut conn, &admin, user).await,
            Err(DomainError::NotFound)
        );
    }
    assert_eq!(roles(&mut conn, &admin).await, before);
    let globex = switchyard::repo::org::member(&mut conn, &stranger.user_id, "globex")
        .await
        .expect("member")
        .expect("there");
    let globex_admin_id = switchyard::repo::org::user_by_email(&mut conn, "admin@globex.test")
        .await
        .expect("q")
        .expect("admin");
    let globex_admin = switchyard::repo::org::member(&mut conn, &globex_admin_id, "globex")
        .await
        .expect("member")
        .expect("there");
    assert_eq!(globex.role, Role::Editor, "untouched");
    assert!(member_events(&mut conn, &admin).await.is_empty());
    assert!(member_events(&mut conn, &globex_admin).await.is_empty());
}

pub async fn plant_session(conn: &mut switchyard::db::Conn, id: &str, user: &Member) {
    let now = time::OffsetDateTime::now_utc();
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq((switchyard::repo::session::stored_id(id)).sql()),
            sessions::data.eq(serde_json::json!({
                "user_id": user.user_id, "signed_in_at": now.unix_timestamp(),
                "seen_at": now.unix_timestamp(), "browser": "Firefox/128.0 (X11; Linux)", "address": "192.0.2.7",
            })),
            sessions::expires_at.eq(now + time::Duration::minutes(30)),
        ))
        .execute(conn)
        .await
        .expect("session");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_change_asks_the_current_one_and_ends_every_other_session() {
    use switchyard::account;
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let editor = member(&mut conn, "acme", Role::Editor).await;
    let other = member(&mut conn, "acme", Role::Viewer).await;
    for id in ["here", "phone", "laptop"] {
        plant_session(&mut conn, id, &editor).await;
    }
    plant_session(&mut conn, "theirs", &other).await;
    let listed = account::sessions(&mut conn, &editor.user_id, Some("here"))
        .await
        .expect("list");
    assert_eq!(listed.len(), 3);
    assert!(listed[0].current && listed[0].browser_name() == "Firefox on Linux");
    assert!(
        listed
            .iter()
            .all(|s| !["here", "phone", "laptop"].contains(&s.handle.as_str())),
        "handles are not ids"
    );

    for (current, new, again, field) in [
        (
            "wrong password here",
            NEW_PASSWORD,
            NEW_PASSWORD,
            "current_password",
        ),
        (PASSWORD, "password1234", "password1234", "new_password"),
        (
            PASSWORD,
            NEW_PASSWORD,
            "something else",
            "new_password_again",
        ),
        (PASSWORD, PASSWORD, PASSWORD, "new_password"),
    ] {
        let refused = account::change_password(
            &mut conn,
            &editor.user_id,
            &PasswordChange {
                current_password: current.into(),
                new_password: new.into(),
                new_password_again: again.into(),
            },
            Some("here"),
            None,
        )
        .await;
        assert!(
            matches!(refused, Err(DomainError::Validation(ref f)) if f.iter().any(|f| f.field == field)),
            "{field}: {refused:?}"
        );
    }
    assert_eq!(
        account::sessions(&mut conn, &editor.user_id, Some("here"))
            .await
            .expect("list")
            .len(),
        3
    );
    // Each wrong current password counted like a wrong sign-in from the same network: too many,
    // and the next try from there has to wait.
    let counted: i64 = sign_in_failures::table
        .filter(sign_in_failures::email.eq("editor@acme.test"))
        .count()
        .get_result(&mut conn)
        .await
        .expect("failures");
    assert_eq!(counted, 1);
    let rows: Vec<_> = (0..auth::FREE_TRIES)
        .map(|_| {
            (
                sign_in_failures::email.eq("editor@acme.test"),
                sign_in_failures::address.eq("unknown"),
            )
        })
        .collect();
    diesel::insert_into(sign_in_failures::table)
        .values(&rows)
        .execute(&mut conn)
        .await
        .expect("failures");
    let refused = account::change_password(
        &mut conn,
        &editor.user_id,
        &PasswordChange {
            current_password: PASSWORD.into(),
            new_password: NEW_PASSWORD.into(),
            new_password_again: NEW_PASSWORD.into(),
        },
        Some("here"),
        None,
    )
    .await;
    assert!(
        matches!(refused, Err(DomainError::Validation(ref f)) if f[0].field == "current_password" && f[0].message.starts_with("Too many wrong passwords")),
        "{refused:?}"
    );
    auth::forget_failures(&mut conn, "editor@acme.test", "unknown")
        .await
        .expect("forget");

    account::change_password(
        &mut conn,
        &editor.user_id,
        &PasswordChange {
            current_password: PASSWORD.into(),
            new_password: NEW_PASSWORD.into(),
            new_password_again: NEW_PASSWORD.into(),
        },
        Some("here"),
        None,
    )
    .await
    .expect("change");
    let left: Vec<String> = sessions::table
        .select(sessions::id)
        .order(sessions::id)
        .load(&mut conn)
        .await
        .expect("sessions");
    let mut kept = ["here", "theirs"].map(switchyard::repo::session::stored_id);
    kept.sort();
    assert_eq!(
        left, kept,
        "stored by their digests, never as the cookie's id"
    );
    let try_with = |password| Attempt {
        email: "editor@acme.test",
        password,
        address: None,
        agent: "",
    };
    assert!(auth::sign_in(&db.pool, &try_with(PASSWORD)).await.is_err());
    assert!(
        auth::sign_in(&db.pool, &try_with(NEW_PASSWORD))
            .await
            .is_ok()
    );
    let changed: i64 = events::table
        .filter(events::type_.eq("Member.passwordChanged"))
        .filter(events::actor.eq(editor.user_id.as_str()))
        .count()
        .get_result(&mut conn)
        .await
        .expect("events");
    assert_eq!(changed, 1);

    // Ending one session by its handle; another person's handle is not found.
    plant_session(&mut conn, "tablet", &editor).await;
    let tablet = account::sessions(&mut conn, &editor.user_id, Some("here"))
        .await
        .expect("list")
        .into_iter()
        .find(|s| !s.current)
        .expect("tablet");
    let theirs = account::sessions(&mut conn, &other.user_id, None)
        .await
        .expect("list")
        .remove(0);
    assert_eq!(
        account::end_session(&mut conn, &editor.user_id, &theirs.handle).await,
        Err(DomainError::NotFound)
    );
    account::end_session(&mut conn, &editor.user_id, &tablet.handle)
        .await
        .expect("end");
    assert_eq!(
        account::sessions(&mut conn, &editor.user_id, Some("here"))
            .await
            .expect("list")
            .len(),
        1
    );
    assert_eq!(
        account::sessions(&mut conn, &other.user_id, None)
            .await
            .expect("list")
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_trail_shows_who_did_what_in_this_organization_only() {
    use switchyard::read_model::audit::{self, AuditQuery};
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let editor = member(&mut conn, "acme", Role::Editor).await;
    let globex = member(&mut conn, "globex", Role::Admin).await;
    let attempt = |email, password| Attempt {
        email,
        password,
        address: Some("198.51.100.4"),
        agent: "Firefox/128.0",
    };
    auth::sign_in(&db.pool, &attempt("editor@acme.test", PASSWORD))
        .await
        .expect("in");
    let _ = auth::sign_in(&db.pool, &attempt("editor@acme.test", "wrong")).await;
    members::change_role(&mut conn, &admin, &editor.user_id, "Viewer")
        .await
        .expect("role");
    let onboarding = crate::create(&mut conn, &admin, "Onboarding", 1).await;
    // What the engine records when it starts a run names no one: not in the trail.
    let engine_event = switchyard::repo::event::NewEvent {
        subject: Some(onboarding.id.to_string()),
        ..switchyard::repo::event::NewEvent::new(
            "Workflow.triggered",
            serde_json::json!({"name": "Onboarding"}),
            switchyard::entity::EventSource::Verb,
        )
    };
    switchyard::repo::event::insert(&mut conn, &admin.org.id, &engine_event)
        .await
        .expect("engine event");
    members::invite(&mut conn, &globex, "elsewhere@globex.test", "Editor")
        .await
        .expect("globex");
    for _ in 0..3 {
        auth::sign_in(&db.pool, &attempt("admin@globex.test", PASSWORD))
            .await
            .expect("in");
    }

    let all = audit::page(&mut conn, &admin, &AuditQuery::default())
        .await
        .expect("page");
    let seen: Vec<(&str, &str, &str)> = all
        .entries
        .iter()
        .map(|e| (e.kind.as_str(), e.who.as_str(), e.what.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("Workflow.created", "Admin", "Onboarding"),
            ("Member.roleChanged", "Admin", "Editor → Viewer"),
            ("Member.signInFailed", "Editor", "From 198.51.100.4"),
            ("Member.signedIn", "Editor", "From 198.51.100.4"),
        ]
    );
    let editors = audit::page(
        &mut conn,
        &admin,
        &AuditQuery {
            person: Some(editor.user_id.to_string()),
            ..Default::default()
        },
    )
    .await
    .expect("page");
    assert_eq!(editors.entries.len(), 2);
    let failures = audit::page(
        &mut conn,
        &admin,
        &AuditQuery {
            kind: Some("Member.signInFailed".into()),
            ..Default::default()
        },
    )
    .await
    .expect("page");
    assert_eq!(failures.entries.len(), 1);
    assert_eq!(all.people.len(), 2, "acme's people only");
    let editor_now = switchyard::repo::org::member(&mut conn, &editor.user_id, "acme")
        .await
        .expect("member")
        .expect("there");
    assert_eq!(
        audit::page(&mut conn, &editor_now, &AuditQuery::default())
            .await
            .map(|_| ()),
        Err(DomainError::Forbidden)
    );

    // Pages of 50, newest first, each entry once.
    for _ in 0..60 {
        members::change_role(&mut conn, &admin, &editor.user_id, "Editor")
            .await
            .expect("role");
        members::change_role(&mut conn, &admin, &editor.user_id, "Viewer")
            .await
            .expect("role");
    }
    let first = audit::page(&mut conn, &admin, &AuditQuery::default())
        .await
        .expect("page");
    assert_eq!(first.entries.len(), audit::PAGE as usize);
    let mut before = first.next_before;
    let mut total = first.entries.len();
    while let Some(b) = before {
        let next = audit::page(
            &mut conn,
            &admin,
            &AuditQuery {
                before: Some(b),
                ..Default::default()
            },
        )
        .await
        .expect("page");
        total += next.entries.len();
        before = next.next_before;
    }
    assert_eq!(total, 4 + 120);
}
