//! The command line: `serve` (the default), `work`, `migrate`, `create-org`, `seed-demo`, `help`.

use crate::config::Config;
pub use crate::secrets_cli::rotate_secrets;
pub use crate::setup_cli::{create_api_key, create_org, members};
use anyhow::{Context, bail};
use app::state::AppState;
use switchyard::hooks::Hooks;
use switchyard::seed;

const HELP: &str = "\
switchyard: event-triggered workflows for operations teams

USAGE
  switchyard [serve]        migrate the database and serve the app (and run workflows,
                            unless SWITCHYARD_WORKERS is 0)
  switchyard work           migrate the database and run workflows only: the engine's
                            workers and the statistics' upkeep, no web server
  switchyard migrate        apply pending database migrations and exit
  switchyard seed-demo      create the demo organization `acme` if it is missing
  switchyard create-org --slug SLUG --name NAME --admin-email EMAIL
                        [--admin-name NAME] [--admin-password PASSWORD]
                            create an organization and its first Admin; the password
                            may also come from SWITCHYARD_ADMIN_PASSWORD
  switchyard create-api-key --org SLUG --name NAME [--scopes SCOPES] [--expires DATE]
                            create an API key for an organization and print it (once);
                            SCOPES is a comma-separated list of events:write (send
                            events, the default), read, write (everything an Editor
                            may do) and admin (sign-in records, invitations and keys'
                            events); DATE (YYYY-MM-DD, UTC) is the last day it works
  switchyard invite --org SLUG --email EMAIL [--role ROLE]
                            invite someone (ROLE: Admin, Editor (the default) or Viewer);
                            prints the one-time link where they join (setting a password,
                            or signing in if they have an account) and say yes
  switchyard set-role --org SLUG --email EMAIL --role ROLE
                            change a member's role (the last Admin keeps theirs)
  switchyard remove-member --org SLUG --email EMAIL
                            remove a member (the last Admin stays)
  switchyard backup FILE    write the whole database to FILE (pg_dump, custom format)
  switchyard restore FILE   restore FILE into the empty database at DATABASE_URL
  switchyard secrets new-key
                            print a new random key for SWITCHYARD_SECRETS_KEY
  switchyard secrets rotate re-seal the secrets sealed with SWITCHYARD_SECRETS_OLD_KEY
                            with SWITCHYARD_SECRETS_KEY
  switchyard openapi        print the REST API's OpenAPI 3.1 document (as /api/openapi.json)
  switchyard help           show this text

