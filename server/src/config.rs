//! Configuration from the environment (the README's table lists every variable).

use anyhow::Context;

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    pub pool_size: usize,
    /// Marks the session cookie Secure; set when the app is served over https.
    pub secure_cookies: bool,
    pub seed_demo: bool,
    /// The engine's workers in this process.
    pub workers: crate::workers::Settings,
    pub housekeeping: crate::housekeeping::Settings,
}

fn flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| matches!(v.as_str(), "1" | "true" | "yes"))
}

/// A whole number from the environment, or `default` when the variable is not set.
fn number(name: &str, default: u64) -> anyhow::Result<u64> {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .with_context(|| format!("{name} must be a whole number, not `{v}`")),
        Err(_) => Ok(default),
    }
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
        let defaults = crate::workers::Settings::default();
        let workers = crate::workers::Settings {
            count: number("SWITCHYARD_WORKERS", defaults.count as u64)? as usize,
            lease: time::Duration::milliseconds(number(
                "SWITCHYARD_LEASE_MS",
                defaults.lease.whole_milliseconds() as u64,
            )? as i64),
            poll: std::time::Duration::from_millis(number(
                "SWITCHYARD_POLL_MS",
                defaults.poll.as_millis() as u64,
            )?),
            step_pause: std::time::Duration::from_millis(number("SWITCHYARD_STEP_PAUSE_MS", 0)?),
        };
        if workers.lease < time::Duration::milliseconds(100) {
            anyhow::bail!("SWITCHYARD_LEASE_MS must be at least 100");
        }
        let housekeeping = crate::housekeeping::Settings {
            fold_every: std::time::Duration::from_millis(
                number("SWITCHYARD_FOLD_MS", 2_000)?.max(100),
            ),
            retention: time::Duration::days(number("SWITCHYARD_RETENTION_DAYS", 90)?.max(1) as i64),
        };
        let public_url = std::env::var("SWITCHYARD_PUBLIC_URL").unwrap_or_default();
        Ok(Config {
            database_url,
            pool_size,
            secure_cookies: public_url.starts_with("https://") || flag("SWITCHYARD_SECURE_COOKIES"),
            seed_demo: flag("SWITCHYARD_SEED_DEMO"),
            workers,
            housekeeping,
        })
    }
}
