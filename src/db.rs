//! Connections and migrations.

use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub type Conn = AsyncPgConnection;
pub type Pool = deadpool::Pool<AsyncPgConnection>;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// How long a request waits for a free connection before it fails instead of hanging.
pub const CHECKOUT_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// A pool of at most `size` connections to `url`. A connection handed back is reused without
/// a test query (a broken one is still dropped): the query cost a round trip per checkout.
pub fn pool(url: &str, size: usize) -> anyhow::Result<Pool> {
    let mut config = ManagerConfig::default();
    config.recycling_method = RecyclingMethod::Fast;
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, config);
    Ok(Pool::builder(manager)
        .max_size(size)
        .runtime(::deadpool::Runtime::Tokio1)
        .wait_timeout(Some(CHECKOUT_WAIT))
        .build()?)
}

/// Applies every pending migration. Needs a multi-threaded Tokio runtime.
pub async fn migrate(url: &str) -> anyhow::Result<()> {
    use diesel_async::AsyncConnection;
    let conn = AsyncPgConnection::establish(url).await?;
    let mut harness = diesel_async::AsyncMigrationHarness::new(conn);
    harness
        .run_pending_migrations(MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?;
    Ok(())
}

/// A connection checked out of the pool.
pub type PooledConn = deadpool::Object<AsyncPgConnection>;

/// How many of this build's migrations the database has not applied (readiness asks).
pub async fn pending_migrations(conn: &mut Conn) -> diesel::QueryResult<i64> {
    use diesel::migration::MigrationSource;
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Applied {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        applied: i64,
    }
    let known = MigrationSource::<diesel::pg::Pg>::migrations(&MIGRATIONS)
        .map(|m| m.len() as i64)
        .unwrap_or(0);
    let Applied { applied } =
        diesel::sql_query("SELECT count(*) AS applied FROM __diesel_schema_migrations")
            .get_result(conn)
            .await?;
    Ok((known - applied).max(0))
}
