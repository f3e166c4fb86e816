//! `/forgot` ("Forgot your password?": a one-time link by email) and `/reset/{token}` (where
//! that link lets the person choose a new password).

use crate::components::field::TextField;
use crate::error::AppError;
use crate::server_fns::mail::{ForgotPassword, ResetPassword, email_on, get_reset};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn ForgotPage() -> impl IntoView {
    let ask = ServerAction::<ForgotPassword>::new();
    let query = use_query_map();
    let sent = move || query.read().get("sent").is_some();
    let on = Resource::new(|| (), |_| email_on());
    let error = move || ask.value().get().and_then(|r| r.err());
    view! {
        <Title text="Forgot your password?" />
        <main class="page narrow login">
            <h1>"Forgot your password?"</h1>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match on.await {
                        Ok(false) => view! {
                            <p class="problem" role="note">"This server sends no email, so it cannot send you a link. Ask an Admin of your organization to invite you again, or whoever runs Switchyard to help."</p>
                            <p><a href="/login">"Back to sign in"</a></p>
                        }.into_any(),
                        Ok(true) if sent() => view! {
                            <div class="done" role="status">
                                <p>"If that address has an account here, a link to choose a new password is on its way. It works once, for an hour."</p>
                                <p>"Nothing there after a few minutes? Look in your spam folder, or ask again."</p>
                            </div>
                            <p><a href="/login">"Back to sign in"</a></p>
                        }.into_any(),
                        Ok(true) => view! {
                            <p>"Type the email you sign in with. We send a link there to choose a new password."</p>
                            <ActionForm action=ask attr:novalidate="true">
                                {move || {
                                    let error = error();
                                    let other = error.as_ref().and_then(AppError::general);
                                    view! {
                                        {other.map(|m| view! { <p class="error" role="alert">{m}</p> })}
                                        <TextField id="email" name="email" label="Email" kind="email" autocomplete="username"
                                            value=error.as_ref().and_then(|e| e.kept("email")).unwrap_or_default()
                                            error=error.as_ref().and_then(|e| e.field("email")) />
                                    }
                                }}
                                <button type="submit" class="primary">"Send me a link"</button>
                            </ActionForm>
                            <p><a href="/login">"Back to sign in"</a></p>
                        }.into_any(),
                        Err(err) => crate::pages::error_view(err),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
pub fn ResetPage() -> impl IntoView {
    let params = use_params_map();
    let token = Memo::new(move |_| params.read().get("token").unwrap_or_default());
    let reset = ServerAction::<ResetPassword>::new();
    let account = Resource::new(move || token.get(), get_reset);
    let error = move || reset.value().get().and_then(|r| r.err());
    view! {
        <Title text="Choose a new password" />
        <main class="page narrow login">
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match account.await {
                        Ok(email) => view! {
                            <h1>"Choose a new password"</h1>
                            <p>{format!("For {email}. Everywhere you are signed in is signed out when it changes.")}</p>
                            <ActionForm action=reset attr:novalidate="true">
                                <input type="hidden" name="token" value=token.get_untracked() />
                                {move || {
                                    let error = error();
                                    let field = |name: &str| error.as_ref().and_then(|e| e.field(name));
                                    let other = error.as_ref().and_then(AppError::general);
                                    view! {
                                        {other.map(|m| view! { <p class="error" role="alert">{m}</p> })}
                                        <TextField id="password" name="password" label="New password" value="" kind="password"
                                            autocomplete="new-password"
                                            hint="At least 12 characters and not a common one: a few words you will remember make a good password."
                                            error=field("password") />
                                        <TextField id="password_again" name="password_again" label="New password again" value=""
                                            kind="password" autocomplete="new-password" error=field("password_again") />
                                    }
                                }}
                                <button type="submit" class="primary">"Save my new password"</button>
                            </ActionForm>
                        }.into_any(),
                        Err(AppError::NotFound) => {
                            crate::pages::set_status(404);
                            view! {
                                <h1>"This link does not work"</h1>
                                <p>"It was used already, a newer one was used, or it is older than an hour."</p>
                                <p><a href="/forgot">"Ask for a new link"</a>" or "<a href="/login">"sign in"</a>"."</p>
                            }.into_any()
                        }
                        Err(err) => crate::pages::error_view(err),
                    }
                })}
            </Suspense>
        </main>
    }
}
