//! An organization's secrets: named values its Admins (and keys with the `admin` scope) set
//! and nobody reads back. Each is sealed with the operator's key (`key`) before it reaches the
//! database, listed by name, hosts, who set it and when, and opened only for a step about to
//! send it (`reveal`). Setting and deleting are recorded as `Secret.set` and `Secret.deleted`,
//! events only Admins read, which never hold the value.

pub mod key;
pub mod mask;

pub use key::SecretsKey;

use crate::db::Conn;
use crate::entity::{Actor, EventSource};
use crate::error::{DomainError, DomainResult};
use crate::id::{EndpointId, OrgId};
use crate::repo;
use crate::repo::event::NewEvent;
use crate::repo::secret::Sealed;
use crate::secret::{SecretInput, SecretSummary};
use diesel_async::AsyncConnection;
use serde_json::json;

/// What a sealed value is bound to: its organization and name.
fn context(org: &OrgId, name: &str) -> Vec<u8> {
    format!("{org}/{name}").into_bytes()
}

/// What a webhook endpoint's sealed signing secret is bound to: its organization and id.
pub fn endpoint_context(org: &OrgId, id: &EndpointId) -> Vec<u8> {
    format!("{org}/webhook/{id}").into_bytes()
}

fn no_key() -> DomainError {
    DomainError::Refused(format!(
        "This server keeps no secrets: its operator has not set {} (see the README).",
        key::ENV
    ))
}

/// Sets (creates or replaces) a secret, sealed with `key`. Admins only; every bad field is
/// named and nothing is written.
pub async fn set(
    conn: &mut Conn,
    key: Option<&SecretsKey>,
    actor: &impl Actor,
    input: &SecretInput,
) -> DomainResult<SecretSummary> {
    crate::access::administer(actor)?;
    let secret = input.validate().map_err(DomainError::Validation)?;
    let key = key.ok_or_else(no_key)?;
    let org = &actor.org().id;
    let (nonce, ciphertext) = key.seal(&context(org, &secret.name), secret.value.as_bytes());
    let sealed = Sealed {
        nonce,
        ciphertext,
        key_id: key.id().to_owned(),
        hosts: secret.hosts.clone(),
    };
    let by = actor.reference();
    conn.transaction::<_, crate::store_error::StoreError, _>(async |conn| {
        repo::secret::put(conn, org, &secret.name, &sealed, &by).await?;
        record(conn, actor, "Secret.set", &secret.name, &secret.hosts).await
    })
    .await?;
    let listed = list(conn, actor).await?;
    listed
        .into_iter()
        .find(|s| s.name == secret.name)
        .ok_or(DomainError::NotFound)
}

/// The organization's secrets by name, without their values. Admins only.
pub async fn list(conn: &mut Conn, actor: &impl Actor) -> DomainResult<Vec<SecretSummary>> {
    crate::access::administer(actor)?;
    let org = &actor.org().id;
    let rows = repo::secret::list(conn, org).await?;
    let refs: Vec<&str> = rows.iter().map(|r| r.2.as_str()).collect();
    let names = repo::org::actor_names(conn, org, &refs).await?;
    let calling = repo::workflow::calling_out(conn, org).await?;
    let uses: Vec<(&crate::id::WorkflowId, &String, Vec<String>)> = calling
        .iter()
        .map(|(id, name, steps)| {
            let used = steps.iter().filter_map(|s| s.http_request());
            (id, name, used.flat_map(|r| r.secrets()).collect())
        })
        .collect();
    Ok(rows
        .into_iter()
        .map(|(name, hosts, by, set_at)| SecretSummary {
            used_by: uses
                .iter()
                .filter(|(.., secrets)| secrets.contains(&name))
                .map(|(id, workflow, _)| ((*id).clone(), (*workflow).clone()))
                .collect(),
            name,
            hosts,
            set_by: names.get(&by).cloned().unwrap_or_else(|| "Someone".into()),
            set_at,
        })
        .collect())
}

