//! A labelled form field with its message right under it.

use leptos::prelude::*;

/// The message under a field, when it has one.
#[component]
pub fn FieldMessage(#[prop(into)] id: String, message: Option<String>) -> impl IntoView {
    message.map(|m| {
        view! {
            <p class="field-error" id=format!("{id}-error") role="alert">
                {m}
            </p>
        }
    })
}

/// A text input with a visible label and its error message.
#[component]
pub fn TextField(
    #[prop(into)] id: String,
    #[prop(into)] name: String,
    #[prop(into)] label: String,
    #[prop(into)] value: String,
    error: Option<String>,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional)] required: bool,
    #[prop(optional, into)] placeholder: Option<String>,
    /// The input's type: `text` unless given (`email`, `password`).
    #[prop(optional, into)]
    kind: Option<String>,
    #[prop(optional, into)] autocomplete: Option<String>,
) -> impl IntoView {
    let invalid = error.is_some();
    let described = error.as_ref().map(|_| format!("{id}-error"));
    view! {
        <div class="field" class:invalid=invalid>
            <label for=id.clone()>{label}</label>
            <input
                type=kind.unwrap_or_else(|| "text".to_owned())
                autocomplete=autocomplete
                id=id.clone()
                name=name
                value=value
                aria-required=required.then_some("true")
                placeholder=placeholder
                aria-invalid=invalid.then_some("true")
                aria-describedby=described
            />
            {hint.map(|h| view! { <p class="hint">{h}</p> })}
            <FieldMessage id=id message=error />
        </div>
    }
}
