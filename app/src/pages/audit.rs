//! `/o/{org}/audit`: who did what, newest first, for Admins: sign-ins, members, keys,
//! workflows, retries; filtered by person and kind.

use crate::components::format::When;
use crate::components::layout::org_param;
use crate::server_fns::audit::get_audit;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use switchyard_model::read_model::audit::{KINDS, label};

#[component]
pub fn AuditPage() -> impl IntoView {
    let org = org_param();
    let query = use_query_map();
    let filters = Memo::new(move |_| {
        let q = query.read();
        (
            q.get("person").unwrap_or_default(),
            q.get("kind").unwrap_or_default(),
            q.get("before").unwrap_or_default(),
        )
    });
    let page = Resource::new(
        move || (org.get(), filters.get()),
        |(org, (person, kind, before))| get_audit(org, person, kind, before),
    );
    view! {
        <Title text="Audit" />
        <h1>"Audit"</h1>
        <p class="hint">"Who signed in and from where, and who changed members, API keys and workflows. Kept as long as events are."</p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let org = org.get_untracked();
                let (person, kind, _) = filters.get_untracked();
                match page.await {
                    Ok(page) => {
                        let older = page.next_before.map(|b| format!(
                            "/o/{org}/audit?person={}&kind={}&before={b}",
                            crate::urlencode(&person), crate::urlencode(&kind)
                        ));
                        let floods = (!page.floods.is_empty()).then(|| view! {
                            <div class="problem" role="alert" id="sign-in-floods">
                                <h2>"Someone is guessing passwords"</h2>
                                <ul class="plain">
                                    {page.floods.iter().map(|f| view! {
                                        <li>{format!(
                                            "{} ({}): {} wrong passwords in the last hour, from {} {}.",
                                            f.name, f.email, f.failures, f.networks,
                                            if f.networks == 1 { "network" } else { "networks" },
                                        )}</li>
                                    }).collect_view()}
                                </ul>
                                <p>"Their own sign-ins still work from their usual networks: wrong passwords slow down only the networks that send them. If the person did not make these tries, ask them to choose a new password on their account page."</p>
                            </div>
                        });
                        view! {
                            {floods}
                            <form method="get" class="filters" role="search">
                                <div class="field">
                                    <label for="person">"Person"</label>
                                    <select id="person" name="person">
                                        <option value="" selected=person.is_empty()>"Everyone"</option>
                                        {page.people.iter().map(|(id, name)| view! {
                                            <option value=id.clone() selected=*id == person>{name.clone()}</option>
                                        }).collect_view()}
                                    </select>
                                </div>
                                <div class="field">
                                    <label for="kind">"What"</label>
                                    <select id="kind" name="kind">
                                        <option value="" selected=kind.is_empty()>"Everything"</option>
                                        {KINDS.iter().map(|(k, l)| view! {
                                            <option value=*k selected=*k == kind>{*l}</option>
                                        }).collect_view()}
                                    </select>
                                </div>
                                <button type="submit">"Show"</button>
                            </form>
                            {if page.entries.is_empty() {
                                view! { <p class="empty">"Nothing recorded for this choice yet."</p> }.into_any()
                            } else {
                                view! {
                                    <table class="workflows audit" tabindex="0">
                                        <thead><tr>
                                            <th scope="col">"When"</th><th scope="col">"Who"</th>
                                            <th scope="col">"What"</th><th scope="col">"Details"</th>
                                        </tr></thead>
                                        <tbody>
                                            {page.entries.into_iter().map(|e| view! {
                                                <tr>
                                                    <td><When at=e.at /></td>
                                                    <td>{e.who}</td>
                                                    <td>{label(&e.kind).to_owned()}</td>
                                                    <td>{e.what}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                }.into_any()
                            }}
                            {older.map(|href| view! {
                                <nav class="pager" aria-label="Pages"><a href=href>"Older entries"</a></nav>
                            })}
                        }.into_any()
                    }
                    Err(err) => crate::pages::error_view(err),
                }
            })}
        </Suspense>
    }
}
