//! The settings page's email: whether this server sends any and through what, and for Admins
//! "Send a test email" with what the mail server answered.

use crate::components::field::TextField;
use crate::error::AppError;
use crate::server_fns::mail::SendTestEmail;
use crate::server_fns::settings::SettingsView;
use leptos::prelude::*;

#[component]
pub(super) fn Email(view: SettingsView) -> impl IntoView {
    let status = view.email.clone();
    let (Some(server), Some(from)) = (status.server, status.from) else {
        return view! {
            <section id="email" aria-labelledby="email-title">
                <h2 id="email-title">"Email"</h2>
                <p>"Email is off on this server: invitations are links an Admin hands over, and nobody can choose a new password by email. Whoever runs Switchyard turns it on with SWITCHYARD_SMTP_URL and SWITCHYARD_MAIL_FROM (see the README)."</p>
            </section>
        }
        .into_any();
    };
    let admin = view.member.role.may_administer();
    view! {
        <section id="email" aria-labelledby="email-title">
            <h2 id="email-title">"Email"</h2>
            <p>{format!("Email goes out through {server}, from {from}.")}</p>
            {view.tested.map(|sent| view! {
                <div class="done" role="status" id="test-email-sent">
                    <p>{format!("A test email went to {}. The mail server answered: {}", sent.to, sent.answer)}</p>
                </div>
            })}
            {admin.then(|| view! { <TestEmail org=view.member.org.slug.clone() /> })}
        </section>
    }
    .into_any()
}

#[component]
fn TestEmail(org: String) -> impl IntoView {
    let send = ServerAction::<SendTestEmail>::new();
    let error = move || send.value().get().and_then(|r| r.err());
    view! {
        <ActionForm action=send attr:class="test-email" attr:novalidate="true">
            <input type="hidden" name="org" value=org />
            {move || {
                let error = error();
                let field = error.as_ref().and_then(|e| e.field("to"));
                let other = error.as_ref().and_then(AppError::general);
                view! {
                    {other.map(|message| view! { <p class="problem" role="alert" id="test-email-problem">{message}</p> })}
                    <TextField id="test_email_to" name="to" label="Send a test email to"
                        value=error.as_ref().and_then(|e| e.kept("to")).unwrap_or_default() kind="email"
                        placeholder="you@example.com" error=field />
                }
            }}
            <button type="submit">"Send a test email"</button>
        </ActionForm>
    }
}
