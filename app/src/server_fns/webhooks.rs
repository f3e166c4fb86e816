//! Webhook endpoints on the settings pages (Admins): the list, adding one (its secret shown
//! once on its page), and an endpoint's page with its delivery log, test event, resends,
//! secret rotation, enabling and deleting.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use switchyard_model::webhook::{DeliveryPage, EndpointSummary};

/// The settings page's webhooks section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhooksView {
    pub endpoints: Vec<EndpointSummary>,
    /// Whether this server keeps secrets (webhooks are signed with them).
    pub keeps_secrets: bool,
}

/// An endpoint's page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EndpointView {
    pub endpoint: EndpointSummary,
    pub page: DeliveryPage,
    /// Its secret, when it was just made or rotated (shown this once).
    pub secret: Option<String>,
    /// What was just done (a test event queued, deliveries resent), said once.
    pub done: Option<String>,
}

#[cfg(feature = "ssr")]
fn parse(id: &str) -> Result<switchyard_model::id::EndpointId, AppError> {
    Ok(switchyard_model::id::EndpointId::from_path(id)?)
}

#[cfg(feature = "ssr")]
fn secret_slot(id: &str) -> String {
    format!("endpoint_secret:{id}")
}

#[cfg(feature = "ssr")]
fn done_slot(id: &str) -> String {
    format!("endpoint_done:{id}")
}

#[cfg(feature = "ssr")]
fn page(org: &str, id: &str) -> String {
    format!("/o/{org}/settings/webhooks/{id}")
}

#[server(endpoint = "list_endpoints")]
pub async fn list_endpoints(org: String) -> Result<WebhooksView, AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let endpoints = switchyard::webhooks::endpoints::list(&mut conn, &member).await?;
    Ok(WebhooksView {
        endpoints,
        keeps_secrets: crate::state::state()?.secrets_key.is_some(),
    })
}

/// Adds an endpoint, then opens its page, which shows its secret once.
#[server(endpoint = "create_endpoint")]
pub async fn create_endpoint(
    org: String,
    url: String,
    #[server(default)] description: String,
    #[server(flatten)] events: switchyard_model::webhook::EventChoice,
) -> Result<(), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let key = crate::state::state()?.secrets_key;
    let input = switchyard_model::webhook::EndpointInput {
        url: url.clone(),
        events: events.events_text(),
        description: description.clone(),
    };
    let made = switchyard::webhooks::endpoints::create(&mut conn, key.as_ref(), &member, &input)
        .await
        .map_err(|e| {
            AppError::from(e).keeping(&[
                ("url", &url),
                ("description", &description),
                ("other_events", &events.other_events),
            ])
        })?;
    crate::state::keep_once(&secret_slot(&made.endpoint.id), made.secret).await?;
    leptos_axum::redirect(&page(&org, &made.endpoint.id));
    Ok(())
}

/// An endpoint with a page of its deliveries (`status`, `event_type` and `before` as the
/// page's address has them).
#[server(endpoint = "get_endpoint")]
pub async fn get_endpoint(
    org: String,
    id: String,
    #[server(default)] status: String,
    #[server(default)] event_type: String,
    #[server(default)] before: String,
) -> Result<EndpointView, AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let endpoint_id = parse(&id)?;
    let status = match status.as_str() {
        "" => None,
        s => Some(switchyard_model::webhook::DeliveryStatus::parse(s).ok_or(AppError::NotFound)?),
    };
    let query = switchyard_model::webhook::DeliveryQuery {
        status,
        event_type: Some(event_type).filter(|t| !t.is_empty()),
        before: Some(before).filter(|b| !b.is_empty()),
    };
    let page =
        switchyard::webhooks::deliveries::page(&mut conn, &member, &endpoint_id, &query).await?;
    let endpoint = switchyard::webhooks::endpoints::get(&mut conn, &member, &endpoint_id).await?;
    Ok(EndpointView {
        endpoint,
        page,
        secret: crate::state::take_once(&secret_slot(&id)).await?,
        done: crate::state::take_once(&done_slot(&id)).await?,
    })
}

#[server(endpoint = "send_test_event")]
pub async fn send_test_event(org: String, id: String) -> Result<(), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    switchyard::webhooks::deliveries::send_test(&mut conn, &member, &parse(&id)?).await?;
    let said = "A test event is on its way: it shows below within a few seconds (reload the page).";
    crate::state::keep_once(&done_slot(&id), said.to_owned()).await?;
    leptos_axum::redirect(&page(&org, &id));
    Ok(())
}

#[server(endpoint = "resend_delivery")]
pub async fn resend_delivery(org: String, id: String, delivery: String) -> Result<(), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let delivery_id = switchyard_model::id::DeliveryId::from_path(&delivery)?;
    switchyard::webhooks::deliveries::resend(&mut conn, &member, &parse(&id)?, &delivery_id)
        .await?;
    let said = format!("Delivery {delivery} is on its way again, with the same webhook-id.");
    crate::state::keep_once(&done_slot(&id), said).await?;
    leptos_axum::redirect(&page(&org, &id));
    Ok(())
}

/// Resends every failed delivery of the last `within` (`1h`, `24h`, `7d` or `30d`).
#[server(endpoint = "resend_failed_deliveries")]
pub async fn resend_failed_deliveries(
    org: String,
    id: String,
    within: String,
) -> Result<(), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let span = match within.as_str() {
        "1h" => time::Duration::hours(1),
        "24h" => time::Duration::hours(24),
        "7d" => time::Duration::days(7),
        "30d" => time::Duration::days(30),
        _ => {
            return Err(switchyard::DomainError::field("within", "Choose how far back").into());
        }
    };
    let since = Some(time::OffsetDateTime::now_utc() - span);
    let endpoint = parse(&id)?;
    let count =
        switchyard::webhooks::deliveries::resend_failed_since(&mut conn, &member, &endpoint, since)
            .await?;
    let said = match count {
        0 => "No delivery failed in that time: nothing to resend.".to_owned(),
        1 => "1 failed delivery is on its way again.".to_owned(),
        n => format!("{n} failed deliveries are on their way again."),
    };
    crate::state::keep_once(&done_slot(&id), said).await?;
    leptos_axum::redirect(&page(&org, &id));
    Ok(())
}

#[server(endpoint = "rotate_endpoint_secret")]
pub async fn rotate_endpoint_secret(org: String, id: String) -> Result<(), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    let key = crate::state::state()?.secrets_key;
    let rotated =
        switchyard::webhooks::endpoints::rotate(&mut conn, key.as_ref(), &member, &parse(&id)?)
            .await?;
    crate::state::keep_once(&secret_slot(&id), rotated.secret).await?;
    leptos_axum::redirect(&page(&org, &id));
    Ok(())
}

#[server(endpoint = "enable_endpoint")]
pub async fn enable_endpoint(org: String, id: String) -> Result<(), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    switchyard::webhooks::endpoints::enable(&mut conn, &member, &parse(&id)?).await?;
    crate::state::keep_once(&done_slot(&id), "Deliveries go to it again.".to_owned()).await?;
    leptos_axum::redirect(&page(&org, &id));
    Ok(())
}

#[server(endpoint = "delete_endpoint")]
pub async fn delete_endpoint(org: String, id: String) -> Result<(), AppError> {
    let (member, mut conn) = crate::state::member(&org).await?;
    switchyard::webhooks::endpoints::delete(&mut conn, &member, &parse(&id)?).await?;
    leptos_axum::redirect(&format!("/o/{org}/settings#webhooks"));
    Ok(())
}
