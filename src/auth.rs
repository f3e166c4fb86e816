//! Passwords (Argon2id, OWASP's parameters) and signing in, throttled per account.

use crate::db::Conn;
use crate::id::UserId;
use crate::repo;
use crate::schema::sign_in_failures;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use argon2::{Algorithm, Argon2, Params, Version};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use std::sync::LazyLock;
use time::{Duration, OffsetDateTime};

/// OWASP ASVS: at most this many failed sign-ins per account per hour.
pub const FAILURES_PER_HOUR: i64 = 100;
pub const PASSWORD_MIN: usize = 8;

/// Argon2id with m=19456 KiB, t=2, p=1 (OWASP's minimum).
fn hasher() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("static Argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes on a blocking thread: Argon2 is deliberately slow.
pub async fn hash_password(password: &str) -> anyhow::Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
    })
    .await?
}

/// A hash of nothing in particular, verified against for unknown emails so that they
/// take as long as a wrong password.
static DECOY_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(b"decoy password for unknown accounts", &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
});

async fn verify(password: &str, hash: &str) -> bool {
    let (password, hash) = (password.to_owned(), hash.to_owned());
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            hasher()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    #[error("That email and password do not match.")]
    Mismatch,
    #[error("Too many failed sign-ins for this account. Try again in an hour, or ask an Admin.")]
    Throttled,
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<diesel::result::Error> for SignInError {
    fn from(e: diesel::result::Error) -> Self {
        SignInError::Internal(e.to_string())
    }
}

/// Checks the credentials. An unknown email and a wrong password look and take the same.
pub async fn sign_in(conn: &mut Conn, email: &str, password: &str) -> Result<UserId, SignInError> {
    let key = email.trim().to_lowercase();
    let since = OffsetDateTime::now_utc() - Duration::hours(1);
    let failures: i64 = sign_in_failures::table
        .filter(sign_in_failures::email.eq(&key))
        .filter(sign_in_failures::failed_at.gt(since))
        .count()
        .get_result(conn)
        .await?;
    if failures >= FAILURES_PER_HOUR {
        return Err(SignInError::Throttled);
    }
    let credentials = repo::org::credentials(conn, &key).await?;
    let hash = credentials
        .as_ref()
        .map_or(DECOY_HASH.as_str(), |c| c.password_hash.as_str());
    let matches = verify(password, hash).await;
    match credentials {
        Some(c) if matches => {
            diesel::delete(sign_in_failures::table.filter(sign_in_failures::email.eq(&key)))
                .execute(conn)
                .await?;
            Ok(c.id)
        }
        _ => {
            diesel::insert_into(sign_in_failures::table)
                .values(sign_in_failures::email.eq(&key))
                .execute(conn)
                .await?;
            Err(SignInError::Mismatch)
        }
    }
}

/// Forgets failed sign-ins older than the throttle's hour; returns how many.
pub async fn prune_failures(conn: &mut Conn) -> diesel::QueryResult<usize> {
    let before = OffsetDateTime::now_utc() - Duration::hours(1);
    diesel::delete(sign_in_failures::table.filter(sign_in_failures::failed_at.lt(before)))
        .execute(conn)
        .await
}

/// Computes the decoy hash now, so that the first unknown email is not slower than the rest.
pub fn warm_up() {
    LazyLock::force(&DECOY_HASH);
}
