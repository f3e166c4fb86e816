//! The organization's audit trail (Admins).

use crate::error::AppError;
use leptos::prelude::*;
use switchyard::view::audit::AuditPage;

#[server(endpoint = "get_audit")]
pub async fn get_audit(
    org: String,
    #[server(default)] person: String,
    #[server(default)] kind: String,
    #[server(default)] before: String,
) -> Result<AuditPage, AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let query = switchyard::view::audit::AuditQuery {
        person: Some(person),
        kind: Some(kind),
        // A damaged position starts again from the newest entries.
        before: before.parse().ok(),
    };
    Ok(switchyard::view::audit::page(&mut conn, &member, &query).await?)
}
