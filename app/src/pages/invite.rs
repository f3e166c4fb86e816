//! `/invite/{token}`: where an invited person sets their name and password and joins.

use crate::api::members::{AcceptInvitation, get_invitation};
use crate::components::field::TextField;
use crate::components::format::time;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

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
                        Ok(invitation) => view! { <JoinForm invitation token=token.get_untracked() accept /> }.into_any(),
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

#[component]
fn JoinForm(
    invitation: switchyard::view::members::InvitationView,
    token: String,
    accept: ServerAction<AcceptInvitation>,
) -> impl IntoView {
    let error = move || accept.value().get().and_then(|r| r.err());
    let org = invitation.org.name.clone();
    view! {
        <h1>{format!("Join {org}")}</h1>
        <p>
            {format!("You are invited as {} with the email {}. ", invitation.role.as_str(), invitation.email)}
            "Choose your name and a password; the link works until " {time(invitation.expires_at)} "."
        </p>
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
            <button type="submit" class="primary">"Join"</button>
        </ActionForm>
    }
}
