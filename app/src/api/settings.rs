//! The organization's settings: its members, and its API keys (Admins only).

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use switchyard::Member;
use switchyard::entity::{ApiKey, MemberRow};

/// What the settings page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SettingsView {
    pub member: Member,
    pub members: Vec<MemberRow>,
    /// `None` for members who may not manage keys.
    pub keys: Option<Vec<ApiKey>>,
    /// A key created a moment ago: its secret, shown this once.
    pub new_key: Option<(String, String)>,
}

#[cfg(feature = "ssr")]
fn new_key_slot(org: &str) -> String {
    format!("new_api_key:{org}")
}

#[server(endpoint = "get_settings")]
pub async fn get_settings(org: String) -> Result<SettingsView, AppError> {
    let member = crate::state::member(&org).await?;
    let mut conn = crate::state::conn().await?;
    let members = switchyard::repo::org::members_of(&mut conn, &member.org.id)
        .await
        .map_err(AppError::internal)?;
    let keys = if member.role.can_manage() {
        Some(switchyard::api_key::list(&mut conn, &member).await?)
    } else {
        None
    };
    // The secret lives in the session until it has been shown once.
    let session = crate::state::session().await?;
    let new_key = if member.role.can_manage() {
        session
            .remove::<(String, String)>(&new_key_slot(&org))
            .await
            .map_err(AppError::internal)?
    } else {
        None
    };
    Ok(SettingsView {
        member,
        members,
        keys,
        new_key,
    })
}

#[server(endpoint = "create_api_key")]
pub async fn create_api_key(org: String, name: String) -> Result<(), AppError> {
    let member = crate::state::member(&org).await?;
    let mut conn = crate::state::conn().await?;
    let (key, secret) = switchyard::api_key::create(&mut conn, &member, &name).await?;
    let session = crate::state::session().await?;
    session
        .insert(&new_key_slot(&org), (key.name, secret))
        .await
        .map_err(AppError::internal)?;
    Ok(())
}

#[server(endpoint = "revoke_api_key")]
pub async fn revoke_api_key(org: String, id: String) -> Result<(), AppError> {
    let member = crate::state::member(&org).await?;
    let id = switchyard::id::ApiKeyId::parse(&id).ok_or(AppError::NotFound)?;
    let mut conn = crate::state::conn().await?;
    switchyard::api_key::revoke(&mut conn, &member, &id).await?;
    leptos_axum::redirect(&format!("/o/{org}/settings"));
    Ok(())
}
