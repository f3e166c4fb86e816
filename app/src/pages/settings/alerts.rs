//! The settings page's alerts (Admins): for each kind of alert, the members it is emailed to
//! and the quiet time between two emails about one workflow. Webhook endpoints take the same
//! alerts as events (`workflow.high_failure_rate`, `FailureGroup.opened`, `Endpoint.disabled`).

use crate::components::field::TextField;
use crate::error::AppError;
use crate::server_fns::alerts::{SaveAlertRule, get_alerts};
use leptos::prelude::*;
use switchyard_model::alert_rule::{AlertRule, AlertSettings};

#[component]
pub(super) fn Alerts(org: String, email_on: bool) -> impl IntoView {
    let slug = org.clone();
    let data = Resource::new(move || slug.clone(), get_alerts);
    view! {
        <section id="alerts" aria-labelledby="alerts-title">
            <h2 id="alerts-title">"Alerts"</h2>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let org = org.clone();
                    Suspend::new(async move {
                        match data.await {
                            Ok(settings) => view! { <Rules settings org email_on /> }.into_any(),
                            Err(AppError::Forbidden) => view! {
                                <p class="hint">"Only Admins of this organization choose who its alerts are emailed to. You can turn off the ones you get under Your account."</p>
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
fn Rules(settings: AlertSettings, org: String, email_on: bool) -> impl IntoView {
    let save = ServerAction::<SaveAlertRule>::new();
    let error = move || save.value().get().and_then(|r| r.err());
    view! {
        <p class="hint">"Who is emailed when something breaks. Until you choose, it is this organization's Admins, at most once an hour per workflow. Members can turn off the alert emails they get under Your account. To send alerts to another system, add a webhook endpoint that takes them."</p>
        {(!email_on).then(|| view! { <p class="problem" role="note">"Email is off on this server, so no alert is emailed (see Email below)."</p> })}
        {move || error().map(|e| {
            let message = e.field("email_to").or_else(|| e.field("quiet_minutes")).unwrap_or_else(|| e.to_string());
            view! { <p class="problem" role="alert">{message}</p> }
        })}
        {settings.rules.into_iter().map(|rule| view! {
            <Rule rule members=settings.members.clone() org=org.clone() save />
        }).collect_view()}
    }
}

#[component]
fn Rule(
    rule: AlertRule,
    members: Vec<switchyard_model::alert_rule::Recipient>,
    org: String,
    save: ServerAction<SaveAlertRule>,
) -> impl IntoView {
    let kind = rule.kind.as_str();
    let legend = rule.kind.label();
    view! {
        <ActionForm action=save attr:class="alert-rule" attr:novalidate="true">
            <input type="hidden" name="org" value=org />
            <input type="hidden" name="kind" value=kind />
            <fieldset class="field scopes">
                <legend>{legend}{rule.default.then_some(" (not chosen yet: the Admins)")}</legend>
                {members.into_iter().enumerate().map(|(n, m)| {
                    let id = format!("alert_{kind}_{n}");
                    let checked = rule.email_to.contains(&m.user);
                    let note = if m.opted_out { " (turned alert emails off)" } else { "" };
                    view! {
                        <div class="check">
                            <input type="checkbox" id=id.clone() name=format!("email_to[{n}]") value=m.user.to_string() checked=checked />
                            <label for=id>{format!("{} ", m.name)}<span class="hint">{format!("{}{note}", m.email)}</span></label>
                        </div>
                    }
                }).collect_view()}
                <TextField id=format!("alert_{kind}_quiet") name="quiet_minutes" label=format!("At most one email per {} every (minutes)", if rule.kind == switchyard_model::alert_rule::AlertKind::EndpointDisabled { "endpoint" } else { "workflow" })
                    value=rule.quiet_minutes.to_string() kind="number" error=None />
            </fieldset>
            <button type="submit">"Save"</button>
        </ActionForm>
    }
}