/// Deletes a secret; a name the organization has no secret of is missing. Admins only.
pub async fn delete(conn: &mut Conn, actor: &impl Actor, name: &str) -> DomainResult<()> {
    crate::access::administer(actor)?;
    let org = &actor.org().id;
    conn.transaction::<_, crate::store_error::StoreError, _>(async |conn| {
        crate::store_error::domain(async {
            if !repo::secret::delete(conn, org, name).await? {
                return Err(DomainError::NotFound);
            }
            Ok(record(conn, actor, "Secret.deleted", name, &[]).await?)
        })
        .await
    })
    .await
    .map_err(Into::into)
}

/// The value of the secret `name` of `org` and the hosts it may be sent to, for a step about
/// to send it; `None` when the organization has none of that name. A value sealed with another
/// key than `key` is an error that says so (the operator changed the key without rotating).
pub async fn reveal(
    conn: &mut Conn,
    key: Option<&SecretsKey>,
    org: &OrgId,
    name: &str,
) -> DomainResult<Option<(String, Vec<String>)>> {
    let Some(sealed) = repo::secret::get(conn, org, name).await? else {
        return Ok(None);
    };
    let key = key.ok_or_else(no_key)?;
    let opened = key
        .open(&context(org, name), &sealed.nonce, &sealed.ciphertext)
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| {
            DomainError::Refused(format!(
                "The secret {name} was sealed with another key than the server's: set it again, or rotate the key as the README says."
            ))
        })?;
    Ok(Some((opened, sealed.hosts)))
}

/// Re-seals with `new` every organization's secrets and webhook endpoints' signing secrets
/// sealed with `old`, in one transaction (the operator's `switchyard secrets rotate`); how
/// many. One that `old` cannot open stops it and changes nothing.
pub async fn rotate(conn: &mut Conn, old: &SecretsKey, new: &SecretsKey) -> DomainResult<usize> {
    conn.transaction::<_, crate::store_error::StoreError, _>(async |conn| {
        crate::store_error::domain(async {
            let sealed = repo::secret::sealed_with(conn, old.id()).await?;
            for (org, name, s) in &sealed {
                let context = context(org, name);
                let value = old
                    .open(&context, &s.nonce, &s.ciphertext)
                    .ok_or_else(|| {
                        DomainError::Refused(format!(
                            "The secret {name} of {org} does not open with the old key: nothing was changed."
                        ))
                    })?;
                let (nonce, ciphertext) = new.seal(&context, &value);
                let resealed = Sealed {
                    nonce,
                    ciphertext,
                    key_id: new.id().to_owned(),
                    hosts: s.hosts.clone(),
                };
                repo::secret::reseal(conn, org, name, &resealed).await?;
            }
            let endpoints = repo::webhook::sealed_with(conn, old.id()).await?;
            let mut count = sealed.len();
            for (org, id, current, previous) in &endpoints {
                let context = endpoint_context(org, id);
                let mut again = |s: &Option<repo::webhook::SealedSecret>| {
                    s.as_ref()
                        .map(|(nonce, ciphertext, _)| {
                            count += 1;
                            let value = old.open(&context, nonce, ciphertext).ok_or_else(|| {
                                DomainError::Refused(format!(
                                    "The signing secret of the webhook endpoint {id} of {org} does not open with the old key: nothing was changed."
                                ))
                            })?;
                            let (nonce, ciphertext) = new.seal(&context, &value);
                            Ok::<_, DomainError>((nonce, ciphertext, new.id().to_owned()))
                        })
                        .transpose()
                };
                let (current, previous) = (again(current)?, again(previous)?);
                repo::webhook::reseal(conn, id, current.as_ref(), previous.as_ref()).await?;
            }
            Ok(count)
        })
        .await
    })
    .await
    .map_err(Into::into)
}

async fn record(
    conn: &mut Conn,
    actor: &impl Actor,
    event_type: &str,
    name: &str,
    hosts: &[String],
) -> Result<(), crate::store_error::StoreError> {
    let event = NewEvent {
        actor: Some(actor.reference()),
        subject: Some(name.to_owned()),
        ..NewEvent::new(
            event_type,
            json!({ "name": name, "hosts": hosts }),
            EventSource::Verb,
        )
    };
    crate::ingest::record_and_queue(
        conn,
        &actor.org().id,
        &event,
        None,
        &crate::ingest::Limits::DEFAULT,
    )
    .await?;
    Ok(())
}
