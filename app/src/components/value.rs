//! JSON values shown to people: fields as a list of name and value, text without quotes.

use leptos::prelude::*;
use serde_json::Value;

/// A value as one line of text.
pub fn text(value: &Value) -> String {
    match value {
        Value::Null => "(empty)".to_owned(),
        Value::String(s) => s.clone(),
        Value::Bool(true) => "yes".to_owned(),
        Value::Bool(false) => "no".to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(", "),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k}: {}", text(v)))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// An object's fields as a definition list; anything else as one line.
#[component]
pub fn Fields(value: Value) -> impl IntoView {
    match value {
        Value::Object(map) if map.is_empty() => view! { <p class="hint">"No fields"</p> }.into_any(),
        Value::Object(map) => view! {
            <dl class="fields">
                {map.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{text(&v)}</dd> }).collect_view()}
            </dl>
        }
        .into_any(),
        other => view! { <p>{text(&other)}</p> }.into_any(),
    }
}
