//! The settings page's API keys: the list with revocation asked twice, a key shown once, and
//! the form for a new one (Admins).

use crate::components::field::{FieldMessage, TextField};
use crate::components::format::{MaybeWhen, When, time};
use crate::error::AppError;
use crate::server_fns::settings::{CreateApiKey, RevokeApiKey, SettingsView};
use leptos::prelude::*;
use switchyard_model::entity::Scope;

#[component]
pub(super) fn SettingsBody(
    view: SettingsView,
    create: ServerAction<CreateApiKey>,
    revoke: ServerAction<RevokeApiKey>,
    confirm: Option<String>,
) -> impl IntoView {
    let org = view.member.org.slug.clone();
    view! {
        <section>
            <h2>"API keys"</h2>
            {match view.settings.keys {
                None => view! { <p class="hint">"Only Admins of this organization see and manage its API keys."</p> }.into_any(),
                Some(keys) => view! {
                    <p class="hint">"A key lets another system use this organization through the REST API and the MCP server, as far as its scopes allow. Keep it secret; revoke it when it is no longer used."</p>
                    {view.new_key.map(|(name, secret)| view! {
                        <div class="problem conflict" role="status" id="new-key">
                            <h3>{format!("Your new key “{name}”")}</h3>
                            <p><code class="secret">{secret}</code></p>
                            <p>"Copy it now: it will not be shown again."</p>
                        </div>
                    })}
                    <KeyTable keys read_at=view.settings.read_at org=org.clone() revoke confirm />
                    <NewKey org create />
                }.into_any(),
            }}
        </section>
    }
}

#[component]
fn KeyTable(
    keys: Vec<switchyard_model::entity::ApiKey>,
    read_at: time::OffsetDateTime,
    org: String,
    revoke: ServerAction<RevokeApiKey>,
    confirm: Option<String>,
) -> impl IntoView {
    if keys.is_empty() {
        return view! { <p class="empty">"No API keys yet."</p> }.into_any();
    }
    view! {
        <table class="workflows keys" tabindex="0">
            <thead><tr>
                <th scope="col">"Name"</th><th scope="col">"Key"</th><th scope="col">"May"</th><th scope="col">"Created"</th>
                <th scope="col">"Last used"</th><th scope="col">"Expires"</th><th scope="col">"Status"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
            </tr></thead>
            <tbody>
                {keys.into_iter().map(|k| {
                    let id = k.id.to_string();
                    let asking = confirm.as_deref() == Some(id.as_str());
                    let (page, ask, org) = (format!("/o/{org}/settings"), format!("/o/{org}/settings?revoke={id}"), org.clone());
                    let action = match (k.revoked_at, asking) {
                        (Some(_), _) => ().into_any(),
                        (None, false) => view! { <a class="button danger small" href=ask>"Revoke"</a> }.into_any(),
                        (None, true) => view! {
                            <ActionForm action=revoke attr:class="inline">
                                <input type="hidden" name="org" value=org />
                                <input type="hidden" name="id" value=id />
                                <button type="submit" class="danger small">"Revoke for good"</button>
                            </ActionForm>
                            " " <a href=page>"Cancel"</a>
                        }.into_any(),
                    };
                    view! {
                        <tr>
                            <td>{k.name.clone()}</td>
                            <td><code>{format!("{}…", k.prefix)}</code></td>
                            <td>{scope_list(&k.scopes)}</td>
                            <td><When at=k.created_at /></td>
                            <td><MaybeWhen at=k.last_used_at /></td>
                            <td>{k.expires_at.map(last_day).unwrap_or_else(|| "Never".into())}</td>
                            <td>{key_status(&k, read_at)}</td>
                            <td>{action}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// The scopes as the key list shows them, in words.
fn scope_list(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.label())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The last day a key works: the day before the moment it stops.
fn last_day(expires_at: time::OffsetDateTime) -> String {
    let day = (expires_at - time::Duration::seconds(1)).date();
    format!("After {day} (UTC)")
}

/// Active, expired or revoked, as of `now` (the server's clock: wasm has none of its own).
fn key_status(key: &switchyard_model::entity::ApiKey, now: time::OffsetDateTime) -> String {
    match (key.revoked_at, key.expires_at) {
        (Some(t), _) => format!("Revoked {}", time(t)),
        (None, Some(end)) if end <= now => "Expired".into(),
        _ => "Active".into(),
    }
}

#[component]
fn NewKey(org: String, create: ServerAction<CreateApiKey>) -> impl IntoView {
    let error = move || create.value().get().and_then(|r| r.err());
    view! {
        <h3>"New key"</h3>
        <ActionForm action=create attr:class="new-key">
            <input type="hidden" name="org" value=org />
            {move || {
                let error = error();
                let field = |name: &str| error.as_ref().and_then(|e| e.field(name));
                let kept = |name: &str| error.as_ref().and_then(|e| e.kept(name));
                let other = error.as_ref().and_then(AppError::general);
                let scopes_error = field("scopes");
                let invalid = scopes_error.is_some();
                view! {
                    <TextField id="key_name" name="name" label="Name" value=kept("name").unwrap_or_default() placeholder="Zapier" error=field("name").or(other) />
                    <fieldset class="field scopes" class:invalid=invalid aria-describedby=invalid.then_some("key_scopes-error")>
                        <legend>"What it may do"</legend>
                        {Scope::ALL.into_iter().map(|scope| {
                            let (name, id) = match scope {
                                Scope::EventsWrite => ("events_write", "key_scope_events"),
                                Scope::Read => ("read", "key_scope_read"),
                                Scope::Write => ("write", "key_scope_write"),
                                Scope::Admin => ("admin", "key_scope_admin"),
                            };
                            view! {
                                <div class="check">
                                    <input type="checkbox" id=id name=name value="on" checked=kept(name).map_or(scope == Scope::EventsWrite, |v| v == "on") />
                                    <label for=id>{scope.label()}" "<code>{scope.as_str()}</code></label>
                                </div>
                            }
                        }).collect_view()}
                        <FieldMessage id="key_scopes" message=scopes_error />
                    </fieldset>
                    <div class="field" class:invalid=field("expires_on").is_some()>
                        <label for="key_expires">"Last day it works (optional)"</label>
                        <input type="date" id="key_expires" name="expires_on" value=kept("expires_on").unwrap_or_default()
                            aria-invalid=field("expires_on").is_some().then_some("true")
                            aria-describedby=field("expires_on").is_some().then_some("key_expires-error") />
                        <p class="hint">"Empty: the key works until it is revoked. Days are in UTC."</p>
                        <FieldMessage id="key_expires" message=field("expires_on") />
                    </div>
                }
            }}
            <button type="submit" class="primary">"Create key"</button>
        </ActionForm>
    }
}
