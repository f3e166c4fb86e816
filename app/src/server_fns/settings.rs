//! The organization's settings: its members, and its API keys (Admins only).

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use switchyard_model::Member;
use switchyard_model::read_model::settings::Settings;

/// What the settings page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SettingsView {
    pub member: Member,
    pub settings: Settings,
    /// A key created a moment ago: its secret, shown this once.
    pub new_key: Option<(String, String)>,
    /// What an invitation did a moment ago, with its link when not emailed (shown this once).
    pub invited: Option<switchyard_model::team::InvitationSent>,
    /// Whether this server keeps secrets at all (its operator gave it a key).
    pub keeps_secrets: bool,
    /// Whether this server sends email, and through what.
    pub email: switchyard_model::mail::EmailStatus,
    /// A test email sent a moment ago, and what the mail server answered (shown this once).
    pub tested: Option<switchyard_model::mail::EmailSent>,
}

#[cfg(feature = "ssr")]
fn new_key_slot(org: &str) -> String {
    format!("new_api_key:{org}")
}

#[server(endpoint = "get_settings")]
pub async fn get_settings(org: String) -> Result<SettingsView, AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let settings = switchyard::read_model::settings::settings(&mut conn, &member).await?;
    // A secret waits in the session until it has been shown once.
    let new_key = crate::state::take_once(&new_key_slot(&org)).await?;
    let invited = crate::state::take_once(&crate::server_fns::members::invited_slot(&org)).await?;
    let tested = crate::state::take_once(&crate::server_fns::mail::tested_slot(&org)).await?;
    let state = crate::state::state()?;
    Ok(SettingsView {
        member,
        settings,
        new_key,
        invited,
        keeps_secrets: state.secrets_key.is_some(),
        email: state.mail.status(),
        tested,
    })
}

/// Creates a key: its name, one checkbox per scope (`events_write`, `read`, `write`, `admin`: checked
/// boxes are sent, others are not), and the last day it works (empty: never expires).
#[server(endpoint = "create_api_key")]
pub async fn create_api_key(
    org: String,
    name: String,
    #[server(flatten)] scopes: switchyard_model::forms::ScopeChoice,
    #[server(default)] expires_on: String,
) -> Result<(), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let request = switchyard::api_key::KeyRequest::from_form(name, &scopes, expires_on);
    let (key, secret) = switchyard::api_key::create(&mut conn, &member, &request).await?;
    crate::state::keep_once(&new_key_slot(&org), (key.name, secret)).await
}

#[server(endpoint = "revoke_api_key")]
pub async fn revoke_api_key(org: String, id: String) -> Result<(), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let id = switchyard_model::id::ApiKeyId::from_path(&id)?;
    switchyard::api_key::revoke(&mut conn, &member, &id).await?;
    leptos_axum::redirect(&format!("/o/{org}/settings"));
    Ok(())
}

/// Saves the dashboard's failure threshold and the charts' time zone (Admins).
#[server(endpoint = "save_preferences")]
pub async fn save_preferences(
    org: String,
    #[server(default)] failure_threshold: String,
    #[server(default)] time_zone: String,
) -> Result<(), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    switchyard::preferences::save(&mut conn, &member, &failure_threshold, &time_zone).await?;
    Ok(())
}

/// Sets (creates or replaces) a secret (Admins). A bad field comes back with the name and the
/// hosts as typed, never the value.
#[server(endpoint = "set_secret")]
pub async fn set_secret(
    org: String,
    #[server(flatten)] input: switchyard_model::secret::SecretInput,
) -> Result<(), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let key = crate::state::state()?.secrets_key;
    switchyard::secrets::set(&mut conn, key.as_ref(), &member, &input)
        .await
        .map_err(|e| {
            AppError::from(e).keeping(&[("name", &input.name), ("hosts", &input.hosts)])
        })?;
    Ok(())
}

/// Deletes a secret (Admins), after the page asked.
#[server(endpoint = "delete_secret")]
pub async fn delete_secret(org: String, name: String) -> Result<(), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    switchyard::secrets::delete(&mut conn, &member, &name).await?;
    leptos_axum::redirect(&format!("/o/{org}/settings#secrets"));
    Ok(())
}
