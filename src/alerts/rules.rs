//! Who is emailed about which alerts: the rules Admins set (REST, pages), and each member's
//! own "no alert emails from this organization".

use crate::alert_rule::{
    AlertKind, AlertRule, AlertSettings, QUIET_DEFAULT, QUIET_MAX, QUIET_MIN, Recipient,
};
use crate::db::Conn;
use crate::entity::{Actor, EventSource, Member};
use crate::error::{DomainError, DomainResult};
use crate::id::{OrgId, UserId};
use crate::repo;
use crate::repo::event::NewEvent;
use crate::role::Role;
use crate::schema::{alert_rules, memberships, users};
use crate::sql_text::Sql;
use crate::store_error::StoreError;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;

/// The members of `org`: who they are, their role, whether they turned alert emails off.
async fn members(conn: &mut Conn, org: &OrgId) -> DomainResult<Vec<(Recipient, Role)>> {
    let rows: Vec<(UserId, String, String, bool, Role)> = memberships::table
        .inner_join(users::table)
        .filter(memberships::org_id.eq(org.sql()))
        .order(users::display_name.asc())
        .select((
            users::id,
            users::display_name,
            users::email,
            memberships::alert_emails,
            memberships::role,
        ))
        .load(conn)
        .await
        .map_err(StoreError::from)?;
    Ok(rows
        .into_iter()
        .map(|(user, name, email, on, role)| {
            let recipient = Recipient {
                user,
                name,
                email,
                opted_out: !on,
            };
            (recipient, role)
        })
        .collect())
}

/// The rule of each kind for `org`, the default (its Admins, hourly) where none was chosen.
pub(super) async fn rules_of(
    conn: &mut Conn,
    org: &OrgId,
    people: &[(Recipient, Role)],
) -> DomainResult<Vec<AlertRule>> {
    let set: Vec<(String, Vec<String>, i32)> = alert_rules::table
        .filter(alert_rules::org_id.eq(org.sql()))
        .select((
            alert_rules::kind,
            alert_rules::email_to,
            alert_rules::quiet_minutes,
        ))
        .load(conn)
        .await
        .map_err(StoreError::from)?;
    let admins: Vec<UserId> = people
        .iter()
        .filter(|(_, role)| *role == Role::Admin)
        .map(|(r, _)| r.user.clone())
        .collect();
    Ok(AlertKind::ALL
        .into_iter()
        .map(|kind| match set.iter().find(|(k, ..)| k == kind.as_str()) {
            Some((_, to, quiet)) => AlertRule {
                kind,
                // Only people who are members now.
                email_to: to
                    .iter()
                    .filter_map(|u| UserId::parse(u))
                    .filter(|u| people.iter().any(|(r, _)| &r.user == u))
                    .collect(),
                quiet_minutes: *quiet,
                default: false,
            },
            None => AlertRule {
                kind,
                email_to: admins.clone(),
                quiet_minutes: QUIET_DEFAULT,
                default: true,
            },
        })
        .collect())
}

/// The organization's alert rules and its members. Admins only.
pub async fn settings(conn: &mut Conn, actor: &impl Actor) -> DomainResult<AlertSettings> {
    crate::access::administer(actor)?;
    let org = &actor.org().id;
    let people = members(conn, org).await?;
    let rules = rules_of(conn, org, &people).await?;
    Ok(AlertSettings {
        rules,
        members: people.into_iter().map(|(r, _)| r).collect(),
    })
}