Configuration comes from the environment (the README's table explains each): DATABASE_URL,
LEPTOS_SITE_ADDR, LEPTOS_SITE_ROOT, SWITCHYARD_PUBLIC_URL, SWITCHYARD_SECURE_COOKIES,
SWITCHYARD_SESSION_IDLE_MINUTES, SWITCHYARD_SESSION_MAX_HOURS, SWITCHYARD_MAX_CONCURRENT,
SWITCHYARD_REQUEST_TIMEOUT_SECS, SWITCHYARD_HEADER_TIMEOUT_SECS, SWITCHYARD_BODY_TIMEOUT_SECS,
SWITCHYARD_BODY_MIN_BYTES_PER_SEC, SWITCHYARD_SLOW_BODIES_PER_CLIENT,
SWITCHYARD_STATEMENT_TIMEOUT_MS, SWITCHYARD_ENGINE_STATEMENT_TIMEOUT_MS, SWITCHYARD_TRUST_PROXY,
SWITCHYARD_DB_POOL_SIZE, SWITCHYARD_ENGINE_POOL_SIZE, SWITCHYARD_SEED_DEMO, SWITCHYARD_WORKERS,
SWITCHYARD_WORKER_BATCH, SWITCHYARD_EVENT_COMMITTERS, SWITCHYARD_LEASE_MS, SWITCHYARD_POLL_MS, SWITCHYARD_STEP_PAUSE_MS, SWITCHYARD_FOLD_MS,
SWITCHYARD_RETENTION_DAYS, SWITCHYARD_SECRETS_KEY, SWITCHYARD_EGRESS_ALLOW, SWITCHYARD_HTTP_PER_ORG,
SWITCHYARD_HTTP_PER_HOST, SWITCHYARD_SMTP_URL, SWITCHYARD_MAIL_FROM.";

pub async fn run(args: &[String]) -> anyhow::Result<()> {
    let (command, rest) = args
        .split_first()
        .map_or(("serve", &[][..]), |(c, r)| (c.as_str(), r));
    match command {
        "serve" => serve().await,
        "work" => work().await,
        "migrate" => {
            let config = Config::from_env()?;
            switchyard::db::migrate(&config.database_url).await?;
            println!("Migrations applied.");
            Ok(())
        }
        "create-api-key" => create_api_key(rest, &Config::from_env()?.database_url)
            .await
            .map(|key| println!("{key}")),
        "seed-demo" => {
            let config = Config::from_env()?;
            switchyard::db::migrate(&config.database_url).await?;
            seed_demo(&config, leptos_options()?.site_addr).await
        }
        "create-org" => create_org(rest, &Config::from_env()?.database_url)
            .await
            .map(|lines| println!("{lines}")),
        "invite" | "set-role" | "remove-member" => {
            members(command, rest, &Config::from_env()?.database_url)
                .await
                .map(|line| println!("{line}"))
        }
        "backup" | "restore" => {
            let [file] = rest else {
                bail!("`switchyard {command}` takes one argument, the backup file");
            };
            let url = Config::from_env()?.database_url;
            let file = std::path::Path::new(file);
            let said = if command == "backup" {
                crate::backup::backup(&url, file).await?
            } else {
                crate::backup::restore(&url, file).await?
            };
            println!("{said}");
            Ok(())
        }
        "secrets" => match rest {
            [sub] if sub == "new-key" => {
                println!("{}", switchyard::secrets::SecretsKey::new_text());
                Ok(())
            }
            [sub] if sub == "rotate" => {
                let config = Config::from_env()?;
                let old = std::env::var("SWITCHYARD_SECRETS_OLD_KEY").context(
                    "set SWITCHYARD_SECRETS_OLD_KEY to the key the secrets are sealed with now",
                )?;
                let said =
                    rotate_secrets(&config.database_url, &old, config.secrets_key.as_ref()).await?;
                println!("{said}");
                Ok(())
            }
            _ => bail!("`switchyard secrets` takes `new-key`; see `switchyard help`"),
        },
        "openapi" => {
            let doc = crate::rest::document();
            println!("{}", serde_json::to_string_pretty(&doc)?);
            Ok(())
        }
        "help" | "--help" | "-h" => {
            println!("{HELP}");
            Ok(())
        }
        other => bail!("unknown command `{other}`; see `switchyard help`"),
    }
}

/// Where the demo's CRM is reached, for a server listening on `addr`.
fn own_address(addr: std::net::SocketAddr) -> std::net::SocketAddr {
    match addr.ip() {
        ip if ip.is_unspecified() => {
            std::net::SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), addr.port())
        }
        _ => addr,
    }
}

async fn seed_demo(config: &Config, addr: std::net::SocketAddr) -> anyhow::Result<()> {
    let pool = switchyard::db::pool_with(
        &config.database_url,
        2,
        switchyard::db::Timeouts::COMMAND_LINE,
    )?;
    let mut conn = pool.get().await?;
    let crm = format!("http://{}{}", own_address(addr), crate::demo_crm::PATH);
    if seed::seed_demo(&mut conn, &crm).await? {
        println!("Created the demo organization `{}`.", seed::DEMO_SLUG);
    }
    println!(
        "Demo sign-in: {} / {}",
        seed::DEMO_ADMIN_EMAIL,
        seed::DEMO_PASSWORD
    );
    Ok(())
}

