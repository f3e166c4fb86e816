//! Creating organizations and their members (the server's set-up commands and the demo seed).

use crate::auth;
use crate::db::Conn;
use crate::entity::{Member, Organization};
use crate::id::Generate;
use crate::id::{OrgId, UserId};
use crate::repo;
use crate::role::Role;
use crate::workflow::FieldError;
use diesel_async::AsyncConnection;

/// A new organization and its first Admin, as the command line gives them.
#[derive(Clone, Debug)]
pub struct NewOrg {
    pub slug: String,
    pub name: String,
    pub admin_email: String,
    pub admin_name: String,
    pub admin_password: String,
}

pub fn is_slug(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && s.len() <= 63
}

/// Whether `s` looks like an email address: one `@`, something before it, a dotted domain
/// after it, no spaces.
pub fn is_email(s: &str) -> bool {
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

impl NewOrg {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if !is_slug(&self.slug) {
            errors.push(FieldError::new(
                "slug",
                "Slug must be lower-case letters, digits and dashes, like acme",
            ));
        }
        if self.name.trim().is_empty() || self.name.chars().count() > 200 {
            errors.push(FieldError::new(
                "name",
                "Name is required (at most 200 characters)",
            ));
        }
        if !is_email(&self.admin_email) {
            errors.push(FieldError::new(
                "email",
                "Email must look like name@example.com",
            ));
        }
        if let Err(error) =
            auth::password::check_new("password", &self.admin_password, &self.admin_email)
        {
            errors.push(error);
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// Creates the organization and its Admin (or makes an existing user its Admin).
pub async fn create_org(conn: &mut Conn, new: &NewOrg) -> anyhow::Result<Member> {
    if let Err(errors) = new.validate() {
        let text: Vec<String> = errors
            .into_iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        anyhow::bail!("{}", text.join("; "));
    }
    if repo::org::org_by_slug(conn, &new.slug).await?.is_some() {
        anyhow::bail!("an organization with slug `{}` already exists", new.slug);
    }
    let hash = auth::hash_password(&new.admin_password).await?;
    let member = conn
        .transaction::<_, crate::store_error::StoreError, _>(async |conn| {
            let org = Organization {
                id: OrgId::generate(),
                slug: new.slug.clone(),
                name: new.name.trim().to_owned(),
                time_zone: "UTC".to_owned(),
            };
            repo::org::insert_org(conn, &org.id, &org.slug, &org.name).await?;
            let user_id = match repo::org::user_by_email(conn, &new.admin_email).await? {
                Some(id) => id,
                None => {
                    let id = UserId::generate();
                    repo::org::insert_user(
                        conn,
                        &id,
                        new.admin_email.trim(),
                        new.admin_name.trim(),
                        &hash,
                    )
                    .await?;
                    id
                }
            };
            repo::org::add_member(conn, &user_id, &org.id, Role::Admin).await?;
            Ok(Member {
                user_id,
                email: new.admin_email.trim().to_owned(),
                display_name: new.admin_name.trim().to_owned(),
                org,
                role: Role::Admin,
            })
        })
        .await?;
    Ok(member)
}

/// Adds a user (created if new) to an organization with a role.
pub async fn add_user(
    conn: &mut Conn,
    org: &Organization,
    email: &str,
    name: &str,
    password: &str,
    role: Role,
) -> anyhow::Result<Member> {
    let user_id = match repo::org::user_by_email(conn, email).await? {
        Some(id) => id,
        None => {
            let id = UserId::generate();
            let hash = auth::hash_password(password).await?;
            repo::org::insert_user(conn, &id, email, name, &hash).await?;
            id
        }
    };
    repo::org::add_member(conn, &user_id, &org.id, role).await?;
    Ok(Member {
        user_id,
        email: email.to_owned(),
        display_name: name.to_owned(),
        org: org.clone(),
        role,
    })
}
