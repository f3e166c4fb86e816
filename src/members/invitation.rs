//! Invitations: an Admin's one-time link (only its hash is stored, valid `INVITATION_DAYS`
//! days). Nobody becomes a member without acting on it: a new person sets their name and
//! password there (`accept`); someone with an account signs in as that account and says yes
//! (`join`) or no (`decline`). Inviting answers the same whether or not the address has an
//! account anywhere on the instance.
//!
//! Why an account made through one organization's link cannot be carried into another: an
//! Admin sees their own links, so they could open one and choose the password of an address
//! that is not theirs. That account joins another organization only through that other
//! organization's link (which its Admins hand to the real person, not to the first Admin),
//! and only while signed in as it. The first Admin never holds the second link, and the real
//! person, who does, cannot sign in as an account they did not make.

use super::{Managing, parse_role, record};
use crate::auth;
use crate::db::Conn;
use crate::entity::{EventSource, Member, Organization};
use crate::error::{DomainError, DomainResult};
use crate::id::Generate;
use crate::id::{InvitationId, UserId, digest, random_base62};
use crate::mail::{Handed, Letter, Mail};
use crate::repo;
use crate::repo::event::NewEvent;
use crate::role::Role;
use crate::schema::{invitations, memberships, organizations, users};
use crate::sql_text::Sql;
use crate::store_error::QueryResult;
use crate::team::{InvitationPage, InvitationSent, InvitationView, Invited, Visitor};
use crate::workflow::FieldError;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde_json::json;
use time::{Duration, OffsetDateTime};

/// How long an invitation's link works.
pub const INVITATION_DAYS: i64 = 7;
const TOKEN_LEN: usize = 40;
/// The longest display name a person may choose.
pub const NAME_MAX: usize = 100;

/// Invites `email` with `role`: a one-time link, valid `INVITATION_DAYS` days, whether or not
/// the address has an account (the answer is the same either way).
pub async fn invite(
    conn: &mut Conn,
    by: &impl Managing,
    email: &str,
    role: &str,
) -> DomainResult<Invited> {
    let actor = &by.manager()?;
    let email = email.trim();
    let mut errors = Vec::new();
    if !crate::setup::is_email(email) {
        errors.push(FieldError::new(
            "email",
            "Email must look like name@example.com",
        ));
    }
    let role = parse_role(role).map_err(|e| errors.push(e)).ok();
    let (Some(role), true) = (role, errors.is_empty()) else {
        return Err(DomainError::Validation(errors));
    };
    let org = actor.org.id.clone();
    let invited = conn
        .transaction::<_, crate::store_error::StoreError, _>(async |conn| { crate::store_error::domain(async {
            if is_member(conn, &org, email).await? {
                return Err(DomainError::Validation(vec![FieldError::new(
                    "email",
                    format!("{email} is already a member; change their role in the list"),
                )]));
            }
            let token = random_base62(TOKEN_LEN);
            let id = InvitationId::generate();
            let expires_at = OffsetDateTime::now_utc() + Duration::days(INVITATION_DAYS);
            diesel::insert_into(invitations::table)
                .values((
                    invitations::id.eq(id.sql()),
                    invitations::org_id.eq(org.sql()),
                    invitations::email.eq(email),
                    invitations::role.eq(role.sql()),
                    invitations::token_hash.eq(digest(&token)),
                    invitations::invited_by.eq(&actor.user),
                    invitations::expires_at.eq(expires_at),
                ))
                .execute(conn)
                .await.map_err(crate::store_error::StoreError::from)?;
            let event = record(
                actor,
                "Member.invited",
                id.as_str(),
                json!({"email": email, "role": role.as_str(), "expiresAt": crate::timefmt::rfc3339(expires_at)}),
            );
            repo::event::insert(conn, &org, &event).await?;
            Ok(Invited {
                email: email.to_owned(),
                role,
                token,
                expires_at,
            })
        }).await })
        .await?;
    Ok(invited)
}

/// Invites `email` with `role` as `invite` does, then emails the link (on the app reached at
/// `base`) when email is on: the Admin then never sees it. With email off, or a mail server
/// that does not take the letter, the link is handed back to give to the person, with why.
/// No transaction is open while the mail server is asked.
pub async fn invite_and_tell(
    conn: &mut Conn,
    mail: &Mail,
    base: &str,
    by: &impl Managing,
    email: &str,
    role: &str,
) -> DomainResult<InvitationSent> {
    let invited = invite(conn, by, email, role).await?;
    let link = invited.link(base);
    let handed = if mail.is_on() {
        let manager = by.manager()?;
        let who = match &manager.user {
            Some(user) => repo::org::who(conn, &manager.org.id, user.as_str()).await?,
            None => "An Admin".to_owned(),
        };
        let org = &manager.org;
        let letter = Letter::invitation(
            &invited.email,
            &org.name,
            &who,
            invited.role.as_str(),
            &link,
            invited.expires_at,
            &org.time_zone,
        );
        match mail.send(&letter).await {
            Ok(_) => Handed::Mailed,
            Err(refusal) => Handed::Link {
                link,
                not_mailed: Some(refusal.to_string()),
            },
        }
    } else {
        Handed::Link {
            link,
            not_mailed: None,
        }
    };
    Ok(InvitationSent {
        email: invited.email,
        role: invited.role,
        expires_at: invited.expires_at,
        handed,
    })
}

