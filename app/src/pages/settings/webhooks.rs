//! The settings page's webhook endpoints (Admins): each with its URL, event types and state,
//! linking to its page of deliveries; and the form that adds one.

use crate::components::field::{FieldMessage, TextField};
use crate::components::format::When;
use crate::error::AppError;
use crate::server_fns::webhooks::{CreateEndpoint, WebhooksView, list_endpoints};
use leptos::prelude::*;
use switchyard_model::webhook::{CHOICES, EndpointSummary, WELL_KNOWN};

#[component]
pub(super) fn Webhooks(org: String) -> impl IntoView {
    let slug = org.clone();
    let data = Resource::new(move || slug.clone(), list_endpoints);
    view! {
        <section id="webhooks" aria-labelledby="webhooks-title">
            <h2 id="webhooks-title">"Webhooks"</h2>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let org = org.clone();
                    Suspend::new(async move {
                        match data.await {
                            Ok(view) => view! { <Endpoints view org /> }.into_any(),
                            Err(AppError::Forbidden) => view! {
                                <p class="hint">"Only Admins of this organization see and set its webhook endpoints."</p>
                            }.into_any(),
                            Err(err) => crate::pages::error_view(err),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn Endpoints(view: WebhooksView, org: String) -> impl IntoView {
    view! {
        <p class="hint">"Switchyard tells other systems what happens here: each event of the chosen types is sent to the URL as a signed POST (Standard Webhooks), tried again for a day and a half if it does not get through."</p>
        {(!view.keeps_secrets).then(|| view! {
            <p class="problem" role="note">"This server keeps no secrets, so it cannot sign webhooks: its operator has not set SWITCHYARD_SECRETS_KEY (see the README)."</p>
        })}
        <EndpointTable endpoints=view.endpoints org=org.clone() />
        <NewEndpoint org />
    }
}

#[component]
fn EndpointTable(endpoints: Vec<EndpointSummary>, org: String) -> impl IntoView {
    if endpoints.is_empty() {
        return view! { <p class="empty">"No webhook endpoints yet."</p> }.into_any();
    }
    view! {
        <table class="workflows endpoints" tabindex="0">
            <thead><tr>
                <th scope="col">"URL"</th><th scope="col">"Sent"</th><th scope="col">"State"</th><th scope="col">"Added"</th>
            </tr></thead>
            <tbody>
                {endpoints.into_iter().map(|e| {
                    let href = format!("/o/{org}/settings/webhooks/{}", e.id);
                    let state = match &e.disabled {
                        Some((_, why)) => format!("Disabled: {why}"),
                        None => "Active".to_owned(),
                    };
                    view! {
                        <tr>
                            <td><a href=href>{e.url.clone()}</a>{(!e.description.is_empty()).then(|| view! { <br /><span class="hint">{e.description.clone()}</span> })}</td>
                            <td>{e.events.join(", ")}</td>
                            <td>{state}</td>
                            <td><When at=e.created_at /></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn NewEndpoint(org: String) -> impl IntoView {
    let create = ServerAction::<CreateEndpoint>::new();
    let error = move || create.value().get().and_then(|r| r.err());
    view! {
        <h3>"Add an endpoint"</h3>
        <ActionForm action=create attr:class="new-endpoint" attr:novalidate="true">
            <input type="hidden" name="org" value=org />
            {move || {
                let error = error();
                let field = |name: &str| error.as_ref().and_then(|e| e.field(name));
                let kept = |name: &str| error.as_ref().and_then(|e| e.kept(name)).unwrap_or_default();
                let other = error.as_ref().and_then(AppError::general);
                let events_error = field("events");
                let invalid = events_error.is_some();
                view! {
                    {other.map(|message| view! { <p class="problem" role="alert">{message}</p> })}
                    <TextField id="endpoint_url" name="url" label="URL" value=kept("url") kind="url"
                        placeholder="https://example.com/hooks/switchyard" error=field("url") />
                    <fieldset class="field scopes" class:invalid=invalid aria-describedby=invalid.then_some("endpoint_events-error")>
                        <legend>"What it is sent"</legend>
                        {CHOICES.iter().zip(WELL_KNOWN).map(|((name, kind), (_, label))| {
                            let id = format!("endpoint_event_{name}");
                            view! {
                                <div class="check">
                                    <input type="checkbox" id=id.clone() name=*name value="on" checked=*name == "run_failed" />
                                    <label for=id>{*label}" "<code>{*kind}</code></label>
                                </div>
                            }
                        }).collect_view()}
                        <TextField id="endpoint_other_events" name="other_events" label="Other events of this organization (optional)"
                            value=kept("other_events") placeholder="Deal.won, Contact.created"
                            hint="Event types as Noun.verb, separated by commas." error=None />
                        <FieldMessage id="endpoint_events" message=events_error />
                    </fieldset>
                    <TextField id="endpoint_description" name="description" label="Description (optional)" value=kept("description")
                        placeholder="Our CRM's inbox" error=field("description") />
                }
            }}
            <button type="submit" class="primary">"Add endpoint"</button>
        </ActionForm>
    }
}
