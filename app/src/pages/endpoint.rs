//! `/o/{org}/settings/webhooks/{id}`: one webhook endpoint (Admins): what it is sent, its
//! secret once when just made or rotated, "Send a test event", the delivery log with each
//! attempt (filtered by status and event type, a page at a time), "Resend" for one and for
//! every failed one of a while, enabling a disabled one, and deleting (asked twice).

use crate::components::format::{MaybeWhen, When};
use crate::components::layout::org_param;
use crate::server_fns::webhooks::{
    DeleteEndpoint, EnableEndpoint, EndpointView, ResendDelivery, ResendFailedDeliveries,
    RotateEndpointSecret, SendTestEvent, get_endpoint,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use switchyard_model::webhook::{DeliveryStatus, DeliveryView};

#[component]
pub fn EndpointPage() -> impl IntoView {
    let org = org_param();
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let asked = move |key: &str| query.read().get(key).unwrap_or_default();
    let data = Resource::new(
        move || {
            (
                org.get(),
                id.get(),
                asked("status"),
                asked("event_type"),
                asked("before"),
            )
        },
        |(org, id, status, event_type, before)| get_endpoint(org, id, status, event_type, before),
    );
    view! {
        <Title text="Webhook endpoint" />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let deleting = query.read().get("delete").is_some();
                Suspend::new(async move {
                    match data.await {
                        Ok(view) => view! { <Endpoint view org=org.get_untracked() deleting /> }.into_any(),
                        Err(err) => crate::pages::error_view(err),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn Endpoint(view: EndpointView, org: String, deleting: bool) -> impl IntoView {
    let e = view.endpoint.clone();
    let id = e.id.clone();
    let back = format!("/o/{org}/settings#webhooks");
    view! {
        <p><a href=back>"← Settings"</a></p>
        <h1>"Webhook endpoint"</h1>
        <p class="endpoint-url"><code>{e.url.clone()}</code></p>
        {(!e.description.is_empty()).then(|| view! { <p>{e.description.clone()}</p> })}
        {view.secret.map(|secret| view! {
            <div class="problem conflict" role="status" id="endpoint-secret">
                <h2>"Its signing secret"</h2>
                <p><code class="secret">{secret}</code></p>
                <p>"Copy it now into the receiving system: it will not be shown again. The receiver checks each delivery's webhook-signature with it (see the README)."</p>
            </div>
        })}
        {view.done.map(|said| view! { <p class="done" role="status" id="endpoint-done">{said}</p> })}
        <dl class="facts">
            <dt>"Sent"</dt><dd>{e.events.join(", ")}</dd>
            <dt>"Added"</dt><dd><When at=e.created_at /></dd>
            <dt>"State"</dt><dd>{match &e.disabled {
                Some((at, why)) => view! { "Disabled " <When at=*at /> ": " {why.clone()} }.into_any(),
                None => "Active: deliveries go out as events happen".into_any(),
            }}</dd>
            {e.previous_secret_until.map(|until| view! {
                <dt>"Previous secret"</dt><dd>"Still signs too, until " <When at=until /></dd>
            })}
        </dl>
        <Actions org=org.clone() id=id.clone() disabled=e.disabled.is_some() deleting />
        <Log view=view.page.clone() org id />
    }
}

#[component]
fn Actions(org: String, id: String, disabled: bool, deleting: bool) -> impl IntoView {
    let test = ServerAction::<SendTestEvent>::new();
    let rotate = ServerAction::<RotateEndpointSecret>::new();
    let enable = ServerAction::<EnableEndpoint>::new();
    let delete = ServerAction::<DeleteEndpoint>::new();
    let here = format!("/o/{org}/settings/webhooks/{id}");
    let ask = format!("{here}?delete=1");
    let target = [0; 4].map(|_| (org.clone(), id.clone()));
    let [t1, t2, t3, t4] = target;
    let refusal = move || {
        [
            test.value().get(),
            rotate.value().get(),
            enable.value().get(),
            delete.value().get(),
        ]
        .into_iter()
        .flatten()
        .find_map(|r| r.err())
    };
    view! {
        {move || refusal().map(|e| view! { <p class="problem" role="alert">{e.to_string()}</p> })}
        <div class="actions">
            <ActionForm action=test attr:class="inline"><Target to=t1 /><button type="submit" class="primary">"Send a test event"</button></ActionForm>
            <ActionForm action=rotate attr:class="inline"><Target to=t2 /><button type="submit">"Rotate secret"</button></ActionForm>
            {disabled.then(|| view! {
                <ActionForm action=enable attr:class="inline"><Target to=t3 /><button type="submit">"Send to it again"</button></ActionForm>
            })}
            {if deleting {
                view! {
                    <ActionForm action=delete attr:class="inline">
                        <Target to=t4 />
                        <span>"Nothing more is sent to it, and its log goes. "</span>
                        <button type="submit" class="danger">"Delete for good"</button>
                        " " <a href=here.clone()>"Keep it"</a>
                    </ActionForm>
                }.into_any()
            } else {
                view! { <a class="button danger" href=ask>"Delete"</a> }.into_any()
            }}
        </div>
        <p class="hint">"Rotating makes a new secret, shown once; the current one keeps signing too for 24 hours, so the receiver can change over."</p>
    }
}

/// The endpoint a form acts on.
#[component]
fn Target(to: (String, String)) -> impl IntoView {
    view! {
        <input type="hidden" name="org" value=to.0 />
        <input type="hidden" name="id" value=to.1 />
    }
}

#[component]
fn Log(view: switchyard_model::webhook::DeliveryPage, org: String, id: String) -> impl IntoView {
    let query = use_query_map();
    let chosen = move |key: &str| query.read_untracked().get(key).unwrap_or_default();
    let status = chosen("status");
    let event_type = chosen("event_type");
    let here = format!("/o/{org}/settings/webhooks/{id}");
    let older = view.next_before.clone().map(|before| {
        format!(
            "{here}?status={}&event_type={}&before={before}",
            crate::urlencode(&status),
            crate::urlencode(&event_type)
        )
    });
    let resend_failed = ServerAction::<ResendFailedDeliveries>::new();
    view! {
        <section aria-labelledby="deliveries-title">
            <h2 id="deliveries-title">"Deliveries"</h2>
            <form method="get" action=here.clone() class="filters">
                <div class="field">
                    <label for="delivery_status">"Status"</label>
                    <select id="delivery_status" name="status">
                        <option value="" selected=status.is_empty()>"Any"</option>
                        {DeliveryStatus::ALL.into_iter().map(|s| view! {
                            <option value=s.as_str() selected=status == s.as_str()>{s.as_str()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="delivery_type">"Event type"</label>
                    <input type="text" id="delivery_type" name="event_type" value=event_type.clone() placeholder="Run.failed" />
                </div>
                <button type="submit">"Show"</button>
            </form>
            {if view.deliveries.is_empty() {
                view! { <p class="empty">"No deliveries yet: they appear here as events of its types happen, or send a test event."</p> }.into_any()
            } else {
                view! {
                    <ol class="deliveries">
                        {view.deliveries.into_iter().map(|d| view! { <Delivery d org=org.clone() id=id.clone() /> }).collect_view()}
                    </ol>
                }.into_any()
            }}
            {older.map(|href| view! { <p><a href=href>"Older deliveries →"</a></p> })}
            <ActionForm action=resend_failed attr:class="inline resend-failed">
                <input type="hidden" name="org" value=org.clone() />
                <input type="hidden" name="id" value=id.clone() />
                <label for="resend_within">"Resend every failed delivery of the last"</label>
                " "
                <select id="resend_within" name="within">
                    <option value="1h">"hour"</option>
                    <option value="24h" selected=true>"24 hours"</option>
                    <option value="7d">"7 days"</option>
                    <option value="30d">"30 days"</option>
                </select>
                " "
                <button type="submit">"Resend failed"</button>
            </ActionForm>
        </section>
    }
}

/// One delivery: its event, where it stands, and each attempt.
#[component]
fn Delivery(d: DeliveryView, org: String, id: String) -> impl IntoView {
    let resend = ServerAction::<ResendDelivery>::new();
    let state = match d.status {
        DeliveryStatus::Delivered => "Delivered".to_owned(),
        DeliveryStatus::Failed => "Failed".to_owned(),
        DeliveryStatus::Pending if d.attempts.is_empty() => "Waiting to be sent".to_owned(),
        DeliveryStatus::Pending => "Failed so far; tried again".to_owned(),
    };
    let class = format!("delivery delivery-{}", d.status.as_str().to_lowercase());
    let tries = d.attempts.len();
    view! {
        <li class=class>
            <p>
                <strong>{d.event_type.clone()}</strong>" · "{state}" · "<When at=d.created_at />
                {d.next_at.filter(|_| tries > 0).map(|at| view! { " · next try " <MaybeWhen at=Some(at) /> })}
            </p>
            <p class="hint"><code>{d.id.clone()}</code></p>
            {(tries > 0).then(|| view! {
                <details>
                    <summary>{format!("{tries} attempt{}", if tries == 1 { "" } else { "s" })}</summary>
                    <table class="workflows attempts" tabindex="0">
                        <thead><tr><th scope="col">"When"</th><th scope="col">"Answer"</th><th scope="col">"Took"</th><th scope="col">"What it said"</th></tr></thead>
                        <tbody>
                            {d.attempts.iter().map(|a| view! {
                                <tr>
                                    <td><When at=a.at /></td>
                                    <td>{a.status.map_or_else(|| "None".to_owned(), |s| s.to_string())}</td>
                                    <td>{switchyard_model::timefmt::duration_ms(i64::from(a.duration_ms))}</td>
                                    <td><code class="answer">{a.answer.clone()}</code></td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </details>
            })}
            {(d.status != DeliveryStatus::Pending).then(|| view! {
                <ActionForm action=resend attr:class="inline">
                    <input type="hidden" name="org" value=org.clone() />
                    <input type="hidden" name="id" value=id.clone() />
                    <input type="hidden" name="delivery" value=d.id.clone() />
                    <button type="submit" class="small">"Resend"</button>
                </ActionForm>
            })}
        </li>
    }
}