async fn serve() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    switchyard::db::migrate(&config.database_url).await?;
    let options = leptos_options()?;
    let mut config = config;
    if config.seed_demo {
        seed_demo(&config, options.site_addr).await?;
        // The demo's HTTP step calls the CRM this server serves itself.
        let caller = &mut config.workers.caller;
        caller.guard = caller.guard.with_own(own_address(options.site_addr))?;
    }
    let pool = switchyard::db::pool_with(
        &config.database_url,
        config.pool_size,
        config.request_limits,
    )?;
    let engine_pool = switchyard::db::pool_with(
        &config.database_url,
        config.engine_pool_size,
        config.engine_limits,
    )?;
    switchyard::auth::warm_up();
    let addr = options.site_addr;
    housekeeping(&engine_pool, &config);
    let state = AppState {
        public_url: config.web.origin.clone(),
        events: switchyard::ingest::GroupCommit::start(
            pool.clone(),
            config.event_committers,
            EVENTS_A_COMMIT,
        ),
        pool,
        hooks: Hooks::with_defaults(),
        clock: switchyard::clock::Clock::default(),
        secrets_key: config.secrets_key.clone(),
        mail: config.mail.clone(),
    };
    let liveness = crate::workers::Liveness::default();
    let web = crate::security::Web {
        workers: liveness.clone(),
        engine_pool: Some(engine_pool.clone()),
        demo_crm: config.seed_demo,
        ..config.web.clone()
    };
    let app = crate::routes::router(state, options, web);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    tracing::info!("Switchyard listens on http://{addr}");
    println!("Switchyard is running at http://{addr}");
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let workers = crate::workers::start_counted(
        &engine_pool,
        &config.database_url,
        &config.workers,
        &stop_rx,
        &liveness,
    );
    crate::serve::serve(
        listener,
        app,
        config.header_timeout,
        config.shutdown_grace,
        shutdown(),
    )
    .await;
    // Workers finish the step in hand and hand their runs back for another process to take.
    let _ = stop_tx.send(true);
    for worker in workers {
        let _ = worker.await;
    }
    Ok(())
}

/// Events sent through the API that one transaction records at most (group commit).
const EVENTS_A_COMMIT: usize = 64;

/// The statistics' fold and the pruning, in the background. Every process may run them: each
/// fold takes rows no other is folding.
fn housekeeping(engine_pool: &switchyard::db::Pool, config: &Config) {
    tokio::spawn(crate::housekeeping::quarter_hourly(
        engine_pool.clone(),
        config.housekeeping.clone(),
    ));
    tokio::spawn(crate::housekeeping::fold_stats(
        engine_pool.clone(),
        config.housekeeping.clone(),
    ));
    let sender = switchyard::webhooks::deliver::Sender::new(
        &config.workers.caller.guard,
        config.secrets_key.clone(),
        switchyard::clock::Clock::default(),
    );
    tokio::spawn(crate::housekeeping::send_webhooks(
        engine_pool.clone(),
        sender,
    ));
    tokio::spawn(crate::housekeeping::email_alerts(
        engine_pool.clone(),
        config.mail.clone(),
        config.web.origin.clone(),
    ));
}

/// Runs workflows without serving anything: the workers and the housekeeping, until SIGTERM or
/// Ctrl-C, when each worker finishes the step in hand and hands its runs back. Beside one or
/// more `serve` processes (or `serve` with `SWITCHYARD_WORKERS=0`) on the same database.
async fn work() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    if config.workers.count == 0 {
        bail!("SWITCHYARD_WORKERS is 0: `switchyard work` would have nothing to do");
    }
    switchyard::db::migrate(&config.database_url).await?;
    let engine_pool = switchyard::db::pool_with(
        &config.database_url,
        config.engine_pool_size,
        config.engine_limits,
    )?;
    housekeeping(&engine_pool, &config);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let workers = crate::workers::start(
        &engine_pool,
        &config.database_url,
        &config.workers,
        &stop_rx,
    );
    tracing::info!(
        workers = config.workers.count,
        "Switchyard runs workflows, without web"
    );
    println!(
        "Switchyard is running workflows with {} workers (no web server)",
        config.workers.count
    );
    shutdown().await;
    let _ = stop_tx.send(true);
    for worker in workers {
        let _ = worker.await;
    }
    Ok(())
}

/// Leptos' settings from its `LEPTOS_*` variables, with our defaults for those not set.
fn leptos_options() -> anyhow::Result<leptos::config::LeptosOptions> {
    let var =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    let addr = var("LEPTOS_SITE_ADDR", "127.0.0.1:3000");
    let mut options = leptos::config::LeptosOptions::builder()
        .output_name(var("LEPTOS_OUTPUT_NAME", "switchyard"))
        .site_root(var("LEPTOS_SITE_ROOT", "target/site"))
        .site_pkg_dir(var("LEPTOS_SITE_PKG_DIR", "pkg"))
        .site_addr(
            addr.parse::<std::net::SocketAddr>()
                .with_context(|| format!("LEPTOS_SITE_ADDR `{addr}` is not an address"))?,
        )
        .build();
    options.hash_files = crate::assets::hashed_build(&options);
    Ok(options)
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
