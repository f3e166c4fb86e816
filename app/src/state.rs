//! What server functions reach through Leptos context: the pool and the hooks, and the
//! signed-in user taken from the session.

use crate::error::AppError;
use leptos::prelude::*;
use std::sync::{Arc, Mutex};
use switchyard::db::{Pool, PooledConn};
use switchyard::hooks::Hooks;
use switchyard::{Member, UserId};
use tower_sessions::Session;

/// The session key under which the signed-in user's id is kept.
pub const USER_KEY: &str = switchyard_model::session::USER_KEY;

/// The address the request comes from (the server's middleware sets it).
#[derive(Clone, Debug)]
pub struct ClientAddress(pub String);

#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    /// Events sent through the API, committed in groups (`ingest::GroupCommit`).
    pub events: switchyard::ingest::GroupCommit,
    pub hooks: Hooks,
    /// The time sessions are judged by (tests move it forward).
    pub clock: switchyard_model::clock::Clock,
    /// The address people reach the app at, when configured (`SWITCHYARD_PUBLIC_URL`): links
    /// the app hands out (invitations) start with it.
    pub public_url: Option<String>,
    /// The key organizations' secrets are sealed with, when the operator gave one.
    pub secrets_key: Option<switchyard::secrets::SecretsKey>,
    /// The instance's email (off without `SWITCHYARD_SMTP_URL`).
    pub mail: switchyard::mail::Mail,
}

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| AppError::internal("AppState missing from context"))
}

/// A connection given up with the request (see `switchyard::db::Abandonment`), also from a
/// page's resources, which run apart from the request's task.
pub async fn conn() -> Result<PooledConn, AppError> {
    let abandonment = use_context::<http::request::Parts>().and_then(|parts| {
        parts
            .extensions
            .get::<switchyard::db::Abandonment>()
            .cloned()
    });
    state()?
        .pool
        .get_within(abandonment.as_ref())
        .await
        .map_err(AppError::internal)
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(AppError::internal)
}

/// How long a one-time secret waits in the session to be shown (a key's secret, an invitation's
/// link): the page it is made on shows it at once, and it is gone after.
const ONCE_FOR_SECONDS: i64 = 600;

/// Keeps `value` in the session until the next page shows it (`take_once`), at most
/// `ONCE_FOR_SECONDS`.
pub async fn keep_once<T: serde::Serialize>(slot: &str, value: T) -> Result<(), AppError> {
    let now = state()?.clock.now().unix_timestamp();
    session()
        .await?
        .insert(slot, (now, value))
        .await
        .map_err(AppError::internal)
}

/// What `keep_once` kept in `slot`, taken out of the session: shown once, never again.
pub async fn take_once<T: serde::de::DeserializeOwned>(slot: &str) -> Result<Option<T>, AppError> {
    let now = state()?.clock.now().unix_timestamp();
    let kept = session()
        .await?
        .remove::<(i64, T)>(slot)
        .await
        .map_err(AppError::internal)?;
    Ok(kept.and_then(|(at, value)| (now - at <= ONCE_FOR_SECONDS).then_some(value)))
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

/// The members a request has looked up, by user and organization: a page and the server functions it
/// calls while rendering find the member once between them.
#[derive(Clone, Default)]
pub struct RequestMembers(Arc<Mutex<Vec<(String, MemberCell)>>>);

/// A member being looked up, or looked up: the second caller waits for the first.
type MemberCell = Arc<tokio::sync::OnceCell<Member>>;

impl RequestMembers {
    fn cell(&self, user: &UserId, org: &str) -> MemberCell {
        let key = format!("{}/{org}", user.as_str());
        let mut cells = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, cell)) = cells.iter().find(|(k, _)| *k == key) {
            return cell.clone();
        }
        let cell = MemberCell::default();
        cells.push((key, Arc::clone(&cell)));
        cell
    }
}

/// The organization a request's server functions acted for, as their member lookup names it:
/// the request's log line shows it (a server function's path does not).
#[derive(Clone, Debug, Default)]
pub struct RequestOrg(pub Arc<std::sync::OnceLock<String>>);

impl RequestOrg {
    /// The organization, once a lookup named one.
    pub fn get(&self) -> Option<&str> {
        self.0.get().map(String::as_str)
    }
}

/// The time zone of the organization a request's server functions acted for, as their member
/// lookup found it: the page's times are shown in it (`components::format`).
#[derive(Clone, Debug, Default)]
pub struct RequestZone(pub Arc<std::sync::OnceLock<String>>);

impl RequestZone {
    pub fn get(&self) -> Option<&str> {
        self.0.get().map(String::as_str)
    }
}

/// What every request's server functions and pages reach through context.
pub fn provide_request_context(state: AppState) {
    provide_context(state);
    provide_context(RequestMembers::default());
    provide_context(RequestZone::default());
    // The request's log slot, which the server's request log put among its extensions.
    let slot = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<RequestOrg>().cloned());
    if let Some(slot) = slot {
        provide_context(slot);
    }
}

/// The signed-in user as a member of `org`, with the connection the rest of the call uses;
/// not a member looks exactly like a missing org. Looked up once per request.
pub async fn member(org: &str) -> Result<(Member, PooledConn), AppError> {
    if let Some(slot) = use_context::<RequestOrg>() {
        let _ = slot.0.set(org.to_owned());
    }
    let user = user_id().await?;
    let mut conn = conn().await?;
    let lookup = async |conn: &mut PooledConn| {
        switchyard::repo::org::member(conn, &user, org)
            .await
            .map_err(AppError::internal)?
            .ok_or(AppError::NotFound)
    };
    let member = match use_context::<RequestMembers>() {
        Some(members) => members
            .cell(&user, org)
            .get_or_try_init(|| lookup(&mut conn))
            .await?
            .clone(),
        None => lookup(&mut conn).await?,
    };
    if let Some(zone) = use_context::<RequestZone>() {
        let _ = zone.0.set(member.org.time_zone.clone());
    }
    Ok((member, conn))
}

/// Sends a form posted without a script back to the page it came from (its `Referer`), at
/// `anchor` (`#step-2`). Only a page of the organization's workflows is gone back to; anything
/// else keeps Leptos' own way back.
pub fn back_to_form(org: &str, anchor: &str) {
    let Some(referer) = use_context::<http::request::Parts>().and_then(|parts| {
        parts
            .headers
            .get(http::header::REFERER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }) else {
        return;
    };
    // The path of the address, without its origin and its own anchor.
    let path = match referer.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => referer.as_str(),
    };
    let path = path.split('#').next().unwrap_or_default();
    let form = format!("/o/{org}/workflows/");
    if path.starts_with(&form) && !path.contains("//") && !path.contains('\\') {
        leptos_axum::redirect(&format!("{path}{anchor}"));
    }
}
