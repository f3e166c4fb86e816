//! `/account`: the signed-in person's password and sessions.

use crate::components::field::TextField;
use crate::components::format::{MaybeWhen, time};
use crate::components::layout::SignOut;
use crate::error::AppError;
use crate::server_fns::account::{AccountView, ChangePassword, EndSession, get_account};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AccountPage() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let end = ServerAction::<EndSession>::new();
    let account = Resource::new(|| (), |_| get_account());
    view! {
        <Title text="Your account" />
        <header class="topbar">
            <a class="brand" href="/orgs">"Switchyard"</a>
            <div class="who"><a href="/orgs" class="switch">"Your organizations"</a><SignOut /></div>
        </header>
        <main class="page account">
            <h1>"Your account"</h1>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match account.await {
                        Ok(view) => view! {
                            <p>{format!("{} · {}", view.display_name, view.email)}</p>
                            <PasswordForm change />
                            <AlertEmails alerts=view.alert_emails.clone() />
                            <Sessions view end />
                        }.into_any(),
                        Err(err) => crate::pages::error_view(err),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn PasswordForm(change: ServerAction<ChangePassword>) -> impl IntoView {
    let error = move || change.value().get().and_then(|r| r.err());
    let done = move || change.value().get().is_some_and(|r| r.is_ok());
    view! {
        <section>
            <h2>"Password"</h2>
            <ActionForm action=change attr:novalidate="true" attr:class="password">
                {move || {
                    let error = error();
                    let field = |name: &str| error.as_ref().and_then(|e| e.field(name));
                    let other = error.as_ref().and_then(AppError::general);
                    view! {
                        {other.map(|message| view! { <p class="error" role="alert">{message}</p> })}
                        <TextField id="current_password" name="current_password" label="Current password" value=""
                            kind="password" autocomplete="current-password" error=field("current_password") />
                        <TextField id="new_password" name="new_password" label="New password" value=""
                            kind="password" autocomplete="new-password"
                            hint="At least 12 characters and not a common one. Your other sessions end when it changes."
                            error=field("new_password") />
                        <TextField id="new_password_again" name="new_password_again" label="New password again" value=""
                            kind="password" autocomplete="new-password" error=field("new_password_again") />
                    }
                }}
                <button type="submit" class="primary">"Change password"</button>
                {move || done().then(|| view! {
                    <p class="hint" role="status">"Your password is changed. You are still signed in here; everywhere else you are signed out."</p>
                })}
            </ActionForm>
        </section>
    }
}

/// Each organization's alert emails, on or off for this person.
#[component]
fn AlertEmails(alerts: Vec<(String, String, bool)>) -> impl IntoView {
    let set = ServerAction::<crate::server_fns::alerts::SetAlertEmails>::new();
    view! {
        <section id="alert-emails" aria-labelledby="alert-emails-title">
            <h2 id="alert-emails-title">"Alert emails"</h2>
            <p class="hint">"When a workflow fails too often or fails in a new way, an organization's Admins choose who is emailed. You can stop the ones you get."</p>
            <ul class="plain alert-emails">
                {alerts.into_iter().map(|(slug, name, on)| {
                    let (state, button, value) = if on {
                        (format!("You get alert emails from {name}."), format!("Stop alert emails from {name}"), "false")
                    } else {
                        (format!("You get no alert emails from {name}."), format!("Get alert emails from {name} again"), "true")
                    };
                    view! {
                        <li>
                            <ActionForm action=set attr:class="inline">
                                <input type="hidden" name="org" value=slug />
                                <input type="hidden" name="on" value=value />
                                <span>{state}" "</span>
                                <button type="submit" class="small">{button}</button>
                            </ActionForm>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn Sessions(view: AccountView, end: ServerAction<EndSession>) -> impl IntoView {
    let others = view.sessions.iter().filter(|s| !s.current).count();
    view! {
        <section>
            <h2>"Where you are signed in"</h2>
            <p class="hint">"A session ends after 30 minutes unused, and 12 hours after signing in."</p>
            <table class="workflows sessions" tabindex="0">
                <thead><tr>
                    <th scope="col">"Browser"</th><th scope="col">"From"</th><th scope="col">"Signed in"</th>
                    <th scope="col">"Last used"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {view.sessions.into_iter().map(|s| {
                        let handle = s.handle.clone();
                        let action = if s.current {
                            view! { <span class="badge">"This browser"</span> }.into_any()
                        } else {
                            view! {
                                <ActionForm action=end attr:class="inline">
                                    <input type="hidden" name="handle" value=handle />
                                    <button type="submit" class="danger small">"End session"</button>
                                </ActionForm>
                            }.into_any()
                        };
                        view! {
                            <tr>
                                <td>{s.browser_name()}</td>
                                <td>{s.address.clone().unwrap_or_else(|| "Unknown".into())}</td>
                                <td><MaybeWhen at=s.signed_in_at /></td>
                                <td><MaybeWhen at=s.seen_at /></td>
                                <td>{action}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            {(others > 0).then(|| view! {
                <ActionForm action=end attr:class="inline">
                    <input type="hidden" name="all" value="on" />
                    <button type="submit" class="danger">{format!("End the {others} other session{}", if others == 1 { "" } else { "s" })}</button>
                </ActionForm>
            })}
            <p class="hint">{format!("As of {}.", time(view.read_at))}</p>
        </section>
    }
}
