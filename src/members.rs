//! An organization's people, managed by its Admins: invite by email with a role (a one-time
//! link, or at once for someone who already has an account), change a role, remove, unlock an
//! account locked by failed sign-ins. The last Admin can be neither removed nor demoted. Every
//! change is recorded as an event naming who made it.

use crate::access;
use crate::auth;
use crate::db::Conn;
use crate::entity::{EventSource, Member, Organization};
use crate::error::{DomainError, DomainResult};
use crate::id::{InvitationId, UserId, random_base62};
use crate::repo;
use crate::repo::event::NewEvent;
use crate::role::Role;
use crate::schema::{invitations, memberships, organizations, users};
pub use crate::view::members::{InvitationView, Invited, MemberEntry, PendingInvitation, Team};
use crate::workflow::FieldError;
use blake2::{Blake2b512, Digest};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde_json::json;
use time::{Duration, OffsetDateTime};

/// How long an invitation's link works.
pub const INVITATION_DAYS: i64 = 7;
const TOKEN_LEN: usize = 40;
pub const NAME_MAX: usize = 100;

fn hash(token: &str) -> String {
    Blake2b512::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn is_email(s: &str) -> bool {
    s.len() <= 254
        && s.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.contains(char::is_whitespace)
                && !domain.contains('@')
        })
}

/// Who manages an organization's members: one of its Admins, or the server's operator at the
/// command line (no one signed in; recorded without an actor).
#[derive(Clone, Debug)]
pub struct Manager {
    pub org: Organization,
    pub user: Option<UserId>,
}

impl Manager {
    /// The operator of the server, at its command line.
    pub fn command_line(org: Organization) -> Self {
        Self { org, user: None }
    }
}

/// What may manage members: a `Manager`, or a `Member` if they are an Admin.
pub trait Managing {
    fn manager(&self) -> DomainResult<Manager>;
}

impl Managing for Manager {
    fn manager(&self) -> DomainResult<Manager> {
        Ok(self.clone())
    }
}

impl Managing for Member {
    fn manager(&self) -> DomainResult<Manager> {
        access::manage(self)?;
        Ok(Manager {
            org: self.org.clone(),
            user: Some(self.user_id.clone()),
        })
    }
}

fn record(actor: &Manager, event_type: &str, subject: &str, data: serde_json::Value) -> NewEvent {
    NewEvent {
        actor: actor.user.as_ref().map(ToString::to_string),
        subject: Some(subject.to_owned()),
        ..NewEvent::new(event_type, data, EventSource::Verb)
    }
}

/// The organization's members by name, and its pending invitations, newest first (Admins).
pub async fn list(conn: &mut Conn, by: &impl Managing) -> DomainResult<Team> {
    let actor = &by.manager()?;
    let rows: Vec<(UserId, String, String, Role, OffsetDateTime)> = memberships::table
        .inner_join(users::table)
        .filter(memberships::org_id.eq(&actor.org.id))
        .order((users::display_name.asc(), users::id.asc()))
        .select((
            users::id,
            users::display_name,
            users::email,
            memberships::role,
            memberships::created_at,
        ))
        .load(conn)
        .await?;
    let mut members = Vec::with_capacity(rows.len());
    for (user_id, display_name, email, role, joined_at) in rows {
        let locked = auth::is_locked(conn, &email).await?;
        members.push(MemberEntry {
            user_id,
            display_name,
            email,
            role,
            joined_at,
            locked,
        });
    }
    let now = OffsetDateTime::now_utc();
    let invitations = invitations::table
        .filter(invitations::org_id.eq(&actor.org.id))
        .filter(invitations::accepted_at.is_null())
        .filter(invitations::revoked_at.is_null())
        .filter(invitations::expires_at.gt(now))
        .order((invitations::created_at.desc(), invitations::id.desc()))
        .select((
            invitations::id,
            invitations::email,
            invitations::role,
            invitations::created_at,
            invitations::expires_at,
        ))
        .load::<(InvitationId, String, Role, OffsetDateTime, OffsetDateTime)>(conn)
        .await?
        .into_iter()
        .map(
            |(id, email, role, created_at, expires_at)| PendingInvitation {
                id,
                email,
                role,
                created_at,
                expires_at,
            },
        )
        .collect();
    Ok(Team {
        members,
        invitations,
    })
}

