//! `/orgs`: the organizations of the signed-in user, to choose or switch.

use crate::components::layout::SignOut;
use crate::server_fns::auth::my_orgs;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn Orgs() -> impl IntoView {
    let orgs = Resource::new(|| (), |_| my_orgs());
    view! {
        <Title text="Your organizations" />
        <main class="page narrow">
            <h1>"Your organizations"</h1>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match orgs.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="empty">"You are not a member of any organization yet. Ask an Admin to add you."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="org-list">
                                {list.into_iter().map(|m| view! {
                                    <li>
                                        <a href=format!("/o/{}/dashboard", m.org.slug)>{m.org.name.clone()}</a>
                                        <span class="role">{m.role.as_str()}</span>
                                    </li>
                                }).collect_view()}
                            </ul>
                            <p><a href="/account">"Your account"</a></p>
                            <SignOut />
                        }.into_any(),
                        Err(err) => super::error_view(err),
                    }
                })}
            </Suspense>
        </main>
    }
}
