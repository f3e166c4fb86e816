//! Alert emails: who an organization's alerts go to (Admins set it on Settings), and each
//! person's own "no alert emails from this organization" (Your account).

use crate::error::AppError;
use leptos::prelude::*;
use switchyard_model::alert_rule::AlertSettings;

#[server(endpoint = "get_alerts")]
pub async fn get_alerts(org: String) -> Result<AlertSettings, AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    Ok(switchyard::alerts::rules::settings(&mut conn, &member).await?)
}

/// Saves who is emailed about `kind` (`email_to[N]`: the members' ids, checked boxes only) and
/// the quiet time.
#[server(endpoint = "save_alert_rule")]
pub async fn save_alert_rule(
    org: String,
    kind: String,
    quiet_minutes: String,
    #[server(default)] email_to: Vec<String>,
) -> Result<(), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    switchyard::alerts::rules::save(&mut conn, &member, &kind, &email_to, &quiet_minutes)
        .await
        .map_err(|e| {
            AppError::from(e).keeping(&[("kind", &kind), ("quiet_minutes", &quiet_minutes)])
        })?;
    leptos_axum::redirect(&format!("/o/{org}/settings#alerts"));
    Ok(())
}

/// Turns the signed-in person's alert emails from `org` on (`on` = "true") or off.
#[server(endpoint = "set_alert_emails")]
pub async fn set_alert_emails(org: String, on: String) -> Result<(), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    switchyard::alerts::rules::set_own_emails(&mut conn, &member, on == "true").await?;
    leptos_axum::redirect("/account#alert-emails");
    Ok(())
}
