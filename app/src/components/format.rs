//! How values read on a page: times, rates, statuses.

use leptos::prelude::*;
use switchyard_model::Status;
use time::OffsetDateTime;
use time::macros::format_description;

pub fn time(t: OffsetDateTime) -> String {
    t.format(format_description!(
        "[year]-[month]-[day] [hour]:[minute] UTC"
    ))
    .unwrap_or_default()
}

pub fn maybe_time(t: Option<OffsetDateTime>) -> String {
    t.map(time).unwrap_or_else(|| "Never".to_owned())
}

pub fn rate(rate: Option<f64>) -> String {
    rate.map(|r| format!("{:.1}%", r * 100.0))
        .unwrap_or_else(|| "—".to_owned())
}

/// A coloured status label.
#[component]
pub fn StatusBadge(status: Status) -> impl IntoView {
    view! { <span class=format!("badge status-{}", status.as_str().to_lowercase())>{status.as_str()}</span> }
}
