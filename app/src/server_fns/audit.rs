//! The organization's audit trail (Admins).

use crate::error::AppError;
use leptos::prelude::*;
use switchyard_model::read_model::audit::AuditPage;

#[server(endpoint = "get_audit")]
pub async fn get_audit(
    org: String,
    #[server(default)] person: String,
    #[server(default)] kind: String,
    #[server(default)] before: String,
) -> Result<AuditPage, AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let query = switchyard_model::read_model::audit::AuditQuery {
        person: Some(person),
        kind: Some(kind),
        // A damaged position starts again from the newest entries.
        before: before.parse().ok(),
    };
    Ok(switchyard::read_model::audit::page(&mut conn, &member, &query).await?)
}
