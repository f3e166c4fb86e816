//! `/invite/{token}`: where an invited person joins, by their own act: someone new sets their
//! name and password; someone with an account signs in as it and says yes or no.

use crate::components::field::TextField;
use crate::components::format::time;
use crate::components::layout::SignOut;
use crate::error::AppError;
use crate::server_fns::members::{
    AcceptInvitation, DeclineInvitation, JoinInvitation, get_invitation,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use switchyard_model::team::{InvitationPage, Visitor};

#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = Memo::new(move |_| params.read().get("token").unwrap_or_default());
    let accept = ServerAction::<AcceptInvitation>::new();
    let invitation = Resource::new(move || token.get(), get_invitation);
    view! {
        <Title text="Join an organization" />
        <main class="page narrow login">
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match invitation.await {
                        Ok(page) => view! { <Invitation page token=token.get_untracked() accept /> }.into_any(),
                        Err(AppError::NotFound) => {
                            crate::pages::set_status(404);
                            view! {
                                <h1>"This invitation link does not work"</h1>
                                <p>"It was used already, withdrawn, or is older than 7 days. Ask an Admin of the organization for a new one."</p>
                                <p><a href="/login">"Sign in"</a>" if you have an account."</p>
                            }.into_any()
                        }
                        Err(err) => crate::pages::error_view(err),
                    }
                })}
            </Suspense>
        </main>
    }
}

/// The invitation as the browser's visitor sees it: signed in as the invited account (say yes
/// or no), as another (sign out first), or not signed in (sign in, or make an account).
#[component]
fn Invitation(
    page: InvitationPage,
    token: String,
    accept: ServerAction<AcceptInvitation>,
) -> impl IntoView {
    let invitation = page.invitation;
    let org = invitation.org.name.clone();
    let role = invitation.role.as_str();
    let heading = view! {
        <h1>{format!("Join {org}")}</h1>
        <p>
            {format!("{} is invited to {org} as {role}. The link works until ", invitation.email)}
            {time(invitation.expires_at)} "."
        </p>
    };
    match page.visitor {
        Visitor::Invited => view! {
            {heading}
            <Answer token org />
        }
        .into_any(),
        Visitor::Other(me) => view! {
            {heading}
            <p class="problem" role="alert">
                {format!("You are signed in as {me}. This invitation is for {}: sign out, then open this link again and sign in as {}.", invitation.email, invitation.email)}
            </p>
            <SignOut />
        }
        .into_any(),
        Visitor::SignedOut => {
            let sign_in = format!("/login?next={}", crate::urlencode(&format!("/invite/{token}")));
            view! {
                {heading}
                <h2>"Have a Switchyard account with this email?"</h2>
                <p><a class="button" href=sign_in>"Sign in to answer"</a></p>
                <h2>"New to Switchyard?"</h2>
                <JoinForm token accept />
            }
            .into_any()
        }
    }
}

/// Yes or no, for the invited account signed in on this browser.
#[component]
fn Answer(token: String, org: String) -> impl IntoView {
    let join = ServerAction::<JoinInvitation>::new();
    let decline = ServerAction::<DeclineInvitation>::new();
    let refusal = move || {
        [join.value().get(), decline.value().get()]
            .into_iter()
            .flatten()
            .find_map(|r| r.err())
    };
    let declining = token.clone();
    view! {
        {move || refusal().map(|e| view! { <p class="problem" role="alert">{e.to_string()}</p> })}
        <div class="actions">
            <ActionForm action=join attr:class="inline">
                <input type="hidden" name="token" value=token />
                <button type="submit" class="primary">{format!("Join {org}")}</button>
            </ActionForm>
            <ActionForm action=decline attr:class="inline">
                <input type="hidden" name="token" value=declining />
                <button type="submit">"Decline"</button>
            </ActionForm>
        </div>
    }
}

/// A new person's name and password.
#[component]
fn JoinForm(token: String, accept: ServerAction<AcceptInvitation>) -> impl IntoView {
    let error = move || accept.value().get().and_then(|r| r.err());
    view! {
        <p>"Choose your name and a password to make your account and join."</p>
        <ActionForm action=accept attr:novalidate="true">
            <input type="hidden" name="token" value=token />
            {move || {
                let error = error();
                let field = |name: &str| error.as_ref().and_then(|e| e.field(name));
                let other = error.as_ref().and_then(AppError::general);
                view! {
                    {other.map(|message| view! { <p class="error" role="alert">{message}</p> })}
                    <TextField id="display_name" name="display_name" label="Your name"
                        value=error.as_ref().and_then(|e| e.kept("display_name")).unwrap_or_default() autocomplete="name"
                        error=field("display_name") />
                    <TextField id="password" name="password" label="Password" value="" kind="password" autocomplete="new-password"
                        hint="At least 12 characters and not a common one: a few words you will remember make a good password."
                        error=field("password") />
                    <TextField id="password_again" name="password_again" label="Password again" value="" kind="password"
                        autocomplete="new-password" error=field("password_again") />
                }
            }}
            <button type="submit" class="primary">"Make my account and join"</button>
        </ActionForm>
    }
}
