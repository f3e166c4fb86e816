//! An organization's webhook endpoints, kept by its Admins (and keys with the `admin` scope):
//! add one (its secret shown once), list, read, change, delete, rotate the secret (the old one
//! signs too for `ROTATION_OVERLAP`) and send to a disabled one again. Each secret is sealed
//! with the operator's key, as secrets are; without the key there are no endpoints. Every
//! change is recorded as an `Endpoint.*` event naming who made it.

use super::sign;
use crate::db::Conn;
use crate::entity::{Actor, EventSource};
use crate::error::{DomainError, DomainResult};
use crate::id::{EndpointId, Generate, OrgId};
use crate::repo;
use crate::repo::event::NewEvent;
use crate::repo::webhook::SealedSecret;
use crate::secrets::SecretsKey;
use crate::store_error::StoreError;
use crate::webhook::{EndpointInput, EndpointSummary};
use diesel_async::AsyncConnection;
use serde_json::json;
use time::{Duration, OffsetDateTime};

/// How long the secret before a rotation still signs, so receivers can change over.
pub const ROTATION_OVERLAP: Duration = Duration::hours(24);

/// A new endpoint or a rotated secret: the endpoint, and its secret, shown this once.
#[derive(Clone, PartialEq)]
pub struct WithSecret {
    pub endpoint: EndpointSummary,
    pub secret: String,
}

impl std::fmt::Debug for WithSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WithSecret")
            .field("endpoint", &self.endpoint)
            .field("secret", &"whsec_••••")
            .finish()
    }
}

use crate::secrets::endpoint_context as context;

fn no_key() -> DomainError {
    DomainError::Refused(format!(
        "This server keeps no secrets, so it signs no webhooks: its operator has not set {} (see the README).",
        crate::secrets::key::ENV
    ))
}

fn seal(key: &SecretsKey, org: &OrgId, id: &EndpointId, secret: &str) -> SealedSecret {
    let (nonce, ciphertext) = key.seal(&context(org, id), secret.as_bytes());
    (nonce, ciphertext, key.id().to_owned())
}

/// Opens a sealed endpoint secret; one sealed with another key is an error that says so.
pub(super) fn open(
    key: &SecretsKey,
    org: &OrgId,
    id: &EndpointId,
    sealed: &SealedSecret,
) -> DomainResult<String> {
    key.open(&context(org, id), &sealed.0, &sealed.1)
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| {
            DomainError::Refused(
                "The endpoint's secret was sealed with another key than the server's: rotate its secret."
                    .to_owned(),
            )
        })
}

/// Adds an endpoint; its secret is in the answer and never again.
pub async fn create(
    conn: &mut Conn,
    key: Option<&SecretsKey>,
    actor: &impl Actor,
    input: &EndpointInput,
) -> DomainResult<WithSecret> {
    crate::access::administer(actor)?;
    let endpoint = input.validate().map_err(DomainError::Validation)?;
    let key = key.ok_or_else(no_key)?;
    let org = &actor.org().id;
    let id = EndpointId::generate();
    let secret = sign::new_secret();
    let sealed = seal(key, org, &id, &secret);
    let by = actor.reference();
    conn.transaction::<_, StoreError, _>(async |conn| {
        repo::webhook::insert(conn, org, &id, &endpoint, &sealed, &by).await?;
        let data = json!({"url": endpoint.url, "events": endpoint.events});
        record(conn, actor, "Endpoint.created", &id, data).await
    })
    .await?;
    Ok(WithSecret {
        endpoint: get(conn, actor, &id).await?,
        secret,
    })
}

/// The organization's endpoints, never their secrets. Admins only.
pub async fn list(conn: &mut Conn, actor: &impl Actor) -> DomainResult<Vec<EndpointSummary>> {
    crate::access::administer(actor)?;
    Ok(repo::webhook::list(conn, &actor.org().id).await?)
}

/// One endpoint of the organization; another organization's is missing. Admins only.
pub async fn get(
    conn: &mut Conn,
    actor: &impl Actor,
    id: &EndpointId,
) -> DomainResult<EndpointSummary> {
    crate::access::administer(actor)?;
    repo::webhook::get(conn, &actor.org().id, id)
        .await?
        .ok_or(DomainError::NotFound)
}

