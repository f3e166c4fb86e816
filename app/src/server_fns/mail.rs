//! Email: an Admin's test email, and "Forgot your password?" with its one-time link.

use crate::error::AppError;
use leptos::prelude::*;

/// The session slot that holds the test email just sent until Settings has shown it once.
#[cfg(feature = "ssr")]
pub fn tested_slot(org: &str) -> String {
    format!("email_tested:{org}")
}

/// Sends a test email to `to` (Admins); Settings then shows what the mail server answered.
#[server(endpoint = "send_test_email")]
pub async fn send_test_email(org: String, to: String) -> Result<(), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let mail = crate::state::state()?.mail;
    let sent = switchyard::mail::send_test(&mut conn, &mail, &member, &to)
        .await
        .map_err(|e| AppError::from(e).keeping(&[("to", &to)]))?;
    crate::state::keep_once(&tested_slot(&org), sent).await
}

/// Whether this server sends email (the sign-in and reset pages say so when it does not).
#[server(endpoint = "email_on")]
pub async fn email_on() -> Result<bool, AppError> {
    Ok(crate::state::state()?.mail.is_on())
}

/// Sends a reset link to `email` if it has an account; the page answers the same either way.
#[server(endpoint = "forgot_password")]
pub async fn forgot_password(email: String) -> Result<(), AppError> {
    let state = crate::state::state()?;
    let mut conn = crate::state::conn().await?;
    let base = state.public_url.as_deref();
    switchyard::account::reset::ask(&mut conn, &state.mail, base, &email)
        .await
        .map_err(|e| AppError::from(e).keeping(&[("email", &email)]))?;
    leptos_axum::redirect("/forgot?sent=1");
    Ok(())
}

/// The account a reset link is for; a used, old or unknown link is `NotFound`.
#[server(endpoint = "get_reset")]
pub async fn get_reset(token: String) -> Result<String, AppError> {
    let mut conn = crate::state::conn().await?;
    Ok(switchyard::account::reset::opened(&mut conn, &token).await?)
}

/// Chooses the new password through a reset link; every other session of the account ends.
#[server(endpoint = "reset_password")]
pub async fn reset_password(
    token: String,
    password: String,
    password_again: String,
) -> Result<(), AppError> {
    let session = crate::state::session().await?;
    let current = session.id().map(|id| id.to_string());
    let mut conn = crate::state::conn().await?;
    switchyard::account::reset::reset(
        &mut conn,
        &token,
        &password,
        &password_again,
        current.as_deref(),
    )
    .await?;
    leptos_axum::redirect("/login?reset=1");
    Ok(())
}
