//! Organizations, users and memberships.

use crate::db::Conn;
use crate::entity::{Member, Organization};
use crate::id::{OrgId, UserId};
use crate::role::Role;
use crate::schema::{memberships, organizations, users};
use crate::sql_text::Sql;
use crate::store_error::QueryResult;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// A user's stored credentials.
#[derive(Clone, Debug, Queryable)]
pub struct Credentials {
    pub id: UserId,
    pub password_hash: String,
}

pub async fn insert_org(conn: &mut Conn, id: &OrgId, slug: &str, name: &str) -> QueryResult<()> {
    diesel::insert_into(organizations::table)
        .values((
            organizations::id.eq(id.sql()),
            organizations::slug.eq(slug),
            organizations::name.eq(name),
        ))
        .execute(conn)
        .await
        .map(drop)
        .map_err(Into::into)
}

type OrgColumns = (
    organizations::id,
    organizations::slug,
    organizations::name,
    organizations::time_zone,
);

/// An organization's row, as `to_org` reads it.
const ORG_COLUMNS: OrgColumns = (
    organizations::id,
    organizations::slug,
    organizations::name,
    organizations::time_zone,
);

fn to_org((id, slug, name, time_zone): (OrgId, String, String, String)) -> Organization {
    Organization {
        id,
        slug,
        name,
        time_zone,
    }
}

/// The organization of `id`, for the background tasks that act for every organization.
pub async fn org_by_id(conn: &mut Conn, id: &OrgId) -> QueryResult<Option<Organization>> {
    organizations::table
        .find(id.sql())
        .select(ORG_COLUMNS)
        .first(conn)
        .await
        .optional()
        .map(|row| row.map(to_org))
        .map_err(Into::into)
}

pub async fn org_by_slug(conn: &mut Conn, slug: &str) -> QueryResult<Option<Organization>> {
    organizations::table
        .filter(organizations::slug.eq(slug))
        .select(ORG_COLUMNS)
        .first(conn)
        .await
        .optional()
        .map(|row| row.map(to_org))
        .map_err(Into::into)
}

pub async fn insert_user(
    conn: &mut Conn,
    id: &UserId,
    email: &str,
    display_name: &str,
    password_hash: &str,
) -> QueryResult<()> {
    diesel::insert_into(users::table)
        .values((
            users::id.eq(id.sql()),
            users::email.eq(email),
            users::display_name.eq(display_name),
            users::password_hash.eq(password_hash),
        ))
        .execute(conn)
        .await
        .map(drop)
        .map_err(Into::into)
}

/// A user's email and display name.
pub async fn user(conn: &mut Conn, id: &UserId) -> QueryResult<Option<(String, String)>> {
    users::table
        .find(id.sql())
        .select((users::email, users::display_name))
        .first(conn)
        .await
        .optional()
        .map_err(Into::into)
}

pub async fn user_by_email(conn: &mut Conn, email: &str) -> QueryResult<Option<UserId>> {
    users::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(email) = ")
                .bind::<diesel::sql_types::Text, _>(email.to_lowercase()),
        )
        .select(users::id)
        .first(conn)
        .await
        .optional()
        .map_err(Into::into)
}

/// The email of the account `user`, if it exists.
pub async fn email_of(conn: &mut Conn, user: &UserId) -> QueryResult<Option<String>> {
    users::table
        .find(user.sql())
        .select(users::email)
        .first(conn)
        .await
        .optional()
        .map_err(Into::into)
}

pub async fn credentials(conn: &mut Conn, email: &str) -> QueryResult<Option<Credentials>> {
    users::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(email) = ")
                .bind::<diesel::sql_types::Text, _>(email.to_lowercase()),
        )
        .select((users::id, users::password_hash))
        .first(conn)
        .await
        .optional()
        .map_err(Into::into)
}

pub async fn add_member(
    conn: &mut Conn,
    user: &UserId,
    org: &OrgId,
    role: Role,
) -> QueryResult<()> {
    diesel::insert_into(memberships::table)
        .values((
            memberships::user_id.eq(user.sql()),
            memberships::org_id.eq(org.sql()),
            memberships::role.eq(role.sql()),
        ))
        .on_conflict((memberships::user_id, memberships::org_id))
        .do_update()
        .set(memberships::role.eq(role.sql()))
        .execute(conn)
        .await
        .map(drop)
        .map_err(Into::into)
}

type MemberRow = (UserId, String, String, OrgId, String, String, String, Role);

#[diesel::dsl::auto_type]
fn member_rows() -> _ {
    memberships::table
        .inner_join(users::table)
        .inner_join(organizations::table)
        .select((
            users::id,
            users::email,
            users::display_name,
            organizations::id,
            organizations::slug,
            organizations::name,
            organizations::time_zone,
            memberships::role,
        ))
}

