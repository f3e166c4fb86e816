//! `/logout`: a confirmation with the sign-out button (signing out is a POST).

use crate::components::layout::SignOut;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn Logout() -> impl IntoView {
    view! {
        <Title text="Sign out" />
        <main class="page narrow">
            <h1>"Sign out"</h1>
            <p>"Sign out of Switchyard on this browser?"</p>
            <SignOut />
        </main>
    }
}
