//! A person's own account: changing their password (the current one asked again, every other
//! session ended) and seeing and ending their signed-in sessions.

use crate::auth;
use crate::db::Conn;
use crate::entity::EventSource;
use crate::error::{DomainError, DomainResult};
use crate::id::UserId;
pub mod reset;

pub use crate::read_model::account::SessionEntry;
use crate::repo;
use crate::repo::event::NewEvent;
use crate::schema::{sessions, users};
use crate::session::{ADDRESS_KEY, BROWSER_KEY, SEEN_AT_KEY, SIGNED_IN_AT_KEY};
use crate::sql_text::Sql;
use crate::workflow::FieldError;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use time::OffsetDateTime;

/// A session's handle, what the page names it by, from the digest the table keeps of its id
/// (the id itself is the cookie's secret and is not stored).
fn handle(stored_id: &str) -> String {
    stored_id.chars().take(16).collect()
}

/// The person's sessions that have not ended, most recently used first; `current` is the id of
/// the session asking.
pub async fn sessions(
    conn: &mut Conn,
    user: &UserId,
    current: Option<&str>,
) -> DomainResult<Vec<SessionEntry>> {
    let rows: Vec<(String, serde_json::Value)> = sessions::table
        .filter(sessions::user_id.eq(user.as_str().sql_nullable()))
        .filter(sessions::expires_at.gt(OffsetDateTime::now_utc()))
        .select((sessions::id, sessions::data))
        .load(conn)
        .await
        .map_err(crate::store_error::StoreError::from)?;
    let at = |data: &serde_json::Value, key: &str| {
        data[key]
            .as_i64()
            .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
    };
    let current = current.map(crate::repo::session::stored_id);
    let mut entries: Vec<SessionEntry> = rows
        .into_iter()
        .map(|(id, data)| SessionEntry {
            handle: handle(&id),
            signed_in_at: at(&data, SIGNED_IN_AT_KEY),
            seen_at: at(&data, SEEN_AT_KEY),
            browser: data[BROWSER_KEY].as_str().unwrap_or_default().to_owned(),
            address: data[ADDRESS_KEY].as_str().map(str::to_owned),
            current: current.as_deref() == Some(id.as_str()),
        })
        .collect();
    entries.sort_by_key(|e| std::cmp::Reverse((e.current, e.seen_at)));
    Ok(entries)
}

/// Ends one of the person's sessions, named by its handle; someone else's is `NotFound`.
pub async fn end_session(conn: &mut Conn, user: &UserId, handle_: &str) -> DomainResult<()> {
    let ids: Vec<String> = sessions::table
        .filter(sessions::user_id.eq(user.as_str().sql_nullable()))
        .select(sessions::id)
        .load(conn)
        .await
        .map_err(crate::store_error::StoreError::from)?;
    let id = ids
        .into_iter()
        .find(|id| handle(id) == handle_)
        .ok_or(DomainError::NotFound)?;
    diesel::delete(sessions::table.filter(sessions::id.eq(id.sql())))
        .execute(conn)
        .await
        .map_err(crate::store_error::StoreError::from)?;
    Ok(())
}

/// Ends every session of the person but `keep` (the one asking); returns how many.
pub async fn end_other_sessions(
    conn: &mut Conn,
    user: &UserId,
    keep: Option<&str>,
) -> DomainResult<usize> {
    let keep = keep
        .map(crate::repo::session::stored_id)
        .unwrap_or_default();
    Ok(diesel::delete(
        sessions::table
            .filter(sessions::user_id.eq(user.as_str().sql_nullable()))
            .filter(sessions::id.ne(keep.sql())),
    )
    .execute(conn)
    .await
    .map_err(crate::store_error::StoreError::from)?)
}

/// Changes the person's password: the current one must be right, the new one good and typed
/// the same twice; wrong current passwords from `address` slow it down as at sign-in. Every
/// other session ends; each organization records the change.
pub async fn change_password(
    conn: &mut Conn,
    user: &UserId,
    change: &crate::forms::PasswordChange,
    keep: Option<&str>,
    address: Option<&str>,
) -> DomainResult<()> {
    let (current, new, again) = (
        change.current_password.as_str(),
        change.new_password.as_str(),
        change.new_password_again.as_str(),
    );
    let (email, hash): (String, String) = users::table
        .find(user.sql())
        .select((users::email, users::password_hash))
        .first(conn)
        .await
        .map_err(crate::store_error::StoreError::from)?;
    // Guessing the current password from a signed-in browser counts like guessing at sign-in,
    // and is slowed the same way.
    let network = auth::network(address);
    match auth::throttle(conn, &email, &network).await {
        Ok(()) => {}
        Err(auth::SignInError::Internal(e)) => return Err(DomainError::internal(e)),
        Err(refused) => return Err(DomainError::field("current_password", refused.to_string())),
    }
    let right = auth::password::verify(current, &hash)
        .await
        .map_err(|e| DomainError::internal(e.to_string()))?;
    if !right {
        auth::record_failure(conn, &email, &network)
            .await
            .map_err(crate::store_error::StoreError::from)?;
    }
    let mut errors = Vec::new();
    if !right {
        errors.push(FieldError::new(
            "current_password",
            "This is not your current password",
        ));
    }
    if let Err(e) = auth::password::check_new("new_password", new, &email) {
        errors.push(e);
    } else if new != again {
        errors.push(FieldError::new(
            "new_password_again",
            "The two new passwords are not the same",
        ));
    }
    if right && new == current {
        errors.push(FieldError::new(
            "new_password",
            "Choose a password other than your current one",
        ));
    }
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    let hash = auth::hash_password(new)
        .await
        .map_err(|e| DomainError::internal(e.to_string()))?;
    diesel::update(users::table.find(user.sql()))
        .set(users::password_hash.eq(hash))
        .execute(conn)
        .await
        .map_err(crate::store_error::StoreError::from)?;
    let ended = end_other_sessions(conn, user, keep).await?;
    for member in repo::org::memberships_of(conn, user).await? {
        let event = NewEvent {
            actor: Some(user.to_string()),
            subject: Some(user.to_string()),
            ..NewEvent::new(
                "Member.passwordChanged",
                json!({"email": email, "sessionsEnded": ended}),
                EventSource::Verb,
            )
        };
        repo::event::insert(conn, &member.org.id, &event).await?;
    }
    Ok(())
}
