//! Email through a real SMTP server on a socket (`testing::smtp`): the test email, invitations
//! by email, and password resets, with the right recipients, subjects and links.

use crate::members::plant_session;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use switchyard::account::reset;
use switchyard::auth::{self, Attempt};
use switchyard::mail::{Handed, Mail, Settings};
use switchyard::schema::{events, password_resets, sessions};
use switchyard::sql_text::Sql;
use switchyard::testing::smtp::{REFUSED_DOMAIN, SmtpSink};
use switchyard::testing::{PASSWORD, TestDb, member};
use switchyard::{DomainError, Role};

const FROM: &str = "Switchyard <switchyard@acme.test>";
const BASE: &str = "https://switchyard.acme.test";
const NEW_PASSWORD: &str = "a quiet harbour at dawn";

async fn mail() -> (SmtpSink, Mail) {
    let sink = SmtpSink::start().await;
    let mail = Mail::new(Settings::parse(&sink.url(), FROM).expect("settings")).expect("mail");
    (sink, mail)
}

async fn events_of(
    conn: &mut switchyard::db::Conn,
    org: &switchyard::OrgId,
    kind: &str,
) -> Vec<serde_json::Value> {
    events::table
        .filter(events::org_id.eq(org.sql()))
        .filter(events::type_.eq(kind))
        .select(events::data)
        .load(conn)
        .await
        .expect("events")
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_test_email_arrives_and_says_what_the_server_answered() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let editor = member(&mut conn, "acme", Role::Editor).await;
    let (sink, mail) = mail().await;

    let sent = switchyard::mail::send_test(&mut conn, &mail, &admin, " ops@acme.test ")
        .await
        .expect("sent");
    assert_eq!(sent.to, "ops@acme.test");
    assert!(
        sent.answer.starts_with("250 2.0.0 Ok: queued as SINK1"),
        "{}",
        sent.answer
    );
    let got = sink.wait_for(1).await;
    assert_eq!(got[0].to, ["ops@acme.test"]);
    assert_eq!(got[0].from, "switchyard@acme.test");
    assert_eq!(got[0].subject(), "Switchyard test email");
    assert!(
        got[0]
            .body()
            .contains("Admin sent this test email from the settings of Org acme"),
        "{}",
        got[0].body()
    );
    let recorded = events_of(&mut conn, &admin.org.id, switchyard::mail::TESTED).await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0]["outcome"], "sent");

    // Nobody but an Admin; a bad address is a field error; both send nothing.
    assert_eq!(
        switchyard::mail::send_test(&mut conn, &mail, &editor, "ops@acme.test").await,
        Err(DomainError::Forbidden)
    );
    let bad = switchyard::mail::send_test(&mut conn, &mail, &admin, "not an address").await;
    assert!(
        matches!(bad, Err(DomainError::Validation(ref f)) if f[0].field == "to"),
        "{bad:?}"
    );

    // A mailbox the server refuses: its answer, in words.
    let refused = switchyard::mail::send_test(
        &mut conn,
        &mail,
        &admin,
        &format!("nobody@{REFUSED_DOMAIN}"),
    )
    .await;
    let Err(DomainError::Refused(words)) = refused else {
        panic!("refused expected: {refused:?}")
    };
    assert!(
        words.contains(&format!(
            "The mail server at 127.0.0.1:{} refused it: 550",
            sink.port
        )),
        "{words}"
    );
    assert!(words.contains("Recipient address rejected"), "{words}");
    assert_eq!(sink.messages().len(), 1);
    let recorded = events_of(&mut conn, &admin.org.id, switchyard::mail::TESTED).await;
    assert_eq!(recorded.len(), 2);
    assert_eq!(recorded[1]["outcome"], "not sent");

    // Email off: said so, and nothing recorded.
    let off = switchyard::mail::send_test(&mut conn, &Mail::off(), &admin, "ops@acme.test").await;
    assert!(
        matches!(off, Err(DomainError::Refused(ref m)) if m.contains("Email is off")),
        "{off:?}"
    );

    // A mail server nobody answers at: said in words.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let nowhere =
        Mail::new(Settings::parse(&format!("smtp://127.0.0.1:{port}?tls=none"), FROM).unwrap())
            .unwrap();
    let unreachable =
        switchyard::mail::send_test(&mut conn, &nowhere, &admin, "ops@acme.test").await;
    assert!(
        matches!(unreachable, Err(DomainError::Refused(ref m)) if m.starts_with(&format!("Could not reach the mail server at 127.0.0.1:{port}"))),
        "{unreachable:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invitation_goes_to_the_invitees_mailbox_and_its_link_opens_it() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let admin = member(&mut conn, "acme", Role::Admin).await;
    let (sink, mail) = mail().await;

    let sent = switchyard::members::invite_and_tell(
        &mut conn,
        &mail,
        BASE,
        &admin,
        "new@acme.test",
        "Viewer",
    )
    .await
    .expect("invited");
    assert_eq!(
        sent.handed,
        Handed::Mailed,
        "the Admin is not handed the link"
    );
    let got = sink.wait_for(1).await;
    assert_eq!(got[0].to, ["new@acme.test"]);
    assert_eq!(
        got[0].subject(),
        "Admin invited you to Org acme on Switchyard"
    );
    let link = got[0].link(&format!("{BASE}/invite/")).expect("a link");
    let token = link.rsplit('/').next().unwrap();
    let opened = switchyard::members::invitation(&mut conn, token)
        .await
        .expect("opens");
    assert_eq!(
        (opened.email.as_str(), opened.role),
        ("new@acme.test", Role::Viewer)
    );
    assert!(got[0].body().contains("as Viewer"), "{}", got[0].body());

    // Email off: the link comes back to the Admin, as before.
    let handed = switchyard::members::invite_and_tell(
        &mut conn,
        &Mail::off(),
        BASE,
        &admin,
        "other@acme.test",
        "Editor",
    )
    .await
    .expect("invited");
    let Handed::Link {
        link,
        not_mailed: None,
    } = handed.handed
    else {
        panic!("a link: {handed:?}")
    };
    assert!(link.starts_with(&format!("{BASE}/invite/")));
    // A mailbox the server refuses: the link, and why it was not emailed.
    let refused = switchyard::members::invite_and_tell(
        &mut conn,
        &mail,
        BASE,
        &admin,
        &format!("x@{REFUSED_DOMAIN}"),
        "Editor",
    )
    .await
    .expect("invited");
    assert!(
        matches!(&refused.handed, Handed::Link { not_mailed: Some(why), .. } if why.contains("550")),
        "{refused:?}"
    );
    assert_eq!(sink.messages().len(), 1);
}

