//! The frame of every organization page: who is signed in, where, and the way out.

use crate::server_fns::auth::{Logout, current_member};
use leptos::prelude::*;
use leptos_router::components::{A, Outlet};
use leptos_router::hooks::use_params_map;

/// The `org` path parameter of the current route.
pub fn org_param() -> Memo<String> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("org").unwrap_or_default())
}

/// The organization pages' frame. The page itself renders outside the header's Suspense,
/// so that it is rendered once and answers for itself (404 for a stranger's org).
#[component]
pub fn OrgLayout() -> impl IntoView {
    let org = org_param();
    let member = Resource::new(move || org.get(), current_member);
    view! {
        <Suspense fallback=|| view! { <header class="topbar"><span class="brand">"Switchyard"</span></header> }>
            {move || Suspend::new(async move {
                match member.await {
                    Ok(member) => view! { <TopBar member /> }.into_any(),
                    Err(_) => view! { <header class="topbar"><a class="brand" href="/orgs">"Switchyard"</a></header> }.into_any(),
                }
            })}
        </Suspense>
        <main class="page">
            <Outlet />
        </main>
    }
}

#[component]
fn TopBar(member: switchyard_model::Member) -> impl IntoView {
    let slug = member.org.slug.clone();
    view! {
        <header class="topbar">
            <a class="brand" href=format!("/o/{slug}/dashboard")>"Switchyard"</a>
            // On a narrow screen the menu folds behind a "Menu" button; a checkbox does it, so it
            // works without JavaScript. On a wide one the button is not there.
            <input type="checkbox" id="menu-open" class="menu-open" aria-controls="menu" />
            <label for="menu-open" class="menu-button">"Menu"</label>
            <div class="menu" id="menu">
            <nav aria-label="Main">
                <A href=format!("/o/{slug}/dashboard")>"Dashboard"</A>
                <A href=format!("/o/{slug}/workflows")>"Workflows"</A>
                <A href=format!("/o/{slug}/runs")>"Runs"</A>
                <A href=format!("/o/{slug}/events")>"Events"</A>
                <A href=format!("/o/{slug}/settings")>"Settings"</A>
                {member.role.may_administer().then(|| view! { <A href=format!("/o/{slug}/audit")>"Audit"</A> })}
            </nav>
            <div class="who">
                <span class="org-name">{member.org.name.clone()}</span>
                <a href="/orgs" class="switch">"Switch organization"</a>
                <a class="user" href="/account">{member.display_name.clone()} " · " {member.role.as_str()}</a>
                <SignOut />
            </div>
            </div>
        </header>
    }
}

/// The sign-out button: a form, so that it works without JavaScript.
#[component]
pub fn SignOut() -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    view! {
        <ActionForm action=logout attr:class="inline">
            <button type="submit" class="link">"Sign out"</button>
        </ActionForm>
    }
}
