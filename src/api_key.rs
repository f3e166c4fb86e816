//! API keys: created and revoked by an organization's Admins, shown once, stored as a hash,
//! recognisable by their `sy_` prefix, and good for one organization only.

use crate::db::Conn;
use crate::entity::{ApiKey, EventSource, KeyHolder, Member, Organization, Scope};
use crate::error::{DomainError, DomainResult};
use crate::id::Generate;
use crate::id::{ApiKeyId, OrgId, UserId, digest, random_base62};
use crate::repo;
use crate::repo::event::NewEvent;
use crate::schema::{api_keys, organizations};
use crate::sql_text::Sql;
use crate::store_error::StoreError;
use crate::workflow::FieldError;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use time::OffsetDateTime;

/// Every key starts with this, so that a leaked one is easy to recognise.
pub const KEY_PREFIX: &str = "sy_";
const SECRET_LEN: usize = 40;
/// How many leading characters are stored in clear, to find and show the key.
const SHOWN_LEN: usize = 12;
pub const NAME_MAX: usize = 100;

fn require_admin(actor: &Member) -> DomainResult<()> {
    if actor.role.may_administer() {
        Ok(())
    } else {
        Err(DomainError::Forbidden)
    }
}

/// An API key's row as it is read: the model's `ApiKey`, field for field.
#[derive(Queryable, Selectable)]
#[diesel(table_name = api_keys, check_for_backend(diesel::pg::Pg))]
struct ApiKeyRow {
    id: ApiKeyId,
    name: String,
    prefix: String,
    created_at: time::OffsetDateTime,
    last_used_at: Option<time::OffsetDateTime>,
    revoked_at: Option<time::OffsetDateTime>,
    scopes: Vec<Scope>,
    expires_at: Option<time::OffsetDateTime>,
}

impl From<ApiKeyRow> for ApiKey {
    fn from(row: ApiKeyRow) -> Self {
        ApiKey {
            id: row.id,
            name: row.name,
            prefix: row.prefix,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
            scopes: row.scopes,
            expires_at: row.expires_at,
        }
    }
}

fn audit(org: &OrgId, event_type: &str, key: &ApiKey, actor: Option<&UserId>) -> (OrgId, NewEvent) {
    let data = json!({
        "key": key.id, "name": key.name, "prefix": key.prefix,
        "scopes": key.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
    });
    let event = NewEvent {
        actor: actor.map(ToString::to_string),
        subject: Some(key.id.to_string()),
        ..NewEvent::new(event_type, data, EventSource::Verb)
    };
    (org.clone(), event)
}

/// A key to make, as a form or the command line gives it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyRequest {
    pub name: String,
    /// `events:write`, `read`, `write`: at least one.
    pub scopes: Vec<String>,
    /// The last day it works, `YYYY-MM-DD` (UTC); empty for a key that does not expire.
    pub expires_on: String,
}

impl KeyRequest {
    /// The settings form's request: its name, the scopes checked, and its last day.
    pub fn from_form(name: String, scopes: &crate::forms::ScopeChoice, expires_on: String) -> Self {
        KeyRequest {
            name,
            scopes: scopes.names(),
            expires_on,
        }
    }
}

/// A checked `KeyRequest`.
struct Checked {
    name: String,
    scopes: Vec<Scope>,
    expires_at: Option<OffsetDateTime>,
}

impl KeyRequest {
    /// A key called `name` with `scopes`, that does not expire.
    pub fn new(name: &str, scopes: &[Scope]) -> Self {
        Self {
            name: name.to_owned(),
            scopes: scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            expires_on: String::new(),
        }
    }