async fn sign_in(pool: &switchyard::db::Pool, email: &str, password: &str) -> bool {
    let attempt = Attempt {
        email,
        password,
        address: Some("192.0.2.9"),
        agent: "test",
    };
    auth::sign_in(pool, &attempt).await.is_ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reset_link_works_once_for_an_hour_and_ends_every_other_session() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let editor = member(&mut conn, "acme", Role::Editor).await;
    let other = member(&mut conn, "acme", Role::Viewer).await;
    for id in ["phone", "laptop"] {
        plant_session(&mut conn, id, &editor).await;
    }
    plant_session(&mut conn, "theirs", &other).await;
    let (sink, mail) = mail().await;

    // Whether or not the address has an account, the answer is the same.
    reset::ask(&mut conn, &mail, Some(BASE), "nobody@acme.test")
        .await
        .expect("same answer");
    reset::ask(&mut conn, &mail, Some(BASE), "Editor@ACME.test")
        .await
        .expect("asked");
    let got = sink.wait_for(1).await;
    assert_eq!(
        got.len(),
        1,
        "nothing went to an address without an account"
    );
    assert_eq!(got[0].to, ["editor@acme.test"]);
    assert_eq!(got[0].subject(), "Choose a new Switchyard password");
    assert!(
        got[0].body().contains("it works once, for an hour"),
        "{}",
        got[0].body()
    );
    let link = got[0].link(&format!("{BASE}/reset/")).expect("a link");
    let token = link.rsplit('/').next().unwrap().to_owned();
    assert_eq!(
        reset::opened(&mut conn, &token).await.expect("opens"),
        "editor@acme.test"
    );

    // A weak password or two different ones: refused, and the link still works.
    let weak = reset::reset(&mut conn, &token, "password1234", "password1234", None).await;
    assert!(
        matches!(weak, Err(DomainError::Validation(ref f)) if f[0].field == "password"),
        "{weak:?}"
    );
    let differ = reset::reset(&mut conn, &token, NEW_PASSWORD, "something else", None).await;
    assert!(
        matches!(differ, Err(DomainError::Validation(ref f)) if f[0].field == "password_again"),
        "{differ:?}"
    );
    assert!(
        sign_in(&db.pool, "editor@acme.test", PASSWORD).await,
        "unchanged so far"
    );

    reset::reset(&mut conn, &token, NEW_PASSWORD, NEW_PASSWORD, None)
        .await
        .expect("reset");
    assert!(sign_in(&db.pool, "editor@acme.test", NEW_PASSWORD).await);
    assert!(!sign_in(&db.pool, "editor@acme.test", PASSWORD).await);
    // Once: the link opens nothing now.
    assert_eq!(
        reset::opened(&mut conn, &token).await,
        Err(DomainError::NotFound)
    );
    assert_eq!(
        reset::reset(
            &mut conn,
            &token,
            "another fine password",
            "another fine password",
            None
        )
        .await,
        Err(DomainError::NotFound)
    );
    assert!(
        sign_in(&db.pool, "editor@acme.test", NEW_PASSWORD).await,
        "unchanged by the second use"
    );
    // Every session of the account ended; another person's did not.
    let left: Vec<Option<String>> = sessions::table
        .select(sessions::user_id)
        .load::<Option<switchyard::UserId>>(&mut conn)
        .await
        .expect("sessions")
        .into_iter()
        .map(|u| u.map(|u| u.to_string()))
        .collect();
    assert!(
        !left.contains(&Some(editor.user_id.to_string())),
        "{left:?}"
    );
    assert!(left.contains(&Some(other.user_id.to_string())), "{left:?}");
    let recorded = events_of(&mut conn, &editor.org.id, reset::RESET).await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0]["sessionsEnded"], 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn old_and_superseded_reset_links_open_nothing_and_asks_are_bounded() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    member(&mut conn, "acme", Role::Editor).await;
    let (sink, mail) = mail().await;
    for _ in 0..reset::LINKS_PER_HOUR + 2 {
        reset::ask(&mut conn, &mail, Some(BASE), "editor@acme.test")
            .await
            .expect("asked");
    }
    let got = sink.wait_for(reset::LINKS_PER_HOUR as usize).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        sink.messages().len(),
        reset::LINKS_PER_HOUR as usize,
        "at most {} an hour",
        reset::LINKS_PER_HOUR
    );
    let tokens: Vec<String> = got
        .iter()
        .map(|m| {
            m.link(&format!("{BASE}/reset/"))
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    // An hour old: expired.
    diesel::update(
        password_resets::table
            .filter(password_resets::token_hash.eq(switchyard::id::digest(&tokens[0]))),
    )
    .set(
        password_resets::expires_at
            .eq(time::OffsetDateTime::now_utc() - time::Duration::seconds(1)),
    )
    .execute(&mut conn)
    .await
    .expect("age");
    assert_eq!(
        reset::opened(&mut conn, &tokens[0]).await,
        Err(DomainError::NotFound)
    );
    // Using one stops the others.
    reset::reset(&mut conn, &tokens[1], NEW_PASSWORD, NEW_PASSWORD, None)
        .await
        .expect("reset");
    assert_eq!(
        reset::opened(&mut conn, &tokens[2]).await,
        Err(DomainError::NotFound)
    );
    // Without the app's configured address no link goes out (a request does not choose it).
    assert!(matches!(
        reset::ask(&mut conn, &mail, None, "editor@acme.test").await,
        Err(DomainError::Refused(ref m)) if m.contains("SWITCHYARD_PUBLIC_URL")
    ));
    // Malformed addresses and email off say so.
    assert!(matches!(
        reset::ask(&mut conn, &mail, Some(BASE), "nope").await,
        Err(DomainError::Validation(_))
    ));
    assert!(matches!(
        reset::ask(&mut conn, &Mail::off(), Some(BASE), "editor@acme.test").await,
        Err(DomainError::Refused(ref m)) if m.contains("Email is off")
    ));
}
