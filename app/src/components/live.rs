//! Following what is still changing (a run in flight, a batch of retries) without a meta
//! refresh, which reloads the page under a screen reader's feet: with JavaScript on, the page
//! reads it again every two seconds; without, a link shows the latest.

use leptos::prelude::*;

/// Calls `poll` every two seconds in the browser, for as long as the page shows it.
pub fn follow(poll: impl Fn() + Clone + 'static) {
    Effect::new(move |_| {
        let poll = poll.clone();
        if let Ok(handle) = set_interval_with_handle(poll, std::time::Duration::from_secs(2)) {
            on_cleanup(move || handle.clear());
        }
    });
}

/// The link that shows the latest state without JavaScript.
#[component]
pub fn ShowLatest(href: String) -> impl IntoView {
    view! { <a class="button" href=href>"Show the latest"</a> }
}
