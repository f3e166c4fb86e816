//! Sending the outbox: claim the deliveries that are due, send each (signed, through the
//! egress guard, following no redirect, with no database connection held), and settle it with
//! the answer: 2xx delivered; 410 Gone disables the endpoint; anything else, or no answer, is
//! tried again on `webhook::SCHEDULE` until its attempts are spent. An endpoint that has failed
//! every delivery for `webhook::FAILING_FOR` is disabled. A disabled endpoint records
//! `Endpoint.disabled`, which other endpoints may take.

use super::{endpoints, sign};
use crate::clock::Clock;
use crate::db::Pool;
use crate::egress::Guard;
use crate::egress::call::{self, CallFailure, Limits};
use crate::entity::EventSource;
use crate::error::{DomainError, DomainResult};
use crate::repo;
use crate::repo::delivery::{Attempt, Claimed, Settled};
use crate::repo::event::NewEvent;
use crate::secrets::SecretsKey;
use crate::store_error::StoreError;
use crate::webhook::{FAILING_FOR, next_wait};
use diesel_async::AsyncConnection;
use serde_json::json;
use std::time::Duration;
use time::OffsetDateTime;

/// How long a sender holds a delivery it claimed: longer than any delivery takes.
pub const LEASE: time::Duration = time::Duration::minutes(2);
/// The bounds of one delivery: 15 s, the payload at most 256 KiB, 64 KiB of answer read and
/// its first 1 KiB kept in the log.
pub const LIMITS: Limits = Limits {
    timeout: Duration::from_secs(15),
    body_max: 256 * 1024,
    read_max: 64 * 1024,
    keep_max: 1024,
};

/// What sends deliveries: the egress guard (no redirect followed), the operator's key for
/// the signing secrets, and the clock deliveries fall due by (tests move it forward).
#[derive(Clone)]
pub struct Sender {
    pub guard: Guard,
    pub key: Option<SecretsKey>,
    pub clock: Clock,
}

impl Sender {
    pub fn new(guard: &Guard, key: Option<SecretsKey>, clock: Clock) -> Sender {
        Sender {
            guard: guard.staying(),
            key,
            clock,
        }
    }
}

/// Claims up to `limit` due deliveries for this sender, for `LEASE`.
pub async fn claim_due(pool: &Pool, sender: &Sender, limit: i64) -> DomainResult<Vec<Claimed>> {
    let now = sender.clock.now();
    let mut conn = pool
        .get()
        .await
        .map_err(|e| DomainError::internal(e.to_string()))?;
    Ok(repo::delivery::claim(&mut conn, now, now + LEASE, limit).await?)
}

/// Sends up to `limit` due deliveries, at once, and waits for them all; how many were
/// attempted. (The server's sender instead keeps `limit` in flight: `claim_due`, `deliver`.)
pub async fn send_due(pool: &Pool, sender: &Sender, limit: i64) -> DomainResult<usize> {
    let claimed = claim_due(pool, sender, limit).await?;
    let count = claimed.len();
    let mut sends = tokio::task::JoinSet::new();
    for claimed in claimed {
        let (pool, sender) = (pool.clone(), sender.clone());
        sends.spawn(async move {
            if let Err(e) = deliver(&pool, &sender, &claimed).await {
                tracing::warn!(delivery = %claimed.id, "a webhook delivery could not be settled: {e}");
            }
        });
    }
    sends.join_all().await;
    Ok(count)
}

/// What one attempt came to.
enum Outcome {
    Answered(u16),
    /// Not sent, or no answer.
    NoAnswer,
    /// The endpoint no longer takes deliveries.
    Stopped,
}

/// Sends one claimed delivery and settles it.
pub async fn deliver(pool: &Pool, sender: &Sender, claimed: &Claimed) -> DomainResult<()> {
    let (url, secrets) = {
        let mut conn = pool
            .get()
            .await
            .map_err(|e| DomainError::internal(e.to_string()))?;
        let url = repo::delivery::target(&mut conn, &claimed.org, &claimed.endpoint).await?;
        let secrets = match url {
            Some(_) => {
                endpoints::signing_secrets(
                    &mut conn,
                    sender.key.as_ref(),
                    &claimed.org,
                    &claimed.endpoint,
                )
                .await?
            }
            None => Vec::new(),
        };
        (url, secrets)
    };
    let started = std::time::Instant::now();
    let at = sender.clock.now();
    let (outcome, answer) = match url {
        None => (
            Outcome::Stopped,
            "Not sent: the endpoint is disabled or deleted".to_owned(),
        ),
        Some(url) => send(sender, claimed, &url, &secrets, at).await,
    };
    let attempt = Attempt {
        at,
        status: match outcome {
            Outcome::Answered(status) => Some(i32::from(status)),
            _ => None,
        },
        duration_ms: started.elapsed().as_millis().min(i32::MAX as u128) as i32,
        answer,
    };
    settle(pool, sender, claimed, &attempt, &outcome).await
}

