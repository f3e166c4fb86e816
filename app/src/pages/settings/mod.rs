//! `/o/{org}/settings`: the dashboard's preferences, the members (`members`), the API keys
//! (`keys`), the secrets (`secrets`), who alerts are emailed to (`alerts`), webhook endpoints
//! (`webhooks`) and email (`email`).

mod alerts;
mod email;
mod keys;
mod members;
mod secrets;
mod webhooks;

use crate::components::field::TextField;
use crate::components::layout::org_param;
use crate::server_fns::settings::{
    CreateApiKey, RevokeApiKey, SavePreferences, SettingsView, get_settings,
};
use keys::SettingsBody;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use members::{Members, TeamActions};

#[component]
pub fn Settings() -> impl IntoView {
    let org = org_param();
    let query = use_query_map();
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let prefs = ServerAction::<SavePreferences>::new();
    let team = TeamActions::new();
    let data = Resource::new(move || org.get(), get_settings);
    view! {
        <Title text="Settings" />
        <h1>"Settings"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let confirm = query.read().get("revoke");
                let removing = query.read().get("remove");
                let deleting = query.read().get("delete_secret");
                Suspend::new(async move {
                    match data.await {
                        Ok(view) => view! {
                            <Preferences view=view.clone() save=prefs />
                            <Members view=view.clone() team removing />
                            <SettingsBody view=view.clone() create revoke confirm />
                            <secrets::Secrets view=view.clone() confirm=deleting />
                            <alerts::Alerts org=view.member.org.slug.clone() email_on=view.email.is_on() />
                            <webhooks::Webhooks org=view.member.org.slug.clone() />
                            <email::Email view />
                        }.into_any(),
                        Err(err) => crate::pages::error_view(err),
                    }
                })
            }}
        </Suspense>
    }
}

/// The dashboard's threshold and the charts' time zone: a form for Admins, the values for others.
#[component]
fn Preferences(view: SettingsView, save: ServerAction<SavePreferences>) -> impl IntoView {
    let percent = format!("{}", (view.settings.threshold * 1000.0).round() / 10.0);
    let zone = view.settings.time_zone.clone();
    if !view.member.role.may_administer() {
        return view! {
            <section>
                <h2>"Dashboard"</h2>
                <p>{format!("A workflow needs attention above {percent}% failed runs. Times read in {zone}.")}</p>
            </section>
        }
        .into_any();
    }
    let error = move |field: &'static str| {
        save.value()
            .get()
            .and_then(|r| r.err())
            .and_then(|e| e.field(field))
    };
    let saved = move || save.value().get().is_some_and(|r| r.is_ok());
    view! {
        <section>
            <h2>"Dashboard"</h2>
            <ActionForm action=save attr:class="preferences" attr:novalidate="true">
                <input type="hidden" name="org" value=view.member.org.slug.clone() />
                <div class="grid two">
                    <TextField id="failure_threshold" name="failure_threshold" label="Failure threshold (%)" value=percent
                        hint="A workflow that fails more than this share of its runs needs attention, and raises an alert on the dashboard."
                        error=error("failureThreshold") />
                    <TextField id="time_zone" name="time_zone" label="Time zone" value=zone
                        hint="Every date on these pages reads in it: UTC, Europe/Paris, America/New_York…"
                        error=error("timeZone") />
                </div>
                <button type="submit" class="primary">"Save"</button>
                {move || saved().then(|| view! { <p class="hint" role="status">"Saved."</p> })}
            </ActionForm>
        </section>
    }
    .into_any()
}