/// Sets who is emailed about `kind` (members of the organization, by user id) and the quiet
/// time between two emails about one workflow. Admins only; bad input names its field and
/// changes nothing.
pub async fn save(
    conn: &mut Conn,
    actor: &impl Actor,
    kind: &str,
    email_to: &[String],
    quiet_minutes: &str,
) -> DomainResult<AlertRule> {
    crate::access::administer(actor)?;
    let org = &actor.org().id;
    let kind = AlertKind::parse(kind).ok_or(DomainError::NotFound)?;
    let people = members(conn, org).await?;
    let mut errors = Vec::new();
    let chosen: Vec<UserId> = email_to
        .iter()
        .filter(|u| !u.trim().is_empty())
        .filter_map(|u| UserId::parse(u.trim()))
        .filter(|u| people.iter().any(|(r, _)| &r.user == u))
        .collect();
    if chosen.len() != email_to.iter().filter(|u| !u.trim().is_empty()).count() {
        errors.push(crate::workflow::FieldError::new(
            "email_to",
            "Choose members of this organization",
        ));
    }
    let quiet = quiet_minutes
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|q| (QUIET_MIN..=QUIET_MAX).contains(q));
    if quiet.is_none() {
        errors.push(crate::workflow::FieldError::new(
            "quiet_minutes",
            format!("A whole number of minutes from {QUIET_MIN} to {QUIET_MAX} (a week)"),
        ));
    }
    let (Some(quiet), true) = (quiet, errors.is_empty()) else {
        return Err(DomainError::Validation(errors));
    };
    let to: Vec<String> = chosen.iter().map(ToString::to_string).collect();
    diesel::insert_into(alert_rules::table)
        .values((
            alert_rules::org_id.eq(org.sql()),
            alert_rules::kind.eq(kind.as_str()),
            alert_rules::email_to.eq(&to),
            alert_rules::quiet_minutes.eq(quiet),
        ))
        .on_conflict((alert_rules::org_id, alert_rules::kind))
        .do_update()
        .set((
            alert_rules::email_to.eq(&to),
            alert_rules::quiet_minutes.eq(quiet),
        ))
        .execute(conn)
        .await
        .map_err(StoreError::from)?;
    let event = NewEvent {
        actor: Some(actor.reference()),
        ..NewEvent::new(
            "Organization.alertsChanged",
            json!({"kind": kind.as_str(), "emailTo": to, "quietMinutes": quiet}),
            EventSource::Verb,
        )
    };
    repo::event::insert(conn, org, &event).await?;
    Ok(AlertRule {
        kind,
        email_to: chosen,
        quiet_minutes: quiet,
        default: false,
    })
}

/// Turns the member's own alert emails from their organization on or off.
pub async fn set_own_emails(conn: &mut Conn, member: &Member, on: bool) -> DomainResult<()> {
    diesel::update(
        memberships::table
            .filter(memberships::user_id.eq(member.user_id.sql()))
            .filter(memberships::org_id.eq(member.org.id.sql())),
    )
    .set(memberships::alert_emails.eq(on))
    .execute(conn)
    .await
    .map_err(StoreError::from)?;
    Ok(())
}

/// The addresses to email about `kind` in `org` now: the rule's members (or the Admins) who
/// have not turned alert emails off, and the quiet time.
pub(super) async fn recipients(
    conn: &mut Conn,
    org: &OrgId,
    kind: AlertKind,
) -> DomainResult<(Vec<String>, i32)> {
    let people = members(conn, org).await?;
    let rules = rules_of(conn, org, &people).await?;
    let rule = rules
        .into_iter()
        .find(|r| r.kind == kind)
        .ok_or(DomainError::NotFound)?;
    let to = people
        .into_iter()
        .filter(|(r, _)| !r.opted_out && rule.email_to.contains(&r.user))
        .map(|(r, _)| r.email)
        .collect();
    Ok((to, rule.quiet_minutes))
}

/// Each of the person's organizations and whether they get its alert emails.
pub async fn own_emails_everywhere(
    conn: &mut Conn,
    user: &UserId,
) -> DomainResult<Vec<(crate::entity::Organization, bool)>> {
    use crate::schema::organizations;
    let rows: Vec<(OrgId, String, String, String, bool)> = memberships::table
        .inner_join(organizations::table)
        .filter(memberships::user_id.eq(user.sql()))
        .order(organizations::name.asc())
        .select((
            organizations::id,
            organizations::slug,
            organizations::name,
            organizations::time_zone,
            memberships::alert_emails,
        ))
        .load(conn)
        .await
        .map_err(StoreError::from)?;
    Ok(rows
        .into_iter()
        .map(|(id, slug, name, time_zone, on)| {
            let org = crate::entity::Organization {
                id,
                slug,
                name,
                time_zone,
            };
            (org, on)
        })
        .collect())
}
