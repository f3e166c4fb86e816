//! Configuration from the environment (the README's table lists every variable).

use anyhow::Context;

#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    /// Connections for the pages, the REST API and MCP.
    pub pool_size: usize,
    /// Connections for the engine's workers and housekeeping, apart from the pages' so that
    /// neither starves the other.
    pub engine_pool_size: usize,
    /// How long one statement may run: on the pages', REST's and MCP's connections, and on
    /// the engine's and the background tasks'.
    pub request_limits: switchyard::db::Timeouts,
    pub engine_limits: switchyard::db::Timeouts,
    /// How the app is served: HTTPS, its origin, session limits, load limits.
    pub web: crate::security::Web,
    /// A connection that has not sent its request's headers in this time is closed.
    pub header_timeout: std::time::Duration,
    /// How long requests in hand may take to finish once the server is asked to stop.
    pub shutdown_grace: std::time::Duration,

    pub seed_demo: bool,
    /// The engine's workers in this process.
    pub workers: crate::workers::WorkerSettings,
    /// Transactions recording events sent through the API at the same time (group commit).
    pub event_committers: usize,
    pub housekeeping: crate::housekeeping::HousekeepingSettings,
    /// The key organizations' secrets are sealed with (`SWITCHYARD_SECRETS_KEY`); without
    /// it the server keeps no secrets.
    pub secrets_key: Option<switchyard::secrets::SecretsKey>,
    /// The instance's email (`SWITCHYARD_SMTP_URL`, `SWITCHYARD_MAIL_FROM`); off when unset.
    pub mail: switchyard::mail::Mail,
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
        let secrets_key = match std::env::var(switchyard::secrets::key::ENV) {
            Ok(text) if !text.trim().is_empty() => {
                Some(switchyard::secrets::SecretsKey::parse(&text).map_err(anyhow::Error::msg)?)
            }
            _ => None,
        };
        let defaults = crate::workers::WorkerSettings::default();
        let workers = crate::workers::WorkerSettings {
            count: number("SWITCHYARD_WORKERS", defaults.count as u64)? as usize,
            batch: (number("SWITCHYARD_WORKER_BATCH", defaults.batch as u64)? as usize).max(1),
            lease: time::Duration::milliseconds(number(
                "SWITCHYARD_LEASE_MS",
                defaults.lease.whole_milliseconds() as u64,
            )? as i64),
            poll: std::time::Duration::from_millis(number(
                "SWITCHYARD_POLL_MS",
                defaults.poll.as_millis() as u64,
            )?),
            step_pause: std::time::Duration::from_millis(number("SWITCHYARD_STEP_PAUSE_MS", 0)?),
            caller: caller_from_env(secrets_key.clone())?,
        };
        if workers.lease < time::Duration::milliseconds(100) {
            anyhow::bail!("SWITCHYARD_LEASE_MS must be at least 100");
        }
        let housekeeping = crate::housekeeping::HousekeepingSettings {
            fold_every: std::time::Duration::from_millis(
                number("SWITCHYARD_FOLD_MS", 2_000)?.max(100),
            ),
            retention: time::Duration::days(number("SWITCHYARD_RETENTION_DAYS", 90)?.max(1) as i64),
        };
        let web = web_from_env()?;
        let mail = switchyard::mail::Mail::from_env().map_err(anyhow::Error::msg)?;
        if mail.is_on() && web.origin.is_none() {
            anyhow::bail!(
                "{} needs SWITCHYARD_PUBLIC_URL: links in emails must point at the address people reach Switchyard at, never at one a request names",
                switchyard::mail::URL_ENV
            );
        }
        let statement = |name, default: switchyard::db::Timeouts| -> anyhow::Result<_> {
            let ms = number(name, default.statement.as_millis() as u64)?.max(100);
            Ok(switchyard::db::Timeouts {
                statement: std::time::Duration::from_millis(ms),
            })
        };
        Ok(Config {
            request_limits: statement(
                "SWITCHYARD_STATEMENT_TIMEOUT_MS",
                switchyard::db::Timeouts::REQUESTS,
            )?,
            engine_limits: statement(
                "SWITCHYARD_ENGINE_STATEMENT_TIMEOUT_MS",
                switchyard::db::Timeouts::ENGINE,
            )?,
            database_url,
            pool_size,
            engine_pool_size: number("SWITCHYARD_ENGINE_POOL_SIZE", workers.count as u64 + 2)?
                .max(2) as usize,
            web,
            header_timeout: std::time::Duration::from_secs(
                number("SWITCHYARD_HEADER_TIMEOUT_SECS", 10)?.max(1),
            ),
            shutdown_grace: std::time::Duration::from_secs(number("SWITCHYARD_SHUTDOWN_SECS", 30)?),
            seed_demo: flag("SWITCHYARD_SEED_DEMO"),
            workers,
            event_committers: (number("SWITCHYARD_EVENT_COMMITTERS", 4)? as usize).max(1),
            housekeeping,
            secrets_key,
            mail,
        })
    }
}