    /// Every field's problem at once, or the key to make.
    fn check(&self, now: OffsetDateTime) -> DomainResult<Checked> {
        let mut errors = Vec::new();
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > NAME_MAX {
            errors.push(FieldError::new(
                "name",
                format!("Name is required (at most {NAME_MAX} characters), like Zapier or CI"),
            ));
        }
        let mut scopes = Vec::new();
        for given in &self.scopes {
            match given.trim().parse::<Scope>() {
                Ok(scope) if !scopes.contains(&scope) => scopes.push(scope),
                Ok(_) => {}
                Err(_) => errors.push(FieldError::new(
                    "scopes",
                    format!("“{given}” is not a scope: choose events:write, read, write or admin"),
                )),
            }
        }
        if self.scopes.is_empty() {
            errors.push(FieldError::new(
                "scopes",
                "Choose what the key may do: send events, read, or change",
            ));
        }
        scopes.sort();
        let expires_at = match self.expires_on.trim() {
            "" => None,
            text => match time::Date::parse(
                text,
                time::macros::format_description!("[year]-[month]-[day]"),
            ) {
                Ok(day) if day >= now.date() => {
                    day.next_day().map(|next| next.midnight().assume_utc())
                }
                Ok(_) => {
                    errors.push(FieldError::new(
                        "expires_on",
                        "The last day must be today or later",
                    ));
                    None
                }
                Err(_) => {
                    errors.push(FieldError::new(
                        "expires_on",
                        format!("“{text}” is not a date: write it as 2027-12-31"),
                    ));
                    None
                }
            },
        };
        if errors.is_empty() {
            Ok(Checked {
                name: name.to_owned(),
                scopes,
                expires_at,
            })
        } else {
            Err(DomainError::Validation(errors))
        }
    }
}

/// Creates a key for the actor's organization; returns it and its secret, shown only now.
pub async fn create(
    conn: &mut Conn,
    actor: &Member,
    request: &KeyRequest,
) -> DomainResult<(ApiKey, String)> {
    require_admin(actor)?;
    create_for(conn, &actor.org.id, request, Some(&actor.user_id)).await
}

/// Creates a key without a signed-in Admin (the server's command line).
pub async fn create_for(
    conn: &mut Conn,
    org: &OrgId,
    request: &KeyRequest,
    by: Option<&UserId>,
) -> DomainResult<(ApiKey, String)> {
    let Checked {
        name,
        scopes,
        expires_at,
    } = request.check(OffsetDateTime::now_utc())?;
    let secret = format!("{KEY_PREFIX}{}", random_base62(SECRET_LEN));
    let key: ApiKeyRow = diesel::insert_into(api_keys::table)
        .values((
            api_keys::id.eq(ApiKeyId::generate().sql_owned()),
            api_keys::org_id.eq(org.sql()),
            api_keys::name.eq(&name),
            api_keys::scopes.eq(&scopes),
            api_keys::expires_at.eq(expires_at),
            api_keys::prefix.eq(&secret[..SHOWN_LEN]),
            api_keys::hash.eq(digest(&secret)),
            api_keys::created_by.eq(crate::sql_text::maybe(by)),
        ))
        .returning(ApiKeyRow::as_returning())
        .get_result(conn)
        .await
        .map_err(StoreError::from)?;
    let key = ApiKey::from(key);
    let (org, event) = audit(org, "ApiKey.created", &key, by);
    repo::event::insert(conn, &org, &event).await?;
    Ok((key, secret))
}

/// The organization's keys, newest first (Admins only).
pub async fn list(conn: &mut Conn, actor: &Member) -> DomainResult<Vec<ApiKey>> {
    require_admin(actor)?;
    Ok(api_keys::table
        .filter(api_keys::org_id.eq(actor.org.id.sql()))
        .order((api_keys::created_at.desc(), api_keys::id.desc()))
        .select(ApiKeyRow::as_select())
        .load::<ApiKeyRow>(conn)
        .await
        .map_err(StoreError::from)?
        .into_iter()
        .map(ApiKey::from)
        .collect())
}

/// Revokes a key of the actor's organization; another organization's key is `NotFound`.
/// Revoking a revoked key changes nothing.
pub async fn revoke(conn: &mut Conn, actor: &Member, id: &ApiKeyId) -> DomainResult<ApiKey> {
    require_admin(actor)?;
    let mine = api_keys::table
        .filter(api_keys::id.eq(id.sql()))
        .filter(api_keys::org_id.eq(actor.org.id.sql()));
    let revoked: Option<ApiKeyRow> = diesel::update(mine.filter(api_keys::revoked_at.is_null()))
        .set(api_keys::revoked_at.eq(OffsetDateTime::now_utc()))
        .returning(ApiKeyRow::as_returning())
        .get_result(conn)
        .await
        .optional()
        .map_err(StoreError::from)?;
    match revoked.map(ApiKey::from) {
        Some(key) => {
            let (org, event) = audit(&actor.org.id, "ApiKey.revoked", &key, Some(&actor.user_id));
            repo::event::insert(conn, &org, &event).await?;
            Ok(key)
        }
        None => Ok(ApiKey::from(
            mine.select(ApiKeyRow::as_select())
                .first::<ApiKeyRow>(conn)
                .await
                .map_err(StoreError::from)?,
        )),
    }
}

