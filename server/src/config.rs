//! Configuration from the environment (the README's table lists every variable).

use anyhow::Context;

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    pub pool_size: usize,
    /// Marks the session cookie Secure; set when the app is served over https.
    pub secure_cookies: bool,
    pub seed_demo: bool,
    /// Engine workers in this process.
    pub workers: usize,
}

fn flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| matches!(v.as_str(), "1" | "true" | "yes"))
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        let database_url = std::env::var("DATABASE_URL")
            .context("DATABASE_URL is not set: point it at PostgreSQL, or start the app with scripts/run.sh, which provides one")?;
        let pool_size = match std::env::var("SWITCHYARD_DB_POOL_SIZE") {
            Ok(v) => v
                .parse()
                .context("SWITCHYARD_DB_POOL_SIZE must be a whole number")?,
            Err(_) => 10,
        };
        let workers = match std::env::var("SWITCHYARD_WORKERS") {
            Ok(v) => v
                .parse()
                .context("SWITCHYARD_WORKERS must be a whole number")?,
            Err(_) => 2,
        };
        let public_url = std::env::var("SWITCHYARD_PUBLIC_URL").unwrap_or_default();
        Ok(Config {
            database_url,
            pool_size,
            secure_cookies: public_url.starts_with("https://") || flag("SWITCHYARD_SECURE_COOKIES"),
            seed_demo: flag("SWITCHYARD_SEED_DEMO"),
            workers,
        })
    }
}