/// Signs and sends one attempt; what came of it and the start of the answer (or why none).
async fn send(
    sender: &Sender,
    claimed: &Claimed,
    url: &str,
    secrets: &[String],
    at: OffsetDateTime,
) -> (Outcome, String) {
    let body = claimed.payload.to_string().into_bytes();
    let timestamp = at.unix_timestamp();
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let signature = sign::header(&secrets, claimed.id.as_str(), timestamp, &body);
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return (
            Outcome::NoAnswer,
            format!("Not sent: {url} is not an address"),
        );
    };
    let request = sender
        .guard
        .request(reqwest::Method::POST, parsed)
        .map(|r| {
            r.header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(reqwest::header::USER_AGENT, "Switchyard-Webhooks/1")
                .header("webhook-id", claimed.id.as_str())
                .header("webhook-timestamp", timestamp.to_string())
                .header("webhook-signature", signature)
                .body(body)
                .build()
        });
    let request = match request {
        Ok(Ok(request)) => request,
        Ok(Err(e)) => return (Outcome::NoAnswer, format!("Not sent: {e}")),
        Err(refused) => {
            return (Outcome::NoAnswer, format!("Not sent: {refused}"));
        }
    };
    match call::call(&sender.guard, request, LIMITS).await {
        Ok(answer) => {
            let text = match &answer.body {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (Outcome::Answered(answer.status), text)
        }
        Err(failure) => {
            let words = match &failure {
                CallFailure::Refused(refused) => format!("Not sent: {refused}"),
                CallFailure::TimedOut(limit) => {
                    format!("No answer within {} s", limit.as_secs())
                }
                CallFailure::BodyTooLarge { bytes, max } => {
                    format!("Not sent: the payload has {bytes} bytes; at most {max} may be sent")
                }
                CallFailure::Http(e) => call::http_words(url, e),
            };
            (Outcome::NoAnswer, words)
        }
    }
}

/// Records the attempt and what follows from it, in one transaction.
async fn settle(
    pool: &Pool,
    sender: &Sender,
    claimed: &Claimed,
    attempt: &Attempt,
    outcome: &Outcome,
) -> DomainResult<()> {
    let now = attempt.at;
    let settled = match outcome {
        Outcome::Answered(status) if (200..300).contains(status) => Settled::Delivered,
        Outcome::Answered(410) | Outcome::Stopped => Settled::Failed,
        _ => match next_wait(claimed.tries as usize + 1, rand::random::<f64>()) {
            Some(wait) => Settled::Again(sender.clock.now() + wait),
            None => Settled::Failed,
        },
    };
    let mut conn = pool
        .get()
        .await
        .map_err(|e| DomainError::internal(e.to_string()))?;
    conn.transaction::<_, StoreError, _>(async |conn| {
        if !repo::delivery::settle(conn, claimed, attempt, settled).await? {
            // Another sender took it over after this one's lease ran out.
            return Ok(());
        }
        let disable = match outcome {
            Outcome::Stopped => None,
            Outcome::Answered(status) if (200..300).contains(status) => {
                repo::delivery::endpoint_answered(conn, &claimed.endpoint).await?;
                None
            }
            Outcome::Answered(410) => {
                Some("It answered 410 Gone: it no longer takes deliveries".to_owned())
            }
            _ => {
                let since = repo::delivery::endpoint_failed(conn, &claimed.endpoint, now).await?;
                (now - since >= FAILING_FOR).then(|| {
                    format!(
                        "Every delivery failed for {} days",
                        FAILING_FOR.whole_days()
                    )
                })
            }
        };
        if let Some(reason) = disable
            && repo::delivery::disable(conn, &claimed.endpoint, &reason, now).await?
        {
            let event = NewEvent {
                subject: Some(claimed.endpoint.to_string()),
                ..NewEvent::new(
                    "Endpoint.disabled",
                    json!({"endpoint": claimed.endpoint, "reason": reason}),
                    EventSource::Verb,
                )
            };
            repo::event::insert(conn, &claimed.org, &event).await?;
        }
        Ok(())
    })
    .await?;
    Ok(())
}