fn to_member(
    (user_id, email, display_name, org_id, slug, name, time_zone, role): MemberRow,
) -> Member {
    Member {
        user_id,
        email,
        display_name,
        org: Organization {
            id: org_id,
            slug,
            name,
            time_zone,
        },
        role,
    }
}

/// The user as a member of the org with this slug, if they are one.
pub async fn member(conn: &mut Conn, user: &UserId, org_slug: &str) -> QueryResult<Option<Member>> {
    member_rows()
        .filter(memberships::user_id.eq(user.sql()))
        .filter(organizations::slug.eq(org_slug))
        .first::<MemberRow>(conn)
        .await
        .optional()
        .map(|row| row.map(to_member))
        .map_err(Into::into)
}

/// Every organization the user belongs to, by name.
pub async fn memberships_of(conn: &mut Conn, user: &UserId) -> QueryResult<Vec<Member>> {
    let rows: Vec<MemberRow> = member_rows()
        .filter(memberships::user_id.eq(user.sql()))
        .order(organizations::name.asc())
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(to_member).collect())
}

/// Everyone in the organization, by name.
pub async fn members_of(
    conn: &mut Conn,
    org: &OrgId,
) -> QueryResult<Vec<crate::entity::MemberRow>> {
    let rows: Vec<(String, String, Role)> = memberships::table
        .inner_join(users::table)
        .filter(memberships::org_id.eq(org.sql()))
        .order(users::display_name.asc())
        .select((users::display_name, users::email, memberships::role))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(display_name, email, role)| crate::entity::MemberRow {
            display_name,
            email,
            role,
        })
        .collect())
}

/// What the dashboard calls failing (a rate), and the time zone dates are shown in.
pub async fn preferences(conn: &mut Conn, org: &OrgId) -> QueryResult<(f64, String)> {
    organizations::table
        .find(org.sql())
        .select((organizations::failure_threshold, organizations::time_zone))
        .first(conn)
        .await
        .map_err(Into::into)
}

pub async fn set_preferences(
    conn: &mut Conn,
    org: &OrgId,
    threshold: f64,
    time_zone: &str,
) -> QueryResult<()> {
    diesel::update(organizations::table.find(org.sql()))
        .set((
            organizations::failure_threshold.eq(threshold),
            organizations::time_zone.eq(time_zone),
        ))
        .execute(conn)
        .await
        .map(drop)
        .map_err(Into::into)
}

/// Who an actor reference names, in words: a member's display name, or an API key's name.
/// Unknown references (a user no longer a member) read as "someone".
pub async fn who(conn: &mut Conn, org: &OrgId, reference: &str) -> QueryResult<String> {
    use crate::schema::api_keys;
    let name: Option<String> = if reference.starts_with("key_") {
        api_keys::table
            .filter(api_keys::id.eq(reference.sql()))
            .filter(api_keys::org_id.eq(org.sql()))
            .select(api_keys::name)
            .first::<String>(conn)
            .await
            .optional()?
            .map(|name| format!("the API key {name}"))
    } else {
        users::table
            .inner_join(memberships::table.on(memberships::user_id.eq(users::id)))
            .filter(users::id.eq(reference.sql()))
            .filter(memberships::org_id.eq(org.sql()))
            .select(users::display_name)
            .first(conn)
            .await
            .optional()?
    };
    Ok(name.unwrap_or_else(|| "someone".into()))
}

/// The names of whoever events name as their actor (`Actor::reference`): a person's display
/// name (a member now or not), an org's API key as “API key “name””. Ids naming neither are
/// left out.
pub async fn actor_names(
    conn: &mut Conn,
    org: &OrgId,
    refs: &[&str],
) -> QueryResult<std::collections::HashMap<String, String>> {
    use crate::schema::api_keys;
    if refs.is_empty() {
        return Ok(Default::default());
    }
    let mut names: std::collections::HashMap<String, String> = users::table
        .filter(users::id.eq_any(crate::sql_text::all(refs)))
        .select((users::id, users::display_name))
        .load::<(String, String)>(conn)
        .await?
        .into_iter()
        .collect();
    let keys: Vec<(String, String)> = api_keys::table
        .filter(api_keys::org_id.eq(org.sql()))
        .filter(api_keys::id.eq_any(crate::sql_text::all(refs)))
        .select((api_keys::id, api_keys::name))
        .load(conn)
        .await?;
    names.extend(
        keys.into_iter()
            .map(|(id, name)| (id, format!("API key “{name}”"))),
    );
    Ok(names)
}
