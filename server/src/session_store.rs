//! tower-sessions records kept in PostgreSQL by the domain's session repository
//! (`switchyard::repo::session`: ids stored as digests, never written back once deleted).

use async_trait::async_trait;
use switchyard::db::Pool;
use switchyard::repo::session;
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
        session::delete_expired(&mut conn).await.map_err(backend)
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
        while !session::create(&mut conn, &record.id.to_string(), &data, record.expiry_date)
            .await
            .map_err(backend)?
        {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let mut conn = self.pool.get().await.map_err(backend)?;
        // A session ended meanwhile stays ended: nothing is written, and its cookie leads
        // nowhere.
        session::save(
            &mut conn,
            &record.id.to_string(),
            &encode(record)?,
            record.expiry_date,
        )
        .await
        .map_err(backend)
        .map(drop)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let mut conn = self.pool.get().await.map_err(backend)?;
        let row = session::load(&mut conn, &id.to_string())
            .await
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
        session::delete(&mut conn, &id.to_string())
            .await
            .map_err(backend)
    }
}
