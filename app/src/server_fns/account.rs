//! The signed-in person's own account: password and sessions.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use switchyard_model::read_model::account::SessionEntry;

/// What "Your account" shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountView {
    pub display_name: String,
    pub email: String,
    pub sessions: Vec<SessionEntry>,
    /// Each of the person's organizations (slug, name) and whether they get its alert emails.
    pub alert_emails: Vec<(String, String, bool)>,
    /// When it was read (the browser's clock is not asked).
    pub read_at: time::OffsetDateTime,
}

#[cfg(feature = "ssr")]
async fn me() -> Result<
    (
        switchyard_model::UserId,
        Option<String>,
        switchyard::db::PooledConn,
    ),
    AppError,
> {
    let user = crate::state::user_id().await?;
    let session = crate::state::session().await?;
    let current = session.id().map(|id| id.to_string());
    Ok((user, current, crate::state::conn().await?))
}

#[server(endpoint = "get_account")]
pub async fn get_account() -> Result<AccountView, AppError> {
    let (user, current, mut conn) = me().await?;
    let (email, display_name) = switchyard::repo::org::user(&mut conn, &user)
        .await
        .map_err(AppError::internal)?
        .ok_or(AppError::Unauthorized)?;
    let sessions = switchyard::account::sessions(&mut conn, &user, current.as_deref()).await?;
    let alert_emails = switchyard::alerts::rules::own_emails_everywhere(&mut conn, &user)
        .await?
        .into_iter()
        .map(|(org, on)| (org.slug, org.name, on))
        .collect();
    Ok(AccountView {
        display_name,
        email,
        sessions,
        alert_emails,
        read_at: time::OffsetDateTime::now_utc(),
    })
}

#[server(endpoint = "change_password")]
pub async fn change_password(
    #[server(flatten)] change: switchyard_model::forms::PasswordChange,
) -> Result<(), AppError> {
    let (user, current, mut conn) = me().await?;
    let address = crate::server_fns::auth::client()?.address;
    let (keep, from) = (current.as_deref(), address.as_deref());
    switchyard::account::change_password(&mut conn, &user, &change, keep, from).await?;
    Ok(())
}

/// Ends one of the person's sessions (`handle` as the list names it), or with `all`, every one
/// but this.
#[server(endpoint = "end_session")]
pub async fn end_session(
    #[server(default)] handle: String,
    #[server(default)] all: String,
) -> Result<(), AppError> {
    let (user, current, mut conn) = me().await?;
    if all.is_empty() {
        switchyard::account::end_session(&mut conn, &user, &handle).await?;
    } else {
        switchyard::account::end_other_sessions(&mut conn, &user, current.as_deref()).await?;
    }
    Ok(())
}
