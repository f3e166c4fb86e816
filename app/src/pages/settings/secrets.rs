//! The settings page's secrets (Admins): the list by name, the hosts each may be sent to, who
//! set it and when; deleting asked twice; and the form that sets one. A value is never shown,
//! not even back in the form after a mistake.

use crate::components::field::{FieldMessage, TextField};
use crate::components::format::When;
use crate::server_fns::settings::{DeleteSecret, SetSecret, SettingsView};
use leptos::prelude::*;
use switchyard_model::secret::SecretSummary;

#[component]
pub(super) fn Secrets(view: SettingsView, confirm: Option<String>) -> impl IntoView {
    let org = view.member.org.slug.clone();
    let Some(secrets) = view.settings.secrets else {
        return view! {
            <section id="secrets" aria-labelledby="secrets-title">
                <h2 id="secrets-title">"Secrets"</h2>
                <p class="hint">"Only Admins of this organization see and set its secrets."</p>
            </section>
        }
        .into_any();
    };
    view! {
        <section id="secrets" aria-labelledby="secrets-title">
            <h2 id="secrets-title">"Secrets"</h2>
            <p class="hint">"Passwords and tokens of other systems, which workflows' HTTP steps send by name, and only to the hosts each lists. Nobody can read a value back, Admins included: to change one, set it again."</p>
            {(!view.keeps_secrets).then(|| view! {
                <p class="problem" role="note">"This server keeps no secrets: its operator has not set SWITCHYARD_SECRETS_KEY (see the README)."</p>
            })}
            <SecretTable secrets org=org.clone() confirm />
            <NewSecret org />
        </section>
    }
    .into_any()
}

#[component]
fn SecretTable(secrets: Vec<SecretSummary>, org: String, confirm: Option<String>) -> impl IntoView {
    if secrets.is_empty() {
        return view! { <p class="empty">"No secrets yet."</p> }.into_any();
    }
    let delete = ServerAction::<DeleteSecret>::new();
    view! {
        <table class="workflows secrets" tabindex="0">
            <thead><tr>
                <th scope="col">"Name"</th><th scope="col">"May be sent to"</th><th scope="col">"Used by"</th><th scope="col">"Set by"</th>
                <th scope="col">"When"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
            </tr></thead>
            <tbody>
                {secrets.into_iter().map(|s| {
                    let org = org.clone();
                    let asking = confirm.as_deref() == Some(s.name.as_str());
                    let ask = format!("/o/{org}/settings?delete_secret={}#secrets", s.name);
                    view! {
                        <tr>
                            <td><code>{s.name.clone()}</code></td>
                            <td>{s.hosts.join(", ")}</td>
                            <td>{if s.used_by.is_empty() {
                                view! { <span class="hint">"No workflow"</span> }.into_any()
                            } else {
                                let org = org.clone();
                                view! {
                                    <ul class="plain">
                                        {s.used_by.iter().map(|(id, name)| view! {
                                            <li><a href=format!("/o/{org}/workflows/{id}")>{name.clone()}</a></li>
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}</td>
                            <td>{s.set_by.clone()}</td>
                            <td><When at=s.set_at /></td>
                            <td>{if asking {
                                view! {
                                    <ActionForm action=delete attr:class="inline">
                                        <input type="hidden" name="org" value=org.clone() />
                                        <input type="hidden" name="name" value=s.name.clone() />
                                        <span>"Steps that use it will fail. "</span>
                                        <button type="submit" class="danger small">"Delete for good"</button>
                                        " " <a href=format!("/o/{org}/settings#secrets")>"Keep it"</a>
                                    </ActionForm>
                                }.into_any()
                            } else {
                                view! { <a class="button danger small" href=ask>"Delete"<span class="visually-hidden">{format!(" {}", s.name)}</span></a> }.into_any()
                            }}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn NewSecret(org: String) -> impl IntoView {
    let set = ServerAction::<SetSecret>::new();
    let failed = set.value().get_untracked().and_then(|r| r.err());
    let error = |field: &str| failed.as_ref().and_then(|e| e.field(field));
    let kept = |field: &str| {
        failed
            .as_ref()
            .and_then(|e| e.kept(field))
            .unwrap_or_default()
    };
    let (name_error, value_error, hosts_error) = (error("name"), error("value"), error("hosts"));
    let (kept_name, kept_hosts) = (kept("name"), kept("hosts"));
    let (value_invalid, hosts_invalid) = (value_error.is_some(), hosts_error.is_some());
    let other = failed
        .as_ref()
        .filter(|_| name_error.is_none() && value_error.is_none() && hosts_error.is_none())
        .map(|e| e.to_string());
    view! {
        <h3>"Set a secret"</h3>
        {other.map(|m| view! { <p class="problem" role="alert">{m}</p> })}
        <ActionForm action=set attr:class="new-secret" attr:novalidate="true" attr:autocomplete="off">
            <input type="hidden" name="org" value=org />
            <div class="grid two">
                <TextField id="secret_name" name="name" label="Secret name" value=kept_name placeholder="CRM_TOKEN"
                    hint="Capitals, digits and _. A secret of the same name is replaced." error=name_error />
                <div class="field" class:invalid=value_invalid>
                    <label for="secret_value">"Secret value"</label>
                    <input type="password" id="secret_value" name="value" autocomplete="new-password"
                        aria-describedby="secret_value-hint" />
                    <p class="hint" id="secret_value-hint">"Never shown again, to anyone."</p>
                    <FieldMessage id="secret_value" message=value_error />
                </div>
            </div>
            <div class="field" class:invalid=hosts_invalid>
                <label for="secret_hosts">"May be sent to"</label>
                <textarea id="secret_hosts" name="hosts" rows="2" placeholder="crm.example.com"
                    aria-describedby="secret_hosts-hint">{kept_hosts}</textarea>
                <p class="hint" id="secret_hosts-hint">"The hosts it may be sent to, one per line or separated by commas. A step that would send it anywhere else fails without sending it."</p>
                <FieldMessage id="secret_hosts" message=hosts_error />
            </div>
            <button type="submit" class="primary">"Save secret"</button>
        </ActionForm>
    }
}
