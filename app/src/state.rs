//! What server functions reach through Leptos context: the pool and the hooks, and the
//! signed-in user taken from the session.

use crate::error::AppError;
use leptos::prelude::*;
use switchyard::db::{Pool, PooledConn};
use switchyard::hooks::Hooks;
use switchyard::{Member, UserId};
use tower_sessions::Session;

/// The session key under which the signed-in user's id is kept.
pub const USER_KEY: &str = switchyard::session::USER_KEY;

/// The address the request comes from (the server's middleware sets it).
#[derive(Clone, Debug)]
pub struct ClientAddress(pub String);

#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub hooks: Hooks,
    /// The time sessions are judged by (tests move it forward).
    pub clock: switchyard::clock::Clock,
}

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| AppError::internal("AppState missing from context"))
}

pub async fn conn() -> Result<PooledConn, AppError> {
    state()?.pool.get().await.map_err(AppError::internal)
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(AppError::internal)
}

/// The signed-in user's id, or `Unauthorized`.
pub async fn user_id() -> Result<UserId, AppError> {
    let session = session().await?;
    session
        .get::<UserId>(USER_KEY)
        .await
        .map_err(AppError::internal)?
        .ok_or(AppError::Unauthorized)
}

/// The signed-in user as a member of `org`, with the connection the rest of the call uses;
/// not a member looks exactly like a missing org.
pub async fn member(org: &str) -> Result<(Member, PooledConn), AppError> {
    let user = user_id().await?;
    let mut conn = conn().await?;
    let member = switchyard::repo::org::member(&mut conn, &user, org)
        .await
        .map_err(AppError::internal)?
        .ok_or(AppError::NotFound)?;
    Ok((member, conn))
}
