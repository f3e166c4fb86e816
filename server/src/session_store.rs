//! tower-sessions records kept in PostgreSQL through Diesel (the `sessions` table).

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;
use switchyard::db::Pool;
use switchyard::schema::sessions;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

#[derive(Clone)]
pub struct DieselStore {
    pool: Pool,
}

impl std::fmt::Debug for DieselStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DieselStore").finish_non_exhaustive()
    }
}

impl DieselStore {
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }

    /// Removes expired sessions; returns how many.
    pub async fn delete_expired(&self) -> session_store::Result<usize> {
        let mut conn = self.pool.get().await.map_err(backend)?;
        diesel::delete(sessions::table.filter(sessions::expires_at.lt(OffsetDateTime::now_utc())))
            .execute(&mut conn)
            .await
            .map_err(backend)
    }
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

fn encode(record: &Record) -> session_store::Result<serde_json::Value> {
    serde_json::to_value(&record.data).map_err(|e| session_store::Error::Encode(e.to_string()))
}

#[async_trait]
impl SessionStore for DieselStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let mut conn = self.pool.get().await.map_err(backend)?;
        let data = encode(record)?;
        // A fresh id until one is free: never overwrite another session.
        loop {
            let inserted = diesel::insert_into(sessions::table)
                .values((
                    sessions::id.eq(record.id.to_string()),
                    sessions::data.eq(&data),
                    sessions::expires_at.eq(record.expiry_date),
                ))
                .on_conflict_do_nothing()
                .execute(&mut conn)
                .await
                .map_err(backend)?;
            if inserted == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let mut conn = self.pool.get().await.map_err(backend)?;
        diesel::insert_into(sessions::table)
            .values((
                sessions::id.eq(record.id.to_string()),
                sessions::data.eq(encode(record)?),
                sessions::expires_at.eq(record.expiry_date),
            ))
            .on_conflict(sessions::id)
            .do_update()
            .set((
                sessions::data.eq(excluded(sessions::data)),
                sessions::expires_at.eq(excluded(sessions::expires_at)),
            ))
            .execute(&mut conn)
            .await
            .map_err(backend)
            .map(drop)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let mut conn = self.pool.get().await.map_err(backend)?;
        let row: Option<(serde_json::Value, OffsetDateTime)> = sessions::table
            .filter(sessions::id.eq(id.to_string()))
            .filter(sessions::expires_at.gt(OffsetDateTime::now_utc()))
            .select((sessions::data, sessions::expires_at))
            .first(&mut conn)
            .await
            .optional()
            .map_err(backend)?;
        row.map(|(data, expiry_date)| {
            let data = serde_json::from_value(data)
                .map_err(|e| session_store::Error::Decode(e.to_string()))?;
            Ok(Record {
                id: *id,
                data,
                expiry_date,
            })
        })
        .transpose()
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let mut conn = self.pool.get().await.map_err(backend)?;
        diesel::delete(sessions::table.filter(sessions::id.eq(id.to_string())))
            .execute(&mut conn)
            .await
            .map_err(backend)
            .map(drop)
    }
}
