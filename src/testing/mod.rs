//! Test support: a fresh database per test, cloned from a migrated template, and fixtures.
//! Used by this crate's and the server's tests; needs `DATABASE_URL` (scripts/test.sh sets it).

use crate::db::{self, Pool};
use crate::entity::Member;
use crate::role::Role;
use crate::setup::{self, NewOrg};
use diesel::migration::MigrationSource;
use diesel::sql_types::Bool;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use std::hash::{Hash, Hasher};

/// A database of its own for one test.
pub struct TestDb {
    pub url: String,
    pub pool: Pool,
    pub name: String,
}

/// Serialises template creation and cloning across test processes.
const LOCK_KEY: i64 = 7_420_271;

fn base_url() -> String {
    std::env::var("DATABASE_URL")
        .expect("DATABASE_URL must point at a PostgreSQL server; run tests through scripts/test.sh")
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (head, query) = url
        .split_once('?')
        .map_or((url, None), |(h, q)| (h, Some(q)));
    let scheme_end = head.find("://").map_or(0, |i| i + 3);
    let base = match head[scheme_end..].find('/') {
        Some(i) => &head[..scheme_end + i],
        None => head,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

fn template_name() -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    let migrations = MigrationSource::<diesel::pg::Pg>::migrations(&db::MIGRATIONS)
        .expect("embedded migrations");
    for migration in migrations {
        migration.name().to_string().hash(&mut hasher);
    }
    include_str!("../../migrations/2026-11-27-000001_base/up.sql").hash(&mut hasher);
    include_str!("../../migrations/2026-11-27-000002_api_keys/up.sql").hash(&mut hasher);
    include_str!("../../migrations/2026-11-27-000003_runs/up.sql").hash(&mut hasher);
    include_str!("../../migrations/2026-11-27-000004_engine/up.sql").hash(&mut hasher);
    include_str!("../../migrations/2026-11-27-000005_runs_running/up.sql").hash(&mut hasher);
    include_str!("../../migrations/2026-11-27-000006_limits/up.sql").hash(&mut hasher);
    include_str!("../../migrations/2026-11-27-000007_run_stats/up.sql").hash(&mut hasher);
    include_str!("../../migrations/2026-11-27-000008_alerts_versions/up.sql").hash(&mut hasher);
    include_str!("../../migrations/2026-11-27-000009_runs_by_org/up.sql").hash(&mut hasher);
    format!("sy_tpl_{:x}", hasher.finish())
}

async fn exists(conn: &mut AsyncPgConnection, name: &str) -> bool {
    diesel::select(
        diesel::dsl::sql::<Bool>("EXISTS (SELECT 1 FROM pg_database WHERE datname = ")
            .bind::<diesel::sql_types::Text, _>(name)
            .sql(")"),
    )
    .get_result(conn)
    .await
    .expect("query pg_database")
}

impl TestDb {
    /// Creates (once) the migrated template, then a fresh database cloned from it.
    /// Needs `#[tokio::test(flavor = "multi_thread")]`: migrations block in place.
    pub async fn new() -> Self {
        let base = base_url();
        let template = template_name();
        let name = format!("sy_test_{}", crate::id::random_base62(10).to_lowercase());
        let mut admin = AsyncPgConnection::establish(&base)
            .await
            .expect("connect to DATABASE_URL");
        diesel::sql_query(format!("SELECT pg_advisory_lock({LOCK_KEY})"))
            .execute(&mut admin)
            .await
            .expect("lock");
        if !exists(&mut admin, &template).await {
            let building = format!("{template}_building");
            diesel::sql_query(format!("DROP DATABASE IF EXISTS {building}"))
                .execute(&mut admin)
                .await
                .expect("drop");
            diesel::sql_query(format!("CREATE DATABASE {building}"))
                .execute(&mut admin)
                .await
                .expect("create template");
            db::migrate(&with_database(&base, &building))
                .await
                .expect("migrate template");
            diesel::sql_query(format!("ALTER DATABASE {building} RENAME TO {template}"))
                .execute(&mut admin)
                .await
                .expect("rename");
        }
        diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .execute(&mut admin)
            .await
            .expect("clone template");
        diesel::sql_query(format!("SELECT pg_advisory_unlock({LOCK_KEY})"))
            .execute(&mut admin)
            .await
            .expect("unlock");
        let url = with_database(&base, &name);
        let pool = db::pool(&url, 4).expect("pool");
        TestDb { url, pool, name }
    }

    pub async fn conn(&self) -> crate::db::PooledConn {
        self.pool.get().await.expect("connection")
    }
}

/// A member of the given role in the organization `slug` (created with its Admin if new).
pub async fn member(conn: &mut AsyncPgConnection, slug: &str, role: Role) -> Member {
    if crate::repo::org::org_by_slug(conn, slug)
        .await
        .expect("org")
        .is_none()
    {
        let new = NewOrg {
            slug: slug.into(),
            name: format!("Org {slug}"),
            admin_email: format!("admin@{slug}.test"),
            admin_name: "Admin".into(),
            admin_password: PASSWORD.into(),
        };
        setup::create_org(conn, &new).await.expect("create org");
    }
    let org = crate::repo::org::org_by_slug(conn, slug)
        .await
        .expect("org")
        .expect("exists");
    let email = format!("{}@{slug}.test", role.as_str().to_lowercase());
    setup::add_user(conn, &org, &email, role.as_str(), PASSWORD, role)
        .await
        .expect("add user")
}

/// The password of every fixture user.
pub const PASSWORD: &str = "correct horse battery";

pub mod smtp;