/// Changes an endpoint's URL, event types and description (its secret stays).
pub async fn update(
    conn: &mut Conn,
    actor: &impl Actor,
    id: &EndpointId,
    input: &EndpointInput,
) -> DomainResult<EndpointSummary> {
    crate::access::administer(actor)?;
    let endpoint = input.validate().map_err(DomainError::Validation)?;
    let org = &actor.org().id;
    conn.transaction::<_, StoreError, _>(async |conn| {
        crate::store_error::domain(async {
            if !repo::webhook::update(conn, org, id, &endpoint).await? {
                return Err(DomainError::NotFound);
            }
            let data = json!({"url": endpoint.url, "events": endpoint.events});
            Ok(record(conn, actor, "Endpoint.updated", id, data).await?)
        })
        .await
    })
    .await?;
    get(conn, actor, id).await
}

/// Deletes an endpoint: nothing more is sent to it, its deliveries stay readable no more.
pub async fn delete(conn: &mut Conn, actor: &impl Actor, id: &EndpointId) -> DomainResult<()> {
    crate::access::administer(actor)?;
    let org = &actor.org().id;
    conn.transaction::<_, StoreError, _>(async |conn| {
        crate::store_error::domain(async {
            let named = repo::webhook::get(conn, org, id)
                .await?
                .ok_or(DomainError::NotFound)?;
            repo::webhook::delete(conn, org, id).await?;
            let data = json!({"url": named.url});
            Ok(record(conn, actor, "Endpoint.deleted", id, data).await?)
        })
        .await
    })
    .await?;
    Ok(())
}

/// Makes a new secret for an endpoint, shown this once; the one before still signs for
/// `ROTATION_OVERLAP`, so each delivery carries both signatures until then.
pub async fn rotate(
    conn: &mut Conn,
    key: Option<&SecretsKey>,
    actor: &impl Actor,
    id: &EndpointId,
) -> DomainResult<WithSecret> {
    crate::access::administer(actor)?;
    let key = key.ok_or_else(no_key)?;
    let org = &actor.org().id;
    let secret = sign::new_secret();
    let sealed = seal(key, org, id, &secret);
    let until = OffsetDateTime::now_utc() + ROTATION_OVERLAP;
    conn.transaction::<_, StoreError, _>(async |conn| {
        crate::store_error::domain(async {
            if !repo::webhook::rotate(conn, org, id, &sealed, until).await? {
                return Err(DomainError::NotFound);
            }
            let data = json!({"previousUntil": crate::timefmt::rfc3339(until)});
            Ok(record(conn, actor, "Endpoint.secretRotated", id, data).await?)
        })
        .await
    })
    .await?;
    Ok(WithSecret {
        endpoint: get(conn, actor, id).await?,
        secret,
    })
}

/// Sends to a disabled endpoint again (its failures forgotten).
pub async fn enable(
    conn: &mut Conn,
    actor: &impl Actor,
    id: &EndpointId,
) -> DomainResult<EndpointSummary> {
    crate::access::administer(actor)?;
    let org = &actor.org().id;
    conn.transaction::<_, StoreError, _>(async |conn| {
        crate::store_error::domain(async {
            if !repo::webhook::enable(conn, org, id).await? {
                return Err(DomainError::NotFound);
            }
            Ok(record(conn, actor, "Endpoint.enabled", id, json!({})).await?)
        })
        .await
    })
    .await?;
    get(conn, actor, id).await
}

/// The secrets signing for an endpoint now, opened: the current first.
pub async fn signing_secrets(
    conn: &mut Conn,
    key: Option<&SecretsKey>,
    org: &OrgId,
    id: &EndpointId,
) -> DomainResult<Vec<String>> {
    let (current, previous) = repo::webhook::secrets(conn, org, id)
        .await?
        .ok_or(DomainError::NotFound)?;
    let key = key.ok_or_else(no_key)?;
    let mut secrets = vec![open(key, org, id, &current)?];
    if let Some(previous) = previous {
        secrets.push(open(key, org, id, &previous)?);
    }
    Ok(secrets)
}

async fn record(
    conn: &mut Conn,
    actor: &impl Actor,
    event_type: &str,
    id: &EndpointId,
    mut data: serde_json::Value,
) -> Result<(), StoreError> {
    data["endpoint"] = json!(id);
    let event = NewEvent {
        actor: Some(actor.reference()),
        subject: Some(id.to_string()),
        ..NewEvent::new(event_type, data, EventSource::Verb)
    };
    repo::event::insert(conn, &actor.org().id, &event).await?;
    Ok(())
}
