//! Switchyard's pages, components and server functions. Every page renders on the server
//! and works with JavaScript off. The browser hydrates only islands (`components::live`):
//! the conveniences, never the function.

pub mod components;
pub mod error;
pub mod form_ops;
pub mod pages;
pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod state;

/// Percent-encodes `s` for a query string value (`/` stays as it is, as RFC 3986 allows).
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

use components::layout::OrgLayout;
use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{SsrMode, path};
use pages::dashboard::DashboardPage;
use pages::endpoint::EndpointPage;
use pages::run_list::{OrgRuns, WorkflowRuns};
use pages::runs::RunPage;
use pages::versions::VersionsPage;
use pages::{
    account::AccountPage, audit::AuditPage, events::Events, invite::InvitePage, login::Login,
    logout::Logout, not_found::NotFound, orgs::Orgs, reset::ForgotPage, reset::ResetPage,
    settings::Settings,
};
use pages::{
    workflow_detail::WorkflowDetail,
    workflow_form::{EditWorkflow, NewWorkflow},
    workflow_list::WorkflowList,
};

/// The HTML document around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <HashedStylesheet options=options.clone() id="leptos" />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <components::live::Hydrated />
        <Title formatter=|page: String| if page.is_empty() { "Switchyard".to_owned() } else { format!("{page} · Switchyard") } />
        <Router>
            <Routes fallback=|| view! { <NotFound /> }>
                <Route path=path!("/") view=Orgs ssr=SsrMode::Async />
                <Route path=path!("/login") view=Login ssr=SsrMode::Async />
                <Route path=path!("/logout") view=Logout ssr=SsrMode::Async />
                <Route path=path!("/orgs") view=Orgs ssr=SsrMode::Async />
                <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async />
                <Route path=path!("/invite/:token") view=InvitePage ssr=SsrMode::Async />
                <Route path=path!("/forgot") view=ForgotPage ssr=SsrMode::Async />
                <Route path=path!("/reset/:token") view=ResetPage ssr=SsrMode::Async />
                <ParentRoute path=path!("/o/:org") view=OrgLayout ssr=SsrMode::Async>
                    <Route path=path!("dashboard") view=DashboardPage ssr=SsrMode::Async />
                    <Route path=path!("workflows") view=WorkflowList ssr=SsrMode::Async />
                    <Route path=path!("settings") view=Settings ssr=SsrMode::Async />
                    <Route path=path!("settings/webhooks/:id") view=EndpointPage ssr=SsrMode::Async />
                    <Route path=path!("events") view=Events ssr=SsrMode::Async />
                    <Route path=path!("audit") view=AuditPage ssr=SsrMode::Async />
                    <Route path=path!("workflows/new") view=NewWorkflow ssr=SsrMode::Async />
                    <Route path=path!("workflows/:id") view=WorkflowDetail ssr=SsrMode::Async />
                    <Route path=path!("workflows/:id/edit") view=EditWorkflow ssr=SsrMode::Async />
                    <Route path=path!("workflows/:id/runs") view=WorkflowRuns ssr=SsrMode::Async />
                    <Route path=path!("workflows/:id/versions") view=VersionsPage ssr=SsrMode::Async />
                    <Route path=path!("runs") view=OrgRuns ssr=SsrMode::Async />
                    <Route path=path!("runs/:id") view=RunPage ssr=SsrMode::Async />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
