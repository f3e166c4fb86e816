//! The organization's event log.

use crate::error::AppError;
use leptos::prelude::*;
use switchyard_model::entity::EventLogPage;

#[server(endpoint = "event_log")]
pub async fn event_log(
    org: String,
    #[server(default)] event_type: String,
    #[server(default)] before: String,
    #[server(default)] system: String,
) -> Result<EventLogPage, AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let query = switchyard_model::list_query::EventQuery::parse(&[
        ("type", &event_type),
        ("before", &before),
        ("system", &system),
    ])?;
    Ok(switchyard::read_model::event::page(&mut conn, &member, &query).await?)
}
