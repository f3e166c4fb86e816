//! "Forgot your password?": a one-time link by email that works for `RESET_MINUTES` (only its
//! hash is stored). Asking answers the same whether or not the address has an account, and
//! takes the same time: the email goes out from a task of its own. Choosing the new password
//! uses the link up, stops the account's other links, and ends every other session.

use crate::auth;
use crate::db::Conn;
use crate::entity::EventSource;
use crate::error::{DomainError, DomainResult};
use crate::id::{UserId, digest, random_base62};
use crate::mail::{Letter, Mail, Refusal};
use crate::repo;
use crate::repo::event::NewEvent;
use crate::schema::{password_resets, sign_in_failures, users};
use crate::sql_text::Sql;
use crate::store_error::StoreError;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde_json::json;
use time::{Duration, OffsetDateTime};

/// How long a reset link works.
pub const RESET_MINUTES: i64 = 60;
/// At most this many links are sent to one account in an hour; further asks send nothing.
pub const LINKS_PER_HOUR: i64 = 3;
const TOKEN_LEN: usize = 40;
/// The event each of the person's organizations records.
pub const RESET: &str = "Member.passwordReset";

/// The link a reset token makes on the app reached at `base`.
pub fn link(base: &str, token: &str) -> String {
    format!("{}/reset/{token}", base.trim_end_matches('/'))
}

/// Sends a reset link to `email` if it has an account (and has not had `LINKS_PER_HOUR` in
/// the last hour). The answer is the same either way; a malformed address is a field error,
/// and with email off it is `Refused`. `base` is the configured address of the app
/// (`SWITCHYARD_PUBLIC_URL`), never one a request names: whoever asks for someone else's link
/// must not choose where it points. Without it no link is sent.
pub async fn ask(
    conn: &mut Conn,
    mail: &Mail,
    base: Option<&str>,
    email: &str,
) -> DomainResult<()> {
    let email = email.trim();
    if !crate::setup::is_email(email) {
        return Err(DomainError::field(
            "email",
            "Email must look like name@example.com",
        ));
    }
    if !mail.is_on() {
        return Err(DomainError::Refused(Refusal::Off.to_string()));
    }
    let base = base.ok_or_else(|| {
        DomainError::Refused(
            "This server cannot send links by email until its operator sets SWITCHYARD_PUBLIC_URL."
                .to_owned(),
        )
    })?;
    let Some(user) = repo::org::user_by_email(conn, email).await? else {
        return Ok(());
    };
    let now = OffsetDateTime::now_utc();
    let recent: i64 = password_resets::table
        .filter(password_resets::user_id.eq(user.sql()))
        .filter(password_resets::created_at.gt(now - Duration::hours(1)))
        .count()
        .get_result(conn)
        .await
        .map_err(StoreError::from)?;
    if recent >= LINKS_PER_HOUR {
        tracing::info!(user = %user, "password reset asked again within the hour; nothing sent");
        return Ok(());
    }
    let (address, _) = repo::org::user(conn, &user)
        .await?
        .ok_or(DomainError::NotFound)?;
    let token = random_base62(TOKEN_LEN);
    diesel::insert_into(password_resets::table)
        .values((
            password_resets::token_hash.eq(digest(&token)),
            password_resets::user_id.eq(user.sql()),
            password_resets::expires_at.eq(now + Duration::minutes(RESET_MINUTES)),
        ))
        .execute(conn)
        .await
        .map_err(StoreError::from)?;
    let letter = Letter::password_reset(&address, &link(base, &token));
    let mail = mail.clone();
    tokio::spawn(async move {
        if let Err(refusal) = mail.send(&letter).await {
            tracing::warn!(user = %user, "password reset email not sent: {refusal}");
        }
    });
    Ok(())
}

/// The account a usable link is for; used, stopped, expired and unknown links are all
/// `NotFound`.
pub async fn opened(conn: &mut Conn, token: &str) -> DomainResult<String> {
    Ok(usable(conn, token).await?.1)
}

async fn usable(conn: &mut Conn, token: &str) -> DomainResult<(UserId, String)> {
    password_resets::table
        .inner_join(users::table)
        .filter(password_resets::token_hash.eq(digest(token.trim())))
        .filter(password_resets::used_at.is_null())
        .filter(password_resets::expires_at.gt(OffsetDateTime::now_utc()))
        .select((users::id, users::email))
        .first::<(UserId, String)>(conn)
        .await
        .optional()
        .map_err(StoreError::from)?
        .ok_or(DomainError::NotFound)
}

/// Sets the account's new password (good, typed the same twice) through the link `token`,
/// which then stops working, as do the account's other links. Every session of the account
/// but `keep` ends; wrong passwords counted against it are forgotten.
pub async fn reset(
    conn: &mut Conn,
    token: &str,
    password: &str,
    again: &str,
    keep: Option<&str>,
) -> DomainResult<()> {
    let (user, email) = usable(conn, token).await?;
    if let Err(e) = auth::password::check_new("password", password, &email) {
        return Err(DomainError::Validation(vec![e]));
    }
    if password != again {
        return Err(DomainError::field(
            "password_again",
            "The two passwords are not the same",
        ));
    }
    let hash = auth::hash_password(password)
        .await
        .map_err(|e| DomainError::internal(e.to_string()))?;
    let token = digest(token.trim());
    conn.transaction::<_, StoreError, _>(async |conn| {
        crate::store_error::domain(async {
            let now = OffsetDateTime::now_utc();
            // Used once: of two people racing with the same link, one gets here.
            let claimed: Option<UserId> = diesel::update(
                password_resets::table
                    .filter(password_resets::token_hash.eq(&token))
                    .filter(password_resets::used_at.is_null())
                    .filter(password_resets::expires_at.gt(now)),
            )
            .set(password_resets::used_at.eq(now))
            .returning(password_resets::user_id)
            .get_result(conn)
            .await
            .optional()
            .map_err(StoreError::from)?;
            if claimed.as_ref() != Some(&user) {
                return Err(DomainError::NotFound);
            }
            diesel::update(
                password_resets::table
                    .filter(password_resets::user_id.eq(user.sql()))
                    .filter(password_resets::used_at.is_null()),
            )
            .set(password_resets::used_at.eq(now))
            .execute(conn)
            .await
            .map_err(StoreError::from)?;
            diesel::update(users::table.find(user.sql()))
                .set(users::password_hash.eq(&hash))
                .execute(conn)
                .await
                .map_err(StoreError::from)?;
            diesel::delete(
                sign_in_failures::table.filter(sign_in_failures::email.eq(email.to_lowercase())),
            )
            .execute(conn)
            .await
            .map_err(StoreError::from)?;
            let ended = super::end_other_sessions(conn, &user, keep).await?;
            for member in repo::org::memberships_of(conn, &user).await? {
                let event = NewEvent {
                    actor: Some(user.to_string()),
                    subject: Some(user.to_string()),
                    ..NewEvent::new(
                        RESET,
                        json!({"email": email, "sessionsEnded": ended}),
                        EventSource::Verb,
                    )
                };
                repo::event::insert(conn, &member.org.id, &event).await?;
            }
            Ok(())
        })
        .await
    })
    .await?;
    Ok(())
}

/// Forgets reset links that ended more than a day ago (the hour's bound on asks reads only the
/// last hour); returns how many.
pub async fn prune(conn: &mut Conn) -> diesel::QueryResult<usize> {
    let before = OffsetDateTime::now_utc() - Duration::days(1);
    diesel::delete(password_resets::table.filter(password_resets::expires_at.lt(before)))
        .execute(conn)
        .await
}
