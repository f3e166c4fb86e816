//! How values read on a page: times, rates, statuses.
//!
//! Times read one way everywhere, "Dec 7, 14:24", in the organization's time zone, with the
//! exact moment and the zone on hover (`When`).

use leptos::prelude::*;
use switchyard_model::Status;
use switchyard_model::timefmt::Moment;
use time::OffsetDateTime;

/// The time zone this request's page shows times in: the organization's, once a server
/// function looked up the member (every organization page does before it shows a time); UTC
/// on the pages of no organization (the account page).
fn zone() -> String {
    #[cfg(feature = "ssr")]
    {
        use_context::<crate::state::RequestZone>()
            .and_then(|z| z.get().map(str::to_owned))
            .unwrap_or_else(|| "UTC".to_owned())
    }
    #[cfg(not(feature = "ssr"))]
    {
        "UTC".to_owned()
    }
}

fn moment(t: OffsetDateTime) -> Moment {
    // Only the server renders times; the browser's build has no clock to ask.
    #[cfg(feature = "ssr")]
    let now = OffsetDateTime::now_utc();
    #[cfg(not(feature = "ssr"))]
    let now = t;
    Moment::new(t, &zone(), now)
}

/// A moment for a sentence: "Dec 7, 14:24".
pub fn time(t: OffsetDateTime) -> String {
    moment(t).short
}

/// A moment on its own (a table cell, a detail): "Dec 7, 14:24", the exact time on hover.
#[component]
pub fn When(at: OffsetDateTime) -> impl IntoView {
    let m = moment(at);
    view! { <time datetime=m.machine title=m.exact>{m.short}</time> }
}

/// `When`, or `none` ("Never").
#[component]
pub fn MaybeWhen(
    at: Option<OffsetDateTime>,
    #[prop(default = "Never")] none: &'static str,
) -> impl IntoView {
    match at {
        Some(at) => leptos::either::Either::Left(view! { <When at /> }),
        None => leptos::either::Either::Right(none),
    }
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
