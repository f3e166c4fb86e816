//! Signing in: checked off the database connection and off the async runtime (see `password`),
//! slowed per client address and per account from that address, and recorded in each of the
//! person's organizations. No account is ever locked for everyone: wrong passwords slow down
//! the network that sends them, not the account's owner elsewhere; an account that many
//! addresses guess at is shown to its organizations' Admins (`flooded`).

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

/// Wrong passwords for one account from one network (see `network`) in the last hour before
/// each further try from there must wait: 1 s after the next, then twice as long each time,
/// at most `LONGEST_WAIT`.
pub const FREE_TRIES: i64 = 5;
/// The longest wait between two tries of one account from one network.
pub const LONGEST_WAIT: Duration = Duration::minutes(15);
/// A network with this many wrong passwords in the last hour, whichever accounts they were
/// for, may not try again until they age out.
pub const FAILURES_PER_ADDRESS: i64 = 100;
/// An account with this many wrong passwords in the last hour, from anywhere, is shown to its
/// organizations' Admins on the audit page.
pub const FLOOD: i64 = 20;

/// The network a client address is counted by: an IPv4 address itself, an IPv6 address's /64
/// (one customer's network: a client there may pick any address of it), `unknown` without one.
pub fn network(address: Option<&str>) -> String {
    match address.and_then(|a| a.parse::<std::net::IpAddr>().ok()) {
        Some(std::net::IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Some(std::net::IpAddr::V4(v4)) => v4.to_string(),
        None => "unknown".to_owned(),
    }
}

/// How long the next try must wait after `failures` wrong passwords, the last at `last`.
pub fn wait_after(failures: i64, last: OffsetDateTime, now: OffsetDateTime) -> Option<Duration> {
    if failures < FREE_TRIES {
        return None;
    }
    let doublings = (failures - FREE_TRIES).min(20) as u32;
    let wait = Duration::seconds(1i64 << doublings).min(LONGEST_WAIT);
    let left = last + wait - now;
    (left > Duration::ZERO).then_some(left)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    #[error("That email and password do not match.")]
    Mismatch,
    #[error("Too many failed sign-ins from your network. Try again in an hour.")]
    Throttled,
    /// Wrong passwords for this account from this network: the next try waits.
    #[error("Too many wrong passwords from your network: wait {} before trying again.", crate::timefmt::duration_words(*.0))]
    Slowed(Duration),
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

impl From<crate::store_error::StoreError> for SignInError {
    fn from(e: crate::store_error::StoreError) -> Self {
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

/// Checks the credentials. An unknown email and a wrong password look and take the same. No
/// database connection is held while the password is checked.
/// Who signed in, and the organization to land in when they are a member of only one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedIn {
    pub user: UserId,
    /// The slug of their only organization; `None` when they have none or several.
    pub only_org: Option<String>,
}

pub async fn sign_in(pool: &Pool, attempt: &Attempt<'_>) -> Result<SignedIn, SignInError> {
    let email = attempt.email.trim().to_lowercase();
    let network = network(attempt.address);
    let credentials = {
        let mut conn = connection(pool).await?;
        throttle(&mut conn, &email, &network).await?;
        repo::org::credentials(&mut conn, &email).await?
    };
    let hash = credentials
        .as_ref()
        .map_or(password::DECOY_HASH.as_str(), |c| c.password_hash.as_str());
    let matches = password::verify(attempt.password, hash)
        .await
        .map_err(|_| SignInError::Busy)?;
    let mut conn = connection(pool).await?;
    let signed_in = match &credentials {
        Some(c) if matches => Some(c.id.clone()),
        _ => None,
    };
    if signed_in.is_some() {
        forget_failures(&mut conn, &email, &network).await?;
    } else {
        record_failure(&mut conn, &email, &network).await?;
    }
    let mut memberships = Vec::new();
    if let Some(c) = &credentials {
        let (event_type, outcome) = match signed_in {
            Some(_) => ("Member.signedIn", "signed in"),
            None => ("Member.signInFailed", "wrong password"),
        };
        let data = json!({
            "email": email, "address": attempt.address, "browser": attempt.agent,
            "outcome": outcome,
        });
        // Only where the person is a member: each membership is one they took themselves.
        memberships = repo::org::memberships_of(&mut conn, &c.id).await?;
        for member in &memberships {
            let event = NewEvent {
                actor: Some(c.id.to_string()),
                subject: Some(c.id.to_string()),
                ..NewEvent::new(event_type, data.clone(), EventSource::Verb)
            };
            repo::event::insert(&mut conn, &member.org.id, &event).await?;
        }
    }
    let user = signed_in.ok_or(SignInError::Mismatch)?;
    let only_org = match memberships.as_slice() {
        [only] => Some(only.org.slug.clone()),
        _ => None,
    };
    Ok(SignedIn { user, only_org })
}

/// Refuses a try from `network` for the account of `email` while it must wait: the network
/// has failed too often, or this account's password from there has been wrong too often of
/// late. The right password from anywhere else is not held up.
pub async fn throttle(
    conn: &mut crate::db::Conn,
    email: &str,
    network: &str,
) -> Result<(), SignInError> {
    let now = OffsetDateTime::now_utc();
    let since = now - Duration::hours(1);
    let from_network: i64 = sign_in_failures::table
        .filter(sign_in_failures::failed_at.gt(since))
        .filter(sign_in_failures::address.eq(network))
        .count()
        .get_result(conn)
        .await?;
    if from_network >= FAILURES_PER_ADDRESS {
        return Err(SignInError::Throttled);
    }
    let (failures, last): (i64, Option<OffsetDateTime>) = sign_in_failures::table
        .filter(sign_in_failures::failed_at.gt(since))
        .filter(sign_in_failures::email.eq(email.trim().to_lowercase()))
        .filter(sign_in_failures::address.eq(network))
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::max(sign_in_failures::failed_at),
        ))
        .first(conn)
        .await?;
    match last.and_then(|last| wait_after(failures, last, now)) {
        Some(wait) => Err(SignInError::Slowed(wait)),
        None => Ok(()),
    }
}

/// Counts a wrong password for the account of `email` from `network`.
pub async fn record_failure(
    conn: &mut crate::db::Conn,
    email: &str,
    network: &str,
) -> diesel::QueryResult<()> {
    diesel::insert_into(sign_in_failures::table)
        .values((
            sign_in_failures::email.eq(email.trim().to_lowercase()),
            sign_in_failures::address.eq(network),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Forgets the wrong passwords for the account of `email` from `network` (it signed in from
/// there); those from other networks still count.
pub async fn forget_failures(
    conn: &mut crate::db::Conn,
    email: &str,
    network: &str,
) -> diesel::QueryResult<usize> {
    diesel::delete(
        sign_in_failures::table
            .filter(sign_in_failures::email.eq(email.trim().to_lowercase()))
            .filter(sign_in_failures::address.eq(network)),
    )
    .execute(conn)
    .await
}

/// The accounts among `emails` that had at least `FLOOD` wrong passwords in the last hour,
/// with how many and from how many networks, most first.
pub async fn flooded(
    conn: &mut crate::db::Conn,
    emails: &[String],
) -> diesel::QueryResult<Vec<(String, i64, i64)>> {
    use diesel::dsl::{count, count_star};
    let since = OffsetDateTime::now_utc() - Duration::hours(1);
    let lowered: Vec<String> = emails.iter().map(|e| e.trim().to_lowercase()).collect();
    let mut counts: Vec<(String, i64, i64)> = sign_in_failures::table
        .filter(sign_in_failures::failed_at.gt(since))
        .filter(sign_in_failures::email.eq_any(&lowered))
        .group_by(sign_in_failures::email)
        .select((
            sign_in_failures::email,
            count_star(),
            count(sign_in_failures::address).aggregate_distinct(),
        ))
        .load(conn)
        .await?;
    counts.retain(|(_, n, _)| *n >= FLOOD);
    counts.sort_by_key(|(email, n, _)| (std::cmp::Reverse(*n), email.clone()));
    Ok(counts)
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

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn an_ipv6_client_is_counted_by_its_network() {
        assert_eq!(network(Some("203.0.113.9")), "203.0.113.9");
        assert_eq!(
            network(Some("2001:db8:1:2:aaaa::1")),
            network(Some("2001:db8:1:2:bbbb::9"))
        );
        assert_eq!(network(Some("2001:db8:1:2::1")), "2001:db8:1:2::/64");
        assert_ne!(network(Some("2001:db8:1:3::1")), "2001:db8:1:2::/64");
        assert_eq!(network(Some("::ffff:203.0.113.9")), "203.0.113.9");
        assert_eq!(network(None), "unknown");
        assert_eq!(network(Some("not an address")), "unknown");
    }

    #[test]
    fn tries_wait_longer_after_each_wrong_password_up_to_a_limit() {
        let last = datetime!(2026-12-07 10:00 UTC);
        assert_eq!(wait_after(FREE_TRIES - 1, last, last), None);
        assert_eq!(
            wait_after(FREE_TRIES, last, last),
            Some(Duration::seconds(1))
        );
        assert_eq!(
            wait_after(FREE_TRIES + 3, last, last),
            Some(Duration::seconds(8))
        );
        assert_eq!(
            wait_after(FREE_TRIES + 3, last, last + Duration::seconds(8)),
            None
        );
        assert_eq!(wait_after(FREE_TRIES + 40, last, last), Some(LONGEST_WAIT));
    }
}