/// The key and its organization `org_slug` if `secret` is one of its live keys; `None`
/// otherwise, whatever the reason (unknown, revoked, expired, another organization's). The key's
/// last use is written at most once a minute, so busy clients do not queue on its row.
pub async fn authenticate(
    conn: &mut Conn,
    org_slug: &str,
    secret: &str,
) -> DomainResult<Option<KeyHolder>> {
    if !secret.starts_with(KEY_PREFIX) || secret.len() != KEY_PREFIX.len() + SECRET_LEN {
        return Ok(None);
    }
    type Found = (
        ApiKeyId,
        String,
        OrgId,
        String,
        String,
        String,
        Option<OffsetDateTime>,
        Vec<Scope>,
    );
    let now = OffsetDateTime::now_utc();
    let found: Option<Found> = api_keys::table
        .inner_join(organizations::table)
        .filter(api_keys::prefix.eq(&secret[..SHOWN_LEN]))
        .filter(api_keys::revoked_at.is_null())
        .filter(
            api_keys::expires_at
                .is_null()
                .or(api_keys::expires_at.gt(now)),
        )
        .filter(organizations::slug.eq(org_slug))
        .select((
            api_keys::id,
            api_keys::hash,
            organizations::id,
            organizations::slug,
            organizations::name,
            organizations::time_zone,
            api_keys::last_used_at,
            api_keys::scopes,
        ))
        .first(conn)
        .await
        .optional()
        .map_err(crate::store_error::StoreError::from)?;
    let Some((id, _, org_id, slug, name, time_zone, last_used, scopes)) =
        found.filter(|(_, stored, ..)| *stored == digest(secret))
    else {
        return Ok(None);
    };
    let stale = now - time::Duration::minutes(1);
    if last_used.is_none_or(|at| at < stale) {
        diesel::update(
            api_keys::table.find(id.sql()).filter(
                api_keys::last_used_at
                    .is_null()
                    .or(api_keys::last_used_at.lt(stale)),
            ),
        )
        .set(api_keys::last_used_at.eq(now))
        .execute(conn)
        .await
        .map_err(crate::store_error::StoreError::from)?;
    }
    Ok(Some(KeyHolder {
        org: Organization {
            id: org_id,
            slug,
            name,
            time_zone,
        },
        key: id,
        scopes,
    }))
}

#[cfg(test)]
mod tests {
    use super::KeyRequest;
    use crate::entity::Scope;
    use time::macros::datetime;

    fn request(scopes: &[&str], expires_on: &str) -> KeyRequest {
        KeyRequest {
            name: "CI".into(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            expires_on: expires_on.into(),
        }
    }

    fn fields(r: &KeyRequest) -> Vec<String> {
        match r.check(datetime!(2026-11-27 12:00 UTC)) {
            Ok(_) => Vec::new(),
            Err(crate::DomainError::Validation(errors)) => {
                errors.into_iter().map(|e| e.field).collect()
            }
            Err(other) => panic!("{other}"),
        }
    }

    #[test]
    fn a_key_needs_a_known_scope_and_a_last_day_from_today_on() {
        let now = datetime!(2026-11-27 12:00 UTC);
        let checked = request(&["write", "read", "write"], "2026-11-27")
            .check(now)
            .expect("valid");
        assert_eq!(
            checked.scopes,
            [Scope::Read, Scope::Write],
            "sorted, once each"
        );
        assert_eq!(
            checked.expires_at,
            Some(datetime!(2026-11-28 0:00 UTC)),
            "works through its last day"
        );
        assert_eq!(
            request(&["read"], "").check(now).expect("ok").expires_at,
            None
        );
        assert_eq!(fields(&request(&[], "")), ["scopes"]);
        assert_eq!(fields(&request(&["owner"], "")), ["scopes"]);
        assert_eq!(
            request(&["admin", "read"], "")
                .check(now)
                .expect("ok")
                .scopes,
            [Scope::Read, Scope::Admin]
        );
        assert_eq!(fields(&request(&["read"], "2026-11-26")), ["expires_on"]);
        assert_eq!(fields(&request(&["read"], "next week")), ["expires_on"]);
        let nameless = KeyRequest {
            name: " ".into(),
            ..request(&[], "soon")
        };
        assert_eq!(
            fields(&nameless),
            ["name", "scopes", "expires_on"],
            "all at once"
        );
    }
}
