//! `switchyard secrets rotate`: the operator changes the key secrets are sealed with.

use anyhow::{Context, bail};

/// Re-seals the secrets sealed with the key `old` (base64) with `new`; what was done, in words.
pub async fn rotate_secrets(
    database_url: &str,
    old: &str,
    new: Option<&switchyard::secrets::SecretsKey>,
) -> anyhow::Result<String> {
    let new = new.context("set SWITCHYARD_SECRETS_KEY to the new key")?;
    let old = switchyard::secrets::SecretsKey::parse(old)
        .map_err(|e| anyhow::anyhow!("SWITCHYARD_SECRETS_OLD_KEY: {e}"))?;
    if old.id() == new.id() {
        bail!("the old key and the new key are the same");
    }
    let pool = switchyard::db::pool_with(database_url, 2, switchyard::db::Timeouts::COMMAND_LINE)?;
    let mut conn = pool.get().await?;
    Ok(
        match switchyard::secrets::rotate(&mut conn, &old, new).await? {
            0 => "No secret is sealed with the old key: nothing to do.".to_owned(),
            n => {
                format!("Re-sealed {n} secret(s) with the new key. Start the servers with it now.")
            }
        },
    )
}
