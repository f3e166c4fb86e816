//! `switchyard backup FILE` and `switchyard restore FILE`: the whole database through the
//! machine's `pg_dump` and `pg_restore` (custom format, compressed). The connection is passed
//! to them in `PG*` variables, so that a password never shows in a process list.

use anyhow::{Context, bail};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use std::path::{Path, PathBuf};

/// The PostgreSQL program `name`: from `SWITCHYARD_PG_BIN`, else the newest
/// `/usr/lib/postgresql/*/bin` (Debian's layout: a `pg_dump` no older than the server), else
/// the `PATH`.
pub fn pg_program(name: &str) -> PathBuf {
    if let Ok(dir) = std::env::var("SWITCHYARD_PG_BIN") {
        return Path::new(&dir).join(name);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let program = entry.path().join("bin").join(name);
            program.exists().then_some((version, program))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map_or_else(|| PathBuf::from(name), |(_, program)| program)
}

/// The `PG*` variables that point libpq at `database_url`.
fn pg_env(database_url: &str) -> anyhow::Result<Vec<(&'static str, String)>> {
    let url = url::Url::parse(database_url).context("DATABASE_URL is not a URL")?;
    let decode = percent_decode;
    let mut env = vec![
        ("PGHOST", url.host_str().unwrap_or("localhost").to_owned()),
        ("PGPORT", url.port().unwrap_or(5432).to_string()),
        ("PGDATABASE", decode(url.path().trim_start_matches('/'))),
    ];
    if !url.username().is_empty() {
        env.push(("PGUSER", decode(url.username())));
    }
    if let Some(password) = url.password() {
        env.push(("PGPASSWORD", decode(password)));
    }
    for (key, value) in url.query_pairs() {
        if key == "sslmode" {
            env.push(("PGSSLMODE", value.into_owned()));
        }
    }
    Ok(env)
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

async fn run(program: &str, args: &[&str], database_url: &str) -> anyhow::Result<()> {
    let path = pg_program(program);
    let output = tokio::process::Command::new(&path)
        .args(args)
        .envs(pg_env(database_url)?)
        .output()
        .await
        .with_context(|| {
            format!(
                "cannot run {}: is PostgreSQL's client installed?",
                path.display()
            )
        })?;
    if !output.status.success() {
        bail!(
            "{program} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// Writes the whole database to `file`, readable and writable by its owner only (it holds
/// every organization's data); returns what to print.
pub async fn backup(database_url: &str, file: &Path) -> anyhow::Result<String> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let target = file.to_str().context("the file name is not UTF-8")?;
    // Made before pg_dump opens it, so that it is never readable by others, even for a moment.
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(file)
        .with_context(|| format!("cannot write {}", file.display()))?;
    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("cannot make {} private", file.display()))?;
    run(
        "pg_dump",
        &[
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            "--file",
            target,
        ],
        database_url,
    )
    .await?;
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    Ok(format!(
        "Backed up the database to {} ({} KiB). Restore it with `switchyard restore {}`.",
        file.display(),
        size.div_ceil(1024),
        file.display()
    ))
}

/// Restores `file` into the database at `database_url`, which must be empty (a new database:
/// restoring over data would mix two histories); returns what to print.
pub async fn restore(database_url: &str, file: &Path) -> anyhow::Result<String> {
    if !file.is_file() {
        bail!("there is no backup file {}", file.display());
    }
    let mut conn = AsyncPgConnection::establish(database_url)
        .await
        .context("cannot connect to DATABASE_URL")?;
    let tables = switchyard::db::public_tables(&mut conn).await?;
    if tables > 0 {
        bail!(
            "the database is not empty ({tables} tables): restore into a new database (createdb), then point DATABASE_URL at it"
        );
    }
    let source = file.to_str().context("the file name is not UTF-8")?;
    // The database's name alone on the command line; where it is and who connects go in PG*.
    let database = pg_env(database_url)?
        .into_iter()
        .find(|(k, _)| *k == "PGDATABASE")
        .map(|(_, v)| v)
        .unwrap_or_default();
    run(
        "pg_restore",
        &[
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            "--dbname",
            &database,
            source,
        ],
        database_url,
    )
    .await?;
    Ok(format!(
        "Restored {} into the database. Start the server: it applies any newer migrations.",
        file.display()
    ))
}
