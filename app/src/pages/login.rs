//! `/login`: email and password.

use crate::server_fns::auth::Login as LoginFn;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn Login() -> impl IntoView {
    let login = ServerAction::<LoginFn>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let reset = move || query.read().get("reset").is_some();
    let error = move || {
        login
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.to_string())
    };
    view! {
        <Title text="Sign in" />
        <main class="page narrow login">
            <h1>"Sign in to Switchyard"</h1>
            {move || reset().then(|| view! { <p class="done" role="status">"Your password is changed, and everywhere else you were signed in is signed out. Sign in with your new password."</p> })}
            {move || error().map(|e| view! { <p class="error" role="alert" id="login-error">{e}</p> })}
            <ActionForm action=login>
                <input type="hidden" name="next" value=next />
                <div class="field">
                    <label for="email">"Email"</label>
                    <input type="email" id="email" name="email" autocomplete="username" required />
                </div>
                <div class="field">
                    <label for="password">"Password"</label>
                    <input type="password" id="password" name="password" autocomplete="current-password" required />
                </div>
                <button type="submit" class="primary">"Sign in"</button>
            </ActionForm>
            <p><a href="/forgot">"Forgot your password?"</a></p>
        </main>
    }
}
