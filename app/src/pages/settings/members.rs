//! The settings page's members: a list for everyone; for Admins each one's role, removal asked
//! twice, the pending invitations and the invitation form.

use crate::components::field::{FieldMessage, TextField};
use crate::components::format::{When, time};
use crate::error::AppError;
use crate::server_fns::members::{ChangeMemberRole, InviteMember, RemoveMember, RevokeInvitation};
use crate::server_fns::settings::SettingsView;
use leptos::prelude::*;
use switchyard_model::mail::Handed;

/// The server functions the members section calls.
#[derive(Clone, Copy)]
pub(super) struct TeamActions {
    invite: ServerAction<InviteMember>,
    role: ServerAction<ChangeMemberRole>,
    remove: ServerAction<RemoveMember>,
    withdraw: ServerAction<RevokeInvitation>,
}

impl TeamActions {
    pub(super) fn new() -> Self {
        Self {
            invite: ServerAction::new(),
            role: ServerAction::new(),
            remove: ServerAction::new(),
            withdraw: ServerAction::new(),
        }
    }

    /// The last refusal of a change to a member (the last Admin, a role they may not have).
    fn refusal(&self) -> Option<String> {
        [
            self.role.value().get(),
            self.remove.value().get(),
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

const ROLES: [switchyard_model::Role; 3] = [
    switchyard_model::Role::Admin,
    switchyard_model::Role::Editor,
    switchyard_model::Role::Viewer,
];

/// The members: a list for everyone; for Admins, each one's role to change, removal,
/// the pending invitations and a form to invite someone.
#[component]
pub(super) fn Members(
    view: SettingsView,
    team: TeamActions,
    removing: Option<String>,
) -> impl IntoView {
    let Some(managed) = view.settings.team.clone() else {
        return view! {
            <section>
                <h2>"Members"</h2>
                <table class="workflows" tabindex="0">
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
            {view.invited.map(|sent| view! { <InvitationSent sent /> })}
            <table class="workflows members" tabindex="0">
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

/// What an invitation just did: emailed (the link is not shown), or its link to hand over,
/// shown this once.
#[component]
fn InvitationSent(sent: switchyard_model::team::InvitationSent) -> impl IntoView {
    let heading = format!("Invitation for {} ({})", sent.email, sent.role.as_str());
    match sent.handed {
        Handed::Mailed => view! {
            <div class="done" role="status" id="invitation-link">
                <h3>{heading}</h3>
                <p>{format!("Emailed to {}. The link in it works once, until ", sent.email)}{time(sent.expires_at)}
                    ". They join when they open it and say yes (signing in first if they already have an account)."</p>
            </div>
        }
        .into_any(),
        Handed::Link { link, not_mailed } => view! {
            <div class="problem conflict" role="status" id="invitation-link">
                <h3>{heading}</h3>
                {not_mailed.map(|why| view! { <p>"The email could not be sent: "{why}</p> })}
                <p>"Send them this link; it works once, until "{time(sent.expires_at)}". It is shown only now. They join when they open it and say yes (signing in first if they already have an account)."</p>
                <p><code class="secret">{link}</code></p>
            </div>
        }
        .into_any(),
    }
}

/// One member's row for Admins: role, when they joined, remove (asked twice).
#[component]
fn MemberLine(
    org: String,
    org_name: String,
    member: switchyard_model::team::MemberEntry,
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
            <td><When at=m.joined_at /></td>
            <td>{removal}</td>
        </tr>
    }
}

#[component]
fn Invitations(
    org: String,
    invitations: Vec<switchyard_model::team::PendingInvitation>,
    withdraw: ServerAction<RevokeInvitation>,
) -> impl IntoView {
    if invitations.is_empty() {
        return ().into_any();
    }
    view! {
        <h3>"Waiting for an answer"</h3>
        <table class="workflows invitations" tabindex="0">
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
                        <td><When at=i.created_at /></td>
                        <td><When at=i.expires_at /></td>
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
                                    <option value=r.as_str() selected=kept_role.as_deref().map_or(r == switchyard_model::Role::Editor, |k| k == r.as_str())>{r.as_str()}</option>
                                }).collect_view()}
                            </select>
                            <p class="hint">"Admins manage members and keys; Editors build and run workflows; Viewers read."</p>
                            <FieldMessage id="invite_role" message=role_error />
                        </div>
                    </div>
                }
            }}
            <p class="hint">"You get a link to send them, valid 7 days. They join when they open it and say yes: someone new sets a password there, someone with an account signs in first."</p>
            <button type="submit" class="primary">"Invite"</button>
        </ActionForm>
    }
}
