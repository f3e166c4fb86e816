//! The organization's event log.

use crate::error::AppError;
use leptos::prelude::*;
use switchyard::entity::EventLogPage;

#[server(endpoint = "event_log")]
pub async fn event_log(
    org: String,
    #[server(default)] event_type: String,
    #[server(default)] before: String,
) -> Result<EventLogPage, AppError> {
    let member = crate::state::member(&org).await?;
    let before = match before.as_str() {
        "" => None,
        b => Some(b.parse::<i64>().map_err(|_| AppError::Invalid {
            errors: vec![switchyard::workflow::FieldError::new(
                "before",
                "This page address is damaged: go back to the newest events",
            )],
            input: None,
        })?),
    };
    let event_type = Some(event_type.trim()).filter(|t| !t.is_empty());
    let mut conn = crate::state::conn().await?;
    switchyard::event_log::page(&mut conn, &member.org.id, event_type, before)
        .await
        .map_err(AppError::internal)
}
