//! Stored secrets: sealed values (see `secrets::key`), their hosts, who set them and when.

use crate::db::Conn;
use crate::id::OrgId;
use crate::schema::secrets;
use crate::sql_text::Sql;
use crate::store_error::QueryResult;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use time::OffsetDateTime;

/// A secret as stored: still sealed.
pub struct Sealed {
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub key_id: String,
    pub hosts: Vec<String>,
}

/// Sets `name` (creating or replacing it) as `by` now.
pub async fn put(
    conn: &mut Conn,
    org: &OrgId,
    name: &str,
    sealed: &Sealed,
    by: &str,
) -> QueryResult<()> {
    use diesel::dsl::now;
    // What a new secret is set to, and what setting it again replaces.
    let set = (
        secrets::nonce.eq(&sealed.nonce),
        secrets::ciphertext.eq(&sealed.ciphertext),
        secrets::key_id.eq(&sealed.key_id),
        secrets::hosts.eq(&sealed.hosts),
        secrets::set_by.eq(by),
        secrets::set_at.eq(now),
    );
    diesel::insert_into(secrets::table)
        .values((secrets::org_id.eq(org.sql()), secrets::name.eq(name), set))
        .on_conflict((secrets::org_id, secrets::name))
        .do_update()
        .set(set)
        .execute(conn)
        .await
        .map(drop)
        .map_err(Into::into)
}

/// The org's secrets by name, without their values: name, hosts, who set it, when.
pub async fn list(
    conn: &mut Conn,
    org: &OrgId,
) -> QueryResult<Vec<(String, Vec<String>, String, OffsetDateTime)>> {
    secrets::table
        .filter(secrets::org_id.eq(org.sql()))
        .order(secrets::name.asc())
        .select((
            secrets::name,
            secrets::hosts,
            secrets::set_by,
            secrets::set_at,
        ))
        .load(conn)
        .await
        .map_err(Into::into)
}

/// One secret of the org, sealed, if it has one of that name.
pub async fn get(conn: &mut Conn, org: &OrgId, name: &str) -> QueryResult<Option<Sealed>> {
    secrets::table
        .filter(secrets::org_id.eq(org.sql()))
        .filter(secrets::name.eq(name))
        .select((
            secrets::nonce,
            secrets::ciphertext,
            secrets::key_id,
            secrets::hosts,
        ))
        .first::<(Vec<u8>, Vec<u8>, String, Vec<String>)>(conn)
        .await
        .optional()
        .map(|row| {
            row.map(|(nonce, ciphertext, key_id, hosts)| Sealed {
                nonce,
                ciphertext,
                key_id,
                hosts,
            })
        })
        .map_err(Into::into)
}

/// Deletes one; whether there was one.
pub async fn delete(conn: &mut Conn, org: &OrgId, name: &str) -> QueryResult<bool> {
    diesel::delete(
        secrets::table
            .filter(secrets::org_id.eq(org.sql()))
            .filter(secrets::name.eq(name)),
    )
    .execute(conn)
    .await
    .map(|n| n > 0)
    .map_err(Into::into)
}

/// Every organization's secrets sealed with the key `key_id`, locked for the rest of the
/// transaction: what a rotation re-seals.
pub async fn sealed_with(
    conn: &mut Conn,
    key_id: &str,
) -> QueryResult<Vec<(OrgId, String, Sealed)>> {
    type Row = (OrgId, String, Vec<u8>, Vec<u8>, Vec<String>);
    let rows: Vec<Row> = secrets::table
        .filter(secrets::key_id.eq(key_id))
        .select((
            secrets::org_id,
            secrets::name,
            secrets::nonce,
            secrets::ciphertext,
            secrets::hosts,
        ))
        .for_update()
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(org, name, nonce, ciphertext, hosts)| {
            let sealed = Sealed {
                nonce,
                ciphertext,
                key_id: key_id.to_owned(),
                hosts,
            };
            (org, name, sealed)
        })
        .collect())
}

/// Replaces a secret's sealed value and key, keeping who set it and when.
pub async fn reseal(conn: &mut Conn, org: &OrgId, name: &str, sealed: &Sealed) -> QueryResult<()> {
    diesel::update(
        secrets::table
            .filter(secrets::org_id.eq(org.sql()))
            .filter(secrets::name.eq(name)),
    )
    .set((
        secrets::nonce.eq(&sealed.nonce),
        secrets::ciphertext.eq(&sealed.ciphertext),
        secrets::key_id.eq(&sealed.key_id),
    ))
    .execute(conn)
    .await
    .map(drop)
    .map_err(Into::into)
}
