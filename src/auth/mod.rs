//! Signing in: checked off the database connection and off the async runtime (see `password`),
//! throttled per account and per client address, and recorded in each of the person's
//! organizations.

pub mod password;

pub use password::{PASSWORD_MAX, PASSWORD_MIN, hash_password};

use crate::db::Pool;
use crate::entity::EventSource;
use crate::id::UserId;
use crate::repo;
use crate::repo::event::NewEvent;
use crate::schema::sign_in_failures;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use std::sync::LazyLock;
use time::{Duration, OffsetDateTime};

/// An account with this many failed sign-ins in the last hour is locked until they age out or
/// an Admin unlocks it; while locked, even its right password gets the wrong-password answer.
pub const FAILURES_PER_ACCOUNT: i64 = 20;
/// A client address with this many failed sign-ins in the last hour may not try again for a
/// while, whichever accounts it tries.
pub const FAILURES_PER_ADDRESS: i64 = 100;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    #[error("That email and password do not match.")]
    Mismatch,
    #[error("Too many failed sign-ins from your network. Try again in an hour.")]
    Throttled,
    #[error("Too many people are signing in right now. Try again in a moment.")]
    Busy,
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<diesel::result::Error> for SignInError {
    fn from(e: diesel::result::Error) -> Self {
        SignInError::Internal(e.to_string())
    }
}

async fn connection(pool: &Pool) -> Result<crate::db::PooledConn, SignInError> {
    pool.get()
        .await
        .map_err(|e| SignInError::Internal(e.to_string()))
}

/// One try at signing in.
#[derive(Clone, Copy, Debug)]
pub struct Attempt<'a> {
    pub email: &'a str,
    pub password: &'a str,
    /// The client's address, when known.
    pub address: Option<&'a str>,
    /// The browser, as its `User-Agent` names itself (kept with the record of the sign-in).
    pub agent: &'a str,
}

/// Checks the credentials. An unknown email, a wrong password and a locked account look and
/// take the same. No database connection is held while the password is checked.
pub async fn sign_in(pool: &Pool, attempt: &Attempt<'_>) -> Result<UserId, SignInError> {
    let email = attempt.email.trim().to_lowercase();
    let since = OffsetDateTime::now_utc() - Duration::hours(1);
    let (locked, credentials) = {
        let mut conn = connection(pool).await?;
        if let Some(address) = attempt.address {
            let from_address: i64 = sign_in_failures::table
                .filter(sign_in_failures::failed_at.gt(since))
                .filter(sign_in_failures::address.eq(address))
                .count()
                .get_result(&mut conn)
                .await?;
            if from_address >= FAILURES_PER_ADDRESS {
                return Err(SignInError::Throttled);
            }
        }
        let locked = is_locked(&mut conn, &email).await?;
        let credentials = repo::org::credentials(&mut conn, &email).await?;
        (locked, credentials)
    };
    let hash = credentials
        .as_ref()
        .map_or(password::DECOY_HASH.as_str(), |c| c.password_hash.as_str());
    let matches = password::verify(attempt.password, hash)
        .await
        .map_err(|_| SignInError::Busy)?;
    let mut conn = connection(pool).await?;
    let signed_in = match &credentials {
        Some(c) if matches && !locked => Some(c.id.clone()),
        _ => None,
    };
    if signed_in.is_some() {
        diesel::delete(sign_in_failures::table.filter(sign_in_failures::email.eq(&email)))
            .execute(&mut conn)
            .await?;
    } else {
        record_failure(&mut conn, &email, attempt.address).await?;
    }
    if let Some(c) = &credentials {
        let (event_type, outcome) = match signed_in {
            Some(_) => ("Member.signedIn", "signed in"),
            None if locked => ("Member.signInFailed", "locked"),
            None => ("Member.signInFailed", "wrong password"),
        };
        let data = json!({
            "email": email, "address": attempt.address, "browser": attempt.agent,
            "outcome": outcome,
        });
        for member in repo::org::memberships_of(&mut conn, &c.id).await? {
            let event = NewEvent {
                actor: Some(c.id.to_string()),
                subject: Some(c.id.to_string()),
                ..NewEvent::new(event_type, data.clone(), EventSource::Verb)
            };
            repo::event::insert(&mut conn, &member.org.id, &event).await?;
        }
    }
    signed_in.ok_or(SignInError::Mismatch)
}

/// Counts a wrong password for the account of `email`, from `address` when known.
pub async fn record_failure(
    conn: &mut crate::db::Conn,
    email: &str,
    address: Option<&str>,
) -> diesel::QueryResult<()> {
    diesel::insert_into(sign_in_failures::table)
        .values((
            sign_in_failures::email.eq(email.trim().to_lowercase()),
            sign_in_failures::address.eq(address),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Whether the account of `email` is locked by failed sign-ins.
pub async fn is_locked(conn: &mut crate::db::Conn, email: &str) -> diesel::QueryResult<bool> {
    Ok(!locked_among(conn, &[email]).await?.is_empty())
}

/// Which of `emails` (lower-cased in the answer) are locked by failed sign-ins, in one query.
pub async fn locked_among(
    conn: &mut crate::db::Conn,
    emails: &[&str],
) -> diesel::QueryResult<std::collections::HashSet<String>> {
    let since = OffsetDateTime::now_utc() - Duration::hours(1);
    let lowered: Vec<String> = emails.iter().map(|e| e.trim().to_lowercase()).collect();
    let counts: Vec<(String, i64)> = sign_in_failures::table
        .filter(sign_in_failures::failed_at.gt(since))
        .filter(sign_in_failures::email.eq_any(&lowered))
        .group_by(sign_in_failures::email)
        .select((sign_in_failures::email, diesel::dsl::count_star()))
        .load(conn)
        .await?;
    Ok(counts
        .into_iter()
        .filter(|(_, n)| *n >= FAILURES_PER_ACCOUNT)
        .map(|(email, _)| email)
        .collect())
}

/// Forgets an account's failed sign-ins, which unlocks it.
pub async fn forget_failures(
    conn: &mut crate::db::Conn,
    email: &str,
) -> diesel::QueryResult<usize> {
    diesel::delete(
        sign_in_failures::table.filter(sign_in_failures::email.eq(email.trim().to_lowercase())),
    )
    .execute(conn)
    .await
}

/// Forgets failed sign-ins older than the throttle's hour; returns how many.
pub async fn prune_failures(conn: &mut crate::db::Conn) -> diesel::QueryResult<usize> {
    let before = OffsetDateTime::now_utc() - Duration::hours(1);
    diesel::delete(sign_in_failures::table.filter(sign_in_failures::failed_at.lt(before)))
        .execute(conn)
        .await
}

/// Computes the decoy hash now, so that the first unknown email is not slower than the rest.
pub fn warm_up() {
    LazyLock::force(&password::DECOY_HASH);
}
