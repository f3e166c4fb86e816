//! An organization's members, managed by its Admins, and the invitation links people join by.

use crate::error::AppError;
use leptos::prelude::*;
use switchyard_model::team::InvitationPage;

#[cfg(feature = "ssr")]
fn parse_user(id: &str) -> Result<switchyard_model::UserId, AppError> {
    Ok(switchyard_model::UserId::from_path(id)?)
}

/// Where people reach the app: the configured address, or else the origin the Admin's browser
/// reached it at (a change comes with its `Origin`, or at least a `Referer` of the app:
/// `security::same_origin_changes` saw to that).
#[cfg(feature = "ssr")]
fn own_origin() -> Result<String, AppError> {
    if let Some(configured) = crate::state::state()?.public_url {
        return Ok(configured);
    }
    let parts = use_context::<http::request::Parts>()
        .ok_or_else(|| AppError::internal("request parts missing"))?;
    let header = |name| {
        parts
            .headers
            .get(name)
            .and_then(|v: &http::HeaderValue| v.to_str().ok())
    };
    header(http::header::ORIGIN)
        .or_else(|| header(http::header::REFERER))
        .and_then(|u| url::Url::parse(u).ok())
        .map(|u| u.origin().ascii_serialization())
        .filter(|o| o != "null")
        .ok_or_else(|| AppError::internal("an invitation without Origin or Referer"))
}

/// The session slot that holds what the last invitation did until the page has shown it once
/// (the link's secret is shown only then).
#[cfg(feature = "ssr")]
pub fn invited_slot(org: &str) -> String {
    format!("invited:{org}")
}

/// Invites `email` with `role`: by email when email is on; else the page shows the one-time
/// link, once.
#[server(endpoint = "invite_member")]
pub async fn invite_member(org: String, email: String, role: String) -> Result<(), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let mail = crate::state::state()?.mail;
    let sent = switchyard::members::invite_and_tell(
        &mut conn,
        &mail,
        &own_origin()?,
        &member,
        &email,
        &role,
    )
    .await
    .map_err(|e| AppError::from(e).keeping(&[("email", &email), ("role", &role)]))?;
    crate::state::keep_once(&invited_slot(&org), sent).await
}

#[server(endpoint = "change_member_role")]
pub async fn change_member_role(org: String, user: String, role: String) -> Result<(), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let user = parse_user(&user)?;
    switchyard::members::change_role(&mut conn, &member, &user, &role).await?;
    Ok(())
}

#[server(endpoint = "remove_member")]
pub async fn remove_member(org: String, user: String) -> Result<(), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let user = parse_user(&user)?;
    switchyard::members::remove(&mut conn, &member, &user).await?;
    // Removing yourself: this organization is no longer yours to see.
    if user == member.user_id {
        leptos_axum::redirect("/orgs");
    } else {
        leptos_axum::redirect(&format!("/o/{org}/settings"));
    }
    Ok(())
}

#[server(endpoint = "revoke_invitation")]
pub async fn revoke_invitation(org: String, id: String) -> Result<(), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let id = switchyard_model::id::InvitationId::from_path(&id)?;
    switchyard::members::revoke_invitation(&mut conn, &member, &id).await?;
    Ok(())
}

/// The invitation a link opens, as the one who opened it sees it; no sign-in needed, the link
/// is the secret.
#[server(endpoint = "get_invitation")]
pub async fn get_invitation(token: String) -> Result<InvitationPage, AppError> {
    let user = crate::state::user_id().await.ok();
    let mut conn = crate::state::conn().await?;
    Ok(switchyard::members::invitation_page(&mut conn, &token, user.as_ref()).await?)
}

/// Joins by an invitation as the account signed in on this browser, which says yes here.
#[server(endpoint = "join_invitation")]
pub async fn join_invitation(token: String) -> Result<(), AppError> {
    let user = crate::state::user_id().await?;
    let mut conn = crate::state::conn().await?;
    let member = switchyard::members::join(&mut conn, &token, &user).await?;
    leptos_axum::redirect(&format!("/o/{}/dashboard", member.org.slug));
    Ok(())
}

/// Says no to an invitation as the account signed in on this browser.
#[server(endpoint = "decline_invitation")]
pub async fn decline_invitation(token: String) -> Result<(), AppError> {
    let user = crate::state::user_id().await?;
    let mut conn = crate::state::conn().await?;
    switchyard::members::decline(&mut conn, &token, &user).await?;
    leptos_axum::redirect("/orgs");
    Ok(())
}

/// Joins by an invitation as a new person: their name and password; they are signed in after.
#[server(endpoint = "accept_invitation")]
pub async fn accept_invitation(
    token: String,
    #[server(default)] display_name: String,
    #[server(default)] password: String,
    #[server(default)] password_again: String,
) -> Result<(), AppError> {
    let mut conn = crate::state::conn().await?;
    let member =
        switchyard::members::accept(&mut conn, &token, &display_name, &password, &password_again)
            .await
            .map_err(|e| AppError::from(e).keeping(&[("display_name", &display_name)]))?;
    crate::server_fns::auth::start_session(&member.user_id).await?;
    leptos_axum::redirect(&format!("/o/{}/dashboard", member.org.slug));
    Ok(())
}
