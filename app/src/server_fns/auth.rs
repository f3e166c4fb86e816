//! Signing in and out, and the organizations of the signed-in user.

use crate::error::AppError;
use leptos::prelude::*;
use switchyard_model::Member;

/// Where to go after signing in: a path of this app, never another site. `next` is read as a
/// browser would read it against the app's own address (tabs and newlines dropped,
/// backslashes as slashes, `..` resolved); anything that would leave the app, or loop back to
/// sign-in, is refused. The answer is the parsed path, so what is redirected to is what was
/// checked.
#[cfg(feature = "ssr")]
pub fn safe_next(next: &str) -> Option<String> {
    const BASE: &str = "http://switchyard.invalid/";
    if !next.starts_with('/') {
        return None;
    }
    let base = url::Url::parse(BASE).ok()?;
    let url = base.join(next).ok()?;
    if url.origin() != base.origin() || !url.username().is_empty() || url.password().is_some() {
        return None;
    }
    let path = url.path();
    // `/.//site` parses to the path `//site`, which a browser would read as another site.
    if path.starts_with("//")
        || path == "/login"
        || path.starts_with("/login/")
        || path.starts_with("/api/")
    {
        return None;
    }
    let mut target = path.to_owned();
    if let Some(query) = url.query() {
        target.push('?');
        target.push_str(query);
    }
    Some(target)
}

/// Who is asking: the client's address and browser, as the request names them.
#[cfg(feature = "ssr")]
pub struct Client {
    pub address: Option<String>,
    pub agent: String,
}

#[cfg(feature = "ssr")]
impl Client {
    /// A sign-in with `email` and `password` from this client.
    pub fn attempt<'a>(
        &'a self,
        email: &'a str,
        password: &'a str,
    ) -> switchyard::auth::Attempt<'a> {
        switchyard::auth::Attempt {
            email,
            password,
            address: self.address.as_deref(),
            agent: &self.agent,
        }
    }
}

/// The client of the request being served.
#[cfg(feature = "ssr")]
pub fn client() -> Result<Client, AppError> {
    let parts = leptos::prelude::use_context::<http::request::Parts>()
        .ok_or_else(|| AppError::internal("request parts missing"))?;
    let address = parts
        .extensions
        .get::<crate::state::ClientAddress>()
        .map(|a| a.0.clone());
    let agent = parts
        .headers
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .chars()
        .take(300)
        .collect::<String>();
    Ok(Client { address, agent })
}

/// Signs `user` in on this browser: a new, empty session (an id planted before is worth
/// nothing after, and nothing an earlier visitor left in it, such as a key's secret not shown
/// yet, comes along), who, when, and from where.
#[cfg(feature = "ssr")]
pub async fn start_session(user: &switchyard_model::UserId) -> Result<(), AppError> {
    use switchyard_model::session::{
        ADDRESS_KEY, BROWSER_KEY, SEEN_AT_KEY, SIGNED_IN_AT_KEY, USER_KEY,
    };
    let Client { address, agent } = client()?;
    let session = crate::state::session().await?;
    session.flush().await.map_err(AppError::internal)?;
    session.cycle_id().await.map_err(AppError::internal)?;
    let now = crate::state::state()?.clock.now().unix_timestamp();
    for (key, value) in [
        (USER_KEY, serde_json::json!(user)),
        (SIGNED_IN_AT_KEY, serde_json::json!(now)),
        (SEEN_AT_KEY, serde_json::json!(now)),
        (BROWSER_KEY, serde_json::json!(agent)),
        (ADDRESS_KEY, serde_json::json!(address)),
    ] {
        session
            .insert(key, value)
            .await
            .map_err(AppError::internal)?;
    }
    Ok(())
}

/// Signs in with `email` and `password`, then goes to `next` (a path of this app) or home.
#[server(endpoint = "login")]
pub async fn login(
    email: String,
    password: String,
    #[server(default)] next: String,
) -> Result<(), AppError> {
    let client = client()?;
    let attempt = client.attempt(&email, &password);
    let signed_in = switchyard::auth::sign_in(&crate::state::state()?.pool, &attempt).await?;
    start_session(&signed_in.user).await?;
    leptos_axum::redirect(&safe_next(&next).unwrap_or_else(|| home(&signed_in)));
    Ok(())
}

/// Where a sign-in lands without a `next`: the person's only organization's dashboard, else
/// the list of their organizations.
#[cfg(feature = "ssr")]
fn home(signed_in: &switchyard::auth::SignedIn) -> String {
    match &signed_in.only_org {
        Some(slug) => format!("/o/{slug}/dashboard"),
        None => "/orgs".to_owned(),
    }
}

#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    let session = crate::state::session().await?;
    session.flush().await.map_err(AppError::internal)?;
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
