//! Connections and migrations, and the time limits every connection works under: a statement
//! runs at most its pool's `Timeouts::statement`, and a request that is dropped before it is
//! answered (its time ran out, its client went away) cancels the queries of the connections
//! it holds, which are closed instead of going back to the pool (`Abandonment`).

use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

pub type Conn = AsyncPgConnection;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// How long a request waits for a free connection before it fails instead of hanging.
pub const CHECKOUT_WAIT: Duration = Duration::from_secs(10);

/// How long one statement may run on a pool's connections, set on each connection as it is
/// made (PostgreSQL's `statement_timeout`): a statement that runs longer fails, and its
/// connection goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    pub statement: Duration,
}

impl Timeouts {
    /// The pages', the REST API's and MCP's connections: a few seconds (the slowest page
    /// measured takes 60 ms at p99).
    pub const REQUESTS: Timeouts = Timeouts {
        statement: Duration::from_secs(5),
    };
    /// The engine's workers and the background tasks: their batches and prunes are larger.
    pub const ENGINE: Timeouts = Timeouts {
        statement: Duration::from_secs(60),
    };
    /// Set-up at the command line (seeding the demo's history, creating organizations).
    pub const COMMAND_LINE: Timeouts = Timeouts {
        statement: Duration::from_secs(600),
    };
}

/// A pool of connections, each with its `Timeouts`. `get` hands out connections that the
/// request asking for them gives up when it is dropped (see `Abandonment`).
#[derive(Clone)]
pub struct Pool {
    inner: deadpool::Pool<AsyncPgConnection>,
}

/// Why no connection could be had.
pub type PoolError = deadpool::PoolError;

/// A pool of at most `size` connections to `url` with the requests' limits.
pub fn pool(url: &str, size: usize) -> anyhow::Result<Pool> {
    pool_with(url, size, Timeouts::REQUESTS)
}

/// A pool of at most `size` connections to `url`, each statement limited as `limits` says. A
/// connection handed back is reused without a test query (a broken one is still dropped): the
/// query cost a round trip per checkout.
pub fn pool_with(url: &str, size: usize, limits: Timeouts) -> anyhow::Result<Pool> {
    let mut config = ManagerConfig::default();
    config.recycling_method = RecyclingMethod::Fast;
    let statement_ms = limits.statement.as_millis();
    config.custom_setup = Box::new(move |url| {
        let url = url.to_owned();
        Box::pin(async move {
            use diesel_async::{AsyncConnection, SimpleAsyncConnection};
            let mut conn = AsyncPgConnection::establish(&url).await?;
            conn.batch_execute(&format!("SET statement_timeout = {statement_ms}"))
                .await
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(conn)
        })
    });
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, config);
    let inner = deadpool::Pool::builder(manager)
        .max_size(size)
        .runtime(::deadpool::Runtime::Tokio1)
        .wait_timeout(Some(CHECKOUT_WAIT))
        .build()?;
    Ok(Pool { inner })
}

impl Pool {
    /// A connection for the request in hand: given up with it if the caller runs inside
    /// `until_dropped`.
    pub async fn get(&self) -> Result<PooledConn, PoolError> {
        self.get_within(None).await
    }

    /// A connection given up with `abandonment`, or with the request the caller runs in (work
    /// that runs apart from its request's task, such as a page's resources, names its
    /// request this way).
    pub async fn get_within(
        &self,
        abandonment: Option<&Abandonment>,
    ) -> Result<PooledConn, PoolError> {
        let abandonment = abandonment
            .cloned()
            .or_else(|| REQUEST.try_with(Clone::clone).ok());
        let object = self.inner.get().await?;
        let held = abandonment.map(|a| {
            let id = a.hold(object.cancel_token());
            (a, id)
        });
        Ok(PooledConn {
            object: Some(object),
            held,
        })
    }

    /// How many connections there are, in use and idle, and how many wait for one.
    pub fn status(&self) -> ::deadpool::Status {
        self.inner.status()
    }
}

