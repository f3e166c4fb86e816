//! Invitations: an Admin's one-time link (only its hash is stored, valid `INVITATION_DAYS`
//! days) where a new person sets their name and password, or, for someone who already has an
//! account, membership at once.

use super::{Managing, parse_role, record};
use crate::auth;
use crate::db::Conn;
use crate::entity::{EventSource, Member, Organization};
use crate::error::{DomainError, DomainResult};
use crate::id::{InvitationId, UserId, digest, random_base62};
use crate::repo;
use crate::repo::event::NewEvent;
use crate::role::Role;
use crate::schema::{invitations, memberships, organizations};
use crate::view::members::{InvitationView, Invited};
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

/// Invites `email` with `role`: an existing account becomes a member at once; anyone else gets
/// a one-time link, valid `INVITATION_DAYS` days.
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
        .transaction::<_, DomainError, _>(async |conn| {
            if let Some(user) = repo::org::user_by_email(conn, email).await? {
                let already: i64 = memberships::table
                    .filter(memberships::user_id.eq(&user))
                    .filter(memberships::org_id.eq(&org))
                    .count()
                    .get_result(conn)
                    .await?;
                if already > 0 {
                    return Err(DomainError::Validation(vec![FieldError::new(
                        "email",
                        format!("{email} is already a member; change their role in the list"),
                    )]));
                }
                repo::org::add_member(conn, &user, &org, role).await?;
                let event = record(
                    actor,
                    "Member.added",
                    user.as_str(),
                    json!({"email": email, "role": role.as_str()}),
                );
                repo::event::insert(conn, &org, &event).await?;
                return Ok(Invited::Added {
                    email: email.to_owned(),
                    role,
                });
            }
            let token = random_base62(TOKEN_LEN);
            let id = InvitationId::generate();
            let expires_at = OffsetDateTime::now_utc() + Duration::days(INVITATION_DAYS);
            diesel::insert_into(invitations::table)
                .values((
                    invitations::id.eq(&id),
                    invitations::org_id.eq(&org),
                    invitations::email.eq(email),
                    invitations::role.eq(role),
                    invitations::token_hash.eq(digest(&token)),
                    invitations::invited_by.eq(&actor.user),
                    invitations::expires_at.eq(expires_at),
                ))
                .execute(conn)
                .await?;
            let event = record(
                actor,
                "Member.invited",
                id.as_str(),
                json!({"email": email, "role": role.as_str(), "expiresAt": crate::timefmt::rfc3339(expires_at)}),
            );
            repo::event::insert(conn, &org, &event).await?;
            Ok(Invited::Link {
                email: email.to_owned(),
                role,
                token,
                expires_at,
            })
        })
        .await?;
    Ok(invited)
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
            .filter(invitations::id.eq(id))
            .filter(invitations::org_id.eq(&actor.org.id))
            .filter(invitations::accepted_at.is_null())
            .filter(invitations::revoked_at.is_null()),
    )
    .set(invitations::revoked_at.eq(OffsetDateTime::now_utc()))
    .returning(invitations::email)
    .get_result(conn)
    .await
    .optional()?;
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
    (crate::id::OrgId, String, String),
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
            (organizations::id, organizations::slug, organizations::name),
        ));
    let row: Option<InvitationOrgRow> = if lock {
        query.for_update().first(conn).await.optional()?
    } else {
        query.first(conn).await.optional()?
    };
    let (id, email, role, expires_at, (org_id, slug, name)) = row.ok_or(DomainError::NotFound)?;
    let org = Organization {
        id: org_id,
        slug,
        name,
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

/// Accepts an invitation: makes the person's account with their name and password (typed the
/// same twice), and makes them a member. The link works once.
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
    conn.transaction::<_, DomainError, _>(async |conn| {
        let (
            id,
            InvitationView {
                email, role, org, ..
            },
        ) = usable(conn, token, true).await?;
        if repo::org::user_by_email(conn, &email).await?.is_some() {
            return Err(DomainError::Refused(
                "An account with this email exists already: sign in, and ask an Admin to add you"
                    .into(),
            ));
        }
        let user_id = UserId::generate();
        repo::org::insert_user(conn, &user_id, &email, name, &password_hash).await?;
        repo::org::add_member(conn, &user_id, &org.id, role).await?;
        diesel::update(invitations::table.find(&id))
            .set(invitations::accepted_at.eq(OffsetDateTime::now_utc()))
            .execute(conn)
            .await?;
        let event = NewEvent {
            actor: Some(user_id.to_string()),
            subject: Some(user_id.to_string()),
            ..NewEvent::new(
                "Member.joined",
                json!({"email": email, "role": role.as_str(), "invitation": id}),
                EventSource::Verb,
            )
        };
        repo::event::insert(conn, &org.id, &event).await?;
        Ok(Member {
            user_id,
            email,
            display_name: name.to_owned(),
            org,
            role,
        })
    })
    .await
}
