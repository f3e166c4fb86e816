//! An organization's people, managed by its Admins: invite by email with a role (a one-time
//! link the person acts on themselves), change a role, remove. The last Admin can be neither
//! removed nor demoted. Every change is recorded as an event naming who made it, and reaches
//! only the Admin's own organization's memberships. Invitations and their links are in
//! `invitation`.

use crate::access;
use crate::db::Conn;
use crate::entity::{EventSource, Member, Organization};
use crate::error::{DomainError, DomainResult};
use crate::id::{InvitationId, UserId};
use crate::repo;
use crate::repo::event::NewEvent;
use crate::role::Role;
use crate::schema::{invitations, memberships, users};
use crate::sql_text::Sql;
use crate::store_error::QueryResult;
pub use crate::team::{
    InvitationSent, InvitationView, Invited, MemberEntry, PendingInvitation, Team,
};
use crate::workflow::FieldError;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde_json::json;
use time::OffsetDateTime;

mod invitation;

pub use invitation::{
    INVITATION_DAYS, NAME_MAX, accept, decline, invitation, invitation_page, invite,
    invite_and_tell, join, revoke_invitation,
};

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

pub(super) fn record(
    actor: &Manager,
    event_type: &str,
    subject: &str,
    data: serde_json::Value,
) -> NewEvent {
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
        .filter(memberships::org_id.eq(actor.org.id.sql()))
        .order((users::display_name.asc(), users::id.asc()))
        .select((
            users::id,
            users::display_name,
            users::email,
            memberships::role,
            memberships::created_at,
        ))
        .load(conn)
        .await
        .map_err(crate::store_error::StoreError::from)?;
    let members = rows
        .into_iter()
        .map(
            |(user_id, display_name, email, role, joined_at)| MemberEntry {
                user_id,
                display_name,
                email,
                role,
                joined_at,
            },
        )
        .collect();
    let now = OffsetDateTime::now_utc();
    let invitations = invitations::table
        .filter(invitations::org_id.eq(actor.org.id.sql()))
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
        .await
        .map_err(crate::store_error::StoreError::from)?
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

pub(super) fn parse_role(role: &str) -> Result<Role, FieldError> {
    role.trim()
        .parse()
        .map_err(|_| FieldError::new("role", "Choose Admin, Editor or Viewer"))
}

/// The organization's Admins, locked for the rest of the transaction so that two Admins
/// demoting each other at once cannot leave none.
async fn lock_admins(conn: &mut Conn, org: &crate::id::OrgId) -> QueryResult<Vec<UserId>> {
    memberships::table
        .filter(memberships::org_id.eq(org.sql()))
        .filter(memberships::role.eq(Role::Admin.sql()))
        .select(memberships::user_id)
        .for_update()
        .load(conn)
        .await
        .map_err(Into::into)
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
    conn.transaction::<_, crate::store_error::StoreError, _>(async |conn| {
        crate::store_error::domain(async {
            let admins = lock_admins(conn, &org).await?;
            let current: Role = memberships::table
                .filter(memberships::org_id.eq(org.sql()))
                .filter(memberships::user_id.eq(user.sql()))
                .select(memberships::role)
                .first(conn)
                .await
                .optional()
                .map_err(crate::store_error::StoreError::from)?
                .ok_or(DomainError::NotFound)?;
            if current == role {
                return Ok(());
            }
            if current == Role::Admin && admins.len() <= 1 {
                return Err(DomainError::Refused(LAST_ADMIN.into()));
            }
            diesel::update(
                memberships::table
                    .filter(memberships::org_id.eq(org.sql()))
                    .filter(memberships::user_id.eq(user.sql())),
            )
            .set(memberships::role.eq(role.sql()))
            .execute(conn)
            .await
            .map_err(crate::store_error::StoreError::from)?;
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
    })
    .await
    .map_err(Into::into)
}

/// Removes a member from the organization: on their next request they are no longer in it.
/// The last Admin stays.
pub async fn remove(conn: &mut Conn, by: &impl Managing, user: &UserId) -> DomainResult<()> {
    let actor = &by.manager()?;
    let org = actor.org.id.clone();
    conn.transaction::<_, crate::store_error::StoreError, _>(async |conn| {
        crate::store_error::domain(async {
            let admins = lock_admins(conn, &org).await?;
            if admins.contains(user) && admins.len() <= 1 {
                return Err(DomainError::Refused(LAST_ADMIN.into()));
            }
            let removed: Option<Role> = diesel::delete(
                memberships::table
                    .filter(memberships::org_id.eq(org.sql()))
                    .filter(memberships::user_id.eq(user.sql())),
            )
            .returning(memberships::role)
            .get_result(conn)
            .await
            .optional()
            .map_err(crate::store_error::StoreError::from)?;
            let role = removed.ok_or(DomainError::NotFound)?;
            let email: String = users::table
                .find(user.sql())
                .select(users::email)
                .first(conn)
                .await
                .map_err(crate::store_error::StoreError::from)?;
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
    })
    .await
    .map_err(Into::into)
}