/// A connection checked out of the pool. It goes back when dropped, unless its request was
/// abandoned meanwhile: then its query is cancelled and the connection closed.
pub struct PooledConn {
    object: Option<deadpool::Object<AsyncPgConnection>>,
    held: Option<(Abandonment, u64)>,
}

impl std::ops::Deref for PooledConn {
    type Target = AsyncPgConnection;
    fn deref(&self) -> &AsyncPgConnection {
        self.object.as_ref().expect("a connection until dropped")
    }
}

impl std::ops::DerefMut for PooledConn {
    fn deref_mut(&mut self) -> &mut AsyncPgConnection {
        self.object.as_mut().expect("a connection until dropped")
    }
}

impl Drop for PooledConn {
    fn drop(&mut self) {
        let (Some(object), Some((abandonment, id))) = (self.object.take(), self.held.take()) else {
            return;
        };
        // Decided under the request's lock, so that `Abandonment::abandon` either sees this
        // connection still held (and cancels its query) or never sees it again.
        let mut held = abandonment.lock();
        held.live.retain(|(live, _)| *live != id);
        if held.abandoned {
            let conn = deadpool::Object::take(object);
            drop(held);
            close_cancelled(conn);
        }
    }
}

/// Cancels whatever `conn` runs, then closes it.
fn close_cancelled(conn: AsyncPgConnection) {
    let token = conn.cancel_token();
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(async move {
            let _ = token.cancel_query(tokio_postgres::NoTls).await;
            drop(conn);
        });
    }
}

tokio::task_local! {
    static REQUEST: Abandonment;
}

/// One request's connections: if the request is dropped before it is answered, `abandon`
/// cancels the statements they run, and each is closed when its holder lets go of it.
#[derive(Clone, Default)]
pub struct Abandonment(Arc<Mutex<Held>>);

#[derive(Default)]
struct Held {
    abandoned: bool,
    next: u64,
    live: Vec<(u64, tokio_postgres::CancelToken)>,
}

impl Abandonment {
    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn hold(&self, token: tokio_postgres::CancelToken) -> u64 {
        let mut held = self.lock();
        held.next += 1;
        let id = held.next;
        held.live.push((id, token));
        id
    }

    /// The request will not be answered: cancel what its connections run now.
    pub fn abandon(&self) {
        let tokens: Vec<_> = {
            let mut held = self.lock();
            held.abandoned = true;
            held.live.iter().map(|(_, token)| token.clone()).collect()
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        for token in tokens {
            runtime.spawn(async move {
                let _ = token.cancel_query(tokio_postgres::NoTls).await;
            });
        }
    }
}

/// Runs `work` (a request) so that the connections it takes with `Pool::get` are given up
/// with it: dropped before it ends, their statements are cancelled.
pub fn until_dropped<F: Future>(abandonment: Abandonment, work: F) -> UntilDropped<F> {
    UntilDropped {
        work: Some(Box::pin(REQUEST.scope(abandonment.clone(), work))),
        abandonment,
    }
}

/// The future of `until_dropped`.
pub struct UntilDropped<F: Future> {
    work: Option<Pin<Box<tokio::task::futures::TaskLocalFuture<Abandonment, F>>>>,
    abandonment: Abandonment,
}

impl<F: Future> Future for UntilDropped<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let Some(work) = self.work.as_mut() else {
            panic!("UntilDropped polled after it was ready");
        };
        let output = std::task::ready!(work.as_mut().poll(cx));
        self.work = None;
        Poll::Ready(output)
    }
}

impl<F: Future> Drop for UntilDropped<F> {
    fn drop(&mut self) {
        if self.work.is_some() {
            // First the flag, then the work's own drop: its connections see they are given up.
            self.abandonment.abandon();
            self.work = None;
        }
    }
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

/// How many tables the database's public schema has (a restore wants none).
pub async fn public_tables(conn: &mut Conn) -> diesel::QueryResult<i64> {
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Tables {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        tables: i64,
    }
    let Tables { tables } = diesel::sql_query(
        "SELECT count(*) AS tables FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .get_result(conn)
    .await?;
    Ok(tables)
}

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
