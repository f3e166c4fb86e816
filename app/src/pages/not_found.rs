//! The page for anything that does not exist (or that the user may not know exists).

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <main class="page narrow">
            <NotFoundBody />
        </main>
    }
}

/// The 404 content, also used inside an organization's frame.
#[component]
pub fn NotFoundBody() -> impl IntoView {
    super::set_status(404);
    view! {
        <Title text="Not found" />
        <h1>"Not found"</h1>
        <p>"This page does not exist, or you do not have access to it."</p>
        <p><a href="/orgs">"Go to your organizations"</a></p>
    }
}
