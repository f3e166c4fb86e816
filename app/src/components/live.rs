//! The page's two islands, the only parts of Switchyard the browser runs: every page is
//! rendered on the server and works as plain HTML; these add the conveniences.
//!
//! Following what is still changing (a run in flight, a batch of retries) is done without a
//! meta refresh, which reloads the page under a screen reader's feet: a page marks what changes
//! as live regions, and with JavaScript on, `Follow` reads the page again every two seconds and
//! puts its new regions in place of the old ones, until none is following any more. Without
//! JavaScript, a link shows the latest.

use leptos::prelude::*;

/// A part of the page that `Follow` keeps up to date while `following`. Its `id` names it in
/// the page read again.
#[component]
pub fn LiveRegion(id: &'static str, following: bool, children: Children) -> impl IntoView {
    view! { <div id=id data-live=if following { "on" } else { "off" }>{children()}</div> }
}

/// Keeps the page's live regions up to date while one of them is following.
#[island]
pub fn Follow() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    browser::follow();
}

/// Marks the page once the browser has loaded its islands: browser tests and the load-time
/// benchmark wait for `body[data-hydrated]`.
#[island]
pub fn Hydrated() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    if let Some(body) = document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}

/// The link that shows the latest state without JavaScript.
#[component]
pub fn ShowLatest(href: String) -> impl IntoView {
    view! { <a class="button" href=href>"Show the latest"</a> }
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use std::time::Duration;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{DomParser, Element, Response, SupportedType};

    /// Reads the page again in two seconds, and again after that while a region follows.
    pub fn follow() {
        set_timeout(
            || {
                leptos::task::spawn_local(async {
                    // A failed read (the network, a server restarting) is tried again.
                    if refresh().await.unwrap_or(true) {
                        follow();
                    }
                })
            },
            Duration::from_secs(2),
        );
    }

    /// Puts the page's regions as the server renders them now in place of ours. `false` once no
    /// region follows, or the page is gone (signed out, deleted).
    async fn refresh() -> Result<bool, JsValue> {
        let here = document();
        if here.query_selector("[data-live=on]")?.is_none() {
            return Ok(false);
        }
        let href = window().location().href()?;
        let response: Response = JsFuture::from(window().fetch_with_str(&href))
            .await?
            .unchecked_into();
        if !response.ok() || response.redirected() {
            return Ok(false);
        }
        let text = JsFuture::from(response.text()?).await?;
        let html = text.as_string().unwrap_or_default();
        let fresh = DomParser::new()?.parse_from_string(&html, SupportedType::TextHtml)?;
        let regions = here.query_selector_all("[data-live]")?;
        let mut replaced = false;
        for i in 0..regions.length() {
            let Some(old) = regions.item(i).and_then(|n| n.dyn_into::<Element>().ok()) else {
                continue;
            };
            if let Some(new) = fresh.get_element_by_id(&old.id()) {
                old.replace_with_with_node_1(&new)?;
                replaced = true;
            }
        }
        // A page without our regions (an error page) is not followed.
        Ok(replaced && here.query_selector("[data-live=on]")?.is_some())
    }
}
