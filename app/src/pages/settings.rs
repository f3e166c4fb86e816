//! `/o/{org}/settings`: the members and their roles, and the API keys (Admins only).

use crate::api::members::{
    ChangeMemberRole, InviteMember, RemoveMember, RevokeInvitation, UnlockMember,
};
use crate::api::settings::{
    CreateApiKey, RevokeApiKey, SavePreferences, SettingsView, get_settings,
};
use crate::components::field::{FieldMessage, TextField};
use crate::components::format::{maybe_time, time};
use crate::components::layout::org_param;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use switchyard::entity::Scope;

#[component]
pub fn Settings() -> impl IntoView {
    let org = org_param();
    let query = use_query_map();
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let prefs = ServerAction::<SavePreferences>::new();
    let team = TeamActions {
        invite: ServerAction::new(),
        role: ServerAction::new(),
        remove: ServerAction::new(),
        unlock: ServerAction::new(),
        withdraw: ServerAction::new(),
    };
    let data = Resource::new(
        move || {
            let versions = (
                create.version().get(),
                revoke.version().get(),
                prefs.version().get(),
                team.version(),
            );
            (org.get(), versions)
        },
        |(org, _)| get_settings(org),
    );
    view! {
        <Title text="Settings" />
        <h1>"Settings"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let confirm = query.read().get("revoke");
                let removing = query.read().get("remove");
                Suspend::new(async move {
                    match data.await {
                        Ok(view) => view! {
                            <Preferences view=view.clone() save=prefs />
                            <Members view=view.clone() team removing />
                            <SettingsBody view create revoke confirm />
                        }.into_any(),
                        Err(err) => crate::pages::error_view(err),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn SettingsBody(
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
    keys: Vec<switchyard::entity::ApiKey>,
    read_at: time::OffsetDateTime,
    org: String,
    revoke: ServerAction<RevokeApiKey>,
    confirm: Option<String>,
) -> impl IntoView {
    if keys.is_empty() {
        return view! { <p class="empty">"No API keys yet."</p> }.into_any();
    }
    view! {
        <table class="workflows keys">
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
                            <td>{time(k.created_at)}</td>
                            <td>{maybe_time(k.last_used_at)}</td>
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
fn key_status(key: &switchyard::entity::ApiKey, now: time::OffsetDateTime) -> String {
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

/// The dashboard's threshold and the charts' time zone: a form for Admins, the values for others.
#[component]
fn Preferences(view: SettingsView, save: ServerAction<SavePreferences>) -> impl IntoView {
    let percent = format!("{}", (view.settings.threshold * 1000.0).round() / 10.0);
    let zone = view.settings.time_zone.clone();
    if !view.member.role.can_manage() {
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
                        hint="A workflow that fails more than this share of its runs needs attention, and raises the workflow.high_failure_rate alert."
                        error=error("failureThreshold") />
                    <TextField id="time_zone" name="time_zone" label="Time zone" value=zone
                        hint="The charts' dates read in it: UTC, Europe/Paris, America/New_York…"
                        error=error("timeZone") />
                </div>
                <button type="submit" class="primary">"Save"</button>
                {move || saved().then(|| view! { <p class="hint" role="status">"Saved."</p> })}
            </ActionForm>
        </section>
    }
    .into_any()
}

/// The server functions the members section calls.
#[derive(Clone, Copy)]
struct TeamActions {
    invite: ServerAction<InviteMember>,
    role: ServerAction<ChangeMemberRole>,
    remove: ServerAction<RemoveMember>,
    unlock: ServerAction<UnlockMember>,
    withdraw: ServerAction<RevokeInvitation>,
}

impl TeamActions {
    /// Changes whenever one of them has answered: the page reads its data again.
    fn version(&self) -> (usize, usize, usize, usize, usize) {
        (
            self.invite.version().get(),
            self.role.version().get(),
            self.remove.version().get(),
            self.unlock.version().get(),
            self.withdraw.version().get(),
        )
    }

    /// The last refusal of a change to a member (the last Admin, a role they may not have).
    fn refusal(&self) -> Option<String> {
        [
            self.role.value().get(),
            self.remove.value().get(),
            self.unlock.value().get(),
            self.withdraw.value().get(),
        ]
        .into_iter()
        .flatten()
        .find_map(|r| r.err())
        .map(|e| match e {
            AppError::Invalid { errors, .. } => errors
                .into_iter()
                .map(|e| e.message)
                .collect::<Vec<_>>()
                .join(" "),
            other => other.to_string(),
        })
    }
}

const ROLES: [switchyard::Role; 3] = [
    switchyard::Role::Admin,
    switchyard::Role::Editor,
    switchyard::Role::Viewer,
];

/// The members: a list for everyone; for Admins, each one's role to change, removal, unlocking,
/// the pending invitations and a form to invite someone.
#[component]
fn Members(view: SettingsView, team: TeamActions, removing: Option<String>) -> impl IntoView {
    let Some(managed) = view.settings.team.clone() else {
        return view! {
            <section>
                <h2>"Members"</h2>
                <table class="workflows">
                    <thead><tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Role"</th></tr></thead>
                    <tbody>
                        {view.settings.members.into_iter().map(|m| view! {
                            <tr><td>{m.display_name}</td><td>{m.email}</td><td>{m.role.as_str()}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
                <p class="hint">"Only Admins add, change and remove members."</p>
            </section>
        }
        .into_any();
    };
    let org = view.member.org.slug.clone();
    let org_name = view.member.org.name.clone();
    let me = view.member.user_id.clone();
    view! {
        <section id="members">
            <h2>"Members"</h2>
            {move || team.refusal().map(|message| view! {
                <p class="problem" role="alert">{message}</p>
            })}
            {view.invited.map(|(invited, link)| match invited {
                switchyard::view::members::Invited::Link { email, role, expires_at, .. } => view! {
                    <div class="problem conflict" role="status" id="invitation-link">
                        <h3>{format!("Invitation for {email} ({})", role.as_str())}</h3>
                        <p>"Send them this link; it works once, until "{time(expires_at)}". It is shown only now."</p>
                        <p><code class="secret">{link}</code></p>
                    </div>
                }.into_any(),
                switchyard::view::members::Invited::Added { email, role } => view! {
                    <p class="hint" role="status" id="invitation-link">
                        {format!("{email} already had an account and is now a member, as {}.", role.as_str())}
                    </p>
                }.into_any(),
            })}
            <table class="workflows members">
                <thead><tr>
                    <th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Role"</th>
                    <th scope="col">"Joined"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {managed.members.into_iter().map(|m| {
                        let asking = removing.as_deref() == Some(m.user_id.as_str());
                        let you = m.user_id == me;
                        view! { <MemberLine org=org.clone() org_name=org_name.clone() member=m asking you team /> }
                    }).collect_view()}
                </tbody>
            </table>
            <Invitations org=org.clone() invitations=managed.invitations withdraw=team.withdraw />
            <InviteForm org invite=team.invite />
        </section>
    }
    .into_any()
}

/// One member's row for Admins: role, when they joined, unlock, remove (asked twice).
#[component]
fn MemberLine(
    org: String,
    org_name: String,
    member: switchyard::view::members::MemberEntry,
    asking: bool,
    you: bool,
    team: TeamActions,
) -> impl IntoView {
    let m = member;
    let user = m.user_id.to_string();
    let select_id = format!("role-{user}");
    let page = format!("/o/{org}/settings#members");
    let ask = format!("/o/{org}/settings?remove={user}#members");
    let removal = if asking {
        let question = format!("Remove {} from {org_name}? ", m.display_name);
        let (org, user) = (org.clone(), user.clone());
        view! {
            <ActionForm action=team.remove attr:class="inline">
                <input type="hidden" name="org" value=org />
                <input type="hidden" name="user" value=user />
                <span>{question}</span>
                <button type="submit" class="danger small">"Remove for good"</button>
            </ActionForm>
            " " <a href=page>"Cancel"</a>
        }
        .into_any()
    } else {
        view! { <a class="button danger small" href=ask>"Remove"</a> }.into_any()
    };
    let unlock = m.locked.then(|| {
        let (org, user) = (org.clone(), user.clone());
        view! {
            <ActionForm action=team.unlock attr:class="inline">
                <input type="hidden" name="org" value=org />
                <input type="hidden" name="user" value=user />
                <span class="badge failing">"Locked by failed sign-ins"</span>
                " "
                <button type="submit" class="small">"Unlock"</button>
            </ActionForm>
        }
    });
    let role = m.role;
    view! {
        <tr>
            <td>{m.display_name.clone()}{you.then_some(" (you)")}</td>
            <td>{m.email.clone()}</td>
            <td>
                <ActionForm action=team.role attr:class="inline role">
                    <input type="hidden" name="org" value=org />
                    <input type="hidden" name="user" value=user />
                    <label for=select_id.clone()>"Role"</label>
                    <select id=select_id name="role">
                        {ROLES.into_iter().map(|r| view! {
                            <option value=r.as_str() selected=r == role>{r.as_str()}</option>
                        }).collect_view()}
                    </select>
                    <button type="submit" class="small">"Change role"</button>
                </ActionForm>
            </td>
            <td>{time(m.joined_at)}</td>
            <td>{unlock}{removal}</td>
        </tr>
    }
}

#[component]
fn Invitations(
    org: String,
    invitations: Vec<switchyard::view::members::PendingInvitation>,
    withdraw: ServerAction<RevokeInvitation>,
) -> impl IntoView {
    if invitations.is_empty() {
        return ().into_any();
    }
    view! {
        <h3>"Waiting for an answer"</h3>
        <table class="workflows invitations">
            <thead><tr>
                <th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col">"Sent"</th>
                <th scope="col">"Link works until"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
            </tr></thead>
            <tbody>
                {invitations.into_iter().map(|i| {
                    let org = org.clone();
                    view! {
                    <tr>
                        <td>{i.email}</td>
                        <td>{i.role.as_str()}</td>
                        <td>{time(i.created_at)}</td>
                        <td>{time(i.expires_at)}</td>
                        <td>
                            <ActionForm action=withdraw attr:class="inline">
                                <input type="hidden" name="org" value=org />
                                <input type="hidden" name="id" value=i.id.to_string() />
                                <button type="submit" class="danger small">"Withdraw"</button>
                            </ActionForm>
                        </td>
                    </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn InviteForm(org: String, invite: ServerAction<InviteMember>) -> impl IntoView {
    let error = move || invite.value().get().and_then(|r| r.err());
    view! {
        <h3>"Invite someone"</h3>
        <ActionForm action=invite attr:class="invite" attr:novalidate="true">
            <input type="hidden" name="org" value=org />
            {move || {
                let error = error();
                let field = |name: &str| error.as_ref().and_then(|e| e.field(name));
                let other = error.as_ref().and_then(AppError::general);
                let role_error = field("role");
                let role_invalid = role_error.is_some();
                let kept_role = error.as_ref().and_then(|e| e.kept("role"));
                view! {
                    <div class="grid two">
                        <TextField id="invite_email" name="email" label="Email"
                            value=error.as_ref().and_then(|e| e.kept("email")).unwrap_or_default() kind="email"
                            placeholder="ada@example.com" error=field("email").or(other) />
                        <div class="field" class:invalid=role_invalid>
                            <label for="invite_role">"Role"</label>
                            <select id="invite_role" name="role"
                                aria-invalid=role_invalid.then_some("true")
                                aria-describedby=role_invalid.then_some("invite_role-error")>
                                {ROLES.into_iter().map(|r| view! {
                                    <option value=r.as_str() selected=kept_role.as_deref().map_or(r == switchyard::Role::Editor, |k| k == r.as_str())>{r.as_str()}</option>
                                }).collect_view()}
                            </select>
                            <p class="hint">"Admins manage members and keys; Editors build and run workflows; Viewers read."</p>
                            <FieldMessage id="invite_role" message=role_error />
                        </div>
                    </div>
                }
            }}
            <p class="hint">"Someone new gets a link to set their password, valid 7 days; someone with an account already is added at once."</p>
            <button type="submit" class="primary">"Invite"</button>
        </ActionForm>
    }
}
