//! The set-up commands of the command line: `create-org`, `create-api-key`, and the member
//! commands `invite`, `set-role`, `remove-member`, each one domain call on the database the
//! operator names, its refusals told with the command line's flags.

use anyhow::Context;
use switchyard::setup::{self, NewOrg};

/// Reads `--flag value` pairs; unknown flags are errors.
pub(crate) fn flags(
    args: &[String],
    known: &[&str],
) -> anyhow::Result<std::collections::HashMap<String, String>> {
    let mut out = std::collections::HashMap::new();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let name = flag
            .strip_prefix("--")
            .filter(|n| known.contains(n))
            .with_context(|| format!("unknown argument `{flag}`; see `switchyard help`"))?;
        let value = it
            .next()
            .with_context(|| format!("`{flag}` needs a value"))?;
        out.insert(name.to_owned(), value.clone());
    }
    Ok(out)
}

/// `create-org`: creates the organization and its Admin in the database at `database_url`,
/// and returns what to print.
pub async fn create_org(args: &[String], database_url: &str) -> anyhow::Result<String> {
    let mut f = flags(
        args,
        &[
            "slug",
            "name",
            "admin-email",
            "admin-name",
            "admin-password",
        ],
    )?;
    let mut take = |k: &str| f.remove(k);
    let slug = take("slug").context("--slug is required")?;
    let name = take("name").context("--name is required")?;
    let email = take("admin-email").context("--admin-email is required")?;
    let admin_name = take("admin-name")
        .unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_owned());
    let password = take("admin-password")
        .or_else(|| std::env::var("SWITCHYARD_ADMIN_PASSWORD").ok())
        .context("give the Admin's password with --admin-password or SWITCHYARD_ADMIN_PASSWORD")?;
    switchyard::db::migrate(database_url).await?;
    let pool = switchyard::db::pool_with(database_url, 2, switchyard::db::Timeouts::COMMAND_LINE)?;
    let mut conn = pool.get().await?;
    let new = NewOrg {
        slug,
        name,
        admin_email: email,
        admin_name,
        admin_password: password,
    };
    let admin = setup::create_org(&mut conn, &new).await?;
    Ok(format!(
        "Created organization {} ({}) with slug `{}`.\nIts Admin is {} <{}> ({}); they sign in at /login.",
        admin.org.name,
        admin.org.id,
        admin.org.slug,
        admin.display_name,
        admin.email,
        admin.user_id
    ))
}

/// `create-api-key`: creates a key for the organization and returns what to print.
pub async fn create_api_key(args: &[String], database_url: &str) -> anyhow::Result<String> {
    let mut f = flags(args, &["org", "name", "scopes", "expires"])?;
    let slug = f.remove("org").context("--org is required")?;
    let request = switchyard::api_key::KeyRequest {
        name: f.remove("name").context("--name is required")?,
        scopes: f
            .remove("scopes")
            .unwrap_or_else(|| "events:write".to_owned())
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        expires_on: f.remove("expires").unwrap_or_default(),
    };
    let (mut conn, org) = organization(database_url, &slug).await?;
    let (key, secret) = switchyard::api_key::create_for(&mut conn, &org.id, &request, None)
        .await
        .map_err(|e| explain(e, "the organization is gone"))?;
    let scopes: Vec<&str> = key.scopes.iter().map(|s| s.as_str()).collect();
    let expires = key.expires_at.map_or_else(
        || "does not expire".to_owned(),
        |at| format!("works until {at} (exclusive)"),
    );
    Ok(format!(
        "Created API key “{}” ({}) for {}: scopes {}, {expires}.\n{secret}\nIt is shown only now: keep it somewhere safe.",
        key.name,
        key.id,
        org.name,
        scopes.join(", ")
    ))
}

/// The member commands: `invite`, `set-role`, `remove-member`. Returns what to print.
pub async fn members(command: &str, args: &[String], database_url: &str) -> anyhow::Result<String> {
    use switchyard::members::{self, Invited, Manager};
    let mut f = flags(args, &["org", "email", "role"])?;
    let slug = f.remove("org").context("--org is required")?;
    let email = f.remove("email").context("--email is required")?;
    let (mut conn, org) = organization(database_url, &slug).await?;
    let operator = Manager::command_line(org.clone());
    let missing = format!("{email} is not a member of {}", org.name);
    let explain = |e| explain(e, &missing);
    if command == "invite" {
        let role = f.remove("role").unwrap_or_else(|| "Editor".to_owned());
        let invited: Invited = members::invite(&mut conn, &operator, &email, &role)
            .await
            .map_err(explain)?;
        let base = crate::config::public_origin()?.unwrap_or_default();
        return Ok(format!(
            "Invited {} to {} as {}. Send them this link; it works once, until {}:\n{}\nThey join when they open it and say yes (signing in first if they have an account).",
            invited.email,
            org.name,
            invited.role.as_str(),
            invited.expires_at,
            invited.link(&base)
        ));
    }
    let user = switchyard::repo::org::user_by_email(&mut conn, &email)
        .await?
        .with_context(|| format!("there is no account with the email {email}"))?;
    match command {
        "set-role" => {
            let role = f.remove("role").context("--role is required")?;
            members::change_role(&mut conn, &operator, &user, &role)
                .await
                .map_err(explain)?;
            Ok(format!("{email} is now {role} in {}.", org.name))
        }
        _ => {
            members::remove(&mut conn, &operator, &user)
                .await
                .map_err(explain)?;
            Ok(format!("{email} is no longer a member of {}.", org.name))
        }
    }
}

/// A connection to the migrated database at `database_url`, and the organization `slug` names.
async fn organization(
    database_url: &str,
    slug: &str,
) -> anyhow::Result<(switchyard::db::PooledConn, switchyard::Organization)> {
    switchyard::db::migrate(database_url).await?;
    let pool = switchyard::db::pool_with(database_url, 2, switchyard::db::Timeouts::COMMAND_LINE)?;
    let mut conn = pool.get().await?;
    let org = switchyard::repo::org::org_by_slug(&mut conn, slug)
        .await?
        .with_context(|| format!("there is no organization with slug `{slug}`"))?;
    Ok((conn, org))
}

/// A domain error in the command line's words: each field's message after its flag, and
/// `missing` for what was not found.
fn explain(e: switchyard::DomainError, missing: &str) -> anyhow::Error {
    match e {
        switchyard::DomainError::Validation(fields) => anyhow::anyhow!(
            "{}",
            fields
                .iter()
                .map(|f| format!("--{}: {}", cli_flag(&f.field), f.message))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        switchyard::DomainError::NotFound => anyhow::anyhow!("{missing}"),
        other => anyhow::anyhow!("{other}"),
    }
}

/// The command line's flag for a field of the key request.
fn cli_flag(field: &str) -> &str {
    match field {
        "expires_on" => "expires",
        other => other,
    }
}