fn parse_role(role: &str) -> Result<Role, FieldError> {
    role.trim()
        .parse()
        .map_err(|_| FieldError::new("role", "Choose Admin, Editor or Viewer"))
}

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
    if !is_email(email) {
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
                    invitations::token_hash.eq(hash(&token)),
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

/// The organization's Admins, locked for the rest of the transaction so that two Admins
/// demoting each other at once cannot leave none.
async fn lock_admins(conn: &mut Conn, org: &crate::id::OrgId) -> QueryResult<Vec<UserId>> {
    memberships::table
        .filter(memberships::org_id.eq(org))
        .filter(memberships::role.eq(Role::Admin))
        .select(memberships::user_id)
        .for_update()
        .load(conn)
        .await
}

const LAST_ADMIN: &str = "This is the organization's last Admin: make someone else an Admin first";

/// Gives a member another role. The last Admin keeps theirs.
pub async fn change_role(
    conn: &mut Conn,
    by: &impl Managing,
    user: &UserId,
    role: &str,
) -> DomainResult<()> {
    let actor = &by.manager()?;
    let role = parse_role(role).map_err(|e| DomainError::Validation(vec![e]))?;
    let org = actor.org.id.clone();
    conn.transaction::<_, DomainError, _>(async |conn| {
        let admins = lock_admins(conn, &org).await?;
        let current: Role = memberships::table
            .filter(memberships::org_id.eq(&org))
            .filter(memberships::user_id.eq(user))
            .select(memberships::role)
            .first(conn)
            .await
            .optional()?
            .ok_or(DomainError::NotFound)?;
        if current == role {
            return Ok(());
        }
        if current == Role::Admin && admins.len() <= 1 {
            return Err(DomainError::Refused(LAST_ADMIN.into()));
        }
        diesel::update(
            memberships::table
                .filter(memberships::org_id.eq(&org))
                .filter(memberships::user_id.eq(user)),
        )
        .set(memberships::role.eq(role))
        .execute(conn)
        .await?;
        let event = record(
            actor,
            "Member.roleChanged",
            user.as_str(),
            json!({"from": current.as_str(), "to": role.as_str()}),
        );
        repo::event::insert(conn, &org, &event).await?;
        Ok(())
    })
    .await
}

/// Removes a member from the organization: on their next request they are no longer in it.
/// The last Admin stays.
pub async fn remove(conn: &mut Conn, by: &impl Managing, user: &UserId) -> DomainResult<()> {
    let actor = &by.manager()?;
    let org = actor.org.id.clone();
    conn.transaction::<_, DomainError, _>(async |conn| {
        let admins = lock_admins(conn, &org).await?;
        if admins.contains(user) && admins.len() <= 1 {
            return Err(DomainError::Refused(LAST_ADMIN.into()));
        }
        let removed: Option<Role> = diesel::delete(
            memberships::table
                .filter(memberships::org_id.eq(&org))
                .filter(memberships::user_id.eq(user)),
        )
        .returning(memberships::role)
        .get_result(conn)
        .await
        .optional()?;
        let role = removed.ok_or(DomainError::NotFound)?;
        let email: String = users::table
            .find(user)
            .select(users::email)
            .first(conn)
            .await?;
        let event = record(
            actor,
            "Member.removed",
            user.as_str(),
            json!({"email": email, "role": role.as_str()}),
        );
        repo::event::insert(conn, &org, &event).await?;
        Ok(())
    })
    .await
}

/// Unlocks a member's account locked by failed sign-ins.
pub async fn unlock(conn: &mut Conn, by: &impl Managing, user: &UserId) -> DomainResult<()> {
    let actor = &by.manager()?;
    let email: String = memberships::table
        .inner_join(users::table)
        .filter(memberships::org_id.eq(&actor.org.id))
        .filter(memberships::user_id.eq(user))
        .select(users::email)
        .first(conn)
        .await
        .optional()?
        .ok_or(DomainError::NotFound)?;
    auth::forget_failures(conn, &email).await?;
    let event = record(
        actor,
        "Member.unlocked",
        user.as_str(),
        json!({"email": email}),
    );
    repo::event::insert(conn, &actor.org.id, &event).await?;
    Ok(())
}

type InvitationRow = (InvitationId, String, Role, OffsetDateTime, Organization);
type InvitationOrgRow = (
    InvitationId,
    String,
    Role,
    OffsetDateTime,
    (crate::id::OrgId, String, String),
);

async fn usable(conn: &mut Conn, token: &str, lock: bool) -> DomainResult<InvitationRow> {
    let query = invitations::table
        .inner_join(organizations::table)
        .filter(invitations::token_hash.eq(hash(token.trim())))
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
    Ok((
        id,
        email,
        role,
        expires_at,
        Organization {
            id: org_id,
            slug,
            name,
        },
    ))
}

/// The invitation a link's token opens; used, withdrawn, expired and unknown links are all
/// `NotFound`.
pub async fn invitation(conn: &mut Conn, token: &str) -> DomainResult<InvitationView> {
    let (_, email, role, expires_at, org) = usable(conn, token, false).await?;
    Ok(InvitationView {
        org,
        email,
        role,
        expires_at,
    })
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
        let (id, email, role, _, org) = usable(conn, token, true).await?;
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