/// Whether the account of `email` (if there is one) is a member of `org`.
async fn is_member(conn: &mut Conn, org: &crate::id::OrgId, email: &str) -> QueryResult<bool> {
    let Some(user) = repo::org::user_by_email(conn, email).await? else {
        return Ok(false);
    };
    let count: i64 = memberships::table
        .filter(memberships::user_id.eq(user.sql()))
        .filter(memberships::org_id.eq(org.sql()))
        .count()
        .get_result(conn)
        .await?;
    Ok(count > 0)
}

/// Withdraws a pending invitation; its link stops working.
pub async fn revoke_invitation(
    conn: &mut Conn,
    by: &impl Managing,
    id: &InvitationId,
) -> DomainResult<()> {
    let actor = &by.manager()?;
    let revoked: Option<String> = diesel::update(
        invitations::table
            .filter(invitations::id.eq(id.sql()))
            .filter(invitations::org_id.eq(actor.org.id.sql()))
            .filter(invitations::accepted_at.is_null())
            .filter(invitations::revoked_at.is_null()),
    )
    .set(invitations::revoked_at.eq(OffsetDateTime::now_utc()))
    .returning(invitations::email)
    .get_result(conn)
    .await
    .optional()
    .map_err(crate::store_error::StoreError::from)?;
    let email = revoked.ok_or(DomainError::NotFound)?;
    let event = record(
        actor,
        "Member.invitationRevoked",
        id.as_str(),
        json!({"email": email}),
    );
    repo::event::insert(conn, &actor.org.id, &event).await?;
    Ok(())
}

type InvitationOrgRow = (
    InvitationId,
    String,
    Role,
    OffsetDateTime,
    (crate::id::OrgId, String, String, String),
);

/// The pending invitation `token` opens, locked `FOR UPDATE` with `lock`.
async fn usable(
    conn: &mut Conn,
    token: &str,
    lock: bool,
) -> DomainResult<(InvitationId, InvitationView)> {
    let query = invitations::table
        .inner_join(organizations::table)
        .filter(invitations::token_hash.eq(digest(token.trim())))
        .filter(invitations::accepted_at.is_null())
        .filter(invitations::revoked_at.is_null())
        .filter(invitations::expires_at.gt(OffsetDateTime::now_utc()))
        .select((
            invitations::id,
            invitations::email,
            invitations::role,
            invitations::expires_at,
            (
                organizations::id,
                organizations::slug,
                organizations::name,
                organizations::time_zone,
            ),
        ));
    let row: Option<InvitationOrgRow> = if lock {
        query
            .for_update()
            .first(conn)
            .await
            .optional()
            .map_err(crate::store_error::StoreError::from)?
    } else {
        query
            .first(conn)
            .await
            .optional()
            .map_err(crate::store_error::StoreError::from)?
    };
    let (id, email, role, expires_at, (org_id, slug, name, time_zone)) =
        row.ok_or(DomainError::NotFound)?;
    let org = Organization {
        id: org_id,
        slug,
        name,
        time_zone,
    };
    Ok((
        id,
        InvitationView {
            org,
            email,
            role,
            expires_at,
        },
    ))
}

/// The invitation a link's token opens; used, withdrawn, expired and unknown links are all
/// `NotFound`.
pub async fn invitation(conn: &mut Conn, token: &str) -> DomainResult<InvitationView> {
    Ok(usable(conn, token, false).await?.1)
}

/// Accepts an invitation as a new person: makes their account with their name and password
/// (typed the same twice), and makes them a member. The link works once. An address that has
/// an account already joins by signing in as it (`join`).
pub async fn accept(
    conn: &mut Conn,
    token: &str,
    display_name: &str,
    password: &str,
    again: &str,
) -> DomainResult<Member> {
    let view = invitation(conn, token).await?;
    let name = display_name.trim();
    let mut errors = Vec::new();
    if name.is_empty() || name.chars().count() > NAME_MAX {
        errors.push(FieldError::new(
            "display_name",
            format!("Your name is required (at most {NAME_MAX} characters)"),
        ));
    }
    if let Err(e) = auth::password::check_new("password", password, &view.email) {
        errors.push(e);
    } else if password != again {
        errors.push(FieldError::new(
            "password_again",
            "The two passwords are not the same",
        ));
    }
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    let password_hash = auth::hash_password(password)
        .await
        .map_err(|e| DomainError::internal(e.to_string()))?;
    conn.transaction::<_, crate::store_error::StoreError, _>(async |conn| { crate::store_error::domain(async {
        let (id, InvitationView { email, role, org, .. }) = usable(conn, token, true).await?;
        if repo::org::user_by_email(conn, &email).await?.is_some() {
            return Err(DomainError::Refused(format!(
                "There is a Switchyard account with {email} already: sign in with it, then open this link again to join."
            )));
        }
        let user_id = UserId::generate();
        repo::org::insert_user(conn, &user_id, &email, name, &password_hash).await?;
        repo::org::add_member(conn, &user_id, &org.id, role).await?;
        joined(conn, &id, &user_id, &email, role, &org).await?;
        Ok(Member {
            user_id,
            email,
            display_name: name.to_owned(),
            org,
            role,
        })
    }).await })
    .await.map_err(Into::into)
}