/// How HTTP steps call out: `SWITCHYARD_EGRESS_ALLOW` (hosts and ranges of the operator's own
/// network a step may reach), `SWITCHYARD_HTTP_PER_ORG` and `SWITCHYARD_HTTP_PER_HOST` (calls
/// in flight at once), and the secrets key.
fn caller_from_env(
    key: Option<switchyard::secrets::SecretsKey>,
) -> anyhow::Result<switchyard::engine::call::Caller> {
    let allow = std::env::var("SWITCHYARD_EGRESS_ALLOW").unwrap_or_default();
    let allowed = switchyard::egress::Allowed::parse(&allow)
        .map_err(|e| anyhow::anyhow!("SWITCHYARD_EGRESS_ALLOW: {e}"))?;
    Ok(switchyard::engine::call::Caller {
        guard: switchyard::egress::Guard::new(allowed).context("the HTTP client")?,
        key,
        inflight: switchyard::egress::Inflight::new(
            number("SWITCHYARD_HTTP_PER_ORG", 8)? as usize,
            number("SWITCHYARD_HTTP_PER_HOST", 4)? as usize,
        ),
    })
}

/// The origin of `SWITCHYARD_PUBLIC_URL` (`https://switchyard.example`), if it is set.
pub fn public_origin() -> anyhow::Result<Option<String>> {
    match std::env::var("SWITCHYARD_PUBLIC_URL") {
        Ok(text) if !text.trim().is_empty() => {
            let url = url::Url::parse(text.trim())
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                .with_context(|| {
                    format!("SWITCHYARD_PUBLIC_URL must be like https://switchyard.example, not `{text}`")
                })?;
            Ok(Some(url.origin().ascii_serialization()))
        }
        _ => Ok(None),
    }
}

/// Whether the app is served on plain HTTP to this machine only (`LEPTOS_SITE_ADDR` on a
/// loopback address, no public URL): the one case where the session cookie is not `Secure`
/// unless `SWITCHYARD_SECURE_COOKIES` says otherwise.
fn web_from_env() -> anyhow::Result<crate::security::Web> {
    let defaults = crate::security::Web::default();
    let origin = public_origin()?;
    let loopback = std::env::var("LEPTOS_SITE_ADDR")
        .unwrap_or_else(|_| "127.0.0.1:3000".to_owned())
        .parse::<std::net::SocketAddr>()
        .is_ok_and(|a| a.ip().is_loopback());
    let https = match std::env::var("SWITCHYARD_SECURE_COOKIES") {
        Ok(v) if matches!(v.as_str(), "1" | "true" | "yes") => true,
        Ok(v) if matches!(v.as_str(), "0" | "false" | "no") => false,
        Ok(v) => anyhow::bail!("SWITCHYARD_SECURE_COOKIES must be true or false, not `{v}`"),
        Err(_) => match &origin {
            Some(origin) => origin.starts_with("https://"),
            None => !loopback,
        },
    };
    let minutes = |m: u64| time::Duration::minutes(m as i64);
    Ok(crate::security::Web {
        https,
        origin,
        sessions: switchyard::session::Policy {
            idle: minutes(number("SWITCHYARD_SESSION_IDLE_MINUTES", 30)?.max(1)),
            absolute: minutes(number("SWITCHYARD_SESSION_MAX_HOURS", 12)?.max(1) * 60),
        },
        max_concurrent: number("SWITCHYARD_MAX_CONCURRENT", defaults.max_concurrent as u64)?.max(1)
            as usize,
        busy_wait: defaults.busy_wait,
        trust_proxy: flag("SWITCHYARD_TRUST_PROXY"),
        workers: crate::workers::Liveness::default(),
        metrics_token: std::env::var("SWITCHYARD_METRICS_TOKEN")
            .ok()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty()),
        engine_pool: None,
        demo_crm: false,
        request_timeout: std::time::Duration::from_secs(
            number("SWITCHYARD_REQUEST_TIMEOUT_SECS", 30)?.max(1),
        ),
        bodies: crate::bodies::BodyLimits {
            timeout: std::time::Duration::from_secs(
                number(
                    "SWITCHYARD_BODY_TIMEOUT_SECS",
                    defaults.bodies.timeout.as_secs(),
                )?
                .max(1),
            ),
            min_rate: number(
                "SWITCHYARD_BODY_MIN_BYTES_PER_SEC",
                defaults.bodies.min_rate,
            )?,
            per_client: number(
                "SWITCHYARD_SLOW_BODIES_PER_CLIENT",
                defaults.bodies.per_client as u64,
            )?
            .max(1) as usize,
        },
    })
}
