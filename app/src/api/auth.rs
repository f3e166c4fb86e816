//! Signing in and out, and the organizations of the signed-in user.

use crate::error::AppError;
use leptos::prelude::*;
use switchyard::Member;

/// Where to go after signing in: a local path only, never another site.
pub fn safe_next(next: &str) -> Option<String> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.starts_with("/login");
    ok.then(|| next.to_owned())
}

#[server(endpoint = "login")]
pub async fn login(
    email: String,
    password: String,
    #[server(default)] next: String,
) -> Result<(), AppError> {
    use crate::state::{USER_KEY, conn, session};
    use switchyard::auth::{self, SignInError};
    let mut conn = conn().await?;
    let user = auth::sign_in(&mut conn, &email, &password)
        .await
        .map_err(|e| match e {
            SignInError::Internal(cause) => AppError::internal(cause),
            other => AppError::SignIn(other.to_string()),
        })?;
    let session = session().await?;
    // A new id at sign-in: an id planted before it is worth nothing after.
    session.cycle_id().await.map_err(AppError::internal)?;
    session
        .insert(USER_KEY, &user)
        .await
        .map_err(AppError::internal)?;
    let orgs = switchyard::repo::org::memberships_of(&mut conn, &user)
        .await
        .map_err(AppError::internal)?;
    let target = match (safe_next(&next), orgs.as_slice()) {
        (Some(next), _) => next,
        (None, [only]) => format!("/o/{}/dashboard", only.org.slug),
        (None, _) => "/orgs".to_owned(),
    };
    leptos_axum::redirect(&target);
    Ok(())
}

#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    let session = crate::state::session().await?;
    session.delete().await.map_err(AppError::internal)?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// The organizations the signed-in user belongs to.
#[server(endpoint = "my_orgs")]
pub async fn my_orgs() -> Result<Vec<Member>, AppError> {
    let user = crate::state::user_id().await?;
    let mut conn = crate::state::conn().await?;
    switchyard::repo::org::memberships_of(&mut conn, &user)
        .await
        .map_err(AppError::internal)
}

/// The signed-in user as a member of `org`.
#[server(endpoint = "current_member")]
pub async fn current_member(org: String) -> Result<Member, AppError> {
    Ok(crate::state::member(&org).await?.0)
}
