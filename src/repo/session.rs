//! Signed-in sessions as the web layer's session store keeps them. A session's id is the
//! cookie's secret: only its digest is stored, so the table (and a backup of it) holds no
//! session anyone could use. A session is written back only while it exists: one that was
//! deleted (signed out, ended from another browser, ended by a password change) stays ended
//! even when a request that loaded it before finishes after.

use crate::db::Conn;
use crate::id::digest;
use crate::schema::sessions;
use crate::sql_text::Sql;
use crate::store_error::QueryResult;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use time::OffsetDateTime;

/// What the table keeps of a session id: its digest.
pub fn stored_id(session_id: &str) -> String {
    digest(session_id)
}

/// Records a new session; `false` when its id is taken (the caller picks another).
pub async fn create(
    conn: &mut Conn,
    session_id: &str,
    data: &serde_json::Value,
    expires_at: OffsetDateTime,
) -> QueryResult<bool> {
    let inserted = diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq((stored_id(session_id)).sql()),
            sessions::data.eq(data),
            sessions::expires_at.eq(expires_at),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(inserted == 1)
}

/// Writes a session's data and expiry, if the session still exists and has not expired;
/// returns whether it did. Never inserts: a session deleted meanwhile is not brought back.
pub async fn save(
    conn: &mut Conn,
    session_id: &str,
    data: &serde_json::Value,
    expires_at: OffsetDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        sessions::table
            .filter(sessions::id.eq((stored_id(session_id)).sql()))
            .filter(sessions::expires_at.gt(OffsetDateTime::now_utc())),
    )
    .set((sessions::data.eq(data), sessions::expires_at.eq(expires_at)))
    .execute(conn)
    .await?;
    Ok(updated == 1)
}

/// A session's data and expiry, if it exists and has not expired.
pub async fn load(
    conn: &mut Conn,
    session_id: &str,
) -> QueryResult<Option<(serde_json::Value, OffsetDateTime)>> {
    sessions::table
        .filter(sessions::id.eq((stored_id(session_id)).sql()))
        .filter(sessions::expires_at.gt(OffsetDateTime::now_utc()))
        .select((sessions::data, sessions::expires_at))
        .first(conn)
        .await
        .optional()
        .map_err(Into::into)
}

/// Ends a session.
pub async fn delete(conn: &mut Conn, session_id: &str) -> QueryResult<()> {
    diesel::delete(sessions::table.filter(sessions::id.eq((stored_id(session_id)).sql())))
        .execute(conn)
        .await
        .map(drop)
        .map_err(Into::into)
}

/// Removes expired sessions; returns how many.
pub async fn delete_expired(conn: &mut Conn) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::expires_at.lt(OffsetDateTime::now_utc())))
        .execute(conn)
        .await
        .map_err(Into::into)
}
