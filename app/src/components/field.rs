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
    /// The id of a `<datalist>` of choices; typing anything else stays allowed.
    #[prop(default = None)]
    list: Option<String>,
    /// A remark that is not an error: where a failed run's value came from, a likely typo.
    #[prop(default = None)]
    note: Option<String>,
) -> impl IntoView {
    let invalid = error.is_some();
    let described = match (&error, &note) {
        (Some(_), Some(_)) => Some(format!("{id}-error {id}-note")),
        (Some(_), None) => Some(format!("{id}-error")),
        (None, Some(_)) => Some(format!("{id}-note")),
        (None, None) => None,
    };
    let note_id = format!("{id}-note");
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
                list=list
            />
            {hint.map(|h| view! { <p class="hint">{h}</p> })}
            {note.map(|n| view! { <p class="field-note" id=note_id>{n}</p> })}
            <FieldMessage id=id message=error />
        </div>
    }
}

/// A choice among a few options with a visible label and its error message.
#[component]
pub fn SelectField(
    #[prop(into)] id: String,
    #[prop(into)] name: String,
    #[prop(into)] label: String,
    #[prop(into)] value: String,
    /// Each option's value and the words shown for it.
    options: Vec<(&'static str, &'static str)>,
    error: Option<String>,
    #[prop(optional, into)] hint: Option<String>,
) -> impl IntoView {
    let invalid = error.is_some();
    let described = invalid.then(|| format!("{id}-error"));
    view! {
        <div class="field" class:invalid=invalid>
            <label for=id.clone()>{label}</label>
            <select id=id.clone() name=name aria-invalid=invalid.then_some("true") aria-describedby=described>
                {options
                    .into_iter()
                    .map(|(v, words)| view! { <option value=v selected=v.eq_ignore_ascii_case(&value)>{words}</option> })
                    .collect_view()}
            </select>
            {hint.map(|h| view! { <p class="hint">{h}</p> })}
            <FieldMessage id=id message=error />
        </div>
    }
}