/// The invitation `token` opens, as the one who opened it sees it: signed out, the account it
/// was sent to, or another account (`user`: the account signed in on that browser).
pub async fn invitation_page(
    conn: &mut Conn,
    token: &str,
    user: Option<&UserId>,
) -> DomainResult<InvitationPage> {
    let invitation = invitation(conn, token).await?;
    let visitor = match user {
        None => Visitor::SignedOut,
        Some(user) => match repo::org::email_of(conn, user).await? {
            Some(email) if sent_to(&email, &invitation) => Visitor::Invited,
            Some(email) => Visitor::Other(email),
            None => Visitor::SignedOut,
        },
    };
    Ok(InvitationPage {
        invitation,
        visitor,
    })
}

/// Whether the invitation was sent to the account of `email`.
fn sent_to(email: &str, invitation: &InvitationView) -> bool {
    email.eq_ignore_ascii_case(&invitation.email)
}

/// The invitation `token` opens, for the signed-in account `user`: theirs only if it was sent
/// to their address (`Refused` otherwise, saying whose it is).
async fn addressed_to(
    conn: &mut Conn,
    token: &str,
    user: &UserId,
) -> DomainResult<(InvitationId, InvitationView, String)> {
    let (id, view) = usable(conn, token, true).await?;
    let (email, name): (String, String) = users::table
        .find(user.sql())
        .select((users::email, users::display_name))
        .first(conn)
        .await
        .map_err(crate::store_error::StoreError::from)?;
    if !sent_to(&email, &view) {
        return Err(DomainError::Refused(format!(
            "This invitation is for {}, and you are signed in as {email}. Sign out, then open the link again and sign in as {}.",
            view.email, view.email
        )));
    }
    Ok((id, view, name))
}

/// Joins by an invitation as the signed-in account `user`, which says yes: the invitation must
/// have been sent to the account's address. The link works once.
pub async fn join(conn: &mut Conn, token: &str, user: &UserId) -> DomainResult<Member> {
    conn.transaction::<_, crate::store_error::StoreError, _>(async |conn| {
        crate::store_error::domain(async {
            let (id, view, display_name) = addressed_to(conn, token, user).await?;
            let InvitationView {
                email, role, org, ..
            } = view;
            if is_member(conn, &org.id, &email).await? {
                return Err(DomainError::Refused(format!(
                    "You are a member of {} already.",
                    org.name
                )));
            }
            repo::org::add_member(conn, user, &org.id, role).await?;
            joined(conn, &id, user, &email, role, &org).await?;
            Ok(Member {
                user_id: user.clone(),
                email,
                display_name,
                org,
                role,
            })
        })
        .await
    })
    .await
    .map_err(Into::into)
}

/// Says no to an invitation as the signed-in account `user` it was sent to: its link stops
/// working, and its organization's audit shows the answer.
pub async fn decline(conn: &mut Conn, token: &str, user: &UserId) -> DomainResult<Organization> {
    conn.transaction::<_, crate::store_error::StoreError, _>(async |conn| {
        let (id, view, _) = addressed_to(conn, token, user).await?;
        diesel::update(invitations::table.find(id.sql()))
            .set(invitations::revoked_at.eq(OffsetDateTime::now_utc()))
            .execute(conn)
            .await?;
        let event = NewEvent {
            actor: Some(user.to_string()),
            subject: Some(id.to_string()),
            ..NewEvent::new(
                "Member.invitationDeclined",
                json!({"email": view.email, "role": view.role.as_str()}),
                EventSource::Verb,
            )
        };
        repo::event::insert(conn, &view.org.id, &event).await?;
        Ok(view.org)
    })
    .await
    .map_err(Into::into)
}

/// Marks the invitation used and records that `user` joined by it.
async fn joined(
    conn: &mut Conn,
    id: &InvitationId,
    user: &UserId,
    email: &str,
    role: Role,
    org: &Organization,
) -> QueryResult<()> {
    diesel::update(invitations::table.find(id.sql()))
        .set(invitations::accepted_at.eq(OffsetDateTime::now_utc()))
        .execute(conn)
        .await?;
    let event = NewEvent {
        actor: Some(user.to_string()),
        subject: Some(user.to_string()),
        ..NewEvent::new(
            "Member.joined",
            json!({"email": email, "role": role.as_str(), "invitation": id}),
            EventSource::Verb,
        )
    };
    repo::event::insert(conn, &org.id, &event).await.map(drop)
}
