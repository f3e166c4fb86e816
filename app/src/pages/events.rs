//! `/o/{org}/events`: every event, newest first, with what it started and which paused
//! workflows ignored it.

use crate::components::format::When;
use crate::components::layout::org_param;
use crate::server_fns::events::event_log;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use switchyard_model::entity::EventLogEntry;

#[component]
pub fn Events() -> impl IntoView {
    let org = org_param();
    let query = use_query_map();
    let filters = Memo::new(move |_| {
        let q = query.read();
        (
            q.get("type").unwrap_or_default(),
            q.get("before").unwrap_or_default(),
            q.get("system").unwrap_or_default(),
        )
    });
    let page = Resource::new(
        move || (org.get(), filters.get()),
        |(org, (t, before, system))| event_log(org, t, before, system),
    );
    view! {
        <Title text="Events" />
        <h1>"Events"</h1>
        <form method="get" class="filters" role="search">
            <div class="field">
                <label for="type">"Event type"</label>
                <input type="text" id="type" name="type" value=move || filters.get().0 placeholder="Deal.won" />
            </div>
            <div class="field check">
                <input type="checkbox" id="system" name="system" value="1" checked=move || !filters.get().2.is_empty() />
                <label for="system">"Include Switchyard's own events"</label>
                <p class="hint">"Workflows changed, runs retried, sign-ins: left out unless you ask for them or for their type."</p>
            </div>
            <button type="submit">"Show"</button>
        </form>
        <Suspense fallback=|| view! { <p>"Loading events…"</p> }>
            {move || Suspend::new(async move {
                let org = org.get_untracked();
                let (event_type, _, system) = filters.get_untracked();
                match page.await {
                    Ok(page) if page.entries.is_empty() => view! {
                        <div class="empty">
                            <p>{if !event_type.is_empty() { format!("No {event_type} events.") } else if system.is_empty() { "No events from your other systems yet.".to_owned() } else { "No events yet.".to_owned() }}</p>
                            {(event_type.is_empty() && system.is_empty()).then(|| view! { <p><a href=format!("/o/{org}/events?system=1")>"Include Switchyard's own events"</a></p> })}
                            <p>"Events arrive from other systems through the API (create a key in " <a href=format!("/o/{org}/settings")>"Settings"</a> "), and from changes made here."</p>
                        </div>
                    }.into_any(),
                    Ok(page) => {
                        let older = page.before.map(|b| format!("/o/{org}/events?type={}&system={system}&before={b}", crate::urlencode(&event_type)));
                        view! {
                            <table class="workflows events-log" tabindex="0">
                                <thead><tr>
                                    <th scope="col">"When"</th><th scope="col">"Event"</th>
                                    <th scope="col">"Started"</th><th scope="col">"Ignored while paused"</th>
                                </tr></thead>
                                <tbody>
                                    {page.entries.into_iter().map(|entry| view! { <EventRow org=org.clone() entry /> }).collect_view()}
                                </tbody>
                            </table>
                            <nav class="pager" aria-label="Pages">
                                {older.map(|href| view! { <a href=href rel="next">"Older events"</a> })}
                            </nav>
                        }.into_any()
                    }
                    Err(err) => crate::pages::error_view(err),
                }
            })}
        </Suspense>
    }
}

#[component]
fn EventRow(org: String, entry: EventLogEntry) -> impl IntoView {
    let e = entry.event;
    view! {
        <tr>
            <td><When at=e.created_at /></td>
            <td><code>{e.event_type.clone()}</code><br /><span class="hint">{e.source.label()}</span>
                {e.note.clone().map(|n| view! { <p class="notice">{n}</p> })}</td>
            <td>
                {if entry.triggered.is_empty() { view! { <span class="hint">"Nothing"</span> }.into_any() } else {
                    view! { <ul class="plain">{entry.triggered.into_iter().map(|r| view! {
                        <li><a href=format!("/o/{org}/workflows/{}", r.workflow)>{r.workflow_name}</a> " · " {r.status.label()}</li>
                    }).collect_view()}</ul> }.into_any()
                }}
            </td>
            <td>
                <ul class="plain">{entry.ignored.into_iter().map(|w| view! {
                    <li><a href=format!("/o/{org}/workflows/{}", w.id)>{w.name}</a></li>
                }).collect_view()}</ul>
            </td>
        </tr>
    }
}
